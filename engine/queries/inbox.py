"""The inbox as the web app shows it: the engine's inbox query plus scope, due filters, facets, the user's waiting
steps (apart from the work: ``TaskIndex.waiting``) and what the user is waiting for. Reads only the task index, the
instance and process-version rows (never a workflow)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from engine.access import actionable, is_group_task, lane_holder_name
from engine.core import Engine
from engine.db.deploy import ProcessVersion
from engine.db.org import User
from engine.db.runtime import TaskIndex
from engine.services.inbox import DUE_FILTERS, SCOPES, InboxItem, Page, group_clause, inbox_in, is_waiting

DUE_SOON = timedelta(days=3)
WAITING_SHOWN = 50  # the waiting steps listed under the work (the section says how many there are in all)


@dataclass
class Row(InboxItem):
    """An inbox item plus what the web inbox also shows."""

    due_soon: bool = False


@dataclass
class Facets:
    processes: list[tuple[str, str]]
    periods: list[str]
    mine: int  # the work (not waiting steps) personal to the user, or claimed by them
    group: int  # the work offered to a group
    overdue: int
    waiting: int = 0  # the waiting steps (``TaskIndex.waiting``): shown apart, never counted as work


@dataclass
class WaitingOnOthers:
    """An open task of the user's own process that someone else must do (for the empty inbox)."""

    instance_id: int
    title: str
    lane: str | None
    who: str


@dataclass
class InboxView:
    """What the inbox page shows, read in one transaction."""

    page: Page  # the work
    facets: Facets
    waiting: list[WaitingOnOthers]  # only when the inbox is empty
    waiting_steps: Page  # the user's waiting steps (the first WAITING_SHOWN), under the same filters

    @property
    def open_tasks(self) -> int:
        """All the tasks the user may act on (the navigation's badge), whatever the filters: the work, not the
        waiting steps."""
        return self.facets.mine + self.facets.group


def inbox_view(engine: Engine, user_id: int, **filters: Any) -> InboxView:
    """Return one page of the user's work (engine.inbox.inbox's filters) with due-soon marks, the facets, the
    user's waiting steps under the same filters and, for an empty inbox, what the user's own processes wait for:
    one read transaction, the user's relations (subordinates, groups) resolved once. The waiting steps cost no
    statement when the user has none (the facets counted them), one when nothing is filtered, else two."""
    with engine.session_factory() as session:
        mine = actionable(session, user_id)
        facets = _facets(session, mine, engine.now())
        unfiltered = not any(filters.get(k) for k in ("process_id", "period", "subject", "due")) and \
            filters.get("scope", "all") == "all"
        page = _page(session, mine, user_id, engine.now(), **filters,
                     total=facets.mine + facets.group if unfiltered else None)
        steps = Page([], 1, WAITING_SHOWN, 0)
        if facets.waiting:
            steps = _page(session, mine, user_id, engine.now(), **(filters | {"page": 1, "per_page": WAITING_SHOWN}),
                          total=facets.waiting if unfiltered else None, waiting=True)
        return InboxView(page, facets, _waiting(session, mine, user_id) if page.total == 0 else [], steps)


def _page(session: Session, mine: ColumnElement[bool], user_id: int, now: datetime, **filters: Any) -> Page:
    page = inbox_in(session, mine, user_id, now, **filters)
    if page.page > page.pages:  # past the end (an old link, a hand-typed number): show the last page
        page = inbox_in(session, mine, user_id, now, **(filters | {"page": page.pages}))
    page.items = [Row(**vars(item), due_soon=bool(item.due_at and not item.overdue and item.due_at - now < DUE_SOON))
                  for item in page.items]
    return page


def _facets(session: Session, mine: ColumnElement[bool], now: datetime) -> Facets:
    """Two statements: the counts by process and period, and the processes' names. The waiting steps are
    counted apart: the other counts are the work."""
    group, waiting = group_clause(), is_waiting()
    rows = session.execute(
        select(TaskIndex.process_id, TaskIndex.period, func.sum(case((waiting, 0), else_=1)),
               func.sum(case((waiting, 0), (group, 1), else_=0)),
               func.sum(case((waiting, 0), (TaskIndex.due_at < now, 1), else_=0)),
               func.sum(case((waiting, 1), else_=0)))
        .where(TaskIndex.closed_at.is_(None), mine)
        .group_by(TaskIndex.process_id, TaskIndex.period)).all()
    pids = sorted({r[0] for r in rows})
    names: dict[str, str] = dict.fromkeys(pids, "")
    if pids:
        for pid, name in session.execute(select(ProcessVersion.process_id, ProcessVersion.name)
                                         .where(ProcessVersion.process_id.in_(pids))
                                         .order_by(ProcessVersion.version)):
            names[pid] = name  # the latest version's name wins
    periods = sorted({r[1] for r in rows if r[1]}, reverse=True)
    total, in_groups, overdue, waiting_steps = (sum(int(r[i] or 0) for r in rows) for i in (2, 3, 4, 5))
    return Facets(sorted(((p, n or p) for p, n in names.items()), key=lambda kv: kv[1]), periods,
                  total - in_groups, in_groups, overdue, waiting_steps)


def _waiting(session: Session, mine: ColumnElement[bool], user_id: int, limit: int = 5) -> list[WaitingOnOthers]:
    # NOT IN a subquery rather than NOT(actionable): NULL assignees would make the negation unknown.
    own = select(TaskIndex.id).where(TaskIndex.subject_id == user_id, TaskIndex.closed_at.is_(None), mine)
    rows = session.scalars(select(TaskIndex).where(
        TaskIndex.subject_id == user_id, TaskIndex.closed_at.is_(None), TaskIndex.id.not_in(own))
        .order_by(TaskIndex.ready_at.desc()).limit(limit)).all()
    out = []
    for r in rows:
        assignee = session.get(User, r.assignee_id) if r.assignee_id else None
        out.append(WaitingOnOthers(r.instance_id, r.title, r.lane,
                                   assignee.full_name if assignee else lane_holder_name(session, r.lane, user_id)))
    return out


__all__ = ["inbox_view", "is_group_task", "SCOPES", "DUE_FILTERS"]
