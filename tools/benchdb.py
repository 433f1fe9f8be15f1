"""A fresh database for a benchmark: a new PostgreSQL database beside the one a URL names, or a SQLite file."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def fresh_database(url: str | None, prefix: str) -> tuple[str, Callable[[], None]]:
    """A URL to a new, empty database and a function that drops it: on the PostgreSQL server of ``url`` (a new
    database beside the named one), else a SQLite file in a new temporary folder (removed by the function)."""
    if url and url.startswith("postgresql"):
        name = f"{prefix}_{int(time.time())}"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))

        def drop() -> None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        return make_url(url).set(database=name).render_as_string(hide_password=False), drop
    folder = tempfile.mkdtemp(prefix=f"{prefix}-")
    return f"sqlite:///{Path(folder) / 'smk.sqlite'}", lambda: shutil.rmtree(folder, ignore_errors=True)
