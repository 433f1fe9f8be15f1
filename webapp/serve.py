"""Production mode: ``smk serve`` runs the web app under gunicorn, optionally with a supervised ``smk worker``.

Every gunicorn worker builds its own app with ``webapp:create_app()`` (its own database pool and sandbox
processes; nothing is preloaded and forked). What the workers must share is checked here, before any starts:

- the session key: ``SECRET_KEY`` from the environment, else ``instance/secret_key`` is created now, once, so
  that every worker signs sessions and CSRF tokens with the same key (sessions are signed cookies: any
  worker accepts the cookie another set);
- the database schema: the workers refuse to guess, so an unmigrated database is refused with "run smk init";
- SQLite: it lets one process write at a time and every request waits for that lock, so more than one worker
  on SQLite is refused unless asked for (``--allow-sqlite-workers``); PostgreSQL is the production database.

Settings come from the environment (``SMK_WEB_BIND``, ``SMK_WEB_WORKERS``, ``SMK_WEB_THREADS``,
``SMK_WEB_TIMEOUT``, ``SMK_WEB_KEEPALIVE``); gunicorn's own ``GUNICORN_CMD_ARGS`` adds any other gunicorn setting (access log …).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from engine.db.migrate import alembic_config
from webapp.config import load_config

APP = "webapp:create_app()"


class ServeRefused(Exception):
    """A setting or the database makes serving unsafe; the message says what to do."""


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) <= 0:
        raise ServeRefused(f"{name} must be a positive whole number, not {raw!r}")
    return int(raw)


@dataclass(frozen=True)
class ServeSettings:
    bind: str = "127.0.0.1:8000"
    workers: int = 2
    threads: int = 4
    timeout: int = 60
    keepalive: int = 5  # seconds an idle connection stays open (see gunicorn_argv)

    @classmethod
    def from_env(cls, **given: Any) -> ServeSettings:
        """Command-line values (not None) first, then ``SMK_WEB_*`` from the environment, then the defaults."""
        values = {k: v for k, v in given.items() if v is not None}
        if "bind" not in values:
            values["bind"] = os.environ.get("SMK_WEB_BIND", "").strip() or cls.bind
        for name, default in (("workers", cls.workers), ("threads", cls.threads), ("timeout", cls.timeout),
                              ("keepalive", cls.keepalive)):
            if name not in values:
                values[name] = _env_int(f"SMK_WEB_{name.upper()}", default)
        for name in ("workers", "threads", "timeout", "keepalive"):
            if int(values[name]) <= 0:
                raise ServeRefused(f"--{name} must be a positive whole number, not {values[name]}")
        return cls(**values)


def gunicorn_argv(settings: ServeSettings) -> list[str]:
    """The gunicorn command line: the app factory, one process per worker, threads when more than one."""
    argv = [sys.executable, "-m", "gunicorn", "--bind", settings.bind, "--workers", str(settings.workers),
            "--timeout", str(settings.timeout), "--graceful-timeout", "30",
            # An idle connection is closed after SMK_WEB_KEEPALIVE seconds, 5 by default (gunicorn's own 2 s is
            # shorter than a person's pause between two pages: a request sent as the server closes the connection
            # is reset, and browsers resend only idempotent ones). Behind a proxy that keeps connections to gunicorn
            # open, it must exceed the proxy's own idle timeout (docs/operations.md).
            "--keep-alive", str(settings.keepalive),
            # gunicorn's control socket has one fixed path per user: a second server would take the first's
            "--no-control-socket"]
    if settings.threads > 1:
        argv += ["--worker-class", "gthread", "--threads", str(settings.threads)]
    return [*argv, APP]


def worker_argv() -> list[str]:
    """``smk worker`` as a child process (its interval from SMK_WORKER_INTERVAL)."""
    return [sys.executable, "-c", "from webapp.cli import main; main()", "worker"]


def schema_revisions(url: str) -> tuple[str | None, str]:
    """The database's Alembic revision (None when it has no schema yet) and the code's head revision."""
    db = create_engine(url)
    try:
        with db.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    finally:
        db.dispose()
    return current, ScriptDirectory.from_config(alembic_config()).get_current_head() or ""


def check(settings: ServeSettings, allow_sqlite_workers: bool) -> tuple[dict[str, Any], list[str]]:
    """Refuse what would break with several processes; return the configuration and notes to print."""
    config = load_config()  # creates instance/secret_key now, before any worker could race to create it
    url = config["DATABASE_URL"]
    notes = []
    if url.startswith("sqlite"):
        if settings.workers > 1 and not allow_sqlite_workers:
            raise ServeRefused(
                f"{settings.workers} workers on SQLite: SQLite lets one process write at a time, so the workers "
                "would mostly wait for each other. Set DATABASE_URL to PostgreSQL (docs/operations.md), use "
                "--workers 1, or pass --allow-sqlite-workers to run them anyway.")
        notes.append("SQLite: fine for one office; use PostgreSQL for an agency (docs/operations.md)")
    try:
        current, head = schema_revisions(url)
    except Exception as exc:  # an unreachable database: say which and why, not a traceback
        raise ServeRefused(f"the database does not answer ({type(exc).__name__}: {exc}); check DATABASE_URL") from exc
    if current != head:
        raise ServeRefused(f"the database schema is at {current or 'nothing'}, this version needs {head}: "
                           "run `smk init` first (it creates or upgrades the schema)")
    notes.append("session key: " + ("SECRET_KEY from the environment" if os.environ.get("SECRET_KEY") else
                                    f"{config['INSTANCE_PATH']}/secret_key (set SECRET_KEY when several hosts serve)"))
    return config, notes


def supervise(commands: list[list[str]], grace: float = 30.0) -> int:
    """Run the commands as children until one ends or this process is told to stop; then stop the others
    (SIGTERM, SIGKILL after ``grace`` seconds) and return the first one's exit status, so a service manager
    restarts the whole."""
    children = [subprocess.Popen(command) for command in commands]
    stopping = {"signal": 0}

    def stop(signum: int, _frame: Any) -> None:
        stopping["signal"] = signum

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        while not stopping["signal"]:
            ended = [c for c in children if c.poll() is not None]
            if ended:
                break
            time.sleep(0.2)
        first = next((c for c in children if c.returncode is not None), None)
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for child in children:
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if first is None:
            return 0  # stopped on request
        return first.returncode if first.returncode > 0 else 1  # a child that ends on its own is a fault
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def serve(settings: ServeSettings, with_worker: bool) -> int:
    """Start gunicorn (replacing this process), or gunicorn and ``smk worker`` under ``supervise``."""
    if not with_worker:
        argv = gunicorn_argv(settings)
        sys.stdout.flush()
        os.execv(argv[0], argv)
    return supervise([gunicorn_argv(settings), worker_argv()])
