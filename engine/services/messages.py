"""Kept messages written in bulk, and the worker job that delivers them, each in its own short transaction.

A step that must tell many instances at once (a unit head's decision reaches every employee of the unit: 2,000 at
10,000 employees) cannot deliver the messages in its own transaction: each delivery is an engine step of the
receiving instance, and the sender is a person submitting a form. It writes them as kept messages instead
(``keep_messages``: one multi-row INSERT, one audit event), addressed by business key (employee + period), and
``deliver_kept_messages`` — a job of the background worker — delivers each to the instance that waits for it:

- one kept message, one short transaction: the receiving instance catches it and runs on, and the message is
  marked delivered to it in the same commit (``engine.services.stepping.deliver_kept``);
- several workers (threads, processes, hosts) may run the job at once. On PostgreSQL each claims the kept message
  and its receiving instance with ``SELECT … FOR UPDATE SKIP LOCKED``, so two workers never work on the same one;
  on SQLite the write lock (BEGIN IMMEDIATE) serialises them. The claim re-reads ``delivered_at`` once it holds the
  row, and the instance's optimistic ``version`` column is the last guard: a message is never delivered twice;
- a message kept for an instance that does not wait for it yet stays kept: the instance takes it as soon as it
  starts waiting (on save, ``stepping.route_after_save``), or this job does on its next pass.

The job reads only undelivered messages (a partial index, ``ix_pending_message_undelivered``), so its cost does
not grow with the messages delivered over the years.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.core import Engine
from engine.db.base import unclaimed
from engine.db.runtime import RUNNING, WAITING, Instance, PendingMessage
from engine.runtime.runner import StepFailure
from engine.services import audit
from engine.services.instances import mark_error
from engine.services.stepping import deliver_kept

log = logging.getLogger(__name__)

#: Business keys per statement when looking up many at once.
KEY_BATCH = 1000


def keep_messages(session: Session, name: str, messages: Iterable[tuple[str, Any]], sender: Instance | None,
                  now: datetime) -> int:
    """Keep one message ``name`` per (business key, payload), in the caller's transaction, without delivering any.

    One multi-row INSERT and one audit event (``message.kept`` with how many), however many messages: the worker
    delivers them (``deliver_kept_messages``). A business key that already has an undelivered message of that name
    gets no second one (it would only wake the instance twice). Returns how many were kept.
    """
    wanted = {str(key): payload for key, payload in messages}
    if not wanted:
        return 0
    keys = sorted(wanted)
    already: set[str] = set()
    for start in range(0, len(keys), KEY_BATCH):  # bounded IN lists, however large the unit
        already.update(session.scalars(select(PendingMessage.business_key).where(
            PendingMessage.name == name, PendingMessage.delivered_at.is_(None),
            PendingMessage.business_key.in_(keys[start:start + KEY_BATCH]))))
    rows = [{"name": name, "business_key": key, "payload": payload,
             "sender_instance_id": sender.id if sender is not None else None, "created_at": now}
            for key, payload in sorted(wanted.items()) if key not in already]
    if rows:
        session.execute(insert(PendingMessage), rows)
        audit.record(session, "message.kept", now, None, instance=sender, message=name, jumlah=len(rows))
    return len(rows)


#: Undelivered kept messages read per statement while looking for deliverable ones.
SCAN_BATCH = 500


def deliverable(engine: Engine, limit: int = 100) -> list[tuple[int, int]]:
    """(kept message, receiving instance) pairs for undelivered messages whose instance now waits for them, oldest
    message first; one instance per message (the lowest id, as delivery on save would).

    It reads the undelivered messages in id order (the partial index), a batch at a time, then the live instances
    of their business keys (the business-key index): two plain indexed reads per batch, whatever the number of
    instances and of messages delivered before. Messages kept for an instance that does not wait (yet) are passed
    over, never in the way of later ones."""
    pairs: list[tuple[int, int]] = []
    after = 0
    with engine.session_factory() as session:
        while len(pairs) < limit:
            kept = session.execute(
                select(PendingMessage.id, PendingMessage.name, PendingMessage.business_key)
                .where(PendingMessage.delivered_at.is_(None), PendingMessage.id > after)
                .order_by(PendingMessage.id).limit(SCAN_BATCH)).all()
            if not kept:
                break
            after = kept[-1][0]
            waiting: dict[str, list[tuple[int, str]]] = {}
            # The status is tested here, not in SQL: SQLite (no statistics) would read the live instances through
            # the status index instead of the few of these business keys.
            for instance_id, key, status, names in session.execute(
                    select(Instance.id, Instance.business_key, Instance.status, Instance.waiting_messages)
                    .where(Instance.business_key.in_(sorted({key for _, _, key in kept})),
                           Instance.waiting_messages != "")
                    .order_by(Instance.id)):
                if status in (RUNNING, WAITING):
                    waiting.setdefault(key, []).append((instance_id, names or ""))
            for message_id, name, key in kept:
                target = next((i for i, names in waiting.get(key, []) if f",{name}," in names), None)
                if target is not None:
                    pairs.append((message_id, target))
    return pairs[:limit]


def deliver_kept_message(engine: Engine, message_id: int, instance_id: int) -> bool:
    """Deliver one kept message to the instance waiting for it, in a transaction of its own; return True when this
    call delivered it (False: delivered or claimed by another worker, or the instance no longer waits for it)."""
    try:
        with engine.session_factory.begin() as session:
            kept = session.scalar(unclaimed(session, select(PendingMessage).where(
                PendingMessage.id == message_id, PendingMessage.delivered_at.is_(None))))
            if kept is None:
                return False  # delivered since it was listed, or another worker holds it
            target = select(Instance).where(Instance.id == instance_id, Instance.business_key == kept.business_key,
                                            Instance.status.in_((RUNNING, WAITING)))
            instance = session.scalar(unclaimed(session, target))
            if instance is None or f",{kept.name}," not in (instance.waiting_messages or ""):
                return False  # another worker is stepping it, or it moved on: the next pass looks again
            if deliver_kept(engine, session, kept, instance):
                return True
            log.warning("instance %s is listed as waiting for %r but did not take it", instance_id, kept.name)
            return False
    except StaleDataError:
        log.info("instance %s changed while a kept message was delivered to it; it will be retried", instance_id)
        return False
    except StepFailure as failure:
        mark_error(engine, instance_id, failure)
        return False


def deliver_kept_messages(engine: Engine, limit: int = 100) -> int:
    """Deliver kept messages to the instances now waiting for them (up to ``limit``); return how many."""
    return sum(1 for message_id, instance_id in deliverable(engine, limit)
               if deliver_kept_message(engine, message_id, instance_id))
