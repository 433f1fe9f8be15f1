"""Regime C (PermenPANRB 6/2022): the predikat matrix and the unit head's hasil-kerja rating."""

from __future__ import annotations

import pytest

from processes.rules.dmn_tables import dmn_path, parse_table
from processes.rules.errors import RuleInputError
from processes.rules.predikat import DI_ATAS, DI_BAWAH, PREDIKAT_UNIT, SESUAI
from processes.rules.regime_c import hasil_kerja_pimpinan, predikat_6_2022

# DOMAIN.md section 4.2, row by row (hasil kerja, perilaku) -> predikat.
MATRIX = {
    (DI_ATAS, DI_BAWAH): "Kurang/Misconduct", (DI_ATAS, SESUAI): "Baik", (DI_ATAS, DI_ATAS): "Sangat Baik",
    (SESUAI, DI_BAWAH): "Kurang/Misconduct", (SESUAI, SESUAI): "Baik", (SESUAI, DI_ATAS): "Baik",
    (DI_BAWAH, DI_BAWAH): "Sangat Kurang", (DI_BAWAH, SESUAI): "Butuh Perbaikan",
    (DI_BAWAH, DI_ATAS): "Butuh Perbaikan",
}


@pytest.mark.parametrize(("hasil_kerja", "perilaku"), list(MATRIX))
def test_every_cell_of_the_matrix(hasil_kerja: str, perilaku: str) -> None:
    assert predikat_6_2022(hasil_kerja, perilaku) == MATRIX[(hasil_kerja, perilaku)]


def test_unknown_rating_is_rejected_naming_the_field() -> None:
    with pytest.raises(RuleInputError) as caught:
        predikat_6_2022("Luar Biasa", SESUAI)
    assert str(caught.value).startswith("hasil_kerja: unknown value 'Luar Biasa'; expected one of Di Atas")
    with pytest.raises(RuleInputError, match="perilaku: unknown value 'di atas ekspektasi'"):
        predikat_6_2022(SESUAI, "di atas ekspektasi")


# DOMAIN.md section 4.3 [R] "a unit head's own hasil-kerja rating follows the unit's rating"; the mapping is the
# one most sources give [?].
PIMPINAN = {"Istimewa": DI_ATAS, "Baik": SESUAI, "Butuh Perbaikan": DI_BAWAH, "Kurang": DI_BAWAH,
            "Sangat Kurang": DI_BAWAH}


@pytest.mark.parametrize("predikat_unit", PREDIKAT_UNIT)
def test_the_unit_heads_hasil_kerja_follows_the_unit_predikat(predikat_unit: str) -> None:
    assert set(PIMPINAN) == set(PREDIKAT_UNIT)
    assert hasil_kerja_pimpinan(predikat_unit) == PIMPINAN[predikat_unit]


@pytest.mark.parametrize("value", ["Sangat Baik", "istimewa", "", None, 3])
def test_an_unknown_unit_predikat_is_rejected_naming_the_field(value: object) -> None:
    with pytest.raises(RuleInputError) as caught:
        hasil_kerja_pimpinan(value)  # type: ignore[arg-type]
    assert str(caught.value).startswith(f"predikat_unit: unknown value {value!r}; expected one of Istimewa, Baik")


def test_an_edited_table_that_answers_an_unknown_rating_fails_loudly() -> None:
    edited = dmn_path("hasil_kerja_pimpinan").read_bytes().replace(b'"Di Atas Ekspektasi"', b'"Luar Biasa"')
    with pytest.raises(RuleInputError, match="hasil_kerja: unknown value 'Luar Biasa'"):
        hasil_kerja_pimpinan("Istimewa", table=parse_table(edited))
