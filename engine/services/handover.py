"""Who may act on many open tasks at once, and telling people when an organisation change hands tasks over.

Lanes are resolved at query time (engine/access.py), so a change to the organisation (an import, a deactivated
user) moves open tasks to other people at once. To show and announce that, a caller computes the actors of
the open tasks before the change, makes the change in the same transaction, computes them again and compares.
``open_task_actors`` does for thousands of tasks what ``notifications.recipients`` does for one (the same rule;
a test proves they agree), reading the organisation once instead of a few queries per task.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from engine.access import LANES, SUBJECT, SUPERIOR, SUPERIOR_2, today
from engine.db.notify import TASK_ASSIGNED, TASK_UNASSIGNED, Notification
from engine.db.org import ActingAssignment, Group, GroupMember, Position, User
from engine.db.runtime import TaskIndex
from engine.services import audit
from engine.services.notifications import notify_task

Actors = Mapping[str, frozenset[int]]


class _Organisation:
    """The organisation tables as dictionaries, read once per call."""

    def __init__(self, session: Session) -> None:
        self.users: dict[int, tuple[int | None, int | None, bool]] = {}
        self.by_username: dict[str, int] = {}
        self.holders: dict[int, list[int]] = defaultdict(list)
        for uid, username, position_id, override_id, active in session.execute(
                select(User.id, User.username, User.position_id, User.superior_override_id, User.active)
                .order_by(User.id)):
            self.users[uid] = (position_id, override_id, bool(active))
            self.by_username[username] = uid
            if active and position_id is not None:
                self.holders[position_id].append(uid)
        self.parent: dict[int, int | None] = {pid: parent for pid, parent in session.execute(
            select(Position.id, Position.parent_id))}
        day = today(session)
        self.acting: dict[int, list[int]] = defaultdict(list)
        for position_id, uid in session.execute(
                select(ActingAssignment.position_id, ActingAssignment.user_id)
                .where(and_(ActingAssignment.starts_on <= day, ActingAssignment.ends_on >= day,
                            ActingAssignment.ended_at.is_(None))).order_by(ActingAssignment.id)):
            if self.users.get(uid, (None, None, False))[2]:
                self.acting[position_id].append(uid)
        self.groups: dict[str, set[int]] = defaultdict(set)
        for name, uid in session.execute(select(Group.name, GroupMember.user_id)
                                         .join(GroupMember, GroupMember.group_id == Group.id)):
            self.groups[name].add(uid)
        self._superiors: dict[int, list[int]] = {}

    def active(self, uid: int | None) -> bool:
        return uid is not None and self.users.get(uid, (None, None, False))[2]

    def superiors(self, employee_id: int) -> list[int]:
        """``access.superior_ids`` on the dictionaries."""
        if employee_id in self._superiors:
            return self._superiors[employee_id]
        found: list[int] = []
        if self.active(employee_id):
            position_id, override_id, _ = self.users[employee_id]
            if override_id is not None:
                found = [override_id] if self.active(override_id) else []
            elif position_id is not None and self.parent.get(position_id) is not None:
                parent = self.parent[position_id]
                assert parent is not None
                found = [u for u in dict.fromkeys(self.holders.get(parent, []) + self.acting.get(parent, []))
                         if u != employee_id]
        self._superiors[employee_id] = found
        return found

    def actors(self, row: TaskIndex) -> frozenset[int]:
        """``notifications.recipients`` on the dictionaries: the ids of the active users who may act."""
        ids: set[int] = set()
        if row.assignee_id is not None:
            ids.add(row.assignee_id)
        else:
            relation = LANES.relation_of(row.lane)
            if relation == SUBJECT:
                if row.subject_id:
                    ids.add(row.subject_id)
            elif relation == SUPERIOR and row.subject_id:
                ids.update(self.superiors(row.subject_id))
            elif relation == SUPERIOR_2 and row.subject_id:
                for assessor in self.superiors(row.subject_id):
                    ids.update(self.superiors(assessor))
            else:
                ids.update(self.groups.get(row.lane or "", ()))
            for group in filter(None, row.candidate_groups.split(",")):
                ids.update(self.groups.get(group, ()))
            for username in filter(None, row.candidate_users.split(",")):
                if username in self.by_username:
                    ids.add(self.by_username[username])
        return frozenset(i for i in ids if self.active(i))


def open_tasks(session: Session) -> list[TaskIndex]:
    """Every open task (not closed), oldest first."""
    return list(session.scalars(select(TaskIndex).where(TaskIndex.closed_at.is_(None))
                                .order_by(TaskIndex.ready_at, TaskIndex.id)))


def open_task_actors(session: Session, rows: Iterable[TaskIndex]) -> dict[str, frozenset[int]]:
    """Return task id -> the ids of the active users who may act on it now, for every row given."""
    org = _Organisation(session)
    return {row.id: org.actors(row) for row in rows}


def changed_hands(rows: Sequence[TaskIndex], before: Actors, after: Actors) -> list[TaskIndex]:
    """The rows whose actors differ between ``before`` and ``after``."""
    return [row for row in rows if before.get(row.id, frozenset()) != after.get(row.id, frozenset())]


def tell(session: Session, rows: Sequence[TaskIndex], before: Actors, after: Actors, now: datetime,
         actor: User | None) -> int:
    """Tell the people who may now act on a task that changed hands (a "task assigned to you" notification),
    and flag each task that nobody can act on any more to the escalation groups (an audit event and a "task
    nobody can act on" notification, as when such a task becomes ready). Return how many tasks were flagged."""
    moved = changed_hands(rows, before, after)
    if not moved:
        return 0
    escalation = sorted(set().union(*(
        set(session.scalars(select(GroupMember.user_id).join(Group, Group.id == GroupMember.group_id)
                            .where(Group.name == name))) for name in LANES.roles.escalation)))
    overseers = list(session.scalars(select(User).where(User.id.in_(escalation), User.active).order_by(User.id)))
    orphans = [row for row in moved if not after.get(row.id)]
    told: set[tuple[int, str | None]] = set()
    keys = [f"{TASK_UNASSIGNED}:{row.id}" for row in orphans]
    for start in range(0, len(keys), 500):
        told.update((uid, key) for uid, key in session.execute(select(Notification.user_id, Notification.dedupe_key)
                                                                .where(Notification.dedupe_key.in_(keys[start:start + 500]))))
    newcomers: dict[int, User] = {}
    for row in moved:
        new = sorted(after.get(row.id, frozenset()) - before.get(row.id, frozenset()))
        if new:
            users = [newcomers.setdefault(uid, session.get(User, uid)) for uid in new]  # type: ignore[arg-type]
            notify_task(session, row, TASK_ASSIGNED, [u for u in users if u is not None], now)
        if not after.get(row.id):
            audit.record(session, "task.unassigned", now, actor, instance_id=row.instance_id, task_id=row.id,
                         task_name=row.task_name, lane=row.lane, reason="organisation")
            key = f"{TASK_UNASSIGNED}:{row.id}"
            notify_task(session, row, TASK_UNASSIGNED, [u for u in overseers if (u.id, key) not in told], now,
                        link=f"/instances/{row.instance_id}")
    return len(orphans)
