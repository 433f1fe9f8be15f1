"""Benchmark the inbox on a ministry-sized database: ``smk bench inbox --url postgresql://…``.

On a fresh PostgreSQL database next to the one named by --url: an organisation of 10,000 staff under 100
assessors (100 each) and a head, a Biro SDM group, ``open_tasks`` open and ``closed_tasks`` closed task index
rows (open ones stored among the closed, as in a table that grew over years; 2,000 open ones in Biro SDM's lane,
some naming candidate users), one instance per 10 tasks with a 2 KB workflow state, and ``events`` audit
events, all written with INSERT … SELECT generate_series (seconds, not hours). Then, for a staff member, an
assessor of 100 and a Biro SDM member:

- the inbox page as the web app reads it (``inbox_view``: the page, the facets and the navigation's count in
  one read transaction), p50 and p95;
- the baseline in the same run: the query this replaced (``candidate_users LIKE '%,u…,%'`` in an OR, the
  second level walked per subordinate, each item's instance loaded with its state), same measures;
- EXPLAIN (ANALYZE) of each statement the new inbox runs on task_index, checked: no sequential scan of
  task_index, index scans present (the bench stops with an error otherwise).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.orm import Session, aliased

from engine.access import LANES, SUBJECT, SUPERIOR, SUPERIOR_2, group_names, subordinates_of
from engine.core import Engine
from engine.db.deploy import ProcessVersion
from engine.db.org import User
from engine.db.runtime import Instance, TaskIndex
from engine.queries import inbox as web_inbox
from engine.runtime.clock import FixedClock
from engine.services import inbox
from processes.extension import extensions
from processes.lanes import ATASAN_PEJABAT_PENILAI, HR_GROUP, PEGAWAI, PEJABAT_PENILAI
from tools.benchdb import captured_statements, fresh_database

NOW = datetime(2027, 3, 1, 2, tzinfo=UTC)
HEADS = 100  # assessors, each of STAFF_PER_HEAD
STAFF_PER_HEAD = 100
HR_MEMBERS = 20
GROUP_TASKS = 2_000


def _generate(engine: Engine, open_tasks: int, closed_tasks: int, events: int) -> dict[str, int]:
    """Write the organisation, instances, task rows and audit events with set-based SQL; return the personas'
    user ids. Ids: user = position; 1 the head, 2..HEADS+1 the assessors, then their staff."""
    staff = HEADS * STAFF_PER_HEAD
    first_staff = HEADS + 2
    users = first_staff + staff - 1
    total = open_tasks + closed_tasks
    every = max(2, total // open_tasks)  # one row in ``every`` is open
    instances = max(1, total // 10)
    params = {"heads": HEADS, "per": STAFF_PER_HEAD, "first": first_staff, "users": users, "total": total,
              "every": every, "instances": instances, "group_tasks": GROUP_TASKS, "events": events,
              "hr": HR_GROUP, "pegawai": PEGAWAI, "pp": PEJABAT_PENILAI, "app": ATASAN_PEJABAT_PENILAI,
              "now": NOW, "key": ":2027", "state": '{"data": "' + "x" * 2000 + '"}'}
    sql = [
        "INSERT INTO unit (id, code, name, parent_id, active) VALUES (1, 'U', 'Kementerian Contoh', NULL, true)",
        "INSERT INTO position (id, code, title, unit_id, parent_id, jenis, jenjang, active) "
        "SELECT i, 'P' || i, CASE WHEN i = 1 THEN 'Menteri' WHEN i <= :heads + 1 THEN 'Kepala Bagian ' || i "
        "ELSE 'Analis ' || i END, 1, CASE WHEN i = 1 THEN NULL WHEN i <= :heads + 1 THEN 1 "
        "ELSE 2 + (i - :first) / :per END, 'JA', '', true FROM generate_series(1, :users) i",
        "INSERT INTO user_account (id, username, password_hash, full_name, nip, position_id, active, locale, "
        "session_epoch, pangkat_golongan, status, email_notifications) "
        "SELECT i, 'u' || i, '', 'Pegawai ' || i, lpad(i::text, 18, '0'), i, true, 'id', 0, '', 'PNS', false "
        "FROM generate_series(1, :users) i",
        "INSERT INTO user_group (id, name, description) VALUES (1, :hr, '')",
        "INSERT INTO group_member (group_id, user_id) SELECT 1, :first + i * 97 FROM generate_series(0, 19) i",
        "INSERT INTO deployment (id, name, bundle_hash, deployed_at, deployed_by, note) "
        "VALUES (1, 'bench', repeat('0', 64), :now, 'bench', '')",
        "INSERT INTO process_version (id, process_id, version, name, deployment_id, filename, startable) "
        "VALUES (1, 'smk_penilaian', 1, 'Penilaian kinerja', 1, 'smk_penilaian.bpmn', true)",
        "INSERT INTO instance (id, process_version_id, process_id, subject_id, period, business_key, status, state, "
        "started_at, updated_at, version, waiting_messages) "
        "SELECT i, 1, 'smk_penilaian', :first + i % (:users - :first + 1), '2027', "
        "(:first + i % (:users - :first + 1)) || :key, 'running', CAST(:state AS json), :now, "
        ":now - make_interval(secs => i), 1, '' FROM generate_series(1, :instances) i",
        # Open rows are every ``every``-th; of them the first GROUP_TASKS (by row) are Biro SDM's, one in 100 of
        # the rest names a candidate user, one in 10 of the rest is a waiting step (``waitingStep``); personal lanes
        # 60 / 35 / 5 %.
        "INSERT INTO task_index (id, instance_id, process_id, task_name, title, lane, subject_id, assignee_id, "
        "candidate_users, candidate_groups, period, form, ready_at, due_at, closed_at, outcome, completed_by_id, "
        "waiting) "
        "SELECT '00000000-0000-4000-8000-' || lpad(i::text, 12, '0'), 1 + i % :instances, 'smk_penilaian', "
        "'t' || (i % 7), 'Tugas ' || (i % 7), "
        "CASE WHEN i % :every = 0 AND i / :every <= :group_tasks THEN :hr "
        "WHEN i % 20 < 12 THEN :pegawai WHEN i % 20 < 19 THEN :pp ELSE :app END, "
        ":first + (i::bigint * 7919) % (:users - :first + 1), NULL, "
        "CASE WHEN i % :every = 0 AND i / :every > :group_tasks AND i % 100 = 0 "
        "THEN ',u' || (:first + (i * 31) % (:users - :first + 1)) || ',' ELSE '' END, '', '2027', NULL, "
        ":now - make_interval(days => i % 90), :now + make_interval(days => i % 30 - 5), "
        "CASE WHEN i % :every = 0 THEN NULL ELSE :now END, CASE WHEN i % :every = 0 THEN NULL ELSE 'completed' END, "
        "NULL, i % :every = 0 AND i / :every > :group_tasks AND (i / :every) % 10 = 5 "
        "FROM generate_series(1, :total) i",
        "INSERT INTO task_candidate (task_id, kind, name) SELECT id, 'user', trim(both ',' from candidate_users) "
        "FROM task_index WHERE closed_at IS NULL AND candidate_users <> ''",
        "INSERT INTO audit_event (at, kind, actor_id, actor, instance_id, deployment_id, task_id, task_name, "
        "subject_id, unit_id, data, seq, hash) "
        "SELECT :now - make_interval(mins => i), 'task.completed', NULL, 'system', 1 + i % :instances, NULL, NULL, "
        "'t', NULL, NULL, '{\"submitted\": {\"ringkasan\": \"Laporan\"}}', 1000000 + i, md5(i::text) || md5(i::text) "
        "FROM generate_series(1, :events) i",
    ]
    with engine.db.begin() as conn:
        for statement in sql:
            conn.execute(text(statement), params)
        for table in ("unit", "position", "user_account", "user_group", "deployment", "process_version", "instance"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"(SELECT max(id) FROM {table}))"))
    with engine.db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
        # The staff member (not in Biro SDM) with the most open tasks of their own, the assessor with the most
        # to review.
        staff_member = conn.scalar(text(
            "SELECT subject_id FROM task_index WHERE closed_at IS NULL AND lane = :lane AND subject_id >= :first "
            "AND subject_id NOT IN (SELECT user_id FROM group_member) GROUP BY subject_id ORDER BY count(*) DESC, subject_id LIMIT 1"), {"lane": PEGAWAI, "first": first_staff})
        assessor = conn.scalar(text(
            "SELECT p.parent_id FROM task_index t JOIN user_account u ON u.id = t.subject_id "
            "JOIN position p ON p.id = u.position_id WHERE t.closed_at IS NULL AND t.lane = :lane "
            "GROUP BY p.parent_id ORDER BY count(*) DESC, p.parent_id LIMIT 1"), {"lane": PEJABAT_PENILAI})
    return {"staff member": staff_member, "assessor of 100": assessor, "Biro SDM member": first_staff + 97 * 5}


# --- the baseline: the inbox as it was before issue 15 -------------------------------------------------------


def _old_actionable(session: Session, user_id: int) -> Any:
    """The former access.actionable: one OR over task_index with LIKE on the candidate columns; the second
    level of subordinates walked one subordinate at a time."""
    user = session.get(User, user_id)
    assert user is not None
    direct = subordinates_of(session, user_id)
    second = sorted({i for d in direct for i in subordinates_of(session, d)})
    groups = group_names(session, user_id)
    unassigned = [
        and_(or_(TaskIndex.lane.in_(LANES.lanes_for(SUBJECT)), TaskIndex.lane.is_(None)),
             TaskIndex.subject_id == user_id),
        TaskIndex.candidate_users.contains(f",{user.username},", autoescape=True),
    ]
    if direct:
        unassigned.append(and_(TaskIndex.lane.in_(LANES.lanes_for(SUPERIOR)), TaskIndex.subject_id.in_(direct)))
    if second:
        unassigned.append(and_(TaskIndex.lane.in_(LANES.lanes_for(SUPERIOR_2)), TaskIndex.subject_id.in_(second)))
    if groups:
        unassigned.append(TaskIndex.lane.in_(groups))
        unassigned.extend(TaskIndex.candidate_groups.contains(f",{g},", autoescape=True) for g in groups)
    return or_(TaskIndex.assignee_id == user_id, and_(TaskIndex.assignee_id.is_(None), or_(*unassigned)))


def _old_page(engine: Engine, user_id: int) -> int:
    """The former inbox page's reads, each part in its own session as before: the page (count, 20 rows, then
    per item its users, its instance with the workflow state and its process version), the facets (processes,
    a name per process, periods, group, total and overdue counts) and the navigation's count. Return the total."""
    now = engine.now()
    with engine.session_factory() as session:
        where = [TaskIndex.closed_at.is_(None), _old_actionable(session, user_id)]
        subject_user = aliased(User)
        base = select(TaskIndex).outerjoin(subject_user, subject_user.id == TaskIndex.subject_id).where(*where)
        total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
        for row in session.scalars(base.order_by(TaskIndex.due_at.is_(None), TaskIndex.due_at, TaskIndex.ready_at)
                                   .limit(20)).all():
            if row.subject_id:
                session.get(User, row.subject_id)
            if row.assignee_id:
                session.get(User, row.assignee_id)
            instance = session.get(Instance, row.instance_id)
            if instance is not None:
                session.get(ProcessVersion, instance.process_version_id)
    with engine.session_factory() as session:
        mine = [TaskIndex.closed_at.is_(None), _old_actionable(session, user_id)]
        for pid in session.scalars(select(TaskIndex.process_id).where(*mine).group_by(TaskIndex.process_id)).all():
            session.scalar(select(ProcessVersion.name).where(ProcessVersion.process_id == pid)
                           .order_by(ProcessVersion.version.desc()).limit(1))
        session.scalars(select(TaskIndex.period).where(*mine).group_by(TaskIndex.period)).all()
        session.scalar(select(func.count()).select_from(TaskIndex).where(*mine, inbox.group_clause()))
        session.scalar(select(func.count()).select_from(TaskIndex).where(*mine))
        session.scalar(select(func.count()).select_from(TaskIndex).where(*mine, TaskIndex.due_at < now))
    with engine.session_factory() as session:
        session.scalar(select(func.count(TaskIndex.id)).where(TaskIndex.closed_at.is_(None),
                                                              _old_actionable(session, user_id)))
    return total


def _new_page(engine: Engine, user_id: int) -> int:
    """The inbox page's reads now: one session for the page, its waiting steps, the facets and the navigation's
    count. Return the work and the waiting steps together (what the old page listed as one)."""
    view = web_inbox.inbox_view(engine, user_id)
    return view.page.total + view.waiting_steps.total


def _timings(fn: Callable[[], int], rounds: int) -> tuple[list[float], int]:
    fn()  # warm the caches
    times, total = [], 0
    for _ in range(rounds):
        began = time.perf_counter()
        total = fn()
        times.append((time.perf_counter() - began) * 1000)
    return times, total


def _p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def _task_statements(engine: Engine, fn: Callable[[], Any]) -> list[tuple[str, Any]]:
    """The statements ``fn`` runs that read task_index, with their parameters."""
    with captured_statements(engine.db) as ran:
        fn()
    return [(statement, parameters) for statement, parameters in ran if "task_index" in statement]


def _explain(engine: Engine, statement: str, parameters: Any) -> list[str]:
    with engine.db.connect() as conn:
        return [r[0] for r in conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {statement}", parameters)]


def _scans(plan: list[str]) -> list[str]:
    return [line.strip().removeprefix("->  ") for line in plan if " on task_index" in line or "Scan on " in line]


def run_inbox_bench(url: str | None, open_tasks: int = 100_000, closed_tasks: int = 1_000_000,
                    events: int = 1_000_000, rounds: int = 40, baseline_rounds: int = 8) -> Iterator[str]:
    """Generate the database, then yield the figures and plans line by line (see the module docstring)."""
    if not url or not url.startswith("postgresql"):
        yield "smk bench inbox needs --url postgresql+psycopg://… (a server where it may create a database)"
        return
    target, drop = fresh_database(url, "smk_bench_inbox")
    engine = Engine(target, extensions=extensions(), clock=FixedClock(NOW))
    try:
        engine.create_schema()
        began = time.perf_counter()
        personas = _generate(engine, open_tasks, closed_tasks, events)
        with engine.db.connect() as conn:
            counts = {t: conn.scalar(text(f"SELECT count(*) FROM {t}")) for t in
                      ("user_account", "instance", "task_index", "task_candidate", "audit_event")}
            open_count = conn.scalar(text("SELECT count(*) FROM task_index WHERE closed_at IS NULL"))
            waiting_count = conn.scalar(text("SELECT count(*) FROM task_index WHERE closed_at IS NULL AND waiting"))
            size = conn.scalar(text("SELECT pg_size_pretty(pg_database_size(current_database()))"))
        yield (f"postgresql: {counts['user_account']:,} users, {counts['instance']:,} instances, "
               f"{counts['task_index']:,} task rows ({open_count:,} open, {waiting_count:,} of them waiting steps), "
               f"{counts['task_candidate']:,} candidate "
               f"rows, {counts['audit_event']:,} audit events; {size}; generated in "
               f"{time.perf_counter() - began:.0f} s")
        yield (f"inbox page = the page (count + rows) + facets + navigation count; {rounds} rounds "
               f"(baseline {baseline_rounds}), ms")
        yield f"  {'who':<18} {'tasks':>6}  {'new p50':>8} {'new p95':>8}  {'old p50':>8} {'old p95':>8}  {'old/new p95':>11}"
        plans: list[str] = []
        for who, user_id in personas.items():
            new, total = _timings(partial(_new_page, engine, user_id), rounds)
            old, old_total = _timings(partial(_old_page, engine, user_id), baseline_rounds)
            if old_total != total:
                raise AssertionError(f"{who}: the new inbox counts {total} tasks, the old query {old_total}")
            yield (f"  {who:<18} {total:>6}  {statistics.median(new):8.1f} {_p95(new):8.1f}  "
                   f"{statistics.median(old):8.1f} {_p95(old):8.1f}  {_p95(old) / _p95(new):10.0f}x")
            plans.append(f"EXPLAIN ANALYZE, {who} (user {user_id}):")
            for statement, parameters in (_task_statements(engine, partial(inbox.inbox, engine, user_id)) +
                                          _task_statements(engine, partial(inbox.inbox, engine, user_id,
                                                                           waiting=True))):
                plan = _explain(engine, statement, parameters)
                scans = _scans(plan)
                if any("Seq Scan on task_index" in s for s in scans) or not any("Index" in s for s in scans):
                    raise AssertionError(f"{who}: a statement reads task_index without an index:\n" + "\n".join(plan))
                kind = "count" if statement.lstrip().upper().startswith("SELECT COUNT") else "page"
                timing = next((line.strip() for line in plan if line.startswith("Execution Time")), "")
                plans.append(f"  {kind}: {timing}")
                plans.extend(f"    {scan}" for scan in scans)
            with engine.session_factory() as session:
                old_sql = select(func.count(TaskIndex.id)).where(TaskIndex.closed_at.is_(None),
                                                                  _old_actionable(session, user_id))
                compiled = str(old_sql.compile(engine.db, compile_kwargs={"literal_binds": True}))
            old_plan = _explain(engine, compiled, {})
            plans.append("  baseline (old LIKE query) count: " +
                         next((line.strip() for line in old_plan if line.startswith("Execution Time")), ""))
            plans.extend(f"    {scan}" for scan in _scans(old_plan))
        yield from plans
        yield "every statement of the new inbox on task_index uses an index (checked): OK"
    finally:
        engine.dispose()
        drop()
