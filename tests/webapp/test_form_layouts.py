"""The form renderer's table layout (issue 13): "ui:layout": "table" for lists of objects (cards on a phone),
full-width fields, fixed rows, fields shown only when the task data says so, hidden fields, choices by their text;
and the workspace's form check that knows these options."""

from __future__ import annotations

import json
import re

from flask import Flask, render_template_string

from webapp.form_preview import preview
from webapp.formrender import build_fields, parse_submission

ROW = {"type": "object", "properties": {
    "kode": {"type": "string", "title": "Kode", "readOnly": True},
    "mendukung": {"type": "string", "title": "Mendukung"},
    "rhk": {"type": "string", "title": "RHK"},
    "target": {"type": "number", "title": "Target"},
    "perspektif": {"type": "string", "title": "Perspektif", "enum": ["Anggaran", "Proses Bisnis"]},
}}
SCHEMA = {"type": "object", "properties": {
    "rhk_atasan": {"type": "array", "readOnly": True, "items": {"type": "object"}},
    "baris": {"type": "array", "title": "Baris", "items": ROW},
}}
PAGE = '{% from "tasks/_field.html" import render_field %}{% for f in fields %}{{ render_field(f, {}) }}{% endfor %}'
DATA = {"rhk_atasan": [{"id": "7-1", "rhk": "Tersusunnya rencana"}], "pegawai": {"jenis_jabatan": "JA"},
        "baris": [{"kode": "U1", "mendukung": "7-1", "rhk": "Satu", "target": 3},
                  {"kode": "U2", "rhk": "Dua", "target": 4}]}


def _ui(**row_ui: object) -> dict[str, object]:
    return {"rhk_atasan": {"ui:widget": "hidden", "ui:readonly": True},
            "baris": {"ui:layout": "table", "ui:itemTitle": "RHK", "items": {
                "mendukung": {"ui:width": "full", "ui:optionsFrom": [
                    {"source": "rhk_atasan", "value": "id", "label": "rhk", "labelOnly": True,
                     "prefix": "RHK atasan: "}]},
                "perspektif": {"ui:showIf": {"path": "pegawai.jenis_jabatan", "equals": "JPT"}}, **row_ui}}}


def _html(app: Flask, data: dict[str, object], ui: dict[str, object]) -> str:
    with app.test_request_context("/"):
        return re.sub(r"\s+", " ", render_template_string(PAGE, fields=build_fields(SCHEMA, ui, data)))


def test_a_list_as_a_table_with_full_width_lines_and_choices_by_text(app: Flask) -> None:
    fields = build_fields(SCHEMA, _ui(rhk={"ui:width": "full", "ui:widget": "textarea"}), DATA)
    assert [f.name for f in fields] == ["baris"]  # the hidden list is not shown
    table = fields[0]
    assert table.layout == "table" and not table.fixed_rows
    first = table.rows[0]
    assert [c.name.split("[")[-1].rstrip("]") for c in first] == ["kode", "mendukung", "rhk", "target"]  # no JPT
    assert [kind for kind, _ in table.segments(first)] == ["cols", "full", "full", "cols"]
    assert first[1].options == [("7-1", "RHK atasan: Tersusunnya rencana")]
    html = _html(app, DATA, _ui(rhk={"ui:width": "full", "ui:widget": "textarea"}))
    assert '<table class="form-table row-list">' in html and html.count('<tbody class="row-item">') == 3  # + template
    assert "<template>" in html and "add-row" in html and "remove-row" in html
    assert '<option value="7-1" selected>RHK atasan: Tersusunnya rencana</option>' in html
    assert '<input type="hidden" name="baris[1][kode]" value="U2">' in html  # read-only cells travel with the row
    assert 'class="row-label">RHK</span> <span class="row-no">2</span>' in html


def test_only_columns_get_headings_and_fixed_rows_have_no_buttons(app: Flask) -> None:
    ui = _ui()
    ui["baris"]["ui:fixedRows"] = True  # type: ignore[index]
    ui["baris"]["items"]["mendukung"].pop("ui:width")  # type: ignore[index]
    html = _html(app, DATA, ui)
    assert 'class="form-table row-list form-table-columns"' in html
    head = html.split("<thead>")[1].split("</thead>")[0]
    assert [h.strip() for h in re.findall(r'<th scope="col">([^<]*)', head)] == ["Kode", "Mendukung", "RHK",
                                                                          "Target"]
    assert "add-row" not in html and "remove-row" not in html and "<template>" not in html
    assert "Perspektif" not in html


def test_shown_if_and_posted_rows_keep_their_order() -> None:
    jpt = dict(DATA, pegawai={"jenis_jabatan": "JPT"})
    fields = build_fields(SCHEMA, _ui(), jpt)
    assert [c.title for c in fields[0].rows[0]][-1] == "Perspektif"
    assert fields[0].rows[0][-1].options == [("Anggaran", "Anggaran"), ("Proses Bisnis", "Proses Bisnis")]  # no ""
    from werkzeug.datastructures import MultiDict

    posted = parse_submission(SCHEMA, MultiDict([("baris[1][rhk]", "Dua"), ("baris[1][kode]", "U2"),
                                                 ("baris[0][rhk]", "Satu"), ("baris[0][kode]", "U1")]))
    assert posted == {"baris": [{"kode": "U1", "rhk": "Satu"}, {"kode": "U2", "rhk": "Dua"}]}



def test_without_javascript_one_spare_row_is_offered_and_dropped_when_left_blank(app: Flask) -> None:
    # "Add row" needs JavaScript; a <noscript> row numbered after the others stands in for it.
    html = _html(app, DATA, _ui())
    spare = html.split("<noscript>")[1].split("</noscript>")[0]
    assert '<input type="hidden" name="baris[2][__spare__]" value="1">' in spare
    assert 'name="baris[2][rhk]"' in spare and "__i__" not in spare and html.count("<noscript>") == 1
    fixed = _ui()
    fixed["baris"]["ui:fixedRows"] = True  # type: ignore[index]
    assert "<noscript>" not in _html(app, DATA, fixed)
    from werkzeug.datastructures import MultiDict

    rows = [("baris[0][rhk]", "Satu"), ("baris[0][kode]", "U1")]
    blank = parse_submission(SCHEMA, MultiDict(rows + [("baris[1][__spare__]", "1"), ("baris[1][rhk]", ""),
                                                       ("baris[1][target]", " "), ("baris[1][mendukung]", "")]))
    assert blank == {"baris": [{"kode": "U1", "rhk": "Satu"}]}
    filled = parse_submission(SCHEMA, MultiDict(rows + [("baris[1][__spare__]", "1"), ("baris[1][rhk]", "Dua"),
                                                        ("baris[1][target]", "4")]))
    assert filled == {"baris": [{"kode": "U1", "rhk": "Satu"}, {"rhk": "Dua", "target": 4}]}
    # A blank row the page added with JavaScript is the person's and stays (the form's own checks answer it).
    kept = parse_submission(SCHEMA, MultiDict(rows + [("baris[1][rhk]", "")]))
    assert kept == {"baris": [{"kode": "U1", "rhk": "Satu"}, {}]}

def test_the_workspace_check_knows_the_layout_options(app: Flask) -> None:
    with app.test_request_context("/"):
        _, errors = preview(json.dumps(SCHEMA), json.dumps(_ui()), {"rhk_atasan", "pegawai"})
        assert errors == []
        wrong = {"baris": {"items": {"rhk": {"ui:layout": "table"}}}}
        _, errors = preview(json.dumps(SCHEMA), json.dumps(wrong), set())
        assert len(errors) == 1 and "ui:layout" in errors[0]


def test_the_waiting_for_the_curve_form_says_what_it_waits_for_without_variable_names(app: Flask) -> None:
    """The assessor's *Menunggu keputusan kurva unit* shows the unit rating and the check's message, not the check's
    whole result as "status: menunggu; saran: ; …" (found in the browser)."""
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "bpmn" / "smk"
    schema = json.loads((folder / "smk_menunggu_kurva.schema.json").read_text(encoding="utf-8"))
    ui = json.loads((folder / "smk_menunggu_kurva.uischema.json").read_text(encoding="utf-8"))
    data = {"predikat": "Baik", "periksa_lagi": True, "kurva": {
        "status": "menunggu", "saran": "", "predikat_unit": "Baik",
        "pesan": "Predikat unit: Baik. Menunggu keputusan kurva Deputi Bidang 1. / Unit rating: Baik. Waiting."}}
    with app.test_request_context("/"):
        html = re.sub(r"\s+", " ", render_template_string(PAGE, fields=build_fields(schema, ui, data)))
    assert "Menunggu keputusan kurva Deputi Bidang 1." in html and "Predikat unit" in html
    assert "status:" not in html and "saran:" not in html and "menunggu;" not in html
    assert "Waiting." not in html  # the process's text in both languages: the half of the page's language


def test_a_wide_table_scrolls_in_its_card_unless_a_field_has_a_type_ahead(app: Flask) -> None:
    """A table of many columns (the calibration's) scrolls sideways inside its card instead of past the page's edge;
    a table with a type-ahead field does not scroll, since a scrolling box would clip the list of matches."""
    html = _html(app, DATA, _ui())
    assert '<div class="form-table-scroll" tabindex="0" role="region" aria-label="Baris">' in html
    assert html.index("form-table-scroll") < html.index('<table class="form-table row-list')
    looked_up = _html(app, DATA, _ui(rhk={"ui:options": {"lookup": "kalibrasi_staf"}}))
    assert 'data-lookup' in looked_up and "form-table-scroll" not in looked_up
