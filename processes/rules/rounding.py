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
#: The largest number any rule accepts (in absolute value): 10^15, a thousand trillion rupiah.
MAKSIMUM = Decimal(10) ** 15
#: The smallest non-zero number any rule accepts (in absolute value). With both bounds every ratio, score
#: and rounding stays well inside Decimal's 28 digits, so no input can end in a raw decimal.InvalidOperation.
MINIMUM = Decimal("0.000001")
#: The largest value a rule computes from accepted inputs (the largest over the smallest number, in percent);
#: the typed functions that take such a computed value (capaian, a regime-A nilai) accept up to this.
MAKSIMUM_HASIL = MAKSIMUM / MINIMUM * HUNDRED


def round2(value: Decimal) -> Decimal:
    """Round a value to two decimals, halves away from zero."""
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def to_decimal(value: object, field: str, *, minimum: Decimal | int | None = None,
               positive: bool = False, limit: Decimal = MAKSIMUM) -> Decimal:
    """Convert a JSON-ish number to Decimal, rejecting non-numbers and sizes beyond ``limit`` (in absolute value)
    with a field-named error."""
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
        raise RuleInputError(field, f"must be greater than 0, got {result:.6G}")
    if minimum is not None and result < minimum:
        raise RuleInputError(field, f"must not be {'negative' if minimum == 0 else f'less than {minimum}'}, "
                                    f"got {result:.6G}")
    # Comparisons, not abs(): abs() of 1e999999999 overflows the decimal context.
    if result > limit or result < -limit:
        raise RuleInputError(field, f"is too large: at most {limit:,f} in absolute value, got {result:.6G}")
    if result and -MINIMUM < result < MINIMUM:
        raise RuleInputError(field, f"is too small: 0 or at least {MINIMUM} in absolute value, got {result:.6G}")
    return result


def to_json_number(value: Decimal) -> float:
    """Render a Decimal result as the float that workflow task data carries (two decimals)."""
    return float(round2(value))
