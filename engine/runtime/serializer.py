"""Store workflow state without its spec, as JSON, and restore it onto the cached spec."""

from __future__ import annotations

import json
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, TaskConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from engine.db.base import PreSerialized
from engine.runtime.compaction import HISTORY
from engine.runtime.decisions import PINS

# The spec a restore should attach to; a context variable keeps concurrent threads apart.
_restore_specs: ContextVar[tuple[Any, dict[str, Any]]] = ContextVar("_restore_specs")


class SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Leave ``spec`` and ``subprocess_specs`` out of the dump; take them from the cache on restore."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        # The events a step threw are routed in the transaction that saves it (engine.services.stepping.after_save,
        # after every save that follows a step): stored, they came back at the next load and were routed again.
        dct["bpmn_events"] = []
        pins = getattr(workflow, PINS, None)
        if pins is not None:
            dct[PINS] = dict(pins)  # the decision versions pinned for the instance (engine.runtime.decisions)
        compacted = getattr(workflow, HISTORY, None)
        if compacted:
            dct[HISTORY] = dict(compacted)  # what was compacted out of the tree (engine.runtime.compaction)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
        spec, subprocess_specs = _restore_specs.get()
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], uuid_of, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(uuid_of(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        # Events in a state stored before they were left out were routed when it was saved (see to_dict).
        dct.pop("bpmn_events", None)
        workflow.bpmn_events = []
        pins = dct.pop(PINS, None)
        if isinstance(pins, dict):
            setattr(workflow, PINS, {str(k): int(v) for k, v in pins.items()})
        compacted = dct.pop(HISTORY, None)
        if isinstance(compacted, dict):
            setattr(workflow, HISTORY, {k: list(v) if isinstance(v, list) else v for k, v in compacted.items()})
        return workflow


class FastTaskConverter(TaskConverter):
    """SpiffWorkflow 3.2.0's ``TaskConverter.from_dict`` with the task ids made by ``uuid_of``: the same tasks,
    without parsing the same id strings at every load (a few per task, a tenth of a load's time)."""

    def from_dict(self, dct: dict[str, Any], workflow: Any) -> Any:
        task_spec = workflow.spec.task_specs.get(dct["task_spec"])
        task = self.target_class(workflow, task_spec, state=dct["state"], id=uuid_of(dct["id"]))
        task._parent = uuid_of(dct["parent"]) if dct["parent"] is not None else None
        task._children = [uuid_of(child) for child in dct["children"]]
        task.last_state_change = dct["last_state_change"]
        task.triggered = dct["triggered"]
        task.internal_data = self.registry.restore(dct["internal_data"])
        if isinstance(task_spec, CatchingEvent) and task.has_state(TaskState.WAITING):
            task.workflow.top_workflow.event_manager.add_task(task)
        delta = dct.get("delta")
        if delta and task.parent is not None:
            data = DeepMerge.merge({}, task.parent.data)
            data.update(self.registry.restore(delta.get("updates", {})))
            for key in delta.get("deletions", {}):
                if key in data:
                    del data[key]
        else:
            data = self.registry.restore(dct["data"])
        task.data = data
        return task


# Ids already parsed, by their text (a UUID is immutable: one object can serve every workflow that holds the id).
_UUIDS: dict[str, UUID] = {}
_UUIDS_KEPT = 200_000


def uuid_of(text: str) -> UUID:
    """Return ``UUID(text)``, parsed once per process for the ids loaded again and again."""
    found = _UUIDS.get(text)
    if found is None:
        if len(_UUIDS) >= _UUIDS_KEPT:
            _UUIDS.clear()
        found = _UUIDS[text] = UUID(text)
    return found


def _make_registry() -> Any:
    config = dict(SPIFF_CONFIG)
    assert config[Task] is TaskConverter  # FastTaskConverter copies its from_dict (SpiffWorkflow 3.2.0)
    config[BpmnWorkflow] = SpeclessWorkflowConverter
    config[Task] = FastTaskConverter
    registry = BpmnWorkflowSerializer.configure(config)
    # Task data may hold these after scripts run; JSON knows none of them.
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"]))
    registry.register(set, lambda v: {"items": sorted(v, key=repr)}, lambda v: set(v["items"]))
    return registry


class StateSerializer:
    """Dump a workflow to a JSON-safe dict without its spec and load it back onto a given spec."""

    def __init__(self) -> None:
        self._serializer = BpmnWorkflowSerializer(_make_registry())
        self._version = self._serializer.VERSION

    def dump_text(self, workflow: BpmnWorkflow) -> PreSerialized:
        """Return the state as JSON text that the database layer stores without encoding it again."""
        return PreSerialized(self._serializer.serialize_json(workflow))

    def restore_data(self, data: dict[str, Any]) -> dict[str, Any]:
        """Return data in stored form (``stored_task``) as a restored workflow holds it (Decimal, date, set...)."""
        return cast(dict[str, Any], self._serializer.registry.restore(data))

    def load(self, state: dict[str, Any], spec: Any, subprocess_specs: dict[str, Any],
             script_engine: Any) -> BpmnWorkflow:
        """Rebuild a workflow from ``dump_text`` output (parsed) onto the (cached) spec it was created from."""
        token = _restore_specs.set((spec, subprocess_specs))
        try:
            # A state saved earlier in this transaction is still the JSON text; from the database, a dict, which
            # the restore must not change (it belongs to the loaded row).
            dct = json.loads(state) if isinstance(state, str) else _restorable_copy(state, self._version)
            self._serializer.migrate(dct)
            _parents_first(dct)
            for sub in (dct.get("subprocesses") or {}).values():
                _parents_first(sub)
            workflow = self._serializer.from_dict(dct)
        finally:
            _restore_specs.reset(token)
        workflow.script_engine = script_engine
        return workflow


def _parents_first(dct: dict[str, Any]) -> None:
    """Order ``tasks`` so every parent comes before its children.

    Spiff stores a task's data as a delta against its parent and rebuilds it only if the parent was
    restored first; PostgreSQL's JSONB does not keep key order, so without this data silently vanishes.
    """
    tasks = dct.get("tasks")
    if not isinstance(tasks, dict) or not tasks:
        return
    ordered: dict[str, Any] = {}
    queue: list[Any] = [dct.get("root")] + [tid for tid, t in tasks.items() if t.get("parent") not in tasks]
    while queue:
        tid = queue.pop(0)
        if tid in ordered or tid not in tasks:
            continue
        ordered[tid] = tasks[tid]
        queue.extend(tasks[tid].get("children") or [])
    for tid, task in tasks.items():  # anything unreachable keeps its place at the end
        ordered.setdefault(tid, task)
    dct["tasks"] = ordered


def _deep_copy(state: Any) -> Any:
    return json.loads(json.dumps(state))


def _restorable_copy(state: dict[str, Any], version: str) -> dict[str, Any]:
    """Return a copy of a stored state that ``load`` may consume, sharing what the restore only reads.

    The restore pops keys out of the state's top-level dict, out of ``subprocesses`` and out of each subprocess's
    dict, reorders their ``tasks`` (``_parents_first``) and keeps the ``correlations`` dicts it is given (Spiff
    updates them in place); everything else it reads and rebuilds (task data, internal data, events). A state of
    an older serializer version is migrated in place, everywhere: it gets a deep copy."""
    if state.get(BpmnWorkflowSerializer.VERSION_KEY) != version:
        return cast(dict[str, Any], _deep_copy(state))
    copied = dict(state)
    copied["correlations"] = _deep_copy(state.get("correlations") or {})
    subprocesses = state.get("subprocesses")
    if isinstance(subprocesses, dict):
        copied["subprocesses"] = {key: _subprocess_copy(sub) for key, sub in subprocesses.items()}
    return copied


def _subprocess_copy(sub: Any) -> Any:
    if not isinstance(sub, dict):
        return sub
    copied = dict(sub)
    copied["correlations"] = _deep_copy(sub.get("correlations") or {})
    return copied


def stored_task_data(state: Any, task_id: str) -> dict[str, Any]:
    """Return one task's data from a stored state (``dump_text`` output, parsed or not) without restoring the
    workflow: for reports that need a value only an open task holds, for a few instances.

    Spiff keeps the root task's data whole and every other task's as a delta against its parent (top-level keys
    updated and deleted), so the data is rebuilt along the path from the root. Values keep their stored form (a
    Decimal is ``{"typename": "Decimal", ...}``). A task the state does not hold gives ``{}``.
    """
    dct = json.loads(state) if isinstance(state, str) else state
    return _data_along_path((dct or {}).get("tasks") or {}, task_id)


@dataclass(frozen=True)
class StoredTask:
    """A task as a stored state holds it: its spec's name, the subprocess spec it runs in (None: the process's
    own), and its data in stored form (see ``stored_task_data``)."""

    task_spec: str
    subprocess_spec: str | None
    data: dict[str, Any]


def stored_task(state: Any, task_id: str) -> StoredTask | None:
    """Find a task in a stored state, in the process or in one of its subprocesses (call activities); None when the
    state does not hold it."""
    dct = json.loads(state) if isinstance(state, str) else state
    places: list[tuple[dict[str, Any], str | None]] = [((dct or {}).get("tasks") or {}, None)]
    places.extend((sub.get("tasks") or {}, sub.get("spec")) for sub in ((dct or {}).get("subprocesses") or {}).values()
                  if isinstance(sub, dict))
    for tasks, subprocess_spec in places:
        found = tasks.get(task_id)
        if isinstance(found, dict) and isinstance(found.get("task_spec"), str):
            return StoredTask(found["task_spec"], subprocess_spec, _data_along_path(tasks, task_id))
    return None


def _data_along_path(tasks: dict[str, Any], task_id: str) -> dict[str, Any]:
    path: list[dict[str, Any]] = []
    current = tasks.get(task_id)
    while isinstance(current, dict) and len(path) <= len(tasks):
        path.append(current)
        parent = current.get("parent")
        current = tasks.get(parent) if isinstance(parent, str) else None
    data: dict[str, Any] = {}
    for task in reversed(path):
        delta = task.get("delta") or {}
        if task.get("parent") is None or not delta:
            data = dict(task.get("data") or {})
            continue
        data.update(delta.get("updates") or {})
        for key in delta.get("deletions") or []:
            data.pop(key, None)
    return data
