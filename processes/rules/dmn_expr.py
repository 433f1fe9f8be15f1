"""Evaluate DMN cell expressions safely, with the same meaning SpiffWorkflow gives them.

SpiffWorkflow's DMN engine evaluates cells with Python's eval. The rule functions here read the
same tables, but tables are edited by officials, so we never eval them: this module walks the
expression's AST and allows only literals, names, comparisons, boolean logic, arithmetic and
min/max/abs. Numeric literals become Decimal so that the rules keep exact arithmetic.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

#: SpiffWorkflow's own pattern for the "?" placeholder outside quotes (DMNEngine.evaluate).
_PLACEHOLDER = re.compile(r'(\?)(?=(?:[^\'"]|[\'"][^\'"]*[\'"])*$)')
_PLACEHOLDER_NAME = "dmninputexpr"

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_FUNCTIONS: dict[str, Callable[..., Any]] = {"min": min, "max": max, "abs": abs}


class UnsafeExpression(ValueError):
    """Reject a cell that uses anything beyond plain literals, names and operators."""


def evaluate(text: str, names: Mapping[str, Any]) -> Any:
    """Evaluate one cell expression against the given variables."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise UnsafeExpression(f"cannot parse {text!r}: {exc.msg}") from None
    return _eval(tree.body, names)


def is_expression(text: str) -> bool:
    """Say whether text parses on its own (Spiff then compares it with '==')."""
    try:
        ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return False
    return True


def matches(input_expression: str, entry: str | None, names: Mapping[str, Any]) -> bool:
    """Decide whether an input entry accepts the input, following DMNEngine.evaluate exactly."""
    if entry is None:
        return True
    entry = _PLACEHOLDER.sub(_PLACEHOLDER_NAME, entry)
    if _PLACEHOLDER_NAME in entry:
        scope = dict(names)
        scope[_PLACEHOLDER_NAME] = evaluate(input_expression, names)
        return bool(evaluate(entry, scope))
    if is_expression(entry):
        return bool(evaluate(f"({input_expression}) == ({entry})", names))
    # Spiff concatenates without a space, e.g. "nilai" + ">= 91".
    return bool(evaluate(input_expression + entry, names))


def _number(value: int | float) -> Decimal:
    return Decimal(str(value))


def _eval(node: ast.expr, names: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or value is None or isinstance(value, str):
            return value
        if isinstance(value, int | float):
            return _number(value)
        raise UnsafeExpression(f"unsupported literal {value!r}")
    if isinstance(node, ast.Name):
        # True, False and None are constants (ast.Constant), never names.
        if node.id not in names:
            raise UnsafeExpression(f"unknown name {node.id!r}")
        return names[node.id]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        items = [_eval(element, names) for element in node.elts]
        return tuple(items) if not isinstance(node, ast.Set) else frozenset(items)
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And):
            return all(_eval(value, names) for value in node.values)
        return any(_eval(value, names) for value in node.values)
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, names)
        if isinstance(node.op, ast.Not):
            return not operand
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return +operand
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_eval(node.left, names), _eval(node.right, names))
    if isinstance(node, ast.Compare):
        left = _eval(node.left, names)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _eval(comparator, names)
            if type(op) not in _COMPARE or not _COMPARE[type(op)](left, right):
                if type(op) not in _COMPARE:
                    raise UnsafeExpression(f"unsupported comparison {type(op).__name__}")
                return False
            left = right
        return True
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS
            and not node.keywords):
        return _FUNCTIONS[node.func.id](*(_eval(arg, names) for arg in node.args))
    raise UnsafeExpression(f"unsupported expression {ast.unparse(node)!r}")
