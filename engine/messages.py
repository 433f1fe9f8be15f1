"""Messages between instances, routed by business key (employee + period) in the thrower's transaction.

A message thrown by one instance (an intermediate throw or end event) is addressed to the thrower's own
employee and period, or to another's when its payload (a dict) names ``target_subject_id`` and/or
``target_period``. It goes, in this order, to:
1. the instances with the same business key that wait for that message name (catch, receive, boundary);
2. else a new instance of every deployed process whose message start event has that name, for the same
   employee and period;
3. else it is kept (``pending_message``) and delivered as soon as an instance with that business key starts
   waiting for it.
Delivery happens in the same transaction as the throw: both commit, or neither does.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition as SpiffMessageDefinition
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import audit
from engine.models import RUNNING, WAITING, Instance, PendingMessage, ProcessVersion

MAX_DEPTH = 20  # a message that triggers a message that triggers… stops here, as an error, not a hang


def route_after_save(engine: Any, session: Session, instance: Instance, workflow: Any, depth: int = 0) -> None:
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
    from engine.instances import business_key

    subject_id, period = sender.subject_id, sender.period
    if isinstance(payload, dict):
        if payload.get("target_subject_id") is not None:
            subject_id = int(payload["target_subject_id"])
        if payload.get("target_period") is not None:
            period = str(payload["target_period"])
    return subject_id, period, business_key(subject_id, period)


def deliver(engine: Any, session: Session, event: BpmnEvent, sender: Instance, depth: int = 0) -> str:
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
            audit.record(session, "message.delivered", now, None, instance_id=target.id, message=name,
                         from_instance=sender.id)
    if delivered:
        return "delivered"
    started = _start_by_message(engine, session, event, subject_id, period)
    if started:
        return "started"
    session.add(PendingMessage(name=name, business_key=key, payload=_jsonable(event.payload),
                               sender_instance_id=sender.id, created_at=now))
    audit.record(session, "message.kept", now, None, instance_id=sender.id, message=name)
    return "kept"


def _catch(engine: Any, session: Session, target: Instance, event: BpmnEvent, depth: int) -> bool:
    from engine.instances import record_changes

    bundle = engine.specs.for_version(session, target.process_version_id)
    workflow = engine.runtime.load(target, bundle)
    caught = {"n": 0}

    def catch() -> None:
        caught["n"] = workflow.event_manager.catch(event, internal=False)

    engine.runtime.advance(session, target, workflow, None, before=catch)
    if not caught["n"]:
        return False
    created = engine.runtime.save(session, target, workflow, bundle, engine.now())
    record_changes(session, target, created, engine.now(), None)
    route_after_save(engine, session, target, workflow, depth + 1)
    return True


def _start_by_message(engine: Any, session: Session, event: BpmnEvent, subject_id: int | None, period: str) -> int:
    from engine.instances import start_in_session

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


def _deliver_pending(engine: Any, session: Session, instance: Instance, workflow: Any, depth: int) -> None:
    waiting = [n for n in instance.waiting_messages.split(",") if n]
    kept = session.scalars(select(PendingMessage).where(
        PendingMessage.business_key == instance.business_key, PendingMessage.name.in_(waiting),
        PendingMessage.delivered_at.is_(None)).order_by(PendingMessage.id).limit(1)).first()
    if kept is None:
        return
    event = _payload_event(kept.name, kept.payload)
    if _catch(engine, session, instance, event, depth):
        kept.delivered_at = engine.now()
        kept.delivered_to_id = instance.id
        audit.record(session, "message.delivered", engine.now(), None, instance_id=instance.id, message=kept.name,
                     from_instance=kept.sender_instance_id, kept_since=kept.created_at.isoformat())


def _jsonable(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str))
