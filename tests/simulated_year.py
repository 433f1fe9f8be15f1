"""A simulated performance year for the report tests: the demo organisation's 2023 played to the end by
``smk simulate`` (processes/simulate.py), then period 2024 opened and left half-way through its planning.

2023 (closed): 27 employees, 2 late SKP, 3 returned, 5 curve violations sent back to the assessor, 2 objections
(umi's upheld, zainal's rejected), 2 results final because nobody responded, follow-ups decided by Biro SDM, the
Tim Penilai Kinerja and the PPK.

2024 (open, the clock at 20 February 2024, no timer fired since 2 January): yulia drafted her SKP on 3 January and
hartono approved it on 10 January (her Matriks Peran Hasil is open); ratna drafted hers on 5 January and it still
waits for hartono's review (due 10 January); bambang has not drafted his (due 31 January); everyone else waits for
their superior's RHK.

Playing the year takes about two minutes, so a test run builds it once: ``simulated_sqlite`` keeps the SQLite
file in the run's temporary folder (``built_once``: shared by the xdist workers) and every caller copies it. On
PostgreSQL a test process seeds a schema with ``seed`` once, and each test module gets a migrated schema of its own
filled with a copy of its rows (``simulated_year_engine``).
"""

from __future__ import annotations

import atexit
import fcntl
import os
import shutil
import sqlite3
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import URL, create_engine, make_url, select, text
from sqlalchemy import Engine as DbEngine
from sqlalchemy.pool import NullPool

from engine.core import Engine
from engine.db.org import User
from engine.db.runtime import TaskIndex
from engine.runtime.clock import FixedClock
from engine.services import instances
from engine.services.deferred import start_all_deferred
from processes.demo import demo_iku
from processes.extension import extensions
from processes.simulate import simulate_period

NOW = datetime(2024, 2, 20, 3, 0, tzinfo=UTC)


def _open_task(engine: Engine, task_name: str, subject: int) -> TaskIndex:
    with engine.session_factory() as s:
        found = s.scalars(select(TaskIndex).where(TaskIndex.task_name == task_name, TaskIndex.subject_id == subject,
                                                  TaskIndex.closed_at.is_(None))).all()
    assert len(found) == 1, (task_name, subject, found)
    return found[0]


def _draft_skp(engine: Engine, user: int, username: str) -> None:
    row = _open_task(engine, "susun_skp_c", user)
    data = instances.get_task(engine, user, row.id).data
    iku = [i["kode"] for i in data["iku_unit"]]
    rows: list[dict[str, Any]] = [
        {"rhk": f"{name} {username}", "mendukung": support, "cascading": "tidak_langsung", "aspek": "Kuantitas",
         "indikator": f"Jumlah {name.lower()}", "target": 10, "satuan": "dokumen"}
        for name, support in (("Rencana strategis", iku[-1]), ("Laporan kinerja", iku[-2]))]
    extra = [{"rhk": f"Narasumber rapat koordinasi {username}", "aspek": "Kuantitas", "indikator": "Jumlah rapat",
              "target": 4, "satuan": "rapat"}]  # additional work, supporting no superior RHK
    instances.complete_task(engine, user, row.id, {"pendekatan": "kuantitatif", "rhk_utama": rows,
                                                   "rhk_tambahan": extra,
                                                   "ekspektasi_berorientasi_pelayanan": "Tepat waktu"})


def seed(engine: Engine) -> None:
    """Play 2023 to the end and open 2024 (see the module's docstring). ``engine.clock`` must be a FixedClock."""
    simulate_period(engine, 2023)
    open_2024(engine)


def open_2024(engine: Engine) -> None:
    """Open period 2024 on 2 January, draft and review a few SKP, and leave the clock at ``NOW``."""
    clock: FixedClock = engine.clock  # type: ignore[assignment]
    clock.set(datetime(2024, 1, 2, 1, 0, tzinfo=UTC))
    with engine.session_factory() as s:
        ids = {u.username: u.id for u in s.scalars(select(User))}
    period = instances.start_instance(engine, "smk_periode", ids["indah"], None, "")
    task = period.ready_task_ids[0]
    instances.claim_task(engine, ids["indah"], task)
    instances.complete_task(engine, ids["indah"], task, {
        "tahun": 2024, "jenis_periode": "tahunan", "regime": "C", "frekuensi": "triwulanan",
        "batas_skp": "2024-01-31", "batas_penilaian": "2025-01-31", "maks_putaran": 3, "iku_organisasi": demo_iku()})
    start_all_deferred(engine)  # the planning cases, as the worker starts them
    clock.set(datetime(2024, 1, 3, 1, 0, tzinfo=UTC))
    _draft_skp(engine, ids["yulia"], "yulia")
    clock.set(datetime(2024, 1, 5, 1, 0, tzinfo=UTC))
    _draft_skp(engine, ids["ratna"], "ratna")
    clock.set(datetime(2024, 1, 10, 1, 0, tzinfo=UTC))
    review = _open_task(engine, "tinjau_skp", ids["yulia"])
    instances.complete_task(engine, ids["hartono"], review.id, {"keputusan_pp": "setujui",
                                                                 "catatan_penilai": "Disetujui"})
    clock.set(NOW)


def fold(path: Path) -> None:
    """Fold a SQLite file's write-ahead log in, so that the file alone is the whole database (and can be copied)."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")


def migrated_sqlite(path: Path) -> Path:
    """Create a SQLite file at ``path`` migrated to the newest schema, and nothing else in it."""
    engine = Engine(f"sqlite:///{path}", clock=FixedClock())
    try:
        engine.create_schema()
    finally:
        engine.dispose()
    fold(path)
    return path


def build(path: Path) -> Path:
    """Create a migrated SQLite file at ``path`` and seed it (see the module's docstring); return ``path``."""
    migrated_sqlite(path)
    engine = Engine(f"sqlite:///{path}", extensions=extensions(), clock=FixedClock())
    try:
        seed(engine)
    finally:
        engine.dispose()
    fold(path)
    return path


def simulated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the seeded SQLite file of this test session, building it on first use (copy it; do not change it).

    While working on the reports, ``python -m tests.simulated_year FILE`` builds the file once and
    ``SMK_TEST_SIMULATED_YEAR=FILE`` makes the tests copy it instead of playing the year again (rebuild it after
    changing a model or the simulation)."""
    prebuilt = os.environ.get("SMK_TEST_SIMULATED_YEAR")
    if prebuilt and Path(prebuilt).is_file():
        return Path(prebuilt)
    return built_once(tmp_path_factory, "simulated-2023-2024.sqlite", build)


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], object]) -> Path:
    """Return the file ``name`` of this test run, built by ``build(path)`` on first use (copy it; do not change it).

    The xdist workers of a run share it: it lives in the run's temporary folder (the parent of each worker's), and
    the first worker to ask builds it while the others wait on a lock (a build per worker played the same year
    again, only its random task ids and password salts differ; 20-40 s a worker). A failed build leaves nothing;
    the next caller builds again."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    path = root / name
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            partial = path.with_suffix(".partial")
            partial.unlink(missing_ok=True)
            build(partial)
            partial.rename(path)
    return path


if __name__ == "__main__":  # python -m tests.simulated_year FILE (see simulated_sqlite)
    target = Path(sys.argv[1]).resolve()
    target.unlink(missing_ok=True)
    build(target)
    print(f"built {target}")


#: The backends a module-scoped simulated year runs on: SQLite always, PostgreSQL when TEST_DATABASE_URL is set.
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


class _PgSeeded:
    """The simulated year seeded once per test process (xdist worker) in a PostgreSQL schema of its own, kept as a
    template and never handed out; ``copy_into`` puts it into another migrated schema: every row (with triggers
    and foreign keys off, as tests/conftest.PgTestSchema puts rows back) and every sequence where the seeding left
    it. Seeding took 20-60 s a module (under load); a copy takes about a second, the migrations included. The
    template is dropped when the process exits."""

    def __init__(self, admin: DbEngine, base: URL) -> None:
        self.name = f"simyear_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.name}"'))
        atexit.register(self._drop, base)
        engine = Engine(_schema_url(base, self.name), extensions=extensions(), clock=FixedClock())
        try:
            engine.create_schema()
            seed(engine)
        except BaseException:
            engine.dispose()
            self._drop(base)
            raise
        engine.dispose()
        with admin.begin() as conn:
            self.tables = conn.scalars(text("SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = :s "
                                            "AND tablename <> 'alembic_version' ORDER BY tablename"),
                                       {"s": self.name}).all()
            self.sequences = conn.execute(text("SELECT quote_ident(sequencename), start_value, last_value "
                                               "FROM pg_sequences WHERE schemaname = :s ORDER BY 1"),
                                          {"s": self.name}).all()

    def copy_into(self, admin: DbEngine, schema: str) -> None:
        """Make the migrated ``schema`` hold what the template holds."""
        sql = ["SET LOCAL session_replication_role = replica;"]
        for table in self.tables:
            sql.append(f'DELETE FROM "{schema}".{table}; INSERT INTO "{schema}".{table} TABLE "{self.name}".{table};')
        for sequence, start, last in self.sequences:
            value, called = (start, "false") if last is None else (last, "true")
            sql.append(f"SELECT setval('\"{schema}\".{sequence}', {value}, {called});")
        with admin.begin() as conn:
            conn.exec_driver_sql("\n".join(sql))

    def _drop(self, base: URL) -> None:
        admin = create_engine(base, poolclass=NullPool)
        try:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE'))
        finally:
            admin.dispose()


_pg_seeded: _PgSeeded | None = None


def _schema_url(base: URL, schema: str) -> str:
    return base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@contextmanager
def simulated_year_engine(backend: str, tmp_path_factory: pytest.TempPathFactory, label: str) -> Iterator[Engine]:
    """An engine on the simulated year, the clock at NOW: a copy of the session's SQLite file, or a PostgreSQL
    schema of its own (TEST_DATABASE_URL), migrated, filled from the process's seeded template (_PgSeeded) and
    dropped afterwards."""
    global _pg_seeded
    clock = FixedClock()
    clock.set(NOW)
    if backend == "sqlite":
        path = tmp_path_factory.mktemp(label) / "sim.sqlite"
        shutil.copyfile(simulated_sqlite(tmp_path_factory), path)
        engine = Engine(f"sqlite:///{path}", extensions=extensions(), clock=clock)
        try:
            yield engine
        finally:
            engine.dispose()
        return
    base = make_url(os.environ["TEST_DATABASE_URL"])
    schema = f"{label}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = Engine(_schema_url(base, schema), extensions=extensions(), clock=clock)
    try:
        engine.create_schema()
        engine.dispose()
        if _pg_seeded is None:
            _pg_seeded = _PgSeeded(admin, base)
        _pg_seeded.copy_into(admin, schema)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
