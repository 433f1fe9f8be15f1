"""The shipped DMN files: where they are, that Spiff accepts them, and how the reader guards them."""

from __future__ import annotations

import os
from collections.abc import Callable
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from processes.rules import dmn_expr, dmn_tables
from processes.rules.dmn_tables import DMN_FILES, RULES_DIR, decide, dmn_path, load_table, parse_table
from processes.rules.errors import DmnTableError

# One realistic input per decision and the answer DOMAIN.md gives for it.
EXAMPLES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "predikat_matrix_6_2022": ({"hasil_kerja": "Di Bawah Ekspektasi", "perilaku": "Di Atas Ekspektasi"},
                               {"predikat": "Butuh Perbaikan"}),
    "predikat_band_regime_a": ({"nilai": 91.2}, {"predikat": "Sangat Baik"}),
    "predikat_band_regime_b": ({"nilai": 115.0, "inovasi": False}, {"predikat": "Baik"}),
    "nilai_capaian_iki": ({"capaian": 85}, {"nilai": 75, "kategori": "Cukup"}),
    "konversi_2021": ({"nilai": 90}, {"nilai_baru": 109, "predikat_lama": "Baik"}),
    "tindak_lanjut": ({"predikat_terakhir": "Sangat Baik", "predikat_sebelumnya": "Sangat Baik",
                       "jenis_jabatan": "PPPK"}, {}),
    "hasil_kerja_pimpinan": ({"predikat_unit": "Baik"}, {"hasil_kerja": "Sesuai Ekspektasi"}),
    "kurva_distribusi": ({"predikat_unit": "Istimewa"},
                         {"batasan": ["istimewa_maks_sangat_baik"], "jenis": ["paling_banyak"],
                          "predikat_pegawai": [("Sangat Baik",)], "persen": [70], "minimal_orang": [0]}),
}


def test_every_dmn_file_is_listed_and_every_listed_file_exists() -> None:
    assert sorted(p.name for p in RULES_DIR.glob("*.dmn")) == sorted(p.name for p in DMN_FILES.values())
    assert set(EXAMPLES) == set(DMN_FILES)


def test_dmn_path_resolves_ids_and_names_the_known_ones_when_wrong() -> None:
    assert dmn_path("konversi_2021") == RULES_DIR / "konversi_2021.dmn"
    with pytest.raises(DmnTableError, match="DMN konversi_2022: unknown decision id; known ids: hasil_kerja_pimpinan, konversi"):
        dmn_path("konversi_2022")


def test_spiff_parses_every_table_against_the_dmn_13_schema(spiff_parser: SpiffBpmnParser) -> None:
    assert set(spiff_parser.dmn_parsers) == set(DMN_FILES)
    for decision_id in DMN_FILES:
        engine = spiff_parser.get_engine(decision_id, None)
        assert engine.decision_table.hit_policy == load_table(decision_id).hit_policy


@pytest.mark.parametrize("decision_id", sorted(EXAMPLES))
def test_each_table_runs_in_a_business_rule_task(
    run_business_rule_task: Callable[[str, dict[str, Any]], dict[str, Any]], decision_id: str
) -> None:
    data, expected = EXAMPLES[decision_id]
    result = run_business_rule_task(decision_id, data)
    assert {k: result[k] for k in expected} == expected


def test_an_unsafe_cell_is_refused_not_evaluated() -> None:
    xml = dmn_path("predikat_band_regime_a").read_bytes().replace(b'"Buruk"', b'__import__("os").getcwd()')
    table = parse_table(xml)
    with pytest.raises(DmnTableError, match=r"row 5, output predikat: unsupported expression"):
        decide(table, {"nilai": D(10)})


def test_overlapping_unique_rows_are_reported() -> None:
    xml = dmn_path("predikat_band_regime_a").read_bytes().replace(b"? &gt; 90", b"? &gt; 80")
    table = parse_table(xml)
    with pytest.raises(DmnTableError, match="rows 1, 2 all match nilai=Decimal"):
        decide(table, {"nilai": D(85)})


def test_a_gap_in_a_unique_table_is_reported() -> None:
    with pytest.raises(DmnTableError, match="DMN predikat_matrix_6_2022: no row matches"):
        decide(load_table("predikat_matrix_6_2022"), {"hasil_kerja": "x", "perilaku": "y"})


def test_an_edited_table_is_reloaded_and_gets_a_new_version(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "predikat_band_regime_a.dmn"
    copy.write_bytes(dmn_path("predikat_band_regime_a").read_bytes())
    monkeypatch.setitem(dmn_tables.DMN_FILES, "predikat_band_regime_a", copy)
    before = load_table("predikat_band_regime_a")
    assert decide(before, {"nilai": D(50)}) == {"predikat": "Buruk"}

    copy.write_bytes(copy.read_bytes().replace(b'"Buruk"', b'"Sangat Kurang"'))
    stat = copy.stat()
    os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    after = load_table("predikat_band_regime_a")
    assert decide(after, {"nilai": D(50)}) == {"predikat": "Sangat Kurang"}
    assert after.version != before.version
    assert after.version.startswith("predikat_band_regime_a@sha256:")


def test_a_file_holding_another_decision_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "konversi_2021.dmn"
    copy.write_bytes(dmn_path("predikat_band_regime_a").read_bytes())
    monkeypatch.setitem(dmn_tables.DMN_FILES, "konversi_2021", copy)
    with pytest.raises(DmnTableError, match="holds decision 'predikat_band_regime_a'"):
        load_table("konversi_2021")


# --- what the reader evaluates, cell by cell (mutation testing found these unpinned) ----------------------------
@pytest.mark.parametrize(("text", "names", "expected"), [
    ("True", {}, True), ("False", {}, False), ("None", {}, None), ('"Baik"', {}, "Baik"),
    ("1.5", {}, D("1.5")), ("7", {}, D(7)),
    ("not True", {}, False), ("not x", {"x": False}, True),
    ("x in ('A', 'B')", {"x": "A"}, True), ("x in ('A', 'B')", {"x": "C"}, False),
    ("x not in ('A', 'B')", {"x": "C"}, True), ("x not in ('A', 'B')", {"x": "A"}, False),
    ("min(3, 2)", {}, D(2)), ("max(1, 2)", {}, D(2)), ("abs(-2)", {}, D(2)),
    ("-x", {"x": D(2)}, D(-2)), ("+x", {"x": D(2)}, D(2)),
    ("1 < x <= 3", {"x": D(3)}, True), ("1 < x <= 3", {"x": D(1)}, False), ("1 < x <= 3", {"x": D(4)}, False),
    ("x == 1", {"x": D(1)}, True), ("x != 1", {"x": D(1)}, False), ("x >= 2", {"x": D(2)}, True),
    ("x > 2", {"x": D(2)}, False), ("x < 2", {"x": D(2)}, False), ("x <= 2", {"x": D(2)}, True),
    ("x == 1 or x == 2", {"x": D(2)}, True), ("x > 1 and x < 2", {"x": D(2)}, False),
    ("(1, 'a')", {}, (D(1), "a")), ("[1]", {}, (D(1),)), ("{1}", {}, frozenset({D(1)})),
    ("x * 2 - 1 / 4 + 1", {"x": D(1)}, D("2.75")),
])
def test_a_cell_evaluates_as_python_would_with_decimal_numbers(text: str, names: dict[str, Any],
                                                               expected: Any) -> None:
    result = dmn_expr.evaluate(text, names)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize("text", ["foo(1)", "max(1, 2, key=abs)", "x.real", "x[0]", "lambda: 1", "1 if x else 2",
                                  "x is None", "b'x'", "1 % 2", "y", "~x", "1 +"])
def test_anything_else_in_a_cell_is_refused(text: str) -> None:
    with pytest.raises(dmn_expr.UnsafeExpression):
        dmn_expr.evaluate(text, {"x": D(1)})


def test_how_an_input_entry_is_matched() -> None:
    assert dmn_expr.is_expression('"Baik"') and not dmn_expr.is_expression(">= 91")
    assert dmn_expr.matches("nilai", None, {})  # an empty cell matches anything
    assert dmn_expr.matches("nilai", ">= 91", {"nilai": D(91)}) and not dmn_expr.matches("nilai", "> 91",
                                                                                         {"nilai": D(91)})
    assert dmn_expr.matches("nilai", "90 < ? <= 100", {"nilai": D(100)})
    assert dmn_expr.matches("p", '"Baik"', {"p": "Baik"}) and not dmn_expr.matches("p", '"Baik"', {"p": "Cukup"})
    assert dmn_expr.matches("p", '? in ("A", "B")', {"p": "B"})
    assert not dmn_expr.matches("p", '"?"', {"p": "x"})  # a quoted question mark is text, not the placeholder


def test_a_table_is_loaded_once_while_its_file_is_unchanged() -> None:
    assert load_table("predikat_band_regime_a") is load_table("predikat_band_regime_a")


def test_parsed_columns_keep_their_labels_and_names() -> None:
    table = load_table("kurva_distribusi")
    assert [o.name for o in table.outputs] == ["batasan", "jenis", "predikat_pegawai", "persen", "minimal_orang"]
    assert all(o.label for o in table.outputs) and table.inputs[0].expression == "predikat_unit"
    assert table.hit_policy == "COLLECT" and table.rules[0].row == 1


@pytest.mark.parametrize(("old", "new", "message"), [
    (b'<outputEntry id="rule_1_out_5"><text>0</text></outputEntry>', b"", "row 1 does not have one cell per column"),
    (b'<inputEntry id="rule_2_in_1"><text>"Baik"</text></inputEntry>', b"", "row 2 does not have one cell per column"),
    (b'hitPolicy="COLLECT"', b'hitPolicy="FIRST"', "hit policy FIRST is not supported"),
    (b"decisionTable", b"notATable", "decision has no decisionTable"),
])
def test_a_malformed_table_is_refused(old: bytes, new: bytes, message: str) -> None:
    xml = dmn_path("kurva_distribusi").read_bytes()
    assert old in xml
    with pytest.raises(DmnTableError, match=message):
        parse_table(xml.replace(old, new))


def test_parsed_tables_cannot_be_changed_afterwards() -> None:
    import dataclasses

    table = load_table("kurva_distribusi")
    for obj in (table, table.inputs[0], table.outputs[0], table.rules[0]):
        with pytest.raises(dataclasses.FrozenInstanceError):
            obj.label = "x"  # type: ignore[misc,union-attr]
