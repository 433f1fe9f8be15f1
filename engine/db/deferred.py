"""Deferred starts: instances a step asked for, started later by the background worker, one per transaction.

A step that starts one instance per employee (the SMK period starting every employee's planning) cannot run
10,000 engine steps in the transaction of the person submitting a form. It writes one row per subject here
instead (``engine.services.operations`` ``start_process`` with ``bertahap``), and the worker's job
``engine.services.deferred.start_deferred`` starts each in its own short transaction, marking the row started
(``started_at``, ``instance_id``) or failed (``started_at`` and ``error``) in the same commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.base import Base, JsonDoc, str40, str120


class DeferredStart(Base):
    """One instance to start: process (a pinned version, or NULL for the latest when it starts), subject, period,
    start data; started (or failed) once."""

    __tablename__ = "deferred_start"
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str120]
    process_version_id: Mapped[int | None] = mapped_column(ForeignKey("process_version.id"))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    period: Mapped[str40]
    data: Mapped[Any] = mapped_column(JsonDoc)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    requested_by_instance_id: Mapped[int | None] = mapped_column(ForeignKey("instance.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instance.id", ondelete="SET NULL"))
    error: Mapped[str | None] = mapped_column(Text)

    # The worker reads the rows not started yet, oldest first: a partial index holds only those.
    __table_args__ = (
        Index("ix_deferred_start_pending", "id",
              postgresql_where=text("started_at IS NULL"), sqlite_where=text("started_at IS NULL")),
    )
