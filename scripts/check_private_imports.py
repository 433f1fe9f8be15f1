"""Fail when a module imports another module's private (``_underscore``) names.

import-linter checks the direction of imports between modules; this checks what crosses them: a name
that starts with one underscore is private to the module that defines it.
Usage: python scripts/check_private_imports.py PACKAGE_DIR...
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path


def private_imports(path: Path) -> list[str]:
    """Return 'file:line: from module import _name' for each private name the file imports."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{path}:{node.lineno}: from {node.module} import {alias.name}")
    return found


def main(argv: list[str]) -> int:
    problems = [p for root in argv for f in sorted(Path(root).rglob("*.py")) for p in private_imports(f)]
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} import(s) of another module's private names", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
