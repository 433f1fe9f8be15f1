"""Inbox queries: read only the task index (never a workflow), filtered, sorted and paginated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from engine.assignment import actionable, is_group_task
from engine.core import Engine
from engine.models import Instance, ProcessVersion, TaskIndex, User


@dataclass
class InboxItem:
    id: str
    instance_id: int
    process_id: str
    process_name: str
    title: str
    lane: str | None
    subject_id: int | None
    subject_name: str
    period: str
    assignee_id: int | None
    assignee_name: str
    group_task: bool
    ready_at: datetime
    due_at: datetime | None
    overdue: bool
    instance_status: str = "running"  # suspended / error: the task waits until an administrator acts


@dataclass
class Page:
    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


SORTS = {
    "due": (TaskIndex.due_at.is_(None), TaskIndex.due_at, TaskIndex.ready_at),
    "newest": (TaskIndex.ready_at.desc(),),
    "oldest": (TaskIndex.ready_at,),
    "title": (TaskIndex.title, TaskIndex.ready_at),
}


def inbox(engine: Engine, user_id: int, *, process_id: str | None = None, period: str | None = None,
          subject: str | None = None, sort: str = "due", page: int = 1, per_page: int = 20) -> Page:
    """Return one page of the tasks the user may act on."""
    per_page = max(1, min(per_page, 100))
    page = max(1, page)
    now = engine.now()
    with engine.session_factory() as session:
        where = [TaskIndex.closed_at.is_(None), actionable(session, user_id)]
        if process_id:
            where.append(TaskIndex.process_id == process_id)
        if period:
            where.append(TaskIndex.period == period)
        subject_user = aliased(User)
        if subject:
            pattern = subject.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append(subject_user.full_name.ilike(f"%{pattern}%", escape="\\"))
        base = select(TaskIndex).outerjoin(subject_user, subject_user.id == TaskIndex.subject_id).where(*where)
        total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
        rows = session.scalars(base.order_by(*SORTS.get(sort, SORTS["due"]))
                               .offset((page - 1) * per_page).limit(per_page)).all()
        return Page([_item(session, r, now) for r in rows], page, per_page, total)


def count(engine: Engine, user_id: int) -> int:
    """Return how many tasks the user may act on (for the navigation badge)."""
    with engine.session_factory() as session:
        return session.scalar(select(func.count(TaskIndex.id)).where(TaskIndex.closed_at.is_(None),
                                                                 actionable(session, user_id))) or 0


def _item(session: Session, row: TaskIndex, now: datetime) -> InboxItem:
    subject = session.get(User, row.subject_id) if row.subject_id else None
    assignee = session.get(User, row.assignee_id) if row.assignee_id else None
    instance = session.get(Instance, row.instance_id)
    version = session.get(ProcessVersion, instance.process_version_id) if instance else None
    return InboxItem(
        id=row.id, instance_id=row.instance_id, process_id=row.process_id,
        process_name=version.name if version else row.process_id, title=row.title, lane=row.lane,
        subject_id=row.subject_id, subject_name=subject.full_name if subject else "", period=row.period,
        assignee_id=row.assignee_id, assignee_name=assignee.full_name if assignee else "",
        group_task=is_group_task(row), ready_at=row.ready_at, due_at=row.due_at,
        overdue=bool(row.due_at and row.due_at < now), instance_status=instance.status if instance else "",
    )
