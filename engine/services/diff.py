"""What changed between two versions of a bundle: process elements, decision-table rules, form fields.

The process structure is compared with SpiffWorkflow's own ``SpecDiff`` (``SpiffWorkflow.bpmn.util.diff``):
it aligns the task specs of two versions (by BPMN id first, then by position in the flow) and names the
serialized attributes that differ; this module turns those attribute names into before/after values a
person can read. Decision tables are compared rule by rule (aligned by the rule's id, cell by cell), forms
as JSON (path by path). Files of any other kind are compared by content hash.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.util.diff import SpecDiff
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core import Engine
from engine.db.deploy import Deployment
from engine.deploy.bundles import ParsedBundle
from engine.errors import N_, NotFound
from engine.services.deployments import parse_against_deployed

ADDED, REMOVED, CHANGED = "added", "removed", "changed"

# Serialized attributes of a task spec that say nothing a process owner changed (bookkeeping of the parser).
_IGNORED_ATTRIBUTES = {"inputs", "outputs", "manual", "lookahead", "description", "typename", "bpmn_id"}
# Words for the attributes a person changes, in the order they are listed.
ATTRIBUTE_WORDS = {
    "bpmn_name": "name",
    "lane": "lane",
    "script": "script",
    "prescript": "pre-script",
    "postscript": "post-script",
    "cond_task_specs": "conditions",
    "default_task_spec": "default flow",
    "event_definition": "event (timer, message, signal)",
    "extensions": "extension properties (form, instructions, operator …)",
    "spec": "called element",
    "decision_ref": "called decision",
    "operation_name": "service operator",
    "operation_params": "operator parameters",
    "data_input_associations": "data inputs",
    "data_output_associations": "data outputs",
    "io_specification": "inputs/outputs",
    "documentation": "documentation",
    "cancel_activity": "interrupting",
}


@dataclass
class Change:
    """One difference. ``what`` is process / decision / form / file; ``ref`` the process or decision id or
    the file name; ``element`` the BPMN id, DMN rule id or JSON path; ``fields`` maps a changed attribute
    to its (before, after) values."""

    what: str
    ref: str
    filename: str
    change: str
    element: str = ""
    label: str = ""
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def describe(self) -> str:
        sign = {ADDED: "+", REMOVED: "-", CHANGED: "~"}[self.change]
        name = f' "{self.label}"' if self.label else ""
        head = f"  {sign} {self.element}{name}" if self.element else f"  {sign} {self.filename}"
        if not self.fields:
            return head
        parts = [f"{key}: {_short(before)} → {_short(after)}" for key, (before, after) in self.fields.items()]
        return head + "\n" + "\n".join(f"      {p}" for p in parts)


@dataclass
class BundleDiff:
    old_label: str
    new_label: str
    changes: list[Change] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.changes

    def by_ref(self) -> Iterator[tuple[tuple[str, str, str], list[Change]]]:
        """Changes grouped by (what, ref, filename), in a stable order."""
        groups: dict[tuple[str, str, str], list[Change]] = {}
        for change in self.changes:
            groups.setdefault((change.what, change.ref, change.filename), []).append(change)
        order = {"process": 0, "decision": 1, "form": 2, "file": 3}
        yield from sorted(groups.items(), key=lambda item: (order.get(item[0][0], 9), item[0][1]))

    def elements(self, process_id: str) -> dict[str, str]:
        """BPMN id -> added/changed for the diagram markers of one process."""
        return {c.element: c.change for c in self.changes
                if c.what == "process" and c.ref == process_id and c.element and c.change != REMOVED}

    def markers(self, filename: str) -> dict[str, str]:
        """BPMN id -> added/changed for the diagram of one .bpmn file."""
        return {c.element: c.change for c in self.changes
                if c.what == "process" and c.filename == filename and c.element and c.change != REMOVED}

    def text(self) -> str:
        if self.empty:
            return f"{self.old_label} → {self.new_label}: no changes"
        lines = [f"{self.old_label} → {self.new_label}"]
        for (what, ref, filename), changes in self.by_ref():
            lines.append(f"{what} {ref} ({filename})" if ref != filename else f"{what} {filename}")
            lines.extend(c.describe() for c in changes)
        return "\n".join(lines)


_REGISTRY: Any = None


def spec_registry() -> Any:
    """SpiffWorkflow's serializer registry for task specs (what ``SpecDiff`` compares), made once."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = BpmnWorkflowSerializer.configure(dict(SPIFF_CONFIG))
    return _REGISTRY


def diff_bundles(old: ParsedBundle, new: ParsedBundle, old_label: str = "old", new_label: str = "new") -> BundleDiff:
    """Compare two parsed bundles (files copied in from earlier deployments are compared too)."""
    result = BundleDiff(old_label, new_label)
    result.changes.extend(_process_changes(old, new))
    for name in sorted(set(old.files) | set(new.files)):
        before, after = old.files.get(name), new.files.get(name)
        if before == after:
            continue
        if name.endswith(".dmn"):
            result.changes.extend(_decision_changes(name, before, after))
        elif name.endswith(".json"):
            result.changes.extend(_form_changes(name, before, after))
        elif not name.endswith(".bpmn"):  # a process file's changes are its processes' changes
            result.changes.append(Change("file", name, name, ADDED if before is None else
                                         REMOVED if after is None else CHANGED))
    return result


def _process_specs(bundle: ParsedBundle) -> dict[str, tuple[str, Any]]:
    """Every process spec of a bundle (top-level and the subprocesses they carry): id -> (file, spec)."""
    specs: dict[str, tuple[str, Any]] = {}
    for info in bundle.processes.values():
        specs[info.process_id] = (info.filename, info.spec)
        for sub_id, sub_spec in info.subprocess_specs.items():
            specs.setdefault(sub_id, (getattr(sub_spec, "file", info.filename) or info.filename, sub_spec))
    return specs


def _process_changes(old: ParsedBundle, new: ParsedBundle) -> Iterator[Change]:
    old_specs, new_specs = _process_specs(old), _process_specs(new)
    for process_id in sorted(set(old_specs) | set(new_specs)):
        if process_id not in new_specs:
            filename = old_specs[process_id][0]
            yield Change("process", process_id, _base(filename), REMOVED, label=_spec_label(old_specs[process_id][1]))
            continue
        if process_id not in old_specs:
            filename = new_specs[process_id][0]
            yield Change("process", process_id, _base(filename), ADDED, label=_spec_label(new_specs[process_id][1]))
            continue
        filename = _base(new_specs[process_id][0])
        old_spec, new_spec = old_specs[process_id][1], new_specs[process_id][1]
        spec_diff = SpecDiff(spec_registry(), old_spec, new_spec)
        for task_spec in spec_diff.added:
            if _visible(task_spec):
                yield Change("process", process_id, filename, ADDED, _bpmn_id(task_spec), _name(task_spec))
        for task_spec in spec_diff.removed:
            if _visible(task_spec):
                yield Change("process", process_id, filename, REMOVED, _bpmn_id(task_spec), _name(task_spec))
        for task_spec, attributes in spec_diff.changed.items():
            if not _visible(task_spec):
                continue
            counterpart = spec_diff.alignment[task_spec]
            before, after = spec_registry().convert(task_spec), spec_registry().convert(counterpart)
            fields: dict[str, tuple[Any, Any]] = {}
            for attribute in sorted(attributes, key=_attribute_order):
                if attribute not in _IGNORED_ATTRIBUTES:
                    fields.update(_attribute_fields(ATTRIBUTE_WORDS.get(attribute, attribute),
                                                    before.get(attribute), after.get(attribute)))
            if fields:
                yield Change("process", process_id, filename, CHANGED, _bpmn_id(counterpart), _name(counterpart),
                             fields)


def _attribute_fields(word: str, before: Any, after: Any) -> dict[str, tuple[Any, Any]]:
    """One attribute's change; of a dict (an event definition, extensions) only the keys that differ."""
    if isinstance(before, dict) and isinstance(after, dict):
        keys = [k for k in list(before) + [k for k in after if k not in before]
                if k != "typename" and before.get(k) != after.get(k)]
        if keys and before.get("typename") == after.get("typename"):
            return {f"{word} · {k}": (_plain(before.get(k)), _plain(after.get(k))) for k in keys}
    return {word: (_plain(before), _plain(after))}


def _attribute_order(name: str) -> tuple[int, str]:
    keys = list(ATTRIBUTE_WORDS)
    return (keys.index(name) if name in keys else len(keys), name)


def _visible(task_spec: Any) -> bool:
    """Task specs the parser adds itself (Start, End, Root, …) have no BPMN id a person can find."""
    return bool(getattr(task_spec, "bpmn_id", None))


def _bpmn_id(task_spec: Any) -> str:
    return str(getattr(task_spec, "bpmn_id", None) or task_spec.name)


def _name(task_spec: Any) -> str:
    return str(getattr(task_spec, "bpmn_name", None) or "")


def _spec_label(spec: Any) -> str:
    return str(getattr(spec, "description", "") or "")


def _base(filename: str) -> str:
    return filename.rsplit("/", 1)[-1]


def _plain(value: Any) -> Any:
    """Serialized values as short, stable text (dicts and lists as sorted JSON)."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return value


def _short(value: Any, most: int = 160) -> str:
    text = "—" if value is None or value == "" else str(value)
    text = " ".join(text.split())
    return text if len(text) <= most else text[: most - 1] + "…"


# ---- decision tables -------------------------------------------------------------------------------------------


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""  # comments and processing instructions


def _children(element: Any, name: str) -> list[Any]:
    return [child for child in element if _local(child.tag) == name]


def _text_of(element: Any, name: str) -> str:
    for child in element:
        if _local(child.tag) == name:
            return " ".join((child.text or "").split())
    return ""


@dataclass
class _Table:
    decision_id: str
    name: str
    hit_policy: str
    inputs: list[str]
    outputs: list[str]
    rules: dict[str, tuple[int, str, list[str], list[str]]]  # rule id -> (row, description, inputs, outputs)


def _tables(content: bytes | None) -> dict[str, _Table]:
    if content is None:
        return {}
    try:
        root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
    except etree.XMLSyntaxError:  # a file that does not parse is compared as a whole
        return {}
    tables: dict[str, _Table] = {}
    for decision in (e for e in root.iter() if _local(e.tag) == "decision"):
        for table in _children(decision, "decisionTable"):
            inputs = [i.get("label") or _text_of(_children(i, "inputExpression")[0], "text")
                      if _children(i, "inputExpression") else i.get("label", "") for i in _children(table, "input")]
            outputs = [o.get("label") or o.get("name", "") for o in _children(table, "output")]
            rules = {}
            for row, rule in enumerate(_children(table, "rule"), start=1):
                rules[rule.get("id") or f"row {row}"] = (
                    row, _text_of(rule, "description"),
                    [_text_of(e, "text") for e in _children(rule, "inputEntry")],
                    [_text_of(e, "text") for e in _children(rule, "outputEntry")])
            tables[decision.get("id", "")] = _Table(decision.get("id", ""), decision.get("name", ""),
                                                    table.get("hitPolicy", "UNIQUE"), inputs, outputs, rules)
    return tables


def _decision_changes(filename: str, before: bytes | None, after: bytes | None) -> Iterator[Change]:
    old_tables, new_tables = _tables(before), _tables(after)
    if not old_tables and not new_tables:
        yield Change("file", filename, filename, ADDED if before is None else REMOVED if after is None else CHANGED)
        return
    for decision_id in sorted(set(old_tables) | set(new_tables)):
        old, new = old_tables.get(decision_id), new_tables.get(decision_id)
        if old is None or new is None:
            table = new or old
            assert table is not None
            yield Change("decision", decision_id, filename, ADDED if old is None else REMOVED, label=table.name)
            continue
        header: dict[str, tuple[Any, Any]] = {}
        if old.hit_policy != new.hit_policy:
            header["hit policy"] = (old.hit_policy, new.hit_policy)
        if old.inputs != new.inputs:
            header["input columns"] = (", ".join(old.inputs), ", ".join(new.inputs))
        if old.outputs != new.outputs:
            header["output columns"] = (", ".join(old.outputs), ", ".join(new.outputs))
        if old.name != new.name:
            header["name"] = (old.name, new.name)
        if header:
            yield Change("decision", decision_id, filename, CHANGED, "table", new.name, header)
        for rule_id in [r for r in new.rules if r not in old.rules]:
            row, description, inputs, outputs = new.rules[rule_id]
            yield Change("decision", decision_id, filename, ADDED, rule_id, f"row {row}: {description}".strip(": "),
                         _cells(new, inputs, outputs))
        for rule_id in [r for r in old.rules if r not in new.rules]:
            row, description, inputs, outputs = old.rules[rule_id]
            yield Change("decision", decision_id, filename, REMOVED, rule_id, f"row {row}: {description}".strip(": "),
                         _cells(old, inputs, outputs, removed=True))
        for rule_id in [r for r in new.rules if r in old.rules]:
            o_row, o_desc, o_in, o_out = old.rules[rule_id]
            n_row, n_desc, n_in, n_out = new.rules[rule_id]
            fields: dict[str, tuple[Any, Any]] = {}
            if o_row != n_row:
                fields["row"] = (o_row, n_row)
            if o_desc != n_desc:
                fields["description"] = (o_desc, n_desc)
            for index in range(max(len(o_in), len(n_in))):
                a, b = _at(o_in, index), _at(n_in, index)
                if a != b:
                    fields[f"input {_at(new.inputs, index) or index + 1}"] = (a, b)
            for index in range(max(len(o_out), len(n_out))):
                a, b = _at(o_out, index), _at(n_out, index)
                if a != b:
                    fields[f"output {_at(new.outputs, index) or index + 1}"] = (a, b)
            if fields:
                yield Change("decision", decision_id, filename, CHANGED, rule_id,
                             f"row {n_row}: {n_desc}".strip(": "), fields)


def _at(items: list[str], index: int) -> str | None:
    return items[index] if index < len(items) else None


def _cells(table: _Table, inputs: list[str], outputs: list[str], removed: bool = False) -> dict[str, tuple[Any, Any]]:
    """The cells of a whole added (or removed) rule, as (before, after)."""
    cells: dict[str, tuple[Any, Any]] = {}
    for kind, labels, values in (("input", table.inputs, inputs), ("output", table.outputs, outputs)):
        for label, value in zip(labels, values, strict=False):
            cells[f"{kind} {label}"] = (value, None) if removed else (None, value)
    return cells


# ---- forms -----------------------------------------------------------------------------------------------------


def _form_changes(filename: str, before: bytes | None, after: bytes | None) -> Iterator[Change]:
    if before is None or after is None:
        yield Change("form", filename, filename, ADDED if before is None else REMOVED)
        return
    try:
        old, new = json.loads(before), json.loads(after)
    except ValueError:
        yield Change("form", filename, filename, CHANGED, fields={"content": ("(not JSON)", "(changed)")})
        return
    for path, a, b in _json_diff(old, new, ""):
        change = ADDED if a is _MISSING else REMOVED if b is _MISSING else CHANGED
        yield Change("form", filename, filename, change, path or "/", "",
                     {"value": (None if a is _MISSING else _plain(a), None if b is _MISSING else _plain(b))})


_MISSING = object()


def _json_diff(old: Any, new: Any, path: str) -> Iterator[tuple[str, Any, Any]]:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in list(old) + [k for k in new if k not in old]:
            yield from _json_diff(old.get(key, _MISSING), new.get(key, _MISSING), f"{path}/{key}")
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            yield from _json_diff(a, b, f"{path}/{index}")
    elif old != new:
        yield path, old, new


# ---- deployments -----------------------------------------------------------------------------------------------


def previous_deployment(session: Session, deployment_id: int) -> int | None:
    """The deployment of the same bundle (same name) made just before this one, if any."""
    row = session.get(Deployment, deployment_id)
    if row is None:
        return None
    return session.scalar(select(Deployment.id).where(Deployment.name == row.name, Deployment.id < deployment_id)
                          .order_by(Deployment.id.desc()).limit(1))


def diff_deployments(engine: Engine, old_id: int, new_id: int) -> BundleDiff:
    """Compare two stored deployments (their parsed bundles come from the engine's spec cache)."""
    with engine.session_factory() as session:
        old = engine.specs.get(session, old_id)
        new = engine.specs.get(session, new_id)
        labels = {row.id: row.name for row in session.execute(select(Deployment.id, Deployment.name)
                                                               .where(Deployment.id.in_([old_id, new_id])))}
    return diff_bundles(old, new, f"#{old_id} {labels.get(old_id, '')}".strip(),
                        f"#{new_id} {labels.get(new_id, '')}".strip())


def diff_sources(engine: Engine, old: int | Mapping[str, bytes], new: int | Mapping[str, bytes]) -> BundleDiff:
    """Compare two bundles, each a deployment id or files not deployed (a folder, a draft); files are parsed
    as deploy would parse them (references to earlier deployments resolve)."""
    with engine.session_factory() as session:
        def load(source: int | Mapping[str, bytes]) -> tuple[ParsedBundle, str]:
            if isinstance(source, int):
                name = session.scalar(select(Deployment.name).where(Deployment.id == source))
                if name is None:
                    raise NotFound("deployment.not_found", N_("deployment %(id)s does not exist"), id=source)
                return engine.specs.get(session, source), f"#{source} {name}"
            return parse_against_deployed(session, source), "(files)"

        old_bundle, old_label = load(old)
        new_bundle, new_label = load(new)
    return diff_bundles(old_bundle, new_bundle, old_label, new_label)
