"""The background worker: fires due timers, delivers kept messages to the instances now waiting for them, and runs
other background jobs, in a loop or once."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from engine.core import Engine
from engine.services.acting import hand_over_acting_days
from engine.services.deferred import start_deferred
from engine.services.documents import orphan_upload_job
from engine.services.messages import deliver_kept_messages
from engine.services.notifications import worker_jobs
from engine.services.timers import fire_due_timers

log = logging.getLogger(__name__)

Job = Callable[[Engine], int]
# The batch the engine's jobs take per pass (their ``limit``): a job that did this many has more waiting.
FULL_BATCH = 100


def engine_jobs() -> list[tuple[str, Job]]:
    """The jobs that move instances on, in the order a pass runs them. Deferred starts first (the instances a step
    asked for exist before their timers and messages are looked at), then timers: a deadline that has passed wins
    over a message delivered in the same pass. Last, the acting officials' first and last days: who may act on the
    open tasks changes with the date, and the tasks with stand-ins follow it (``acting.hand_over_acting_days``)."""
    return [("deferred starts", start_deferred), ("timers", fire_due_timers), ("kept messages", deliver_kept_messages),
            ("acting days", hand_over_acting_days)]


def default_jobs() -> list[tuple[str, Job]]:
    return engine_jobs() + list(worker_jobs()) + [("orphan uploads", orphan_upload_job)]


def run_engine_jobs(engine: Engine, max_passes: int | None = None) -> int:
    """Run the engine's jobs in passes until a pass finds nothing (or ``max_passes``); return how many steps ran.

    What a worker that keeps running does between two moves of a simulated clock: the simulators' nights, scenario
    ``wait`` steps and the tests' ``advance``. Errors propagate (the worker loop logs them instead)."""
    jobs = [job for _name, job in engine_jobs()]
    done, passes = 0, 0
    while max_passes is None or passes < max_passes:
        passes += 1
        n = sum(job(engine) for job in jobs)
        done += n
        if n == 0:
            break
    return done


class Worker:
    """Runs each job in turn; one job's failure is logged and never stops the others."""

    def __init__(self, engine: Engine, jobs: list[tuple[str, Job]] | None = None):
        self.engine = engine
        self.jobs = jobs if jobs is not None else default_jobs()
        self._stop = threading.Event()

    def run_once(self) -> dict[str, int]:
        """Run every job once; return what each did."""
        done = {}
        for name, job in self.jobs:
            try:
                done[name] = job(self.engine)
            except Exception:  # a broken job must not kill the worker loop
                log.exception("worker job %s failed", name)
                done[name] = -1
        return done

    def run_forever(self, interval: float = 5.0) -> None:
        """Run every job, then wait ``interval`` seconds, until stopped. A pass in which a job did a full batch
        (``FULL_BATCH``: the 10,000 planning cases of a period being opened, a unit's curve messages) is followed by
        the next pass at once: more is waiting."""
        while not self._stop.is_set():
            done = self.run_once()
            if not any(n >= FULL_BATCH for n in done.values()):
                self._stop.wait(interval)

    def stop(self) -> None:
        self._stop.set()

    def start_thread(self, interval: float = 5.0) -> threading.Thread:
        """Run the loop in a daemon thread (the embedded default inside ``smk run``)."""
        thread = threading.Thread(target=self.run_forever, args=(interval,), name="smk-worker", daemon=True)
        thread.start()
        return thread
