"""Where a command's CPU goes, by library: a sampling profiler for `docs/benchmarks.md`'s breakdowns.

    .venv/bin/python -m tools.cpu_sample /tmp/cpu.txt .venv/bin/smk simulate --period 2023 --employees 100

runs the script with its arguments in this process. Every few milliseconds of this process's CPU (SIGPROF;
the kernel's tick, 4 ms here, bounds the rate) the innermost Python frame is counted by the library it belongs
to (SQLAlchemy, psycopg, SpiffWorkflow, the standard library, our own packages), and every library on the stack
once. Time inside a C function counts for the Python function that called it (libpq's work for psycopg's, JSON's
C encoder for `json.encoder`). Unlike cProfile it measures CPU, not wall time (a wait for the database server
costs nothing here), and adds little: the figures are those of an unprofiled run. It also sorts the samples by the
engine's phase (restoring a workflow's state, running the model's steps, storing the state, the database path,
the rest), by the function on the stack that runs each. Child processes (the script
sandbox's workers) are not sampled; their CPU is reported apart. The report is written when the command ends.
"""

from __future__ import annotations

import atexit
import collections
import resource
import runpy
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType

INTERVAL = 0.002  # seconds of CPU between samples asked for; the kernel rounds it up to its tick

DATABASE_LIBRARIES = frozenset({"sqlalchemy", "psycopg", "psycopg_binary", "psycopg_pool"})
# The engine's phases, by the function on the stack that runs them (co_qualname); the first found from the
# innermost frame outwards names the phase. A statement sent inside any phase counts for the database path instead
# (the JSON a row brings, parsed by the driver, apart).
PHASES = {
    "StateSerializer.load": "restore the workflow state",
    "StateSerializer.restore_data": "restore the workflow state",
    "StateSerializer.dump_text": "store the workflow state (dump, data checks, compaction)",
    "check_stored_data": "store the workflow state (dump, data checks, compaction)",
    "compact": "store the workflow state (dump, data checks, compaction)",
    "Runtime.advance": "run the model's steps (SpiffWorkflow, sandbox calls)",
}
DATABASE = "database path in this process (SQLAlchemy, psycopg)"
JSON_READ = "JSON parsed as rows are read (mostly workflow states)"
OTHER = "the rest (services, permission checks, audit, the simulation itself)"


def library(filename: str) -> str:
    """The library a source file belongs to: a site-packages distribution, one of our packages, or the stdlib."""
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    for ours in ("engine", "processes", "webapp", "tools"):
        if f"/{ours}/" in filename:
            return f"ours: {ours}"
    return "standard library"


class Sampler:
    def __init__(self) -> None:
        self.samples = 0
        self.innermost: collections.Counter[str] = collections.Counter()
        self.anywhere: collections.Counter[str] = collections.Counter()
        self.phases: collections.Counter[str] = collections.Counter()

    def sample(self, _signum: int, frame: FrameType | None) -> None:
        self.samples += 1
        seen: set[str] = set()
        phase = None
        decoding = frame is not None and frame.f_code.co_filename.endswith("json/decoder.py")
        first_library = None  # the innermost library on the stack that is not the standard library
        if frame is not None:
            self.innermost[library(frame.f_code.co_filename)] += 1
        while frame is not None:
            name = library(frame.f_code.co_filename)
            seen.add(name)
            if first_library is None and name != "standard library":
                first_library = name
                if name in DATABASE_LIBRARIES:
                    phase = JSON_READ if decoding else DATABASE
            if phase is None:
                phase = PHASES.get(frame.f_code.co_qualname)
            frame = frame.f_back
        self.anywhere.update(seen)
        self.phases[phase or OTHER] += 1

    def report(self) -> str:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        total = max(1, self.samples)
        lines = [f"CPU of this process {own.ru_utime + own.ru_stime:.1f} s in {self.samples} samples; "
                 f"child processes waited for {children.ru_utime + children.ru_stime:.1f} s",
                 "innermost frame (where the CPU was spent):"]
        lines += [f"  {100 * n / total:5.1f} %  {name}" for name, n in self.innermost.most_common(15)]
        lines.append("anywhere on the stack (inclusive; the entry points are 100 %):")
        lines += [f"  {100 * n / total:5.1f} %  {name}" for name, n in self.anywhere.most_common(20)]
        lines.append("by the engine's phase (a statement inside a phase counts for the database):")
        lines += [f"  {100 * n / total:5.1f} %  {name}" for name, n in self.phases.most_common()]
        return "\n".join(lines) + "\n"


def run_reporting(argv: list[str], tool: str, what: str, start: Callable[[], None],
                  report: Callable[[], str]) -> None:
    """Run ``SCRIPT [ARGUMENTS...]`` (``argv[1:]``) in this process after ``start()``, and write ``report()`` to
    ``REPORT_FILE`` (``argv[0]``) when the process ends: the frame of this tool and of tools/statement_census.py."""
    if len(argv) < 2:
        raise SystemExit(f"usage: python -m tools.{tool} REPORT_FILE SCRIPT [ARGUMENTS...]")
    out, script = Path(argv[0]), argv[1]
    if not Path(script).is_file():
        raise SystemExit(f"{tool}: no script {script!r} to run (give its path, e.g. .venv/bin/smk)")

    def finish() -> None:
        out.write_text(report(), encoding="utf-8")
        print(f"{what} written to {out}", file=sys.stderr)

    atexit.register(finish)
    start()
    sys.argv = argv[1:]
    runpy.run_path(script, run_name="__main__")


def main(argv: list[str]) -> None:
    sampler = Sampler()

    def start() -> None:
        signal.signal(signal.SIGPROF, sampler.sample)
        signal.setitimer(signal.ITIMER_PROF, INTERVAL, INTERVAL)

    def report() -> str:
        signal.setitimer(signal.ITIMER_PROF, 0)
        return sampler.report()

    run_reporting(argv, "cpu_sample", "CPU samples", start, report)


if __name__ == "__main__":
    main(sys.argv[1:])
