"""NIP plausibility: 18 digits, birth date, TMT CPNS (or PPPK's 21), age at TMT, sex digit, sequence."""

from __future__ import annotations

from datetime import date

import pytest

from processes.demo import POSITIONS
from processes.rules.nip import Nip, NipProblem, check_nip

TODAY = date(2026, 12, 1)


def test_every_demo_nip_is_plausible() -> None:
    for p in POSITIONS:
        assert isinstance(check_nip(p.nip, TODAY, pppk=p.jenis == "PPPK"), Nip), p.nip


def test_parts_of_a_valid_nip() -> None:
    assert check_nip("198812202014021001", TODAY) == Nip(date(1988, 12, 20), 2014, 2, 1, 1)
    assert check_nip("199705052023211001", TODAY, pppk=True).tmt_month == 21


@pytest.mark.parametrize(("nip", "pppk", "code"), [
    ("19881220201402100", None, "length"),
    ("1988122020140210011", None, "length"),
    ("19881220201402100a", None, "digits"),
    ("١٩٨٨١٢٢٠٢٠١٤٠٢١٠٠١", None, "digits"),  # Arabic-Indic digits are digits to str.isdigit
    ("198813202014021001", None, "birth_date"),  # month 13
    ("198802302014021001", None, "birth_date"),  # 30 February
    ("193012202014021001", None, "birth_date"),  # before 1940
    ("202712202014021001", None, "birth_date"),  # born in the future
    ("198812202014131001", None, "tmt"),  # TMT month 13
    ("198812202014001001", None, "tmt"),  # TMT month 0
    ("198812202029021001", None, "tmt"),  # TMT more than a year ahead
    ("198812202005021001", None, "tmt_age"),  # CPNS at 16
    ("198812202005111001", None, "tmt_age"),  # one month short of 17
    ("199705052023211001", False, "tmt"),  # a PNS number never carries 21
    ("199705052023011001", True, "tmt"),  # a PPPK number always does
    ("198812202014023001", None, "sex"),
    ("198812202014020001", None, "sex"),
    ("198812202014021000", None, "sequence"),
])
def test_implausible_nips_name_their_part(nip: str, pppk: bool | None, code: str) -> None:
    problem = check_nip(nip, TODAY, pppk)
    assert isinstance(problem, NipProblem) and problem.code == code


def test_the_boundaries_of_age_and_time() -> None:
    assert isinstance(check_nip("198812202005122001", TODAY), Nip)  # 17 in the month of the TMT
    assert isinstance(check_nip("198812202027011001", TODAY), Nip)  # TMT next year
    assert isinstance(check_nip("194001012000011001", TODAY), Nip)
    assert isinstance(check_nip("200811302026111001", TODAY), Nip)  # born 2008, CPNS 17 years later
