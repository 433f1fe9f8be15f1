"""The printable SKP and evaluation documents: the instance with the employee, both assessors and what they entered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.access import superior_of
from engine.core import Engine
from engine.db.org import User
from engine.db.runtime import Instance
from engine.queries.instance import InstanceDetail, instance_detail


@dataclass
class Person:
    name: str
    nip: str
    position: str
    unit: str


@dataclass
class DocTable:
    """A table of rows people entered in a form (RHK, indicators, activities), titled from that form."""

    key: str
    title: str
    columns: list[tuple[str, str]]
    rows: list[dict[str, Any]]


@dataclass
class DocumentContext:
    """What the printable SKP and evaluation documents show."""

    instance: InstanceDetail
    employee: Person | None
    assessor: Person | None
    assessor_superior: Person | None
    tables: list[DocTable] = field(default_factory=list)
    expectations: list[tuple[str, str]] = field(default_factory=list)  # (core value title, text)


def _entered_tables(forms: dict[str, Any], data: dict[str, Any]) -> list[DocTable]:
    """Return the row lists of the data that some form lets people enter (context lists are left out)."""
    defined: dict[str, dict[str, Any]] = {}
    for name, schema in sorted(forms.items()):
        if not name.endswith(".schema.json"):
            continue
        for key, prop in (schema.get("properties") or {}).items():
            if isinstance(prop, dict) and prop.get("type") == "array" and not prop.get("readOnly"):
                defined.setdefault(key, prop)
    tables = []
    for key, prop in defined.items():
        rows = data.get(key)
        if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
            continue
        item_props = (prop.get("items") or {}).get("properties") or {}
        keys = list(item_props) + [k for r in rows for k in r if k not in item_props]
        columns = [(k, str((item_props.get(k) or {}).get("title") or k)) for k in dict.fromkeys(keys)
                   if any(r.get(k) not in (None, "") for r in rows)]
        tables.append(DocTable(key, str(prop.get("title") or key), columns, rows))
    return tables


def _expectations(forms: dict[str, Any], data: dict[str, Any]) -> list[tuple[str, str]]:
    titles: dict[str, str] = {}
    for schema in forms.values():
        for key, prop in (schema.get("properties") or {}).items():
            if key.startswith("ekspektasi_") and isinstance(prop, dict):
                titles.setdefault(key, str(prop.get("title") or key))
    return [(title, str(data.get(key) or "")) for key, title in titles.items()]


def _person(user: User | None) -> Person | None:
    if user is None:
        return None
    position = user.position
    return Person(user.full_name, user.nip or "", position.title if position else "",
                  position.unit.name if position is not None else "")


def document_context(engine: Engine, user_id: int, instance_id: int) -> DocumentContext:
    """Return the instance with the employee and both assessors, for the printable documents."""
    detail = instance_detail(engine, user_id, instance_id)
    with engine.session_factory() as session:
        employee = session.get(User, detail.subject_id) if detail.subject_id else None
        assessor = superior_of(session, employee.id) if employee else None
        superior = superior_of(session, assessor.id) if assessor else None
        instance = session.get(Instance, instance_id)
        assert instance is not None
        forms = engine.specs.for_version(session, instance.process_version_id).forms
        return DocumentContext(detail, _person(employee), _person(assessor), _person(superior),
                               _entered_tables(forms, detail.data), _expectations(forms, detail.data))
