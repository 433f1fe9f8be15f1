"""Kept messages written in bulk and the worker job that delivers them (engine.services.messages): each delivery in
its own transaction, exactly once, to the instance that waits for it, whenever it starts waiting; a failing
delivery marks that instance errored; two workers at once never deliver a message twice."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest
from sqlalchemy import func, select

from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.runtime import Instance, PendingMessage, TaskIndex
from engine.services import instances, messages
from engine.services.deployments import deploy
from engine.services.messages import deliver_kept_messages, deliverable, keep_messages
from engine.services.stepping import business_key
from engine.services.worker import default_jobs
from tools.bpmn_builder import Process, document

PERIOD = "2024"
STAFF = ("budi", "siti", "joko", "kartini", "oki", "taufik", "umi", "wahyu")


def models() -> dict[str, bytes]:
    """p_tunggu: fill a form, then wait in a task that the message 'diputuskan' interrupts (its payload kept as
    'keputusan'); p_gagal: wait for the same message, then a script that fails."""
    p = Process("p_tunggu", "Waits for the decision", lanes=["Pegawai"])
    p.start("s", lane="Pegawai", col=0)
    p.user("isi", "Isi", lane="Pegawai", col=1)
    p.user("menunggu", "Menunggu keputusan", lane="Pegawai", col=2)
    p.boundary("diputuskan", "Diputuskan", "menunggu", message="diputuskan", variable="keputusan")
    p.script("baca", "Baca keputusan", "hasil = keputusan['predikat']", lane="Pegawai", col=3)
    p.user("lanjut", "Lanjut", lane="Pegawai", col=4)
    p.end("e", lane="Pegawai", col=5)
    p.end("e_sendiri", lane="Pegawai", col=3.5)
    p.chain("s", "isi", "menunggu", "e_sendiri")
    p.chain("diputuskan", "baca", "lanjut", "e")
    q = Process("p_gagal", "Fails on the decision", lanes=["Pegawai"])
    q.start("s", lane="Pegawai", col=0)
    q.catch("tunggu", "Tunggu", lane="Pegawai", col=1, message="diputuskan", variable="keputusan")
    q.script("rusak", "Rusak", "hasil = 1 / 0", lane="Pegawai", col=2)
    q.end("e", lane="Pegawai", col=3)
    q.chain("s", "tunggu", "rusak", "e")
    return {f"{m.id}.bpmn": document(m).encode() for m in (p, q)}


def waiting(eng: Engine, org: dict[str, int], who: tuple[str, ...]) -> dict[str, int]:
    """Start p_tunggu for each and fill its form: each then waits for 'diputuskan'."""
    made = {}
    for name in who:
        started = instances.start_instance(eng, "p_tunggu", org["admin"], org[name], PERIOD)
        instances.complete_task(eng, org[name], started.ready_task_ids[0], {})
        made[name] = started.id
    return made


def keep(eng: Engine, org: dict[str, int], who: tuple[str, ...]) -> int:
    with eng.session_factory.begin() as s:
        return keep_messages(s, "diputuskan", [(business_key(org[n], PERIOD), {"predikat": f"Baik {n}"})
                                               for n in who], None, eng.now())


def open_task(eng: Engine, instance_id: int) -> str:
    with eng.session_factory() as s:
        return s.scalars(select(TaskIndex.task_name).where(TaskIndex.instance_id == instance_id,
                                                          TaskIndex.closed_at.is_(None))).one()


def delivered_events(eng: Engine) -> dict[int, int]:
    with eng.session_factory() as s:
        return dict(s.execute(select(AuditEvent.instance_id, func.count()).where(
            AuditEvent.kind == "message.delivered").group_by(AuditEvent.instance_id)).all())


def test_the_worker_runs_the_job_after_the_timers() -> None:
    names = [name for name, _ in default_jobs()]
    assert names.index("timers") < names.index("kept messages")


def test_kept_messages_reach_the_waiting_instances_once_each(eng: Engine, org: dict[str, int]) -> None:
    deploy(eng, models(), None)
    made = waiting(eng, org, STAFF[:3])
    with eng.session_factory() as s:
        versions = dict(s.execute(select(Instance.id, Instance.version)).all())
    assert keep(eng, org, STAFF[:3]) == 3
    assert keep(eng, org, STAFF[:3]) == 0  # already kept and undelivered: not a second time
    with eng.session_factory() as s:
        assert dict(s.execute(select(Instance.id, Instance.version)).all()) == versions  # nothing was stepped
        [(kind, data)] = s.execute(select(AuditEvent.kind, AuditEvent.data).where(
            AuditEvent.kind == "message.kept")).all()
    assert data["jumlah"] == 3 and data["message"] == "diputuskan"
    assert sorted(i for _, i in deliverable(eng)) == sorted(made.values())

    assert deliver_kept_messages(eng) == 3
    assert deliver_kept_messages(eng) == 0 and deliverable(eng) == []
    assert delivered_events(eng) == {i: 1 for i in made.values()}
    for name, instance_id in made.items():
        assert open_task(eng, instance_id) == "lanjut"
        task = instances.get_task(eng, org[name], _task_id(eng, instance_id))
        assert task.data["hasil"] == f"Baik {name}"
    with eng.session_factory() as s:
        rows = s.execute(select(PendingMessage.business_key, PendingMessage.delivered_to_id)).all()
    assert sorted(to for _, to in rows) == sorted(made.values())


def _task_id(eng: Engine, instance_id: int) -> str:
    with eng.session_factory() as s:
        return s.scalars(select(TaskIndex.id).where(TaskIndex.instance_id == instance_id,
                                                    TaskIndex.closed_at.is_(None))).one()


def test_a_message_kept_before_the_instance_waits_is_taken_when_it_starts_waiting(eng: Engine,
                                                                                  org: dict[str, int]) -> None:
    deploy(eng, models(), None)
    started = instances.start_instance(eng, "p_tunggu", org["admin"], org["budi"], PERIOD)
    other = instances.start_instance(eng, "p_tunggu", org["admin"], org["budi"], "2025")  # another period
    assert keep(eng, org, ("budi",)) == 1
    assert deliverable(eng) == [] and deliver_kept_messages(eng) == 0  # still filling its form: not waiting
    assert open_task(eng, started.id) == "isi"
    instances.complete_task(eng, org["budi"], started.ready_task_ids[0], {})
    # The save that made it wait took the kept message in the same transaction.
    assert open_task(eng, started.id) == "lanjut" and delivered_events(eng) == {started.id: 1}
    assert deliver_kept_messages(eng) == 0
    assert open_task(eng, other.id) == "isi"


def test_a_message_delivered_by_the_worker_to_an_instance_that_waited_already(eng: Engine,
                                                                               org: dict[str, int]) -> None:
    """The race the job closes: the instance began waiting in a transaction that could not see the message being
    kept at the same moment, so nothing delivered it on save."""
    deploy(eng, models(), None)
    made = waiting(eng, org, ("siti",))
    keep(eng, org, ("siti",))
    assert open_task(eng, made["siti"]) == "menunggu"
    assert deliver_kept_messages(eng) == 1 and open_task(eng, made["siti"]) == "lanjut"


def test_messages_nobody_waits_for_never_hold_up_later_ones(eng: Engine, org: dict[str, int],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The job reads the undelivered messages a batch at a time (here 2): older ones kept for instances that do not
    wait do not stop it reaching a later one whose instance does."""
    monkeypatch.setattr(messages, "SCAN_BATCH", 2)
    deploy(eng, models(), None)
    assert keep(eng, org, STAFF[:5]) == 5  # nobody of these waits
    made = waiting(eng, org, ("umi",))
    with eng.session_factory.begin() as s:
        keep_messages(s, "diputuskan", [(business_key(org["umi"], PERIOD), {"predikat": "Baik umi"})], None,
                      eng.now())
    assert deliverable(eng) == [(deliverable(eng)[0][0], made["umi"])]
    assert deliver_kept_messages(eng) == 1 and open_task(eng, made["umi"]) == "lanjut"
    with eng.session_factory() as s:
        assert s.scalar(select(func.count(PendingMessage.id)).where(PendingMessage.delivered_at.is_(None))) == 5


def test_a_delivery_that_fails_marks_its_instance_errored_and_is_not_retried(eng: Engine,
                                                                             org: dict[str, int]) -> None:
    deploy(eng, models(), None)
    failing = instances.start_instance(eng, "p_gagal", org["admin"], org["umi"], PERIOD)
    made = waiting(eng, org, ("wahyu",))
    keep(eng, org, ("umi", "wahyu"))
    assert deliver_kept_messages(eng) == 1  # wahyu's; umi's failed
    with eng.session_factory() as s:
        broken = s.get(Instance, failing.id)
        assert broken is not None and broken.status == "error" and "division" in (broken.error_message or "")
        kept = s.scalars(select(PendingMessage).where(
            PendingMessage.business_key == business_key(org["umi"], PERIOD))).one()
        assert kept.delivered_at is None  # the failed step was rolled back with the delivery
    assert deliverable(eng) == [] and deliver_kept_messages(eng) == 0  # an errored instance waits for nothing
    assert open_task(eng, made["wahyu"]) == "lanjut"


TWO_WORKERS = textwrap.dedent("""
    import sys, time
    from datetime import datetime
    from engine.runtime.clock import FixedClock
    from engine.core import Engine
    from engine.services.messages import deliver_kept_messages
    from processes.extension import extensions
    engine = Engine(sys.argv[1], extensions=extensions(), clock=FixedClock(datetime.fromisoformat(sys.argv[2])))
    engine.session_factory().close()
    time.sleep(max(0.0, float(sys.argv[3]) - time.time()))  # both start delivering at the same moment
    print(deliver_kept_messages(engine, limit=1000))
""")


def test_two_worker_processes_deliver_each_kept_message_exactly_once(db_url: str, eng: Engine,
                                                                     org: dict[str, int]) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("several worker processes coordinate through PostgreSQL")
    deploy(eng, models(), None)
    made = waiting(eng, org, STAFF)
    assert keep(eng, org, STAFF) == len(STAFF)
    go = time.time() + 8
    workers = [subprocess.Popen([sys.executable, "-c", TWO_WORKERS, db_url, eng.now().isoformat(), str(go)],
                                stdout=subprocess.PIPE, text=True) for _ in range(2)]
    done = [int(w.communicate(timeout=180)[0].strip().splitlines()[-1]) for w in workers]
    print(f"kept messages delivered per worker: {done}")
    assert sum(done) == len(STAFF), done
    assert delivered_events(eng) == {i: 1 for i in made.values()}
    assert all(open_task(eng, i) == "lanjut" for i in made.values())
    with eng.session_factory() as s:
        assert s.scalar(select(func.count(PendingMessage.id)).where(PendingMessage.delivered_at.is_(None))) == 0
