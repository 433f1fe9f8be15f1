"""Benchmark the organisation import: ``smk bench import``.

On a fresh database (a new PostgreSQL database next to the one named by --url, or a SQLite file): generate an
agency of ``employees`` as an XLSX workbook, then time reading and checking it, the preview and the apply of
the first import, a re-import of the same file (nothing to change), and, with one open task per employee in
the assessor's lane, the preview and apply of a changed file (transfers and new assessors) whose open tasks
change hands. Prints seconds for each: wall time, and the CPU time of this process (not the database server's),
which a busy machine inflates less.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from sqlalchemy import insert, select

from engine.core import Engine
from engine.db.deploy import Deployment, ProcessVersion
from engine.db.org import User
from engine.db.runtime import Instance, TaskIndex
from engine.runtime.clock import FixedClock
from processes.extension import extensions
from processes.lanes import PEJABAT_PENILAI
from processes.orgimport import PEGAWAI, run_import
from processes.orgimport.apply import load
from tools import orggen
from tools.benchdb import fresh_database


def _open_tasks(engine: Engine) -> int:
    """One open assessor's task per active employee (as a planning period leaves them), inserted directly."""
    start = datetime(2026, 1, 5, tzinfo=UTC)
    with engine.session_factory.begin() as session:
        ids = list(session.scalars(select(User.id).where(User.active, User.nip.is_not(None)).order_by(User.id)))
        session.execute(insert(Deployment), [{"id": 1, "name": "bench", "bundle_hash": "0" * 64, "deployed_at": start,
                                              "deployed_by": "bench", "note": ""}])
        session.execute(insert(ProcessVersion), [{"id": 1, "process_id": "smk_perencanaan", "version": 1,
                                                  "name": "Perencanaan", "deployment_id": 1,
                                                  "filename": "smk_perencanaan.bpmn", "startable": True}])
        session.execute(insert(Instance), [{"id": i + 1, "process_version_id": 1, "process_id": "smk_perencanaan",
                                            "subject_id": uid, "period": "2027", "business_key": f"{uid}:2027",
                                            "status": "waiting", "state": {}, "started_at": start, "updated_at": start,
                                            "version": 1, "waiting_messages": ""} for i, uid in enumerate(ids)])
        session.execute(insert(TaskIndex), [{"id": f"00000000-0000-4000-8000-{i:012d}", "instance_id": i + 1,
                                             "process_id": "smk_perencanaan", "task_name": "tinjau_skp",
                                             "title": "Tinjau SKP", "lane": PEJABAT_PENILAI, "subject_id": uid,
                                             "candidate_users": "", "candidate_groups": "", "period": "2027",
                                             "ready_at": start} for i, uid in enumerate(ids)])
    return len(ids)


def _changed(rows: orggen.Rows, transfers: int, assessors: int) -> orggen.Rows:
    """The same agency a few months later: ``transfers`` staff moved to another sub-division, ``assessors``
    Pengawas positions with a new holder (the old one retired)."""
    changed = orggen.copy(rows)
    staff = [p for p in changed[PEGAWAI] if p[2].endswith(("-A", "-B"))]
    targets = sorted({p[2] for p in staff})
    for person in staff[:transfers]:
        person[2] = targets[(targets.index(person[2]) + 7) % len(targets)]
    heads = [p for p in changed[PEGAWAI] if p[2].count("-") == 4 and not p[2].endswith(("-A", "-B"))]
    for i, person in enumerate(heads[:assessors]):
        person[6] = "tidak"
        changed[PEGAWAI].append([orggen.new_nip(changed, 1000 + i), f"Pengawas Baru {i + 1}", person[2], "", "Penata (III/c)",
                                 "PNS", "ya"])
    return changed


def run_import_bench(url: str | None, employees: int = 10_000, seed: int = 3) -> Iterator[str]:
    """Import, re-import and change a generated agency on a fresh database; yield one line per measurement."""
    target, drop = fresh_database(url, "smk_bench_import")
    engine = Engine(target, extensions=extensions(), clock=FixedClock(datetime(2027, 2, 1, 2, tzinfo=UTC)))
    try:
        engine.create_schema()
        began = time.perf_counter()
        rows = orggen.generate(employees, seed)
        files = {"organisasi.xlsx": orggen.workbook(rows)}
        size = len(files["organisasi.xlsx"])
        yield (f"{engine.db.dialect.name}: {len(rows[PEGAWAI])} employees, {len(rows['jabatan'])} positions, "
               f"{len(rows['unit'])} units; XLSX of {size / 2**20:.1f} MB generated in {time.perf_counter() - began:.1f} s")

        def timed(label: str, fn: Callable[[], object]) -> tuple[str, object]:
            began, cpu = time.perf_counter(), time.process_time()
            result = fn()
            return (f"  {label:<58} {time.perf_counter() - began:6.1f} s wall, "
                    f"{time.process_time() - cpu:5.1f} s CPU here"), result

        line, _ = timed("read and check every row", lambda: load(files, engine))
        yield line
        line, report = timed("preview of the first import (read, check, compare)", lambda: run_import(engine, files, None))
        yield line
        line, report = timed("apply the first import (+ one-time links)", lambda: run_import(engine, files, None, apply=True))
        yield line + f"   ({report.counts.get('pegawai.added', 0)} accounts)"  # type: ignore[attr-defined]
        tasks = _open_tasks(engine)
        yield f"  ({tasks} open assessor's tasks added, one per employee)"
        line, report = timed("re-import of the same file (nothing to change)", lambda: run_import(engine, files, None, apply=True))
        yield line + f"   (changes: {len(report.changes)})"  # type: ignore[attr-defined]
        changed = {"organisasi.xlsx": orggen.workbook(_changed(rows, transfers=200, assessors=20))}
        line, report = timed("preview of a changed file (200 transfers, 20 new assessors)",
                             lambda: run_import(engine, changed, None))
        yield line + f"   ({len(report.handovers)} tasks change hands)"  # type: ignore[attr-defined]
        line, report = timed("apply of the changed file", lambda: run_import(engine, changed, None, apply=True))
        yield line
    finally:
        engine.dispose()
        drop()
