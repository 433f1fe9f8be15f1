"""Read the SMK decision tables and evaluate them for the Python rules.

The DMN files are the single source of truth for the rules officials change. The BPMN engine
runs them in business rule tasks through SpiffWorkflow's DMN engine; the Python rule functions
read the very same tables here (tests prove both give the same answer on every input).
Only the UNIQUE and COLLECT hit policies exist, as in SpiffWorkflow 3.2.

Which file a decision id means depends on where the rules run:

- inside the engine (a model's script or a service operation), the deployed version pinned for the
  running instance: the engine enters ``use_tables`` with those files around every step of the
  instance (``Extension.decision_tables``), and ``load_table`` then reads only them, so a process
  owner's deployment of a changed table reaches the instances that start after it, and a running
  instance keeps the table it started with;
- elsewhere (tests of the rules, tools), the files shipped in ``bpmn/rules/``, which ``smk init``
  deploys first.
"""

from __future__ import annotations

import hashlib
import threading
import xml.etree.ElementTree as ET
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from processes.rules import dmn_expr
from processes.rules.errors import DmnTableError

RULES_DIR = Path(__file__).resolve().parents[2] / "bpmn" / "rules"

#: Decision id -> DMN file. One decision (and one decision table) per file, as Spiff requires.
DMN_FILES: dict[str, Path] = {
    decision_id: RULES_DIR / f"{decision_id}.dmn"
    for decision_id in (
        "predikat_matrix_6_2022",
        "predikat_band_regime_a",
        "predikat_band_regime_b",
        "nilai_capaian_iki",
        "konversi_2021",
        "tindak_lanjut",
        "kurva_distribusi",
        "hasil_kerja_pimpinan",
    )
}

_DMN_NAMESPACES = (
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
)


@dataclass(frozen=True)
class DmnInput:
    """One input column: its label and the expression that yields the value."""

    label: str
    expression: str


@dataclass(frozen=True)
class DmnOutput:
    """One output column; `name` is the key the result is stored under."""

    name: str
    label: str


@dataclass(frozen=True)
class DmnRule:
    """One row: an entry per input (None = any value) and an expression per output."""

    row: int
    description: str
    inputs: tuple[str | None, ...]
    outputs: tuple[str, ...]


@dataclass(frozen=True)
class DecisionTable:
    """A parsed decision table plus the version stamp of the file it came from."""

    decision_id: str
    name: str
    hit_policy: str
    inputs: tuple[DmnInput, ...]
    outputs: tuple[DmnOutput, ...]
    rules: tuple[DmnRule, ...]
    version: str


def dmn_path(decision_id: str) -> Path:
    """Return the DMN file that holds the given decision id."""
    try:
        return DMN_FILES[decision_id]
    except KeyError:
        known = ", ".join(sorted(DMN_FILES))
        raise DmnTableError(decision_id, f"unknown decision id; known ids: {known}") from None


_cache: dict[Path, tuple[int, DecisionTable]] = {}

#: The DMN files pinned for the running instance: decision id -> (sha256 of the file, DMN XML); None outside it.
_pinned: ContextVar[Mapping[str, tuple[str, bytes]] | None] = ContextVar("smk_dmn_tables", default=None)
_by_hash: OrderedDict[tuple[str, str], DecisionTable] = OrderedDict()
_by_hash_lock = threading.Lock()
_MAX_PARSED = 256


@contextmanager
def use_tables(tables: Mapping[str, tuple[str, bytes]]) -> Iterator[None]:
    """Evaluate the rules with these DMN files ({decision id: (sha256, DMN XML)}) instead of the shipped ones.

    The engine enters this around every step of an instance with the decision versions pinned for it.
    """
    token = _pinned.set(tables)
    try:
        yield
    finally:
        _pinned.reset(token)


def pinned_table(decision_id: str, sha256: str, content: bytes) -> DecisionTable:
    """Return the table of a deployed DMN file, parsed once per content hash (the hot path parses nothing)."""
    key = (sha256, decision_id)
    with _by_hash_lock:
        found = _by_hash.get(key)
        if found is not None:
            _by_hash.move_to_end(key)
            return found
    table = parse_table(content, source=f"{decision_id} (deployed)")
    if table.decision_id != decision_id:
        raise DmnTableError(decision_id, f"the deployed file holds decision {table.decision_id!r}")
    with _by_hash_lock:
        _by_hash[key] = table
        while len(_by_hash) > _MAX_PARSED:
            _by_hash.popitem(last=False)
    return table


def load_table(decision_id: str) -> DecisionTable:
    """Load a decision table: the version pinned for the running instance inside the engine (``use_tables``),
    else the shipped file, re-read when it has changed on disk."""
    pinned = _pinned.get()
    if pinned is not None:
        entry = pinned.get(decision_id)
        if entry is None:
            raise DmnTableError(decision_id, "no version of this decision was deployed when this process "
                                             "started; deploy the rule tables (bpmn/rules) first")
        return pinned_table(decision_id, *entry)
    path = dmn_path(decision_id)
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise DmnTableError(decision_id, f"file {path} is missing") from None
    cached = _cache.get(path)
    if cached is None or cached[0] != stamp:
        table = parse_table(path.read_bytes(), source=str(path))
        if table.decision_id != decision_id:
            raise DmnTableError(decision_id, f"{path.name} holds decision {table.decision_id!r}")
        cached = (stamp, table)
        _cache[path] = cached
    return cached[1]


def table_version(content: bytes, decision_id: str) -> str:
    """Stamp a table version from its content, so a result can name the table that produced it."""
    return f"{decision_id}@sha256:{hashlib.sha256(content).hexdigest()[:12]}"


def parse_table(content: bytes, source: str = "<string>") -> DecisionTable:
    """Parse DMN XML holding one decision with one decision table."""
    try:
        root = ET.fromstring(content)
    except ET.ParseError as exc:
        raise DmnTableError(source, f"not well-formed XML: {exc}") from None
    namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    if namespace not in _DMN_NAMESPACES:
        raise DmnTableError(source, f"unsupported DMN namespace {namespace!r}")
    ns = {"dmn": namespace}
    decisions = root.findall("dmn:decision", ns)
    if len(decisions) != 1:
        raise DmnTableError(source, f"expected exactly one decision, found {len(decisions)}")
    decision = decisions[0]
    decision_id = decision.get("id", "")
    element = decision.find("dmn:decisionTable", ns)
    if element is None:
        raise DmnTableError(decision_id, "decision has no decisionTable")
    hit_policy = element.get("hitPolicy", "UNIQUE").upper()
    if hit_policy not in ("UNIQUE", "COLLECT"):
        raise DmnTableError(decision_id, f"hit policy {hit_policy} is not supported by SpiffWorkflow")
    inputs = tuple(
        DmnInput(label=col.get("label", ""), expression=_text(col.find("dmn:inputExpression/dmn:text", ns)))
        for col in element.findall("dmn:input", ns)
    )
    outputs = tuple(
        DmnOutput(name=col.get("name") or col.get("label") or "", label=col.get("label") or "")
        for col in element.findall("dmn:output", ns)
    )
    rules = []
    for row, rule in enumerate(element.findall("dmn:rule", ns), start=1):
        entries = tuple(_entry(_text(e.find("dmn:text", ns))) for e in rule.findall("dmn:inputEntry", ns))
        results = tuple(_text(e.find("dmn:text", ns)) for e in rule.findall("dmn:outputEntry", ns))
        if len(entries) != len(inputs) or len(results) != len(outputs):
            raise DmnTableError(decision_id, f"row {row} does not have one cell per column")
        rules.append(DmnRule(row, _text(rule.find("dmn:description", ns)), entries, results))
    return DecisionTable(
        decision_id=decision_id,
        name=decision.get("name", ""),
        hit_policy=hit_policy,
        inputs=inputs,
        outputs=outputs,
        rules=tuple(rules),
        version=table_version(content, decision_id),
    )


def matching_rules(table: DecisionTable, values: Mapping[str, Any]) -> list[DmnRule]:
    """Return every row whose input entries all accept the given values."""
    found = []
    for rule in table.rules:
        try:
            accepted = all(
                dmn_expr.matches(column.expression, entry, values)
                for column, entry in zip(table.inputs, rule.inputs, strict=True)
            )
        except (dmn_expr.UnsafeExpression, TypeError, ArithmeticError) as exc:
            raise DmnTableError(table.decision_id, f"row {rule.row}: {exc}") from None
        if accepted:
            found.append(rule)
    return found


def rule_outputs(table: DecisionTable, rule: DmnRule, values: Mapping[str, Any]) -> dict[str, Any]:
    """Evaluate one row's output cells (an empty cell yields "", as in SpiffWorkflow)."""
    result: dict[str, Any] = {}
    for column, text in zip(table.outputs, rule.outputs, strict=True):
        try:
            result[column.name] = dmn_expr.evaluate(text, values) if text else ""
        except (dmn_expr.UnsafeExpression, TypeError, ArithmeticError) as exc:
            raise DmnTableError(table.decision_id, f"row {rule.row}, output {column.name}: {exc}") from None
    return result


def decide(table: DecisionTable, values: Mapping[str, Any]) -> dict[str, Any]:
    """Evaluate a UNIQUE table and insist that exactly one row matches."""
    rules = matching_rules(table, values)
    if len(rules) != 1:
        # Spiff silently takes the first match; an overlapping edit must not go unnoticed here.
        shown = ", ".join(f"{k}={v!r}" for k, v in values.items())
        if not rules:
            raise DmnTableError(table.decision_id, f"no row matches {shown}")
        rows = ", ".join(str(rule.row) for rule in rules)
        raise DmnTableError(table.decision_id, f"rows {rows} all match {shown}; a UNIQUE table needs one")
    return rule_outputs(table, rules[0], values)


def collect(table: DecisionTable, values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Evaluate a COLLECT table: the outputs of every matching row, in row order."""
    return [rule_outputs(table, rule, values) for rule in matching_rules(table, values)]


def _text(element: ET.Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _entry(text: str) -> str | None:
    # DMN renders "any value" as "-"; Spiff treats an empty cell the same way.
    return None if text in ("", "-") else text
