"""Compare the checked files with the organisation in the database, and preview or apply the difference.

Both run the same code inside one transaction: the actors of every open task are computed, the changes are
made, the actors are computed again (lanes are resolved at query time, engine/access.py), and the transaction
is rolled back for a preview or committed for an apply. So the preview shows exactly what the apply does,
including which open tasks change hands; an apply that finds a different result than the preview it was
confirmed from is refused (``expected_digest``).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from engine.access import LANES, in_role, today
from engine.core import Engine
from engine.db.org import Position, Unit, User
from engine.errors import N_, Conflict, EngineError, Message, PermissionDenied
from engine.services import accounts, audit, handover
from processes.orgimport.reader import JABATAN, PEGAWAI, UNIT, Bad, Problem, read_files
from processes.orgimport.validate import KINDS, Organisation, validate

ADDED, CHANGED, MOVED, DEACTIVATED, REACTIVATED = "added", "changed", "moved", "deactivated", "reactivated"
ACTIONS = (ADDED, MOVED, CHANGED, REACTIVATED, DEACTIVATED)


class ImportInvalid(EngineError):
    """The files have problems; nothing changed. ``problems`` names each with sheet, row, column and value."""

    status = 422

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("import.invalid", N_("The files have %(n)s problems; nothing was changed"), n=len(problems))
        self.problems = problems


class ImportStale(Conflict):
    """The organisation changed between the preview and the apply; nothing changed."""


@dataclass
class Change:
    entity: str  # unit | jabatan | pegawai (the sheet)
    key: str  # code or NIP
    name: str
    action: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (column, before, after)


@dataclass
class Handover:
    task_id: str
    instance_id: int
    title: str
    subject: str
    period: str
    before: list[str]
    after: list[str]  # empty: nobody can act on it any more (flagged to Biro SDM on apply)


@dataclass
class NewAccount:
    nip: str
    name: str
    email: str
    link: str  # the path of the one-time set-password link
    emailed: bool


@dataclass
class ImportReport:
    sha256: str
    changes: list[Change]
    handovers: list[Handover]
    digest: str
    applied: bool = False
    accounts: list[NewAccount] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(f"{c.entity}.{c.action}" for c in self.changes)
        found["tasks.handed_over"] = len(self.handovers)
        found["tasks.unassigned"] = sum(1 for h in self.handovers if not h.after)
        return dict(sorted(found.items()))

    def count(self, entity: str, action: str) -> int:
        return sum(1 for c in self.changes if c.entity == entity and c.action == action)

    @property
    def nothing_to_do(self) -> bool:
        return not self.changes


def file_hash(files: Mapping[str, bytes]) -> str:
    """The SHA-256 of the one file, or of the names and hashes of the CSV files together."""
    if len(files) == 1:
        return hashlib.sha256(next(iter(files.values()))).hexdigest()
    lines = sorted(f"{name.rsplit('/', 1)[-1].lower()}\0{hashlib.sha256(data).hexdigest()}" for name, data in files.items())
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def load(files: Mapping[str, bytes], engine: Engine) -> Organisation:
    """Read and check the files; raise ImportInvalid with every problem."""
    try:
        tables, problems = read_files(files)
    except Bad as exc:
        raise ImportInvalid([exc.problem]) from exc
    with engine.session_factory() as session:
        day = today(session)
    org, more = validate(tables, day)
    if problems or more:
        raise ImportInvalid(problems + more)
    return org


def kind_of(jenis: str, jenjang: str) -> str:
    """The file's jenis for a stored position (the inverse of ``validate.stored_kind``)."""
    if jenis == "JF":
        return "Fungsional"
    return jenjang if jenjang in KINDS.values() else (jenjang or jenis)


def _describe(jenis: str, jenjang: str) -> str:
    """A stored (jenis, jenjang) in the file's words: "Pengawas", "Fungsional · Ahli Muda"."""
    if jenis == "JF":
        return f"Fungsional · {jenjang}"
    return jenjang if jenis in ("JPT", "JA") and jenjang in KINDS.values() else f"{jenis} · {jenjang}"


def run_import(engine: Engine, files: Mapping[str, bytes], actor_id: int | None, apply: bool = False,
               expected_digest: str | None = None, email: bool | None = None) -> ImportReport:
    """Preview (``apply`` False) or apply the organisation in ``files``; ``actor_id`` None is the command line.

    Raise ImportInvalid when the files have problems, ImportStale when ``expected_digest`` (the preview's) no
    longer matches; in both cases nothing changes. Applying a file that changes nothing writes nothing.
    """
    sha256 = file_hash(files)
    org = load(files, engine)
    now = engine.now()
    with engine.session_factory.writing() as session:  # writes (BEGIN IMMEDIATE on SQLite)
        actor = None
        if actor_id is not None:
            actor = session.get(User, actor_id)
            if actor is None or not actor.active or not in_role(session, actor_id, LANES.roles.org_admins):
                raise PermissionDenied("org.admins_only", N_("Only Biro SDM and administrators may import the organisation"))
        _check_usernames(session, org)
        rows = handover.open_tasks(session)
        before = handover.open_task_actors(session, rows)
        plan = _Plan(session, org, now, actor)
        plan.run()
        session.flush()
        after = handover.open_task_actors(session, rows)
        moved = handover.changed_hands(rows, before, after)
        handovers, usernames = _handovers(session, moved, before, after)
        digest = _digest(plan.changes, moved, before, after, usernames)
        report = ImportReport(sha256, plan.changes, handovers, digest)
        if expected_digest is not None and expected_digest != digest:
            session.rollback()
            raise ImportStale("import.stale", N_("The organisation changed since the preview; nothing was "
                                                 "applied. Check the new preview and apply again."))
        if not apply or report.nothing_to_do:
            session.rollback()
            return report
        created = plan.created_users()
        tokens = accounts.issue_links(session, [u.id for u in created if u.active], now, actor, accounts.NEW)
        mailed = accounts.queue_link_emails(session, [u for u in created if u.id in tokens], now, actor,
                                            accounts.NEW, email)
        for user in created:
            if user.id in tokens:
                report.accounts.append(NewAccount(user.nip or "", user.full_name, user.email or "",
                                                  accounts.link_path(tokens[user.id]), user.id in mailed))
        plan.audit()
        flagged = handover.tell(session, moved, before, after, now, actor)
        audit.record(session, "org.imported", now, actor, sha256=sha256, summary=report.counts, flagged=flagged,
                     files=sorted(n.rsplit("/", 1)[-1] for n in files), accounts=len(report.accounts),
                     emailed=sum(1 for a in report.accounts if a.emailed))
        session.commit()
        report.applied = True
        return report


def _check_usernames(session: Session, org: Organisation) -> None:
    """A new employee's username is the NIP: refuse when another account already has that username."""
    nips = list(org.employees)
    problems = []
    for start in range(0, len(nips), 1000):
        chunk = nips[start:start + 1000]
        for username, nip in session.execute(select(User.username, User.nip).where(User.username.in_(chunk))):
            if nip != username:
                row = org.employees[username]
                problems.append(Problem(PEGAWAI, row.row, "nip", username, Message(
                    "import.username_taken", N_("The account %(username)s exists already and has another NIP "
                                                "(%(other)s); a new employee's username is the NIP"),
                    {"username": username, "other": nip or "-"})))
    if problems:
        raise ImportInvalid(problems)


class _Plan:
    """Make the database's organisation what the files say, recording each change."""

    def __init__(self, session: Session, org: Organisation, now: Any, actor: User | None) -> None:
        self.session, self.org, self.now, self.actor = session, org, now, actor
        self.changes: list[Change] = []
        self.new_rows: list[dict[str, Any]] = []  # new accounts, inserted in bulk
        self.moves: list[tuple[User, str, str]] = []
        self.status_changes: list[tuple[User, bool]] = []

    def run(self) -> None:
        units = self._units()
        positions = self._positions(units)
        self._employees(positions)

    def _record(self, entity: str, key: str, name: str, fields: list[tuple[str, str, str]], moved: bool,
                added: bool = False, reactivated: bool = False) -> None:
        if added:
            self.changes.append(Change(entity, key, name, ADDED, fields))
        elif fields:
            action = REACTIVATED if reactivated else MOVED if moved else CHANGED
            self.changes.append(Change(entity, key, name, action, fields))

    def _units(self) -> dict[str, Unit]:
        session = self.session
        units = {u.code: u for u in session.scalars(select(Unit))}
        code_of = {u.id: u.code for u in units.values()}
        for row in self.org.units.values():
            unit = units.get(row.code)
            if unit is None:
                unit = units[row.code] = Unit(code=row.code, name=row.name, parent_id=None)
                session.add(unit)
                self._record(UNIT, row.code, row.name, [("nama", "", row.name), ("kode_induk", "", row.parent)],
                             False, added=True)
                continue
            old_parent = code_of.get(unit.parent_id, "") if unit.parent_id else ""
            fields = _diff([("nama", unit.name, row.name), ("kode_induk", old_parent, row.parent),
                            ("aktif", _yes(unit.active), "ya")])
            self._record(UNIT, row.code, row.name, fields, old_parent != row.parent, reactivated=not unit.active)
            unit.name, unit.active = row.name, True
        session.flush()
        for row in self.org.units.values():
            parent_id = units[row.parent].id if row.parent else None
            if units[row.code].parent_id != parent_id:
                units[row.code].parent_id = parent_id
        for code, unit in sorted(units.items()):
            if code not in self.org.units and unit.active:  # retired: kept for history, out of the exports
                self.changes.append(Change(UNIT, code, unit.name, DEACTIVATED, [("aktif", "ya", "tidak")]))
                unit.active = False
        return units

    def _positions(self, units: dict[str, Unit]) -> dict[str, Position]:
        session = self.session
        positions = {p.code: p for p in session.scalars(select(Position))}
        code_of = {p.id: p.code for p in positions.values()}
        unit_code = {u.id: c for c, u in units.items()}
        for row in self.org.positions.values():
            jenis, jenjang = row.stored
            position = positions.get(row.code)
            if position is None:
                position = positions[row.code] = Position(code=row.code, title=row.title, unit_id=units[row.unit].id,
                                                          parent_id=None, jenis=jenis, jenjang=jenjang)
                session.add(position)
                self._record(JABATAN, row.code, row.title, [
                    ("nama", "", row.title), ("jenis", "", _describe(jenis, jenjang)), ("kode_unit", "", row.unit),
                    ("kode_atasan", "", row.superior)], False, added=True)
                continue
            old_superior = code_of.get(position.parent_id, "") if position.parent_id else ""
            old_unit = unit_code.get(position.unit_id, "")
            fields = _diff([("nama", position.title, row.title),
                            ("jenis", _describe(position.jenis, position.jenjang), _describe(jenis, jenjang)),
                            ("kode_unit", old_unit, row.unit), ("kode_atasan", old_superior, row.superior),
                            ("aktif", _yes(position.active), "ya")])
            self._record(JABATAN, row.code, row.title, fields, old_unit != row.unit or old_superior != row.superior,
                         reactivated=not position.active)
            position.title, position.jenis, position.jenjang, position.active = row.title, jenis, jenjang, True
            position.unit_id = units[row.unit].id
        session.flush()
        for row in self.org.positions.values():
            parent_id = positions[row.superior].id if row.superior else None
            if positions[row.code].parent_id != parent_id:
                positions[row.code].parent_id = parent_id
        for code, position in sorted(positions.items()):
            if code not in self.org.positions and position.active:
                self.changes.append(Change(JABATAN, code, position.title, DEACTIVATED, [("aktif", "ya", "tidak")]))
                position.active = False
        return positions

    def _employees(self, positions: dict[str, Position]) -> None:
        session = self.session
        users = {u.nip: u for u in session.scalars(select(User).where(User.nip.is_not(None)))}
        code_of = {p.id: c for c, p in positions.items()}
        moves: list[tuple[User, str, str]] = []
        status_changes: list[tuple[User, bool]] = []
        for row in self.org.employees.values():
            position_id = positions[row.position].id if row.position else None
            user = users.get(row.nip)
            if user is None:
                self.new_rows.append({"username": row.nip, "full_name": row.name, "nip": row.nip,
                                      "email": row.email or None, "position_id": position_id,
                                      "pangkat_golongan": row.pangkat_golongan, "status": row.status,
                                      "active": row.active, "password_hash": "", "locale": "id",
                                      "superior_override_id": None, "session_epoch": 0})
                self.changes.append(Change(PEGAWAI, row.nip, row.name, ADDED, [
                    ("nama", "", row.name), ("kode_jabatan", "", row.position), ("email", "", row.email),
                    ("pangkat_golongan", "", row.pangkat_golongan), ("status", "", row.status),
                    ("aktif", "", _yes(row.active))]))
                continue
            old_position = code_of.get(user.position_id, "") if user.position_id else ""
            new_position = row.position if row.position else old_position  # an inactive row may leave it empty
            fields = _diff([("nama", user.full_name, row.name), ("kode_jabatan", old_position, new_position),
                            ("email", user.email or "", row.email),
                            ("pangkat_golongan", user.pangkat_golongan or "", row.pangkat_golongan),
                            ("status", user.status or "", row.status), ("aktif", _yes(user.active), _yes(row.active))])
            if fields:
                action = (DEACTIVATED if user.active and not row.active else REACTIVATED if row.active and not user.active
                          else MOVED if old_position != new_position else CHANGED)
                self.changes.append(Change(PEGAWAI, row.nip, row.name, action, fields))
            if old_position != new_position:
                moves.append((user, old_position, new_position))
                user.position_id = positions[new_position].id
                session.expire(user, ["position"])
            if user.active != row.active:
                status_changes.append((user, row.active))
            user.full_name, user.email = row.name, row.email or None
            user.pangkat_golongan, user.status = row.pangkat_golongan, row.status
        for nip, user in sorted((n, u) for n, u in users.items() if n is not None):
            if nip not in self.org.employees and user.active:
                self.changes.append(Change(PEGAWAI, nip, user.full_name, DEACTIVATED, [("aktif", "ya", "tidak")]))
                status_changes.append((user, False))
        for user, active in status_changes:
            user.active = active
            if not active:
                user.session_epoch = (user.session_epoch or 0) + 1
        session.flush()
        if self.new_rows:  # one Core executemany: no ORM object, no RETURNING row per account
            session.execute(insert(cast(Table, User.__table__)), self.new_rows)
        self.moves, self.status_changes = moves, status_changes

    def created_users(self) -> list[User]:
        """The accounts this import created, in the file's order."""
        nips = [r["nip"] for r in self.new_rows]
        found: dict[str | None, User] = {}
        for start in range(0, len(nips), 1000):
            found.update((u.nip, u) for u in self.session.scalars(select(User).where(User.nip.in_(nips[start:start + 1000]))))
        return [found[nip] for nip in nips]

    def audit(self) -> None:
        """Record each transfer and (de)activation in the employee's own history (only when applying)."""
        for user, old, new in self.moves:
            audit.record(self.session, "org.employee_moved", self.now, self.actor, subject_id=user.id,
                         from_position=old, to_position=new, via="import")
        for user, active in self.status_changes:
            audit.record(self.session, "account.activated" if active else "account.deactivated", self.now,
                         self.actor, subject_id=user.id, via="import")


def _yes(active: bool) -> str:
    return "ya" if active else "tidak"


def _diff(pairs: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    return [(name, before, after) for name, before, after in pairs if (before or "") != (after or "")]


def _handovers(session: Session, moved: list[Any], before: handover.Actors,
               after: handover.Actors) -> tuple[list[Handover], dict[int, str]]:
    """The tasks that change hands with the names of their people; and the usernames of those people."""
    ids = {i for row in moved for i in before.get(row.id, frozenset()) | after.get(row.id, frozenset())}
    ids.update(row.subject_id for row in moved if row.subject_id)
    names: dict[int, str] = {}
    usernames: dict[int, str] = {}
    id_list = sorted(ids)
    for start in range(0, len(id_list), 1000):
        for uid, name, username in session.execute(select(User.id, User.full_name, User.username)
                                                   .where(User.id.in_(id_list[start:start + 1000]))):
            names[uid], usernames[uid] = name, username

    def named(users: frozenset[int]) -> list[str]:
        return sorted(names.get(i, f"#{i}") for i in users)

    return [Handover(row.id, row.instance_id, row.title, names.get(row.subject_id, "") if row.subject_id else "",
                     row.period, named(before.get(row.id, frozenset())), named(after.get(row.id, frozenset())))
            for row in moved], usernames


def _digest(changes: list[Change], moved: list[Any], before: handover.Actors, after: handover.Actors,
            usernames: dict[int, str]) -> str:
    """A fingerprint of what the import does. People by username, not id: a preview's new accounts get other ids
    than the apply's (PostgreSQL does not hand out a rolled-back sequence value again)."""
    def people(users: frozenset[int]) -> list[str]:
        return sorted(usernames.get(i, str(i)) for i in users)

    data: list[Any] = [[c.entity, c.key, c.action, c.fields] for c in changes]
    data.append([[row.id, people(before.get(row.id, frozenset())), people(after.get(row.id, frozenset()))]
                 for row in moved])
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
