"""audit free-text index (PostgreSQL: pg_trgm GIN) and the instance index reports filter by

Free text on the audit page (``engine.queries.audit``: "text in task titles and notes") matches
``coalesce(task_name, '') || ' ' || CAST(data AS TEXT)`` with ILIKE. On PostgreSQL a trigram GIN index on that
expression answers it without reading the table (``pg_trgm``, a trusted extension: a database owner may create it;
it is created once per database, in ``public`` when that schema exists, and the index names its operator class
with the schema it lives in, so every schema of the database can use it). Without pg_trgm on the server the index
is left out and free text stays a scan (correct, only slower); SQLite always scans (see docs/benchmarks.md).

``ix_instance_process_period``: the reports and the audit filter "process and period" select a period's cases of
one process; the single-column index on process_id left PostgreSQL reading every case of the process.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TRGM_INDEX = "ix_audit_event_text_trgm"
#: The expression free text matches (engine.queries.audit.text_expression builds the same one).
TEXT_EXPRESSION = "(COALESCE(task_name, '') || ' ' || CAST(data AS TEXT))"


def trgm_schema(bind: sa.Connection) -> str | None:
    """Create pg_trgm if the server has it and return the schema it lives in; None when it cannot be had."""
    found = bind.execute(sa.text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                                 "WHERE e.extname = 'pg_trgm'")).scalar()
    if found:
        return str(found)
    if not bind.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).scalar():
        return None
    public = bind.execute(sa.text("SELECT 1 FROM pg_namespace WHERE nspname = 'public'")).scalar()
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm" + (" WITH SCHEMA public" if public else "")))
    except sa.exc.DBAPIError:  # not allowed for this role: free text stays a scan
        return None
    return str(bind.execute(sa.text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_trgm'")).scalar())


def upgrade() -> None:
    op.create_index("ix_instance_process_period", "instance", ["process_id", "period"])
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = trgm_schema(bind)
    if schema is None:
        return
    op.execute(f'CREATE INDEX {TRGM_INDEX} ON audit_event USING gin ({TEXT_EXPRESSION} "{schema}".gin_trgm_ops)')


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {TRGM_INDEX}")
    op.drop_index("ix_instance_process_period", table_name="instance")
