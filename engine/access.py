"""Who may see and act on a task: lanes name roles, resolved from the organisation data at query time.

The engine knows three relations to an instance's subject employee; the application names the lanes that
mean them (``LANES.personal``, filled through ``Engine(extensions=...)``):

- ``SUBJECT``: the instance's subject employee (also a task with no lane).
- ``SUPERIOR``: the holder of the subject's superior position, unless the subject has an explicit superior
  (``superior_override_id``, for acting officials).
- ``SUPERIOR_2``: the superior's own superior, resolved by the same rule one level up.
- any other lane, and ``candidateGroups`` named by the model: members of the group of that name.
- ``candidateUsers`` named by the model: those usernames.
An explicit assignee (a claim, or a reassignment) replaces all of the above.

Groups with a role in the engine itself (administrators, those who oversee every instance, model managers,
those told about tasks nobody can act on) are named in ``LANES.roles`` the same way.

Nothing is snapshotted when a task becomes ready, so a corrected organisation reaches open tasks at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Select,
    and_,
    bindparam,
    cast,
    false,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from engine.db.base import lookups
from engine.db.org import ActingAssignment, Group, GroupMember, Position, User
from engine.db.runtime import GROUP, USER, Instance, TaskCandidate, TaskIndex

SUBJECT, SUPERIOR, SUPERIOR_2 = "subject", "superior", "superior_2"
ADMIN_GROUP = "Administrator"


@dataclass
class Roles:
    """Groups with a role in the engine: each a tuple of group names."""

    admin: tuple[str, ...] = (ADMIN_GROUP,)
    overseers: tuple[str, ...] = (ADMIN_GROUP,)  # see every instance
    model_managers: tuple[str, ...] = (ADMIN_GROUP,)  # deploy models, open Model proses
    escalation: tuple[str, ...] = (ADMIN_GROUP,)  # told about tasks nobody can act on
    auditors: tuple[str, ...] = (ADMIN_GROUP,)  # read the whole audit trail, verify its chain
    org_admins: tuple[str, ...] = (ADMIN_GROUP,)  # keep the organisation: acting officials, users


@dataclass
class LaneRegistry:
    """Lane names the application gives the engine's relations, and the groups that hold engine roles."""

    personal: dict[str, str] = field(default_factory=dict)  # lane name -> SUBJECT | SUPERIOR | SUPERIOR_2
    roles: Roles = field(default_factory=Roles)

    def lanes_for(self, relation: str) -> tuple[str, ...]:
        return tuple(name for name, rel in self.personal.items() if rel == relation)

    def relation_of(self, lane: str | None) -> str | None:
        return SUBJECT if lane is None else self.personal.get(lane)

    def is_personal(self, lane: str | None) -> bool:
        return lane is None or lane in self.personal


# Filled once per process by Engine(extensions=...) (the composition root), read by every query below.
LANES = LaneRegistry()


def today(session: Session) -> date:
    """Today's date in the organisation's time zone, from the engine's clock (``session.info``)."""
    clock = session.info.get("clock")
    now = clock.now() if clock is not None else datetime.now(UTC)
    return now.astimezone(session.info.get("zone") or UTC).date()


def _acting(session: Session) -> ColumnElement[bool]:
    day = today(session)
    return and_(ActingAssignment.starts_on <= day, ActingAssignment.ends_on >= day,
                ActingAssignment.ended_at.is_(None))


def acting_positions(session: Session, user_id: int) -> list[int]:
    """Return the positions the user acts for today (Plt/Plh)."""
    return list(session.scalars(select(ActingAssignment.position_id).where(
        ActingAssignment.user_id == user_id, _acting(session))))


def acting_holders(session: Session, position_id: int) -> list[int]:
    """Return the active users acting for the position today."""
    return list(session.scalars(select(ActingAssignment.user_id).join(User, User.id == ActingAssignment.user_id)
                                .where(ActingAssignment.position_id == position_id, User.active, _acting(session))
                                .order_by(ActingAssignment.id)))


def subordinates_of(session: Session, assessor_id: int) -> list[int]:
    """Return the ids of the employees whose superior is ``assessor_id`` (as holder, or acting today); remembered
    for the transaction (``engine.db.base.lookups``: a page's inbox badge and "Tim saya" ask it both)."""
    cache = lookups(session)
    key = ("subordinates", assessor_id, today(session))  # acting officials depend on the day
    if cache is not None and key in cache:
        return list(cache[key])
    found = _subordinates_of(session, assessor_id)
    if cache is not None:
        cache[key] = tuple(found)
    return found


def _subordinates_of(session: Session, assessor_id: int) -> list[int]:
    assessor = session.get(User, assessor_id)
    if assessor is None or not assessor.active:
        return []
    ids = set(session.scalars(select(User.id).where(User.superior_override_id == assessor_id, User.active)))
    positions = acting_positions(session, assessor_id)
    if assessor.position_id is not None:
        positions.append(assessor.position_id)
    if positions:
        sub_position = aliased(Position)
        ids.update(session.scalars(
            select(User.id).join(sub_position, User.position_id == sub_position.id)
            .where(sub_position.parent_id.in_(positions), User.superior_override_id.is_(None),
                   User.active, User.id != assessor_id)))
    return sorted(ids)


def superior_of(session: Session, employee_id: int) -> User | None:
    """Return the employee's superior: the override, else the holder of the superior position, else who
    acts for it today."""
    employee = session.get(User, employee_id)
    if employee is None:
        return None
    if employee.superior_override_id is not None:
        return session.get(User, employee.superior_override_id)
    if employee.position is None or employee.position.parent_id is None:
        return None
    holder = session.scalars(select(User).where(User.position_id == employee.position.parent_id, User.active)
                             .order_by(User.id)).first()
    if holder is not None:
        return holder
    acting = acting_holders(session, employee.position.parent_id)
    return session.get(User, acting[0]) if acting else None


def with_superior(session: Session, employee_ids: list[int], batch: int = 1000) -> set[int]:
    """Return those of ``employee_ids`` who have a superior by ``superior_of``'s rule (an override, else an active
    holder of the superior position, else someone acting for it today), in a few statements per ``batch`` ids
    instead of up to three per employee: the SMK period opening asks it for every employee in scope (10,000 at a
    ministry: 30,000 statements and ~20 s before)."""
    found: set[int] = set()
    for start in range(0, len(employee_ids), batch):
        chunk = employee_ids[start:start + batch]
        parents: dict[int, list[int]] = {}
        for user_id, override, parent in session.execute(
                select(User.id, User.superior_override_id, Position.parent_id)
                .outerjoin(Position, User.position_id == Position.id).where(User.id.in_(chunk))):
            if override is not None:
                found.add(user_id)
            elif parent is not None:
                parents.setdefault(parent, []).append(user_id)
        if not parents:
            continue
        held = set(session.scalars(select(User.position_id).where(User.position_id.in_(parents), User.active)
                                   .distinct()))
        for parent, users in parents.items():
            if parent in held or acting_holders(session, parent):
                found.update(users)
    return found


def group_names(session: Session, user_id: int) -> list[str]:
    """Return the names of the user's groups (remembered for the transaction, ``engine.db.base.lookups``)."""
    cache = lookups(session)
    key = ("groups", user_id)
    if cache is not None and key in cache:
        return list(cache[key])
    names = list(session.scalars(select(Group.name).join(GroupMember, GroupMember.group_id == Group.id)
                                 .where(GroupMember.user_id == user_id)))
    if cache is not None:
        cache[key] = tuple(names)
    return names


def actionable(session: Session, user_id: int) -> ColumnElement[bool]:
    """Return a WHERE clause over TaskIndex selecting the **open** tasks ``user_id`` may act on.

    ``TaskIndex.id IN (a UNION ALL of one SELECT per way of being entitled)``: each SELECT reads one index
    (the partial indexes on open tasks; the task_candidate index for names the model gave), so no branch
    makes the database read every task, as an OR over a LIKE on the candidate columns did.
    """
    branches = actionable_branches(session, user_id)
    return TaskIndex.id.in_(union_all(*branches)) if branches else false()


def actionable_branches(session: Session, user_id: int) -> list[Select[Any]]:
    """Return one SELECT of task ids per way ``user_id`` may be entitled to an open task (none for an unknown
    or inactive user); ``actionable`` is their union."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        return []
    direct = subordinates_of(session, user_id)
    second = subordinates_of_many(session, direct)
    groups = group_names(session, user_id)
    t = aliased(TaskIndex)
    free = (t.closed_at.is_(None), t.assignee_id.is_(None))
    branches = [
        select(t.id).where(t.closed_at.is_(None), t.assignee_id == user_id),
        select(t.id).where(*free, t.subject_id == user_id,
                           or_(t.lane.in_(LANES.lanes_for(SUBJECT)), t.lane.is_(None))),
    ]
    if direct:
        branches.append(select(t.id).where(*free, t.lane.in_(LANES.lanes_for(SUPERIOR)), t.subject_id.in_(direct)))
    if second:
        branches.append(select(t.id).where(*free, t.lane.in_(LANES.lanes_for(SUPERIOR_2)),
                                           t.subject_id.in_(second)))
    if groups:
        branches.append(select(t.id).where(*free, t.lane.in_(groups)))
    named = [and_(TaskCandidate.kind == USER, TaskCandidate.name == user.username)]
    if groups:
        named.append(and_(TaskCandidate.kind == GROUP, TaskCandidate.name.in_(groups)))
    branches.append(select(t.id).join(TaskCandidate, TaskCandidate.task_id == t.id).where(*free, or_(*named)))
    return branches


def subordinates_of_many(session: Session, assessor_ids: list[int]) -> list[int]:
    """Return the union of ``subordinates_of`` over ``assessor_ids`` in four queries, however many there are."""
    if not assessor_ids:
        return []
    active = list(session.scalars(select(User.id).where(User.id.in_(assessor_ids), User.active)))
    if not active:
        return []
    ids = set(session.scalars(select(User.id).where(User.superior_override_id.in_(active), User.active)))
    providers: dict[int, set[int]] = {}  # position -> the assessors who hold or act for it
    for held, holder in session.execute(select(User.position_id, User.id).where(User.id.in_(active))):
        if held is not None:
            providers.setdefault(held, set()).add(holder)
    for position_id, holder in session.execute(select(ActingAssignment.position_id, ActingAssignment.user_id)
                                               .where(ActingAssignment.user_id.in_(active), _acting(session))):
        providers.setdefault(position_id, set()).add(holder)
    if providers:
        sub_position = aliased(Position)
        for uid, parent in session.execute(
                select(User.id, sub_position.parent_id).join(sub_position, User.position_id == sub_position.id)
                .where(sub_position.parent_id.in_(list(providers)), User.superior_override_id.is_(None), User.active)):
            if providers.get(parent or 0, set()) - {uid}:  # nobody is their own subordinate
                ids.add(uid)
    return sorted(ids)


def may_act(session: Session, user_id: int, task_id: str) -> bool:
    """Tell whether the user may act on the task, by the same rule as ``actionable`` (tests prove they agree).

    This is the per-task form of the rule, walking up from the task's subject instead of down from the
    user: two or three primary-key lookups instead of the subordinate queries the inbox needs.
    """
    row = session.get(TaskIndex, task_id)
    user = session.get(User, user_id)
    if row is None or user is None or not user.active:
        return False
    if row.assignee_id is not None:
        return row.assignee_id == user_id
    if row.candidate_users and f",{user.username}," in row.candidate_users:
        return True
    if holds_personal_lane(session, row, user_id):
        return True
    groups = [g for g in row.candidate_groups.split(",") if g]
    if row.lane is not None and not LANES.is_personal(row.lane):
        groups.append(row.lane)
    return bool(groups) and bool(set(groups) & set(group_names(session, user_id)))


def holds_personal_lane(session: Session, row: TaskIndex, user_id: int) -> bool:
    """Tell whether the user is who the task's personal lane names for its subject: the subject, their assessor
    (Pejabat Penilai) or their assessor's superior (Atasan Pejabat Penilai), holders and those acting today.
    Someone the engine named in the lane's place (``fallbackCandidateGroups``) may act without holding it."""
    if row.subject_id is None:
        return False
    relation = LANES.relation_of(row.lane)
    if relation == SUBJECT:
        return row.subject_id == user_id
    if relation == SUPERIOR:
        return user_id in superior_ids(session, row.subject_id)
    if relation == SUPERIOR_2:
        return any(user_id in superior_ids(session, m) for m in superior_ids(session, row.subject_id))
    return False


def superior_ids(session: Session, employee_id: int) -> list[int]:
    """Return the employee's active superiors (holders and those acting today): the inverse of
    ``subordinates_of``, one employee at a time. Remembered for the transaction (``engine.db.base.lookups``);
    the superiors' User rows are left in the session, so callers that want them read no further."""
    cache = lookups(session)
    key = ("superiors", employee_id, today(session))  # acting officials depend on the day
    if cache is not None and key in cache:
        return list(cache[key])
    found, users = _superior_ids(session, employee_id)
    if cache is not None:
        cache[key] = tuple(found)
        cache[("superior users", employee_id)] = users  # held, so that the session keeps them for recipients
    return found


@cache
def _superiors_statement() -> Select[Any]:
    """The employee's superiors in one statement (parameters ``employee`` and ``day``; built once): the override
    (rank 0) when the employee has one, else the holders of the superior position (rank 1) and those acting for it
    on the day (rank 2, in the order they were appointed). Only active superiors of an active employee.

    One round trip where reading the employee, then their position, then the superiors took three: this runs for
    every task of a superior's lane that is opened, completed or announced (the largest share of a simulated
    year's statements was these lookups, 2026-12-03)."""
    employee, day = bindparam("employee", type_=Integer), bindparam("day", type_=Date)
    me, mine = aliased(User, name="me"), aliased(Position, name="mine")
    override_of = select(me.superior_override_id).where(me.id == employee, me.active).scalar_subquery()
    parent = (select(mine.parent_id).join(me, me.position_id == mine.id)
              .where(me.id == employee, me.active, me.superior_override_id.is_(None)).scalar_subquery())
    no_assignment = cast(null(), Integer)
    # Each branch reads user_account by an index of its own (the primary key, position_id, the acting row's user):
    # a join of user_account to the union of their ids let the planner hash the whole table on every lookup, a
    # cost that grew with the organisation (as an OR over an outer join did before: a sequential scan of
    # user_account per superior lookup, 20 per employee-year).
    override = select(User, literal(0).label("rank"), no_assignment.label("aid")).where(
        User.id == override_of, User.active)
    holders = select(User, literal(1), no_assignment).where(User.position_id == parent, User.active)
    acting = (select(User, literal(2), ActingAssignment.id)
              .join(ActingAssignment, ActingAssignment.user_id == User.id)
              .where(ActingAssignment.position_id == parent, ActingAssignment.starts_on <= day,
                     ActingAssignment.ends_on >= day, ActingAssignment.ended_at.is_(None), User.active))
    found = union_all(override, holders, acting).subquery("found")
    return select(aliased(User, found), found.c.rank).order_by(found.c.rank, found.c.aid, found.c.id)


def _superior_ids(session: Session, employee_id: int) -> tuple[list[int], list[User]]:
    rows = session.execute(_superiors_statement(), {"employee": employee_id, "day": today(session)}).all()
    if rows and rows[0].rank == 0:  # an explicit superior replaces the position's
        return [rows[0][0].id], [rows[0][0]]
    users = list(dict.fromkeys(user for user, _ in rows))  # a holder acting for their own position comes twice
    return [user.id for user in users if user.id != employee_id], users


def is_group_task(row: TaskIndex) -> bool:
    """A task offered to several people, which one of them claims before working on it."""
    return bool(row.candidate_groups) or not LANES.is_personal(row.lane)


def lane_holder_name(session: Session, lane: str | None, subject_id: int | None) -> str:
    """Name who a waiting task waits for, in the users' words (the person by name, or the group)."""
    relation = LANES.relation_of(lane)
    if subject_id is None or relation is None:
        return lane or ""
    person: User | None = session.get(User, subject_id)
    for _ in range({SUBJECT: 0, SUPERIOR: 1, SUPERIOR_2: 2}[relation]):
        person = superior_of(session, person.id) if person is not None else None
    return person.full_name if person is not None else (lane or "")


def in_role(session: Session, user_id: int, groups: tuple[str, ...]) -> bool:
    """Tell whether the user belongs to one of ``groups`` (e.g. ``LANES.roles.overseers``)."""
    return bool(set(group_names(session, user_id)) & set(groups))


def is_overseer(session: Session, user_id: int) -> bool:
    """Tell whether the user oversees every instance (``LANES.roles.overseers``)."""
    return in_role(session, user_id, LANES.roles.overseers)


def may_view_instance(session: Session, user_id: int, instance_id: int) -> bool:
    """Tell whether a user may see an instance: its subject, the subject's assessors, anyone who acted or may
    act on one of its tasks, and the overseeing groups (HR, process owners, administrators)."""
    instance = session.get(Instance, instance_id)
    user = session.get(User, user_id)
    if instance is None or user is None or not user.active:
        return False
    if instance.subject_id == user_id or is_overseer(session, user_id):
        return True
    if instance.subject_id is not None:
        assessor = superior_of(session, instance.subject_id)
        if assessor is not None and (assessor.id == user_id or
                                     (superior_of(session, assessor.id) or assessor).id == user_id):
            return True
    acted = session.scalar(select(TaskIndex.id).where(
        TaskIndex.instance_id == instance_id,
        or_(TaskIndex.completed_by_id == user_id, TaskIndex.assignee_id == user_id)).limit(1))
    if acted is not None:
        return True
    open_task = session.scalar(select(TaskIndex.id).where(
        TaskIndex.instance_id == instance_id, TaskIndex.closed_at.is_(None), actionable(session, user_id)).limit(1))
    return open_task is not None


def acting_capacity(session: Session, user_id: int, row: TaskIndex) -> str | None:
    """Name the acting role through which the user may act on a superior's task ("Plt Kepala Bagian …"),
    or None when the user acts in their own right."""
    relation = LANES.relation_of(row.lane)
    if row.subject_id is None or relation not in (SUPERIOR, SUPERIOR_2) or row.assignee_id is not None:
        return None
    chain = [row.subject_id] if relation == SUPERIOR else superior_ids(session, row.subject_id)
    for employee_id in chain:
        employee = session.get(User, employee_id)
        if employee is None or employee.superior_override_id is not None or employee.position is None:
            continue
        parent = employee.position.parent_id
        user = session.get(User, user_id)  # the acting user: in the session already on the hot path
        if parent is None or (user is not None and user.position_id == parent):
            continue
        assignment = session.scalars(select(ActingAssignment).where(
            ActingAssignment.position_id == parent, ActingAssignment.user_id == user_id, _acting(session))).first()
        if assignment is not None:
            position = session.get(Position, parent)
            return f"{assignment.kind} {position.title if position else ''}".strip()
    return None
