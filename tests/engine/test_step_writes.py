"""A step's rows written with Core statements (engine.db.runtime.write_instance, close_tasks, insert_tasks): one
versioned UPDATE of the instance with whatever else was pending on it, the loaded objects left as if read with the
new values, the optimistic version kept."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from engine.core import Engine
from engine.db.runtime import Instance, TaskCandidate, TaskIndex
from engine.services import instances
from engine.services.deployments import deploy
from tests.statements import TRANSACTION_CONTROL, recorded
from tools.bpmn_builder import Process, document


def _process() -> bytes:
    p = Process("p_steps", "Steps", lanes=["Pegawai"])
    p.start("s", lane="Pegawai", col=0)
    p.user("first", "First", lane="Pegawai", col=1)
    p.user("second", "Second", lane="Pegawai", col=2, properties={"candidateUsers": "siti,eko"})
    p.end("e", lane="Pegawai", col=3)
    p.chain("s", "first", "second", "e")
    return document(p).encode()


def statements(eng: Engine) -> AbstractContextManager[list[str]]:
    """The statements ``eng`` runs while the block runs, transaction control left out."""
    return recorded(eng.db, TRANSACTION_CONTROL)


def _step(eng: Engine, s: Any, instance: Instance, task_id: str, user_id: int,
          before_save: Any = None) -> list[TaskIndex]:
    bundle = eng.specs.for_version(s, instance.process_version_id)
    workflow = eng.runtime.load(instance, bundle)
    task = workflow.get_task_from_id(UUID(task_id))
    eng.advance(s, instance, workflow, user_id, before=task.run)
    if before_save is not None:
        before_save()
    return eng.runtime.save(s, instance, workflow, bundle, eng.now(), completed=(task_id, user_id))


@pytest.fixture
def started(eng: Engine, org: dict[str, int]) -> instances.InstanceSummary:
    deploy(eng, {"steps.bpmn": _process()}, None)
    return instances.start_instance(eng, "p_steps", org["admin"], org["budi"], "2024")


def test_a_save_writes_the_instance_once_with_what_was_pending_on_it(eng: Engine, org: dict[str, int],
                                                                     started: instances.InstanceSummary) -> None:
    with eng.session_factory.begin() as s:
        instance = s.get(Instance, started.id)
        assert instance is not None
        version = instance.version

        def change() -> None:  # a change to the instance the ORM has not flushed yet when the save comes
            instance.error_message = "ditulis bersama langkah"

        with statements(eng) as seen:
            created = _step(eng, s, instance, started.ready_task_ids[0], org["budi"], change)
            s.flush()
        updates = [sql for sql in seen if sql.startswith("UPDATE instance")]
        assert len(updates) == 1 and "error_message" in updates[0]
        assert instance.version == version + 1 and not s.dirty
        assert [row.task_name for row in created] == ["second"]
        # Later reads of the new row in the transaction come from the identity map: no statement.
        with statements(eng) as seen:
            row = s.get(TaskIndex, created[0].id)
            assert row is created[0] and row.closed_at is None and row.outcome is None
        assert seen == []
        closed = s.get(TaskIndex, started.ready_task_ids[0])
        assert closed is not None and closed.outcome == "completed" and closed.completed_by_id == org["budi"]
        # An ORM change after the save flushes against the new version.
        instance.status = "suspended"
        s.flush()
        assert instance.version == version + 2
    with eng.session_factory() as s:
        stored = s.get(Instance, started.id)
        assert stored is not None
        assert (stored.version, stored.status, stored.error_message) == (version + 2, "suspended",
                                                                         "ditulis bersama langkah")
        rows = {r.task_name: r for r in s.scalars(select(TaskIndex).where(TaskIndex.instance_id == started.id))}
        assert rows["first"].closed_at is not None and rows["first"].outcome == "completed"
        assert rows["second"].closed_at is None and rows["second"].candidate_users == ",siti,eko,"
        assert {(c.kind, c.name) for c in s.scalars(select(TaskCandidate))} == {("user", "siti"), ("user", "eko")}


def test_a_save_over_a_version_another_transaction_moved_on_is_stale(eng: Engine, org: dict[str, int],
                                                                      started: instances.InstanceSummary) -> None:
    with eng.session_factory() as s:  # read the instance, as a request that is slower than the other
        instance = s.get(Instance, started.id)
        assert instance is not None
        bundle = eng.specs.for_version(s, instance.process_version_id)
        workflow = eng.runtime.load(instance, bundle)
        s.commit()  # end the read (SQLite: let the other writer in); the objects stay as they were read
        instances.complete_task(eng, org["budi"], started.ready_task_ids[0], {})
        eng.advance(s, instance, workflow, org["budi"], before=workflow.get_task_from_id(
            UUID(started.ready_task_ids[0])).run)
        with pytest.raises(StaleDataError):
            eng.runtime.save(s, instance, workflow, bundle, eng.now())
        s.rollback()
    with eng.session_factory() as s:
        names = sorted(r.task_name for r in s.scalars(select(TaskIndex).where(TaskIndex.instance_id == started.id)))
    assert names == ["first", "second"]  # the loser wrote nothing


def test_closing_a_task_with_candidates_removes_them(eng: Engine, org: dict[str, int],
                                                     started: instances.InstanceSummary) -> None:
    after = instances.complete_task(eng, org["budi"], started.ready_task_ids[0], {})
    with eng.session_factory() as s:
        assert len(s.scalars(select(TaskCandidate)).all()) == 2
    instances.complete_task(eng, org["siti"], after.ready_task_ids[0], {})
    with eng.session_factory() as s:
        assert s.scalars(select(TaskCandidate)).all() == []
        row = s.get(TaskIndex, after.ready_task_ids[0])
        assert row is not None and (row.outcome, row.completed_by_id) == ("completed", org["siti"])
