"""instance.state as JSON text compressed with LZ4 on PostgreSQL, instead of JSONB compressed with pglz

Every step of every instance writes its whole workflow state (15–45 kB of JSON for the SMK models) and most steps
read it first. As JSONB, PostgreSQL parses that text into its binary form on every write, compresses it with pglz
(the state is always larger than the 2 kB above which a value is compressed) and prints it back as text on every
read. Measured on a 31 kB planning state (PostgreSQL 15, one backend, 2,000 repetitions): a write cost 1.06 ms of
server CPU as JSONB with pglz, 0.27 ms as JSON with LZ4; a read 0.21 ms against 0.07 ms. In a simulated year these
writes were the server's costliest statement (a quarter of its time). Nothing queries inside the state but a few
path reads (``#>``), which JSON answers too.

LZ4 needs PostgreSQL 14 or later built with it (Debian's and the official images are); elsewhere the column keeps the
server's default compression. SQLite stores JSON as text already: nothing changes there.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def _lz4_available() -> bool:
    return bool(op.get_bind().scalar(sa.text(
        "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)")))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # One statement: the table is rewritten once, its states converted and compressed the new way.
    op.execute("ALTER TABLE instance ALTER COLUMN state TYPE json USING state::json"
               + (", ALTER COLUMN state SET COMPRESSION lz4" if _lz4_available() else ""))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE instance ALTER COLUMN state TYPE jsonb USING state::jsonb"
               + (", ALTER COLUMN state SET COMPRESSION default" if _lz4_available() else ""))
