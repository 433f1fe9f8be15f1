"""results per subject and period (subject_result)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 10:00:00

The table starts empty: the engine does not know which audit events an application used to keep such results
in. The application fills it from them once (for SMK: ``processes.operations.backfill_results``, run by
``smk init`` after the migrations).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import engine.db.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subject_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("value", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                  nullable=False),
        sa.Column("recorded_at", engine.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["instance.id"], name=op.f("fk_subject_result_instance_id_instance"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["subject_id"], ["user_account.id"],
                                name=op.f("fk_subject_result_subject_id_user_account")),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_subject_result_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_result")),
        sa.UniqueConstraint("kind", "period", "subject_id", "unit_id", name=op.f("uq_subject_result_kind")),
    )
    with op.batch_alter_table("subject_result", schema=None) as batch_op:
        batch_op.create_index("ix_subject_result_kind_period_unit", ["kind", "period", "unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("subject_result", schema=None) as batch_op:
        batch_op.drop_index("ix_subject_result_kind_period_unit")
    op.drop_table("subject_result")
