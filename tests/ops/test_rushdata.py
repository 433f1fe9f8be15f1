"""The HTTP benchmarks' data (``tools/rushdata.py``): an agency whose employees each have one open realisation
task, the monitoring instances started in several processes at once through the engine's services."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select, update

from engine.core import Engine
from engine.db.org import User
from engine.db.runtime import ERROR, Instance, TaskIndex
from processes.extension import extensions
from tools.rushdata import PROCESS, TASK, check_loaded, default_processes, load_agency


def test_the_agency_loaded_in_two_processes_has_one_open_realisation_task_per_employee(empty_db_url: str) -> None:
    lines = list(load_agency(empty_db_url, 40, processes=2))  # the smallest agency orggen makes: 43 people
    assert "  starting the monitoring instances in 2 processes" in lines
    assert lines[-1].startswith("  43 monitoring instances started, 43 realisation tasks open")
    engine = Engine(empty_db_url, extensions=extensions())
    try:
        with engine.session_factory() as session:
            employees = set(session.scalars(select(User.id).where(User.active, User.nip.is_not(None))))
            tasks = Counter(session.scalars(select(TaskIndex.subject_id).where(
                TaskIndex.task_name == TASK, TaskIndex.closed_at.is_(None))))
            instances = Counter(session.scalars(select(Instance.subject_id).where(Instance.process_id == PROCESS)))
            statuses = Counter(session.scalars(select(Instance.status)))
            due = session.scalar(select(func.count()).select_from(Instance).where(
                Instance.next_timer_at < engine.now(), Instance.status != "completed"))
        assert len(employees) == 43
        assert tasks == Counter(dict.fromkeys(employees, 1))  # exactly one open realisation task each
        assert instances == Counter(dict.fromkeys(employees, 1))  # one monitoring instance each
        assert ERROR not in statuses and due == 0  # none in error, no timer left due
        # The loader refuses to hand over data that are not so.
        with engine.session_factory.begin() as session:
            session.execute(update(Instance).where(Instance.subject_id == min(employees)).values(status=ERROR))
        with pytest.raises(RuntimeError, match="43 open realisation tasks for 43 employees, 1 instances in error"):
            check_loaded(engine, 43)
    finally:
        engine.dispose()


def test_several_loading_processes_on_postgresql_one_on_sqlite() -> None:
    assert default_processes("sqlite:///x.sqlite") == 1
    assert 2 <= default_processes("postgresql+psycopg://postgres@127.0.0.1/x") <= 8  # one per core
