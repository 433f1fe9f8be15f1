"""Inbox queries: read only the task index (never a workflow), filtered, sorted and paginated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session, aliased

from engine.access import LANES, actionable, is_group_task
from engine.core import Engine
from engine.db.deploy import ProcessVersion
from engine.db.org import User
from engine.db.runtime import Instance, TaskIndex


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


SCOPES = ("all", "mine", "group")
DUE_FILTERS = ("overdue", "week", "none")


def group_clause() -> ColumnElement[bool]:
    """Tasks offered to a group (claimed or not), as opposed to personal ones."""
    personal = TaskIndex.lane.in_(tuple(LANES.personal))
    return (TaskIndex.candidate_groups != "") | (TaskIndex.lane.is_not(None) & ~personal)


def is_waiting() -> ColumnElement[bool]:
    """Waiting steps: open tasks whose model says the person can only look at what the process waits for."""
    return TaskIndex.waiting.is_(True)


def not_waiting() -> ColumnElement[bool]:
    """Work: every task that is not a waiting step (what the inbox lists first and the badge counts)."""
    return TaskIndex.waiting.is_(False)


def inbox(engine: Engine, user_id: int, *, scope: str = "all", process_id: str | None = None,
          period: str | None = None, subject: str | None = None, due: str | None = None, sort: str = "due",
          page: int = 1, per_page: int = 20, waiting: bool = False) -> Page:
    """Return one page of the tasks the user may act on: all, only personal ones ("mine") or group tasks; their
    work, or with ``waiting=True`` their waiting steps."""
    with engine.session_factory() as session:
        return inbox_in(session, actionable(session, user_id), user_id, engine.now(), scope=scope,
                        process_id=process_id, period=period, subject=subject, due=due, sort=sort, page=page,
                        per_page=per_page, waiting=waiting)


def inbox_in(session: Session, mine: ColumnElement[bool], user_id: int, now: datetime, *, scope: str = "all",
             process_id: str | None = None, period: str | None = None, subject: str | None = None,
             due: str | None = None, sort: str = "due", page: int = 1, per_page: int = 20,
             total: int | None = None, waiting: bool = False) -> Page:
    """``inbox`` inside the caller's session, for the tasks ``mine`` selects (``actionable(session, user_id)``,
    computed once per request): two statements, the count and the page; one when the caller knows ``total``
    (the facets counted every open task of the user: the total when nothing is filtered).

    The work only, or with ``waiting`` the waiting steps only (``TaskIndex.waiting``, the model's ``waitingStep``:
    the person can only look at what the process waits for). Either is a filter on the rows ``mine`` found
    through its indexes, so the plan stays the same."""
    per_page = max(1, min(per_page, 100))
    page = max(1, page)
    where = [TaskIndex.closed_at.is_(None), mine, is_waiting() if waiting else not_waiting()]
    if scope == "mine":
        where.append(~group_clause() | (TaskIndex.assignee_id == user_id))
    elif scope == "group":
        where.append(group_clause())
    if process_id:
        where.append(TaskIndex.process_id == process_id)
    if period:
        where.append(TaskIndex.period == period)
    if due == "overdue":
        where.append(TaskIndex.due_at < now)
    elif due == "week":
        where.append(and_(TaskIndex.due_at >= now, TaskIndex.due_at < now + timedelta(days=7)))
    elif due == "none":
        where.append(TaskIndex.due_at.is_(None))
    subject_user, assignee = aliased(User), aliased(User)
    if subject:
        pattern = subject.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(subject_user.full_name.ilike(f"%{pattern}%", escape="\\"))
    filtered = select(TaskIndex.id).where(*where)
    if subject:
        filtered = filtered.join(subject_user, subject_user.id == TaskIndex.subject_id)
    if total is None:
        total = session.scalar(select(func.count()).select_from(filtered.subquery())) or 0
    # The page's task ids first (sorted and cut on the task rows alone), then one statement joins the names,
    # the instance's status and the process name for those rows only (small columns: never the workflow state).
    # Ties (tasks made ready by one step, with the same deadline) by title, then id: pages never overlap.
    order = (*SORTS.get(sort, SORTS["due"]), TaskIndex.title, TaskIndex.id)
    ids = filtered.order_by(*order).offset((page - 1) * per_page).limit(per_page).subquery()
    rows = session.execute(
        select(TaskIndex, subject_user.full_name, assignee.full_name, Instance.status, ProcessVersion.name)
        .join(ids, ids.c.id == TaskIndex.id)
        .join(Instance, Instance.id == TaskIndex.instance_id)
        .join(ProcessVersion, ProcessVersion.id == Instance.process_version_id)
        .outerjoin(subject_user, subject_user.id == TaskIndex.subject_id)
        .outerjoin(assignee, assignee.id == TaskIndex.assignee_id)
        .order_by(*order)).all()
    return Page([_item(*r, now) for r in rows], page, per_page, total)


def count(engine: Engine, user_id: int) -> int:
    """Return how many tasks the user may act on (for the navigation badge): their work, not their waiting
    steps (``TaskIndex.waiting``), which are no work due."""
    with engine.session_factory() as session:
        return count_in(session, user_id)


def count_in(session: Session, user_id: int) -> int:
    """``count`` in the caller's session (the navigation reads all it shows in one transaction)."""
    return session.scalar(select(func.count(TaskIndex.id)).where(TaskIndex.closed_at.is_(None),
                                                             actionable(session, user_id), not_waiting())) or 0


def _item(row: TaskIndex, subject_name: str | None, assignee_name: str | None, status: str,
          process_name: str | None, now: datetime) -> InboxItem:
    return InboxItem(
        id=row.id, instance_id=row.instance_id, process_id=row.process_id,
        process_name=process_name or row.process_id, title=row.title, lane=row.lane,
        subject_id=row.subject_id, subject_name=subject_name or "", period=row.period,
        assignee_id=row.assignee_id, assignee_name=assignee_name or "",
        group_task=is_group_task(row), ready_at=row.ready_at, due_at=row.due_at,
        overdue=bool(row.due_at and row.due_at < now), instance_status=status or "",
    )
