"""The one audit writer: every state change appends an event in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from engine.db.audit import AuditEvent, append
from engine.db.org import Position, User
from engine.db.runtime import Instance


def record(session: Session, kind: str, at: datetime, actor: User | None = None, *,
           instance_id: int | None = None, deployment_id: int | None = None, task_id: str | None = None,
           task_name: str | None = None, subject_id: int | None = None, instance: Instance | None = None,
           **data: Any) -> AuditEvent:
    """Append one audit event to the session's transaction (it commits or rolls back with the change).

    The event names the employee it concerns (the instance's subject unless given) and that employee's
    unit at the time, so that audits search by person and unit without joining through instances. It is
    numbered and hash-chained when the transaction commits (``engine.db.audit``).

    ``instance`` (the loaded Instance, instead of ``instance_id``) spares the lookups: the subject's unit is
    read once and carried with the instance for the rest of the transaction.
    """
    if instance is not None:
        instance_id = instance.id
        if subject_id is None or subject_id == instance.subject_id:
            subject_id, unit_id = instance.subject_id, subject_unit(session, instance)
        else:
            unit_id = unit_of(session, subject_id)
    else:
        if subject_id is None and instance_id is not None:
            loaded = session.get(Instance, instance_id)
            subject_id = loaded.subject_id if loaded is not None else None
        unit_id = unit_of(session, subject_id)
    event = AuditEvent(
        at=at, kind=kind, actor_id=actor.id if actor else None,
        actor=actor.username if actor else "system", instance_id=instance_id, deployment_id=deployment_id,
        task_id=task_id, task_name=task_name, subject_id=subject_id, unit_id=unit_id, data=_jsonable(data),
    )
    append(session, event)
    return event


def unit_of(session: Session, subject_id: int | None) -> int | None:
    """The unit of the employee's position now (None: no employee, or no position): from the session when it holds
    the employee and their position already, else in one statement (not the employee, then their position)."""
    if subject_id is None:
        return None
    held = session.identity_map.get(identity_key(User, subject_id))
    if isinstance(held, User) and "position" not in inspect(held).unloaded:
        return held.position.unit_id if held.position is not None else None
    return session.scalar(select(Position.unit_id).join(User, User.position_id == Position.id)
                          .where(User.id == subject_id))


def subject_unit(session: Session, instance: Instance) -> int | None:
    """The unit of the instance's subject, read once and carried with the loaded instance for the rest of the
    transaction: its audit events and the results recorded about its subject name it."""
    if instance.subject_unit is None:
        instance.subject_unit = (unit_of(session, instance.subject_id),)
    return instance.subject_unit[0]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
