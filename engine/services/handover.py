"""Who may act on many open tasks at once, and telling people when an organisation change hands tasks over.

Lanes are resolved at query time (engine/access.py), so a change to the organisation (an import, a deactivated
user) moves open tasks to other people at once. To show and announce that, a caller computes the actors of
the open tasks before the change, makes the change in the same transaction, computes them again and compares.
``open_task_actors`` does for thousands of tasks what ``notifications.recipients`` does for one (the same rule;
a test proves they agree), reading the organisation once instead of a few queries per task.

A task whose model names stand-in groups (``fallbackCandidateGroups``, ``engine.services.fallback``) is handed over
by the rule the runner follows when it becomes ready: when its lane gives nobody after the change, the groups'
members other than the employee and the employee's assessors are named; when the lane gives someone again, the
task goes to them and the stand-ins lose it. ``tell`` (the apply) writes that and records it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from engine.access import LANES, SUBJECT, SUPERIOR, SUPERIOR_2, today
from engine.db.deploy import Deployment, ProcessVersion
from engine.db.notify import TASK_ASSIGNED, TASK_UNASSIGNED, Notification
from engine.db.org import ActingAssignment, Group, GroupMember, Position, User
from engine.db.runtime import Instance, TaskIndex
from engine.services import audit, fallback
from engine.services.notifications import notify_task

Actors = Mapping[str, frozenset[int]]


class _Organisation:
    """The organisation tables as dictionaries, read once per call.

    ``acting`` counts some acting assignments as running (True) or not (False) whatever their days: the
    organisation as the open tasks knew it before the worker's handover of an assignment's first or last day."""

    def __init__(self, session: Session, acting: Mapping[int, bool] | None = None) -> None:
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
        acting = acting or {}
        running = and_(ActingAssignment.starts_on <= day, ActingAssignment.ends_on >= day,
                       ActingAssignment.ended_at.is_(None))
        counted = [i for i, on in acting.items() if on]
        for assignment_id, position_id, uid in session.execute(
                select(ActingAssignment.id, ActingAssignment.position_id, ActingAssignment.user_id)
                .where(or_(running, ActingAssignment.id.in_(counted)) if counted else running)
                .order_by(ActingAssignment.id)):
            if acting.get(assignment_id, True) and self.users.get(uid, (None, None, False))[2]:
                self.acting[position_id].append(uid)
        self.groups: dict[str, set[int]] = defaultdict(set)
        for name, uid in session.execute(select(Group.name, GroupMember.user_id)
                                         .join(GroupMember, GroupMember.group_id == Group.id)):
            self.groups[name].add(uid)
        self._superiors: dict[int, list[int]] = {}
        self._usernames: dict[int, str] | None = None  # id -> username, when a stand-in is named

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

    def members(self, groups: Iterable[str]) -> list[int]:
        """The active members of the groups, by id."""
        return sorted({uid for group in groups for uid in self.groups.get(group, ()) if self.active(uid)})

    def by_lane(self, row: TaskIndex) -> set[int]:
        """Who the task's assignee, lane and candidate groups give (active or not), without its named users."""
        if row.assignee_id is not None:
            return {row.assignee_id}
        ids: set[int] = set()
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
        return ids

    def named(self, usernames: Iterable[str]) -> set[int]:
        return {self.by_username[u] for u in usernames if u in self.by_username}

    def actors(self, row: TaskIndex, by_lane: frozenset[int] | None = None) -> frozenset[int]:
        """``notifications.recipients`` on the dictionaries: the ids of the active users who may act (``by_lane``:
        the active ones of ``by_lane(row)``, when known)."""
        lane = by_lane if by_lane is not None else frozenset(i for i in self.by_lane(row) if self.active(i))
        if row.assignee_id is not None or not row.candidate_users:
            return lane
        return lane | frozenset(i for i in self.named(filter(None, row.candidate_users.split(","))) if self.active(i))

    def with_stand_ins(self, row: TaskIndex, model: fallback.TaskModel,
                       joined: frozenset[int] = frozenset()) -> tuple[frozenset[int], str]:
        """The actors of a task whose model names stand-in groups, by the rule the runner follows when the task
        becomes ready (``engine.services.fallback``), and the ``candidate_users`` that gives the row.

        Whoever the lane (or the model's own candidates) gives acts, and the stand-ins named before lose the task.
        When it gives nobody, the stand-ins act: those named before who still qualify (active members of the
        groups, not the employee nor their assessors) and those of ``joined`` who qualify (someone just put in a
        group, or whose account is active again), else everyone who qualifies now."""
        own = {i for i in self.by_lane(row) | self.named(model.users) if self.active(i)}
        if own or row.assignee_id is not None:
            return frozenset(own), fallback.column(model.users)
        eligible = fallback.stand_ins(self.members(model.groups), row.subject_id, self.superiors)
        before = self.named(model.named_in_place(row.candidate_users))
        chosen = [uid for uid in eligible if uid in before or uid in joined] or eligible
        if self._usernames is None:
            self._usernames = {uid: name for name, uid in self.by_username.items()}
        return frozenset(chosen), fallback.column([*model.users, *(self._usernames[uid] for uid in chosen)])


class TaskActors(dict[str, frozenset[int]]):
    """task id -> the ids of the active users who may act on it; ``candidates`` holds, for each task whose model
    names stand-in groups, the ``candidate_users`` the rule gives it and its groups (``tell`` writes them)."""

    def __init__(self) -> None:
        super().__init__()
        self.candidates: dict[str, tuple[str, fallback.TaskModel]] = {}


def open_tasks(session: Session) -> list[TaskIndex]:
    """Every open task (not closed), oldest first."""
    return list(session.scalars(select(TaskIndex).where(TaskIndex.closed_at.is_(None))
                                .order_by(TaskIndex.ready_at, TaskIndex.id)))


def named_open_tasks(session: Session) -> list[TaskIndex]:
    """The open, unassigned tasks that name people (``candidate_users``: the model's own candidates, or stand-ins
    the engine named in an empty lane's place): the only ones whose stand-ins a change that *gives* a lane someone
    (an account activated again, an acting official named or one ending early) can make or end. Lane access itself
    is resolved when asked and needs nothing written."""
    return list(session.scalars(select(TaskIndex).where(TaskIndex.closed_at.is_(None), TaskIndex.assignee_id.is_(None),
                                                        TaskIndex.candidate_users != "")
                                .order_by(TaskIndex.ready_at, TaskIndex.id)))


def open_tasks_for_a_new_stand_in(session: Session) -> list[TaskIndex]:
    """The open tasks someone who has just become a possible stand-in (put in a group, active again) may be named
    on: those that name people (``named_open_tasks``) and those that name nobody though their model names stand-in
    groups (``stranded_open_tasks``: flagged because nobody was left), oldest first."""
    rows = {row.id: row for row in named_open_tasks(session)}
    rows.update((row.id, row) for row in stranded_open_tasks(session))
    return sorted(rows.values(), key=lambda row: (row.ready_at, row.id))


def stranded_open_tasks(session: Session) -> list[TaskIndex]:
    """The open, unassigned tasks that name nobody (``candidate_users`` empty) and whose model names stand-in groups
    (``fallbackCandidateGroups``): among them those flagged to Biro SDM because nobody was left to stand in, which a
    change that *adds* a possible stand-in (someone put in a group, an account active again) picks up again.

    The models are read per model version in use by such tasks (one grouped query), then the rows of the task names
    that name stand-ins; a row whose lane gives someone is left as it is by the rule (``with_stand_ins``)."""
    versions = session.execute(
        select(Instance.process_id, TaskIndex.task_name, ProcessVersion.deployment_id, Deployment.bundle_hash)
        .join(Instance, Instance.id == TaskIndex.instance_id)
        .join(ProcessVersion, ProcessVersion.id == Instance.process_version_id)
        .join(Deployment, Deployment.id == ProcessVersion.deployment_id)
        .where(TaskIndex.closed_at.is_(None), TaskIndex.assignee_id.is_(None), TaskIndex.candidate_users == "")
        .group_by(Instance.process_id, TaskIndex.task_name, ProcessVersion.deployment_id, Deployment.bundle_hash)
    ).all()
    names: set[str] = set()
    for process_id, task_name, deployment_id, bundle_hash in versions:
        if fallback.model_for(fallback.models_of(session, deployment_id, bundle_hash), process_id, task_name):
            names.add(task_name)
    if not names:
        return []
    rows = list(session.scalars(select(TaskIndex).where(
        TaskIndex.closed_at.is_(None), TaskIndex.assignee_id.is_(None), TaskIndex.candidate_users == "",
        TaskIndex.task_name.in_(sorted(names))).order_by(TaskIndex.ready_at, TaskIndex.id)))
    models_by_task = fallback.task_models(session, rows)
    return [row for row in rows if row.id in models_by_task]


def acting_lane_tasks(session: Session, assignment_ids: Iterable[int]) -> list[TaskIndex]:
    """The open, unassigned tasks in the assessor lanes that the acting officials of ``assignment_ids`` hold through
    those assignments (counted as running, whatever their days): the Atasan Langsung's tasks of the position's
    subordinates and the Atasan Pejabat Penilai's of theirs. What the end of an assignment can hand on once its last
    day has passed, when the acting official's own access (``access.actionable``) no longer shows them."""
    ids = list(assignment_ids)
    if not ids:
        return []
    org = _Organisation(session, dict.fromkeys(ids, True))
    officials = set(session.scalars(select(ActingAssignment.user_id).where(ActingAssignment.id.in_(ids))))
    direct = [uid for uid in org.users if officials & set(org.superiors(uid))]
    second = [uid for uid in org.users if any(officials & set(org.superiors(s)) for s in org.superiors(uid))]
    found: list[TaskIndex] = []
    for lanes, subjects in ((LANES.lanes_for(SUPERIOR), direct), (LANES.lanes_for(SUPERIOR_2), second)):
        for start in range(0, len(subjects), 1000):
            found.extend(session.scalars(select(TaskIndex).where(
                TaskIndex.closed_at.is_(None), TaskIndex.assignee_id.is_(None), TaskIndex.lane.in_(lanes),
                TaskIndex.subject_id.in_(subjects[start:start + 1000]))))
    return sorted({row.id: row for row in found}.values(), key=lambda row: (row.ready_at, row.id))


def open_task_actors(session: Session, rows: Iterable[TaskIndex], *, joined: Iterable[int] = (),
                     acting: Mapping[int, bool] | None = None) -> TaskActors:
    """Return task id -> the ids of the active users who may act on it now, for every row given.

    A task whose model names stand-in groups (``fallbackCandidateGroups``) follows the runner's rule: its lane's
    people if there are any, else the stand-ins (``_Organisation.with_stand_ins``; ``joined``: the people a
    change has just made members of a group, or active again, who join the stand-ins already named). Only the
    tasks with named users or nobody in their lane can be such a task; their models are read for those alone.
    ``acting``: acting assignments counted as running or not whatever their days (``_Organisation``)."""
    rows = list(rows)
    found = TaskActors()
    if not rows:
        return found  # the organisation is read whole: not for nothing (an account or Plt with no open tasks)
    org = _Organisation(session, acting)
    newcomers = frozenset(joined)
    lane = {row.id: frozenset(i for i in org.by_lane(row) if org.active(i)) for row in rows}
    models = fallback.task_models(session, [row for row in rows if row.assignee_id is None
                                            and (row.candidate_users or not lane[row.id])])
    for row in rows:
        model = models.get(row.id)
        if model is None:
            found[row.id] = org.actors(row, lane[row.id])
            continue
        found[row.id], candidates = org.with_stand_ins(row, model, newcomers)
        found.candidates[row.id] = (candidates, model)
    return found


def given_to(rows: Sequence[TaskIndex], before: Actors, after: Actors, user_id: int) -> int:
    """How many of the rows the user may act on after a change and not before."""
    return sum(1 for row in rows if user_id in after.get(row.id, frozenset())
               and user_id not in before.get(row.id, frozenset()))


def changed_hands(rows: Sequence[TaskIndex], before: Actors, after: Actors) -> list[TaskIndex]:
    """The rows whose actors differ between ``before`` and ``after``."""
    return [row for row in rows if before.get(row.id, frozenset()) != after.get(row.id, frozenset())]


def tell(session: Session, rows: Sequence[TaskIndex], before: Actors, after: Actors, now: datetime,
         actor: User | None) -> int:
    """Tell the people who may now act on a task that changed hands (a "task assigned to you" notification),
    and flag each task that nobody can act on any more to the escalation groups (an audit event and a "task
    nobody can act on" notification, as when such a task becomes ready). Return how many tasks were flagged.

    A task whose model names stand-in groups gets the people the rule named (``open_task_actors``): the stand-ins
    when its lane gives nobody any more (``task.fallback``, as when such a task becomes ready), none when it gives
    someone again (``task.fallback_ended``)."""
    if isinstance(after, TaskActors):
        _name_stand_ins(session, rows, after, now, actor)
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


def _name_stand_ins(session: Session, rows: Sequence[TaskIndex], after: TaskActors, now: datetime,
                    actor: User | None) -> None:
    """Write the stand-ins the rule gives each task whose model names fallback groups, and record the change."""
    for row in rows:
        if row.id not in after.candidates:
            continue
        candidates, model = after.candidates[row.id]
        if candidates == (row.candidate_users or ""):
            continue
        old = model.named_in_place(row.candidate_users)
        new = model.named_in_place(candidates)
        row.candidate_users = candidates
        if new or not after.get(row.id):
            people = {username: name for username, name in session.execute(
                select(User.username, User.full_name).where(User.username.in_(new)))} if new else {}
            fallback.record_offer(session, row, model.groups, [(u, people.get(u, u)) for u in new], now, actor,
                                  reason="organisation", before=old)
        else:
            audit.record(session, "task.fallback_ended", now, actor, instance_id=row.instance_id, task_id=row.id,
                         task_name=row.task_name, lane=row.lane, groups=list(model.groups), candidates=old,
                         title=row.title, reason="organisation")
