"""generic name for an employee's explicit superior (was penilai_override_id)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 15:50:00
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _rename(old: str, new: str) -> None:
    op.drop_index(f"ix_user_account_{old}", table_name="user_account")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_constraint(f"fk_user_account_{old}_user_account", type_="foreignkey")
        batch.alter_column(old, new_column_name=new)
    with op.batch_alter_table("user_account") as batch:  # a second pass: SQLite's copy loses an FK added with the rename
        batch.create_foreign_key(f"fk_user_account_{new}_user_account", "user_account", [new], ["id"])
    op.create_index(f"ix_user_account_{new}", "user_account", [new], unique=False)


def upgrade() -> None:
    _rename("penilai_override_id", "superior_override_id")


def downgrade() -> None:
    _rename("superior_override_id", "penilai_override_id")
