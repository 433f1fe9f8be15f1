"""Read-only views of one instance: who may see it, its diagram states, its audit timeline and its data.

The instance page is the one place that loads a workflow (to mark the diagram); list pages never do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access import LANES, actionable, in_role, is_overseer, lane_holder_name, may_view_instance
from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.deploy import ProcessVersion
from engine.db.org import User
from engine.db.runtime import Instance, TaskIndex
from engine.errors import N_, NotFound
from engine.limits import current as current_limits
from engine.runtime.compaction import completed_elements

# Groups that oversee every instance: they run, audit and repair the cycle.
# Keys of process data that are bookkeeping, not something a person needs to read.
_HIDDEN_KEYS = {"subject_id"}


@dataclass
class TimelineEntry:
    at: datetime
    kind: str
    actor: str
    title: str
    data: dict[str, Any]


@dataclass
class OpenTask:
    id: str
    title: str
    lane: str | None
    assignee_name: str
    due_at: datetime | None
    mine: bool
    waits_for: str = ""  # who may act on it, in people's words: the assignee, the lane's holder, or the group


@dataclass
class InstanceDetail:
    id: int
    process_id: str
    process_name: str
    version: int
    status: str
    period: str
    subject_id: int | None
    subject_name: str
    started_at: datetime
    completed_at: datetime | None
    error_message: str | None
    error_task: str | None
    bpmn_xml: str
    completed: list[str] = field(default_factory=list)
    active: list[str] = field(default_factory=list)
    errored: list[str] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    open_tasks: list[OpenTask] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    overseer: bool = False
    # The page shows the raw process data and submitted values to administrators and process owners (model
    # managers) only; everyone else reads what the process is about through the SKP page and the words on the page.
    # (``data`` stays filled: the printed documents read it for anyone who may see the instance.)
    raw_view: bool = False
    # What the process is doing now, by the names of its live steps ("Menunggu RHK atasan").
    doing: list[str] = field(default_factory=list)
    next_timer_at: datetime | None = None
    waiting_messages: list[str] = field(default_factory=list)
    # Values of ``data`` too long to show whole (SMK_MAX_SHOWN_CHARS): key -> the beginning of the value, as text.
    clipped: dict[str, str] = field(default_factory=dict)


def instance_detail(engine: Engine, user_id: int, instance_id: int) -> InstanceDetail:
    """Return what the instance page shows, or NotFound when the user may not see the instance."""
    with engine.session_factory() as session:
        if not may_view_instance(session, user_id, instance_id):
            raise NotFound("instance.not_found", N_("Process not found"))
        instance = session.get(Instance, instance_id)
        assert instance is not None
        version = session.get(ProcessVersion, instance.process_version_id)
        assert version is not None
        bundle = engine.specs.get(session, version.deployment_id)
        info = bundle.processes.get(instance.process_id)
        xml = bundle.files.get(info.filename if info else version.filename, b"").decode("utf-8", "replace")
        subject = session.get(User, instance.subject_id) if instance.subject_id else None
        detail = InstanceDetail(
            id=instance.id, process_id=instance.process_id, process_name=version.name, version=version.version,
            status=instance.status, period=instance.period, subject_id=instance.subject_id,
            subject_name=subject.full_name if subject else "", started_at=instance.started_at,
            completed_at=instance.completed_at, error_message=instance.error_message,
            error_task=instance.error_task, bpmn_xml=xml, overseer=is_overseer(session, user_id),
            raw_view=in_role(session, user_id, LANES.roles.model_managers), next_timer_at=instance.next_timer_at,
            waiting_messages=[n for n in (instance.waiting_messages or "").split(",") if n])
        _mark_elements(engine, instance, bundle, detail)
        detail.timeline = _timeline(session, instance_id, detail.raw_view)
        detail.open_tasks = _open_tasks(session, instance_id, user_id)
        return detail


def _mark_elements(engine: Engine, instance: Instance, bundle: Any, detail: InstanceDetail) -> None:
    try:
        workflow = engine.runtime.load(instance, bundle)
    except Exception:  # a state that no longer loads still shows its timeline; the diagram stays unmarked
        return
    active: set[str] = set()
    doing: dict[str, str] = {}
    live = TaskState.READY | TaskState.WAITING | TaskState.STARTED
    for task in workflow.tasks.values():  # the top-level process: that is the diagram shown
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        if not bpmn_id:
            continue
        if task.state & live:
            active.add(bpmn_id)
            name = getattr(task.task_spec, "bpmn_name", None)
            if name and not isinstance(task.task_spec, BoundaryEvent):  # a deadline on a task is not a step
                doing.setdefault(bpmn_id, str(name))
    completed = completed_elements(workflow)  # with the loop iterations compacted out of the state
    detail.doing = list(doing.values())
    detail.completed = sorted(completed - active)
    detail.active = sorted(active)
    if instance.status == "error" and instance.error_task:
        detail.errored = [instance.error_task]
        detail.active = [a for a in detail.active if a != instance.error_task]
    last = max((t for t in workflow.tasks.values() if t.state == TaskState.COMPLETED),
               key=lambda t: t.last_state_change, default=None)
    data = dict(workflow.data)
    if last is not None:
        data.update(last.data)
    detail.data = {k: v for k, v in sorted(data.items())
                   if isinstance(k, str) and not k.startswith("_") and k not in _HIDDEN_KEYS}
    most = current_limits().max_shown_chars
    detail.clipped = {k: text for k, v in detail.data.items() if (text := clip(v, most)) is not None}


_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)


def clip(value: Any, most: int) -> str | None:
    """Return the first ``most`` characters of a value too long to show (text as it is, anything else as JSON),
    or None when it is short enough; never renders more of a huge value than it needs."""
    if isinstance(value, str):
        return value[:most] if len(value) > most else None
    pieces, size = [], 0
    for chunk in _ENCODER.iterencode(value):
        pieces.append(chunk)
        size += len(chunk)
        if size > most:
            return "".join(pieces)[:most]
    return None


def _timeline(session: Session, instance_id: int, raw_view: bool = True) -> list[TimelineEntry]:
    rows = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id)
                           .order_by(AuditEvent.at, AuditEvent.id)).all()
    names = {u.username: u.full_name for u in session.scalars(
        select(User).where(User.username.in_({r.actor for r in rows})))}
    # Events that name a task without its title (claims recorded before they carried it) take the title of the
    # task's row, never its internal name when the row has a title.
    titles = dict(session.execute(select(TaskIndex.task_name, TaskIndex.title).where(
        TaskIndex.instance_id == instance_id).distinct()).all()) if any(
        r.task_name and not (r.data or {}).get("title") for r in rows) else {}
    out = []
    for r in rows:
        data = dict(r.data or {})
        title = str(data.pop("title", "") or titles.get(r.task_name or "") or r.task_name or "")
        if not raw_view:  # submitted values by their internal names are for administrators and process owners
            data = {k: v for k, v in data.items() if k in ("filename", "message")}
        out.append(TimelineEntry(r.at, r.kind, names.get(r.actor, r.actor), title, data))
    return out


def _open_tasks(session: Session, instance_id: int, user_id: int) -> list[OpenTask]:
    rows = session.scalars(select(TaskIndex).where(TaskIndex.instance_id == instance_id,
                                                   TaskIndex.closed_at.is_(None))).all()
    mine = set(session.scalars(select(TaskIndex.id).where(
        TaskIndex.instance_id == instance_id, TaskIndex.closed_at.is_(None), actionable(session, user_id))))
    out = []
    for r in rows:
        assignee = session.get(User, r.assignee_id) if r.assignee_id else None
        waits_for = assignee.full_name if assignee else lane_holder_name(session, r.lane, r.subject_id)
        out.append(OpenTask(r.id, r.title, r.lane, assignee.full_name if assignee else "", r.due_at, r.id in mine,
                            waits_for))
    return out
