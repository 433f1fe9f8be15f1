"""Results per subject and period: values one process records and other instances read (latest value wins).

A result belongs to a subject (an employee), a unit, or both, for one period; ``kind`` names what it is (the
application chooses the names). There is one row per (kind, period, subject_id, unit_id): recording again
replaces the value. The audit log keeps the history of what was recorded when.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.base import Base, JsonDoc, str40
from engine.db.runtime import Instance


class SubjectResult(Base):
    """The latest value of one kind of result for a subject and/or unit in a period."""

    __tablename__ = "subject_result"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    period: Mapped[str40]
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instance.id", ondelete="SET NULL"))
    value: Mapped[Any] = mapped_column(JsonDoc)
    recorded_at: Mapped[datetime]

    __table_args__ = (
        # Also the index for lookups by (kind, period, subject_id): they are its leading columns.
        # SQL treats NULLs as distinct, so a key with a NULL part is kept unique by the service, not here.
        UniqueConstraint("kind", "period", "subject_id", "unit_id"),
        Index("ix_subject_result_kind_period_unit", "kind", "period", "unit_id"),
    )


# The reports (``processes.reports``) and the audit filter "process and period" select one period's cases of one
# process; the single-column index on ``instance.process_id`` left PostgreSQL reading every period's cases of it.
# Declared here, beside the results the reports read, and created by migration 0010.
Index("ix_instance_process_period", Instance.process_id, Instance.period)
