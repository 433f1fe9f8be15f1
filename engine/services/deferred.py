"""Deferred starts written in bulk, and the worker job that starts them, each in its own short transaction.

A step that starts one instance per employee (the SMK period opening every employee's planning: 10,000 at a large
ministry) cannot start them in its own transaction: each start is a full engine step of the new instance, and the
step belongs to a person submitting a form (at 1,000 employees ~50 s, at 10,000 over 10 minutes: the request timed
out and rolled back). ``defer_starts`` writes one ``deferred_start`` row per subject instead (one multi-row INSERT
and one audit event, in the caller's transaction), and ``start_deferred`` — a job of the background worker — starts
each as ``start_process`` did (``stepping.start_in_session``: notifications, audit and message routing as before):

- one row, one short transaction: the instance is started and the row marked started with its id in one commit;
- several workers may run the job at once. On PostgreSQL each claims the next row with ``SELECT … FOR UPDATE SKIP
  LOCKED``; on SQLite the write lock (BEGIN IMMEDIATE) serialises them; the claim reads ``started_at IS NULL``
  while it holds the row, so a row is never started twice;
- a start that fails (the model raises in its first step, the process is no longer deployed) rolls back, and a
  second transaction records the error on the row and sets ``started_at`` (with no ``instance_id``): the row leaves
  the pending rows and is not tried again; ``deferred_start.failed`` in the audit log says so. Starting it again is
  an administrator's decision (start the instance by hand once the model is fixed).

The job reads only the rows not started yet (a partial index, ``ix_deferred_start_pending``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, insert, select, update
from sqlalchemy.orm import Session

from engine.core import Engine
from engine.db.base import unclaimed
from engine.db.deferred import DeferredStart
from engine.db.deploy import ProcessVersion
from engine.db.org import User
from engine.db.runtime import Instance
from engine.errors import EngineError
from engine.runtime.runner import StepFailure
from engine.services import audit
from engine.services.bundle_store import latest_version
from engine.services.stepping import start_in_session

log = logging.getLogger(__name__)


def defer_starts(session: Session, version: ProcessVersion, subject_ids: Iterable[int | None], period: str,
                 data: dict[str, Any], started_by: int | None, requested_by: Instance | None, now: datetime) -> int:
    """Write one deferred start of ``version`` per subject, in the caller's transaction; return how many.

    One multi-row INSERT and one audit event (``deferred_start.written`` with how many), however many subjects."""
    rows = [{"process_id": version.process_id, "process_version_id": version.id, "subject_id": subject_id,
             "period": period, "data": data, "started_by_id": started_by,
             "requested_by_instance_id": requested_by.id if requested_by is not None else None, "created_at": now}
            for subject_id in subject_ids]
    if rows:
        session.execute(insert(DeferredStart), rows)
        audit.record(session, "deferred_start.written", now, None, instance=requested_by,
                     process_id=version.process_id, version=version.version, period=period, jumlah=len(rows),
                     title=f"{len(rows)} × {version.name or version.process_id}")
    return len(rows)


def _claim(session: Session, after: int) -> DeferredStart | None:
    return session.scalar(unclaimed(session, select(DeferredStart)
                                    .where(DeferredStart.started_at.is_(None), DeferredStart.id > after)
                                    .order_by(DeferredStart.id).limit(1)))


def _record_failure(engine: Engine, row_id: int, error: str) -> None:
    with engine.session_factory.begin() as session:
        row = session.get(DeferredStart, row_id, with_for_update=True)
        if row is None or row.started_at is not None:
            return
        now = engine.now()
        row.started_at, row.error = now, error[:4000]
        audit.record(session, "deferred_start.failed", now, None, instance_id=row.requested_by_instance_id,
                     subject_id=row.subject_id, process_id=row.process_id, period=row.period, error=row.error)
    log.warning("deferred start %s failed: %s", row_id, error)


def start_next(engine: Engine, after: int = 0) -> tuple[int, int | None] | None:
    """Start the oldest deferred start past id ``after`` that no other worker holds, in one transaction.

    Return (row id, the new instance's id or None when the start failed and its error was recorded), or None when
    no row is left."""
    row_id: int | None = None
    try:
        with engine.session_factory.begin() as session:
            row = _claim(session, after)
            if row is None:
                return None
            row_id = row.id
            version = (session.get(ProcessVersion, row.process_version_id)
                       if row.process_version_id is not None else latest_version(session, row.process_id))
            if version is None:
                raise StepFailure(f"process version {row.process_version_id} no longer exists")
            instance = start_in_session(engine, session, version, row.started_by_id, row.subject_id, row.period,
                                        dict(row.data or {}))
            row.started_at, row.instance_id = engine.now(), instance.id
            return row_id, instance.id
    except StepFailure as exc:
        failure = exc.message + (f" ({exc.task})" if exc.task else "")
    except EngineError as exc:
        failure = exc.message
    if row_id is None:
        raise RuntimeError("a deferred start failed before it was claimed")
    # The start's transaction rolled back (nothing of the new instance is kept); the error goes in a transaction
    # of its own, and the row is then done: it is not tried again.
    _record_failure(engine, row_id, failure)
    return row_id, None


def start_deferred(engine: Engine, limit: int = 100) -> int:
    """Start up to ``limit`` deferred starts, each in its own transaction; return how many rows were handled
    (started, or failed with their error recorded)."""
    done, after = 0, 0
    while done < limit:
        result = start_next(engine, after)
        if result is None:
            break
        after = result[0]
        done += 1
    return done


def start_all_deferred(engine: Engine) -> int:
    """Start every deferred start that is waiting (as the worker's passes would, without waiting between them);
    return how many rows were handled. For one-process set-ups (the demo, the simulator, tests)."""
    total = 0
    while (done := start_deferred(engine)) > 0:
        total += done
    return total


def retry_failed(engine: Engine, actor_id: int, requested_by_instance_id: int, process_id: str | None = None) -> int:
    """Put the failed deferred starts an instance requested back in the queue (once the model that made them fail
    is fixed): the worker tries each once more. Return how many; the caller has checked that ``actor_id`` may.

    One UPDATE and one audit event (``deferred_start.retried``) in one transaction."""
    with engine.session_factory.begin() as session:
        failed: list[ColumnElement[bool]] = [DeferredStart.requested_by_instance_id == requested_by_instance_id,
                                             DeferredStart.started_at.is_not(None), DeferredStart.instance_id.is_(None)]
        if process_id is not None:
            failed.append(DeferredStart.process_id == process_id)
        ids = list(session.scalars(select(DeferredStart.id).where(*failed).with_for_update()))
        if not ids:
            return 0
        session.execute(update(DeferredStart).where(DeferredStart.id.in_(ids))
                        .values(started_at=None, error=None).execution_options(synchronize_session=False))
        actor = session.get(User, actor_id)
        audit.record(session, "deferred_start.retried", engine.now(), actor, instance_id=requested_by_instance_id,
                     process_id=process_id, jumlah=len(ids))
    return len(ids)
