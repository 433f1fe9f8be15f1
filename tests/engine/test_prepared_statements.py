"""A reading transaction that ran only SELECTs ends in COMMIT on PostgreSQL (engine.db.base, issue 15): psycopg
forgets every prepared statement of a connection at ROLLBACK, so reads ending in ROLLBACK had the server plan
most statements anew. A reading session that wrote anyway still loses what it wrote, as before."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from engine.core import Engine
from engine.db.org import Unit, User
from tools.benchdb import bulk_insert


def _prepared(eng: Engine) -> int:
    """Statements the server keeps prepared for this pool's connection that read users by username."""
    with eng.session_factory() as s:
        return int(s.scalar(text("SELECT count(*) FROM pg_prepared_statements "
                                 "WHERE statement LIKE 'SELECT user_account.id %'")) or 0)


def test_reads_keep_the_connections_prepared_statements(eng: Engine, db_backend: str) -> None:
    if db_backend != "postgresql":
        pytest.skip("prepared statements are psycopg's (PostgreSQL)")
    eng.db.dispose()
    for _ in range(8):  # psycopg prepares a statement on its fifth run on the connection
        with eng.session_factory() as s:  # a reading session: closed, never committed by the caller
            s.execute(select(User.id).where(User.username == "nobody")).all()
    # One connection served all eight (the pool hands back the one it has); ending each in ROLLBACK had reset
    # psycopg's count every time, and nothing would be prepared.
    assert _prepared(eng) == 1


def test_a_reading_session_that_wrote_keeps_nothing(eng: Engine) -> None:
    with eng.session_factory.begin() as s:
        s.add(User(username="ani", full_name="Ani"))
    with eng.session_factory() as s:  # a Core UPDATE, never committed
        s.execute(update(User).where(User.username == "ani").values(full_name="Changed"))
    with eng.session_factory() as s:  # an ORM change, flushed by the query after it, never committed
        s.scalars(select(User).where(User.username == "ani")).one().full_name = "Changed too"
        s.execute(select(User.id)).all()
    with eng.session_factory() as s:
        assert s.scalar(select(User.full_name).where(User.username == "ani")) == "Ani"


def test_a_read_that_failed_ends_and_the_next_one_works(eng: Engine) -> None:
    with pytest.raises(DBAPIError), eng.session_factory() as s:
        s.execute(text("SELECT * FROM no_such_table")).all()
    with eng.session_factory() as s:
        assert s.scalar(select(User.id).where(User.username == "nobody")) is None


def test_rows_copied_past_sqlalchemy_in_an_abandoned_transaction_are_not_kept(eng: Engine, db_backend: str) -> None:
    """psycopg's COPY (tools/benchdb.bulk_insert) writes without a statement SQLAlchemy sees: the transaction is
    marked as written (``mark_written``), so abandoning it rolls back even after reads."""
    if db_backend != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    with eng.db.connect() as conn:
        conn.execute(select(User.id)).all()
        assert bulk_insert(conn, Unit, ["code", "name", "active"], [("COPIED", "Copied", True)]) == 1
        assert conn.scalar(select(Unit.id).where(Unit.code == "COPIED")) is not None
    with eng.session_factory() as s:
        assert s.scalar(select(Unit.id).where(Unit.code == "COPIED")) is None
