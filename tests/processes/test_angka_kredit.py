"""Credit points for functional positions (PermenPANRB 1/2023)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from processes.rules.angka_kredit import angka_kredit
from processes.rules.errors import RuleInputError


@pytest.mark.parametrize(("predikat", "bulan", "jenjang", "ak"), [
    ("Baik", 12, "Ahli Pertama", "12.50"),
    ("Sangat Baik", 12, "Ahli Muda", "37.50"),
    ("Butuh Perbaikan", 12, "Ahli Madya", "28.13"),  # 28.125, half up
    ("Kurang/Misconduct", 12, "Ahli Utama", "25.00"),
    ("Sangat Kurang", 12, "Penyelia", "6.25"),
    ("Baik", 6, "Terampil", "2.50"),
    ("Sangat Baik", 6, "Pemula", "2.81"),  # 6/12 x 150% x 3.75 = 2.8125
    ("Baik", 1, "Mahir", "1.04"),
])
def test_angka_kredit(predikat: str, bulan: int, jenjang: str, ak: str) -> None:
    assert angka_kredit(predikat, bulan, jenjang).angka_kredit == D(ak)


@pytest.mark.parametrize(("args", "message"), [
    (("Baik", 13, "Ahli Muda"), "bulan: must be a whole number of months from 1 to 12, got 13"),
    (("Baik", 0, "Ahli Muda"), "bulan: must be a whole number of months from 1 to 12, got 0"),
    (("Baik", 6.5, "Ahli Muda"), "bulan: must be a whole number of months from 1 to 12, got 6.5"),
    (("Cukup", 12, "Ahli Muda"), "predikat: unknown value 'Cukup'"),
    (("Baik", 12, "Ahli"), "jenjang: unknown value 'Ahli'"),
])
def test_invalid_inputs_name_the_field(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(RuleInputError) as caught:
        angka_kredit(*args)  # type: ignore[arg-type]
    assert str(caught.value).startswith(message)


def test_results_and_settings_cannot_be_changed_afterwards() -> None:
    import dataclasses

    from processes.rules.angka_kredit import PengaturanAngkaKredit

    hasil = angka_kredit("Baik", 12, "Ahli Muda")
    for obj, name in ((hasil, "angka_kredit"), (PengaturanAngkaKredit(), "koefisien")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, name, None)
