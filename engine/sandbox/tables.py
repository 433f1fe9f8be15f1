"""The decision tables pinned for the instance being run, as model code sees them.

While the engine runs an instance's steps (``Runtime.advance``) it sets the instance's pinned DMN decisions
here: decision id -> (SHA-256 of the DMN file, the DMN XML). The sandbox environment sends them along with
every job whose code may call an application function (the pool sends each file's content to a sandbox process
once, then only its hash), and the sandbox process enters the application's hooks (``Extension.decision_tables``)
around the job, so the application's rule functions read the same tables as the business rule tasks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

#: What an application's hook receives: decision id -> (sha256 hex of the DMN file, the DMN XML).
TableMap = Mapping[str, tuple[str, bytes]]
#: An application's hook: given the pinned tables, a context manager during which its functions use them.
TablesHook = Callable[[TableMap], AbstractContextManager[Any]]


@dataclass(frozen=True)
class RuleTables:
    """The pinned decisions of one instance; ``pins`` is what a sandbox process needs besides the contents."""

    tables: TableMap
    pins: tuple[tuple[str, str], ...] = field(init=False)  # (decision id, sha256), sorted
    digest: str = field(init=False)

    def __post_init__(self) -> None:
        pins = tuple(sorted((decision_id, sha) for decision_id, (sha, _) in self.tables.items()))
        object.__setattr__(self, "pins", pins)
        object.__setattr__(self, "digest", hashlib.sha256(repr(pins).encode()).hexdigest())

    def get(self, decision_id: str) -> tuple[str, bytes] | None:
        return self.tables.get(decision_id)


_current: ContextVar[RuleTables | None] = ContextVar("smk_rule_tables", default=None)


def current_tables() -> RuleTables | None:
    """Return the tables pinned for the instance whose steps run now (None outside ``Runtime.advance``)."""
    return _current.get()


@contextmanager
def using_tables(tables: RuleTables | None, hooks: tuple[TablesHook, ...] = ()) -> Iterator[None]:
    """Make ``tables`` current here, and enter each application hook with them (in this process)."""
    token = _current.set(tables)
    try:
        with ExitStack() as stack:
            if tables is not None:
                for hook in hooks:
                    stack.enter_context(hook(tables.tables))
            yield
    finally:
        _current.reset(token)


__all__ = ["RuleTables", "TableMap", "TablesHook", "current_tables", "using_tables"]
