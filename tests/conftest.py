"""Fixtures shared by every test: a clean database per test (SQLite, and PostgreSQL when configured),
migrated once per session and copied or put back for each test (see db_url). The demo organisation (``org``), the
demo deployment (``demo_deployed``) and every built-in bundle deployed (``smk``) are also built once per session and
copied in (see DemoStates)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, create_engine, make_url, select, text
from sqlalchemy import Engine as DbEngine
from sqlalchemy.pool import QueuePool

import engine.services.org
from engine.core import Engine
from engine.db.deploy import Deployment
from engine.db.org import User
from engine.deploy.bundles import ParsedBundle
from engine.runtime.clock import FixedClock
from engine.services.deployments import deploy_builtin, read_folder
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
    built afresh before the error is reported. The states of DemoStates (the demo organisation, the demo
    deployment) are kept the same way, one schema each, and put back in a test the same way (``restore``). Every
    schema is dropped at the end of the session.
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
        migrate = Engine(self.url, clock=FixedClock())
        migrate.create_schema()
        migrate.dispose()
        self.reset_sql = self._capture(self.seed)
        self.states: dict[str, str] = {}  # a state of DemoStates -> the SQL that puts the schema in it
        self.demo: DemoStates | None = None  # built by db_url while the schema is as migrated

    def _capture(self, store: str) -> str:
        """Copy the schema's rows into the new schema ``store``; return the SQL that puts them back (and sets every
        sequence where it is now) after deleting every row."""
        schema, kept = f'"{self.name}"', f'"{store}"'
        restore = ["SET LOCAL session_replication_role = replica;"]
        with self.admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {kept}"))
            tables = conn.scalars(text("SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = :s "
                                       "AND tablename <> 'alembic_version' ORDER BY tablename"),
                                  {"s": self.name}).all()
            for table in tables:
                restore.append(f"DELETE FROM {schema}.{table};")
                if conn.scalar(text(f"SELECT EXISTS (SELECT FROM {schema}.{table})")):
                    conn.execute(text(f"CREATE TABLE {kept}.{table} AS TABLE {schema}.{table}"))
                    restore.append(f"INSERT INTO {schema}.{table} TABLE {kept}.{table};")
            sequences = conn.execute(text("SELECT quote_ident(sequencename), start_value, last_value "
                                          "FROM pg_sequences WHERE schemaname = :s"), {"s": self.name}).all()
        # setval, not ALTER SEQUENCE ... RESTART, which gives the sequence a new file as TRUNCATE does.
        for sequence, start, last in sequences:
            value, called = (start, "false") if last is None else (last, "true")
            restore.append(f"SELECT setval('{schema}.{sequence}', {value}, {called});")
        return "\n".join(restore)

    def capture_state(self, state: str) -> None:
        """Keep the schema's rows as they are now as ``state`` (schema ``<name>_<state>``); see ``restore``."""
        self.states[state] = self._capture(f"{self.name}_{state}")

    def restore(self, state: str) -> None:
        """Put the schema in a state kept by ``capture_state`` (a test's connections to it are ended first)."""
        with self.admin.begin() as conn:
            self._end_connections(conn)
            conn.exec_driver_sql(self.states[state])

    def _end_connections(self, conn: Connection) -> None:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE application_name = :a AND pid <> pg_backend_pid()"), {"a": self.name})

    def _drop(self) -> None:
        with self.admin.begin() as conn:
            self._end_connections(conn)
            kept = "".join(f', "{self.name}_{state}"' for state in self.states)
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.name}", "{self.seed}"{kept} CASCADE'))
        self.states, self.demo = {}, None

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
    if "org" in request.fixturenames and schema.demo is None:
        schema.demo = DemoStates(schema.url, request.getfixturevalue("tmp_path_factory").getbasetemp(), schema)
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


#: When a FixedClock starts; the states ``org`` and ``deployed`` of DemoStates are built at this time.
START = FixedClock().now()
#: The clock of the ``smk`` fixture, and of its state in DemoStates: 2 January 2023, when period 2023 opens.
SMK_START = datetime(2023, 1, 2, 1, 0, tzinfo=UTC)


def row_counts(db: DbEngine) -> tuple[tuple[str, int], ...]:
    """Every table of the database with its number of rows (the fingerprint of a state of DemoStates)."""
    with db.connect() as conn:
        if conn.dialect.name == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        else:
            query = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        tables = conn.scalars(text(query)).all()
        counts = conn.execute(text("SELECT " + ", ".join(f'(SELECT count(*) FROM "{t}")' for t in tables))).one()
    return tuple(zip(tables, counts, strict=True))


def _load_org(e: Engine) -> None:
    from processes.demo import load_demo

    load_demo(e)


def _deploy_demo(e: Engine) -> None:
    from engine.services.deployments import deploy

    with e.session_factory() as s:
        owner = s.scalar(select(User.id).where(User.username == "pemilik"))
    deploy(e, read_folder(BPMN / "demo"), owner, name="demo")


def _deploy_builtin(e: Engine) -> None:
    deploy_builtin(e, BPMN)


class DemoStates:
    """The database states ``org``, ``demo_deployed`` and ``smk`` build, built once per session (per xdist worker
    and database) and put into a test's database instead of being built again: in test_permissions on PostgreSQL
    ``org`` and ``demo_deployed`` took 76 + 41 ms a test building, 23 + 17 ms putting the states in.

    ``migrated`` is the database as migrated (what db_url gives); ``org`` adds the demo organisation (load_demo);
    ``deployed`` adds to ``org`` the demo bundle, deployed by ``pemilik`` (deploy, with its scenario check);
    ``smk`` adds to ``org`` every built-in bundle of bpmn/ (deploy_builtin: rules, demo, smk, by "system"). Each is
    built by the fixtures' own code on a new Engine with the fixtures' extensions and a FixedClock at the state's
    time (STEPS), from the state before it. On SQLite a state is a folded SQLite file copied over the test's file;
    on PostgreSQL it is a schema of rows put back as PgTestSchema puts the migrated rows back (ids, sequences and
    the audit chain as built). The bundles the build put in its Engine's spec cache (deploying parses and caches
    each bundle) are kept and put in the test's Engine's cache too: parsed once per session and shared by the
    tests of a worker, as one Engine shares a parsed bundle between all its instances, requests and threads
    (deployments never change once written; engine.runtime.decisions shares its DMN engines process-wide too).

    ``advance`` puts a test's database from one state into the next only when that gives what building would
    give: the clock is a FixedClock at the state's time, no connection of the Engine is in use, and every table has
    as many rows as in the state before (nothing else was written first); otherwise the fixture builds as before.
    """

    #: state -> (the state it is built from, how, the clock's time while building)
    STEPS: dict[str, tuple[str, Callable[[Engine], None], datetime]] = {
        "org": ("migrated", _load_org, START),
        "deployed": ("org", _deploy_demo, START),
        "smk": ("org", _deploy_builtin, SMK_START),
    }

    def __init__(self, migrated_url: str, folder: Path, pg: PgTestSchema | None) -> None:
        self.pg = pg
        self.counts: dict[str, tuple[tuple[str, int], ...]] = {}
        self.files: dict[str, Path] = {}
        self.bundles: dict[str, list[ParsedBundle]] = {}
        if pg is not None:  # build in the session's schema, as migrated now, and put it back as migrated after
            try:
                for state, (before, build, at) in self.STEPS.items():
                    if before != "migrated":
                        pg.restore(before)
                    self._build(pg.url, state, build, at)
                    pg.capture_state(state)
            finally:
                pg.reset()
            return
        self.files["migrated"] = Path(make_url(migrated_url).database or "")
        for state, (before, build, at) in self.STEPS.items():
            path = folder / f"{state}.sqlite"
            shutil.copyfile(self.files[before], path)
            self._build(f"sqlite:///{path}", state, build, at)
            with closing(sqlite3.connect(path)) as conn:  # fold the write-ahead log into the file
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                conn.execute("PRAGMA journal_mode=DELETE")
            self.files[state] = path

    def _build(self, url: str, state: str, build: Callable[[Engine], None], at: datetime) -> None:
        e = Engine(url, extensions=extensions(), clock=FixedClock(at))
        try:
            counts, before = row_counts(e.db), self.STEPS[state][0]
            assert self.counts.setdefault(before, counts) == counts, f"{state} is not built from {before}"
            build(e)
            with e.session_factory() as s:  # the parsed bundles the build cached, in the order it deployed them
                deployments = s.scalars(select(Deployment.id).order_by(Deployment.id)).all()
                self.bundles[state] = [e.specs.get(s, deployment) for deployment in deployments]
            self.counts[state] = row_counts(e.db)
        finally:
            e.dispose()

    def advance(self, e: Engine, state: str) -> bool:
        """Put ``e``'s database into ``state`` if it is in the state before it (see the class); True if done."""
        before, _, at = self.STEPS[state]
        pool = e.db.pool
        if not (isinstance(e.clock, FixedClock) and e.clock.now() == at and isinstance(pool, QueuePool)) \
                or pool.checkedout():
            return False
        if row_counts(e.db) != self.counts[before]:
            return False
        e.dispose()
        if self.pg is not None:
            self.pg.restore(state)
        else:
            path = Path(make_url(e.database_url).database or "")
            if Path(f"{path}-wal").exists():  # another Engine holds the file open: it would not see the copy
                return False
            Path(f"{path}-shm").unlink(missing_ok=True)
            shutil.copyfile(self.files[state], path)
        for bundle in self.bundles[state]:  # as deploying puts each bundle it stored in the cache
            e.specs.put(bundle)
        return True


@pytest.fixture(scope="session")
def sqlite_demo_states(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> DemoStates:
    return DemoStates(f"sqlite:///{sqlite_template}", tmp_path_factory.mktemp("demo-states"), None)


def demo_states(db_backend: str, request: pytest.FixtureRequest) -> DemoStates | None:
    """The session's DemoStates of the test's database; None on PostgreSQL when db_url did not build them (the
    test asked for ``org`` only while it ran)."""
    if db_backend == "sqlite":
        return request.getfixturevalue("sqlite_demo_states")
    schema: PgTestSchema = request.getfixturevalue("pg_test_schema")
    return schema.demo


@pytest.fixture
def org(eng: Engine, db_backend: str, request: pytest.FixtureRequest) -> dict[str, int]:
    """Load the demo organisation (copied from the session's DemoStates when that equals loading it); return
    username -> user id."""
    states = demo_states(db_backend, request)
    if states is None or not states.advance(eng, "org"):
        _load_org(eng)
    with eng.session_factory() as s:
        return {u.username: u.id for u in s.scalars(select(User))}


@pytest.fixture
def demo_deployed(eng: Engine, org: dict[str, int], db_backend: str, request: pytest.FixtureRequest) -> Engine:
    """Deploy the demo bundle as ``pemilik`` (copied from the session's DemoStates when that equals deploying it,
    with the parsed bundle put in the engine's spec cache, as deploying does)."""
    states = demo_states(db_backend, request)
    if states is None or not states.advance(eng, "deployed"):
        _deploy_demo(eng)
    return eng


@pytest.fixture
def smk(eng: Engine, org: dict[str, int], clock: FixedClock, db_backend: str, request: pytest.FixtureRequest
        ) -> Engine:
    """The engine with every built-in bundle deployed (rules, demo, smk) and the clock at 2 January 2023 (copied
    from the session's DemoStates when that equals deploying them, with the parsed bundles put in the engine's spec
    cache, as deploying does)."""
    clock.set(SMK_START)
    states = demo_states(db_backend, request)
    if states is None or not states.advance(eng, "smk"):
        _deploy_builtin(eng)
    return eng
