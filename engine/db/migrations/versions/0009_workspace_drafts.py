"""Model proses workspace drafts: a revision counter per bundle (workspace_bundle), each process owner's draft of
a bundle (workspace_draft) and the files it changed or added (workspace_draft_file)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.db.base

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workspace_bundle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("deployed_revision", sa.Integer(), nullable=False),
        sa.Column("deployed_by", sa.String(length=120), nullable=True),
        sa.Column("deployed_at", engine.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspace_bundle")),
        sa.UniqueConstraint("name", name=op.f("uq_workspace_bundle_name")),
    )
    op.create_table(
        "workspace_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bundle_name", sa.String(length=255), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("owner_name", sa.String(length=120), nullable=False),
        sa.Column("created_at", engine.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", engine.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["user_account.id"], ondelete="CASCADE",
                                name=op.f("fk_workspace_draft_owner_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspace_draft")),
        sa.UniqueConstraint("bundle_name", "owner_id", name=op.f("uq_workspace_draft_bundle_name")),
    )
    op.create_index(op.f("ix_workspace_draft_bundle_name"), "workspace_draft", ["bundle_name"])
    op.create_table(
        "workspace_draft_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("base_sha256", sa.String(length=64), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("saved_at", engine.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["draft_id"], ["workspace_draft.id"], ondelete="CASCADE",
                                name=op.f("fk_workspace_draft_file_draft_id_workspace_draft")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspace_draft_file")),
        sa.UniqueConstraint("draft_id", "filename", name=op.f("uq_workspace_draft_file_draft_id")),
    )
    op.create_index(op.f("ix_workspace_draft_file_draft_id"), "workspace_draft_file", ["draft_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_workspace_draft_file_draft_id"), table_name="workspace_draft_file")
    op.drop_table("workspace_draft_file")
    op.drop_index(op.f("ix_workspace_draft_bundle_name"), table_name="workspace_draft")
    op.drop_table("workspace_draft")
    op.drop_table("workspace_bundle")
