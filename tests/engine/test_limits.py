"""What would hang the engine is refused at deploy, and what slips through is bounded while it runs (issue 16).

Deploy refuses call-activity cycles, timers beyond the horizon, form schemas that reach outside themselves and
regexes RE2 cannot compile; at run time a computed huge duration, an endless loop of engine steps and a script
result JSON cannot hold each fail the instance with a clear error; a submission has default bounds on rows and
characters (drafts, uploads and the data view: test_upload_limits.py).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from uuid import UUID

import pytest

from engine.core import Engine
from engine.db.runtime import Instance
from engine.errors import DeploymentInvalid, FormInvalid, ProcessError
from engine.limits import current
from engine.runtime.runner import StepFailure
from engine.services import instances
from engine.services.deployments import deploy
from engine.services.forms import validate_submission
from tools.bpmn_builder import Process, document

from .helpers import one_script_process
from .test_deploy import assert_invalid


def calling(process_id: str, called: str) -> bytes:
    """start -> call activity (calledElement ``called``) -> end."""
    p = Process(process_id, process_id, lanes=["Pegawai"])
    p.start("s", lane="Pegawai", col=0)
    p.call(f"call_{called}", f"Call {called}", called, lane="Pegawai", col=1)
    p.end("e", lane="Pegawai", col=2)
    p.chain("s", f"call_{called}", "e")
    return document(p).encode()


def plain(process_id: str) -> bytes:
    """start -> user task -> end."""
    p = Process(process_id, process_id, lanes=["Pegawai"])
    p.start("s", lane="Pegawai", col=0)
    p.user("t", "Task", lane="Pegawai", col=1)
    p.end("e", lane="Pegawai", col=2)
    p.chain("s", "t", "e")
    return document(p).encode()


def waiting(kind: str, expression: str, script: str | None = None) -> bytes:
    """start -> user task -> [script] -> timer catch event (``kind``: timeDuration/timeDate/timeCycle) -> end."""
    p = Process("p_timer", "Timer", lanes=["Pegawai"])
    p.start("s", lane="Pegawai", col=0)
    p.user("first", "First", lane="Pegawai", col=1)
    steps = ["s", "first"]
    if script:
        p.script("compute", "Compute", script, lane="Pegawai", col=2)
        steps.append("compute")
    p.catch("wait", "Wait", lane="Pegawai", col=3, timer=(kind, expression))
    p.user("after", "After", lane="Pegawai", col=4)
    p.end("e", lane="Pegawai", col=5)
    p.chain(*steps, "wait", "after", "e")
    return document(p).encode()


def problem_of(err: DeploymentInvalid, fragment: str):  # noqa: ANN201
    found = [p for p in err.problems if fragment in str(p.message)]
    assert found, [str(p) for p in err.problems]
    return found[0]


def status_of(eng: Engine, instance_id: int) -> str:
    with eng.session_factory() as s:
        return s.get(Instance, instance_id).status


# --- call activity cycles --------------------------------------------------------------------------------


def test_a_process_that_calls_itself_is_refused_at_deploy(eng: Engine) -> None:
    err = assert_invalid(eng, {"self.bpmn": calling("p_self", "p_self")}, "self.bpmn", "calls its own process")
    problem = problem_of(err, "p_self")
    assert problem.element_id == "call_p_self" and problem.line


def test_two_processes_calling_each_other_are_refused_at_deploy(eng: Engine) -> None:
    err = assert_invalid(eng, {"a.bpmn": calling("p_a", "p_b"), "b.bpmn": calling("p_b", "p_a")},
                         "p_a → p_b → p_a", "p_b → p_a → p_b")
    assert {(p.file, p.element_id) for p in err.problems} == {("a.bpmn", "call_p_b"), ("b.bpmn", "call_p_a")}


def test_a_cycle_through_a_process_deployed_earlier_is_refused(eng: Engine) -> None:
    deploy(eng, {"a.bpmn": plain("p_a")}, None)
    deploy(eng, {"b.bpmn": calling("p_b", "p_a")}, None)  # b calls the deployed a: no cycle yet
    # a new version of a that calls b, whose deployed version calls a: a -> b -> a
    err = assert_invalid(eng, {"a.bpmn": calling("p_a", "p_b")}, "a.bpmn", "p_a → p_b → p_a")
    assert [p.element_id for p in err.problems] == ["call_p_b"]


def test_a_chain_of_calls_without_a_cycle_deploys(eng: Engine) -> None:
    result = deploy(eng, {"a.bpmn": calling("p_a", "p_b"), "b.bpmn": calling("p_b", "p_c"), "c.bpmn": plain("p_c")},
                    None)
    assert [pid for pid, _ in result.processes] == ["p_a", "p_b", "p_c"]


# --- timers ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind, expression, fragment", [
    ("timeDuration", '"P99999999999Y"', "longer than the horizon of 10 years"),
    ("timeDuration", '"P" + "11" + "Y"', "'P11Y' is longer than the horizon"),
    ("timeDuration", '"P3660W"', "longer than the horizon"),
    ("timeDate", '"9999-12-31T00:00:00+07:00"', "more than 10 years ahead"),
    ("timeCycle", '"R3/P99999999999Y"', "longer than the horizon"),
    ("timeDuration", '"P14X"', "not a valid ISO 8601 duration"),
])
def test_a_timer_beyond_the_horizon_is_refused_at_deploy(eng: Engine, kind: str, expression: str,
                                                         fragment: str) -> None:
    err = assert_invalid(eng, {"t.bpmn": waiting(kind, expression)}, "t.bpmn", fragment)
    problem = problem_of(err, fragment.split("'")[-1])
    assert problem.element_id == "wait" and problem.line


def test_timers_within_the_horizon_and_computed_ones_deploy(eng: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    for kind, expression in (("timeDuration", '"P14D"'), ("timeDuration", '"P10Y"'), ("timeCycle", '"R/PT1H"'),
                             ("timeDate", '"2030-01-01T00:00:00+07:00"'), ("timeDuration", "durasi")):
        deploy(eng, {"t.bpmn": waiting(kind, expression)}, None)
    monkeypatch.setenv("SMK_TIMER_HORIZON_YEARS", "30")
    deploy(eng, {"t.bpmn": waiting("timeDuration", '"P20Y"')}, None)


@pytest.mark.parametrize("kind, value", [("timeDuration", "P999999Y"), ("timeCycle", "R2/P999999Y")])
def test_a_computed_huge_duration_fails_the_instance_at_once(eng: Engine, org: dict[str, int], kind: str,
                                                              value: str) -> None:
    # Before: SpiffWorkflow iterated month by month (12 million months here: seconds; P99999999999Y: hours).
    deploy(eng, {"t.bpmn": waiting(kind, "durasi", script=f"durasi = '{value}'")}, None)
    started = instances.start_instance(eng, "p_timer", org["admin"], org["budi"], "2024")
    begun = time.monotonic()
    with pytest.raises(ProcessError) as info:
        instances.complete_task(eng, org["budi"], started.ready_task_ids[0], {})
    assert time.monotonic() - begun < 2
    assert "longer than the horizon of 10 years (SMK_TIMER_HORIZON_YEARS)" in str(info.value)
    assert status_of(eng, started.id) == "error"


# --- steps per advance -----------------------------------------------------------------------------------


def looping(iterations: int) -> bytes:
    """A user task, then two script tasks looping ``iterations`` times, then another user task."""
    p = Process("p_loop", "Loop", lanes=["Pegawai"])
    p.start("s", lane="Pegawai", col=0)
    p.user("first", "First", lane="Pegawai", col=1)
    p.script("init", "Init", "n = 0", lane="Pegawai", col=2)
    p.script("inc", "Increment", "n = n + 1", lane="Pegawai", col=3)
    p.gateway("again", "Again?", lane="Pegawai", col=4, default="f_done")
    p.user("last", "Last", lane="Pegawai", col=5)
    p.end("e", lane="Pegawai", col=6)
    p.chain("s", "first", "init", "inc", "again")
    p.flow("again", "inc", condition=f"n < {iterations}", id="f_loop")
    p.flow("again", "last", id="f_done")
    p.chain("last", "e")
    return document(p).encode()


def test_the_steps_of_one_advance_are_bounded(eng: Engine, org: dict[str, int],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    assert current().max_steps_per_advance == 10_000
    deploy(eng, {"loop.bpmn": looping(100)}, None)  # about 200 steps
    first = instances.start_instance(eng, "p_loop", org["admin"], org["budi"], "2024")
    assert instances.complete_task(eng, org["budi"], first.ready_task_ids[0], {}).status == "running"
    monkeypatch.setenv("SMK_MAX_STEPS_PER_ADVANCE", "50")
    second = instances.start_instance(eng, "p_loop", org["admin"], org["budi"], "2025")
    with pytest.raises(ProcessError) as info:
        instances.complete_task(eng, org["budi"], second.ready_task_ids[0], {})
    assert "more than 50 steps" in str(info.value) and "SMK_MAX_STEPS_PER_ADVANCE" in str(info.value)
    assert status_of(eng, second.id) == "error"


# --- script results JSON cannot hold ---------------------------------------------------------------------


@pytest.mark.parametrize("script", ["d = {(1, 2): 'x'}", "n = int.from_bytes(b'\\xff' * 2000, 'big')"])
def test_a_script_result_json_cannot_hold_fails_the_instance(eng: Engine, org: dict[str, int], script: str) -> None:
    # Before: the save raised TypeError/ValueError past the error handling: every submit answered 500 and the
    # instance stayed "running". (The sandbox may now refuse such a value itself; either way the instance fails.)
    deploy(eng, {"p.bpmn": one_script_process(script)}, None)
    started = instances.start_instance(eng, "p_script", org["admin"], org["budi"], "2024")
    with pytest.raises(ProcessError):
        instances.complete_task(eng, org["budi"], started.ready_task_ids[0], {})
    assert status_of(eng, started.id) == "error"


@pytest.mark.parametrize("value", [{(1, 2): "x"}, 10**5000, {"k": object()}], ids=["tuple-key", "huge-int", "object"])
def test_saving_data_json_cannot_hold_is_a_step_failure(eng: Engine, org: dict[str, int], value: object) -> None:
    deploy(eng, {"p.bpmn": one_script_process("x = 1")}, None)
    started = instances.start_instance(eng, "p_script", org["admin"], org["budi"], "2024")
    with eng.session_factory() as s:
        instance = s.get(Instance, started.id)
        bundle = eng.specs.for_version(s, instance.process_version_id)
        workflow = eng.runtime.load(instance, bundle)
        workflow.get_task_from_id(UUID(started.ready_task_ids[0])).data["v"] = value
        with pytest.raises(StepFailure, match="cannot be stored as JSON"):
            eng.runtime.save(s, instance, workflow, bundle, eng.now())


# --- form schemas ----------------------------------------------------------------------------------------


def form_bundle(schema: dict | str) -> dict[str, bytes]:
    p = Process("p_form", "Form", lanes=["Pegawai"])
    p.start("s", lane="Pegawai", col=0)
    p.user("isi", "Isi", lane="Pegawai", col=1, form="f")
    p.end("e", lane="Pegawai", col=2)
    p.chain("s", "isi", "e")
    text = schema if isinstance(schema, str) else json.dumps(schema, indent=1)
    return {"f.bpmn": document(p).encode(), "f.schema.json": text.encode(), "f.uischema.json": b"{}"}


@pytest.mark.parametrize("ref", ["http://169.254.169.254/latest/meta-data", "file:///etc/passwd",
                                 "other.schema.json#/x"])
def test_a_form_referring_outside_itself_is_refused_at_deploy(eng: Engine, ref: str) -> None:
    schema = {"type": "object", "$defs": {"ok": {"type": "string"}},
              "properties": {"a": {"$ref": "#/$defs/ok"}, "x": {"$ref": ref}}}
    files = form_bundle(schema)
    err = assert_invalid(eng, files, "f.schema.json", "points outside the form")
    problem = problem_of(err, "outside")
    lines = files["f.schema.json"].decode().splitlines()
    assert problem.element_id == "/properties/x/$ref" and ref in lines[problem.line - 1]


def test_the_validator_never_reads_a_referenced_file(tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps({"type": "string", "maxLength": 1}))
    schema = {"type": "object", "properties": {"x": {"$ref": outside.as_uri()}}}
    # Before: the file was read and applied ("Too long"); a URL would have been fetched.
    with pytest.raises(FormInvalid) as info:
        validate_submission(schema, {"x": "long"})
    assert [e.path for e in info.value.errors] == [""]
    assert "refers to a schema outside itself" in str(info.value)


@pytest.mark.parametrize("schema, regex", [
    ({"type": "object", "properties": {"k": {"type": "string", "pattern": "^(a)\\1$"}}}, "^(a)\\1$"),
    ({"type": "object", "properties": {"k": {"type": "string", "pattern": "^(?=a)a$"}}}, "^(?=a)a$"),
    ({"type": "object", "patternProperties": {"^(?!x)": {"type": "string"}}}, "^(?!x)"),
    ({"type": "object", "propertyNames": {"pattern": "(b)\\1"}}, "(b)\\1"),
])
def test_a_regex_re2_cannot_compile_is_refused_at_deploy(eng: Engine, schema: dict, regex: str) -> None:
    err = assert_invalid(eng, form_bundle(schema), "f.schema.json", f"the regex '{regex}' is not supported by RE2")
    assert problem_of(err, "RE2").line


def test_a_pattern_is_matched_in_linear_time() -> None:
    schema = {"type": "object", "properties": {"k": {"type": "string", "pattern": "^(a+)+$"}}}
    begun = time.monotonic()
    with pytest.raises(FormInvalid) as info:
        validate_submission(schema, {"k": "a" * 28 + "!"})  # Python's re: 2^28 steps (many seconds)
    assert time.monotonic() - begun < 1
    assert [e.path for e in info.value.errors] == ["k"]
    assert validate_submission(schema, {"k": "a" * 10_000}) == {"k": "a" * 10_000}
    keyed = {"type": "object", "properties": {"m": {"type": "object", "patternProperties": {
        "^[0-9]+$": {"type": "integer"}}}}}
    with pytest.raises(FormInvalid):
        validate_submission(keyed, {"m": {"12": "x"}})


def test_rows_and_characters_have_default_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    schema = {"type": "object", "properties": {
        "rows": {"type": "array", "items": {"type": "object", "properties": {"t": {"type": "string"}}}},
        "text": {"type": "string"}, "short": {"type": "string", "maxLength": 5},
        "many": {"type": "array", "maxItems": 1000, "items": {"type": "integer"}}}}
    with pytest.raises(FormInvalid) as info:
        validate_submission(schema, {"rows": [{"t": "x"}] * 501, "text": "x" * 20_001, "many": [1] * 1000})
    assert {e.path: str(e.message) for e in info.value.errors} == {
        "rows": "At most 500 rows", "text": "Too long (at most 20000 characters)"}
    assert validate_submission(schema, {"rows": [{"t": "x" * 20_000}] * 500, "text": "x" * 20_000})
    monkeypatch.setenv("SMK_MAX_ROWS", "2")
    with pytest.raises(FormInvalid):
        validate_submission(schema, {"rows": [{"t": "x"}] * 3})
