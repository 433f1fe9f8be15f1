"""Inboxes from indexes (issue 15): candidates in task_candidate, partial indexes on open tasks, inbox items
without the workflow state, one deferred (lock-free) transaction for reading on SQLite."""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

import pytest
from sqlalchemy import and_, event, or_, select, text
from sqlalchemy.engine import make_url

from engine.access import actionable, actionable_branches, subordinates_of, subordinates_of_many
from engine.core import Engine
from engine.db.migrate import alembic_config
from engine.db.org import Position, User
from engine.db.runtime import TaskCandidate, TaskIndex
from engine.services import acting, admin_ops, inbox, instances
from engine.services.deployments import deploy
from tests.statements import recorded

from .test_notifications import one_task_process

CAPAIAN = {"ringkasan": "Laporan", "tanggal": "2024-01-31", "hasil_kerja": "Sesuai Ekspektasi",
           "kegiatan": [{"nama": "Rapat", "target": 4, "realisasi": 4}]}


def candidates(eng: Engine) -> set[tuple[str, str, str]]:
    with eng.session_factory() as s:
        return {(r.task_id, r.kind, r.name) for r in s.scalars(select(TaskCandidate))}


def inbox_ids(eng: Engine, user_id: int) -> set[str]:
    return {item.id for item in inbox.inbox(eng, user_id, per_page=100).items}


def test_named_candidates_are_rows_while_the_task_is_open(eng: Engine, org: dict[str, int]) -> None:
    deploy(eng, {"one.bpmn": one_task_process("Pegawai", {"candidateUsers": "siti, eko,siti",
                                                           "candidateGroups": "PPK"})}, None)
    started = instances.start_instance(eng, "p_one", org["admin"], org["budi"], "2024")
    task = started.ready_task_ids[0]
    assert candidates(eng) == {(task, "user", "siti"), (task, "user", "eko"), (task, "group", "PPK")}
    with eng.session_factory() as s:
        ppk = {u for u, in s.execute(text("SELECT u.username FROM user_account u JOIN group_member m ON "
                                          "m.user_id = u.id JOIN user_group g ON g.id = m.group_id "
                                          "WHERE g.name = 'PPK'"))}
    assert ppk, "the demo has members of PPK"
    for username in ("budi", "siti", "eko", *ppk):
        assert task in inbox_ids(eng, org[username]), username
    for username in ("dewi", "agus", "admin"):
        assert task not in inbox_ids(eng, org[username]), username
    instances.claim_task(eng, org["siti"], task)  # a task with candidate groups is claimed first
    assert candidates(eng) == {(task, "user", "siti"), (task, "user", "eko"), (task, "group", "PPK")}
    instances.complete_task(eng, org["siti"], task, {})
    assert candidates(eng) == set()  # closed: nothing left for an inbox to find
    assert inbox_ids(eng, org["siti"]) == set()


def test_a_changed_candidate_list_is_rewritten(eng: Engine, org: dict[str, int]) -> None:
    deploy(eng, {"one.bpmn": one_task_process("Pegawai", {"candidateUsers": "siti"})}, None)
    task = instances.start_instance(eng, "p_one", org["admin"], org["budi"], "2024").ready_task_ids[0]
    with eng.session_factory.begin() as s:
        s.get(TaskIndex, task).candidate_users = ",eko,"
    assert candidates(eng) == {(task, "user", "eko")}
    assert task in inbox_ids(eng, org["eko"]) and task not in inbox_ids(eng, org["siti"])
    with eng.session_factory.begin() as s:
        s.get(TaskIndex, task).candidate_users = ""
    assert candidates(eng) == set()


def test_the_migration_fills_the_table_from_the_open_tasks(eng: Engine, org: dict[str, int]) -> None:
    from alembic import command

    deploy(eng, {"one.bpmn": one_task_process("Pegawai", {"candidateUsers": "siti,eko",
                                                           "candidateGroups": "PPK"})}, None)
    open_task = instances.start_instance(eng, "p_one", org["admin"], org["budi"], "2024").ready_task_ids[0]
    done = instances.start_instance(eng, "p_one", org["admin"], org["joko"], "2024").ready_task_ids[0]
    instances.claim_task(eng, org["eko"], done)
    instances.complete_task(eng, org["eko"], done, {})
    before = candidates(eng)
    assert {t for t, _, _ in before} == {open_task}
    command.downgrade(alembic_config(eng.db), "0011")
    with eng.db.connect() as conn:
        assert "task_candidate" not in {r[0] for r in conn.execute(text(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
            if conn.dialect.name == "postgresql" else "SELECT name FROM sqlite_master WHERE type = 'table'"))}
    command.upgrade(alembic_config(eng.db), "head")
    assert candidates(eng) == before


def _plan(eng: Engine, statement: Any) -> str:
    """The query plan of ``statement``; on PostgreSQL with sequential scans priced out, so that a plan still
    showing one proves that no index could answer (the tables of a test are too small to choose for size)."""
    with eng.db.connect() as conn:
        compiled = statement.compile(conn, compile_kwargs={"literal_binds": True})
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")
            return "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {compiled}"))
        return "\n".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))


def unbounded_task_scans(eng: Engine, statement: Any) -> list[str]:
    """The plan's reads of task_index that are not bounded by an index condition: a sequential scan, or an
    index read from end to end with everything in a filter (how the old LIKE query ran once the partial
    indexes existed: every open task read), or by nothing but "closed_at IS NULL" (every open task, again).
    Empty when each read looks up its rows by key."""
    with eng.db.connect() as conn:
        compiled = str(statement.compile(conn, compile_kwargs={"literal_binds": True}))
        if conn.dialect.name == "sqlite":
            plan = [str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")]
            return [line for line in plan if "task_index" in line and
                    (line.startswith("SCAN") or "(closed_at=?)" in line)]
        conn.exec_driver_sql("SET enable_seqscan = off")
        root = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}").scalar_one()[0]["Plan"]
        found, stack = [], [root]
        while stack:
            node = stack.pop()
            stack.extend(node.get("Plans", []))
            cond = (node.get("Index Cond") or node.get("Recheck Cond") or "").replace("(", "").replace(")", "")
            if node.get("Relation Name") == "task_index" and cond in ("", "closed_at IS NULL"):
                found.append(f"{node['Node Type']} {node.get('Index Name', '')} {node.get('Filter', '')}")
        return found


def many_tasks(eng: Engine, instance_id: int, subjects: list[int], rows_: int = 12000) -> None:
    """Add index rows (open and closed, spread over lanes and subjects, some with candidates) and let the
    database measure them (ANALYZE): a query plan chosen on the handful of rows of a test says nothing. As in
    a real organisation, most tasks are personal (one employee's, or their assessor's), 1 in 25 a group's, and
    each employee has few (here 1 in 20 rows belongs to one of the demo's people, the rest to nobody)."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import insert

    lanes = ["Pegawai", "Pejabat Penilai", "Atasan Pejabat Penilai"] * 16 + ["Biro SDM", "Tim Penilai Kinerja"]
    now = datetime(2024, 1, 2, tzinfo=UTC)
    rows, named = [], []
    for i in range(rows_):
        closed = i % 3 != 0  # one in three open, stored among the closed ones as in a real table
        rows.append({"id": f"00000000-0000-4000-8000-{i:012d}", "instance_id": instance_id, "process_id": "p",
                     "task_name": "t", "title": "T", "lane": lanes[i % len(lanes)], "subject_id": subjects[i % len(subjects)] if i % 20 == 0 else None,
                     "assignee_id": None, "candidate_users": "", "candidate_groups": "", "period": "2024",
                     "form": None, "ready_at": now, "due_at": now + timedelta(days=i % 30),
                     "closed_at": now if closed else None, "outcome": "completed" if closed else None})
        if not closed and i % 50 == 0:
            named.append({"task_id": rows[-1]["id"], "kind": "user", "name": f"user{i}"})
    with eng.db.begin() as conn:
        conn.execute(insert(TaskIndex), rows)
        conn.execute(insert(TaskCandidate), named)
        conn.exec_driver_sql("ANALYZE")


@pytest.mark.parametrize("who", ["budi", "dewi", "agus", "indah", "siti", "hartono"])
def test_the_inbox_query_reads_indexes_not_the_task_table(demo_deployed: Engine, org: dict[str, int],
                                                           who: str) -> None:
    eng = demo_deployed
    for username in ("budi", "joko", "eko"):
        started = instances.start_instance(eng, "demo_penilaian", org["admin"], org[username], "2024")
        instances.complete_task(eng, org[username], started.ready_task_ids[0], CAPAIAN)
    many_tasks(eng, started.id, sorted(org.values()))
    with eng.session_factory() as s:
        statement = select(TaskIndex.id).where(actionable(s, org[who]))  # (open tasks only: see actionable)
        branches = actionable_branches(s, org[who])
        old = select(TaskIndex.id).where(TaskIndex.closed_at.is_(None), or_(
            TaskIndex.assignee_id == org[who], and_(TaskIndex.assignee_id.is_(None), or_(
                TaskIndex.subject_id == org[who], TaskIndex.candidate_users.contains(f",{who},")))))
    print(_plan(eng, statement))
    assert unbounded_task_scans(eng, statement) == []
    # And each way of being entitled on its own is looked up by key (smk bench inbox shows the plans at
    # 100,000 open and 1,000,000 closed tasks).
    assert len(branches) >= 3
    for branch in branches:
        assert unbounded_task_scans(eng, branch) == [], branch
    assert unbounded_task_scans(eng, old) != []  # the check sees what the LIKE of the old query did


def test_the_admin_list_is_read_in_index_order(eng: Engine, org: dict[str, int]) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import insert

    from engine.db.runtime import Instance

    deploy(eng, {"one.bpmn": one_task_process()}, None)
    first = instances.start_instance(eng, "p_one", org["admin"], org["budi"], "2024")
    with eng.session_factory() as s:
        version = s.get(Instance, first.id).process_version_id  # type: ignore[union-attr]
    at = datetime(2024, 1, 1, tzinfo=UTC)
    with eng.db.begin() as conn:  # enough instances for the planner to prefer an index to a sort
        conn.execute(insert(Instance), [
            {"process_version_id": version, "process_id": "p_one", "subject_id": org["budi"], "period": "2024",
             "business_key": f"b{i}", "status": "running", "state": {}, "started_at": at,
             "updated_at": at + timedelta(minutes=i), "version": 1, "waiting_messages": ""} for i in range(3000)])
        conn.exec_driver_sql("ANALYZE")
    statement = select(Instance.id).order_by(Instance.updated_at.desc(), Instance.id.desc()).limit(20)
    plan = _plan(eng, statement)
    assert "ix_instance_updated_at_id" in plan and "TEMP B-TREE" not in plan and "Sort" not in plan, plan


def test_grouped_subordinates_are_the_union_of_each_ones(demo_deployed: Engine, org: dict[str, int]) -> None:
    """subordinates_of_many (the inbox's second level, four queries) agrees with subordinates_of per person,
    with an acting official, an override, a vacancy and an inactive employee in the organisation."""
    from engine.services import org as org_service

    eng = demo_deployed
    with eng.session_factory() as s:
        dewi_position = s.scalar(select(Position.id).where(Position.code == "BRP-1-1-01"))
    acting.name_acting(eng, org["indah"], dewi_position, org["agus"], "Plt", date(2024, 1, 1), date(2024, 1, 31))
    org_service.set_assessor_override(eng, org["eko"], org["hendra"])
    org_service.move_employee(eng, org["indah"], None)
    with eng.session_factory.begin() as s:
        s.get(User, org["rudi"]).active = False
    with eng.session_factory() as s:
        everyone = sorted(org.values())
        for group in [everyone, everyone[:7], [org["agus"], org["dewi"]], [org["hendra"]], [org["rudi"]], []]:
            expected = sorted({i for uid in group for i in subordinates_of(s, uid)})
            assert subordinates_of_many(s, group) == expected, group


def test_an_inbox_page_costs_the_same_statements_for_one_item_or_many(demo_deployed: Engine,
                                                                      org: dict[str, int]) -> None:
    eng = demo_deployed
    deploy(eng, {"one.bpmn": one_task_process("Biro SDM")}, None)
    instances.start_instance(eng, "p_one", org["admin"], org["budi"], "2024")
    with recorded(eng.db) as seen:
        one = inbox.inbox(eng, org["indah"])
    first = seen
    for username in ("joko", "eko", "siti", "wahyu", "dewi", "agus", "ratna"):
        instances.start_instance(eng, "p_one", org["admin"], org[username], "2024")
    with recorded(eng.db) as seen:
        many = inbox.inbox(eng, org["indah"])
    print(f"inbox page: {len(first)} statements for 1 item, {len(seen)} for {len(many.items)}")
    assert len(one.items) == 1 and len(many.items) == 8
    assert len(seen) == len(first)
    assert not any("state" in s.split("FROM")[0] for s in seen if "instance" in s)  # never the workflow state


def test_reading_does_not_take_the_sqlite_write_lock(eng: Engine, org: dict[str, int]) -> None:
    if eng.db.dialect.name != "sqlite":
        pytest.skip("SQLite's locking")
    path = make_url(eng.database_url).database
    holder = sqlite3.connect(path, timeout=0, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        started = []
        event.listen(eng.db, "begin", lambda conn: started.append(conn.get_execution_options().get("smk_writes")))
        assert inbox.count(eng, org["budi"]) == 0  # read while the lock is held: no wait, no error
        assert admin_ops.list_instances(eng, org["admin"]).total == 0
        with eng.db.execution_options(smk_writes=True).connect() as conn:
            driver = conn.connection.driver_connection
            driver.execute("PRAGMA busy_timeout = 50")
            with pytest.raises(Exception, match="locked"):
                conn.begin()  # a writer waits for the lock (and here gives up after 50 ms)
            driver.execute("PRAGMA busy_timeout = 30000")
        assert started[:2] == [None, None]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with eng.session_factory.begin() as s:  # and writing works again once the lock is free
        s.get(User, org["budi"]).full_name = "Budi S."


def test_filters_sorts_and_pages_agree_with_the_whole_list(eng: Engine, org: dict[str, int]) -> None:
    """The page is cut from the sorted task rows before names are joined: every filter, order and page gives
    the rows that filtering and sorting the whole list would."""
    deploy(eng, {"one.bpmn": one_task_process("Biro SDM")}, None)
    for username in ("budi", "joko", "eko", "siti", "wahyu", "dewi", "agus", "ratna"):
        instances.start_instance(eng, "p_one", org["admin"], org[username], "2024")
    everything = inbox.inbox(eng, org["indah"], per_page=100).items
    assert len(everything) == 8
    by_title = [i.id for i in sorted(everything, key=lambda i: (i.title, i.ready_at, i.id))]
    assert [i.id for i in everything] == [i.id for i in sorted(everything, key=lambda i: (
        i.due_at is None, i.due_at or i.ready_at, i.ready_at, i.title, i.id))]  # the default order, ties broken
    pages = [inbox.inbox(eng, org["indah"], sort="title", per_page=3, page=n).items for n in (1, 2, 3)]
    assert [i.id for p in pages for i in p] == by_title
    named = inbox.inbox(eng, org["indah"], subject="sant", per_page=100).items  # Budi Santoso only
    assert [i.subject_name for i in named] == ["Budi Santoso"]
    assert all(i.process_name == "One task" and i.instance_status == "running" for i in everything)
    assert inbox.inbox(eng, org["indah"], scope="mine").total == 0
    assert inbox.inbox(eng, org["indah"], scope="group").total == 8
    # The page as the web app reads it: the facets' count is the total when nothing is filtered.
    from engine.queries.inbox import inbox_view

    view = inbox_view(eng, org["indah"], scope="all", sort="title", per_page=3, page=3)
    assert view.page.total == view.open_tasks == 8 and [i.id for i in view.page.items] == by_title[6:]
    assert inbox_view(eng, org["indah"], scope="mine").page.total == 0
    assert inbox_view(eng, org["indah"], subject="sant").page.total == 1
    assert inbox_view(eng, org["indah"], page=99, per_page=3).page.page == 3  # past the end: the last page
