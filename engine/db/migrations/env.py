"""Alembic environment: uses the engine handed over in config.attributes (see engine/db/migrate.py)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import engine.db  # noqa: F401  (registers every table on Base.metadata)
from engine.db.base import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    db = config.attributes.get("engine") or create_engine(config.get_main_option("sqlalchemy.url") or "")
    with db.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
