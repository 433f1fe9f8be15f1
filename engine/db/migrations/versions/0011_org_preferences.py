"""e-mail notifications on/off per user (user_account.email_notifications); set-password e-mails name their link
(email_outbox.password_link_id) instead of holding its secret in clear text

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 19:00:00
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

PREFIX = "/akun/sandi/"


def upgrade() -> None:
    # A plain ADD COLUMN, not a batch: on SQLite a batch copies user_account into a new table and drops the old
    # one, and with foreign keys on that drop deletes every row that cascades from it (links, group members).
    # email_outbox may be copied so: no table refers to it.
    op.add_column("user_account", sa.Column("email_notifications", sa.Boolean(), server_default=sa.true(),
                                            nullable=False))
    with op.batch_alter_table("email_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_link_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f("fk_email_outbox_password_link_id_password_link"), "password_link",
                                    ["password_link_id"], ["id"], ondelete="CASCADE")
    # Outbox rows written before this revision hold a set-password link in clear text: point each at its link
    # (found by the SHA-256 of the token, as the link table stores it) and forget the secret. A row not yet sent
    # gets a fresh secret for that link when it is sent.
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, link FROM email_outbox WHERE link LIKE :prefix"),
                        {"prefix": PREFIX + "%"}).all()
    for row_id, link in rows:
        digest = hashlib.sha256(link[len(PREFIX):].encode("utf-8")).hexdigest()
        link_id = conn.execute(sa.text("SELECT id FROM password_link WHERE token_hash = :h"), {"h": digest}).scalar()
        conn.execute(sa.text("UPDATE email_outbox SET link = NULL, password_link_id = :l WHERE id = :i"),
                     {"l": link_id, "i": row_id})
        if link_id is None:  # the link is gone: a row still waiting would send an e-mail without it
            conn.execute(sa.text("UPDATE email_outbox SET status = 'failed', last_error = :e WHERE id = :i "
                                 "AND status IN ('pending', 'sending')"),
                         {"e": "the one-time link was used, expired or replaced before it could be sent", "i": row_id})


def downgrade() -> None:
    # The secrets are gone: rows waiting to be sent cannot carry their link any more, so they fail visibly.
    op.execute("UPDATE email_outbox SET status = 'failed', last_error = 'set-password link not kept (downgrade)' "
               "WHERE password_link_id IS NOT NULL AND status IN ('pending', 'sending')")
    with op.batch_alter_table("email_outbox", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_email_outbox_password_link_id_password_link"), type_="foreignkey")
        batch_op.drop_column("password_link_id")
    op.drop_column("user_account", "email_notifications")  # SQLite 3.35+ drops a column in place
