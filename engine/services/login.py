"""Login throttling: failed logins counted per account and per client address, in the database.

The counters live in ``login_throttle`` so that every web process (and host) sees the same ones. A key (the
username as typed, case-folded, or the client address) that collects ``max_failures`` failed logins within
``window`` is locked for ``lock``: while locked, logins for it are refused without checking the password, with
the time at which to try again. Unknown usernames are counted like known ones, so a lockout says nothing about
whether an account exists. A successful login clears its account's counter (not its address's); counters
nobody has failed on for a day are deleted.

Failed logins reach the audit trail aggregated: at most one ``login.failed`` event per username and window,
carrying how many failures it stands for, plus one ``login.locked`` event per lock. An anonymous visitor can
therefore add at most a bounded number of audit rows (the address lock caps how many usernames one address can
try per window), and stale counter rows are deleted as new failures come in.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.db.org import LoginThrottle
from engine.services import audit

ACCOUNT = "account"
ADDRESS = "address"
#: A counter nobody has failed on for this long is deleted (its unreported failures reported first).
STALE_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class LoginPolicy:
    """How many failures within how long lock an account or an address, and for how long."""

    max_failures: int = 5
    max_failures_per_address: int = 30
    window: timedelta = timedelta(minutes=15)
    lock: timedelta = timedelta(minutes=15)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LoginPolicy:
        """Read SMK_LOGIN_MAX_FAILURES, SMK_LOGIN_MAX_FAILURES_PER_ADDRESS, SMK_LOGIN_WINDOW_MINUTES and
        SMK_LOGIN_LOCK_MINUTES (defaults 5, 30, 15, 15)."""
        env = os.environ if environ is None else environ
        default = cls()
        try:
            return cls(
                max_failures=int(env.get("SMK_LOGIN_MAX_FAILURES", default.max_failures)),
                max_failures_per_address=int(env.get("SMK_LOGIN_MAX_FAILURES_PER_ADDRESS",
                                                     default.max_failures_per_address)),
                window=timedelta(minutes=float(env.get("SMK_LOGIN_WINDOW_MINUTES", 15))),
                lock=timedelta(minutes=float(env.get("SMK_LOGIN_LOCK_MINUTES", 15))),
            )
        except ValueError as exc:
            raise ValueError(f"invalid login throttling setting in the environment: {exc}") from exc


def keys(username: str, address: str | None) -> list[tuple[str, str]]:
    """The (kind, key) pairs one login attempt is counted under."""
    found = [(ACCOUNT, username.strip().casefold()[:120])]
    if address:
        found.append((ADDRESS, address[:120]))
    return found


def locked_until(session: Session, username: str, address: str | None, now: datetime) -> datetime | None:
    """Return until when the account or the address is locked (the later of the two), or None."""
    conditions = [and_(LoginThrottle.kind == kind, LoginThrottle.key == key) for kind, key in keys(username, address)]
    until = session.scalar(select(LoginThrottle.locked_until).where(
        or_(*conditions), LoginThrottle.locked_until > now).order_by(LoginThrottle.locked_until.desc()).limit(1))
    return until


def _row(session: Session, kind: str, key: str, now: datetime) -> LoginThrottle:
    """Return the counter row of a key, locked for update; create it if missing (safe against a concurrent insert)."""
    dialect = session.get_bind().dialect.name
    values = {"kind": kind, "key": key, "failures": 0, "unreported": 0, "last_failure_at": now}
    if dialect in ("postgresql", "sqlite"):
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(insert(LoginThrottle).values(**values).on_conflict_do_nothing())
    elif session.scalar(select(LoginThrottle.id).where(LoginThrottle.kind == kind, LoginThrottle.key == key)) is None:
        session.add(LoginThrottle(**values))
        session.flush()
    return session.scalars(select(LoginThrottle).where(LoginThrottle.kind == kind, LoginThrottle.key == key)
                           .with_for_update()).one()


def record_failure(session: Session, username: str, address: str | None, now: datetime,
                   policy: LoginPolicy) -> datetime | None:
    """Count a failed login under its account and address; return until when this failure locked one of them."""
    _forget_stale(session, now, policy)
    name = username.strip()[:120]
    locked = None
    for kind, key in keys(username, address):
        row = _row(session, kind, key, now)
        if row.window_start is None or now - row.window_start >= policy.window:
            row.window_start, row.failures = now, 0
        row.failures += 1
        row.last_failure_at = now
        limit = policy.max_failures if kind == ACCOUNT else policy.max_failures_per_address
        if kind == ACCOUNT:
            row.unreported += 1
            if row.reported_at is None or now - row.reported_at >= policy.window:
                audit.record(session, "login.failed", now, None, username=name, address=address,
                             failures=row.unreported)
                row.reported_at, row.unreported = now, 0
        if row.failures >= limit:
            until = now + policy.lock
            row.locked_until, row.window_start, row.failures = until, None, 0
            locked = until
            audit.record(session, "login.locked", now, None, username=name if kind == ACCOUNT else None,
                         address=address, locked=kind, until=until.isoformat(), failures=limit)
    return locked


def _forget_stale(session: Session, now: datetime, policy: LoginPolicy) -> None:
    """Delete counters nobody has failed on for a day (a bounded batch per call); report their last failures."""
    stale = session.scalars(select(LoginThrottle).where(
        LoginThrottle.last_failure_at < now - max(policy.window, policy.lock, STALE_AFTER),
        or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now)).limit(100))
    for row in stale:
        if row.kind == ACCOUNT and row.unreported:
            audit.record(session, "login.failed", now, None, username=row.key, failures=row.unreported,
                         last_failure_at=row.last_failure_at.isoformat())
        session.delete(row)


def record_success(session: Session, username: str) -> int:
    """Clear the account's counter after a successful login; return the failures not yet in the audit trail."""
    kind, key = keys(username, None)[0]
    row = session.scalar(select(LoginThrottle).where(LoginThrottle.kind == kind, LoginThrottle.key == key))
    if row is None:
        return 0
    unreported = row.unreported
    session.delete(row)
    return unreported
