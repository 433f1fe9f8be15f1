"""Play a simulated year in several processes at once (``smk simulate --workers N``), for an organisation too
large for one core.

The year is the one ``processes.simulate`` plays, day by day on a simulated clock, with the same behaviours; only
who acts changes. A coordinator (this process) opens the period, then starts N worker processes, each with its own
engine, database connections and script sandbox. Every simulated day:

1. each worker acts on the open tasks of its share of the employees (a task belongs to the worker numbered
   ``subject_id % N``; the period's own tasks, which have no subject, to worker 0) until it has nothing left to do;
   the coordinator repeats the round until no worker acted, since one employee's step can give another work the
   same day (a superior's SKP lets the subordinates draft theirs);
2. the clock moves on a day, and every worker fires the timers that fell due and delivers the kept messages, as
   several ``smk worker`` processes would: each instance is claimed through the database (``SELECT … FOR UPDATE
   SKIP LOCKED`` on PostgreSQL; on SQLite its single write lock serialises them), so nothing fires or arrives twice.

On PostgreSQL the coordinator refreshes the planner's statistics at the start and at each simulated month, as
autovacuum would in production (this machine's server runs without it).

A step that collides with another worker's (a message delivered into an instance while its own task is being
completed) fails with a Conflict, leaves the database as it was, and is tried again on the next round: the engine's
optimistic version check is what keeps the year correct, as it does for concurrent users. Outcomes do not depend on
the order of the steps: the unit's distribution curve is decided for the whole unit at once (issue 15).

PostgreSQL is where this pays: SQLite lets one process write at a time.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from multiprocessing.connection import Connection
from typing import Any

from sqlalchemy import text

from engine.core import Engine, sandbox_limits_from_env
from engine.errors import Conflict, NotFound
from engine.runtime.clock import FixedClock
from engine.services.worker import run_engine_jobs
from processes.extension import extensions as smk_extensions
from processes.simulate import (
    DEMO,
    Behaviours,
    OpenTask,
    SimulatedYear,
    cpu_seconds,
    prepare,
    year_report,
)

#: How many rounds of work one simulated day may take before the coordinator moves on (a round in which nobody
#: acted ends the day; the one-process simulator allows 50 passes).
MAX_ROUNDS = 50


class _Share(SimulatedYear):
    """The simulation of one worker: the open tasks of its share of the employees."""

    def __init__(self, engine: Engine, year: int, behaviours: Behaviours, iku: list[dict[str, str]], hr: str,
                 until: date | None, index: int, workers: int, period_id: int):
        super().__init__(engine, year, behaviours, iku, hr, until)
        self.index, self.workers, self.period_id = index, workers, period_id

    def open(self, name: str | None = None, exclude: str | None = None, actionable_only: bool = False
             ) -> list[OpenTask]:
        return [r for r in super().open(name, exclude, actionable_only)
                if (r.subject_id or 0) % self.workers == self.index]

    def act(self, row: OpenTask) -> bool:
        try:
            return super().act(row)
        except (Conflict, NotFound):  # another worker's step changed the instance: try again next round
            self.stats["conflicts"] += 1
            return False

    def acted(self) -> int:
        return sum(n for k, n in self.stats.items() if k not in _NOT_COMPLETIONS)


_NOT_COMPLETIONS = frozenset({"skp_returned", "curve_returned", "curve_calibrated", "conflicts"})


@dataclass(frozen=True)
class _Setup:
    url: str
    year: int
    behaviours: Behaviours
    iku: list[dict[str, str]]
    hr: str
    until: date | None
    index: int
    workers: int
    period_id: int


def refresh_statistics(engine: Engine) -> None:
    """On PostgreSQL, refresh the planner's statistics (ANALYZE), as autovacuum does in production as tables grow;
    without it a year that starts on an empty database keeps the plans of empty tables. SQLite keeps none."""
    if engine.db.dialect.name == "postgresql":
        with engine.db.begin() as conn:
            conn.execute(text("ANALYZE"))


def _night(engine: Engine) -> int:
    """The worker's jobs, as ``smk worker`` runs them: start the deferred starts (the period's plannings), fire every
    timer due now, then deliver the kept messages whose instance now waits for them (a unit's curve decision told to
    its staff), until none finds anything more.
    Return how many steps ran."""
    return run_engine_jobs(engine)


def _serve(conn: Connection, setup: _Setup) -> None:
    """A worker process: answer the coordinator's commands until it says stop."""
    engine = Engine(setup.url, clock=FixedClock(), extensions=smk_extensions(), limits=sandbox_limits_from_env())
    sim = _Share(engine, setup.year, setup.behaviours, setup.iku, setup.hr, setup.until, setup.index,
                 setup.workers, setup.period_id)
    clock: FixedClock = engine.clock  # type: ignore[assignment]
    try:
        while True:
            command, now = conn.recv()
            if command == "stop":
                conn.send((dict(sim.stats), sorted(sim.stuck)))
                return
            clock.set(now)
            if command == "work":
                before = sim.acted()
                sim.work()
                conn.send((sim.acted() - before,))
            elif command == "timers":
                conn.send((_night(engine),))
    except BaseException as exc:  # say what went wrong instead of leaving the coordinator waiting
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        raise
    finally:
        engine.dispose()


@dataclass
class _Workers:
    """The coordinator's end of the worker processes."""

    processes: list[Any] = field(default_factory=list)
    conns: list[Connection] = field(default_factory=list)

    def ask(self, command: str, now: datetime | None) -> int:
        for conn in self.conns:
            conn.send((command, now))
        total = 0
        for i, conn in enumerate(self.conns):
            answer = conn.recv()
            if answer[0] == "error":
                raise RuntimeError(f"worker {i} of the simulation failed: {answer[1]}")
            total += answer[0]
        return total

    def stop(self) -> tuple[Counter[str], set[str]]:
        stats: Counter[str] = Counter()
        stuck: set[str] = set()
        for i, conn in enumerate(self.conns):
            conn.send(("stop", None))
            answer = conn.recv()
            if answer[0] == "error":
                raise RuntimeError(f"worker {i} of the simulation failed: {answer[1]}")
            stats.update(answer[0])
            stuck.update(answer[1])
        for process in self.processes:
            process.join(timeout=60)
        return stats, stuck

    def kill(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.kill()
            process.join(timeout=10)


def simulate_period_parallel(engine: Engine, year: int, workers: int, organisation: str = DEMO, seed: int = 1,
                             until: date | None = None, on_finish: Callable[[], None] | None = None,
                             progress: Callable[[str], None] | None = None) -> list[str]:
    """Play ``year`` as ``processes.simulate.simulate_period`` does, with ``workers`` processes acting at once, and
    return the report lines.

    ``on_finish`` is called once the year is played, while the workers, their sandbox processes and their database
    connections still live: a caller that measures CPU from /proc (``cpu_seconds``, the database server's backends)
    measures then, since what has exited no longer shows there. ``progress`` gets a line at the end of each simulated
    month (its CPU and the tasks completed so far), for a long run watched as it goes."""
    if workers < 2:
        raise ValueError("a parallel simulation needs at least 2 workers")
    started, cpu = time.perf_counter(), cpu_seconds()
    behaviours, iku, hr = prepare(engine, year, organisation, seed)
    sim_engine = Engine(engine.database_url, clock=FixedClock(), extensions=engine.extensions, db_engine=engine.db)
    sim = SimulatedYear(sim_engine, year, behaviours, iku, hr, until)
    opening = time.perf_counter()
    period = sim.open_period()
    opened = time.perf_counter() - opening
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited connections or threads
    pool = _Workers()
    try:
        for index in range(workers):
            ours, theirs = context.Pipe()
            setup = _Setup(engine.database_url, year, behaviours, iku, hr, until, index, workers, period.id)
            process = context.Process(target=_serve, args=(theirs, setup), name=f"smk-simulate-{index}")
            process.start()
            theirs.close()
            pool.processes.append(process)
            pool.conns.append(ours)
        starting = time.perf_counter()
        started_now = pool.ask("timers", sim.clock.now())  # the workers start the planning cases the opening requested
        if progress is not None:
            progress(f"  period opened in {opened:.1f} s; the workers started {started_now} planning cases in "
                     f"{time.perf_counter() - starting:.0f} s")
        refresh_statistics(engine)
        month, month_cpu = sim.today().strftime("%Y-%m"), cpu_seconds()
        while sim.clock.now() < sim.end:
            for _ in range(MAX_ROUNDS):
                if not pool.ask("work", sim.clock.now()):
                    break
            if sim.status(period.id) == "completed":
                break
            sim.clock.advance(days=1, minutes=1)  # Spiff fires a timer only once its time is strictly past
            pool.ask("timers", sim.clock.now())
            if sim.today().strftime("%Y-%m") != month:
                refresh_statistics(engine)
                now = cpu_seconds()  # the live workers and their sandboxes are this process's descendants
                if progress is not None:
                    progress(f"  {month}: CPU {now - month_cpu:.1f} s, {time.perf_counter() - started:.0f} s wall "
                             f"so far")
                sim.month_cpu[month], month, month_cpu = now - month_cpu, sim.today().strftime("%Y-%m"), now
        finished = cpu_seconds()  # with the live workers and their sandboxes, this process's descendants
        sim.month_cpu[month] = sim.month_cpu.get(month, 0.0) + finished - month_cpu
        if on_finish is not None:
            on_finish()
        stats, stuck = pool.stop()
    finally:
        pool.kill()
    sim.stats.update(stats)
    sim.stuck |= stuck
    conflicts = sim.stats.pop("conflicts", 0)
    elapsed = time.perf_counter() - started
    lines = year_report(sim, str(year), sim.instance(period.id), elapsed, finished - cpu)
    lines.insert(1, f"  {workers} proses pelaku / worker processes; langkah yang bertabrakan dan diulang / "
                    f"colliding steps retried: {conflicts}")
    return lines
