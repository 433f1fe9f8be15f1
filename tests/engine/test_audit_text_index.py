"""Free text on the audit search finds what the plain substring match finds, on SQLite through its FTS5 trigram
index (migration 0013), and a month of one kind reads that month's events by seq.

The plain match is the condition free text had before the index: ``coalesce(task_name, '') || ' ' || CAST(data
AS TEXT)`` ILIKE ``%words%`` (on SQLite ``lower(…) LIKE lower(…)``: case-insensitive for ASCII letters only; the
JSON of ``data`` is stored there with non-ASCII letters escaped, ``\\u00e9``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import inspect, select, text

from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.migrate import alembic_config
from engine.db.org import User
from engine.queries import audit as audit_query
from engine.queries.audit import AuditFilter, text_expression
from engine.runtime.clock import FixedClock
from engine.services import audit
from tests.statements import recorded_with_parameters

#: (task name, data) of the events searched: case, non-ASCII letters (in the task name, stored as is, and in the data,
#: stored as JSON), LIKE's wildcards and escape, quotes (FTS5's phrase delimiter), spaces, digits.
EVENTS: list[tuple[str | None, dict[str, Any]]] = [
    ("Isi Realisasi", {"catatan": "Bukti tercecer di LEMARI arsip"}),
    ("Évaluation École", {"catatan": "Straße ÉCOLE naïve"}),
    ("Tinjau SKP", {"catatan": "100% selesai_ok \\ path", "nilai": 95}),
    (None, {"kutipan": 'beliau berkata "ya" lalu pergi'}),
    ("Ünal İstanbul", {"catatan": "KELVIN \u212a sign, ǅemal"}),
    ("Putuskan keberatan", {"alasan": "tidak  sesuai   (spasi ganda)"}),
    ("Tercecer", {}),
    ("isi realisasi", {"catatan": "bukti TERCECER"}),
]
TERMS = ["tercecer", "TERCECER", "Tercecer di l", "realisasi", "isi r", "REALISASI ", "école", "ÉCOLE", "évaluation",
         "Évaluation", "straße", "STRASSE", "u00c9", "\\u00e9", "100%", "0%", "selesai_ok", "_ok", "i_o", "\\ path",
         "\\", '"ya"', 'berkata "', '"', "ünal", "ÜNAL", "İstanbul", "istanbul", "kelvin", "\u212a", "ǅemal", "ǆemal",
         "95", "nilai", "tidak  sesuai", "tidak sesuai", "  (", "ab", "a", "zz", "é", "SKP {", "tinjau skp",
         "tidak ada di mana pun", "catatan\": \"b"]


def write(eng: Engine, events: list[tuple[str | None, dict[str, Any]]], subject_id: int | None = None) -> None:
    for task_name, data in events:
        with eng.session_factory.begin() as s:
            audit.record(s, "task.completed", eng.now(), None, task_name=task_name, subject_id=subject_id, **data)


def plain(eng: Engine, words: str) -> list[int]:
    """The events the plain substring match finds (no index), newest first."""
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    with eng.db.connect() as conn:
        return list(conn.scalars(select(AuditEvent.seq).where(text_expression().ilike(f"%{escaped}%", escape="\\"))
                                 .order_by(AuditEvent.seq.desc())))


def indexed(eng: Engine, words: str) -> list[int]:
    """The events SQLite's FTS5 index alone finds for ``words`` as a phrase, newest first."""
    with eng.db.connect() as conn:
        return list(conn.scalars(text("SELECT rowid FROM audit_event_text WHERE audit_event_text MATCH :q "
                                      "ORDER BY rowid DESC"), {"q": '"' + words.replace('"', '""') + '"'}))


@pytest.fixture
def statements(eng: Engine) -> Iterator[list[tuple[str, Any]]]:
    """Every statement the engine's database runs from here on, with its parameters."""
    with recorded_with_parameters(eng.db) as ran:
        yield ran


def test_free_text_finds_what_the_plain_match_finds(eng: Engine, org: dict[str, int], statements: list[tuple[str, Any]]) -> None:
    write(eng, EVENTS)
    write(eng, EVENTS[::-1], subject_id=org["budi"])
    sqlite = eng.db.dialect.name == "sqlite"
    for words in TERMS:
        statements.clear()
        page = audit_query.search(eng, org["indah"], AuditFilter(text=words), limit=200)
        found = [r.seq for r in page.rows]
        assert found == plain(eng, words.strip()), words
        uses_index = any("audit_event_text" in s for s, _ in statements)
        assert uses_index == (sqlite and len(words.strip()) >= 3), words
    # With other filters: a date range (the index seeks to its seq bounds), one employee (their events are read
    # through their own index instead), a kind family.
    ts = eng.now()
    with eng.session_factory() as s:
        subject, username = s.execute(select(User.id, User.username).where(User.id == org["budi"])).one()
    for words in ["tercecer", "realisasi", "école", "isi r", "ab", "nilai"]:
        for filters, check in (
                (AuditFilter(text=words, date_from=ts - timedelta(days=1), date_to=ts + timedelta(days=1)), True),
                (AuditFilter(text=words, date_from=ts + timedelta(days=3)), False),
                (AuditFilter(text=words, kind="task."), True)):
            statements.clear()
            found = [r.seq for r in audit_query.search(eng, org["indah"], filters, limit=200).rows]
            assert found == (plain(eng, words) if check else []), (words, filters)
        statements.clear()
        by_subject = audit_query.search(eng, org["indah"], AuditFilter(text=words, subject=username), limit=200)
        assert not any("audit_event_text" in s for s, _ in statements)
        assert by_subject.rows or words in ("école", "ab")
        assert [r.seq for r in by_subject.rows] == [r.seq for r in audit_query.search(
            eng, org["indah"], AuditFilter(text=words), limit=200).rows if r.subject_id == subject]
    # The terms are not all alike: some find one event (twice: once with the employee), some several, some none
    # (else the comparison proves little).
    counts = {len(plain(eng, w.strip())) for w in TERMS}
    assert 0 in counts and 2 in counts and max(counts) >= 6


def test_on_sqlite_case_folds_for_ascii_letters_only_as_before(eng: Engine, org: dict[str, int]) -> None:
    """The index folds case beyond ASCII (it finds 'ÜNAL' for 'ünal'); the results keep SQLite's own rule."""
    if eng.db.dialect.name != "sqlite":
        pytest.skip("SQLite's lower() and LIKE fold ASCII letters only; PostgreSQL's ILIKE folds every letter")
    write(eng, EVENTS)
    with eng.db.connect() as conn:
        texts = {seq: t for seq, t in conn.execute(select(AuditEvent.seq, text_expression()))}

    def ascii_lower(s: str) -> str:
        return "".join(c.lower() if c.isascii() else c for c in s)

    for words in TERMS:
        words = words.strip()
        expected = sorted((seq for seq, t in texts.items() if ascii_lower(words) in ascii_lower(t)), reverse=True)
        found = [r.seq for r in audit_query.search(eng, org["indah"], AuditFilter(text=words), limit=200).rows]
        assert found == expected, words
        if len(words) >= 3:
            assert set(indexed(eng, words)) >= set(expected), words  # the index never misses a match
    # 'Ünal' is in a task name (stored as is): the index finds it for 'ÜNAL' and 'ünal', the match for 'Ünal' only.
    assert indexed(eng, "ünal") == indexed(eng, "ÜNAL") != []
    assert plain(eng, "ünal") == [] and plain(eng, "Ünal") != []


def test_every_event_written_is_indexed_by_the_trigger(eng: Engine, org: dict[str, int]) -> None:
    if eng.db.dialect.name != "sqlite":
        pytest.skip("the FTS5 index is SQLite's")
    write(eng, EVENTS[:2])
    before = indexed(eng, "tercecer")
    write(eng, [("Catat", {"catatan": "satu lagi tercecer"})])
    with eng.session_factory() as s:
        newest = s.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))
    assert indexed(eng, "tercecer") == [newest, *before]
    # Pages page through the index's events as through any others.
    first = audit_query.search(eng, org["indah"], AuditFilter(text="tercecer"), limit=1)
    second = audit_query.search(eng, org["indah"], AuditFilter(text="tercecer"), before=first.next_before, limit=1)
    assert [r.seq for r in first.rows + second.rows] == [newest, *before]


def test_a_month_of_one_kind_reads_that_months_events_by_seq(eng: Engine, org: dict[str, int],
                                                             clock: FixedClock, statements: list[tuple[str, Any]]) -> None:
    """The page's filter keeps SQLite off the kind and time indexes (a unary +) and finds the same events."""
    start = eng.now()
    for day in range(0, 90, 3):
        clock.set(start + timedelta(days=day))
        with eng.session_factory.begin() as s:
            audit.record(s, "task.completed" if day % 2 else "task.ready", eng.now(), None, day=day)
    month = AuditFilter(kind="task.completed", date_from=start + timedelta(days=30), date_to=start + timedelta(days=60))
    statements.clear()
    found = [r.data["day"] for r in audit_query.search(eng, org["indah"], month).rows]
    assert found == [d for d in range(57, 29, -1) if d % 3 == 0 and d % 2]
    family = AuditFilter(kind="task.", date_from=start + timedelta(days=30), date_to=start + timedelta(days=33))
    assert [r.data["day"] for r in audit_query.search(eng, org["indah"], family).rows] == [30]
    page, parameters = next(r for r in statements if "ORDER BY audit_event.seq DESC" in r[0])
    if eng.db.dialect.name == "sqlite":
        assert "+ audit_event.kind" in page and "+ audit_event.at" in page
        with eng.db.connect() as conn:
            plan = " | ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + page, parameters))
        assert "ix_audit_event_kind" not in plan and "ix_audit_event_at" not in plan, plan
        assert "(seq>? AND seq<?)" in plan and "TEMP B-TREE" not in plan, plan
    else:
        assert "+ audit_event" not in page  # PostgreSQL plans with its statistics, as before


def test_migration_0013_indexes_existing_events_and_comes_down(empty_db_url: str) -> None:
    e = Engine(empty_db_url, clock=FixedClock())
    try:
        config = alembic_config(e.db)
        command.upgrade(config, "0012")
        write(e, EVENTS[:3])
        command.upgrade(config, "0013")
        with e.db.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            triggers = set(conn.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
                           if conn.dialect.name == "sqlite" else [])
        if e.db.dialect.name != "sqlite":
            assert not any(t.startswith("audit_event_text") for t in tables)  # PostgreSQL: unchanged
            command.downgrade(config, "0012")
            command.upgrade(config, "head")
            return
        assert "audit_event_text" in tables and "audit_event_text_insert" in triggers
        assert indexed(e, "tercecer") == plain(e, "tercecer") == [1]  # events written before the migration
        assert indexed(e, "école") == [2] and indexed(e, "selesai_ok") == [3]
        write(e, EVENTS[7:])
        assert indexed(e, "tercecer") == [4, 1]

        command.downgrade(config, "0012")
        with e.db.connect() as conn:
            assert not any(t.startswith("audit_event_text") for t in inspect(conn).get_table_names())
            assert "audit_event_text_insert" not in set(conn.scalars(text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'")))
        write(e, EVENTS[6:7])  # events are written without the index
        command.upgrade(config, "head")
        assert indexed(e, "tercecer") == [5, 4, 1]
    finally:
        e.dispose()
