"""Recommend follow-up rewards and sanctions from the predikat history (DMN `tindak_lanjut`).

Recommendations only: every item becomes a task in which HR / the PPK (on advice of the Tim
Penilai Kinerja) decides. Nothing here executes a sanction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from processes.rules import dmn_tables
from processes.rules.errors import RuleInputError
from processes.rules.predikat import JENIS_JABATAN, PREDIKAT_SEMUA, require_label


@dataclass(frozen=True)
class Rekomendasi:
    """One recommended action with the regulation it comes from."""

    kode: str
    rekomendasi: str
    dasar_hukum: str
    persen_tukin: Decimal | None = None


def rekomendasi_tindak_lanjut(riwayat_predikat: Sequence[str], jenis_jabatan: str,
                              table: dmn_tables.DecisionTable | None = None) -> list[Rekomendasi]:
    """List the recommended actions for a predikat history (oldest first) and a position type."""
    if isinstance(riwayat_predikat, str) or not riwayat_predikat:
        raise RuleInputError("riwayat_predikat", "must be a non-empty list of predikat, oldest first")
    for index, label in enumerate(riwayat_predikat):
        require_label(label, f"riwayat_predikat[{index}]", PREDIKAT_SEMUA)
    require_label(jenis_jabatan, "jenis_jabatan", JENIS_JABATAN)
    table = table or dmn_tables.load_table("tindak_lanjut")
    values = {
        "predikat_terakhir": riwayat_predikat[-1],
        # With one year of history the two-year rules cannot fire.
        "predikat_sebelumnya": riwayat_predikat[-2] if len(riwayat_predikat) > 1 else None,
        "jenis_jabatan": jenis_jabatan,
    }
    return [
        Rekomendasi(
            kode=str(row["kode"]),
            rekomendasi=str(row["rekomendasi"]),
            dasar_hukum=str(row["dasar_hukum"]),
            persen_tukin=None if row["persen_tukin"] in ("", None) else Decimal(str(row["persen_tukin"])),
        )
        for row in dmn_tables.collect(table, values)
    ]
