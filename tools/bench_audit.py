"""Benchmark the audit pages' queries on a large trail: ``smk bench audit``.

Builds a fresh database (a new PostgreSQL database next to the one named, or a SQLite file), fills it with
an organisation of ``employees``, ``instances`` and ``events`` audit events chained as the engine chains them,
then times what HR does: a filtered first page (by unit with sub-units, by employee, by kind and dates, by
process and period, by free text), one employee's history, and verifying the chain. Prints p50/p95 per query
and the EXPLAIN of the unit filter, so an index that stopped being used shows.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import create_engine, insert, text, update
from sqlalchemy.engine import make_url

from engine.core import Engine
from engine.db.audit import GENESIS, AuditChainHead, AuditEvent, chain_hash
from engine.db.deploy import Deployment, ProcessVersion
from engine.db.org import Group, GroupMember, Position, Unit, User
from engine.db.runtime import Instance
from engine.queries import audit as audit_query
from engine.queries.audit import AuditFilter
from engine.services.audit_chain import verify_chain
from processes.extension import extensions
from processes.lanes import HR_GROUP

KINDS = ("task.ready", "task.completed", "task.ready", "task.completed", "instance.started", "timer.fired",
         "message.delivered", "task.claimed")
PROCESSES = ("smk_perencanaan", "smk_pemantauan", "smk_penilaian", "smk_tindak_lanjut")


def _database(url: str | None) -> tuple[str, Callable[[], None]]:
    """Return a URL to an empty database and a function that drops it."""
    if url and url.startswith("postgresql"):
        name = f"smk_bench_audit_{int(time.time())}"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        target = make_url(url).set(database=name).render_as_string(hide_password=False)

        def drop() -> None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        return target, drop
    folder = tempfile.mkdtemp(prefix="smk-bench-audit-")
    return f"sqlite:///{Path(folder) / 'audit.sqlite'}", lambda: None


def _fill(engine: Engine, employees: int, instances: int, events: int, seed: int) -> tuple[int, datetime]:
    rnd = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.db.begin() as conn:
        units = [{"id": 1, "code": "U0", "name": "Kementerian", "parent_id": None}]
        for i in range(2, 11):  # 9 deputies under the ministry, 5 bureaus under each
            units.append({"id": i, "code": f"U{i}", "name": f"Deputi {i}", "parent_id": 1})
        for i in range(11, 56):
            units.append({"id": i, "code": f"U{i}", "name": f"Biro {i}", "parent_id": 2 + (i - 11) // 5})
        conn.execute(insert(Unit), units)
        conn.execute(insert(Position), [{"id": i + 1, "code": f"P{i + 1}", "title": "Analis", "unit_id": 11 + i % 45,
                                         "parent_id": None, "jenis": "Pelaksana", "jenjang": ""}
                                        for i in range(employees)])
        conn.execute(insert(User), [{"id": i + 1, "username": f"u{i + 1}", "password_hash": "", "full_name": f"Pegawai {i + 1}",
                                     "nip": f"19800101200501{i + 1:04d}"[:18], "position_id": i + 1, "active": True,
                                     "locale": "id"} for i in range(employees)])
        hr = employees + 1
        conn.execute(insert(User), [{"id": hr, "username": "hr", "password_hash": "", "full_name": "HR", "active": True,
                                     "locale": "id"}])
        conn.execute(insert(Group), [{"id": 1, "name": HR_GROUP, "description": ""}])
        conn.execute(insert(GroupMember), [{"group_id": 1, "user_id": hr}])
        conn.execute(insert(Deployment), [{"id": 1, "name": "bench", "bundle_hash": "0" * 64, "deployed_at": start, "deployed_by": "bench",
                                           "note": ""}])
        conn.execute(insert(ProcessVersion), [{"id": i + 1, "process_id": p, "version": 1, "name": p, "deployment_id": 1,
                                               "filename": f"{p}.bpmn", "startable": True} for i, p in enumerate(PROCESSES)])
        rows = []
        for i in range(instances):
            pv = i % len(PROCESSES)
            rows.append({"id": i + 1, "process_version_id": pv + 1, "process_id": PROCESSES[pv], "subject_id": 1 + i % employees,
                         "period": str(2023 + i % 4), "business_key": f"{1 + i % employees}:{2023 + i % 4}",
                         "status": "completed", "state": {}, "started_at": start, "updated_at": start,
                         "version": 1, "waiting_messages": ""})
            if len(rows) == 5000:
                conn.execute(insert(Instance), rows)
                rows = []
        if rows:
            conn.execute(insert(Instance), rows)
        previous, batch = GENESIS, []
        for seq in range(1, events + 1):
            instance = rnd.randrange(instances) + 1
            subject = 1 + (instance - 1) % employees
            kind = KINDS[seq % len(KINDS)]
            row = {"at": start + timedelta(seconds=seq * 30), "kind": kind, "actor_id": subject, "actor": f"u{subject}",
                   "instance_id": instance, "deployment_id": None, "task_id": None, "task_name": f"Tugas {seq % 17}",
                   "subject_id": subject, "unit_id": 11 + (subject - 1) % 45, "seq": seq,
                   "data": {"title": f"Isi realisasi {seq % 17}", "submitted": {"nilai": seq % 100}} if kind == "task.completed" else {}}
            previous = chain_hash(previous, SimpleNamespace(**row))
            row["hash"] = previous
            batch.append(row)
            if len(batch) == 10000:
                conn.execute(insert(AuditEvent), batch)
                batch = []
        if batch:
            conn.execute(insert(AuditEvent), batch)
        conn.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(seq=events, hash=previous))
    if engine.db.dialect.name == "postgresql":
        with engine.db.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    return hr, start


def _time(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def run_audit_bench(url: str | None, employees: int = 10000, instances: int = 100000, events: int = 1000000,
                    runs: int = 30, seed: int = 7) -> Iterator[str]:
    """Fill a fresh database and yield one line per measured query."""
    target, drop = _database(url)
    engine = Engine(target, extensions=extensions())
    try:
        engine.create_schema()
        began = time.perf_counter()
        hr, start = _fill(engine, employees, instances, events, seed)
        yield (f"{engine.db.dialect.name}: {employees} employees, {instances} instances, {events} audit events "
               f"filled in {time.perf_counter() - began:.0f} s")
        rnd = random.Random(seed)
        cases: list[tuple[str, Callable[[], object]]] = [
            ("first page, unit with sub-units (a deputy: 5 bureaus)",
             lambda: audit_query.search(engine, hr, AuditFilter(unit_id=rnd.randrange(2, 11)))),
            ("first page, one employee by NIP",
             lambda: audit_query.search(engine, hr, AuditFilter(subject=f"19800101200501{rnd.randrange(1, employees):04d}"[:18]))),
            ("first page, task completions in one month",
             lambda: audit_query.search(engine, hr, AuditFilter(kind="task.completed", date_from=start + timedelta(days=60),
                                                                date_to=start + timedelta(days=90)))),
            ("first page, one process and period",
             lambda: audit_query.search(engine, hr, AuditFilter(process_id="smk_penilaian", period="2025"))),
            ("first page, free text in titles and notes",
             lambda: audit_query.search(engine, hr, AuditFilter(text="realisasi 16"))),
            ("page 100 of the unfiltered trail (keyset)",
             lambda: audit_query.search(engine, hr, AuditFilter(), before=events - 100 * 50)),
            ("employee history",
             lambda: audit_query.employee_history(engine, hr, rnd.randrange(1, employees))),
        ]
        for label, fn in cases:
            fn()  # warm
            p50, p95 = _time(fn, runs)
            yield f"  {label:<55} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms"
        began = time.perf_counter()
        report = verify_chain(engine, full=True, checkpoint=False)
        yield (f"  verify the whole chain: {'intact' if report.intact else 'NOT intact'}, {report.checked} events in "
               f"{time.perf_counter() - began:.1f} s")
        if engine.db.dialect.name == "postgresql":
            with engine.db.connect() as conn:
                plan = conn.execute(text(
                    "EXPLAIN SELECT * FROM audit_event WHERE unit_id IN (11,12,13,14,15) ORDER BY seq DESC LIMIT 51"))
                yield "  EXPLAIN unit filter: " + " | ".join(r[0].strip() for r in plan)
    finally:
        engine.dispose()
        drop()
