"""Upgrading an existing database keeps its rows: on SQLite, Alembic's batch mode copies a table to change it,
and with foreign keys enforced the copy's DROP TABLE would cascade (group memberships, notifications, links of
every user would go). The migrations run with foreign keys off and check them before committing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from engine.core import Engine
from engine.db.migrate import upgrade
from engine.runtime.clock import FixedClock


def test_upgrading_through_user_account_rebuilds_keeps_dependent_rows(empty_db_url: str) -> None:
    e = Engine(empty_db_url, clock=FixedClock())
    try:
        upgrade(e.db, "0002")
        now = datetime(2024, 1, 2, tzinfo=UTC)
        with e.db.begin() as conn:
            conn.execute(text("INSERT INTO user_account (id, username, password_hash, full_name, active, locale) "
                              "VALUES (7, 'siti', '', 'Siti', true, 'id')"))
            conn.execute(text("INSERT INTO user_group (id, name, description) VALUES (1, 'Biro SDM', '')"))
            conn.execute(text("INSERT INTO group_member (group_id, user_id) VALUES (1, 7)"))
            conn.execute(text("INSERT INTO notification (user_id, kind, title, body, link, created_at) "
                              "VALUES (7, 'task.assigned', 't', 'b', '/', :now)"), {"now": now})
        upgrade(e.db)  # through 0003 and 0008, which rebuild user_account on SQLite
        with e.db.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM group_member")).scalar() == 1
            assert conn.execute(text("SELECT count(*) FROM notification")).scalar() == 1
            assert conn.execute(text("SELECT username FROM user_account")).scalar() == "siti"
            if conn.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # enforced again afterwards
    finally:
        e.dispose()
