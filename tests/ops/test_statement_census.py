"""tools/statement_census.py: the statement counts behind docs/benchmarks.md's census of a simulated year."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

QUERIES = """
from sqlalchemy import text
from engine.db.base import make_engine
engine = make_engine("sqlite://")
for _ in range(3):
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        conn.execute(text("SELECT   2"))   # whitespace folded
        conn.execute(text("SELECT 2"))
"""


def test_the_census_counts_statements_and_transactions(tmp_path: Path) -> None:
    script, report = tmp_path / "queries.py", tmp_path / "statements.txt"
    script.write_text(QUERIES, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "tools.statement_census", str(report), str(script)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    text = report.read_text(encoding="utf-8")
    total, checkouts = re.search(r"statements (\d+); connections handed out by a pool \(transactions begun\) (\d+)",
                                 text).groups()  # type: ignore[union-attr]
    # Each of the three transactions: the engine's BEGIN (SQLite's, engine.db.base) and 3 statements; 6 of them the
    # folded "SELECT 2". The pragmas of a new connection go through the driver's own cursor, unseen.
    assert int(total) == 12 and int(checkouts) == 3
    assert re.search(r"^\s+6\s+SELECT 2$", text, re.M) and re.search(r"^\s+3\s+SELECT 1$", text, re.M), text
    assert re.search(r"^\s+3\s+BEGIN$", text, re.M) and re.search(r"^\s+12\s+\(elsewhere\)$", text, re.M), text


def test_a_missing_script_is_named_and_no_report_is_written(tmp_path: Path) -> None:
    report = tmp_path / "statements.txt"
    done = subprocess.run([sys.executable, "-m", "tools.statement_census", str(report), str(tmp_path / "nope.py")],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "no script" in done.stderr and "nope.py" in done.stderr, done.stderr
    assert not report.exists()
