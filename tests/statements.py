"""Record the SQL statements a database engine runs: one helper for the tests that count statements or read what
ran (with or without their parameters)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine as DbEngine
from sqlalchemy import event

#: Transaction control, which SQLite runs as statements (the engine's explicit BEGIN) and PostgreSQL's driver does
#: not: without them, the counts of both databases compare.
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")

_Entry = TypeVar("_Entry")


@contextmanager
def _record(db: DbEngine, skip: tuple[str, ...], entry: Callable[[str, Any], _Entry]) -> Iterator[list[_Entry]]:
    ran: list[_Entry] = []

    def listen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if not statement.startswith(skip):
            ran.append(entry(statement, parameters))

    event.listen(db, "before_cursor_execute", listen)
    try:
        yield ran
    finally:
        event.remove(db, "before_cursor_execute", listen)


def recorded(db: DbEngine, skip: tuple[str, ...] = ()) -> AbstractContextManager[list[str]]:
    """Every statement ``db`` runs while the block runs, in order, but those that start with one of ``skip``
    (``TRANSACTION_CONTROL``, say)."""
    return _record(db, skip, lambda statement, _: statement)


def recorded_with_parameters(db: DbEngine, skip: tuple[str, ...] = ()
                             ) -> AbstractContextManager[list[tuple[str, Any]]]:
    """As ``recorded``, each statement with its parameters."""
    return _record(db, skip, lambda statement, parameters: (statement, parameters))
