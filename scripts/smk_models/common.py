"""Pieces shared by the SMK models: lanes, labels, form helpers and small script snippets."""

from __future__ import annotations

import json
from typing import Any

from processes.lanes import ATASAN_PEJABAT_PENILAI as APP  # noqa: E402,F401 - the lane names are defined once
from processes.lanes import HR_GROUP as SDM  # noqa: E402,F401
from processes.lanes import PEGAWAI  # noqa: E402,F401
from processes.lanes import PEJABAT_PENILAI as PP  # noqa: E402,F401
from processes.rules.rounding import MAKSIMUM
from tools.bpmn_builder import Process

PPK = "PPK"
TPK = "Tim Penilai Kinerja"

RATINGS = ["Di Atas Ekspektasi", "Sesuai Ekspektasi", "Di Bawah Ekspektasi"]
RATING_NAMES = ["Di Atas Ekspektasi / Above expectations", "Sesuai Ekspektasi / Meets expectations",
                "Di Bawah Ekspektasi / Below expectations"]
PREDIKAT_A = ["Sangat Baik", "Baik", "Cukup", "Kurang", "Buruk"]
PREDIKAT_B = ["Sangat Baik", "Baik", "Cukup", "Kurang", "Sangat Kurang"]
PREDIKAT_C = ["Sangat Baik", "Baik", "Butuh Perbaikan", "Kurang/Misconduct", "Sangat Kurang"]
PREDIKAT_ALL = ["Sangat Baik", "Baik", "Cukup", "Butuh Perbaikan", "Kurang", "Kurang/Misconduct",
                "Sangat Kurang", "Buruk"]
PREDIKAT_UNIT = ["Istimewa", "Baik", "Butuh Perbaikan", "Kurang", "Sangat Kurang"]
BERAKHLAK = [("berorientasi_pelayanan", "Berorientasi Pelayanan / Service-oriented"),
             ("akuntabel", "Akuntabel / Accountable"), ("kompeten", "Kompeten / Competent"),
             ("harmonis", "Harmonis / Harmonious"), ("loyal", "Loyal / Loyal"),
             ("adaptif", "Adaptif / Adaptive"), ("kolaboratif", "Kolaboratif / Collaborative")]

# The largest target or realisation a form accepts: the largest number the SMK rules accept (docs/rules.md).
MAKS_ANGKA = int(MAKSIMUM)

# Time of day (WIB, UTC+7) at which a date-only deadline expires; timers need an explicit offset.
WIB_END_OF_DAY = "T23:59:00+07:00"


class SmkProcess(Process):
    """A process whose nodes may sit above or below the middle of their lane (``row``: -1, 0, +1), so that
    parallel branches of one role do not overlap in the diagram."""

    ROW_OFFSET = 45

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows: dict[str, int] = {}

    def place(self, node_id: str, row: int) -> None:
        self.rows[node_id] = row

    def bounds(self, node: Any) -> tuple[float, float, int, int]:
        x, y, w, h = super().bounds(node)
        if node.attached_to:
            return x, y, w, h
        return x, y + self.rows.get(node.id, 0) * self.ROW_OFFSET, w, h


def text(title: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "title": title, **extra}


def area(title: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "title": title, "maxLength": 4000, **extra}


def number(title: str, **extra: Any) -> dict[str, Any]:
    return {"type": "number", "title": title, **extra}


def integer(title: str, **extra: Any) -> dict[str, Any]:
    return {"type": "integer", "title": title, **extra}


def boolean(title: str, **extra: Any) -> dict[str, Any]:
    return {"type": "boolean", "title": title, **extra}


def choice(title: str, values: list[str], names: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    field: dict[str, Any] = {"type": "string", "title": title, "enum": values, **extra}
    if names:
        field["enumNames"] = names
    return field


def shown(field: dict[str, Any]) -> dict[str, Any]:
    """Make a field read-only context: shown from task data, never taken from the submission."""
    return {**field, "readOnly": True}


def bilingual(field: dict[str, Any]) -> dict[str, Any]:
    """Mark read-only text that the process writes as "Indonesian / English"; the app shows one half."""
    return {**field, "x-bilingual": True}


def rows(title: str, item_props: dict[str, Any], required: list[str], **extra: Any) -> dict[str, Any]:
    return {"type": "array", "title": title,
            "items": {"type": "object", "required": required, "properties": item_props}, **extra}


def form(name: str, title: str, props: dict[str, Any], required: list[str],
         ui: dict[str, Any] | None = None, order: list[str] | None = None) -> dict[str, str]:
    """Return the schema and UI-schema files of one form; long strings become textareas."""
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title, "type": "object",
              "required": required, "properties": props}
    uischema: dict[str, Any] = {"ui:order": order or list(props)}
    for key, prop in props.items():
        if prop.get("maxLength") == 4000:
            uischema[key] = {"ui:widget": "textarea"}
        if prop.get("readOnly"):
            uischema.setdefault(key, {})["ui:readonly"] = True
    for key, value in (ui or {}).items():
        uischema.setdefault(key, {}).update(value)
    return {f"{name}.schema.json": dumps(schema), f"{name}.uischema.json": dumps(uischema)}


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def bpmn(process: Process, layout: Any = None, docs: dict[str, tuple[str, str]] | None = None) -> dict[str, str]:
    from .layout import render

    return {f"{process.id}.bpmn": render(process, layout, docs)}
