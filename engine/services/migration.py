"""Move running instances of a process to another deployed version of it.

An instance can move when no task it has completed, or that is ready or running now, was removed from the
new version or changed in it (SpiffWorkflow's ``diff_workflow``: the steps already taken, and the step a
person is about to take, mean the same in both versions). A step already completed may have a new lane, name,
form or other user-task property (``_NOT_EXECUTED_ONCE_DONE``): those matter only while it waits for someone. The
step it stands on may gain or lose ``waitingStep``: its open task row takes the new value. Waiting tasks (a timer,
a message) and steps not reached yet may change: that is what a migration is for. SpiffWorkflow's ``migrate_workflow`` then points
every task at its counterpart in the new version and re-predicts the branches of ready and waiting tasks, so
a changed timer starts again from the moment of the move with the new duration (say so to the people
concerned). The instance also takes the decision tables in force now (as a new instance would).

Each instance moves in its own transaction (a failure leaves that instance where it was and the others
moved); every move is an audit event with the process versions before and after. A run is resumable: the
instances already on the target version are simply not candidates any more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.access import LANES, in_role
from engine.core import Engine
from engine.db.deploy import ProcessVersion
from engine.db.org import User
from engine.db.runtime import ERROR, RUNNING, SUSPENDED, WAITING, Instance, TaskIndex
from engine.deploy.bundles import ParsedBundle
from engine.errors import N_, Conflict, NotFound, PermissionDenied
from engine.runtime.compaction import history
from engine.runtime.decisions import PINS, latest_versions
from engine.runtime.runner import waiting_step
from engine.runtime.spiff_clock import spiff_now
from engine.services import audit
from engine.services.diff import spec_registry
from engine.services.stepping import after_save, record_changes

#: Instances in these states are "running" for a migration (a completed or terminated one never moves).
MOVABLE_STATUSES = (RUNNING, WAITING, SUSPENDED, ERROR)
#: Task states whose spec must be the same in the new version.
_SETTLED = TaskState.COMPLETED | TaskState.READY | TaskState.STARTED | TaskState.ERROR

@dataclass(frozen=True)
class Reason:
    """A settled step that keeps an instance where it is: ``state`` completed/ready/running/failed,
    ``change`` removed/changed (``step`` empty and ``change`` "subprocess" when a whole subprocess is gone)."""

    step: str
    state: str
    change: str

    def __str__(self) -> str:
        if self.change == "subprocess":
            return f"the subprocess {self.step} does not exist in the new version"
        return f"step {self.step} is {self.state} and was {self.change}"


@dataclass
class Blocked:
    """An instance that cannot move, and why (one reason per settled task that changed or disappeared)."""

    instance_id: int
    business_key: str
    version: int
    reasons: list[Reason]


@dataclass
class MigrationPlan:
    process_id: str
    to_version: int
    movable: list[int] = field(default_factory=list)
    blocked: list[Blocked] = field(default_factory=list)
    on_target: int = 0
    #: Candidates not examined because of the plan's limit (a page examines the first few hundred only).
    unexamined: int = 0

    @property
    def candidates(self) -> int:
        return len(self.movable) + len(self.blocked)


@dataclass
class BatchResult:
    moved: list[int] = field(default_factory=list)
    blocked: list[Blocked] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    remaining: int = 0


def _may_migrate(session: Session, actor_id: int | None) -> User | None:
    """Process owners and administrators; None (the command line) acts as the system."""
    if actor_id is None:
        return None
    actor = session.get(User, actor_id)
    if actor is None or not actor.active or not in_role(session, actor_id, LANES.roles.model_managers):
        raise PermissionDenied("migration.denied", N_("Only process owners and administrators may migrate instances"))
    return actor


def _target(session: Session, process_id: str, to_version: int | None) -> ProcessVersion:
    query = select(ProcessVersion).where(ProcessVersion.process_id == process_id)
    query = query.where(ProcessVersion.version == to_version) if to_version is not None else \
        query.order_by(ProcessVersion.version.desc())
    target = session.scalars(query.limit(1)).first()
    if target is None:
        raise NotFound("migration.no_version", N_("process %(process)s has no version %(version)s"),
                       process=process_id, version=to_version if to_version is not None else "")
    return target


def _candidate_ids(session: Session, target: ProcessVersion, after_id: int = 0, limit: int | None = None) -> list[int]:
    earlier = select(ProcessVersion.id).where(ProcessVersion.process_id == target.process_id,
                                              ProcessVersion.version < target.version)
    query = (select(Instance.id).where(Instance.process_id == target.process_id,
                                       Instance.process_version_id.in_(earlier),
                                       Instance.status.in_(MOVABLE_STATUSES), Instance.id > after_id)
             .order_by(Instance.id))
    return list(session.scalars(query.limit(limit) if limit else query))


def _specs(bundle: ParsedBundle, process_id: str) -> tuple[Any, dict[str, Any]]:
    info = bundle.processes[process_id]
    return info.spec, info.subprocess_specs


def _task_words(task: Any) -> str:
    spec = task.task_spec
    name = getattr(spec, "bpmn_name", None)
    ident = getattr(spec, "bpmn_id", None) or spec.name
    return f"'{name}' ({ident})" if name else str(ident)


_STATE_WORDS = {TaskState.COMPLETED: "completed", TaskState.READY: "ready", TaskState.STARTED: "running",
                TaskState.ERROR: "failed"}


#: Attributes of a task spec that say how it reads, not what it does: a change there never blocks a move.
_NOT_EXECUTED = {"documentation", "description"}
# What only matters while a step waits for a person (who may act on it, what it is called, its form, its
# presentation: the lane, the name, the user task's properties and instructions). A step already completed means
# the same whatever its lane or form is now called: its record, the audit trail and the task history, stays.
_NOT_EXECUTED_ONCE_DONE = _NOT_EXECUTED | {"lane", "bpmn_name"}
_PRESENTATION_EXTENSIONS = {"properties", "instructionsForEndUser"}
# User-task properties the move brings to a step the instance stands on: its open task row takes them from the new
# version (``_refresh_open_rows``), so they may differ.
_REFRESHED_PROPERTIES = {"waitingStep"}


def _executes_differently(old: Any, new: Any, done: bool = False) -> bool:
    if new is None:
        return True
    before, after = spec_registry().convert(old), spec_registry().convert(new)
    for spec in (before, after):
        extensions = spec.get("extensions")
        if not isinstance(extensions, dict):
            continue
        if done:
            spec["extensions"] = {k: v for k, v in extensions.items() if k not in _PRESENTATION_EXTENSIONS}
        elif isinstance(extensions.get("properties"), dict):
            kept = {k: v for k, v in extensions["properties"].items() if k not in _REFRESHED_PROPERTIES}
            spec["extensions"] = {k: v for k, v in extensions.items() if k != "properties"} | (
                {"properties": kept} if kept else {})
    ignored = _NOT_EXECUTED_ONCE_DONE if done else _NOT_EXECUTED
    return any(before.get(k) != after.get(k) for k in set(before) | set(after) if k not in ignored)


def _reasons(workflow: Any, new_bundle: ParsedBundle, process_id: str) -> tuple[list[Reason], Any, dict[str, Any]]:
    """Why the workflow cannot move (empty when it can), with the diffs migrate_workflow needs."""
    new_spec, new_deps = _specs(new_bundle, process_id)
    top_diff, sub_diffs = diff_workflow(spec_registry(), workflow, new_spec, new_deps)
    reasons: list[Reason] = []
    for diff, owner in [(top_diff, workflow)] + [(d, workflow.subprocesses[sp_id]) for sp_id, d in sub_diffs.items()]:
        if diff is None:
            reasons.append(Reason(owner.spec.name, "", "subprocess"))
            continue
        changed = [t for t in diff.changed if _executes_differently(t.task_spec, diff.alignment.get(t),
                                                                   done=bool(t.state & TaskState.COMPLETED))]
        for change, tasks in (("removed", diff.removed), ("changed", changed)):
            for task in tasks:
                if task.state & _SETTLED and getattr(task.task_spec, "bpmn_id", None):
                    reasons.append(Reason(_task_words(task), _STATE_WORDS.get(task.state, "settled"), change))
    # Steps taken in iterations compacted out of the state (engine/runtime/compaction.py) must exist too.
    present = {getattr(t.task_spec, "bpmn_id", None) for t in workflow.tasks.values()}
    for bpmn_id in history(workflow)["completed"]:
        old_spec = workflow.spec.task_specs.get(bpmn_id)
        if bpmn_id in present or old_spec is None:
            continue
        new = new_spec.task_specs.get(bpmn_id)
        if new is None or _executes_differently(old_spec, new, done=True):
            name = getattr(old_spec, "bpmn_name", None)
            reasons.append(Reason(f"'{name}' ({bpmn_id})" if name else bpmn_id, "completed",
                                  "removed" if new is None else "changed"))
    return reasons, top_diff, sub_diffs


def candidate_count(engine: Engine, process_id: str, to_version: int) -> int:
    """How many running instances of other versions of the process there are (without examining them)."""
    with engine.session_factory() as session:
        target = _target(session, process_id, to_version)
        return len(_candidate_ids(session, target))


def plan(engine: Engine, process_id: str, to_version: int | None = None, actor_id: int | None = None,
         limit: int | None = None) -> MigrationPlan:
    """Which running instances of earlier versions can move to ``to_version`` (default: the latest); with
    ``limit``, only the first ``limit`` candidates are examined (``unexamined`` counts the rest)."""
    with engine.session_factory() as session:
        _may_migrate(session, actor_id)
        target = _target(session, process_id, to_version)
        result = MigrationPlan(process_id, target.version)
        result.on_target = len(list(session.scalars(select(Instance.id).where(
            Instance.process_version_id == target.id, Instance.status.in_(MOVABLE_STATUSES)))))
        new_bundle = engine.specs.get(session, target.deployment_id)
        candidates = _candidate_ids(session, target)
        if limit is not None and len(candidates) > limit:
            result.unexamined = len(candidates) - limit
            candidates = candidates[:limit]
        for instance_id in candidates:
            instance = session.get(Instance, instance_id)
            assert instance is not None
            workflow = engine.runtime.load(instance, engine.specs.get(session, instance.process_version.deployment_id))
            reasons, _, _ = _reasons(workflow, new_bundle, process_id)
            if reasons:
                result.blocked.append(Blocked(instance.id, instance.business_key, instance.process_version.version,
                                              reasons))
            else:
                result.movable.append(instance.id)
        return result


def migrate_batch(engine: Engine, process_id: str, to_version: int | None = None, actor_id: int | None = None,
                  batch_size: int = 100, after_id: int = 0) -> BatchResult:
    """Move up to ``batch_size`` candidate instances (ids above ``after_id``), each in its own transaction."""
    with engine.session_factory() as session:
        _may_migrate(session, actor_id)
        target = _target(session, process_id, to_version)
        ids = _candidate_ids(session, target, after_id, batch_size)
    result = BatchResult()
    for instance_id in ids:
        try:
            blocked = _move_one(engine, instance_id, target.id, actor_id)
        except StaleDataError:
            result.failed[instance_id] = "the instance changed while it was being moved; run the migration again"
            continue
        except Exception as exc:  # noqa: BLE001 - one instance's failure must not stop the batch
            result.failed[instance_id] = f"{type(exc).__name__}: {exc}"
            continue
        if blocked is None:
            result.moved.append(instance_id)
        else:
            result.blocked.append(blocked)
    with engine.session_factory() as session:
        result.remaining = len(_candidate_ids(session, target, ids[-1] if ids else after_id))
    return result


def migrate_all(engine: Engine, process_id: str, to_version: int | None = None, actor_id: int | None = None,
                batch_size: int = 100, progress: Any = None) -> BatchResult:
    """Move every movable instance, batch after batch; ``progress(batch_result)`` is called after each."""
    total = BatchResult()
    after_id = 0
    while True:
        batch = migrate_batch(engine, process_id, to_version, actor_id, batch_size, after_id)
        total.moved += batch.moved
        total.blocked += batch.blocked
        total.failed.update(batch.failed)
        if progress is not None:
            progress(batch)
        handled = batch.moved + [b.instance_id for b in batch.blocked] + list(batch.failed)
        if not handled or batch.remaining == 0:
            return total
        after_id = max(handled)


def _move_one(engine: Engine, instance_id: int, target_version_id: int, actor_id: int | None) -> Blocked | None:
    with engine.session_factory.begin() as session:
        actor = _may_migrate(session, actor_id)
        instance = session.get(Instance, instance_id)
        target = session.get(ProcessVersion, target_version_id)
        if instance is None or target is None:
            raise NotFound("instance.not_found", N_("Instance not found"))
        if instance.process_version_id == target.id or instance.status not in MOVABLE_STATUSES:
            raise Conflict("migration.moved", N_("the instance was moved or finished meanwhile"))
        source = instance.process_version
        old_bundle = engine.specs.get(session, source.deployment_id)
        new_bundle = engine.specs.get(session, target.deployment_id)
        workflow = engine.runtime.load(instance, old_bundle)
        reasons, top_diff, sub_diffs = _reasons(workflow, new_bundle, instance.process_id)
        if reasons:
            return Blocked(instance.id, instance.business_key, source.version, reasons)
        new_spec, new_deps = _specs(new_bundle, instance.process_id)
        now = engine.now()
        clock = spiff_now.set(now)  # re-predicted timers start from the engine's now, not the wall clock
        try:
            migrate_workflow(top_diff, workflow, new_spec)
            for sp_id, sub_diff in sub_diffs.items():
                sub = workflow.subprocesses[sp_id]
                migrate_workflow(sub_diff, sub, new_deps[sub.spec.name])
        finally:
            spiff_now.reset(clock)
        workflow.subprocess_specs = new_deps
        pins = latest_versions(session)
        setattr(workflow, PINS, pins)  # the decision tables in force now, as a new instance would take them
        status = instance.status
        instance.process_version_id = target.id
        instance.process_version = target
        if status in (RUNNING, WAITING):
            engine.advance(session, instance, workflow, actor_id)
        created = engine.runtime.save(session, instance, workflow, new_bundle, now)
        _refresh_open_rows(session, instance, workflow)
        if status in (SUSPENDED, ERROR):
            instance.status = status  # a paused or failed instance stays so on its new version
        audit.record(session, "instance.migrated", now, actor, instance_id=instance.id,
                     deployment_id=target.deployment_id, process=instance.process_id,
                     from_version=source.version, to_version=target.version,
                     from_deployment=source.deployment_id, to_deployment=target.deployment_id,
                     decisions=len(pins))
        record_changes(session, instance, created, now, actor)
        after_save(engine, session, instance, workflow)
        return None


def _refresh_open_rows(session: Session, instance: Instance, workflow: Any) -> None:
    """Give the open task rows the new version's ``_REFRESHED_PROPERTIES`` (a step that became a waiting step is
    listed and counted as one from the move on)."""
    for row in session.scalars(select(TaskIndex).where(TaskIndex.instance_id == instance.id,
                                                       TaskIndex.closed_at.is_(None))):
        try:
            task = workflow.get_task_from_id(UUID(row.id))
        except (ValueError, KeyError, TaskNotFoundException):
            continue
        props = (getattr(task.task_spec, "extensions", None) or {}).get("properties", {})
        row.waiting = waiting_step(props)
