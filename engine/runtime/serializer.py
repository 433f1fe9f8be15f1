"""Store workflow state without its spec, as JSON, and restore it onto the cached spec."""

from __future__ import annotations

import json
from contextvars import ContextVar
from datetime import date
from decimal import Decimal
from typing import Any

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

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
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
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
        workflow.tasks = self.mapping_from_dict(dct["tasks"], _uuid_class(), workflow=workflow)
        workflow.task_tree = workflow.tasks.get(_uuid_class()(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        pins = dct.pop(PINS, None)
        if isinstance(pins, dict):
            setattr(workflow, PINS, {str(k): int(v) for k, v in pins.items()})
        compacted = dct.pop(HISTORY, None)
        if isinstance(compacted, dict):
            setattr(workflow, HISTORY, compacted)
        return workflow


def _uuid_class() -> type:
    from uuid import UUID

    return UUID


def _make_registry() -> Any:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = SpeclessWorkflowConverter
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

    def dump_text(self, workflow: BpmnWorkflow) -> PreSerialized:
        """Return the state as JSON text that the database layer stores without encoding it again."""
        return PreSerialized(self._serializer.serialize_json(workflow))

    def load(self, state: dict[str, Any], spec: Any, subprocess_specs: dict[str, Any],
             script_engine: Any) -> BpmnWorkflow:
        """Rebuild a workflow from ``dump_text`` output (parsed) onto the (cached) spec it was created from."""
        token = _restore_specs.set((spec, subprocess_specs))
        try:
            # A state saved earlier in this transaction is still the JSON text; from the database, a dict.
            dct = json.loads(state) if isinstance(state, str) else _deep_copy(state)
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


def _deep_copy(state: dict[str, Any]) -> dict[str, Any]:
    # The restore pops keys out of the dict it is given; never let it eat the ORM's copy.
    return json.loads(json.dumps(state))


def stored_task_data(state: Any, task_id: str) -> dict[str, Any]:
    """Return one task's data from a stored state (``dump_text`` output, parsed or not) without restoring the
    workflow: for reports that need a value only an open task holds, for a few instances.

    Spiff keeps the root task's data whole and every other task's as a delta against its parent (top-level keys
    updated and deleted), so the data is rebuilt along the path from the root. Values keep their stored form (a
    Decimal is ``{"typename": "Decimal", ...}``). A task the state does not hold gives ``{}``.
    """
    dct = json.loads(state) if isinstance(state, str) else state
    tasks = (dct or {}).get("tasks") or {}
    path: list[dict[str, Any]] = []
    current = tasks.get(task_id)
    while isinstance(current, dict) and len(path) <= len(tasks):
        path.append(current)
        current = tasks.get(current.get("parent")) if current.get("parent") else None
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
