"""Verify the audit trail's hash chain: report "intact", or the first event altered, deleted or inserted.

Every event carries ``seq`` (1, 2, 3 … without gaps) and ``hash`` = SHA-256(previous hash, canonical
content); the chain head row holds the newest pair. Verification walks the events by ``seq`` from the newest
checkpoint (or from the start with ``full=True``), recomputes each hash and compares. What it finds:

- ``altered``: an event's content (or its hash) no longer matches the chain;
- ``deleted``: a ``seq`` is missing (or the newest events are gone: the head names a later one);
- ``inserted``: an event that is not part of the chain sits between two that are;
- ``reordered``: events are in the chain but not at the place their ``seq`` says.

Anyone who can rewrite the database could recompute every hash after a change; the head hash printed by
``smk audit verify`` is what to keep outside the database (a signed report, a ticket) to catch that too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.core import Engine
from engine.db.audit import GENESIS, AuditChainHead, AuditCheckpoint, AuditEvent, chain_hash

LOOK_AHEAD = 50  # how far past a broken link to look for the event that belongs there


@dataclass
class ChainReport:
    intact: bool
    checked: int  # events verified in this run
    start_seq: int  # verification started after this seq (0: from the beginning)
    head_seq: int
    head_hash: str
    problem: str | None = None  # altered | deleted | inserted | reordered
    seq: int | None = None  # where: the seq the chain expected there
    event_id: int | None = None  # the stored event found at that place, if any
    checked_at: datetime | None = None


def _start(session: Session, full: bool) -> tuple[int, str]:
    if full:
        return 0, GENESIS
    checkpoint = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1)).first()
    return (checkpoint.seq, checkpoint.hash) if checkpoint else (0, GENESIS)


def verify_chain(engine: Engine, full: bool = False, batch: int = 5000, checkpoint: bool = True) -> ChainReport:
    """Walk the chain from the newest checkpoint (or the start); record a checkpoint when it is intact."""
    now = engine.now()
    with engine.session_factory() as session:
        head = session.get(AuditChainHead, 1)
        head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
        start_seq, previous = _start(session, full)
        expected, checked = start_seq + 1, 0
        report = ChainReport(True, 0, start_seq, head_seq, head_hash, checked_at=now)
        while True:
            # Plain rows, not ORM objects: the walk reads a million events without the identity map.
            table = AuditEvent.__table__
            rows = [SimpleNamespace(**r) for r in session.execute(
                select(table).where(table.c.seq >= expected).order_by(table.c.seq).limit(batch + LOOK_AHEAD)).mappings()]
            if not rows:
                break
            for i, row in enumerate(rows[:batch]):
                problem = None
                if row.seq > head_seq:
                    problem = "inserted"  # past the newest event the head knows
                elif row.seq != expected:
                    problem = "deleted"
                elif chain_hash(previous, row) != row.hash:
                    problem = _classify(previous, expected, row, rows[i + 1:])
                if problem:
                    report.intact, report.problem, report.seq = False, problem, expected
                    report.event_id = row.id if problem != "deleted" else None
                    report.checked = checked
                    return report
                previous, expected, checked = row.hash, expected + 1, checked + 1
            if len(rows) <= batch:
                break
        report.checked = checked
        last = expected - 1
        if last != head_seq or (last and previous != head_hash):
            report.intact = False
            report.problem = "deleted" if last < head_seq else "inserted"
            report.seq = min(last, head_seq) + 1
            return report
        extra = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.seq > head_seq))
        if extra:
            report.intact, report.problem, report.seq = False, "inserted", head_seq + 1
            return report
    if checkpoint and checked:
        with engine.session_factory.begin() as session:
            if session.get(AuditCheckpoint, head_seq) is None:
                session.add(AuditCheckpoint(seq=head_seq, hash=head_hash, verified_at=now))
    return report


def _classify(previous: str, seq: int, row: Any, following: list[Any]) -> str:
    """Name what broke the link at ``seq``: an extra event, events out of order, or a changed one."""
    if following and chain_hash(previous, following[0], seq) == following[0].hash:
        # The next event is the one that belongs here: this one was put in between, or the two swapped.
        swapped = chain_hash(following[0].hash, row, seq + 1) == row.hash
        return "reordered" if swapped else "inserted"
    if any(chain_hash(previous, row, seq) == row.hash for row in following[1:LOOK_AHEAD]):
        return "reordered"
    return "altered"
