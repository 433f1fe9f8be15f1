"""Administrator operations on instances: suspend, resume, terminate, retry, reassign, and the admin lists.

Every operation checks that the actor is an administrator, runs in one transaction, appends its audit
event in that transaction and bumps the instance's version, so a form opened before someone else's change
is refused with a conflict instead of silently overwriting it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased, load_only
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from engine.access import LANES, in_role
from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.deploy import ProcessVersion, latest_process_names
from engine.db.notify import TASK_ASSIGNED
from engine.db.org import Position, User
from engine.db.runtime import (
    COMPLETED,
    ERROR,
    INSTANCE_STATUSES,
    RUNNING,
    SUSPENDED,
    TERMINATED,
    WAITING,
    Instance,
    TaskIndex,
)
from engine.errors import (
    N_,
    Conflict,
    FieldError,
    FormInvalid,
    InvalidState,
    Message,
    NotFound,
    PermissionDenied,
    ProcessError,
)
from engine.runtime.runner import StepFailure
from engine.services import audit, handover
from engine.services.inbox import Page
from engine.services.notifications import notify_task
from engine.services.stepping import after_save, record_changes

STATUS_WORDS = {RUNNING: N_("running"), WAITING: N_("waiting"), COMPLETED: N_("completed"), ERROR: N_("error"),
                SUSPENDED: N_("suspended"), TERMINATED: N_("terminated")}
# Which operations each status allows; the admin page shows only these buttons.
ALLOWED = {
    RUNNING: ("suspend", "terminate"),
    WAITING: ("suspend", "terminate"),
    SUSPENDED: ("resume", "terminate"),
    ERROR: ("retry", "terminate"),
    COMPLETED: (),
    TERMINATED: (),
}
CANNOT = {  # why an operation is refused, one sentence per operation
    "suspend": N_("Instance #%(id)s is %(status)s, so it cannot be suspended"),
    "resume": N_("Instance #%(id)s is %(status)s, so it cannot be resumed"),
    "terminate": N_("Instance #%(id)s is %(status)s, so it cannot be terminated"),
    "retry": N_("Instance #%(id)s is %(status)s, so it cannot be retried"),
}
CONFLICT = N_("Someone else changed this process meanwhile; reload the page")


@dataclass
class AdminResult:
    id: int
    status: str
    version: int


@dataclass
class InstanceRow:
    id: int
    process_id: str
    process_name: str
    subject_name: str
    period: str
    status: str
    version: int
    started_at: datetime
    updated_at: datetime
    error_message: str | None
    error_task: str | None
    error_line: int | None


@dataclass
class OpenTask:
    id: str
    title: str
    lane: str | None
    assignee_id: int | None
    assignee_name: str
    due_at: datetime | None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class EventRow:
    at: datetime
    kind: str
    actor: str
    task_name: str | None
    data: dict[str, Any]


@dataclass
class AdminInstanceView:
    instance: InstanceRow
    allowed: tuple[str, ...]
    open_tasks: list[OpenTask]
    events: list[EventRow]


@dataclass
class UserChoice:
    id: int
    username: str
    full_name: str
    nip: str = ""
    position: str = ""


# --- guards ---------------------------------------------------------------------------------------


def _admin(session: Session, actor_id: int) -> User:
    actor = session.get(User, actor_id)
    if actor is None or not actor.active or not in_role(session, actor_id, LANES.roles.admin):
        raise PermissionDenied("admin.required", N_("Only an administrator may do this"))
    return actor


def _instance(session: Session, instance_id: int, expected_version: int | None = None) -> Instance:
    instance = session.get(Instance, instance_id)
    if instance is None:
        raise NotFound("instance.not_found", N_("Instance not found"))
    if expected_version is not None and instance.version != expected_version:
        raise Conflict("instance.changed", CONFLICT)
    return instance


def _require(instance: Instance, action: str) -> None:
    if action not in ALLOWED.get(instance.status, ()):
        status = Message(f"status.{instance.status}", STATUS_WORDS.get(instance.status, instance.status))
        raise InvalidState(f"instance.cannot_{action}", CANNOT[action], id=instance.id, status=status)


def _reason(reason: str | None, required: bool) -> str:
    text = (reason or "").strip()
    if required and not text:
        raise FormInvalid([FieldError("reason", Message("reason.required", N_("A reason is required")))])
    return text[:2000]


# --- state changes --------------------------------------------------------------------------------


def suspend(engine: Engine, actor_id: int, instance_id: int, reason: str = "",
            expected_version: int | None = None) -> AdminResult:
    """Pause a running or waiting instance: its tasks cannot be completed and its timers do not fire."""
    return _set_status(engine, actor_id, instance_id, "suspend", reason, expected_version)


def resume(engine: Engine, actor_id: int, instance_id: int, reason: str = "",
           expected_version: int | None = None) -> AdminResult:
    """Let a suspended instance run again (running when it has open tasks, else waiting)."""
    return _set_status(engine, actor_id, instance_id, "resume", reason, expected_version)


def _set_status(engine: Engine, actor_id: int, instance_id: int, action: str, reason: str,
                expected_version: int | None) -> AdminResult:
    try:
        with engine.session_factory.begin() as session:
            actor = _admin(session, actor_id)
            instance = _instance(session, instance_id, expected_version)
            _require(instance, action)
            before, now = instance.status, engine.now()
            if action == "suspend":
                instance.status = SUSPENDED
            else:
                has_open = session.scalar(select(TaskIndex.id).where(TaskIndex.instance_id == instance.id,
                                                                     TaskIndex.closed_at.is_(None)).limit(1))
                instance.status = RUNNING if has_open else WAITING
            instance.updated_at = now
            kind = "instance.suspended" if action == "suspend" else "instance.resumed"
            audit.record(session, kind, now, actor, instance_id=instance.id, reason=_reason(reason, False),
                         previous=before)
            session.flush()
            return AdminResult(instance.id, instance.status, instance.version)
    except StaleDataError as exc:
        raise Conflict("instance.changed", CONFLICT) from exc


def terminate(engine: Engine, actor_id: int, instance_id: int, reason: str,
              expected_version: int | None = None) -> AdminResult:
    """End an instance for good: cancel its workflow and its open tasks, keeping the reason in the audit."""
    try:
        with engine.session_factory.begin() as session:
            actor = _admin(session, actor_id)
            instance = _instance(session, instance_id, expected_version)
            _require(instance, "terminate")
            text = _reason(reason, True)
            before, now = instance.status, engine.now()
            open_ids = list(session.scalars(select(TaskIndex.id).where(TaskIndex.instance_id == instance.id,
                                                                       TaskIndex.closed_at.is_(None))))
            bundle = engine.specs.get(session, instance.process_version.deployment_id)
            workflow = engine.runtime.load(instance, bundle)
            workflow.cancel()
            # save() writes the cancelled state and closes the open task rows as "cancelled"; it calls a
            # cancelled workflow "completed", which is not what happened.
            engine.runtime.save(session, instance, workflow, bundle, now)
            instance.status, instance.completed_at, instance.next_timer_at = TERMINATED, now, None
            audit.record(session, "instance.terminated", now, actor, instance_id=instance.id, reason=text,
                         previous=before, cancelled_tasks=open_ids)
            session.flush()
            return AdminResult(instance.id, instance.status, instance.version)
    except StaleDataError as exc:
        raise Conflict("instance.changed", CONFLICT) from exc


def retry(engine: Engine, actor_id: int, instance_id: int, data_patch: dict[str, Any] | None = None,
          expected_version: int | None = None) -> AdminResult:
    """Re-run the step that failed, from the last good state, after merging corrected data into it.

    The stored state is the one before the failing step. The patch goes into the data of the READY and
    WAITING tasks (the user task whose completion failed, a timer that fired into a failing script), or
    into the workflow data when there are none. A user task stays ready: its user completes it again. If the step fails again the instance stays
    errored with the new message and nothing of the patch is kept.
    """
    patch = dict(data_patch or {})
    try:
        with engine.session_factory.begin() as session:
            actor = _admin(session, actor_id)
            instance = _instance(session, instance_id, expected_version)
            _require(instance, "retry")
            now = engine.now()
            previous = {"message": instance.error_message, "task": instance.error_task, "line": instance.error_line}
            bundle = engine.specs.get(session, instance.process_version.deployment_id)
            workflow = engine.runtime.load(instance, bundle)
            # READY tasks are about to run (or be completed again); WAITING ones (a timer, a message) pass
            # their data on to the step that failed after them.
            targets = list(workflow.get_tasks(state=TaskState.READY | TaskState.WAITING))
            for task in targets:
                task.data.update(patch)
            if not targets:
                workflow.data.update(patch)
            instance.status = RUNNING
            instance.error_message = instance.error_task = instance.error_line = None
            engine.advance(session, instance, workflow, actor_id)
            created = engine.runtime.save(session, instance, workflow, bundle, now)
            audit.record(session, "instance.retried", now, actor, instance_id=instance.id, ok=True, patch=patch,
                         previous_error=previous)
            record_changes(session, instance, created, now, actor)
            after_save(engine, session, instance, workflow)
            session.flush()
            return AdminResult(instance.id, instance.status, instance.version)
    except StaleDataError as exc:
        raise Conflict("instance.changed", CONFLICT) from exc
    except StepFailure as failure:
        _record_failed_retry(engine, actor_id, instance_id, failure, patch)
        raise ProcessError("instance.retry_failed", N_("The retry failed: %(detail)s"), instance_id,
                           failure.task, failure.line, detail=failure.message) from failure


def _record_failed_retry(engine: Engine, actor_id: int, instance_id: int, failure: StepFailure,
                         patch: dict[str, Any]) -> None:
    with engine.session_factory.begin() as session:
        instance = session.get(Instance, instance_id)
        if instance is None:
            return
        now, actor = engine.now(), session.get(User, actor_id)
        instance.error_message = failure.message[:4000]
        instance.error_task, instance.error_line, instance.updated_at = failure.task, failure.line, now
        audit.record(session, "instance.retried", now, actor, instance_id=instance_id, ok=False, patch=patch,
                     message=failure.message)
        audit.record(session, "instance.errored", now, actor, task_name=failure.task, instance_id=instance_id,
                     message=failure.message, line=failure.line)


def reassign(engine: Engine, actor_id: int, task_id: str, user_id: int) -> AdminResult:
    """Give an open task to another active user; only they see it in their inbox from now on."""
    try:
        with engine.session_factory.begin() as session:
            actor = _admin(session, actor_id)
            row = session.get(TaskIndex, task_id)
            if row is None:
                raise NotFound("task.not_found", N_("Task not found"))
            if row.closed_at is not None:
                raise InvalidState("task.closed", N_("This task is closed, so it cannot be reassigned"))
            target = session.get(User, user_id)
            if target is None:
                raise NotFound("user.not_found", N_("User not found"))
            if not target.active:
                raise InvalidState("user.inactive", N_("%(name)s is not active"), name=target.full_name)
            if row.assignee_id == user_id:
                raise InvalidState("task.already_assigned", N_("This task is already assigned to %(name)s"),
                                   name=target.full_name)
            instance = _instance(session, row.instance_id)
            now, before = engine.now(), row.assignee_id
            row.assignee_id = user_id
            instance.updated_at = now
            flag_modified(instance, "updated_at")  # bump the version even when the clock has not moved
            audit.record(session, "task.reassigned", now, actor, instance_id=instance.id, task_id=row.id,
                         task_name=row.task_name, from_user=before, to_user=user_id)
            notify_task(session, row, TASK_ASSIGNED, [target], now)
            session.flush()
            return AdminResult(instance.id, instance.status, instance.version)
    except StaleDataError as exc:
        raise Conflict("instance.changed", CONFLICT) from exc


# --- reading --------------------------------------------------------------------------------------


def _row(instance: Instance, process_name: str, subject_name: str) -> InstanceRow:
    return InstanceRow(instance.id, instance.process_id, process_name, subject_name, instance.period,
                       instance.status, instance.version, instance.started_at, instance.updated_at,
                       instance.error_message, instance.error_task, instance.error_line)


def list_instances(engine: Engine, actor_id: int, status: str | None = None, process_id: str | None = None,
                   page: int = 1, per_page: int = 20) -> Page:
    """Return one page of instances, most recently changed first, optionally filtered by status and process."""
    per_page, page = max(1, min(per_page, 100)), max(1, page)
    with engine.session_factory() as session:
        _admin(session, actor_id)
        subject = aliased(User)
        where = []
        if status:
            if status not in INSTANCE_STATUSES:
                raise NotFound("status.unknown", N_("Unknown status: %(status)s"), status=status)
            where.append(Instance.status == status)
        if process_id:
            where.append(Instance.process_id == process_id)
        total = session.scalar(select(func.count(Instance.id)).where(*where)) or 0
        # The row's small columns only (never the workflow state), in the order of ix_instance_updated_at_id.
        rows = session.execute(
            select(Instance, ProcessVersion.name, subject.full_name)
            .options(load_only(Instance.id, Instance.process_id, Instance.period, Instance.status, Instance.version,
                               Instance.started_at, Instance.updated_at, Instance.error_message, Instance.error_task,
                               Instance.error_line))
            .join(ProcessVersion, ProcessVersion.id == Instance.process_version_id)
            .outerjoin(subject, subject.id == Instance.subject_id).where(*where)
            .order_by(Instance.updated_at.desc(), Instance.id.desc())
            .offset((page - 1) * per_page).limit(per_page)).all()
        return Page([_row(i, name, full_name or "") for i, name, full_name in rows], page, per_page, total)


def get_instance(engine: Engine, actor_id: int, instance_id: int, events: int = 30) -> AdminInstanceView:
    """Return what the admin page shows: the instance, allowed operations, open tasks and recent events."""
    with engine.session_factory() as session:
        _admin(session, actor_id)
        instance = _instance(session, instance_id)
        subject = session.get(User, instance.subject_id) if instance.subject_id else None
        row = _row(instance, instance.process_version.name, subject.full_name if subject else "")
        tasks = []
        for t in session.scalars(select(TaskIndex).where(TaskIndex.instance_id == instance.id,
                                                         TaskIndex.closed_at.is_(None)).order_by(TaskIndex.ready_at)):
            assignee = session.get(User, t.assignee_id) if t.assignee_id else None
            tasks.append(OpenTask(t.id, t.title, t.lane, t.assignee_id, assignee.full_name if assignee else "",
                                  t.due_at))
        if instance.status == ERROR:
            _attach_ready_data(engine, session, instance, tasks)
        history = [EventRow(e.at, e.kind, e.actor, e.task_name, dict(e.data or {})) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.instance_id == instance.id)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(events))]
        return AdminInstanceView(row, ALLOWED.get(instance.status, ()), tasks, history)


def _attach_ready_data(engine: Engine, session: Session, instance: Instance, tasks: list[OpenTask]) -> None:
    # Only for errored instances: the admin corrects data against what the failed step saw.
    bundle = engine.specs.get(session, instance.process_version.deployment_id)
    workflow = engine.runtime.load(instance, bundle)
    by_id = {t.id: t for t in tasks}
    for task in workflow.get_tasks(state=TaskState.READY):
        if str(task.id) in by_id:
            by_id[str(task.id)].data = dict(task.data)


PICKER_LIMIT = 20  # type-ahead answers: enough to pick from, small enough for a phone (at most 50 asked)


def task_candidates(session: Session, row: TaskIndex) -> frozenset[int]:
    """Who may act on the task by its lane, whatever its current assignment: the subject, the holders of the
    superior position and today's Plt/Plh, the lane's group members, the named candidates (active users only)."""
    unassigned = SimpleNamespace(id=row.id, assignee_id=None, lane=row.lane, subject_id=row.subject_id,
                                 candidate_groups=row.candidate_groups or "", candidate_users=row.candidate_users or "")
    return handover.open_task_actors(session, [cast(TaskIndex, unassigned)])[row.id]


def user_choices(engine: Engine, actor_id: int, text: str, limit: int = PICKER_LIMIT,
                 task_id: str | None = None) -> list[UserChoice]:
    """Return the active users whose name, username, NIP or position title contains every word of ``text``, by
    name, at most ``limit`` (1..50); nobody for fewer than 2 characters. With ``task_id``, only the people who may
    act on that task by its lane (``task_candidates``) — and all of them when ``text`` is empty. For the reassign
    picker: the page never lists every user of the organisation."""
    words = text.strip()[:100].split()
    limit = max(1, min(limit, 50))
    with engine.session_factory() as session:
        _admin(session, actor_id)
        allowed: frozenset[int] | None = None
        if task_id is not None:
            row = session.get(TaskIndex, task_id)
            allowed = task_candidates(session, row) if row is not None else frozenset()
        if len("".join(words)) < 2 and allowed is None:
            return []
        query = select(User, Position.title).outerjoin(Position, Position.id == User.position_id).where(User.active)
        if allowed is not None:
            query = query.where(User.id.in_(sorted(allowed)))
        for word in words:
            query = query.where(or_(*(column.icontains(word, autoescape=True) for column in (
                User.full_name, User.username, User.nip, Position.title))))
        return [UserChoice(u.id, u.username, u.full_name, u.nip or "", title or "") for u, title in session.execute(
            query.order_by(User.full_name, User.id).limit(limit))]


def find_user(engine: Engine, actor_id: int, text: str) -> int | None:
    """Return the id of the user whose username or NIP is exactly ``text`` (the picker's plain text field
    without JavaScript, or a choice it filled in), or None."""
    key = text.strip()
    with engine.session_factory() as session:
        _admin(session, actor_id)
        if not key:
            return None
        return session.scalar(select(User.id).where(or_(User.username == key, User.nip == key)).order_by(User.id)
                              .limit(1))


# --- timers ---------------------------------------------------------------------------------------

TIMER_EVENTS = ("TimerEventDefinition", "DurationTimerEventDefinition", "TimeDateEventDefinition",
                "CycleTimerEventDefinition")


@dataclass
class TimerRow:
    element: str  # the timer event's name in the model (its id when it has none)
    due_at: datetime | None
    due: bool  # its time has passed: the worker fires it on its next pass, or an administrator now


def _due_time(value: Any) -> datetime | None:
    if isinstance(value, dict):
        value = value.get("next") or value.get("start")
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    return value if isinstance(value, datetime) else None


def instance_timers(engine: Engine, actor_id: int, instance_id: int) -> list[TimerRow]:
    """Return the instance's waiting timers, earliest first (its workflow loaded once; administrators only)."""
    with engine.session_factory() as session:
        _admin(session, actor_id)
        instance = _instance(session, instance_id)
        if instance.status not in (RUNNING, WAITING, SUSPENDED, ERROR):
            return []
        try:
            workflow = engine.runtime.load(instance, engine.specs.for_version(session, instance.process_version_id))
        except Exception:  # a state that no longer loads: the page says so through its error, not here
            return []
        now = engine.now()
        rows = []
        for task in workflow.get_tasks(state=TaskState.WAITING):
            definition = getattr(task.task_spec, "event_definition", None)
            if definition is None or type(definition).__name__ not in TIMER_EVENTS:
                continue
            due_at = _due_time(definition.details(task).value)
            spec = task.task_spec
            rows.append(TimerRow(str(getattr(spec, "bpmn_name", None) or getattr(spec, "bpmn_id", None) or spec.name),
                                 due_at, due_at is not None and due_at < now))
        return sorted(rows, key=lambda r: (r.due_at is None, r.due_at or now))


def fire_due_timers_now(engine: Engine, actor_id: int, instance_id: int,
                        expected_version: int | None = None) -> AdminResult:
    """Fire the instance's due timers now instead of at the worker's next pass (administrators only), recording
    who did it in the same transaction; InvalidState when none is due or the instance is not running."""
    from engine.services.stepping import fire_due_timers_in_session

    try:
        with engine.session_factory.begin() as session:
            actor = _admin(session, actor_id)
            instance = _instance(session, instance_id, expected_version)
            now = engine.now()
            if instance.status not in (RUNNING, WAITING):
                raise InvalidState("timer.not_running", N_("Only a running instance's timers can fire"))
            if instance.next_timer_at is None or instance.next_timer_at >= now:
                raise InvalidState("timer.none_due", N_("No timer of this instance is due yet"))
            due_at = instance.next_timer_at
            bundle = engine.specs.for_version(session, instance.process_version_id)
            workflow = engine.runtime.load(instance, bundle)
            audit.record(session, "timer.fired", now, actor, instance_id=instance.id, due_at=due_at.isoformat(),
                         by_hand=True)
            fire_due_timers_in_session(engine, session, instance, workflow, bundle, now)
            after_save(engine, session, instance, workflow)
            session.flush()
            return AdminResult(instance.id, instance.status, instance.version)
    except StaleDataError as exc:
        raise Conflict("instance.changed", CONFLICT) from exc
    except StepFailure as failure:
        from engine.services.instances import mark_error

        mark_error(engine, instance_id, failure)
        raise ProcessError("timer.failed", N_("The timer fired but the process stopped with an error: %(error)s"),
                           instance_id, error=str(failure)) from failure


def process_choices(engine: Engine, actor_id: int) -> list[tuple[str, str]]:
    """Return (process id, name of its latest version) of every deployed process, by name (administrators only)."""
    with engine.session_factory() as session:
        _admin(session, actor_id)
        return latest_process_names(session)
