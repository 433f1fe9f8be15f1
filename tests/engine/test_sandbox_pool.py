"""Model code runs in sandbox processes: a crash, a hang or an out-of-memory there never reaches this process.

Every hostile item runs through the pool (the crashers too: they kill a sandbox process, not the test runner);
after each one this process is alive and the next evaluation works.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from typing import Any

import pytest
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException

from engine.sandbox import (
    SandboxedEnvironment,
    SandboxError,
    SandboxLimits,
    SandboxResourceError,
    SandboxTimeout,
    SandboxViolation,
)
from engine.sandbox.pool import PoolConfig, SandboxCrash, ScriptError, function_sources, shared_pool
from engine.sandbox.templates import TemplateFailed
from engine.sandbox.wire import WireError, decode, encode
from tests.engine import sandbox_functions
from tests.engine.sandbox_functions import FUNCTIONS, SOURCE
from tests.engine.test_sandbox import HOSTILE_EXPRESSIONS, HOSTILE_SCRIPTS, LEGIT_SCRIPT, run_workflow

LIMITS = SandboxLimits(cpu_seconds=0.5)
# The condition of issue 16: hashing a 300,000-deep tuple overflows the C stack (SIGSEGV).
SEGFAULT = "[(t := (t,)) for i in range(300000)] and len({t}) if (t := ()) == () else 0"
# One C call that runs for many seconds: comparing two equal, heavily shared structures (10**9 leaves).
# One comparison of two 10**10-leaf nested lists: ~15 s of CPU in a single C call, far past RLIMIT_CPU's whole-second
# granularity (10**9 took 1.5 s, which a child with CPU time to spare under its rounded-up limit could finish).
LONG_C_CALL = "x = 0\ny = 0\nfor i in range(10):\n    x = [x] * 10\n    y = [y] * 10\nsame = x == y"


@pytest.fixture(scope="module")
def pool() -> Any:
    return shared_pool(PoolConfig(workers=2, function_sources=(SOURCE,)))


@pytest.fixture
def env(pool: Any) -> SandboxedEnvironment:
    return SandboxedEnvironment(FUNCTIONS, LIMITS, pool=pool)


def still_works(env: SandboxedEnvironment) -> None:
    assert env.evaluate("double(x) + 1", {"x": 20}) == 41


# (expression, error, fragment): the findings of issue 16 that bypassed the in-process limits.
FINDINGS: list[tuple[str, type[BaseException], str]] = [
    (SEGFAULT, SandboxCrash, "SIGSEGV"),
    ("round(Decimal('1e999999'))", SandboxResourceError, "round()"),
    ("int.from_bytes(b'\\xff' * 1000000, 'big') % int.from_bytes(b'\\xfd' * 500000, 'big')",
     SandboxResourceError, "from_bytes"),
    ("pow(3, 2 ** 14000 - 5, 2 ** 14000 - 1)", SandboxResourceError, "three-argument pow"),
    ("str(['a' * 1000000] * 400)", SandboxResourceError, "to text"),
    ("('a' * 1000000).translate({97: 'b' * 1000})", SandboxResourceError, "translate"),
    ("f\"{Decimal('1e400000000'):f}\"", SandboxResourceError, "formatting this number"),
    ("f'" + "{1:>900000}" * 100 + "'", SandboxResourceError, "MiB"),
    ("('{:>900000}' * 100).format(*range(100))", SandboxResourceError, "add up"),
    ("('%900000d' * 100) % tuple(range(100))", SandboxResourceError, "add up"),
    ("'%d' % Decimal('1e999999')", SandboxResourceError, "digits"),
]


@pytest.mark.parametrize(("source", "error", "fragment"), FINDINGS, ids=[f[0][:40] for f in FINDINGS])
def test_findings_are_stopped_in_a_sandbox_process(env: SandboxedEnvironment, source: str, error: type,
                                                   fragment: str) -> None:
    started = time.monotonic()
    with pytest.raises(error) as info:
        env.evaluate(source, {})
    assert fragment in str(info.value)
    assert time.monotonic() - started < 15
    still_works(env)


@pytest.mark.parametrize(("source", "error", "fragment"), HOSTILE_EXPRESSIONS,
                         ids=[case[0][:40] for case in HOSTILE_EXPRESSIONS])
def test_hostile_expression_corpus_through_the_pool(env: SandboxedEnvironment, source: str, error: type,
                                                    fragment: str) -> None:
    with pytest.raises(error) as info:
        env.evaluate(source, {"x": 1})
    assert fragment in str(info.value)
    still_works(env)


@pytest.mark.parametrize(("source", "error", "fragment", "line"), HOSTILE_SCRIPTS,
                         ids=[case[0][:40] for case in HOSTILE_SCRIPTS])
def test_hostile_script_corpus_through_the_pool(env: SandboxedEnvironment, source: str, error: Any,
                                                fragment: Any, line: int) -> None:
    data: dict[str, Any] = {"keep": 1}
    with pytest.raises(error) as info:
        env.execute(source, data)
    fragments = fragment if isinstance(fragment, tuple) else (fragment,)
    assert any(f in str(info.value) for f in fragments), str(info.value)
    assert data == {"keep": 1}
    if line and not isinstance(info.value, SyntaxError):
        assert info.value.script_line == line  # type: ignore[attr-defined]
    still_works(env)


def wait_for_idle(pool: Any, count: int) -> set[int]:
    deadline = time.monotonic() + 60
    while len(pool.pids()) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return set(pool.pids())


def test_a_crash_replaces_the_process(env: SandboxedEnvironment, pool: Any) -> None:
    still_works(env)
    before, replaced = wait_for_idle(pool, 2), pool.stats["replaced"]
    with pytest.raises(SandboxCrash, match="crashed"):
        env.evaluate(SEGFAULT, {})
    assert pool.stats["replaced"] == replaced + 1
    for _ in range(5):
        still_works(env)
    after = wait_for_idle(pool, 2)
    assert len(after) == 2 and len(after - before) == 1 and os.getpid() not in after


def test_a_long_c_call_is_killed_at_the_wall_timeout() -> None:
    # cpu_seconds=3 puts RLIMIT_CPU past the 1 s wall timeout: the parent kills the process.
    pool = shared_pool(PoolConfig(workers=1, function_sources=(SOURCE,), wall_seconds=1.0))
    env = SandboxedEnvironment(FUNCTIONS, SandboxLimits(cpu_seconds=3), pool=pool)
    started = time.monotonic()
    with pytest.raises(SandboxTimeout, match="no answer within 1 s"):
        env.execute(LONG_C_CALL, {})
    assert time.monotonic() - started < 8
    still_works(env)


def test_a_long_c_call_is_stopped_by_the_cpu_rlimit() -> None:
    # A generous wall timeout: the operating system's RLIMIT_CPU stops the process first (SIGXCPU).
    pool = shared_pool(PoolConfig(workers=1, function_sources=(SOURCE,), wall_seconds=120.0))
    env = SandboxedEnvironment(FUNCTIONS, SandboxLimits(cpu_seconds=0.2), pool=pool)
    with pytest.raises(SandboxTimeout, match="operating system stopped"):
        env.execute(LONG_C_CALL, {})
    still_works(env)


def test_one_huge_allocation_hits_the_address_space_limit() -> None:
    # The in-process guards are opened wide here, so only RLIMIT_AS stands in the way.
    pool = shared_pool(PoolConfig(workers=1, function_sources=(SOURCE,), memory_mb=64))
    wide = SandboxLimits(cpu_seconds=5, max_memory_bytes=2**40, max_sequence_length=10**10)
    env = SandboxedEnvironment(FUNCTIONS, wide, pool=pool)
    with pytest.raises(SandboxResourceError, match="address-space limit"):
        env.evaluate("len('x' * 500_000_000)", {})
    assert env.evaluate("len('x' * 1000)", {}) == 1000


def test_an_oversized_result_is_refused_without_reading_it() -> None:
    pool = shared_pool(PoolConfig(workers=1, function_sources=(SOURCE,), max_reply_bytes=64 * 1024))
    env = SandboxedEnvironment(FUNCTIONS, LIMITS, pool=pool)
    with pytest.raises(SandboxResourceError, match="larger than 65,536 bytes"):
        env.evaluate("'x' * 100000", {})
    assert env.evaluate("'x' * 10", {}) == "x" * 10


def test_results_and_task_data_cross_the_pipe_unchanged(env: SandboxedEnvironment) -> None:
    data: dict[str, Any] = {"goals": [{"weight": 50, "score": 80}, {"weight": 50, "score": 90}],
                            "name": "ana", "grade": "A", "_private": object()}
    private = data["_private"]
    env.execute(LEGIT_SCRIPT, data)
    assert data["scores"] == {"final": 86.0, "bonus": 5}
    assert data["due"] == datetime(2024, 2, 14, tzinfo=UTC)
    assert data["money"] == Decimal("30.50") and data["first"] == 1 and data["helper"] == 42
    assert data["_private"] is private, "underscore keys never leave this process"
    env.execute("d = date(2024, 5, 1)\nm = Decimal('1.5')\nt = (1, 'a')\ns = {1, 2}\nk = {(1, 2): 'pair', 3: 'x'}\n"
                "w = timedelta(days=2, seconds=5)\ntag = {'$': 'Decimal', 'v': '1'}", data)
    assert data["d"] == date(2024, 5, 1) and data["m"] == Decimal("1.5") and data["t"] == (1, "a")
    assert data["s"] == {1, 2} and data["k"] == {(1, 2): "pair", 3: "x"} and data["w"] == timedelta(2, 5)
    assert data["tag"] == {"$": "Decimal", "v": "1"}, "a dict that looks like a tag stays a dict"


def test_errors_keep_their_class_name_message_and_line(env: SandboxedEnvironment) -> None:
    with pytest.raises(ScriptError) as info:
        env.execute("x = 1\ny = refuse(3)", {})
    assert type(info.value).__name__ == "RuleProblem" and str(info.value) == "value 3 is out of range"
    assert info.value.script_line == 2  # type: ignore[attr-defined]
    with pytest.raises(KeyError) as key_error:
        env.evaluate("{}['missing']", {})
    assert str(key_error.value) == "'missing'"


def test_workflow_errors_from_a_sandbox_process_name_task_and_line(pool: Any) -> None:
    with pytest.raises(WorkflowTaskException) as info:
        run_workflow("score = 1\nx = refuse(score)", functions=FUNCTIONS, pool=pool)
    assert info.value.task_spec.bpmn_id == "calc" and info.value.line_number == 2
    assert info.value.error_line == "x = refuse(score)" and "RuleProblem" in str(info.value)
    with pytest.raises(WorkflowTaskException) as crashed:
        run_workflow("score = 1", condition=SEGFAULT, functions=FUNCTIONS, pool=pool)
    assert "SandboxCrash" in str(crashed.value)
    workflow = run_workflow("score = double(45)", functions=FUNCTIONS, pool=pool)
    assert workflow.is_completed() and workflow.data["score"] == 90


def test_threads_share_the_pool_and_a_hang_blocks_nobody(pool: Any) -> None:
    env = SandboxedEnvironment(FUNCTIONS, SandboxLimits(cpu_seconds=1.0), pool=pool)
    errors: list[BaseException] = []

    def looping() -> None:
        try:
            env.execute("while True:\n    pass", {})
        except SandboxTimeout as err:
            errors.append(err)

    thread = threading.Thread(target=looping)
    thread.start()
    values = [env.evaluate("sum(range(n))", {"n": 100}) for _ in range(50)]
    thread.join(timeout=30)
    assert values == [4950] * 50 and len(errors) == 1


def test_functions_must_be_importable_by_the_sandbox_processes(pool: Any) -> None:
    with pytest.raises(ValueError, match="not importable"):
        SandboxedEnvironment({"double": lambda x: 2 * x}, pool=pool)
    with pytest.raises(ValueError, match="cannot be imported"):
        function_sources({"f": lambda x: x})
    assert function_sources({"double": sandbox_functions.double}) == (
        "double=tests.engine.sandbox_functions:double",)
    assert function_sources(FUNCTIONS, SOURCE) == (SOURCE,)
    with pytest.raises(ValueError, match="does not provide"):
        function_sources({"double": lambda x: x}, SOURCE)


def test_templates_render_bounded_in_a_sandbox_process(pool: Any) -> None:
    assert pool.render("Halo {{ nama }}", {"nama": "<b>Budi</b>"}) == "Halo &lt;b&gt;Budi&lt;/b&gt;"
    started = time.monotonic()
    with pytest.raises(SandboxTimeout, match="to render"):
        pool.render("{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}", {}, 0.3)
    assert time.monotonic() - started < 5
    with pytest.raises(SandboxResourceError, match="longer than"):
        pool.render("{% for i in range(100000) %}xxxxxxxxxx{% endfor %}", {}, 1.0, 10_000)
    with pytest.raises(TemplateFailed):
        pool.render("{{ 1 / 0 }}", {})
    with pytest.raises(TemplateFailed):
        pool.render("{{ ''.__class__.__mro__[1].__subclasses__() }}", {})
    assert pool.render("ok", {}) == "ok"


# ---------------------------------------------------------------------------------------------
# The reply codec: a child that ran hostile code is answered with JSON, never unpickled.

def test_wire_round_trips_plain_data() -> None:
    value = {"a": [1, 2.5, None, True, "x"], "d": Decimal("1.10"), "dt": datetime(2024, 1, 2, 3, 4, tzinfo=UTC),
             "day": date(2024, 1, 2), "t": dtime(8, 30), "td": timedelta(days=1, microseconds=5),
             "tup": (1, (2, 3)), "s": {1, 2}, "fs": frozenset({"a"}), "k": {1: "a", (2, 3): "b"},
             "$": "a dollar key"}
    assert decode(encode(value)) == value


@pytest.mark.parametrize("reply", [
    b'{"$": "os.system", "v": "ls"}',
    b'{"$": "Decimal", "v": "1", "extra": 1}',
    b'{"$": "set", "v": [[1]]}',
    b'{"$": "date", "v": "' + b"9" * 500 + b'"}',
    b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x94\x8c\x06system\x94\x93\x94.",
    b"[" * 100_000 + b"]" * 100_000,
    b"1" * 5000,
])
def test_wire_refuses_anything_else(reply: bytes) -> None:
    with pytest.raises(WireError):
        decode(reply)


@pytest.mark.parametrize("value", [object(), len, iter([]), UTC, type])
def test_wire_refuses_non_data_when_encoding(value: Any) -> None:
    with pytest.raises(SandboxViolation):
        encode({"x": value})


def test_the_sandbox_error_hierarchy_holds() -> None:
    assert issubclass(SandboxCrash, SandboxError) and issubclass(WireError, SandboxError)
    assert issubclass(TemplateFailed, SandboxError)
