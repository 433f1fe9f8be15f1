"""Pins for the server-side validation of task data (issue 9): each test fails on a mutant of the rule it names.

The schemas are small and written here, so every assertion names exactly one behaviour of ``validate_submission``.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.errors import FormInvalid
from engine.services.forms import editable_fields, validate_submission

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["uraian", "jumlah", "nama_pegawai"],
    "properties": {
        "nama_pegawai": {"type": "string", "readOnly": True},
        "uraian": {"type": "string", "minLength": 3},
        "jumlah": {"type": "number", "minimum": 0},
        "catatan": {"type": "string"},
        "kelipatan": {"type": "integer", "multipleOf": 5},
        "baris": {"type": "array", "items": {
            "type": "object", "required": ["nama", "target"],
            "properties": {"nama": {"type": "string"}, "target": {"type": "number"}}}},
        "setuju": True,  # a boolean schema: any value, and no readOnly to look up
    },
}
VALID = {"uraian": "Rapat", "jumlah": 2.5}


def english(message: object) -> str:
    """A field message in English: the part after " / " of a bilingual text, or a translatable message as is."""
    return str(message).split(" / ")[-1]


def errors_of(data: Any, schema: dict[str, Any] | None = SCHEMA) -> dict[str, str]:
    """Field path -> English message of the FormInvalid the submission raises."""
    with pytest.raises(FormInvalid) as info:
        validate_submission(schema, data)
    return {e.path: english(e.message) for e in info.value.errors}


def test_only_fields_that_are_not_read_only_are_editable() -> None:
    assert editable_fields(SCHEMA) == ["uraian", "jumlah", "catatan", "kelipatan", "baris", "setuju"]
    assert editable_fields({"type": "object"}) == []
    assert editable_fields({"properties": {"a": {"readOnly": False}, "b": {}}}) == ["a", "b"]


def test_a_valid_submission_comes_back_with_ordinary_numbers_kept() -> None:
    assert validate_submission(SCHEMA, VALID) == VALID
    rows = {**VALID, "baris": [{"nama": "Laporan", "target": 1.5}], "setuju": "ya"}
    assert validate_submission(SCHEMA, rows) == rows


def test_read_only_and_unknown_fields_are_dropped_not_stored() -> None:
    clean = validate_submission(SCHEMA, {**VALID, "nama_pegawai": "Orang lain", "skor_akhir": 120})
    assert clean == VALID


def test_a_required_read_only_field_is_not_demanded_from_the_user() -> None:
    # nama_pegawai is required (the process fills it in) but read-only: the user never sends it.
    assert "nama_pegawai" not in validate_submission(SCHEMA, VALID)


def test_only_the_missing_required_fields_are_named_with_the_bilingual_message() -> None:
    assert errors_of({"uraian": "Rapat"}) == {"jumlah": "Required"}
    assert errors_of({}) == {"uraian": "Required", "jumlah": "Required"}


def test_a_missing_field_inside_a_table_row_is_named_by_its_path() -> None:
    assert errors_of({**VALID, "baris": [{"nama": "A", "target": 1}, {"nama": "B"}]}) == {
        "baris.1.target": "Required"}


def test_known_keywords_get_bilingual_messages_others_keep_the_validators_text() -> None:
    assert errors_of({"uraian": "ab", "jumlah": -1}) == {
        "uraian": "Too short (at least 3 characters)",
        "jumlah": "Must be at least 0"}
    assert errors_of({**VALID, "kelipatan": 7}) == {"kelipatan": "7 is not a multiple of 5"}


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_numbers_that_are_not_finite_are_refused_wherever_they_are(bad: float) -> None:
    assert errors_of({**VALID, "jumlah": bad}) == {"jumlah": "Must be an ordinary number"}
    nested = {**VALID, "baris": [{"nama": "A", "target": 1}, {"nama": "B", "target": bad}]}
    assert errors_of(nested) == {"baris.1.target": "Must be an ordinary number"}


def test_data_that_is_not_an_object_is_refused() -> None:
    assert errors_of(["uraian"]) == {"": "Form data must be an object"}
    assert errors_of("x", None) == {"": "Form data must be an object"}


def test_a_task_without_a_form_takes_no_data() -> None:
    assert validate_submission(None, {"skor_akhir": 120}) == {}


def test_a_pattern_re2_cannot_compile_matches_nothing() -> None:
    # Deployment refuses such patterns; a form deployed before that check refuses every value rather than run
    # a backtracking regex on user input.
    schema = {"type": "object", "properties": {"kode": {"type": "string", "pattern": "^(a)\\1$"}}}
    assert errors_of({"kode": "aa"}, schema) == {"kode": "Does not match the expected format"}


def test_a_reference_outside_the_form_is_refused_and_named_in_at_most_200_characters() -> None:
    ref = "https://example.com/" + "s" * 300 + ".json"
    schema = {"type": "object", "properties": {"a": {"$ref": ref}}}
    [(path, message)] = errors_of({"a": 1}, schema).items()
    assert path == "" and f"({ref[:200]})" in message
