"""Decimal conversion and the project's single rounding rule.

Rounding rule (documented in docs/rules.md): every value a rule *reports* is rounded to two
decimals with ROUND_HALF_UP, and the next step of the calculation uses that reported value.
This is how the values appear on the regulation's forms, so an official can recompute any
result by hand from the numbers on the page.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from processes.rules.errors import RuleInputError

TWO_PLACES = Decimal("0.01")
HUNDRED = Decimal(100)


def round2(value: Decimal) -> Decimal:
    """Round a value to two decimals, halves away from zero."""
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def to_decimal(value: object, field: str, *, minimum: Decimal | int | None = None,
               positive: bool = False) -> Decimal:
    """Convert a JSON-ish number to Decimal, rejecting non-numbers with a field-named error."""
    # bool is an int subclass: True would silently become 1.
    if isinstance(value, bool) or value is None:
        raise RuleInputError(field, f"must be a number, got {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        # str() keeps the short decimal form users typed (0.1, not 0.1000000000000000055...).
        result = Decimal(str(value))
    elif isinstance(value, str):
        if "," in value:
            # "6,5" (decimal comma) and "1,000" (thousands) are both common: refuse to guess.
            raise RuleInputError(field, f"must use a dot as decimal separator and no grouping, got {value!r}")
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise RuleInputError(field, f"must be a number, got {value!r}") from None
    else:
        raise RuleInputError(field, f"must be a number, got {type(value).__name__}")
    if not result.is_finite():
        raise RuleInputError(field, f"must be a finite number, got {value!r}")
    if positive and result <= 0:
        raise RuleInputError(field, f"must be greater than 0, got {result}")
    if minimum is not None and result < minimum:
        raise RuleInputError(field, f"must not be less than {minimum}, got {result}")
    return result


def to_json_number(value: Decimal) -> float:
    """Render a Decimal result as the float that workflow task data carries (two decimals)."""
    return float(round2(value))
