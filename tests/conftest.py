"""Fixtures shared by every test: a clean database per test (SQLite, and PostgreSQL when configured),
migrated once per session and copied or put back for each test (see db_url)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import Connection, create_engine, make_url, select, text

import engine.services.org
from engine.core import Engine
from engine.db.org import User
from engine.runtime.clock import FixedClock
from engine.services.deployments import read_folder
from processes.extension import extensions

ROOT = Path(__file__).resolve().parent.parent
BPMN = ROOT / "bpmn"
engine.services.org.PASSWORD_METHOD = "pbkdf2:sha256:1000"

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session (per xdist worker); each test copies it."""
    path = tmp_path_factory.mktemp("migrated") / "template.sqlite"
    e = Engine(f"sqlite:///{path}", clock=FixedClock())
    e.create_schema()
    e.dispose()
    # Fold the write-ahead log into the file, so that the file alone is the whole database.
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
    return path


class PgTestSchema:
    """One PostgreSQL schema per session (per xdist worker), migrated once and put back after every test.

    The schema ``smk_test_<pid>_<random>`` lives in the TEST_DATABASE_URL database, so runs at the same time on
    one server never collide; the rows the migrations wrote (the audit chain's head) are kept in a second
    schema, ``<name>_seed``. After each test ``reset`` ends the connections the test left open (they carry the
    schema's name as application_name), deletes every row with triggers off (neither the append-only audit
    trigger nor the foreign keys get in the way), puts the seed rows back and sets every sequence where the
    migrations left it: the schema is as migrated again, in 10-30 ms. Measured alternatives per test: a
    database copied from a migrated template database and dropped after the test, 0.1-1 s (DROP DATABASE
    forces a checkpoint of the whole server); TRUNCATE, 0.35-0.65 s (a new file for every table and index);
    replaying the migrations' DDL, as slow as the migrations (0.6-0.9 s). If a reset fails, the schema is
    built afresh before the error is reported. Both schemas are dropped at the end of the session.
    """

    def __init__(self) -> None:
        self.name = f"smk_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.seed = f"{self.name}_seed"
        base = make_url(os.environ["TEST_DATABASE_URL"])
        self.url = base.update_query_dict({"options": f"-csearch_path={self.name}",
                                           "application_name": self.name}).render_as_string(hide_password=False)
        self.admin = create_engine(base, pool_size=1)
        self._build()

    def _build(self) -> None:
        with self.admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.name}"'))
            conn.execute(text(f'CREATE SCHEMA "{self.seed}"'))
        migrate = Engine(self.url, clock=FixedClock())
        migrate.create_schema()
        migrate.dispose()
        schema, seed = f'"{self.name}"', f'"{self.seed}"'
        reset = ["SET LOCAL session_replication_role = replica;"]
        with self.admin.begin() as conn:
            tables = conn.scalars(text("SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = :s "
                                       "AND tablename <> 'alembic_version' ORDER BY tablename"),
                                  {"s": self.name}).all()
            for table in tables:
                reset.append(f"DELETE FROM {schema}.{table};")
                if conn.scalar(text(f"SELECT EXISTS (SELECT FROM {schema}.{table})")):
                    conn.execute(text(f"CREATE TABLE {seed}.{table} AS TABLE {schema}.{table}"))
                    reset.append(f"INSERT INTO {schema}.{table} TABLE {seed}.{table};")
            sequences = conn.execute(text("SELECT quote_ident(sequencename), start_value, last_value "
                                          "FROM pg_sequences WHERE schemaname = :s"), {"s": self.name}).all()
        # setval, not ALTER SEQUENCE ... RESTART, which gives the sequence a new file as TRUNCATE does.
        for sequence, start, last in sequences:
            value, called = (start, "false") if last is None else (last, "true")
            reset.append(f"SELECT setval('{schema}.{sequence}', {value}, {called});")
        self.reset_sql = "\n".join(reset)

    def _end_connections(self, conn: Connection) -> None:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE application_name = :a AND pid <> pg_backend_pid()"), {"a": self.name})

    def _drop(self) -> None:
        with self.admin.begin() as conn:
            self._end_connections(conn)
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.name}", "{self.seed}" CASCADE'))

    def reset(self) -> None:
        """Put the schema back as migrated after a test (see the class docstring); rebuild it if that fails."""
        try:
            with self.admin.begin() as conn:
                self._end_connections(conn)
                conn.exec_driver_sql(self.reset_sql)
        except Exception:
            self._drop()
            self._build()
            raise

    def close(self) -> None:
        self._drop()
        self.admin.dispose()


@pytest.fixture(scope="session")
def pg_test_schema() -> Iterator[PgTestSchema]:
    schema = PgTestSchema()
    yield schema
    schema.close()


@pytest.fixture(params=BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    """Which database the test runs on ("sqlite" or "postgresql"); db_url and empty_db_url follow it."""
    return request.param


@pytest.fixture
def db_url(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Yield a URL to a migrated database holding only what the migrations wrote: a copy of the session's
    migrated SQLite file, or the session's migrated PostgreSQL schema, put back as migrated after the test.
    No migrations run per test."""
    if db_backend == "sqlite":
        path = tmp_path / "test.sqlite"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    schema: PgTestSchema = request.getfixturevalue("pg_test_schema")
    yield schema.url
    schema.reset()


@pytest.fixture
def empty_db_url(db_backend: str, tmp_path: Path) -> Iterator[str]:
    """Yield a URL to an empty database, with no tables at all, for tests that run the migrations themselves:
    a fresh SQLite file, or a fresh PostgreSQL schema."""
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    base = os.environ["TEST_DATABASE_URL"]
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def eng(db_url: str, clock: FixedClock) -> Iterator[Engine]:
    """An Engine on a migrated, empty database (already migrated: the fixture runs no migrations)."""
    e = Engine(db_url, extensions=extensions(), clock=clock)
    yield e
    e.dispose()


@pytest.fixture
def org(eng: Engine) -> dict[str, int]:
    """Load the demo organisation; return username -> user id."""
    from processes.demo import load_demo

    load_demo(eng)
    with eng.session_factory() as s:
        return {u.username: u.id for u in s.scalars(select(User))}


@pytest.fixture
def demo_deployed(eng: Engine, org: dict[str, int]) -> Engine:
    from engine.services.deployments import deploy

    deploy(eng, read_folder(BPMN / "demo"), org["pemilik"], name="demo")
    return eng
