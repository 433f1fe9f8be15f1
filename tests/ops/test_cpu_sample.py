"""tools/cpu_sample.py: the CPU sampler behind docs/benchmarks.md's "where the CPU goes" figures."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tools.cpu_sample import library

ROOT = Path(__file__).resolve().parents[2]

BURN = """
import json, time
def ours():
    end = time.process_time() + 0.6
    data = {"k%d" % i: list(range(50)) for i in range(200)}
    while time.process_time() < end:
        json.dumps(data)   # CPU in the standard library (json's encoder), called from here
ours()
"""


def sampled(tmp_path: Path, source: str) -> str:
    """Run ``source`` under the sampler; return its report."""
    script, report = tmp_path / "script.py", tmp_path / "cpu.txt"
    script.write_text(source, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "tools.cpu_sample", str(report), str(script)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return report.read_text(encoding="utf-8")


def test_the_sampler_counts_cpu_by_library_and_writes_its_report(tmp_path: Path) -> None:
    text = sampled(tmp_path, BURN)
    cpu, samples = re.search(r"CPU of this process ([\d.]+) s in (\d+) samples", text).groups()  # type: ignore[union-attr]
    assert float(cpu) >= 0.6 and int(samples) >= 50  # a sample every few ms of CPU, not of wall time
    innermost = text.split("innermost frame")[1].split("anywhere")[0]
    first = re.search(r"([\d.]+) %  (.+)", innermost).groups()  # type: ignore[union-attr]
    assert first[1] == "standard library" and float(first[0]) > 50, innermost


def test_files_are_sorted_into_libraries() -> None:
    assert library("/x/.venv/lib/python3.11/site-packages/sqlalchemy/orm/session.py") == "sqlalchemy"
    assert library("/x/.venv/lib/python3.11/site-packages/SpiffWorkflow/task.py") == "SpiffWorkflow"
    assert library(str(ROOT / "engine" / "runtime" / "runner.py")) == "ours: engine"
    assert library("/usr/lib/python3.11/json/encoder.py") == "standard library"


def test_a_missing_script_is_named_and_no_report_is_written(tmp_path: Path) -> None:
    report = tmp_path / "cpu.txt"
    done = subprocess.run([sys.executable, "-m", "tools.cpu_sample", str(report), str(tmp_path / "nope.py")], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "no script" in done.stderr and "nope.py" in done.stderr, done.stderr
    assert not report.exists()


PHASED = """
import json, time
class Runtime:
    def advance(self):   # named as the engine's step runner: its CPU counts for that phase
        end = time.process_time() + 0.6
        data = {"k%d" % i: list(range(50)) for i in range(200)}
        while time.process_time() < end:
            json.dumps(data)
Runtime().advance()
"""


def test_the_sampler_sorts_cpu_into_the_engines_phases(tmp_path: Path) -> None:
    phases = sampled(tmp_path, PHASED).split("by the engine's phase")[1]
    first = re.search(r"([\d.]+) %  (.+)", phases).groups()  # type: ignore[union-attr]
    assert first[1].startswith("run the model's steps") and float(first[0]) > 50, phases
