"""Read the audit trail across cases: search with filters and keyset pages, one employee's history, exports.

Only the auditors' groups (``LANES.roles.auditors``: Biro SDM and administrators in SMK) may search; an
employee may read their own history. Pages are keyed by ``seq`` (newest first), so a page deep in a
million events costs what the first page costs: no OFFSET.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    Text,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import operators
from sqlalchemy.sql.expression import UnaryExpression

from engine.access import LANES, in_role, superior_ids
from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.deploy import ProcessVersion, latest_process_names
from engine.db.org import Unit, User
from engine.db.runtime import Instance
from engine.errors import N_, NotFound, PermissionDenied
from engine.queries.reports import load_units, subtree

PAGE_SIZE = 50
#: Events are numbered as they are written, so ``seq`` follows ``at`` up to the length of one transaction. A date
#: range is therefore also given as the ``seq`` range of its events (found with two one-row reads of the ``at`` index,
#: widened by this much on each side): a page of a month among years reads that month's events, not every later one.
#: The ``at`` condition itself stays; an event is missed only if it was written more than a day after its time.
ORDER_SLACK = timedelta(days=1)
MAX_PAGE_SIZE = 200


@dataclass
class AuditFilter:
    """What the auditor asks for; every field optional."""

    subject: str = ""  # name or NIP of the employee the event concerns
    actor: str = ""  # username or name of who acted
    unit_id: int | None = None  # with its sub-units
    process_id: str = ""
    period: str = ""
    kind: str = ""  # exact kind, or a prefix ending in '.' (e.g. "task.")
    task: str = ""  # task id or task name
    text: str = ""  # free text in task titles and notes
    date_from: datetime | None = None
    date_to: datetime | None = None  # exclusive

    def as_dict(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self.__dict__.items()
                if v not in ("", None)}


@dataclass
class AuditRow:
    seq: int
    at: datetime
    kind: str
    actor: str
    actor_name: str
    instance_id: int | None
    process_id: str | None
    period: str | None
    task_id: str | None
    task_name: str | None
    subject_id: int | None
    subject_name: str
    subject_nip: str
    unit_name: str
    data: dict[str, Any]
    process_name: str = ""  # the process's name in its model (the version the instance runs)


@dataclass
class AuditPage:
    rows: list[AuditRow]
    next_before: int | None  # pass as ``before`` for the next (older) page; None on the last page
    filters: AuditFilter = field(default_factory=AuditFilter)


def may_audit(session: Session, user_id: int) -> bool:
    """Tell whether the user may search the whole audit trail."""
    return in_role(session, user_id, LANES.roles.auditors)


def _people(session: Session, words: str) -> list[int]:
    like = f"%{words.strip()}%"
    return list(session.scalars(select(User.id).where(or_(
        User.full_name.ilike(like), User.nip == words.strip(), User.username == words.strip())).limit(500)))


def text_expression() -> ColumnElement[str]:
    """What free text matches: the task's name and the event's data as JSON text (titles, notes, values).

    Spelt exactly as the PostgreSQL trigram index of migration 0010 (``ix_audit_event_text_trgm``) spells it, with
    the constants inline (not bound parameters), so that the planner recognises the indexed expression."""
    return literal_column("(COALESCE(audit_event.task_name, '') || ' ' || CAST(audit_event.data AS TEXT))", Text)


#: SQLite's index of the free text (migration 0013): a contentless FTS5 table, trigram tokenizer, rowid = seq.
AUDIT_TEXT = table("audit_event_text", column("rowid", BigInteger), column("text", Text))
#: The trigram tokenizer finds substrings of at least three characters; a shorter one matches no row there.
MIN_INDEXED = 3


@dataclass
class _Where:
    """A search's conditions on the events; its date range as a range of ``seq`` (the page's order); and, on SQLite,
    the phrase to read the events of from the free-text index."""

    conditions: list[ColumnElement[bool]]
    seq_from: int | None = None
    seq_to: int | None = None
    empty: bool = False  # no event was written in the date range
    phrase: str | None = None


def _text_match(words: str) -> ColumnElement[bool]:
    """Free text: ``words`` as a substring of the text expression, case-insensitive (on SQLite for ASCII letters
    only, as its ``lower`` and ``LIKE`` have it); ``%``, ``_`` and ``\\`` are plain characters."""
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return text_expression().ilike(f"%{escaped}%", escape="\\")


def _phrase(session: Session, f: AuditFilter, words: str) -> str | None:
    """The FTS5 query that reads free text's events from SQLite's trigram index, or None to read them otherwise.

    The index finds every event whose text holds ``words`` (three characters or more) as a substring, and some more:
    the tokenizer folds case beyond ASCII. So the index only chooses which events are read, newest first; the plain
    match stays as the check of each, and the results are the plain match's. One employee's events are fewer than
    a word's (their index answers at once): there the text is checked on those."""
    if session.get_bind().dialect.name != "sqlite" or len(words) < MIN_INDEXED or f.subject:
        return None
    return '"' + words.replace('"', '""') + '"'


def _unindexed(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """``+column``: the same value, which SQLite will not look up in an index of the column."""
    return UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)


def _conditions(session: Session, f: AuditFilter) -> _Where:
    where: list[ColumnElement[bool]] = []
    found = _Where(where)
    if f.subject:
        where.append(AuditEvent.subject_id.in_(_people(session, f.subject)))
    if f.actor:
        where.append(or_(AuditEvent.actor == f.actor.strip(), AuditEvent.actor_id.in_(_people(session, f.actor))))
    if f.unit_id is not None:
        where.append(AuditEvent.unit_id.in_(subtree(load_units(session), f.unit_id)))
    if f.process_id or f.period:
        # EXISTS per event rather than IN (the cases): a process or period covers many cases, so reading the events
        # newest first and checking each one's case finds a page soonest (SQLite would gather all their events).
        case = select(Instance.id).where(Instance.id == AuditEvent.instance_id)
        if f.process_id:
            case = case.where(Instance.process_id == f.process_id)
        if f.period:
            case = case.where(Instance.period == f.period)
        where.append(case.exists())
    # A date range bounds the events by seq too (below). SQLite, which has no statistics, would rather take the index
    # on kind (every event of that kind over the years, 8 s at a million events) or on at (the whole range, sorted):
    # a unary + keeps it off both, so that it reads the range's seq index backwards and stops at a full page.
    by_seq = (f.date_from is not None or f.date_to is not None) and session.get_bind().dialect.name == "sqlite"
    if f.kind:
        kind = _unindexed(AuditEvent.__table__.c.kind) if by_seq else AuditEvent.__table__.c.kind
        where.append(kind.startswith(f.kind, autoescape=True) if f.kind.endswith(".") else kind == f.kind)
    if f.task:
        where.append(or_(AuditEvent.task_id == f.task.strip(), AuditEvent.task_name == f.task.strip()))
    if f.text:
        where.append(_text_match(f.text.strip()))
        found.phrase = _phrase(session, f, f.text.strip())
    at = _unindexed(AuditEvent.__table__.c.at) if by_seq else AuditEvent.__table__.c.at
    if f.date_from is not None:
        where.append(at >= f.date_from)
        first = session.scalar(_seq_at_edge(func.min, AuditEvent.at >= f.date_from - ORDER_SLACK))
        found.seq_from, found.empty = first, found.empty or first is None
    if f.date_to is not None:
        where.append(at < f.date_to)
        last = session.scalar(_seq_at_edge(func.max, AuditEvent.at < f.date_to + ORDER_SLACK))
        found.seq_to, found.empty = last, found.empty or last is None
    return found


def _seq_at_edge(edge: Any, within: ColumnElement[bool]) -> Select[Any]:
    """The lowest (``func.min``) or highest (``func.max``) seq among the events at the earliest / latest time
    ``within`` allows: two lookups on the ``at`` index. Events of one transaction share their time, so ordering by
    time alone and taking one row could return any of them and cut its equals off the range. ``seq + 0``: over the
    ties (the events of one transaction, read through the ``at`` index), not PostgreSQL's min/max shortcut that
    walks the whole ``seq`` index until it meets that time."""
    return select(edge(AuditEvent.seq + 0)).where(AuditEvent.at == select(edge(AuditEvent.at)).where(within)
                                                  .scalar_subquery())


def _rows(session: Session, where: _Where, limit: int, before: int | None = None) -> list[AuditRow]:
    # First the page's sequence numbers (the filter alone, which an index on (unit_id, seq) or (subject_id, seq)
    # can answer without touching the events), then those events with their names: SQLite would otherwise join
    # every matching event before sorting and cutting the page.
    if where.empty:
        return []
    page = select(AuditEvent.seq).where(*where.conditions)
    order: ColumnElement[int] = AuditEvent.__table__.c.seq
    if where.phrase is not None:
        # SQLite's free-text index drives: its events newest first (its rowid is their seq, which FTS5 reads in
        # order and stops at a full page), each looked up by seq and checked. The seq bounds go on the rowid, where
        # the index seeks to them.
        page = (page.select_from(AUDIT_TEXT).join(AuditEvent, AuditEvent.seq == AUDIT_TEXT.c.rowid)
                .where(AUDIT_TEXT.c.text.match(where.phrase)))
        order = AUDIT_TEXT.c.rowid
    if where.seq_from is not None:
        page = page.where(order >= where.seq_from)
    if where.seq_to is not None:
        page = page.where(order <= where.seq_to)
    if before is not None:
        page = page.where(order < before)
    page = page.order_by(order.desc()).limit(limit)
    subject, actor = aliased(User), aliased(User)
    query = (select(AuditEvent, Instance.process_id, Instance.period, subject, actor.full_name, Unit.name,
                    ProcessVersion.name)
             .outerjoin(Instance, Instance.id == AuditEvent.instance_id)
             .outerjoin(ProcessVersion, ProcessVersion.id == Instance.process_version_id)
             .outerjoin(subject, subject.id == AuditEvent.subject_id)
             .outerjoin(actor, actor.id == AuditEvent.actor_id)
             .outerjoin(Unit, Unit.id == AuditEvent.unit_id)
             .where(AuditEvent.seq.in_(page)))
    rows = []
    for event, process_id, period, person, actor_name, unit_name, process_name in session.execute(
            query.order_by(AuditEvent.seq.desc())):
        rows.append(AuditRow(event.seq, event.at, event.kind, event.actor, actor_name or event.actor,
                             event.instance_id, process_id, period, event.task_id, event.task_name,
                             event.subject_id, person.full_name if person else "", (person.nip or "") if person else "",
                             unit_name or "", dict(event.data or {}), process_name or ""))
    return rows


def process_choices(engine: Engine, user_id: int) -> list[tuple[str, str]]:
    """The processes an auditor may filter by: (process id, name), every deployed process by name."""
    with engine.session_factory() as session:
        if not may_audit(session, user_id):
            raise PermissionDenied("audit.auditors_only", N_("Only Biro SDM and administrators may search the audit trail"))
        return latest_process_names(session)


def search(engine: Engine, user_id: int, filters: AuditFilter, before: int | None = None,
           limit: int = PAGE_SIZE) -> AuditPage:
    """Return one page of events matching ``filters``, newest first, older than event ``before``."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    with engine.session_factory() as session:
        if not may_audit(session, user_id):
            raise PermissionDenied("audit.auditors_only", N_("Only Biro SDM and administrators may search the audit trail"))
        rows = _rows(session, _conditions(session, filters), limit + 1, before)
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(rows, rows[-1].seq if more and rows else None, filters)


def export_rows(engine: Engine, user_id: int, filters: AuditFilter, batch: int = 2000) -> Iterator[AuditRow]:
    """Yield every matching event, newest first, reading ``batch`` at a time (memory stays flat)."""
    with engine.session_factory() as session:
        if not may_audit(session, user_id):
            raise PermissionDenied("audit.auditors_only", N_("Only Biro SDM and administrators may search the audit trail"))
        where = _conditions(session, filters)
    before: int | None = None
    while True:
        with engine.session_factory() as session:
            rows = _rows(session, where, batch, before)
        yield from rows
        if len(rows) < batch:
            return
        before = rows[-1].seq


# --- one employee's history ---------------------------------------------------------------------


@dataclass
class HistoryStep:
    at: datetime
    kind: str
    actor_name: str
    task_name: str | None
    title: str
    data: dict[str, Any]


@dataclass
class HistoryInstance:
    id: int
    process_id: str
    process_name: str
    status: str
    started_at: datetime
    completed_at: datetime | None
    steps: list[HistoryStep]


@dataclass
class HistoryPeriod:
    period: str
    instances: list[HistoryInstance]


@dataclass
class EmployeeHistory:
    id: int
    name: str
    nip: str
    position: str
    unit: str
    periods: list[HistoryPeriod]


def may_read_history(session: Session, user_id: int, employee_id: int) -> bool:
    """The employee, their assessors (two levels) and the auditors may read an employee's history."""
    if user_id == employee_id or may_audit(session, user_id):
        return True
    first = superior_ids(session, employee_id)
    return user_id in first or any(user_id in superior_ids(session, s) for s in first)


def employee_history(engine: Engine, user_id: int, employee_id: int) -> EmployeeHistory:
    """Return every period, process and step of one employee, with who acted and when."""
    with engine.session_factory() as session:
        employee = session.get(User, employee_id)
        if employee is None or not may_read_history(session, user_id, employee_id):
            raise NotFound("employee.not_found", N_("Employee not found"))
        # Columns only: an instance's stored state is never read here.
        instances = session.execute(
            select(Instance.id, Instance.process_id, Instance.period, Instance.status, Instance.started_at,
                   Instance.completed_at, ProcessVersion.name)
            .outerjoin(ProcessVersion, ProcessVersion.id == Instance.process_version_id)
            .where(Instance.subject_id == employee_id)
            .order_by(Instance.period.desc(), Instance.started_at)).all()
        ids = [i.id for i in instances]
        actor = aliased(User)
        steps: dict[int, list[HistoryStep]] = {i: [] for i in ids}
        for start in range(0, len(ids), 500):
            for event, actor_name in session.execute(
                    select(AuditEvent, actor.full_name).outerjoin(actor, actor.id == AuditEvent.actor_id)
                    .where(AuditEvent.instance_id.in_(ids[start:start + 500]), AuditEvent.kind != "task.ready")
                    .order_by(AuditEvent.seq)):
                data = dict(event.data or {})
                if event.instance_id is not None:
                    steps[event.instance_id].append(HistoryStep(
                        event.at, event.kind, actor_name or event.actor, event.task_name,
                        str(data.get("title") or event.task_name or ""), data))
        periods: dict[str, list[HistoryInstance]] = {}
        for i in instances:
            periods.setdefault(i.period or "", []).append(HistoryInstance(
                i.id, i.process_id, i.name or i.process_id, i.status, i.started_at, i.completed_at, steps[i.id]))
        position = employee.position
        return EmployeeHistory(employee.id, employee.full_name, employee.nip or "",
                               position.title if position else "", position.unit.name if position else "",
                               [HistoryPeriod(p, rows) for p, rows in periods.items()])
