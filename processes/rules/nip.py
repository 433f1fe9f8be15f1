"""The NIP (Nomor Induk Pegawai) of a civil servant: 18 digits that encode who the person is [R].

``yyyymmdd`` birth date, ``yyyymm`` TMT CPNS (the month the person became a candidate civil servant; PPPK
numbers carry ``21`` in place of the month), one digit for sex (1 man, 2 woman) and a three-digit sequence
number (PP 11/2017 and Peraturan BKN on the NIP). The check is about plausibility, not identity: a number that
passes may still belong to somebody else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

LENGTH = 18
PPPK_MONTH = 21  # PPPK numbers: the year of appointment followed by 21
MIN_AGE_AT_TMT = 17  # nobody becomes a CPNS before turning 17 (appointment age is at least 18)
OLDEST_BIRTH_YEAR = 1940


@dataclass(frozen=True)
class NipProblem:
    """What is wrong with a NIP: ``code`` for programs, ``part`` names the digits concerned."""

    code: str  # length | digits | birth_date | tmt | tmt_age | sex | sequence
    part: str


@dataclass(frozen=True)
class Nip:
    """The parts of a valid NIP."""

    birth: date
    tmt_year: int
    tmt_month: int  # 1-12, or 21 for PPPK
    sex: int  # 1 man, 2 woman
    sequence: int


def check_nip(value: str, today: date, pppk: bool | None = None) -> NipProblem | Nip:
    """Return the NIP's parts, or the first problem found.

    ``pppk`` says whether the person is a PPPK (True), a PNS (False) or unknown (None): a PPPK number carries
    21 in place of the TMT month, a PNS number never does.
    """
    if len(value) != LENGTH:
        return NipProblem("length", "nip")
    if not value.isascii() or not value.isdigit():
        return NipProblem("digits", "nip")
    year, month, day = int(value[0:4]), int(value[4:6]), int(value[6:8])
    try:
        birth = date(year, month, day)
    except ValueError:
        return NipProblem("birth_date", value[0:8])
    if year < OLDEST_BIRTH_YEAR or birth > today:
        return NipProblem("birth_date", value[0:8])
    tmt_year, tmt_month = int(value[8:12]), int(value[12:14])
    if tmt_month == PPPK_MONTH:
        if pppk is False:
            return NipProblem("tmt", value[8:14])
    elif not 1 <= tmt_month <= 12 or pppk is True:
        return NipProblem("tmt", value[8:14])
    if tmt_year > today.year + 1:  # a TMT may be set for the coming year, never later
        return NipProblem("tmt", value[8:14])
    # At least MIN_AGE_AT_TMT years after the birth month (a PPPK number's "month" is compared by year only).
    if (tmt_year, tmt_month if tmt_month <= 12 else birth.month) < (year + MIN_AGE_AT_TMT, birth.month):
        return NipProblem("tmt_age", value[8:14])
    sex = int(value[14])
    if sex not in (1, 2):
        return NipProblem("sex", value[14])
    sequence = int(value[15:18])
    if sequence == 0:
        return NipProblem("sequence", value[15:18])
    return Nip(birth, tmt_year, tmt_month, sex, sequence)
