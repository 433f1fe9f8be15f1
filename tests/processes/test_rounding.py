"""The single rounding rule and number parsing."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from processes.rules.errors import RuleInputError
from processes.rules.rounding import round2, to_decimal, to_json_number


@pytest.mark.parametrize(("value", "expected"), [
    ("95.335", "95.34"), ("95.334", "95.33"), ("-0.005", "-0.01"), ("107.142857", "107.14"), ("96", "96.00"),
])
def test_round2_is_half_up_to_two_decimals(value: str, expected: str) -> None:
    assert str(round2(D(value))) == expected


def test_floats_keep_their_short_decimal_form() -> None:
    assert to_decimal(0.1, "x") == D("0.1")
    assert to_json_number(D("95.335")) == 95.34


@pytest.mark.parametrize(("value", "message"), [
    ("1,000", "x: must use a dot as decimal separator and no grouping, got '1,000'"),
    ("6,5", "x: must use a dot as decimal separator"),
    ("abc", "x: must be a number, got 'abc'"),
    (None, "x: must be a number, got None"),
    (float("inf"), "x: must be a finite number"),
    ([1], "x: must be a number, got list"),
])
def test_non_numbers_are_rejected(value: object, message: str) -> None:
    with pytest.raises(RuleInputError) as caught:
        to_decimal(value, "x")
    assert str(caught.value).startswith(message)


# --- issue 16: the size of accepted numbers, at its exact edges --------------------------------------------------
@pytest.mark.parametrize("value", [0, "0.000001", "-0.000001", 10**15, -(10**15), "0.5"])
def test_numbers_from_the_smallest_to_the_largest_are_accepted(value: object) -> None:
    assert to_decimal(value, "x") == D(str(value))


@pytest.mark.parametrize(("value", "message"), [
    (10**15 + 1, "x: is too large: at most 1,000,000,000,000,000 in absolute value, got 1.00000E+15"),
    (-(10**15) - 1, "x: is too large"),
    ("0.0000009", "x: is too small: 0 or at least 0.000001 in absolute value, got 9E-7"),
    ("-0.0000009", "x: is too small"),
    ("1e999999999", "x: is too large"),
    (True, "x: must be a number, got True"),
    (False, "x: must be a number, got False"),
])
def test_numbers_out_of_size_and_booleans_are_refused(value: object, message: str) -> None:
    with pytest.raises(RuleInputError) as caught:
        to_decimal(value, "x")
    assert str(caught.value).startswith(message)


def test_minimum_positive_and_limit() -> None:
    assert to_decimal(0, "x", minimum=0) == 0 and to_decimal("0.5", "x", positive=True) == D("0.5")
    with pytest.raises(RuleInputError, match="x: must be greater than 0, got 0"):
        to_decimal(0, "x", positive=True)
    with pytest.raises(RuleInputError, match="x: must not be negative, got -0.5"):
        to_decimal("-0.5", "x", minimum=0)
    with pytest.raises(RuleInputError, match="x: must not be less than 1, got 0.5"):
        to_decimal("0.5", "x", minimum=1)
    assert to_decimal(10**20, "x", limit=D(10) ** 23) == D(10) ** 20
