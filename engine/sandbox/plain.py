"""Plain expressions: a verified subset evaluated in the server process, without a sandbox job.

Most expressions in models only read task data and compare it (``kurva['status'] == 'menunggu'``,
``pegawai['kepala_unit_kurva'] is not None``, ``"P1D"``, ``predikat``, DMN cells). Sending each one to a sandbox
process costs a round trip (a pickle, two pipe writes, two context switches, a JSON reply). This module accepts a
small, closed subset of the expression grammar and evaluates it with its own interpreter — never ``eval`` or
``compile`` — so no model code runs here. Everything else, and every case below that it is not sure of, goes to
the pool exactly as before (``evaluate`` returns ``NOT_PLAIN``).

Accepted (``plan``), nothing else: a constant (None, bool, float, str of at most 1,000 characters, int below 10**18,
a negated number); a name, read from the task data then the external context; a subscript whose index is a
constant or a name (no slices); comparisons (``== != < <= > >= in not in is is not``); ``and``/``or``/``not``;
``x if c else y``; tuples and lists of at most 64 items. At most 256 nodes, nested at most 32 deep. None of these
calls code, loops over anything but the (bounded) data and its own small tuples, or allocates more than a tuple of
64 items — except the copy of the result, which is bounded like the task data.

At run time only values of exact plain types are touched: str, int, float, bool, None, Decimal, date, datetime and
time (with no time zone, a ``timezone`` or a ``ZoneInfo``), timedelta, and dict, list, tuple, set and frozenset of
those. A value of any other type (a subclass included) anywhere the evaluation would touch it — an indexed
container and the keys of a dict, both operands of a comparison (the whole tree of a container), a value whose
truth is tested, the result — sends the expression to the pool, so no method of a foreign object is ever called.
So do: a name that is a registered function or a sandbox builtin, NaN inside a container (identity decides
there, and the pool's copy has other identities), Decimal NaN, ``is`` unless one side is None/True/False, a tree
larger than the data limits, an integer result too long for the wire, and any exception that is not a built-in one.

Results and errors are those of the pool: the result is copied as the wire would copy it (datetimes and times with
a time zone come back with a fixed offset, tuples and sets stay what they are), and an error (KeyError, IndexError,
TypeError, NameError...) is rebuilt as the pool rebuilds a sandbox process's error — same class, same arguments
(long ones shortened the same way), with ``script_line`` — so SpiffWorkflow, and the instance's error, read the
same text. ``SMK_SANDBOX_PLAIN_EXPRESSIONS=0`` turns this tier off (see docs/sandbox.md).
"""

from __future__ import annotations

import ast
import builtins
import decimal
import math
import operator
import os
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Any, Final
from zoneinfo import ZoneInfo

from .limits import SandboxLimits
from .wire import scalar_args

#: The environment switch: "0" (or false/no/off) sends every expression to the sandbox processes.
SWITCH = "SMK_SANDBOX_PLAIN_EXPRESSIONS"

MAX_SOURCE = 2_000  # characters of a plain expression's source
MAX_STR = 1_000  # characters of a string constant
MAX_INT = 10**18  # bound (exclusive) of an integer constant's absolute value
MAX_ELEMENTS = 64  # items of a tuple or list display
MAX_NODES = 256  # AST nodes of one expression
MAX_NESTING = 32  # nesting of those nodes
MAX_VALUES = 200_000  # values one operand or the result may hold (counted as a tree)
MAX_DEPTH = 100  # nesting of one operand or the result
MAX_RESULT_INT_BITS = 14_000  # longer integers cannot cross the wire (CPython's 4,300-digit str() limit)
MAX_DECIMAL_TEXT = 100  # longer Decimals are refused by the wire's decoder
CACHE_SIZE = 4096

_NONE = type(None)
# Values whose comparisons, hashing and truth never run anything but C code of their own type.
_SCALARS: Final = frozenset({str, int, bool, _NONE, float})
_LEAVES: Final = frozenset({str, int, bool, _NONE, float, Decimal, date, datetime, time, timedelta})
_CONTAINERS: Final = frozenset({dict, list, tuple, set, frozenset})
_PLAIN: Final = _LEAVES | _CONTAINERS
# Keys a dict may hold for a lookup in it to compare only plain keys (no time zones: hashing one runs utcoffset).
_KEYS: Final = frozenset({str, int, bool, _NONE, float, Decimal, date, timedelta})
_ZONES: Final = frozenset({_NONE, timezone, ZoneInfo})
# The decimal context of a fresh thread (what the sandbox process compares Decimals in).
_DECIMALS: Final = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN, Emin=-999999, Emax=999999,
                                   capitals=1, clamp=0, flags=[],
                                   traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow])


class _NotPlain:
    """The answer 'send this expression to the sandbox processes'."""

    def __repr__(self) -> str:
        return "NOT_PLAIN"


NOT_PLAIN: Final = _NotPlain()


class _Refused(Exception):
    """Planning: the source is not in the plain subset."""


class _Fallback(Exception):
    """Evaluating: a value or a case this tier does not handle; the pool evaluates the expression."""


class _Failure(Exception):
    """Evaluating: the expression failed as it would in the pool, at ``line``."""

    def __init__(self, error: BaseException, line: int) -> None:
        super().__init__()
        self.error, self.line = error, line


class _Scope:
    """One evaluation: where names come from, and how many more values it may walk (all operands together)."""

    __slots__ = ("data", "external", "known", "budget")

    def __init__(self, data: dict[str, Any], external: dict[str, Any], known: frozenset[str]) -> None:
        self.data, self.external, self.known = data, external, known
        self.budget = MAX_VALUES

    def spend(self, values: int) -> None:
        self.budget -= values
        if self.budget < 0:
            raise _Fallback


Evaluator = Callable[[_Scope], Any]


def enabled(environ: Mapping[str, str] | None = None) -> bool:
    """Read ``SMK_SANDBOX_PLAIN_EXPRESSIONS``: on unless it is 0/false/no/off."""
    raw = (os.environ if environ is None else environ).get(SWITCH, "1").strip().lower()
    if raw in ("", "1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{SWITCH} must be 1 (plain expressions in the server process, the default) or 0 (every "
                     f"expression in a sandbox process), not {raw!r}")


# -- planning: the whitelist ------------------------------------------------------------------------------------

@lru_cache(maxsize=CACHE_SIZE)
def plan(source: str) -> Evaluator | None:
    """Return the evaluator of ``source`` if it is a plain expression, else None (cached per source)."""
    if len(source) > MAX_SOURCE:
        return None
    try:
        tree = ast.parse(source.strip(), "<string>", "eval")  # stripped, as the sandbox compiles it
        return _Planner().build(tree.body, 0)
    except (_Refused, SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def is_plain(source: str) -> bool:
    """Say whether ``source`` is in the plain subset (evaluated here unless its values are not plain data)."""
    return plan(source) is not None


def _constant_value(node: ast.expr) -> tuple[bool, Any]:
    """Return (True, value) for an accepted constant or negated number, else (False, None)."""
    if type(node) is ast.UnaryOp and type(node.op) is ast.USub and type(node.operand) is ast.Constant:
        value = node.operand.value
        if (type(value) is int and abs(value) < MAX_INT) or type(value) is float:
            return True, -value
        return False, None
    if type(node) is not ast.Constant:
        return False, None
    value = node.value
    kind = type(value)
    if kind is _NONE or kind is bool or kind is float:
        return True, value
    if kind is str and isinstance(value, str) and len(value) <= MAX_STR:
        return True, value
    if kind is int and isinstance(value, int) and abs(value) < MAX_INT:
        return True, value
    return False, None


class _Planner:
    def __init__(self) -> None:
        self.nodes = 0

    def build(self, node: ast.expr, depth: int) -> Evaluator:
        self.nodes += 1
        if self.nodes > MAX_NODES or depth > MAX_NESTING:
            raise _Refused
        is_constant, value = _constant_value(node)
        if is_constant:
            return lambda scope: value
        kind = type(node)
        if kind is ast.Name:
            return self._name(node)
        if kind is ast.Subscript:
            return self._subscript(node, depth)
        if kind is ast.Compare:
            return self._compare(node, depth)
        if kind is ast.BoolOp:
            return self._boolop(node, depth)
        if kind is ast.UnaryOp and type(node.op) is ast.Not:  # type: ignore[attr-defined]
            return _not(self.build(node.operand, depth + 1))  # type: ignore[attr-defined]
        if kind is ast.IfExp:
            return self._ifexp(node, depth)
        if kind is ast.Tuple or kind is ast.List:
            return self._display(node, depth)
        raise _Refused  # Attribute, Call, BinOp, comprehensions, lambda, f-strings, Starred, NamedExpr, Dict...

    def _name(self, node: ast.expr) -> Evaluator:
        assert isinstance(node, ast.Name)
        if type(node.ctx) is not ast.Load or node.id.startswith("_"):
            raise _Refused
        return _load(node.id, node.lineno)

    def _subscript(self, node: ast.expr, depth: int) -> Evaluator:
        assert isinstance(node, ast.Subscript)
        index = node.slice
        if type(index) is not ast.Name:
            is_constant, _ = _constant_value(index)
            if not is_constant:
                raise _Refused  # slices, tuples, expressions
        return _subscript(self.build(node.value, depth + 1), self.build(index, depth + 1), node.lineno)

    def _compare(self, node: ast.expr, depth: int) -> Evaluator:
        assert isinstance(node, ast.Compare)
        ops = []
        for op in node.ops:
            compare = _OPERATORS.get(type(op))
            if compare is None:
                raise _Refused
            ops.append(compare)
        left = self.build(node.left, depth + 1)
        rights = [self.build(right, depth + 1) for right in node.comparators]
        return _chain(left, tuple(zip(ops, rights, strict=True)), node.lineno)

    def _boolop(self, node: ast.expr, depth: int) -> Evaluator:
        assert isinstance(node, ast.BoolOp)
        values = tuple(self.build(value, depth + 1) for value in node.values)
        return _and(values) if type(node.op) is ast.And else _or(values)

    def _ifexp(self, node: ast.expr, depth: int) -> Evaluator:
        assert isinstance(node, ast.IfExp)
        test, body, orelse = (self.build(part, depth + 1) for part in (node.test, node.body, node.orelse))

        def choose(scope: _Scope) -> Any:
            return body(scope) if _truth(test(scope)) else orelse(scope)
        return choose

    def _display(self, node: ast.expr, depth: int) -> Evaluator:
        assert isinstance(node, (ast.Tuple, ast.List))
        if type(node.ctx) is not ast.Load or len(node.elts) > MAX_ELEMENTS:
            raise _Refused
        items = tuple(self.build(item, depth + 1) for item in node.elts)
        if type(node) is ast.Tuple:
            return lambda scope: tuple([item(scope) for item in items])
        return lambda scope: [item(scope) for item in items]


# -- evaluating -------------------------------------------------------------------------------------------------

def _load(name: str, line: int) -> Evaluator:
    message = f"name '{name}' is not defined"

    def load(scope: _Scope) -> Any:
        # The sandbox's scope: the task data over the external context; then functions and builtins.
        data = scope.data
        if name in data:
            return data[name]
        external = scope.external
        if name in external:
            return external[name]
        if name in scope.known:
            raise _Fallback  # a registered function or a builtin: not data
        raise _Failure(NameError(message), line)
    return load


def _subscript(value: Evaluator, index: Evaluator, line: int) -> Evaluator:
    def subscript(scope: _Scope) -> Any:
        container = value(scope)
        key = index(scope)
        kind = type(container)
        if kind is dict:
            scope.spend(len(container))
            if not _KEYS.issuperset(map(type, container)):
                raise _Fallback
            _inspect(key, scope)
        elif kind not in _PLAIN:
            raise _Fallback
        elif type(key) not in _SCALARS:
            _inspect(key, scope)
        try:
            return container[key]
        except Exception as err:  # KeyError, IndexError, TypeError ('NoneType' object is not subscriptable)
            raise _Failure(err, line) from None
    return subscript


def _is(left: Any, right: Any) -> bool:
    return left is right


def _is_not(left: Any, right: Any) -> bool:
    return left is not right


def _contains(left: Any, right: Any) -> bool:
    return left in right


def _not_contains(left: Any, right: Any) -> bool:
    return left not in right


_OPERATORS: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
    ast.GtE: operator.ge, ast.In: _contains, ast.NotIn: _not_contains, ast.Is: _is, ast.IsNot: _is_not,
}
_IDENTITY: Final = (_is, _is_not)
_SINGLETONS: Final = frozenset({_NONE, bool})


def _chain(left: Evaluator, pairs: tuple[tuple[Callable[[Any, Any], Any], Evaluator], ...],
           line: int) -> Evaluator:
    def compare(scope: _Scope) -> Any:
        a = left(scope)
        result: Any = True
        for op, right in pairs:
            b = right(scope)
            result = _compare(op, a, b, line, scope)
            if not result:  # a < b < c is a < b and b < c: the rest is not evaluated
                return result
            a = b
        return result
    return compare


def _compare(op: Callable[[Any, Any], Any], a: Any, b: Any, line: int, scope: _Scope) -> Any:
    if op in _IDENTITY:
        # Identity of anything but None/True/False depends on copies (the pool compares unpickled copies).
        if type(a) not in _SINGLETONS and type(b) not in _SINGLETONS:
            raise _Fallback
        return op(a, b)
    decimals = False
    if type(a) not in _SCALARS:
        decimals = _inspect(a, scope)
    if type(b) not in _SCALARS:
        decimals = _inspect(b, scope) or decimals
    try:
        if decimals:
            with decimal.localcontext(_DECIMALS):
                return op(a, b)
        return op(a, b)
    except Exception as err:  # TypeError: '<' not supported between instances of 'str' and 'int', ...
        raise _Failure(err, line) from None


def _truth(value: Any) -> bool:
    if type(value) not in _PLAIN:
        raise _Fallback
    return bool(value)


def _not(operand: Evaluator) -> Evaluator:
    return lambda scope: not _truth(operand(scope))


def _and(values: tuple[Evaluator, ...]) -> Evaluator:
    first, last = values[:-1], values[-1]

    def both(scope: _Scope) -> Any:
        for value in first:
            result = value(scope)
            if not _truth(result):
                return result
        return last(scope)
    return both


def _or(values: tuple[Evaluator, ...]) -> Evaluator:
    first, last = values[:-1], values[-1]

    def either(scope: _Scope) -> Any:
        for value in first:
            result = value(scope)
            if _truth(result):
                return result
        return last(scope)
    return either


def _leaf_ok(item: Any, kind: type, nested: bool) -> bool:
    """Check one leaf: NaN only at the top (identity decides inside containers), time zones we know."""
    if kind is float:
        return not nested or not math.isnan(item)
    if kind is Decimal:
        return not item.is_nan()  # comparing NaN signals, or depends on identity
    if kind is datetime or kind is time:
        return type(item.tzinfo) in _ZONES
    return True


def _inspect(value: Any, scope: _Scope) -> bool:
    """Raise _Fallback unless ``value`` is a tree of plain data within bounds (its values are spent from the
    evaluation's budget, so C comparisons of what was walked stay bounded too); return whether it holds a Decimal."""
    kind = type(value)
    if kind in _LEAVES:
        if not _leaf_ok(value, kind, False):
            raise _Fallback
        return kind is Decimal
    if kind not in _CONTAINERS:
        raise _Fallback
    decimals = False
    budget = scope.budget
    stack: list[tuple[Iterable[Any], int]] = [(_children(value), 1)]
    while stack:
        items, depth = stack.pop()
        for item in items:
            budget -= 1
            if budget < 0:
                raise _Fallback
            kind = type(item)
            if kind in _SCALARS:
                if kind is float and math.isnan(item):
                    raise _Fallback
            elif kind in _LEAVES:
                if not _leaf_ok(item, kind, True):
                    raise _Fallback
                decimals = decimals or kind is Decimal
            elif kind in _CONTAINERS:
                if depth >= MAX_DEPTH:
                    raise _Fallback
                stack.append((_children(item), depth + 1))
            else:
                raise _Fallback
    scope.budget = budget
    return decimals


def _children(container: Any) -> Iterable[Any]:
    if type(container) is dict:
        return [*container.keys(), *container.values()]
    return container  # type: ignore[no-any-return]


def _export(value: Any, max_values: int, max_depth: int) -> Any:
    """Copy a result as the wire would (sandbox process -> JSON -> parent), or raise _Fallback."""
    kind = type(value)
    if kind is str or kind is bool or kind is _NONE or kind is float:
        return value
    count = 0

    def leaf(item: Any, kind: type) -> Any:
        if kind is int:
            if item.bit_length() > MAX_RESULT_INT_BITS:
                raise _Fallback  # the pool cannot send it back either; let it say so
            return item
        if kind is Decimal:
            if len(str(item)) > MAX_DECIMAL_TEXT:
                raise _Fallback
            return item
        if kind is datetime or kind is time:
            if type(item.tzinfo) not in _ZONES:
                raise _Fallback
            return item if item.tzinfo is None and not item.fold else kind.fromisoformat(item.isoformat())
        return item  # date, timedelta

    def copy(item: Any, depth: int) -> Any:
        nonlocal count
        count += 1
        if count > max_values:
            raise _Fallback
        kind = type(item)
        if kind is str or kind is bool or kind is _NONE or kind is float:
            return item
        if kind in _LEAVES:
            return leaf(item, kind)
        if kind not in _CONTAINERS or depth >= max_depth:
            raise _Fallback
        if kind is dict:
            return {copy(k, depth + 1): copy(v, depth + 1) for k, v in item.items()}
        if kind is list:
            return [copy(child, depth + 1) for child in item]
        return kind([copy(child, depth + 1) for child in item])

    if kind in _LEAVES:
        return leaf(value, kind)
    return copy(value, 0)


class PlainExpressions:
    """The in-process tier of one environment: which names are not data there, and the data limits."""

    def __init__(self, known_names: Iterable[str], limits: SandboxLimits) -> None:
        # Names the sandbox resolves besides the data: registered functions, builtins, guards.
        self.known = frozenset(known_names) | {"print", "printed"}
        self.max_values = max(min(limits.max_data_nodes // 2, MAX_VALUES), 1)
        self.max_depth = max(min(limits.max_data_depth, MAX_DEPTH), 1)

    def evaluate(self, source: str, context: Mapping[str, Any], external: Mapping[str, Any] | None) -> Any:
        """Return the value of ``source``, raise its error as the pool would, or return NOT_PLAIN."""
        run = plan(source)
        if run is None:
            return NOT_PLAIN
        external = {} if external is None else external
        if type(context) is not dict or type(external) is not dict or not _KEYS.issuperset(map(type, context)) \
                or not _KEYS.issuperset(map(type, external)):
            return NOT_PLAIN
        try:
            scope = _Scope(context, external, self.known)
            value = run(scope)
            return _export(value, min(self.max_values, scope.budget), self.max_depth)
        except _Failure as failure:
            error = _rebuilt(failure)
        except Exception:  # _Fallback, RecursionError, MemoryError, anything unforeseen: the pool decides
            return NOT_PLAIN
        if error is None:
            return NOT_PLAIN
        raise error


def _rebuilt(failure: _Failure) -> Exception | None:
    """Return the error as the pool rebuilds a sandbox process's (``pool._rebuild``), or None to ask the pool."""
    cls = type(failure.error)
    if cls.__module__ != "builtins" or not issubclass(cls, Exception) or cls is RecursionError \
            or cls is MemoryError or getattr(builtins, cls.__name__, None) is not cls:
        return None
    try:
        error = cls(*scalar_args(failure.error))
    except Exception:
        return None
    error.script_line = failure.line  # type: ignore[attr-defined]
    return error


__all__ = ["NOT_PLAIN", "SWITCH", "PlainExpressions", "enabled", "is_plain", "plan"]
