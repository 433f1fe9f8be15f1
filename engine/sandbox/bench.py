"""Micro-benchmark: sandboxed vs. Spiff's default environment on a typical short script/condition."""

from __future__ import annotations

import statistics
import time
from typing import Any

from SpiffWorkflow.bpmn.script_engine.python_environment import TaskDataEnvironment

from .environment import SandboxedEnvironment

_CONDITION = "score >= 80 and grade in ('A', 'B') and len(goals) > 2"
_SCRIPT = """\
total = 0
for goal in goals:
    total += goal['weight'] * goal['score']
final = round(total / 100, 2)
passed = final >= 75 and grade != 'E'
"""


def _data() -> dict[str, Any]:
    goals = [{"weight": 25, "score": 80 + i} for i in range(4)]
    return {"score": 85, "grade": "A", "goals": goals}


def _rate(env: Any, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        env.evaluate(_CONDITION, _data())
        env.execute(_SCRIPT, _data())
    return n / (time.perf_counter() - start)


def _per_call(call: Any, n: int, batches: int = 10) -> float:
    """Seconds per call: the median over batches, so a moment when the machine is busy weighs less."""
    size = max(n // batches, 1)
    times = []
    for _ in range(batches):
        start = time.perf_counter()
        for _ in range(size):
            call()
        times.append((time.perf_counter() - start) / size)
    return statistics.median(times)


def bench_pool(pool: Any, n: int = 1000) -> dict[str, float]:
    """Seconds per condition and per short script, in this process and through ``pool`` (same run)."""
    local, remote = SandboxedEnvironment(), SandboxedEnvironment(pool=pool)
    result: dict[str, float] = {}
    for env, where in ((local, "in_process"), (remote, "pool")):
        for _ in range(min(n, 50)):  # warm-up: compile caches here and in the processes
            env.evaluate(_CONDITION, _data())
            env.execute(_SCRIPT, _data())
        result[f"{where}_condition_s"] = _per_call(lambda env=env: env.evaluate(_CONDITION, _data()), n)
        result[f"{where}_script_s"] = _per_call(lambda env=env: env.execute(_SCRIPT, _data()), n)
    result["condition_ratio"] = result["pool_condition_s"] / result["in_process_condition_s"]
    result["script_ratio"] = result["pool_script_s"] / result["in_process_script_s"]
    return result


def bench_sandbox(n: int = 2000) -> dict[str, float]:
    """Time n condition evaluations + script executions; return ops/s for both and slowdown ratio."""
    default, sandbox = TaskDataEnvironment(), SandboxedEnvironment()
    _rate(default, min(n, 50))  # warm-up: fills the sandbox's compile cache
    _rate(sandbox, min(n, 50))
    default_rate = _rate(default, n)
    sandbox_rate = _rate(sandbox, n)
    return {
        "default_ops_per_s": default_rate,
        "sandbox_ops_per_s": sandbox_rate,
        "ratio": default_rate / sandbox_rate,
    }
