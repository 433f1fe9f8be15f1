"""task candidates join table (task x username, task x group name) for open tasks, partial indexes on open
tasks (assignee, subject, lane) and the admin list's order (instance.updated_at, id)

The join table is filled from the open tasks' ``candidate_users``/``candidate_groups`` text columns, which
stay as the record of what the model named.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

OPEN = sa.text("closed_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "task_candidate",
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=5), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["task_index.id"], ondelete="CASCADE",
                                name=op.f("fk_task_candidate_task_id_task_index")),
        sa.PrimaryKeyConstraint("task_id", "kind", "name", name=op.f("pk_task_candidate")),
    )
    op.create_index("ix_task_candidate_kind_name", "task_candidate", ["kind", "name", "task_id"])
    for name, columns in (("ix_task_index_open_assignee", ["assignee_id"]),
                          ("ix_task_index_open_subject", ["subject_id", "lane"]),
                          ("ix_task_index_open_lane", ["lane", "due_at"])):
        op.create_index(name, "task_index", columns, postgresql_where=OPEN, sqlite_where=OPEN)
    op.create_index("ix_instance_updated_at_id", "instance", ["updated_at", "id"])
    _fill()


def _fill() -> None:
    """Write one row per name in the open tasks' ",a,b," lists (in Python: both databases, no SQL string
    splitting); batches of 1,000."""
    conn = op.get_bind()
    task_index = sa.table("task_index", sa.column("id", sa.String), sa.column("candidate_users", sa.Text),
                          sa.column("candidate_groups", sa.Text), sa.column("closed_at"))
    candidate = sa.table("task_candidate", sa.column("task_id", sa.String), sa.column("kind", sa.String),
                         sa.column("name", sa.String))
    rows = conn.execute(sa.select(task_index.c.id, task_index.c.candidate_users, task_index.c.candidate_groups)
                        .where(task_index.c.closed_at.is_(None),
                               (task_index.c.candidate_users != "") | (task_index.c.candidate_groups != ""))).all()
    batch: list[dict[str, str]] = []
    for task_id, users, groups in rows:
        seen = set()
        for kind, names in (("user", users), ("group", groups)):
            for name in (names or "").split(","):
                name = name.strip()[:120]
                if name and (kind, name) not in seen:
                    seen.add((kind, name))
                    batch.append({"task_id": task_id, "kind": kind, "name": name})
        if len(batch) >= 1000:
            conn.execute(candidate.insert(), batch)
            batch = []
    if batch:
        conn.execute(candidate.insert(), batch)


def downgrade() -> None:
    op.drop_index("ix_instance_updated_at_id", table_name="instance")
    for name in ("ix_task_index_open_lane", "ix_task_index_open_subject", "ix_task_index_open_assignee"):
        op.drop_index(name, table_name="task_index")
    op.drop_index("ix_task_candidate_kind_name", table_name="task_candidate")
    op.drop_table("task_candidate")
