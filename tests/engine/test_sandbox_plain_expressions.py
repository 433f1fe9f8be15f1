"""The plain-expression tier (engine/sandbox/plain.py): what it evaluates in this process, and that its results and
errors are the sandbox processes' own.

The pool is real and every call to it is counted (``pool_jobs`` wraps ``SandboxPool.run``): an expression outside
the whitelist, or over data that is not plain, must reach it; a plain one must not.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine.core import Engine
from engine.db.org import User
from engine.sandbox import (
    SandboxedEnvironment,
    SandboxLimits,
    SandboxResourceError,
    SandboxViolation,
    make_script_engine,
)
from engine.sandbox.plain import MAX_ELEMENTS, MAX_STR, NOT_PLAIN, SWITCH, enabled, is_plain
from engine.sandbox.pool import PoolConfig, SandboxPool, shared_pool
from engine.services import instances
from engine.services.deployments import deploy, read_folder
from processes.demo import load_demo
from processes.extension import extensions
from tests.conftest import BPMN
from tests.engine.sandbox_functions import FUNCTIONS, SOURCE
from tests.engine.test_run import CAPAIAN
from tests.engine.test_sandbox import run_workflow
from tools.bpmn_builder import Process, document

LIMITS = SandboxLimits(cpu_seconds=0.5)
JAKARTA = ZoneInfo("Asia/Jakarta")


@pytest.fixture(autouse=True)
def default_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tier is on by default: these tests mean the default, whatever the shell running them says."""
    monkeypatch.delenv(SWITCH, raising=False)


@pytest.fixture(scope="module")
def pool() -> SandboxPool:
    return shared_pool(PoolConfig(workers=2, function_sources=(SOURCE,)))


@pytest.fixture
def pool_jobs(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Count the jobs sent to any sandbox pool, by kind ("eval", "exec", "render")."""
    jobs: Counter[str] = Counter()
    original = SandboxPool.run

    def run(self: SandboxPool, job: tuple[Any, ...], cpu_seconds: float, tables: Any = None) -> Any:
        jobs[job[0]] += 1
        return original(self, job, cpu_seconds, tables)

    monkeypatch.setattr(SandboxPool, "run", run)
    return jobs


@pytest.fixture
def plain(pool: SandboxPool) -> SandboxedEnvironment:
    return SandboxedEnvironment(FUNCTIONS, LIMITS, pool=pool)


@pytest.fixture
def pooled(pool: SandboxPool) -> SandboxedEnvironment:
    return SandboxedEnvironment(FUNCTIONS, LIMITS, pool=pool, plain_expressions=False)


def data() -> dict[str, Any]:
    return {
        "kurva": {"status": "menunggu", "nilai": 85, "list": [1, 2, 3],
                  "nested": {"a": {"b": [10, {"c": "deep"}]}}},
        "pegawai": {"kepala_unit_kurva": None, "nama": "Ana", "nip": "199001012015011001"},
        "predikat": "Baik", "score": 85, "ratio": 0.5, "flag": True, "zero": 0, "kosong": None,
        "money": Decimal("30.50"), "tanggal": date(2024, 1, 31), "naive": datetime(2024, 1, 31, 8, 0),
        "waktu": datetime(2024, 1, 31, 8, 0, tzinfo=UTC), "zoned": datetime(2024, 1, 31, 8, 0, tzinfo=JAKARTA),
        "jam": time(8, 30, tzinfo=timezone(timedelta(hours=7))), "durasi": timedelta(days=2, seconds=5),
        "items": [1, "a", None], "pair": (1, "a"), "tags": {"x", "y"}, "frozen": frozenset({1, 2}),
        "nums": {1: "one", 2: "two"}, "tagged": {"$": "Decimal", "v": "1"}, "big": 10**30,
        "nan": math.nan, "surrogate": "a\ud800b", "long_key": "k" * 3000, "idx": 1, "neg": -1,
        "wide": "x" * 5000,
    }


def external() -> dict[str, Any]:
    return {"dmninputexpr": "Baik", "predikat": "shadowed by the task data"}


# (expression, uses the external context): every one is evaluated in this process, and must give what the pool
# gives (value and types, or error class, arguments, text and script line).
PARITY: list[tuple[str, bool]] = [
    # values
    ("kurva['status'] == 'menunggu'", False),
    ("pegawai['kepala_unit_kurva'] is not None", False),
    ('"P1D"', False),
    ("predikat", False),
    ("'Baik'", False),
    ("score >= 80 and predikat in ('Baik', 'Sangat Baik')", False),
    ("not flag", False),
    ("kurva", False),
    ("kurva['nested']['a']['b'][1]['c']", False),
    ("items[-1] is None", False),
    ("pair", False),
    ("tags", False),
    ("frozen", False),
    ("nums[1]", False),
    ("nums", False),
    ("tagged", False),
    ("money > 30 and money", False),
    ("money == 30.5", False),
    ("waktu", False),
    ("zoned", False),
    ("jam", False),
    ("durasi > durasi and durasi or durasi", False),
    ("1 < score < 100", False),
    ("100 < score < missing_but_never_read", False),
    ("'a' in predikat", False),
    ("score if flag else predikat", False),
    ("[score, predikat, kosong]", False),
    ("kosong or 'default'", False),
    ("zero and missing_name", False),
    ("-1.5", False),
    ("score != 85.0", False),
    ("ratio <= 0.5", False),
    ("'menunggu' not in kurva['status']", False),
    ("items == [1, 'a', None]", False),
    ("kurva['list'] < [1, 2, 4]", False),
    ("big", False),
    ("nan == nan", False),
    ("surrogate", False),
    ("kurva[long_key] if False else True", False),
    ("dmninputexpr == 'Baik'", True),
    ("predikat", True),
    ("zoned > waktu if zoned else zoned == waktu", False),
    ("kurva['list'][idx]", False),
    ("kurva['list'][neg]", False),
    ("None", False),
    ("True is flag", False),
    ("wide", False),
    # errors
    ("kurva['missing']", False),
    ("pegawai['kepala_unit_kurva']['nama']", False),
    ("items[5]", False),
    ("undefined_name == 1", False),
    ("score < 'a'", False),
    ("tanggal < waktu", False),
    ("items['a']", False),
    ("1 in score", False),
    ("score in 'abc'", False),
    ("nums[items]", False),
    ("kurva[long_key]", False),
    ("nums[pair]", False),
    ("money < 'x'", False),
    ("(score ==\n 85 and\n kurva['missing'])", False),
    ("zoned < naive", False),
    ("kurva['status']['x']", False),
    ("pair[1.0]", False),
    ("durasi < 5", False),
    ("not predikat and dmninputexpr", False),
    ("kosong['x']", False),
    ("tags[0]", False),
    ("tanggal['x']", False),
]


def shape(value: Any) -> Any:
    """The value with its types, deeply (datetimes with their zone class and offset; NaN comparable)."""
    kind = type(value)
    if kind is dict:
        return ("dict", [(shape(k), shape(v)) for k, v in value.items()])
    if kind in (list, tuple):
        return (kind.__name__, [shape(v) for v in value])
    if kind in (set, frozenset):
        return (kind.__name__, sorted(repr(shape(v)) for v in value))
    if kind in (datetime, time):
        return (kind.__name__, value.isoformat(), type(value.tzinfo).__name__, value.utcoffset(), value.fold)
    if kind is float and math.isnan(value):
        return ("float", "nan")
    return (kind.__name__, repr(value))


def outcome(env: SandboxedEnvironment, source: str, context: dict[str, Any], ext: dict[str, Any] | None) -> Any:
    try:
        return ("value", shape(env.evaluate(source, context, ext)))
    except Exception as err:  # compared, not judged
        return ("error", type(err), err.args, str(err), getattr(err, "script_line", None))


@pytest.mark.parametrize(("source", "uses_external"), PARITY, ids=[p[0][:50] for p in PARITY])
def test_plain_results_and_errors_are_the_pools(plain: SandboxedEnvironment, pooled: SandboxedEnvironment,
                                                pool_jobs: Counter[str], source: str, uses_external: bool) -> None:
    assert is_plain(source)
    ext = external() if uses_external else None
    expected = outcome(pooled, source, data(), ext)
    assert pool_jobs["eval"] == 1
    got = outcome(plain, source, data(), ext)
    assert pool_jobs["eval"] == 1, "a plain expression over plain data must not reach the pool"
    assert got == expected


def test_a_result_is_a_copy_as_from_the_pool(plain: SandboxedEnvironment, pool_jobs: Counter[str]) -> None:
    """What the pool returns never shares a list or dict with the task data; neither does the tier's result."""
    context = data()
    result = plain.evaluate("kurva['nested'] if flag else kurva", context)
    assert result == context["kurva"]["nested"] and result is not context["kurva"]["nested"]
    result["a"]["b"].append("changed")
    assert context["kurva"]["nested"]["a"]["b"] == [10, {"c": "deep"}]
    assert plain.evaluate("[items, pair]", context)[0] is not context["items"]
    assert pool_jobs["eval"] == 0


def test_the_table_covers_every_failure_kind(pooled: SandboxedEnvironment) -> None:
    kinds: Counter[str] = Counter()
    for source, uses_external in PARITY:
        result = outcome(pooled, source, data(), external() if uses_external else None)
        kinds[result[1].__name__ if result[0] == "error" else "value"] += 1
    assert kinds["value"] >= 30 and {"KeyError", "TypeError", "IndexError", "NameError"} <= set(kinds)
    assert len(PARITY) >= 40


def test_errors_read_the_same_through_spiffworkflow(pool: SandboxPool) -> None:
    """The gateway condition fails the same way, with the same message, notes and line, on either path."""
    script = "score = 90\nkurva = {'status': 'menunggu'}\npegawai = {'kepala': None}"
    seen: dict[str, list[Any]] = {}
    for condition in ("kurva['missing'] == 1", "scor >= 80", "pegawai['kepala']['nama'] == 'x'", "score < 'a'"):
        for flag in (False, True):
            with pytest.raises(WorkflowTaskException) as info:
                run_workflow(script, condition=condition, functions=FUNCTIONS, pool=pool, plain_expressions=flag)
            err = info.value
            seen.setdefault(condition, []).append((str(err), err.notes, err.error_type, err.line_number,
                                                   err.error_line, err.task_spec.bpmn_id))
        assert seen[condition][0] == seen[condition][1], condition
    assert "KeyError: 'missing'" in seen["kurva['missing'] == 1"][0][0]
    assert "Did you mean" in seen["scor >= 80"][0][1][0] and "'score'" in seen["scor >= 80"][0][1][0]


# -- what goes to the pool -----------------------------------------------------------------------------------------

NOT_IN_THE_SUBSET = [
    "score + 1", "score * 2", "'x' * 3", "len(items)", "double(2)", "kurva.get('status')", "kurva.keys", "x.y",
    "kurva['status'].upper()", "[x for x in items]", "{x for x in items}", "(x for x in items)", "lambda: 1",
    "f'{score}'", "items[0:1]", "items[::-1]", "(y := 1)", "[*items]", "{'a': 1}", "{1, 2}", "-score", "+1", "~1",
    "b'bytes'", "1j", "...", "'a' * 1001", "'" + "a" * (MAX_STR + 1) + "'", str(10**18), str(-(10**18)),
    "(" + ", ".join(["1"] * (MAX_ELEMENTS + 1)) + ")", " and ".join(["flag"] * 300), "not " * 40 + "flag",
    "items[score + 0]", "kurva['a', 'b']", "items[-idx]", "items[kurva['list'][0]]", "score if flag else len(items)",
]


@pytest.mark.parametrize("source", NOT_IN_THE_SUBSET, ids=[s[:40] for s in NOT_IN_THE_SUBSET])
def test_constructs_outside_the_subset_go_to_the_pool(plain: SandboxedEnvironment, pooled: SandboxedEnvironment,
                                                      pool_jobs: Counter[str], source: str) -> None:
    assert not is_plain(source)
    context = data() | {"x": 1}
    got = outcome(plain, source, context, None)
    assert pool_jobs["eval"] == 1, "outside the subset: evaluated by a sandbox process"
    assert got == outcome(pooled, source, context, None)


def test_names_that_are_not_data_go_to_the_pool(plain: SandboxedEnvironment, pooled: SandboxedEnvironment,
                                                pool_jobs: Counter[str]) -> None:
    # A registered function or a builtin is not data: the sandbox process answers (and refuses the function).
    for name in ("double", "len", "Decimal", "datetime"):
        assert is_plain(name)
        with pytest.raises(SandboxViolation, match="holds a"):
            plain.evaluate(name, {})
    assert pool_jobs["eval"] == 4
    # Task data shadows them, as in the sandbox process's scope.
    assert plain.evaluate("len", {"len": 3}) == 3 and pool_jobs["eval"] == 4
    # print is special to RestrictedPython: whatever the sandbox process says, it says it.
    assert outcome(plain, "print", {}, None) == outcome(pooled, "print", {}, None)
    assert pool_jobs["eval"] == 6


def test_refused_constructs_are_refused_before_either_path(plain: SandboxedEnvironment,
                                                           pool_jobs: Counter[str]) -> None:
    from engine.sandbox import SandboxSyntaxError

    for source in ("_secret", "kurva['a'] ==", "__builtins__"):
        with pytest.raises(SyntaxError) as info:
            plain.evaluate(source, {"_secret": 1, "kurva": {}})
        assert isinstance(info.value, SandboxSyntaxError) or source == "kurva['a'] =="
    assert pool_jobs["eval"] == 0


# -- values of other types -----------------------------------------------------------------------------------------

CALLS: list[str] = []  # every method of the objects below that ran (in this process)


def unexpected_cases() -> list[tuple[str, dict[str, Any]]]:
    """Objects of other types, each method recording that it ran. The classes are local, so they cannot even be
    pickled: the pool refuses them in this process without calling a method."""

    class Touchy:
        def __eq__(self, other: object) -> bool:
            CALLS.append("eq")
            return True

        def __hash__(self) -> int:
            CALLS.append("hash")
            return hash("status")

        def __bool__(self) -> bool:
            CALLS.append("bool")
            return True

        def __lt__(self, other: object) -> bool:
            CALLS.append("lt")
            return True

        def __index__(self) -> int:
            CALLS.append("index")
            return 0

    class LoudDict(dict):  # type: ignore[type-arg]
        def __getitem__(self, key: Any) -> Any:
            CALLS.append("getitem")
            return super().__getitem__(key)

        def __contains__(self, key: object) -> bool:
            CALLS.append("contains")
            return super().__contains__(key)

    class LoudStr(str):
        def __eq__(self, other: object) -> bool:
            CALLS.append("str-eq")
            return True

        __hash__ = str.__hash__

    class LoudZone(tzinfo):
        def utcoffset(self, dt: datetime | None) -> timedelta:
            CALLS.append("utcoffset")
            return timedelta(hours=7)

        def dst(self, dt: datetime | None) -> timedelta:
            return timedelta(0)

        def tzname(self, dt: datetime | None) -> str:
            return "LOUD"

    class Key:  # hashes like 'status', equal only to itself: a lookup of 'status' would have to ask it
        def __eq__(self, other: object) -> bool:
            CALLS.append("key-eq")
            return other is self

        def __hash__(self) -> int:
            return hash("status")

    with_foreign_key = {Key(): 1, "status": 2}
    loud_time = datetime(2024, 1, 1, tzinfo=LoudZone())
    cases: list[tuple[str, dict[str, Any]]] = [
        ("x == 1", {"x": Touchy()}),
        ("1 == x", {"x": Touchy()}),
        ("x < 1", {"x": Touchy()}),
        ("not x", {"x": Touchy()}),
        ("x and 1", {"x": Touchy()}),
        ("x if x else 1", {"x": Touchy()}),
        ("x", {"x": Touchy()}),
        ("x in ('a', 'b')", {"x": Touchy()}),
        ("items == [1]", {"items": [Touchy()]}),
        ("1 in items", {"items": [Touchy()]}),
        ("items[i]", {"items": [1, 2], "i": Touchy()}),
        ("d['status']", {"d": with_foreign_key}),
        ("'status' in d", {"d": with_foreign_key}),
        ("d['status']", {"d": LoudDict(status=1)}),
        ("'status' in d", {"d": LoudDict(status=1)}),
        ("s == 'a'", {"s": LoudStr("b")}),
        ("[s]", {"s": LoudStr("b")}),
        ("t < t2", {"t": loud_time, "t2": datetime(2024, 1, 2, tzinfo=UTC)}),
        ("t", {"t": loud_time}),
        ("d[k]", {"d": {"a": 1}, "k": Touchy()}),
        ("d['a']", {"d": {loud_time: 1, "a": 2}}),
        ("x", {"x": lambda: 1}),
    ]
    CALLS.clear()
    return cases


UNEXPECTED = unexpected_cases()


@pytest.mark.parametrize(("source", "context"), UNEXPECTED,
                         ids=[f"{s} {type(c.get('x', c.get('d', c.get('t')))).__name__}" for s, c in UNEXPECTED])
def test_a_value_of_another_type_goes_to_the_pool_untouched(plain: SandboxedEnvironment, pool_jobs: Counter[str],
                                                            source: str, context: dict[str, Any]) -> None:
    CALLS.clear()
    assert plain.plain is not None and plain.plain.evaluate(source, context, None) is NOT_PLAIN
    assert CALLS == [], "no method of a foreign object runs in the server"
    with pytest.raises(SandboxViolation, match="cannot be sent to the sandbox"):
        plain.evaluate(source, context)
    assert pool_jobs["eval"] == 1
    assert CALLS == []


def test_nan_inside_containers_and_identity_of_values_go_to_the_pool(plain: SandboxedEnvironment,
                                                                     pooled: SandboxedEnvironment,
                                                                     pool_jobs: Counter[str]) -> None:
    nan = math.nan
    cases: list[tuple[str, dict[str, Any]]] = [("x in items", {"x": nan, "items": [nan]}), ("items == items", {"items": [nan]}),
             ("a is b", {"a": [1], "b": [1]}), ("a is b", {"a": 1000, "b": 1000}),
             ("m < 1", {"m": Decimal("NaN")}), ("m == 1", {"m": Decimal("sNaN")})]
    for source, context in cases:
        assert plain.plain is not None and plain.plain.evaluate(source, context, None) is NOT_PLAIN, source
        assert outcome(plain, source, context, None) == outcome(pooled, source, context, None)
    assert pool_jobs["eval"] == 2 * len(cases)


# -- bounds ----------------------------------------------------------------------------------------------------------

def nested(depth: int) -> Any:
    value: Any = "bottom"
    for level in range(depth):
        value = {"k": value, "level": level} if level % 2 else [value, level]
    return value


def test_deep_and_large_data_within_bounds_is_evaluated_here(plain: SandboxedEnvironment,
                                                              pooled: SandboxedEnvironment,
                                                              pool_jobs: Counter[str]) -> None:
    context = {"deep": nested(90), "same": nested(90), "big": list(range(50_000)),
               "table": {f"k{i}": {"n": i, "tags": ["a", "b"]} for i in range(5_000)}}
    sources = ["deep == same", "deep", "49_999 in big", "big[-1] == 49999 and big", "table['k4999']['n']",
               "table", "'k3' in table and table['k3']['tags'] == ['a', 'b']"]
    for source in sources:
        assert plain.plain is not None and plain.plain.evaluate(source, context, None) is not NOT_PLAIN, source
    got = [outcome(plain, s, context, None) for s in sources]
    assert pool_jobs["eval"] == 0
    assert got == [outcome(pooled, s, context, None) for s in sources]


def test_data_past_the_bounds_goes_to_the_pool_which_says_why(pool: SandboxPool, pool_jobs: Counter[str]) -> None:
    small = SandboxLimits(cpu_seconds=0.5, max_data_nodes=1_000, max_data_depth=10)
    plain = SandboxedEnvironment(FUNCTIONS, small, pool=pool)
    pooled = SandboxedEnvironment(FUNCTIONS, small, pool=pool, plain_expressions=False)
    assert plain.plain is not None
    context = {"many": list(range(2_000)), "deep": nested(30), "huge": 10**5000, "long": Decimal("1" * 150)}
    for source in ("many", "deep", "huge", "long"):
        assert plain.plain is not None and plain.plain.evaluate(source, context, None) is NOT_PLAIN, source
        assert outcome(plain, source, context, None) == outcome(pooled, source, context, None)
    with pytest.raises(SandboxResourceError, match="too large"):
        plain.evaluate("many", context)
    # Comparing is bounded too: a deeper tree than the tier walks goes to the pool, and so does an expression whose
    # operands together hold more values than one evaluation may walk (each comparison alone is fine).
    assert plain.plain.evaluate("d == d", {"d": nested(150)}, None) is NOT_PLAIN
    big = {"a": list(range(60_000)), "b": list(range(60_000))}
    assert plain.plain.evaluate("a == b", big, None) is True
    assert plain.plain.evaluate("a == b and b == a", big, None) is NOT_PLAIN
    lookup = {"d": {f"k{i}": i for i in range(150_000)}}
    assert plain.plain.evaluate("d['k1']", lookup, None) == 1
    assert plain.plain.evaluate("d['k1'] == d['k2']", lookup, None) is NOT_PLAIN  # a dict's keys are checked too


def test_a_huge_constant_is_refused_by_the_tier(plain: SandboxedEnvironment, pool_jobs: Counter[str]) -> None:
    text = "'" + "a" * 50_000 + "'"
    assert not is_plain(text) and not is_plain(str(10**400)) and is_plain("'" + "a" * MAX_STR + "'")
    assert plain.evaluate(text, {}) == "a" * 50_000
    assert pool_jobs["eval"] == 1


# -- the switch ------------------------------------------------------------------------------------------------------

def test_the_switch(pool: SandboxPool, pool_jobs: Counter[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert enabled({}) and enabled({SWITCH: "1"}) and enabled({SWITCH: "yes"})
    assert not enabled({SWITCH: "0"}) and not enabled({SWITCH: "off"})
    with pytest.raises(ValueError, match=SWITCH):
        enabled({SWITCH: "maybe"})
    monkeypatch.setenv(SWITCH, "0")
    off = SandboxedEnvironment(FUNCTIONS, LIMITS, pool=pool)
    assert off.plain is None
    assert off.evaluate("score > 1", {"score": 2}) is True and pool_jobs["eval"] == 1
    assert SandboxedEnvironment(FUNCTIONS, LIMITS, pool=pool, plain_expressions=True).plain is not None
    monkeypatch.setenv(SWITCH, "1")
    on = make_script_engine(functions=FUNCTIONS, limits=LIMITS, pool=pool).environment
    assert on.evaluate("score > 1", {"score": 2}) is True and pool_jobs["eval"] == 1
    # Without a pool everything runs in this process already: the tier is not put in front.
    assert SandboxedEnvironment(FUNCTIONS, LIMITS).plain is None


# -- whole models ------------------------------------------------------------------------------------------------------

def gateway_and_timer_model() -> bytes:
    p = Process("plain_model", "Plain expressions", lanes=["Pegawai"])
    p.start("s", lane="Pegawai", col=0)
    p.script("init", "Init", "kurva = {'status': 'menunggu', 'nilai': 85}\npegawai = {'kepala_unit_kurva': None}\n"
             "predikat = 'Baik'", lane="Pegawai", col=1)
    p.gateway("gw", "Status?", lane="Pegawai", col=2, default="f_other")
    p.catch("wait", "Tunggu", lane="Pegawai", col=3, timer=("timeDuration", '"P1D"'))
    p.gateway("gw2", "Predikat?", lane="Pegawai", col=4, default="f_low")
    p.user("cek", "Cek", lane="Pegawai", col=5)
    p.end("e", lane="Pegawai", col=6)
    p.end("e_other", lane="Pegawai", col=3)
    p.chain("s", "init", "gw")
    p.flow("gw", "wait", condition="kurva['status'] == 'menunggu' and pegawai['kepala_unit_kurva'] is None")
    p.flow("gw", "e_other", id="f_other")
    p.flow("wait", "gw2")
    p.flow("gw2", "cek", condition="predikat in ('Baik', 'Sangat Baik') and kurva['nilai'] >= 80")
    p.flow("gw2", "e", id="f_low")
    p.flow("cek", "e")
    return document(p).encode()


def run_model(pool: SandboxPool, flag: bool) -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(gateway_and_timer_model())
    engine = make_script_engine(functions=FUNCTIONS, limits=LIMITS, pool=pool, plain_expressions=flag)
    workflow = BpmnWorkflow(parser.get_spec("plain_model"), parser.get_subprocess_specs("plain_model"),
                            script_engine=engine)
    workflow.do_engine_steps()
    assert [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.WAITING)] == ["wait"]
    for task in workflow.get_tasks(state=TaskState.WAITING):  # fire the timer now
        task.internal_data["event_value"] = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    for _ in range(3):
        workflow.refresh_timers()
        workflow.do_engine_steps()
    assert [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.READY, manual=True)] == ["cek"]
    return workflow


def test_a_model_with_a_gateway_and_a_timer_makes_far_fewer_pool_calls(pool: SandboxPool,
                                                                       pool_jobs: Counter[str]) -> None:
    before = run_model(pool, flag=False)
    pooled = Counter(pool_jobs)
    pool_jobs.clear()
    after = run_model(pool, flag=True)
    assert after.data == before.data and after.last_task.data == before.last_task.data
    assert pooled["exec"] == pool_jobs["exec"] == 1  # the script task still runs in a sandbox process
    assert pooled["eval"] >= 3, pooled  # two conditions and the timer, at least
    assert pool_jobs["eval"] == 0, pool_jobs


@pytest.fixture
def engines(db_url: str, clock: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[bool, Engine]]:
    """Two engines on one database: the default, and one built with SMK_SANDBOX_PLAIN_EXPRESSIONS=0."""
    on = Engine(db_url, extensions=extensions(), clock=clock)
    monkeypatch.setenv(SWITCH, "0")
    off = Engine(db_url, extensions=extensions(), clock=clock)
    monkeypatch.delenv(SWITCH)
    yield {True: on, False: off}
    on.dispose()
    off.dispose()


def test_the_demo_process_through_the_engine_makes_far_fewer_pool_calls(engines: dict[bool, Engine],
                                                                        pool_jobs: Counter[str]) -> None:
    on = engines[True]
    assert on.runtime.script_engine.environment.plain is not None
    assert engines[False].runtime.script_engine.environment.plain is None
    load_demo(on)
    with on.session_factory() as s:
        users = {u.username: u.id for u in s.scalars(select(User))}
    deploy(on, read_folder(BPMN / "demo"), users["pemilik"], name="demo")
    jobs: dict[bool, Counter[str]] = {}
    results = {}
    for flag, eng in engines.items():
        pool_jobs.clear()
        started = instances.start_instance(eng, "demo_penilaian", users["admin"], users["budi"], "2024")
        after = instances.complete_task(eng, users["budi"], started.ready_task_ids[0], CAPAIAN)
        after = instances.complete_task(eng, users["dewi"], after.ready_task_ids[0],
                                        {"keputusan": "setuju", "perilaku": "Di Atas Ekspektasi"})
        hr_task = instances.get_task(eng, users["indah"], after.ready_task_ids[0])
        results[flag] = (hr_task.data["predikat"], hr_task.data["nomor_arsip"].rsplit("-", 2)[1:])
        jobs[flag] = Counter(pool_jobs)
    assert results[True] == results[False] and results[True][0] == "Sangat Baik"
    assert jobs[True]["exec"] == jobs[False]["exec"]
    assert jobs[False]["eval"] >= 3 and jobs[True]["eval"] <= jobs[False]["eval"] // 3, jobs
