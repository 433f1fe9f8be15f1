"""Accounts: the password policy, one-time set-password links, a user's own account, and the users list for
those who keep the organisation (``LANES.roles.org_admins``).

A new account (an imported employee) has no usable password: it gets a link that works once, for
``LINK_DAYS`` days, and only the SHA-256 of the link's secret is stored (``PasswordLink``). Issuing a new link
for a user retires the older ones; setting a password through one retires the user's other unused links.
Setting a password, by a link or on the account page, ends every other session of the user (``set_password``
raises the session epoch).

An e-mailed link is a link of its own, reserved when the e-mail is queued and given its secret only when the
e-mail is sent (``notifications``): the outbox never holds a usable link.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import cast

from sqlalchemy import Table, func, insert, or_, select, update
from sqlalchemy.orm import Session, aliased
from werkzeug.security import check_password_hash

from engine.access import LANES, actionable, in_role
from engine.core import Engine
from engine.db.notify import PENDING, EmailOutbox
from engine.db.org import PasswordLink, Position, Unit, User
from engine.db.runtime import TaskIndex
from engine.errors import N_, FieldError, FormInvalid, Message, NotFound, PermissionDenied
from engine.services import audit, handover
from engine.services.inbox import Page
from engine.services.notifications import SET_PASSWORD_PATH, email_enabled, hash_token, unusable_hash
from engine.services.org import last_admin, set_password

LINK_DAYS = 7
MIN_LENGTH = 10
MAX_LENGTH = 200
NEW, RESET = "new", "reset"
LOCALES = ("id", "en")
LINK_PREFIX = SET_PASSWORD_PATH


# --- the password policy ------------------------------------------------------------------------------------


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of passwords too common to allow (engine/services/common_passwords.txt), case-folded."""
    text = (Path(__file__).with_name("common_passwords.txt")).read_text(encoding="utf-8")
    return frozenset(line.strip().casefold() for line in text.splitlines() if line.strip() and not line.startswith("#"))


_TAIL = re.compile(r"[\d\W_]+$")


def password_problems(password: str, user: User) -> list[Message]:
    """Return what is wrong with a new password for ``user`` (empty when it may be used).

    At least MIN_LENGTH characters; not containing the user's NIP or username; not a common password, nor one
    with digits or punctuation added to the end of a common one.
    """
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(Message("password.short", N_("The password needs at least %(n)s characters"), {"n": MIN_LENGTH}))
    if len(password) > MAX_LENGTH:
        problems.append(Message("password.long", N_("The password may have at most %(n)s characters"), {"n": MAX_LENGTH}))
    folded = password.casefold()
    own = [v.casefold() for v in (user.nip, user.username) if v and len(v) >= 4]
    if any(v in folded for v in own):
        problems.append(Message("password.personal", N_("The password may not contain your NIP or username")))
    stem = _TAIL.sub("", folded)
    if folded in common_passwords() or stem in common_passwords() or (stem and len(set(stem)) == 1):
        problems.append(Message("password.common", N_("This password is too common; choose one that is harder to guess")))
    return problems


def _check_new(password: str, confirm: str, user: User) -> list[FieldError]:
    errors = [FieldError("password", m) for m in password_problems(password, user)]
    if password != confirm:
        errors.append(FieldError("confirm", Message("password.confirm", N_("The two passwords differ"))))
    return errors


# --- one-time links ------------------------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hash_token(token)


def issue_link(session: Session, user: User, now: datetime, actor: User | None, purpose: str = NEW,
               retire: bool = True) -> str:
    """Store a new one-time link for ``user`` (retiring older unused ones unless ``retire`` is False, for an
    account created in this transaction) and return its secret token.

    Only the token's hash is stored: the caller shows the link once (``link_path``) or e-mails it.
    """
    if retire:
        session.execute(update(PasswordLink).where(PasswordLink.user_id == user.id, PasswordLink.used_at.is_(None),
                                                   PasswordLink.expires_at > now)
                        .values(expires_at=now).execution_options(synchronize_session=False))
    token = secrets.token_urlsafe(32)
    session.add(PasswordLink(user_id=user.id, token_hash=_hash(token), purpose=purpose, created_at=now,
                             expires_at=now + timedelta(days=LINK_DAYS),
                             created_by_id=actor.id if actor is not None else None))
    return token


def issue_links(session: Session, user_ids: list[int], now: datetime, actor: User | None,
                purpose: str = NEW) -> dict[int, str]:
    """``issue_link`` for many accounts created in this transaction (none has a link yet), in one bulk insert;
    return user id -> token."""
    tokens = {uid: secrets.token_urlsafe(32) for uid in user_ids}
    if tokens:
        session.execute(insert(cast(Table, PasswordLink.__table__)), [
            {"user_id": uid, "token_hash": _hash(token), "purpose": purpose, "created_at": now,
             "expires_at": now + timedelta(days=LINK_DAYS), "used_at": None,
             "created_by_id": actor.id if actor is not None else None} for uid, token in tokens.items()])
    return tokens


def link_path(token: str) -> str:
    return LINK_PREFIX + token


def queue_link_email(session: Session, user: User, now: datetime, actor: User | None, purpose: str = NEW,
                     email: bool | None = None) -> bool:
    """Queue an e-mail with a one-time link to the user's address through the outbox (when e-mail is on); return
    whether one was queued. The link is reserved now and made when the e-mail is sent (see the module's doc)."""
    return bool(queue_link_emails(session, [user], now, actor, purpose, email))


def _link_body(user: User) -> str:
    return "\n".join([
        f"{user.full_name},",
        "",
        "Akun SMK Workflow Anda siap. Buka tautan di bawah ini untuk membuat kata sandi; tautan ini berlaku "
        f"{LINK_DAYS} hari dan hanya sekali pakai. Nama pengguna Anda: {user.username}",
        "",
        "Your SMK Workflow account is ready. Open the link below to choose a password; it works once, for "
        f"{LINK_DAYS} days. Your username: {user.username}",
    ])


def queue_link_emails(session: Session, users: list[User], now: datetime, actor: User | None, purpose: str = NEW,
                      email: bool | None = None) -> set[int]:
    """``queue_link_email`` for many users at once (bulk inserts, for an import); return the ids of those mailed.

    Each mailed user gets a ``PasswordLink`` of their own with an unusable hash, and an outbox row naming it but
    holding no link: the sender gives the link its secret when it sends the e-mail, so a copy of the outbox
    (a backup, a read-only database user) never holds a usable link. The person's preference for notification
    e-mail does not apply: without this e-mail they could not log in.
    """
    mailed = [u for u in users if u.email and u.active] if (email_enabled() if email is None else email) else []
    if not mailed:
        return set()
    reserved = {unusable_hash(): u for u in mailed}
    session.execute(insert(cast(Table, PasswordLink.__table__)), [
        {"user_id": u.id, "token_hash": h, "purpose": purpose, "created_at": now,
         "expires_at": now + timedelta(days=LINK_DAYS), "used_at": None,
         "created_by_id": actor.id if actor is not None else None} for h, u in reserved.items()])
    hashes = list(reserved)
    ids: dict[str, int] = {}
    for start in range(0, len(hashes), 500):
        ids.update((h, i) for h, i in session.execute(select(PasswordLink.token_hash, PasswordLink.id)
                                                      .where(PasswordLink.token_hash.in_(hashes[start:start + 500]))))
    session.execute(insert(cast(Table, EmailOutbox.__table__)), [
        {"notification_id": None, "to_address": u.email, "subject": "[SMK] Buat kata sandi / Set your password",
         "body": _link_body(u), "link": None, "password_link_id": ids[h], "status": PENDING, "attempts": 0,
         "next_attempt_at": now, "created_at": now, "sent_at": None, "last_error": None}
        for h, u in reserved.items()])
    return {u.id for u in mailed}


@dataclass
class LinkInfo:
    user_id: int
    username: str
    full_name: str
    purpose: str
    expires_at: datetime


def _live_link(session: Session, token: str, now: datetime) -> PasswordLink | None:
    if not token or len(token) > 100:
        return None
    link = session.scalar(select(PasswordLink).where(PasswordLink.token_hash == _hash(token)))
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    user = session.get(User, link.user_id)
    return link if user is not None and user.active else None


LINK_INVALID = N_("This link does not work (any more): it was used already, has expired or was replaced by a newer "
                  "one. Ask Biro SDM for a new link.")


def link_info(engine: Engine, token: str) -> LinkInfo:
    """Return whose link this is, or raise NotFound when it is unknown, used, expired or the user inactive."""
    with engine.session_factory() as session:
        link = _live_link(session, token, engine.now())
        if link is None:
            raise NotFound("account.link_invalid", LINK_INVALID)
        user = session.get(User, link.user_id)
        assert user is not None
        return LinkInfo(user.id, user.username, user.full_name, link.purpose, link.expires_at)


def set_password_by_link(engine: Engine, token: str, password: str, confirm: str) -> int:
    """Set the password through a one-time link and use the link up; return the user's id."""
    now = engine.now()
    with engine.session_factory.begin() as session:
        link = _live_link(session, token, now)
        if link is None:
            raise NotFound("account.link_invalid", LINK_INVALID)
        user = session.get(User, link.user_id)
        assert user is not None
        errors = _check_new(password, confirm, user)
        if errors:
            raise FormInvalid(errors)
        set_password(session, user, password)
        link.used_at = now
        # The person's other unused links (the copy shown to Biro SDM, an e-mailed one) stop working with it.
        session.execute(update(PasswordLink).where(PasswordLink.user_id == user.id, PasswordLink.id != link.id,
                                                   PasswordLink.used_at.is_(None), PasswordLink.expires_at > now)
                        .values(expires_at=now).execution_options(synchronize_session=False))
        audit.record(session, "account.password_set", now, user, subject_id=user.id, via="link", purpose=link.purpose)
        return user.id


# --- one's own account ---------------------------------------------------------------------------------------


def change_password(engine: Engine, user_id: int, old: str, new: str, confirm: str) -> None:
    """Change one's own password: the old one is required, the new one follows the policy; other sessions end."""
    now = engine.now()
    with engine.session_factory.begin() as session:
        user = session.get(User, user_id)
        if user is None or not user.active:
            raise NotFound("account.not_found", N_("Account not found"))
        errors = []
        if not user.password_hash or not check_password_hash(user.password_hash, old):
            errors.append(FieldError("old_password", Message("password.old", N_("The current password is wrong"))))
        errors += _check_new(new, confirm, user)
        if not errors and old == new:
            errors.append(FieldError("password", Message("password.same", N_("Choose a password you have not used here now"))))
        if errors:
            raise FormInvalid(errors)
        set_password(session, user, new)
        audit.record(session, "account.password_set", now, user, subject_id=user.id, via="account")


def set_email_notifications(engine: Engine, user_id: int, on: bool) -> bool:
    """Turn e-mail copies of the user's notifications on or off (in-app notifications stay); return whether
    the setting changed. Set-password e-mails are not notifications: they are sent either way."""
    with engine.session_factory.begin() as session:
        user = session.get(User, user_id)
        if user is None or not user.active:
            raise NotFound("account.not_found", N_("Account not found"))
        if bool(user.email_notifications) == on:
            return False
        user.email_notifications = on
        audit.record(session, "account.preferences", engine.now(), user, subject_id=user.id, email_notifications=on)
        return True


def set_locale(engine: Engine, user_id: int, locale: str) -> None:
    """Store the user's language (used from the next login on)."""
    if locale not in LOCALES:
        raise FormInvalid([FieldError("locale", Message("account.locale", N_("Choose Bahasa Indonesia or English")))])
    with engine.session_factory.begin() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("account.not_found", N_("Account not found"))
        user.locale = locale


@dataclass
class AccountView:
    username: str
    full_name: str
    nip: str
    email: str
    position: str
    unit: str
    pangkat_golongan: str
    status: str
    locale: str
    email_notifications: bool = True


def account_view(engine: Engine, user_id: int) -> AccountView:
    with engine.session_factory() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("account.not_found", N_("Account not found"))
        position = user.position
        return AccountView(user.username, user.full_name, user.nip or "", user.email or "",
                           position.title if position else "", position.unit.name if position else "",
                           user.pangkat_golongan or "", user.status or "", user.locale or "id",
                           bool(user.email_notifications))


# --- the users list (org admins) -----------------------------------------------------------------------------


def _guard(session: Session, actor_id: int) -> User:
    actor = session.get(User, actor_id)
    if actor is None or not actor.active or not in_role(session, actor_id, LANES.roles.org_admins):
        raise PermissionDenied("org.admins_only", N_("Only Biro SDM and administrators may manage users"))
    return actor


@dataclass
class UserRow:
    id: int
    username: str
    full_name: str
    nip: str
    email: str
    position: str
    unit: str
    active: bool
    has_password: bool
    open_tasks: int


def search_users(engine: Engine, actor_id: int, text: str = "", state: str = "", page: int = 1,
                 per_page: int = 25) -> Page:
    """One page of users matching ``text`` in the name, NIP, username, position, or unit name or code;
    ``state`` is "active", "inactive" or "" (both). Each row counts the open tasks assigned to the user."""
    per_page, page = max(1, min(per_page, 100)), max(1, page)
    with engine.session_factory() as session:
        _guard(session, actor_id)
        unit = aliased(Unit)
        query = (select(User, Position.title, unit.name).outerjoin(Position, Position.id == User.position_id)
                 .outerjoin(unit, unit.id == Position.unit_id))
        words = text.replace("\x00", " ").strip()[:100].split()  # (PostgreSQL text cannot hold NUL)
        for word in words:
            query = query.where(or_(*(column.icontains(word, autoescape=True) for column in (
                User.full_name, User.nip, User.username, Position.title, unit.name, unit.code))))
        if state in ("active", "inactive"):
            query = query.where(User.active.is_(state == "active"))
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        page = min(page, max(1, -(-total // per_page)))
        found = session.execute(query.order_by(User.full_name, User.id).offset((page - 1) * per_page).limit(per_page)).all()
        ids = [u.id for u, _, _ in found]
        counts = dict(session.execute(select(TaskIndex.assignee_id, func.count()).where(
            TaskIndex.assignee_id.in_(ids), TaskIndex.closed_at.is_(None)).group_by(TaskIndex.assignee_id)).all()) if ids else {}
        rows = [UserRow(u.id, u.username, u.full_name, u.nip or "", u.email or "", title or "", unit_name or "",
                        u.active, bool(u.password_hash), counts.get(u.id, 0)) for u, title, unit_name in found]
        return Page(rows, page, per_page, total)


@dataclass
class ActiveChange:
    changed: bool
    flagged: int  # open tasks nobody can act on any more, flagged to Biro SDM and administrators
    given: int = 0  # open tasks the account, active again, was named on as a stand-in


def set_active(engine: Engine, actor_id: int, user_id: int, active: bool, reason: str = "") -> ActiveChange:
    """Activate or deactivate a user. Deactivating keeps their history; their open tasks that nobody else may
    act on now are flagged to the escalation groups (Biro SDM, administrators) through the notifications."""
    now = engine.now()
    with engine.session_factory.begin() as session:
        actor = _guard(session, actor_id)
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("account.not_found", N_("Account not found"))
        if user.id == actor.id and not active:
            raise PermissionDenied("account.self", N_("You cannot deactivate your own account"))
        if user.active == active:
            return ActiveChange(False, 0)
        if not active and last_admin(session, user.id):
            raise PermissionDenied("account.last_admin", N_("The last administrator cannot be deactivated: make "
                                                            "someone else an administrator first"))
        # Deactivating: the tasks they may act on now. Activating again: the tasks stand-ins took in their lane's
        # place (an objection while its Atasan Pejabat Penilai was away), which return to them.
        rows = list(session.scalars(select(TaskIndex).where(TaskIndex.closed_at.is_(None), actionable(session, user.id)))) \
            if not active else handover.open_tasks_for_a_new_stand_in(session)
        before = handover.open_task_actors(session, rows)
        user.active = active
        if not active:
            user.session_epoch = (user.session_epoch or 0) + 1  # their open sessions end now
        session.flush()
        # Active again, they stand in again where the rule allows (a PPK member back on an objection with stand-ins).
        after = handover.open_task_actors(session, rows, joined=(user.id,) if active else ())
        given = handover.given_to(rows, before, after, user.id) if active else 0
        told = handover.tell(session, rows, before, after, now, actor)
        flagged = told if not active else 0
        audit.record(session, "account.deactivated" if not active else "account.activated", now, actor,
                     subject_id=user.id, reason=reason.replace("\x00", "").strip()[:500], open_tasks=len(rows), flagged=flagged)
        return ActiveChange(True, flagged, given)


@dataclass
class IssuedLink:
    full_name: str
    path: str
    emailed: bool


def reset_link(engine: Engine, actor_id: int, user_id: int, email: bool | None = None) -> IssuedLink:
    """Issue a one-time link for a user to set a new password (the old one keeps working until then);
    return the link's path and whether it was also e-mailed."""
    now = engine.now()
    with engine.session_factory.begin() as session:
        actor = _guard(session, actor_id)
        user = session.get(User, user_id)
        if user is None or not user.active:
            raise NotFound("account.not_found", N_("Account not found"))
        token = issue_link(session, user, now, actor, RESET)
        mailed = queue_link_email(session, user, now, actor, RESET, email)
        audit.record(session, "account.link_issued", now, actor, subject_id=user.id, purpose=RESET, emailed=mailed)
        return IssuedLink(user.full_name, link_path(token), mailed)


def user_open_tasks(engine: Engine, actor_id: int, user_id: int) -> list[tuple[str, str, str]]:
    """The open tasks a user may act on now: (task id, title, subject's name), at most 100."""
    with engine.session_factory() as session:
        _guard(session, actor_id)
        subject = aliased(User)
        return [(t, title, name or "") for t, title, name in session.execute(
            select(TaskIndex.id, TaskIndex.title, subject.full_name)
            .outerjoin(subject, subject.id == TaskIndex.subject_id)
            .where(TaskIndex.closed_at.is_(None), actionable(session, user_id))
            .order_by(TaskIndex.ready_at).limit(100))]


