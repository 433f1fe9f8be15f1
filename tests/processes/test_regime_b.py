"""Regime B (PP 30/2019, PermenPANRB 8/2021): capaian, nilai capaian, nilai SKP and predikat."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from processes.rules.errors import RuleInputError
from processes.rules.regime_b import (
    LEBIH_RENDAH,
    LEBIH_TINGGI,
    PERILAKU_ASPEK,
    Indikator,
    KinerjaTambahan,
    PengaturanRegimeB,
    capaian_iki,
    nilai_capaian_iki,
    nilai_kinerja,
    nilai_kinerja_tambahan,
    nilai_kinerja_utama,
    nilai_perilaku,
    predikat_regime_b,
)

PERILAKU_100 = {name: 100 for name in PERILAKU_ASPEK}


def iki(**data: object) -> Indikator:
    return Indikator.from_dict(data)


def test_time_range_7_to_8_months_met_in_6_5_months_is_107_percent() -> None:
    # DOMAIN.md section 3 worked example.
    assert capaian_iki(iki(target_min=7, target_max=8, realisasi="6.5", arah=LEBIH_RENDAH)) == D("107.14")


def test_realisation_inside_a_range_meets_the_target() -> None:
    assert capaian_iki(iki(target_min=7, target_max=8, realisasi="7.5", arah=LEBIH_RENDAH)) == D(100)


def test_realisation_above_a_range_uses_the_upper_bound() -> None:
    assert capaian_iki(iki(target_min=7, target_max=8, realisasi=9, arah=LEBIH_RENDAH)) == D("87.50")
    assert capaian_iki(iki(target_min=80, target_max=90, realisasi=99, arah=LEBIH_TINGGI)) == D("110.00")


def test_higher_is_better_is_realisation_over_target() -> None:
    assert capaian_iki(iki(target=40, realisasi=30)) == D("75.00")


def test_lower_is_better_rewards_less() -> None:
    assert capaian_iki(iki(target=10, realisasi=8, arah=LEBIH_RENDAH)) == D("120.00")


def test_lower_is_better_far_above_target_floors_at_zero() -> None:
    assert capaian_iki(iki(target=10, realisasi=25, arah=LEBIH_RENDAH)) == D(0)


@pytest.mark.parametrize(("capaian", "nilai", "kategori"), [
    ("130", "120.00", "Sangat Baik"), ("110.01", "120.00", "Sangat Baik"), ("110", "120.00", "Sangat Baik"),
    ("105", "115.00", "Sangat Baik"), ("100", "109.00", "Baik"), ("99.99", "89.99", "Cukup"),
    ("80", "70.00", "Cukup"), ("79.5", "69.50", "Kurang"), ("60", "50.00", "Kurang"),
    ("59", "49.00", "Sangat Kurang"), ("30", "24.92", "Sangat Kurang"), ("0", "0.00", "Sangat Kurang"),
])
def test_nilai_capaian_iki_table(capaian: str, nilai: str, kategori: str) -> None:
    assert nilai_capaian_iki(D(capaian)) == (D(nilai), kategori)


def test_kinerja_tambahan_is_factor_times_bobot_and_capped_at_10() -> None:
    assert nilai_kinerja_tambahan([KinerjaTambahan("Baik", D(5))]) == D("4.00")
    items = [KinerjaTambahan("Sangat Baik", D(6)), KinerjaTambahan("Cukup", D(10))]
    assert nilai_kinerja_tambahan(items) == D(10)  # 6 + 6 = 12, capped


def test_weighted_utama_needs_bobot_adding_up_to_100() -> None:
    assert nilai_kinerja_utama([D(100), D(80)], [D(75), D(25)]) == D("95.00")
    assert nilai_kinerja_utama([D(100), D(80)], [None, None]) == D("90.00")
    with pytest.raises(RuleInputError, match="indikator.bobot: must add up to 100, got 90"):
        nilai_kinerja_utama([D(100), D(80)], [D(60), D(30)])
    with pytest.raises(RuleInputError, match="indikator.bobot: give a bobot for every indikator or for none"):
        nilai_kinerja_utama([D(100), D(80)], [D(100), None])


def test_nilai_kinerja_70_30_without_360_and_60_40_with_it() -> None:
    indikator = [iki(target=10, realisasi=10)]  # nilai capaian 109
    perilaku = {name: 90 for name in PERILAKU_ASPEK}
    tanpa = nilai_kinerja(indikator, perilaku, struktural=False, inovasi=False)
    dengan = nilai_kinerja(indikator, perilaku, False, False, pengaturan=PengaturanRegimeB(pakai_360=True))
    assert tanpa.nilai_kinerja == D("103.30")  # 0.7 * 109 + 0.3 * 90
    assert dengan.nilai_kinerja == D("101.40")  # 0.6 * 109 + 0.4 * 90


def test_nilai_skp_is_capped_at_120() -> None:
    hasil = nilai_kinerja([iki(target=10, realisasi=20)], PERILAKU_100, False, True,
                          [KinerjaTambahan("Sangat Baik", D(10))])
    assert hasil.nilai_kinerja_utama == D(120)
    assert hasil.nilai_skp == D(120)
    assert hasil.predikat == "Sangat Baik"


def test_sangat_baik_needs_an_innovation() -> None:
    assert predikat_regime_b(D(115), inovasi=True) == "Sangat Baik"
    assert predikat_regime_b(D(115), inovasi=False) == "Baik"


@pytest.mark.parametrize(("nilai", "predikat"), [
    ("120", "Baik"), ("110", "Baik"), ("109.99", "Baik"), ("90", "Baik"), ("89.99", "Cukup"), ("70", "Cukup"),
    ("69.99", "Kurang"), ("50", "Kurang"), ("49.99", "Sangat Kurang"), ("0", "Sangat Kurang"),
])
def test_predikat_bands_without_innovation(nilai: str, predikat: str) -> None:
    assert predikat_regime_b(D(nilai), inovasi=False) == predikat


@pytest.mark.parametrize(("data", "message"), [
    ({"realisasi": 5}, "indikator.realisasi: realisation without a target"),
    ({"target": 0, "realisasi": 5}, "indikator.target: must be greater than 0, got 0"),
    ({"target": -3, "realisasi": 5}, "indikator.target: must be greater than 0, got -3"),
    ({"target": 5, "realisasi": -1}, "indikator.realisasi: must not be negative, got -1"),
    ({"target": 5}, "indikator.realisasi: is required"),
    ({"target_min": 8, "target_max": 7, "realisasi": 7},
     "indikator.target_max: must not be below target_min"),
    ({"target_min": 8, "realisasi": 7}, "indikator.target_max: is required for a target range"),
    ({"target": 5, "realisasi": 5, "arah": "naik"}, "indikator.arah: unknown value 'naik'"),
])
def test_invalid_indikator_is_rejected_with_field_and_problem(data: dict[str, object], message: str) -> None:
    with pytest.raises(RuleInputError) as caught:
        Indikator.from_dict(data)
    assert str(caught.value).startswith(message)


def test_predikat_rejects_values_beyond_120() -> None:
    with pytest.raises(RuleInputError, match="nilai: must be between 0 and 120, got 120.01"):
        predikat_regime_b(D("120.01"), inovasi=False)


def test_unknown_tambahan_predikat_is_rejected() -> None:
    with pytest.raises(RuleInputError, match=r"kinerja_tambahan\[0\]\.predikat: unknown value 'Hebat'"):
        nilai_kinerja_tambahan([KinerjaTambahan("Hebat", D(1))])


capaian_values = st.decimals(min_value=0, max_value=D(300), places=2)


@settings(max_examples=300, deadline=None)
@given(a=capaian_values, b=capaian_values)
def test_nilai_capaian_stays_within_0_and_120_and_never_falls_as_capaian_rises(a: D, b: D) -> None:
    low, high = sorted((a, b))
    nilai_low, _ = nilai_capaian_iki(low)
    nilai_high, _ = nilai_capaian_iki(high)
    assert D(0) <= nilai_low <= nilai_high <= D(120)


positive = st.decimals(min_value=D("0.01"), max_value=D(10_000), places=2)


@settings(max_examples=200, deadline=None)
@given(target=positive, a=st.decimals(min_value=0, max_value=D(20_000), places=2),
       b=st.decimals(min_value=0, max_value=D(20_000), places=2))
def test_more_realisation_never_lowers_a_higher_is_better_capaian(target: D, a: D, b: D) -> None:
    low, high = sorted((a, b))
    more = capaian_iki(Indikator("x", high, target, target))
    assert more >= capaian_iki(Indikator("x", low, target, target))


@settings(max_examples=200, deadline=None)
@given(target=positive, a=st.decimals(min_value=0, max_value=D(20_000), places=2),
       b=st.decimals(min_value=0, max_value=D(20_000), places=2))
def test_more_realisation_never_raises_a_lower_is_better_capaian(target: D, a: D, b: D) -> None:
    low, high = sorted((a, b))
    assert (capaian_iki(Indikator("x", high, target, target, LEBIH_RENDAH))
            <= capaian_iki(Indikator("x", low, target, target, LEBIH_RENDAH)))


@settings(max_examples=100, deadline=None)
@given(realisasi=st.lists(st.decimals(min_value=0, max_value=D(500), places=2), min_size=1, max_size=5),
       perilaku=st.decimals(min_value=0, max_value=D(120), places=2),
       bobot_tambahan=st.decimals(min_value=0, max_value=D(50), places=2), inovasi=st.booleans())
def test_nilai_kinerja_stays_within_0_and_120(realisasi: list[D], perilaku: D, bobot_tambahan: D,
                                              inovasi: bool) -> None:
    hasil = nilai_kinerja([Indikator("x", r, D(100), D(100)) for r in realisasi],
                          {name: perilaku for name in PERILAKU_ASPEK}, False, inovasi,
                          [KinerjaTambahan("Sangat Baik", bobot_tambahan)])
    assert D(0) <= hasil.nilai_kinerja_tambahan <= D(10)
    assert D(0) <= hasil.nilai_skp <= D(120)
    assert D(0) <= hasil.nilai_kinerja <= D(120)


# --- issue 16: rule edge cases --------------------------------------------------------------------
def test_realisation_at_the_upper_end_of_a_range_meets_the_target() -> None:
    assert capaian_iki(iki(target_min=7, target_max=8, realisasi=8, arah=LEBIH_RENDAH)) == D(100)
    assert capaian_iki(iki(target_min=7, target_max=8, realisasi=7, arah=LEBIH_TINGGI)) == D(100)


def test_realisation_equal_to_a_single_target_is_100_percent_either_way() -> None:
    assert capaian_iki(iki(target=8, realisasi=8)) == D(100)
    assert capaian_iki(iki(target=8, realisasi=8, arah=LEBIH_RENDAH)) == D(100)


def test_perilaku_accepts_120_and_refuses_more_less_and_unknown_aspects() -> None:
    assert nilai_perilaku({name: 120 for name in PERILAKU_ASPEK}, struktural=False) == D(120)
    assert nilai_perilaku({name: 0 for name in PERILAKU_ASPEK}, struktural=False) == D(0)
    with pytest.raises(RuleInputError, match=r"perilaku.komitmen: must be at most 120, got 120.01"):
        nilai_perilaku(dict.fromkeys(PERILAKU_ASPEK, 100) | {"komitmen": "120.01"}, struktural=False)
    with pytest.raises(RuleInputError, match="perilaku.kerja_sama: must not be negative, got -1"):
        nilai_perilaku(dict.fromkeys(PERILAKU_ASPEK, 100) | {"kerja_sama": -1}, struktural=False)
    with pytest.raises(RuleInputError, match="perilaku: unknown aspect"):
        nilai_perilaku(dict.fromkeys(PERILAKU_ASPEK, 100) | {"integritas": 100}, struktural=False)
    with pytest.raises(RuleInputError, match="perilaku: kepemimpinan is only scored for structural positions"):
        nilai_perilaku(dict.fromkeys(PERILAKU_ASPEK, 100) | {"kepemimpinan": 100}, struktural=False)
    with pytest.raises(RuleInputError, match="perilaku.kepemimpinan: is required"):
        nilai_perilaku(dict.fromkeys(PERILAKU_ASPEK, 100), struktural=True)
    assert nilai_perilaku(dict.fromkeys(PERILAKU_ASPEK, 100) | {"kepemimpinan": 80}, struktural=True) == D(96)


@pytest.mark.parametrize(("predikat", "nilai"), [
    ("Sangat Baik", "5.00"), ("Baik", "4.00"), ("Cukup", "3.00"), ("Kurang", "2.00"), ("Sangat Kurang", "1.00"),
])
def test_kinerja_tambahan_factor_of_each_predikat(predikat: str, nilai: str) -> None:
    assert nilai_kinerja_tambahan([KinerjaTambahan(predikat, D(5))]) == D(nilai)


def test_kinerja_tambahan_cap_is_inclusive_and_configurable() -> None:
    assert nilai_kinerja_tambahan([KinerjaTambahan("Sangat Baik", D(10))]) == D(10)
    settings_ = PengaturanRegimeB(batas_kinerja_tambahan=D(3))
    assert nilai_kinerja_tambahan([KinerjaTambahan("Baik", D(5))], settings_) == D(3)


def test_nilai_kinerja_reports_every_part() -> None:
    hasil = nilai_kinerja([iki(nama="a", target=10, realisasi=10)], PERILAKU_100, False, False,
                          [KinerjaTambahan("Baik", D(5))])
    assert hasil.indikator[0].nama == "a"
    assert (hasil.nilai_kinerja_utama, hasil.nilai_kinerja_tambahan, hasil.nilai_skp) == (D(109), D(4), D(113))
    assert (hasil.nilai_perilaku, hasil.bobot_skp, hasil.nilai_kinerja) == (D(100), D("0.7"), D("109.10"))
    assert hasil.predikat == "Baik" and len(hasil.versi_tabel) == 2


@pytest.mark.parametrize(("call", "message"), [
    (lambda: capaian_iki(None), "indikator: must be an Indikator, got NoneType"),
    (lambda: capaian_iki(Indikator("x", None, D(1), D(1))), "indikator.realisasi: must be a number, got None"),
    (lambda: capaian_iki(Indikator("x", D(1), None, None)), "indikator.target: must be a number, got None"),
    (lambda: nilai_capaian_iki(None), "capaian: must be a number, got None"),
    (lambda: nilai_capaian_iki(D(-1)), "capaian: must not be negative, got -1"),
    (lambda: predikat_regime_b(None, False), "nilai: must be a number, got None"),
    (lambda: nilai_kinerja_tambahan(None), "kinerja_tambahan: must be a list"),
    (lambda: nilai_kinerja_tambahan([None]), "kinerja_tambahan[0]: must be a KinerjaTambahan"),
    (lambda: nilai_kinerja_tambahan([KinerjaTambahan("Baik", None)]),
     "kinerja_tambahan[0].bobot: must be a number, got None"),
    (lambda: nilai_kinerja_tambahan([KinerjaTambahan("Baik", D(-1))]),
     "kinerja_tambahan[0].bobot: must not be negative, got -1"),
    (lambda: nilai_kinerja_utama(None, []), "indikator: at least one indikator is required"),
    (lambda: nilai_kinerja_utama([None], [None]), "indikator[0].nilai_capaian: must be a number, got None"),
    (lambda: nilai_kinerja_utama([D(100)], [D(50), D(50)]), "indikator.bobot: 2 bobot for 1 indikator"),
    (lambda: nilai_kinerja(None, PERILAKU_100, False, False), "indikator: at least one indikator is required"),
    (lambda: nilai_kinerja([None], PERILAKU_100, False, False), "indikator[0]: must be an Indikator"),
])
def test_the_typed_api_answers_none_with_a_rule_input_error(call: object, message: str) -> None:
    with pytest.raises(RuleInputError) as caught:
        call()  # type: ignore[operator]
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(("data", "message"), [
    ({"target": 1, "realisasi": 1e30}, "indikator.realisasi: is too large: at most 1,000,000,000,000,000"),
    ({"target": "1e-30", "realisasi": 1}, "indikator.target: is too small"),
    ({"target_min": 1, "target_max": 10**20, "realisasi": 1}, "indikator.target_max: is too large"),
    ({"target": 1, "realisasi": 1, "bobot": 1e99}, "indikator.bobot: is too large"),
])
def test_oversized_numbers_are_refused_with_the_field(data: dict[str, object], message: str) -> None:
    with pytest.raises(RuleInputError) as caught:
        Indikator.from_dict(data)
    assert str(caught.value).startswith(message)


def test_the_largest_ratio_still_scores_120() -> None:
    assert nilai_capaian_iki(capaian_iki(iki(target="0.000001", realisasi=10**15)))[0] == D(120)


# --- mutation testing: edges of every check, tables passed in ----------------------------------------------------
@pytest.mark.parametrize(("data", "message"), [
    ({"target_min": 0, "target_max": 8, "realisasi": 7}, "indikator.target_min: must be greater than 0, got 0"),
    ({"target_min": 1, "target_max": 0, "realisasi": 7}, "indikator.target_max: must be greater than 0, got 0"),
    ({"target": 5, "realisasi": "-0.5"}, "indikator.realisasi: must not be negative, got -0.5"),
    ({"target": 5, "realisasi": 5, "bobot": "-0.5"}, "indikator.bobot: must not be negative, got -0.5"),
    ({"target": 5, "target_min": 1, "realisasi": 5}, "indikator.target: give either target or target_min"),
])
def test_indikator_just_beyond_each_check_is_refused(data: dict[str, object], message: str) -> None:
    with pytest.raises(RuleInputError) as caught:
        Indikator.from_dict(data)
    assert str(caught.value).startswith(message)


def test_indikator_at_the_edges_is_accepted() -> None:
    assert capaian_iki(iki(target=5, realisasi="0.5")) == D(10)
    assert iki(target=5, realisasi=5, bobot="0.5").bobot == D("0.5")
    assert iki(target=5, realisasi=0, bobot=0).bobot == D(0)
    with pytest.raises(RuleInputError, match="indikator.bobot: must not be negative"):
        Indikator("x", D(1), D(1), D(1), bobot=D("-0.5")).validate()


def test_utama_kinerja_tambahan_and_predikat_at_their_edges() -> None:
    assert nilai_kinerja_utama([D("0.5")], [None]) == D("0.50")
    with pytest.raises(RuleInputError, match=r"indikator\[0\].nilai_capaian: must not be negative"):
        nilai_kinerja_utama([D("-0.5")], [None])
    with pytest.raises(RuleInputError, match="indikator: at least one indikator is required"):
        nilai_kinerja_utama([], [])
    assert nilai_kinerja_tambahan([KinerjaTambahan("Baik", D("0.5"))]) == D("0.40")
    assert nilai_kinerja_tambahan([]) == D(0)
    assert predikat_regime_b(D("0.5"), False) == "Sangat Kurang"
    with pytest.raises(RuleInputError, match="nilai: must be between 0 and 120, got -0.50"):
        predikat_regime_b(D("-0.5"), False)
    with pytest.raises(RuleInputError, match="indikator: at least one indikator is required"):
        nilai_kinerja("abc", PERILAKU_100, False, False)  # type: ignore[arg-type]


def test_edited_tables_are_used_when_given() -> None:
    from processes.rules.dmn_tables import dmn_path, parse_table

    capaian = parse_table(dmn_path("nilai_capaian_iki").read_bytes().replace(b'"Sangat Kurang"', b'"Buruk Sekali"'))
    assert nilai_capaian_iki(D(10), capaian)[1] == "Buruk Sekali"
    bands = parse_table(dmn_path("predikat_band_regime_b").read_bytes().replace(b'"Cukup"', b'"Kurang"'))
    assert predikat_regime_b(D(80), False, bands) == "Kurang"


def test_results_and_settings_cannot_be_changed_afterwards() -> None:
    import dataclasses

    hasil = nilai_kinerja([iki(target=10, realisasi=10)], PERILAKU_100, False, False,
                          [KinerjaTambahan("Baik", D(1))])
    for obj in (hasil, hasil.indikator[0], iki(target=1, realisasi=1), KinerjaTambahan("Baik", D(1)),
                PengaturanRegimeB()):
        with pytest.raises(dataclasses.FrozenInstanceError):
            obj.nama = "x"  # type: ignore[misc,union-attr]
