"""What the benchmarks share: a fresh database (a new PostgreSQL database beside the one a URL names, or a SQLite
file), fast bulk inserts, a generated organisation written in bulk, and the statements a block of code runs."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, event, insert, text
from sqlalchemy.engine import Engine as DbEngine
from sqlalchemy.engine import make_url

from engine.db.base import Base, mark_written
from engine.db.org import Position, Unit, User
from processes.orgimport import JABATAN, PEGAWAI, UNIT


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


def bulk_insert(conn: Connection, table: type[Base], columns: list[str], rows: Iterable[tuple[Any, ...]]) -> int:
    """Insert rows fast: PostgreSQL's COPY (psycopg), else one Core ``executemany`` per 10,000 rows."""
    count = 0
    if conn.dialect.name == "postgresql":
        raw: Any = conn.connection.driver_connection
        mark_written(conn)  # COPY goes past SQLAlchemy's events: abandoned, this transaction must roll back
        with raw.cursor() as cur, cur.copy(f"COPY {table.__tablename__} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(dict(zip(columns, row, strict=True)))
        if len(batch) == 10000:
            conn.execute(insert(table), batch)
            count, batch = count + len(batch), []
    if batch:
        conn.execute(insert(table), batch)
    return count + len(batch)


USER_COLUMNS = ["id", "username", "password_hash", "full_name", "nip", "position_id", "active", "locale",
                "session_epoch", "pangkat_golongan", "status", "email_notifications"]


def insert_generated_organisation(conn: Connection, rows: dict[str, Any]) -> tuple[dict[str, int], dict[str, int]]:
    """Write a generated organisation (``tools.orggen.generate``) in bulk: its units, positions and employees (ids
    from 1 in the generator's order, no password, no e-mail copies). Returns the unit and position id by code."""
    unit_id = {r[0]: i + 1 for i, r in enumerate(rows[UNIT])}
    position_id = {r[0]: i + 1 for i, r in enumerate(rows[JABATAN])}
    bulk_insert(conn, Unit, ["id", "code", "name", "parent_id", "active"],
                ((unit_id[c], c, n, unit_id.get(p), True) for c, n, p in rows[UNIT]))
    bulk_insert(conn, Position, ["id", "code", "title", "unit_id", "parent_id", "jenis", "jenjang", "active"],
                ((position_id[r[0]], r[0], r[1], unit_id[r[4]], position_id.get(r[5]), r[2], r[3], True)
                 for r in rows[JABATAN]))
    bulk_insert(conn, User, USER_COLUMNS, ((i + 1, r[0], "", r[1], r[0], position_id[r[2]], True, "id", 0, r[4], r[5],
                                            False) for i, r in enumerate(rows[PEGAWAI])))
    return unit_id, position_id


@contextmanager
def captured_statements(db: DbEngine) -> Iterator[list[tuple[str, Any]]]:
    """Every SQL statement ``db`` runs while the block runs, with its parameters, in order."""
    ran: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        ran.append((statement, parameters))

    event.listen(db, "before_cursor_execute", capture)
    try:
        yield ran
    finally:
        event.remove(db, "before_cursor_execute", capture)
