"""The names a sandboxed expression can see: safe builtins, date/time and Decimal helpers."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from .errors import SandboxResourceError
from .guards import bounded_pow, check_repr_size, guarded_type
from .limits import SandboxLimits

# Real builtins exposed unchanged: none of them can run code, reach objects outside the script or
# allocate more than their (already bounded) inputs.
_PLAIN_BUILTINS = (
    "abs", "all", "any", "bool", "callable", "chr", "dict", "divmod", "enumerate", "filter", "float",
    "frozenset", "hex", "isinstance", "len", "list", "map", "max", "min", "oct", "ord", "reversed",
    "set", "sorted", "tuple", "zip", "bin",
)
# Only Exception subclasses: SystemExit/KeyboardInterrupt/GeneratorExit would escape the engine's
# `except Exception` handlers and could stop a worker thread.
_EXCEPTIONS = (
    "ArithmeticError", "AssertionError", "AttributeError", "Exception", "IndexError", "KeyError",
    "LookupError", "NameError", "NotImplementedError", "OverflowError", "RuntimeError", "StopIteration",
    "TypeError", "ValueError", "ZeroDivisionError",
)

SAFE_GLOBALS_DOC: list[tuple[str, str]] = [
    ("abs, all, any, bool, callable, chr, divmod, enumerate, filter, float, hex, bin, isinstance, len, "
     "map, max, min, oct, ord, reversed, round, sorted, zip",
     "Python builtins, unchanged"),
    ("dict, list, set, frozenset, tuple", "container types (construction and isinstance)"),
    ("str, int", "types for isinstance() and conversion; str() of huge nested data and int() of huge "
     "Decimals are refused"),
    ("range", f"range() with at most max_sequence_length elements (default "
     f"{SandboxLimits().max_sequence_length:,})"),
    ("sum", "sum() of numbers/timedeltas; summing lists or strings is refused (quadratic)"),
    ("pow", "pow(); integer results above max_int_digits are refused"),
    ("repr", "repr(); refused for huge nested data"),
    ("datetime, date, time, timedelta, timezone", "the datetime module's classes (use explicit "
     "offsets, e.g. datetime.now(timezone.utc))"),
    ("Decimal", "decimal.Decimal for exact money/score arithmetic"),
    ("Exception, ValueError, TypeError, KeyError, IndexError, ZeroDivisionError, ArithmeticError, "
     "AssertionError, AttributeError, LookupError, NameError, NotImplementedError, OverflowError, "
     "RuntimeError, StopIteration",
     "exception classes for raise/except"),
    ("None, True, False", "constants"),
    ("print", "accepted, output discarded"),
    ("functions given to the engine", "the SMK rule functions, by the names the engine registers"),
]


def build_builtins(limits: SandboxLimits) -> dict[str, Any]:
    """Return the `__builtins__` mapping for one environment (range/sum/... bound to its limits)."""
    names: dict[str, Any] = {name: getattr(builtins, name) for name in _PLAIN_BUILTINS + _EXCEPTIONS}
    names.update({"None": None, "True": True, "False": False})
    names.update(
        range=_bounded_range(limits),
        sum=_numeric_sum,
        pow=_bounded_pow(limits),
        repr=_bounded_repr(limits),
        str=guarded_type(str, _str_check(limits)),
        int=guarded_type(int, _int_check(limits)),
        datetime=datetime, date=date, time=time, timedelta=timedelta, timezone=timezone,
        Decimal=Decimal,
        round=_bounded_round(limits),
    )
    return names


def _bounded_round(limits: SandboxLimits) -> Callable[..., Any]:
    def bounded_round(number: Any, ndigits: Any = None) -> Any:
        # round(Decimal('1e999999')) converts to a million-digit int: one uninterruptible, quadratic C call.
        if ndigits is None and isinstance(number, Decimal) and number.is_finite() \
                and number.adjusted() > limits.max_int_digits:
            raise SandboxResourceError(f"round() of a number with more than {limits.max_int_digits:,} digits")
        return builtins.round(number, ndigits)
    return bounded_round


def _bounded_range(limits: SandboxLimits) -> Callable[..., range]:
    def bounded_range(*args: int) -> range:
        result = range(*args)
        if len(result) > limits.max_sequence_length:
            raise SandboxResourceError(
                f"range() with {len(result):,} elements is too large (limit {limits.max_sequence_length:,})")
        return result
    return bounded_range


_SUM_STARTS = (int, float, Decimal, timedelta)


def _numeric_sum(items: Iterable[Any], start: Any = 0) -> Any:
    """Sum numbers or timedeltas; refuse list/tuple starts, which build quadratic copies."""
    if not isinstance(start, _SUM_STARTS):
        raise TypeError("sum() only adds numbers or timedeltas; use a loop or a comprehension")
    return builtins.sum(items, start)


def _bounded_pow(limits: SandboxLimits) -> Callable[..., Any]:
    def pow(base: Any, exp: Any, mod: Any = None) -> Any:
        return bounded_pow(base, exp, mod, limits)
    return pow


def _bounded_repr(limits: SandboxLimits) -> Callable[[Any], str]:
    def bounded_repr(value: Any) -> str:
        check_repr_size(value, limits)
        return repr(value)
    return bounded_repr


def _str_check(limits: SandboxLimits) -> Callable[..., None]:
    def check(value: Any = "", *args: Any, **kwargs: Any) -> None:
        check_repr_size(value, limits)
    return check


def _int_check(limits: SandboxLimits) -> Callable[..., None]:
    def check(value: Any = 0, *args: Any, **kwargs: Any) -> None:
        # int(Decimal('1e999999')) is one uninterruptible, quadratic C call.
        if isinstance(value, Decimal) and value.is_finite() and value.adjusted() > limits.max_int_digits:
            raise SandboxResourceError(f"int() of a number with more than {limits.max_int_digits:,} digits")
    return check
