"""The append-only audit trail, hash-chained so that any change to stored history can be found."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    String,
    Table,
    TextClause,
    bindparam,
    insert,
    select,
    text,
    update,
)
from sqlalchemy import event as sa_event
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from engine.db.base import Base, JsonDoc, as_utc, str120


class AuditEvent(Base):
    """An append-only record of one state change, written in the transaction that made the change.

    ``seq`` numbers the events without gaps; ``hash`` is SHA-256 over the previous event's hash and this
    event's canonical content (see ``engine.services.audit.canonical``).
    """

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(60), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor: Mapped[str120] = mapped_column(default="system")
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instance.id"), index=True)
    deployment_id: Mapped[int | None] = mapped_column(ForeignKey("deployment.id"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    task_name: Mapped[str | None] = mapped_column(String(120))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    data: Mapped[Any] = mapped_column(JsonDoc, default=dict)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_event_subject_seq", "subject_id", "seq"),
        Index("ix_audit_event_unit_seq", "unit_id", "seq"),
        # Free text (engine.queries.audit.text_expression): a pg_trgm GIN index on PostgreSQL, made by migration
        # 0010 with the operator class of the schema pg_trgm lives in; other databases scan.
        # Spelt as PostgreSQL gives it back, so that comparing the models with the database finds no change.
        Index("ix_audit_event_text_trgm",
              text("((COALESCE(task_name, ''::character varying)::text || ' '::text) || data::text)"),
              postgresql_using="gin").ddl_if(dialect="postgresql"),
    )


class AuditChainHead(Base):
    """The newest event's sequence number and hash: one row, locked by every transaction that appends."""

    __tablename__ = "audit_chain_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """A verified point of the chain: verification resumes from the newest one instead of event 1."""

    __tablename__ = "audit_checkpoint"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hash: Mapped[str] = mapped_column(String(64))
    verified_at: Mapped[datetime]


# --- the chain ------------------------------------------------------------------------------------

GENESIS = "0" * 64
_PENDING = "audit_pending"


def _number(value: int | float) -> str:
    # One spelling per number whatever the database gives back (PostgreSQL's JSONB turns 1e30 into an
    # integer, SQLite keeps 1e+30): the plain digits of the normalised decimal.
    return format(Decimal(str(value)).normalize(), "f")


def _canonical_value(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return {"#": _number(value)}
    if isinstance(value, dict):
        return {str(k): _canonical_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical_value(v) for v in value]
    return str(value)


def canonical(event: Any, seq: int | None = None) -> bytes:
    """Return the bytes an event's hash covers: every column but id and hash, in one fixed encoding.

    ``event`` is an AuditEvent or any object with its attributes (a row); ``seq`` replaces the event's own,
    to ask whether it belongs at another place of the chain."""
    at = event.at.astimezone(UTC) if event.at.tzinfo else event.at.replace(tzinfo=UTC)
    content = {
        "seq": event.seq if seq is None else seq, "at": at.isoformat(timespec="microseconds"), "kind": event.kind,
        "actor_id": event.actor_id, "actor": event.actor, "instance_id": event.instance_id,
        "deployment_id": event.deployment_id, "task_id": event.task_id, "task_name": event.task_name,
        "subject_id": event.subject_id, "unit_id": event.unit_id, "data": _canonical_value(event.data or {}),
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(previous: str, event: Any, seq: int | None = None) -> str:
    """Return SHA-256 over the previous event's hash and this event's canonical content."""
    return hashlib.sha256(previous.encode() + b"\n" + canonical(event, seq)).hexdigest()


def append(session: Session, event: AuditEvent) -> None:
    """Queue an event; it is numbered, hashed and inserted as the transaction commits (``install_chain``)."""
    session.info.setdefault(_PENDING, []).append(event)


_COLUMNS = ("at", "kind", "actor_id", "actor", "instance_id", "deployment_id", "task_id", "task_name", "subject_id",
            "unit_id", "data", "seq", "hash")


_EVENTS, _HEAD = cast(Table, AuditEvent.__table__), cast(Table, AuditChainHead.__table__)
# Built once: the chain's statements run in every writing transaction.
_READ_HEAD = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update()
_INSERT_EVENTS = insert(_EVENTS)
_MOVE_HEAD = update(_HEAD).where(_HEAD.c.id == 1).values(seq=bindparam("seq"), hash=bindparam("hash"))
_FIRST_HEAD = insert(_HEAD).values(id=1, seq=bindparam("seq"), hash=bindparam("hash"))


@cache
def _pg_seal() -> TextClause:
    """PostgreSQL's seal, built once: ``events`` is the JSON array of the rows (``at`` in ISO form), ``seq`` and
    ``hash`` the new head. The record's column types are the table's own, as PostgreSQL spells them (read at first
    use: a foreign key's column has its type only once the table it refers to is known)."""
    dialect = postgresql.dialect()
    columns = ", ".join(f"{name} {_EVENTS.c[name].type.compile(dialect=dialect)}" for name in _COLUMNS)
    return text("WITH moved_head AS (UPDATE audit_chain_head SET seq = :seq, hash = :hash WHERE id = 1) "
                f"INSERT INTO audit_event ({', '.join(_COLUMNS)}) SELECT {', '.join(_COLUMNS)} "
                f"FROM jsonb_to_recordset(CAST(:events AS jsonb)) AS e({columns}) ORDER BY seq")


def _seal(session: Session) -> None:
    pending: list[AuditEvent] = session.info.pop(_PENDING, [])
    if not pending:
        return
    # Everything else first, so that the chain head is the last lock this transaction takes: writers
    # then queue on it only for the few inserts below, and cannot deadlock on rows behind it.
    session.flush()
    # Core statements (the events are append-only: nothing reads them back in this transaction): the head
    # read under its row lock, the events in one executemany, the head moved on.
    head = session.execute(_READ_HEAD).first()
    seq, previous = (head.seq, head.hash) if head is not None else (0, GENESIS)
    rows = []
    for event in pending:
        seq += 1
        event.seq = seq
        event.hash = previous = chain_hash(previous, event)
        rows.append({name: getattr(event, name) for name in _COLUMNS})
    if head is not None and session.connection().dialect.name == "postgresql":
        # One round trip for both, and one statement whatever the number of events: the events as a JSON array,
        # the head moved on in a CTE of their INSERT (PostgreSQL runs a data-modifying CTE whether or not the
        # statement refers to it; SQLite has none). A multi-row VALUES built for each transaction cost ~2 ms of
        # CPU per commit in SQLAlchemy's construction of it (docs/benchmarks.md, "by the engine's phase").
        session.execute(_pg_seal(), {"seq": seq, "hash": previous, "events": json.dumps([
            {**row, "at": as_utc(row["at"]).isoformat()} for row in rows])})
        return
    session.execute(_INSERT_EVENTS, rows)
    session.execute(_MOVE_HEAD if head is not None else _FIRST_HEAD, {"seq": seq, "hash": previous})


def _forget(session: Session, *_: Any) -> None:
    session.info.pop(_PENDING, None)


def install_chain(factory: sessionmaker) -> None:
    """Seal the queued audit events of every transaction the factory's sessions commit."""
    sa_event.listen(factory, "before_commit", _seal)
    sa_event.listen(factory, "after_rollback", _forget)
