"""A function and a decision-table hook for the sandbox tests: importable by the sandbox processes by path."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

_tables: ContextVar[Mapping[str, tuple[str, bytes]] | None] = ContextVar("test_tables", default=None)


@contextmanager
def use(tables: Mapping[str, tuple[str, bytes]]) -> Iterator[None]:
    token = _tables.set(tables)
    try:
        yield
    finally:
        _tables.reset(token)


def pinned(decision_id: str) -> list[object] | None:
    """Return [sha256, content as text, pid] of the pinned file, or None outside pinned tables."""
    tables = _tables.get()
    if tables is None:
        return None
    sha, content = tables[decision_id]
    return [sha, content.decode(), os.getpid()]


FUNCTIONS = {"pinned": pinned}
SOURCE = "tests.engine.table_functions:FUNCTIONS"
HOOK = "tests.engine.table_functions:use"
