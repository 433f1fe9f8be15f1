"""Administrator operations: suspend/resume, terminate, retry after correcting data, reassign; who may."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.runtime import Instance, TaskIndex
from engine.errors import Conflict, FormInvalid, InvalidState, NotFound, PermissionDenied, ProcessError
from engine.runtime.clock import FixedClock
from engine.services import admin_ops, inbox, instances
from engine.services.deployments import deploy
from engine.services.timers import fire_due_timers
from tools.bpmn_builder import Process, document

from .helpers import one_script_process
from .test_run import CAPAIAN


def started(eng: Engine, org: dict[str, int]) -> instances.InstanceSummary:
    return instances.start_instance(eng, "demo_penilaian", org["admin"], org["budi"], "2024")


def load(eng: Engine, instance_id: int) -> Instance:
    with eng.session_factory() as s:
        return s.get(Instance, instance_id)


def events(eng: Engine, kind: str) -> list[AuditEvent]:
    with eng.session_factory() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.id)))


def errored_by_script(eng: Engine, org: dict[str, int]) -> instances.InstanceSummary:
    """An instance whose script fails when budi completes the first task (``jumlah`` is missing)."""
    deploy(eng, {"p.bpmn": one_script_process("total = 1\nratio = total / jumlah")}, None)
    summary = instances.start_instance(eng, "p_script", org["admin"], org["budi"], "2024")
    with pytest.raises(ProcessError):
        instances.complete_task(eng, org["budi"], summary.ready_task_ids[0], {})
    return summary


OPERATIONS: dict[str, Callable[[Engine, int, instances.InstanceSummary], Any]] = {
    "suspend": lambda e, actor, s: admin_ops.suspend(e, actor, s.id, "cek"),
    "resume": lambda e, actor, s: admin_ops.resume(e, actor, s.id),
    "terminate": lambda e, actor, s: admin_ops.terminate(e, actor, s.id, "salah input"),
    "retry": lambda e, actor, s: admin_ops.retry(e, actor, s.id, {"x": 1}),
    "reassign": lambda e, actor, s: admin_ops.reassign(e, actor, s.ready_task_ids[0], actor),
    "list": lambda e, actor, s: admin_ops.list_instances(e, actor),
    "detail": lambda e, actor, s: admin_ops.get_instance(e, actor, s.id),
}


@pytest.mark.parametrize("username", ["budi", "dewi", "indah", "pemilik"])
def test_only_administrators_may_operate(demo_deployed: Engine, org: dict[str, int], username: str) -> None:
    summary = started(demo_deployed, org)
    for operation in OPERATIONS.values():
        with pytest.raises(PermissionDenied, match="Only an administrator"):
            operation(demo_deployed, org[username], summary)
    after = load(demo_deployed, summary.id)
    assert after.status == "running" and after.version == summary.version


def test_suspend_blocks_work_until_resumed(demo_deployed: Engine, org: dict[str, int]) -> None:
    eng, summary = demo_deployed, started(demo_deployed, org)
    result = admin_ops.suspend(eng, org["admin"], summary.id, "menunggu klarifikasi")
    assert result.status == "suspended" and result.version > summary.version
    with pytest.raises(InvalidState, match="suspended"):
        instances.complete_task(eng, org["budi"], summary.ready_task_ids[0], CAPAIAN)
    assert events(eng, "instance.suspended")[0].data["reason"] == "menunggu klarifikasi"
    assert admin_ops.resume(eng, org["admin"], summary.id).status == "running"
    assert len(events(eng, "instance.resumed")) == 1
    assert instances.complete_task(eng, org["budi"], summary.ready_task_ids[0], CAPAIAN).status == "running"


def test_refusals_say_why_with_a_code_and_parameters(demo_deployed: Engine, org: dict[str, int]) -> None:
    eng, summary = demo_deployed, started(demo_deployed, org)
    admin = org["admin"]
    with pytest.raises(InvalidState, match=r"^Instance #\d+ is running, so it cannot be resumed$") as info:
        admin_ops.resume(eng, admin, summary.id)
    assert info.value.code == "instance.cannot_resume" and info.value.params["id"] == summary.id
    assert info.value.params["status"].text == "running"  # the status word is translated with the sentence
    with pytest.raises(InvalidState, match="cannot be retried"):
        admin_ops.retry(eng, admin, summary.id, {})
    admin_ops.suspend(eng, admin, summary.id)
    with pytest.raises(InvalidState, match="is suspended, so it cannot be suspended"):
        admin_ops.suspend(eng, admin, summary.id)
    admin_ops.terminate(eng, admin, summary.id, "duplikat")
    for action in (admin_ops.resume, admin_ops.suspend):
        with pytest.raises(InvalidState, match="is terminated"):
            action(eng, admin, summary.id)
    with pytest.raises(InvalidState, match="Instance #\\d+ is terminated, so it cannot be terminated"):
        admin_ops.terminate(eng, admin, summary.id, "lagi")
    with pytest.raises(NotFound):
        admin_ops.suspend(eng, admin, 999_999)


def test_a_completed_instance_cannot_be_terminated(eng: Engine, org: dict[str, int]) -> None:
    p = Process("p_one", "One task", lanes=["Pegawai"])
    p.start("s", lane="Pegawai", col=0)
    p.user("isi", "Isi", lane="Pegawai", col=1)
    p.end("e", lane="Pegawai", col=2)
    p.chain("s", "isi", "e")
    deploy(eng, {"one.bpmn": document(p).encode()}, None)
    summary = instances.start_instance(eng, "p_one", org["admin"], org["budi"], "2024")
    assert instances.complete_task(eng, org["budi"], summary.ready_task_ids[0], {}).status == "completed"
    with pytest.raises(InvalidState, match="is completed, so it cannot be terminated") as info:
        admin_ops.terminate(eng, org["admin"], summary.id, "terlambat")
    assert info.value.code == "instance.cannot_terminate"


def test_terminate_needs_a_reason_and_cancels_open_tasks(demo_deployed: Engine, org: dict[str, int]) -> None:
    eng, summary = demo_deployed, started(demo_deployed, org)
    with pytest.raises(FormInvalid, match="reason is required"):
        admin_ops.terminate(eng, org["admin"], summary.id, "  ")
    assert load(eng, summary.id).status == "running"
    result = admin_ops.terminate(eng, org["admin"], summary.id, "pegawai pindah instansi")
    assert result.status == "terminated"
    inst = load(eng, summary.id)
    assert inst.completed_at == eng.now() and inst.next_timer_at is None
    with eng.session_factory() as s:
        rows = s.scalars(select(TaskIndex).where(TaskIndex.instance_id == summary.id)).all()
    assert rows and all(r.closed_at is not None and r.outcome == "cancelled" for r in rows)
    assert inbox.count(eng, org["budi"]) == 0
    with pytest.raises(Conflict, match="cancelled"):
        instances.complete_task(eng, org["budi"], summary.ready_task_ids[0], CAPAIAN)
    event = events(eng, "instance.terminated")[0]
    assert event.actor == "admin" and event.data["reason"] == "pegawai pindah instansi"
    assert event.data["cancelled_tasks"] == summary.ready_task_ids


def test_stale_version_is_a_conflict(demo_deployed: Engine, org: dict[str, int]) -> None:
    eng, summary = demo_deployed, started(demo_deployed, org)
    admin_ops.suspend(eng, org["admin"], summary.id, expected_version=summary.version)
    with pytest.raises(Conflict, match="reload the page"):
        admin_ops.resume(eng, org["admin"], summary.id, expected_version=summary.version)
    assert load(eng, summary.id).status == "suspended"


def test_errored_instances_are_listed_with_their_error(eng: Engine, org: dict[str, int]) -> None:
    summary = errored_by_script(eng, org)
    page = admin_ops.list_instances(eng, org["admin"], status="error")
    assert [row.id for row in page.items] == [summary.id]
    assert page.items[0].error_task == "Run script" and page.items[0].error_line == 2
    assert "jumlah" in (page.items[0].error_message or "")
    detail = admin_ops.get_instance(eng, org["admin"], summary.id)
    assert detail.allowed == ("retry", "terminate")
    assert detail.open_tasks[0].title == "First" and "periode" in detail.open_tasks[0].data
    assert admin_ops.list_instances(eng, org["admin"], status="running").total == 0
    with pytest.raises(NotFound):
        admin_ops.list_instances(eng, org["admin"], status="bogus")


def test_retry_after_correcting_data_lets_the_user_finish(eng: Engine, org: dict[str, int]) -> None:
    summary = errored_by_script(eng, org)
    result = admin_ops.retry(eng, org["admin"], summary.id, {"jumlah": 4})
    inst = load(eng, summary.id)
    assert result.status == "running" and inst.error_message is None and inst.error_line is None
    assert events(eng, "instance.retried")[0].data == {
        "ok": True, "patch": {"jumlah": 4},
        "previous_error": {"message": events(eng, "instance.errored")[0].data["message"],
                           "task": "Run script", "line": 2}}
    # The failed step was completing "First": budi completes it again and the process moves on.
    after = instances.complete_task(eng, org["budi"], summary.ready_task_ids[0], {})
    second = instances.get_task(eng, org["budi"], after.ready_task_ids[0])
    assert second.title == "Second" and second.data["ratio"] == 0.25


def timer_script_process() -> bytes:
    """start -> 1 hour timer -> failing-prone script -> user task -> end."""
    p = Process("p_timer_script", "Timer then script", lanes=["Pegawai"])
    p.start("s", lane="Pegawai", col=0)
    p.catch("tunggu", "Tunggu", lane="Pegawai", col=1, timer=("timeDuration", '"PT1H"'))
    p.script("hitung", "Hitung", "total = 1\nratio = total / jumlah", lane="Pegawai", col=2)
    p.user("lihat", "Lihat hasil", lane="Pegawai", col=3)
    p.end("e", lane="Pegawai", col=4)
    p.chain("s", "tunggu", "hitung", "lihat", "e")
    return document(p).encode()


def test_retry_of_a_failed_timer_step_runs_it_again(eng: Engine, org: dict[str, int], clock: FixedClock) -> None:
    deploy(eng, {"t.bpmn": timer_script_process()}, None)
    summary = instances.start_instance(eng, "p_timer_script", org["admin"], org["budi"], "2024")
    clock.advance(hours=2)
    fire_due_timers(eng)
    assert load(eng, summary.id).status == "error"
    with pytest.raises(ProcessError, match="The retry failed: .*ZeroDivisionError|division"):
        admin_ops.retry(eng, org["admin"], summary.id, {"jumlah": 0})
    inst = load(eng, summary.id)
    assert inst.status == "error" and "division" in inst.error_message and inst.error_task == "Hitung"
    assert [e.data["ok"] for e in events(eng, "instance.retried")] == [False]
    assert admin_ops.retry(eng, org["admin"], summary.id, {"jumlah": 4}).status == "running"
    (task_id,) = [t.id for t in inbox.inbox(eng, org["budi"]).items]
    assert instances.get_task(eng, org["budi"], task_id).data["ratio"] == 0.25


def test_reassign_moves_the_task_to_another_inbox(demo_deployed: Engine, org: dict[str, int]) -> None:
    eng, summary = demo_deployed, started(demo_deployed, org)
    task_id = summary.ready_task_ids[0]
    result = admin_ops.reassign(eng, org["admin"], task_id, org["siti"])
    assert result.version > summary.version
    assert [t.id for t in inbox.inbox(eng, org["siti"]).items] == [task_id]
    assert inbox.count(eng, org["budi"]) == 0
    with pytest.raises(InvalidState, match="already assigned to Siti Aminah"):
        admin_ops.reassign(eng, org["admin"], task_id, org["siti"])
    with pytest.raises(NotFound, match="User not found"):
        admin_ops.reassign(eng, org["admin"], task_id, 999_999)
    event = events(eng, "task.reassigned")[0]
    assert (event.data["from_user"], event.data["to_user"], event.task_id) == (None, org["siti"], task_id)
    with pytest.raises(Conflict):  # a form budi opened before the change
        instances.complete_task(eng, org["siti"], task_id, CAPAIAN, expected_version=summary.version)
    assert instances.complete_task(eng, org["siti"], task_id, CAPAIAN).status == "running"
    with pytest.raises(InvalidState, match="closed"):
        admin_ops.reassign(eng, org["admin"], task_id, org["budi"])


def test_reassign_refuses_an_inactive_user(demo_deployed: Engine, org: dict[str, int]) -> None:
    from engine.db.org import User

    eng, summary = demo_deployed, started(demo_deployed, org)
    with eng.session_factory.begin() as s:
        s.get(User, org["siti"]).active = False
    with pytest.raises(InvalidState, match="is not active"):
        admin_ops.reassign(eng, org["admin"], summary.ready_task_ids[0], org["siti"])
    assert "Siti Aminah" not in [u.full_name for u in admin_ops.user_choices(eng, org["admin"], "siti")]
    assert admin_ops.find_user(eng, org["admin"], "siti") == org["siti"]  # found, and refused above by reassign
    with pytest.raises(PermissionDenied):
        admin_ops.user_choices(eng, org["budi"], "siti")
