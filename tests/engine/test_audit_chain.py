"""The audit trail is hash-chained: tampering with stored events, even behind the triggers, is found and located."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event, func, select, text

from engine.core import Engine
from engine.db.audit import GENESIS, AuditChainHead, AuditEvent, chain_hash
from engine.services import audit
from engine.services.audit_chain import verify_chain


def write_events(eng: Engine, n: int, kind: str = "test.event") -> None:
    for i in range(n):
        with eng.session_factory.begin() as s:
            audit.record(s, kind, eng.now(), None, number=i, amount=1e30 if i % 3 else 100.0,
                         note=f"event {i} / peristiwa {i}")


def raw(eng: Engine, sql: str, **params: object) -> None:
    """Change the table as someone with database access would: around the append-only triggers."""
    with eng.db.begin() as conn:
        if eng.db.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change"))
            conn.execute(text(sql), params)
            conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_change"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_event_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_event_no_delete"))
            conn.execute(text(sql), params)


def seq_id(eng: Engine, seq: int) -> int:
    with eng.session_factory() as s:
        return s.scalar(select(AuditEvent.id).where(AuditEvent.seq == seq))


def test_events_are_numbered_and_chained_as_they_commit(eng: Engine) -> None:
    write_events(eng, 5)
    with eng.session_factory() as s:
        events = s.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        head = s.get(AuditChainHead, 1)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    previous = GENESIS
    for e in events:
        assert e.hash == chain_hash(previous, e)
        previous = e.hash
    assert (head.seq, head.hash) == (5, previous)
    report = verify_chain(eng)
    assert report.intact and report.checked == 5 and report.head_seq == 5


def test_sealing_a_transactions_events_takes_two_round_trips_on_postgresql(eng: Engine) -> None:
    """The head is read under its lock, then the events inserted; on PostgreSQL the head moves on in the same
    statement (a data-modifying CTE of the INSERT), on SQLite in a third."""
    write_events(eng, 1)  # the head exists from here on
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "audit_" in statement:
            seen.append(statement)

    event.listen(eng.db, "before_cursor_execute", count)
    try:
        with eng.session_factory.begin() as s:
            for i in range(3):
                audit.record(s, "test.event", eng.now(), None, number=i)
    finally:
        event.remove(eng.db, "before_cursor_execute", count)
    assert len(seen) == (2 if eng.db.dialect.name == "postgresql" else 3)
    with eng.session_factory() as s:
        events = s.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        head = s.get(AuditChainHead, 1)
    assert [e.seq for e in events] == [1, 2, 3, 4] and (head.seq, head.hash) == (4, events[-1].hash)
    assert verify_chain(eng).intact


def test_the_seal_is_one_statement_whatever_the_number_of_events(eng: Engine) -> None:
    """The same statement text for 2 events and for 40 (SQLAlchemy compiles it once; a multi-row VALUES was
    built and compiled anew for each transaction), with the events stored in their order and their values kept."""
    write_events(eng, 1)
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().startswith(("WITH", "INSERT INTO audit_event")):
            seen.append(statement)

    event.listen(eng.db, "before_cursor_execute", count)
    try:
        for n in (2, 40):
            with eng.session_factory.begin() as s:
                for i in range(n):
                    audit.record(s, "test.event", eng.now(), None, number=i, note="kinerja «baik» ✓",
                                 nested={"rows": [1, 2.5, None, True]}, big=10**20)
    finally:
        event.remove(eng.db, "before_cursor_execute", count)
    assert len(seen) == 2 and seen[0] == seen[1]
    with eng.session_factory() as s:
        events = s.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [e.seq for e in events] == list(range(1, 44))
    last = events[-1]
    assert last.data["note"] == "kinerja «baik» ✓" and last.data["number"] == 39
    assert last.data["nested"] == {"rows": [1, 2.5, None, True]} and last.data["big"] == 10**20
    assert last.at.tzinfo is not None
    assert verify_chain(eng).intact


def test_a_rolled_back_transaction_leaves_no_event_and_no_gap(eng: Engine) -> None:
    write_events(eng, 2)
    with pytest.raises(RuntimeError), eng.session_factory.begin() as s:
        audit.record(s, "test.lost", eng.now(), None)
        raise RuntimeError("the change fails")
    write_events(eng, 1)
    with eng.session_factory() as s:
        assert list(s.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq))) == [1, 2, 3]
    assert verify_chain(eng).intact


def test_a_changed_value_is_found_at_its_event(eng: Engine) -> None:
    write_events(eng, 6)
    target = seq_id(eng, 4)
    raw(eng, "UPDATE audit_event SET actor = 'someone else' WHERE id = :id", id=target)
    report = verify_chain(eng)
    assert not report.intact and report.problem == "altered" and report.seq == 4 and report.event_id == target


def test_a_changed_data_value_is_found(eng: Engine) -> None:
    write_events(eng, 3)
    target = seq_id(eng, 2)
    data = '{"number": 99, "amount": 1e30, "note": "x"}'
    raw(eng, "UPDATE audit_event SET data = :d WHERE id = :id", d=data, id=target)
    report = verify_chain(eng)
    assert (report.problem, report.seq) == ("altered", 2)


def test_a_deleted_event_is_found_at_its_place(eng: Engine) -> None:
    write_events(eng, 6)
    raw(eng, "DELETE FROM audit_event WHERE seq = 3")
    report = verify_chain(eng)
    assert (report.intact, report.problem, report.seq) == (False, "deleted", 3)


def test_deleting_the_newest_events_is_found_against_the_head(eng: Engine) -> None:
    write_events(eng, 5)
    raw(eng, "DELETE FROM audit_event WHERE seq >= 4")
    report = verify_chain(eng)
    assert (report.problem, report.seq) == ("deleted", 4)


def test_an_event_inserted_in_the_middle_is_found(eng: Engine) -> None:
    write_events(eng, 5)
    # Make room at seq 3 by moving the later events up, then insert a forged event there.
    raw(eng, "UPDATE audit_event SET seq = seq + 100 WHERE seq >= 3")
    raw(eng, "UPDATE audit_event SET seq = seq - 99 WHERE seq >= 103")
    with eng.session_factory() as s:
        model = s.scalars(select(AuditEvent).where(AuditEvent.seq == 2)).one()
        at = model.at
    raw(eng, "INSERT INTO audit_event (at, kind, actor, data, seq, hash) VALUES (:at, 'forged', 'system', '{}', 3, :h)",
        at=at, h="f" * 64)
    report = verify_chain(eng)
    assert (report.intact, report.problem, report.seq) == (False, "inserted", 3)
    with eng.session_factory() as s:
        assert s.get(AuditEvent, report.event_id).kind == "forged"


def test_an_event_appended_past_the_head_is_found(eng: Engine) -> None:
    write_events(eng, 3)
    with eng.session_factory() as s:
        at = s.scalar(select(func.max(AuditEvent.at)))
    raw(eng, "INSERT INTO audit_event (at, kind, actor, data, seq, hash) VALUES (:at, 'forged', 'system', '{}', 4, :h)",
        at=at, h="e" * 64)
    report = verify_chain(eng)
    assert (report.intact, report.problem, report.seq) == (False, "inserted", 4)


def test_two_events_swapped_are_found_as_reordered(eng: Engine) -> None:
    write_events(eng, 6)
    raw(eng, "UPDATE audit_event SET seq = 1000 WHERE seq = 3")
    raw(eng, "UPDATE audit_event SET seq = 3 WHERE seq = 4")
    raw(eng, "UPDATE audit_event SET seq = 4 WHERE seq = 1000")
    report = verify_chain(eng)
    assert (report.intact, report.problem, report.seq) == (False, "reordered", 3)


def test_verification_resumes_from_a_checkpoint_and_full_rechecks_everything(eng: Engine) -> None:
    write_events(eng, 4)
    assert verify_chain(eng).checked == 4  # writes a checkpoint at seq 4
    write_events(eng, 2)
    report = verify_chain(eng)
    assert report.intact and (report.start_seq, report.checked) == (4, 2)
    raw(eng, "UPDATE audit_event SET kind = 'changed' WHERE seq = 2")
    assert verify_chain(eng).intact  # before the checkpoint: only a full run looks there
    full = verify_chain(eng, full=True)
    assert (full.problem, full.seq) == ("altered", 2)


def test_parallel_writers_never_fork_the_chain(eng: Engine) -> None:
    if eng.db.dialect.name != "postgresql":
        pytest.skip("parallel writers in separate connections: PostgreSQL (SQLite serialises every writer)")
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for i in range(15):
                with eng.session_factory.begin() as s:
                    audit.record(s, "test.parallel", eng.now(), None, writer=k, i=i)
                    audit.record(s, "test.parallel.second", eng.now(), None, writer=k, i=i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with eng.session_factory() as s:
        seqs = list(s.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)))
    assert seqs == list(range(1, 6 * 15 * 2 + 1))
    assert verify_chain(eng, full=True).intact
