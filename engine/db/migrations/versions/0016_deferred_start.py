"""deferred_start: instances a step asked for, started by the background worker one per transaction

A step that starts one instance per employee (the SMK period's planning, 10,000 at a large ministry) writes one
row per subject here in its own transaction; the worker's job ``engine.services.deferred.start_deferred`` starts
each in a short transaction of its own. The partial index holds only the rows not started yet.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import engine.db.base

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

PENDING = sa.text("started_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "deferred_start",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.String(length=120), nullable=False),
        sa.Column("process_version_id", sa.Integer(), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("data", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                  nullable=False),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_by_instance_id", sa.Integer(), nullable=True),
        sa.Column("created_at", engine.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("started_at", engine.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["process_version_id"], ["process_version.id"],
                                name=op.f("fk_deferred_start_process_version_id_process_version")),
        sa.ForeignKeyConstraint(["subject_id"], ["user_account.id"],
                                name=op.f("fk_deferred_start_subject_id_user_account")),
        sa.ForeignKeyConstraint(["started_by_id"], ["user_account.id"],
                                name=op.f("fk_deferred_start_started_by_id_user_account")),
        sa.ForeignKeyConstraint(["requested_by_instance_id"], ["instance.id"], ondelete="SET NULL",
                                name=op.f("fk_deferred_start_requested_by_instance_id_instance")),
        sa.ForeignKeyConstraint(["instance_id"], ["instance.id"], ondelete="SET NULL",
                                name=op.f("fk_deferred_start_instance_id_instance")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deferred_start")),
    )
    op.create_index("ix_deferred_start_pending", "deferred_start", ["id"], postgresql_where=PENDING,
                    sqlite_where=PENDING)


def downgrade() -> None:
    op.drop_index("ix_deferred_start_pending", table_name="deferred_start")
    op.drop_table("deferred_start")
