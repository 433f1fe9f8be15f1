"""The Engine object: the composition point of database, clock, spec cache, runtime and extensions."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

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
from engine.runtime.runner import Operation, Runtime
from engine.runtime.spec_cache import SpecCache
from engine.sandbox import SandboxLimits


def sandbox_limits_from_env(environ: Mapping[str, str] | None = None) -> SandboxLimits:
    """Read the script limits from SMK_SCRIPT_CPU_SECONDS and SMK_SCRIPT_MEMORY_MB (defaults: 2 s, 64 MiB)."""
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
                 extensions: Sequence[Extension] = (), limits: SandboxLimits | None = None,
                 functions: Mapping[str, Callable[..., Any]] | None = None,
                 operations: Mapping[str, Operation] | None = None,
                 db_engine: DbEngine | None = None, echo: bool = False):
        self.database_url = database_url
        self.db = db_engine or make_engine(database_url, echo=echo)
        self.session_factory = make_session_factory(self.db)
        install_chain(self.session_factory)
        self.clock = clock or SystemClock()
        self.specs = SpecCache()
        self.extensions = tuple(extensions)
        all_functions: dict[str, Callable[..., Any]] = {}
        all_operations: dict[str, Operation] = {}
        for ext in self.extensions:
            all_functions.update(ext.functions)
            all_operations.update(ext.operations)
            LANES.personal.update(ext.lanes)
            if ext.roles is not None:
                LANES.roles = ext.roles
        all_functions.update(functions or {})
        all_operations.update(operations or {})
        self.runtime = Runtime(self.clock, all_functions, limits, all_operations)

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
