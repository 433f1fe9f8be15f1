"""Predikat labels and rating levels, spelled once for the whole product.

The 6/2022 label for poor behaviour is spelled exactly "Kurang/Misconduct" (no spaces around the
slash), as in the PermenPANRB 6/2022 matrix.
"""

from __future__ import annotations

from collections.abc import Iterable

from processes.rules.errors import RuleInputError

SANGAT_BAIK = "Sangat Baik"
BAIK = "Baik"
CUKUP = "Cukup"
KURANG = "Kurang"
BURUK = "Buruk"
SANGAT_KURANG = "Sangat Kurang"
BUTUH_PERBAIKAN = "Butuh Perbaikan"
KURANG_MISCONDUCT = "Kurang/Misconduct"

#: Perka BKN 1/2013 (regime A), best first.
PREDIKAT_REGIME_A = (SANGAT_BAIK, BAIK, CUKUP, KURANG, BURUK)
#: PP 30/2019 + PermenPANRB 8/2021 (regime B), best first.
PREDIKAT_REGIME_B = (SANGAT_BAIK, BAIK, CUKUP, KURANG, SANGAT_KURANG)
#: PermenPANRB 6/2022 (regime C), best first.
PREDIKAT_6_2022 = (SANGAT_BAIK, BAIK, BUTUH_PERBAIKAN, KURANG_MISCONDUCT, SANGAT_KURANG)
#: Every label any regime produces; the follow-up rules read histories that span regimes.
PREDIKAT_SEMUA = tuple(dict.fromkeys(PREDIKAT_REGIME_A + PREDIKAT_REGIME_B + PREDIKAT_6_2022))

DI_ATAS = "Di Atas Ekspektasi"
SESUAI = "Sesuai Ekspektasi"
DI_BAWAH = "Di Bawah Ekspektasi"
#: Three-level rating of hasil kerja and perilaku kerja (PermenPANRB 6/2022), best first.
RATING_6_2022 = (DI_ATAS, SESUAI, DI_BAWAH)

ISTIMEWA = "Istimewa"
#: The unit's (organisation's) own predikat that sets the distribution curve (6/2022).
PREDIKAT_UNIT = (ISTIMEWA, BAIK, BUTUH_PERBAIKAN, KURANG, SANGAT_KURANG)

JPT = "JPT"
JA = "JA"
JF = "JF"
PPPK = "PPPK"
JENIS_JABATAN = (JPT, JA, JF, PPPK)


def require_label(value: object, field: str, allowed: Iterable[str]) -> str:
    """Return value if it is one of the allowed labels, else raise naming the valid ones."""
    allowed = tuple(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise RuleInputError(field, f"unknown value {value!r}; expected one of {', '.join(allowed)}")
    return value
