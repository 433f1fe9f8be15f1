"""Timers driven by the injected clock, the worker, restarts, and messages between instances."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import func, select

from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.runtime import Instance, PendingMessage, TaskIndex
from engine.runtime.clock import FixedClock
from engine.services import inbox, instances
from engine.services.deployments import deploy
from engine.services.timers import fire_due_timers
from engine.services.worker import Worker
from processes.extension import extensions
from tools.bpmn_builder import Process, document


def deadline_process() -> bytes:
    """A task with a 14-day interrupting deadline and a 3-day non-interrupting reminder."""
    p = Process("p_deadline", "Deadline", lanes=["Pegawai"])
    p.start("s", lane="Pegawai", col=0)
    p.user("ajukan", "Ajukan keberatan", lane="Pegawai", col=1)
    p.boundary("batas", "14 hari", "ajukan", timer=("timeDuration", '"P14D"'))
    p.boundary("ingatkan", "Pengingat", "ajukan", timer=("timeDuration", '"P3D"'), interrupting=False)
    p.script("catat_ingat", "Catat pengingat", "pengingat = 'dikirim'", lane="Pegawai", col=2)
    p.end("e_ingat", lane="Pegawai", col=3)
    p.script("final", "Hasil final", "hasil = 'final tanpa keberatan'", lane="Pegawai", col=3)
    p.end("e_final", lane="Pegawai", col=4)
    p.end("e_ajukan", lane="Pegawai", col=2.5)
    p.chain("s", "ajukan", "e_ajukan")
    p.chain("ingatkan", "catat_ingat", "e_ingat")
    p.chain("batas", "final", "e_final")
    return document(p).encode()


@pytest.fixture
def deadline(eng: Engine, org: dict[str, int]) -> int:
    deploy(eng, {"deadline.bpmn": deadline_process()}, None)
    return instances.start_instance(eng, "p_deadline", org["admin"], org["budi"], "2024").id


def instance(eng: Engine, instance_id: int) -> Instance:
    with eng.session_factory() as s:
        return s.get(Instance, instance_id)


def test_timer_due_time_is_indexed_and_fires_only_when_due(eng: Engine, clock: FixedClock, deadline: int,
                                                           org: dict[str, int]) -> None:
    start = clock.now()
    inst = instance(eng, deadline)
    assert (inst.next_timer_at - start).days == 3  # the reminder is the earliest
    assert fire_due_timers(eng) == 0
    clock.advance(days=3, minutes=1)
    assert fire_due_timers(eng) == 1
    inst = instance(eng, deadline)
    assert inst.status == "running" and (inst.next_timer_at - start).days == 14
    assert inbox.inbox(eng, org["budi"]).total == 1  # non-interrupting: the task is still open
    clock.advance(days=11)
    assert fire_due_timers(eng) == 1
    inst = instance(eng, deadline)
    assert inst.status == "completed"
    with eng.session_factory() as s:
        row = s.scalars(select(TaskIndex).where(TaskIndex.instance_id == deadline)).one()
        fired = s.scalars(select(AuditEvent).where(AuditEvent.kind == "timer.fired")).all()
    assert row.outcome == "cancelled" and inbox.inbox(eng, org["budi"]).total == 0
    assert len(fired) == 2
    task_data = instances_data(eng, deadline)
    assert task_data["hasil"] == "final tanpa keberatan"


def instances_data(eng: Engine, instance_id: int) -> dict:
    """Merge the data of the instance's completed tasks (what the process ended with)."""
    with eng.session_factory() as s:
        inst = s.get(Instance, instance_id)
        bundle = eng.specs.get(s, inst.process_version.deployment_id)
        wf = eng.runtime.load(inst, bundle)
    return wf.last_task.data if wf.last_task else {}


def test_completing_before_the_deadline_cancels_the_timers(eng: Engine, clock: FixedClock, deadline: int,
                                                           org: dict[str, int]) -> None:
    task = inbox.inbox(eng, org["budi"]).items[0].id
    instances.complete_task(eng, org["budi"], task, {})
    inst = instance(eng, deadline)
    assert inst.status == "completed" and inst.next_timer_at is None
    clock.advance(days=30)
    assert fire_due_timers(eng) == 0


def test_timers_due_while_down_fire_once_after_restart(db_url: str, eng: Engine, clock: FixedClock,
                                                       deadline: int) -> None:
    eng.dispose()
    later = FixedClock(clock.now())
    later.advance(days=20)
    restarted = Engine(db_url, extensions=extensions(), clock=later)  # a new process: nothing in memory but the database
    try:
        results = [Worker(restarted, [("timers", fire_due_timers)]).run_once() for _ in range(3)]
        assert [r["timers"] for r in results] == [1, 0, 0]
        assert instance(restarted, deadline).status == "completed"
        with restarted.session_factory() as s:
            assert s.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.kind == "timer.fired")) == 1
    finally:
        restarted.dispose()


def message_models() -> dict[str, bytes]:
    sender = Process("p_kirim", "Sender", lanes=["Pegawai"])
    sender.start("s", lane="Pegawai", col=0)
    sender.user("tetapkan", "Tetapkan SKP", lane="Pegawai", col=1)
    sender.end("e", lane="Pegawai", col=2, message="skp_ditetapkan", payload="{'rhk': ['RHK 1', 'RHK 2']}")
    sender.chain("s", "tetapkan", "e")
    waiter = Process("p_tunggu", "Waiter", lanes=["Pegawai"])
    waiter.start("s", lane="Pegawai", col=0)
    waiter.catch("tunggu", "Tunggu SKP", lane="Pegawai", col=1, message="skp_ditetapkan", variable="skp")
    waiter.script("hitung", "Hitung", "jumlah_rhk = len(skp['rhk'])", lane="Pegawai", col=2)
    waiter.user("lanjut", "Lanjut", lane="Pegawai", col=3)
    waiter.end("e", lane="Pegawai", col=4)
    waiter.chain("s", "tunggu", "hitung", "lanjut", "e")
    started = Process("p_mulai", "Started by message", lanes=["Pegawai"])
    started.start("s", lane="Pegawai", col=0, message="realisasi_dikirim", variable="realisasi")
    started.user("periksa", "Periksa realisasi", lane="Pegawai", col=1)
    started.end("e", lane="Pegawai", col=2)
    started.chain("s", "periksa", "e")
    thrower = Process("p_lapor", "Reporter", lanes=["Pegawai"])
    thrower.start("s", lane="Pegawai", col=0)
    thrower.user("lapor", "Lapor", lane="Pegawai", col=1)
    thrower.throw("kirim", "Kirim", message="realisasi_dikirim", payload="{'bulan': 'Januari'}",
                  lane="Pegawai", col=2)
    thrower.end("e", lane="Pegawai", col=3)
    thrower.chain("s", "lapor", "kirim", "e")
    return {f"{p.id}.bpmn": document(p).encode() for p in (sender, waiter, started, thrower)}


def test_message_reaches_the_waiting_instance_of_the_same_employee_and_period(eng: Engine,
                                                                               org: dict[str, int]) -> None:
    deploy(eng, message_models(), None)
    waiting = instances.start_instance(eng, "p_tunggu", org["admin"], org["budi"], "2024")
    other_period = instances.start_instance(eng, "p_tunggu", org["admin"], org["budi"], "2025")
    assert waiting.status == "waiting" and waiting.ready_task_ids == []
    sender = instances.start_instance(eng, "p_kirim", org["admin"], org["budi"], "2024")
    instances.complete_task(eng, org["budi"], sender.ready_task_ids[0], {})
    got = instance(eng, waiting.id)
    assert got.status == "running"
    task = [i for i in inbox.inbox(eng, org["budi"]).items if i.instance_id == waiting.id][0]
    assert instances.get_task(eng, org["budi"], task.id).data["jumlah_rhk"] == 2
    assert instance(eng, other_period.id).status == "waiting"  # another period: untouched


def test_message_without_receiver_is_kept_then_delivered(eng: Engine, org: dict[str, int]) -> None:
    deploy(eng, message_models(), None)
    sender = instances.start_instance(eng, "p_kirim", org["admin"], org["siti"], "2024")
    instances.complete_task(eng, org["siti"], sender.ready_task_ids[0], {})
    with eng.session_factory() as s:
        kept = s.scalars(select(PendingMessage)).one()
        assert kept.delivered_at is None and kept.payload == {"rhk": ["RHK 1", "RHK 2"]}
    waiting = instances.start_instance(eng, "p_tunggu", org["admin"], org["siti"], "2024")
    assert waiting.status == "running"  # the kept message was waiting for it
    with eng.session_factory() as s:
        assert s.scalars(select(PendingMessage)).one().delivered_to_id == waiting.id


def test_message_start_event_starts_an_instance_for_the_same_employee(eng: Engine, org: dict[str, int]) -> None:
    deploy(eng, message_models(), None)
    lapor = instances.start_instance(eng, "p_lapor", org["admin"], org["budi"], "2024-01")
    instances.complete_task(eng, org["budi"], lapor.ready_task_ids[0], {})
    with eng.session_factory() as s:
        started = s.scalars(select(Instance).where(Instance.process_id == "p_mulai")).one()
    assert (started.subject_id, started.period) == (org["budi"], "2024-01")
    task = inbox.inbox(eng, org["budi"], process_id="p_mulai").items[0]
    assert instances.get_task(eng, org["budi"], task.id).data["realisasi"] == {"bulan": "Januari"}


TWO_WORKERS = textwrap.dedent("""
    import sys
    from datetime import datetime
    from engine.runtime.clock import FixedClock
    from engine.core import Engine
    from engine.services.timers import fire_due_timers
    from processes.extension import extensions
    engine = Engine(sys.argv[1], extensions=extensions(), clock=FixedClock(datetime.fromisoformat(sys.argv[2])))
    print(fire_due_timers(engine))
""")


def test_two_worker_processes_fire_each_timer_exactly_once(db_url: str, eng: Engine, clock: FixedClock,
                                                           org: dict[str, int]) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("several worker processes coordinate through PostgreSQL")
    deploy(eng, {"deadline.bpmn": deadline_process()}, None)
    ids = [instances.start_instance(eng, "p_deadline", org["admin"], org[u], "2024").id
           for u in ("budi", "siti", "joko", "kartini", "oki", "taufik", "umi", "wahyu")]
    when = clock.advance(days=20).isoformat()
    workers = [subprocess.Popen([sys.executable, "-c", TWO_WORKERS, db_url, when], stdout=subprocess.PIPE,
                                text=True) for _ in range(2)]
    fired = [int(w.communicate(timeout=120)[0].strip().splitlines()[-1]) for w in workers]
    assert sum(fired) == len(ids)
    with eng.session_factory() as s:
        counts = dict(s.execute(select(AuditEvent.instance_id, func.count()).where(
            AuditEvent.kind == "timer.fired").group_by(AuditEvent.instance_id)).all())
    assert counts == {i: 1 for i in ids}
    assert all(instance(eng, i).status == "completed" for i in ids)


def test_date_timer_and_cycle_timer(eng: Engine, clock: FixedClock, org: dict[str, int]) -> None:
    """An intermediate timer on a fixed date with an offset, and a repeating non-interrupting reminder."""
    p = Process("p_dates", "Dates", lanes=["Pegawai"])
    p.start("s", lane="Pegawai", col=0)
    p.catch("tanggal", "Sampai 10 Januari", lane="Pegawai", col=1,
            timer=("timeDate", '"2024-01-10T08:00:00+07:00"'))
    p.user("isi", "Isi", lane="Pegawai", col=2)
    p.boundary("ulang", "Pengingat harian", "isi", timer=("timeCycle", '"R2/P1D"'), interrupting=False)
    p.script("catat", "Catat", "pengingat = 1", lane="Pegawai", col=3)
    p.end("e1", lane="Pegawai", col=4)
    p.end("e2", lane="Pegawai", col=3.5)
    p.chain("s", "tanggal", "isi", "e2")
    p.chain("ulang", "catat", "e1")
    deploy(eng, {"dates.bpmn": document(p).encode()}, None)
    started = instances.start_instance(eng, "p_dates", org["admin"], org["budi"], "2024")
    assert started.status == "waiting"
    assert instance(eng, started.id).next_timer_at.isoformat() == "2024-01-10T01:00:00+00:00"
    clock.set(instance(eng, started.id).next_timer_at)
    clock.advance(seconds=1)
    assert fire_due_timers(eng) == 1
    assert instance(eng, started.id).status == "running"
    reminders = 0
    for _ in range(4):
        clock.advance(days=1, seconds=1)
        reminders += fire_due_timers(eng)
    assert reminders == 2  # R2: two repetitions, then the cycle ends
    assert instance(eng, started.id).next_timer_at is None
    assert inbox.inbox(eng, org["budi"]).total == 1


def test_timer_at_the_exact_instant_waits_and_two_missed_deadlines_fire_in_one_pass(
        eng: Engine, clock: FixedClock, org: dict[str, int]) -> None:
    p = Process("p_two", "Two deadlines", lanes=["Pegawai"])
    p.start("s", lane="Pegawai", col=0)
    p.catch("t1", "Akhir periode", lane="Pegawai", col=1, timer=("timeDate", '"2024-01-10T00:00:00+00:00"'))
    p.catch("t2", "Batas penilaian", lane="Pegawai", col=2, timer=("timeDate", '"2024-01-20T00:00:00+00:00"'))
    p.user("nilai", "Nilai", lane="Pegawai", col=3)
    p.end("e", lane="Pegawai", col=4)
    p.chain("s", "t1", "t2", "nilai", "e")
    deploy(eng, {"two.bpmn": document(p).encode()}, None)
    started = instances.start_instance(eng, "p_two", org["admin"], org["budi"], "2024")
    first = instance(eng, started.id).next_timer_at
    clock.set(first)
    assert fire_due_timers(eng) == 0  # Spiff fires only once the time has passed
    assert instance(eng, started.id).status == "waiting"
    clock.advance(days=30)  # both deadlines passed while nothing ran
    assert fire_due_timers(eng) == 1
    inst = instance(eng, started.id)
    assert inst.status == "running" and inst.next_timer_at is None
    assert inbox.inbox(eng, org["budi"]).total == 1


def test_message_addressed_to_another_employee(eng: Engine, org: dict[str, int]) -> None:
    """A superior's SKP tells a subordinate's waiting planning instance that the RHK now exist."""
    boss = Process("p_atasan", "Atasan", lanes=["Pegawai"])
    boss.start("s", lane="Pegawai", col=0)
    boss.user("tetapkan", "Tetapkan RHK", lane="Pegawai", col=1)
    boss.throw("beri_tahu", "Beri tahu bawahan", message="rhk_atasan_ada",
               payload="{'target_subject_id': bawahan, 'rhk': ['RHK A']}", lane="Pegawai", col=2)
    boss.end("e", lane="Pegawai", col=3)
    boss.chain("s", "tetapkan", "beri_tahu", "e")
    files = message_models()
    files["atasan.bpmn"] = document(boss).encode()
    files["p_tunggu.bpmn"] = files["p_tunggu.bpmn"].replace(b"skp_ditetapkan", b"rhk_atasan_ada")
    deploy(eng, files, None)
    waiting = instances.start_instance(eng, "p_tunggu", org["admin"], org["budi"], "2024")
    sender = instances.start_instance(eng, "p_atasan", org["admin"], org["dewi"], "2024",
                                      data={"bawahan": org["budi"]})
    instances.complete_task(eng, org["dewi"], sender.ready_task_ids[0], {})
    assert instance(eng, waiting.id).status == "running"
    task = inbox.inbox(eng, org["budi"], process_id="p_tunggu").items[0]
    assert instances.get_task(eng, org["budi"], task.id).data["skp"]["rhk"] == ["RHK A"]


def test_a_process_sets_its_own_period(eng: Engine, org: dict[str, int]) -> None:
    p = Process("p_buka", "Buka periode", lanes=["Biro SDM"])
    p.start("s", lane="Biro SDM", col=0)
    p.service("atur", "Atur periode", "set_period", params={"period": "'2025'"}, result="periode_aktif",
              lane="Biro SDM", col=1)
    p.user("lanjut", "Lanjut", lane="Biro SDM", col=2)
    p.end("e", lane="Biro SDM", col=3)
    p.chain("s", "atur", "lanjut", "e")
    deploy(eng, {"buka.bpmn": document(p).encode()}, None)
    started = instances.start_instance(eng, "p_buka", org["indah"], None)
    inst = instance(eng, started.id)
    assert (inst.period, inst.business_key) == ("2025", "-:2025")
    assert inbox.inbox(eng, org["indah"]).items[0].period == "2025"
