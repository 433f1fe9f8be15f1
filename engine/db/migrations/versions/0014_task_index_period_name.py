"""task_index (period, task_name): the reports read one step's rows of one period

The cycle's reports (``processes/reports.py``: Kemajuan siklus, Keberatan, Durasi tahapan) read, for one period,
the rows of a few steps (the SKP drafts, the realisations, the ratings, the responses to a result, the objection
decisions) or every completed row of the period. Without this index each of those reads scanned the whole task
index, every period an agency has kept.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 22:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_task_index_period_name", "task_index", ["period", "task_name"])


def downgrade() -> None:
    op.drop_index("ix_task_index_period_name", table_name="task_index")
