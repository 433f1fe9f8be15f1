"""pangkat/golongan and status (PNS/PPPK) of users, units and positions that an import retired (active), and
one-time set-password links (password_link)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.db.base

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pangkat_golongan", sa.String(length=40), server_default="", nullable=False))
        batch_op.add_column(sa.Column("status", sa.String(length=10), server_default="", nullable=False))
    # Existing employees: PNS or PPPK as their NIP says (a PPPK number carries 21 where a PNS has the TMT month).
    op.execute("UPDATE user_account SET status = CASE WHEN substr(nip, 13, 2) = '21' THEN 'PPPK' ELSE 'PNS' END "
               "WHERE nip IS NOT NULL AND length(nip) = 18")
    for table in ("unit", "position"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False))
    op.create_table(
        "password_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("created_at", engine.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", engine.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("used_at", engine.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"], ondelete="SET NULL",
                                name=op.f("fk_password_link_created_by_id_user_account")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], ondelete="CASCADE",
                                name=op.f("fk_password_link_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_link_token_hash")),
    )
    op.create_index(op.f("ix_password_link_user_id"), "password_link", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_password_link_user_id"), table_name="password_link")
    op.drop_table("password_link")
    for table in ("position", "unit"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("active")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("status")
        batch_op.drop_column("pangkat_golongan")
