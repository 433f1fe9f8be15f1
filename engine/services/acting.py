"""Acting officials (Plt/Plh): name who acts for a position from one day to another, end it early, list them.

While an assignment runs, its person sees and acts on the tasks that the position's holder would (the
assessor's and the assessor's superior's tasks of the position's subordinates), besides the holder; the audit
of each completion says "as Plt …". Nothing needs undoing when it ends: lanes are resolved at query time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

from engine.access import LANES, actionable, in_role, today
from engine.core import Engine
from engine.db.org import ActingAssignment, Position, Unit, User
from engine.db.runtime import TaskIndex
from engine.errors import N_, FieldError, FormInvalid, Message, NotFound, PermissionDenied
from engine.services import audit, handover

KINDS = ("Plt", "Plh")
MAX_DAYS = 366


@dataclass
class ActingRow:
    id: int
    kind: str
    position_id: int
    position: str
    unit: str
    holder: str  # who holds the position (empty when vacant)
    user_id: int
    person: str
    starts_on: date
    ends_on: date
    state: str  # upcoming | running | ended
    note: str


def _guard(session: Session, actor_id: int) -> User:
    actor = session.get(User, actor_id)
    if actor is None or not actor.active or not in_role(session, actor_id, LANES.roles.org_admins):
        raise PermissionDenied("org.admins_only", N_("Only Biro SDM and administrators may name acting officials"))
    return actor


def list_acting(engine: Engine, actor_id: int, include_ended: bool = False) -> list[ActingRow]:
    """Return the acting assignments that run now or start later (and, if asked, the ended ones)."""
    with engine.session_factory() as session:
        _guard(session, actor_id)
        day = today(session)
        holder, person = aliased(User), aliased(User)
        query = (select(ActingAssignment, Position, Unit, person, holder)
                 .join(Position, Position.id == ActingAssignment.position_id)
                 .join(Unit, Unit.id == Position.unit_id)
                 .join(person, person.id == ActingAssignment.user_id)
                 .outerjoin(holder, and_(holder.position_id == Position.id, holder.active))
                 .order_by(ActingAssignment.starts_on.desc(), ActingAssignment.id.desc()))
        if not include_ended:
            query = query.where(ActingAssignment.ends_on >= day, ActingAssignment.ended_at.is_(None))
        rows = []
        for a, position, unit, who, held_by in session.execute(query):
            state = ("ended" if a.ended_at is not None or a.ends_on < day
                     else "upcoming" if a.starts_on > day else "running")
            rows.append(ActingRow(a.id, a.kind, position.id, position.title, unit.name,
                                  held_by.full_name if held_by else "", who.id, who.full_name, a.starts_on,
                                  a.ends_on, state, a.note))
        return rows


def name_acting(engine: Engine, actor_id: int, position_id: int | None, user_id: int | None, kind: str,
                starts_on: date | None, ends_on: date | None, note: str = "") -> int:
    """Name an acting official; every problem is a field error, and nothing is stored unless all pass."""
    errors: list[FieldError] = []
    with engine.session_factory.begin() as session:
        actor = _guard(session, actor_id)
        position = session.get(Position, position_id) if position_id else None
        person = session.get(User, user_id) if user_id else None
        if position is None:
            errors.append(FieldError("position_id", Message("acting.position_id", N_("Choose the position"))))
        if person is None or not person.active:
            errors.append(FieldError("user_id", Message("acting.user_id", N_("Choose an active person"))))
        elif position is not None and person.position_id == position.id:
            errors.append(FieldError("user_id", Message("acting.user_id", N_("This person already holds the position"))))
        if kind not in KINDS:
            errors.append(FieldError("kind", Message("acting.kind", N_("Choose Plt or Plh"))))
        if starts_on is None:
            errors.append(FieldError("starts_on", Message("acting.starts_on", N_("Enter the first day"))))
        if ends_on is None:
            errors.append(FieldError("ends_on", Message("acting.ends_on", N_("Enter the last day"))))
        if starts_on and ends_on:
            if ends_on < starts_on:
                errors.append(FieldError("ends_on", Message("acting.ends_on", N_("The last day is before the first day"))))
            elif (ends_on - starts_on).days >= MAX_DAYS:
                errors.append(FieldError("ends_on", Message("acting.ends_on", N_("An acting assignment lasts at most a year; name it again after that"))))
            elif ends_on < today(session):
                errors.append(FieldError("ends_on", Message("acting.ends_on", N_("The last day has already passed"))))
        if not errors and position is not None and person is not None and starts_on and ends_on:
            overlap = session.scalar(select(ActingAssignment.id).where(
                ActingAssignment.position_id == position.id, ActingAssignment.user_id == person.id,
                ActingAssignment.ended_at.is_(None), ActingAssignment.starts_on <= ends_on,
                ActingAssignment.ends_on >= starts_on))
            if overlap:
                errors.append(FieldError("starts_on", Message("acting.starts_on", N_("This person already acts for this position in these days"))))
        if errors:
            raise FormInvalid(errors)
        assert position is not None and person is not None and starts_on and ends_on
        now = engine.now()
        # From today on, someone acts in the position's lanes: stand-ins named in its place lose those tasks.
        rows = handover.named_open_tasks(session) if starts_on <= today(session) else []
        before = handover.open_task_actors(session, rows)
        assignment = ActingAssignment(position_id=position.id, user_id=person.id, kind=kind, starts_on=starts_on,
                                      ends_on=ends_on, note=note.replace("\x00", "").strip()[:2000], created_by_id=actor.id,
                                      created_at=now)
        session.add(assignment)
        session.flush()
        if rows:
            handover.tell(session, rows, before, handover.open_task_actors(session, rows), now, actor)
        audit.record(session, "org.acting_named", now, actor, subject_id=person.id, acting_id=assignment.id,
                     acting_kind=kind, position=position.title, position_id=position.id, starts_on=starts_on.isoformat(),
                     ends_on=ends_on.isoformat())
        return assignment.id


def end_acting(engine: Engine, actor_id: int, assignment_id: int, reason: str) -> None:
    """End an acting assignment before its last day (the person returns, or someone else is named)."""
    with engine.session_factory.begin() as session:
        actor = _guard(session, actor_id)
        assignment = session.get(ActingAssignment, assignment_id)
        if assignment is None or assignment.ended_at is not None:
            raise NotFound("acting.not_found", N_("Acting assignment not found"))
        if not reason.replace("\x00", "").strip():
            raise FormInvalid([FieldError("reason", Message("acting.reason", N_("A reason is required")))])
        now = engine.now()
        # The tasks the acting official may act on now: where nobody else holds the lane once they stop, a task with
        # stand-in groups goes to the stand-ins, another is flagged (as when an account is deactivated).
        rows = list(session.scalars(select(TaskIndex).where(TaskIndex.closed_at.is_(None),
                                                            actionable(session, assignment.user_id))))
        before = handover.open_task_actors(session, rows)
        assignment.ended_at = now
        session.flush()
        handover.tell(session, rows, before, handover.open_task_actors(session, rows), now, actor)
        audit.record(session, "org.acting_ended", now, actor, subject_id=assignment.user_id, acting_id=assignment.id,
                     reason=reason.replace("\x00", "").strip()[:2000])


PICKER_LIMIT = 20  # type-ahead answers: enough to pick from, small enough for a phone (at most 50 asked)


@dataclass(frozen=True)
class Choice:
    """One answer of the form's type-ahead: ``value`` is what goes into the text field (and what the form's
    lookup reads back: the position's code or the person's NIP before " — "), ``label`` and ``detail`` are shown."""

    id: int
    value: str
    label: str
    detail: str


def _words(text: str) -> list[str]:
    return text.strip()[:100].split()


def position_choices(engine: Engine, actor_id: int, text: str, limit: int = PICKER_LIMIT) -> list[Choice]:
    """The active positions whose code, title, unit or holder's name contains every word of ``text`` (at least 2
    characters), by code, at most ``limit`` (1..50): the form never lists every position of the organisation."""
    words, limit = _words(text), max(1, min(limit, 50))
    with engine.session_factory() as session:
        _guard(session, actor_id)
        if len("".join(words)) < 2:
            return []
        holder = aliased(User)
        query = (select(Position, Unit, holder).join(Unit, Unit.id == Position.unit_id)
                 .outerjoin(holder, and_(holder.position_id == Position.id, holder.active))
                 .where(Position.active))  # not those an import retired
        for word in words:
            query = query.where(or_(*(column.icontains(word, autoescape=True) for column in (
                Position.code, Position.title, Unit.name, holder.full_name, holder.nip))))
        return [Choice(p.id, f"{p.code} — {p.title}", f"{p.code} — {p.title}",
                       f"{u.name}{' · ' + h.full_name if h is not None else ''}")
                for p, u, h in session.execute(query.order_by(Position.code, Position.id).limit(limit))]


def person_choices(engine: Engine, actor_id: int, text: str, limit: int = PICKER_LIMIT) -> list[Choice]:
    """The active people whose name, NIP, username or position title contains every word of ``text`` (at least 2
    characters), by name, at most ``limit`` (1..50)."""
    words, limit = _words(text), max(1, min(limit, 50))
    with engine.session_factory() as session:
        _guard(session, actor_id)
        if len("".join(words)) < 2:
            return []
        query = (select(User, Position.title).outerjoin(Position, Position.id == User.position_id)
                 .where(User.active))
        for word in words:
            query = query.where(or_(*(column.icontains(word, autoescape=True) for column in (
                User.full_name, User.username, User.nip, Position.title))))
        return [Choice(u.id, f"{u.nip or u.username} — {u.full_name}", u.full_name,
                       " · ".join(x for x in (u.nip or u.username, title or "") if x))
                for u, title in session.execute(query.order_by(User.full_name, User.id).limit(limit))]
