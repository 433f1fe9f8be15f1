"""The units and positions as a tree for those who keep the organisation (``LANES.roles.org_admins``), and the
change of one position's superior with the open tasks that would change hands shown before it is applied.

The tree is read one unit at a time (its sub-units and one page of its positions), so an agency of 10,000
positions opens as fast as one of 30. Changing a superior checks what the import checks for that column (the
superior exists and is active, is not the position itself, makes no cycle, and only one position is left
without a superior), previews like the import (the actors of the affected open tasks before and after, inside
a transaction that is rolled back) and applies in one transaction only while the organisation still gives the
confirmed preview; it is audited as ``org.position_superior_changed`` and the people who may now act are told.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from engine.access import LANES, in_role, today
from engine.core import Engine
from engine.db.org import ActingAssignment, Position, Unit, User
from engine.db.runtime import TaskIndex
from engine.errors import N_, Conflict, FieldError, FormInvalid, Message, NotFound, PermissionDenied
from engine.services import audit, handover
from engine.services.inbox import Page

MAX_PER_PAGE = 100


class SuperiorStale(Conflict):
    """The organisation changed between the preview and the confirmation; nothing changed."""


class _RolledBack(Exception):
    """Leaves a writing transaction without committing, carrying what a preview found."""

    def __init__(self, change: SuperiorChange) -> None:
        super().__init__("preview")
        self.change = change


def _guard(session: Session, actor_id: int) -> User:
    actor = session.get(User, actor_id)
    if actor is None or not actor.active or not in_role(session, actor_id, LANES.roles.org_admins):
        raise PermissionDenied("org.admins_only", N_("Only Biro SDM and administrators may keep the organisation"))
    return actor


@dataclass
class UnitNode:
    id: int
    code: str
    name: str
    sub_units: int  # active sub-units
    positions: int  # active positions


@dataclass
class PositionRow:
    id: int
    code: str
    title: str
    jenis: str  # JPT | JA | JF (| PPPK in older data)
    jenjang: str
    unit_id: int
    unit: str
    holders: list[str] = field(default_factory=list)  # active holders' names
    acting: list[str] = field(default_factory=list)  # "Plt Name" acting for it today
    superior_id: int | None = None
    superior_code: str = ""
    superior_title: str = ""
    superior_holders: list[str] = field(default_factory=list)
    subordinates: int = 0  # active positions whose superior this is


@dataclass
class UnitView:
    """One unit opened in the tree: where it sits, its sub-units, and one page of its positions."""

    unit: UnitNode | None  # None: the top of the tree
    path: list[UnitNode]  # from the top down to the unit, the unit included
    units: list[UnitNode]
    positions: Page  # of PositionRow


def _nodes(session: Session, units: list[Unit]) -> list[UnitNode]:
    ids = [u.id for u in units]
    if not ids:
        return []
    subs = dict(session.execute(select(Unit.parent_id, func.count()).where(Unit.parent_id.in_(ids), Unit.active)
                                .group_by(Unit.parent_id)).all())
    counts = dict(session.execute(select(Position.unit_id, func.count()).where(Position.unit_id.in_(ids), Position.active)
                                  .group_by(Position.unit_id)).all())
    return [UnitNode(u.id, u.code, u.name, subs.get(u.id, 0), counts.get(u.id, 0)) for u in units]


def _position_rows(session: Session, positions: list[Position]) -> list[PositionRow]:
    """Rows for the given positions with their holders, acting officials and superiors (a few queries in all)."""
    if not positions:
        return []
    parents = {p.parent_id for p in positions if p.parent_id is not None}
    superiors = {p.id: p for p in session.scalars(select(Position).where(Position.id.in_(parents)))} if parents else {}
    ids = [p.id for p in positions] + sorted(parents)
    holders: dict[int, list[str]] = defaultdict(list)
    for position_id, name in session.execute(select(User.position_id, User.full_name)
                                             .where(User.position_id.in_(ids), User.active).order_by(User.full_name)):
        if position_id is not None:
            holders[position_id].append(name)
    day = today(session)
    acting: dict[int, list[str]] = defaultdict(list)
    for position_id, kind, name in session.execute(
            select(ActingAssignment.position_id, ActingAssignment.kind, User.full_name)
            .join(User, User.id == ActingAssignment.user_id)
            .where(ActingAssignment.position_id.in_([p.id for p in positions]), ActingAssignment.starts_on <= day,
                   ActingAssignment.ends_on >= day, ActingAssignment.ended_at.is_(None), User.active)):
        acting[position_id].append(f"{kind} {name}")
    subordinates = dict(session.execute(select(Position.parent_id, func.count())
                                        .where(Position.parent_id.in_([p.id for p in positions]), Position.active)
                                        .group_by(Position.parent_id)).all())
    units = {u.id: u.name for u in session.scalars(select(Unit).where(Unit.id.in_({p.unit_id for p in positions})))}
    rows = []
    for p in positions:
        sup = superiors.get(p.parent_id) if p.parent_id is not None else None
        rows.append(PositionRow(p.id, p.code, p.title, p.jenis, p.jenjang, p.unit_id, units.get(p.unit_id, ""),
                                holders.get(p.id, []), acting.get(p.id, []), p.parent_id,
                                sup.code if sup else "", sup.title if sup else "",
                                holders.get(sup.id, []) if sup else [], subordinates.get(p.id, 0)))
    return rows


def _path(session: Session, unit: Unit) -> list[Unit]:
    chain: list[Unit] = []
    current: Unit | None = unit
    while current is not None and len(chain) < 100:
        chain.append(current)
        current = session.get(Unit, current.parent_id) if current.parent_id else None
    return list(reversed(chain))


def open_unit(engine: Engine, actor_id: int, unit_id: int | None, page: int = 1, per_page: int = 50) -> UnitView:
    """Return one unit of the tree (None: the top units) with its active sub-units and a page of its positions."""
    per_page, page = max(1, min(per_page, MAX_PER_PAGE)), max(1, page)
    with engine.session_factory() as session:
        _guard(session, actor_id)
        unit = session.get(Unit, unit_id) if unit_id is not None else None
        if unit_id is not None and (unit is None or not unit.active):
            raise NotFound("unit.not_found", N_("This unit does not exist (any more)"))
        children = list(session.scalars(select(Unit).where(
            Unit.parent_id == unit_id if unit_id is not None else Unit.parent_id.is_(None), Unit.active)
            .order_by(Unit.code)))
        positions: Page = Page([], 1, per_page, 0)
        if unit is not None:
            where = (Position.unit_id == unit.id, Position.active)
            total = session.scalar(select(func.count()).select_from(Position).where(*where)) or 0
            page = min(page, max(1, -(-total // per_page)))
            found = list(session.scalars(select(Position).where(*where).order_by(Position.code)
                                         .offset((page - 1) * per_page).limit(per_page)))
            positions = Page(_position_rows(session, found), page, per_page, total)
        node = _nodes(session, [unit])[0] if unit is not None else None
        path = _nodes(session, _path(session, unit)) if unit is not None else []
        return UnitView(node, path, _nodes(session, children), positions)


@dataclass
class SearchResult:
    units: list[UnitNode]  # the first units whose code or name matches
    positions: Page  # positions whose code or title, unit, or holder's name or NIP matches


def search(engine: Engine, actor_id: int, text: str, page: int = 1, per_page: int = 25) -> SearchResult:
    """Find active units and positions by code, name or title, and positions by their holder's name or NIP
    (every word must match somewhere)."""
    per_page, page = max(1, min(per_page, MAX_PER_PAGE)), max(1, page)
    words = text.replace("\x00", " ").strip()[:100].split()  # (PostgreSQL text cannot hold NUL)
    with engine.session_factory() as session:
        _guard(session, actor_id)
        if not words:
            return SearchResult([], Page([], 1, per_page, 0))
        unit_query = select(Unit).where(Unit.active)
        for word in words:
            unit_query = unit_query.where(or_(Unit.code.icontains(word, autoescape=True),
                                              Unit.name.icontains(word, autoescape=True)))
        units = list(session.scalars(unit_query.order_by(Unit.code).limit(20)))
        holder, unit = aliased(User), aliased(Unit)
        query = (select(Position.id).join(unit, unit.id == Position.unit_id)
                 .outerjoin(holder, (holder.position_id == Position.id) & holder.active).where(Position.active))
        for word in words:
            query = query.where(or_(*(column.icontains(word, autoescape=True) for column in (
                Position.code, Position.title, unit.name, unit.code, holder.full_name, holder.nip))))
        ids = query.distinct().subquery()
        total = session.scalar(select(func.count()).select_from(ids)) or 0
        page = min(page, max(1, -(-total // per_page)))
        found = list(session.scalars(select(Position).where(Position.id.in_(select(ids.c.id))).order_by(Position.code)
                                     .offset((page - 1) * per_page).limit(per_page)))
        return SearchResult(_nodes(session, units), Page(_position_rows(session, found), page, per_page, total))


def position(engine: Engine, actor_id: int, position_id: int) -> PositionRow:
    """One active position with its holders and superior."""
    with engine.session_factory() as session:
        _guard(session, actor_id)
        found = session.get(Position, position_id)
        if found is None or not found.active:
            raise NotFound("position.not_found", N_("This position does not exist (any more)"))
        return _position_rows(session, [found])[0]


def superior_choices(engine: Engine, actor_id: int, text: str, limit: int = 20) -> list[PositionRow]:
    """Active positions matching ``text`` (code, title, unit or holder), for the superior picker."""
    return search(engine, actor_id, text, 1, limit).positions.items


# --- changing one position's superior ------------------------------------------------------------------------


@dataclass
class TaskMove:
    task_id: str
    instance_id: int
    title: str
    subject: str
    period: str
    before: list[str]
    after: list[str]  # empty: nobody can act on it any more (flagged to Biro SDM on apply)


@dataclass
class SuperiorChange:
    position: PositionRow
    old: PositionRow | None
    new: PositionRow | None
    handovers: list[TaskMove]
    digest: str
    applied: bool = False
    flagged: int = 0

    @property
    def nothing_to_do(self) -> bool:
        return (self.old.id if self.old else None) == (self.new.id if self.new else None)


def _invalid(error: str, text: str, **params: object) -> FormInvalid:
    return FormInvalid([FieldError("superior", Message(error, text, dict(params)))])


def _new_superior(session: Session, target: Position, code: str) -> Position | None:
    """The position named by ``code`` (empty: none), checked as the import checks the superior column."""
    code = code.replace("\x00", "").split(" — ", 1)[0].strip()
    if not code:
        others = session.scalar(select(func.count()).select_from(Position).where(
            Position.active, Position.parent_id.is_(None), Position.id != target.id)) or 0
        if others:
            raise _invalid("superior.second_root", N_("Only the head of the agency has no superior position; choose "
                                                      "the superior position"))
        return None
    if len(code) > 40:
        raise _invalid("superior.unknown", N_("No active position has the code %(code)s"), code=code[:40] + "…")
    found = session.scalar(select(Position).where(Position.code == code))
    if found is None or not found.active:
        raise _invalid("superior.unknown", N_("No active position has the code %(code)s"), code=code)
    if found.id == target.id:
        raise _invalid("superior.self", N_("A position cannot be its own superior"))
    parent: dict[int, int | None] = dict(session.execute(select(Position.id, Position.parent_id)).all())
    seen: set[int] = set()
    current: int | None = found.id
    while current is not None and current not in seen:
        if current == target.id:
            raise _invalid("superior.cycle", N_("%(code)s is below this position: the superiors would go round in a "
                                                "circle"), code=found.code)
        seen.add(current)
        current = parent.get(current)
    return found


def _affected_tasks(session: Session, target: Position) -> list[TaskIndex]:
    """The open tasks whose actors may depend on the target position's superior: those of its holders (their
    assessor) and of the people they assess (their assessor's superior), by position or explicit superior."""
    holders = list(session.scalars(select(User.id).where(User.position_id == target.id)))
    below = select(Position.id).where(Position.parent_id == target.id)
    subjects = set(holders) | set(session.scalars(select(User.id).where(User.position_id.in_(below))))
    if holders:
        subjects.update(session.scalars(select(User.id).where(User.superior_override_id.in_(holders))))
    relations = LANES.lanes_for("superior") + LANES.lanes_for("superior_2")
    if not subjects or not relations:
        return []
    ids = sorted(subjects)
    rows: list[TaskIndex] = []
    for start in range(0, len(ids), 1000):
        rows += session.scalars(select(TaskIndex).where(
            TaskIndex.closed_at.is_(None), TaskIndex.assignee_id.is_(None), TaskIndex.lane.in_(relations),
            TaskIndex.subject_id.in_(ids[start:start + 1000])))
    return sorted(rows, key=lambda r: (r.ready_at, r.id))


def _moves(session: Session, rows: list[TaskIndex], before: handover.Actors, after: handover.Actors) -> list[TaskMove]:
    moved = handover.changed_hands(rows, before, after)
    ids = {i for row in moved for i in before.get(row.id, frozenset()) | after.get(row.id, frozenset())}
    ids.update(row.subject_id for row in moved if row.subject_id)
    names = dict(session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all()) if ids else {}

    def named(users: frozenset[int]) -> list[str]:
        return sorted(names.get(i, f"#{i}") for i in users)

    return [TaskMove(row.id, row.instance_id, row.title, names.get(row.subject_id, "") if row.subject_id else "",
                     row.period or "", named(before.get(row.id, frozenset())), named(after.get(row.id, frozenset())))
            for row in moved]


def _digest(position_id: int, old: int | None, new: int | None, moves: list[TaskMove]) -> str:
    body = json.dumps([position_id, old, new, [[m.task_id, m.before, m.after] for m in moves]], ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def change_superior(engine: Engine, actor_id: int, position_id: int, superior_code: str,
                    expected_digest: str | None = None, reason: str = "") -> SuperiorChange:
    """Preview (``expected_digest`` None) or apply a new superior for one position.

    The preview makes the change inside a transaction, compares who may act on each affected open task before and
    after, and rolls back. The apply does the same and commits only when the result still has the confirmed
    preview's digest (else ``SuperiorStale``, nothing changed); it tells the people who may now act, flags tasks
    nobody can act on to the escalation groups, and records ``org.position_superior_changed``.
    """
    now = engine.now()
    try:
        return _change_superior(engine, now, actor_id, position_id, superior_code, expected_digest, reason)
    except _RolledBack as preview:
        return preview.change


def _change_superior(engine: Engine, now: datetime, actor_id: int, position_id: int, superior_code: str,
                     expected_digest: str | None, reason: str) -> SuperiorChange:
    with engine.session_factory.begin() as session:  # a writing transaction: what it read stays as read
        actor = _guard(session, actor_id)
        target = session.get(Position, position_id)
        if target is None or not target.active:
            raise NotFound("position.not_found", N_("This position does not exist (any more)"))
        new = _new_superior(session, target, superior_code)
        old_id = target.parent_id
        old = session.get(Position, old_id) if old_id is not None else None
        rows = _affected_tasks(session, target)
        before = handover.open_task_actors(session, rows)
        target.parent_id = new.id if new is not None else None
        session.flush()
        after = handover.open_task_actors(session, rows)
        moves = _moves(session, rows, before, after)
        change = SuperiorChange(_position_rows(session, [target])[0], _position_rows(session, [old])[0] if old else None,
                                _position_rows(session, [new])[0] if new else None, moves,
                                _digest(target.id, old_id, new.id if new else None, moves))
        change.position.superior_id, change.position.superior_code = old_id, old.code if old else ""
        change.position.superior_title = old.title if old else ""
        if expected_digest is None or change.nothing_to_do:
            raise _RolledBack(change)
        if expected_digest != change.digest:
            raise SuperiorStale("superior.stale", N_("The organisation changed since the preview; nothing was changed. "
                                                     "Check the new preview and confirm again."))
        moved = handover.changed_hands(rows, before, after)
        change.flagged = handover.tell(session, moved, before, after, now, actor)
        audit.record(session, "org.position_superior_changed", now, actor, position_id=target.id,
                     position=target.code, from_position=old.code if old else None,
                     to_position=new.code if new else None, reason=reason.replace("\x00", "").strip()[:500],
                     tasks_changed=len(moves), flagged=change.flagged)
        change.applied = True
        return change
