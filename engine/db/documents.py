"""Uploaded documents (bukti dukung) and saved form drafts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.base import Base, JsonDoc, str120, str255


class Document(Base):
    """One uploaded file, attached to the instance (and task) it was uploaded for."""

    __tablename__ = "document"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    filename: Mapped[str255]
    content_type: Mapped[str120]
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime]


class TaskDraft(Base):
    """What a user typed into a task's form and saved without submitting; one per task and user."""

    __tablename__ = "task_draft"
    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    data: Mapped[Any] = mapped_column(JsonDoc)
    saved_at: Mapped[datetime]
