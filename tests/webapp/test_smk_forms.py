"""Every shipped SMK form renders through the one form renderer (no unknown widget breaks a task page)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask, render_template_string

from webapp.formrender import build_fields, parse_submission

SMK = Path(__file__).resolve().parents[2] / "bpmn" / "smk"
SCHEMAS = sorted(SMK.glob("*.schema.json")) if SMK.exists() else []


@pytest.mark.skipif(not SCHEMAS, reason="bpmn/smk has not landed")
@pytest.mark.parametrize("schema_file", SCHEMAS, ids=lambda p: p.name)
def test_smk_form_renders(schema_file: Path, app: Flask) -> None:
    schema = json.loads(schema_file.read_text())
    ui_file = schema_file.with_name(schema_file.name.replace(".schema.json", ".uischema.json"))
    ui = json.loads(ui_file.read_text()) if ui_file.exists() else {}
    fields = build_fields(schema, ui, {})
    with app.test_request_context("/"):
        html = render_template_string(
            '{% from "tasks/_field.html" import render_field %}{% for f in fields %}{{ render_field(f, {}) }}{% endfor %}',
            fields=fields)
    for name, prop in (schema.get("properties") or {}).items():
        # Read-only fields (by schema or UI schema) show context and are not inputs.
        if isinstance(prop, dict) and not prop.get("readOnly") and not (ui.get(name) or {}).get("ui:readonly"):
            assert f'name="{name}' in html or prop.get("type") == "array", f"{name} has no input"
    from werkzeug.datastructures import MultiDict

    assert isinstance(parse_submission(schema, MultiDict()), dict)
