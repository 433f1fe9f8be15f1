"""The append-only audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.base import Base, JsonDoc, str120


class AuditEvent(Base):
    """An append-only record of one state change, written in the transaction that made the change."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(60), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor: Mapped[str120] = mapped_column(default="system")
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instance.id"), index=True)
    deployment_id: Mapped[int | None] = mapped_column(ForeignKey("deployment.id"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    task_name: Mapped[str | None] = mapped_column(String(120))
    data: Mapped[Any] = mapped_column(JsonDoc, default=dict)
