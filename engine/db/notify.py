"""SQLAlchemy models for in-app notifications and the e-mail outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.base import Base, str40, str255

TASK_READY, TASK_ASSIGNED, DUE_SOON, OVERDUE = "task_ready", "task_assigned", "due_soon", "overdue"
TASK_UNASSIGNED = "task_unassigned"  # told to administrators and Biro SDM: nobody can act on a new task
NOTIFICATION_KINDS = (TASK_READY, TASK_ASSIGNED, DUE_SOON, OVERDUE, TASK_UNASSIGNED)

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"


class Notification(Base):
    """One message to one user, shown under the bell until read."""

    __tablename__ = "notification"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str40]
    title: Mapped[str255]
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(255))
    task_id: Mapped[str | None] = mapped_column(String(36))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
    # "<kind>:<task id>": the same user is never told the same thing about the same task twice,
    # even when two workers look for due tasks at the same moment.
    dedupe_key: Mapped[str | None] = mapped_column(String(120))

    __table_args__ = (
        UniqueConstraint("user_id", "dedupe_key"),
        Index("ix_notification_user_read", "user_id", "read_at"),
        Index("ix_notification_task_kind", "task_id", "kind"),
    )


class EmailOutbox(Base):
    """An e-mail waiting to be sent by the background sender (never inside a web request)."""

    __tablename__ = "email_outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notification.id", ondelete="SET NULL"))
    to_address: Mapped[str255]
    subject: Mapped[str255]
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(255))
    # A set-password e-mail: its one-time link is made only when the row is sent (engine/services/notifications.py),
    # so the secret never sits in this table; ``link`` stays empty for such rows.
    password_link_id: Mapped[int | None] = mapped_column(ForeignKey("password_link.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When the row may next be tried; while "sending" it is the end of the sender's lease, so a
    # sender that died mid-batch does not strand its rows.
    next_attempt_at: Mapped[datetime]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_email_outbox_status_next", "status", "next_attempt_at"),)
