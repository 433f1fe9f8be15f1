"""Fire due timers: each due instance in its own short transaction, claimed through the database only.

Several workers (threads, processes, hosts) may run this at once. On PostgreSQL each claims a due instance
with ``SELECT … FOR UPDATE SKIP LOCKED``, so two workers never work on the same instance; on SQLite the
write lock (BEGIN IMMEDIATE) serialises them. Either way the optimistic ``version`` column is the last
guard: a stale write fails and the timer is left for the next pass, never fired twice.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from engine.core import Engine
from engine.db.base import unclaimed
from engine.db.runtime import RUNNING, WAITING, Instance
from engine.runtime.runner import StepFailure
from engine.services.instances import mark_error
from engine.services.stepping import after_save, fire_due_timers_in_session

log = logging.getLogger(__name__)


def due_instance_ids(engine: Engine, now: datetime, limit: int = 100) -> list[int]:
    with engine.session_factory() as session:
        return list(session.scalars(
            select(Instance.id).where(Instance.next_timer_at < now, Instance.status.in_((RUNNING, WAITING)))
            .order_by(Instance.next_timer_at).limit(limit)))


def fire_instance_timers(engine: Engine, instance_id: int) -> bool:
    """Fire the due timers of one instance; return True when this call fired them."""

    now = engine.now()
    try:
        with engine.session_factory.begin() as session:
            # Strictly earlier: SpiffWorkflow fires a timer only once its time has passed.
            instance = session.scalar(unclaimed(session, select(Instance).where(
                Instance.id == instance_id, Instance.next_timer_at < now, Instance.status.in_((RUNNING, WAITING)))))
            if instance is None:
                return False  # another worker has it, or it is no longer due
            bundle = engine.specs.for_version(session, instance.process_version_id)
            workflow = engine.runtime.load(instance, bundle)
            fire_due_timers_in_session(engine, session, instance, workflow, bundle, now)
            after_save(engine, session, instance, workflow)
        return True
    except StaleDataError:
        log.info("instance %s changed while firing its timers; it will be retried", instance_id)
        return False
    except StepFailure as failure:
        mark_error(engine, instance_id, failure)
        return False


def fire_due_timers(engine: Engine, limit: int = 100) -> int:
    """Fire every timer due at the engine clock's now; return how many instances fired."""
    fired = 0
    for instance_id in due_instance_ids(engine, engine.now(), limit):
        if fire_instance_timers(engine, instance_id):
            fired += 1
    return fired
