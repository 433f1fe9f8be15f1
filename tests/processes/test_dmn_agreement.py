"""Each DMN table and the Python rule that reads it agree, checked against SpiffWorkflow's DMN engine.

Categorical tables are checked on every combination of inputs; numeric tables on every band
boundary (and 0.01 either side) plus hypothesis samples over the whole range.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from decimal import Decimal as D
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from processes.rules.distribution import batasan_kurva
from processes.rules.follow_up import rekomendasi_tindak_lanjut
from processes.rules.integration2021 import konversi_periode_1
from processes.rules.predikat import JENIS_JABATAN, PREDIKAT_SEMUA, PREDIKAT_UNIT, RATING_6_2022
from processes.rules.regime_a import predikat_regime_a
from processes.rules.regime_b import nilai_capaian_iki, predikat_regime_b
from processes.rules.regime_c import hasil_kerja_pimpinan, predikat_6_2022
from processes.rules.rounding import round2

Decide = Callable[[str, dict[str, Any]], dict[str, Any]]


def around(*thresholds: int) -> list[D]:
    """Return each threshold and the two-decimal values just either side of it."""
    step = D("0.01")
    return sorted({D(t) + d for t in thresholds for d in (-step, D(0), step)})


def spiff_number(value: Any) -> D:
    return round2(D(str(value)))


# --- predikat_matrix_6_2022 -------------------------------------------------------------------
@pytest.mark.parametrize(("hasil_kerja", "perilaku"), list(itertools.product(RATING_6_2022, repeat=2)))
def test_matrix_agrees_with_spiff(spiff_decide: Decide, hasil_kerja: str, perilaku: str) -> None:
    spiff = spiff_decide("predikat_matrix_6_2022", {"hasil_kerja": hasil_kerja, "perilaku": perilaku})
    assert spiff == {"predikat": predikat_6_2022(hasil_kerja, perilaku)}


# --- hasil_kerja_pimpinan --------------------------------------------------------------------
@pytest.mark.parametrize("predikat_unit", PREDIKAT_UNIT)
def test_unit_head_table_agrees_with_spiff(spiff_decide: Decide, predikat_unit: str) -> None:
    spiff = spiff_decide("hasil_kerja_pimpinan", {"predikat_unit": predikat_unit})
    assert spiff == {"hasil_kerja": hasil_kerja_pimpinan(predikat_unit)}
    assert spiff["hasil_kerja"] in RATING_6_2022


# --- predikat_band_regime_a -------------------------------------------------------------------
def reference_band_a(nilai: D) -> str:
    """DOMAIN.md section 2 bands, with the documented rule for values between integer bands."""
    if nilai > 90:
        return "Sangat Baik"
    if nilai > 75:
        return "Baik"
    if nilai > 60:
        return "Cukup"
    if nilai > 50:
        return "Kurang"
    return "Buruk"


def check_band_a(spiff_decide: Decide, nilai: D) -> None:
    python = predikat_regime_a(nilai)
    assert python == reference_band_a(nilai)
    assert spiff_decide("predikat_band_regime_a", {"nilai": nilai}) == {"predikat": python}
    # Workflow data is JSON: the engine sees a float.
    assert spiff_decide("predikat_band_regime_a", {"nilai": float(nilai)}) == {"predikat": python}


@pytest.mark.parametrize("nilai", [v for v in around(0, 50, 51, 60, 61, 75, 76, 90, 91, 120) if v >= 0])
def test_band_a_boundaries_agree(spiff_decide: Decide, nilai: D) -> None:
    check_band_a(spiff_decide, nilai)


@settings(max_examples=150, deadline=None)
@given(nilai=st.decimals(min_value=D(0), max_value=D(200), places=2))
def test_band_a_agrees_everywhere(spiff_decide: Decide, nilai: D) -> None:
    check_band_a(spiff_decide, nilai)


# --- predikat_band_regime_b -------------------------------------------------------------------
def reference_band_b(nilai: D, inovasi: bool) -> str:
    """PP 30/2019 Pasal 41 as in DOMAIN.md section 3."""
    if nilai >= 110 and inovasi:
        return "Sangat Baik"
    if nilai >= 90:
        return "Baik"
    if nilai >= 70:
        return "Cukup"
    if nilai >= 50:
        return "Kurang"
    return "Sangat Kurang"


def check_band_b(spiff_decide: Decide, nilai: D, inovasi: bool) -> None:
    python = predikat_regime_b(nilai, inovasi)
    assert python == reference_band_b(nilai, inovasi)
    for value in (nilai, float(nilai)):
        spiff = spiff_decide("predikat_band_regime_b", {"nilai": value, "inovasi": inovasi})
        assert spiff == {"predikat": python}


@pytest.mark.parametrize("inovasi", [True, False])
@pytest.mark.parametrize("nilai", [v for v in around(0, 50, 70, 90, 110, 120) if D(0) <= v <= D(120)])
def test_band_b_boundaries_agree(spiff_decide: Decide, nilai: D, inovasi: bool) -> None:
    check_band_b(spiff_decide, nilai, inovasi)


@settings(max_examples=150, deadline=None)
@given(nilai=st.decimals(min_value=0, max_value=D(120), places=2), inovasi=st.booleans())
def test_band_b_agrees_everywhere(spiff_decide: Decide, nilai: D, inovasi: bool) -> None:
    check_band_b(spiff_decide, nilai, inovasi)


# --- nilai_capaian_iki ------------------------------------------------------------------------
def check_capaian(spiff_decide: Decide, capaian: D) -> None:
    nilai, kategori = nilai_capaian_iki(capaian)
    spiff = spiff_decide("nilai_capaian_iki", {"capaian": capaian})
    assert (spiff_number(spiff["nilai"]), spiff["kategori"]) == (nilai, kategori)
    as_float = spiff_decide("nilai_capaian_iki", {"capaian": float(capaian)})
    assert abs(D(str(as_float["nilai"])) - nilai) <= D("0.005") and as_float["kategori"] == kategori


@pytest.mark.parametrize("capaian", [v for v in around(0, 60, 80, 100, 110, 200) if v >= 0])
def test_capaian_boundaries_agree(spiff_decide: Decide, capaian: D) -> None:
    check_capaian(spiff_decide, capaian)


@settings(max_examples=150, deadline=None)
@given(capaian=st.decimals(min_value=0, max_value=D(400), places=2))
def test_capaian_agrees_everywhere(spiff_decide: Decide, capaian: D) -> None:
    check_capaian(spiff_decide, capaian)


# --- konversi_2021 ----------------------------------------------------------------------------
def check_konversi(spiff_decide: Decide, nilai: D) -> None:
    baru, lama = konversi_periode_1(nilai)
    spiff = spiff_decide("konversi_2021", {"nilai": nilai})
    assert (spiff_number(spiff["nilai_baru"]), spiff["predikat_lama"]) == (baru, lama)
    assert lama == reference_band_a(nilai)  # the table keeps regime A's bands


@pytest.mark.parametrize("nilai", [v for v in around(0, 50, 60, 75, 90, 100) if v >= 0])
def test_konversi_boundaries_agree(spiff_decide: Decide, nilai: D) -> None:
    check_konversi(spiff_decide, nilai)


@settings(max_examples=150, deadline=None)
@given(nilai=st.decimals(min_value=0, max_value=D(150), places=2))
def test_konversi_agrees_everywhere(spiff_decide: Decide, nilai: D) -> None:
    check_konversi(spiff_decide, nilai)


# --- tindak_lanjut (COLLECT) ------------------------------------------------------------------
HISTORIES = [[terakhir] for terakhir in PREDIKAT_SEMUA] + [
    [sebelumnya, terakhir] for sebelumnya, terakhir in itertools.product(PREDIKAT_SEMUA, repeat=2)
]


@pytest.mark.parametrize("jenis_jabatan", JENIS_JABATAN)
def test_tindak_lanjut_agrees_on_every_history(spiff_decide: Decide, jenis_jabatan: str) -> None:
    for riwayat in HISTORIES:
        python = rekomendasi_tindak_lanjut(riwayat, jenis_jabatan)
        spiff = spiff_decide("tindak_lanjut", {
            "predikat_terakhir": riwayat[-1],
            "predikat_sebelumnya": riwayat[-2] if len(riwayat) > 1 else None,
            "jenis_jabatan": jenis_jabatan,
        })
        assert spiff.get("kode", []) == [r.kode for r in python], riwayat
        assert spiff.get("dasar_hukum", []) == [r.dasar_hukum for r in python], riwayat
        tukin = [None if v == "" else D(str(v)) for v in spiff.get("persen_tukin", [])]
        assert tukin == [r.persen_tukin for r in python], riwayat


# --- kurva_distribusi (COLLECT) ---------------------------------------------------------------
@pytest.mark.parametrize("predikat_unit", PREDIKAT_UNIT)
def test_kurva_agrees_for_every_unit_predikat(spiff_decide: Decide, predikat_unit: str) -> None:
    python = batasan_kurva(predikat_unit)
    spiff = spiff_decide("kurva_distribusi", {"predikat_unit": predikat_unit})
    assert spiff["batasan"] == [c.batasan for c in python]
    assert spiff["jenis"] == [c.jenis for c in python]
    assert [tuple(p) for p in spiff["predikat_pegawai"]] == [c.predikat for c in python]
    assert [D(str(p)) for p in spiff["persen"]] == [c.persen for c in python]
    assert spiff["minimal_orang"] == [c.minimal_orang for c in python]
