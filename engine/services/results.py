"""Record and read results per subject and period (table ``subject_result``), in the caller's transaction.

A result is a value a step computes about a subject (an employee), a unit, or both, for a period, that other
instances need to read: one query by (kind, period, unit) or (kind, period, subject) finds them, however long
the audit log grows. Recording again under the same key replaces the value (latest wins); every recording is
also appended to the audit log, which stays the history of what was recorded when and by whom.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from engine.db.org import User
from engine.db.results import SubjectResult
from engine.services import audit

RESULT_RECORDED = "result.recorded"


@dataclass(frozen=True)
class Result:
    kind: str
    period: str
    value: Any
    subject_id: int | None
    unit_id: int | None
    instance_id: int | None
    recorded_at: datetime


def _plain(row: SubjectResult) -> Result:
    return Result(row.kind, row.period, row.value, row.subject_id, row.unit_id, row.instance_id, row.recorded_at)


def _key(kind: str, period: str, subject_id: int | None, unit_id: int | None) -> ColumnElement[bool]:
    return and_(SubjectResult.kind == kind, SubjectResult.period == period,
                SubjectResult.subject_id.is_(None) if subject_id is None else SubjectResult.subject_id == subject_id,
                SubjectResult.unit_id.is_(None) if unit_id is None else SubjectResult.unit_id == unit_id)


def record_result(session: Session, kind: str, period: str, value: Any, *, subject_id: int | None = None,
                  unit_id: int | None = None, instance_id: int | None = None, now: datetime,
                  actor: User | None = None, audit_kind: str = RESULT_RECORDED,
                  audit_data: dict[str, Any] | None = None) -> Result:
    """Set the result of ``kind`` for the subject and/or unit in ``period`` (replacing an earlier value).

    Appends one audit event, ``audit_kind`` (default ``result.recorded``), carrying ``result`` (the kind),
    ``period``, ``subject_id``, ``unit_id`` and ``value``, plus ``audit_data`` for an application that names its
    event and wants its own keys in it (they never override those five).
    """
    if subject_id is None and unit_id is None:
        raise ValueError("a result belongs to a subject, a unit or both")
    row = session.scalars(select(SubjectResult).where(_key(kind, period, subject_id, unit_id))
                          .order_by(SubjectResult.id.desc()).limit(1)).first()
    if row is None:
        row = SubjectResult(kind=kind, period=period, subject_id=subject_id, unit_id=unit_id)
        session.add(row)
    row.value, row.instance_id, row.recorded_at = value, instance_id, now
    session.flush()
    audit.record(session, audit_kind, now, actor, instance_id=instance_id, **{
        **(audit_data or {}), "result": kind, "period": period, "subject_id": subject_id, "unit_id": unit_id,
        "value": value})
    return _plain(row)


def results(session: Session, kind: str, period: str, unit_ids: Collection[int] | None = None,
            subject_ids: Collection[int] | None = None) -> list[Result]:
    """Return the results of ``kind`` in ``period``, for those units and/or subjects (None: any), oldest first.

    One indexed query. There is one result per (subject, unit) key: should two transactions have created the
    same key with a NULL part at once (SQL's unique constraints let NULLs repeat), the later one is returned.
    """
    if (unit_ids is not None and not unit_ids) or (subject_ids is not None and not subject_ids):
        return []
    query = select(SubjectResult).where(SubjectResult.kind == kind, SubjectResult.period == period)
    if unit_ids is not None:
        query = query.where(SubjectResult.unit_id.in_(list(unit_ids)))
    if subject_ids is not None:
        query = query.where(SubjectResult.subject_id.in_(list(subject_ids)))
    latest: dict[tuple[int | None, int | None], SubjectResult] = {}
    for row in session.scalars(query.order_by(SubjectResult.id)):
        latest[(row.subject_id, row.unit_id)] = row
    return [_plain(r) for r in sorted(latest.values(), key=lambda r: (r.recorded_at, r.id))]
