"""`smk serve` refuses what would break with several processes, builds gunicorn's command line from the
environment, and its supervisor stops both processes when either ends."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.core import Engine
from engine.runtime.clock import FixedClock
from webapp.serve import ServeRefused, ServeSettings, check, gunicorn_argv, supervise

SMK = [sys.executable, "-c", "from webapp.cli import main; main()"]


def run_smk(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("SMK_WEB_", "DATABASE_URL", "SECRET_KEY"))}
    return subprocess.run([*SMK, *args], env={**environ, **env}, capture_output=True, text=True, timeout=60)


def test_settings_come_from_the_environment_and_the_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMK_WEB_WORKERS", "3")
    monkeypatch.setenv("SMK_WEB_THREADS", "1")
    monkeypatch.setenv("SMK_WEB_BIND", "0.0.0.0:8080")
    settings = ServeSettings.from_env(timeout=None)
    assert (settings.bind, settings.workers, settings.threads, settings.timeout) == ("0.0.0.0:8080", 3, 1, 60)
    argv = gunicorn_argv(settings)
    assert argv[-1] == "webapp:create_app()" and "gthread" not in argv  # one thread: gunicorn's sync worker
    assert argv[argv.index("--workers") + 1] == "3" and argv[argv.index("--bind") + 1] == "0.0.0.0:8080"
    argv = gunicorn_argv(ServeSettings.from_env(workers=4, threads=8))  # the command line wins
    assert argv[argv.index("--workers") + 1] == "4" and argv[argv.index("--threads") + 1] == "8"
    assert "gthread" in argv
    # An idle connection stays open 5 s (gunicorn's 2 s is shorter than a pause between pages), or as set.
    assert argv[argv.index("--keep-alive") + 1] == "5"
    monkeypatch.setenv("SMK_WEB_KEEPALIVE", "75")
    assert gunicorn_argv(ServeSettings.from_env())[argv.index("--keep-alive") + 1] == "75"
    monkeypatch.setenv("SMK_WEB_WORKERS", "two")
    with pytest.raises(ServeRefused, match="SMK_WEB_WORKERS must be a positive whole number, not 'two'"):
        ServeSettings.from_env()
    with pytest.raises(ServeRefused, match="--workers must be a positive whole number"):
        ServeSettings.from_env(workers=0, threads=None)


def test_several_workers_on_sqlite_only_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'smk.sqlite'}"
    Engine(url, clock=FixedClock()).create_schema()
    refused = run_smk(["serve", "--workers", "2"], DATABASE_URL=url, SMK_INSTANCE_PATH=str(tmp_path))
    assert refused.returncode == 1
    assert "Not starting: 2 workers on SQLite" in refused.stderr and "--allow-sqlite-workers" in refused.stderr
    assert "Traceback" not in refused.stderr
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SMK_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    config, notes = check(ServeSettings(workers=2), allow_sqlite_workers=True)
    # The key exists before any worker starts, so every worker reads the same one.
    assert (tmp_path / "instance" / "secret_key").read_text().strip() == config["SECRET_KEY"]
    assert any("secret_key" in note for note in notes)
    with pytest.raises(ServeRefused, match="2 workers on SQLite"):
        check(ServeSettings(workers=2), allow_sqlite_workers=False)
    assert check(ServeSettings(workers=1), allow_sqlite_workers=False)[0]["DATABASE_URL"] == url


def test_an_unmigrated_database_is_refused(tmp_path: Path) -> None:
    refused = run_smk(["serve", "--workers", "1"], DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite'}",
                      SMK_INSTANCE_PATH=str(tmp_path))
    assert refused.returncode == 1
    assert "the database schema is at nothing" in refused.stderr and "run `smk init` first" in refused.stderr
    unreachable = run_smk(["serve", "--workers", "1"], SMK_INSTANCE_PATH=str(tmp_path),
                          DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2")
    assert unreachable.returncode == 1 and "the database does not answer" in unreachable.stderr


def test_the_supervisor_stops_the_other_process_when_one_ends(tmp_path: Path) -> None:
    marker = tmp_path / "stopped"
    sleeper = [sys.executable, "-c",
               "import signal, sys, time, pathlib\n"
               f"signal.signal(signal.SIGTERM, lambda *a: (pathlib.Path({str(marker)!r}).write_text('term'), "
               "sys.exit(0)))\n"
               "time.sleep(60)"]
    began = time.monotonic()
    status = supervise([sleeper, [sys.executable, "-c", "import time, sys; time.sleep(1); sys.exit(3)"]], grace=10)
    assert status == 3  # the failing child's status, so a service manager restarts both
    assert marker.read_text() == "term"  # the other one was told to stop, not left running
    assert time.monotonic() - began < 10
    # A child that ends with status 0 on its own is still a fault: the server is gone.
    assert supervise([sleeper, [sys.executable, "-c", "pass"]], grace=10) == 1
