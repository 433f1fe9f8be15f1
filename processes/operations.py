"""Service-task operations the SMK models need beyond the engine's generic ones.

Each operation has the engine's signature ``(ctx, params, task_data) -> JSON-able``. Spiff hands parameters over
as ``{name: {"value": evaluated, "type": ...}}``; ``_param`` unwraps that (and accepts plain values too).

The distribution curve concerns a unit's staff as a whole, which messages keyed by subject and period cannot
express; proposals, unit ratings and the unit's decisions are therefore recorded as results per subject and period
(``engine.services.results``, table ``subject_result``) in the same transaction as the step that makes them. The
unit's own case (``smk_predikat_unit``) is the only reader of the whole unit: once every proposal is in it decides
for the unit (fits, or the head's calibration) and records what that gives each employee (``smk.predikat_kurva``);
each assessment's check reads its own rows only, and the decision reaches the waiting assessments by the message
``kurva_unit_diputuskan``, kept for the worker (``engine.services.messages``). Each recording of a proposal,
rating or decision is also an audit event of the same kind (``smk.predikat_usulan``, ``smk.predikat_unit``,
``smk.kurva_sesuai``, ``smk.kalibrasi_kurva``): the log of what was proposed and decided when.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from sqlalchemy import (
    Integer,
    Select,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased, contains_eager, selectinload

from engine.access import subordinates_of, superior_of, with_superior
from engine.db.audit import AuditEvent
from engine.db.base import lookups
from engine.db.notify import PENDING, EmailOutbox, Notification
from engine.db.org import Position, Unit, User
from engine.db.results import SubjectResult
from engine.db.runtime import RUNNING, WAITING, Instance, TaskIndex
from engine.queries.reports import load_units, subtree
from engine.runtime.runner import StepContext
from engine.services import audit
from engine.services.messages import keep_messages
from engine.services.notifications import email_enabled
from engine.services.results import record_result, results
from engine.services.stepping import business_key, deliver
from processes.rules import dmn_tables
from processes.rules.distribution import Usulan, cek_kurva_distribusi, saran_kalibrasi
from processes.rules.predikat import PREDIKAT_6_2022
from processes.rules.script_api import SCRIPT_FUNCTIONS

PROPOSAL = "smk.predikat_usulan"
CALIBRATION = "smk.kalibrasi_kurva"  # the unit head's calibration of a curve unit: one row per unit and period
FITS = "smk.kurva_sesuai"  # a curve unit's proposals fit its curve as proposed: one row per unit and period
# What the unit's decision (FITS or CALIBRATION) gives each employee of its curve: one row per employee, unit and
# period, the only row an assessment's curve check reads (``{"usulan", "predikat", "keputusan", "catatan", …}``).
DECISION = "smk.predikat_kurva"
FITTING, CALIBRATED = "sesuai", "kalibrasi"  # DECISION's "keputusan"
DECIDED = "kurva_unit_diputuskan"  # the message that tells a waiting assessment its unit has been decided
RATING_RANK = {"Di Atas Ekspektasi": 2, "Sesuai Ekspektasi": 1, "Di Bawah Ekspektasi": 0}
UNIT_RATING = "smk.predikat_unit"
REMINDER = "smk.pengingat"
PLANNING = "smk_perencanaan"


def _param(params: dict[str, Any], name: str, default: Any = None) -> Any:
    value = params.get(name, default)
    if isinstance(value, dict) and "value" in value and "type" in value:
        return value["value"]
    return value


_Org = TypeVar("_Org", Unit, Position)


def _held(session: Session, kind: type[_Org], ident: int | None) -> _Org | None:
    """``session.get`` of a unit or position, kept for the transaction (``lookups``): the identity map forgets an
    object nobody refers to, so a team's fifty walks up the same units read them fifty times without this."""
    if not ident:
        return None
    found = session.get(kind, ident)
    cache = lookups(session)
    if cache is not None and found is not None:
        cache.setdefault(("held", kind.__name__), {})[ident] = found
    return found


@functools.cache
def _units_up_statement() -> Select[Any]:
    """The unit ``start`` and its ancestors, nearest first, at most 50 (a cycle in bad data ends there): one
    recursive statement, built once. The units' columns travel in the recursion, so that nothing joins the unit
    table to the result (a join the planner may answer by reading the whole table)."""
    start = bindparam("start", type_=Integer)
    columns = (Unit.id, Unit.code, Unit.name, Unit.parent_id, Unit.active)
    up = select(*columns, literal(0).label("depth")).where(Unit.id == start).cte("units_up", recursive=True)
    above = aliased(Unit)
    up = up.union_all(select(above.id, above.code, above.name, above.parent_id, above.active, up.c.depth + 1)
                      .where(above.id == up.c.parent_id, up.c.depth < 49))
    return select(aliased(Unit, up)).order_by(up.c.depth)


def _unit_chain(session: Session, unit_id: int | None) -> list[Unit]:
    """Return the unit and its ancestors, nearest first, in one statement and kept for the transaction
    (``lookups``): a walk up one parent at a time was a statement per level, ~20 per assessment."""
    if not unit_id:
        return []
    cache = lookups(session)
    key = ("unit chain", unit_id)
    if cache is not None and key in cache:
        return list(cache[key])
    chain = list(session.scalars(_units_up_statement(), {"start": unit_id}))
    if cache is not None:
        cache[key] = tuple(chain)
    return chain


def curve_unit(session: Session, user: User) -> tuple[Unit | None, bool]:
    """Return the unit whose distribution curve covers the employee, and whether they head it.

    A curve unit is a unit directly under the organisation's root unit (a Biro in the demo); its head is the
    holder of a position in it whose superior position lies outside it. The root's own staff are in no curve.
    """
    position = user.position
    if position is None:
        return None, False
    chain = _unit_chain(session, position.unit_id)
    if len(chain) < 2:
        return None, False
    unit = chain[-2]
    parent = _held(session, Position, position.parent_id)
    if parent is None:
        return unit, True
    return unit, unit.id not in {u.id for u in _unit_chain(session, parent.unit_id)}


def jenis_jabatan(user: User) -> str:
    """The kind the SMK rules know the employee by: "PPPK" for a PPPK (the employment status from the personnel file
    decides: an imported PPPK holds a Pelaksana or Fungsional position), else the position's kind."""
    jenis = user.position.jenis if user.position is not None else ""
    return "PPPK" if user.status == "PPPK" else ("JA" if user.status == "PNS" and jenis == "PPPK" else jenis)


def _profil_pegawai(ctx: StepContext, params: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Return what the SMK forms and gateways need about the subject: position, assessors, team, curve unit."""
    session = ctx.session
    subject_id = _param(params, "employee_id") or ctx.instance.subject_id
    user = session.get(User, subject_id) if subject_id else None
    if user is None:
        raise ValueError(f"employee {subject_id!r} does not exist")
    position = user.position
    units = _unit_chain(session, position.unit_id) if position else []
    unit = units[0] if units else None
    assessor = superior_of(session, user.id)
    second = superior_of(session, assessor.id) if assessor else None
    below = subordinates_of(session, user.id)
    # One statement for the whole team with their positions (a head of a large unit has dozens), in the order found.
    found = {u.id: u for u in session.scalars(select(User).where(User.id.in_(below)).options(
        selectinload(User.position)))} if below else {}
    team = [found.get(i) for i in below]
    kurva, kepala = curve_unit(session, user)
    return {
        "id": user.id, "nama": user.full_name, "nip": user.nip or "",
        "jabatan": position.title if position else "", "jenis_jabatan": jenis_jabatan(user),
        "status_kepegawaian": user.status or "", "jenjang": position.jenjang if position else "",
        "unit_code": unit.code if unit else "", "unit": unit.name if unit else "",
        "unit_codes": [u.code for u in units],
        "struktural": bool(team) and (position is not None and position.jenis in ("JPT", "JA")),
        "pejabat_penilai_id": assessor.id if assessor else None,
        "pejabat_penilai": assessor.full_name if assessor else "",
        "atasan_pejabat_penilai_id": second.id if second else None,
        "atasan_pejabat_penilai": second.full_name if second else "",
        "bawahan": [{"id": t.id, "nama": t.full_name, "jabatan": t.position.title if t.position else ""}
                    for t in team if t is not None],
        "unit_kurva": kurva.code if kurva is not None and not kepala else None,
        "kepala_unit_kurva": kurva.code if kurva is not None and kepala else None,
    }


def _kepala_unit(ctx: StepContext, params: dict[str, Any], data: dict[str, Any]) -> list[int]:
    """Return, among the given employees, the heads of curve units (they set the unit's predikat)."""
    ids = _param(params, "subject_ids") or []
    heads = []
    for user_id in ids:
        user = ctx.session.get(User, user_id)
        if user is None:
            continue
        unit, kepala = curve_unit(ctx.session, user)
        if unit is not None and kepala:
            heads.append(user.id)
    return heads


def _pegawai_dinilai(ctx: StepContext, params: dict[str, Any], data: dict[str, Any]) -> list[int]:
    """Return, among the given employees, those who have a Pejabat Penilai in the system.

    The head of the organisation signs the PK with the minister; that assessment happens outside SMK here.
    """
    ids = [int(i) for i in _param(params, "subject_ids") or []]
    assessed = with_superior(ctx.session, ids)
    return [i for i in ids if i in assessed]


def _catat_pengingat(ctx: StepContext, params: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Record a deadline reminder for the subject (the notification layer reads these events)."""
    audit.record(ctx.session, REMINDER, ctx.now, None, instance_id=ctx.instance.id,
                 subject_id=ctx.instance.subject_id, periode=ctx.instance.period,
                 jenis=_param(params, "jenis"), batas=_param(params, "batas"))
    return {"dikirim": True, "pada": ctx.now.isoformat()}


RETURNED = "skp_returned"  # notification kind: the SKP came back to its drafter with notes


def _kabari_dikembalikan(ctx: StepContext, params: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Tell the employee their SKP was returned with notes, naming who returned it (the user completing the
    review: the assessor, their superior, or whoever acts for them), with the note and a link to the SKP page."""
    actor = ctx.session.get(User, ctx.actor_id) if ctx.actor_id else None
    who = actor.full_name if actor is not None else "Pejabat Penilai"
    note = str(_param(params, "catatan") or "").strip()
    rows = int(_param(params, "jumlah_catatan_baris") or 0)
    subject_id = ctx.instance.subject_id
    if subject_id is None:
        return {"dikirim": False}
    lines = [f"Catatan / Note: {note}"] if note else []
    if rows:
        lines.append(f"Catatan pada {rows} baris RHK / Notes on {rows} RHK rows")
    if ctx.instance.period:
        lines.append(f"Periode / Period: {ctx.instance.period}")
    title = f"SKP dikembalikan dengan catatan oleh {who} / SKP returned with notes by {who}"[:255]
    link = f"/skp/{subject_id}/{ctx.instance.period or ''}"[:255]
    note_row = Notification(user_id=subject_id, kind=RETURNED, created_at=ctx.now, instance_id=ctx.instance.id,
                            title=title, body="\n".join(lines), link=link, task_id=None)
    ctx.session.add(note_row)
    employee = ctx.session.get(User, subject_id)
    if email_enabled() and employee is not None and employee.email and employee.email_notifications:
        ctx.session.flush()  # the e-mail refers to the notification
        ctx.session.add(EmailOutbox(notification_id=note_row.id, to_address=employee.email,
                                    subject=f"[SMK] {title}"[:255], body="\n".join(lines), link=link,
                                    status=PENDING, attempts=0, next_attempt_at=ctx.now, created_at=ctx.now))
    return {"dikirim": True, "oleh": who, "pada": ctx.now.isoformat()}


SUPERIOR_READY = "rhk_atasan_siap"  # message name and notification kind: the superior's SKP and MPH are set


def _kabari_bawahan(ctx: StepContext, params: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Send the message ``rhk_atasan_siap`` to the planning of each subordinate that waits for it, and tell them.

    The subordinates are those the profile named when the planning began plus those under the employee today
    (an acting assessor's, a transfer's). Each message is addressed by business key (employee + period) and
    delivered through the engine's message routing in this transaction: the subordinate's waiting task closes and
    drafting begins. The message carries ``skp_atasan`` (RHK, MPH, status): this instance is stored only after the
    step, so the subordinate could not read it yet. A subordinate that does not wait (not started yet, or already drafting) gets no message: their
    planning reads the superior's RHK when it reaches that point.
    """
    session, sender = ctx.session, ctx.instance
    named = [int(i) for i in (_param(params, "bawahan") or []) if str(i).strip().lstrip("-").isdigit()]
    team = sorted(set(named) | set(subordinates_of(session, sender.subject_id) if sender.subject_id else []))
    superior = session.get(User, sender.subject_id) if sender.subject_id else None
    who = superior.full_name if superior is not None else "Atasan / Superior"
    # What the subordinate would otherwise read from this instance, which is saved only after this step.
    skp = _param(params, "skp_atasan") or {}
    if not isinstance(skp, dict):
        raise ValueError("smk_kabari_bawahan needs skp_atasan as a dict (rhk_siap, rhk, mph)")
    told = []
    for subject_id in team:
        waiting = session.scalars(select(Instance.id).where(
            Instance.business_key == business_key(subject_id, sender.period or ""), Instance.process_id == PLANNING,
            Instance.status.in_((RUNNING, WAITING)), Instance.id != sender.id,
            Instance.waiting_messages.contains(f",{SUPERIOR_READY},", autoescape=True))).all()
        if not waiting:
            continue
        event = BpmnEvent(MessageEventDefinition(SUPERIOR_READY), payload=dict(
            skp, target_subject_id=subject_id, atasan_id=sender.subject_id, instance_id=sender.id))
        if deliver(ctx.engine, session, event, sender) != "delivered":
            continue
        task = session.scalars(select(TaskIndex).where(TaskIndex.instance_id.in_(waiting),
                                                       TaskIndex.closed_at.is_(None))
                               .order_by(TaskIndex.id.desc())).first()
        session.add(Notification(
            user_id=subject_id, kind=SUPERIOR_READY, created_at=ctx.now, instance_id=waiting[0],
            title=(f"SKP atasan Anda, {who}, sudah ditetapkan: susun SKP Anda / "
                   f"Your superior {who}'s SKP is set: draft your SKP")[:255],
            body=(f"RHK dan Matriks Peran Hasil {who} untuk periode {sender.period} sudah tersedia; tugas menunggu "
                  "Anda berlanjut ke penyusunan SKP. / "
                  f"{who}'s RHK and Matriks Peran Hasil for period {sender.period} are ready; your waiting task "
                  "moved on to drafting your SKP."),
            link=(f"/tasks/{task.id}" if task is not None else f"/instances/{waiting[0]}")[:255],
            task_id=task.id if task is not None else None))
        told.append(subject_id)
    return {"dikabari": told, "pada": ctx.now.isoformat()}


def _catat_predikat_unit(ctx: StepContext, params: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Record the unit head's rating of the unit for this period."""
    head = ctx.session.get(User, ctx.instance.subject_id) if ctx.instance.subject_id else None
    unit, kepala = curve_unit(ctx.session, head) if head else (None, False)
    if head is None or unit is None or not kepala:
        raise ValueError("only the head of a unit sets the unit's predikat")
    predikat = _param(params, "predikat_unit")
    record_result(ctx.session, UNIT_RATING, ctx.instance.period, {"predikat_unit": predikat, "kepala_id": head.id},
                  unit_id=unit.id, instance_id=ctx.instance.id, now=ctx.now, actor=head, audit_kind=UNIT_RATING,
                  audit_data={"periode": ctx.instance.period, "unit_code": unit.code, "predikat_unit": predikat})
    return {"unit_code": unit.code, "unit": unit.name, "predikat_unit": predikat}


def _predikat_unit_kepala(ctx: StepContext, params: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Return the rating of the unit the subject heads, as its head recorded it for this period.

    A unit head's own hasil-kerja rating follows that rating (DMN ``hasil_kerja_pimpinan``). Returns ``status``
    ``ada`` with ``predikat_unit``, ``menunggu`` while the unit has no rating yet, or ``bukan_kepala`` when the
    subject heads no curve unit.
    """
    session, period = ctx.session, ctx.instance.period
    user = session.get(User, ctx.instance.subject_id) if ctx.instance.subject_id else None
    unit, kepala = curve_unit(session, user) if user else (None, False)
    if user is None or unit is None or not kepala:
        return {"status": "bukan_kepala", "predikat_unit": None, "unit_code": None, "unit": "",
                "pesan": "Bukan kepala unit kurva / Not the head of a curve unit"}
    predikat_unit = _predikat_unit(session, period, unit.id)
    if predikat_unit is None:
        return {"status": "menunggu", "predikat_unit": None, "unit_code": unit.code, "unit": unit.name,
                "pesan": f"Predikat {unit.name} untuk periode {period} belum ditetapkan; hasil kerja kepala unit "
                         f"mengikuti predikat unit. / The unit's rating for {period} has not been set yet; the "
                         "head's work-results rating follows it."}
    return {"status": "ada", "predikat_unit": predikat_unit, "unit_code": unit.code, "unit": unit.name,
            "pesan": ""}


def _predikat_unit(session: Session, period: str, unit_id: int) -> str | None:
    """Return the unit's predikat for the period: the most recently recorded rating, or None if there is none."""
    found = [r for r in results(session, UNIT_RATING, period, unit_ids=[unit_id]) if r.subject_id is None]
    return str(found[-1].value["predikat_unit"]) if found else None


def proposals(session: Session, period: str, unit_id: int) -> dict[int, str]:
    """Return the latest proposed predikat per employee of a curve unit in the period (one indexed query)."""
    return {r.subject_id: str(r.value["predikat"])
            for r in results(session, PROPOSAL, period, unit_ids=[unit_id]) if r.subject_id is not None}


def _subtree_ids(unit_id: int) -> Any:
    """A recursive query of the unit and the units below it (the database walks the tree, not Python)."""
    tree = select(Unit.id).where(Unit.id == unit_id).cte("curve_tree", recursive=True)
    return tree.union_all(select(Unit.id).join(tree, Unit.parent_id == tree.c.id))


def of_curve_staff(statement: Any, unit: Unit, period: str) -> Any:
    """Restrict a statement over ``User`` to a curve unit's staff in the period: the holders of a position in the
    unit or its sub-units whose superior position lies inside it too (so not the unit's head), with a planning
    instance in the period. Joins ``Position`` (the staff member's own position, for ``contains_eager``)."""
    inside = select(_subtree_ids(unit.id).c.id)
    superior = aliased(Position)
    planned = exists().where(Instance.subject_id == User.id, Instance.process_id == PLANNING,
                             Instance.period == period)
    return (statement.join(Position, User.position_id == Position.id).join(superior, Position.parent_id == superior.id)
            .where(Position.unit_id.in_(inside), superior.unit_id.in_(inside), planned))


def _proposed(unit: Unit, period: str) -> Any:
    """Whether the ``User`` of the statement has a proposed predikat in the unit's curve for the period."""
    return exists().where(SubjectResult.kind == PROPOSAL, SubjectResult.period == period,
                          SubjectResult.unit_id == unit.id, SubjectResult.subject_id == User.id)


def curve_staff(session: Session, unit: Unit, period: str) -> list[User]:
    """Return the employees a unit's curve counts in the period, by id: everyone holding a position in the unit or
    its sub-units who has a planning instance in the period, except the unit's head (whose own rating follows the
    unit's). One query over the unit's own positions, whatever the size of the rest of the organisation."""
    rows = session.execute(of_curve_staff(select(User), unit, period).options(contains_eager(User.position))
                           .order_by(User.id)).all()
    return [user for (user,) in rows]


@dataclass(frozen=True)
class CurveState:
    """A curve unit's proposals in a period, checked against its curve, with the calibration if one was decided."""

    unit: Unit
    predikat_unit: str | None
    staff: list[User]
    proposed: dict[int, dict[str, Any]]  # employee -> {"predikat", "hasil_kerja", "perilaku"}
    calibration: dict[str, Any] | None

    @property
    def missing(self) -> list[User]:
        return [m for m in self.staff if m.id not in self.proposed]

    def usulan(self) -> list[Usulan]:
        """The proposals as the calibration ranks them: work results, then behaviour; the NIP and id break ties."""
        return [Usulan(m.id, str(self.proposed[m.id]["predikat"]),
                       (RATING_RANK.get(str(self.proposed[m.id].get("hasil_kerja")), 1),
                        RATING_RANK.get(str(self.proposed[m.id].get("perilaku")), 1)), (m.nip or "", m.id))
                for m in self.staff if m.id in self.proposed]


def curve_state(session: Session, unit: Unit, period: str) -> CurveState:
    """Read what a curve unit's check needs: four indexed queries, each over the unit's own rows."""
    rated = [r for r in results(session, UNIT_RATING, period, unit_ids=[unit.id]) if r.subject_id is None]
    staff = curve_staff(session, unit, period)
    proposed = {r.subject_id: dict(r.value) for r in results(session, PROPOSAL, period, unit_ids=[unit.id])
                if r.subject_id is not None and isinstance(r.value, dict)}
    calibrated = [r for r in results(session, CALIBRATION, period, unit_ids=[unit.id]) if r.subject_id is None]
    return CurveState(unit, str(rated[-1].value["predikat_unit"]) if rated else None, staff, proposed,
                      dict(calibrated[-1].value) if calibrated else None)


def _calibrated(state: CurveState, user_id: int) -> str | None:
    """The calibrated predikat of an employee, if the unit's calibration covers their current proposal."""
    row = ((state.calibration or {}).get("pegawai") or {}).get(str(user_id))
    mine = state.proposed.get(user_id) or {}
    if not row or row.get("usulan") != mine.get("predikat"):
        return None
    return str(row["predikat"])


@dataclass(frozen=True)
class UnitCount:
    """What one employee's check needs of the unit, counted by the database: no row per colleague comes back."""

    predikat_unit: str | None
    staff: int
    distribution: dict[str, int]  # proposed predikat -> how many of the unit's staff
    missing: int
    calibrated: tuple[str, str, str] | None  # (the proposal it covered, the calibrated predikat, the head's note)


def unit_count(session: Session, unit: Unit, period: str, user_id: int) -> UnitCount:
    """Count a curve unit's staff and their proposals per predikat, and read this employee's calibration, in four
    indexed queries whose answers do not grow with the unit (the database walks the unit's rows)."""
    rated = [r for r in results(session, UNIT_RATING, period, unit_ids=[unit.id]) if r.subject_id is None]
    proposal = aliased(SubjectResult)
    label = proposal.value["predikat"].as_string()
    rows = session.execute(
        of_curve_staff(select(label, func.count()).select_from(User), unit, period)
        .outerjoin(proposal, and_(proposal.kind == PROPOSAL, proposal.period == period,
                                  proposal.unit_id == unit.id, proposal.subject_id == User.id))
        .group_by(label)).all()
    distribution = {str(k): int(n) for k, n in rows if k is not None}
    missing = sum(int(n) for k, n in rows if k is None)
    v = SubjectResult.value
    mine = session.execute(select(v[("pegawai", str(user_id), "usulan")].as_string(),
                                  v[("pegawai", str(user_id), "predikat")].as_string(), v["catatan"].as_string())
                           .where(SubjectResult.kind == CALIBRATION, SubjectResult.period == period,
                                  SubjectResult.unit_id == unit.id, SubjectResult.subject_id.is_(None))
                           .order_by(SubjectResult.id.desc()).limit(1)).first()
    calibrated = (str(mine[0]), str(mine[1]), str(mine[2] or "")) if mine is not None and mine[1] else None
    return UnitCount(str(rated[-1].value["predikat_unit"]) if rated else None, missing + sum(distribution.values()),
                     distribution, missing, calibrated)


def _missing_names(session: Session, unit: Unit, period: str, limit: int = 10) -> list[str]:
    """The first names (by id) of the unit's staff without a proposal yet."""
    return list(session.scalars(of_curve_staff(select(User.full_name).select_from(User), unit, period)
                                .where(~_proposed(unit, period)).order_by(User.id).limit(limit)))


def _cek_kurva(ctx: StepContext, params: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Record this employee's proposed predikat and read the unit's curve decision about it.

    Returns ``status``: ``sesuai`` (the unit's proposals fit the curve: go on with the proposal), ``dikalibrasi``
    (the unit head calibrated the unit, or the suggestion applied after 14 days: go on with ``predikat``, the
    calibrated one) or ``menunggu`` (no unit rating yet, or no unit decision covering this proposal yet), with
    ``pesan`` (what it waits for). The outcome never depends on the order in which assessors submit: the unit's own
    case (``smk_predikat_unit``) decides for the whole unit once every proposal is in (issue 15), records what the
    decision gives each employee (result ``smk.predikat_kurva``) and tells the waiting assessments by the message
    ``kurva_unit_diputuskan``. This check never counts the unit: it reads this employee's proposal and decision,
    and the unit's rating, each one row by an index, however large the unit.

    A model that does not pass ``keputusan_unit`` (``smk_penilaian`` deployed before the message, whose instances
    re-check daily) gets the check of that time, which counts the unit (``unit_count``).
    """
    session, period = ctx.session, ctx.instance.period
    user = session.get(User, ctx.instance.subject_id) if ctx.instance.subject_id else None
    unit, kepala = curve_unit(session, user) if user else (None, False)
    predikat = _param(params, "predikat")
    if user is None or unit is None or kepala:
        return {"status": "sesuai", "pesan": "Tidak termasuk kurva unit / Not in a unit curve", "saran": []}
    value = {"predikat": predikat, "hasil_kerja": _param(params, "hasil_kerja") or "",
             "perilaku": _param(params, "perilaku") or ""}
    held = session.scalars(select(SubjectResult).where(
        SubjectResult.kind == PROPOSAL, SubjectResult.period == period, SubjectResult.subject_id == user.id,
        SubjectResult.unit_id == unit.id).limit(1)).first()
    if held is None or held.value != value:  # a re-check does not record the same proposal again
        record_result(session, PROPOSAL, period, value, subject_id=user.id, unit_id=unit.id,
                      instance_id=ctx.instance.id, now=ctx.now, audit_kind=PROPOSAL,
                      audit_data={"periode": period, "unit_code": unit.code, "predikat": predikat})
    if not _param(params, "keputusan_unit"):
        return _cek_kurva_hitung(session, unit, period, user, predikat)
    decided = session.execute(select(SubjectResult.value, SubjectResult.recorded_at).where(
        SubjectResult.kind == DECISION, SubjectResult.period == period, SubjectResult.subject_id == user.id,
        SubjectResult.unit_id == unit.id).limit(1)).first()
    mine = dict(decided[0]) if decided is not None and isinstance(decided[0], dict) else None
    if mine is not None and mine.get("usulan") == predikat:
        predikat_unit = mine.get("predikat_unit")
        if mine.get("keputusan") == FITTING:
            return {"status": "sesuai", "saran": [], "predikat_unit": predikat_unit,
                    "distribusi": mine.get("distribusi") or {},
                    "pesan": f"Usulan {unit.name} sesuai kurva distribusi (keputusan unit). / The unit's proposals "
                             "fit the distribution curve (the unit's decision)."}
        calibrated, note = str(mine.get("predikat")), str(mine.get("catatan") or "")
        changed = calibrated != predikat
        return {"status": "dikalibrasi", "predikat": calibrated, "predikat_usulan": predikat, "saran": [],
                "predikat_unit": predikat_unit, "catatan": note,
                "pesan": (f"Kalibrasi {unit.name}: predikat {predikat} menjadi {calibrated}. / Calibration of the "
                          f"unit: {predikat} becomes {calibrated}." if changed else
                          f"Kalibrasi {unit.name}: predikat {predikat} tetap. / Calibration of the unit: "
                          f"{predikat} stays.") + (f" Catatan / Note: {note}" if note else "")}
    predikat_unit = _predikat_unit(session, period, unit.id)
    if predikat_unit is None:
        return {"status": "menunggu", "saran": [],
                "pesan": f"Kepala {unit.name} belum menetapkan predikat unit. Setelah predikat unit ditetapkan dan "
                         "semua usulan unit masuk, keputusan kurva unit (sesuai kurva, atau kalibrasi oleh kepala "
                         "unit) menggerakkan tugas ini dengan sendirinya. / The unit head has not yet rated the unit. "
                         "Once the unit is rated and every proposal of the unit is in, the unit's curve decision "
                         "(fits, or the head's calibration) moves this task on by itself."}
    if mine is not None:  # decided, but for another proposal of this employee, or before they joined the unit
        when = decided[1].date().isoformat() if decided is not None else ""
        return {"status": "menunggu", "saran": [], "predikat_unit": predikat_unit,
                "pesan": f"Keputusan kurva {unit.name} ({when}) tidak mencakup usulan ini ({predikat}; keputusan "
                         f"itu untuk usulan {mine.get('usulan')}). Biro SDM dapat memulai lagi 'Predikat unit kerja' "
                         "untuk kepala unit agar unit diputuskan lagi. / The unit's curve decision of "
                         f"{when} does not cover this proposal ({predikat}; it was made for {mine.get('usulan')}). "
                         "Biro SDM can start 'Predikat unit kerja' again for the unit head so that the unit is "
                         "decided again."}
    return {"status": "menunggu", "saran": [], "predikat_unit": predikat_unit,
            "pesan": f"Predikat unit: {predikat_unit}. Menunggu keputusan kurva {unit.name}: kasus kepala unit "
                     "memeriksa usulan unit setiap hari dan memutuskan begitu semua usulan masuk (sesuai kurva, atau "
                     "kalibrasi oleh kepala unit bila melanggar); tugas ini lalu berlanjut dengan sendirinya. / "
                     f"Unit rating: {predikat_unit}. Waiting for the unit's curve decision: the unit head's case "
                     "checks the unit's proposals daily and decides once all are in (fits, or the head's calibration "
                     "when they break the curve); this task then moves on by itself."}


def _cek_kurva_hitung(session: Session, unit: Unit, period: str, user: User, predikat: Any) -> dict[str, Any]:
    """The curve check of models deployed before the unit decision's message: it counts the unit's proposals per
    predikat (``unit_count``) at every check; their instances re-check daily."""
    state = unit_count(session, unit, period, user.id)
    if state.predikat_unit is None:
        return {"status": "menunggu", "saran": [],
                "pesan": f"Kepala {unit.name} belum menetapkan predikat unit / The unit head has not yet rated "
                         "the unit"}
    if state.calibrated is not None and state.calibrated[0] == predikat:
        _, calibrated, note = state.calibrated
        changed = calibrated != predikat
        return {"status": "dikalibrasi", "predikat": calibrated, "predikat_usulan": predikat, "saran": [],
                "predikat_unit": state.predikat_unit, "catatan": note,
                "pesan": (f"Kalibrasi {unit.name}: predikat {predikat} menjadi {calibrated}. / Calibration of the "
                          f"unit: {predikat} becomes {calibrated}." if changed else
                          f"Kalibrasi {unit.name}: predikat {predikat} tetap. / Calibration of the unit: "
                          f"{predikat} stays.") + (f" Catatan / Note: {note}" if note else "")}
    if state.missing:
        names = _missing_names(session, unit, period)
        more = state.missing - len(names)
        return {"status": "menunggu", "saran": [], "predikat_unit": state.predikat_unit,
                "pesan": "Menunggu penilaian / Waiting for the ratings of: " + ", ".join(names)
                         + (f" (+{more})" if more > 0 else "")}
    labels = [label for label, n in sorted(state.distribution.items()) for _ in range(n)]
    result = SCRIPT_FUNCTIONS["cek_kurva_distribusi"](state.predikat_unit, labels)
    if result["ok"]:
        return {"status": "sesuai", "saran": [], "predikat_unit": state.predikat_unit,
                "distribusi": result["distribusi"], "pesan": "Sesuai kurva distribusi / Fits the curve"}
    return {"status": "menunggu", "saran": [], "predikat_unit": state.predikat_unit,
            "distribusi": result["distribusi"], "versi_tabel": result["versi_tabel"],
            "pesan": " ".join(v["message"] for v in result["violations"]) + f" Menunggu kalibrasi oleh kepala "
                     f"{unit.name}. / The unit's proposals break its curve; waiting for the unit head's calibration."}


def _title(user: User) -> str:
    position = user.position
    return position.title if position is not None else ""


def _head_unit(ctx: StepContext) -> tuple[User, Unit]:
    head = ctx.session.get(User, ctx.instance.subject_id) if ctx.instance.subject_id else None
    unit, kepala = curve_unit(ctx.session, head) if head else (None, False)
    if head is None or unit is None or not kepala:
        raise ValueError("only the head of a unit calibrates the unit's curve")
    return head, unit


# A curve unit of up to this many staff lists every employee in the calibration table. A larger one lists only
# those the suggestion moves (at most LISTED_MOVES of them): the table is task data, which may hold 1 MB (~4,000
# rows), nobody reviews 10,000 rows in a form, and a page of the whole table weighs ~4 kB a row (300 rows: ~1.2 MB;
# 1,000: ~3 MB and a second to render). The head finds anyone else by name or NIP under "Perubahan lain";
# whoever is not posted gets the suggestion (``_catat_kalibrasi``). Both are the defaults of settings an operator
# may change (``calibration_table``; docs/operations.md, "Calibration of a large unit").
FULL_TABLE_STAFF = 300
LISTED_MOVES = 2000
FULL_TABLE_STAFF_SETTING = "SMK_CALIBRATION_FULL_TABLE_STAFF"
LISTED_MOVES_SETTING = "SMK_CALIBRATION_LISTED_MOVES"


@dataclass(frozen=True)
class CalibrationTable:
    """How much of a curve unit the head's calibration table lists."""

    full_table_staff: int  # a unit of up to this many staff lists everyone
    listed_moves: int  # a larger unit lists at most this many of those the suggestion moves


def calibration_table(environ: Mapping[str, str] | None = None) -> CalibrationTable:
    """Return the calibration table's sizes in force: ``SMK_CALIBRATION_FULL_TABLE_STAFF`` and
    ``SMK_CALIBRATION_LISTED_MOVES`` from the environment, else ``FULL_TABLE_STAFF`` and ``LISTED_MOVES``. Read on
    every call, like the engine's limits (``engine.limits``), so that the web process and the worker follow a change
    alike; a value that is not a positive whole number raises ValueError naming the variable."""
    env = os.environ if environ is None else environ
    return CalibrationTable(_positive(env, FULL_TABLE_STAFF_SETTING, FULL_TABLE_STAFF),
                            _positive(env, LISTED_MOVES_SETTING, LISTED_MOVES))


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or int(raw) <= 0:
        raise ValueError(f"{name} must be a positive whole number, not {raw!r}")
    return int(raw)


def _ringkas_kurva(ctx: StepContext, params: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """The unit head's view of the unit's curve: ``status`` ``menunggu`` (proposals missing), ``sesuai`` (they
    fit: nothing to calibrate) or ``kalibrasi`` (they break it), with a row per employee (proposed, suggested
    and, to start with, calibrated = suggested predikat) and the distribution against the curve in words. Beyond
    ``calibration_table().full_table_staff`` staff the rows are those the suggestion moves (``daftar_ringkas``)."""
    head, unit = _head_unit(ctx)
    state = curve_state(ctx.session, unit, ctx.instance.period)
    base = {"unit_code": unit.code, "unit": unit.name, "predikat_unit": state.predikat_unit,
            "jumlah_pegawai": len(state.staff)}
    if state.predikat_unit is None:
        return {**base, "status": "menunggu", "pesan": "Predikat unit belum tercatat / The unit's rating is not "
                "recorded yet", "kalibrasi_pegawai": []}
    if not state.staff:
        return {**base, "status": "sesuai", "pesan": "Tidak ada pegawai dalam kurva unit / Nobody is in the "
                "unit's curve", "kalibrasi_pegawai": []}
    missing = state.missing
    if missing:
        return {**base, "status": "menunggu", "kalibrasi_pegawai": [],
                "pesan": f"Menunggu usulan predikat {len(missing)} dari {len(state.staff)} pegawai: "
                         + ", ".join(m.full_name for m in missing) + f" / Waiting for {len(missing)} of "
                         f"{len(state.staff)} proposals"}
    usulan = state.usulan()
    table = dmn_tables.load_table("kurva_distribusi")
    before = cek_kurva_distribusi(state.predikat_unit, [u.predikat for u in usulan], table)
    moved, after = saran_kalibrasi(state.predikat_unit, usulan, table)
    people = {m.id: m for m in state.staff}
    sizes = calibration_table()
    short = len(usulan) > sizes.full_table_staff
    # The suggested moves first, then everyone else (each in the order of the suggestion's ranking): the head
    # starts with the rows the suggestion changes instead of looking for them among a unit's hundreds.
    listed = [u for u in usulan if u.pegawai in moved][:sizes.listed_moves] if short else \
        [u for u in usulan if u.pegawai in moved] + [u for u in usulan if u.pegawai not in moved]
    rows = [{"id": u.pegawai, "nama": people[u.pegawai].full_name, "nip": people[u.pegawai].nip or "",
             "jabatan": _title(people[u.pegawai]),
             "hasil_kerja": str(state.proposed[u.pegawai].get("hasil_kerja") or ""),
             "perilaku": str(state.proposed[u.pegawai].get("perilaku") or ""),
             "predikat_usulan": u.predikat, "predikat_saran": moved.get(u.pegawai, u.predikat),
             "predikat_kalibrasi": moved.get(u.pegawai, u.predikat)} for u in listed]
    # One sentence a line, each "Indonesian / English" as a whole: the form shows each line in the page's language.
    proposed_counts = ", ".join(f"{k} {v}" for k, v in before.distribusi.items() if v)
    suggested_counts = ", ".join(f"{k} {v}" for k, v in after.distribusi.items() if v)
    lines = [f"Predikat unit: {state.predikat_unit}; {len(usulan)} pegawai. / Unit rating: {state.predikat_unit}; "
             f"{len(usulan)} employees.",
             f"Distribusi usulan: {proposed_counts} / Proposed: {proposed_counts}"]
    lines += [f"- {v.pesan} / - {v.message}" for v in before.pelanggaran]
    lines.append(f"Distribusi dengan saran: {suggested_counts} / With the suggestion: {suggested_counts}")
    lines.append(f"Saran mengubah {len(moved)} pegawai (yang terlemah menurut rating hasil kerja dan perilaku; "
                 f"bukan menurut urutan penilaian). / The suggestion moves {len(moved)} employees (the weakest by "
                 "work-results and behaviour ratings, never by the order of submission).")
    if not after.dapat_dipenuhi:
        lines.append("Kurva tidak dapat dipenuhi unit ini; putuskan dengan catatan. / The curve cannot be met by "
                     "this unit; decide with a note.")
    if moved and not short:
        lines.append(f"Baris teratas: {len(moved)} pegawai yang diubah saran. / The top rows are the {len(moved)} "
                     "employees the suggestion moves.")
    if short:
        lines.append(f"Unit ini besar ({len(usulan)} pegawai): tabel memuat {len(rows)} pegawai yang diubah saran"
                     + (f" (dari {len(moved)}; sisanya mengikuti saran)" if len(rows) < len(moved) else "")
                     + ". Pegawai lain tetap dengan usulannya kecuali Anda mengubahnya di 'Perubahan lain' (cari "
                     f"menurut nama atau NIP). / A large unit ({len(usulan)} employees): the table lists those the "
                     f"suggestion moves ({len(rows)}" + (f" of {len(moved)}; the others follow the suggestion"
                                                         if len(rows) < len(moved) else "")
                     + "). Everyone else keeps their proposal unless you change them under 'Other changes' (find "
                     "them by name or NIP).")
    return {**base, "status": "sesuai" if before.ok else "kalibrasi", "kalibrasi_pegawai": rows,
            "daftar_ringkas": short,
            "ringkasan_kurva": "\n".join(lines), "distribusi": before.distribusi,
            "pesan": "Sesuai kurva distribusi / Fits the curve" if before.ok else before.pelanggaran[0].pesan,
            "versi_tabel": before.versi_tabel}


def _catat_kalibrasi(ctx: StepContext, params: dict[str, Any], data: dict[str, Any]) -> str:
    """Check and record the unit head's calibration: every employee of the unit's curve keeps a row (a row the
    form lost, or a large unit's table did not list, gets the suggestion; rows of others are ignored), the
    changes the head named by NIP (``lainnya``: a large unit's "Perubahan lain") apply to those employees, the
    calibrated distribution must fit the curve (unless the curve cannot be met), and a change from the
    suggestion needs a note. Returns the reason a decision is refused (both languages), or "" once the decision
    is recorded for the whole unit at once."""
    head, unit = _head_unit(ctx)
    session, period = ctx.session, ctx.instance.period
    state = curve_state(session, unit, period)
    posted = {str(r.get("id")): r for r in (_param(params, "baris") or []) if isinstance(r, dict)}
    note = str(_param(params, "catatan") or "").strip()
    if state.predikat_unit is None or state.missing:
        return "Usulan unit belum lengkap / The unit's proposals are not all in"
    refused = _other_changes(state, posted, _param(params, "lainnya") or [])
    if refused:
        return refused
    usulan = state.usulan()
    table = dmn_tables.load_table("kurva_distribusi")
    moved, _ = saran_kalibrasi(state.predikat_unit, usulan, table)
    chosen: dict[int, str] = {}
    for u in usulan:
        label = str((posted.get(str(u.pegawai)) or {}).get("predikat_kalibrasi") or moved.get(u.pegawai, u.predikat))
        if label not in PREDIKAT_6_2022:
            return f"Predikat {label!r} tidak dikenal / unknown predikat"
        chosen[u.pegawai] = label
    check = cek_kurva_distribusi(state.predikat_unit, list(chosen.values()), table)
    if not check.ok and check.dapat_dipenuhi:
        return ("Hasil kalibrasi masih melanggar kurva: " + " ".join(v.pesan for v in check.pelanggaran)
                + " / The calibrated ratings still break the curve: " + " ".join(v.message for v in check.pelanggaran))
    follows = all(chosen[u.pegawai] == moved.get(u.pegawai, u.predikat) for u in usulan)
    if (not follows or not check.ok) and not note:
        return ("Tulis catatan alasan bila menyimpang dari saran atau kurva tidak dapat "
                "dipenuhi. / Write a note when you depart from the suggestion or the curve cannot be met.")
    value = {"pegawai": {str(u.pegawai): {"usulan": u.predikat, "predikat": chosen[u.pegawai]} for u in usulan},
             "sesuai_saran": follows, "catatan": note, "kepala_id": head.id, "versi_tabel": check.versi_tabel}
    record_result(session, CALIBRATION, period, value, unit_id=unit.id, instance_id=ctx.instance.id, now=ctx.now,
                  actor=head, audit_kind=CALIBRATION,
                  audit_data={"periode": period, "unit_code": unit.code, "sesuai_saran": follows,
                              "diubah": sorted(u.pegawai for u in usulan if chosen[u.pegawai] != u.predikat)})
    _record_decision(session, unit, period, {u.pegawai: (u.predikat, chosen[u.pegawai]) for u in usulan},
                     {"keputusan": CALIBRATED, "catatan": note, "predikat_unit": state.predikat_unit,
                      "distribusi": check.distribusi}, ctx.instance.id, ctx.now)
    return ""


def _other_changes(state: CurveState, posted: dict[str, dict[str, Any]], others: Any) -> str:
    """Add the head's changes by NIP (or user name) to ``posted``, the table's rows by employee id. Returns why
    they are refused ("" when they are not): a NIP outside the unit's curve, one named twice, or one the table
    already lists with another predikat (change it there)."""
    if not isinstance(others, list):
        return "Perubahan lain tidak terbaca / The other changes could not be read"
    by_key: dict[str, User] = {}
    for m in state.staff:
        if m.id in state.proposed:
            by_key.setdefault(m.username.strip().lower(), m)
            if m.nip:
                by_key[m.nip.strip()] = m
    named: set[int] = set()
    for row in others:
        if not isinstance(row, dict):
            continue
        key, label = str(row.get("nip") or "").strip(), str(row.get("predikat_kalibrasi") or "").strip()
        if not key and not label:
            continue  # an empty row the form added
        if not key or not label:
            return (f"Perubahan lain: isi NIP dan predikat ({key or label}) / Other changes: give both the NIP and the "
                    "predikat")
        who = by_key.get(key) or by_key.get(key.lower())
        if who is None:
            return (f"Perubahan lain: NIP {key} bukan pegawai kurva unit ini / Other changes: NIP {key} is not in "
                    "this unit's curve")
        if who.id in named:
            return (f"Perubahan lain: {who.full_name} ({key}) disebut dua kali / Other changes: {who.full_name} "
                    "is named twice")
        listed = posted.get(str(who.id))
        if listed is not None and listed.get("predikat_kalibrasi") not in (None, label):
            return (f"Perubahan lain: {who.full_name} ({key}) ada di tabel; ubah predikatnya di tabel / Other "
                    f"changes: {who.full_name} is in the table; change their predikat there")
        named.add(who.id)
        posted[str(who.id)] = {"id": who.id, "predikat_kalibrasi": label}
    return ""


@dataclass(frozen=True)
class StaffChoice:
    """One employee the calibration's type-ahead offers: who, and their proposal."""

    id: int
    nama: str
    nip: str
    username: str
    jabatan: str
    predikat_usulan: str
    di_tabel: bool  # the calibration table already lists them (change their predikat there)

    @property
    def kunci(self) -> str:
        """What "Perubahan lain" takes for them: the NIP, else the user name (as ``_other_changes`` reads it)."""
        return self.nip or self.username


def kalibrasi_staf(session: Session, instance: Instance, data: dict[str, Any], text: str,
                   limit: int = 20) -> list[StaffChoice]:
    """Find, for the unit head's "Perubahan lain", the people ``_other_changes`` accepts: the curve staff of the
    unit the instance's subject heads who have a proposal in the instance's period, whose name, NIP or user name
    contains ``text`` (case-insensitive); at most ``limit``, those starting with it first, then by name. ``data``
    is the calibration task's data (its table marks who is listed). Anyone but a curve unit's head finds nobody.
    One query over the unit's own positions, however large the unit and the organisation."""
    needle = text.strip().lower()
    head = session.get(User, instance.subject_id) if instance.subject_id else None
    unit, kepala = curve_unit(session, head) if head is not None else (None, False)
    if unit is None or not kepala or not needle or not instance.period or limit <= 0:
        return []
    period = instance.period
    name, username, nip = func.lower(User.full_name), func.lower(User.username), func.coalesce(User.nip, "")
    matches = or_(name.contains(needle, autoescape=True), username.contains(needle, autoescape=True),
                  nip.contains(needle, autoescape=True))
    starts = or_(name.startswith(needle, autoescape=True), username.startswith(needle, autoescape=True),
                 nip.startswith(needle, autoescape=True))
    found = session.scalars(
        of_curve_staff(select(User), unit, period).options(contains_eager(User.position))
        .where(_proposed(unit, period), matches)
        .order_by(case((starts, 0), else_=1), User.full_name, User.id).limit(limit)).all()
    predikat = {r.subject_id: str((r.value or {}).get("predikat") or "")
                for r in results(session, PROPOSAL, period, unit_ids=[unit.id], subject_ids=[u.id for u in found])}
    rows = data.get("kalibrasi_pegawai") if isinstance(data, dict) else None
    listed = {r.get("id") for r in rows if isinstance(r, dict)} if isinstance(rows, list) else set()
    return [StaffChoice(u.id, u.full_name, u.nip or "", u.username, _title(u), predikat.get(u.id, ""),
                        u.id in listed) for u in found]


def _record_decision(session: Session, unit: Unit, period: str, chosen: dict[int, tuple[str, str]],
                     common: dict[str, Any], instance_id: int | None, now: datetime) -> None:
    """Write what the unit's decision gives each employee (result ``smk.predikat_kurva``: proposal → predikat),
    replacing the unit's previous decision, in two statements however large the unit: a DELETE and one multi-row
    INSERT. The unit-level result (``smk.kurva_sesuai`` or ``smk.kalibrasi_kurva``), recorded just before with its
    audit event, is the record of the decision; these rows are what each assessment's check reads."""
    session.execute(delete(SubjectResult).where(SubjectResult.kind == DECISION, SubjectResult.period == period,
                                                SubjectResult.unit_id == unit.id))
    rows = [{"kind": DECISION, "period": period, "subject_id": employee, "unit_id": unit.id,
             "instance_id": instance_id, "recorded_at": now,
             "value": {"usulan": proposed, "predikat": decided, **common}}
            for employee, (proposed, decided) in sorted(chosen.items())]
    if rows:
        session.execute(insert(SubjectResult), rows)


def _catat_kurva_sesuai(ctx: StepContext, params: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Record the unit's decision when every proposal is in and they fit the curve: everyone keeps their proposal
    (result ``smk.kurva_sesuai`` for the unit, an audit event of the same kind, and a ``smk.predikat_kurva`` row per
    employee). It is not a calibration: the reports' and audit's count of calibrations (``smk.kalibrasi_kurva``)
    stays the units their head calibrated. Refuses (an error of the step) when proposals are missing or break the
    curve: the model reaches this step only after ``smk_ringkas_kurva`` found them complete and fitting."""
    head, unit = _head_unit(ctx)
    session, period = ctx.session, ctx.instance.period
    state = curve_state(session, unit, period)
    if state.predikat_unit is None or state.missing:
        raise ValueError("smk_catat_kurva_sesuai: the unit's rating or proposals are missing; check them with "
                         "smk_ringkas_kurva first")
    usulan = state.usulan()
    check = cek_kurva_distribusi(state.predikat_unit, [u.predikat for u in usulan],
                                 dmn_tables.load_table("kurva_distribusi")) if usulan else None
    if check is not None and not check.ok:
        raise ValueError("smk_catat_kurva_sesuai: the unit's proposals break its curve; calibrate instead")
    distribusi = check.distribusi if check is not None else {}
    value = {"pegawai": {str(u.pegawai): {"usulan": u.predikat, "predikat": u.predikat} for u in usulan},
             "predikat_unit": state.predikat_unit, "distribusi": distribusi, "kepala_id": head.id,
             "versi_tabel": check.versi_tabel if check is not None else None}
    record_result(session, FITS, period, value, unit_id=unit.id, instance_id=ctx.instance.id, now=ctx.now,
                  audit_kind=FITS, audit_data={"periode": period, "unit_code": unit.code,
                                               "predikat_unit": state.predikat_unit, "jumlah_pegawai": len(usulan)})
    _record_decision(session, unit, period, {u.pegawai: (u.predikat, u.predikat) for u in usulan},
                     {"keputusan": FITTING, "catatan": "", "predikat_unit": state.predikat_unit,
                      "distribusi": distribusi}, ctx.instance.id, ctx.now)
    return {"status": FITTING, "jumlah_pegawai": len(usulan), "distribusi": distribusi,
            "pesan": "Sesuai kurva distribusi; setiap pegawai tetap dengan usulannya. / Fits the curve; everyone "
                     "keeps their proposal."}


def _kabari_kurva_unit(ctx: StepContext, params: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Tell every employee the unit's decision covers, by the message ``kurva_unit_diputuskan`` addressed by
    business key (employee + period): their assessment waiting in *Menunggu keputusan kurva unit* goes back to its
    curve check, which reads the decision.

    The messages are kept (``engine.services.messages.keep_messages``: one multi-row INSERT), not delivered here:
    a unit may have 2,000 staff and this transaction is the head's form submission (or a timer). The worker
    delivers each in its own short transaction to the assessment waiting for it; one that does not wait yet takes
    it when it starts waiting."""
    _, unit = _head_unit(ctx)
    session, period = ctx.session, ctx.instance.period
    staff = session.scalars(select(SubjectResult.subject_id).where(
        SubjectResult.kind == DECISION, SubjectResult.period == period, SubjectResult.unit_id == unit.id,
        SubjectResult.subject_id.is_not(None)).order_by(SubjectResult.subject_id)).all()
    payload = {"unit_code": unit.code, "unit": unit.name, "periode": period}
    kept = keep_messages(session, DECIDED, [(business_key(employee, period), payload) for employee in staff],
                         ctx.instance, ctx.now)
    return {"pegawai": len(staff), "dikabari": kept, "pada": ctx.now.isoformat()}


def backfill_results(session: Session, now: datetime) -> int:
    """Fill the results table from the proposals and unit ratings recorded only as audit events before it existed.

    Idempotent, so ``smk init`` runs it after every upgrade: it reads only events written before the table (those
    from ``record_result`` carry a ``result`` key), takes the latest per employee or unit and period, and leaves
    alone a key the table already holds (what was recorded there is newer). Returns how many rows it added.
    """
    kinds = (PROPOSAL, UNIT_RATING)
    have = {tuple(row) for row in session.execute(select(
        SubjectResult.kind, SubjectResult.period, SubjectResult.subject_id, SubjectResult.unit_id)
        .where(SubjectResult.kind.in_(kinds)))}
    units: dict[str, int] = dict(session.execute(select(Unit.code, Unit.id)).all())
    latest: dict[tuple[str, str, int | None, int], tuple[AuditEvent, dict[str, Any]]] = {}
    for event in session.scalars(select(AuditEvent).where(AuditEvent.kind.in_(kinds)).order_by(AuditEvent.id)):
        d = event.data or {}
        unit_id, period = units.get(str(d.get("unit_code"))), d.get("periode")
        if "result" in d or unit_id is None or period is None:
            continue
        # Older events keep the employee in their data; newer ones in the event's own subject column.
        subject = d.get("subject_id") if d.get("subject_id") is not None else event.subject_id
        if event.kind == PROPOSAL and subject is not None:
            latest[(PROPOSAL, str(period), int(subject), unit_id)] = (event, {"predikat": d.get("predikat")})
        elif event.kind == UNIT_RATING:
            latest[(UNIT_RATING, str(period), None, unit_id)] = (
                event, {"predikat_unit": d.get("predikat_unit"), "kepala_id": subject})
    added = [SubjectResult(kind=kind, period=period, subject_id=subject_id, unit_id=unit_id, value=value,
                           instance_id=event.instance_id, recorded_at=event.at)
             for (kind, period, subject_id, unit_id), (event, value) in latest.items()
             if (kind, period, subject_id, unit_id) not in have]
    session.add_all(added)
    if added:
        audit.record(session, "smk.hasil_dipindahkan", now, None, jumlah=len(added))
    return len(added)


def _org_lookup(ctx: StepContext, params: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Return the subject employee's name, position, unit and assessor for display in forms."""

    subject_id = params.get("employee_id") or ctx.instance.subject_id
    employee = ctx.session.get(User, subject_id) if subject_id else None
    if employee is None:
        raise ValueError(f"employee {subject_id!r} does not exist")
    assessor = superior_of(ctx.session, employee.id)
    position = employee.position
    return {
        "id": employee.id, "nama": employee.full_name, "nip": employee.nip or "",
        "jabatan": position.title if position else "", "jenis_jabatan": position.jenis if position else "",
        "jenjang": position.jenjang if position else "", "unit": position.unit.name if position else "",
        "unit_code": position.unit.code if position else "",
        "pejabat_penilai": assessor.full_name if assessor else "",
        "pejabat_penilai_id": assessor.id if assessor else None,
    }


def _list_employees(ctx: StepContext, params: dict[str, Any], data: dict[str, Any]) -> list[Any]:
    """Return the active employees holding a position, optionally within one unit and its sub-units: a dict per
    employee, or with ``hanya_id`` only their ids. A process that only needs the ids (the period starting everyone's
    planning) asks for them: at 10,000 employees the dicts take ~1.7 MB, past what one task's data may hold
    (SMK_TASK_DATA_MAX_BYTES), and every later step of that instance would carry them."""

    units = None
    if params.get("unit_code"):
        root = ctx.session.scalar(select(Unit).where(Unit.code == params["unit_code"]))
        if root is None:
            raise ValueError(f"unit {params['unit_code']!r} does not exist")
        units = subtree(load_units(ctx.session), root.id)
    query = select(User, Position, Unit).join(Position, User.position_id == Position.id) \
        .join(Unit, Position.unit_id == Unit.id).where(User.active).order_by(Position.code)
    if units is not None:
        query = query.where(Position.unit_id.in_(units))
    if params.get("hanya_id"):
        return list(ctx.session.scalars(query.with_only_columns(User.id)))
    return [{"id": u.id, "nama": u.full_name, "nip": u.nip or "", "jabatan": p.title, "jenis_jabatan": p.jenis,
             "jenjang": p.jenjang, "unit_code": unit.code, "position_code": p.code}
            for u, p, unit in ctx.session.execute(query)]


SMK_OPERATIONS = {
    "org_lookup": _org_lookup,
    "list_employees": _list_employees,
    "smk_profil_pegawai": _profil_pegawai,
    "smk_kepala_unit": _kepala_unit,
    "smk_pegawai_dinilai": _pegawai_dinilai,
    "smk_catat_pengingat": _catat_pengingat,
    "smk_kabari_dikembalikan": _kabari_dikembalikan,
    "smk_kabari_bawahan": _kabari_bawahan,
    "smk_catat_predikat_unit": _catat_predikat_unit,
    "smk_predikat_unit_kepala": _predikat_unit_kepala,
    "smk_cek_kurva": _cek_kurva,
    "smk_ringkas_kurva": _ringkas_kurva,
    "smk_catat_kalibrasi": _catat_kalibrasi,
    "smk_catat_kurva_sesuai": _catat_kurva_sesuai,
    "smk_kabari_kurva_unit": _kabari_kurva_unit,
}
