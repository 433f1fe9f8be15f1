"""Start instances, complete, claim and release tasks: each call one short transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, cast
from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Executable, Integer, String, and_, bindparam, delete, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from engine.access import LANES, acting_capacity, holds_personal_lane, is_group_task, may_act
from engine.core import Engine
from engine.db.documents import TaskDraft
from engine.db.org import Position, User
from engine.db.runtime import ERROR, RUNNING, WAITING, Instance, TaskIndex
from engine.deploy.bundles import ParsedBundle, form_for
from engine.errors import N_, Conflict, InvalidState, NotFound, PermissionDenied, ProcessError
from engine.runtime.runner import StepFailure
from engine.services import audit
from engine.services.bundle_store import latest_version
from engine.services.forms import validate_submission
from engine.services.stepping import after_save, fire_due_timers_in_session, record_changes, start_in_session

# session.info key: objects a service keeps referenced for its transaction (the identity map holds an object only
# while something refers to it; a lookup of one it dropped is a statement again).
HELD = "smk_held"


@dataclass
class InstanceSummary:
    id: int
    process_id: str
    status: str
    version: int
    subject_id: int | None
    period: str
    ready_task_ids: list[str]
    next_task_id: str | None = None  # after a completion: the first ready task the same user may act on
    again: bool = False  # after a completion: that next task is the same step again (the model sent it back)


@dataclass
class TaskView:
    """Everything a task page needs, read in one transaction."""

    id: str
    instance_id: int
    instance_version: int
    process_id: str
    process_name: str  # the process's name in the model the instance runs ("Perencanaan kinerja (SKP)")
    task_name: str
    title: str
    lane: str | None
    subject_id: int | None
    subject_name: str
    period: str
    assignee_id: int | None
    claimable: bool
    due_at: Any
    form_schema: dict[str, Any] | None
    ui_schema: dict[str, Any] | None
    instructions: str
    data: dict[str, Any]
    draft: tuple[dict[str, Any], Any] | None = None  # the user's saved draft and when it was saved
    instance_status: str = "running"  # a suspended process is announced on the task page before anyone types
    stand_in: bool = False  # the user acts in the lane's place (named because nobody holds that role in the system)


def _summary(instance: Instance, session: Session) -> InstanceSummary:
    session.flush()  # the version the caller sees must be the one the commit writes
    ready = instance.ready_task_ids
    if ready is None:
        ready = list(session.scalars(select(TaskIndex.id).where(TaskIndex.instance_id == instance.id,
                                                                TaskIndex.closed_at.is_(None))))
    return InstanceSummary(instance.id, instance.process_id, instance.status, instance.version,
                           instance.subject_id, instance.period, ready)


def start_instance(engine: Engine, process_id: str, started_by: int | None, subject_id: int | None = None,
                   period: str = "", data: dict[str, Any] | None = None) -> InstanceSummary:
    """Start the latest version of a process for a subject employee and period."""
    try:
        with engine.session_factory.begin() as session:
            version = latest_version(session, process_id)
            if not version.startable:
                raise InvalidState("process.message_start_only",
                                   N_("process '%(process)s' starts only from a message, not by hand"),
                                   process=process_id)
            subject = session.get(User, subject_id) if subject_id is not None else None
            if subject_id is not None and subject is None:
                raise NotFound("employee.not_found", N_("employee %(id)s does not exist"), id=subject_id)
            # Held for the transaction, so that the audit events and notifications of the start find it loaded.
            session.info.setdefault(HELD, []).append(subject)
            instance = start_in_session(engine, session, version, started_by, subject_id, period, data)
            return _summary(instance, session)
    except StepFailure as failure:
        # Nothing was stored: a process that cannot even start has no last good state to keep.
        raise ProcessError("process.start_failed", N_("the process could not start: %(detail)s"), 0, failure.task,
                           failure.line, detail=failure.message) from failure


def form_labels(properties: dict[str, Any], submitted: dict[str, Any]) -> dict[str, str]:
    """Return the form's titles of the submitted fields, and of their rows' columns as ``field.column``."""
    labels: dict[str, str] = {}
    for key in submitted:
        prop = properties.get(key)
        if not isinstance(prop, dict):
            continue
        if prop.get("title"):
            labels[key] = str(prop["title"])
        items: dict[str, Any] = prop["items"] if isinstance(prop.get("items"), dict) else {}
        for column, sub in (items.get("properties") or {}).items():
            if isinstance(sub, dict) and sub.get("title"):
                labels[f"{key}.{column}"] = str(sub["title"])
    return labels


def _load_task(session: Session, user_id: int, task_id: str) -> TaskIndex:
    row = session.get(TaskIndex, task_id) if _is_uuid(task_id) else None
    if row is None or not may_act(session, user_id, task_id):
        raise NotFound("task.not_found", N_("Task not found"))
    if row.closed_at is not None:
        who = session.get(User, row.completed_by_id) if row.completed_by_id else None
        if row.outcome == "completed" and who:
            raise Conflict("task.completed", N_("This task was already completed by %(name)s"), name=who.full_name)
        if row.outcome == "completed":
            raise Conflict("task.completed", N_("This task was already completed"))
        raise Conflict("task.cancelled", N_("The process cancelled this task"))
    return row


@cache
def _completion_statement() -> Executable:
    """The statement of ``_load_for_completion``, built once (aliases are costly to build)."""
    opened, subject = aliased(TaskIndex), aliased(User)
    actor_position, subject_position = aliased(Position), aliased(Position)
    user_id = bindparam("user_id", type_=Integer)
    return (select(TaskIndex, Instance, User, actor_position, subject, subject_position, opened, TaskDraft)
            .join(Instance, Instance.id == TaskIndex.instance_id)
            .join(User, User.id == user_id)
            .outerjoin(actor_position, actor_position.id == User.position_id)
            .outerjoin(subject, subject.id == Instance.subject_id)
            .outerjoin(subject_position, subject_position.id == subject.position_id)
            .outerjoin(opened, and_(opened.instance_id == Instance.id, opened.closed_at.is_(None)))
            .outerjoin(TaskDraft, and_(TaskDraft.task_id == TaskIndex.id, TaskDraft.user_id == user_id))
            .where(TaskIndex.id == bindparam("task_id", type_=String)))


def _load_for_completion(session: Session, user_id: int,
                         task_id: str) -> tuple[User | None, Instance | None, TaskDraft | None]:
    """Read, in one statement, what completing a task needs first: the task row, its instance with the open task
    rows (kept as ``instance.open_rows`` for ``Runtime.save``), the user, the subject and both their positions,
    and the user's draft of the task. Return (user, instance, draft); (None, None, None) when the task or the user
    does not exist."""
    if not _is_uuid(task_id):
        return None, None, None
    rows = session.execute(_completion_statement(), {"task_id": task_id, "user_id": user_id}).all()
    if not rows:
        return None, None, None
    first = rows[0]
    instance, actor, held_subject, draft = first[1], first[2], first[4], first[7]
    # The positions go where the lookups find them (User.position), and the subject stays in the session
    # with the instance that refers to it (the identity map holds only objects someone refers to).
    set_committed_value(actor, "position", first[3])
    if held_subject is not None:
        set_committed_value(held_subject, "position", first[5])
        session.info.setdefault(HELD, []).append(held_subject)
    if instance.open_rows is None:
        instance.open_rows = {found.id: found for *_, found, _ in rows if found is not None}
    return actor, instance, draft


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except (ValueError, TypeError, AttributeError):
        return False
    return True


# Why a task cannot be completed, by the process's status, in words (never the status code itself).
NOT_RUNNABLE = {
    "suspended": N_("An administrator has suspended this process; its tasks cannot be completed until it is "
                    "resumed"),
    "error": N_("The process stopped with an error; its tasks cannot be completed until an administrator "
                "repairs it"),
}


def _check_runnable(instance: Instance) -> None:
    if instance.status not in (RUNNING, WAITING):
        raise InvalidState("instance.not_runnable", NOT_RUNNABLE.get(
            instance.status, N_("The process has ended; its tasks cannot be completed any more")))


def get_task(engine: Engine, user_id: int, task_id: str) -> TaskView:
    """Return a task the user may act on, with its form and current data."""
    with engine.session_factory() as session:
        _, instance, draft = _load_for_completion(session, user_id, task_id)  # one statement, as for completing
        row = _load_task(session, user_id, task_id)
        assert instance is not None and instance.id == row.instance_id
        bundle = engine.specs.for_version(session, instance.process_version_id)
        # The task's spec and data read from the stored state: a page does not restore the whole workflow.
        found = engine.runtime.stored_task(instance, bundle, task_id)
        if found is None:
            raise NotFound("task.not_found", N_("Task not found"))
        task_spec, data = found
        schema_name, ui_name = form_for(task_spec)
        subject = session.get(User, instance.subject_id) if instance.subject_id else None
        return TaskView(
            id=row.id, instance_id=instance.id, instance_version=instance.version, process_id=instance.process_id,
            process_name=bundle.processes[instance.process_id].name,  # the model's name, or its id when unnamed
            task_name=row.task_name, title=row.title, lane=row.lane, subject_id=instance.subject_id,
            subject_name=subject.full_name if subject else "", period=instance.period, assignee_id=row.assignee_id,
            claimable=is_group_task(row), due_at=row.due_at,
            form_schema=bundle.forms.get(schema_name) if schema_name else None,
            ui_schema=bundle.forms.get(ui_name) if ui_name else None,
            instructions=(task_spec.extensions or {}).get("instructionsForEndUser") or "",
            data=data, draft=(dict(draft.data or {}), draft.saved_at) if draft else None,
            instance_status=instance.status,
            stand_in=bool(row.candidate_users) and LANES.is_personal(row.lane)
            and not holds_personal_lane(session, row, user_id),
        )


Submission = dict[str, Any] | Callable[[dict[str, Any] | None, dict[str, Any] | None, int], dict[str, Any]]


def complete_task(engine: Engine, user_id: int, task_id: str, data: Submission,
                  expected_version: int | None = None, discard_draft: bool = False) -> InstanceSummary:
    """Validate the submission, complete the task and run the process to its next wait, atomically.

    ``data`` is the submitted values, or a function of the task's form and UI schemas and the instance id that
    returns them (the web app parses a posted form that way, in this transaction, without reading the task
    first). With
    ``discard_draft`` the user's draft of the task goes in the same transaction. The summary names the next
    ready task the user may act on (``next_task_id``)."""
    instance_id = None
    try:
        with engine.session_factory.begin() as session:
            # One statement reads the task row, its instance, the instance's open task rows, the acting user and
            # the subject with their positions. Held for the whole transaction: the identity map keeps objects
            # only while something refers to them, so later lookups of these are free.
            actor, instance, draft = _load_for_completion(session, user_id, task_id)
            row = _load_task(session, user_id, task_id)
            if row.assignee_id is None and is_group_task(row):
                raise PermissionDenied("task.claim_first", N_("Claim this task before completing it"))
            assert instance is not None and instance.id == row.instance_id
            instance_id = instance.id
            _check_runnable(instance)
            if expected_version is not None and instance.version != expected_version:
                raise Conflict("instance.changed", N_("Someone else changed this process meanwhile; reload the page"))
            bundle: ParsedBundle = engine.specs.for_version(session, instance.process_version_id)
            workflow = engine.runtime.load(instance, bundle)
            # A deadline that has passed wins over a completion, whether or not a timer worker has run yet: the
            # instance's due timers fire first, in this transaction. When one took the task away, what it did is
            # committed and the completion refused.
            if fire_due_timers_in_session(engine, session, instance, workflow, bundle, engine.now()):
                after_save(engine, session, instance, workflow)
                if workflow.get_task_from_id(UUID(task_id)).state != TaskState.READY:
                    session.commit()
                    raise Conflict("task.deadline_passed",
                                   N_("The deadline for this task has passed; the process went on without it"))
            task = workflow.get_task_from_id(UUID(task_id))
            if task.state != TaskState.READY:
                raise Conflict("task.completed", N_("This task was already completed"))
            schema_name, ui_name = form_for(task.task_spec)
            schema = bundle.forms.get(schema_name) if schema_name else None
            if callable(data):
                data = data(schema, bundle.forms.get(ui_name) if ui_name else None, instance.id)
            clean = validate_submission(schema, data)
            now = engine.now()
            # What the audit shows: the values this submission changed (before) and the form's labels.
            before = {k: task.data.get(k) for k, v in clean.items()
                      if task.data.get(k) not in (None, "", [], {}) and task.data.get(k) != v}
            properties = (schema or {}).get("properties") or {}
            labels = form_labels(properties, clean)
            capacity = acting_capacity(session, user_id, row)
            acting: dict[str, Any] = {"as_acting": capacity} if capacity else {}

            def run_task() -> None:
                task.set_data(**clean)
                task.run()

            engine.advance(session, instance, workflow, user_id, before=run_task)
            created = engine.runtime.save(session, instance, workflow, bundle, now, completed=(task_id, user_id))
            audit.record(session, "task.completed", now, actor, instance_id=instance.id, task_id=task_id,
                         task_name=row.task_name, title=row.title, submitted=clean, before=before, labels=labels,
                         **acting)
            record_changes(session, instance, created, now, actor)
            after_save(engine, session, instance, workflow)
            if discard_draft and draft is not None:
                session.execute(delete(TaskDraft).where(TaskDraft.task_id == task_id, TaskDraft.user_id == user_id))
            summary = _summary(instance, session)
            summary.next_task_id = next((t for t in summary.ready_task_ids if may_act(session, user_id, t)), None)
            following = session.get(TaskIndex, summary.next_task_id) if summary.next_task_id else None
            summary.again = following is not None and following.task_name == row.task_name
            return summary
    except StaleDataError as exc:
        raise Conflict("instance.changed",
                       N_("Someone else changed this process meanwhile; reload the page")) from exc
    except StepFailure as failure:
        assert instance_id is not None
        mark_error(engine, instance_id, failure, actor_id=user_id, task_id=task_id)
        raise ProcessError("process.stopped", N_("The process stopped with an error: %(detail)s"),
                           instance_id, failure.task, failure.line, detail=failure.message) from failure


def mark_error(engine: Engine, instance_id: int, failure: StepFailure, actor_id: int | None = None,
               task_id: str | None = None) -> None:
    """Record that an instance failed; its stored state stays the last good one."""
    with engine.session_factory.begin() as session:
        instance = session.get(Instance, instance_id)
        if instance is None:
            return
        now = engine.now()
        instance.status = ERROR
        instance.error_message = failure.message[:4000]
        instance.error_task = failure.task
        instance.error_line = failure.line
        instance.updated_at = now
        actor = session.get(User, actor_id) if actor_id else None
        audit.record(session, "instance.errored", now, actor, instance_id=instance_id, task_id=task_id,
                     task_name=failure.task, message=failure.message, line=failure.line)


def claim_task(engine: Engine, user_id: int, task_id: str) -> None:
    """Take a group task so that only this user works on it."""
    with engine.session_factory.begin() as session:
        actor = session.get(User, user_id)  # held: the permission check and the audit event find it loaded
        row = _load_task(session, user_id, task_id)
        if not is_group_task(row):
            raise InvalidState("task.already_yours", N_("This task is already yours"))
        # A conditional UPDATE, so two people claiming at once cannot both win.
        taken = session.execute(update(TaskIndex).where(
            TaskIndex.id == row.id, or_(TaskIndex.assignee_id.is_(None), TaskIndex.assignee_id == user_id))
            .values(assignee_id=user_id).execution_options(synchronize_session=False))
        if cast(CursorResult[Any], taken).rowcount != 1:
            raise Conflict("task.claimed_by_other", N_("Someone else has claimed this task"))
        # The task row names the instance's subject: the event needs neither the instance nor its state.
        audit.record(session, "task.claimed", engine.now(), actor, instance_id=row.instance_id,
                     subject_id=row.subject_id, task_id=row.id, task_name=row.task_name, title=row.title)


def release_task(engine: Engine, user_id: int, task_id: str) -> None:
    """Give a claimed group task back to the group."""
    with engine.session_factory.begin() as session:
        actor = session.get(User, user_id)
        row = _load_task(session, user_id, task_id)
        if row.assignee_id != user_id or not is_group_task(row):
            raise InvalidState("task.not_held", N_("You do not hold this task"))
        row.assignee_id = None
        audit.record(session, "task.released", engine.now(), actor, instance_id=row.instance_id,
                     subject_id=row.subject_id, task_id=row.id, task_name=row.task_name, title=row.title)
