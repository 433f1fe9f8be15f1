"""smk bench inbox on a small PostgreSQL database: the same figures and plan checks as the full run."""

from __future__ import annotations

import os

import pytest

from tools.bench_inbox import run_inbox_bench


def test_the_bench_needs_postgresql() -> None:
    assert "needs --url postgresql" in next(run_inbox_bench(None))
    assert "needs --url postgresql" in next(run_inbox_bench("sqlite:///x.sqlite"))


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_the_bench_measures_both_queries_and_checks_the_plans() -> None:
    lines = list(run_inbox_bench(os.environ["TEST_DATABASE_URL"], open_tasks=10_000, closed_tasks=100_000,
                                 events=10_000, rounds=3, baseline_rounds=1))
    print("\n".join(lines))
    assert lines[0].startswith("postgresql: 10,101 users") and "110,000 task rows (10,000 open, 800 of them waiting" in lines[0]
    rows = {line.split()[0]: line for line in lines if line.startswith("  ") and line.strip()[0].isalpha()}
    for who in ("staff", "assessor", "Biro"):
        assert who in rows and rows[who].rstrip().endswith("x")
    assert int(rows["Biro"].split()[3]) >= 2000  # the group's 2,000 tasks (and the member's own)
    assert int(rows["assessor"].split()[3]) > int(rows["staff"].split()[2]) > 0
    assert lines[-1] == "every statement of the new inbox on task_index uses an index (checked): OK"
    assert any("baseline (old LIKE query)" in line for line in lines)
