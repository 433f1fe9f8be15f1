"""The migrations are one line of history and build exactly the schema the models describe.

Only these tests run the migrations on an empty database (``empty_db_url``): every other test gets a database
migrated once per session, copied or put back for each test (tests/conftest.py), which the last test here
checks against a freshly migrated one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

import engine.db.runtime  # noqa: F401  (registers every table)
from engine.core import Engine
from engine.db.base import Base
from engine.db.migrate import alembic_config
from engine.runtime.clock import FixedClock


def test_one_head() -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"several migration heads {heads}: chain the new migration after the last one"


@pytest.fixture
def migrated(empty_db_url: str) -> Iterator[Engine]:
    """An Engine on an empty database that the real migrations bring to head."""
    e = Engine(empty_db_url, clock=FixedClock())
    e.create_schema()
    yield e
    e.dispose()


def test_migrated_schema_matches_the_models(migrated: Engine) -> None:
    import engine.db.notify  # noqa: F401
    import engine.services.documents  # noqa: F401

    with migrated.db.connect() as conn:
        # SQLite's full-text index of the audit trail (migration 0013: an FTS5 virtual table and the shadow tables
        # it keeps its index in) is made by SQL the models cannot describe; it has tests of its own
        # (tests/engine/test_audit_text_index.py).
        virtual = set(conn.scalars(text("SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%'"))
                      if conn.dialect.name == "sqlite" else [])

        def declared(name: str | None, type_: str, _parent: object) -> bool:
            return not (type_ == "table" and any(name == v or (name or "").startswith(f"{v}_") for v in virtual))

        diff = compare_metadata(MigrationContext.configure(conn, opts={"include_name": declared}), Base.metadata)
    # Type-only differences (JSON vs its JSONB variant, the UTC wrapper) are not schema drift.
    drift = [d for d in diff if not (isinstance(d, list) and d and d[0][0] == "modify_type")]
    assert drift == []


def _contents(e: Engine) -> dict[str, Any]:
    """Every table's rows, the Alembic revision and (PostgreSQL) where every sequence stands."""
    with e.db.connect() as conn:
        found: dict[str, Any] = {name: sorted(map(repr, conn.execute(text(f'SELECT * FROM "{name}"')).all()))
                                 for name in inspect(conn).get_table_names()}
        found["revision"] = MigrationContext.configure(conn).get_current_revision()
        if conn.dialect.name == "postgresql":
            found["sequences"] = sorted(conn.execute(text(
                "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = current_schema()")).all())
    return found


def test_each_tests_database_is_as_freshly_migrated_and_create_schema_on_it_changes_nothing(
        eng: Engine, migrated: Engine) -> None:
    """The database a test gets (a copy of the session's migrated SQLite file, or the session's PostgreSQL
    schema put back after the previous test) holds what the migrations leave, at head; upgrading is a no-op."""
    expected = _contents(migrated)
    assert expected["revision"] == ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert _contents(eng) == expected
    eng.create_schema()
    assert _contents(eng) == expected
