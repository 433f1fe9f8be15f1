"""Alembic environment: uses the engine handed over in config.attributes (see engine/db/migrate.py)."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection, create_engine

import engine.db  # noqa: F401  (registers every table on Base.metadata)
from engine.db.base import Base

config = context.config
target_metadata = Base.metadata


def _driver(connection: Connection) -> Any:
    """The DB-API connection under SQLAlchemy's (sqlite3's, which runs a PRAGMA outside any transaction)."""
    driver = connection.connection.driver_connection
    assert driver is not None
    return driver


def _include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Leave SQLite's free-text index of the audit trail (migration 0013: the FTS5 table ``audit_event_text`` and
    the shadow tables SQLite keeps for it) out of autogenerate, which would otherwise propose dropping them."""
    return not (type_ == "table" and name is not None and name.startswith("audit_event_text"))


def run_migrations() -> None:
    db = config.attributes.get("engine") or create_engine(config.get_main_option("sqlalchemy.url") or "")
    with db.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode changes a table by copying it and dropping the original; with foreign keys enforced that
            # DROP would cascade to every row that refers to it (a rebuilt user_account would take group
            # memberships, notifications and links with it). The pragma only works outside a transaction, so it
            # goes on the driver's connection before SQLAlchemy begins one; the keys are checked before commit.
            _driver(connection).execute("PRAGMA foreign_keys=OFF")
        try:
            context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=sqlite,
                              include_name=_include_name)
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration left rows whose foreign keys point nowhere: {broken[:5]}")
            connection.commit()
        finally:
            if sqlite:
                _driver(connection).execute("PRAGMA foreign_keys=ON")


run_migrations()
