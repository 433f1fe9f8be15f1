"""The script-task API: JSON in, JSON out, errors that name the field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from processes.rules.errors import RuleInputError
from processes.rules.script_api import SCRIPT_FUNCTIONS

F = SCRIPT_FUNCTIONS
PERILAKU_A = {"orientasi_pelayanan": 90, "integritas": 90, "komitmen": 90, "disiplin": 90, "kerja_sama": 90}
PERILAKU_B = {"orientasi_pelayanan": 100, "komitmen": 100, "inisiatif_kerja": 100, "kerja_sama": 100}
KEGIATAN = {"nama": "Menyusun laporan", "target_kuantitas": 12, "realisasi_kuantitas": 12,
            "realisasi_kualitas": 100, "target_waktu": 12, "realisasi_waktu": 12}


def json_round_trip(value: Any) -> Any:
    return json.loads(json.dumps(value))


def test_the_published_function_names() -> None:
    assert sorted(F) == sorted([
        "predikat_6_2022", "hasil_kerja_pimpinan", "predikat_regime_a", "predikat_regime_b", "nilai_regime_a", "capaian_iki",
        "nilai_regime_b", "cek_kurva_distribusi", "integrasi_2021", "angka_kredit",
        "rekomendasi_tindak_lanjut", "cek_cascading",
    ])
    assert all(fn.__doc__ for fn in F.values())


def test_nilai_regime_a_returns_plain_json_with_two_decimal_floats() -> None:
    hasil = F["nilai_regime_a"]([KEGIATAN, dict(KEGIATAN, realisasi_waktu=4, target_waktu=5)], PERILAKU_A,
                                False, tugas_tambahan=2, kreativitas="unit")
    assert json_round_trip(hasil) == hasil
    assert [k["waktu"] for k in hasil["kegiatan"]] == [76.0, 96.0]
    assert hasil["nilai_skp"] == 99.34  # (92 + 98.67) / 2 = 95.335 -> 95.34 (half up), + 1 + 3
    assert hasil["predikat"] == "Sangat Baik"


def test_regime_a_points_are_configurable_per_call() -> None:
    hasil = F["nilai_regime_a"]([KEGIATAN], PERILAKU_A, False, tugas_tambahan=2,
                                pengaturan={"poin_tugas_tambahan": {"1": 0.5, "5": 1}})
    assert hasil["poin_tugas_tambahan"] == 0.5


def test_nilai_regime_b_and_the_360_setting() -> None:
    indikator = [{"nama": "Waktu layanan", "target_min": 7, "target_max": 8, "realisasi": 6.5,
                  "arah": "lebih_rendah"}]
    hasil = F["nilai_regime_b"](indikator, PERILAKU_B, False, inovasi=True)
    assert json_round_trip(hasil) == hasil
    assert hasil["indikator"][0] == {"nama": "Waktu layanan", "capaian": 107.14, "nilai_capaian": 117.14,
                                     "kategori": "Sangat Baik"}
    assert (hasil["bobot_skp"], hasil["nilai_kinerja"], hasil["predikat"]) == (0.7, 112.0, "Sangat Baik")
    assert F["nilai_regime_b"](indikator, PERILAKU_B, False, pakai_360=True)["nilai_kinerja"] == 110.28


def test_capaian_iki_for_one_indicator() -> None:
    assert F["capaian_iki"]({"target": 40, "realisasi": 30}) == {"capaian": 75.0, "nilai_capaian": 65.0,
                                                                  "kategori": "Kurang"}


def test_cek_kurva_distribusi_reports_violations() -> None:
    hasil = F["cek_kurva_distribusi"]("Baik", ["Baik", "Baik", "Baik"])
    assert json_round_trip(hasil) == hasil
    assert hasil["ok"] is False
    assert [v["constraint"] for v in hasil["violations"]] == [
        "baik_maks_baik", "baik_min_butuh_perbaikan_kurang",
    ]
    assert hasil["violations"][0]["message"].startswith("Unit Baik: paling banyak 2 dari 3 pegawai")


def test_other_functions_return_json() -> None:
    results = [
        F["predikat_6_2022"]("Di Atas Ekspektasi", "Di Atas Ekspektasi"),
        F["predikat_regime_a"](90.5),
        F["predikat_regime_b"]("110", True),
        F["integrasi_2021"](85, 100),
        F["angka_kredit"]("Baik", 12, "Ahli Muda"),
        F["rekomendasi_tindak_lanjut"](["Sangat Kurang"], "JA"),
        F["cek_cascading"]([{"id": "A1", "target": 10}],
                           [{"id": "B1", "mendukung": "A1", "cascading": "langsung", "target": 10}]),
    ]
    assert json_round_trip(results) == results
    assert results[:3] == ["Sangat Baik", "Sangat Baik", "Sangat Baik"]
    assert results[3]["nilai_integrasi"] == 101.34
    assert results[3]["versi_tabel_konversi"].startswith("konversi_2021@")
    assert results[4]["angka_kredit"] == 25.0
    assert results[5][0] == {"kode": "penyesuaian_tukin", "rekomendasi": "Pengurangan tunjangan kinerja",
                             "dasar_hukum": results[5][0]["dasar_hukum"], "persen_tukin": -2.0}
    assert results[6] == {"ok": True, "gaps": [], "orphans": [], "target_mismatches": []}
    assert [F["hasil_kerja_pimpinan"](u) for u in ("Istimewa", "Baik", "Kurang")] == [
        "Di Atas Ekspektasi", "Sesuai Ekspektasi", "Di Bawah Ekspektasi"]


@pytest.mark.parametrize(("call", "message"), [
    (lambda: F["nilai_regime_a"]([KEGIATAN, dict(KEGIATAN, target_biaya=0, realisasi_biaya=5)],
                                 PERILAKU_A, False),
     "kegiatan[1].target_biaya: must be greater than 0, got 0"),
    (lambda: F["nilai_regime_a"]([dict(KEGIATAN, target_kuantitas=-5)], PERILAKU_A, False),
     "kegiatan[0].target_kuantitas: must not be negative, got -5"),
    (lambda: F["nilai_regime_a"]([KEGIATAN], PERILAKU_A, "ya"),
     "struktural: must be true or false, got 'ya'"),
    (lambda: F["nilai_regime_a"]("kegiatan", PERILAKU_A, False), "kegiatan: must be a list"),
    (lambda: F["nilai_regime_b"]([{"realisasi": 3}], PERILAKU_B, False),
     "indikator[0].realisasi: realisation without a target"),
    (lambda: F["nilai_regime_b"]([{"target": 3, "realisasi": 3}], PERILAKU_B, False,
                                 kinerja_tambahan=[{"predikat": "Baik", "bobot": "x"}]),
     "kinerja_tambahan[0].bobot: must be a number, got 'x'"),
    (lambda: F["predikat_6_2022"]("Sesuai Ekspektasi", "Luar Biasa"),
     "perilaku: unknown value 'Luar Biasa'"),
    (lambda: F["hasil_kerja_pimpinan"]("Luar Biasa"),
     "predikat_unit: unknown value 'Luar Biasa'; expected one of Istimewa, Baik, Butuh Perbaikan"),
    (lambda: F["predikat_regime_b"](100, "ya"), "inovasi: must be true or false, got 'ya'"),
    (lambda: F["predikat_regime_a"]("nan"), "nilai: must be a finite number, got 'nan'"),
    (lambda: F["rekomendasi_tindak_lanjut"](["Bagus"], "JA"),
     "riwayat_predikat[0]: unknown value 'Bagus'"),
    (lambda: F["cek_cascading"]([{"target": 3}], []), "rhk_atasan[0].id: is required"),
    (lambda: F["cek_cascading"]([{"id": "A"}], [{"id": "B", "mendukung": "A", "cascading": "lurus"}]),
     "rhk_bawahan[0].cascading: unknown value 'lurus'"),
])
def test_invalid_json_input_names_the_field(call: Any, message: str) -> None:
    with pytest.raises(RuleInputError) as caught:
        call()
    assert str(caught.value).startswith(message)
    assert isinstance(caught.value, ValueError)


# --- issue 16: no input crashes a rule function with anything but a RuleInputError ----------------
def test_a_huge_realisation_is_a_rule_input_error_not_a_decimal_crash() -> None:
    with pytest.raises(RuleInputError, match="indikator.realisasi: is too large"):
        F["capaian_iki"]({"target": 1, "realisasi": 1e30})


@pytest.mark.parametrize(("call", "message"), [
    (lambda: F["predikat_regime_a"](-5), "nilai: must not be negative, got -5"),
    (lambda: F["predikat_regime_a"](1e16), "nilai: is too large"),
    (lambda: F["predikat_regime_b"](None), "nilai: must be a number, got None"),
    (lambda: F["integrasi_2021"](1e300, 100), "nilai_periode_1: is too large"),
    (lambda: F["nilai_regime_a"]([dict(KEGIATAN, realisasi_waktu=0)], PERILAKU_A, False),
     "kegiatan[0].realisasi_waktu: must be greater than 0 when output was produced"),
    (lambda: F["nilai_regime_a"]([KEGIATAN], PERILAKU_A, False, pengaturan=["x"]),
     "pengaturan: must be an object of settings"),
    (lambda: F["nilai_regime_b"]([{"target": 3, "realisasi": 3}], PERILAKU_B, False, pengaturan="x"),
     "pengaturan: must be an object of settings"),
    (lambda: F["nilai_regime_b"]([{"target": 3, "realisasi": 3}], PERILAKU_B, False,
                                 kinerja_tambahan=[{"predikat": "Baik", "bobot": "1e400"}]),
     "kinerja_tambahan[0].bobot: is too large"),
    (lambda: F["cek_cascading"]([{"id": "A", "target": -1e20}], []), "rhk_atasan[0].target: must not be negative"),
])
def test_out_of_range_numbers_name_the_field(call: Any, message: str) -> None:
    with pytest.raises(RuleInputError) as caught:
        call()
    assert str(caught.value).startswith(message)


HOSTILE_NUMBERS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**40, max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True), st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from(["1e999999999", "-1e-999999999", "1e30", "0.0000001", "1" * 5000, "1,5", "", " 7 ", "NaN",
                     "sNaN", "-0", "1E+15", "0.000001", 10**15, -(10**15), 1e15, 5e-324]),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@settings(max_examples=400, deadline=None)
@given(a=HOSTILE_NUMBERS, b=HOSTILE_NUMBERS, c=HOSTILE_NUMBERS, which=st.integers(min_value=0, max_value=9))
def test_hostile_numbers_give_a_result_or_a_rule_input_error(a: Any, b: Any, c: Any, which: int) -> None:
    calls = [
        lambda: F["capaian_iki"]({"target": a, "realisasi": b}),
        lambda: F["capaian_iki"]({"target_min": a, "target_max": b, "realisasi": c, "arah": "lebih_rendah"}),
        lambda: F["nilai_regime_a"]([dict(KEGIATAN, target_kuantitas=a, realisasi_kuantitas=b, target_waktu=c,
                                          realisasi_waktu=b)], PERILAKU_A, False),
        lambda: F["nilai_regime_a"]([dict(KEGIATAN, target_biaya=a, realisasi_biaya=b)],
                                    dict(PERILAKU_A, integritas=c), False, tugas_tambahan=2),
        lambda: F["nilai_regime_b"]([{"target": a, "realisasi": b, "bobot": 100}], dict(PERILAKU_B, komitmen=c),
                                    False, kinerja_tambahan=[{"predikat": "Baik", "bobot": c}]),
        lambda: F["predikat_regime_a"](a),
        lambda: F["predikat_regime_b"](a, True),
        lambda: F["integrasi_2021"](a, b),
        lambda: F["angka_kredit"]("Baik", a, "Ahli Muda"),
        lambda: F["cek_cascading"]([{"id": "A", "target": a}],
                                   [{"id": "B", "mendukung": "A", "cascading": "langsung", "target": b}]),
    ]
    try:
        result = calls[which]()
    except RuleInputError:
        return
    assert json_round_trip(result) == result


# --- what the script functions assume when an argument is left out, and their settings ----------------------------
def test_defaults_of_the_script_functions() -> None:
    assert F["predikat_regime_b"](115) == "Baik"  # no innovation unless said
    assert F["integrasi_2021"](98, 115)["predikat"] == "Baik"
    hasil = F["nilai_regime_a"]([KEGIATAN], PERILAKU_A, False)
    assert (hasil["poin_tugas_tambahan"], hasil["poin_kreativitas"]) == (0.0, 0.0)
    assert hasil["kegiatan"][0]["biaya"] is None
    assert F["nilai_regime_b"]([{"target": 10, "realisasi": 12}], PERILAKU_B, False)["predikat"] == "Baik"
    [talent, *_] = F["rekomendasi_tindak_lanjut"](["Sangat Baik", "Sangat Baik"], "JA")
    assert talent["kode"] == "talent_pool" and talent["persen_tukin"] is None


def test_regime_a_settings_each_apart_and_their_limits() -> None:
    only_kreativitas = F["nilai_regime_a"]([KEGIATAN], PERILAKU_A, False, tugas_tambahan=2, kreativitas="unit",
                                           pengaturan={"poin_kreativitas": {"unit": 0.5}})
    assert (only_kreativitas["poin_tugas_tambahan"], only_kreativitas["poin_kreativitas"]) == (1.0, 0.5)
    assert F["nilai_regime_a"]([KEGIATAN], PERILAKU_A, False, kreativitas="unit",
                               pengaturan={"poin_kreativitas": {"unit": 0}})["poin_kreativitas"] == 0.0
    with pytest.raises(RuleInputError, match=r"pengaturan.poin_kreativitas.unit: must not be negative"):
        F["nilai_regime_a"]([KEGIATAN], PERILAKU_A, False, pengaturan={"poin_kreativitas": {"unit": -0.5}})
    with pytest.raises(RuleInputError, match=r"pengaturan.poin_tugas_tambahan.satu: keys must be whole numbers"):
        F["nilai_regime_a"]([KEGIATAN], PERILAKU_A, False, pengaturan={"poin_tugas_tambahan": {"satu": 1}})
    with pytest.raises(RuleInputError, match="pengaturan.poin_kreativitas: must be an object"):
        F["nilai_regime_a"]([KEGIATAN], PERILAKU_A, False, pengaturan={"poin_kreativitas": [1]})


def test_regime_b_settings_and_kinerja_tambahan_items() -> None:
    indikator = [{"target": 10, "realisasi": 10}]
    tambahan = [{"predikat": "Sangat Baik", "bobot": 5}]
    assert F["nilai_regime_b"](indikator, PERILAKU_B, False, kinerja_tambahan=tambahan,
                               pengaturan={"batas_kinerja_tambahan": 0.5})["nilai_kinerja_tambahan"] == 0.5
    assert F["nilai_regime_b"](indikator, PERILAKU_B, False, kinerja_tambahan=tambahan,
                               pengaturan={"batas_kinerja_tambahan": 0})["nilai_kinerja_tambahan"] == 0.0
    assert F["nilai_regime_b"](indikator, PERILAKU_B, False, kinerja_tambahan=tambahan,
                               pengaturan={"faktor_tambahan": {"Sangat Baik": 50}})["nilai_kinerja_tambahan"] == 2.5
    with pytest.raises(RuleInputError, match="pengaturan.batas_kinerja_tambahan: must not be negative"):
        F["nilai_regime_b"](indikator, PERILAKU_B, False, pengaturan={"batas_kinerja_tambahan": -0.5})
    with pytest.raises(RuleInputError, match=r"kinerja_tambahan\[0\]: must be an object with predikat and bobot"):
        F["nilai_regime_b"](indikator, PERILAKU_B, False, kinerja_tambahan=["Baik"])
    with pytest.raises(RuleInputError, match="inovasi: must be true or false"):
        F["nilai_regime_b"](indikator, PERILAKU_B, False, inovasi="ya")
