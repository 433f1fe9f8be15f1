"""In-app notifications (new task, reminder, overdue) and the e-mail outbox that a background sender drains.

Recipients are resolved when a task becomes ready (or due), by the same lane rules as the inbox
(engine/assignment.py). E-mail is off unless ``SMTP_HOST`` is set; then every notification for a user
with an e-mail address who has not turned e-mail off (``User.email_notifications``, on the account page) also
queues an outbox row, and ``send_pending_email`` (called by the worker, never by a web request) sends it,
retrying with backoff.

A set-password e-mail carries a one-time link whose secret must not be readable from the outbox table: its row
names a ``PasswordLink`` reserved for the e-mail (with an unusable hash), and the sender makes the secret when it
sends the row, storing only its SHA-256 (``_claim``). A link used, expired or replaced before then is not sent.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import smtplib
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any, cast

from sqlalchemy import CursorResult, Table, and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.util import identity_key

from engine.access import LANES, SUBJECT, SUPERIOR, SUPERIOR_2, superior_ids
from engine.core import Engine
from engine.db.base import unclaimed
from engine.db.notify import (
    DUE_SOON,
    FAILED,
    OVERDUE,
    PENDING,
    SENDING,
    SENT,
    TASK_ASSIGNED,
    TASK_READY,
    TASK_UNASSIGNED,
    EmailOutbox,
    Notification,
)
from engine.db.org import Group, GroupMember, PasswordLink, User
from engine.db.runtime import RUNNING, WAITING, Instance, TaskIndex
from engine.errors import N_, NotFound
from engine.limits import current as current_limits
from engine.services import audit, fallback
from engine.services.inbox import Page

SET_PASSWORD_PATH = "/akun/sandi/"  # + the token: the page that sets a password with a one-time link
DEFAULT_REMINDER_DAYS = 2.0
MAX_ATTEMPTS = 6
# A claimed row is retried by another sender if its sender has not finished within this time.
SEND_LEASE = timedelta(minutes=5)

TITLES = {
    TASK_READY: "Tugas baru / New task",
    TASK_ASSIGNED: "Tugas dialihkan kepada Anda / Task assigned to you",
    DUE_SOON: "Tenggat mendekat / Due soon",
    OVERDUE: "Melewati tenggat / Overdue",
    TASK_UNASSIGNED: "Tugas tanpa pelaksana / Task nobody can act on",
}


# --- settings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the SMTP server; build it with ``from_env`` (None means e-mail is off)."""

    host: str
    port: int = 587
    user: str = ""
    password: str = field(default="", repr=False)
    sender: str = "smk-workflow@localhost"
    starttls: bool = True
    timeout: float = 10.0
    base_url: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SmtpSettings | None:
        """Read SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASSWORD, SMTP_FROM, SMTP_STARTTLS, SMK_BASE_URL."""
        env = os.environ if environ is None else environ
        host = env.get("SMTP_HOST", "").strip()
        if not host:
            return None
        return cls(host=host, port=int(env.get("SMTP_PORT") or 587), user=env.get("SMTP_USER", ""),
                   password=env.get("SMTP_PASSWORD", ""),
                   sender=env.get("SMTP_FROM") or "smk-workflow@localhost",
                   starttls=env.get("SMTP_STARTTLS", "1").strip().lower() not in ("0", "false", "no", "off"),
                   timeout=float(env.get("SMTP_TIMEOUT") or 10), base_url=env.get("SMK_BASE_URL", "").rstrip("/"))


def email_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """Tell whether notifications also queue e-mail (SMTP_HOST is set)."""
    return bool((os.environ if environ is None else environ).get("SMTP_HOST", "").strip())


def reminder_days(environ: Mapping[str, str] | None = None) -> float:
    """Return how many days before its due date a task is reminded of (SMK_REMINDER_DAYS, default 2)."""
    value = (os.environ if environ is None else environ).get("SMK_REMINDER_DAYS", "")
    try:
        return float(value) if value.strip() else DEFAULT_REMINDER_DAYS
    except ValueError:
        return DEFAULT_REMINDER_DAYS


# --- recipients ---------------------------------------------------------------------------------


def _members(session: Session, groups: Iterable[str]) -> set[int]:
    names = [g for g in groups if g]
    if not names:
        return set()
    return set(session.scalars(select(GroupMember.user_id).join(Group, Group.id == GroupMember.group_id)
                               .where(Group.name.in_(names))))


def _csv(value: str) -> list[str]:
    return [v for v in value.split(",") if v]


def recipients(session: Session, row: TaskIndex) -> list[User]:
    """Return the active users who may act on the task now: its assignee, else its lane's candidates."""
    if row.assignee_id is not None:
        ids = {row.assignee_id}
    else:
        ids = set()
        relation = LANES.relation_of(row.lane)
        if relation == SUBJECT:
            ids.update({row.subject_id} if row.subject_id else set())
        elif relation == SUPERIOR and row.subject_id:
            ids.update(superior_ids(session, row.subject_id))
        elif relation == SUPERIOR_2 and row.subject_id:
            for assessor in superior_ids(session, row.subject_id):
                ids.update(superior_ids(session, assessor))
        else:
            ids.update(_members(session, [row.lane or ""]))
        ids.update(_members(session, _csv(row.candidate_groups)))
        usernames = _csv(row.candidate_users)
        if usernames:
            ids.update(session.scalars(select(User.id).where(User.username.in_(usernames))))
    if not ids:
        return []
    # The same rule as assignment.may_act, computed from the task's side (a test proves they agree).
    # The subject and the superiors are usually in the session already (superior_ids leaves them there).
    held = [_held(session, uid) for uid in ids]
    if all(user is not None for user in held):
        return sorted((user for user in held if user is not None and user.active), key=lambda user: user.id)
    return list(session.scalars(select(User).where(User.id.in_(ids), User.active).order_by(User.id)))


def _held(session: Session, user_id: int) -> User | None:
    """The session's User of that id when it holds one already (never a query)."""
    found = session.identity_map.get(identity_key(User, user_id))
    return found if isinstance(found, User) else None


# --- writing notifications ----------------------------------------------------------------------


def _body(kind: str, row: TaskIndex, subject: User | None) -> str:
    lines = [row.title]
    if subject is not None:
        lines.append(f"Pegawai / Employee: {subject.full_name}")
    if row.period:
        lines.append(f"Periode / Period: {row.period}")
    if row.due_at is not None and kind in (TASK_READY, TASK_ASSIGNED, DUE_SOON, OVERDUE):
        lines.append(f"Tenggat / Due: {row.due_at:%d-%m-%Y %H:%M} UTC")
    return "\n".join(lines)


_NOTES = cast(Table, Notification.__table__)
_INSERT_NOTES = insert(_NOTES)


def notify_task(session: Session, row: TaskIndex, kind: str, users: Iterable[User], now: datetime,
                email: bool | None = None, link: str | None = None) -> int:
    """Add one notification per user about the task (and queue e-mail when enabled); return how many.

    The rows are written at once with one Core INSERT (append-only: nothing in the transaction changes them, and the
    ORM's unit of work cost more than the statement, once per completion); a notice that queues an e-mail is
    inserted on its own, to give the e-mail its id. A duplicate (the unique user and ``dedupe_key``) raises
    IntegrityError here, inside the caller's savepoint (``notify_due``)."""
    send_mail = email_enabled() if email is None else email
    subject = session.get(User, row.subject_id) if row.subject_id else None
    body = _body(kind, row, subject)
    link = link or f"/tasks/{row.id}"
    plain: list[dict[str, Any]] = []
    mailed: list[tuple[User, dict[str, Any]]] = []
    for user in users:
        values = {"user_id": user.id, "kind": kind, "title": row.title[:255], "body": body, "link": link,
                  "task_id": row.id, "instance_id": row.instance_id, "created_at": now, "read_at": None,
                  "dedupe_key": None if kind == TASK_ASSIGNED else f"{kind}:{row.id}"}
        if send_mail and user.email and user.email_notifications:
            mailed.append((user, values))
        else:
            plain.append(values)
    connection = session.connection()
    if plain:
        connection.execute(_INSERT_NOTES, plain)
    for user, values in mailed:
        note_id = connection.execute(_INSERT_NOTES.returning(_NOTES.c.id), values).scalar_one()
        session.add(EmailOutbox(notification_id=note_id, to_address=user.email,
                                subject=f"[SMK] {TITLES[kind]}: {row.title}"[:255], body=body, link=link,
                                status=PENDING, attempts=0, next_attempt_at=now, created_at=now))
    return len(plain) + len(mailed)


def notify_new_tasks(session: Session, created_rows: Iterable[TaskIndex], now: datetime,
                     email: bool | None = None) -> int:
    """Tell every current candidate of each newly ready task about it; return the notifications added. A waiting
    step (``TaskIndex.waiting``) is not work: nobody is told of it (the inbox lists it apart), nor reminded of its date.

    A task that nobody can act on (a vacant assessor position, the head of the organisation's own assessor)
    would otherwise wait in silence. When its model names groups for that case (``fallbackCandidateGroups``,
    e.g. the PPK and the Tim Penilai Kinerja for an objection whose Atasan Pejabat Penilai is outside the
    system), the task is offered to their members other than the employee and the employee's assessors
    (``task.fallback`` in the audit trail). Otherwise, or when nobody is left, administrators and Biro SDM are
    told, so they can name an acting assessor (Plt) or reassign the task.
    """
    count = 0
    for row in created_rows:
        with session.no_autoflush:  # recipients read only organisation tables; write everything at commit
            users = recipients(session, row)
        if not users and row.fallback_groups and row.closed_at is None and row.assignee_id is None:
            users = fallback.offer(session, row, now)  # the rule shared with handovers (engine.services.fallback)
        if users:
            if not row.waiting:  # a waiting step is nothing to do: the inbox lists it apart, nobody is called to it
                count += notify_task(session, row, TASK_READY, users, now, email)
            continue
        audit.record(session, "task.unassigned", now, None, instance_id=row.instance_id, task_id=row.id,
                     task_name=row.task_name, lane=row.lane)
        overseers = session.scalars(select(User).where(
            User.id.in_(_members(session, list(LANES.roles.escalation))), User.active).order_by(User.id))
        count += notify_task(session, row, TASK_UNASSIGNED, overseers, now, email,
                             link=f"/instances/{row.instance_id}")
    return count


def _not_yet(kind: str):
    return ~exists().where(Notification.task_id == TaskIndex.id, Notification.kind == kind)


def notify_due(engine: Engine, now: datetime, days: float | None = None, email: bool | None = None) -> int:
    """Remind candidates of open tasks due within ``days`` and warn of overdue ones, once per task and kind."""
    horizon = now + timedelta(days=reminder_days() if days is None else days)
    added = 0
    with engine.session_factory.begin() as session:
        rows = session.scalars(
            select(TaskIndex).join(Instance, Instance.id == TaskIndex.instance_id)
            .where(TaskIndex.closed_at.is_(None), TaskIndex.due_at.is_not(None), TaskIndex.due_at <= horizon,
                   TaskIndex.waiting.is_(False),  # nothing the person can do before the date
                   Instance.status.in_((RUNNING, WAITING)),
                   or_(and_(TaskIndex.due_at <= now, _not_yet(OVERDUE)),
                       and_(TaskIndex.due_at > now, _not_yet(DUE_SOON))))
            .order_by(TaskIndex.due_at)).all()
        for row in rows:
            kind = OVERDUE if row.due_at is not None and row.due_at <= now else DUE_SOON
            try:
                # A savepoint per task: a concurrent worker that notified first wins, the rest goes on.
                with session.begin_nested():
                    added += notify_task(session, row, kind, recipients(session, row), now, email)
            except IntegrityError:
                continue
    return added


# --- reading and marking ------------------------------------------------------------------------


@dataclass
class NotificationItem:
    id: int
    kind: str
    title: str
    body: str
    task_id: str | None
    instance_id: int | None
    created_at: datetime
    read: bool
    # The task's details, for the page to label in the reader's language (the body is the e-mail's text):
    subject_name: str = ""
    period: str = ""
    due_at: datetime | None = None
    # The task is no longer open: "completed" (by ``closed_by``, at ``closed_at``) or "cancelled"; "" while open.
    # A group task one colleague did stays in the others' lists, and the page says so instead of "Open task".
    task_closed: str = ""
    closed_by: str = ""
    closed_at: datetime | None = None
    closed_by_id: int | None = None


def unread_count(engine: Engine, user_id: int) -> int:
    """Return how many of the user's unread notifications still ask for something (for the bell): those of a task
    that is done or cancelled (a group task a colleague did) are not counted, and the page shows them as read."""
    with engine.session_factory() as session:
        return unread_in(session, user_id)


def unread_in(session: Session, user_id: int) -> int:
    """``unread_count`` in the caller's session: the user's unread rows by index, each one's task by key."""
    return session.scalar(select(func.count(Notification.id))
                          .outerjoin(TaskIndex, TaskIndex.id == Notification.task_id)
                          .where(Notification.user_id == user_id, Notification.read_at.is_(None),
                                 TaskIndex.closed_at.is_(None))) or 0


def list_for(engine: Engine, user_id: int, page: int = 1, per_page: int = 20) -> Page:
    """Return one page of the user's own notifications, newest first."""
    per_page = max(1, min(per_page, 100))
    page = max(1, page)
    with engine.session_factory() as session:
        where = Notification.user_id == user_id
        total = session.scalar(select(func.count(Notification.id)).where(where)) or 0
        page = min(page, max(1, -(-total // per_page)))  # past the end: the last page
        completer = aliased(User)
        rows = session.execute(select(Notification, TaskIndex.period, TaskIndex.due_at, User.full_name,
                                      TaskIndex.closed_at, TaskIndex.outcome, completer.full_name, completer.id)
                               .outerjoin(TaskIndex, TaskIndex.id == Notification.task_id)
                               .outerjoin(User, User.id == TaskIndex.subject_id)
                               .outerjoin(completer, completer.id == TaskIndex.completed_by_id).where(where)
                               .order_by(Notification.created_at.desc(), Notification.id.desc())
                               .offset((page - 1) * per_page).limit(per_page))
        items = [NotificationItem(n.id, n.kind, n.title, n.body, n.task_id, n.instance_id, n.created_at,
                                  n.read_at is not None, subject or "", period or "", due_at,
                                  (outcome or "completed") if closed_at is not None else "", by or "", closed_at, by_id)
                 for n, period, due_at, subject, closed_at, outcome, by, by_id in rows]
        return Page(items, page, per_page, total)


def mark_read(engine: Engine, user_id: int, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications read (None: all of them); return how many changed."""
    now = engine.now()
    with engine.session_factory.begin() as session:
        if notification_id is None:
            result = session.execute(update(Notification).where(
                Notification.user_id == user_id, Notification.read_at.is_(None)).values(read_at=now)
                .execution_options(synchronize_session=False))
            return cast("CursorResult[Any]", result).rowcount or 0
        note = session.get(Notification, notification_id)
        if note is None or note.user_id != user_id:
            raise NotFound("notification.not_found", N_("Notification not found"))
        if note.read_at is not None:
            return 0
        note.read_at = now
        return 1


# --- keeping the list short ----------------------------------------------------------------------

#: Rows one statement deletes: a first pass over years of notices is split into statements of this size.
CLEAN_BATCH = 5_000
#: The worker looks for old notifications at most this often (per process and database).
CLEAN_PASS_SECONDS = 3600.0
_last_clean_pass: dict[str, float] = {}


def clean_old_notifications(engine: Engine, now: datetime | None = None) -> int:
    """Delete the notifications older than SMK_NOTIFICATION_DAYS (default 180), read or not; return how many.

    A notice of a task that is still open is kept whatever its age: it still asks for something (a reminder of a
    task left for months). Nothing else refers to a notice (an e-mail already queued keeps its text; the foreign
    key empties its ``notification_id``), and the audit trail, not this list, is the record of what happened."""
    task_open = exists().where(TaskIndex.id == Notification.task_id, TaskIndex.closed_at.is_(None))
    return _delete_in_batches(engine, Notification, Notification.created_at < _cutoff(engine, now), ~task_open)


def clean_old_email(engine: Engine, now: datetime | None = None) -> int:
    """Delete the e-mails sent or given up on more than SMK_NOTIFICATION_DAYS ago; return how many.

    An e-mail's row holds its text and the address it went to: once sent (or failed for good) it is of use for a
    while to answer "did the mail go out?", not for ever. E-mails still waiting or being sent are never touched."""
    return _delete_in_batches(engine, EmailOutbox, EmailOutbox.status.in_((SENT, FAILED)),
                              EmailOutbox.created_at < _cutoff(engine, now))


def _cutoff(engine: Engine, now: datetime | None) -> datetime:
    """Rows created before this are old: SMK_NOTIFICATION_DAYS before ``now`` (default: the engine's clock)."""
    return (engine.now() if now is None else now) - timedelta(days=current_limits().notification_days)


def _delete_in_batches(engine: Engine, model: type[Notification] | type[EmailOutbox], *where: Any) -> int:
    """Delete the rows of ``model`` that match ``where``, ``CLEAN_BATCH`` ids per transaction; return how many."""
    removed = 0
    while True:
        with engine.session_factory.begin() as session:
            ids = list(session.scalars(select(model.id).where(*where).order_by(model.id).limit(CLEAN_BATCH)))
            if not ids:
                return removed
            session.execute(delete(model).where(model.id.in_(ids)).execution_options(synchronize_session=False))
        removed += len(ids)
        if len(ids) < CLEAN_BATCH:
            return removed


def clean_old_notifications_job(engine: Engine) -> int:
    """The worker's job: :func:`clean_old_notifications` and :func:`clean_old_email`, at most once an hour."""
    last = _last_clean_pass.get(engine.database_url)
    if last is not None and time.monotonic() - last < CLEAN_PASS_SECONDS:
        return 0
    _last_clean_pass[engine.database_url] = time.monotonic()
    return clean_old_notifications(engine) + clean_old_email(engine)


# --- sending e-mail -----------------------------------------------------------------------------


@dataclass
class OutgoingMail:
    id: int
    to_address: str
    subject: str
    body: str
    link: str | None


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def backoff(attempts: int) -> timedelta:
    """Return the wait before the next try after ``attempts`` failed ones (1, 2, 4 … minutes, at most 6 h)."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), timedelta(hours=6))


def hash_token(token: str) -> str:
    """What ``password_link.token_hash`` holds for a one-time link's secret."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def unusable_hash() -> str:
    """A ``token_hash`` no secret hashes to (it is not hex): a link reserved for an e-mail not yet sent."""
    return "unsent:" + secrets.token_hex(16)


def _fresh_link(session: Session, link_id: int, now: datetime) -> str | None:
    """Give a reserved set-password link a new secret and return its path (None when the link was used, expired
    or replaced meanwhile, or its user deactivated): only the hash is stored, the path lives in this e-mail."""
    link = session.get(PasswordLink, link_id)
    user = session.get(User, link.user_id) if link is not None else None
    if link is None or user is None or not user.active or link.used_at is not None or link.expires_at <= now:
        return None
    token = secrets.token_urlsafe(32)
    link.token_hash = hash_token(token)
    return SET_PASSWORD_PATH + token


LINK_GONE = "the one-time link was used, expired or replaced before it could be sent"


def _claim(engine: Engine, now: datetime, batch: int) -> tuple[list[OutgoingMail], int]:
    """Take due rows for sending; return them and how many set-password e-mails were dropped (link gone)."""
    dropped = 0
    with engine.session_factory.begin() as session:
        query = (select(EmailOutbox).where(EmailOutbox.status.in_((PENDING, SENDING)),
                                           EmailOutbox.next_attempt_at <= now)
                 .order_by(EmailOutbox.next_attempt_at, EmailOutbox.id).limit(batch))
        claimed = []
        for row in session.scalars(unclaimed(session, query)):  # several senders: each takes rows nobody holds
            row.status, row.attempts, row.next_attempt_at = SENDING, row.attempts + 1, now + SEND_LEASE
            link = row.link
            if row.password_link_id is not None:
                link = _fresh_link(session, row.password_link_id, now)
                if link is None:
                    row.status, row.last_error = FAILED, LINK_GONE
                    dropped += 1
                    continue
            claimed.append(OutgoingMail(row.id, row.to_address, row.subject, row.body, link))
        return claimed, dropped


def _message(settings: SmtpSettings, mail: OutgoingMail, now: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    text = mail.body
    if mail.link:
        text += f"\n\n{settings.base_url}{mail.link}"
    message.set_content(text + "\n\n-- \nSMK Workflow\n")
    return message


def _deliver(settings: SmtpSettings, mails: list[OutgoingMail], now: datetime) -> dict[int, str | None]:
    """Send over one connection; return mail id -> None when sent, else the error."""
    results: dict[int, str | None] = {}
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.user:
                smtp.login(settings.user, settings.password)
            for mail in mails:
                try:
                    smtp.send_message(_message(settings, mail, now))
                    results[mail.id] = None
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
                    results[mail.id] = f"{type(exc).__name__}: {exc}"
    except (OSError, smtplib.SMTPException) as exc:  # unreachable, refused, TLS or login failure
        for mail in mails:
            results.setdefault(mail.id, f"{type(exc).__name__}: {exc}")
    return results


def send_pending_email(engine: Engine, smtp_settings: SmtpSettings, now: datetime, batch: int = 20,
                       max_attempts: int = MAX_ATTEMPTS) -> SendReport:
    """Send due outbox rows; mark each sent, or record the error and retry later, failing after max_attempts."""
    mails, dropped = _claim(engine, now, batch)
    report = SendReport(failed=dropped)
    if not mails:
        return report
    results = _deliver(smtp_settings, mails, now)
    with engine.session_factory.begin() as session:
        for mail_id, error in results.items():
            row = session.get(EmailOutbox, mail_id)
            if row is None:
                continue
            if error is None:
                row.status, row.sent_at, row.last_error = SENT, now, None
                report.sent += 1
            elif row.attempts >= max_attempts:
                row.status, row.last_error = FAILED, error[:2000]
                report.failed += 1
            else:
                row.status, row.last_error = PENDING, error[:2000]
                row.next_attempt_at = now + backoff(row.attempts)
                report.retrying += 1
    return report


# --- background jobs ----------------------------------------------------------------------------


def worker_jobs(environ: Mapping[str, str] | None = None) -> list[tuple[str, Callable[[Engine], int]]]:
    """Return the worker's notification jobs: reminders and the removal of old notices always, e-mail only when SMTP
    is configured."""
    jobs: list[tuple[str, Callable[[Engine], int]]] = [("reminders", lambda e: notify_due(e, e.now())),
                                                       ("old notifications", clean_old_notifications_job)]
    settings = SmtpSettings.from_env(environ)
    if settings is not None:
        jobs.append(("email", lambda e: send_pending_email(e, settings, e.now()).sent))
    return jobs
