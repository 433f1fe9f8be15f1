"""The form editor's checks and preview: a JSON Schema and UI schema as typed, rendered by the task pages' own
renderer (webapp/formrender.py), with a clear message for each thing the renderer would not understand."""

from __future__ import annotations

import ast
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import jsonschema
from flask_babel import gettext as _
from lxml import etree

from engine.deploy.bundles import bundle_hash
from webapp.formrender import Field, build_fields
from webapp.lookups import LOOKUPS

# What webapp/formrender.py does something with; anything else in a UI schema would be silently ignored.
KNOWN_WIDGETS = ("file", "textarea", "hidden")
KNOWN_UI_KEYS = ("ui:order", "ui:readonly", "ui:widget", "ui:optionsFrom", "ui:help", "ui:placeholder",
                 "ui:accept", "ui:maxBytes", "ui:layout", "ui:fixedRows", "ui:itemTitle", "ui:width", "ui:showIf",
                 "ui:options")
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
_SCRIPTS = ("{http://www.omg.org/spec/BPMN/20100524/MODEL}script", f"{{{SPIFF}}}preScript",
            f"{{{SPIFF}}}postScript")
_NAME_ATTRIBUTES = ("resultVariable", "messageVariable", "variableName")


_NAMES_CACHE: OrderedDict[str, frozenset[str]] = OrderedDict()
_NAMES_CACHE_SIZE = 16
_NAMES_LOCK = threading.Lock()


def data_names(files: Mapping[str, bytes]) -> set[str]:
    """The task data names a bundle's processes set: script assignments, service results, message variables,
    DMN outputs and data objects (a ``ui:optionsFrom`` source must start with one of them or a form field).

    Kept per bundle content (the live preview asks on every pause in typing; the SMK bundle takes ~50 ms)."""
    digest = bundle_hash({n: c for n, c in files.items() if n.endswith((".bpmn", ".dmn"))})
    with _NAMES_LOCK:
        cached = _NAMES_CACHE.get(digest)
        if cached is not None:
            _NAMES_CACHE.move_to_end(digest)
            return set(cached)
    names = _data_names(files)
    with _NAMES_LOCK:
        _NAMES_CACHE[digest] = frozenset(names)
        while len(_NAMES_CACHE) > _NAMES_CACHE_SIZE:
            _NAMES_CACHE.popitem(last=False)
    return names


def _data_names(files: Mapping[str, bytes]) -> set[str]:
    names: set[str] = set()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    for filename, content in files.items():
        if not filename.endswith((".bpmn", ".dmn")):
            continue
        try:
            root = etree.fromstring(content, parser)
        except etree.XMLSyntaxError:
            continue  # the validation reports it
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            local = etree.QName(element).localname
            if element.tag in _SCRIPTS and element.text:
                names |= _assigned(element.text)
            if local in ("output", "dataObject", "dataObjectReference") and (element.get("name") or element.get("id")):
                names.add(element.get("name") or element.get("id") or "")
            for attribute in _NAME_ATTRIBUTES:
                if element.get(attribute):
                    names.add(element.get(attribute) or "")
    return names


def _assigned(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _load(text: str, what: str, errors: list[str], empty_ok: bool) -> dict[str, Any] | None:
    if not text.strip():
        if empty_ok:
            return {}
        errors.append(_("%(what)s is empty.", what=what))
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        errors.append(_("%(what)s is not valid JSON (line %(line)s, column %(column)s): %(detail)s", what=what,
                        line=exc.lineno, column=exc.colno, detail=exc.msg))
        return None
    if not isinstance(value, dict):
        errors.append(_("%(what)s must be a JSON object ({ … }).", what=what))
        return None
    return value


def _check_ui(schema: dict[str, Any], ui: dict[str, Any], path: str, sources: set[str], errors: list[str]) -> None:
    found = schema.get("properties")
    props: dict[str, Any] = found if isinstance(found, dict) else {}
    where = path or _("(form)")
    for key, value in ui.items():
        if key.startswith("ui:"):
            if key not in KNOWN_UI_KEYS:
                errors.append(_("UI schema at %(where)s: unknown option '%(key)s' (known: %(known)s).", where=where,
                                key=key, known=", ".join(KNOWN_UI_KEYS)))
            elif key == "ui:order":
                for name in value if isinstance(value, list) else []:
                    if name not in props:
                        errors.append(_("UI schema at %(where)s: ui:order names '%(name)s', which is not a field of "
                                        "the schema.", where=where, name=name))
            elif key == "ui:widget" and value not in KNOWN_WIDGETS:
                errors.append(_("UI schema at %(where)s: unknown widget '%(widget)s' (known: %(known)s).",
                                where=where, widget=value, known=", ".join(KNOWN_WIDGETS)))
            elif key == "ui:optionsFrom":
                _check_options_from(value, where, sources, errors)
            elif key == "ui:options":
                _check_lookup(value, schema, where, errors)
            elif key == "ui:layout" and (value != "table" or schema.get("type") != "array"):
                errors.append(_("UI schema at %(where)s: ui:layout \"table\" is for a list (type array) of objects.",
                                where=where))
            continue
        if key.startswith("x-"):
            continue  # an extension note for people or other tools; the renderer does not read it
        if key == "items":
            items = schema.get("items")
            if schema.get("type") == "array" and isinstance(items, dict) and isinstance(value, dict):
                _check_ui(items, value, f"{path}[]", sources, errors)
            else:
                errors.append(_("UI schema at %(where)s: 'items' is only for a list (type array).", where=where))
            continue
        if key not in props:
            errors.append(_("UI schema names the field '%(name)s', which the schema does not have.",
                            name=f"{path}.{key}" if path else key))
        elif isinstance(value, dict) and isinstance(props[key], dict):
            _check_ui(props[key], value, f"{path}.{key}" if path else key, sources, errors)
        elif not isinstance(value, dict):
            errors.append(_("UI schema at %(where)s: the options of a field must be a JSON object.",
                            where=f"{path}.{key}" if path else key))


def _check_lookup(value: Any, schema: dict[str, Any], where: str, errors: list[str]) -> None:
    """``"ui:options": {"lookup": name}``: a known lookup (webapp/lookups.py), on a text field."""
    name = value.get("lookup") if isinstance(value, dict) else None
    if not isinstance(value, dict) or set(value) != {"lookup"} or name not in LOOKUPS:
        errors.append(_("UI schema at %(where)s: ui:options takes {\"lookup\": …} naming one of %(known)s.",
                        where=where, known=", ".join(sorted(LOOKUPS))))
    elif schema.get("type") != "string" or "enum" in schema:
        errors.append(_("UI schema at %(where)s: a lookup is for a text field (type string, no enum).", where=where))


def _check_options_from(value: Any, where: str, sources: set[str], errors: list[str]) -> None:
    for spec in value if isinstance(value, list) else [value]:
        if not isinstance(spec, dict) or not isinstance(spec.get("source"), str) or not spec.get("value"):
            errors.append(_("UI schema at %(where)s: ui:optionsFrom needs {\"source\": …, \"value\": …} "
                            "(and optionally \"label\").", where=where))
            continue
        first = spec["source"].split(".")[0]
        if first not in sources:
            errors.append(_("UI schema at %(where)s: ui:optionsFrom reads '%(source)s', which is neither a field "
                            "of this form nor data that a process of this bundle sets.", where=where,
                            source=spec["source"]))


def _sample(schema: dict[str, Any]) -> dict[str, Any]:
    """Values for the read-only fields, which the task page shows only once the process filled them in."""
    values: dict[str, Any] = {}
    for name, prop in (schema.get("properties") or {}).items():
        if isinstance(prop, dict) and prop.get("readOnly") and prop.get("default") is None:
            kind = prop.get("type")
            if kind in ("number", "integer"):
                values[name] = 0
            elif kind == "string" or kind is None:
                values[name] = str(prop.get("enum", [None])[0] or "…") if prop.get("enum") else "…"
    return values


def preview(schema_text: str, ui_text: str, sources: set[str]) -> tuple[list[Field], list[str]]:
    """Check a form's two files as typed and build the fields the task page would show; return them and every
    problem found (the fields are empty when the files cannot be rendered at all)."""
    errors: list[str] = []
    schema = _load(schema_text, _("The JSON Schema"), errors, empty_ok=False)
    ui = _load(ui_text, _("The UI schema"), errors, empty_ok=True)
    if schema is None:
        return [], errors
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        where = "/".join(str(p) for p in exc.path) or _("(root)")
        errors.append(_("The JSON Schema is not valid at %(where)s: %(detail)s", where=where, detail=exc.message))
        return [], errors
    if schema.get("type", "object") != "object" or not isinstance(schema.get("properties", {}), dict):
        errors.append(_("A form's JSON Schema must describe an object with properties."))
        return [], errors
    if ui is None:
        ui = {}
    known = sources | set(schema.get("properties") or {})
    _check_ui(schema, ui, "", known, errors)
    try:
        fields = build_fields(schema, ui, _sample(schema))
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        errors.append(_("The form cannot be shown: %(detail)s", detail=f"{type(exc).__name__}: {exc}"))
        return [], errors
    return fields, errors
