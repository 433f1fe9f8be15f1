"""Generic report queries over the indexed tables: the organisation's units as report rows, overdue tasks and the
time each step takes (``task_index``), filtered by period and by the units of the tasks' subject employees.

Nothing here loads a workflow or its stored state: a task's period, subject, lane, due time and open/close times
are columns of the task index. An employee belongs to the unit of the position they hold now (a report on a past
period therefore follows today's organisation chart).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from math import ceil, floor
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from engine.access import LANES, SUBJECT, SUPERIOR, SUPERIOR_2, superior_of
from engine.db.org import Position, Unit, User
from engine.db.runtime import TaskIndex

HOUR = 3600.0


# --- units as report rows -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitInfo:
    id: int
    code: str
    name: str
    parent_id: int | None


@dataclass(frozen=True)
class UnitGroup:
    """One row of a per-unit table: a unit and the units it stands for (itself only, or its whole sub-tree)."""

    id: int
    code: str
    name: str
    unit_ids: frozenset[int]
    own_staff_only: bool  # the selected unit's own positions, without its sub-units


def load_units(session: Session) -> dict[int, UnitInfo]:
    """Return every unit by id (one query; an organisation has hundreds of units, not millions)."""
    return {u.id: UnitInfo(u.id, u.code, u.name, u.parent_id)
            for u in session.scalars(select(Unit).order_by(Unit.code))}


def children_map(units: dict[int, UnitInfo]) -> dict[int | None, list[int]]:
    children: dict[int | None, list[int]] = defaultdict(list)
    for unit in units.values():
        children[unit.parent_id if unit.parent_id in units else None].append(unit.id)
    return children


def subtree(units: dict[int, UnitInfo], unit_id: int) -> frozenset[int]:
    """Return the unit and every unit below it."""
    children = children_map(units)
    found, todo = {unit_id}, [unit_id]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return frozenset(found)


def ancestors(units: dict[int, UnitInfo], unit_id: int) -> list[int]:
    """Return the unit and the units above it, nearest first."""
    chain: list[int] = []
    current: int | None = unit_id
    while current is not None and current in units and current not in chain:
        chain.append(current)
        current = units[current].parent_id
    return chain


def unit_groups(units: dict[int, UnitInfo], unit_id: int | None) -> list[UnitGroup]:
    """Return the rows of a per-unit table for a selected unit: its own staff, then each direct sub-unit with its
    sub-tree. With no unit selected, one row per top unit (each with its whole sub-tree)."""
    children = children_map(units)
    if unit_id is None:
        return [UnitGroup(u, units[u].code, units[u].name, subtree(units, u), False) for u in children[None]]
    unit = units[unit_id]
    rows = [UnitGroup(unit.id, unit.code, unit.name, frozenset({unit.id}), True)]
    rows += [UnitGroup(c, units[c].code, units[c].name, subtree(units, c), False) for c in children.get(unit_id, [])]
    return rows


def employees_in(unit_ids: Collection[int]) -> Select[Any]:
    """A sub-query of the employees holding a position in one of the units."""
    return select(User.id).join(Position, User.position_id == Position.id).where(Position.unit_id.in_(list(unit_ids)))


def unit_of_employees(session: Session, user_ids: Iterable[int]) -> dict[int, int]:
    """Return the unit of each employee's current position."""
    ids = sorted(set(user_ids))
    found: dict[int, int] = {}
    for start in range(0, len(ids), 5000):
        found.update(session.execute(select(User.id, Position.unit_id).join(Position, User.position_id == Position.id)
                                     .where(User.id.in_(ids[start:start + 5000]))).all())
    return found


def superiors(session: Session, user_ids: Iterable[int] | Select[Any]) -> dict[int, int | None]:
    """Return each employee's superior (the explicit override, else the first active holder of the superior
    position, else whoever acts in it), in two queries plus one lookup per position nobody holds. The employees
    are ids or a sub-query of them (thousands of ids as bound parameters cost more to compile than to query)."""
    rows: list[tuple[int, int | None, int | None]] = []
    base = select(User.id, User.superior_override_id, Position.parent_id).outerjoin(Position,
                                                                                    User.position_id == Position.id)
    if isinstance(user_ids, Select):
        rows += session.execute(base.where(User.id.in_(user_ids.scalar_subquery()))).all()
    else:
        ids = sorted(set(user_ids))
        for start in range(0, len(ids), 5000):
            rows += session.execute(base.where(User.id.in_(ids[start:start + 5000]))).all()
    parents = sorted({p for _, override, p in rows if override is None and p is not None})
    holder: dict[int, int] = {}
    for start in range(0, len(parents), 5000):
        for uid, pos in session.execute(select(User.id, User.position_id)
                                        .where(User.position_id.in_(parents[start:start + 5000]), User.active)
                                        .order_by(User.id.desc())):
            if pos is not None:
                holder[pos] = uid  # descending, so the lowest id wins, as superior_of
    result: dict[int, int | None] = {}
    for uid, override, parent in rows:
        if override is not None:
            result[uid] = override
        elif parent is None:
            result[uid] = None
        elif parent in holder:
            result[uid] = holder[parent]
        else:  # nobody holds it: an acting official may (rare; resolved one by one)
            acting = superior_of(session, uid)
            result[uid] = acting.id if acting is not None else None
    return result


# --- overdue tasks ------------------------------------------------------------------------------------------


@dataclass
class OverdueTask:
    task_id: str
    instance_id: int
    process_id: str
    task_name: str
    title: str
    lane: str | None
    subject_id: int | None
    subject_name: str
    unit_id: int | None
    ready_at: datetime
    due_at: datetime
    days_overdue: float
    responsible_id: int | None  # the person who must act; None for a group's task nobody has claimed
    responsible_name: str  # that person's name, or the group's


def overdue_tasks(session: Session, now: datetime, *, period: str | None = None,
                  unit_ids: Collection[int] | None = None) -> list[OverdueTask]:
    """Return the open tasks whose due time has passed, oldest due first, with who must act on each.

    Who must act follows the lanes as the inbox does (``engine.access``): the assignee of a claimed task, else the
    subject, their superior or the superior's superior for a personal lane, else the group the lane names.
    """
    subject = User
    where = [TaskIndex.closed_at.is_(None), TaskIndex.due_at.is_not(None), TaskIndex.due_at < now]
    if period:
        where.append(TaskIndex.period == period)
    if unit_ids is not None:
        where.append(TaskIndex.subject_id.in_(employees_in(unit_ids)))
    # Plain rows (no ORM object per task), the subject's name and unit joined in.
    rows = session.connection().execute(
        select(TaskIndex.id, TaskIndex.instance_id, TaskIndex.process_id, TaskIndex.task_name, TaskIndex.title,
               TaskIndex.lane, TaskIndex.subject_id, TaskIndex.assignee_id, TaskIndex.candidate_users,
               TaskIndex.candidate_groups, TaskIndex.ready_at, TaskIndex.due_at, subject.full_name, Position.unit_id)
        .outerjoin(subject, subject.id == TaskIndex.subject_id).outerjoin(Position, Position.id == subject.position_id)
        .where(*where).order_by(TaskIndex.due_at, TaskIndex.id)).all()
    first = superiors(session, select(TaskIndex.subject_id).where(*where, TaskIndex.subject_id.is_not(None)))
    second = superiors(session, {s for s in first.values() if s is not None})
    people: dict[int, int | None] = {}
    out = []
    for (task_id, instance_id, process_id, task_name, title, lane, sid, assignee_id, candidate_users,
         candidate_groups, ready_at, due, subject_name, unit_id) in rows:
        responsible: int | None = assignee_id
        group = ""
        if responsible is None:
            relation = LANES.relation_of(lane)
            if relation == SUBJECT:
                responsible = sid
            elif relation == SUPERIOR and sid is not None:
                responsible = first.get(sid)
            elif relation == SUPERIOR_2 and sid is not None:
                boss = first.get(sid)
                responsible = second.get(boss) if boss is not None else None
            else:
                group = lane or candidate_groups.strip(",") or candidate_users.strip(",")
        if responsible is not None:
            people[responsible] = None
        due_at = due or now  # the query asked for due tasks only
        age = (now - due_at).total_seconds() / 86400
        out.append(OverdueTask(task_id, instance_id, process_id, task_name, title, lane, sid, subject_name or "",
                               unit_id if sid is not None else None, ready_at, due_at, round(age, 1), responsible,
                               group))
    names = dict(session.execute(select(User.id, User.full_name).where(User.id.in_(list(people)))).all()) \
        if people else {}
    for row in out:
        if row.responsible_id is not None:
            row.responsible_name = names.get(row.responsible_id, "")
    return out


# --- how long each step takes -------------------------------------------------------------------------------


@dataclass
class StepDuration:
    process_id: str
    task_name: str
    title: str
    count: int
    median_hours: float
    p90_hours: float
    longest_hours: float


def percentile(ordered: list[float], q: float) -> float:
    """Return the q-quantile (0..1) of sorted values, interpolating linearly between neighbours (as PostgreSQL's
    percentile_cont does)."""
    if not ordered:
        return 0.0
    position = (len(ordered) - 1) * q
    low, high = floor(position), ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def step_durations(session: Session, *, period: str | None = None, unit_ids: Collection[int] | None = None,
                   process_ids: Collection[str] | None = None) -> list[StepDuration]:
    """Return, per task type (process and BPMN task), how long completed tasks stayed open (ready → completed):
    median and 90th percentile, longest first by median. Cancelled tasks (a timer or the process ended them)
    are left out: they did not wait for a person's work."""
    # The database subtracts (no datetime object per row): seconds each task stayed open, and one title per type.
    if session.get_bind().dialect.name == "postgresql":
        took: ColumnElement[Any] = func.extract("epoch", TaskIndex.closed_at - TaskIndex.ready_at)
    else:
        took = (func.julianday(TaskIndex.closed_at) - func.julianday(TaskIndex.ready_at)) * 86400.0
    where = [TaskIndex.closed_at.is_not(None), TaskIndex.outcome == "completed"]
    if period:
        where.append(TaskIndex.period == period)
    if unit_ids is not None:
        where.append(TaskIndex.subject_id.in_(employees_in(unit_ids)))
    if process_ids is not None:
        where.append(TaskIndex.process_id.in_(list(process_ids)))
    out = []
    if session.get_bind().dialect.name == "postgresql":  # the database computes the percentiles: one row per type
        for process_id, task_name, title, count, median, p90, longest in session.connection().execute(
                select(TaskIndex.process_id, TaskIndex.task_name, func.max(TaskIndex.title), func.count(),
                       func.percentile_cont(0.5).within_group(took), func.percentile_cont(0.9).within_group(took),
                       func.max(took)).where(*where).group_by(TaskIndex.process_id, TaskIndex.task_name)).all():
            out.append(StepDuration(process_id, task_name, title, count, round(max(float(median), 0.0) / HOUR, 1),
                                    round(max(float(p90), 0.0) / HOUR, 1), round(max(float(longest), 0.0) / HOUR, 1)))
        return sorted(out, key=lambda d: (-d.median_hours, -d.p90_hours, d.process_id, d.task_name))
    seconds: dict[tuple[str, str], list[float]] = defaultdict(list)
    for process_id, task_name, value in session.connection().execute(
            select(TaskIndex.process_id, TaskIndex.task_name, took).where(*where)).all():
        seconds[(process_id, task_name)].append(max(float(value or 0.0), 0.0))
    titles = {(p, n): t for p, n, t in session.connection().execute(
        select(TaskIndex.process_id, TaskIndex.task_name, func.max(TaskIndex.title)).where(*where)
        .group_by(TaskIndex.process_id, TaskIndex.task_name)).all()}
    for key, values in seconds.items():
        values.sort()
        out.append(StepDuration(key[0], key[1], titles[key], len(values), round(percentile(values, 0.5) / HOUR, 1),
                                round(percentile(values, 0.9) / HOUR, 1), round(values[-1] / HOUR, 1)))
    return sorted(out, key=lambda d: (-d.median_hours, -d.p90_hours, d.process_id, d.task_name))
