"""Start and stop ``smk serve`` (gunicorn) as a child process group, and measure the CPU its processes use.

For the production test and the HTTP benchmarks: the server runs in its own session (process group), so that
``stop`` ends gunicorn, its workers, their sandbox processes and a supervised ``smk worker`` together, by that
group's id, and the CPU time of every process in the tree is read from /proc (Linux).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

SMK = [sys.executable, "-c", "from webapp.cli import main; main()"]
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def stop_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so that a benchmark's ``finally`` stops its server and drops its database."""

    def _exit(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def smk(args: list[str], env: Mapping[str, str], timeout: float = 300) -> str:
    """Run an ``smk`` command to completion; raise with its output when it fails."""
    done = subprocess.run([*SMK, *args], env=dict(env), capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"smk {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process and its reaped children) from /proc/<pid>/stat."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()  # after "pid (name) "; fields[0] is the state
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return int(fields[1]), (utime + stime + cutime + cstime) / _TICKS


def process_tree(root: int) -> dict[int, float]:
    """Every live process under ``root`` (itself included) and its CPU seconds so far."""
    stats = {int(p): s for p in os.listdir("/proc") if p.isdigit() and (s := _stat(int(p))) is not None}
    tree, frontier = {}, [root]
    while frontier:
        pid = frontier.pop()
        if pid in stats and pid not in tree:
            tree[pid] = stats[pid][1]
            frontier += [child for child, (parent, _) in stats.items() if parent == pid]
    return tree


def cpu_seconds(pids: list[int]) -> float:
    """CPU seconds of these processes (each one's own and its reaped children's)."""
    return sum(s[1] for pid in pids if (s := _stat(pid)) is not None)


class Server:
    """``smk serve`` on a free 127.0.0.1 port, in its own process group; ``stop`` always ends the group."""

    def __init__(self, env: Mapping[str, str], log: Path, workers: int = 2, threads: int = 1,
                 with_worker: bool = False, extra: list[str] | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        args = ["serve", "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers), "--threads", str(threads),
                *(["--with-worker"] if with_worker else []), *(extra or [])]
        with open(log, "ab") as out:
            self.proc = subprocess.Popen([*SMK, *args], env=dict(env), stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)

    def wait_ready(self, timeout: float = 60) -> None:
        """Wait until /health answers 200 (every worker need not be up yet)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"smk serve ended ({self.proc.returncode}):\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.base + "/health", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"smk serve did not answer within {timeout:g} s:\n{self.log.read_text()}")

    def gunicorn_pids(self) -> tuple[int, list[int]]:
        """The gunicorn master and its worker processes (not the sandbox processes below them)."""
        tree = process_tree(self.proc.pid)
        master = next((p for p in sorted(tree) if "gunicorn" in _cmdline(p) and "gunicorn" not in _cmdline(_parent(p))),
                      self.proc.pid)
        return master, [p for p in tree if _parent(p) == master]

    def web_cpu(self) -> float:
        """CPU seconds so far of gunicorn's processes: master, workers and their sandbox processes."""
        master, _workers = self.gunicorn_pids()
        return sum(process_tree(master).values())

    def stop(self, grace: float = 20) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # whatever of the group is left (sandbox processes …)
        except ProcessLookupError:
            pass
        if self.proc.poll() is None:
            self.proc.wait(5)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _parent(pid: int) -> int:
    stat = _stat(pid)
    return stat[0] if stat else 0
