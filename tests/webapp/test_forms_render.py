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
