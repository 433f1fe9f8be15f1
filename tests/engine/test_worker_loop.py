"""The worker's loop waits between passes only when no job did a full batch: 10,000 deferred planning starts are
not spread over 100 five-second pauses."""

from __future__ import annotations

import threading

from engine.core import Engine
from engine.services.worker import FULL_BATCH, Worker


def _run(worker: Worker) -> threading.Thread:
    thread = threading.Thread(target=worker.run_forever, args=(30.0,), daemon=True)  # a long pause between passes
    thread.start()
    return thread


def test_a_full_batch_is_followed_by_the_next_pass_at_once(eng: Engine) -> None:
    results = [FULL_BATCH, FULL_BATCH + 3, 7]
    calls: list[int] = []
    worker = Worker(eng, [])

    def job(_engine: Engine) -> int:
        calls.append(1)
        if len(calls) == len(results):
            worker.stop()
        return results[len(calls) - 1]

    worker.jobs = [("busy", job)]
    thread = _run(worker)
    thread.join(10)  # with a 30 s pause after the first pass, the third would not come in time
    assert not thread.is_alive() and len(calls) == 3


def test_a_pass_below_a_full_batch_waits(eng: Engine) -> None:
    calls: list[int] = []
    worker = Worker(eng, [])

    def job(_engine: Engine) -> int:
        calls.append(1)
        return FULL_BATCH - 1

    worker.jobs = [("some", job)]
    thread = _run(worker)
    stopped = threading.Event()
    stopped.wait(1.0)
    worker.stop()
    thread.join(10)
    assert not thread.is_alive() and len(calls) == 1
