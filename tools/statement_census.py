"""Which statements a command sends to the database, how often, and from where: the census behind
`docs/benchmarks.md`'s statement counts.

    .venv/bin/python -m tools.statement_census /tmp/statements.txt .venv/bin/smk simulate --period 2023 --employees 100

runs the script with its arguments in this process and counts every statement SQLAlchemy sends on any engine
(its first 110 characters, whitespace folded), each under its caller: the outermost function of
`engine/services/` or `processes/` on the stack (a service such as `instances.py:complete_task`, or the worker's
`worker.py:run_engine_jobs`), or `(elsewhere)`. Also counted: connections handed out by a pool, each the start of a
transaction. Statements psycopg or the pool send past SQLAlchemy's events (a COPY, a ping) are not seen. Child
processes (`smk simulate --workers N`'s) are not counted: run one process. The report is written when the command
ends.
"""

from __future__ import annotations

import collections
import re
import sys
from types import FrameType
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

from tools.cpu_sample import run_reporting

WIDTH = 110
ELSEWHERE = "(elsewhere)"


def caller(frame: FrameType | None) -> str:
    """The outermost service or process function on the stack (``file.py:function``), else ELSEWHERE."""
    found = ELSEWHERE
    while frame is not None:
        name = frame.f_code.co_filename.replace("\\", "/")
        if ("/engine/services/" in name or "/processes/" in name) and not name.endswith("/simulate.py"):
            found = f"{name.rsplit('/', 1)[-1]}:{frame.f_code.co_name}"
        frame = frame.f_back
    return found


class Census:
    def __init__(self) -> None:
        self.statements: collections.Counter[str] = collections.Counter()
        self.callers: collections.Counter[str] = collections.Counter()
        self.pairs: collections.Counter[tuple[str, str]] = collections.Counter()
        self.checkouts = 0

    def statement(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        text = re.sub(r"\s+", " ", statement).strip()[:WIDTH]
        where = caller(sys._getframe(1))
        self.statements[text] += 1
        self.callers[where] += 1
        self.pairs[(where, text)] += 1

    def checkout(self, *_: Any) -> None:
        self.checkouts += 1

    def report(self) -> str:
        total = sum(self.statements.values())
        lines = [f"statements {total}; connections handed out by a pool (transactions begun) {self.checkouts}",
                 "by caller:"]
        lines += [f"  {n:8d}  {name}" for name, n in self.callers.most_common(30)]
        lines.append("by statement:")
        lines += [f"  {n:8d}  {text}" for text, n in self.statements.most_common(60)]
        lines.append("by caller and statement:")
        lines += [f"  {n:8d}  {where} | {text}" for (where, text), n in self.pairs.most_common(80)]
        return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    census = Census()

    def start() -> None:
        event.listen(Engine, "before_cursor_execute", census.statement)
        event.listen(Pool, "checkout", census.checkout)

    run_reporting(argv, "statement_census", "statement census", start, census.report)


if __name__ == "__main__":
    main(sys.argv[1:])
