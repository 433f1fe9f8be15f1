"""Start instances and route the messages they throw, inside the caller's transaction.

Starting an instance and delivering messages call each other (a message can start a process; a started
process can throw a message), so both live here, below the services that open transactions.

Messages between instances are routed by business key (employee + period) in the thrower's transaction.

A message thrown by one instance (an intermediate throw or end event) is addressed to the thrower's own
employee and period, or to another's when its payload (a dict) names ``target_subject_id`` and/or
``target_period``. It goes, in this order, to:
1. the instances with the same business key that wait for that message name (catch, receive, boundary);
2. else a new instance of every deployed process whose message start event has that name, for the same
   employee and period;
3. else it is kept (``pending_message``) and delivered as soon as an instance with that business key starts
   waiting for it.
Delivery happens in the same transaction as the throw: both commit, or neither does.

An application can also write kept messages itself, many at once, when delivering them in its own transaction
would run too many engine steps (a unit head's decision for 2,000 staff): ``engine.services.messages`` then
delivers each, in a short transaction of its own, to the instance that waits for it (a worker job), and
``deliver_kept`` here is the step both that job and the delivery on save use.
"""

from __future__ import annotations

import json
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition as SpiffMessageDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.db.deploy import ProcessVersion
from engine.db.org import User
from engine.db.runtime import RUNNING, WAITING, Instance, PendingMessage, TaskIndex
from engine.runtime.runner import EngineHandle, StepFailure
from engine.services import audit
from engine.services.notifications import notify_new_tasks


def start_in_session(engine: EngineHandle, session: Session, version: ProcessVersion, started_by: int | None,
                     subject_id: int | None, period: str, data: dict[str, Any] | None = None,
                     event: Any = None) -> Instance:
    """Create and run a new instance inside the caller's transaction (services, operations, messages).

    With ``event`` (a message that starts the process) the workflow first runs to its waiting start event,
    then catches the event.
    """
    bundle = engine.specs.get(session, version.deployment_id)
    now = engine.now()
    workflow = engine.runtime.new_workflow(bundle.processes[version.process_id])
    start_data = dict(data or {})
    start_data.setdefault("periode", period)
    start_data.setdefault("subject_id", subject_id)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(start_data)
    instance = Instance(process_version_id=version.id, process_id=version.process_id, subject_id=subject_id,
                        period=period, business_key=business_key(subject_id, period), status=RUNNING,
                        state={}, started_by_id=started_by, started_at=now, updated_at=now)
    session.add(instance)
    session.flush()
    instance.open_rows = {}  # a new instance has no task rows yet
    actor = session.get(User, started_by) if started_by else None
    before = None
    if event is not None:
        def before() -> None:
            workflow.do_engine_steps()
            # internal=False: an event nobody catches must not be re-thrown to the outside (and routed again).
            if not workflow.event_manager.catch(event, internal=False):
                raise StepFailure(f"the process did not take the message "
                                  f"'{getattr(event.event_definition, 'name', '?')}' that should start it")
    engine.advance(session, instance, workflow, started_by, before=before)
    created = engine.runtime.save(session, instance, workflow, bundle, now)
    audit.record(session, "instance.started", now, actor, instance=instance, process_id=version.process_id,
                 version=version.version, subject_id=subject_id, period=period,
                 message=getattr(getattr(event, "event_definition", None), "name", None))
    record_changes(session, instance, created, now, actor)
    after_save(engine, session, instance, workflow)
    return instance


#: How many due timers one instance may fire in a row before the model is declared broken.
MAX_TIMER_ROUNDS = 20


def fire_due_timers_in_session(engine: EngineHandle, session: Session, instance: Instance, workflow: Any,
                               bundle: Any, now: Any) -> bool:
    """Fire the instance's timers that are due at ``now`` on the loaded ``workflow``, in the caller's transaction.

    Return whether any was due. Firing one timer can reach another that is already past (two deadlines both
    missed while nothing ran): keep going, but never spin on a timer that stays put. The worker calls this, and
    so does completing a task, so that a deadline that has passed always wins over a late completion.
    """
    # Strictly earlier: SpiffWorkflow fires a timer only once its time has passed.
    if instance.next_timer_at is None or instance.next_timer_at >= now:
        return False
    for _ in range(MAX_TIMER_ROUNDS):
        due_at = instance.next_timer_at
        engine.advance(session, instance, workflow, None)
        created = engine.runtime.save(session, instance, workflow, bundle, now)
        audit.record(session, "timer.fired", now, None, instance=instance,
                     due_at=due_at.isoformat() if due_at else None)
        record_changes(session, instance, created, now, None)
        if instance.next_timer_at is None or instance.next_timer_at >= now:
            return True
        if instance.next_timer_at == due_at:
            raise StepFailure("a timer fell due but did not fire; check its expression")
    raise StepFailure(f"timers kept falling due after {MAX_TIMER_ROUNDS} rounds; check the model's timers")


def business_key(subject_id: int | None, period: str) -> str:
    """Return the key that links an employee's instances of one period (planning → assessment → …)."""
    return f"{subject_id or '-'}:{period or '-'}"


def after_save(engine: EngineHandle, session: Session, instance: Instance, workflow: Any) -> None:
    """Route the messages the step threw and deliver any kept for this instance (same transaction)."""
    route_after_save(engine, session, instance, workflow)


def record_changes(session: Session, instance: Instance, created: list[TaskIndex], now: Any,
                    actor: User | None) -> None:
    """Audit and notify the tasks a save made ready, and the instance's completion (same transaction)."""
    for row in created:
        audit.record(session, "task.ready", now, None, instance=instance, task_id=row.id,
                     task_name=row.task_name, title=row.title, lane=row.lane)
    if created:
        # The instance's versioned UPDATE goes first: a concurrent loser then fails on it (StaleDataError,
        # a Conflict) rather than on the winner's notification for the same new task (a duplicate key).
        session.flush()
    notify_new_tasks(session, created, now)
    if instance.status == "completed":
        audit.record(session, "instance.completed", now, actor, instance=instance)


MAX_DEPTH = 20  # a message that triggers a message that triggers… stops here, as an error, not a hang


def route_after_save(engine: EngineHandle, session: Session, instance: Instance, workflow: Any, depth: int = 0) -> None:
    """Deliver what the workflow threw, then anything kept for what it now waits for."""
    if depth > MAX_DEPTH:
        raise RuntimeError(f"messages chained more than {MAX_DEPTH} instances deep; check the models for a cycle")
    for event in workflow.get_events():
        if isinstance(event.event_definition, MessageEventDefinition):
            deliver(engine, session, event, instance, depth)
    if instance.waiting_messages:
        _deliver_pending(engine, session, instance, workflow, depth)


def _payload_event(name: str, payload: Any) -> BpmnEvent:
    return BpmnEvent(SpiffMessageDefinition(name), payload=payload)


def target_key(payload: Any, sender: Instance) -> tuple[int | None, str, str]:
    """Return (subject, period, business key) a message goes to: the sender's own, unless the payload
    names another employee (``target_subject_id``) or period (``target_period``)."""
    subject_id, period = sender.subject_id, sender.period
    if isinstance(payload, dict):
        if payload.get("target_subject_id") is not None:
            subject_id = int(payload["target_subject_id"])
        if payload.get("target_period") is not None:
            period = str(payload["target_period"])
    return subject_id, period, business_key(subject_id, period)


def deliver(engine: EngineHandle, session: Session, event: BpmnEvent, sender: Instance, depth: int = 0) -> str:
    """Route one thrown message; return 'delivered', 'started' or 'kept'."""
    name = event.event_definition.name
    now = engine.now()
    subject_id, period, key = target_key(event.payload, sender)
    targets = session.scalars(select(Instance).where(
        Instance.business_key == key, Instance.status.in_((RUNNING, WAITING)),
        Instance.id != sender.id, Instance.waiting_messages.contains(f",{name},", autoescape=True))
        .order_by(Instance.id)).all()
    delivered = 0
    for target in targets:
        if _catch(engine, session, target, event, depth):
            delivered += 1
            audit.record(session, "message.delivered", now, None, instance=target, message=name,
                         from_instance=sender.id)
    if delivered:
        return "delivered"
    started = _start_by_message(engine, session, event, subject_id, period)
    if started:
        return "started"
    session.add(PendingMessage(name=name, business_key=key, payload=_jsonable(event.payload),
                               sender_instance_id=sender.id, created_at=now))
    audit.record(session, "message.kept", now, None, instance=sender, message=name)
    return "kept"


def _catch(engine: EngineHandle, session: Session, target: Instance, event: BpmnEvent, depth: int) -> bool:
    bundle = engine.specs.for_version(session, target.process_version_id)
    workflow = engine.runtime.load(target, bundle)
    caught = {"n": 0}

    def catch() -> None:
        caught["n"] = workflow.event_manager.catch(event, internal=False)

    engine.advance(session, target, workflow, None, before=catch)
    if not caught["n"]:
        return False
    created = engine.runtime.save(session, target, workflow, bundle, engine.now())
    record_changes(session, target, created, engine.now(), None)
    route_after_save(engine, session, target, workflow, depth + 1)
    return True


def _start_by_message(engine: EngineHandle, session: Session, event: BpmnEvent, subject_id: int | None, period: str) -> int:
    name = event.event_definition.name
    latest = select(ProcessVersion.process_id, func.max(ProcessVersion.version).label("v")) \
        .group_by(ProcessVersion.process_id).subquery()
    versions = session.scalars(select(ProcessVersion).join(
        latest, (ProcessVersion.process_id == latest.c.process_id) & (ProcessVersion.version == latest.c.v))
        .where(ProcessVersion.startable.is_(False)).order_by(ProcessVersion.process_id)).all()
    started = 0
    for version in versions:
        info = engine.specs.get(session, version.deployment_id).processes.get(version.process_id)
        if info is None or name not in _message_start_names(info.spec):
            continue
        start_in_session(engine, session, version, None, subject_id, period, event=event)
        started += 1
    return started


def _message_start_names(spec: Any) -> set[str]:
    names = set()
    for task_spec in spec.task_specs.values():
        definition = getattr(task_spec, "event_definition", None)
        if type(task_spec).__name__ == "StartEvent" and isinstance(definition, MessageEventDefinition):
            names.add(definition.name)
    return names


def _deliver_pending(engine: EngineHandle, session: Session, instance: Instance, workflow: Any, depth: int) -> None:
    waiting = [n for n in instance.waiting_messages.split(",") if n]
    kept = session.scalars(select(PendingMessage).where(
        PendingMessage.business_key == instance.business_key, PendingMessage.name.in_(waiting),
        PendingMessage.delivered_at.is_(None)).order_by(PendingMessage.id).limit(1)).first()
    if kept is None:
        return
    deliver_kept(engine, session, kept, instance, depth)


def deliver_kept(engine: EngineHandle, session: Session, kept: PendingMessage, instance: Instance,
                 depth: int = 0) -> bool:
    """Deliver one kept message to an instance that waits for it, in the caller's transaction: the instance
    catches it and runs on, and the message is marked delivered (to that instance). Return False, changing
    nothing, when the instance's workflow does not take it."""
    event = _payload_event(kept.name, kept.payload)
    if not _catch(engine, session, instance, event, depth):
        return False
    kept.delivered_at = engine.now()
    kept.delivered_to_id = instance.id
    audit.record(session, "message.delivered", engine.now(), None, instance=instance, message=kept.name,
                 from_instance=kept.sender_instance_id, kept_since=kept.created_at.isoformat())
    return True


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
