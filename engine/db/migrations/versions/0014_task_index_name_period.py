"""task_index (task_name, period): the reports read one step's rows of one period

The cycle's reports (``processes/reports.py``: Kemajuan siklus, Keberatan) read, for one period, the rows of a few
steps (the SKP drafts, the realisations, the ratings, the responses to a result, the objection decisions). Without
this index each of those reads scanned the whole task index, every period an agency has kept.

The step's name leads, not the period: SQLite has no statistics and takes an index on an equality whenever one
fits, so a (period, ...) index would be taken for the queries that read a period's rows of every step (the overdue
tasks, which the open-task index serves better, and the step durations), reading nearly the whole table through it.

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
    op.create_index("ix_task_index_name_period", "task_index", ["task_name", "period"])


def downgrade() -> None:
    op.drop_index("ix_task_index_name_period", table_name="task_index")
