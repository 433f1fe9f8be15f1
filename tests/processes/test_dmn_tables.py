"""The shipped DMN files: where they are, that Spiff accepts them, and how the reader guards them."""

from __future__ import annotations

import os
from collections.abc import Callable
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from processes.rules import dmn_tables
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
