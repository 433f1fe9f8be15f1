"""Benchmark the audit pages' queries on a large trail: ``smk bench audit``.

Builds a fresh database (a new PostgreSQL database next to the one named, or a SQLite file), fills it with
an organisation of ``employees``, ``instances`` and ``events`` audit events chained as the engine chains them,
then times what HR does: a filtered first page (by unit with sub-units, by employee, by kind and dates, by
process and period, by free text), one employee's history, and verifying the chain. Prints p50/p95 per query
and the plans of the unit filter, a month of one kind and free text (as the search runs them), so an index that
stopped being used shows.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert, select, text, update

from engine.core import Engine
from engine.db.audit import GENESIS, AuditChainHead, AuditEvent, chain_hash
from engine.db.deploy import Deployment, ProcessVersion
from engine.db.org import Group, GroupMember, Position, Unit, User
from engine.db.results import SubjectResult
from engine.db.runtime import Instance
from engine.queries import audit as audit_query
from engine.queries.audit import AuditFilter
from engine.services.audit_chain import verify_chain
from processes.extension import extensions
from processes.lanes import HR_GROUP
from processes.reports import period_summaries
from tools.benchdb import bulk_insert, captured_statements, fresh_database

KINDS = ("task.ready", "task.completed", "task.ready", "task.completed", "instance.started", "timer.fired",
         "message.delivered", "task.claimed")
PROCESSES = ("smk_perencanaan", "smk_pemantauan", "smk_penilaian", "smk_tindak_lanjut")
PREDIKAT = ("Sangat Baik", "Baik", "Butuh Perbaikan", "Kurang", "Sangat Kurang")
RESULT_KIND = "smk.hasil_penilaian"


EVENT_COLUMNS = ["seq", "at", "kind", "actor_id", "actor", "instance_id", "deployment_id", "task_id", "task_name",
                 "subject_id", "unit_id", "data", "hash"]
RARE_EVERY = 50_000  # one event in this many carries a rare word in its note (free text that finds little)
assert RARE_EVERY % len(KINDS) == 0 and KINDS[1] == "task.completed"


def _events(instances: int, employees: int, events: int, start: datetime, seed: int,
            json_text: bool) -> Iterator[tuple[Any, ...]]:
    """Yield the audit events, hash-chained exactly as ``engine.db.audit._seal`` chains them (so ``verify_chain``
    checks them like any other): the bench does not bypass the chain."""
    rnd = random.Random(seed)
    previous = GENESIS
    for seq in range(1, events + 1):
        instance = rnd.randrange(instances) + 1
        subject = 1 + (instance - 1) % employees
        kind = KINDS[seq % len(KINDS)]
        data: dict[str, Any] = {}
        if kind == "task.completed":
            data = {"title": f"Isi realisasi {seq % 17}", "submitted": {"nilai": seq % 100}}
            if seq % RARE_EVERY == 1:  # (seq 1, 50,001, …: completions, as 50,000 is a multiple of len(KINDS))
                data["catatan"] = f"bukti tercecer nomor {seq}"
        row = SimpleNamespace(at=start + timedelta(seconds=seq * 30), kind=kind, actor_id=subject, actor=f"u{subject}",
                              instance_id=instance, deployment_id=None, task_id=None, task_name=f"Tugas {seq % 17}",
                              subject_id=subject, unit_id=11 + (subject - 1) % 45, seq=seq, data=data)
        previous = chain_hash(previous, row)
        yield (seq, row.at, kind, subject, row.actor, instance, None, None, row.task_name, subject, row.unit_id,
               json.dumps(data) if json_text else data, previous)


def _fill(engine: Engine, employees: int, instances: int, events: int, seed: int) -> tuple[int, datetime]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    postgres = engine.db.dialect.name == "postgresql"
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
                                     "nip": _nip(i + 1), "position_id": i + 1, "active": True,
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
        state = "{}" if postgres else {}
        bulk_insert(conn, Instance,
              ["id", "process_version_id", "process_id", "subject_id", "period", "business_key", "status", "state",
               "started_at", "updated_at", "completed_at", "version", "waiting_messages"],
              ((i + 1, i % len(PROCESSES) + 1, PROCESSES[i % len(PROCESSES)], 1 + i % employees, str(2023 + i % 4),
                f"{1 + i % employees}:{2023 + i % 4}", "completed", state, start, start, start, 1, "")
               for i in range(instances)))
        # The assessment result of every employee and period (what reports and the history summary read).
        values = ({"usulan": PREDIKAT[(e + y) % 5], "predikat": PREDIKAT[(e + y + (e % 7 == 0)) % 5], "final": True}
                  for e in range(1, employees + 1) for y in range(4))
        bulk_insert(conn, SubjectResult,
              ["kind", "period", "subject_id", "unit_id", "instance_id", "value", "recorded_at"],
              ((RESULT_KIND, str(2023 + k % 4), 1 + k // 4, 11 + (k // 4) % 45, None,
                json.dumps(v) if postgres else v, start) for k, v in enumerate(values)))
        bulk_insert(conn, AuditEvent, EVENT_COLUMNS,
              _events(instances, employees, events, start, seed, json_text=postgres))
        last = conn.execute(select(AuditEvent.hash).where(AuditEvent.seq == events)).scalar_one()
        conn.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(seq=events, hash=last))
        if postgres:  # COPY set the ids explicitly: move the sequence past them, as inserts would have
            conn.execute(text("SELECT setval(pg_get_serial_sequence('instance', 'id'), :n)"), {"n": instances})
    if postgres:
        with engine.db.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    return hr, start


def _nip(i: int) -> str:
    return f"1980010120050{i:05d}"  # 18 digits, unique up to 99,999 employees


def time_calls(fn: Callable[[], object], runs: int) -> tuple[float, float, float]:
    """Run ``fn`` ``runs`` times; return p50 and p95 of the wall time and the median CPU time of this process, in ms
    (on a shared machine the CPU time shows the work done here apart from waiting for a core)."""
    samples, cpu = [], []
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        fn()
        samples.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))], statistics.median(cpu)


def server_cpu(engine: Engine) -> float:
    """Seconds of CPU the database server's backends of this (benchmark-only) database have used so far, read from
    /proc (the server runs on this machine); 0 for SQLite, whose work is this process's own."""
    if engine.db.dialect.name != "postgresql":
        return 0.0
    with engine.db.connect() as conn:
        pids = list(conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).scalars())
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


def explain_search(engine: Engine, user_id: int, filters: AuditFilter) -> list[str]:
    """The plan of the statement that reads a page of ``filters`` (the page's events, its sequence numbers found by
    the filter in a subquery), as the search runs it: captured as it executes, then explained with its parameters."""
    with captured_statements(engine.db) as ran:
        audit_query.search(engine, user_id, filters)
    page = next((r for r in reversed(ran) if "ORDER BY audit_event.seq DESC" in r[0]), None)
    if page is None:  # the search answered without reading a page (e.g. nothing in a small trail matches)
        return ["(no page statement ran: " + (" | ".join(" ".join(r[0].split())[:80] for r in ran) or "none") + ")"]
    statement, parameters = page
    postgres = engine.db.dialect.name == "postgresql"
    with engine.db.connect() as conn:
        rows = conn.exec_driver_sql(("EXPLAIN " if postgres else "EXPLAIN QUERY PLAN ") + statement, parameters).all()
    return [r[0].strip() if postgres else str(r[-1]) for r in rows]


def run_audit_bench(url: str | None, employees: int = 10000, instances: int = 100000, events: int = 1000000,
                    runs: int = 30, seed: int = 7) -> Iterator[str]:
    """Fill a fresh database and yield one line per measured query."""
    target, drop = fresh_database(url, "smk_bench_audit")
    engine = Engine(target, extensions=extensions())
    try:
        engine.create_schema()
        began = time.perf_counter()
        hr, start = _fill(engine, employees, instances, events, seed)
        yield (f"{engine.db.dialect.name}: {employees} employees, {instances} instances, {events} audit events "
               f"filled in {time.perf_counter() - began:.0f} s")
        rnd = random.Random(seed)
        month = AuditFilter(kind="task.completed", date_from=start + timedelta(days=60), date_to=start + timedelta(days=90))
        cases: list[tuple[str, Callable[[], object]]] = [
            ("baseline: first page of the unfiltered trail",
             lambda: audit_query.search(engine, hr, AuditFilter())),
            ("first page, unit with sub-units (a deputy: 5 bureaus)",
             lambda: audit_query.search(engine, hr, AuditFilter(unit_id=rnd.randrange(2, 11)))),
            ("first page, one employee by NIP",
             lambda: audit_query.search(engine, hr, AuditFilter(subject=_nip(rnd.randrange(1, employees))))),
            ("first page, task completions in one month",
             lambda: audit_query.search(engine, hr, month)),
            ("first page, one process and period",
             lambda: audit_query.search(engine, hr, AuditFilter(process_id="smk_penilaian", period="2025"))),
            ("first page, free text, common words (1 event in 68)",
             lambda: audit_query.search(engine, hr, AuditFilter(text="realisasi 16"))),
            (f"first page, free text, a rare word (1 event in {RARE_EVERY:,})",
             lambda: audit_query.search(engine, hr, AuditFilter(text="tercecer"))),
            ("first page, one employee by NIP and free text",
             lambda: audit_query.search(engine, hr, AuditFilter(subject=_nip(rnd.randrange(1, employees)),
                                                                text="realisasi 1"))),
            ("first page, free text in one month",
             lambda: audit_query.search(engine, hr, AuditFilter(text="realisasi 16", date_from=month.date_from,
                                                                date_to=month.date_to))),
            ("page 100 of the unfiltered trail (keyset)",
             lambda: audit_query.search(engine, hr, AuditFilter(), before=events - 100 * 50)),
            ("employee history (every step, and the per-period summary)",
             lambda: period_summaries(engine, audit_query.employee_history(engine, hr, rnd.randrange(1, employees)))),
        ]
        baseline = 0.0
        for label, fn in cases:
            fn()  # warm
            server = server_cpu(engine)
            p50, p95, cpu = time_calls(fn, runs)
            db = (server_cpu(engine) - server) * 1000 / runs
            baseline = baseline or p50
            yield (f"  {label:<60} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms   CPU here {cpu:6.1f} ms + database "
                   f"{db:6.1f} ms   p50/baseline {p50 / baseline:6.1f}")
        began = time.perf_counter()
        report = verify_chain(engine, full=True, checkpoint=False)
        yield (f"  verify the whole chain: {'intact' if report.intact else 'NOT intact'}, {report.checked} events in "
               f"{time.perf_counter() - began:.1f} s")
        explained = [("unit filter", AuditFilter(unit_id=2)),
                     ("task completions in one month", month),
                     ("free text, a rare word", AuditFilter(text="tercecer")),
                     ("free text, common words", AuditFilter(text="realisasi 16"))]
        for name, filters in explained:
            yield f"  EXPLAIN {name}: " + " | ".join(explain_search(engine, hr, filters))
    finally:
        engine.dispose()
        drop()
