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

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from engine.access import actionable, lane_holder_name, subordinates_of, superior_of
from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.deploy import ProcessVersion
from engine.db.org import User
from engine.db.runtime import COMPLETED, Instance, TaskIndex
from engine.services.results import results
from processes.operations import PROPOSAL, UNIT_RATING, curve_unit
from processes.rules.distribution import cek_kurva_distribusi

# Words in a submitted form that carry feedback from an assessor to the employee.
FEEDBACK_KEYS = ("catatan", "umpan_balik", "feedback", "catatan_penilai", "catatan_sdm", "keputusan")
# Result keys a finished process leaves in its data.
RESULT_KEYS = ("predikat", "nilai_kinerja", "nilai_skp", "rata_rata", "hasil_kerja", "perilaku", "nomor_arsip")

STAGES = (
    ("perencanaan", ("skp", "perencanaan", "rencana")),
    ("pemantauan", ("realisasi", "pemantauan", "capaian", "monitoring")),
    ("keberatan", ("keberatan",)),
    ("penilaian", ("penilaian", "evaluasi", "assessment")),
)


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
    for inst, pname in rows:
        out[inst.id] = SkpInstance(inst.id, inst.process_id, pname, stage_of(inst.process_id), inst.period,
                                   inst.status, inst.started_at, inst.completed_at, result=_result(inst))
    subjects = {inst.id: inst.subject_id for inst, _ in rows}
    for t in tasks:
        item = out[t.instance_id]
        if t.closed_at is None:
            who = names.get(t.assignee_id or 0) or lane_holder_name(session, t.lane, subjects[t.instance_id])
            item.waiting.append(Waiting(t.id, t.title, t.lane, who, t.id in mine, t.due_at))
        else:
            item.steps.append(Step(t.title, names.get(t.completed_by_id or 0, ""), t.closed_at, t.outcome or ""))
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
    unit_predikat: str
    counts: dict[str, int]
    not_assessed: int
    ok: bool
    problems: list[str]
    advice: list[str]
    error: str = ""


@dataclass
class Team:
    periods: list[str]
    period: str
    members: list[Member]
    awaiting_feedback: int
    assessments_due: int
    curve: Curve | None


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
        people = session.scalars(select(User).where(User.id.in_(member_ids)).order_by(User.full_name)).all() \
            if member_ids else []
        subject_of = dict(session.execute(select(Instance.id, Instance.subject_id)
                                          .where(Instance.id.in_([i.id for i in items]))).all()) if items else {}
        waiting_counts = Counter(subject_of[i.id] for i in items for w in i.waiting if w.mine)
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
        open_mine = [w for i in items for w in i.waiting if w.mine]
        assessments = sum(1 for i in items for w in i.waiting if w.mine and stage_of(i.process_id) == "penilaian")
        if unit_predikat is None:
            unit_predikat = _recorded_unit_predikat(session, people, chosen) or "Baik"
        curve = _curve(unit_predikat, [m.predikat for m in members]) if members else None
        return Team(periods, chosen, members, len(open_mine) - assessments, assessments, curve)


def _recorded_unit_predikat(session: Session, people: Sequence[User], period: str) -> str | None:
    """Return the rating recorded for the one curve unit the (non-head) members belong to, if any."""
    units = {unit.id for unit, head in (curve_unit(session, p) for p in people) if unit is not None and not head}
    if len(units) != 1:
        return None
    rated = [r for r in results(session, UNIT_RATING, period, unit_ids=units) if r.subject_id is None]
    if not rated:
        return None
    return str(rated[-1].value.get("predikat_unit") or "") or None


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
