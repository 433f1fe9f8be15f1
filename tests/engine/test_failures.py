"""Concurrent completions, failing scripts, SpiffWorkflow's silent stop, and the append-only audit trail."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.runtime import Instance
from engine.errors import Conflict, InvalidState, ProcessError
from engine.runtime.runner import Runtime
from engine.services import instances
from engine.services.deployments import deploy
from tools.bpmn_builder import Process, document

from .helpers import one_script_process
from .test_run import CAPAIAN


def test_two_concurrent_completions_one_wins_one_conflicts(demo_deployed: Engine, org: dict[str, int],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    eng = demo_deployed
    started = instances.start_instance(eng, "demo_penilaian", org["admin"], org["budi"], "2024")
    task_id = started.ready_task_ids[0]
    # Hold both completions after they have loaded the instance, then let them race to commit.
    barrier = threading.Barrier(2, timeout=10)
    original = Runtime.advance
    calls = {"n": 0}

    def advance(self, engine, session, instance, workflow, actor_id, before=None):
        calls["n"] += 1
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass  # on SQLite the second transaction cannot start until the first ends
        return original(self, engine, session, instance, workflow, actor_id, before)

    monkeypatch.setattr(Runtime, "advance", advance)
    if eng.db.dialect.name == "sqlite":
        barrier = threading.Barrier(2, timeout=0.5)
    results: list[object] = []

    def complete() -> None:
        try:
            results.append(instances.complete_task(eng, org["budi"], task_id, CAPAIAN))
        except Exception as exc:  # collected and asserted below
            results.append(exc)

    threads = [threading.Thread(target=complete) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    wins = [r for r in results if isinstance(r, instances.InstanceSummary)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(wins) == 1 and len(conflicts) == 1, results
    with eng.session_factory() as s:
        completed = s.scalars(select(AuditEvent).where(AuditEvent.kind == "task.completed")).all()
        inst = s.get(Instance, started.id)
    assert len(completed) == 1  # nothing half-written by the loser
    assert inst.version == wins[0].version


def test_stale_form_version_is_a_conflict(demo_deployed: Engine, org: dict[str, int]) -> None:
    eng = demo_deployed
    started = instances.start_instance(eng, "demo_penilaian", org["admin"], org["budi"], "2024")
    with pytest.raises(Conflict):
        instances.complete_task(eng, org["budi"], started.ready_task_ids[0], CAPAIAN,
                                expected_version=started.version - 1)
    assert instances.complete_task(eng, org["budi"], started.ready_task_ids[0], CAPAIAN,
                                   expected_version=started.version).status == "running"


def test_script_error_marks_instance_errored_and_keeps_last_good_state(eng: Engine, org: dict[str, int]) -> None:
    deploy(eng, {"p.bpmn": one_script_process("total = 1\nratio = total / jumlah")}, None)
    started = instances.start_instance(eng, "p_script", org["admin"], org["budi"], "2024")
    with eng.session_factory() as s:
        good_state = s.get(Instance, started.id).state
    with pytest.raises(ProcessError) as info:
        instances.complete_task(eng, org["budi"], started.ready_task_ids[0], {})
    assert info.value.task == "Run script" and info.value.line == 2
    with eng.session_factory() as s:
        inst = s.get(Instance, started.id)
        events = s.scalars(select(AuditEvent).where(AuditEvent.kind == "instance.errored")).all()
    assert inst.status == "error"
    assert "jumlah" in inst.error_message and inst.error_task == "Run script" and inst.error_line == 2
    assert inst.state == good_state  # reload shows the last saved state: the first task still ready
    assert len(events) == 1 and events[0].data["line"] == 2
    with pytest.raises(InvalidState):  # an errored instance takes no completions until repaired
        instances.complete_task(eng, org["budi"], started.ready_task_ids[0], {})


def test_silent_stop_of_a_long_loop_is_an_error(eng: Engine, org: dict[str, int]) -> None:
    p = Process("p_loop", "Loop", lanes=["Pegawai"])
    p.start("s", lane="Pegawai", col=0)
    p.user("first", "First", lane="Pegawai", col=1)
    p.script("inc", "Increment", "n = n + 1 if 'n' in dir() else 1", lane="Pegawai", col=2)
    p.script("init", "Init", "n = 0", lane="Pegawai", col=1.5)
    p.gateway("again", "Again?", lane="Pegawai", col=3, default="f_done")
    p.user("last", "Last", lane="Pegawai", col=4)
    p.end("e", lane="Pegawai", col=5)
    p.chain("s", "first", "init")
    p.flow("init", "inc")
    p.flow("inc", "again")
    p.flow("again", "inc", condition="n < 2000", id="f_loop")
    p.flow("again", "last", id="f_done")
    p.chain("last", "e")
    # `dir()` is not allowed in the sandbox, so write the loop without it.
    xml = document(p).replace("n = n + 1 if &apos;n&apos; in dir() else 1", "n = n + 1") \
        .replace("n = n + 1 if 'n' in dir() else 1", "n = n + 1")
    deploy(eng, {"loop.bpmn": xml.encode()}, None)
    started = instances.start_instance(eng, "p_loop", org["admin"], org["budi"], "2024")
    with pytest.raises(ProcessError) as info:
        instances.complete_task(eng, org["budi"], started.ready_task_ids[0], {})
    assert "completed while tasks were still open" in str(info.value)
    with eng.session_factory() as s:
        assert s.get(Instance, started.id).status == "error"


def test_audit_trail_is_append_only_in_the_database(demo_deployed: Engine) -> None:
    with demo_deployed.db.connect() as conn:
        with pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text("UPDATE audit_event SET actor = 'mallory'"))
        conn.rollback()
        with pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text("DELETE FROM audit_event"))
        conn.rollback()


def test_sandbox_limits_come_from_the_environment() -> None:
    from engine.core import sandbox_limits_from_env

    limits = sandbox_limits_from_env({"SMK_SCRIPT_CPU_SECONDS": "0.5", "SMK_SCRIPT_MEMORY_MB": "16"})
    assert limits.cpu_seconds == 0.5 and limits.max_memory_bytes == 16 * 2**20
    assert sandbox_limits_from_env({}).cpu_seconds == 2.0
    with pytest.raises(ValueError, match="invalid sandbox limit"):
        sandbox_limits_from_env({"SMK_SCRIPT_CPU_SECONDS": "lots"})
    with pytest.raises(ValueError, match="invalid sandbox limit"):
        sandbox_limits_from_env({"SMK_SCRIPT_CPU_SECONDS": "0"})
