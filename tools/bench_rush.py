"""The deadline rush: ``smk bench rush`` (a bounded locust load test, headless, on 127.0.0.1).

On a fresh PostgreSQL database (beside the one named by --url) the agency of ``employees`` is loaded with an
open realisation task each (``tools/rushdata.py``); ``smk serve --with-worker`` starts gunicorn (SMK_WEB_WORKERS,
default 2) and one ``smk worker``; locust (``tools/loadtest/locustfile.py``) then runs ``users`` simulated
employees for at most ``duration`` seconds — the compressed "last hour" — each logging in, opening the inbox and
the realisation task, submitting it and seeing the inbox again, then taking the next employee. Reported: p50,
p95 and p99 per page and the failures (locust's statistics), the CPU of gunicorn's processes, of ``smk worker``
and of the database's server processes (from /proc), per completion, and the completions per second sustained
(from the completion times the database recorded, between the 10th and the 90th percentile of them), and the
machine's load average before loading, at the start and at the end of the rush (the figures of a shared machine are
those of whatever else ran: the load says how much that was). Gunicorn settings given in GUNICORN_CMD_ARGS (e.g.
``--keep-alive 5``) are passed on to ``smk serve`` and printed with the figures.
"""

from __future__ import annotations

import csv
import os
import random
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from engine.db.runtime import TaskIndex
from tools.benchdb import fresh_database
from tools.rushdata import PASSWORD, employee_logins, load_agency
from tools.serverproc import Server, cpu_seconds, process_tree, stop_on_sigterm

LOCUSTFILE = Path(__file__).resolve().parent / "loadtest" / "locustfile.py"


def run_rush_bench(url: str | None, employees: int = 1000, users: int = 40, duration: int = 180,
                   spawn_rate: float = 5.0, think: str = "0.5-1.5", seed: int = 11) -> Iterator[str]:
    if not url or not url.startswith("postgresql"):
        raise SystemExit("smk bench rush runs on PostgreSQL: pass --url postgresql+psycopg://user@host/db "
                         "(a fresh database is created beside that one and dropped afterwards)")
    stop_on_sigterm()
    target, drop = fresh_database(url, "smk_bench_rush")
    folder = Path(tempfile.mkdtemp(prefix="smk-bench-rush-"))
    server: Server | None = None
    admin = create_engine(make_url(url).set(database="postgres"))
    data = create_engine(target)
    try:
        began, load_before = time.perf_counter(), _load_average()
        yield f"PostgreSQL: loading {employees} employees, each with an open realisation task"
        yield from load_agency(target, employees, seed)
        yield f"  loaded in {time.perf_counter() - began:.0f} s"
        logins = employee_logins(target)
        random.Random(seed).shuffle(logins)
        (folder / "logins.txt").write_text("\n".join(logins) + "\n")
        env = {**os.environ, "DATABASE_URL": target, "SMK_INSTANCE_PATH": str(folder / "instance"),
               "SECRET_KEY": secrets.token_hex(32)}
        server = Server(env, folder / "serve.log", workers=int(os.environ.get("SMK_WEB_WORKERS", "2")),
                        threads=int(os.environ.get("SMK_WEB_THREADS", "4")), with_worker=True)
        server.wait_ready()
        time.sleep(2)  # the workers' first requests start their sandbox processes: let them boot

        def db_cpu() -> float:
            with admin.connect() as conn:
                pids = list(conn.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = :d"),
                                         {"d": make_url(target).database}))
            return cpu_seconds(pids)

        master, _workers = server.gunicorn_pids()
        web0, all0, db0 = sum(process_tree(master).values()), sum(process_tree(server.proc.pid).values()), db_cpu()
        started, load0, load_start = time.time(), _children_cpu(), _load_average()
        locust = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", server.base,
                  "-u", str(users), "-r", str(spawn_rate), "-t", f"{duration}s", "--stop-timeout", "30",
                  "--csv", str(folder / "rush"), "--only-summary", "--loglevel", "WARNING"]
        run = subprocess.run(locust, env={**env, "RUSH_LOGINS": str(folder / "logins.txt"),
                                          "RUSH_PASSWORD": PASSWORD, "RUSH_THINK": think},
                             capture_output=True, text=True, timeout=duration + 300)
        elapsed, load, load_end = time.time() - started, _children_cpu() - load0, _load_average()
        web = sum(process_tree(master).values()) - web0
        worker = sum(process_tree(server.proc.pid).values()) - all0 - web
        database = db_cpu() - db0
        if run.returncode not in (0, 1):  # 1: some requests failed, which the figures show
            raise RuntimeError(f"locust failed ({run.returncode}):\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
        with data.connect() as conn:
            times = sorted(t for t in conn.scalars(select(TaskIndex.closed_at).where(
                TaskIndex.task_name == "isi_realisasi", TaskIndex.closed_at.is_not(None))) if t is not None)
            still_open = conn.scalar(select(func.count()).select_from(TaskIndex).where(
                TaskIndex.task_name == "isi_realisasi", TaskIndex.closed_at.is_(None)))
        done = len(times)
        extra = os.environ.get("GUNICORN_CMD_ARGS", "").strip()
        yield (f"  gunicorn {os.environ.get('SMK_WEB_WORKERS', '2')} workers x {os.environ.get('SMK_WEB_THREADS', '4')}"
               f" threads + 1 smk worker; locust {users} users (spawn {spawn_rate:g}/s, think {think} s between "
               f"pages), {elapsed:.0f} s" + (f"; GUNICORN_CMD_ARGS={extra!r}" if extra else ""))
        yield (f"  load average (1, 5, 15 min): before loading {load_before}, at the start of the rush {load_start}, "
               f"at its end {load_end}")
        yield f"  {'page':<28} {'requests':>8} {'failures':>8} {'p50':>8} {'p95':>8} {'p99':>8}  (ms)"
        with open(folder / "rush_stats.csv", newline="") as stats:
            for row in csv.DictReader(stats):
                yield (f"  {row['Name']:<28} {row['Request Count']:>8} {row['Failure Count']:>8} {row['50%']:>8} "
                       f"{row['95%']:>8} {row['99%']:>8}")
        failures = (folder / "rush_failures.csv").read_text().strip().splitlines()[1:]
        for line in failures[:10]:
            yield f"  failure: {line}"
        problems = [line for line in (folder / "serve.log").read_text(errors="replace").splitlines()
                    if any(word in line for word in ("ERROR", "CRITICAL", "Traceback", "Error:", "TIMEOUT"))]
        for line in problems[:20]:
            yield f"  server log: {line}"
        sustained = 0.0
        if done >= 10:
            low, high = times[done // 10], times[done * 9 // 10]
            span = (high - low).total_seconds()
            sustained = (done * 9 // 10 - done // 10) / span if span > 0 else 0.0
        yield (f"  completions: {done} of {len(logins)} employees submitted ({still_open} still open); "
               f"sustained {sustained:.1f} completions/s (10th-90th percentile of the completion times), "
               f"{done / elapsed:.1f}/s over the whole run")
        if done:
            yield (f"  CPU: gunicorn {web:.0f} s ({web / done * 1000:.0f} ms per completion), smk worker {worker:.1f} s, "
                   f"PostgreSQL (this database's server processes) {database:.0f} s ({database / done * 1000:.0f} ms "
                   f"per completion), locust {load:.0f} s; in {elapsed:.0f} s on {os.cpu_count()} cores")
    finally:
        if server is not None:
            server.stop()
        data.dispose()
        admin.dispose()
        drop()
        shutil.rmtree(folder, ignore_errors=True)


def _load_average() -> str:
    """The machine's load average, "1-min / 5-min / 15-min"."""
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def _children_cpu() -> float:
    """CPU seconds of this process's finished children (locust, once it has ended)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
