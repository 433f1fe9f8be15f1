"""A deadline that has passed wins over a completion, whether or not a timer worker has run (issue 16).

``complete_task`` fires the instance's due timers on the loaded workflow first, in its own transaction: when a
boundary timer took the task away, the completion is refused with a Conflict and the timer's path is stored;
when the due timer leaves the task open (a reminder), the completion goes through.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.runtime import Instance, TaskIndex
from engine.errors import Conflict
from engine.runtime.clock import FixedClock
from engine.services import instances
from engine.services.deployments import deploy
from engine.services.operations import builtin_operations
from engine.services.timers import fire_due_timers
from tools.bpmn_builder import Process, document


def window_process() -> bytes:
    """An objection task open until a computed end of day, with a non-interrupting 3-day reminder."""
    p = Process("p_window", "Window", lanes=["Pegawai"])
    p.start("s", lane="Pegawai", col=0)
    p.service("batas", "Hitung batas", "end_of_day", params={"days": "14"}, result="batas_keberatan",
              lane="Pegawai", col=1)
    p.user("ajukan", "Ajukan keberatan", lane="Pegawai", col=2, properties={"dueDateField": "batas_keberatan"})
    p.boundary("lewat", "Hari ke-14 berakhir", "ajukan", timer=("timeDate", "batas_keberatan"))
    p.boundary("ingatkan", "Pengingat", "ajukan", timer=("timeDuration", '"P3D"'), interrupting=False)
    p.script("catat_ingat", "Catat pengingat", "pengingat = 'dikirim'", lane="Pegawai", col=3)
    p.end("e_ingat", lane="Pegawai", col=4)
    p.script("final", "Final", "hasil = 'final tanpa keberatan'", lane="Pegawai", col=4)
    p.end("e_final", lane="Pegawai", col=5)
    p.script("catat", "Catat keberatan", "hasil = 'keberatan diajukan'", lane="Pegawai", col=3)
    p.end("e_ajukan", lane="Pegawai", col=4)
    p.chain("s", "batas", "ajukan", "catat", "e_ajukan")
    p.chain("ingatkan", "catat_ingat", "e_ingat")
    p.chain("lewat", "final", "e_final")
    return document(p).encode()


WIB_DELIVERY = datetime(2024, 3, 1, 3, 0, tzinfo=UTC)  # 10:00 WIB on 1 March
LAST_SECOND = datetime(2024, 3, 15, 16, 59, 59, tzinfo=UTC)  # 23:59:59 WIB on 15 March, the 14th day
NEXT_DAY = datetime(2024, 3, 15, 17, 0, 0, tzinfo=UTC)  # 00:00:00 WIB on 16 March


@pytest.fixture
def window(eng: Engine, org: dict[str, int], clock: FixedClock) -> int:
    clock.set(WIB_DELIVERY)
    deploy(eng, {"window.bpmn": window_process()}, None)
    return instances.start_instance(eng, "p_window", org["admin"], org["budi"], "2024").id


def open_task(eng: Engine, instance_id: int) -> TaskIndex:
    with eng.session_factory() as s:
        return s.scalars(select(TaskIndex).where(TaskIndex.instance_id == instance_id,
                                                 TaskIndex.closed_at.is_(None))).one()


def last_data(eng: Engine, instance_id: int) -> dict:
    with eng.session_factory() as s:
        inst = s.get(Instance, instance_id)
        bundle = eng.specs.for_version(s, inst.process_version_id)
        return dict(eng.runtime.load(inst, bundle).last_task.data)


def test_the_window_ends_at_23_59_59_jakarta_on_the_14th_calendar_day(eng: Engine, window: int) -> None:
    row = open_task(eng, window)
    assert row.due_at == LAST_SECOND
    with eng.session_factory() as s:
        assert s.get(Instance, window).next_timer_at == datetime(2024, 3, 4, 3, 0, tzinfo=UTC)  # the reminder


def test_a_completion_in_the_last_second_is_accepted(eng: Engine, window: int, clock: FixedClock,
                                                    org: dict[str, int]) -> None:
    clock.set(LAST_SECOND)
    summary = instances.complete_task(eng, org["budi"], open_task(eng, window).id, {})
    assert summary.status == "completed"
    assert last_data(eng, window)["hasil"] == "keberatan diajukan"


def test_a_late_completion_is_refused_before_any_worker_has_run(eng: Engine, window: int, clock: FixedClock,
                                                                org: dict[str, int]) -> None:
    task_id = open_task(eng, window).id
    clock.set(NEXT_DAY)  # no worker pass: the reminder and the deadline are both due, neither fired
    with pytest.raises(Conflict) as refused:
        instances.complete_task(eng, org["budi"], task_id, {})
    assert "deadline" in str(refused.value)
    # The deadline's path is stored by that same call: the result is final and the task is closed.
    with eng.session_factory() as s:
        inst = s.get(Instance, window)
        row = s.get(TaskIndex, task_id)
        fired = s.scalars(select(AuditEvent).where(AuditEvent.kind == "timer.fired",
                                                   AuditEvent.instance_id == window)).all()
    assert inst.status == "completed" and row.outcome == "cancelled"
    assert last_data(eng, window)["hasil"] == "final tanpa keberatan"
    assert fired and all(e.actor == "system" for e in fired)
    assert fire_due_timers(eng) == 0  # nothing left for the worker
    with pytest.raises(Conflict):
        instances.complete_task(eng, org["budi"], task_id, {})


def test_a_due_reminder_does_not_stop_a_completion(eng: Engine, window: int, clock: FixedClock,
                                                   org: dict[str, int]) -> None:
    clock.set(datetime(2024, 3, 5, tzinfo=UTC))  # the non-interrupting reminder is due, the deadline is not
    summary = instances.complete_task(eng, org["budi"], open_task(eng, window).id, {})
    assert summary.status == "completed"
    data = last_data(eng, window)
    assert data["hasil"] == "keberatan diajukan"
    with eng.session_factory() as s:
        kinds = [e.kind for e in s.scalars(select(AuditEvent).where(AuditEvent.instance_id == window)
                                           .order_by(AuditEvent.id))]
    assert kinds.index("timer.fired") < kinds.index("task.completed")


def test_a_plain_duration_deadline_wins_too(eng: Engine, org: dict[str, int], clock: FixedClock) -> None:
    p = Process("p_p1d", "P1D", lanes=["Pegawai"])
    p.start("s", lane="Pegawai", col=0)
    p.user("ajukan", "Ajukan", lane="Pegawai", col=1)
    p.boundary("lewat", "Sehari", "ajukan", timer=("timeDuration", '"P1D"'))
    p.end("e_ajukan", lane="Pegawai", col=2)
    p.end("e_lewat", lane="Pegawai", col=3)
    p.chain("s", "ajukan", "e_ajukan")
    p.chain("lewat", "e_lewat")
    deploy(eng, {"p1d.bpmn": document(p).encode()}, None)
    started = instances.start_instance(eng, "p_p1d", org["admin"], org["budi"], "2024")
    clock.advance(days=1, seconds=1)
    with pytest.raises(Conflict, match="deadline"):
        instances.complete_task(eng, org["budi"], started.ready_task_ids[0], {})
    with eng.session_factory() as s:
        assert s.get(Instance, started.id).status == "completed"


@pytest.mark.parametrize(("now", "params", "expected"), [
    (datetime(2024, 3, 1, 3, 0, tzinfo=UTC), {"days": 14}, "2024-03-15T23:59:59+07:00"),
    # 18:00 UTC is already the next day in Jakarta: the 14 days count from there.
    (datetime(2024, 3, 1, 18, 0, tzinfo=UTC), {"days": 14}, "2024-03-16T23:59:59+07:00"),
    (datetime(2024, 3, 1, 3, 0, tzinfo=UTC), {"days": "0", "time": "17:00", "timezone": "Asia/Makassar"},
     "2024-03-01T17:00:00+08:00"),
    (datetime(2024, 2, 20, 3, 0, tzinfo=UTC), {"days": 14}, "2024-03-05T23:59:59+07:00"),  # leap year
])
def test_end_of_day_counts_calendar_days_in_the_zone(now: datetime, params: dict, expected: str) -> None:
    from types import SimpleNamespace

    assert builtin_operations()["end_of_day"](SimpleNamespace(now=now), params, {}) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(("params", "message"), [
    ({}, "end_of_day needs days as a whole number from 0 to 3660, got None"),
    ({"days": -1}, "got -1"), ({"days": True}, "got True"), ({"days": 99999}, "got 99999"),
    ({"days": 1, "timezone": "Bulan/Purnama"}, "Bulan/Purnama"), ({"days": 1, "time": "24:00"}, "end_of_day:"),
])
def test_end_of_day_refuses_bad_parameters(params: dict, message: str) -> None:
    from types import SimpleNamespace

    with pytest.raises(ValueError, match=message):
        builtin_operations()["end_of_day"](SimpleNamespace(now=WIB_DELIVERY), params, {})  # type: ignore[arg-type]
