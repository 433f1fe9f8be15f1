"""The 6/2022 distribution curve: violations, their size, the fix, and small-unit rounding."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from processes.rules.distribution import Batasan, Usulan, batasan_kurva, cek_kurva_distribusi, saran_kalibrasi
from processes.rules.dmn_tables import DecisionTable, dmn_path, parse_table
from processes.rules.errors import DmnTableError, RuleInputError
from processes.rules.predikat import PREDIKAT_6_2022, PREDIKAT_UNIT
from tools.bench_curve import saran_by_definition

SB, B, BP, KM, SK = PREDIKAT_6_2022


def test_istimewa_unit_may_have_up_to_70_percent_sangat_baik() -> None:
    assert cek_kurva_distribusi("Istimewa", [SB] * 7 + [B] * 3).ok
    hasil = cek_kurva_distribusi("Istimewa", [SB] * 8 + [B] * 2)
    [v] = hasil.pelanggaran
    assert (v.batasan, v.batas_orang, v.jumlah, v.selisih) == ("istimewa_maks_sangat_baik", 7, 8, 1)
    assert v.saran == "Turunkan predikat 1 pegawai dari Sangat Baik."


def test_baik_unit_needs_someone_below_baik() -> None:
    hasil = cek_kurva_distribusi("Baik", [B] * 3)
    assert [(v.batasan, v.selisih) for v in hasil.pelanggaran] == [
        ("baik_maks_baik", 1), ("baik_min_butuh_perbaikan_kurang", 1),
    ]
    assert hasil.pelanggaran[1].pesan == ("Unit Baik: paling sedikit 1 dari 3 pegawai harus berpredikat "
                                          "Butuh Perbaikan atau Kurang/Misconduct; saat ini 0.")
    assert cek_kurva_distribusi("Baik", [B, B, KM]).ok


def test_butuh_perbaikan_unit_needs_60_percent_butuh_perbaikan() -> None:
    hasil = cek_kurva_distribusi("Butuh Perbaikan", [BP] * 5 + [B] * 5)
    [v] = hasil.pelanggaran
    assert (v.batasan, v.batas_orang, v.jumlah, v.selisih) == ("butuh_perbaikan_min_butuh_perbaikan", 6, 5, 1)
    assert v.saran == "Ubah predikat 1 pegawai lain menjadi Butuh Perbaikan."


def test_sangat_kurang_unit_allows_no_sangat_baik() -> None:
    hasil = cek_kurva_distribusi("Sangat Kurang", [SK] * 8 + [BP, SB])
    assert [v.batasan for v in hasil.pelanggaran] == ["sangat_kurang_tanpa_sangat_baik"]
    assert hasil.pelanggaran[0].batas_orang == 0


def test_kurang_unit_constraints() -> None:
    assert cek_kurva_distribusi("Kurang", [KM] * 6 + [BP] * 3 + [SB]).ok
    hasil = cek_kurva_distribusi("Kurang", [KM] * 6 + [B] * 2 + [SB] * 2)
    assert {v.batasan for v in hasil.pelanggaran} == {"kurang_min_butuh_perbaikan", "kurang_maks_sangat_baik"}


@pytest.mark.parametrize(("jenis", "persen", "minimal", "n", "expected"), [
    ("paling_banyak", 70, 0, 3, 2),     # 2.1 -> 2: the cap is never exceeded
    ("paling_banyak", 70, 0, 1, 1),     # 0.7 -> 0, but a positive cap allows at least one person
    ("paling_banyak", 10, 0, 5, 1),
    ("paling_banyak", 10, 0, 20, 2),
    ("paling_banyak", 0, 0, 20, 0),
    ("paling_banyak", "0.5", 0, 20, 1),  # any positive cap allows one person, also below 1%
    ("paling_sedikit", 60, 0, 3, 2),    # 1.8 -> 2: the minimum is always reached
    ("paling_sedikit", 10, 0, 3, 1),
    ("paling_sedikit", 0, 1, 3, 1),
    ("paling_sedikit", 60, 0, 10, 6),
])
def test_small_unit_rounding_rule(jenis: str, persen: int, minimal: int, n: int, expected: int) -> None:
    from decimal import Decimal

    assert Batasan("x", jenis, (SB,), Decimal(str(persen)), minimal).batas_orang(n) == expected


def test_a_unit_too_small_for_its_minimums_is_flagged() -> None:
    hasil = cek_kurva_distribusi("Kurang", [KM])
    assert not hasil.ok and not hasil.dapat_dipenuhi


def test_invalid_inputs_name_the_field() -> None:
    with pytest.raises(RuleInputError, match="predikat_unit: unknown value 'Sangat Baik'"):
        cek_kurva_distribusi("Sangat Baik", [B])
    with pytest.raises(RuleInputError, match=r"predikat_pegawai\[1\]: unknown value 'Kurang'"):
        cek_kurva_distribusi("Baik", [B, "Kurang"])
    with pytest.raises(RuleInputError, match="predikat_pegawai: must be a non-empty list"):
        cek_kurva_distribusi("Baik", [])


@settings(max_examples=150, deadline=None)
@given(unit=st.sampled_from(PREDIKAT_UNIT), staff=st.lists(st.sampled_from(PREDIKAT_6_2022), min_size=1,
                                                            max_size=40))
def test_violations_are_consistent_with_the_counts(unit: str, staff: list[str]) -> None:
    hasil = cek_kurva_distribusi(unit, staff)
    assert hasil.ok == (not hasil.pelanggaran)
    assert sum(hasil.distribusi.values()) == len(staff)
    for v in hasil.pelanggaran:
        assert 0 <= v.batas_orang <= len(staff)
        assert v.selisih == abs(v.jumlah - v.batas_orang) > 0


# --- issue 16: the minimums that exactly fill a unit, and malformed curve rows --------------------
def test_minimums_that_exactly_fill_the_unit_can_be_met() -> None:
    # Kurang: at least 60% Kurang/Misconduct (2 of 3) and at least 10% Butuh Perbaikan (1 of 3) = 3 people.
    hasil = cek_kurva_distribusi("Kurang", [KM, KM, BP])
    assert hasil.ok and hasil.dapat_dipenuhi
    assert hasil.distribusi == {SB: 0, B: 0, BP: 1, KM: 2, SK: 0}
    assert cek_kurva_distribusi("Kurang", [KM, BP]).dapat_dipenuhi is False  # 2 + 1 > 2


def _curve_with(old: str, new: str) -> DecisionTable:
    xml = dmn_path("kurva_distribusi").read_bytes().decode()
    assert old in xml
    return parse_table(xml.replace(old, new, 1).encode())


@pytest.mark.parametrize(("old", "new", "message"), [
    ('<text>("Sangat Baik",)</text>', '<text>("Luar Biasa",)</text>', "names unknown values ['Luar Biasa']"),
    ('<text>"paling_banyak"</text>', '<text>"paling_banyak_sekali"</text>',
     "names unknown values ['paling_banyak_sekali']"),
    ("<text>70</text>", '<text>"tujuh puluh"</text>', "persen must be a number from 0 up, got 'tujuh puluh'"),
    ("<text>70</text>", "<text>-0.5</text>", "persen must be a number from 0 up, got Decimal('-0.5')"),
    ("<text>70</text>", "<text>100.5</text>", "persen must be 0 to 100"),
    ('<outputEntry id="rule_1_out_5"><text>0</text>', '<outputEntry id="rule_1_out_5"><text>1.5</text>',
     "minimal_orang a whole number"),
])
def test_a_malformed_curve_row_is_a_table_error(old: str, new: str, message: str) -> None:
    with pytest.raises(DmnTableError, match=re.escape(message)):
        cek_kurva_distribusi("Istimewa", [SB], _curve_with(old, new))


def test_a_label_cell_and_empty_numbers_are_read_as_one_label_and_zero() -> None:
    table = _curve_with('<text>("Sangat Baik",)</text>', '<text>"Sangat Baik"</text>')
    [batasan] = batasan_kurva("Istimewa", table)
    assert batasan.predikat == (SB,) and batasan.persen == 70 and batasan.minimal_orang == 0
    table = _curve_with("<text>70</text>", "<text></text>")
    assert batasan_kurva("Istimewa", table)[0].persen == 0
    assert batasan_kurva("Istimewa", _curve_with("<text>70</text>", "<text>100</text>"))[0].persen == 100


def test_curve_results_cannot_be_changed_afterwards() -> None:
    import dataclasses

    hasil = cek_kurva_distribusi("Istimewa", [SB] * 8 + [B] * 2)
    for obj in (hasil, hasil.pelanggaran[0], batasan_kurva("Istimewa")[0]):
        with pytest.raises(dataclasses.FrozenInstanceError):
            obj.jenis = "x"  # type: ignore[misc,union-attr]


@settings(max_examples=300, deadline=None)
@given(unit=st.sampled_from(PREDIKAT_UNIT),
       staff=st.lists(st.tuples(st.sampled_from(PREDIKAT_6_2022), st.integers(1, 3), st.integers(1, 3)),
                      min_size=1, max_size=60))
def test_the_suggestion_equals_its_definition(unit: str, staff: list[tuple[str, int, int]]) -> None:
    usulan = [Usulan(i, label, (hasil, perilaku), (f"{i % 7}", i)) for i, (label, hasil, perilaku) in enumerate(staff)]
    moved, hasil = saran_kalibrasi(unit, usulan)
    expected_moved, expected = saran_by_definition(unit, usulan)
    assert moved == expected_moved and hasil == expected
