"""The migrations are one line of history and build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

import engine.db.runtime  # noqa: F401  (registers every table)
from engine.core import Engine
from engine.db.base import Base
from engine.db.migrate import alembic_config


def test_one_head() -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"several migration heads {heads}: chain the new migration after the last one"


def test_migrated_schema_matches_the_models(eng: Engine) -> None:
    import engine.db.notify  # noqa: F401
    import engine.services.documents  # noqa: F401

    with eng.db.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # Type-only differences (JSON vs its JSONB variant, the UTC wrapper) are not schema drift.
    drift = [d for d in diff if not (isinstance(d, list) and d and d[0][0] == "modify_type")]
    assert drift == []
