"""Notifications for new, due and overdue tasks, and e-mail through a real SMTP server started by the test."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from engine.core import Engine
from engine.db.notify import EmailOutbox, Notification
from engine.errors import NotFound
from engine.runtime.clock import FixedClock
from engine.services import admin_ops, instances
from engine.services import notifications as notes
from engine.services.deployments import deploy
from engine.services.notifications import SmtpSettings
from tools.bpmn_builder import Process, document

from .test_run import CAPAIAN

HR_MEMBERS = ["indah", "joko", "kartini", "lukman", "maya"]


def titles(eng: Engine, user_id: int) -> list[str]:
    """What the user's notification list says, newest first: "<kind>: <task title>"."""
    return [f"{n.kind}: {n.title}" for n in notes.list_for(eng, user_id).items]


def outbox(eng: Engine) -> list[EmailOutbox]:
    with eng.session_factory() as s:
        return list(s.scalars(select(EmailOutbox).order_by(EmailOutbox.id)))


def one_task_process(lane: str = "Pegawai", properties: dict[str, str] | None = None) -> bytes:
    p = Process("p_one", "One task", lanes=[lane])
    p.start("s", lane=lane, col=0)
    p.user("isi", "Isi laporan", lane=lane, col=1, properties=properties)
    p.end("e", lane=lane, col=2)
    p.chain("s", "isi", "e")
    return document(p).encode()


# --- in-app -------------------------------------------------------------------------------------


def _plain_notice(eng: Engine, user_id: int, title: str, at: Any, read: bool = False) -> int:
    """A notice that names no task (as "SKP returned" is), created at ``at``."""
    with eng.session_factory.begin() as s:
        note = Notification(user_id=user_id, kind="skp_returned", title=title, body="", created_at=at,
                            read_at=at if read else None)
        s.add(note)
        s.flush()
        return note.id


def test_a_new_task_is_announced_to_whoever_may_act_on_it(demo_deployed: Engine, org: dict[str, int]) -> None:
    eng = demo_deployed
    started = instances.start_instance(eng, "demo_penilaian", org["admin"], org["budi"], "2024")
    assert titles(eng, org["budi"]) == ["task_ready: Isi capaian kinerja"]
    assert notes.unread_count(eng, org["budi"]) == 1 and notes.unread_count(eng, org["dewi"]) == 0
    instances.complete_task(eng, org["budi"], started.ready_task_ids[0], CAPAIAN)
    # The next step is the assessor's (dewi, the holder of budi's superior position).
    assert titles(eng, org["dewi"]) == ["task_ready: Tinjau capaian"]
    item = notes.list_for(eng, org["dewi"]).items[0]
    assert "Budi Santoso" in item.body and "2024" in item.body and item.task_id


def test_a_group_task_is_announced_to_every_member(eng: Engine, org: dict[str, int]) -> None:
    deploy(eng, {"one.bpmn": one_task_process("Biro SDM")}, None)
    instances.start_instance(eng, "p_one", org["admin"], org["budi"], "2024")
    told = sorted(name for name, uid in org.items() if notes.unread_count(eng, uid))
    assert told == sorted(HR_MEMBERS)


def test_users_see_and_mark_only_their_own(demo_deployed: Engine, org: dict[str, int], clock: FixedClock) -> None:
    eng = demo_deployed
    instances.start_instance(eng, "demo_penilaian", org["admin"], org["budi"], "2024")
    instances.start_instance(eng, "demo_penilaian", org["admin"], org["siti"], "2024")
    budi_note = notes.list_for(eng, org["budi"]).items[0]
    with pytest.raises(NotFound):
        notes.mark_read(eng, org["siti"], budi_note.id)
    assert notes.unread_count(eng, org["budi"]) == 1
    assert notes.mark_read(eng, org["budi"], budi_note.id) == 1
    assert notes.list_for(eng, org["budi"]).items[0].read
    assert notes.unread_count(eng, org["siti"]) == 1
    assert notes.mark_read(eng, org["siti"]) == 1 and notes.unread_count(eng, org["siti"]) == 0


def test_reminder_before_the_due_date_and_notice_when_overdue_once_each(eng: Engine, org: dict[str, int],
                                                                         clock: FixedClock) -> None:
    deploy(eng, {"one.bpmn": one_task_process(properties={"dueInDays": "5"})}, None)
    instances.start_instance(eng, "p_one", org["admin"], org["budi"], "2024")
    assert notes.notify_due(eng, clock.now()) == 0  # five days left, reminders start two days before
    clock.advance(days=3, hours=1)
    assert notes.notify_due(eng, clock.now()) == 1
    assert notes.notify_due(eng, clock.now()) == 0
    clock.advance(days=2)
    assert notes.notify_due(eng, clock.now()) == 1
    assert notes.notify_due(eng, clock.advance(days=1)) == 0
    assert titles(eng, org["budi"]) == ["overdue: Isi laporan", "due_soon: Isi laporan",
                                        "task_ready: Isi laporan"]


def test_suspended_instances_send_no_reminders(eng: Engine, org: dict[str, int], clock: FixedClock) -> None:
    deploy(eng, {"one.bpmn": one_task_process(properties={"dueInDays": "1"})}, None)
    started = instances.start_instance(eng, "p_one", org["admin"], org["budi"], "2024")
    admin_ops.suspend(eng, org["admin"], started.id, "cek")
    assert notes.notify_due(eng, clock.advance(days=2)) == 0
    admin_ops.resume(eng, org["admin"], started.id)
    assert notes.notify_due(eng, clock.now()) == 1


def test_reassigned_task_is_announced_to_the_new_assignee(demo_deployed: Engine, org: dict[str, int]) -> None:
    started = instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], "2024")
    admin_ops.reassign(demo_deployed, org["admin"], started.ready_task_ids[0], org["siti"])
    assert titles(demo_deployed, org["siti"]) == ["task_assigned: Isi capaian kinerja"]


# --- e-mail -------------------------------------------------------------------------------------


@dataclass
class Mailbox:
    """An aiosmtpd handler that keeps what it receives, or refuses every recipient."""

    refuse: bool = False
    received: list[Any] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                          rcpt_options: list[str]) -> str:
        if self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.received.append(envelope)
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, SmtpSettings]]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, SmtpSettings(host="127.0.0.1", port=controller.port, starttls=False, sender="smk@demo.go.id",
                            base_url="https://smk.example")
    controller.stop()


@pytest.fixture
def mail_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")


def test_email_is_off_without_smtp_host(demo_deployed: Engine, org: dict[str, int],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMTP_HOST", raising=False)
    instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], "2024")
    assert notes.unread_count(demo_deployed, org["budi"]) == 1 and outbox(demo_deployed) == []
    assert [name for name, _ in notes.worker_jobs({})] == ["reminders", "old notifications"]
    assert [name for name, _ in notes.worker_jobs({"SMTP_HOST": "mail"})] == ["reminders", "old notifications", "email"]


def test_queued_email_arrives_at_the_smtp_server(demo_deployed: Engine, org: dict[str, int], clock: FixedClock,
                                                 mail_on: None, mailbox: tuple[Mailbox, SmtpSettings]) -> None:
    box, settings = mailbox
    started = instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], "2024")
    assert [row.status for row in outbox(demo_deployed)] == ["pending"]  # queued, not sent in the request
    assert box.received == []
    report = notes.send_pending_email(demo_deployed, settings, clock.now())
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    (envelope,) = box.received
    assert envelope.rcpt_tos == ["budi@demo.smk.go.id"]
    message = message_from_bytes(envelope.content)
    assert message["Subject"] == "[SMK] Tugas baru / New task: Isi capaian kinerja"
    assert message["From"] == "smk@demo.go.id"
    assert f"https://smk.example/tasks/{started.ready_task_ids[0]}" in message.get_payload(decode=True).decode()
    (row,) = outbox(demo_deployed)
    assert row.status == "sent" and row.sent_at == clock.now() and row.attempts == 1
    assert notes.send_pending_email(demo_deployed, settings, clock.now()).sent == 0  # never twice


def test_refused_recipient_is_retried_later_with_the_error_recorded(
        demo_deployed: Engine, org: dict[str, int], clock: FixedClock, mail_on: None,
        mailbox: tuple[Mailbox, SmtpSettings]) -> None:
    box, settings = mailbox
    box.refuse = True
    instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], "2024")
    report = notes.send_pending_email(demo_deployed, settings, clock.now())
    assert (report.sent, report.retrying) == (0, 1)
    (row,) = outbox(demo_deployed)
    assert row.status == "pending" and row.attempts == 1 and "550" in row.last_error
    assert row.next_attempt_at == clock.now() + timedelta(minutes=1)
    assert notes.send_pending_email(demo_deployed, settings, clock.now()).retrying == 0  # not yet due
    box.refuse = False
    assert notes.send_pending_email(demo_deployed, settings, clock.advance(minutes=1)).sent == 1
    assert [e.rcpt_tos for e in box.received] == [["budi@demo.smk.go.id"]]
    assert outbox(demo_deployed)[0].last_error is None


def test_unreachable_server_backs_off_then_gives_up(demo_deployed: Engine, org: dict[str, int],
                                                    clock: FixedClock, mail_on: None) -> None:
    nobody = SmtpSettings(host="127.0.0.1", port=free_port(), starttls=False, timeout=2)
    instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], "2024")
    waits = []
    for _ in range(3):
        report = notes.send_pending_email(demo_deployed, nobody, clock.now(), max_attempts=3)
        (row,) = outbox(demo_deployed)
        assert "ConnectionRefusedError" in row.last_error
        waits.append(row.next_attempt_at - clock.now())
        clock.set(row.next_attempt_at)
    assert waits[:2] == [timedelta(minutes=1), timedelta(minutes=2)]
    assert report.failed == 1 and outbox(demo_deployed)[0].status == "failed"
    assert notes.send_pending_email(demo_deployed, nobody, clock.advance(days=1)).failed == 0


def test_a_sender_that_died_mid_batch_does_not_strand_its_mail(
        demo_deployed: Engine, org: dict[str, int], clock: FixedClock, mail_on: None,
        mailbox: tuple[Mailbox, SmtpSettings], monkeypatch: pytest.MonkeyPatch) -> None:
    box, settings = mailbox
    instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], "2024")
    monkeypatch.setattr(notes, "_deliver", lambda *args: (_ for _ in ()).throw(SystemExit))
    with pytest.raises(SystemExit):
        notes.send_pending_email(demo_deployed, settings, clock.now())
    monkeypatch.undo()
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    assert outbox(demo_deployed)[0].status == "sending"
    assert notes.send_pending_email(demo_deployed, settings, clock.advance(minutes=1)).sent == 0  # leased
    assert notes.send_pending_email(demo_deployed, settings, clock.advance(minutes=5)).sent == 1
    assert len(box.received) == 1


def test_users_without_an_address_get_only_the_in_app_notice(eng: Engine, org: dict[str, int],
                                                             mail_on: None) -> None:
    deploy(eng, {"one.bpmn": one_task_process("Administrator")}, None)
    instances.start_instance(eng, "p_one", org["admin"], org["budi"], "2024")
    assert notes.unread_count(eng, org["admin"]) == 1 and outbox(eng) == []


def test_smtp_settings_come_from_the_environment() -> None:
    assert SmtpSettings.from_env({}) is None
    settings = SmtpSettings.from_env({"SMTP_HOST": "mail.go.id", "SMTP_PORT": "2525", "SMTP_USER": "u",
                                      "SMTP_PASSWORD": "s3cret-pw", "SMTP_FROM": "smk@go.id", "SMTP_STARTTLS": "0"})
    assert settings == SmtpSettings("mail.go.id", 2525, "u", "s3cret-pw", "smk@go.id", False)
    assert "s3cret-pw" not in repr(settings)  # never in logs


def test_recipients_are_exactly_the_people_who_may_act(demo_deployed: Engine, org: dict[str, int]) -> None:
    """Notifications compute candidates from the task's side; the inbox rule must agree for everyone."""
    from sqlalchemy import select

    from engine.access import may_act
    from engine.db.org import User
    from engine.db.runtime import TaskIndex
    from engine.services import org as org_service
    from engine.services.notifications import recipients

    eng = demo_deployed
    for username in ("budi", "joko", "eko"):
        started = instances.start_instance(eng, "demo_penilaian", org["admin"], org[username], "2024")
        after = instances.complete_task(eng, org[username], started.ready_task_ids[0], CAPAIAN)
        if username == "joko":
            after = instances.complete_task(eng, org["indah"], after.ready_task_ids[0],
                                            {"keputusan": "setuju", "perilaku": "Sesuai Ekspektasi"})
    org_service.set_assessor_override(eng, org["eko"], org["hendra"])
    with eng.session_factory.begin() as s:
        s.get(User, org["maya"]).active = False
    with eng.session_factory() as s:
        rows = s.scalars(select(TaskIndex).where(TaskIndex.closed_at.is_(None))).all()
        assert {r.lane for r in rows} >= {"Pejabat Penilai", "Biro SDM"}
        for row in rows:
            told = {u.id for u in recipients(s, row)}
            allowed = {uid for uid in org.values() if may_act(s, uid, row.id)}
            assert told == allowed, row.task_name


def test_a_task_nobody_can_act_on_is_reported_to_administrators_and_hr(demo_deployed: Engine,
                                                                        org: dict[str, int]) -> None:
    from engine.services import org as org_service

    eng = demo_deployed
    org_service.move_employee(eng, org["dewi"], None)  # budi's assessor position falls vacant
    started = instances.start_instance(eng, "demo_penilaian", org["admin"], org["budi"], "2024")
    instances.complete_task(eng, org["budi"], started.ready_task_ids[0], CAPAIAN)
    assert [t for t in titles(eng, org["admin"]) if t.startswith("task_unassigned")] == [
        "task_unassigned: Tinjau capaian"]
    assert any(t.startswith("task_unassigned") for t in titles(eng, org["indah"]))  # Biro SDM
    assert not any(t.startswith("task_unassigned") for t in titles(eng, org["budi"]))
    with eng.session_factory() as s:
        from engine.db.audit import AuditEvent

        event = s.scalars(select(AuditEvent).where(AuditEvent.kind == "task.unassigned")).one()
    assert event.task_name == "tinjau" and event.data["lane"] == "Pejabat Penilai"


# --- keeping the list short ---------------------------------------------------------------------


def test_old_notices_are_deleted_but_not_those_of_a_task_still_open(
        demo_deployed: Engine, org: dict[str, int], clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    eng = demo_deployed
    monkeypatch.delenv("SMK_NOTIFICATION_DAYS", raising=False)  # the default: 180 days
    budi = org["budi"]
    start = clock.now()
    open_task = instances.start_instance(eng, "demo_penilaian", org["admin"], budi, "2024")  # announced now
    done = instances.start_instance(eng, "demo_penilaian", org["admin"], org["siti"], "2025")
    instances.complete_task(eng, org["siti"], done.ready_task_ids[0], CAPAIAN)  # siti's notice: task closed
    _plain_notice(eng, budi, "old unread", start - timedelta(days=1))
    _plain_notice(eng, budi, "old read", start, read=True)
    assert notes.unread_count(eng, budi) == 2  # the task's notice and the old unread one
    clock.advance(days=180)
    recent = _plain_notice(eng, budi, "recent", clock.now() - timedelta(days=179))
    assert notes.clean_old_notifications(eng) == 1  # only "old unread": 181 days old; the others are 180
    clock.advance(days=1)
    with eng.session_factory.begin() as s:  # an e-mail queued for a notice keeps its text when the notice goes
        s.add(EmailOutbox(notification_id=recent, to_address="budi@example.go.id", subject="x", body="kept",
                          status="sent", attempts=1, next_attempt_at=clock.now(), created_at=clock.now()))
    assert notes.clean_old_notifications(eng) == 2  # "old read" and siti's notice of the task she completed
    assert titles(eng, budi) == ["skp_returned: recent", "task_ready: Isi capaian kinerja"]
    assert titles(eng, org["siti"]) == []
    assert notes.unread_count(eng, budi) == 2  # the open task still asks for something, whatever its age
    clock.advance(days=365)
    assert notes.clean_old_notifications(eng) == 1  # "recent" went; the open task's notice stays
    assert titles(eng, budi) == ["task_ready: Isi capaian kinerja"]
    assert [(m.notification_id, m.body) for m in outbox(eng)] == [(None, "kept")]
    instances.complete_task(eng, budi, open_task.ready_task_ids[0], CAPAIAN)
    assert notes.clean_old_notifications(eng) == 1  # done now, and more than 180 days old
    assert titles(eng, budi) == []


def test_how_long_notices_are_kept_comes_from_the_environment(
        demo_deployed: Engine, org: dict[str, int], clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    eng = demo_deployed
    _plain_notice(eng, org["budi"], "a week old", clock.now() - timedelta(days=7, seconds=1))
    monkeypatch.setenv("SMK_NOTIFICATION_DAYS", "8")
    assert notes.clean_old_notifications(eng) == 0
    monkeypatch.setenv("SMK_NOTIFICATION_DAYS", "7")
    assert notes.clean_old_notifications(eng) == 1
    monkeypatch.setenv("SMK_NOTIFICATION_DAYS", "0")
    with pytest.raises(ValueError, match="SMK_NOTIFICATION_DAYS must be a positive whole number"):
        notes.clean_old_notifications(eng)


def test_a_first_pass_over_many_old_notices_deletes_them_in_batches_and_the_job_runs_hourly(
        demo_deployed: Engine, org: dict[str, int], clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    eng = demo_deployed
    monkeypatch.setattr(notes, "CLEAN_BATCH", 3)
    monkeypatch.setattr(notes, "_last_clean_pass", {})
    for n in range(7):
        _plain_notice(eng, org["budi"], f"old {n}", clock.now() - timedelta(days=200))
    keep = _plain_notice(eng, org["budi"], "new", clock.now())
    assert notes.clean_old_notifications_job(eng) == 7  # three statements of 3, 3 and 1
    assert [n.id for n in notes.list_for(eng, org["budi"]).items] == [keep]
    _plain_notice(eng, org["budi"], "old again", clock.now() - timedelta(days=200))
    assert notes.clean_old_notifications_job(eng) == 0  # within the hour: not looked at again
    monkeypatch.setattr(notes, "_last_clean_pass", {eng.database_url: time.monotonic() - notes.CLEAN_PASS_SECONDS - 1})
    assert notes.clean_old_notifications_job(eng) == 1


def test_sent_and_failed_email_is_deleted_after_the_same_days_but_never_one_still_to_send(
        demo_deployed: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    eng = demo_deployed
    monkeypatch.delenv("SMK_NOTIFICATION_DAYS", raising=False)
    old = clock.now() - timedelta(days=181)
    with eng.session_factory.begin() as s:
        for status in ("sent", "failed", "pending", "sending"):
            s.add(EmailOutbox(to_address=f"{status}@example.go.id", subject=status, body="", status=status,
                              attempts=1, next_attempt_at=old, created_at=old))
        s.add(EmailOutbox(to_address="new@example.go.id", subject="new", body="", status="sent", attempts=1,
                          next_attempt_at=clock.now(), created_at=clock.now() - timedelta(days=179)))
    assert notes.clean_old_email(eng) == 2
    assert sorted(m.subject for m in outbox(eng)) == ["new", "pending", "sending"]
