"""Production mode, end to end: `smk init`, then `smk serve --workers 2 --with-worker` (gunicorn with two web
processes and one supervised `smk worker`) on a fresh PostgreSQL schema; a user logs in over real HTTP, completes
tasks, a timer fires in the worker process, and one session cookie is accepted by both web processes."""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, make_url, select, text

from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.org import User
from engine.db.runtime import Instance
from engine.runtime.clock import SystemClock
from engine.services import instances
from engine.services.deployments import deploy
from processes.demo import DEMO_PASSWORD, load_demo
from processes.extension import extensions
from tools.bpmn_builder import Process, document
from tools.serverproc import Server, smk
from tools.webclient import WebClient, csrf_token, submit_fields, task_ids

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"),
    reason="production mode is tested on PostgreSQL: set TEST_DATABASE_URL (CI sets it when 127.0.0.1:5432 answers)")

CASES = 4
ACCESS = re.compile(r"^<(\d+)> (GET|POST) (\S+) (\d{3})$")  # gunicorn writes the pid as <pid>


def timer_process() -> bytes:
    """Report, wait two seconds (a timer the worker fires), then follow up: both steps are the employee's."""
    p = Process("prod_check", "Production check", lanes=["Pegawai"])
    p.start("s", lane="Pegawai", col=0)
    p.user("lapor", "Kirim laporan", lane="Pegawai", col=1)
    p.catch("tunggu", "Dua detik", lane="Pegawai", col=2, timer=("timeDuration", '"PT2S"'))
    p.user("tindak", "Tindak lanjut", lane="Pegawai", col=3)
    p.end("e", lane="Pegawai", col=4)
    p.chain("s", "lapor", "tunggu", "tindak", "e")
    return document(p).encode()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL to a new, empty schema of the TEST_DATABASE_URL database; dropped (with its connections) after."""
    base = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"smk_prod_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield base.update_query_dict({"options": f"-csearch_path={name}", "application_name": name}) \
            .render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :a"),
                         {"a": name})
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()


def open_tasks(client: WebClient) -> list[str]:
    page = client.get("/")
    assert page.status == 200, f"the inbox answered {page.status} {page.location}"
    return task_ids(page.text)


def complete(client: WebClient, task_id: str) -> tuple[int, str]:
    """Open the task page and submit its form (the CSRF token and version from that page)."""
    page = client.get(f"/tasks/{task_id}")
    assert page.status == 200, f"task {task_id}: HTTP {page.status}"
    done = client.post(f"/tasks/{task_id}", submit_fields(page.text))
    return done.status, done.location


def test_gunicorn_two_workers_and_a_worker_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": pg_url, "SMK_INSTANCE_PATH": str(tmp_path / "instance"),
           "SMK_WORKER_INTERVAL": "0.5", "SMK_SANDBOX_WORKERS": "1",
           "GUNICORN_CMD_ARGS": f"--access-logfile {tmp_path / 'access.log'} --access-logformat '%(p)s %(m)s %(U)s %(s)s'"}
    env.pop("SECRET_KEY", None)  # the key generated into the instance folder must serve both workers
    assert "Database ready" in smk(["init"], env)

    engine = Engine(pg_url, extensions=extensions(), clock=SystemClock())
    try:
        load_demo(engine)
        deploy(engine, {"prod_check.bpmn": timer_process()}, None, name="production check")
        with engine.session_factory() as s:
            budi = s.scalar(select(User.id).where(User.username == "budi"))
        started = [instances.start_instance(engine, "prod_check", None, budi, "2026").id for _ in range(CASES)]

        server = Server(env, tmp_path / "serve.log", workers=2, threads=1, with_worker=True)
        try:
            server.wait_ready()
            both_workers_up(server.base, tmp_path / "access.log")
            client = WebClient(server.base)
            client.login("budi", DEMO_PASSWORD)
            first = open_tasks(client)
            assert len(first) >= CASES

            # The reports, submitted at once from four threads with one session: the two sync web processes
            # serve them side by side, each accepting the cookie and the CSRF token the other may have issued.
            with ThreadPoolExecutor(CASES) as pool:
                results = list(pool.map(lambda t: complete(client, t), first[:CASES]))
            assert all(status == 302 and not where.startswith("/login") for status, where in results), results

            # Two seconds later the worker process fires each instance's timer: the follow-ups appear.
            follow_ups = wait_for(lambda: [t for t in open_tasks(client) if t not in first], CASES)
            with ThreadPoolExecutor(CASES) as pool:
                results = list(pool.map(lambda t: complete(client, t), follow_ups))
            assert all(status == 302 and not where.startswith("/login") for status, where in results), results

            with ThreadPoolExecutor(4) as pool:  # the same cookie, many requests, both processes
                pages = list(pool.map(lambda _: client.get("/").status, range(16)))
            assert pages == [200] * 16
            assert client.post("/logout", [("csrf_token", csrf_token(client.get("/").text))]).status == 302
            assert client.get("/").location.startswith("/login")  # ended on the server, for every process
            _master, workers = server.gunicorn_pids()
            assert len(workers) == 2
        finally:
            server.stop()

        with engine.session_factory() as s:
            statuses = s.scalars(select(Instance.status).where(Instance.id.in_(started))).all()
            fired = s.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.kind == "timer.fired", AuditEvent.instance_id.in_(started)))
        assert statuses == ["completed"] * CASES
        assert fired == CASES  # each timer fired once, by the one worker
        served = [m.groups() for line in (tmp_path / "access.log").read_text().splitlines()
                  if (m := ACCESS.match(line))]
        signed_in = {pid for pid, method, path, status in served
                     if path == "/" and status == "200" or path.startswith("/tasks/") and method == "POST"
                     and status == "302"}
        assert len(served) > 2 * CASES, "the access log was not written as asked"
        assert len(signed_in) == 2, f"one session served by {signed_in} (expected both web processes)"
        assert "Worker started" in (tmp_path / "serve.log").read_text()
    finally:
        engine.dispose()


def wait_for(found, count: int, timeout: float = 30.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items = found()
        if len(items) >= count:
            return items
        time.sleep(0.3)
    raise AssertionError(f"after {timeout:g} s only {len(found())} of {count} follow-up tasks (did the timer fire?)")


def both_workers_up(base: str, access_log: Path, timeout: float = 60.0) -> None:
    """Wait until each of the two web processes has answered (a slow machine boots the second one later)."""
    probe = WebClient(base)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda _: probe.get("/health"), range(8)))
        if access_log.exists() and len({m.group(1) for line in access_log.read_text().splitlines()
                                         if (m := ACCESS.match(line))}) == 2:
            return
        time.sleep(0.5)
    raise AssertionError(f"the second web process did not answer within {timeout:g} s")
