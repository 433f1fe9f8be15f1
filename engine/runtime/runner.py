"""Run SpiffWorkflow for one instance: load onto the cached spec, step, detect failure, save, index tasks."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db.runtime import (
    COMPLETED,
    RUNNING,
    WAITING,
    Instance,
    TaskIndex,
    close_tasks,
    insert_tasks,
    write_instance,
)
from engine.deploy.bundles import ParsedBundle, ProcessInfo, form_for
from engine.limits import current as current_limits
from engine.runtime import timer_guard  # noqa: F401 (refuses timer durations beyond the horizon while running)
from engine.runtime.clock import Clock
from engine.runtime.compaction import compact
from engine.runtime.decisions import DecisionStore, latest_versions
from engine.runtime.serializer import StateSerializer, stored_task
from engine.runtime.spec_cache import SpecCache
from engine.runtime.spiff_clock import spiff_now
from engine.sandbox import SandboxLimits, make_script_engine
from engine.sandbox.pool import SandboxPool
from engine.sandbox.tables import RuleTables, TablesHook, using_tables
from engine.sandbox.templates import render_text

# Service operations see which instance and session they run for through this variable.
_step: ContextVar[StepContext] = ContextVar("_step")

Operation = Callable[["StepContext", dict[str, Any], dict[str, Any]], Any]
#: Called by ``Runtime.save`` in the step's transaction, once the state is written: (session, instance, workflow,
#: ready user tasks, now). An application keeps its own projections of an instance's data with it (e.g. the SKP
#: the cascading report reads), never the engine's tables.
SavedHook = Callable[[Session, Instance, BpmnWorkflow, list[Any], datetime], None]


class EngineHandle(Protocol):
    """What a service operation may reach of the engine that runs it (``engine.core.Engine``)."""

    specs: SpecCache
    runtime: Runtime
    session_factory: Any

    def now(self) -> datetime: ...

    def advance(self, session: Session, instance: Instance, workflow: BpmnWorkflow, actor_id: int | None,
                before: Callable[[], None] | None = None) -> None: ...


@dataclass
class StepContext:
    """What a service-task operation may use: the open session, the instance and the clock."""

    session: Session
    instance: Instance
    now: datetime
    actor_id: int | None
    engine: EngineHandle  # the Engine, for operations that start or message other instances


@dataclass
class StepFailure(Exception):
    """Running the engine raised; the in-memory workflow must be discarded."""

    message: str
    task: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class TaskDataLimits:
    """Bounds on what one step may leave in a task's data (checked after every step, before the save)."""

    max_bytes: int = 2**20  # approximate size of the data as JSON text
    max_depth: int = 100  # nesting of dicts and lists


# Instruction templates (instructionsForEndUser): CPU seconds and characters one rendering may take.
TEMPLATE_CPU_SECONDS = 1.0
TEMPLATE_MAX_CHARS = 100_000


class Runtime:
    """Everything needed to run workflows: serializer, sandboxed script engine and service operations.

    With a ``pool`` (the default an ``Engine`` builds) every expression, script and instruction template runs
    in a sandbox process; service tasks run here, in the caller's transaction.
    """

    def __init__(self, clock: Clock, functions: Mapping[str, Callable[..., Any]] | None = None,
                 limits: SandboxLimits | None = None, operations: Mapping[str, Operation] | None = None,
                 pool: SandboxPool | None = None, data_limits: TaskDataLimits | None = None,
                 table_hooks: tuple[TablesHook, ...] = (), saved_hooks: tuple[SavedHook, ...] = ()):
        self.clock = clock
        self.saved_hooks = tuple(saved_hooks)
        # The extensions' hooks through which their functions read the instance's pinned decision tables.
        self.table_hooks = tuple(table_hooks)
        self.decisions = DecisionStore()
        self.serializer = StateSerializer()
        self.operations: dict[str, Operation] = dict(operations or {})
        self.pool = pool
        self.data_limits = data_limits or TaskDataLimits()
        self.script_engine = make_script_engine(functions=dict(functions or {}), limits=limits,
                                                services=self._call_service, pool=pool)

    def render_template(self, source: str, data: Mapping[str, Any]) -> str:
        """Render an instruction template (Jinja, sandboxed) in a sandbox process, bounded in time and size.

        Raises ``SandboxError`` subclasses (``TemplateFailed``, ``SandboxTimeout``, ``SandboxResourceError``...).
        Without a pool (benchmarks) it renders here, with the size limit but no time limit.
        """
        clean = {k: v for k, v in data.items() if isinstance(k, str) and k.isidentifier()}
        if self.pool is None:
            return render_text(source, clean, TEMPLATE_CPU_SECONDS, TEMPLATE_MAX_CHARS, timer=False)
        return self.pool.render(source, clean, TEMPLATE_CPU_SECONDS, TEMPLATE_MAX_CHARS)

    @contextmanager
    def rules_in_force(self, session: Session) -> Iterator[RuleTables]:
        """Run the application's rule functions outside any instance (a page, a report) with the decision versions
        a new instance would pin now (the latest deployed), through the same hooks as ``advance``."""
        tables = self.decisions.tables(session, latest_versions(session))
        with using_tables(tables, self.table_hooks):
            yield tables

    # -- service tasks ------------------------------------------------------------------------------
    def _call_service(self, operation_name: str, params: dict[str, Any], task_data: dict[str, Any]) -> Any:
        operation = self.operations.get(operation_name)
        if operation is None:
            raise ValueError(f"unknown service operation '{operation_name}'; known: "
                             f"{', '.join(sorted(self.operations)) or 'none'}")
        # Spiff hands each parameter over as {"value": evaluated expression, "type": declared type}.
        values = {k: (v["value"] if isinstance(v, dict) and "value" in v else v) for k, v in params.items()}
        # Spiff json.loads() a service's answer; encode here so a plain string result stays a string.
        return json.dumps(operation(_step.get(), values, task_data), default=str)

    # -- workflows ----------------------------------------------------------------------------------
    def new_workflow(self, info: ProcessInfo) -> BpmnWorkflow:
        return BpmnWorkflow(info.spec, info.subprocess_specs, script_engine=self.script_engine)

    def load(self, instance: Instance, bundle: ParsedBundle) -> BpmnWorkflow:
        info = bundle.processes[instance.process_id]
        return self.serializer.load(instance.state, info.spec, info.subprocess_specs, self.script_engine)

    def stored_task(self, instance: Instance, bundle: ParsedBundle, task_id: str) -> tuple[Any, dict[str, Any]] | None:
        """Return a task's spec and data (restored values, as ``load`` gives them) read from the instance's stored
        state, without restoring the workflow; None when the state does not hold the task."""
        found = stored_task(instance.state, task_id)
        if found is None:
            return None
        info = bundle.processes[instance.process_id]
        process = info.spec if found.subprocess_spec is None else info.subprocess_specs.get(found.subprocess_spec)
        spec = process.task_specs.get(found.task_spec) if process is not None else None
        if spec is None:
            return None
        return spec, self.serializer.restore_data(found.data)

    def advance(self, engine: EngineHandle, session: Session, instance: Instance, workflow: BpmnWorkflow,
                actor_id: int | None, before: Callable[[], None] | None = None) -> None:
        """Run ``before`` (e.g. completing a user task) then every engine step; raise StepFailure on error."""
        now = self.clock.now()
        started = time.time()  # SpiffWorkflow stamps task state changes with time.time()
        token = _step.set(StepContext(session, instance, now, actor_id, engine))
        clock_token = spiff_now.set(now)
        try:
            # The decision versions this instance evaluates all its life (engine/runtime/decisions.py): pinned at
            # its first step; an instance stored before pins existed gets those that were latest when it started.
            pins = self.decisions.pin(session, workflow, instance.started_at if instance.state else None)
            tables = self.decisions.tables(session, pins)
            with using_tables(tables, self.table_hooks):
                if before is not None:
                    before()
                workflow.refresh_timers()
                workflow.do_engine_steps(will_complete_task=_step_budget(current_limits().max_steps_per_advance))
        except SpiffWorkflowException as exc:
            raise _failure(exc) from exc
        except StepFailure:
            raise
        except Exception as exc:  # a bug in a model must never take the process down with it
            raise StepFailure(f"{type(exc).__name__}: {exc}") from exc
        finally:
            _step.reset(token)
            spiff_now.reset(clock_token)
        if workflow.is_completed() and any(True for _ in _live_tasks(workflow)):
            raise StepFailure("SpiffWorkflow reported the process completed while tasks were still open: "
                              "the model probably loops too often inside one instance (see docs/modelling.md)")
        # The data this step left is checked by ``save``, on the JSON text it writes anyway (check_stored_data);
        # remember from when on tasks count as changed (the earliest advance since the last save).
        if getattr(workflow, _CHANGED_SINCE, None) is None:
            setattr(workflow, _CHANGED_SINCE, started)

    def save(self, session: Session, instance: Instance, workflow: BpmnWorkflow, bundle: ParsedBundle,
             now: datetime, completed: tuple[str, int | None] | None = None) -> list[TaskIndex]:
        """Write state, status, timers and the task index; return the index rows that are new.

        ``completed`` is (task id, user id) of the task the user just completed; other open tasks that are no
        longer ready were cancelled by the process (a boundary event, a terminating end).
        """
        compact(workflow)  # finished loop iterations and branches leave the live state (engine/runtime/compaction.py)
        since = getattr(workflow, _CHANGED_SINCE, None)
        try:
            text = self.serializer.dump_text(workflow)
        except (TypeError, ValueError, OverflowError, RecursionError) as exc:
            if since is not None:  # data nested too deep fails the dump too: say so, as the check would
                check_task_data(workflow, since, self.data_limits)
            raise StepFailure(f"the process data cannot be stored as JSON ({type(exc).__name__}: {exc}); a script "
                              "probably left a value JSON cannot hold, such as a dict with non-text keys or an "
                              "integer of more than 4,300 digits") from exc
        if since is not None:
            check_stored_data(workflow, text, since, self.data_limits)
            setattr(workflow, _CHANGED_SINCE, None)
        ready = ready_user_tasks(workflow)
        values: dict[str, Any] = {"state": text, "updated_at": now}
        if workflow.is_completed():
            values.update(status=COMPLETED, completed_at=now)
        else:
            values["status"] = RUNNING if ready else WAITING
        values["next_timer_at"] = next_timer(workflow)
        names = sorted({e.name for e in workflow.waiting_events() if e.event_type == "MessageEventDefinition"})
        values["waiting_messages"] = "," + ",".join(names) + "," if names else ""
        # The versioned UPDATE first: a concurrent loser fails on it (StaleDataError: a Conflict) before writing
        # anything else.
        write_instance(session, instance, values)
        instance.ready_task_ids = [str(t.id) for t in ready]
        for hook in self.saved_hooks:
            hook(session, instance, workflow, ready, now)
        return self._index(session, instance, ready, now, completed)

    def _index(self, session: Session, instance: Instance, ready: list[Any], now: datetime,
               completed: tuple[str, int | None] | None) -> list[TaskIndex]:
        # No autoflush: pending changes cannot alter which rows are open, and every flush has a fixed cost.
        # The open rows come with the instance when the service read them together (complete_task), and are
        # known after every save of this transaction; otherwise they are read here. The rows are written with
        # Core statements (engine.db.runtime.close_tasks, insert_tasks), not at the next flush.
        existing = instance.open_rows
        if existing is None:
            with session.no_autoflush:
                existing = {row.id: row for row in session.scalars(
                    select(TaskIndex).where(TaskIndex.instance_id == instance.id, TaskIndex.closed_at.is_(None)))}
        keep = {str(t.id) for t in ready}
        close_tasks(session, [(row, "completed", completed[1]) if completed and completed[0] == tid
                              else (row, "cancelled", None)
                              for tid, row in existing.items() if tid not in keep], now)
        created = []
        for task in ready:
            tid = str(task.id)
            if tid in existing:
                continue
            spec = task.task_spec
            props = (getattr(spec, "extensions", None) or {}).get("properties", {})
            row = TaskIndex(
                id=tid, instance_id=instance.id, process_id=instance.process_id, task_name=spec.bpmn_id or spec.name,
                title=_title(spec, props, task.data), lane=getattr(spec, "lane", None),
                subject_id=instance.subject_id, assignee_id=None,
                candidate_users=_csv(props.get("candidateUsers")), candidate_groups=_csv(props.get("candidateGroups")),
                period=instance.period, form=form_for(spec)[0], ready_at=now, due_at=_due(props, task.data, now),
                closed_at=None, outcome=None, completed_by_id=None, waiting=waiting_step(props),
            )
            row.fallback_groups = _csv(props.get("fallbackCandidateGroups"))
            created.append(row)
        insert_tasks(session, created)
        instance.open_rows = {tid: row for tid, row in existing.items() if tid in keep} | {r.id: r for r in created}
        return created


def waiting_step(props: dict[str, Any]) -> bool:
    """Tell whether the model declares the user task a waiting step (``waitingStep`` = "true"): the person can
    only look at what the process waits for (and ask for a check now), so it is no work due (the inbox)."""
    return str(props.get("waitingStep") or "").strip().lower() == "true"


def _title(spec: Any, props: dict[str, Any], data: dict[str, Any]) -> str:
    """The task's title: its name, followed by the text of the data field that ``titleSuffixField`` names
    ("Isi realisasi dan bukti dukung (Triwulan 2 — 2027)"), so that inboxes tell apart repeated tasks."""
    title = str(spec.bpmn_name or spec.bpmn_id or spec.name)
    field = props.get("titleSuffixField")
    suffix = data.get(field) if field and isinstance(data, dict) else None
    if isinstance(suffix, str | int) and not isinstance(suffix, bool) and str(suffix).strip():
        title = f"{title} ({str(suffix).strip()})"
    return title[:255]


def _step_budget(most: int) -> Callable[[Any], None]:
    """Return the callback SpiffWorkflow calls before each engine step: past ``most`` steps in one advance the
    model loops without waiting for anyone, and the advance stops (SMK_MAX_STEPS_PER_ADVANCE)."""
    taken = 0

    def count(task: Any) -> None:
        nonlocal taken
        taken += 1
        if taken > most:
            spec = task.task_spec
            raise StepFailure(f"the process ran more than {most:,} steps without waiting for anyone "
                              "(SMK_MAX_STEPS_PER_ADVANCE); it probably loops forever: check its loops and "
                              "call activities", spec.bpmn_name or spec.bpmn_id or spec.name)

    return count


class _DataTooLarge(Exception):
    pass


_SCALAR_SIZE = {type(None): 4, bool: 5, float: 24}


def _data_size(value: Any, limits: TaskDataLimits) -> int:
    """Return about how many bytes ``value`` takes as JSON (shared parts counted each time); raise
    _DataTooLarge("size" | "depth") as soon as a limit is passed. Iterative: deep data cannot overflow."""
    total = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        kind = type(item)
        if kind is str:
            total += len(item) + 3
        elif kind is dict:
            if depth >= limits.max_depth:
                raise _DataTooLarge("depth")
            total += 2 + 2 * len(item)
            for key, child in item.items():
                total += len(key) + 2 if type(key) is str else 8
                stack.append((child, depth + 1))
        elif kind in (list, tuple, set, frozenset):
            if depth >= limits.max_depth:
                raise _DataTooLarge("depth")
            total += 2 + len(item)
            stack.extend((child, depth + 1) for child in item)
        elif kind is int:
            total += item.bit_length() * 3 // 10 + 2
        elif kind in (Decimal, date, datetime, timedelta):
            total += len(str(item)) + 40  # stored as {"typename": ..., "value": ...}
        else:
            total += _SCALAR_SIZE.get(kind, 24)
        if total > limits.max_bytes:
            raise _DataTooLarge("size")
    return total


# Attribute of a workflow: time.time() when the first advance since its last save began (tasks changed after it
# are the ones that step's check looks at).
_CHANGED_SINCE = "smk_changed_since"
# No value's size estimate (_data_size) is more than this many times the characters it takes in the stored JSON
# text (the worst case is a float: 24 estimated, "0.0" and a separator written), and every value of every task's
# data is written somewhere in the state (the root's data or a delta along the task's path).
_ESTIMATE_PER_CHAR = 9
# Every byte but brackets and quotes, for bytes.translate (which deletes them at C speed).
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b'[]{}"')
_EMPTY_PAIRS = re.compile(rb"\[\]|\{\}")
_ESCAPES = re.compile(rb"\\.")  # a backslash and the character it escapes (of \uXXXX, the digits are not brackets)
_STRINGS = re.compile(rb'"[^"]*"')


def json_nesting(text: str, most: int) -> int:
    """Return how deeply the containers of a JSON text nest (``{}`` is 1), counting no further than ``most + 1``.

    Escapes go first, then every character but brackets and quotes; what is left of the strings (quotes around
    any brackets they held) goes next, then the pairs with nothing inside, a level per pass."""
    encoded = text.encode()
    if b"\\" in encoded:
        encoded = _ESCAPES.sub(b"", encoded)
    reduced = encoded.translate(None, _NOT_BRACKETS).replace(b'""', b"")
    if b'"' in reduced:
        reduced = _STRINGS.sub(b"", reduced)
    depth = 0
    while reduced and depth <= most:
        reduced, found = _EMPTY_PAIRS.subn(b"", reduced)
        if not found:  # not JSON the encoder wrote: let the caller walk the data instead
            return most + 1
        depth += 1
    return depth


def check_stored_data(workflow: BpmnWorkflow, text: str, since: float, limits: TaskDataLimits) -> None:
    """``check_task_data`` for a step whose state was just written as ``text`` (``StateSerializer.dump_text``).

    A state whose text is small and shallow holds no task data over either limit: the data sit two levels or more
    inside the text's outer object, and their estimated size is at most _ESTIMATE_PER_CHAR times their characters.
    Only a state past those bounds has its changed tasks' data walked (which names the task at fault)."""
    if len(text) * _ESTIMATE_PER_CHAR <= limits.max_bytes and \
            json_nesting(text, limits.max_depth + 1) <= limits.max_depth + 1:
        return
    check_task_data(workflow, since, limits)


def check_task_data(workflow: BpmnWorkflow, since: float, limits: TaskDataLimits) -> None:
    """Raise StepFailure when the data of a task this step ran or readied (or the process's data) is too large
    or too deeply nested to be stored."""
    candidates: list[tuple[str | None, Any]] = []
    for wf in _all_workflows(workflow):
        candidates.append((None, wf.data))
        candidates.append((None, getattr(wf, "data_objects", None) or {}))
        for task in wf.tasks.values():
            if task.last_state_change >= since:
                spec = task.task_spec
                candidates.append((spec.bpmn_name or spec.bpmn_id or spec.name, task.data))
    seen: set[int] = set()
    for name, data in candidates:
        if id(data) in seen:
            continue
        seen.add(id(data))
        try:
            _data_size(data, limits)
        except _DataTooLarge as exc:
            where = f"the data of '{name}'" if name else "the process data"
            if exc.args[0] == "depth":
                raise StepFailure(f"{where} is nested deeper than {limits.max_depth} levels and cannot be stored "
                                  f"(SMK_TASK_DATA_MAX_DEPTH)", name) from None
            raise StepFailure(f"{where} is larger than {limits.max_bytes:,} bytes as JSON and cannot be stored "
                              f"(SMK_TASK_DATA_MAX_BYTES); keep large content in documents, not in task data",
                              name) from None


def _csv(value: str | None) -> str:
    names = [v.strip() for v in (value or "").split(",") if v.strip()]
    return "," + ",".join(names) + "," if names else ""


def _due(props: Mapping[str, str], data: Mapping[str, Any], now: datetime) -> datetime | None:
    if props.get("dueInDays"):
        try:
            return now + timedelta(days=float(props["dueInDays"]))
        except ValueError:
            return None
    field = props.get("dueDateField")
    if field and isinstance(data.get(field), str):
        try:
            due = datetime.fromisoformat(data[field])
        except ValueError:
            return None
        return due if due.tzinfo else due.replace(tzinfo=now.tzinfo)
    return None


def _all_workflows(workflow: BpmnWorkflow) -> Iterator[Any]:
    yield workflow
    yield from workflow.subprocesses.values()


def _live_tasks(workflow: BpmnWorkflow) -> Iterator[Any]:
    # Read the task dicts directly: the task iterator stops at depth 1000 and would hide these.
    live = TaskState.READY | TaskState.WAITING | TaskState.STARTED
    for wf in _all_workflows(workflow):
        for task in wf.tasks.values():
            if task.state & live:
                yield task


def ready_user_tasks(workflow: BpmnWorkflow) -> list[Any]:
    """Return READY manual tasks from the task dicts (not the depth-limited iterator)."""
    return [t for t in _live_tasks(workflow) if t.state == TaskState.READY and t.task_spec.manual]


def next_timer(workflow: BpmnWorkflow) -> datetime | None:
    """Return the earliest due time among the workflow's waiting timer events."""
    times = []
    for event in workflow.waiting_events():
        if event.event_type not in ("TimerEventDefinition", "DurationTimerEventDefinition",
                                    "TimeDateEventDefinition", "CycleTimerEventDefinition"):
            continue
        value = event.value
        if isinstance(value, dict):
            value = value.get("next") or value.get("start")
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                continue
        if isinstance(value, datetime):
            times.append(value)
    return min(times) if times else None


def _failure(exc: SpiffWorkflowException) -> StepFailure:
    task = getattr(exc, "task", None)
    task_name = None
    if task is not None:
        spec = task.task_spec
        task_name = spec.bpmn_name or spec.bpmn_id or spec.name
    line = getattr(exc, "line_number", None) or None
    message = str(exc)
    notes = getattr(exc, "notes", None) or getattr(exc, "__notes__", None)
    if notes:
        message += " (" + "; ".join(str(n) for n in notes) + ")"
    return StepFailure(message, task_name, int(line) if line else None)
