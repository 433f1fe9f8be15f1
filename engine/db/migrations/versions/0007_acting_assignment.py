"""acting officials (Plt/Plh) for a position from one day to another

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.db.base

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "acting_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", engine.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", engine.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"],
                                name=op.f("fk_acting_assignment_created_by_id_user_account")),
        sa.ForeignKeyConstraint(["position_id"], ["position.id"], name=op.f("fk_acting_assignment_position_id_position")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_acting_assignment_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acting_assignment")),
    )
    op.create_index(op.f("ix_acting_assignment_position_id"), "acting_assignment", ["position_id"])
    op.create_index(op.f("ix_acting_assignment_user_id"), "acting_assignment", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_acting_assignment_user_id"), table_name="acting_assignment")
    op.drop_index(op.f("ix_acting_assignment_position_id"), table_name="acting_assignment")
    op.drop_table("acting_assignment")
