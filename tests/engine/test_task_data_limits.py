"""What one step may leave in task data is bounded (size as JSON and nesting), checked before every save."""

from __future__ import annotations

from typing import Any

import pytest

from engine.core import Engine, pool_config_from_env, task_data_limits_from_env
from engine.db.runtime import Instance
from engine.errors import ProcessError
from engine.runtime.runner import TaskDataLimits
from engine.services import instances
from engine.services.deployments import deploy
from processes.extension import extensions
from tests.engine.helpers import one_script_process


def _run(eng: Engine, org: dict[str, int], script: str) -> tuple[ProcessError, Instance]:
    deploy(eng, {"p.bpmn": one_script_process(script)}, None)
    started = instances.start_instance(eng, "p_script", org["admin"], org["budi"], "2024")
    with pytest.raises(ProcessError) as info:
        instances.complete_task(eng, org["budi"], started.ready_task_ids[0], {})
    with eng.session_factory() as s:
        inst = s.get(Instance, started.id)
    assert inst is not None
    return info.value, inst


def test_a_step_that_leaves_too_much_data_errors_its_instance(eng: Engine, org: dict[str, int]) -> None:
    # Each string is within the sandbox's 1M-character limit; together they pass the 1 MiB default.
    error, inst = _run(eng, org, "a = 'x' * 900000\nb = 'y' * 900000")
    assert inst.status == "error" and inst.error_task == "Run script"
    assert "larger than 1,048,576 bytes" in inst.error_message and "SMK_TASK_DATA_MAX_BYTES" in inst.error_message
    assert error.task == "Run script"
    # The stored state is the last good one: nothing of the 1.8 MB was written.
    with eng.session_factory() as s:
        assert len(str(s.get(Instance, inst.id).state)) < 100_000


def test_too_deep_task_data_errors_its_instance(db_url: str, clock: Any, org: dict[str, int]) -> None:
    eng = Engine(db_url, extensions=extensions(), clock=clock, data_limits=TaskDataLimits(max_depth=5))
    _, inst = _run(eng, org, "a = []\nfor i in range(10):\n    a = [a]")
    assert inst.status == "error" and "nested deeper than 5 levels" in inst.error_message
    eng.dispose()


def test_ordinary_data_passes(eng: Engine, org: dict[str, int]) -> None:
    deploy(eng, {"p.bpmn": one_script_process("a = 'x' * 1000\nrows = [{'n': i} for i in range(1000)]")}, None)
    started = instances.start_instance(eng, "p_script", org["admin"], org["budi"], "2024")
    after = instances.complete_task(eng, org["budi"], started.ready_task_ids[0], {})
    assert after.status == "running"


def test_settings_from_the_environment() -> None:
    assert task_data_limits_from_env({}) == TaskDataLimits(2**20, 100)
    assert task_data_limits_from_env({"SMK_TASK_DATA_MAX_BYTES": "5000", "SMK_TASK_DATA_MAX_DEPTH": "7"}) == \
        TaskDataLimits(5000, 7)
    with pytest.raises(ValueError):
        task_data_limits_from_env({"SMK_TASK_DATA_MAX_BYTES": "0"})
    config = pool_config_from_env({})
    assert (config.workers, config.memory_mb, config.wall_seconds) == (2, 256, None)
    config = pool_config_from_env({"SMK_SANDBOX_WORKERS": "3", "SMK_SANDBOX_MEMORY_MB": "512",
                                   "SMK_SANDBOX_WALL_SECONDS": "9"})
    assert (config.workers, config.memory_mb, config.wall_seconds) == (3, 512, 9.0)
    for bad in ({"SMK_SANDBOX_WORKERS": "0"}, {"SMK_SANDBOX_WORKERS": "x"}, {"SMK_SANDBOX_WALL_SECONDS": "-1"}):
        with pytest.raises(ValueError):
            pool_config_from_env(bad)


def test_the_engine_runs_model_code_in_sandbox_processes(eng: Engine) -> None:
    pool = eng.runtime.pool
    assert pool is not None and "processes.rules.script_api:SCRIPT_FUNCTIONS" in pool.config.function_sources
    env = eng.runtime.script_engine.environment
    assert env.pool is pool
    assert env.evaluate("predikat_6_2022('Sesuai Ekspektasi', 'Sesuai Ekspektasi')", {}) == "Baik"
