"""The background worker: fires due timers, delivers kept messages to the instances now waiting for them, and runs
other background jobs, in a loop or once."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from engine.core import Engine
from engine.services.deferred import start_deferred
from engine.services.documents import orphan_upload_job
from engine.services.messages import deliver_kept_messages
from engine.services.notifications import worker_jobs
from engine.services.timers import fire_due_timers

log = logging.getLogger(__name__)

Job = Callable[[Engine], int]


def default_jobs() -> list[tuple[str, Job]]:
    # Deferred starts first (the instances a step asked for exist before their timers and messages are looked at),
    # then timers: a deadline that has passed wins over a message delivered in the same pass.
    jobs: list[tuple[str, Job]] = [("deferred starts", start_deferred), ("timers", fire_due_timers),
                                   ("kept messages", deliver_kept_messages)]
    return jobs + list(worker_jobs()) + [("orphan uploads", orphan_upload_job)]


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
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(interval)

    def stop(self) -> None:
        self._stop.set()

    def start_thread(self, interval: float = 5.0) -> threading.Thread:
        """Run the loop in a daemon thread (the embedded default inside ``smk run``)."""
        thread = threading.Thread(target=self.run_forever, args=(interval,), name="smk-worker", daemon=True)
        thread.start()
        return thread
