"""SandboxedScriptEngine: Spiff's PythonScriptEngine wired to the sandboxed environment."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.exceptions import SpiffWorkflowException

from .environment import JobRunner, SandboxedEnvironment, ServiceCallable
from .limits import SandboxLimits
from .policy import compile_expression


class SandboxedScriptEngine(PythonScriptEngine):
    """A script engine that only ever runs code through a SandboxedEnvironment."""

    environment: SandboxedEnvironment

    def __init__(self, environment: SandboxedEnvironment | None = None) -> None:
        if environment is None:
            environment = SandboxedEnvironment()
        if not isinstance(environment, SandboxedEnvironment):
            # There is deliberately no way to run unsandboxed code through this engine.
            raise TypeError("SandboxedScriptEngine requires a SandboxedEnvironment")
        super().__init__(environment=environment)

    def evaluate(self, task: Any, expression: str, external_context: Mapping[str, Any] | None = None) -> Any:
        """Evaluate in the sandbox; unlike Spiff's default, the error message says what was refused."""
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except SpiffWorkflowException as err:
            err.add_note(f"Error evaluating expression '{expression}'")
            raise
        except Exception as err:
            raise WorkflowTaskException(
                f"Error evaluating expression '{expression}': {type(err).__name__}: {err}",
                task=task, exception=err) from err

    def validate(self, expression: str) -> None:
        """Compile the expression under the sandbox policy (raises SyntaxError); Spiff's DMN uses it."""
        compile_expression(expression)

    def get_error_line_number_and_content(self, script: str, err: Exception) -> tuple[int, str]:
        """Find the failing line; an error from a sandbox process carries it as ``script_line``."""
        line = getattr(err, "script_line", None)
        if isinstance(line, int) and not isinstance(err, SyntaxError):
            lines = script.splitlines()
            return (line, lines[line - 1]) if 0 < line <= len(lines) else (0, "")
        return super().get_error_line_number_and_content(script, err)

    def call_service(self, task: Any, **kwargs: Any) -> str | bytes:
        """Run a service task through the configured `services` callable and return JSON for Spiff.

        Spiff's ServiceTask has already evaluated each operation parameter (in this sandbox) into
        `{'value': ..., 'type': ...}` and json.loads() whatever this returns, so non-string results
        are serialized here.
        """
        try:
            result = self.environment.call_service(task.data, **kwargs)
        except SpiffWorkflowException:
            raise
        except Exception as err:
            name = kwargs.get("operation_name")
            raise WorkflowTaskException(f"Service '{name}' failed: {err}", task=task, exception=err) from err
        return result if isinstance(result, (str, bytes)) else json.dumps(result, default=str)


def make_script_engine(
    functions: Mapping[str, Callable[..., Any]] | None = None,
    limits: SandboxLimits | None = None,
    services: ServiceCallable | None = None,
    pool: JobRunner | None = None,
    plain_expressions: bool | None = None,
) -> SandboxedScriptEngine:
    """Build the engine every workflow uses: sandboxed, with the given rule functions and limits.

    With a ``pool`` every expression and script runs in a sandbox process (see ``engine.sandbox.pool``);
    service tasks stay here (they need the caller's database session), only their parameters go there. Expressions
    of the plain subset are evaluated here instead (``engine.sandbox.plain``) unless ``plain_expressions`` is False
    (None: the ``SMK_SANDBOX_PLAIN_EXPRESSIONS`` environment switch, on by default).
    """
    return SandboxedScriptEngine(SandboxedEnvironment(functions=functions, limits=limits, services=services,
                                                      pool=pool, plain_expressions=plain_expressions))
