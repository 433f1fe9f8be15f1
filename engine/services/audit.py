"""The one audit writer: every state change appends an event in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.db.audit import AuditEvent
from engine.db.org import User


def record(session: Session, kind: str, at: datetime, actor: User | None = None, *,
           instance_id: int | None = None, deployment_id: int | None = None, task_id: str | None = None,
           task_name: str | None = None, **data: Any) -> AuditEvent:
    """Append one audit event to the session's transaction (it commits or rolls back with the change)."""
    event = AuditEvent(
        at=at, kind=kind, actor_id=actor.id if actor else None,
        actor=actor.username if actor else "system", instance_id=instance_id, deployment_id=deployment_id,
        task_id=task_id, task_name=task_name, data=_jsonable(data),
    )
    session.add(event)
    return event


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
