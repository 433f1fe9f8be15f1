"""A pooled PostgreSQL connection is tested (``SELECT 1``) before use only after it sat idle (engine.db.base,
``PING_AFTER_IDLE``): SQLAlchemy's ``pool_pre_ping`` tested every one, a round trip at the start of every
transaction. One that sat idle and was dropped by the server is replaced before anyone uses it, as before."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from engine.db import base
from engine.db.base import make_engine

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                                reason="the pool's test of idle connections is PostgreSQL's (TEST_DATABASE_URL)")


@pytest.fixture
def db_url() -> str:
    return os.environ["TEST_DATABASE_URL"]


@pytest.fixture
def pg(db_url: str) -> Iterator[tuple[Any, list[int]]]:
    """A new engine on the test database (no tables needed), whose pings are counted."""
    engine = make_engine(db_url)
    pings: list[int] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_conn: Any) -> bool:
        pings.append(1)
        return ping(dbapi_conn)

    engine.dialect.do_ping = counted  # type: ignore[method-assign]
    yield engine, pings
    engine.dispose()


def _backend_pid(engine: Any) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text("SELECT pg_backend_pid()")))


def _drop(db_url: str, pid: int) -> None:
    admin = create_engine(db_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            assert conn.scalar(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
    finally:
        admin.dispose()


def test_a_connection_in_use_a_moment_ago_is_handed_out_untested(pg: tuple[Any, list[int]]) -> None:
    engine, pings = pg
    first = _backend_pid(engine)
    for _ in range(20):
        assert _backend_pid(engine) == first  # the pool's one connection, again and again
    assert pings == []


def test_an_idle_connection_is_tested_and_a_dropped_one_replaced(pg: tuple[Any, list[int]], db_url: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    engine, pings = pg
    first = _backend_pid(engine)
    monkeypatch.setattr(base, "PING_AFTER_IDLE", 0.0)  # every connection has now sat idle long enough
    assert _backend_pid(engine) == first and len(pings) == 1  # tested, alive, kept
    _drop(db_url, first)  # the server drops it while it sits in the pool (a restart, an idle timeout)
    assert _backend_pid(engine) != first  # tested, found dead, replaced before use: no error
    assert len(pings) == 2


def test_within_the_window_a_dropped_connection_fails_once(pg: tuple[Any, list[int]], db_url: str) -> None:
    """The price of not testing every connection (docs/operations.md): a connection dropped less than
    ``PING_AFTER_IDLE`` seconds after its last use fails the statement that meets it; the pool then discards its
    connections and the next transaction connects afresh."""
    engine, pings = pg
    first = _backend_pid(engine)
    _drop(db_url, first)
    with pytest.raises(OperationalError):
        _backend_pid(engine)
    assert _backend_pid(engine) != first
    assert pings == []
