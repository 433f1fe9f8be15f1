"""The Engine object: database, clock, spec cache and runtime, built explicitly (nothing at import time)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Engine as DbEngine

from engine.clock import Clock, SystemClock
from engine.db import make_engine, make_session_factory
from engine.runtime import Operation, Runtime
from engine.sandbox import SandboxLimits
from engine.spec_cache import SpecCache


def default_functions() -> dict[str, Callable[..., Any]]:
    """Return the SMK rule functions that scripts may call by name."""
    try:
        from processes.script_api import SCRIPT_FUNCTIONS
    except ImportError:  # the rules package is optional for the engine itself
        return {}
    return dict(SCRIPT_FUNCTIONS)


def sandbox_limits_from_env(environ: Mapping[str, str] | None = None) -> SandboxLimits:
    """Read the script limits from SMK_SCRIPT_CPU_SECONDS and SMK_SCRIPT_MEMORY_MB (defaults: 2 s, 64 MiB)."""
    import os

    env = os.environ if environ is None else environ
    try:
        cpu = float(env.get("SMK_SCRIPT_CPU_SECONDS", "2"))
        memory = int(float(env.get("SMK_SCRIPT_MEMORY_MB", "64")) * 2**20)
        return SandboxLimits(cpu_seconds=cpu, max_memory_bytes=memory)
    except ValueError as exc:
        raise ValueError(f"invalid sandbox limit in the environment: {exc}") from exc


class Engine:
    """Holds what every service needs; create one per process (web app, worker, CLI, test)."""

    def __init__(self, database_url: str, clock: Clock | None = None,
                 functions: Mapping[str, Callable[..., Any]] | None = None,
                 limits: SandboxLimits | None = None, operations: Mapping[str, Operation] | None = None,
                 db_engine: DbEngine | None = None, echo: bool = False):
        self.database_url = database_url
        self.db = db_engine or make_engine(database_url, echo=echo)
        self.session_factory = make_session_factory(self.db)
        self.clock = clock or SystemClock()
        self.specs = SpecCache()
        from engine.operations import builtin_operations

        ops = builtin_operations()
        try:
            from engine.smk_operations import SMK_OPERATIONS  # the SMK models' own operations
        except ImportError:
            SMK_OPERATIONS = {}
        ops.update(SMK_OPERATIONS)
        ops.update(operations or {})
        self.runtime = Runtime(self.clock, functions if functions is not None else default_functions(),
                               limits, ops)
        self.runtime.engine = self

    def now(self):  # noqa: ANN201 - a datetime; kept short because every service calls it
        return self.clock.now()

    def create_schema(self) -> None:
        """Create or upgrade the database schema with the Alembic migrations."""
        from engine.migrate import upgrade

        upgrade(self.db)

    def dispose(self) -> None:
        self.db.dispose()
