"""audit free text on SQLite: an FTS5 trigram index of the text free text matches, kept in step by a trigger

Free text on the audit page (``engine.queries.audit``) matches ``coalesce(task_name, '') || ' ' || CAST(data AS
TEXT)`` as a case-insensitive substring. PostgreSQL answers it with the pg_trgm index of migration 0010; SQLite had
no index and read every event for a word that occurs nowhere. This adds, on SQLite only:

- ``audit_event_text``: a contentless FTS5 table (``content=''``: it stores the index, not a copy of the text) with
  the ``trigram`` tokenizer (SQLite 3.34 or later), case-insensitive, one row per event whose rowid is the event's
  ``seq``. A phrase of three characters or more finds every event whose text holds it as a substring (and, the
  tokenizer folding case beyond ASCII, a few more): the query keeps its own substring condition as well, so the
  index only narrows which events it reads and the results are those of the plain match (tests/engine/
  test_audit_text_index.py);
- ``audit_event_text_insert``: an AFTER INSERT trigger on ``audit_event`` that indexes each new event. Events are
  append-only (the triggers of 0006 refuse UPDATE and DELETE), so no other trigger is needed. The trigger lives in
  the database: whatever writes events (the ORM, Core inserts, a bench's executemany) is indexed alike.

Existing events are indexed here. A later migration that rebuilds ``audit_event`` on SQLite (batch mode copies the
table) drops its triggers and must create this one again, as 0006 does with its own.

PostgreSQL: nothing (its pg_trgm index stays the one free text uses).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 22:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

FTS_TABLE = "audit_event_text"
TRIGGER = "audit_event_text_insert"
#: The expression free text matches (engine.queries.audit.text_expression; migration 0010), of one row.
TEXT = "COALESCE({row}task_name, '') || ' ' || CAST({row}data AS TEXT)"


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(text, content='', tokenize='trigram')")
    op.execute(f"INSERT INTO {FTS_TABLE} (rowid, text) SELECT seq, {TEXT.format(row='')} FROM audit_event")
    op.execute(f"""CREATE TRIGGER {TRIGGER} AFTER INSERT ON audit_event
                   BEGIN INSERT INTO {FTS_TABLE} (rowid, text) VALUES (NEW.seq, {TEXT.format(row='NEW.')}); END""")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}")
    op.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
