"""Organisation data: units, positions, users and groups (the source of lane resolution)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from engine.access import LANES, in_role
from engine.core import Engine
from engine.db.org import Group, GroupMember, Position, Unit, User
from engine.errors import N_, NotFound, PermissionDenied
from engine.services import audit, handover, login
from engine.services.login import LoginPolicy


@dataclass
class Account:
    """The logged-in user as the web layer sees it."""

    id: int
    username: str
    full_name: str
    groups: list[str]
    position_title: str
    locale: str
    active: bool
    session_epoch: int = 0  # a session is valid while it carries this number (see end_sessions)

    def in_group(self, name: str) -> bool:
        return name in self.groups

    @property
    def is_admin(self) -> bool:
        return bool(set(LANES.roles.admin) & set(self.groups))


def _account(session: Session, user: User) -> Account:
    groups = list(session.scalars(select(Group.name).join(GroupMember, GroupMember.group_id == Group.id)
                                  .where(GroupMember.user_id == user.id).order_by(Group.name)))
    return Account(user.id, user.username, user.full_name, groups,
                   user.position.title if user.position else "", user.locale, user.active, user.session_epoch or 0)


def get_account(engine: Engine, user_id: int) -> Account | None:
    """The logged-in user of every request (flask-login's loader): one statement, a row per group they are in."""
    with engine.session_factory() as session:
        rows = session.connection().execute(
            select(User.id, User.username, User.full_name, Position.title, User.locale, User.active,
                   User.session_epoch, Group.name)
            .outerjoin(Position, Position.id == User.position_id)
            .outerjoin(GroupMember, GroupMember.user_id == User.id)
            .outerjoin(Group, Group.id == GroupMember.group_id)
            .where(User.id == user_id)).all()
    if not rows or not rows[0].active:
        return None
    first = rows[0]
    return Account(first.id, first.username, first.full_name, sorted(r.name for r in rows if r.name is not None),
                   first.title or "", first.locale, first.active, first.session_epoch or 0)


class LoginLocked(Exception):
    """Logins for this username or from this address are refused until ``until`` (too many failed attempts)."""

    def __init__(self, until: datetime) -> None:
        super().__init__(f"login locked until {until.isoformat()}")
        self.until = until


def authenticate(engine: Engine, username: str, password: str, address: str | None = None,
                 policy: LoginPolicy | None = None) -> Account | None:
    """Return the account when the password matches, and record the login; None for a wrong one.

    Failed logins are counted per username and per client ``address`` (engine/services/login.py); when either is
    locked, raise LoginLocked without checking the password. Unknown, inactive and password-less accounts are
    checked against a dummy hash of the same kind, so the answer takes as long as for a real account.
    """
    policy = policy or LoginPolicy.from_env()
    name = username.strip()
    now = engine.now()
    with engine.session_factory.begin() as session:
        until = login.locked_until(session, name, address, now)
        if until is None:
            user = session.scalar(select(User).where(User.username == name)) if len(name) <= 120 else None
            stored = user.password_hash if user is not None and user.active and user.password_hash else None
            matches = check_password_hash(stored or _dummy_hash(), password)
            if matches and user is not None and stored is not None:
                failed = login.record_success(session, name)
                audit.record(session, "login", now, user, username=name[:120], address=address,
                             failed_before=failed)  # failed attempts not yet in a login.failed event
                return _account(session, user)
            until = login.record_failure(session, name, address, now, policy)
            if until is None:
                return None
    raise LoginLocked(until)


def end_sessions(engine: Engine, user_id: int, reason: str = "logout") -> None:
    """End every session of a user, server-side: a session cookie copied before this no longer opens a page."""
    with engine.session_factory.begin() as session:
        user = session.get(User, user_id)
        if user is None:
            return
        user.session_epoch = (user.session_epoch or 0) + 1
        audit.record(session, "logout" if reason == "logout" else "sessions.ended", engine.now(), user,
                     reason=reason)


_dummy_hashes: dict[str | None, str] = {}


def _dummy_hash() -> str:
    """A hash of a random password made the way real ones are, to check unknown usernames against."""
    if PASSWORD_METHOD not in _dummy_hashes:
        secret = secrets.token_hex(16)
        _dummy_hashes[PASSWORD_METHOD] = (generate_password_hash(secret, method=PASSWORD_METHOD) if PASSWORD_METHOD
                                          else generate_password_hash(secret))
    return _dummy_hashes[PASSWORD_METHOD]


# Tests lower the work factor to keep fixtures fast; production keeps werkzeug's default (scrypt).
PASSWORD_METHOD: str | None = None


def set_password(session: Session, user: User, password: str) -> None:
    """Store a salted hash of a new password (never the password) and end the user's sessions."""
    if len(password) < 8:
        raise ValueError("a password needs at least 8 characters")
    user.password_hash = (generate_password_hash(password, method=PASSWORD_METHOD) if PASSWORD_METHOD
                          else generate_password_hash(password))
    user.session_epoch = (user.session_epoch or 0) + 1  # a changed password logs every browser out


def ensure_group(session: Session, name: str, description: str = "") -> Group:
    group = session.scalar(select(Group).where(Group.name == name))
    if group is None:
        group = Group(name=name, description=description)
        session.add(group)
        session.flush()
    return group


def add_to_group(session: Session, user: User, group_name: str) -> None:
    group = ensure_group(session, group_name)
    if session.get(GroupMember, (group.id, user.id)) is None:
        session.add(GroupMember(group_id=group.id, user_id=user.id))


def move_employee(engine: Engine, employee_id: int, position_id: int | None, actor_id: int | None = None) -> None:
    """Put an employee in another position (a transfer or a correction); open tasks follow at once."""
    with engine.session_factory.begin() as session:
        employee = session.get(User, employee_id)
        if employee is None:
            raise NotFound("employee.not_found", N_("employee %(id)s does not exist"), id=employee_id)
        if position_id is not None and session.get(Position, position_id) is None:
            raise NotFound("position.not_found", N_("position %(id)s does not exist"), id=position_id)
        before = employee.position_id
        employee.position_id = position_id
        audit.record(session, "org.employee_moved", engine.now(), session.get(User, actor_id) if actor_id else None,
                     employee_id=employee_id, from_position=before, to_position=position_id)


def set_assessor_override(engine: Engine, employee_id: int, assessor_id: int | None,
                          actor_id: int | None = None) -> None:
    """Name an explicit Pejabat Penilai (Plt/Plh) for an employee, or clear it with None."""
    with engine.session_factory.begin() as session:
        employee = session.get(User, employee_id)
        if employee is None or (assessor_id is not None and session.get(User, assessor_id) is None):
            raise NotFound("employee.not_found", N_("employee or assessor does not exist"))
        employee.superior_override_id = assessor_id
        audit.record(session, "org.assessor_override", engine.now(),
                     session.get(User, actor_id) if actor_id else None, employee_id=employee_id,
                     assessor_id=assessor_id)


# --- group membership (the pages of those who keep the organisation) ---------------------------------------


@dataclass
class GroupSummary:
    name: str
    description: str
    members: int  # active members
    roles: list[str]  # the engine roles the group holds: "admin", "org_admins", "overseers", …


@dataclass
class Member:
    id: int
    username: str
    full_name: str
    nip: str
    position: str
    active: bool


def _org_admin(session: Session, actor_id: int) -> User:
    actor = session.get(User, actor_id)
    if actor is None or not actor.active or not in_role(session, actor_id, LANES.roles.org_admins):
        raise PermissionDenied("org.admins_only", N_("Only Biro SDM and administrators may manage groups"))
    return actor


def _roles_of(name: str) -> list[str]:
    roles = LANES.roles
    return [role for role in ("admin", "org_admins", "overseers", "model_managers", "auditors", "escalation")
            if name in getattr(roles, role)]


def list_groups(engine: Engine, actor_id: int) -> list[GroupSummary]:
    """Every group, and the groups that hold an engine role even before anyone is in them; by name."""
    with engine.session_factory() as session:
        _org_admin(session, actor_id)
        counts = dict(session.execute(select(Group.name, func.count()).join(GroupMember, GroupMember.group_id == Group.id)
                                      .join(User, User.id == GroupMember.user_id).where(User.active)
                                      .group_by(Group.name)).all())
        return [GroupSummary(g.name, g.description or "", counts.get(g.name, 0), _roles_of(g.name))
                for g in sorted(list_groups_in(session), key=lambda g: g.name.casefold())]


def last_admin(session: Session, user_id: int) -> bool:
    """Tell whether the user is the only active member of the administrators' groups."""
    admins = set(session.scalars(select(GroupMember.user_id).join(Group, Group.id == GroupMember.group_id)
                                 .join(User, User.id == GroupMember.user_id)
                                 .where(Group.name.in_(LANES.roles.admin), User.active)))
    return admins == {user_id}


def group_members(engine: Engine, actor_id: int, name: str) -> list[Member]:
    """The members of a group (inactive accounts too, marked), by name; NotFound for an unknown group."""
    with engine.session_factory() as session:
        _org_admin(session, actor_id)
        if name not in {g.name for g in list_groups_in(session)}:
            raise NotFound("group.not_found", N_("There is no group %(name)s"), name=name[:120])
        return [Member(u.id, u.username, u.full_name, u.nip or "", title or "", u.active) for u, title in session.execute(
            select(User, Position.title).join(GroupMember, GroupMember.user_id == User.id)
            .join(Group, Group.id == GroupMember.group_id).outerjoin(Position, Position.id == User.position_id)
            .where(Group.name == name).order_by(User.full_name, User.id))]


def list_groups_in(session: Session) -> list[Group]:
    """The groups that exist, plus (not stored) those that hold an engine role."""
    found = {g.name: g for g in session.scalars(select(Group))}
    for role in ("admin", "org_admins", "overseers", "model_managers", "auditors", "escalation"):
        for name in getattr(LANES.roles, role):
            found.setdefault(name, Group(name=name, description=""))
    return list(found.values())


def member_candidates(engine: Engine, actor_id: int, name: str, text: str, limit: int = 20) -> list[Member]:
    """Active accounts not yet in the group whose name, NIP or username contains every word of ``text``."""
    words = text.replace("\x00", " ").strip()[:100].split()  # (PostgreSQL text cannot hold NUL)
    with engine.session_factory() as session:
        _org_admin(session, actor_id)
        if not words:
            return []
        inside = select(GroupMember.user_id).join(Group, Group.id == GroupMember.group_id).where(Group.name == name)
        query = (select(User, Position.title).outerjoin(Position, Position.id == User.position_id)
                 .where(User.active, User.id.not_in(inside)))
        for word in words:
            query = query.where(or_(User.full_name.icontains(word, autoescape=True),
                                    User.nip.icontains(word, autoescape=True),
                                    User.username.icontains(word, autoescape=True)))
        return [Member(u.id, u.username, u.full_name, u.nip or "", title or "", u.active)
                for u, title in session.execute(query.order_by(User.full_name, User.id).limit(max(1, min(limit, 50))))]


def _may_change(session: Session, actor: User, name: str) -> None:
    if name not in {g.name for g in list_groups_in(session)}:
        raise NotFound("group.not_found", N_("There is no group %(name)s"), name=name[:120])
    if name in LANES.roles.admin and not in_role(session, actor.id, LANES.roles.admin):
        raise PermissionDenied("group.admins_only", N_("Only administrators may change who is an administrator"))


@dataclass
class MemberChange:
    changed: bool  # False: the account was in the group already (added) or not in it (removed)
    flagged: int = 0  # open tasks nobody can act on any more, flagged to Biro SDM and administrators
    given: int = 0  # open tasks the account was named on as a stand-in (added)

    def __bool__(self) -> bool:
        return self.changed


def change_membership(session: Session, user_id: int, joined: bool, change: Callable[[], None], now: datetime,
                      actor: User | None) -> MemberChange:
    """Make a group membership change (``change``: add or delete the membership) and hand over the open tasks it
    moves; return the change with how many tasks were flagged because nobody can act on them any more, and how many
    the person who joined was named on.

    Lanes and candidate groups are resolved when asked; what follows the change in writing are the stand-ins named
    on open tasks in an empty lane's place (``fallbackCandidateGroups``, the rule of ``engine.services.fallback``):
    someone taken out of the PPK or the Tim Penilai Kinerja is no longer one (when nobody is left, the task is
    flagged), someone put in (``joined``) becomes one where the rule allows (never for their own objection or one
    against their assessment), and is told, on a task flagged because nobody was left too. Only the open tasks
    that name people, or that name nobody though their model names stand-in groups, are looked at."""
    rows = handover.open_tasks_for_a_new_stand_in(session) if joined else handover.named_open_tasks(session)
    before = handover.open_task_actors(session, rows)
    change()
    session.flush()
    after = handover.open_task_actors(session, rows, joined=(user_id,) if joined else ())
    given = handover.given_to(rows, before, after, user_id) if joined else 0
    return MemberChange(True, handover.tell(session, rows, before, after, now, actor), given)


def add_member(engine: Engine, actor_id: int, name: str, user_id: int) -> MemberChange:
    """Put an active account in a group; ``changed`` False when it was in it already. Audited as
    ``org.group_added``; open tasks with stand-ins from the group gain them (``change_membership``)."""
    with engine.session_factory.begin() as session:
        actor = _org_admin(session, actor_id)
        _may_change(session, actor, name)
        user = session.get(User, user_id)
        if user is None or not user.active:
            raise NotFound("account.not_found", N_("Account not found"))
        group = ensure_group(session, name)
        if session.get(GroupMember, (group.id, user.id)) is not None:
            return MemberChange(False)
        now = engine.now()
        added = change_membership(session, user.id, True,
                                  lambda: session.add(GroupMember(group_id=group.id, user_id=user.id)), now, actor)
        audit.record(session, "org.group_added", now, actor, subject_id=user.id, group=name, via="web")
        return added


def remove_member(engine: Engine, actor_id: int, name: str, user_id: int) -> MemberChange:
    """Take an account out of a group; ``changed`` False when it was not in it. The last active member of the
    administrators' groups stays (``PermissionDenied``). Audited as ``org.group_removed``; the open tasks it stood
    in for go to the other stand-ins, or are flagged when none is left (``change_membership``)."""
    with engine.session_factory.begin() as session:
        actor = _org_admin(session, actor_id)
        _may_change(session, actor, name)
        group = session.scalar(select(Group).where(Group.name == name))
        member = session.get(GroupMember, (group.id, user_id)) if group is not None else None
        if group is None or member is None:
            return MemberChange(False)
        if name in LANES.roles.admin and last_admin(session, user_id):
            raise PermissionDenied("group.last_admin", N_("The last administrator cannot be removed: make "
                                                          "someone else an administrator first"))
        now = engine.now()
        flagged = change_membership(session, user_id, False, lambda: session.delete(member), now, actor).flagged
        audit.record(session, "org.group_removed", now, actor, subject_id=user_id, group=name, via="web",
                     flagged=flagged)
        return MemberChange(True, flagged)


__all__ = ["Account", "Unit", "Position", "User", "Group", "MemberChange"]
