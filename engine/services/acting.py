"""Acting officials (Plt/Plh): name who acts for a position from one day to another, end it early, list them.

While an assignment runs, its person sees and acts on the tasks that the position's holder would (the
assessor's and the assessor's superior's tasks of the position's subordinates), besides the holder; the audit
of each completion says "as Plt …". Lanes are resolved at query time, so nothing needs undoing when it ends; only
what the engine wrote on open tasks follows the change, on the day it happens (``engine.services.handover``): a
task with stand-ins (``fallbackCandidateGroups``: an objection whose Atasan Pejabat Penilai is missing) goes to the
acting official on the assignment's first day, and back to the stand-ins when it ends (early, by hand, or after its
last day). Named from today or ended by hand, that handover is made at once; a first day that comes later, or a
last day that passes, is handed over by the worker's job ``hand_over_acting_days`` (``start_handed_at`` and
``end_handed_at`` say it was made, once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session, aliased

from engine.access import LANES, actionable, in_role, today
from engine.core import Engine
from engine.db.base import unclaimed
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
        # From today on, someone acts in the position's lanes: stand-ins named in its place lose those tasks. A later
        # first day is handed over by the worker on that day (hand_over_acting_days).
        from_today = starts_on <= today(session)
        rows = handover.named_open_tasks(session) if from_today else []
        before = handover.open_task_actors(session, rows)
        assignment = ActingAssignment(position_id=position.id, user_id=person.id, kind=kind, starts_on=starts_on,
                                      ends_on=ends_on, note=note.replace("\x00", "").strip()[:2000], created_by_id=actor.id,
                                      created_at=now, start_handed_at=now if from_today else None)
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
        assignment.ended_at = assignment.end_handed_at = now
        session.flush()
        handover.tell(session, rows, before, handover.open_task_actors(session, rows), now, actor)
        audit.record(session, "org.acting_ended", now, actor, subject_id=assignment.user_id, acting_id=assignment.id,
                     reason=reason.replace("\x00", "").strip()[:2000])


def _starting(day: date) -> ColumnElement[bool]:
    """The assignments whose first day has come and whose handover of it is still to make."""
    return and_(ActingAssignment.start_handed_at.is_(None), ActingAssignment.ended_at.is_(None),
                ActingAssignment.starts_on <= day, ActingAssignment.ends_on >= day)


def _lapsed(day: date) -> ColumnElement[bool]:
    """The assignments whose last day has passed (not ended by hand) and whose handover of that is still to make."""
    return and_(ActingAssignment.end_handed_at.is_(None), ActingAssignment.ended_at.is_(None),
                ActingAssignment.ends_on < day)


def hand_over_acting_days(engine: Engine, limit: int = 100) -> int:
    """The worker's job for the days acting assignments start and end by themselves; return how many assignments
    it handed over (0: nothing due, or another worker has them).

    On an assignment's first day (named earlier for a later day) the stand-ins named in its lanes' place lose those
    tasks to the acting official, who is told (as when named from today); the day after its last day, the tasks it
    gave its official are handed on as when it is ended early: the stand-ins are named again, or a task nobody can
    act on any more is flagged. The audit trail has each handover (``task.fallback_ended``, ``task.fallback``,
    ``task.unassigned``, reason "organisation") and ``org.acting_started`` / ``org.acting_lapsed``.

    One transaction per pass for every assignment due: "before" is the organisation as the open tasks knew it
    (the assignments starting counted as not yet running, those lapsing as still running), "after" the one of
    today. Each assignment's ``start_handed_at`` / ``end_handed_at`` is set in that transaction, so a second run
    finds nothing; several workers claim the assignments through the database (``unclaimed``: FOR UPDATE SKIP
    LOCKED on PostgreSQL, the write lock on SQLite), so no handover is made twice."""
    with engine.session_factory() as session:  # a look first: the write lock (SQLite) only when something is due
        day = today(session)
        if session.scalar(select(ActingAssignment.id).where(or_(_starting(day), _lapsed(day))).limit(1)) is None:
            return 0
    with engine.session_factory.begin() as session:
        day = today(session)
        due = list(session.scalars(unclaimed(session, select(ActingAssignment).where(or_(_starting(day), _lapsed(day)))
                                             .order_by(ActingAssignment.id).limit(limit))))
        if not due:
            return 0
        now = engine.now()
        # An assignment whose whole window passed before its first day was handed over (no worker ran) gave the
        # open tasks nothing to undo: it is only marked.
        starting = [a for a in due if a.start_handed_at is None and a.ends_on >= day]
        lapsed = [a for a in due if a.ends_on < day]
        ending = [a for a in lapsed if a.start_handed_at is not None]
        rows = {row.id: row for row in handover.named_open_tasks(session)} if starting else {}
        rows.update((row.id, row) for row in handover.acting_lane_tasks(session, [a.id for a in ending]))
        tasks = sorted(rows.values(), key=lambda row: (row.ready_at, row.id))
        before = handover.open_task_actors(session, tasks, acting={**{a.id: False for a in starting},
                                                                   **{a.id: True for a in ending}})
        after = handover.open_task_actors(session, tasks)
        handover.tell(session, tasks, before, after, now, None)
        for assignment in due:
            assignment.start_handed_at = assignment.start_handed_at or now
            if assignment in lapsed:
                assignment.end_handed_at = now
            position = session.get(Position, assignment.position_id)
            audit.record(session, "org.acting_lapsed" if assignment in lapsed else "org.acting_started", now, None,
                         subject_id=assignment.user_id, acting_id=assignment.id, acting_kind=assignment.kind,
                         position=position.title if position else "", position_id=assignment.position_id,
                         starts_on=assignment.starts_on.isoformat(), ends_on=assignment.ends_on.isoformat())
        return len(due)


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
