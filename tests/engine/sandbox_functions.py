"""Script functions for the sandbox-process tests: importable by the sandbox processes by module path."""

from __future__ import annotations

from typing import Any


class RuleProblem(ValueError):
    """An application's own error class, known only where the function runs."""


def double(x: Any) -> Any:
    return 2 * x


def refuse(x: Any) -> Any:
    raise RuleProblem(f"value {x!r} is out of range")


FUNCTIONS = {"double": double, "refuse": refuse}
SOURCE = "tests.engine.sandbox_functions:FUNCTIONS"
