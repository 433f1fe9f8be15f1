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
from engine.services import instances


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



def test_instance_states_are_stored_as_json_text_compressed_with_lz4_on_postgresql(
        demo_deployed: Engine, org: dict[str, int]) -> None:
    """Migration 0020: PostgreSQL keeps a workflow state as the JSON text the engine wrote (not parsed into JSONB on
    every write and printed again on every read), compressed with LZ4 when the server has it; path reads still
    work and the instance runs on."""
    eng = demo_deployed
    if eng.db.dialect.name != "postgresql":
        pytest.skip("SQLite stores JSON as text already; column types and compression are PostgreSQL's")
    started = instances.start_instance(eng, "demo_penilaian", org["admin"], org["budi"], "2024")
    with eng.db.connect() as conn:
        kind, compression, lz4 = conn.execute(text(
            "SELECT format_type(atttypid, atttypmod), attcompression,"
            " EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals))"
            " FROM pg_attribute WHERE attrelid = 'instance'::regclass AND attname = 'state'")).one()
        stored, root, method = conn.execute(text(
            "SELECT state::text, state #>> '{root}', pg_column_compression(state) FROM instance WHERE id = :id"),
            {"id": started.id}).one()
    assert kind == "json"
    assert compression == ("l" if lz4 else "")
    assert len(stored) > 2_000 and method == ("lz4" if lz4 else "pglz")  # large enough to be compressed
    # The text as the engine's serializer wrote it: JSONB would have re-printed it with its keys sorted by length.
    assert stored.index('"correlations"') < stored.index('"last_task"') and root
    after = instances.complete_task(eng, org["budi"], started.ready_task_ids[0], {
        "ringkasan": "Laporan", "tanggal": "2024-01-31", "hasil_kerja": "Sesuai Ekspektasi",
        "kegiatan": [{"nama": "Rapat", "target": 4, "realisasi": 4}]})
    assert after.ready_task_ids and after.status == "running"
