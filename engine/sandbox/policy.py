"""Restricted compilation: RestrictedPython's policy plus CPU ticks and size-guarded operators."""

from __future__ import annotations

import ast
import re
import types
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations

from .errors import SandboxViolation

MAX_SOURCE_LENGTH = 100_000
CACHE_SIZE = 4096

# Names bound per call to the call's Budget (see CallGuards); everything else is per environment.
PER_CALL_GUARDS = {
    "_tick_": "tick", "_enter_": "enter", "_leave_": "leave", "_add_": "add", "_mul_": "mul",
    "_pow_": "pow", "_lshift_": "lshift", "_mod_": "mod", "_inplacevar_": "inplacevar", "_format_": "format",
}
_BINOP_GUARDS: dict[type[ast.operator], str] = {
    ast.Add: "_add_", ast.Mult: "_mul_", ast.Pow: "_pow_", ast.LShift: "_lshift_", ast.Mod: "_mod_",
}
# Calls refused at compile time with a clear message (none of these names exists at run time either).
_FORBIDDEN_CALLS = frozenset({
    "eval", "exec", "compile", "open", "getattr", "setattr", "delattr", "hasattr", "vars", "globals",
    "locals", "dir", "type", "breakpoint", "input", "help", "memoryview", "super", "object", "exit",
    "quit", "iter", "next", "id", "classmethod", "staticmethod", "property", "bytearray", "format",
})
# Builtins that finish in constant time: calling them needs no CPU tick.
_CHEAP_CALLS = frozenset({"len", "isinstance", "abs", "bool", "float", "round", "chr", "ord", "callable",
                          "Decimal", "timedelta", "date", "datetime", "timezone", "divmod"})
_LINE = re.compile(r"^Line (\d+):")


class SandboxSyntaxError(SyntaxError, SandboxViolation):
    """A restricted construct, reported as a SyntaxError (with lineno) so Spiff reports the line."""

    messages: tuple[str, ...] = ()


def _call(name: str, node: ast.AST, *args: ast.expr) -> ast.Call:
    call = ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])
    copy_locations(call, node)
    copy_locations(call.func, node)
    return call


def _tick_stmt(node: ast.AST, name: str = "_tick_") -> ast.Expr:
    stmt = ast.Expr(_call(name, node))
    copy_locations(stmt, node)
    return stmt


def _anchor(node: ast.For | ast.While | ast.ExceptHandler | ast.FunctionDef) -> ast.AST:
    """Return the node whose line a body's inserted tick reports (the body may be empty after refusals)."""
    return node.body[0] if node.body else node


def _is_generator(node: ast.FunctionDef) -> bool:
    """Return True if the function body yields (nested functions and lambdas excluded)."""
    stack: list[ast.AST] = list(node.body)
    while stack:
        child = stack.pop()
        if isinstance(child, (ast.Yield, ast.YieldFrom)):
            return True
        if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            stack.extend(ast.iter_child_nodes(child))
    return False


class SandboxPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, extended so that every loop, call and function can be stopped.

    - `_tick_()` at the top of every loop body, comprehension, lambda and except handler, and before
      calls to builtins/functions that may take long: checks the CPU deadline and re-raises a tripped
      limit (so `except:` cannot swallow a timeout);
    - functions run `_enter_()`/`_leave_()` to bound recursion depth;
    - `**`, `*`, `<<`, `+`, `%` (and augmented forms) become guard calls that refuse oversized results
      before computing them;
    - f-string fields go through `_format_` (bounded widths and reprs);
    - imports, class definitions and calls to eval/exec/open/getattr/type/... are compile errors.
    """

    def visit_Module(self, node: ast.Module) -> ast.AST:
        node = super().visit_Module(node)
        return ast.fix_missing_locations(node)

    def visit_Expression(self, node: ast.Expression) -> ast.AST:
        node = super().visit_Expression(node)
        return ast.fix_missing_locations(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.error(node, "import statements are not allowed")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.error(node, "import statements are not allowed")

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.error(node, "class definitions are not allowed")

    def visit_Call(self, node: ast.Call) -> ast.AST:
        func = node.func
        if isinstance(func, ast.Name) and func.id in _FORBIDDEN_CALLS:
            self.error(node, f"calling '{func.id}' is not allowed in workflow scripts")
        new = super().visit_Call(node)
        if isinstance(func, ast.Name) and func.id in _CHEAP_CALLS:
            return new
        # (_tick_() and f)(...): tick before every potentially long call, preserving evaluation order.
        tick_then_func = ast.BoolOp(op=ast.And(), values=[_call("_tick_", node), new.func])
        copy_locations(tick_then_func, node)
        new.func = tick_then_func
        return new

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if not isinstance(node.ctx, ast.Load):
            # Only dict/list items are writable; no object in the sandbox has settable attributes.
            self.error(node, f"assigning to or deleting attribute '{node.attr}' is not allowed")
        return super().visit_Attribute(node)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        guard = _BINOP_GUARDS.get(type(node.op))
        if guard is None or _provably_numeric(node):
            return node
        return _call(guard, node, node.left, node.right)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        if isinstance(node.target, ast.Subscript):
            return self._augassign_item(node)
        return super().visit_AugAssign(node)

    def _augassign_item(self, node: ast.AugAssign) -> list[ast.stmt]:
        """Rewrite `x[k] += v` as temporaries + guarded read/modify/write (RestrictedPython refuses it)."""
        target = node.target
        assert isinstance(target, ast.Subscript)
        obj_name, key_name = self.gen_tmp_name(), self.gen_tmp_name()
        obj_value = self.visit(target.value)
        key_value = self.visit(target.slice)
        value = self.visit(node.value)
        op = _AUG_OPS[type(node.op)]
        load = ast.Load()
        read = ast.Call(func=ast.Name("_getitem_", load),
                        args=[ast.Name(obj_name, load), ast.Name(key_name, load)], keywords=[])
        modify = ast.Call(func=ast.Name("_inplacevar_", load),
                          args=[ast.Constant(op), read, value], keywords=[])
        write_target = ast.Subscript(
            value=ast.Call(func=ast.Name("_write_", load), args=[ast.Name(obj_name, load)], keywords=[]),
            slice=ast.Name(key_name, load), ctx=ast.Store())
        stmts: list[ast.stmt] = [
            ast.Assign(targets=[ast.Name(obj_name, ast.Store())], value=obj_value),
            ast.Assign(targets=[ast.Name(key_name, ast.Store())], value=key_value),
            ast.Assign(targets=[write_target], value=modify),
        ]
        for stmt in stmts:
            for child in ast.walk(stmt):
                if "lineno" in child._attributes and not hasattr(child, "lineno"):
                    copy_locations(child, node)
        return stmts

    def visit_For(self, node: ast.For) -> ast.AST:
        node = super().visit_For(node)
        node.body.insert(0, _tick_stmt(_anchor(node)))
        return node

    def visit_While(self, node: ast.While) -> ast.AST:
        node = super().visit_While(node)
        node.body.insert(0, _tick_stmt(_anchor(node)))
        return node

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        node = super().visit_comprehension(node)
        # First in the filters, so a filter that is always false still ticks.
        node.ifs.insert(0, _call("_tick_", node.iter))
        return node

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> ast.AST:
        node = super().visit_ExceptHandler(node)
        node.body.insert(0, _tick_stmt(_anchor(node)))
        return node

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        node = super().visit_Lambda(node)
        body = ast.BoolOp(op=ast.And(), values=[_call("_tick_", node.body), node.body])
        copy_locations(body, node.body)
        node.body = body
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node = super().visit_FunctionDef(node)
        first = _anchor(node)
        if _is_generator(node):
            # A suspended generator never reaches `finally` promptly, so it only ticks.
            node.body.insert(0, _tick_stmt(first))
            return node
        guarded = ast.Try(body=node.body, handlers=[], orelse=[], finalbody=[_tick_stmt(first, "_leave_")])
        copy_locations(guarded, first)
        node.body = [_tick_stmt(first, "_enter_"), guarded]
        return node

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        node = self.node_contents_visit(node)
        spec: ast.expr = node.format_spec if node.format_spec is not None else ast.Constant("")
        node.value = _call("_format_", node, node.value, spec, ast.Constant(node.conversion))
        node.conversion = -1
        node.format_spec = None
        return node


_AUG_OPS: dict[type[ast.operator], str] = {
    ast.Add: "+=", ast.Sub: "-=", ast.Mult: "*=", ast.Div: "/=", ast.FloorDiv: "//=", ast.Mod: "%=",
    ast.Pow: "**=", ast.LShift: "<<=", ast.RShift: ">>=", ast.BitAnd: "&=", ast.BitOr: "|=",
    ast.BitXor: "^=", ast.MatMult: "@=",
}


def _provably_numeric(node: ast.BinOp) -> bool:
    """Return True for `+`/`%` where an operand is a number literal (result cannot be a big sequence)."""
    def is_number(expr: ast.expr) -> bool:
        return isinstance(expr, ast.Constant) and type(expr.value) in (int, float)

    if isinstance(node.op, ast.Add):
        return is_number(node.left) or is_number(node.right)
    if isinstance(node.op, ast.Mod):
        return is_number(node.left)
    return False


@dataclass(frozen=True)
class Compiled:
    """A restricted code object and the per-call guard names it uses."""

    code: types.CodeType
    per_call: tuple[tuple[str, str], ...]


def _names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


def _syntax_error(errors: tuple[str, ...], source: str) -> SandboxSyntaxError:
    match = _LINE.match(errors[0])
    lineno = int(match.group(1)) if match else 1
    lines = source.splitlines()
    text = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
    error = SandboxSyntaxError("; ".join(errors), ("<string>", lineno, 1, text))
    error.messages = errors
    return error


@lru_cache(maxsize=CACHE_SIZE)
def _compile(source: str, mode: Literal["eval", "exec"]) -> Compiled:
    if len(source) > MAX_SOURCE_LENGTH:
        raise SandboxSyntaxError(f"source is longer than {MAX_SOURCE_LENGTH:,} characters",
                                 ("<string>", 1, 1, ""))
    text = source.strip() if mode == "eval" else source
    try:
        tree = ast.parse(text, "<string>", mode)
        compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
        result = compiler(tree, "<string>", policy=SandboxPolicy)
    except RecursionError:
        raise SandboxSyntaxError("expression is nested too deeply", ("<string>", 1, 1, "")) from None
    except ValueError as err:  # e.g. NUL bytes in the source
        raise SandboxSyntaxError(str(err), ("<string>", 1, 1, "")) from None
    if result.errors:
        raise _syntax_error(result.errors, text)
    assert result.code is not None
    used = _names(result.code)
    per_call = tuple((name, attr) for name, attr in PER_CALL_GUARDS.items() if name in used)
    return Compiled(result.code, per_call)


def compile_expression(source: str) -> types.CodeType:
    """Compile an expression (condition, timer, DMN cell, ...) under the sandbox policy; cached."""
    return _compile(source, "eval").code


def compile_script(source: str) -> types.CodeType:
    """Compile a script task or pre/post script under the sandbox policy; cached."""
    return _compile(source, "exec").code


def compiled(source: str, mode: Literal["eval", "exec"]) -> Compiled:
    """Return the cached compilation of source with its per-call guard names."""
    return _compile(source, mode)


def check_expression(source: str, mode: Literal["eval", "exec"]) -> list[str]:
    """Validate source at deploy time: [] if it compiles, else messages that start with 'Line N:'."""
    try:
        _compile(source, mode)
    except SandboxSyntaxError as err:
        return list(err.messages) or [f"Line {err.lineno}: {err.msg}"]
    except SyntaxError as err:
        return [f"Line {err.lineno}: {err.msg}"]
    return []
