"""The form renderer: read-only context only when there is some, and tables with their column titles."""

from __future__ import annotations

from flask import Flask

from webapp.formrender import build_fields

SCHEMA = {
    "type": "object",
    "properties": {
        "catatan": {"type": "string", "title": "Catatan Pejabat Penilai / Assessor's notes", "readOnly": True},
        "iku": {"type": "array", "title": "IKU unit / Unit IKU", "readOnly": True,
                "items": {"type": "object", "properties": {
                    "kode": {"type": "string", "title": "Kode / Code"},
                    "nama": {"type": "string", "title": "Nama indikator / Indicator"}}}},
        "ringkasan": {"type": "string", "title": "Ringkasan / Summary"},
    },
}


def test_empty_read_only_context_is_left_out() -> None:
    names = [f.name for f in build_fields(SCHEMA, {}, {"catatan": "", "iku": []})]
    assert names == ["ringkasan"]
    names = [f.name for f in build_fields(SCHEMA, {}, {"catatan": "Lengkapi target", "iku": []})]
    assert names == ["catatan", "ringkasan"]


def test_read_only_table_uses_column_titles_in_the_current_language(app: Flask) -> None:
    from webapp.filters import fieldvalue

    field = build_fields(SCHEMA, {}, {"iku": [{"kode": "IKU-1", "nama": "Indeks", "unit_code": "DEP"}]})[0]
    with app.test_request_context("/"):
        from flask import session

        html = str(fieldvalue(field.value, field.columns))
        assert "<th>Kode</th><th>Nama indikator</th></tr>" in html and "IKU-1" in html
        assert "unit_code" not in html and "DEP" not in html  # columns the form does not name stay out
        session["lang"] = "en"
        assert "<th>Code</th><th>Indicator</th>" in str(fieldvalue(field.value, field.columns))


def test_bilingual_process_text_shows_the_current_language(app: Flask) -> None:
    from flask import render_template_string, session

    schema = {"type": "object", "properties": {"pesan": {"type": "string", "title": "Status", "readOnly": True,
                                                          "x-bilingual": True}}}
    page = ('{% from "tasks/_field.html" import render_field %}'
            "{% for f in fields %}{{ render_field(f, {}) }}{% endfor %}")
    fields = build_fields(schema, {}, {"pesan": "Atasan belum menetapkan RHK / The superior has not set the RHK"})
    with app.test_request_context("/"):
        html = render_template_string(page, fields=fields)
        assert "Atasan belum menetapkan RHK" in html and "The superior" not in html
        session["lang"] = "en"
        html = render_template_string(page, fields=fields)
        assert "The superior has not set the RHK" in html and "Atasan belum" not in html


def test_options_from_task_data_offer_the_superiors_rhk_and_keep_an_old_choice() -> None:
    schema = {"type": "object", "properties": {"rhk_utama": {"type": "array", "items": {
        "type": "object", "properties": {"mendukung": {"type": "string", "title": "Mendukung / Supports"}}}}}}
    ui = {"rhk_utama": {"items": {"mendukung": {"ui:optionsFrom": [
        {"source": "rhk_atasan", "value": "id", "label": "rhk"},
        {"source": "unit.iku", "value": "kode", "label": "nama"}]}}}}
    data = {"rhk_atasan": [{"id": "5-1", "rhk": "Dokumen perencanaan tersusun"}],
            "unit": {"iku": [{"kode": "IKU-1", "nama": "Nilai SAKIP"}]},
            "rhk_utama": [{"mendukung": "5-1"}, {"mendukung": "lama-9"}]}
    array = build_fields(schema, ui, data)[0]
    first, second = array.rows[0][0], array.rows[1][0]
    assert first.kind == "select"
    assert first.options == [("5-1", "5-1 — Dokumen perencanaan tersusun"), ("IKU-1", "IKU-1 — Nilai SAKIP")]
    assert first.value == "5-1"
    assert ("lama-9", "lama-9") in second.options  # a choice made before the list changed is kept
    assert [v for v, _ in array.children[0].options] == ["5-1", "IKU-1"]  # new rows get the same choices


def test_read_only_choice_shows_its_label() -> None:
    schema = {"type": "object", "properties": {"hasil_kerja": {
        "type": "string", "readOnly": True, "enum": ["Sesuai Ekspektasi"],
        "enumNames": ["Sesuai Ekspektasi / As expected"]}}}
    field = build_fields(schema, {}, {"hasil_kerja": "Sesuai Ekspektasi"})[0]
    assert field.label == "Sesuai Ekspektasi / As expected"
    assert field.value == "Sesuai Ekspektasi"  # what a row posts back stays the stored value


def test_predikat_badges_are_coloured_by_rating() -> None:
    from webapp.filters import predikat_badge

    assert predikat_badge("Sangat Baik") == predikat_badge("Baik") == "text-bg-success"
    assert predikat_badge("Butuh Perbaikan") == "text-bg-warning"
    assert predikat_badge("Kurang/Misconduct") == predikat_badge("Sangat Kurang") == "text-bg-danger"
    assert predikat_badge(None) == "text-bg-secondary"
