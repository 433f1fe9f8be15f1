"""The one place that creates database engines and session factories, and the ORM base."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any, TypeVar, cast

from sqlalchemy import JSON, DateTime, Engine, MetaData, Select, String, create_engine, event
from sqlalchemy import exc as exc_module
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSONB on PostgreSQL (indexable, compact), plain JSON text elsewhere.
JsonDoc = JSON().with_variant(JSONB(), "postgresql")
# JSON text everywhere, for a large document written whole and read whole (an instance's workflow state): PostgreSQL
# keeps the text as given instead of parsing it into JSONB on every write and printing it again on every read, which
# cost more server CPU than anything else a step does (migration 0020, docs/benchmarks.md). Path reads (``->``,
# ``#>``) still work on it; nothing indexes inside it.
JsonText = JSON()


class PreSerialized(str):
    """JSON text that is already serialized; stored as is instead of being encoded a second time."""


def _json_serializer(value: Any) -> str:
    return value if isinstance(value, PreSerialized) else json.dumps(value)


def as_utc(value: datetime) -> datetime:
    """The aware datetime in UTC, as it is stored; a naive one is refused."""
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
    return value.astimezone(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Store aware datetimes as UTC and always hand back aware UTC values (SQLite forgets zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


str40 = Annotated[str, mapped_column(String(40))]
str120 = Annotated[str, mapped_column(String(120))]
str255 = Annotated[str, mapped_column(String(255))]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime()}


def make_engine(url: str, echo: bool = False) -> Engine:
    """Create a SQLAlchemy engine; SQLite gets WAL and a busy timeout so web and worker can share it."""
    kwargs: dict[str, Any] = {"echo": echo, "future": True, "json_serializer": _json_serializer}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
    engine = create_engine(url, **kwargs)
    if not url.startswith("sqlite"):
        _ping_when_idle(engine)
    if engine.dialect.driver == "psycopg":
        _keep_prepared_statements(engine)
    if url.startswith("sqlite"):
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT and locking;
            # take control so that BEGIN IMMEDIATE serialises writers the way row locks do elsewhere.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # Writers (sessions from ``factory.begin()``, see SessionFactory) take the write lock at once and
            # wait for it; readers start a deferred transaction: a consistent snapshot (WAL) that never takes
            # the lock, so pages read while a completion writes.
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITES) else "BEGIN")
    return engine


# --- a pooled connection is tested before use only after it sat idle ------------------------------------------
# SQLAlchemy's ``pool_pre_ping`` tests every connection the pool hands out with a ``SELECT 1``: a round trip to
# the server at the start of every transaction, 6,019 of them in a 100-employee simulated year beside 32,334
# statements of its own (docs/benchmarks.md). A connection handed back less than ``PING_AFTER_IDLE`` seconds ago is
# handed out again untested: under load that is nearly every one, while one that waited longer (a quiet web worker,
# the morning after) is still tested and, when the server dropped it (a restart, an idle timeout), replaced before
# anyone uses it. The cost is a window of that many seconds after a database restart in which a request can still
# meet a dead connection and fail once; SQLAlchemy then discards the pool's connections and the next request
# connects afresh (docs/operations.md).
PING_AFTER_IDLE = 2.0
_RETURNED = "smk_returned_at"  # in the pooled connection's info: when the pool got it back (time.monotonic)


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn: Any, record: Any) -> None:
        if record is not None:
            record.info[_RETURNED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _handed_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED)
        if returned is None or time.monotonic() - returned < PING_AFTER_IDLE:
            return  # just connected, or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # noqa: BLE001 - whatever broke it, the pool replaces the connection
            raise exc_module.DisconnectionError("the database dropped an idle connection") from exc


WRITES = "smk_writes"  # execution option of the connections that write (BEGIN IMMEDIATE on SQLite)

# --- PostgreSQL: prepared statements that outlive a reading transaction ------------------------------------------
# psycopg prepares a statement on the server once the connection has run it five times, and then skips the
# parse and the planning. But every ROLLBACK makes it forget all the connection's prepared statements (DEALLOCATE
# ALL), and a reading transaction (``factory()``, most of them: every page, the inbox, get_task) ends in a ROLLBACK
# when its session closes. So most statements were planned anew each time: a 100-employee simulated year showed
# 22,122 unnamed executions against 11,500 prepared ones, and planning the task page's eight-table join alone cost
# the server ~1 ms each time, a fifth of its CPU. A transaction that ran nothing but SELECTs ends in COMMIT
# instead, which for such a transaction means the same, and the prepared statements stay.
_WROTE = "smk_wrote"  # in the pooled connection's info: a statement other than a SELECT ran in this transaction
PREPARED_MAX = 500  # prepared statements one connection keeps (psycopg's default, 100, is fewer than we use)


def _keep_prepared_statements(engine: Engine) -> None:
    from psycopg.pq import TransactionStatus

    @event.listens_for(engine, "connect")
    def _more_prepared(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.prepared_max = PREPARED_MAX
        dbapi_conn.cursor_factory = _lean_cursor_class()

    @event.listens_for(engine, "begin")
    def _began(conn: Any) -> None:
        conn.info[_WROTE] = False  # until this transaction ends: outside one, whatever is open rolls back

    @event.listens_for(engine, "commit")
    def _committed(conn: Any) -> None:
        conn.info[_WROTE] = True

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.startswith("SELECT "):
            conn.info[_WROTE] = True

    rollback = engine.dialect.do_rollback

    def do_rollback(connection: Any) -> None:
        """``connection`` is the pool's proxy: its ``info`` is the one the events above write."""
        dbapi = getattr(connection, "dbapi_connection", None)  # None: a bare psycopg connection, rolled back
        if (dbapi is not None and _only_selects(connection)
                and dbapi.info.transaction_status == TransactionStatus.INTRANS):
            try:
                dbapi.commit()  # only SELECTs ran: the same as a rollback, and the prepared statements stay
                return
            except Exception:  # noqa: BLE001 - whatever it was, the rollback below ends the transaction
                pass
        rollback(connection)

    engine.dialect.do_rollback = do_rollback  # type: ignore[method-assign,assignment]


# --- PostgreSQL: a result's column descriptions made only when read ---------------------------------------------
# SQLAlchemy asks the cursor for ``description`` after every statement, and psycopg answers with a new Column object
# per column (its name decoded, its type looked up): ~6 µs each, 0.6 ms for the 102 columns of the task page's and
# the completion's one statement. For a statement it has run before SQLAlchemy keeps the result's layout and looks
# only at whether there is a description; the columns are then never read. This cursor hands out a sequence that
# makes them the first time one is read, from the result they describe (docs/benchmarks.md, "by the engine's phase").
@cache
def _lean_cursor_class() -> type:
    from psycopg import Column, Cursor
    from psycopg.pq import ExecStatus

    rows = (ExecStatus.TUPLES_OK, ExecStatus.SINGLE_TUPLE, ExecStatus.TUPLES_CHUNK)

    class _Result:
        """What a Column reads of its cursor, kept for the result it was asked about."""

        __slots__ = ("pgresult", "_encoding", "adapters")

        def __init__(self, cursor: Any) -> None:
            self.pgresult, self._encoding, self.adapters = cursor.pgresult, cursor._encoding, cursor.adapters

    class Description(Sequence[Any]):
        __slots__ = ("_result", "_count", "_columns")

        def __init__(self, cursor: Any, count: int) -> None:
            self._result, self._count, self._columns = _Result(cursor), count, cast(list[Any] | None, None)

        def __len__(self) -> int:
            return self._count

        def __getitem__(self, index: Any) -> Any:
            if self._columns is None:
                self._columns = [Column(cast(Any, self._result), i) for i in range(self._count)]
            return self._columns[index]

    class LeanCursor(Cursor[Any]):
        @property
        def description(self) -> Any:
            res = self.pgresult
            if res and (res.nfields or res.status in rows):
                return Description(self, res.nfields)
            return None

    return LeanCursor


def mark_written(connection: Any) -> None:
    """Tell the engine that this transaction wrote through the driver itself (psycopg's COPY), past SQLAlchemy's
    events: it must roll back, not commit, if it is abandoned."""
    connection.info[_WROTE] = True


def _only_selects(connection: Any) -> bool:
    """Whether only SELECTs ran in the transaction now ending; the answer is given once (the next transaction's
    begin asks again)."""
    try:
        info = connection.info
    except NotImplementedError:  # the engine's first connection, before the pool hands it out, has no info
        return False
    clean = info.get(_WROTE, True) is False
    info[_WROTE] = True
    return clean


class SessionFactory(sessionmaker[Session]):
    """The session factory: ``factory()`` opens a session that reads, ``factory.begin()`` one that writes
    and commits at the end of its block, and ``factory.writing()`` one that writes and commits by hand.

    The difference matters on SQLite only: a writing session begins with ``BEGIN IMMEDIATE`` (it waits for the
    database's one write lock before it reads anything, so what it read cannot change before it writes), a
    reading session with a plain ``BEGIN`` (it never takes the lock). A reading session must not write: on
    SQLite its first write could fail at once with "database is locked" when another writer committed since
    it began. PostgreSQL begins both alike.
    """

    writer: Engine

    @contextmanager
    def begin(self) -> Iterator[Session]:
        with self.writing() as session, session.begin():
            yield session

    def writing(self) -> Session:
        return self(bind=self.writer)


def make_session_factory(engine: Engine, info: dict[str, Any] | None = None) -> SessionFactory:
    """Create the session factory; services write in ``with factory.begin() as session`` and read in
    ``with factory() as session`` (see SessionFactory).

    ``info`` is copied into every session's ``session.info`` (the engine puts its clock and time zone there,
    for rules that depend on today's date, such as acting officials).
    """
    factory = SessionFactory(bind=engine, expire_on_commit=False, info={**(info or {}), _CACHING: True})
    factory.writer = engine.execution_options(**{WRITES: True})
    event.listen(factory, "before_flush", _flushing)
    for name in ("after_commit", "after_rollback", "after_soft_rollback"):
        event.listen(factory, name, _forget_lookups)
    return factory


# --- lookups cached for one transaction -------------------------------------------------------------

_CACHING, _LOOKUPS = "smk_lookup_cache", "smk_lookups"
#: The tables the cached lookups read (the organisation): a change to one of them forgets every lookup.
ORG_TABLES = frozenset({"unit", "position", "user_account", "user_group", "group_member", "acting_assignment"})


def lookups(session: Session) -> dict[Any, Any] | None:
    """Return the session's cache of organisation lookups (a user's superiors, group names), or None when the
    session does not cache (one not made by ``make_session_factory``).

    The cache lives for one transaction: it is forgotten at commit and rollback, when the session flushes a
    change to an organisation table, and when such a change is pending in the session. A change made with a
    Core statement (no ORM object) is not seen: such writers must call ``forget_lookups``.
    """
    if not session.info.get(_CACHING):
        return None
    found = session.info.get(_LOOKUPS)
    if found is None:
        found = session.info[_LOOKUPS] = {}
    elif found and _org_pending(session):
        found.clear()
    return found


def forget_lookups(session: Session) -> None:
    session.info.pop(_LOOKUPS, None)


def _org_pending(session: Session) -> bool:
    return any(getattr(obj, "__tablename__", None) in ORG_TABLES
               for objects in (session.new, session.dirty, session.deleted) for obj in objects)


def _flushing(session: Session, *_: Any) -> None:
    if session.info.get(_LOOKUPS) and _org_pending(session):
        forget_lookups(session)


def _forget_lookups(session: Session, *_: Any) -> None:
    forget_lookups(session)


_Selected = TypeVar("_Selected", bound=Select[Any])


def unclaimed(session: Session, query: _Selected) -> _Selected:
    """``query`` taking the rows it reads for this transaction and passing over those another transaction holds:
    ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers claim different rows at once; unchanged on SQLite,
    where the write lock (BEGIN IMMEDIATE) already lets one writer at a time claim. The worker's jobs claim their
    unit of work with it (due timers, kept messages, deferred starts, e-mail)."""
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query
