"""Revision 0011 takes the set-password links that older outbox rows held in clear text out of the table: each
row names its link instead, and a row not yet sent gets a fresh secret when it is sent."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import text

from engine.core import Engine
from engine.db.migrate import alembic_config, upgrade
from engine.runtime.clock import FixedClock


def test_clear_text_links_in_the_outbox_are_replaced_by_a_reference(empty_db_url: str) -> None:
    e = Engine(empty_db_url, clock=FixedClock())
    try:
        upgrade(e.db, "0010")
        now = datetime(2024, 1, 2, tzinfo=UTC)
        token = "old-secret-token"
        with e.db.begin() as conn:
            conn.execute(text("INSERT INTO user_account (id, username, password_hash, full_name, active, locale, "
                              "session_epoch, pangkat_golongan, status) VALUES (7, 'siti', '', 'Siti', true, 'id', 0, '', '')"))
            conn.execute(text("INSERT INTO password_link (id, user_id, token_hash, purpose, created_at, expires_at) "
                              "VALUES (3, 7, :h, 'new', :now, :later)"),
                         {"h": hashlib.sha256(token.encode()).hexdigest(), "now": now, "later": now + timedelta(days=7)})
            conn.execute(text("INSERT INTO user_group (id, name, description) VALUES (1, 'Biro SDM', '')"))
            conn.execute(text("INSERT INTO group_member (group_id, user_id) VALUES (1, 7)"))
            for i, link in ((1, "/akun/sandi/" + token), (2, "/tasks/abc"), (4, "/akun/sandi/unknown")):
                conn.execute(text("INSERT INTO email_outbox (id, to_address, subject, body, link, status, attempts, "
                                  "next_attempt_at, created_at) VALUES (:i, 'siti@x.id', 's', 'b', :l, 'pending', 0, "
                                  ":now, :now)"), {"i": i, "l": link, "now": now})
        upgrade(e.db)
        with e.db.connect() as conn:
            rows = conn.execute(text("SELECT id, link, password_link_id, status FROM email_outbox ORDER BY id")).all()
            assert [tuple(r) for r in rows] == [(1, None, 3, "pending"), (2, "/tasks/abc", None, "pending"),
                                                (4, None, None, "failed")]
            # Nothing that cascades from user_account was lost on the way (SQLite copies tables in a batch).
            assert conn.execute(text("SELECT count(*) FROM password_link")).scalar() == 1
            assert conn.execute(text("SELECT count(*) FROM group_member")).scalar() == 1
            assert conn.execute(text("SELECT email_notifications FROM user_account")).scalar() in (True, 1)
        command.downgrade(alembic_config(e.db), "0010")
        with e.db.connect() as conn:
            assert conn.execute(text("SELECT status FROM email_outbox ORDER BY id")).scalars().all() == ["failed", "pending", "failed"]
    finally:
        e.dispose()
