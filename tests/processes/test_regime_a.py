"""Regime A (Perka BKN 1/2013): aspect scores, nilai capaian, perilaku, 60/40 and predikat."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from processes.rules.errors import RuleInputError
from processes.rules.regime_a import (
    PERILAKU_ASPEK,
    Kegiatan,
    PengaturanRegimeA,
    nilai_efisiensi,
    nilai_kegiatan,
    nilai_perilaku,
    nilai_prestasi_kerja,
    nilai_rasio,
    poin_kreativitas,
    poin_tugas_tambahan,
    predikat_regime_a,
)

PERILAKU_90 = {name: 90 for name in PERILAKU_ASPEK}


def kegiatan(**overrides: object) -> Kegiatan:
    data = {"target_kuantitas": 10, "realisasi_kuantitas": 10, "realisasi_kualitas": 100,
            "target_waktu": 12, "realisasi_waktu": 12}
    data.update(overrides)
    return Kegiatan.from_dict(data)


# Worked examples from DOMAIN.md section 2.
def test_waktu_tw5_rw4_scores_96() -> None:
    assert nilai_efisiensi(D(5), D(4)) == D("96.00")


def test_waktu_tw12_rw12_scores_76() -> None:
    assert nilai_efisiensi(D(12), D(12)) == D("76.00")


def test_finishing_at_76_percent_of_the_time_scores_exactly_100() -> None:
    assert nilai_efisiensi(D(25), D(19)) == D("100.00")


def test_efficiency_above_24_percent_is_penalised() -> None:
    # TW 12, RW 6: efisiensi 50% -> 76 - (126 - 100) = 50.
    assert nilai_efisiensi(D(12), D(6)) == D("50.00")


def test_finishing_late_scores_below_76() -> None:
    assert nilai_efisiensi(D(12), D(15)) == D("51.00")


def test_kuantitas_and_kualitas_are_ratios() -> None:
    assert nilai_rasio(D(10), D(8)) == D("80.00")
    assert nilai_rasio(D(100), D("92.5")) == D("92.50")


def test_kegiatan_without_biaya_averages_three_aspects() -> None:
    hasil = nilai_kegiatan(kegiatan(realisasi_kualitas=90))
    assert (hasil.kuantitas, hasil.kualitas, hasil.waktu, hasil.biaya) == (D(100), D(90), D(76), None)
    assert hasil.penghitungan == D("266.00")
    assert hasil.nilai_capaian == D("88.67")


def test_kegiatan_with_biaya_averages_four_aspects() -> None:
    hasil = nilai_kegiatan(kegiatan(target_biaya=1_000_000, realisasi_biaya=800_000))
    assert hasil.biaya == D("96.00")
    assert hasil.nilai_capaian == D("93.00")  # (100 + 100 + 76 + 96) / 4


def test_kegiatan_with_realisation_zero_scores_zero() -> None:
    hasil = nilai_kegiatan(kegiatan(realisasi_kuantitas=0))
    assert hasil.nilai_capaian == D(0) and hasil.dihitung


def test_kegiatan_with_target_zero_is_left_out_of_the_mean() -> None:
    hasil = nilai_prestasi_kerja([kegiatan(), kegiatan(target_kuantitas=0, realisasi_kuantitas=0)],
                                 PERILAKU_90, struktural=False)
    assert hasil.rata_rata_capaian == D("92.00")  # only the first kegiatan: (100 + 100 + 76) / 3


def test_nilai_prestasi_kerja_is_60_skp_40_perilaku() -> None:
    hasil = nilai_prestasi_kerja([kegiatan()], PERILAKU_90, struktural=False)
    assert hasil.nilai_skp == D("92.00")
    assert hasil.nilai_perilaku == D("90.00")
    assert hasil.nilai_prestasi_kerja == D("91.20")
    assert hasil.predikat == "Sangat Baik"


def test_tugas_tambahan_and_kreativitas_add_points_to_nilai_skp() -> None:
    hasil = nilai_prestasi_kerja([kegiatan()], PERILAKU_90, struktural=False, tugas_tambahan=4,
                                 kreativitas="organisasi")
    assert (hasil.poin_tugas_tambahan, hasil.poin_kreativitas) == (D(2), D(6))
    assert hasil.nilai_skp == D("100.00")


@pytest.mark.parametrize(("jumlah", "poin"), [(0, 0), (1, 1), (3, 1), (4, 2), (6, 2), (7, 3), (20, 3)])
def test_tugas_tambahan_points_follow_the_default_steps(jumlah: int, poin: int) -> None:
    assert poin_tugas_tambahan(jumlah) == D(poin)


@pytest.mark.parametrize(("tingkat", "poin"), [(None, 0), ("unit", 3), ("organisasi", 6), ("nasional", 12)])
def test_kreativitas_points_by_level(tingkat: str | None, poin: int) -> None:
    assert poin_kreativitas(tingkat) == D(poin)


def test_points_are_agency_settings() -> None:
    custom = PengaturanRegimeA(poin_tugas_tambahan=((1, D("0.5")),), poin_kreativitas=(("unit", D(1)),))
    assert poin_tugas_tambahan(9, custom) == D("0.5")
    assert poin_kreativitas("unit", custom) == D(1)


def test_kepemimpinan_counts_only_for_structural_positions() -> None:
    struktural = dict(PERILAKU_90, kepemimpinan=60)
    assert nilai_perilaku(struktural, struktural=True)[0] == D("85.00")
    with pytest.raises(RuleInputError, match="perilaku: kepemimpinan is only scored for structural"):
        nilai_perilaku(struktural, struktural=False)
    with pytest.raises(RuleInputError, match=r"perilaku\.kepemimpinan: is required"):
        nilai_perilaku(PERILAKU_90, struktural=True)


@pytest.mark.parametrize(("nilai", "predikat"), [
    ("100", "Sangat Baik"), ("91", "Sangat Baik"), ("90.01", "Sangat Baik"), ("90", "Baik"), ("76", "Baik"),
    ("75.5", "Baik"), ("75", "Cukup"), ("61", "Cukup"), ("60", "Kurang"), ("51", "Kurang"),
    ("50.01", "Kurang"), ("50", "Buruk"), ("0", "Buruk"),
])
def test_predikat_bands(nilai: str, predikat: str) -> None:
    assert predikat_regime_a(D(nilai)) == predikat


@pytest.mark.parametrize(("overrides", "message"), [
    ({"target_kuantitas": -1}, "kegiatan.target_kuantitas: must not be negative, got -1"),
    ({"target_kuantitas": 0, "realisasi_kuantitas": 3},
     "kegiatan.realisasi_kuantitas: realisation without a target (target is 0)"),
    ({"target_biaya": 0, "realisasi_biaya": 10}, "kegiatan.target_biaya: must be greater than 0, got 0"),
    ({"realisasi_biaya": 10}, "kegiatan.realisasi_biaya: realisation without a target (no target_biaya)"),
    ({"target_biaya": 100}, "kegiatan.realisasi_biaya: is required when target_biaya is set"),
    ({"target_waktu": 0}, "kegiatan.target_waktu: must be greater than 0"),
    ({"realisasi_waktu": None}, "kegiatan.realisasi_waktu: is required"),
    ({"realisasi_kualitas": "baik"}, "kegiatan.realisasi_kualitas: must be a number, got 'baik'"),
    ({"realisasi_kualitas": True}, "kegiatan.realisasi_kualitas: must be a number, got True"),
])
def test_invalid_kegiatan_is_rejected_with_field_and_problem(overrides: dict[str, object],
                                                             message: str) -> None:
    with pytest.raises(RuleInputError) as caught:
        kegiatan(**overrides)
    assert str(caught.value).startswith(message)


def test_skp_without_any_target_is_rejected() -> None:
    with pytest.raises(RuleInputError, match="kegiatan: no kegiatan has a target_kuantitas greater than 0"):
        nilai_prestasi_kerja([kegiatan(target_kuantitas=0, realisasi_kuantitas=0)], PERILAKU_90, False)


def test_unknown_kreativitas_level_is_rejected() -> None:
    with pytest.raises(RuleInputError, match="kreativitas: unknown level 'dunia'"):
        poin_kreativitas("dunia")


amounts = st.decimals(min_value=D("0.01"), max_value=D(1000), places=2)


@settings(max_examples=200, deadline=None)
@given(target=amounts, realisasi=st.decimals(min_value=0, max_value=D(1000), places=2))
def test_waktu_never_exceeds_100_and_is_not_negative_until_176_percent(target: D, realisasi: D) -> None:
    score = nilai_efisiensi(target, realisasi)
    assert score <= 100
    if realisasi <= D("1.76") * target:
        assert score >= 0


@settings(max_examples=200, deadline=None)
@given(target=amounts, a=st.decimals(min_value=0, max_value=D(3), places=2),
       b=st.decimals(min_value=0, max_value=D(3), places=2))
def test_taking_longer_never_scores_higher_outside_the_over_efficiency_branch(target: D, a: D,
                                                                              b: D) -> None:
    fast, slow = sorted((a * target, b * target))
    if fast >= D("0.76") * target:  # both in the normal branch: more time, lower or equal score
        assert nilai_efisiensi(target, fast) >= nilai_efisiensi(target, slow)


@settings(max_examples=200, deadline=None)
@given(target=amounts, a=st.decimals(min_value=0, max_value=D("0.76"), places=2),
       b=st.decimals(min_value=0, max_value=D("0.76"), places=2))
def test_over_efficiency_branch_penalises_finishing_even_earlier(target: D, a: D, b: D) -> None:
    fast, slow = sorted((a * target, b * target))
    if slow < D("0.76") * target:  # efisiensi > 24% for both: the regulation lowers the faster one
        assert nilai_efisiensi(target, fast) <= nilai_efisiensi(target, slow)


@settings(max_examples=200, deadline=None)
@given(target=amounts, a=st.decimals(min_value=0, max_value=D(2000), places=2),
       b=st.decimals(min_value=0, max_value=D(2000), places=2))
def test_more_output_never_lowers_kuantitas(target: D, a: D, b: D) -> None:
    low, high = sorted((a, b))
    assert nilai_rasio(target, high) >= nilai_rasio(target, low) >= 0


# --- issue 16: rule edge cases --------------------------------------------------------------------
def test_efisiensi_between_24_and_25_percent_takes_the_penalised_branch() -> None:
    # TW 200, RW 151: efisiensi 24.5% > 24 -> 76 - (100.5 - 100) = 75.50 (the other branch would give 100.50).
    assert nilai_efisiensi(D(200), D(151)) == D("75.50")
    # Exactly 24% is the unpenalised branch: RW 152 -> (352 - 152) / 200 x 100 = 100.
    assert nilai_efisiensi(D(200), D(152)) == D("100.00")


@pytest.mark.parametrize("nilai", [D(-5), D("-0.01")])
def test_predikat_refuses_a_negative_nilai(nilai: D) -> None:
    with pytest.raises(RuleInputError, match=f"nilai: must not be negative, got {nilai}"):
        predikat_regime_a(nilai)


def test_predikat_bands_values_from_0_and_above_100() -> None:
    assert predikat_regime_a(D(0)) == "Buruk"
    assert predikat_regime_a(D("112.5")) == "Sangat Baik"  # output above target plus kreativitas points


def test_realisasi_waktu_0_with_output_produced_is_refused() -> None:
    with pytest.raises(RuleInputError, match="kegiatan.realisasi_waktu: must be greater than 0 when output was "
                                             "produced"):
        kegiatan(realisasi_waktu=0)
    # Nothing produced and no time spent is a kegiatan that scores 0, as before.
    assert nilai_kegiatan(kegiatan(realisasi_kuantitas=0, realisasi_waktu=0)).nilai_capaian == D(0)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: predikat_regime_a(None), "nilai: must be a number, got None"),
    (lambda: nilai_rasio(None, D(1)), "target: must be a number, got None"),
    (lambda: nilai_rasio(D(0), D(1)), "target: must be greater than 0, got 0"),
    (lambda: nilai_efisiensi(D(5), None), "realisasi: must be a number, got None"),
    (lambda: nilai_kegiatan(None), "kegiatan: must be a Kegiatan, got NoneType"),
    (lambda: nilai_kegiatan(Kegiatan("x", D(1), None, D(1), D(1), D(1))),
     "kegiatan.realisasi_kuantitas: must be a number, got None"),
    (lambda: nilai_prestasi_kerja(None, PERILAKU_90, False), "kegiatan: at least one kegiatan is required"),
    (lambda: nilai_perilaku(None, False), "perilaku: must be an object of aspect scores"),
])
def test_the_typed_api_answers_none_with_a_rule_input_error(call: object, message: str) -> None:
    with pytest.raises(RuleInputError) as caught:
        call()  # type: ignore[operator]
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"realisasi_kuantitas": 10**16}, "kegiatan.realisasi_kuantitas: is too large: at most 1,000,000,000,000,000"),
    ({"target_waktu": "1e-9"}, "kegiatan.target_waktu: is too small: 0 or at least 0.000001"),
    ({"target_biaya": 1e300, "realisasi_biaya": 1}, "kegiatan.target_biaya: is too large"),
])
def test_oversized_numbers_are_refused_with_the_field(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(RuleInputError) as caught:
        kegiatan(**overrides)
    assert str(caught.value).startswith(message)


def test_the_largest_accepted_numbers_still_score() -> None:
    # 10^15 output on a target of 0.000001: every ratio and rounding stays inside Decimal's precision.
    hasil = nilai_kegiatan(kegiatan(target_kuantitas="0.000001", realisasi_kuantitas=10**15, target_waktu=10**15,
                                    realisasi_waktu="0.000001"))
    assert hasil.kuantitas == D("100000000000000000000000.00")


def test_a_negative_nilai_skp_is_refused_rather_than_banded() -> None:
    # Waktu 10x the target scores -824: the kegiatan's mean goes below 0.
    with pytest.raises(RuleInputError, match="kegiatan: nilai SKP would be negative"):
        nilai_prestasi_kerja([kegiatan(realisasi_waktu=120)], PERILAKU_90, False)


# --- mutation testing: edges of every check, settings passed in, defaults -------------------------------------
@pytest.mark.parametrize("overrides", [
    {"target_kuantitas": 1, "realisasi_kuantitas": 1},            # a target of 1 is a target
    {"realisasi_kuantitas": "0.5"},                                # realisations from 0 up, fractions too
    {"target_waktu": 1, "realisasi_waktu": 1},                     # one month planned, one month taken
    {"realisasi_kuantitas": 1, "realisasi_waktu": "0.5"},
    {"target_biaya": "0.5", "realisasi_biaya": "0.5"},             # any positive cost target
    {"target_biaya": 1, "realisasi_biaya": 0},
    {"target_kuantitas": 0, "realisasi_kuantitas": 0, "target_waktu": 0},  # left out: its other targets do not matter
])
def test_kegiatan_at_the_edges_of_each_check_are_accepted(overrides: dict[str, object]) -> None:
    assert isinstance(nilai_kegiatan(kegiatan(**overrides)).nilai_capaian, D)


def test_a_target_of_one_met_scores_like_any_other() -> None:
    hasil = nilai_kegiatan(kegiatan(target_kuantitas=1, realisasi_kuantitas=1))
    assert (hasil.kuantitas, hasil.kualitas, hasil.waktu, hasil.dihitung) == (D(100), D(100), D(76), True)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"target_kuantitas": 0, "realisasi_kuantitas": "0.5"}, "kegiatan.realisasi_kuantitas: realisation without"),
    ({"target_kuantitas": 1, "target_waktu": 0}, "kegiatan.target_waktu: must be greater than 0"),
    ({"target_kuantitas": 1, "target_kualitas": 0}, "kegiatan.target_kualitas: must be greater than 0"),
    ({"realisasi_kuantitas": 1, "realisasi_waktu": 0}, "kegiatan.realisasi_waktu: must be greater than 0"),
    ({"realisasi_kuantitas": "-0.5"}, "kegiatan.realisasi_kuantitas: must not be negative, got -0.5"),
    ({"target_biaya": 100, "realisasi_biaya": "-0.5"}, "kegiatan.realisasi_biaya: must not be negative"),
])
def test_kegiatan_just_beyond_each_check_are_refused(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(RuleInputError) as caught:
        kegiatan(**overrides)
    assert str(caught.value).startswith(message)


def test_aspect_functions_at_their_edges() -> None:
    assert nilai_rasio(D(1), D("0.5")) == D("50.00") and nilai_rasio(D(1), D(0)) == D("0.00")
    with pytest.raises(RuleInputError, match="realisasi: must not be negative, got -0.5"):
        nilai_rasio(D(1), D("-0.5"))
    with pytest.raises(RuleInputError, match="target: must be greater than 0"):
        nilai_efisiensi(D(0), D(1))


def test_a_kegiatan_without_output_scores_zero_on_every_aspect_it_has() -> None:
    tanpa_biaya = nilai_kegiatan(kegiatan(target_kuantitas=1, realisasi_kuantitas=0))
    assert (tanpa_biaya.biaya, tanpa_biaya.dihitung, tanpa_biaya.nilai_capaian) == (None, True, D(0))
    dengan_biaya = nilai_kegiatan(kegiatan(realisasi_kuantitas=0, target_biaya=100, realisasi_biaya=50))
    assert (dengan_biaya.biaya, dengan_biaya.penghitungan) == (D(0), D(0))
    left_out = nilai_kegiatan(kegiatan(target_kuantitas=0, realisasi_kuantitas=0))
    assert left_out.dihitung is False


def test_each_aspect_is_reported_and_averaged() -> None:
    hasil = nilai_kegiatan(kegiatan(target_kuantitas=10, realisasi_kuantitas=8, realisasi_kualitas=90,
                                    target_waktu=12, realisasi_waktu=12, target_biaya=100, realisasi_biaya=76))
    assert (hasil.kuantitas, hasil.kualitas, hasil.waktu, hasil.biaya) == (D(80), D(90), D(76), D(100))
    assert (hasil.penghitungan, hasil.nilai_capaian, hasil.dihitung) == (D(346), D("86.50"), True)
    tiga = nilai_kegiatan(kegiatan(target_kuantitas=10, realisasi_kuantitas=8, realisasi_kualitas=90))
    assert (tiga.penghitungan, tiga.nilai_capaian) == (D(246), D("82.00"))


def test_kreativitas_given_as_an_empty_text_is_none() -> None:
    assert poin_kreativitas("") == D(0)


def test_perilaku_scores_from_0_to_100_are_accepted_and_nothing_beyond() -> None:
    assert nilai_perilaku(dict.fromkeys(PERILAKU_ASPEK, 0), False)[0] == D(0)
    assert nilai_perilaku(dict.fromkeys(PERILAKU_ASPEK, 100), False)[0] == D(100)
    assert nilai_perilaku(dict(PERILAKU_90, disiplin="0.5"), False)[1]["disiplin"] == D("0.5")
    with pytest.raises(RuleInputError, match=r"perilaku.disiplin: must be at most 100, got 100.01"):
        nilai_perilaku(dict(PERILAKU_90, disiplin="100.01"), False)
    with pytest.raises(RuleInputError, match="perilaku.disiplin: must not be negative, got -0.5"):
        nilai_perilaku(dict(PERILAKU_90, disiplin="-0.5"), False)
    with pytest.raises(RuleInputError, match="perilaku: unknown aspect"):
        nilai_perilaku(dict(PERILAKU_90, inisiatif=90), False)
    with pytest.raises(RuleInputError, match="perilaku.integritas: is required"):
        nilai_perilaku({k: v for k, v in PERILAKU_90.items() if k != "integritas"}, False)


def test_an_skp_that_scores_exactly_0_is_buruk_and_just_below_is_refused() -> None:
    nol = nilai_prestasi_kerja([kegiatan(realisasi_kuantitas=0)], dict.fromkeys(PERILAKU_ASPEK, 0), False)
    assert (nol.nilai_skp, nol.predikat_skp, nol.predikat) == (D(0), "Buruk", "Buruk")
    # kuantitas 100, kualitas 100, waktu -201.50 (45.3 months for 12): nilai SKP -0.50.
    with pytest.raises(RuleInputError, match="kegiatan: nilai SKP would be negative"):
        nilai_prestasi_kerja([kegiatan(target_waktu=12, realisasi_waktu="45.3")], PERILAKU_90, False)
    with pytest.raises(RuleInputError, match="kegiatan: at least one kegiatan is required"):
        nilai_prestasi_kerja([], PERILAKU_90, False)
    with pytest.raises(RuleInputError, match="kegiatan: at least one kegiatan is required"):
        nilai_prestasi_kerja("kegiatan", PERILAKU_90, False)  # type: ignore[arg-type]


def test_an_edited_band_table_is_used_when_given() -> None:
    from processes.rules.dmn_tables import dmn_path, parse_table

    table = parse_table(dmn_path("predikat_band_regime_a").read_bytes().replace(b'"Buruk"', b'"Kurang"'))
    assert predikat_regime_a(D(10), table) == "Kurang"
    hasil = nilai_prestasi_kerja([kegiatan(realisasi_kuantitas=0)], dict.fromkeys(PERILAKU_ASPEK, 0), False,
                                 table=table)
    assert hasil.predikat == "Kurang" and hasil.versi_tabel == table.version


def test_without_tugas_tambahan_or_kreativitas_no_points_are_added() -> None:
    hasil = nilai_prestasi_kerja([kegiatan()], PERILAKU_90, False)
    assert (hasil.poin_tugas_tambahan, hasil.poin_kreativitas, hasil.nilai_skp) == (D(0), D(0), hasil.rata_rata_capaian)


def test_results_and_settings_cannot_be_changed_afterwards() -> None:
    import dataclasses

    hasil = nilai_prestasi_kerja([kegiatan()], PERILAKU_90, False)
    for obj in (hasil, hasil.kegiatan[0], kegiatan(), PengaturanRegimeA()):
        with pytest.raises(dataclasses.FrozenInstanceError):
            obj.nama = "x"  # type: ignore[misc,union-attr]


@pytest.mark.parametrize("jumlah", [-1, True, 1.5, "2"])
def test_tugas_tambahan_must_be_a_whole_number_from_0(jumlah: object) -> None:
    with pytest.raises(RuleInputError, match="tugas_tambahan: must be a whole number of tasks >= 0"):
        poin_tugas_tambahan(jumlah)  # type: ignore[arg-type]
