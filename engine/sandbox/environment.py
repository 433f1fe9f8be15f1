"""SandboxedEnvironment: the Spiff script environment every expression and script runs in."""

from __future__ import annotations

import keyword
import types
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Protocol

from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from .allowlist import build_builtins
from .errors import SandboxError, SandboxResourceError, SandboxViolation
from .guards import CallGuards, DiscardPrints, apply_call, make_getattr, write_guard
from .limits import SandboxLimits
from .plain import NOT_PLAIN, PlainExpressions
from .plain import enabled as plain_enabled
from .policy import Compiled, compiled
from .tables import RuleTables, current_tables

ServiceCallable = Callable[[str, dict[str, Any], dict[str, Any]], Any]


class JobRunner(Protocol):
    """What the environment needs of a pool of sandbox processes (``engine.sandbox.pool.SandboxPool``)."""

    def run(self, job: tuple[Any, ...], cpu_seconds: float, tables: RuleTables | None = None) -> Any: ...

    def check_functions(self, functions: Mapping[str, Callable[..., Any]]) -> None: ...

_LEAVES = frozenset({str, int, float, bool, type(None)})
# Objects that are not data: they can run code, hold frames, or never serialize.
_NOT_DATA = (types.ModuleType, types.CodeType, types.FrameType, types.TracebackType, types.GeneratorType,
             range, type)


class SandboxedEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluate and execute workflow code with RestrictedPython, an allow-list and resource limits.

    With a ``pool``, the code runs in a sandbox process (OS limits, killed and replaced when it hangs or
    dies); the source is still compiled here first, so refused constructs and syntax errors are reported
    with their line without a round trip. Without one it runs in this process (tests, benchmarks).

    With a pool, an expression of the plain subset (``engine.sandbox.plain``: names, constants, subscripts,
    comparisons, and/or/not over plain data; no calls) is evaluated here by a small interpreter instead, with the
    pool's result or error. ``plain_expressions=False``, or ``SMK_SANDBOX_PLAIN_EXPRESSIONS=0`` when it is None,
    sends every expression to the pool.
    """

    def __init__(
        self,
        functions: Mapping[str, Callable[..., Any]] | None = None,
        limits: SandboxLimits | None = None,
        services: ServiceCallable | None = None,
        pool: JobRunner | None = None,
        plain_expressions: bool | None = None,
    ) -> None:
        functions = dict(functions or {})
        for name, func in functions.items():
            if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
                raise ValueError(f"sandbox function name {name!r} must be a public Python identifier")
            if not callable(func):
                raise TypeError(f"sandbox function {name!r} is not callable")
        # Read-only: adding to `globals` after construction must not bypass the allow-list.
        super().__init__()
        self.globals = MappingProxyType(functions)
        self.limits = limits or SandboxLimits()
        self.services = services
        # Set after the task data on every call, so data can never replace a guard or the builtins.
        self._guards: dict[str, Any] = {
            "__builtins__": build_builtins(self.limits),
            "_getattr_": make_getattr(self.limits),
            "_getitem_": _getitem,
            "_getiter_": iter,
            "_write_": write_guard,
            "_apply_": apply_call,
            "_print_": DiscardPrints,
            "_unpack_sequence_": guarded_unpack_sequence,
            "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        }
        self._functions = functions
        self._names = tuple(sorted(functions))
        if pool is not None:
            pool.check_functions(functions)
        self.pool = pool
        self._mentions: dict[str, bool] = {}
        # Only in front of a pool: without one everything runs here anyway (and a sandbox process is without one).
        self.plain: PlainExpressions | None = None
        if pool is not None and (plain_enabled() if plain_expressions is None else plain_expressions):
            known = set(functions) | set(self._guards) | set(self._guards["__builtins__"])
            self.plain = PlainExpressions(known, self.limits)

    def _tables_for(self, source: str) -> RuleTables | None:
        """Return the pinned decision tables to send with code that may call a registered function (the only way
        model code reaches a table); other code (most conditions) goes without them."""
        tables = current_tables()
        if tables is None or not self._names:
            return None
        mentions = self._mentions.get(source)
        if mentions is None:
            if len(self._mentions) > 4096:
                self._mentions.clear()
            mentions = self._mentions[source] = any(name in source for name in self._names)
        return tables if mentions else None

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: Mapping[str, Any] | None = None
    ) -> Any:
        """Evaluate an expression against task data (read-only by convention) and return its value."""
        code = compiled(expression, "eval")  # refused constructs and syntax errors first, whatever evaluates it
        if self.pool is not None:
            if self.plain is not None:
                value = self.plain.evaluate(expression, context, external_context)
                if value is not NOT_PLAIN:
                    return value
            return self.pool.run(("eval", expression, _visible(context), dict(external_context or {}),
                                  self._names, self.limits), self.limits.cpu_seconds, self._tables_for(expression))
        scope = self._scope(context, external_context)
        budget = self._bind(code, scope)
        result = self._run(code, scope, budget)
        self._check_data(result, "expression result")
        return result

    def execute(
        self, script: str, context: dict[str, Any], external_context: Mapping[str, Any] | None = None
    ) -> bool:
        """Run a script; on success replace the task data with the script's data results."""
        external = dict(external_context or {})
        self.check_for_overwrite(context, external)
        code = compiled(script, "exec")
        if self.pool is not None:
            returned = self.pool.run(("exec", script, _visible(context), external, self._names, self.limits),
                                     self.limits.cpu_seconds, self._tables_for(script))
            if not isinstance(returned, dict):
                raise SandboxViolation("the sandbox process returned task data that is not a dict")
            for key, value in context.items():
                if key.startswith("_"):
                    returned[key] = value  # never sent: invisible to scripts, carried over untouched
            context.clear()
            context.update(returned)
            return True
        scope = self._scope(context, external)
        budget = self._bind(code, scope)
        self._run(code, scope, budget)
        results: dict[str, Any] = {}
        for key, value in scope.items():
            # Underscore names are guards or compiler temporaries (scripts cannot create them);
            # functions and external context are inputs, not results; callables are dropped like Spiff.
            if key.startswith("_") or key in self._functions or key in external or callable(value):
                continue
            results[key] = value
        for key, value in context.items():
            if key.startswith("_"):
                results[key] = value  # invisible to scripts, so carried over untouched
        self._check_data(results, "task data")
        context.clear()
        context.update(results)
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        """Delegate a service task to the configured `services` callable."""
        operation_name = kwargs.get("operation_name")
        if self.services is None:
            raise SandboxError(f"no service handler is configured: cannot call service '{operation_name}'")
        params = kwargs.get("operation_params") or {}
        task_data = kwargs.get("task_data", context)
        return self.services(str(operation_name), dict(params), task_data)

    def check_for_overwrite(self, context: Mapping[str, Any], external: Mapping[str, Any]) -> None:
        """Refuse task data that shadows a registered function or external-context name (as Spiff does)."""
        clashes = (set(self._functions) | set(external)) & set(context)
        if clashes:
            raise ValueError(
                "You have task data that overwrites a predefined function(s). Please change the "
                f"following variable or field name(s) to something else: {sorted(clashes)}")

    def _scope(self, context: Mapping[str, Any], external: Mapping[str, Any] | None) -> dict[str, Any]:
        scope = dict(self._functions)
        if external:
            scope.update(external)
        scope.update(context)
        scope.update(self._guards)
        return scope

    def _bind(self, code: Compiled, scope: dict[str, Any]) -> CallGuards | None:
        if not code.per_call:
            return None
        budget = CallGuards(self.limits)
        for name, attr in code.per_call:
            scope[name] = getattr(budget, attr)
        return budget

    def _run(self, code: Compiled, scope: dict[str, Any], budget: CallGuards | None) -> Any:
        try:
            result = eval(code.code, scope)  # noqa: S307 - restricted code, guarded scope
        except RecursionError:
            raise SandboxResourceError("script stopped: recursion too deep") from None
        except MemoryError:
            raise SandboxResourceError("script stopped: out of memory") from None
        if budget is not None and budget.tripped is not None:
            raise budget.tripped  # the script swallowed a fatal limit somewhere without a tick
        return result

    def _check_data(self, value: Any, where: str) -> None:
        """Refuse functions, generators, modules and oversized/over-nested trees in data."""
        if type(value) in _LEAVES:
            return
        limits = self.limits
        count = 0
        # Only non-leaf values are pushed; the path (for the message) is kept for the first levels.
        stack: list[tuple[Any, int, tuple[Any, ...]]] = [(value, 0, ())]
        while stack:
            item, depth, path = stack.pop()
            count += 1
            if depth > limits.max_data_depth:
                raise SandboxResourceError(f"{where} is nested deeper than {limits.max_data_depth} levels")
            if isinstance(item, dict):
                count += len(item)
                for key, child in item.items():
                    if type(child) not in _LEAVES:
                        stack.append((child, depth + 1, (*path, key) if depth < 3 else path))
                    if type(key) not in _LEAVES:
                        stack.append((key, depth + 1, path))
            elif isinstance(item, (list, tuple, set, frozenset)):
                count += len(item)
                stack.extend((child, depth + 1, path) for child in item if type(child) not in _LEAVES)
            elif callable(item) or isinstance(item, _NOT_DATA) or hasattr(type(item), "__next__"):
                where_in = where + "".join(f"[{key!r}]" for key in path)
                raise SandboxViolation(
                    f"{where_in} holds a {type(item).__name__} object; only plain data (numbers, strings, "
                    f"dates, lists, dicts) may be stored")
            # Checked after the children are counted: a flat list of leaves pushes nothing more to the stack.
            if count > limits.max_data_nodes:
                raise SandboxResourceError(
                    f"{where} is too large (more than {limits.max_data_nodes:,} values)")


def _visible(context: Mapping[str, Any]) -> dict[str, Any]:
    """Return the task data a script can see (scripts cannot name underscore keys, so they stay here)."""
    return {k: v for k, v in context.items() if not (isinstance(k, str) and k.startswith("_"))}


def _getitem(obj: Any, key: Any) -> Any:
    return obj[key]


__all__ = ["SandboxedEnvironment", "ServiceCallable", "SandboxViolation"]
