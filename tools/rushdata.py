"""Data for the HTTP benchmarks: a fresh database holding a generated agency whose employees each have an open
realisation task ("Isi realisasi dan bukti dukung" of the shipped monitoring model), as the last quarter's
deadline leaves them.

The agency comes from ``tools/orggen.py`` through the real import (``run_import``, as ``smk bench import``
does); the models are the shipped ones (``deploy_builtin``); each employee's monitoring instance is started
through the engine's services with the fourth quarter of a past year, so its quarter-end timer is due and the
worker fires it as in production. Only the passwords are written directly: one hash, made with the default
method, for every account (hashing 10,000 times would take minutes and measure nothing the load test needs;
every login still verifies the full hash).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, func, select, text, update
from werkzeug.security import generate_password_hash

from engine.core import Engine
from engine.db.org import User
from engine.db.runtime import TaskIndex
from engine.services.deployments import deploy_builtin
from engine.services.instances import start_instance
from engine.services.timers import fire_due_timers
from processes.extension import extensions
from processes.orgimport import run_import
from tools import orggen

BPMN_DIR = Path(__file__).resolve().parent.parent / "bpmn"
PASSWORD = "Rush-2026-deadline"
PERIOD = "2025"


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


def load_agency(url: str, employees: int, seed: int = 7) -> Iterator[str]:
    """Fill the empty database at ``url``: schema, shipped models, the agency, passwords, and one due
    monitoring instance per employee (timers fired, so each has its realisation task). Yields progress."""
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
        began = time.perf_counter()
        for done, uid in enumerate(ids, 1):
            start_instance(engine, "smk_pemantauan", None, uid, PERIOD, monitoring_data(uid))
            if done % 1000 == 0:
                yield f"  {done} monitoring instances started ({time.perf_counter() - began:.0f} s)"
        while fire_due_timers(engine, limit=500):  # the quarter ended before the start: usually fired already
            pass
        # The planner's statistics, as autovacuum keeps them in production (this machine's server runs with
        # autovacuum off: without them the inbox query took 5 s instead of 0.2 s at 1,000 employees).
        with engine.db.begin() as conn:  # ANALYZE may run in a transaction on both databases
            conn.execute(text("ANALYZE"))
        with engine.session_factory() as session:
            ready = session.scalar(select(func.count()).select_from(TaskIndex).where(
                TaskIndex.task_name == "isi_realisasi", TaskIndex.closed_at.is_(None)))
        yield (f"  {len(ids)} monitoring instances started, {ready} realisation tasks open "
               f"({time.perf_counter() - began:.0f} s)")
    finally:
        engine.dispose()


def employee_logins(url: str) -> list[str]:
    """The usernames (NIPs) of the employees whose realisation task is open, in id order."""
    db = create_engine(url)
    try:
        with db.connect() as conn:
            return list(conn.scalars(select(User.username).where(User.active, User.nip.is_not(None))
                                     .order_by(User.id)))
    finally:
        db.dispose()
