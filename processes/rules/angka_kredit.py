"""Convert a 6/2022 predikat into functional-position credit points (PermenPANRB 1/2023).

AK = bulan / 12 x persen predikat / 100 x koefisien tahunan of the jenjang [R].
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from processes.rules.errors import RuleInputError
from processes.rules.predikat import PREDIKAT_6_2022, require_label
from processes.rules.rounding import HUNDRED, round2

_BULAN_SETAHUN = Decimal(12)


@dataclass(frozen=True)
class PengaturanAngkaKredit:
    """Hold the percentages per predikat and the annual coefficients per jenjang [R]."""

    persen_predikat: tuple[tuple[str, Decimal], ...] = (
        ("Sangat Baik", Decimal(150)), ("Baik", Decimal(100)), ("Butuh Perbaikan", Decimal(75)),
        ("Kurang/Misconduct", Decimal(50)), ("Sangat Kurang", Decimal(25)),
    )
    koefisien: tuple[tuple[str, Decimal], ...] = (
        ("Pemula", Decimal("3.75")), ("Terampil", Decimal(5)), ("Mahir", Decimal("12.5")),
        ("Penyelia", Decimal(25)), ("Ahli Pertama", Decimal("12.5")), ("Ahli Muda", Decimal(25)),
        ("Ahli Madya", Decimal("37.5")), ("Ahli Utama", Decimal(50)),
    )


@dataclass(frozen=True)
class HasilAngkaKredit:
    """Credit points and the factors that produced them."""

    angka_kredit: Decimal
    persen_predikat: Decimal
    koefisien: Decimal
    bulan: int


def angka_kredit(predikat: str, bulan: int, jenjang: str,
                 pengaturan: PengaturanAngkaKredit = PengaturanAngkaKredit()) -> HasilAngkaKredit:
    """Return the credit points earned with a predikat over a number of months in a jenjang."""
    require_label(predikat, "predikat", PREDIKAT_6_2022)
    koefisien = dict(pengaturan.koefisien)
    require_label(jenjang, "jenjang", koefisien)
    if isinstance(bulan, bool) or not isinstance(bulan, int) or not 1 <= bulan <= 12:
        raise RuleInputError("bulan", f"must be a whole number of months from 1 to 12, got {bulan!r}")
    persen = dict(pengaturan.persen_predikat)[predikat]
    nilai = Decimal(bulan) / _BULAN_SETAHUN * persen / HUNDRED * koefisien[jenjang]
    return HasilAngkaKredit(round2(nilai), persen, koefisien[jenjang], bulan)
