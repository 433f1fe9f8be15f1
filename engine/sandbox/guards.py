"""Run-time guards that restricted code calls instead of the raw operators and attribute lookups."""

from __future__ import annotations

import math
import operator
import re
import string
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from RestrictedPython.transformer import INSPECT_ATTRIBUTES

from .errors import SandboxResourceError, SandboxViolation
from .limits import Budget, SandboxLimits

_SEQUENCES = (str, bytes, list, tuple)
_CONTAINERS = (list, tuple, set, frozenset, dict)
_SCALARS = frozenset({int, float, bool, str, bytes, Decimal, type(None)})

# printf-style conversion specs: %[(key)][flags][width][.precision][length]type
_PRINTF = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]")
# format-spec mini language: [[fill]align][sign][z][#][0][width][grouping][.precision][type]
_FORMAT_SPEC = re.compile(r"(?:.?[<>=^])?[+\- ]?z?#?0?(\d*)[_,]?(?:\.(\d+))?[a-zA-Z%]?$", re.S)


def tree_exceeds(value: Any, limit: int) -> bool:
    """Return True when value, counted as a tree (shared parts counted each time), exceeds limit nodes."""
    if type(value) in _SCALARS:
        return False
    count = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            children: Any = (*item.keys(), *item.values())
        elif isinstance(item, _CONTAINERS):
            children = item
        else:
            continue
        count += len(children)
        # Text made of the structure holds every string's characters: ['a' * 10**6] * 400 is 400M.
        count += sum(len(child) for child in children if isinstance(child, (str, bytes)))
        if count > limit:
            return True
        # set(map(type, ...)) runs in C: only descend when some child is not a scalar.
        if not set(map(type, children)) <= _SCALARS:
            stack.extend(children)
    return False


def check_repr_size(value: Any, limits: SandboxLimits) -> None:
    """Refuse converting a structure to text when its tree is too large (e.g. [[big]*1000]*1000)."""
    if tree_exceeds(value, limits.max_sequence_length):
        raise SandboxResourceError(
            f"converting this value to text would exceed {limits.max_sequence_length:,} elements/characters")


def check_format_spec(spec: str, limits: SandboxLimits) -> int:
    """Refuse format widths/precisions beyond the sequence limit ('{:>9999999999}'); return their sum."""
    match = _FORMAT_SPEC.match(spec)
    if match is None:
        return 0  # not a standard spec: format() itself will reject or interpret it
    total = 0
    for number in match.groups():
        if number and (len(number) > 9 or int(number) > limits.max_sequence_length):
            raise SandboxResourceError(f"format width/precision {number} is too large")
        total += int(number) if number else 0
    return total


def check_format_value(value: Any, spec: str, limits: SandboxLimits) -> None:
    """Refuse formatting a Decimal whose fixed-point text is huge (f"{Decimal('1e400000000'):f}")."""
    if isinstance(value, Decimal) and value.is_finite():
        digits = abs(value.adjusted()) + len(value.as_tuple().digits)
        if digits > limits.max_sequence_length and (not spec or spec[-1:] in "fF%" or not spec[-1:].isalpha()):
            raise SandboxResourceError(f"formatting this number would give about {digits:,} characters")


def check_printf(template: str | bytes, limits: SandboxLimits) -> None:
    """Refuse '%*d' and huge widths/precisions in printf-style formatting."""
    text = template.decode("latin-1") if isinstance(template, bytes) else template
    if "%" not in text:
        return
    total = 0
    for width, precision in _PRINTF.findall(text):
        for number in (width, precision):
            if number == "*":
                raise SandboxViolation("'*' widths in %-formatting are not allowed")
            if number and (len(number) > 9 or int(number) > limits.max_sequence_length):
                raise SandboxResourceError(f"%-format width/precision {number} is too large")
            total += int(number) if number else 0
    if total > limits.max_sequence_length:
        raise SandboxResourceError(f"%-format widths/precisions add up to {total:,} characters")


def bounded_pow(base: Any, exp: Any, mod: Any, limits: SandboxLimits) -> Any:
    """Compute pow(base, exp[, mod]) after refusing integer results beyond max_int_digits."""
    if mod is None and isinstance(base, int) and isinstance(exp, int) and exp > 1 and abs(base) > 1:
        if exp * math.log2(abs(base)) > limits.max_int_bits:
            shown = base if abs(base) < 10**6 else "a large number"
            raise SandboxResourceError(
                f"{shown} ** {exp} would have more than {limits.max_int_digits:,} digits")
    if mod is not None and isinstance(exp, int) and isinstance(mod, int) and exp > 0:
        # Modular exponentiation is one C call of ~bits(exp) multiplications of bits(mod)-bit numbers.
        if exp.bit_length() * max(mod.bit_length(), 64) ** 1.585 > _POW_MOD_WORK:
            raise SandboxResourceError("three-argument pow() with numbers this large is too slow")
    return pow(base, exp) if mod is None else pow(base, exp, mod)


# pow(b, e, m) with 2048-bit e and m takes ~0.1 s: the most one call may cost.
_POW_MOD_WORK = 2048 * 2048 ** 1.585


class SafeFormatter(string.Formatter):
    """str.format that allows plain positional/named fields only, with bounded widths."""

    def __init__(self, limits: SandboxLimits) -> None:
        self.limits = limits

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> Any:
        if "." in field_name or "[" in field_name:
            raise SandboxViolation(
                f"format field '{{{field_name}}}' is not allowed: only plain fields like {{0}} or {{name}}")
        return super().get_field(field_name, args, kwargs)

    def format_field(self, value: Any, format_spec: str) -> Any:
        check_format_spec(format_spec, self.limits)
        check_format_value(value, format_spec, self.limits)
        check_repr_size(value, self.limits)
        return format(value, format_spec)

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        check_repr_size(value, self.limits)
        return super().convert_field(value, conversion)

    def bounded(self, template: str, args: Any, kwargs: Any) -> str:
        """Format and refuse results longer than the sequence limit (widths counted before formatting)."""
        total = 0
        for _, _, spec, _ in self.parse(template):
            total += check_format_spec(spec or "", self.limits)
        if total > self.limits.max_sequence_length:
            raise SandboxResourceError(f"format widths/precisions add up to {total:,} characters")
        result = self.vformat(template, args, kwargs)
        if len(result) > self.limits.max_sequence_length:
            raise SandboxResourceError(f"formatted string would have {len(result):,} characters")
        return result


class CallGuards(Budget):
    """Per-call guards for operators that can allocate without bound (`**`, `*`, `<<`, `+`, `%`)."""

    __slots__ = ()

    def pow(self, base: Any, exp: Any, mod: Any = None) -> Any:
        """Compute base ** exp after refusing integer results beyond max_int_digits."""
        return bounded_pow(base, exp, mod, self.limits)

    def mul(self, left: Any, right: Any) -> Any:
        """Compute left * right after refusing oversized integers and repetitions."""
        if isinstance(left, int) and isinstance(right, int):
            if left.bit_length() + right.bit_length() > self.limits.max_int_bits:
                raise SandboxResourceError(
                    f"multiplication would have more than {self.limits.max_int_digits:,} digits")
        elif isinstance(left, _SEQUENCES) and isinstance(right, int):
            self.charge(len(left) * max(right, 0), "repetition", _item_bytes(left))
        elif isinstance(right, _SEQUENCES) and isinstance(left, int):
            self.charge(len(right) * max(left, 0), "repetition", _item_bytes(right))
        return left * right

    def lshift(self, left: Any, right: Any) -> Any:
        """Compute left << right after refusing oversized integers."""
        if isinstance(left, int) and isinstance(right, int) and right > 0:
            if left.bit_length() + right > self.limits.max_int_bits:
                raise SandboxResourceError(
                    f"shift would have more than {self.limits.max_int_digits:,} digits")
        return left << right

    def add(self, left: Any, right: Any) -> Any:
        """Compute left + right after refusing oversized concatenations."""
        if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
            self.charge(len(left) + len(right), "concatenation", _item_bytes(left))
        return left + right

    def mod(self, left: Any, right: Any) -> Any:
        """Compute left % right, bounding printf-style string formatting."""
        if isinstance(left, (str, bytes)):
            check_printf(left, self.limits)
            check_repr_size(right, self.limits)
            values = right.values() if isinstance(right, dict) else right if isinstance(right, tuple) else (right,)
            for value in values:
                # '%d' % Decimal('1e999999') converts to a million-digit int in one C call.
                if isinstance(value, Decimal) and value.is_finite() and value.adjusted() > self.limits.max_int_digits:
                    raise SandboxResourceError(f"%-formatting a number with more than "
                                               f"{self.limits.max_int_digits:,} digits")
            result = left % right
            self.charge(len(result), "%-formatted string", 1)
            return result
        return left % right

    def format(self, value: Any, spec: str, conversion: int) -> str:
        """Format one f-string field with a bounded width and a bounded repr."""
        check_repr_size(value, self.limits)
        if conversion == 114:  # !r
            value = repr(value)
        elif conversion == 115:  # !s
            value = str(value)
        elif conversion == 97:  # !a
            value = ascii(value)
        if spec:
            check_format_spec(spec, self.limits)
            check_format_value(value, spec, self.limits)
        result = format(value, spec)
        # Many fields, each within the limit, still add up: count them against the call's bytes.
        self.charge(len(result), "formatted value", 1)
        return result

    def inplacevar(self, op: str, target: Any, value: Any) -> Any:
        """Apply an augmented assignment operator through the same guards as the binary operator."""
        if op == "+=":
            if isinstance(target, _SEQUENCES) and isinstance(value, _SEQUENCES):
                self.charge(len(target) + len(value), "concatenation", _item_bytes(target))
            return operator.iadd(target, value)
        if op == "*=":
            if isinstance(target, list) and isinstance(value, int):
                self.charge(len(target) * max(value, 0), "repetition")
                return operator.imul(target, value)
            return self.mul(target, value)
        if op == "**=":
            return self.pow(target, value)
        if op == "<<=":
            return self.lshift(target, value)
        if op == "%=":
            return self.mod(target, value)
        func = _INPLACE.get(op)
        if func is None:
            raise SandboxViolation(f"operator {op} is not allowed")
        return func(target, value)


_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "-=": operator.isub, "/=": operator.itruediv, "//=": operator.ifloordiv, ">>=": operator.irshift,
    "&=": operator.iand, "|=": operator.ior, "^=": operator.ixor, "@=": operator.imatmul,
}


def _item_bytes(seq: Any) -> int:
    return 1 if isinstance(seq, (str, bytes)) else 8


# Attribute names refused even though they do not start with "_": class hierarchy walks and
# the frame/code/traceback attributes RestrictedPython lists.
_FORBIDDEN_ATTRS = frozenset({"mro", "format_map"}) | INSPECT_ATTRIBUTES


def make_getattr(limits: SandboxLimits) -> Callable[..., Any]:
    """Build the `_getattr_` guard: no private/dunder names, no frames, bounded str methods."""
    formatter = SafeFormatter(limits)
    max_len = limits.max_sequence_length

    def padded(method: Callable[..., Any]) -> Callable[..., Any]:
        def call(width: int, *args: Any) -> Any:
            if isinstance(width, int) and width > max_len:
                raise SandboxResourceError(f"padding to {width:,} characters is too large")
            return method(width, *args)
        return call

    def guarded_str_method(obj: str | bytes, name: str) -> Any:
        method = getattr(obj, name)
        if name == "format" and isinstance(obj, str):
            return lambda *args, **kwargs: formatter.bounded(obj, args, kwargs)
        if name in ("ljust", "rjust", "center", "zfill"):
            return padded(method)
        if name == "expandtabs":
            def expandtabs(tabsize: int = 8) -> Any:
                tabs = obj.count("\t") if isinstance(obj, str) else obj.count(b"\t")
                if tabs * max(tabsize, 0) + len(obj) > max_len:
                    raise SandboxResourceError("expandtabs result is too large")
                return method(tabsize)
            return expandtabs
        if name == "replace":
            def replace(old: Any, new: Any, count: int = -1) -> Any:
                hits = (len(obj) + 1) if not old else obj.count(old)
                if count >= 0:
                    hits = min(hits, count)
                if len(obj) + hits * max(len(new) - len(old), 0) > max_len:
                    raise SandboxResourceError("replace result is too large")
                return method(old, new, count)
            return replace
        if name == "translate":
            def translate(table: Any) -> Any:
                if isinstance(table, dict):
                    longest = max((len(v) for v in table.values() if isinstance(v, (str, bytes))), default=1)
                    if len(obj) * max(longest, 1) > max_len:
                        raise SandboxResourceError("translate result is too large")
                return method(table)
            return translate
        if name == "join":
            def join(items: Any) -> Any:
                items = list(items)
                total = sum(map(len, items)) + len(obj) * max(len(items) - 1, 0)
                if total > max_len:
                    raise SandboxResourceError(f"join result would have {total:,} characters")
                return method(items)
            return join
        return method

    def guarded_getattr(obj: Any, name: str, default: Any = None) -> Any:
        if type(name) is not str:
            raise TypeError("attribute name must be a string")
        if name.startswith("_") or name in _FORBIDDEN_ATTRS:
            raise SandboxViolation(f"access to attribute '{name}' is not allowed")
        if isinstance(obj, (str, bytes)):
            return guarded_str_method(obj, name)
        if name == "from_bytes" and (obj is int or isinstance(obj, (int, GuardedType))):
            return bounded_from_bytes
        if isinstance(obj, type):
            real = getattr(obj, "real_type", None) if isinstance(obj, GuardedType) else obj
            if real in (str, bytes) and name in _STR_AMPLIFIERS:
                raise SandboxViolation(f"call '{name}' on a string value, not on the str type")
            if isinstance(obj, GuardedType):
                return getattr(real, name)
        if isinstance(obj, string.Formatter):
            raise SandboxViolation("string.Formatter objects are not allowed")
        return getattr(obj, name)

    def bounded_from_bytes(data: Any, *args: Any, **kwargs: Any) -> int:
        # int.from_bytes(b'\xff' * 10**6, 'big') is a 2.4M-digit integer: every later operation on it is slow.
        if isinstance(data, (bytes, bytearray)) and len(data) * 8 > limits.max_int_bits:
            raise SandboxResourceError(f"int.from_bytes() would have more than {limits.max_int_digits:,} digits")
        return int.from_bytes(data, *args, **kwargs)

    return guarded_getattr


_STR_AMPLIFIERS = frozenset({"format", "ljust", "rjust", "center", "zfill", "expandtabs", "replace", "join",
                             "translate"})


def write_guard(obj: Any) -> Any:
    """Allow item assignment on plain dicts and lists only; never on other objects or attributes."""
    if isinstance(obj, (dict, list)):
        return obj
    raise SandboxViolation(f"cannot modify {type(obj).__name__} objects (only dict and list items)")


def apply_call(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call func with star-args (RestrictedPython's `_apply_`)."""
    return func(*args, **kwargs)


class DiscardPrints:
    """`_print_` collector: print() in scripts is accepted and its output discarded."""

    def __init__(self, _getattr: Any = None) -> None:
        pass

    def _call_print(self, *args: Any, **kwargs: Any) -> None:
        return None

    def __call__(self) -> str:
        return ""


class GuardedType(type):
    """Metaclass for allow-list stand-ins of str/int: isinstance() works, construction is checked."""

    real_type: type
    check: Callable[..., None]

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, cls.real_type)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, cls.real_type)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        cls.check(*args, **kwargs)
        return cls.real_type(*args, **kwargs)

    def __repr__(cls) -> str:
        return f"<class '{cls.real_type.__name__}'>"


def guarded_type(real: type, check: Callable[..., None]) -> type:
    """Return a stand-in for `real` whose calls are checked first."""
    return GuardedType(real.__name__, (), {"real_type": real, "check": staticmethod(check)})
