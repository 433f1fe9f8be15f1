"""The 2021 integration: period I converted by the table, then 50/50 with period II."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from processes.rules.dmn_tables import load_table
from processes.rules.errors import RuleInputError
from processes.rules.integration2021 import integrasi_2021, konversi_periode_1


@pytest.mark.parametrize(("nilai", "baru", "predikat"), [
    ("100", "120.00", "Sangat Baik"), ("95", "115.00", "Sangat Baik"), ("90", "109.00", "Baik"),
    ("76", "91.27", "Baik"), ("75", "89.00", "Cukup"), ("60", "69.00", "Kurang"), ("50", "49.00", "Buruk"),
    ("0", "0.00", "Buruk"), ("130", "120.00", "Sangat Baik"),
])
def test_default_conversion_maps_each_band_onto_the_same_rank(nilai: str, baru: str, predikat: str) -> None:
    assert konversi_periode_1(D(nilai)) == (D(baru), predikat)


def test_periods_are_combined_50_50_and_the_table_version_is_recorded() -> None:
    hasil = integrasi_2021(D(85), D(100))
    assert hasil.nilai_periode_1_konversi == D("102.67")
    assert hasil.nilai_integrasi == D("101.34")  # (102.67 + 100) / 2 = 101.335, half up
    assert hasil.predikat == "Baik"
    assert hasil.versi_tabel_konversi == load_table("konversi_2021").version


def test_sangat_baik_after_integration_needs_an_innovation() -> None:
    assert integrasi_2021(D(98), D(115), inovasi=True).predikat == "Sangat Baik"
    assert integrasi_2021(D(98), D(115), inovasi=False).predikat == "Baik"


def test_invalid_periods_are_rejected() -> None:
    with pytest.raises(RuleInputError, match="nilai_periode_1: must not be negative, got -1"):
        integrasi_2021(D(-1), D(100))
    with pytest.raises(RuleInputError, match="nilai_periode_2: must be between 0 and 120, got 121"):
        integrasi_2021(D(80), D(121))


@settings(max_examples=150, deadline=None)
@given(a=st.decimals(min_value=0, max_value=D(130), places=2), b=st.decimals(min_value=0, max_value=D(130),
                                                                            places=2))
def test_conversion_stays_within_0_and_120_and_keeps_the_order(a: D, b: D) -> None:
    low, high = sorted((a, b))
    assert D(0) <= konversi_periode_1(low)[0] <= konversi_periode_1(high)[0] <= D(120)


# --- issue 16: rule edge cases --------------------------------------------------------------------
@pytest.mark.parametrize(("call", "message"), [
    (lambda: konversi_periode_1(None), "nilai_periode_1: must be a number, got None"),
    (lambda: konversi_periode_1(D("-0.5")), "nilai_periode_1: must not be negative, got -0.5"),
    (lambda: integrasi_2021(D("-0.5"), D(100)), "nilai_periode_1: must not be negative, got -0.5"),
    (lambda: integrasi_2021(None, D(100)), "nilai_periode_1: must be a number, got None"),
    (lambda: integrasi_2021(D(80), None), "nilai_periode_2: must be a number, got None"),
    (lambda: integrasi_2021(D("1e30"), D(100)), "nilai_periode_1: is too large"),
    (lambda: integrasi_2021(D(80), D(100), inovasi=None), "inovasi: must be true or false, got None"),
    (lambda: integrasi_2021(D(80), D("-0.01")), "nilai_periode_2: must be between 0 and 120, got -0.01"),
])
def test_the_typed_api_answers_bad_numbers_with_a_rule_input_error(call: object, message: str) -> None:
    with pytest.raises(RuleInputError) as caught:
        call()  # type: ignore[operator]
    assert str(caught.value).startswith(message)


def test_the_edges_of_period_ii_are_accepted() -> None:
    assert integrasi_2021(D(0), D(0)).nilai_integrasi == D(0)
    assert integrasi_2021(D(100), D(120)).nilai_integrasi == D(120)
    hasil = integrasi_2021(D("85.555"), D("99.995"))
    assert (hasil.nilai_periode_1, hasil.nilai_periode_2, hasil.predikat_periode_1) == (D("85.56"), D("100.00"),
                                                                                        "Baik")


def test_without_saying_so_there_is_no_innovation_and_the_result_is_fixed() -> None:
    import dataclasses

    hasil = integrasi_2021(D(98), D(115))
    assert hasil.predikat == "Baik"  # inovasi defaults to False
    with pytest.raises(dataclasses.FrozenInstanceError):
        hasil.predikat = "Sangat Baik"  # type: ignore[misc]
