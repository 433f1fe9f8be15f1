"""Deferred starts (engine.services.deferred): ``start_process`` with ``bertahap`` writes one row per subject in one
statement inside the step and starts nothing; the worker job starts each in its own transaction, exactly once; a
start that fails records its error on the row and is not tried again; two workers at once never start one twice."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.deferred import DeferredStart
from engine.db.runtime import Instance, TaskIndex
from engine.services import instances
from engine.services.deferred import start_deferred
from engine.services.deployments import deploy
from engine.services.worker import default_jobs
from tests.engine.test_step_writes import statements
from tools.bpmn_builder import Process, document

PERIOD = "2024"
STAFF = ("budi", "siti", "joko", "kartini", "oki", "taufik", "umi", "wahyu")


def models() -> dict[str, bytes]:
    """p_induk starts ``anak`` (a process id in its data) for ``pegawai_ids``, deferred unless ``bertahap`` is false,
    then waits in a user task; p_anak: one user task of its subject; p_rusak fails in its first step."""
    p = Process("p_induk", "Starts many", lanes=["Pegawai"])
    p.start("s", lane="Pegawai", col=0)
    p.service("mulai", "Mulai", "start_process", {"process_id": "anak", "subject_ids": "pegawai_ids",
                                                   "period": "'2024'", "data": "{'x': 1}", "bertahap": "bertahap"},
              result="jumlah", lane="Pegawai", col=1)
    p.user("tunggu", "Tunggu", lane="Pegawai", col=2)
    p.end("e", lane="Pegawai", col=3)
    p.chain("s", "mulai", "tunggu", "e")
    a = Process("p_anak", "One per employee", lanes=["Pegawai"])
    a.start("s", lane="Pegawai", col=0)
    a.user("kerja", "Kerja", lane="Pegawai", col=1)
    a.end("e", lane="Pegawai", col=2)
    a.chain("s", "kerja", "e")
    r = Process("p_rusak", "Fails at once", lanes=["Pegawai"])
    r.start("s", lane="Pegawai", col=0)
    r.script("rusak", "Rusak", "hasil = 1 / 0", lane="Pegawai", col=1)
    r.end("e", lane="Pegawai", col=2)
    r.chain("s", "rusak", "e")
    return {f"{m.id}.bpmn": document(m).encode() for m in (p, a, r)}


def parent(eng: Engine, org: dict[str, int], who: tuple[str, ...], anak: str = "p_anak",
           bertahap: bool = True) -> tuple[int, list[str]]:
    with statements(eng) as seen:
        started = instances.start_instance(eng, "p_induk", org["admin"], org["admin"], PERIOD,
                                           {"anak": anak, "pegawai_ids": [org[n] for n in who],
                                            "bertahap": bertahap})
    return started.id, seen


def count(eng: Engine, process_id: str) -> int:
    with eng.session_factory() as s:
        return s.scalar(select(func.count(Instance.id)).where(Instance.process_id == process_id)) or 0


def audit_data(eng: Engine, kind: str) -> list[dict[str, Any]]:
    with eng.session_factory() as s:
        return list(s.scalars(select(AuditEvent.data).where(AuditEvent.kind == kind).order_by(AuditEvent.id)))


def test_the_worker_starts_deferred_starts_before_timers_and_messages() -> None:
    names = [name for name, _ in default_jobs()]
    assert names.index("deferred starts") < names.index("timers") < names.index("kept messages")


def test_deferred_starts_are_written_in_one_statement_and_started_once_each(eng: Engine,
                                                                            org: dict[str, int]) -> None:
    deploy(eng, models(), None)
    parent_id, seen = parent(eng, org, STAFF)
    inserts = [s for s in seen if s.lstrip().upper().startswith("INSERT INTO DEFERRED_START")]
    assert len(inserts) == 1, inserts
    assert count(eng, "p_anak") == 0  # nothing started in the step's transaction
    with eng.session_factory() as s:
        rows = s.scalars(select(DeferredStart).order_by(DeferredStart.id)).all()
        assert [r.subject_id for r in rows] == [org[n] for n in STAFF]
        assert all(r.started_at is None and r.requested_by_instance_id == parent_id and r.data == {"x": 1}
                   and r.period == PERIOD and r.started_by_id == org["admin"] for r in rows)
    [written] = audit_data(eng, "deferred_start.written")
    assert written["jumlah"] == len(STAFF) and written["process_id"] == "p_anak"
    with eng.session_factory() as s:
        parent_row = s.get(Instance, parent_id)
        assert parent_row is not None and parent_row.status == "running"

    assert start_deferred(eng, limit=3) == 3
    assert count(eng, "p_anak") == 3
    assert start_deferred(eng) == len(STAFF) - 3
    assert start_deferred(eng) == 0
    with eng.session_factory() as s:
        rows = s.scalars(select(DeferredStart).order_by(DeferredStart.id)).all()
        children = {i.id: i for i in s.scalars(select(Instance).where(Instance.process_id == "p_anak"))}
        assert sorted(r.instance_id for r in rows) == sorted(children)  # type: ignore[type-var]
        assert all(r.started_at is not None and r.error is None for r in rows)
        assert all(children[r.instance_id].subject_id == r.subject_id for r in rows if r.instance_id)
        assert {i.period for i in children.values()} == {PERIOD}
        tasks = s.execute(select(TaskIndex.subject_id, TaskIndex.task_name).where(
            TaskIndex.process_id == "p_anak", TaskIndex.closed_at.is_(None))).all()
    assert sorted(tasks) == sorted((org[n], "kerja") for n in STAFF)
    started = [d for d in audit_data(eng, "instance.started") if d.get("process_id") == "p_anak"]
    assert len(started) == len(STAFF)
    task = instances.get_task(eng, org["budi"], next(t for t in instances_open(eng, org["budi"])))
    assert task.data["x"] == 1 and task.data["periode"] == PERIOD


def instances_open(eng: Engine, subject: int) -> list[str]:
    with eng.session_factory() as s:
        return list(s.scalars(select(TaskIndex.id).where(TaskIndex.subject_id == subject,
                                                         TaskIndex.process_id == "p_anak",
                                                         TaskIndex.closed_at.is_(None))))


def test_without_bertahap_the_step_starts_them_as_before(eng: Engine, org: dict[str, int]) -> None:
    deploy(eng, models(), None)
    parent(eng, org, STAFF[:3], bertahap=False)
    assert count(eng, "p_anak") == 3
    with eng.session_factory() as s:
        assert s.scalar(select(func.count(DeferredStart.id))) == 0
    assert start_deferred(eng) == 0


def test_a_start_that_fails_records_its_error_and_is_not_tried_again(eng: Engine, org: dict[str, int]) -> None:
    deploy(eng, models(), None)
    parent(eng, org, ("umi", "wahyu"), anak="p_rusak")
    parent(eng, org, ("oki",))
    assert start_deferred(eng) == 3  # two failed, one started
    assert count(eng, "p_rusak") == 0 and count(eng, "p_anak") == 1
    with eng.session_factory() as s:
        failed = s.scalars(select(DeferredStart).where(DeferredStart.process_id == "p_rusak")).all()
    assert len(failed) == 2
    assert all(r.started_at is not None and r.instance_id is None and "division" in (r.error or "")
               for r in failed)
    assert start_deferred(eng) == 0  # not retried
    errors = audit_data(eng, "deferred_start.failed")
    assert len(errors) == 2 and all("division" in e["error"] for e in errors)


TWO_WORKERS = textwrap.dedent("""
    import sys, time
    from datetime import datetime
    from engine.runtime.clock import FixedClock
    from engine.core import Engine
    from engine.services.deferred import start_deferred
    from processes.extension import extensions
    engine = Engine(sys.argv[1], extensions=extensions(), clock=FixedClock(datetime.fromisoformat(sys.argv[2])))
    engine.session_factory().close()
    time.sleep(max(0.0, float(sys.argv[3]) - time.time()))  # both start at the same moment
    print(start_deferred(engine, limit=1000))
""")


def test_two_worker_processes_start_each_deferred_start_exactly_once(db_url: str, eng: Engine,
                                                                    org: dict[str, int]) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("several worker processes coordinate through PostgreSQL")
    deploy(eng, models(), None)
    parent(eng, org, STAFF)
    parent(eng, org, STAFF)  # a second batch: 16 rows for 8 employees, each a start of its own
    go = time.time() + 8
    workers = [subprocess.Popen([sys.executable, "-c", TWO_WORKERS, db_url, eng.now().isoformat(), str(go)],
                                stdout=subprocess.PIPE, text=True) for _ in range(2)]
    done = [int(w.communicate(timeout=180)[0].strip().splitlines()[-1]) for w in workers]
    print(f"deferred starts per worker: {done}")
    assert sum(done) == 2 * len(STAFF), done
    assert count(eng, "p_anak") == 2 * len(STAFF)
    with eng.session_factory() as s:
        rows = s.scalars(select(DeferredStart)).all()
    assert len({r.instance_id for r in rows}) == len(rows) and all(r.error is None for r in rows)
