"""Determine the PermenPANRB 6/2022 predikat from the two three-level ratings.

Hasil kerja and perilaku kerja are each rated Di Atas / Sesuai / Di Bawah Ekspektasi by the
assessor; the predikat comes from the matrix in DMN `predikat_matrix_6_2022`.
"""

from __future__ import annotations

from processes import dmn_tables
from processes.predikat import PREDIKAT_6_2022, RATING_6_2022, require_label


def predikat_6_2022(hasil_kerja: str, perilaku: str, table: dmn_tables.DecisionTable | None = None) -> str:
    """Return the predikat for a hasil kerja rating and a perilaku rating."""
    require_label(hasil_kerja, "hasil_kerja", RATING_6_2022)
    require_label(perilaku, "perilaku", RATING_6_2022)
    table = table or dmn_tables.load_table("predikat_matrix_6_2022")
    row = dmn_tables.decide(table, {"hasil_kerja": hasil_kerja, "perilaku": perilaku})
    # A table edit that produces a label the rest of the product does not know must fail loudly.
    return require_label(row["predikat"], "predikat", PREDIKAT_6_2022)
