"""Run the Alembic migrations against an engine, without an alembic.ini on disk."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

HERE = Path(__file__).resolve().parent


def alembic_config(db: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE / "migrations"))
    if db is not None:
        config.set_main_option("sqlalchemy.url", db.url.render_as_string(hide_password=False).replace("%", "%%"))
        config.attributes["engine"] = db
    return config


def upgrade(db: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (creating it on an empty database)."""
    command.upgrade(alembic_config(db), revision)
