"""Every shipped SMK form renders through the one form renderer (no unknown widget breaks a task page)."""

from __future__ import annotations

import json
from html.parser import HTMLParser
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


class _Posted(HTMLParser):
    """What a browser posts from rendered fields: every named input's value and each select's chosen option."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "input" and a.get("name") and "__i__" not in str(a["name"]):
            self.fields.append((str(a["name"]), a.get("value") or ""))
        elif tag == "select" and "__i__" not in str(a.get("name")):
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value") or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def test_a_calibration_row_keeps_the_employee_it_is_about_when_posted(app: Flask) -> None:
    """The row's employee id is a hidden column: it is not shown, but it must travel with the row, or the head's
    change would land on nobody and the suggestion would be recorded instead (as it did before)."""
    from werkzeug.datastructures import MultiDict

    schema = json.loads((SMK / "smk_kalibrasi_kurva.schema.json").read_text())
    ui = json.loads((SMK / "smk_kalibrasi_kurva.uischema.json").read_text())
    rows = [{"id": 21, "nama": "Sri", "nip": "198210102007012004", "predikat_usulan": "Baik",
             "predikat_saran": "Butuh Perbaikan", "predikat_kalibrasi": "Baik"},
            {"id": 23, "nama": "Umi", "nip": "199312122018012002", "predikat_usulan": "Baik",
             "predikat_saran": "Baik", "predikat_kalibrasi": "Butuh Perbaikan"}]
    fields = build_fields(schema, ui, {"kalibrasi_pegawai": rows, "kurva_unit": {"daftar_ringkas": True}})
    with app.test_request_context("/"):
        html = render_template_string(
            '{% from "tasks/_field.html" import render_field %}{% for f in fields %}{{ render_field(f, {}) }}{% endfor %}',
            fields=fields)
    assert ">21<" not in html and ">23<" not in html  # the id is not shown as a column
    page = _Posted()
    page.feed(html)
    posted = parse_submission(schema, MultiDict(page.fields))
    assert [(r.get("id"), r.get("predikat_kalibrasi")) for r in posted["kalibrasi_pegawai"]] == [
        (21, "Baik"), (23, "Butuh Perbaikan")]
    assert "perubahan_lain" in html  # a large unit's other changes by NIP
