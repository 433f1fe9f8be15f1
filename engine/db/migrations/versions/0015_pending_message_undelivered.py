"""pending_message: a partial index of the undelivered kept messages, for the worker's delivery job

A unit head's decision on the distribution curve is told to every employee of the unit as a kept message (one row
each, thousands at 10,000 employees), and the background worker delivers the kept messages whose instance now
waits for them (``engine.services.messages``). It reads the undelivered rows, oldest first, on every pass; the
delivered ones stay as the record of what was delivered to whom. This index holds only the undelivered rows.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

UNDELIVERED = sa.text("delivered_at IS NULL")


def upgrade() -> None:
    op.create_index("ix_pending_message_undelivered", "pending_message", ["id"], postgresql_where=UNDELIVERED,
                    sqlite_where=UNDELIVERED)


def downgrade() -> None:
    op.drop_index("ix_pending_message_undelivered", table_name="pending_message")
