"""Benchmark moving running instances to a new version: ``smk bench migrate``.

In a fresh database (a new PostgreSQL database next to the one named, or a temporary SQLite file) it deploys a
small process with a reminder timer, starts ``count`` instances (half of them one step further along), deploys
a version with another timer duration (a compatible change), then times the plan (every instance examined)
and the migration (batches, one transaction per instance). The baseline, measured in the same run, is
starting the same instances: the ratio says what a move costs against a start, which holds on a noisy
machine where absolute times do not.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from sqlalchemy import select

from engine.core import Engine
from engine.db.org import User
from engine.services import instances, migration
from engine.services.deployments import deploy
from processes.demo import load_demo
from processes.extension import extensions
from tools.benchdb import fresh_database
from tools.bpmn_builder import Process, document


def _model(reminder: str) -> bytes:
    p = Process("bench_mig", "Migration benchmark", lanes=["Pegawai"])
    p.start("s", lane="Pegawai", col=0)
    p.user("isi", "Isi", lane="Pegawai", col=1)
    p.boundary("ingat", "Pengingat", attached_to="isi", timer=("timeDuration", reminder), interrupting=False)
    p.end("ingat_end", lane="Pegawai", col=2)
    p.flow("ingat", "ingat_end")
    p.script("hitung", "Hitung", "nilai = 2", lane="Pegawai", col=3)
    p.user("periksa", "Periksa", lane="Pegawai", col=4)
    p.end("e", lane="Pegawai", col=5)
    p.chain("s", "isi", "hitung", "periksa", "e")
    return document(p).encode()


def run_migrate_bench(url: str | None, count: int = 10_000, batch: int = 200) -> Iterator[str]:
    target, drop = fresh_database(url, "smk_bench_migrate")
    engine = Engine(target, extensions=extensions())
    try:
        engine.create_schema()
        backend = engine.db.dialect.name
        yield f"migration benchmark on {backend}: {count} running instances, batches of {batch}"
        load_demo(engine)  # an organisation, so the tasks have an employee who completes them
        with engine.session_factory() as session:
            budi = int(session.scalar(select(User.id).where(User.username == "budi")) or 0)
        deploy(engine, {"bench_mig.bpmn": _model('"P7D"')}, None, name="bench")
        started = time.perf_counter()
        summaries = [instances.start_instance(engine, "bench_mig", None, budi, f"b{n}") for n in range(count)]
        start_seconds = time.perf_counter() - started
        for summary in summaries[::2]:  # half of them one step further: isi completed, periksa ready
            instances.complete_task(engine, budi, summary.ready_task_ids[0], {})
        yield f"  baseline: start {count} instances   {start_seconds:8.1f} s  ({start_seconds / count * 1000:.2f} ms each)"
        deploy(engine, {"bench_mig.bpmn": _model('"P14D"')}, None, name="bench")
        started = time.perf_counter()
        plan = migration.plan(engine, "bench_mig", 2)
        plan_seconds = time.perf_counter() - started
        yield (f"  plan: {len(plan.movable)} can move, {len(plan.blocked)} cannot   {plan_seconds:8.1f} s  "
               f"({plan_seconds / count * 1000:.2f} ms each)")
        started = time.perf_counter()
        result = migration.migrate_all(engine, "bench_mig", 2, None, batch)
        move_seconds = time.perf_counter() - started
        yield (f"  migrate: moved {len(result.moved)}, failed {len(result.failed)}   {move_seconds:8.1f} s  "
               f"({move_seconds / count * 1000:.2f} ms each, {len(result.moved) / move_seconds:.0f} instances/s)")
        yield f"  ratio move/start per instance: {move_seconds / start_seconds:.2f}"
        if len(result.moved) != count:
            yield f"  NOTE: expected {count} moved"
    finally:
        engine.dispose()
        drop()

