# ruff: noqa: F811  (the fixtures imported from test_notifications are parameters here)
"""E-mail copies of notifications follow the user's preference; a set-password e-mail's link is never readable
from the outbox table (it gets its secret only when it is sent), and works once like any other link."""

from __future__ import annotations

import re
from email import message_from_bytes

import pytest
from sqlalchemy import select

from engine.core import Engine
from engine.db.notify import EmailOutbox, Notification
from engine.db.org import PasswordLink, User
from engine.errors import NotFound
from engine.runtime.clock import FixedClock
from engine.services import accounts, instances
from engine.services import notifications as notes
from engine.services.notifications import SmtpSettings

from .test_notifications import Mailbox, mail_on, mailbox, outbox  # noqa: F401  (fixtures)


def _received_links(box: Mailbox) -> list[str]:
    texts = [message_from_bytes(e.content).get_payload(decode=True).decode() for e in box.received]
    return [m for t in texts for m in re.findall(r"https://smk\.example/akun/sandi/(\S+)", t)]


def test_notification_email_follows_the_users_choice(demo_deployed: Engine, org: dict[str, int], clock: FixedClock,
                                                     mail_on: None, mailbox: tuple[Mailbox, SmtpSettings]) -> None:
    box, settings = mailbox
    assert accounts.account_view(demo_deployed, org["budi"]).email_notifications is True
    assert accounts.set_email_notifications(demo_deployed, org["budi"], False) is True
    assert accounts.set_email_notifications(demo_deployed, org["budi"], False) is False  # nothing to change
    assert accounts.account_view(demo_deployed, org["budi"]).email_notifications is False
    instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], "2024")
    assert notes.unread_count(demo_deployed, org["budi"]) == 1  # the in-app notice stays
    assert outbox(demo_deployed) == []  # no e-mail queued
    accounts.set_email_notifications(demo_deployed, org["budi"], True)
    instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], "2025")
    assert [row.to_address for row in outbox(demo_deployed)] == ["budi@demo.smk.go.id"]
    assert notes.send_pending_email(demo_deployed, settings, clock.now()).sent == 1
    with demo_deployed.session_factory() as s:
        kinds = [e for e in s.scalars(select(Notification.kind).where(Notification.user_id == org["budi"]))]
        assert len(kinds) == 2
    with pytest.raises(NotFound):
        accounts.set_email_notifications(demo_deployed, 999_999, True)


def test_the_outbox_never_holds_a_usable_link(demo_deployed: Engine, org: dict[str, int], clock: FixedClock,
                                              mail_on: None, mailbox: tuple[Mailbox, SmtpSettings]) -> None:
    box, settings = mailbox
    accounts.set_email_notifications(demo_deployed, org["siti"], False)  # not a notification: sent anyway
    shown = accounts.reset_link(demo_deployed, org["admin"], org["siti"])
    assert shown.emailed
    (row,) = outbox(demo_deployed)
    assert row.link is None and row.password_link_id is not None and "/akun/sandi/" not in row.body
    with demo_deployed.session_factory() as s:
        reserved = s.get(PasswordLink, row.password_link_id)
        assert reserved.user_id == org["siti"] and not re.fullmatch(r"[0-9a-f]{64}", reserved.token_hash)
    assert notes.send_pending_email(demo_deployed, settings, clock.now()).sent == 1
    (mailed,) = _received_links(box)
    assert "/akun/sandi/" + mailed != shown.path  # a link of its own
    assert outbox(demo_deployed)[0].link is None  # still nothing in the table after sending
    with demo_deployed.session_factory() as s:
        assert s.get(PasswordLink, row.password_link_id).token_hash == notes.hash_token(mailed)
    assert accounts.link_info(demo_deployed, mailed).user_id == org["siti"]
    accounts.set_password_by_link(demo_deployed, mailed, "Teh-manis-2026", "Teh-manis-2026")
    for token in (mailed, shown.path.rsplit("/", 1)[1]):  # used, and the copy shown to HR retired with it
        with pytest.raises(NotFound):
            accounts.link_info(demo_deployed, token)


def test_a_link_replaced_before_sending_is_not_sent(demo_deployed: Engine, org: dict[str, int], clock: FixedClock,
                                                    mail_on: None, mailbox: tuple[Mailbox, SmtpSettings]) -> None:
    box, settings = mailbox
    accounts.reset_link(demo_deployed, org["admin"], org["siti"])
    accounts.reset_link(demo_deployed, org["admin"], org["siti"], email=False)  # retires the first e-mail's link
    report = notes.send_pending_email(demo_deployed, settings, clock.now())
    assert (report.sent, report.failed) == (0, 1) and box.received == []
    (row,) = outbox(demo_deployed)
    assert row.status == "failed" and "replaced" in (row.last_error or "")


def test_a_failed_attempt_is_retried_with_a_new_secret(demo_deployed: Engine, org: dict[str, int],
                                                       clock: FixedClock, mail_on: None,
                                                       mailbox: tuple[Mailbox, SmtpSettings]) -> None:
    box, settings = mailbox
    accounts.reset_link(demo_deployed, org["admin"], org["siti"])
    box.refuse = True
    assert notes.send_pending_email(demo_deployed, settings, clock.now()).retrying == 1
    with demo_deployed.session_factory() as s:
        first = s.scalar(select(PasswordLink.token_hash).join(EmailOutbox, EmailOutbox.password_link_id == PasswordLink.id))
    box.refuse = False
    assert notes.send_pending_email(demo_deployed, settings, clock.advance(minutes=1)).sent == 1
    (mailed,) = _received_links(box)
    assert notes.hash_token(mailed) != first and accounts.link_info(demo_deployed, mailed).user_id == org["siti"]


def test_import_accounts_are_mailed_through_reserved_links(demo_deployed: Engine, org: dict[str, int],
                                                           clock: FixedClock, mail_on: None) -> None:
    with demo_deployed.session_factory.begin() as s:
        users = [s.get(User, org[name]) for name in ("budi", "siti", "dewi")]
        users[2].email = None
        mailed = accounts.queue_link_emails(s, users, clock.now(), None)
        assert mailed == {org["budi"], org["siti"]}
    rows = outbox(demo_deployed)
    assert sorted(r.to_address for r in rows) == ["budi@demo.smk.go.id", "siti@demo.smk.go.id"]
    assert all(r.link is None and r.password_link_id for r in rows)
    with demo_deployed.session_factory.begin() as s:
        assert accounts.queue_link_emails(s, [s.get(User, org["budi"])], clock.now(), None, email=False) == set()
