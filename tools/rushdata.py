"""Data for the HTTP benchmarks: a fresh database holding a generated agency whose employees each have an open
realisation task ("Isi realisasi dan bukti dukung" of the shipped monitoring model), as the last quarter's
deadline leaves them.

The agency comes from ``tools/orggen.py`` through the real import (``run_import``, as ``smk bench import``
does); the models are the shipped ones (``deploy_builtin``); each employee's monitoring instance is started
through the engine's services with the fourth quarter of a past year, so its quarter-end timer is due and the
worker fires it as in production. Only the passwords are written directly: one hash, made with the default
method, for every account (hashing 10,000 times would take minutes and measure nothing the load test needs;
every login still verifies the full hash).

Starting the instances is most of the loading time (each start runs the model's first steps, its scripts in the
sandbox, and writes the instance, its tasks and the audit trail in its own transaction). On PostgreSQL it runs in
several processes at once (``processes``; spawned, each with its own ``Engine`` as this module builds one, its own
connections and one sandbox process), each starting the instances of its share of the employees and firing their due
timers, still through the engine's services. SQLite lets one process write at a time: there one process starts
them all. Either way the loader checks the result before it hands the database over: one open realisation task
per employee and no instance in error.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text, update
from werkzeug.security import generate_password_hash

from engine.core import Engine, pool_config_from_env
from engine.db.org import User
from engine.db.runtime import ERROR, RUNNING, WAITING, Instance, TaskIndex
from engine.services.deployments import deploy_builtin
from engine.services.instances import start_instance
from engine.services.timers import fire_due_timers, fire_instance_timers
from processes.extension import extensions
from processes.orgimport import run_import
from tools import orggen

BPMN_DIR = Path(__file__).resolve().parent.parent / "bpmn"
PASSWORD = "Rush-2026-deadline"
PERIOD = "2025"
PROCESS = "smk_pemantauan"
TASK = "isi_realisasi"
#: How often (instances started) a loading process reports, and the loader yields a progress line.
_TICK, _REPORT = 100, 1000


def monitoring_data(subject_id: int) -> dict:
    """What the planning model hands the monitoring model (``data_pemantauan``), for a quarterly regime-C SKP
    with three indicators, at the fourth quarter of PERIOD (whose end is past: the timer is due)."""
    year = int(PERIOD)
    return {"regime": "C", "frekuensi": "triwulanan", "tanggal_mulai": f"{year}-01-01",
            "tanggal_akhir": f"{year}-12-31", "jumlah_slice": 4, "batas_penilaian": f"{year + 1}-01-31", "ke": 4,
            "skp": {"indikator": [
                {"id": "I1", "indikator": "Laporan analisis yang diselesaikan", "target": 12, "satuan": "laporan",
                 "arah": "lebih_tinggi"},
                {"id": "I2", "indikator": "Persentase layanan tepat waktu", "target": 95, "satuan": "%",
                 "arah": "lebih_tinggi"},
                {"id": "I3", "indikator": "Rata-rata hari penyelesaian berkas", "target": 5, "satuan": "hari",
                 "arah": "lebih_rendah"}]},
            "skp_pemilik": subject_id, "riwayat_pemantauan": [], "rencana_pembinaan_sebelumnya": None}


def default_processes(url: str) -> int:
    """How many processes start the instances: on PostgreSQL one per core, at least 2 and at most 8 (a start
    costs ~20 ms of CPU, three quarters of it in the loading process, and waits on the database and the sandbox
    the rest of the time; on the 2-core machine 4 processes started no more per second than 2); on SQLite one
    (it lets one process write at a time)."""
    if not url.startswith("postgresql"):
        return 1
    return max(2, min(8, os.cpu_count() or 1))


def load_agency(url: str, employees: int, seed: int = 7, processes: int | None = None) -> Iterator[str]:
    """Fill the empty database at ``url``: schema, shipped models, the agency, passwords, and one due
    monitoring instance per employee (timers fired, so each has its realisation task), started in ``processes``
    processes at once (default: ``default_processes``). Yields progress; raises RuntimeError when the result is
    not one open realisation task per employee with no instance in error."""
    engine = Engine(url, extensions=extensions())
    try:
        began = time.perf_counter()
        engine.create_schema()
        deploy_builtin(engine, BPMN_DIR)
        rows = orggen.generate(employees, seed)
        report = run_import(engine, {"organisasi.xlsx": orggen.workbook(rows)}, None, apply=True)
        digest = generate_password_hash(PASSWORD)
        with engine.session_factory.begin() as session:
            session.execute(update(User).where(User.nip.is_not(None)).values(password_hash=digest))
            ids = list(session.scalars(select(User.id).where(User.active, User.nip.is_not(None)).order_by(User.id)))
        yield (f"  agency: {report.counts.get('pegawai.added', 0)} employees imported, models deployed "
               f"({time.perf_counter() - began:.0f} s)")
        count = min(processes or default_processes(url), max(1, len(ids)))
        began = time.perf_counter()
        if count == 1:
            for done, uid in enumerate(ids, 1):
                start_instance(engine, PROCESS, None, uid, PERIOD, monitoring_data(uid))
                if done % _REPORT == 0:
                    yield f"  {done} monitoring instances started ({time.perf_counter() - began:.0f} s)"
        else:
            yield f"  starting the monitoring instances in {count} processes"
            yield from _start_in_processes(url, ids, count, began)
        while fire_due_timers(engine, limit=500):  # the quarter ended before the start: usually fired already
            pass
        # The planner's statistics, as autovacuum keeps them in production (this machine's server runs with
        # autovacuum off: without them the inbox query took 5 s instead of 0.2 s at 1,000 employees).
        with engine.db.begin() as conn:  # ANALYZE may run in a transaction on both databases
            conn.execute(text("ANALYZE"))
        ready = check_loaded(engine, len(ids))
        yield (f"  {len(ids)} monitoring instances started, {ready} realisation tasks open "
               f"({time.perf_counter() - began:.0f} s)")
    finally:
        engine.dispose()


def check_loaded(engine: Engine, employees: int) -> int:
    """The open realisation tasks; RuntimeError unless every employee has exactly
    one open realisation task and no instance is in error."""
    with engine.session_factory() as session:
        ready = session.scalar(select(func.count()).select_from(TaskIndex).where(
            TaskIndex.task_name == TASK, TaskIndex.closed_at.is_(None))) or 0
        subjects = session.scalar(select(func.count(func.distinct(TaskIndex.subject_id))).where(
            TaskIndex.task_name == TASK, TaskIndex.closed_at.is_(None))) or 0
        failed = session.scalar(select(func.count()).select_from(Instance).where(Instance.status == ERROR)) or 0
    if ready != employees or subjects != employees or failed:
        raise RuntimeError(f"the benchmark data are wrong: {employees} employees, {ready} open realisation tasks "
                           f"for {subjects} employees, {failed} instances in error")
    return ready


def _start_in_processes(url: str, ids: list[int], count: int, began: float) -> Iterator[str]:
    """Start the employees' monitoring instances in ``count`` spawned processes (employee ``ids[i::count]`` in
    process ``i``), yielding a progress line every _REPORT instances; RuntimeError when one fails."""
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited connections or threads
    inbox: Any = context.Queue()
    workers = [context.Process(target=_start_share, args=(url, ids[i::count], i, inbox), name=f"smk-rushdata-{i}")
               for i in range(count)]
    try:
        for worker in workers:
            worker.start()
        running, started, reported = set(range(count)), 0, 0
        while running:
            try:
                kind, index, value = inbox.get(timeout=10)
            except queue.Empty:
                ended = sorted(i for i in running if not workers[i].is_alive())
                if ended:
                    raise RuntimeError(f"loading process {ended[0]} ended (exit code {workers[ended[0]].exitcode}) "
                                       f"before it had started its share of the instances") from None
                continue
            if kind == "error":
                raise RuntimeError(f"loading process {index} failed:\n{value}")
            if kind == "started":
                started += value
                if started - reported >= _REPORT:
                    reported = started - started % _REPORT
                    yield f"  {started} monitoring instances started ({time.perf_counter() - began:.0f} s)"
            elif kind == "done":
                running.discard(index)
        for worker in workers:
            worker.join(60)
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()
                worker.join(10)
        inbox.close()


def _start_share(url: str, ids: Sequence[int], index: int, outbox: Any) -> None:
    """A loading process: start the monitoring instance of each employee of ``ids``, then fire those instances'
    due timers, through the engine's services; report progress and the end (or the error) on ``outbox``."""
    try:
        # One sandbox process is enough: a loading process starts one instance at a time.
        engine = Engine(url, extensions=extensions(), pool=replace(pool_config_from_env(), workers=1))
        try:
            instances: list[int] = []
            for done, uid in enumerate(ids, 1):
                instances.append(start_instance(engine, PROCESS, None, uid, PERIOD, monitoring_data(uid)).id)
                if done % _TICK == 0:
                    outbox.put(("started", index, _TICK))
            outbox.put(("started", index, len(ids) % _TICK))
            for chunk in range(0, len(instances), 1000):
                with engine.session_factory() as session:
                    due = list(session.scalars(select(Instance.id).where(
                        Instance.id.in_(instances[chunk:chunk + 1000]), Instance.next_timer_at < engine.now(),
                        Instance.status.in_((RUNNING, WAITING)))))
                for instance_id in due:
                    fire_instance_timers(engine, instance_id)
            outbox.put(("done", index, len(ids)))
        finally:
            engine.dispose()
    except BaseException:
        outbox.put(("error", index, traceback.format_exc()))
        raise


def employee_logins(url: str) -> list[str]:
    """The usernames (NIPs) of the employees whose realisation task is open, in id order."""
    db = create_engine(url)
    try:
        with db.connect() as conn:
            return list(conn.scalars(select(User.username).where(User.active, User.nip.is_not(None))
                                     .order_by(User.id)))
    finally:
        db.dispose()
