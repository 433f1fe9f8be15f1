"""Read-only views for "SKP saya" (an employee's own cycle) and "Tim saya" (an assessor's subordinates).

They read the instance table, the task index and the audit trail; a finished instance's result (predikat) is
read from the ``data`` key of its stored JSON state, which is plain JSON: no workflow is deserialized here.
Tim saya's curve reads the proposed predikat and the unit's rating from the results table, as the model's curve
check does (``processes.operations``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased, defer, selectinload

from engine.access import actionable, lane_holder_name, subordinates_of, superior_of
from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.deploy import ProcessVersion
from engine.db.org import Position, Unit, User
from engine.db.results import SubjectResult
from engine.db.runtime import COMPLETED, Instance, TaskIndex
from engine.services.results import results
from processes.assessment_results import RESULT
from processes.operations import (
    CALIBRATION,
    DECISION,
    FITS,
    PROPOSAL,
    curve_unit,
    of_curve_staff,
    unit_count,
)
from processes.rules.distribution import cek_kurva_distribusi
from processes.tables_in_force import tables_in_force

# Words in a submitted form that carry feedback from an assessor to the employee.
FEEDBACK_KEYS = ("catatan", "umpan_balik", "feedback", "catatan_penilai", "catatan_sdm", "keputusan")
# Result keys a finished process leaves in its data.
RESULT_KEYS = ("predikat", "nilai_kinerja", "nilai_skp", "rata_rata", "hasil_kerja", "perilaku", "nomor_arsip")

STAGES = (
    ("perencanaan", ("skp", "perencanaan", "rencana")),
    ("pemantauan", ("realisasi", "pemantauan", "capaian", "monitoring")),
    ("keberatan", ("keberatan",)),
    ("tindak_lanjut", ("tindak_lanjut", "follow_up")),
    ("penilaian", ("penilaian", "evaluasi", "assessment", "predikat_unit")),
)


def _shared_suffix(titles: list[str]) -> str:
    """The "(…)" every title ends with, if they all end with the same one (a model's ``titleSuffixField``, e.g.
    the quarter of a monitoring case), else ""."""
    suffixes = {t[t.rfind(" (") + 2:-1] if t.endswith(")") and " (" in t else "" for t in titles}
    return suffixes.pop() if len(suffixes) == 1 else ""


def stage_of(process_id: str) -> str:
    """Name the cycle stage a process belongs to, from its id (``smk_perencanaan_skp`` → perencanaan)."""
    pid = process_id.lower()
    for stage, words in STAGES:
        if any(w in pid for w in words):
            return stage
    return "lainnya"


@dataclass
class Step:
    title: str
    who: str
    at: datetime | None
    outcome: str


@dataclass
class Waiting:
    task_id: str
    title: str
    lane: str | None
    who: str
    mine: bool
    due_at: datetime | None
    step: str = ""  # the BPMN element id (task_name)
    waiting: bool = False  # a waiting step (the model's ``waitingStep``): nothing to do but look, no work due


# The assessment's step that waits for its curve unit's decision (smk_penilaian): it sits in the assessor's lane (who
# may ask for a check now) and moves on by itself. Like every waiting step its model marks it (``waitingStep``), so
# it is no assessment due; by name because the person it waits for is the curve unit's head, whose calibration
# decides, not the assessor, and Tim saya counts these waits apart.
CURVE_WAIT = "menunggu_kurva"


def curve_head_name(session: Session, subject_id: int | None, cache: dict[int, str] | None = None) -> str:
    """The name of the head of the curve unit an employee belongs to ("" when none): the active holder of a
    position in that unit whose superior position lies outside it."""
    person = session.get(User, subject_id) if subject_id else None
    unit = curve_unit(session, person)[0] if person is not None else None
    if unit is None:
        return ""
    if cache is not None and unit.id in cache:
        return cache[unit.id]
    superior = aliased(Position)
    name = session.scalar(
        select(User.full_name).join(Position, User.position_id == Position.id)
        .outerjoin(superior, Position.parent_id == superior.id)
        .where(Position.unit_id == unit.id, User.active,
               or_(Position.parent_id.is_(None), superior.unit_id != unit.id))
        .order_by(User.id).limit(1)) or ""
    if cache is not None:
        cache[unit.id] = name
    return name


@dataclass
class Feedback:
    at: datetime
    author: str
    title: str
    fields: dict[str, Any]


@dataclass
class Submission:
    at: datetime
    title: str
    data: dict[str, Any]


@dataclass
class SkpInstance:
    id: int
    process_id: str
    process_name: str
    stage: str
    period: str
    status: str
    started_at: datetime
    completed_at: datetime | None
    waiting: list[Waiting] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    feedback: list[Feedback] = field(default_factory=list)
    submissions: list[Submission] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)
    label: str = ""  # what tells this case from its siblings: the suffix all its steps' titles share ("Triwulan 2 — 2023")


@dataclass
class MySkp:
    employee_name: str
    position: str
    assessor_name: str
    current_period: str
    current: list[SkpInstance]
    history: dict[str, list[SkpInstance]]


def _names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.full_name).where(User.id.in_(wanted))).all())


def _result(instance: Instance) -> dict[str, Any]:
    if instance.status != COMPLETED or not isinstance(instance.state, dict):
        return {}
    data = instance.state.get("data") or {}
    return {k: data[k] for k in RESULT_KEYS if k in data and data[k] not in (None, "")}


def _results(session: Session, instance_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """``_result`` of many finished instances at once: the database takes the few result fields out of each stored
    state (a JSON path per field), so a team of fifty does not load three hundred whole states one by one."""
    found: dict[int, dict[str, Any]] = {}
    fields = [Instance.state[("data", key)] for key in RESULT_KEYS]
    for start in range(0, len(instance_ids), 1000):
        for iid, *values in session.execute(select(Instance.id, *fields).where(
                Instance.id.in_(instance_ids[start:start + 1000]), Instance.status == COMPLETED)):
            found[iid] = {k: v for k, v in zip(RESULT_KEYS, values, strict=True) if v not in (None, "")}
    return found


def _instances(session: Session, user_id: int, subject_ids: list[int], with_history: bool,
               period: str | None = None) -> list[SkpInstance]:
    if not subject_ids:
        return []
    # The state column is large: defer it, so only finished instances (whose result is shown) load theirs.
    rows = session.execute(select(Instance, ProcessVersion.name).options(defer(Instance.state)).join(
        ProcessVersion, ProcessVersion.id == Instance.process_version_id)
        .where(Instance.subject_id.in_(subject_ids), *([Instance.period == period] if period is not None else []))
        .order_by(Instance.period.desc(), Instance.started_at.desc(), Instance.id.desc())).all()
    ids = [inst.id for inst, _ in rows]
    if not ids:
        return []
    tasks = session.scalars(select(TaskIndex).where(TaskIndex.instance_id.in_(ids))
                            .order_by(TaskIndex.ready_at)).all()
    mine = set(session.scalars(select(TaskIndex.id).where(TaskIndex.instance_id.in_(ids),
                                                          TaskIndex.closed_at.is_(None), actionable(session, user_id))))
    events = session.scalars(select(AuditEvent).where(AuditEvent.instance_id.in_(ids),
                                                      AuditEvent.kind == "task.completed")
                             .order_by(AuditEvent.at, AuditEvent.id)).all() if with_history else []
    names = _names(session, {t.completed_by_id for t in tasks} | {t.assignee_id for t in tasks} |
                   {e.actor_id for e in events})
    out: dict[int, SkpInstance] = {}
    results = _results(session, [inst.id for inst, _ in rows if inst.status == COMPLETED])
    for inst, pname in rows:
        out[inst.id] = SkpInstance(inst.id, inst.process_id, pname, stage_of(inst.process_id), inst.period,
                                   inst.status, inst.started_at, inst.completed_at, result=results.get(inst.id, {}))
    subjects = {inst.id: inst.subject_id for inst, _ in rows}
    heads: dict[int, str] = {}
    for t in tasks:
        item = out[t.instance_id]
        if t.closed_at is None:
            who = names.get(t.assignee_id or 0) or lane_holder_name(session, t.lane, subjects[t.instance_id])
            if t.task_name == CURVE_WAIT:
                who = curve_head_name(session, subjects[t.instance_id], heads) or who
            item.waiting.append(Waiting(t.id, t.title, t.lane, who, t.id in mine, t.due_at, t.task_name, t.waiting))
        else:
            item.steps.append(Step(t.title, names.get(t.completed_by_id or 0, ""), t.closed_at, t.outcome or ""))
    for item in out.values():
        item.label = _shared_suffix([w.title for w in item.waiting] + [st.title for st in item.steps])
    for e in events:
        item = out[e.instance_id or 0]
        data = dict(e.data or {})
        submitted = data.get("submitted") or {}
        title = str(data.get("title") or e.task_name or "")
        if e.actor_id == subjects.get(item.id):
            item.submissions.append(Submission(e.at, title, submitted))
        else:
            fields = {k: submitted[k] for k in FEEDBACK_KEYS if submitted.get(k) not in (None, "")}
            if fields:
                item.feedback.append(Feedback(e.at, names.get(e.actor_id or 0, e.actor), title, fields))
    return list(out.values())


def my_skp(engine: Engine, user_id: int) -> MySkp:
    """Return the employee's own cycle: the current period's processes in detail, past periods as history."""
    with engine.session_factory() as session:
        user = session.get(User, user_id)
        assert user is not None
        assessor = superior_of(session, user_id)
        items = _instances(session, user_id, [user_id], with_history=True)
        current_period = items[0].period if items else ""
        history: dict[str, list[SkpInstance]] = {}
        for item in items:
            if item.period != current_period:
                history.setdefault(item.period or "—", []).append(item)
        return MySkp(user.full_name, user.position.title if user.position else "",
                     assessor.full_name if assessor else "", current_period,
                     [i for i in items if i.period == current_period], history)


@dataclass
class Member:
    id: int
    name: str
    nip: str
    position: str
    instances: list[SkpInstance]
    waiting_for_me: int
    predikat: str


@dataclass
class Curve:
    """The predikat distribution of the curve unit the team belongs to, checked against its curve.

    The curve constrains a whole curve unit (a Biro with every sub-unit), not an assessor's team: a team of two can
    never hold "at least one Butuh Perbaikan" and 70 % Baik at once. So the counts are the unit's (its final
    predikat once the unit decided, else its proposals), the team's own share beside them; who changes when the
    unit breaks its curve is the unit head's calibration, never the order of submissions."""

    unit_predikat: str
    counts: dict[str, int]
    not_assessed: int
    ok: bool
    problems: list[str]
    advice: list[str]
    error: str = ""
    unit_name: str = ""
    staff: int = 0  # the unit's staff the curve counts (its head excluded)
    team_counts: dict[str, int] = field(default_factory=dict)
    decided: str = ""  # "" (not yet), "sesuai" (fitted as proposed) or "kalibrasi" (the head calibrated)
    recorded: bool = False  # the unit's rating was set by its head (else assumed, or chosen by the viewer)
    elsewhere: int = 0  # members counted in another curve unit (an explicit superior elsewhere)


@dataclass
class Team:
    periods: list[str]
    period: str
    members: list[Member]
    awaiting_feedback: int
    assessments_due: int
    curve: Curve | None
    curve_waits: int = 0  # the team's assessments waiting for their curve unit's decision (not due from the viewer)


UNIT_PREDIKAT = ("Istimewa", "Baik", "Butuh Perbaikan", "Kurang", "Sangat Kurang")
STAFF_PREDIKAT = ("Sangat Baik", "Baik", "Butuh Perbaikan", "Kurang/Misconduct", "Sangat Kurang")


def my_team(engine: Engine, user_id: int, period: str | None = None, unit_predikat: str | None = None) -> Team:
    """Return the assessor's subordinates with the state of each one's cycle in a period, and the curve.

    A member's predikat is their finished assessment's, else the latest one proposed to the curve check. The
    curve uses ``unit_predikat`` when given, else the rating recorded for the members' curve unit, else Baik.
    """
    with engine.session_factory() as session:
        member_ids = subordinates_of(session, user_id)
        periods = list(session.scalars(select(Instance.period).where(Instance.subject_id.in_(member_ids))
                                       .group_by(Instance.period).order_by(Instance.period.desc()))) \
            if member_ids else []
        chosen: str = period if period is not None and period in periods else (periods[0] if periods else "")
        period = chosen
        items = _instances(session, user_id, member_ids, with_history=False, period=chosen)
        people = session.scalars(select(User).options(selectinload(User.position)).where(User.id.in_(member_ids))
                                 .order_by(User.full_name)).all() if member_ids else []
        subject_of = dict(session.execute(select(Instance.id, Instance.subject_id)
                                          .where(Instance.id.in_([i.id for i in items]))).all()) if items else {}
        # What is due from the viewer: the open tasks they may act on that are not waiting steps.
        waiting_counts = Counter(subject_of[i.id] for i in items for w in i.waiting if w.mine and not w.waiting)
        proposed = {r.subject_id: str(r.value.get("predikat") or "")
                    for r in results(session, PROPOSAL, chosen, subject_ids=member_ids)}
        members = []
        for person in people:
            own = [i for i in items if subject_of.get(i.id) == person.id]
            predikat = next((str(i.result["predikat"]) for i in own if i.result.get("predikat")),
                            proposed.get(person.id, ""))
            members.append(Member(person.id, person.full_name, person.nip or "",
                                  person.position.title if person.position else "", own,
                                  waiting_counts.get(person.id, 0), predikat))
        open_mine = [w for i in items for w in i.waiting if w.mine and not w.waiting]
        assessments = sum(1 for i in items for w in i.waiting
                          if w.mine and not w.waiting and stage_of(i.process_id) == "penilaian")
        curve_waits = sum(1 for i in items for w in i.waiting if w.step == CURVE_WAIT)
        with tables_in_force(engine, session, "kurva_distribusi"):  # the curve deployed now, not the repository's
            curve = _unit_curve(session, people, members, chosen, unit_predikat) if members else None
        return Team(periods, chosen, members, len(open_mine) - assessments, assessments, curve, curve_waits)


def _staff_label(predikat: str) -> str:
    return "Kurang/Misconduct" if predikat == "Kurang" else predikat  # a 6/2022 matrix's "Kurang"


def _unit_curve(session: Session, people: Sequence[User], members: Sequence[Member], period: str,
                unit_predikat: str | None) -> Curve | None:
    """The curve of the curve unit most of the team's members belong to (None when every member heads a curve unit
    of their own or belongs to none: their rating follows their unit's). A few indexed queries whose answers do not
    grow with the unit: the database counts its rows."""
    units: Counter[int] = Counter()
    unit_of: dict[int, Unit] = {}
    member_unit: dict[int, int] = {}
    for person in people:
        unit, head = curve_unit(session, person)
        if unit is not None and not head:
            units[unit.id] += 1
            unit_of[unit.id] = unit
            member_unit[person.id] = unit.id
    if not units:
        return None
    unit = unit_of[units.most_common(1)[0][0]]
    counted = unit_count(session, unit, period, 0)
    kinds = set(session.scalars(select(SubjectResult.kind).where(
        SubjectResult.kind.in_((FITS, CALIBRATION)), SubjectResult.period == period, SubjectResult.unit_id == unit.id,
        SubjectResult.subject_id.is_(None)).distinct()))
    decided = "kalibrasi" if CALIBRATION in kinds else ("sesuai" if FITS in kinds else "")
    raw: dict[str | None, int]
    if decided:
        # Each staff member's predikat as it stands: the assessment's recorded result (an upheld objection changes
        # it after the curve's decision), else the curve's decision. HR's curve report reads the same results, so
        # once they are recorded the page and the report give one count.
        decision = aliased(SubjectResult)
        recorded = (select(SubjectResult.value["predikat"].as_string())
                    .where(SubjectResult.kind == RESULT, SubjectResult.period == period,
                           SubjectResult.subject_id == User.id)
                    .order_by(SubjectResult.id.desc()).limit(1).correlate(User).scalar_subquery())
        standing = (of_curve_staff(select(func.coalesce(recorded, decision.value["predikat"].as_string())
                                           .label("predikat")).select_from(User), unit, period)
                    .outerjoin(decision, and_(decision.kind == DECISION, decision.period == period,
                                              decision.unit_id == unit.id, decision.subject_id == User.id))
                    .subquery())
        rows = session.execute(select(standing.c.predikat, func.count()).group_by(standing.c.predikat)).all()
        raw = {str(k): int(n) for k, n in rows if k}
        missing = sum(int(n) for k, n in rows if not k)
    else:
        raw, missing = {k: int(n) for k, n in counted.distribution.items()}, counted.missing
    labels = Counter({_staff_label(str(k)): int(n) for k, n in raw.items() if k})
    team = Counter(_staff_label(m.predikat) for m in members if m.predikat and member_unit.get(m.id) == unit.id)
    chosen = unit_predikat if unit_predikat in UNIT_PREDIKAT else None
    shown = chosen or counted.predikat_unit or "Baik"
    curve = _curve(shown, list(labels.elements()) + [""] * missing)
    curve.unit_name, curve.staff, curve.decided = unit.name, counted.staff, decided
    curve.team_counts = {label: team.get(label, 0) for label in STAFF_PREDIKAT}
    curve.recorded = chosen is None and counted.predikat_unit is not None
    curve.elsewhere = sum(1 for m in members if m.id in member_unit and member_unit[m.id] != unit.id)
    return curve


def _curve(unit_predikat: str, predikat: list[str]) -> Curve:
    # "Kurang" from a 6/2022 matrix means the "Kurang/Misconduct" row of the curve.
    labels = ["Kurang/Misconduct" if p == "Kurang" else p for p in predikat if p]
    counts = {label: labels.count(label) for label in STAFF_PREDIKAT}
    not_assessed = sum(1 for p in predikat if not p)
    unit_predikat = unit_predikat if unit_predikat in UNIT_PREDIKAT else "Baik"
    usable = [p for p in labels if p in STAFF_PREDIKAT]
    if not usable:
        return Curve(unit_predikat, counts, not_assessed, True, [], [])
    try:
        result = cek_kurva_distribusi(unit_predikat, usable)
    except Exception as exc:  # a broken curve table must not break the team page; show why instead
        return Curve(unit_predikat, counts, not_assessed, True, [], [], error=str(exc))
    return Curve(unit_predikat, counts, not_assessed, result.ok, [v.pesan for v in result.pelanggaran],
                 [v.saran for v in result.pelanggaran])


def is_assessor(engine: Engine, user_id: int) -> bool:
    """Tell whether anyone has this user as Pejabat Penilai (shows "Tim saya")."""
    with engine.session_factory() as session:
        return bool(subordinates_of(session, user_id))


# --- the SKP page: one employee's SKP in one period, as a table ------------------------------------------------

SKP_PLANNING = "smk_perencanaan"
SKP_MONITORING = "smk_pemantauan"
SKP_ASSESSMENT = "smk_penilaian"
SKP_DRAFT_TASKS = ("susun_skp_a", "susun_skp_b", "susun_skp_c")
SKP_REVIEW_TASKS = ("tinjau_skp", "putuskan_skp")
# Fields of an assessment form (nilai_*) shown on the SKP page, in this order.
ASSESSMENT_FIELDS = ("hasil_kerja", "perilaku", "nilai_skp", "nilai_kinerja", "rata_rata", "predikat",
                     "umpan_balik_akhir")
# Status of an SKP in the users' words (the template translates the key).
SKP_STATUSES = ("none", "waiting", "draft", "review", "returned", "set")


@dataclass
class SliceCell:
    realisasi: Any = None
    satuan: str = ""
    bukti: list[tuple[int, str]] = field(default_factory=list)  # (document id, file name)
    catatan: str = ""  # the employee's note on the row
    umpan_balik: str = ""  # the assessor's feedback on the row, when the form gives one per row


@dataclass
class SkpRow:
    kode: str  # "Utama 1 / Main 1": the row's name in the review, in both languages
    jenis: str  # utama, tambahan, kegiatan
    nomor: int
    rhk_atasan: str  # the text of the superior's RHK (or unit IKU) it supports
    rhk: str
    indikator: str
    aspek: str
    target: str
    perspektif: str
    catatan: str  # the assessor's comment on this row at the last review
    id: str = ""  # the code the set SKP gave the row (what realisations refer to)
    cells: dict[int, SliceCell] = field(default_factory=dict)


@dataclass
class SkpSlice:
    number: int
    kind: str  # "triwulan" or "bulan"
    year: int
    month: int  # the first month of the slice
    instance_id: int
    status: str
    feedback: str = ""
    feedback_by: str = ""
    kendala: str = ""


@dataclass
class SkpVersion:
    round: int
    decision: str  # setujui / kembalikan
    note: str
    changes: list[tuple[str, str, str, str]] = field(default_factory=list)  # row, field, before, after
    comments: list[tuple[str, str]] = field(default_factory=list)  # row, comment


@dataclass
class SkpPage:
    subject_id: int
    name: str
    nip: str
    position: str
    unit: str
    assessor: str
    assessor_superior: str
    period: str
    periods: list[str]
    regime: str
    status: str
    waiting_note: str
    planning_id: int | None
    pendekatan: str
    general_note: str
    rows: list[SkpRow]
    behaviour: list[tuple[str, str]]
    versions: list[SkpVersion]
    slices: list[SkpSlice]
    assessment: dict[str, Any]
    assessment_id: int | None
    instance_ids: list[int]
    my_tasks: list[Waiting]


def may_see_skp(session: Session, viewer_id: int, subject_id: int) -> bool:
    """The employee, their superiors (Pejabat Penilai and the Pejabat Penilai's superior, acting ones included)
    and the overseeing groups (HR, process owners, administrators) see an employee's SKP; nobody else."""
    from engine.access import is_overseer, superior_ids

    if viewer_id == subject_id or is_overseer(session, viewer_id):
        return True
    first = superior_ids(session, subject_id)
    if viewer_id in first:
        return True
    return any(viewer_id in superior_ids(session, s) for s in first)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _planning_rows(data: dict[str, Any]) -> list[SkpRow]:
    regime = str(data.get("regime") or "")
    support = {str(r.get("id")): str(r.get("rhk") or "") for r in data.get("rhk_atasan") or [] if isinstance(r, dict)}
    support.update({str(i.get("kode")): f"IKU {i.get('kode')}: {i.get('nama')}"
                    for i in data.get("iku_unit") or [] if isinstance(i, dict)})
    ids = [str(r.get("id")) for r in data.get("rhk") or [] if isinstance(r, dict)]
    if regime == "A":
        groups = [("kegiatan", "Kegiatan", "Activity", data.get("kegiatan") or [])]
    else:
        groups = [("utama", "Utama", "Main", data.get("rhk_utama") or []),
                  ("tambahan", "Tambahan", "Additional", data.get("rhk_tambahan") or [])]
    rows: list[SkpRow] = []
    for jenis, word, word_en, items in groups:
        for n, r in enumerate(i for i in items if isinstance(i, dict)):
            cited = str(r.get("mendukung") or "").strip()
            if jenis == "kegiatan":
                indikator = (f"Kualitas {_text(r.get('target_kualitas', 100))}, "
                             f"waktu {_text(r.get('target_waktu'))} bulan")
                target = f"{_text(r.get('target_kuantitas'))} {r.get('satuan') or ''}".strip()
                name = str(r.get("nama") or "")
            else:
                indikator = str(r.get("indikator") or "")
                target = f"{_text(r.get('target'))} {r.get('satuan') or ''}".strip()
                if r.get("target_uraian"):
                    target += f" ({r['target_uraian']})"
                name = str(r.get("rhk") or "")
            row = SkpRow(f"{word} {n + 1} / {word_en} {n + 1}", jenis, n + 1, support.get(cited, cited), name,
                         indikator, str(r.get("aspek") or ""), target, str(r.get("perspektif") or ""),
                         str(r.get("catatan_penilai") or ""))
            rows.append(row)
    for row, rid in zip(rows, ids, strict=False):  # the set SKP numbers the rows in this order
        row.id = rid
    return rows


def _versions(history: list[Any]) -> list[SkpVersion]:
    out: list[SkpVersion] = []
    before: dict[str, dict[str, Any]] = {}
    labels = (("rhk_atasan", "supports"), ("rhk", "rhk"), ("indikator", "indikator"), ("target", "target"))
    for entry in history:
        if not isinstance(entry, dict):
            continue
        rows = {str(b.get("kode")): b for b in entry.get("baris") or [] if isinstance(b, dict)}
        version = SkpVersion(int(entry.get("putaran") or len(out) + 1), str(entry.get("keputusan") or ""),
                             str(entry.get("catatan") or ""))
        if out:  # what changed since the version reviewed before
            for kode, row in rows.items():
                old = before.get(kode)
                if old is None:
                    version.changes.append((kode, "added", "", str(row.get("rhk") or "")))
                    continue
                for key, label in labels:
                    if _text(old.get(key)) != _text(row.get(key)):
                        version.changes.append((kode, label, _text(old.get(key)), _text(row.get(key))))
            for kode, old in before.items():
                if kode not in rows:
                    version.changes.append((kode, "removed", str(old.get("rhk") or ""), ""))
        version.comments = [(kode, str(row.get("komentar"))) for kode, row in rows.items() if row.get("komentar")]
        out.append(version)
        before = rows
    return out


def _slice_of(data: dict[str, Any], number: int) -> tuple[str, int, int]:
    """Return (kind, year, first month) of the numbered monitoring slice of a period."""
    start = str(data.get("tanggal_mulai") or "")
    try:
        year, month = int(start[:4]), int(start[5:7])
    except ValueError:
        year, month = 0, 1
    monthly = data.get("frekuensi") == "bulanan"
    first = month - 1 + (number - 1) * (1 if monthly else 3)
    return ("bulan" if monthly else "triwulan"), year + first // 12, first % 12 + 1


def _planning_data(engine: Engine, session: Session, instance: Instance) -> dict[str, Any]:
    """The planning's current data: the workflow's data and its last completed task's (one instance loaded)."""
    from SpiffWorkflow.util.task import TaskState

    bundle = engine.specs.for_version(session, instance.process_version_id)
    try:
        workflow = engine.runtime.load(instance, bundle)
    except Exception:  # a state that no longer loads: the page still shows the rest
        return {}
    data = dict(workflow.data)
    last = max((t for t in workflow.tasks.values() if t.state == TaskState.COMPLETED),
               key=lambda t: t.last_state_change, default=None)
    if last is not None:
        data.update(last.data)
    return data


def skp_page(engine: Engine, viewer_id: int, subject_id: int, period: str | None = None) -> SkpPage | None:
    """Return one employee's SKP for a period (the latest when none is given); None when the viewer may not see
    it (the caller answers 403) or the employee does not exist."""
    from engine.services.documents import parse_ref

    with engine.session_factory() as session:
        subject = session.get(User, subject_id)
        if subject is None or not may_see_skp(session, viewer_id, subject_id):
            return None
        periods = [p for p in session.scalars(select(Instance.period).where(Instance.subject_id == subject_id)
                                              .group_by(Instance.period).order_by(Instance.period.desc())) if p]
        chosen = period if period in periods else (periods[0] if periods and period is None else period or "")
        assessor = superior_of(session, subject_id)
        second = superior_of(session, assessor.id) if assessor else None
        unit = subject.position.unit.name if subject.position is not None and subject.position.unit else ""
        page = SkpPage(subject_id, subject.full_name, subject.nip or "",
                       subject.position.title if subject.position else "", unit,
                       assessor.full_name if assessor else "", second.full_name if second else "", chosen, periods,
                       "", "none", "", None, "", "", [], [], [], [], {}, None, [], [])
        instances = session.scalars(select(Instance).options(defer(Instance.state)).where(
            Instance.subject_id == subject_id, Instance.period == chosen).order_by(Instance.id)).all()
        page.instance_ids = [i.id for i in instances]
        if not instances:
            return page
        ids = page.instance_ids
        open_rows = session.scalars(select(TaskIndex).where(TaskIndex.instance_id.in_(ids),
                                                            TaskIndex.closed_at.is_(None))).all()
        mine = set(session.scalars(select(TaskIndex.id).where(TaskIndex.instance_id.in_(ids),
                                                              TaskIndex.closed_at.is_(None),
                                                              actionable(session, viewer_id))))
        page.my_tasks = [Waiting(t.id, t.title, t.lane, "", True, t.due_at) for t in open_rows if t.id in mine]
        planning = [i for i in instances if i.process_id == SKP_PLANNING]
        data: dict[str, Any] = {}
        if planning:
            plan = planning[-1]
            page.planning_id = plan.id
            data = _planning_data(engine, session, plan)
            page.regime = str(data.get("regime") or "")
            page.pendekatan = str(data.get("pendekatan") or "")
            page.rows = _planning_rows(data)
            page.general_note = str(data.get("catatan_penilai") or data.get("catatan_sebelumnya") or "")
            page.behaviour = [(name.replace("ekspektasi_", ""), str(data[name])) for name in (
                "ekspektasi_berorientasi_pelayanan", "ekspektasi_akuntabel", "ekspektasi_kompeten",
                "ekspektasi_harmonis", "ekspektasi_loyal", "ekspektasi_adaptif", "ekspektasi_kolaboratif")
                if data.get(name)]
            page.versions = _versions(list(data.get("riwayat_skp") or []))
            tasks = {t.task_name for t in open_rows if t.instance_id == plan.id}
            if data.get("status_skp") == "ditetapkan":
                page.status = "set"
            elif tasks & set(SKP_REVIEW_TASKS):
                page.status = "review"
            elif "menunggu_atasan" in tasks:
                page.status, page.waiting_note = "waiting", str(data.get("pesan_menunggu") or "")
            elif page.versions and page.versions[-1].decision == "kembalikan" or data.get("keputusan_app") == "kembalikan":
                page.status = "returned"
            else:
                page.status = "draft"
        by_id = {r.id: r for r in page.rows if r.id}
        monitoring = [i for i in instances if i.process_id == SKP_MONITORING]
        slice_of = {inst.id: n + 1 for n, inst in enumerate(monitoring)}
        for inst in monitoring:
            kind, year, month = _slice_of(data, slice_of[inst.id])
            page.slices.append(SkpSlice(slice_of[inst.id], kind, year, month, inst.id, inst.status))
        slices = {s.instance_id: s for s in page.slices}
        events = session.scalars(select(AuditEvent).where(
            AuditEvent.instance_id.in_(ids), AuditEvent.kind == "task.completed").order_by(AuditEvent.at,
                                                                                          AuditEvent.id)).all()
        names = _names(session, {e.actor_id for e in events})
        assessment = [i for i in instances if i.process_id == SKP_ASSESSMENT]
        for e in events:
            submitted = dict((e.data or {}).get("submitted") or {})
            if e.instance_id in slices:
                number = slices[e.instance_id].number
                if e.task_name == "isi_realisasi":
                    slices[e.instance_id].kendala = str(submitted.get("kendala") or "")
                    for r in submitted.get("realisasi") or []:
                        row = by_id.get(str(r.get("id"))) if isinstance(r, dict) else None
                        if row is None:
                            continue
                        ref = parse_ref(r.get("bukti_dukung"))
                        row.cells[number] = SliceCell(_text(r.get("realisasi")) or None, str(r.get("satuan") or ""),
                                                      [(ref.id, ref.filename)] if ref else [],
                                                      str(r.get("catatan") or ""), str(r.get("umpan_balik") or ""))
                elif e.task_name == "umpan_balik":
                    slices[e.instance_id].feedback = str(submitted.get("umpan_balik") or "")
                    slices[e.instance_id].feedback_by = names.get(e.actor_id or 0, "")
                    for r in submitted.get("umpan_balik_baris") or []:
                        row = by_id.get(str(r.get("id"))) if isinstance(r, dict) else None
                        if row is not None and number in row.cells:
                            row.cells[number].umpan_balik = str(r.get("umpan_balik") or "")
            elif assessment and e.instance_id == assessment[-1].id and str(e.task_name or "").startswith("nilai_"):
                page.assessment.update({k: submitted[k] for k in ASSESSMENT_FIELDS if submitted.get(k) not in
                                        (None, "")})
        if assessment:
            page.assessment_id = assessment[-1].id
            final = session.get(Instance, assessment[-1].id)
            if final is not None:
                page.assessment.update({k: v for k, v in _result(final).items() if k in ASSESSMENT_FIELDS})
        return page


# Fields of an SKP row copied from last period's SKP: the content, not the link to a superior's RHK (those
# change every period and must be chosen again) nor the assessor's comments.
COPIED_ROW_FIELDS = ("rhk", "nama", "indikator", "aspek", "target", "target_uraian", "satuan", "arah", "cascading",
                     "perspektif", "target_kuantitas", "target_kualitas", "target_waktu", "target_biaya")
COPIED_FIELDS = ("pendekatan", "ekspektasi_berorientasi_pelayanan", "ekspektasi_akuntabel", "ekspektasi_kompeten",
                 "ekspektasi_harmonis", "ekspektasi_loyal", "ekspektasi_adaptif", "ekspektasi_kolaboratif")


@dataclass
class SkpCopy:
    task_id: str
    from_period: str
    data: dict[str, Any]
    rows: int


def copy_previous_skp(engine: Engine, user_id: int, period: str) -> SkpCopy | None:
    """Return a draft of the user's open SKP drafting task in ``period`` filled from their SKP of the period
    before (the latest earlier planning whose SKP was set, same regime); None when there is no such task or SKP."""
    with engine.session_factory() as session:
        task = session.scalars(select(TaskIndex).join(Instance, Instance.id == TaskIndex.instance_id).where(
            Instance.subject_id == user_id, Instance.period == period, Instance.process_id == SKP_PLANNING,
            TaskIndex.closed_at.is_(None), TaskIndex.task_name.in_(SKP_DRAFT_TASKS),
            actionable(session, user_id))).first()
        if task is None:
            return None
        regime = task.task_name.rsplit("_", 1)[-1].upper()
        current = session.get(Instance, task.instance_id)
        assert current is not None
        earlier = session.scalars(select(Instance).options(defer(Instance.state)).where(
            Instance.subject_id == user_id, Instance.process_id == SKP_PLANNING, Instance.period != period,
            Instance.started_at <= current.started_at)
            .order_by(Instance.started_at.desc(), Instance.id.desc())).all()
        for previous in earlier:
            data = _planning_data(engine, session, previous)
            if data.get("status_skp") != "ditetapkan" or str(data.get("regime") or "") != regime:
                continue
            draft: dict[str, Any] = {k: data[k] for k in COPIED_FIELDS if data.get(k) not in (None, "")}
            count = 0
            for key in (("kegiatan",) if regime == "A" else ("rhk_utama", "rhk_tambahan")):
                rows = [{k: r[k] for k in COPIED_ROW_FIELDS if r.get(k) not in (None, "")}
                        for r in data.get(key) or [] if isinstance(r, dict)]
                draft[key] = rows
                count += len(rows)
            if count:
                return SkpCopy(task.id, previous.period, draft, count)
        return None
