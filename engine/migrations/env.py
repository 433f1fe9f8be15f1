"""Alembic environment: uses the engine handed over in config.attributes (see engine/migrate.py)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import engine.documents  # noqa: F401  (uploads and drafts: tables defined outside models.py)
from engine import (
    models,  # noqa: F401  (registers the tables on Base.metadata)
    notification_models,  # noqa: F401  (notifications and the e-mail outbox)
)
from engine.db import Base

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
