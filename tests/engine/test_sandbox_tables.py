"""Pinned decision tables reach the functions model code calls in the sandbox processes (engine.sandbox.tables):
the pins travel with a job whose code names a function, each file's content only once per process."""

from __future__ import annotations

import hashlib

from engine.sandbox import SandboxedEnvironment, SandboxLimits
from engine.sandbox.pool import PoolConfig, shared_pool
from engine.sandbox.tables import RuleTables, current_tables, using_tables
from tests.engine.table_functions import FUNCTIONS, HOOK, SOURCE, pinned


def _file(text: str) -> tuple[str, bytes]:
    content = text.encode()
    return hashlib.sha256(content).hexdigest(), content


def test_pinned_files_reach_the_sandbox_process_once_each() -> None:
    pool = shared_pool(PoolConfig(workers=1, function_sources=(SOURCE,), table_hooks=(HOOK,)))
    env = SandboxedEnvironment(FUNCTIONS, SandboxLimits(cpu_seconds=2), pool=pool)
    v1, v2 = _file("<v1/>"), _file("<v2/>")
    first, second = RuleTables({"kurva": v1}), RuleTables({"kurva": v2})
    assert env.evaluate("pinned('kurva')", {}) is None  # outside an instance's steps: nothing pinned
    sent = pool.stats["table_files_sent"]
    with using_tables(first):
        sha, text, pid = env.evaluate("pinned('kurva')", {})
        assert (sha, text) == (v1[0], "<v1/>")
        assert env.evaluate("pinned('kurva')", {})[:2] == [v1[0], "<v1/>"]
        assert env.evaluate("1 + 1", {}) == 2  # no function named: the job goes without the tables
    assert pool.stats["table_files_sent"] == sent + 1  # one process, one file, sent once
    with using_tables(second):
        data: dict[str, object] = {}
        env.execute("seen = pinned('kurva')", data)
        assert data["seen"] == [v2[0], "<v2/>", pid]
    assert pool.stats["table_files_sent"] == sent + 2
    with using_tables(first):  # the process kept the first file: only its hash travels again
        assert env.evaluate("pinned('kurva')", {})[:2] == [v1[0], "<v1/>"]
    assert pool.stats["table_files_sent"] == sent + 2


def test_a_process_holding_too_many_files_forgets_them_and_still_answers() -> None:
    pool = shared_pool(PoolConfig(workers=1, function_sources=(SOURCE,), table_hooks=(HOOK,)))
    env = SandboxedEnvironment(FUNCTIONS, SandboxLimits(cpu_seconds=2), pool=pool)
    for i in range(pool.MAX_TABLES_PER_PROCESS + 3):
        table = _file(f"<v{i}/>")
        with using_tables(RuleTables({"t": table})):
            assert env.evaluate("pinned('t')", {})[:2] == [table[0], f"<v{i}/>"]


def test_in_process_hooks_see_the_tables_and_are_left_afterwards() -> None:
    from tests.engine.table_functions import use

    tables = RuleTables({"a": _file("<a/>")})
    assert current_tables() is None
    with using_tables(tables, (use,)):
        assert current_tables() is tables
        assert pinned("a") == [tables.tables["a"][0], "<a/>", pinned("a")[2]]  # type: ignore[index]
    assert current_tables() is None and pinned("a") is None
    assert tables.pins == (("a", tables.tables["a"][0]),) and len(tables.digest) == 64
