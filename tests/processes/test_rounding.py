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
