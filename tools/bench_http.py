"""Benchmark completions over real HTTP: ``smk bench http``.

For each database (a fresh PostgreSQL database beside the one named by --url, and a SQLite file) the benchmark
loads a generated agency whose employees each have an open realisation task (``tools/rushdata.py``), starts
``smk serve`` (gunicorn, 2 workers, the default threads; on SQLite with --allow-sqlite-workers) and then, one
request at a time, logs every employee in, opens the inbox, opens the realisation task and submits it. Each
phase is timed per request (median, p95: from the first byte sent to the last received, on 127.0.0.1) and the
CPU of gunicorn's processes (workers and their sandbox processes, from /proc) is divided by the requests of
the phase, and the SQL statements of each request are counted inside the workers (the median per kind of
request; ``tools/gunicorn_statements.py``). On PostgreSQL the CPU of the database's server processes and the
transactions it committed (pg_stat_database's xact_commit, read once its statistics are flushed) are divided
likewise. The baseline in the same run is
``GET /health`` (gunicorn, Flask and one ``SELECT 1``).
"""

from __future__ import annotations

import os
import random
import secrets
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tools.benchdb import fresh_database
from tools.rushdata import PASSWORD, employee_logins, load_agency
from tools.serverproc import Server, cpu_seconds, stop_on_sigterm
from tools.webclient import WebClient, submit_fields, task_ids

WARM_UP = 10  # employees whose requests run before measuring: each worker's first requests start its sandbox


@dataclass
class Phase:
    label: str
    seconds: list[float] = field(default_factory=list)
    web_cpu: float = 0.0
    db_cpu: float | None = None
    transactions: float | None = None
    statements: float | None = None  # median per request, from tools/gunicorn_statements.py

    def line(self) -> str:
        n = len(self.seconds)
        ordered = sorted(self.seconds)
        p95 = ordered[min(n - 1, round(0.95 * (n - 1)))]
        db = "" if self.db_cpu is None else f"{self.db_cpu / n * 1000:8.1f} ms {self.transactions / n:6.1f}"  # type: ignore[operator]
        statements = "" if self.statements is None else f"{self.statements:8.0f}"
        return (f"  {self.label:<34} {n:5d} {statistics.median(ordered) * 1000:8.1f} ms {p95 * 1000:8.1f} ms "
                f"{self.web_cpu / n * 1000:8.1f} ms {statements} {db}")


class _Database:
    """CPU of a PostgreSQL database's server processes and its committed transactions (None on SQLite)."""

    def __init__(self, url: str) -> None:
        self.name = make_url(url).database if url.startswith("postgresql") else None
        self.admin = create_engine(make_url(url).set(database="postgres")) if self.name else None

    def sample(self) -> tuple[float, float] | None:
        if self.admin is None:
            return None
        time.sleep(11)  # idle server processes flush their statistics after 10 s (PostgreSQL 15)
        with self.admin.connect() as conn:
            pids = list(conn.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = :d"), {"d": self.name}))
            xacts = conn.scalar(text("SELECT xact_commit FROM pg_stat_database WHERE datname = :d"), {"d": self.name})
        return cpu_seconds(pids), float(xacts or 0)

    def dispose(self) -> None:
        if self.admin is not None:
            self.admin.dispose()


def _phases(server: Server, db: _Database, phases: list[tuple[Phase, Callable[[], None]]]) -> None:
    """Run each phase in turn; the CPU and transactions between two samples belong to the phase between."""
    db_sample, web = db.sample(), server.web_cpu()
    for phase, work in phases:
        work()
        now = server.web_cpu()
        phase.web_cpu, web = now - web, now
        after = db.sample()
        if db_sample and after:
            # Server processes that ended during the phase take their CPU with them: a lower bound, then.
            phase.db_cpu, phase.transactions = max(0.0, after[0] - db_sample[0]), after[1] - db_sample[1]
        db_sample = after


def run_http_bench(url: str | None, employees: int = 200, seed: int = 5) -> Iterator[str]:
    """Yield the figures for PostgreSQL (when ``url`` names a server) and SQLite."""
    stop_on_sigterm()
    for target in ([url] if url and url.startswith("postgresql") else []) + [None]:
        yield from _bench_one(target, employees, seed)


def _bench_one(url: str | None, employees: int, seed: int) -> Iterator[str]:
    target, drop = fresh_database(url, "smk_bench_http")
    folder = Path(tempfile.mkdtemp(prefix="smk-bench-http-"))
    name = "PostgreSQL" if url else "SQLite"
    yield f"{name}: loading {employees} employees, each with an open realisation task"
    server: Server | None = None
    db = _Database(target)
    try:
        yield from load_agency(target, employees, seed)
        logins = employee_logins(target)
        env = {**os.environ, "DATABASE_URL": target, "SMK_INSTANCE_PATH": str(folder / "instance"),
               "SECRET_KEY": secrets.token_hex(32), "SMK_WEB_ALLOW_SQLITE_WORKERS": "1",
               "SMK_BENCH_STATEMENTS": str(folder / "statements"), "GUNICORN_CMD_ARGS": "-c python:tools.gunicorn_statements"}
        (folder / "statements").mkdir()
        server = Server(env, folder / "serve.log", workers=2, threads=int(os.environ.get("SMK_WEB_THREADS", "4")))
        server.wait_ready()
        rnd = random.Random(seed)
        clients: list[tuple[WebClient, str]] = []
        pages: list[tuple[WebClient, str, str]] = []

        def log_in(users: list[str], phase: Phase | None = None) -> None:
            for username in users:
                client = WebClient(server.base)  # type: ignore[union-attr]
                answer = client.login(username, PASSWORD)
                if phase is not None:
                    phase.seconds.append(answer.seconds)
                clients.append((client, ""))

        def inbox(phase: Phase | None = None) -> None:
            for i, (client, _none) in enumerate(clients):
                page = client.get("/")
                if page.status != 200 or not task_ids(page.text):
                    raise RuntimeError(f"inbox HTTP {page.status} without the realisation task")
                if phase is not None:
                    phase.seconds.append(page.seconds)
                clients[i] = (client, task_ids(page.text)[0])

        def open_tasks(phase: Phase | None = None) -> None:
            for client, task_id in clients:
                page = client.get(f"/tasks/{task_id}")
                if page.status != 200:
                    raise RuntimeError(f"task page HTTP {page.status}")
                if phase is not None:
                    phase.seconds.append(page.seconds)
                pages.append((client, task_id, page.text))

        def submit(phase: Phase | None = None) -> None:
            for client, task_id, html in pages:
                done = client.post(f"/tasks/{task_id}", submit_fields(html, {"[realisasi]": str(rnd.choice(
                    [3, 9, 12, 40, 95, 100]))}))
                if done.status != 302 or done.location.startswith(("/login", f"/tasks/{task_id}")):
                    raise RuntimeError(f"completion HTTP {done.status} {done.location}")
                if phase is not None:
                    phase.seconds.append(done.seconds)

        log_in(logins[:WARM_UP])  # warm-up, not measured
        inbox()
        open_tasks()
        submit()
        clients.clear()
        pages.clear()
        probe = WebClient(server.base)
        measured = logins[WARM_UP:]
        health, login, inbox_page, task_page, completion = (
            Phase("baseline: GET /health"), Phase("log in (POST /login)"), Phase("inbox (GET /)"),
            Phase("task page (GET /tasks/<id>)"), Phase("completion (POST /tasks/<id>)"))
        _phases(server, db, [
            (health, lambda: health.seconds.extend(probe.get("/health").seconds for _ in measured)),
            (login, lambda: log_in(measured, login)),
            (inbox_page, lambda: inbox(inbox_page)),
            (task_page, lambda: open_tasks(task_page)),
            (completion, lambda: submit(completion))])
        counts = _statements(folder / "statements")
        for phase, kind in ((health, "GET /health"), (login, "POST /login"), (inbox_page, "GET /"),
                            (task_page, "GET /tasks/"), (completion, "POST /tasks/")):
            phase.statements = statistics.median(counts[kind]) if counts.get(kind) else None
        yield (f"  gunicorn 2 workers x {env.get('SMK_WEB_THREADS', '4')} threads, one request at a time, "
               f"{len(measured)} employees measured after {WARM_UP} to warm up")
        yield (f"  {'request':<34} {'n':>5} {'median':>11} {'p95':>11} {'web CPU/req':>11} {'SQL/req':>8}"
               + ("  db CPU/req commits/req" if url else ""))
        for phase in (health, login, inbox_page, task_page, completion):
            yield phase.line()
    finally:
        if server is not None:
            server.stop()
        db.dispose()
        drop()
        shutil.rmtree(folder, ignore_errors=True)


def _statements(folder: Path) -> dict[str, list[int]]:
    """The statements of every request the workers logged, by kind ("GET /tasks/" for any task page)."""
    counts: dict[str, list[int]] = {}
    for log in folder.glob("*.log"):
        for line in log.read_text().splitlines():
            method, path, count = line.split()
            kind = f"{method} /tasks/" if path.startswith("/tasks/") else f"{method} {path}"
            counts.setdefault(kind, []).append(int(count))
    return counts
