"""Flat cost in an instance's history (engine/runtime/compaction.py): a user task repeated 200 times in one
instance keeps a bounded stored state, finishes correctly, marks the same completed elements on the diagram as
an uncompacted instance, and a compacted instance can still be migrated and retried."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from engine.core import Engine
from engine.db.runtime import Instance, TaskIndex
from engine.errors import ProcessError
from engine.queries.instance import instance_detail
from engine.runtime import compaction
from engine.services import admin_ops, instances, migration
from engine.services.deployments import deploy
from tools.bpmn_builder import Process, document


def loop_model(limit: int, last_name: str = "Akhir", fail_at: int = 0) -> bytes:
    """start -> init -> [cek (user) -> hitung (script) -> again?] x limit -> akhir (user) -> end; iteration
    ``fail_at`` divides by zero unless the data holds a true ``fix``."""
    p = Process("p_loop200", "Loop", lanes=["Pegawai"])
    p.start("s", lane="Pegawai", col=0)
    p.script("init", "Init", f"n = 0\nfix = 0\nbatas = {limit}", lane="Pegawai", col=1)
    p.user("cek", "Cek", lane="Pegawai", col=2)
    p.script("hitung", "Hitung", f"n = n + 1\nr = 1 / (1 if fix or n != {fail_at} else 0)", lane="Pegawai", col=3)
    p.gateway("again", "Lagi?", lane="Pegawai", col=4, default="f_done")
    p.user("akhir", last_name, lane="Pegawai", col=5)
    p.end("e", lane="Pegawai", col=6)
    p.chain("s", "init", "cek", "hitung", "again")
    p.flow("again", "cek", condition="n < batas", id="f_loop")
    p.flow("again", "akhir", id="f_done")
    p.chain("akhir", "e")
    return document(p).encode()


def _state(eng: Engine, instance_id: int) -> dict:
    with eng.session_factory() as s:
        state = s.get(Instance, instance_id).state  # type: ignore[union-attr]
    return json.loads(state) if isinstance(state, str) else state


def _run(eng: Engine, org: dict[str, int], iterations: int) -> tuple[int, list[int]]:
    """Start an instance; complete ``iterations`` of its user tasks; return the id and the stored state's size
    (bytes) after each completion."""
    started = instances.start_instance(eng, "p_loop200", org["admin"], org["budi"], "2024")
    task_id = started.ready_task_ids[0]
    sizes = []
    for _ in range(iterations):
        after = instances.complete_task(eng, org["budi"], task_id, {})
        sizes.append(len(json.dumps(_state(eng, started.id))))
        if after.ready_task_ids:
            task_id = after.ready_task_ids[0]
    return started.id, sizes


def test_200_iterations_finish_with_a_bounded_state(eng: Engine, org: dict[str, int]) -> None:
    deploy(eng, {"loop.bpmn": loop_model(200)}, None)
    instance_id, sizes = _run(eng, org, 200)
    state = _state(eng, instance_id)
    # Without compaction the state grows by some 1.5 KB per iteration (316 KB at 200, and the task iterator's depth
    # limit stops such a loop silently at about 250); with it the state stays within one compaction step.
    assert max(sizes[100:]) <= max(sizes[:60]) * 1.1
    assert len(state["tasks"]) < 80 and state[compaction.HISTORY]["dropped"] > 500
    with eng.session_factory() as s:
        (task_id,) = s.scalars(select(TaskIndex.id).where(TaskIndex.instance_id == instance_id,
                                                          TaskIndex.closed_at.is_(None)))
    task = instances.get_task(eng, org["budi"], task_id)
    assert task.title == "Akhir" and task.data["n"] == 200 and task.data["batas"] == 200
    done = instances.complete_task(eng, org["budi"], task_id, {})
    assert done.status == "completed"
    assert _state(eng, instance_id)["data"]["n"] == 200


def test_the_diagram_marks_the_same_completed_elements(eng: Engine, org: dict[str, int],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    deploy(eng, {"loop.bpmn": loop_model(200)}, None)
    compacted, _ = _run(eng, org, 60)
    monkeypatch.setattr(compaction, "MIN_DROP", 10**9)
    whole, _ = _run(eng, org, 60)
    assert compaction.HISTORY in _state(eng, compacted) and compaction.HISTORY not in _state(eng, whole)
    assert len(_state(eng, compacted)["tasks"]) * 3 < len(_state(eng, whole)["tasks"])
    a, b = instance_detail(eng, org["admin"], compacted), instance_detail(eng, org["admin"], whole)
    assert a.completed == b.completed == ["again", "hitung", "init", "s"]  # cek is open again
    assert (a.active, a.doing, a.data) == (b.active, b.doing, b.data)


def test_a_compacted_instance_can_be_migrated_and_finishes(eng: Engine, org: dict[str, int]) -> None:
    deploy(eng, {"loop.bpmn": loop_model(200)}, None, name="loop")
    instance_id, _ = _run(eng, org, 80)
    assert compaction.HISTORY in _state(eng, instance_id)
    deploy(eng, {"loop.bpmn": loop_model(200, last_name="Akhir (v2)")}, None, name="loop")
    plan = migration.plan(eng, "p_loop200", 2, org["admin"])
    assert plan.movable == [instance_id] and plan.blocked == []
    result = migration.migrate_all(eng, "p_loop200", 2, org["admin"])
    assert result.moved == [instance_id] and not result.failed
    with eng.session_factory() as s:
        (task_id,) = s.scalars(select(TaskIndex.id).where(TaskIndex.instance_id == instance_id,
                                                          TaskIndex.closed_at.is_(None)))
    for _ in range(120):
        after = instances.complete_task(eng, org["budi"], task_id, {})
        task_id = after.ready_task_ids[0]
    assert instances.get_task(eng, org["budi"], task_id).title == "Akhir (v2)"
    assert instances.complete_task(eng, org["budi"], task_id, {}).status == "completed"


def test_a_compacted_instance_that_fails_can_be_retried(eng: Engine, org: dict[str, int]) -> None:
    deploy(eng, {"loop.bpmn": loop_model(200, fail_at=75)}, None)
    instance_id, _ = _run(eng, org, 74)
    assert compaction.HISTORY in _state(eng, instance_id)
    with eng.session_factory() as s:
        (task_id,) = s.scalars(select(TaskIndex.id).where(TaskIndex.instance_id == instance_id,
                                                          TaskIndex.closed_at.is_(None)))
    with pytest.raises(ProcessError):
        instances.complete_task(eng, org["budi"], task_id, {})  # iteration 75 divides by zero
    with eng.session_factory() as s:
        assert s.get(Instance, instance_id).status == "error"  # type: ignore[union-attr]
    assert admin_ops.retry(eng, org["admin"], instance_id, {"fix": 1}).status == "running"
    for _ in range(126):
        after = instances.complete_task(eng, org["budi"], task_id, {})
        task_id = after.ready_task_ids[0]
    assert instances.get_task(eng, org["budi"], task_id).data["n"] == 200
    assert instances.complete_task(eng, org["budi"], task_id, {}).status == "completed"


def test_a_changed_step_that_was_compacted_away_still_blocks_a_migration(eng: Engine, org: dict[str, int]) -> None:
    deploy(eng, {"loop.bpmn": loop_model(200)}, None, name="loop")
    instance_id, _ = _run(eng, org, 60)
    tasks = _state(eng, instance_id)["tasks"].values()
    assert "init" not in {t["task_spec"] for t in tasks}  # only the compacted history knows it ran
    deploy(eng, {"loop.bpmn": loop_model(300)}, None, name="loop")  # the init script sets another limit
    plan = migration.plan(eng, "p_loop200", None, org["admin"])
    assert plan.movable == [] and [b.instance_id for b in plan.blocked] == [instance_id]
    assert [str(r) for r in plan.blocked[0].reasons] == ["step 'Init' (init) is completed and was changed"]
