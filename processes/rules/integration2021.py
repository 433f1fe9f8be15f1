"""Integrate the two 2021 periods into one annual value (SE Menteri PANRB 3/2021).

Period I (January-June, regime A) is converted to the new scale by DMN `konversi_2021` (a default
table: the official conversion was not found [?]); the converted value and period II (regime B)
are combined 50/50 [R, secondary]. The result records the version of the conversion table.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from processes.rules import dmn_tables
from processes.rules.errors import RuleInputError
from processes.rules.regime_b import NILAI_MAKSIMUM, predikat_regime_b
from processes.rules.rounding import round2, to_decimal

_SETENGAH = Decimal("0.5")


@dataclass(frozen=True)
class HasilIntegrasi2021:
    """The 2021 annual value and how it was obtained."""

    nilai_periode_1: Decimal
    predikat_periode_1: str
    nilai_periode_1_konversi: Decimal
    nilai_periode_2: Decimal
    nilai_integrasi: Decimal
    predikat: str
    versi_tabel_konversi: str
    versi_tabel_predikat: str


def konversi_periode_1(nilai: Decimal, table: dmn_tables.DecisionTable | None = None) -> tuple[Decimal, str]:
    """Convert a regime-A nilai prestasi kerja to the PP 30/2019 scale; return it and its old predikat."""
    nilai = to_decimal(nilai, "nilai_periode_1", minimum=0)
    table = table or dmn_tables.load_table("konversi_2021")
    row = dmn_tables.decide(table, {"nilai": round2(nilai)})
    return round2(Decimal(str(row["nilai_baru"]))), str(row["predikat_lama"])


def integrasi_2021(nilai_periode_1: Decimal, nilai_periode_2: Decimal, inovasi: bool = False,
                   table: dmn_tables.DecisionTable | None = None) -> HasilIntegrasi2021:
    """Combine period I (converted) and period II 50/50 and rate the result with regime B's bands."""
    nilai_periode_1 = to_decimal(nilai_periode_1, "nilai_periode_1")  # konversi_periode_1 checks its range
    nilai_periode_2 = to_decimal(nilai_periode_2, "nilai_periode_2")
    if nilai_periode_2 < 0 or nilai_periode_2 > NILAI_MAKSIMUM:
        raise RuleInputError("nilai_periode_2", f"must be between 0 and 120, got {nilai_periode_2}")
    table = table or dmn_tables.load_table("konversi_2021")
    band_table = dmn_tables.load_table("predikat_band_regime_b")
    konversi, predikat_lama = konversi_periode_1(nilai_periode_1, table)
    nilai = round2(_SETENGAH * konversi + _SETENGAH * round2(nilai_periode_2))
    return HasilIntegrasi2021(
        nilai_periode_1=round2(nilai_periode_1),
        predikat_periode_1=predikat_lama,
        nilai_periode_1_konversi=konversi,
        nilai_periode_2=round2(nilai_periode_2),
        nilai_integrasi=nilai,
        predikat=predikat_regime_b(nilai, inovasi, band_table),
        versi_tabel_konversi=table.version,
        versi_tabel_predikat=band_table.version,
    )
