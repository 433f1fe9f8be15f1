"""A gunicorn configuration module for ``smk bench http``: counts the SQL statements each request runs.

Loaded with ``GUNICORN_CMD_ARGS="-c python:tools.gunicorn_statements"``; every worker appends one line per
request, ``METHOD PATH STATEMENTS``, to ``$SMK_BENCH_STATEMENTS/<pid>.log``. Statements are counted where
SQLAlchemy executes them (``before_cursor_execute``, every engine of the process): SQLite's explicit
``BEGIN IMMEDIATE`` counts, PostgreSQL's implicit ``BEGIN`` and the pool's liveness ping do not.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

_local = threading.local()
_out: dict[str, Any] = {}


def _count(*_args: Any) -> None:
    _local.count = getattr(_local, "count", 0) + 1


def post_worker_init(worker: Any) -> None:
    path = os.path.join(os.environ["SMK_BENCH_STATEMENTS"], f"{os.getpid()}.log")
    _out["file"] = open(path, "a", buffering=1)  # one line per request, kept open for the worker's life
    event.listen(Engine, "before_cursor_execute", _count)


def pre_request(worker: Any, req: Any) -> None:
    _local.count = 0


def post_request(worker: Any, req: Any, environ: Any, resp: Any) -> None:
    if "file" in _out:
        _out["file"].write(f"{req.method} {req.path} {getattr(_local, 'count', 0)}\n")
