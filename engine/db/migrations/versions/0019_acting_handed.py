"""acting_assignment.start_handed_at and end_handed_at: the handovers of an acting assignment's first and last days

A Plt/Plh named to start on a later day, or ending on their planned last day, changes who may act on open tasks on
that day without anyone doing anything: the worker makes the handover then (stand-ins named in the empty lane's
place lose the task to the acting official on the first day, and are named again after the last), once per
assignment. The two columns say that it was made.

Rows written before this revision: an assignment whose first day has come was handed over when it was named (from
today) or is taken as such; one that ended by hand or whose last day has passed is taken as handed on. Only the
assignments still to start, and the end of those still running, are left to the worker. (CURRENT_DATE is the
database server's date: a day's difference from the organisation's time zone only decides whether the worker makes
one handover of a day already begun, which is then what it would have made.)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.db.base

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("acting_assignment", sa.Column("start_handed_at", engine.db.base.UtcDateTime(timezone=True),
                                                 nullable=True))
    op.add_column("acting_assignment", sa.Column("end_handed_at", engine.db.base.UtcDateTime(timezone=True),
                                                 nullable=True))
    op.execute("UPDATE acting_assignment SET start_handed_at = created_at WHERE starts_on <= CURRENT_DATE")
    op.execute("UPDATE acting_assignment SET end_handed_at = COALESCE(ended_at, created_at) "
               "WHERE ended_at IS NOT NULL OR ends_on < CURRENT_DATE")


def downgrade() -> None:
    op.drop_column("acting_assignment", "end_handed_at")  # SQLite 3.35+ drops a column in place
    op.drop_column("acting_assignment", "start_handed_at")
