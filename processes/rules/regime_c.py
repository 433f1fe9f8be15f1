"""Determine the PermenPANRB 6/2022 predikat from the two three-level ratings.

Hasil kerja and perilaku kerja are each rated Di Atas / Sesuai / Di Bawah Ekspektasi by the
assessor; the predikat comes from the matrix in DMN `predikat_matrix_6_2022`. A unit head's own
hasil-kerja rating is not the assessor's choice: it follows the unit's predikat (DMN
`hasil_kerja_pimpinan`; the exact mapping is unconfirmed [?]).
"""

from __future__ import annotations

from processes.rules import dmn_tables
from processes.rules.predikat import PREDIKAT_6_2022, PREDIKAT_UNIT, RATING_6_2022, require_label


def predikat_6_2022(hasil_kerja: str, perilaku: str, table: dmn_tables.DecisionTable | None = None) -> str:
    """Return the predikat for a hasil kerja rating and a perilaku rating."""
    require_label(hasil_kerja, "hasil_kerja", RATING_6_2022)
    require_label(perilaku, "perilaku", RATING_6_2022)
    table = table or dmn_tables.load_table("predikat_matrix_6_2022")
    row = dmn_tables.decide(table, {"hasil_kerja": hasil_kerja, "perilaku": perilaku})
    # A table edit that produces a label the rest of the product does not know must fail loudly.
    return require_label(row["predikat"], "predikat", PREDIKAT_6_2022)


def hasil_kerja_pimpinan(predikat_unit: str, table: dmn_tables.DecisionTable | None = None) -> str:
    """Return the unit head's hasil-kerja rating that follows from the unit's own predikat."""
    require_label(predikat_unit, "predikat_unit", PREDIKAT_UNIT)
    table = table or dmn_tables.load_table("hasil_kerja_pimpinan")
    row = dmn_tables.decide(table, {"predikat_unit": predikat_unit})
    # An edited table must still answer with one of the three 6/2022 rating levels.
    return require_label(row["hasil_kerja"], "hasil_kerja", RATING_6_2022)
