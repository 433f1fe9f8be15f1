"""Who may act on a task: lanes name roles, resolved from the organisation data at query time.

- ``Pegawai``: the instance's subject employee.
- ``Pejabat Penilai``: the assessor — the holder of the subject's superior position, unless the subject has
  an explicit assessor (``penilai_override_id``, for acting officials).
- ``Atasan Pejabat Penilai``: the assessor's own assessor, resolved by the same rule one level up.
- any other lane, and ``candidateGroups`` named by the model: members of the group of that name.
- ``candidateUsers`` named by the model: those usernames.
An explicit assignee (a claim, or a reassignment) replaces all of the above.

Nothing is snapshotted when a task becomes ready, so a corrected organisation reaches open tasks at once.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session, aliased

from engine.models import Group, GroupMember, Position, TaskIndex, User

PEGAWAI = "Pegawai"
PEJABAT_PENILAI = "Pejabat Penilai"
ATASAN_PEJABAT_PENILAI = "Atasan Pejabat Penilai"
PERSONAL_LANES = (PEGAWAI, PEJABAT_PENILAI, ATASAN_PEJABAT_PENILAI)


def assessed_by(session: Session, assessor_id: int) -> list[int]:
    """Return the ids of the employees whose Pejabat Penilai is ``assessor_id``."""
    assessor = session.get(User, assessor_id)
    if assessor is None or not assessor.active:
        return []
    ids = set(session.scalars(select(User.id).where(User.penilai_override_id == assessor_id, User.active)))
    if assessor.position_id is not None:
        sub_position = aliased(Position)
        ids.update(session.scalars(
            select(User.id).join(sub_position, User.position_id == sub_position.id)
            .where(sub_position.parent_id == assessor.position_id, User.penilai_override_id.is_(None),
                   User.active, User.id != assessor_id)))
    return sorted(ids)


def pejabat_penilai(session: Session, employee_id: int) -> User | None:
    """Return the employee's assessor: the override, else the holder of the superior position."""
    employee = session.get(User, employee_id)
    if employee is None:
        return None
    if employee.penilai_override_id is not None:
        return session.get(User, employee.penilai_override_id)
    if employee.position is None or employee.position.parent_id is None:
        return None
    return session.scalars(select(User).where(User.position_id == employee.position.parent_id, User.active)
                           .order_by(User.id)).first()


def group_names(session: Session, user_id: int) -> list[str]:
    return list(session.scalars(select(Group.name).join(GroupMember, GroupMember.group_id == Group.id)
                                .where(GroupMember.user_id == user_id)))


def actionable(session: Session, user_id: int) -> ColumnElement[bool]:
    """Return a WHERE clause over TaskIndex selecting the tasks ``user_id`` may act on."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        return false()
    direct = assessed_by(session, user_id)
    second = sorted({i for d in direct for i in assessed_by(session, d)})
    groups = group_names(session, user_id)
    unassigned = [
        and_(or_(TaskIndex.lane == PEGAWAI, TaskIndex.lane.is_(None)), TaskIndex.subject_id == user_id),
        TaskIndex.candidate_users.contains(f",{user.username},", autoescape=True),
    ]
    if direct:
        unassigned.append(and_(TaskIndex.lane == PEJABAT_PENILAI, TaskIndex.subject_id.in_(direct)))
    if second:
        unassigned.append(and_(TaskIndex.lane == ATASAN_PEJABAT_PENILAI, TaskIndex.subject_id.in_(second)))
    if groups:
        unassigned.append(TaskIndex.lane.in_(groups))
        unassigned.extend(TaskIndex.candidate_groups.contains(f",{g},", autoescape=True) for g in groups)
    return or_(TaskIndex.assignee_id == user_id, and_(TaskIndex.assignee_id.is_(None), or_(*unassigned)))


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
    if row.lane in (PEGAWAI, None) and row.subject_id == user_id:
        return True
    if row.candidate_users and f",{user.username}," in row.candidate_users:
        return True
    if row.subject_id is not None and row.lane == PEJABAT_PENILAI:
        if user_id in assessor_ids(session, row.subject_id):
            return True
    if row.subject_id is not None and row.lane == ATASAN_PEJABAT_PENILAI:
        if any(user_id in assessor_ids(session, m) for m in assessor_ids(session, row.subject_id)):
            return True
    groups = [g for g in row.candidate_groups.split(",") if g]
    if row.lane is not None and row.lane not in PERSONAL_LANES:
        groups.append(row.lane)
    return bool(groups) and bool(set(groups) & set(group_names(session, user_id)))


def assessor_ids(session: Session, employee_id: int) -> list[int]:
    """Return the employee's active assessors: the inverse of ``assessed_by``, one employee at a time."""
    employee = session.get(User, employee_id)
    if employee is None or not employee.active:
        return []
    if employee.penilai_override_id is not None:
        override = session.get(User, employee.penilai_override_id)
        return [override.id] if override is not None and override.active else []
    if employee.position is None or employee.position.parent_id is None:
        return []
    return [uid for uid in session.scalars(select(User.id).where(
        User.position_id == employee.position.parent_id, User.active)) if uid != employee_id]


def is_group_task(row: TaskIndex) -> bool:
    """A task offered to several people, which one of them claims before working on it."""
    return bool(row.candidate_groups) or (row.lane is not None and row.lane not in PERSONAL_LANES)
