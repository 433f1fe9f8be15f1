"""Regime C (PermenPANRB 6/2022): the predikat matrix."""

from __future__ import annotations

import pytest

from processes.errors import RuleInputError
from processes.predikat import DI_ATAS, DI_BAWAH, SESUAI
from processes.regime_c import predikat_6_2022

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
