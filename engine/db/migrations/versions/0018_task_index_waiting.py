"""task_index.waiting: a user task the model declares a waiting step (``waitingStep``), not work due

Some user tasks only show what the process waits for (the superior's RHK, the unit's curve decision) and let the
person ask for a check now; the inbox shows them apart and the navigation's badge does not count them. The runner
sets the column from the task's spec when the step becomes ready. Rows written before this revision are not
waiting steps (their models did not declare any).

A plain ADD COLUMN with a server default, not a batch: on SQLite a batch would copy task_index into a new table, and
the inbox's partial indexes with it; PostgreSQL 11+ adds a column with a constant default without rewriting the
table.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("task_index", sa.Column("waiting", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    op.drop_column("task_index", "waiting")  # SQLite 3.35+ drops a column in place
