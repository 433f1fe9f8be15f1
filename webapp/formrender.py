"""The one form renderer: JSON Schema + UI schema to fields, and posted fields back to typed JSON."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from engine.services.documents import DEFAULT_ACCEPT, DEFAULT_MAX_BYTES, parse_ref

_INDEX = re.compile(r"\[(\w+)\]")


@dataclass
class Field:
    """One field to render; ``name`` is the HTML name, ``path`` the dotted path used in error messages."""

    name: str
    path: str
    title: str
    kind: str  # text, textarea, number, integer, date, select, checkbox, array, file, readonly
    value: Any = None
    required: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)
    help: str = ""
    minimum: Any = None
    maximum: Any = None
    accept: str = ""     # file fields: the accepted extensions / types
    max_bytes: int = 0   # file fields: the size limit
    document: Any = None  # file fields: the DocumentRef already uploaded
    placeholder: str = ""
    columns: dict[str, str] = field(default_factory=dict)  # arrays: column key -> title (read-only tables)
    bilingual: bool = False  # read-only text the process wrote as "Indonesian / English" ("x-bilingual")
    label: str | None = None  # read-only choices: the option's label to show instead of the stored value
    children: list[Field] = field(default_factory=list)   # the template row of an array
    rows: list[list[Field]] = field(default_factory=list)  # the existing rows of an array
    layout: str = ""  # arrays: "table" lays the rows out as a table (cards on a phone), see docs/modelling.md
    fixed_rows: bool = False  # arrays: rows cannot be added, removed or moved ("ui:fixedRows")
    width: str = ""  # a row's field: "full" takes a line of its own across the row ("ui:width")
    item_title: str = ""  # arrays: what one row is called ("ui:itemTitle"), e.g. "RHK"
    carried: list[tuple[str, str]] = field(default_factory=list)  # a row's hidden columns, posted back unseen
    lookup: str = ""  # text fields: the type-ahead lookup that offers values ("ui:options": {"lookup": …})

    def segments(self, row: list[Field]) -> list[tuple[str, list[Field]]]:
        """Group a table row's fields for display: ("full", [one field]) lines and ("cols", [fields]) lines of
        fields side by side, in the UI schema's order."""
        out: list[tuple[str, list[Field]]] = []
        for child in row:
            if child.width == "full":
                out.append(("full", [child]))
            elif out and out[-1][0] == "cols":
                out[-1][1].append(child)
            else:
                out.append(("cols", [child]))
        return out

    def columns_only(self, row: list[Field]) -> bool:
        """True when a table row has no full-width field: each field is then a column under a heading."""
        return all(child.width != "full" for child in row)


def _ordered(schema: dict[str, Any], ui: dict[str, Any]) -> list[str]:
    props = list((schema.get("properties") or {}).keys())
    order = ui.get("ui:order") or []
    return [p for p in order if p in props] + [p for p in props if p not in order]


def _kind(prop: dict[str, Any], ui: dict[str, Any]) -> str:
    if prop.get("readOnly") or ui.get("ui:readonly"):
        return "readonly"
    if ui.get("ui:widget") == "file":
        return "file"
    if ui.get("ui:optionsFrom"):
        return "select"
    t = prop.get("type")
    if t == "array":
        return "array"
    if "enum" in prop:
        return "select"
    if t == "boolean":
        return "checkbox"
    if t in ("number", "integer"):
        return t
    if prop.get("format") == "date":
        return "date"
    if ui.get("ui:widget") == "textarea":
        return "textarea"
    return "text"


def lookup_of(ui: Any) -> str:
    """Return the type-ahead lookup a field's UI schema names (``"ui:options": {"lookup": "kalibrasi_staf"}``), or
    "" (webapp/lookups.py answers it for the task)."""
    options = ui.get("ui:options") if isinstance(ui, dict) else None
    name = options.get("lookup") if isinstance(options, dict) else None
    return name if isinstance(name, str) else ""


def options_from(spec: Any, root: dict[str, Any]) -> list[tuple[str, str]]:
    """Return (value, label) choices read from lists in the task data, as a UI schema's ``ui:optionsFrom`` says.

    ``spec`` is one ``{"source": "rhk_atasan", "value": "id", "label": "rhk"}`` or a list of them; ``source``
    may be a dotted path (``pegawai.bawahan``). This lets a form offer, say, the superior's RHK to choose from.
    """
    choices: list[tuple[str, str]] = []
    for one in spec if isinstance(spec, list) else [spec]:
        if not isinstance(one, dict):
            continue
        rows: Any = root
        for part in str(one.get("source", "")).split("."):
            rows = rows.get(part) if isinstance(rows, dict) else None
        for row in rows if isinstance(rows, list) else []:
            if isinstance(row, dict) and row.get(one.get("value")) not in (None, ""):
                value = str(row[one.get("value")])
                label = row.get(one.get("label")) if one.get("label") else None
                if label and one.get("labelOnly"):
                    prefix = str(one.get("prefix") or "")
                    choices.append((value, f"{prefix}{label}"))  # the text people know, not a code
                else:
                    choices.append((value, f"{value} — {label}" if label else value))
    return list(dict.fromkeys(choices))


def build_fields(schema: dict[str, Any], ui: dict[str, Any] | None, values: dict[str, Any],
                 prefix: str = "", path_prefix: str = "", root: dict[str, Any] | None = None) -> list[Field]:
    """Return the fields of an object schema with current values filled in (``root``: the whole task data)."""
    ui = ui or {}
    root = values if root is None else root
    required = set(schema.get("required") or [])
    out = []
    carried: list[tuple[str, str]] = []
    for name in _ordered(schema, ui):
        prop = schema["properties"][name]
        if not isinstance(prop, dict):
            continue
        prop_ui = ui.get(name) or {}
        html_name = f"{prefix}[{name}]" if prefix else name
        path = f"{path_prefix}.{name}" if path_prefix else name
        if prop_ui.get("ui:widget") == "hidden" and prefix and isinstance(values.get(name), (str, int, float)) \
                and not isinstance(values.get(name), bool):
            # A row's hidden column (the employee a calibration row is about) is not shown but travels with the
            # row like its read-only columns do, so that the row keeps its identity when posted.
            carried.append((html_name, str(values[name])))
            continue
        if prop_ui.get("ui:widget") == "hidden" or not _shown(prop_ui.get("ui:showIf"), root):
            continue  # e.g. "Perspektif" only for JPT: the UI schema names the task data that decides
        kind = _kind(prop, prop_ui)
        value = values.get(name, prop.get("default"))
        if kind == "readonly" and value in (None, "", [], {}):
            continue  # context the process has not filled in yet would only be an empty line
        if kind == "readonly" and isinstance(value, dict) and isinstance(prop.get("properties"), dict) \
                and prop["properties"]:
            # A read-only object whose schema names its parts shows those parts, each with its title (and nothing
            # else it holds), instead of every key and value in one line ("status: menunggu; saran: …").
            parts = {k: {**v, "readOnly": True} for k, v in prop["properties"].items() if isinstance(v, dict)}
            out.extend(build_fields({**prop, "properties": parts, "required": []}, prop_ui, value, html_name,
                                    path, root))
            continue
        f = Field(html_name, path, prop.get("title") or name, kind, value, name in required,
                  help=prop.get("description", "") or prop_ui.get("ui:help", ""),
                  minimum=prop.get("minimum", prop.get("exclusiveMinimum")), maximum=prop.get("maximum"))
        f.placeholder = prop_ui.get("ui:placeholder", "")
        f.width = "full" if prop_ui.get("ui:width") == "full" else ""
        if kind == "array" and prop_ui.get("ui:layout") == "table":
            f.layout = "table"
            f.item_title = str(prop_ui.get("ui:itemTitle") or "")
        f.fixed_rows = kind == "array" and bool(prop_ui.get("ui:fixedRows"))
        f.lookup = lookup_of(prop_ui) if kind == "text" else ""
        f.bilingual = bool(prop.get("x-bilingual"))
        if kind == "readonly" and "enum" in prop and prop.get("enumNames"):
            # Show a read-only choice by its label ("Sesuai Ekspektasi / As expected"), not its stored value.
            shown = dict(zip([str(v) for v in prop["enum"]], prop["enumNames"], strict=False))
            if str(value) in shown:
                f.label = shown[str(value)]
        item_props = (prop.get("items") or {}).get("properties") or {}
        f.columns = {k: str(v.get("title") or k) for k, v in item_props.items() if isinstance(v, dict)}
        if kind == "file":
            accept, f.max_bytes = file_limits(prop, prop_ui)
            f.accept = ",".join(accept)
            f.document = parse_ref(value)
        if kind == "select" and prop_ui.get("ui:optionsFrom"):
            f.options = options_from(prop_ui["ui:optionsFrom"], root)
            if value not in (None, "") and str(value) not in {v for v, _ in f.options}:
                f.options.append((str(value), str(value)))  # never lose a value chosen before the list changed
        elif kind == "select":
            labels = prop.get("enumNames") or [str(v) for v in prop["enum"]]
            f.options = [(str(v), str(label)) for v, label in zip(prop["enum"], labels, strict=False)]
        if kind == "array":
            items = prop.get("items") or {}
            item_ui = prop_ui.get("items") or {}
            f.children = build_fields(items, item_ui, {}, f"{html_name}[__i__]", f"{path}.__i__", root)
            rows = value if isinstance(value, list) else []
            f.rows = [build_fields(items, item_ui, row if isinstance(row, dict) else {}, f"{html_name}[{i}]",
                                   f"{path}.{i}", root) for i, row in enumerate(rows)]
        out.append(f)
    if carried and out:
        out[0].carried = carried
    return out


def _shown(rule: Any, root: dict[str, Any]) -> bool:
    """Apply a ``ui:showIf`` rule: ``{"path": "pegawai.jenis_jabatan", "equals": "JPT"}`` (or ``"in": [...]``);
    without ``equals``/``in`` the value must be truthy. No rule: shown."""
    if not isinstance(rule, dict) or not rule.get("path"):
        return True
    value: Any = root
    for part in str(rule["path"]).split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if "equals" in rule:
        return bool(value == rule["equals"])
    if isinstance(rule.get("in"), list):
        return value in rule["in"]
    return bool(value)


def parse_submission(schema: dict[str, Any] | None, form: MultiDict) -> dict[str, Any]:
    """Turn posted fields into JSON values typed by the schema; wrong types stay strings for the validator."""
    if schema is None:
        return {}
    raw: dict[str, Any] = {}
    for key in form.keys():
        if key == "csrf_token" or key.startswith("_"):
            continue
        parts = [key.split("[", 1)[0], *_INDEX.findall(key)]
        node = raw
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                break
        else:
            node[parts[-1]] = form.get(key)
    return _coerce_object(schema, raw)


def _coerce_object(schema: dict[str, Any], raw: dict[str, Any], in_row: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, prop in (schema.get("properties") or {}).items():
        # A row's read-only columns (the indicator id a realisation row answers) travel with the row as hidden
        # inputs, so that rows keep their identity; the engine drops only top-level read-only fields.
        if not isinstance(prop, dict) or (prop.get("readOnly") and not in_row):
            continue
        t = prop.get("type")
        if t == "boolean":
            out[name] = raw.get(name) in ("on", "true", "1", "yes")
            continue
        if name not in raw:
            continue
        value = raw[name]
        if t == "array":
            rows = value if isinstance(value, dict) else {}
            # Row keys are the numbers the page gives them; anything else (a 5,000-digit "number") is not a row.
            ordered = [rows[k] for k in sorted((k for k in rows if _is_row_index(k)), key=int)]
            out[name] = [row for r in ordered if isinstance(r, dict)
                         for row in [_coerce_object(prop.get("items") or {}, r, True)]
                         if not (r.get(SPARE) and _blank(row))]
            continue
        if isinstance(value, dict):
            continue
        value = (value or "").strip()
        if value == "":
            continue  # an empty optional field is absent, so "required" reports it, not "type"
        out[name] = _coerce_scalar(t, value)
    return out


# The mark of the empty row a page without JavaScript offers (templates/tasks/_field.html, spare_row): dropped when
# posted blank, like a row never added.
SPARE = "__spare__"


def _blank(row: dict[str, Any]) -> bool:
    return all(value is False or value in (None, "", [], {}) for value in row.values())


def _is_row_index(key: Any) -> bool:
    return isinstance(key, str) and key.isascii() and key.isdigit() and len(key) <= 6


def _coerce_scalar(t: Any, value: str) -> Any:
    try:
        if t == "integer":
            return int(value)
        if t == "number":
            number = float(value.replace(",", "."))
            if not math.isfinite(number):
                return value  # "nan", "inf", "1e400": not a number JSON can hold, so the validator reports it
            return int(number) if number.is_integer() and "." not in value and "," not in value else number
    except ValueError:
        return value
    return value


def file_limits(prop: dict[str, Any], ui: dict[str, Any]) -> tuple[list[str], int]:
    """Return the accepted types and the size limit of a file field (``x-accept`` / ``x-max-bytes``)."""
    accept = prop.get("x-accept") or ui.get("ui:accept") or list(DEFAULT_ACCEPT)
    if isinstance(accept, str):
        accept = [a.strip() for a in accept.split(",") if a.strip()]
    limit = prop.get("x-max-bytes") or ui.get("ui:maxBytes") or DEFAULT_MAX_BYTES
    return [str(a) for a in accept], int(limit)


def field_at(schema: dict[str, Any] | None, ui: dict[str, Any] | None, name: str
             ) -> tuple[str, dict[str, Any], dict[str, Any]] | None:
    """Find the schema and UI schema of a posted field name such as ``kegiatan[0][bukti]``; return its dotted
    path, property and UI options, or None when the form has no such field."""
    if not schema:
        return None
    parts = [name.split("[", 1)[0], *_INDEX.findall(name)]
    node: Any = schema
    node_ui: Any = ui or {}
    path: list[str] = []
    prop: dict[str, Any] = {}
    for part in parts:
        if node.get("type") == "array":
            if not part.isdigit():
                return None
            node, node_ui = node.get("items") or {}, node_ui.get("items") or {}
            path.append(part)
            continue
        found = (node.get("properties") or {}).get(part)
        if not isinstance(found, dict):
            return None
        prop = found
        node, node_ui = prop, node_ui.get(part) or {}
        path.append(part)
    return ".".join(path), prop, node_ui
