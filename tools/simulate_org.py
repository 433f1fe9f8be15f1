"""``smk simulate --period YEAR --employees N [--seed S]``: a simulated year on a generated organisation.

On an empty database (the one the app is configured with; anything else is refused before a change): generate an
agency of about N employees (tools/orggen.py, reproducible by the seed), import it as Biro SDM would
(processes.orgimport.run_import, applied), give Biro SDM, the Tim Penilai Kinerja and the PPK their members
(processes.simulate.assign_roles), deploy the shipped models, and play the year (processes.simulate, behaviours
drawn from the same seed). Prints the simulation's report, then the figures issue 15's benchmark asks for: wall and
CPU seconds (this process and its script sandbox; on PostgreSQL the server's backends too), CPU per employee-year, instances, tasks, audit
events and the database's size.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from datetime import date

from sqlalchemy import func, select, text

from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.org import Unit, User
from engine.db.runtime import Instance, TaskIndex
from processes.orgimport import JABATAN, PEGAWAI, UNIT, run_import
from processes.simulate import DATABASE, SimulationRefused, assign_roles, cpu_seconds, simulate_period
from processes.simulate_parallel import simulate_period_parallel
from tools import orggen
from tools.bench_audit import server_cpu


def database_size(engine: Engine) -> int:
    """Bytes the database takes: the SQLite file (with its WAL), or pg_database_size."""
    if engine.db.dialect.name == "postgresql":
        with engine.db.connect() as conn:
            return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
    path = engine.db.url.database or ""
    return sum(os.path.getsize(p) for p in (path, f"{path}-wal") if path and os.path.exists(p))


def refuse_non_empty(engine: Engine) -> None:
    """SimulationRefused when the database holds an organisation or cases already."""
    with engine.session_factory() as s:
        users = s.scalar(select(func.count(User.id))) or 0
        units = s.scalar(select(func.count(Unit.id))) or 0
        cases = s.scalar(select(func.count(Instance.id))) or 0
    if users or units or cases:
        raise SimulationRefused(
            f"--employees membuat organisasi baru dan butuh basis data kosong; basis data ini sudah berisi {users} "
            f"pengguna, {units} unit, {cases} kasus. Arahkan SMK_INSTANCE_PATH atau DATABASE_URL ke basis data "
            f"baru. / --employees creates a new organisation and needs an empty database; this one holds {users} "
            f"users, {units} units, {cases} cases. Point SMK_INSTANCE_PATH or DATABASE_URL at a new database.")


def run_generated_year(engine: Engine, year: int, employees: int, seed: int = 1,
                       until: date | None = None, workers: int = 1,
                       progress: Callable[[str], None] | None = None) -> Iterator[str]:
    """Generate, import and play (in ``workers`` processes, processes/simulate_parallel.py, when more than one);
    yield report lines as they come."""
    refuse_non_empty(engine)
    wall, cpu, server = time.perf_counter(), cpu_seconds(), server_cpu(engine)
    rows = orggen.generate(employees, seed=seed)
    report = run_import(engine, {"organisasi.xlsx": orggen.workbook(rows)}, None, apply=True)
    people = len(rows[PEGAWAI])
    yield (f"Organisasi dibuat dan diimpor / organisation generated and imported: {len(rows[UNIT])} units, "
           f"{len(rows[JABATAN])} positions, {people} employees, {len(report.accounts)} accounts "
           f"({time.perf_counter() - wall:.1f} s)")
    for line in assign_roles(engine):
        yield f"  peran / role: {line}"
    sim_wall, sim_cpu, sim_server = time.perf_counter(), cpu_seconds(), server_cpu(engine)
    ended: dict[str, float] = {}

    def measure() -> None:  # at the end of the year, before any process or database connection of it exits
        ended.update(wall=time.perf_counter(), cpu=cpu_seconds(), server=server_cpu(engine))

    if workers > 1:
        yield from simulate_period_parallel(engine, year, workers, organisation=DATABASE, seed=seed, until=until,
                                            on_finish=measure, progress=progress)
    else:
        yield from simulate_period(engine, year, organisation=DATABASE, seed=seed, until=until)
        measure()
    sim_wall, sim_cpu, sim_server = ended["wall"] - sim_wall, ended["cpu"] - sim_cpu, ended["server"] - sim_server
    wall, cpu, server = ended["wall"] - wall, ended["cpu"] - cpu, ended["server"] - server
    with engine.session_factory() as s:
        cases = s.scalar(select(func.count(Instance.id))) or 0
        tasks = s.scalar(select(func.count()).select_from(TaskIndex)) or 0
        events = s.scalar(select(func.count(AuditEvent.id))) or 0
    size = database_size(engine)
    yield (f"Benchmark ({engine.db.dialect.name}, {people} employees, seed {seed}, {workers} process(es)): total {wall:.1f} s wall, "
           f"{cpu:.1f} s CPU (+{server:.1f} s database server)")
    yield (f"  simulation: {sim_wall:.1f} s wall, {sim_cpu:.1f} s CPU (+{sim_server:.1f} s server); "
           f"CPU per employee-year {1000 * (sim_cpu + sim_server) / people:.0f} ms "
           f"(wall {1000 * sim_wall / people:.0f} ms)")
    yield (f"  instances {cases}, tasks {tasks}, audit events {events}, database {size / 1e6:.1f} MB "
           f"({size / people / 1e3:.0f} kB per employee)")
