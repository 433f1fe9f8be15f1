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

    field = build_fields(SCHEMA, {}, {"iku": [{"kode": "IKU-1", "nama": "Indeks"}]})[0]
    with app.test_request_context("/"):
        from flask import session

        html = str(fieldvalue(field.value, field.columns))
        assert "<th>Kode</th><th>Nama indikator</th>" in html and "IKU-1" in html
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
