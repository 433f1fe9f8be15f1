"""The task data limits checked on the JSON text a save writes anyway: the text decides when it is small and
shallow, the data are walked (naming the task) otherwise; the answers are the walk's."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine.core import Engine
from engine.db.runtime import Instance
from engine.deploy.bundles import parse_bundle
from engine.runtime.runner import (
    _ESTIMATE_PER_CHAR,
    StepFailure,
    TaskDataLimits,
    _data_size,
    _DataTooLarge,
    check_stored_data,
    check_task_data,
    json_nesting,
)
from engine.runtime.serializer import StateSerializer
from engine.sandbox import make_script_engine
from engine.services import instances
from engine.services.deployments import deploy
from processes.extension import extensions
from tools.bpmn_builder import Process, document

from .helpers import demo_files

SERIALIZER = StateSerializer()
UNLIMITED = TaskDataLimits(max_bytes=10**12, max_depth=10**6)


def _text(value: Any) -> str:
    """``value`` as a stored state writes it (the serializer's conversions, then its JSON)."""
    return json.dumps(SERIALIZER._serializer.registry.convert(value))


def _nesting(value: Any) -> int:
    """Container levels of ``value`` as the walk counts them (a dict or list is 1)."""
    if isinstance(value, dict):
        return 1 + max((_nesting(v) for v in value.values()), default=0)
    if isinstance(value, list | tuple | set | frozenset):
        return 1 + max((_nesting(v) for v in value), default=0)
    return 0


plain = st.none() | st.booleans() | st.integers(-10**30, 10**30) | st.floats(allow_nan=False) | st.text(max_size=8)
# With the values the serializer writes as {"typename": ..., ...} (one level or two more in the text).
scalars = plain | st.decimals(allow_nan=False, allow_infinity=False, places=2) | st.dates() | st.sets(
    st.integers(-100, 100), max_size=3)


def _containers(leaves: Any) -> Any:
    return st.recursive(leaves, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.text(max_size=4), inner, max_size=4), max_leaves=40)


values, plain_values = _containers(scalars), _containers(plain)


@settings(max_examples=300, deadline=None)
@given(values)
def test_the_size_estimate_is_within_its_bound_of_the_text(value: Any) -> None:
    # What lets a small state pass without the walk: no value is estimated above this many bytes per character.
    assert _data_size(value, UNLIMITED) <= _ESTIMATE_PER_CHAR * len(_text(value))


@settings(max_examples=300, deadline=None)
@given(values)
def test_the_text_nests_at_least_as_deep_as_the_data(value: Any) -> None:
    assert json_nesting(_text(value), 10**6) >= _nesting(value)


@settings(max_examples=300, deadline=None)
@given(plain_values)
def test_json_nesting_counts_the_containers_only(value: Any) -> None:
    # Escapes, and brackets inside strings, count for nothing.
    assert json_nesting(json.dumps(value), 10**6) == _nesting(value)


@pytest.mark.parametrize(("text", "depth"), [
    ("{}", 1), ("[]", 1), ('"[[{"', 0), ('{"a": "[[[{{"}', 1), ('{"a": [[1]]}', 3),
    ('{"k\\"[": ["\\\\", "\\"]", "\\u00e9[", "\\n{"]}', 2), ('{"a": "[", "b": "", "c": ["\\\\"]}', 2),
])
def test_json_nesting_ignores_strings_and_escapes(text: str, depth: int) -> None:
    assert json_nesting(text, 50) == depth


def test_json_nesting_stops_counting_past_the_limit() -> None:
    assert json_nesting("[" * 500 + "]" * 500, 10) == 11


def _workflow_with(value: Any) -> BpmnWorkflow:
    """The demo process after its first task was completed with ``value`` in the data."""
    info = parse_bundle(demo_files()).processes["demo_penilaian"]
    wf = BpmnWorkflow(info.spec, info.subprocess_specs, script_engine=make_script_engine())
    wf.do_engine_steps()
    task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
    task.set_data(kegiatan=[{"nama": "a", "target": 10, "realisasi": 8}], hasil_kerja="Sesuai Ekspektasi",
                  extra=value)
    task.run()
    wf.do_engine_steps()
    return wf


def _outcome(check: Any, *args: Any) -> str | None:
    try:
        check(*args)
    except StepFailure as failure:
        return failure.message
    return None


@settings(max_examples=60, deadline=None)
@given(values, st.integers(1, 12), st.integers(2_000, 60_000))
def test_the_text_check_answers_as_the_walk(value: Any, depth: int, size: int) -> None:
    wf = _workflow_with(value)
    text = SERIALIZER.dump_text(wf)
    limits = TaskDataLimits(max_bytes=size, max_depth=depth)
    assert _outcome(check_stored_data, wf, text, 0.0, limits) == _outcome(check_task_data, wf, 0.0, limits)


def test_a_small_shallow_state_passes_without_walking_its_data(monkeypatch: pytest.MonkeyPatch) -> None:
    wf = _workflow_with({"a": [1, 2, 3]})
    text = SERIALIZER.dump_text(wf)

    def walked(*_: Any) -> None:
        raise AssertionError("walked")

    monkeypatch.setattr("engine.runtime.runner.check_task_data", walked)
    check_stored_data(wf, text, 0.0, TaskDataLimits())
    with pytest.raises(AssertionError, match="walked"):  # past the bound the walk decides
        check_stored_data(wf, text, 0.0, TaskDataLimits(max_bytes=len(text)))


def _nested(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


def two_steps() -> bytes:
    p = Process("p_two", "Two steps", lanes=["Pegawai"])
    p.start("s", lane="Pegawai", col=0)
    p.user("first", "First", lane="Pegawai", col=1)
    p.user("second", "Second", lane="Pegawai", col=2)
    p.end("e", lane="Pegawai", col=3)
    p.chain("s", "first", "second", "e")
    return document(p).encode()


def _step_with(eng: Engine, org: dict[str, int], value: Any) -> StepFailure | None:
    """Complete the first task of a new instance with ``value`` in its data, through advance and save."""
    deploy(eng, {"two.bpmn": two_steps()}, None)
    started = instances.start_instance(eng, "p_two", org["admin"], org["budi"], "2024")
    try:
        with eng.session_factory.begin() as s:
            instance = s.get(Instance, started.id)
            assert instance is not None
            bundle = eng.specs.for_version(s, instance.process_version_id)
            workflow = eng.runtime.load(instance, bundle)
            task = workflow.get_task_from_id(UUID(started.ready_task_ids[0]))

            def run() -> None:
                task.set_data(v=value)
                task.run()

            eng.advance(s, instance, workflow, org["budi"], before=run)
            eng.runtime.save(s, instance, workflow, bundle, eng.now())
    except StepFailure as failure:
        return failure
    return None


@pytest.mark.parametrize("levels", [98, 99])
def test_data_within_the_depth_limit_is_stored(eng: Engine, org: dict[str, int], levels: int) -> None:
    # The data dict is one level, the value under it 98 or 99 more: within SMK_TASK_DATA_MAX_DEPTH (100).
    assert _step_with(eng, org, _nested(levels)) is None


def test_data_one_level_too_deep_fails_the_step(eng: Engine, org: dict[str, int]) -> None:
    failure = _step_with(eng, org, _nested(100))
    assert failure is not None and "nested deeper than 100 levels" in failure.message
    assert "SMK_TASK_DATA_MAX_DEPTH" in failure.message and failure.task == "First"


def test_data_too_deep_for_json_names_the_depth_limit(eng: Engine, org: dict[str, int]) -> None:
    # So deep that writing the JSON fails first (RecursionError): the message is still the depth limit's.
    failure = _step_with(eng, org, _nested(5_000))
    assert failure is not None and "nested deeper than 100 levels" in failure.message


def test_a_step_under_the_size_limit_but_past_the_texts_bound_is_walked_and_stored(
        db_url: str, clock: Any, org: dict[str, int]) -> None:
    eng = Engine(db_url, extensions=extensions(), clock=clock, data_limits=TaskDataLimits(max_bytes=60_000))
    try:
        assert _step_with(eng, org, "x" * 20_000) is None  # 9 x the text is past 60,000: the walk says yes
        failure = _step_with(eng, org, "x" * 70_000)
        assert failure is not None and "larger than 60,000 bytes" in failure.message
    finally:
        eng.dispose()


def test_only_tasks_changed_since_the_last_save_are_walked(eng: Engine, org: dict[str, int]) -> None:
    # A limit lowered after data were stored fails only the steps that change data past it, not every later one.
    assert _step_with(eng, org, "x" * 5_000) is None
    with eng.session_factory() as s:
        instance = s.scalars(select(Instance).where(Instance.process_id == "p_two")).first()
        assert instance is not None
        bundle = eng.specs.for_version(s, instance.process_version_id)
        workflow = eng.runtime.load(instance, bundle)
    text = SERIALIZER.dump_text(workflow)
    strict = TaskDataLimits(max_bytes=1_000)
    with pytest.raises(StepFailure):
        check_task_data(workflow, 0.0, strict)
    future = max(t.last_state_change for t in workflow.tasks.values()) + 1
    check_stored_data(workflow, text, future, strict)


def test_data_too_large_stops_the_size_walk_early() -> None:
    with pytest.raises(_DataTooLarge):
        _data_size(["x" * 100] * 10**6, TaskDataLimits(max_bytes=10_000))
