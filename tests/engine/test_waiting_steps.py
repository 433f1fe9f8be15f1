"""Waiting steps (``waitingStep``, ``TaskIndex.waiting``): a user task the model declares one only shows what the
process waits for. The index keeps the flag from the model; the inbox lists such steps apart under the work, and
neither the navigation's badge nor the inbox's counts take them for work due."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import func, select, text, update

from engine.access import actionable
from engine.core import Engine
from engine.db.migrate import alembic_config
from engine.db.notify import OVERDUE, Notification
from engine.db.runtime import TaskIndex
from engine.queries.inbox import inbox_view
from engine.runtime.runner import waiting_step
from engine.services import inbox, instances
from engine.services.deployments import deploy
from engine.services.notifications import notify_due
from processes.navigation import navigation_facts
from tools.bpmn_builder import Process, document

from .test_inbox_index import many_tasks, unbounded_task_scans
from .test_notifications import one_task_process


def waiting_process(value: str = "true") -> bytes:
    """One user task of the employee that the model declares a waiting step (``waitingStep`` = ``value``)."""
    p = Process("p_tunggu", "Tunggu atasan", lanes=["Pegawai"])
    p.start("s", lane="Pegawai", col=0)
    p.user("tunggu", "Menunggu RHK atasan", lane="Pegawai", col=1, properties={"waitingStep": value})
    p.end("e", lane="Pegawai", col=2)
    p.chain("s", "tunggu", "e")
    return document(p).encode()


@pytest.fixture
def work_and_wait(eng: Engine, org: dict[str, int]) -> tuple[str, str]:
    """Budi has one task to do (p_one) and one waiting step (p_tunggu); returns their ids."""
    deploy(eng, {"one.bpmn": one_task_process("Pegawai"), "tunggu.bpmn": waiting_process()}, None)
    work = instances.start_instance(eng, "p_one", org["admin"], org["budi"], "2024").ready_task_ids[0]
    wait = instances.start_instance(eng, "p_tunggu", org["admin"], org["budi"], "2024").ready_task_ids[0]
    return work, wait


def flags(eng: Engine) -> dict[str, bool]:
    with eng.session_factory() as s:
        return dict(s.execute(select(TaskIndex.task_name, TaskIndex.waiting)).all())


def test_the_index_keeps_the_flag_the_model_declares(eng: Engine, work_and_wait: tuple[str, str]) -> None:
    assert flags(eng) == {"isi": False, "tunggu": True}


@pytest.mark.parametrize(("value", "waiting"), [("true", True), (" True ", True), ("false", False), ("", False),
                                                ("ya", False), (None, False)])
def test_only_true_declares_a_waiting_step(value: str | None, waiting: bool) -> None:
    assert waiting_step({} if value is None else {"waitingStep": value}) is waiting


def test_the_inbox_lists_waiting_steps_apart_and_the_badge_leaves_them_out(
        eng: Engine, org: dict[str, int], work_and_wait: tuple[str, str]) -> None:
    work, wait = work_and_wait
    budi = org["budi"]
    assert [i.id for i in inbox.inbox(eng, budi).items] == [work]
    assert [i.id for i in inbox.inbox(eng, budi, waiting=True).items] == [wait]
    assert inbox.count(eng, budi) == 1
    assert navigation_facts(eng, budi).task_count == 1

    view = inbox_view(eng, budi)
    assert [i.id for i in view.page.items] == [work] and view.page.total == 1
    assert (view.facets.mine, view.facets.group, view.facets.waiting, view.open_tasks) == (1, 0, 1, 1)
    assert [i.id for i in view.waiting_steps.items] == [wait] and view.waiting_steps.total == 1
    assert dict(view.facets.processes) == {"p_one": "One task", "p_tunggu": "Tunggu atasan"}

    # The filters apply to both lists; the counts of the tabs stay the work's.
    view = inbox_view(eng, budi, process_id="p_tunggu")
    assert view.page.total == 0 and [i.id for i in view.waiting_steps.items] == [wait]
    assert view.waiting_steps.total == 1 and view.open_tasks == 1
    view = inbox_view(eng, budi, process_id="p_one")
    assert view.page.total == 1 and view.waiting_steps.total == 0 and view.waiting_steps.items == []

    # With the work done only the waiting step is left: nothing is due, the step is still shown.
    instances.complete_task(eng, budi, work, {})
    assert inbox.count(eng, budi) == 0 and navigation_facts(eng, budi).task_count == 0
    view = inbox_view(eng, budi)
    assert view.page.total == 0 and view.open_tasks == 0 and [i.id for i in view.waiting_steps.items] == [wait]


def unbounded(eng: Engine, statement: Any) -> set[str]:
    """``unbounded_task_scans`` without their filters: which reads of task_index, through which index, are not
    bounded by an index condition."""
    return {" ".join(scan.split()[:3]) for scan in unbounded_task_scans(eng, statement)}


def test_leaving_out_waiting_steps_keeps_the_inbox_on_its_indexes(
        demo_deployed: Engine, org: dict[str, int]) -> None:
    """The waiting flag is a filter on the rows the entitlement found by key: the badge's count reads task_index
    through no index it would not read without the flag (on the tests' small tables PostgreSQL may read the open
    tasks whole for Biro SDM's 80, with or without it), and the entitlement alone still reads no task row without
    an index condition."""
    eng = demo_deployed
    started = instances.start_instance(eng, "demo_penilaian", org["admin"], org["budi"], "2024")
    many_tasks(eng, started.id, sorted(org.values()))
    with eng.db.begin() as conn:  # some open tasks are waiting steps, as in a year of SMK cases
        conn.execute(update(TaskIndex).where(TaskIndex.closed_at.is_(None), TaskIndex.id.like("%3")).values(waiting=True))
        conn.exec_driver_sql("ANALYZE")
    for who in ("budi", "dewi", "indah"):
        with eng.session_factory() as s:
            mine = actionable(s, org[who])
            before = select(func.count(TaskIndex.id)).where(TaskIndex.closed_at.is_(None), mine)
            for flag in (inbox.not_waiting(), inbox.is_waiting()):
                assert unbounded(eng, before.where(flag)) <= unbounded(eng, before), who
                assert unbounded_task_scans(eng, select(TaskIndex.id).where(mine, flag)) == [], who


def test_the_migration_adds_the_column_not_waiting_for_every_row(eng: Engine, org: dict[str, int],
                                                                 work_and_wait: tuple[str, str]) -> None:
    work, wait = work_and_wait
    command.downgrade(alembic_config(eng.db), "0017")
    with eng.db.connect() as conn:
        columns = {r[0] for r in conn.execute(text(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'task_index' "
            "AND table_schema = current_schema()" if conn.dialect.name == "postgresql"
            else "SELECT name FROM pragma_table_info('task_index')"))}
    assert "waiting" not in columns and "closed_at" in columns
    command.upgrade(alembic_config(eng.db), "head")
    # Rows from before the revision are no waiting steps (their models declared none); a row written without the
    # column (an INSERT naming the columns it knows, as smk bench inbox does) is none either.
    with eng.db.begin() as conn:
        conn.execute(text(
            "INSERT INTO task_index (id, instance_id, process_id, task_name, title, lane, subject_id, "
            "candidate_users, candidate_groups, period, ready_at) SELECT 'later', instance_id, process_id, "
            "task_name, title, lane, subject_id, '', '', period, ready_at FROM task_index WHERE id = :id"),
            {"id": work})
        rows = dict(conn.execute(text("SELECT id, waiting FROM task_index")).all())
    assert {k: bool(v) for k, v in rows.items()} == {work: False, wait: False, "later": False}
    # The index of open tasks still answers the inbox: the two old rows are work now (their models are the same).
    assert {i.id for i in inbox.inbox(eng, org["budi"]).items} == {work, wait, "later"}


def test_nobody_is_told_of_a_waiting_step_nor_reminded_of_its_date(eng: Engine, org: dict[str, int],
                                                                    work_and_wait: tuple[str, str]) -> None:
    # "Tugas baru: Menunggu keputusan kurva unit" with "Buka tugas" called people to something they cannot do.
    work, wait = work_and_wait
    with eng.session_factory() as s:
        told = s.execute(select(Notification.task_id, Notification.kind).where(Notification.user_id == org["budi"])
                         ).all()
    assert [task for task, _ in told] == [work]
    with eng.session_factory.begin() as s:
        s.execute(update(TaskIndex).values(due_at=eng.now()))  # both due now
    notify_due(eng, eng.now() + timedelta(hours=1))
    with eng.session_factory() as s:
        reminded = s.scalars(select(Notification.task_id).where(Notification.kind == OVERDUE)).all()
    assert reminded == [work]
