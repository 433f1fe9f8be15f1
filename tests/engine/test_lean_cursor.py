"""On PostgreSQL a result's column descriptions are made only when something reads them (engine.db.base): psycopg
built a Column object per column for SQLAlchemy after every statement, though SQLAlchemy reads them only the
first time it runs a statement. What SQLAlchemy and a direct DBAPI caller see is unchanged."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text

from engine.core import Engine
from engine.db.org import User


@pytest.fixture
def pg(eng: Engine, db_backend: str) -> Engine:
    if db_backend != "postgresql":
        pytest.skip("the lean cursor is psycopg's (PostgreSQL)")
    return eng


@pytest.fixture
def columns_made(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    from psycopg import Column

    made: list[int] = []
    original = Column.__init__

    def counting(self: Any, cursor: Any, index: int) -> None:
        made.append(index)
        original(self, cursor, index)

    monkeypatch.setattr(Column, "__init__", counting)
    return made


def test_a_statement_run_again_makes_no_column_descriptions(pg: Engine, columns_made: list[int]) -> None:
    with pg.session_factory.begin() as s:
        s.add(User(username="ani", full_name="Ani Lestari"))
    statement = select(User).where(User.username == "ani")
    with pg.session_factory() as s:
        assert s.scalars(statement).one().full_name == "Ani Lestari"
    first = len(columns_made)
    assert first >= len(User.__table__.columns)  # the first run: SQLAlchemy reads every column's description
    for _ in range(3):
        with pg.session_factory() as s:
            assert s.scalars(statement).one().full_name == "Ani Lestari"
    assert len(columns_made) == first  # its layout is kept: none made again


def test_the_driver_still_describes_every_result(pg: Engine) -> None:
    with pg.db.connect() as conn:
        result = conn.execute(text("SELECT 1 AS one, 'x'::text AS letter, now() AS at"))
        assert list(result.keys()) == ["one", "letter", "at"]
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.execute("SELECT 1 AS one, 'x'::text AS letter")
        description = cursor.description
        cursor.execute("SELECT 2 AS other")  # a column read later still describes the result it was asked about
        assert len(description) == 2 and bool(description)
        assert [column.name for column in description] == ["one", "letter"]
        assert description[1].type_code == 25  # text
        assert [column.name for column in cursor.description] == ["other"]
        cursor.execute("SET search_path TO public")  # no rows: no description at all
        assert cursor.description is None
        cursor.execute("SELECT")  # rows without columns: an empty description, as psycopg gives it
        assert cursor.description is not None and len(cursor.description) == 0
