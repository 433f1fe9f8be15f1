"""The organisation lookups of the hot path read by index whatever the organisation's size.

A superior lookup (engine.access.superior_ids, the hot path's most frequent statement) reads the accounts by
index whatever the organisation's size: each branch of its UNION (the override, the holders of the superior
position, those acting for it) looks user_account up by a key of its own. A join of user_account to the union of
their ids made PostgreSQL hash the whole table on every lookup at 1,000 employees (found on 3 December by EXPLAIN
of a simulated agency). A unit's ancestors (processes.operations._unit_chain, every assessment's curve unit)
come from one recursive statement that looks each parent up by key."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import insert, select

from engine.access import _superiors_statement, superior_ids
from engine.core import Engine
from engine.db.org import Position, Unit, User
from processes.operations import _unit_chain, _units_up_statement

STAFF = 3000  # enough rows that a plan chosen on the table's statistics reads it whole when nothing bounds it


def _plan_reads(eng: Engine, statement: Any, table: str = "user_account") -> list[tuple[str, str]]:
    """Each read of the table in the plan: (node type, its index or recheck condition, "" for none)."""
    with eng.db.connect() as conn:
        compiled = str(statement.compile(conn, compile_kwargs={"literal_binds": True}))
        if conn.dialect.name == "sqlite":
            lines = [str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")]
            return [(line.split()[0], line if "USING" in line else "") for line in lines if f" {table} " in f"{line} "]
        root = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}").scalar_one()[0]["Plan"]
    found, stack = [], [root]
    while stack:
        node = stack.pop()
        stack.extend(node.get("Plans", []))
        if node.get("Relation Name") == table:
            found.append((node["Node Type"], node.get("Index Cond") or node.get("Recheck Cond") or ""))
    return found


def test_every_read_of_the_accounts_is_bounded_by_an_index(eng: Engine) -> None:
    with eng.session_factory.begin() as s:
        unit = Unit(code="U1", name="Biro Umum")
        s.add(unit)
        s.flush()
        head = Position(code="P-KEPALA", title="Kepala Biro", unit_id=unit.id)
        s.add(head)
        s.flush()
        staff = Position(code="P-STAF", title="Analis", unit_id=unit.id, parent_id=head.id)
        s.add(staff)
        s.flush()
        boss = User(username="kepala", full_name="Kepala", position_id=head.id)
        employee = User(username="analis", full_name="Analis", position_id=staff.id)
        s.add_all([boss, employee])
        s.flush()
        # Teams of ten, as in an agency: the planner then expects ~10 holders per position and, with a join to the
        # accounts, chose to hash the whole table (the bug) rather than look ten of them up.
        s.execute(insert(Position), [{"code": f"P{i}", "title": "Pelaksana", "unit_id": unit.id}
                                     for i in range(STAFF // 10)])
        first = s.scalar(select(Position.id).where(Position.code == "P0"))
        assert first is not None
        s.execute(insert(User), [{"username": f"u{i}", "full_name": f"Pegawai {i}", "position_id": first + i % (STAFF // 10)}
                                 for i in range(STAFF)])
        boss_id, employee_id = boss.id, employee.id
    with eng.db.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    with eng.session_factory() as s:
        assert superior_ids(s, employee_id) == [boss_id]
    reads = _plan_reads(eng, _superiors_statement().params(employee=employee_id, day=date(2024, 5, 1)))
    assert reads and all(bound for _, bound in reads), reads


def test_a_units_ancestors_are_looked_up_by_key(eng: Engine) -> None:
    """Forty deputies of ten bureaus of ten divisions each (4,000 units under one root): the chain of a division
    is four units, each found through the primary key, none by reading the table."""
    with eng.session_factory.begin() as s:
        root = Unit(code="ROOT", name="Kementerian")
        s.add(root)
        s.flush()
        parents = [root.id]
        for level, width in (("D", 40), ("B", 10), ("S", 10)):
            rows = [{"code": f"{level}{p}-{i}", "name": f"Unit {level}{i}", "parent_id": p}
                    for p in parents for i in range(width)]
            s.execute(insert(Unit), rows)
            parents = list(s.scalars(select(Unit.id).where(Unit.code.like(f"{level}%"))))
        division = parents[-1]
    with eng.db.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    with eng.session_factory() as s:
        assert [u.code[0] for u in _unit_chain(s, division)] == ["S", "B", "D", "R"]
    reads = _plan_reads(eng, _units_up_statement().params(start=division), "unit")
    assert reads and all(bound for _, bound in reads), reads
