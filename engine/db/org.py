"""The organisation: units, positions, users and groups (the source of lane resolution)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db.base import Base, str40, str120, str255


class Unit(Base):
    """An organisational unit (deputy, bureau, division, sub-division)."""

    __tablename__ = "unit"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str40] = mapped_column(unique=True)
    name: Mapped[str255]
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    # False once an organisation import no longer lists it (kept for history: events and people refer to it).
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Position(Base):
    """A position (jabatan) in a unit; ``parent_id`` is the superior position that assesses it."""

    __tablename__ = "position"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str40] = mapped_column(unique=True)
    title: Mapped[str255]
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("position.id"), index=True)
    # JPT / JA (administrator, pengawas, pelaksana) / JF / PPPK
    jenis: Mapped[str40] = mapped_column(default="JA")
    # e.g. "JPT Pratama", "Administrator", "Pengawas", "Pelaksana", "Ahli Muda"
    jenjang: Mapped[str120] = mapped_column(default="")
    # False once an organisation import no longer lists it (kept for history).
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    unit: Mapped[Unit] = relationship()


class User(Base):
    """A person who can log in; employees hold a position, staff accounts may not."""

    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str120] = mapped_column(unique=True)
    password_hash: Mapped[str255] = mapped_column(default="")
    full_name: Mapped[str255]
    nip: Mapped[str | None] = mapped_column(String(40), unique=True)
    email: Mapped[str | None] = mapped_column(String(255))
    position_id: Mapped[int | None] = mapped_column(ForeignKey("position.id"), index=True)
    # An explicit assessor (acting officials, Plt/Plh) wins over the position tree.
    superior_override_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str] = mapped_column(String(8), default="id")
    # Raised by logout and by a password change: a session carries the epoch it was opened in and is valid only
    # while it still matches, so a copied session cookie stops working server-side (webapp/auth.py).
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    # From the personnel file (the organisation import): e.g. "Penata (III/c)", and "PNS" or "PPPK".
    pangkat_golongan: Mapped[str40] = mapped_column(default="", server_default="")
    status: Mapped[str] = mapped_column(String(10), default="", server_default="")
    # The user's choice on their account page: False keeps notifications in the app only (no e-mail copy).
    email_notifications: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    position: Mapped[Position | None] = relationship(foreign_keys=[position_id])


class Group(Base):
    """A named group of users; lanes other than the built-in roles name a group (e.g. ``Biro SDM``)."""

    __tablename__ = "user_group"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str120] = mapped_column(unique=True)
    description: Mapped[str] = mapped_column(Text, default="")


class GroupMember(Base):
    __tablename__ = "group_member"
    group_id: Mapped[int] = mapped_column(ForeignKey("user_group.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)


class LoginThrottle(Base):
    """Failed logins of one account (the username as typed, case-folded) or one client address, in a window.

    Stored in the database so that every web process sees the same counts (engine/services/login.py).
    """

    __tablename__ = "login_throttle"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # "account" or "address"
    key: Mapped[str120]
    failures: Mapped[int] = mapped_column(default=0)  # in the window that started at window_start
    window_start: Mapped[datetime | None]
    last_failure_at: Mapped[datetime] = mapped_column(index=True)
    locked_until: Mapped[datetime | None]
    unreported: Mapped[int] = mapped_column(default=0)  # failures not yet in an audit event
    reported_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("kind", "key"),)


class ActingAssignment(Base):
    """Someone acts for a position from one day to another (Plt/Plh): during the window they see and act on
    the position's tasks as its holder would, besides the holder; outside it the assignment does nothing."""

    __tablename__ = "acting_assignment"
    id: Mapped[int] = mapped_column(primary_key=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("position.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="Plt")  # Plt | Plh
    starts_on: Mapped[date]
    ends_on: Mapped[date]  # the last day, included
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]  # ended early by hand
    # When the handover of its first day was made (the stand-ins named in its lanes' place lost those tasks): at
    # once when named from today, else by the worker on that day (``acting.hand_over_acting_days``).
    start_handed_at: Mapped[datetime | None]
    # When the handover of its end was made (its tasks handed on: stand-ins named again, or flagged): at once when
    # ended early by hand, else by the worker the day after its last day.
    end_handed_at: Mapped[datetime | None]


class PasswordLink(Base):
    """A one-time link that lets a user set a password (a new account, or a reset by an administrator).

    Only the SHA-256 of the link's secret is stored; the link works once, until ``expires_at``
    (engine/services/accounts.py).
    """

    __tablename__ = "password_link"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(10))  # "new" (a new account) | "reset"
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
