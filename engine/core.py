"""The Engine object: the composition point of database, clock, spec cache, runtime and extensions."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import Engine as DbEngine
from sqlalchemy.orm import Session

from engine.access import LANES
from engine.db.audit import install_chain
from engine.db.base import make_engine, make_session_factory
from engine.db.migrate import upgrade
from engine.db.runtime import Instance
from engine.extension import Extension
from engine.runtime.clock import Clock, SystemClock
from engine.runtime.runner import Operation, Runtime, TaskDataLimits
from engine.runtime.spec_cache import SpecCache
from engine.sandbox import SandboxLimits
from engine.sandbox.child import resolve
from engine.sandbox.pool import PoolConfig, function_sources, shared_pool


def zone_from_env(environ: Mapping[str, str] | None = None) -> ZoneInfo:
    """Read the organisation's time zone (SMK_TIMEZONE, default Asia/Jakarta): it decides what "today" is."""
    env = os.environ if environ is None else environ
    try:
        return ZoneInfo(env.get("SMK_TIMEZONE", "Asia/Jakarta"))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"invalid SMK_TIMEZONE: {exc}") from exc


def sandbox_limits_from_env(environ: Mapping[str, str] | None = None) -> SandboxLimits:
    """Read the script limits from SMK_SCRIPT_CPU_SECONDS and SMK_SCRIPT_MEMORY_MB (defaults: 2 s, 64 MiB)."""
    env = os.environ if environ is None else environ
    try:
        cpu = float(env.get("SMK_SCRIPT_CPU_SECONDS", "2"))
        memory = int(float(env.get("SMK_SCRIPT_MEMORY_MB", "64")) * 2**20)
        return SandboxLimits(cpu_seconds=cpu, max_memory_bytes=memory)
    except ValueError as exc:
        raise ValueError(f"invalid sandbox limit in the environment: {exc}") from exc


def pool_config_from_env(environ: Mapping[str, str] | None = None) -> PoolConfig:
    """Read the sandbox processes' settings: SMK_SANDBOX_WORKERS (2), SMK_SANDBOX_MEMORY_MB (256) and
    SMK_SANDBOX_WALL_SECONDS (unset: 4 x the script CPU limit + 5 s)."""
    env = os.environ if environ is None else environ
    try:
        workers = int(env.get("SMK_SANDBOX_WORKERS", "2"))
        memory = int(env.get("SMK_SANDBOX_MEMORY_MB", "256"))
        wall = env.get("SMK_SANDBOX_WALL_SECONDS", "").strip()
        config = PoolConfig(workers=workers, memory_mb=memory, wall_seconds=float(wall) if wall else None)
    except ValueError as exc:
        raise ValueError(f"invalid sandbox process setting in the environment: {exc}") from exc
    if config.wall_seconds is not None and config.wall_seconds <= 0:
        raise ValueError("SMK_SANDBOX_WALL_SECONDS must be positive")
    return config


def task_data_limits_from_env(environ: Mapping[str, str] | None = None) -> TaskDataLimits:
    """Read SMK_TASK_DATA_MAX_BYTES (1 MiB) and SMK_TASK_DATA_MAX_DEPTH (100)."""
    env = os.environ if environ is None else environ
    try:
        limits = TaskDataLimits(max_bytes=int(env.get("SMK_TASK_DATA_MAX_BYTES", str(2**20))),
                                max_depth=int(env.get("SMK_TASK_DATA_MAX_DEPTH", "100")))
    except ValueError as exc:
        raise ValueError(f"invalid task data limit in the environment: {exc}") from exc
    if limits.max_bytes <= 0 or limits.max_depth <= 0:
        raise ValueError("SMK_TASK_DATA_MAX_BYTES and SMK_TASK_DATA_MAX_DEPTH must be positive")
    return limits


class Engine:
    """Holds what every service needs; create one per process (web app, worker, CLI, test).

    Model code runs in a shared pool of sandbox processes (``pool`` settings, default from the environment);
    ``isolate=False`` runs it in this process instead — for benchmarks that measure what the processes cost.
    """

    def __init__(self, database_url: str, clock: Clock | None = None,
                 extensions: Sequence[Extension] = (), limits: SandboxLimits | None = None,
                 functions: Mapping[str, Callable[..., Any]] | None = None,
                 operations: Mapping[str, Operation] | None = None,
                 db_engine: DbEngine | None = None, echo: bool = False,
                 pool: PoolConfig | None = None, isolate: bool = True,
                 data_limits: TaskDataLimits | None = None):
        self.database_url = database_url
        self.db = db_engine or make_engine(database_url, echo=echo)
        self.clock = clock or SystemClock()
        self.session_factory = make_session_factory(self.db, info={"clock": self.clock, "zone": zone_from_env()})
        install_chain(self.session_factory)
        self.specs = SpecCache()
        self.extensions = tuple(extensions)
        all_functions: dict[str, Callable[..., Any]] = {}
        all_operations: dict[str, Operation] = {}
        sources: list[str] = []
        table_hooks = tuple(dict.fromkeys(ext.decision_tables for ext in self.extensions if ext.decision_tables))
        for ext in self.extensions:
            all_functions.update(ext.functions)
            all_operations.update(ext.operations)
            sources.extend(function_sources(ext.functions, ext.functions_module) if isolate else ())
            LANES.personal.update(ext.lanes)
            if ext.roles is not None:
                LANES.roles = ext.roles
        all_functions.update(functions or {})
        all_operations.update(operations or {})
        sandbox_pool = None
        if isolate:
            sources.extend(function_sources(functions or {}))
            config = replace(pool or pool_config_from_env(), function_sources=tuple(dict.fromkeys(sources)),
                             table_hooks=table_hooks)
            sandbox_pool = shared_pool(config)
        self.runtime = Runtime(self.clock, all_functions, limits, all_operations, pool=sandbox_pool,
                               data_limits=data_limits or task_data_limits_from_env(),
                               table_hooks=tuple(resolve(path) for path in table_hooks),
                               saved_hooks=tuple(hook for ext in self.extensions for hook in ext.saved))

    def now(self) -> datetime:
        return self.clock.now()

    def advance(self, session: Session, instance: Instance, workflow: BpmnWorkflow, actor_id: int | None,
                before: Callable[[], None] | None = None) -> None:
        """Run ``before`` then every engine step of ``workflow``; service operations see this engine."""
        self.runtime.advance(self, session, instance, workflow, actor_id, before)

    def create_schema(self) -> None:
        """Create or upgrade the database schema with the Alembic migrations."""
        upgrade(self.db)

    def dispose(self) -> None:
        self.db.dispose()
