"""Reports on the SMK cycle for Biro SDM and unit heads (``/laporan``): plain dataclasses, one function per question.

Who sees what: the auditors' groups (``LANES.roles.auditors``: Biro SDM and administrators) see every unit; the
holder of a unit's head position (a position whose superior position lies outside the unit, as in
``processes.operations.curve_unit``) sees that unit and its sub-units; nobody else sees a report.

Where the answers come from (indexed tables; no workflow is ever restored):

- ``task_index``: who had which step when (ready, due, closed, outcome), per instance, period and subject;
- ``instance``: the process, period, subject and status of each case;
- ``audit_event``: what each completed task submitted (``data.submitted``: the SKP approval, the response to the
  result, the objection decision, HR's follow-up decisions), the unit ratings (``smk.predikat_unit``) and the
  period's set-up with its IKU (the ``buka_periode`` completion);
- each employee's predikat and nilai (proposed, then final, with the objection's outcome): the results table
  (``subject_result``, kind ``smk.hasil_penilaian``; ``processes.assessment_results``), the proposals the curve
  check weighs likewise (``smk.predikat_usulan``; ``processes.operations``);
- the recommendations still waiting for HR's decision: the results table (``smk.rekomendasi_tindak_lanjut``, recorded
  by the follow-up model's ``catat_rekomendasi`` step; ``processes.follow_up_results``), for the cases whose HR task
  is open; the decisions come from the audit events of the HR and PPK tasks.
- each employee's SKP for the cascading tree (pohon kinerja): its RHK, their ``mendukung`` links and the planning
  case's status, in the results table (kind ``smk.skp``; ``processes.skp_results``), kept in step by every step of
  the planning case.
"""

from __future__ import annotations

import gc
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, time
from functools import wraps
from typing import Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, case, func, literal_column, or_, select
from sqlalchemy.orm import Session, aliased

from engine.access import LANES, in_role
from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.org import Position, Unit, User
from engine.db.results import SubjectResult
from engine.db.runtime import COMPLETED, Instance, TaskIndex
from engine.errors import N_, NotFound, PermissionDenied
from engine.queries.reports import (
    OverdueTask,
    StepDuration,
    UnitGroup,
    UnitInfo,
    ancestors,
    load_units,
    overdue_tasks,
    step_durations,
    subtree,
    unit_groups,
)
from processes.assessment_results import RESULT, assessment_results, employee_results
from processes.follow_up_results import recommendations
from processes.rules.distribution import PALING_BANYAK, batasan_kurva
from processes.rules.predikat import (
    KURANG,
    KURANG_MISCONDUCT,
    PREDIKAT_6_2022,
    PREDIKAT_REGIME_A,
    PREDIKAT_REGIME_B,
    PREDIKAT_UNIT,
)
from processes.skp_results import skp_rows
from processes.tables_in_force import tables_in_force

PERIOD, PLANNING, MONITORING, ASSESSMENT = "smk_periode", "smk_perencanaan", "smk_pemantauan", "smk_penilaian"
UNIT_RATING_PROCESS, FOLLOW_UP = "smk_predikat_unit", "smk_tindak_lanjut"
SMK_PROCESSES = (PLANNING, MONITORING, ASSESSMENT, UNIT_RATING_PROCESS, FOLLOW_UP)
DRAFT_TASKS = ("susun_skp_a", "susun_skp_b", "susun_skp_c")
REVIEW_TASKS = ("tinjau_skp", "putuskan_skp")
RATING_TASKS = ("nilai_a", "nilai_b", "nilai_c", "nilai_c_kepala")
PROPOSAL_EVENT, UNIT_RATING_EVENT = "smk.predikat_usulan", "smk.predikat_unit"
COMPLETED_EVENT = "task.completed"
JAKARTA = ZoneInfo("Asia/Jakarta")
MAX_TREE_EMPLOYEES = 400

#: Follow-up recommendation codes (DMN ``tindak_lanjut``) by the kind of action they are; a code the table gains
#: later and this map does not know is reported as "other".
FOLLOW_UP_KINDS = {
    "talent_pool": "reward", "syarat_kenaikan_pangkat": "reward",
    "pengembangan_kompetensi": "development", "pembinaan_perilaku": "development",
    "masa_perbaikan_jpt": "development",
    "penyesuaian_tukin": "sanction", "pemindahan_jabatan": "sanction", "uji_kompetensi_ulang_jpt": "sanction",
    "evaluasi_perjanjian_kerja": "sanction", "pemeriksaan_disiplin": "sanction",
}
FOLLOW_UP_KIND_ORDER = ("reward", "development", "sanction", "other")
#: The follow-up decisions after HR's: the Tim Penilai Kinerja's advice, the PPK's decision, the JPT's six months.
FOLLOW_UP_STEPS = ("konfirmasi_sdm", "saran_tpk", "keputusan_ppk_task", "rencana_perbaikan", "penilaian_ulang")

_P = ParamSpec("_P")
_R = TypeVar("_R")
_gc_lock = threading.Lock()
_gc_pause = {"holders": 0, "was_enabled": False}


@contextmanager
def without_gc_pauses() -> Iterator[None]:
    """Keep Python's cyclic garbage collector from running while a report is built.

    A report over 10,000 employees makes tens of thousands of short-lived rows and objects; while they are alive
    they count as survivors, and the collector then walks every object of the process (the web app's modules,
    SQLAlchemy's and SpiffWorkflow's) one or more times per report: about 100 ms of a 10,000-employee report's
    CPU time was those walks, not the report. The report's objects are freed by reference counting when it returns
    (they hold no cycles), so nothing is left for the collector to do later. Process-wide, counted: nested and
    concurrent reports (threads of one worker) re-enable the collector when the last one ends, and only if it was
    enabled before the first began."""
    with _gc_lock:
        if _gc_pause["holders"] == 0:
            _gc_pause["was_enabled"] = gc.isenabled()
            gc.disable()
        _gc_pause["holders"] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pause["holders"] -= 1
            if _gc_pause["holders"] == 0 and _gc_pause["was_enabled"]:
                gc.enable()


def _no_gc_pauses(report: Callable[_P, _R]) -> Callable[_P, _R]:
    @wraps(report)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with without_gc_pauses():
            return report(*args, **kwargs)
    return run


# --- who sees what, and the filter ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """The period and unit a report covers, and what the user may choose."""

    period: str
    periods: list[str]
    unit: UnitInfo | None  # None: the whole organisation
    unit_ids: frozenset[int] | None  # the unit with its sub-units; None: every unit
    groups: list[UnitGroup]  # the rows of per-unit tables
    allowed: frozenset[int] | None  # the units the user may choose (their own sub-tree); None: every unit
    everything: bool  # the user may see the whole organisation
    units: dict[int, UnitInfo]
    default_unit: int | None = None  # the unit a report starts at when none is chosen

    def group_of(self, unit_id: int | None) -> UnitGroup | None:
        for group in self.groups:
            if unit_id in group.unit_ids:
                return group
        return None


def headed_unit(session: Session, user_id: int, units: dict[int, UnitInfo] | None = None) -> int | None:
    """Return the unit whose head position the user holds (its superior position lies outside the unit), if any."""
    user = session.get(User, user_id)
    if user is None or not user.active or user.position is None:
        return None
    position = user.position
    parent = session.get(Position, position.parent_id) if position.parent_id else None
    if parent is None:
        return position.unit_id
    if parent.unit_id == position.unit_id:  # most people: the superior sits in the same unit
        return None
    if units is not None:
        return None if position.unit_id in ancestors(units, parent.unit_id) else position.unit_id
    # Walk up from the superior's unit (a few primary-key reads; every page's navigation asks this, so not the
    # whole organisation's units).
    seen: set[int] = set()
    current: int | None = parent.unit_id
    while current is not None and current not in seen:
        if current == position.unit_id:
            return None
        seen.add(current)
        unit = session.get(Unit, current)
        current = unit.parent_id if unit is not None else None
    return position.unit_id


def may_see_reports(engine: Engine, user_id: int) -> bool:
    """Tell whether the user sees /laporan at all: an auditor, or the head of a unit."""
    with engine.session_factory() as session:
        return in_role(session, user_id, LANES.roles.auditors) or headed_unit(session, user_id) is not None


def periods(session: Session) -> list[str]:
    """Return the periods that have planning cases, newest first."""
    return [p for p in session.scalars(select(Instance.period).where(Instance.process_id == PLANNING)
                                       .group_by(Instance.period).order_by(Instance.period.desc())) if p]


def open_selection(engine: Engine, user_id: int, period: str | None = None, unit_id: int | None = None) -> Selection:
    """Resolve the filter for this user: PermissionDenied when they may see no report or not that unit."""
    with engine.session_factory() as session:
        units = load_units(session)
        everything = in_role(session, user_id, LANES.roles.auditors)
        home = None if everything else headed_unit(session, user_id, units)
        if not everything and home is None:
            raise PermissionDenied("reports.forbidden", N_("Only Biro SDM and unit heads may open the reports"))
        found = periods(session)
    roots = [u for u in units.values() if u.parent_id is None or u.parent_id not in units]
    # A head starts at their unit; Biro SDM at the organisation's root (its sub-units are the rows).
    default = home if home is not None else (roots[0].id if len(roots) == 1 else None)
    chosen = period if period in found else (found[0] if found else "")
    return choose_unit(Selection(chosen, found, None, None, [], None if everything else subtree(units, home or 0),
                                 everything, units, default), unit_id)


def choose_unit(selection: Selection, unit_id: int | None) -> Selection:
    """The selection narrowed to ``unit_id`` (None: the user's default unit), without reading anything again:
    NotFound for a unit that does not exist, PermissionDenied for one outside the user's units."""
    units = selection.units
    if unit_id is not None and unit_id not in units:
        raise NotFound("unit.not_found", N_("Unit not found"))
    if unit_id is None:
        unit_id = selection.default_unit
    if unit_id is not None and selection.allowed is not None and unit_id not in selection.allowed:
        raise PermissionDenied("reports.unit_forbidden", N_("You may only see the reports of the unit you lead"))
    return replace(selection, unit=units[unit_id] if unit_id is not None else None,
                   unit_ids=subtree(units, unit_id) if unit_id is not None else None,
                   groups=unit_groups(units, unit_id))


# --- shared reads ---------------------------------------------------------------------------------------------


@dataclass
class Participant:
    """An employee with a planning case in the period."""

    id: int
    name: str
    nip: str
    position: str
    jenis: str
    unit_id: int
    parent_unit_id: int | None  # the unit of their superior position
    planning_id: int


def _in_units(column: Any, unit_ids: Collection[int] | None) -> list[ColumnElement[bool]]:
    return [] if unit_ids is None else [column.in_(list(unit_ids))]


def participants(session: Session, period: str, unit_ids: Collection[int] | None) -> dict[int, Participant]:
    """Return the employees of the units who have a planning case in the period (by the position they hold now)."""
    superior = aliased(Position)
    rows = session.connection().execute(
        select(Instance.id, User.id, User.full_name, User.nip, Position.title, Position.jenis, Position.unit_id,
               superior.unit_id)
        .join(User, User.id == Instance.subject_id).join(Position, User.position_id == Position.id)
        .outerjoin(superior, Position.parent_id == superior.id)
        .where(Instance.process_id == PLANNING, Instance.period == period, *_in_units(Position.unit_id, unit_ids))
        .order_by(Instance.id)).all()
    return {uid: Participant(uid, name, nip or "", title, jenis, unit, parent_unit, iid)
            for iid, uid, name, nip, title, jenis, unit, parent_unit in rows}


def _instances(process_id: str, period: str, subjects: Select[Any] | Collection[int] | None) -> Select[Any]:
    return select(Instance.id).where(*_cases(process_id, period, subjects))


def _cases(process_id: str, period: str, subjects: Select[Any] | Collection[int] | None) -> list[ColumnElement[bool]]:
    """The conditions on ``instance`` for the period's cases of one process, of those subjects (None: every one)."""
    where = [Instance.process_id == process_id, Instance.period == period]
    return where + ([Instance.subject_id.in_(subjects)] if subjects is not None else [])


def _period_tasks(session: Session, period: str, *names: str) -> list[ColumnElement[bool]]:
    """The conditions on ``task_index`` for the period's rows of those steps (the rows of the period's cases).

    On PostgreSQL with the period too, so the index on (task_name, period) (migration 0014) reads them instead of a
    scan of every period kept. A task row carries its instance's period from the moment it is created; the cycle's
    processes are started with their period and never change it (only ``smk_periode`` sets its own, with
    ``set_period``), so the period adds no condition a case's rows do not meet. SQLite, which has no statistics,
    keeps reading them through the cases' instance ids (given the period too, it would take that index inside the
    join and read the period's rows of the step once per case)."""
    name = TaskIndex.task_name == names[0] if len(names) == 1 else TaskIndex.task_name.in_(names)
    return [TaskIndex.period == period, name] if session.get_bind().dialect.name == "postgresql" else [name]


def _scope_subjects(period: str, unit_ids: Collection[int] | None, every_unit: bool = False) -> Select[Any] | None:
    """A sub-query of the subjects of the period's planning cases in the units; None for the whole organisation
    (every case of the period counts: no sub-query to join). ``every_unit``: the units are all there are, so any
    position is in one (its unit is a required reference): no list of unit ids to send (and to compile, once per
    sub-query: hundreds of bound parameters each)."""
    if unit_ids is None:
        return None
    query = select(Instance.subject_id).join(User, User.id == Instance.subject_id) \
        .join(Position, User.position_id == Position.id) \
        .where(Instance.process_id == PLANNING, Instance.period == period)
    return query if every_unit else query.where(Position.unit_id.in_(list(unit_ids)))


def _every_unit(selection: Selection) -> bool:
    """Whether the selected units are every unit there is (the organisation's root chosen)."""
    return selection.unit_ids is not None and selection.unit_ids >= selection.units.keys()


def _unit_filter(selection: Selection) -> Collection[int] | None:
    """The units to filter positions by: None when they are every unit (every position is in one)."""
    return None if _every_unit(selection) else selection.unit_ids


def _submitted(key: str) -> Any:
    return AuditEvent.data[("submitted", key)].as_string()


@dataclass
class PeriodSetup:
    regime: str = ""
    frekuensi: str = ""
    batas_skp: str = ""
    batas_penilaian: str = ""
    iku: list[dict[str, Any]] = field(default_factory=list)


def period_setup(session: Session, period: str) -> PeriodSetup:
    """Return what Biro SDM entered when opening the period (the last completion of ``buka_periode``)."""
    data = session.scalar(
        select(AuditEvent.data).join(Instance, Instance.id == AuditEvent.instance_id)
        .where(Instance.process_id == PERIOD, Instance.period == period, AuditEvent.kind == COMPLETED_EVENT,
               AuditEvent.task_name == "buka_periode").order_by(AuditEvent.seq.desc()).limit(1))
    submitted = (data or {}).get("submitted") or {}
    iku = [dict(i) for i in submitted.get("iku_organisasi") or [] if isinstance(i, dict) and i.get("kode")]
    return PeriodSetup(str(submitted.get("regime") or ""), str(submitted.get("frekuensi") or ""),
                       str(submitted.get("batas_skp") or ""), str(submitted.get("batas_penilaian") or ""), iku)


@dataclass
class Rating:
    """An employee's predikat in the period: final (the finished assessment) or proposed (still in progress)."""

    predikat: str
    final: bool
    nilai: float | None = None
    hasil_kerja: str = ""
    perilaku: str = ""


def _ratings(session: Session, period: str, subject_ids: Collection[int]) -> dict[int, Rating]:
    """Return each employee's predikat in the period from the results table: the assessment's recorded result (final,
    or delivered and open to objection), else the latest predikat proposed to the curve check."""
    wanted = set(subject_ids)
    found: dict[int, Rating] = {}
    if not wanted:
        return found
    proposals = select(SubjectResult.subject_id, SubjectResult.value["predikat"].as_string()).where(
        SubjectResult.kind == PROPOSAL_EVENT, SubjectResult.period == period, SubjectResult.subject_id.is_not(None))
    if len(wanted) <= 1000:
        proposals = proposals.where(SubjectResult.subject_id.in_(sorted(wanted)))
    for sid, predikat in session.connection().execute(proposals.order_by(SubjectResult.id)).all():
        if sid in wanted and predikat:
            found[sid] = Rating(predikat, False)
    # The recorded results (``processes.assessment_results``: the last row of each employee), only the fields a
    # rating shows: no datetime or result object per employee.
    v = SubjectResult.value
    results = select(SubjectResult.subject_id, v["predikat"].as_string(), v["final"].as_boolean(),
                     v["nilai"].as_float(), v["hasil_kerja"].as_string(), v["perilaku"].as_string()).where(
        SubjectResult.kind == RESULT, SubjectResult.period == period, SubjectResult.subject_id.is_not(None))
    if len(wanted) <= 1000:
        results = results.where(SubjectResult.subject_id.in_(sorted(wanted)))
    last = {row[0]: row for row in session.connection().execute(results.order_by(SubjectResult.id)).all()
            if row[0] in wanted}
    for sid, predikat, final, nilai, hasil_kerja, perilaku in last.values():
        if predikat:
            found[sid] = Rating(predikat, bool(final), nilai, hasil_kerja or "", perilaku or "")
    return found


def _end_of_day(moment: datetime) -> datetime:
    """The end of the Jakarta calendar day a deadline falls on (a date deadline counts the whole day)."""
    day = moment.astimezone(JAKARTA).date()
    return datetime.combine(day, time(23, 59, 59), JAKARTA)


def _by_end_of_day(session: Session, at: Any, deadline: Any) -> ColumnElement[bool]:
    """``at <= _end_of_day(deadline)`` compared by the database: the Jakarta time of ``at`` against 23:59:59 of the
    Jakarta date of ``deadline``. PostgreSQL converts with the time zone; SQLite, which holds UTC as text, adds
    Jakarta's offset (+7 h all year: no daylight saving since 1964) and compares to the millisecond."""
    if session.get_bind().dialect.name == "postgresql":
        return func.timezone("Asia/Jakarta", at) <= \
            func.date_trunc("day", func.timezone("Asia/Jakarta", deadline)) + literal_column("interval '23:59:59'")
    return func.strftime("%Y-%m-%d %H:%M:%f", at, "+7 hours") <= \
        func.strftime("%Y-%m-%d 23:59:59.000", deadline, "+7 hours")


def _group_counts(selection: Selection, people: Iterable[tuple[int, int]]) -> dict[int, set[int]]:
    """Map each unit group's id to the employees (id, unit id) in it."""
    out: dict[int, set[int]] = {g.id: set() for g in selection.groups}
    for person, unit in people:
        group = selection.group_of(unit)
        if group is not None:
            out[group.id].add(person)
    return out


# --- 1. predikat distribution against the curve ----------------------------------------------------------------


@dataclass
class CurveBound:
    """One constraint of the curve for the unit's predikat, and how the unit stands against it."""

    batasan: str
    jenis: str  # paling_banyak | paling_sedikit
    predikat: tuple[str, ...]
    persen: float
    limit: int  # people allowed (at most) or required (at least)
    actual: int
    ok: bool
    by: int  # people over the maximum or short of the minimum


@dataclass
class CurveRow:
    unit: UnitInfo
    unit_predikat: str  # "" while the unit head has not rated the unit
    staff: int  # employees the curve counts (the head excluded)
    counts: dict[str, int]
    proposed: int  # of the rated, how many are still proposals (assessment not final)
    not_rated: int
    bounds: list[CurveBound]
    checked: bool  # the unit has a rating and at least one staff predikat
    ok: bool
    error: str = ""

    @property
    def violations(self) -> list[CurveBound]:
        return [b for b in self.bounds if not b.ok]


@dataclass
class CurveReport:
    labels: tuple[str, ...]
    rows: list[CurveRow]
    applies: bool  # the 6/2022 curve applies to the period's regime
    partial_unit: UnitInfo | None  # the selected unit lies below a curve unit: counts only, no bounds


def _unit_ratings(session: Session, period: str) -> dict[str, str]:
    """Return each unit's predikat as its head last recorded it, by unit code."""
    rated: dict[str, str] = {}
    for code, predikat in session.connection().execute(
            select(AuditEvent.data["unit_code"].as_string(), AuditEvent.data["predikat_unit"].as_string())
            .join(Instance, Instance.id == AuditEvent.instance_id)
            .where(AuditEvent.kind == UNIT_RATING_EVENT, Instance.period == period).order_by(AuditEvent.seq)).all():
        if code and predikat:
            rated[code] = predikat
    return rated


@_no_gc_pauses
def curve_report(engine: Engine, selection: Selection) -> CurveReport:
    """Answer: how is each unit's staff predikat distributed, against the bounds its own predikat sets, and which
    units break the curve by how many people."""
    units = selection.units
    top = [u for u in units.values() if u.parent_id is None or u.parent_id not in units]
    curve_units = [c for t in top for c in sorted((u for u in units.values() if u.parent_id == t.id),
                                                   key=lambda u: u.code)]
    partial: UnitInfo | None = None
    if selection.unit is not None and selection.unit_ids is not None:
        chain = ancestors(units, selection.unit.id)
        inside = [c for c in curve_units if c.id in selection.unit_ids]
        above = [c for c in curve_units if c.id in chain and c.id != selection.unit.id]
        if above:
            partial, inside = selection.unit, [selection.unit]
        curve_units = inside
    labels = PREDIKAT_6_2022
    with engine.session_factory() as session:
        setup = period_setup(session, selection.period)
        people = participants(session, selection.period, _unit_filter(selection))
        ratings = _ratings(session, selection.period, people)
        rated_units = _unit_ratings(session, selection.period)
    # The bounds come from the curve table deployed now (not the repository's file), as a new assessment would see.
    with engine.session_factory() as session, tables_in_force(engine, session, "kurva_distribusi"):
        rows = []
        for unit in curve_units:
            inside_ids = subtree(units, unit.id)
            # The head of the curve unit (superior position outside it) follows the unit's rating: not counted.
            staff = [p for p in people.values() if p.unit_id in inside_ids
                     and (partial is not None or (p.parent_unit_id is not None and p.parent_unit_id in inside_ids))]
            got = [ratings[p.id] for p in staff if p.id in ratings]
            given = [KURANG_MISCONDUCT if r.predikat == KURANG else r.predikat for r in got]
            counts = {label: given.count(label) for label in labels}
            unit_predikat = "" if partial is not None else rated_units.get(unit.code, "")
            row = CurveRow(unit, unit_predikat, len(staff), counts, sum(1 for r in got if not r.final),
                           len(staff) - len(got), [], False, True)
            if unit_predikat in PREDIKAT_UNIT and partial is None:
                try:
                    n = sum(counts.values())
                    for c in batasan_kurva(unit_predikat):
                        limit = c.batas_orang(n) if n else 0
                        actual = sum(counts.get(label, 0) for label in c.predikat)
                        ok = actual <= limit if c.jenis == PALING_BANYAK else actual >= limit
                        by = 0 if ok else abs(actual - limit)
                        row.bounds.append(CurveBound(c.batasan, c.jenis, c.predikat, float(c.persen), limit, actual,
                                                     ok or n == 0, 0 if n == 0 else by))
                    row.checked = n > 0
                    row.ok = all(b.ok for b in row.bounds)
                except ValueError as exc:  # a broken curve table: say so instead of failing the page
                    row.error = str(exc)
            rows.append(row)
    return CurveReport(labels, rows, setup.regime in ("", "C"), partial)


# --- 2. cycle progress -----------------------------------------------------------------------------------------


@dataclass
class SliceProgress:
    number: int
    started: int  # monitoring cases of this slice that exist
    sent: int  # realisations sent
    on_time: int  # sent by the task's due time


@dataclass
class ProgressRow:
    unit: UnitGroup
    employees: int
    skp_drafted: int
    skp_approved: int
    skp_on_time: int  # approved by the SKP deadline
    slices: list[SliceProgress]
    assessed: int  # the assessor has rated
    final: int  # the assessment is final (objection window over or decided)

    def percent(self, value: int) -> float:
        return round(100 * value / self.employees, 1) if self.employees else 0.0


@dataclass
class ProgressReport:
    rows: list[ProgressRow]
    total: ProgressRow | None
    slices: int


@_no_gc_pauses
def progress_report(engine: Engine, selection: Selection) -> ProgressReport:
    """Answer: per unit, how many SKP were drafted, approved, approved by the deadline; per monitoring slice how
    many realisations were sent and sent on time; how many assessments are rated and final."""
    period = selection.period
    with engine.session_factory() as session:
        people = participants(session, period, _unit_filter(selection))
        # Over every unit, no sub-query of the subjects: every count below is of the participants' own cases
        # (members of ``people``, monitoring joined to their positions), so the cases of anyone else change nothing.
        subjects = None if selection.unit_ids is None or _every_unit(selection) \
            else _scope_subjects(period, selection.unit_ids)
        run = session.connection().execute  # plain rows, fetched at once: tens of thousands at an agency's scale
        # Per planning case: drafted (a draft task completed), approved (the first approval) and approved by the end
        # of the Jakarta day of the earliest draft deadline, all decided by the database (no datetime per case).
        # The task rows are read by the period's index (``_period_tasks``).
        drafts = select(TaskIndex.instance_id.label("iid"), func.min(TaskIndex.due_at).label("due"),
                        func.max(case((TaskIndex.outcome == "completed", 1), else_=0)).label("done")) \
            .where(TaskIndex.instance_id.in_(_instances(PLANNING, period, subjects)),
                   *_period_tasks(session, period, *DRAFT_TASKS)).group_by(TaskIndex.instance_id).subquery()
        # The first approval per case, the decision tested inside the aggregate: PostgreSQL estimated the JSON test
        # in WHERE at a few rows (there are thousands) and probed the instance once per review event.
        approving = or_(and_(AuditEvent.task_name == "tinjau_skp", _submitted("keputusan_pp") == "setujui"),
                        and_(AuditEvent.task_name == "putuskan_skp", _submitted("keputusan_app") == "tetapkan"))
        approvals = select(AuditEvent.instance_id.label("iid"),
                           func.min(case((approving, AuditEvent.at), else_=None)).label("at")) \
            .where(AuditEvent.instance_id.in_(_instances(PLANNING, period, subjects)),
                   AuditEvent.kind == COMPLETED_EVENT, AuditEvent.task_name.in_(REVIEW_TASKS)) \
            .group_by(AuditEvent.instance_id).subquery()
        drafted: set[int] = set()
        approved: set[int] = set()
        on_time: set[int] = set()
        for iid, done, was_approved, punctual in run(
                select(Instance.id, drafts.c.done, approvals.c.at.is_not(None),
                       case((and_(approvals.c.at.is_not(None), drafts.c.due.is_not(None),
                                  _by_end_of_day(session, approvals.c.at, drafts.c.due)), 1), else_=0))
                .select_from(Instance).outerjoin(drafts, drafts.c.iid == Instance.id)
                .outerjoin(approvals, approvals.c.iid == Instance.id)
                .where(*_cases(PLANNING, period, subjects))).all():
            if done:
                drafted.add(iid)
            if was_approved:
                approved.add(iid)
            if punctual:
                on_time.add(iid)
        # Monitoring, counted by the database per unit (of the employee's position) and slice: a case's slice is its
        # rank among the employee's monitoring cases of the period, by start; a realisation is on time when it was
        # sent by its task's due time. A few hundred rows instead of every case and realisation of the period.
        case_rank = func.row_number().over(partition_by=Instance.subject_id, order_by=(Instance.started_at, Instance.id))
        planned = select(Instance.subject_id).where(Instance.process_id == PLANNING, Instance.period == period)
        monitoring_cases = select(Instance.id.label("id"), Instance.subject_id.label("sid"), case_rank.label("n")).where(
            *_cases(MONITORING, period, subjects if subjects is not None else planned)).subquery()
        sent = TaskIndex.instance_id.is_not(None)
        in_time = and_(sent, or_(TaskIndex.due_at.is_(None), TaskIndex.closed_at <= TaskIndex.due_at))
        # The realisations joined through the task index's instance index (a grouped sub-query here made SQLite
        # compare every case with every realisation); a case counts once however many it has: one row per case
        # first (whether sent, whether on time), then the counts per unit and slice (no COUNT(DISTINCT), which
        # sorted every case's row).
        per_case = select(Position.unit_id.label("unit_id"), monitoring_cases.c.n.label("n"),
                          func.max(case((sent, 1), else_=0)).label("sent"),
                          func.max(case((in_time, 1), else_=0)).label("on_time")) \
            .select_from(monitoring_cases).join(User, User.id == monitoring_cases.c.sid) \
            .join(Position, Position.id == User.position_id) \
            .outerjoin(TaskIndex, and_(TaskIndex.instance_id == monitoring_cases.c.id,
                                       *_period_tasks(session, period, "isi_realisasi"),
                                       TaskIndex.outcome == "completed", TaskIndex.closed_at.is_not(None))) \
            .group_by(monitoring_cases.c.id, Position.unit_id, monitoring_cases.c.n).subquery()
        monitoring = run(
            select(per_case.c.unit_id, per_case.c.n, func.count(), func.sum(per_case.c.sent),
                   func.sum(per_case.c.on_time)).group_by(per_case.c.unit_id, per_case.c.n)).all()
        final = {sid for sid, in run(select(Instance.subject_id).where(*_cases(ASSESSMENT, period, subjects),
                                                                       Instance.status == COMPLETED)).all()}
        rated = {sid for sid, in run(select(Instance.subject_id).join(TaskIndex, TaskIndex.instance_id == Instance.id)
                                     .where(*_cases(ASSESSMENT, period, subjects),
                                            *_period_tasks(session, period, *RATING_TASKS),
                                            TaskIndex.outcome == "completed")).all()}
    slices = max((int(n) for _, n, _, _, _ in monitoring), default=0)
    by_group = _group_counts(selection, ((p.id, p.unit_id) for p in people.values()))
    # Per group and slice (and 0: everyone): cases, sent, sent on time.
    per_slice: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for unit_id, n, cases, sent, punctual in monitoring:
        group = selection.group_of(unit_id)
        for key in ((0, int(n)), *(((group.id, int(n)),) if group is not None else ())):
            counts = per_slice[key]
            counts[0] += int(cases)
            counts[1] += int(sent)
            counts[2] += int(punctual)

    def row(group: UnitGroup, members: set[int], key: int) -> ProgressRow:
        plans = [people[m].planning_id for m in members]
        return ProgressRow(group, len(members), sum(1 for p in plans if p in drafted),
                           sum(1 for p in plans if p in approved), sum(1 for p in plans if p in on_time),
                           [SliceProgress(k, *per_slice[(key, k)]) for k in range(1, slices + 1)],
                           len(members & rated), len(members & final))

    rows = [row(g, by_group[g.id], g.id) for g in selection.groups if by_group[g.id]]
    everyone = set(people)
    total = row(UnitGroup(0, "", "", frozenset(), False), everyone, 0) if everyone else None
    return ProgressReport(rows, total, slices)


# --- 3. overdue tasks -----------------------------------------------------------------------------------------


@dataclass
class OverdueGroup:
    key: str
    name: str
    count: int
    oldest_days: float
    mean_days: float
    unit_id: int | None = None
    person_id: int | None = None


@dataclass
class OverdueReport:
    tasks: list[OverdueTask]
    by_unit: list[OverdueGroup]
    by_person: list[OverdueGroup]
    now: datetime


def _summarise(key: str, name: str, items: list[OverdueTask], **extra: Any) -> OverdueGroup:
    ages = [t.days_overdue for t in items]
    return OverdueGroup(key, name, len(items), max(ages), round(sum(ages) / len(ages), 1), **extra)


@_no_gc_pauses
def overdue_report(engine: Engine, selection: Selection) -> OverdueReport:
    """Answer: which tasks are past their due time, how long, and who (assessor, employee, group) must act; per
    unit and per person."""
    now = engine.now()
    with engine.session_factory() as session:
        tasks = [t for t in overdue_tasks(session, now, period=selection.period or None,
                                          unit_ids=selection.unit_ids) if t.process_id in SMK_PROCESSES]
    by_unit: dict[int, list[OverdueTask]] = defaultdict(list)
    by_person: dict[str, list[OverdueTask]] = defaultdict(list)
    for t in tasks:
        group = selection.group_of(t.unit_id)
        if group is not None:
            by_unit[group.id].append(t)
        by_person[f"u{t.responsible_id}" if t.responsible_id is not None else f"g{t.responsible_name}"].append(t)
    units = [_summarise(str(g.id), g.name, by_unit[g.id], unit_id=g.id) for g in selection.groups if by_unit[g.id]]
    people = [_summarise(k, items[0].responsible_name or "—", items, person_id=items[0].responsible_id)
              for k, items in by_person.items()]
    people.sort(key=lambda g: (-g.count, -g.oldest_days, g.name))
    return OverdueReport(tasks, units, people, now)


# --- 4. step durations -----------------------------------------------------------------------------------------


@dataclass
class DurationReport:
    steps: list[StepDuration]


@_no_gc_pauses
def duration_report(engine: Engine, selection: Selection) -> DurationReport:
    """Answer: where does the cycle wait? Median and 90th percentile of each step's time from ready to done."""
    with engine.session_factory() as session:
        return DurationReport(step_durations(session, period=selection.period or None, unit_ids=selection.unit_ids,
                                             process_ids=SMK_PROCESSES))


# --- 5. objections ---------------------------------------------------------------------------------------------


@dataclass
class ObjectionCounts:
    delivered: int = 0  # results delivered to the employee
    accepted: int = 0  # accepted by the employee
    timed_out: int = 0  # no response within the 14 days: final without objection
    awaiting: int = 0  # the response window is open
    filed: int = 0  # objections filed
    pending: int = 0  # filed, not decided yet
    upheld: int = 0  # decided: the objection was accepted and the predikat changed
    rejected: int = 0  # decided: the objection was refused
    decided_late: int = 0  # decided after the decision task's due time

    @property
    def decided(self) -> int:
        return self.upheld + self.rejected


@dataclass
class ObjectionCase:
    subject_id: int
    name: str
    unit_name: str
    filed_at: datetime | None
    decided_at: datetime | None
    outcome: str  # pending | upheld | rejected
    predikat_before: str
    predikat_after: str
    decided_by: str
    late: bool
    #: in which capacity it was decided (the result's ``final_karena``): keputusan_atasan_penilai, or
    #: keputusan_pengganti (a stand-in in the Atasan Pejabat Penilai's place, of ``stand_in_groups``); "" while pending
    decided_as: str = ""
    stand_in_groups: str = ""


@dataclass
class ObjectionReport:
    total: ObjectionCounts
    rows: list[tuple[UnitGroup, ObjectionCounts]]
    cases: list[ObjectionCase]


@_no_gc_pauses
def objection_report(engine: Engine, selection: Selection) -> ObjectionReport:
    """Answer: how many objections (keberatan) were filed, decided, upheld (predikat changed) or rejected, and how
    many results became final because the employee did not respond in time."""
    period = selection.period
    with engine.session_factory() as session:
        people = participants(session, period, _unit_filter(selection))
        subjects = _scope_subjects(period, selection.unit_ids, _every_unit(selection))
        run = session.connection().execute
        # One pass over the period's assessment cases with their response and objection-decision task rows, by when
        # each became ready: the last response task tells the state of the response, the first decision task when
        # the objection was filed and the last whether it is still open and its due time.
        owner: dict[int, int | None] = {}
        responses: dict[int, str] = {}
        decisions: dict[int, dict[str, Any]] = {}
        # The times only for the decision tasks (a few hundred): no two datetimes per response task.
        steps = and_(TaskIndex.instance_id == Instance.id,
                     *_period_tasks(session, period, "terima_hasil", "putus_keberatan"))
        decision_task = TaskIndex.task_name == "putus_keberatan"
        for iid, sid, name, ready_at, still_open, outcome, due_at in run(
                select(Instance.id, Instance.subject_id, TaskIndex.task_name,
                       case((decision_task, TaskIndex.ready_at), else_=None), TaskIndex.closed_at.is_(None),
                       TaskIndex.outcome, case((decision_task, TaskIndex.due_at), else_=None))
                .select_from(Instance).outerjoin(TaskIndex, steps).where(*_cases(ASSESSMENT, period, subjects))
                .order_by(Instance.id, TaskIndex.ready_at)).all():
            owner[iid] = sid
            if name == "terima_hasil":
                responses[iid] = "awaiting" if still_open else ("responded" if outcome == "completed" else "timed_out")
            elif name == "putus_keberatan":
                d = decisions.setdefault(iid, {"filed_at": ready_at, "open": False, "due": due_at})
                d["open"] = still_open
                d["due"] = due_at
        # One pass over their completions of those steps, in the trail's order (the last of each counts): the
        # employee's response and the objection's decision (its time only for the decisions).
        answered: dict[int | None, str | None] = {}
        decision_event = AuditEvent.task_name == "putus_keberatan"
        for iid, name, at, actor_id, response, decision, new in run(
                select(AuditEvent.instance_id, AuditEvent.task_name, case((decision_event, AuditEvent.at), else_=None),
                       AuditEvent.actor_id, _submitted("tanggapan"), _submitted("keputusan_keberatan"),
                       _submitted("predikat_baru"))
                .where(AuditEvent.instance_id.in_(_instances(ASSESSMENT, period, subjects)),
                       AuditEvent.kind == COMPLETED_EVENT,
                       AuditEvent.task_name.in_(("terima_hasil", "putus_keberatan"))).order_by(AuditEvent.seq)).all():
            if name == "terima_hasil":
                answered[iid] = response
            elif iid in decisions:
                decisions[iid].update(at=at, actor_id=actor_id, decision=decision, new=new or "")
        objectors = [sid for i in decisions if (sid := owner.get(i)) is not None]
        delivered = assessment_results(session, period, objectors)
        before = {r.instance_id: r.usulan for r in delivered.values() if r.instance_id is not None}
        reasons = {r.instance_id: (r.final_karena, r.kelompok_pengganti) for r in delivered.values()
                   if r.instance_id is not None and r.final}
        proposed = _ratings(session, period, objectors)
        actors = {d.get("actor_id") for d in decisions.values() if d.get("actor_id")}
        names = dict(session.connection().execute(select(User.id, User.full_name).where(User.id.in_(actors))).all()) \
            if actors else {}
    by_group: dict[int, ObjectionCounts] = {g.id: ObjectionCounts() for g in selection.groups}
    total = ObjectionCounts()
    out_cases = []
    for iid, sid in owner.items():
        person = people.get(sid or 0)
        group = selection.group_of(person.unit_id) if person else None
        counters = [total] + ([by_group[group.id]] if group is not None else [])
        state = responses.get(iid)
        d = decisions.get(iid) or {}
        for c in counters:
            if state is not None:
                c.delivered += 1
            if state == "awaiting":
                c.awaiting += 1
            elif state == "timed_out":
                c.timed_out += 1
            elif state == "responded" and answered.get(iid) != "keberatan":
                c.accepted += 1
            if d:
                c.filed += 1
                if d["open"] or "decision" not in d:
                    c.pending += 1
                elif d["decision"] == "diterima":
                    c.upheld += 1
                else:
                    c.rejected += 1
                if not d["open"] and d.get("at") and d.get("due") and d["at"] > d["due"]:
                    c.decided_late += 1
        if d and person is not None:
            outcome = "pending" if d["open"] or "decision" not in d else (
                "upheld" if d["decision"] == "diterima" else "rejected")
            old = before.get(iid) or (proposed[sid].predikat if sid in proposed else "")
            after = d.get("new", "") if outcome == "upheld" else (old if outcome == "rejected" else "")
            late = outcome != "pending" and bool(d.get("due")) and d.get("at") is not None and d["at"] > d["due"]
            reason, groups = reasons.get(iid, ("", "")) if outcome != "pending" else ("", "")
            out_cases.append(ObjectionCase(person.id, person.name, selection.units[person.unit_id].name,
                                           d.get("filed_at"), d.get("at") if outcome != "pending" else None, outcome,
                                           old or "", after or "", names.get(d.get("actor_id") or 0, ""), late,
                                           reason, groups))
    out_cases.sort(key=lambda c: (c.outcome != "pending", c.filed_at or datetime.min.replace(tzinfo=JAKARTA)))
    rows = [(g, by_group[g.id]) for g in selection.groups if by_group[g.id].delivered or by_group[g.id].filed]
    return ObjectionReport(total, rows, out_cases)


# --- 6. follow-up ----------------------------------------------------------------------------------------------


@dataclass
class FollowUpCount:
    key: str  # a kind (reward, development, sanction, other) or a recommendation code
    kind: str
    recommended: int = 0
    confirmed: int = 0
    rejected: int = 0
    pending: int = 0


@dataclass
class FollowUpStep:
    task_name: str
    title: str
    pending: int = 0
    overdue: int = 0
    decided: int = 0


@dataclass
class FollowUpReport:
    kinds: list[FollowUpCount]
    codes: list[FollowUpCount]
    steps: list[FollowUpStep]
    ppk_decisions: dict[str, int]  # the PPK's decisions by answer (sesuai_saran, …)


@_no_gc_pauses
def follow_up_report(engine: Engine, selection: Selection) -> FollowUpReport:
    """Answer: which follow-up actions were recommended, by kind (reward, development, sanction), and which did
    HR confirm or reject; which decisions (HR, Tim Penilai Kinerja, PPK) are still pending."""
    period = selection.period
    codes: dict[str, FollowUpCount] = {}

    def count(kode: str, decision: str) -> None:
        item = codes.setdefault(kode, FollowUpCount(kode, FOLLOW_UP_KINDS.get(kode, "other")))
        item.recommended += 1
        if decision == "dikonfirmasi":
            item.confirmed += 1
        elif decision == "ditolak":
            item.rejected += 1
        else:
            item.pending += 1

    now = engine.now()
    with engine.session_factory() as session:
        cases = _instances(FOLLOW_UP, period, _scope_subjects(period, selection.unit_ids, _every_unit(selection)))
        tasks = session.connection().execute(
            select(TaskIndex.instance_id, TaskIndex.id, TaskIndex.task_name, TaskIndex.title, TaskIndex.closed_at,
                   TaskIndex.outcome, TaskIndex.due_at)
            .where(TaskIndex.instance_id.in_(cases), TaskIndex.task_name.in_(FOLLOW_UP_STEPS))
            .order_by(TaskIndex.ready_at)).all()
        open_hr = [(iid, tid) for iid, tid, name, _, closed, _, _ in tasks if name == "konfirmasi_sdm" and closed is None]
        last_hr: dict[int, list[dict[str, Any]]] = {}
        ppk: Counter[str] = Counter()
        for iid, name, data in session.connection().execute(
                select(AuditEvent.instance_id, AuditEvent.task_name, AuditEvent.data)
                .where(AuditEvent.instance_id.in_(cases), AuditEvent.kind == COMPLETED_EVENT,
                       AuditEvent.task_name.in_(("konfirmasi_sdm", "keputusan_ppk_task")))
                .order_by(AuditEvent.seq)).all():
            submitted = (data or {}).get("submitted") or {}
            if name == "konfirmasi_sdm" and iid is not None:
                last_hr[iid] = [r for r in submitted.get("keputusan_sdm") or [] if isinstance(r, dict)]
            elif name == "keputusan_ppk_task":
                ppk[str(submitted.get("keputusan_ppk") or "")] += 1
        waiting = recommendations(session, period, [iid for iid, _ in open_hr])
    for listed in waiting.values():
        for recommendation in listed:
            count(str(recommendation["kode"]), "")
    for iid, decided in last_hr.items():
        if iid in waiting:
            continue  # sent back as incomplete: the open task counts, not this attempt
        for answer in decided:
            if answer.get("kode"):
                count(str(answer["kode"]), str(answer.get("keputusan") or ""))
    steps: dict[str, FollowUpStep] = {}
    for _, _, name, title, closed, outcome, due in tasks:
        step = steps.setdefault(name, FollowUpStep(name, title))
        if closed is None:
            step.pending += 1
            step.overdue += 1 if due is not None and due < now else 0
        elif outcome == "completed":
            step.decided += 1
    kinds = {k: FollowUpCount(k, k) for k in FOLLOW_UP_KIND_ORDER}
    for item in codes.values():
        total = kinds[item.kind]
        total.recommended += item.recommended
        total.confirmed += item.confirmed
        total.rejected += item.rejected
        total.pending += item.pending
    order = {k: i for i, k in enumerate(FOLLOW_UP_KIND_ORDER)}
    return FollowUpReport([k for k in kinds.values() if k.recommended or k.key != "other"],
                          sorted(codes.values(), key=lambda c: (order[c.kind], -c.recommended, c.key)),
                          [steps[s] for s in FOLLOW_UP_STEPS if s in steps], dict(ppk))


# --- 7. the cascading tree (pohon kinerja) ---------------------------------------------------------------------


@dataclass
class RhkNode:
    id: str  # the RHK id once the SKP is set; "" for a draft
    text: str
    jenis: str  # utama | tambahan
    supports: str  # the superior RHK id or IKU code it names
    owner_id: int
    owner: str
    position: str
    unit: str
    status: str  # waiting | drafting | escalated | review | set
    predikat: str = ""
    final: bool = False
    outside: bool = False  # the owner is outside the selected unit (shown for context)
    orphan: bool = False  # supports nothing known
    children: list[RhkNode] = field(default_factory=list)


@dataclass
class IkuNode:
    kode: str
    nama: str
    target: str
    unit_code: str
    unit: str
    children: list[RhkNode] = field(default_factory=list)
    in_scope: bool = True  # the IKU's unit lies in the selected unit: an unsupported one is flagged

    @property
    def unsupported(self) -> bool:
        return self.in_scope and not self.children


@dataclass
class PendingEmployee:
    id: int
    name: str
    position: str
    unit: str
    status: str


@dataclass
class CascadeTree:
    iku: list[IkuNode]
    roots: list[RhkNode]  # RHK of superiors outside the unit that RHK inside support (context)
    orphans: list[RhkNode]
    pending: list[PendingEmployee]  # employees with no RHK yet
    employees: int
    too_many: bool = False
    additional: list[RhkNode] = field(default_factory=list)  # RHK tambahan that name no superior RHK

    @property
    def unsupported_iku(self) -> list[IkuNode]:
        return [i for i in self.iku if i.unsupported]

    def walk(self) -> Iterable[RhkNode]:
        todo = [*(c for i in self.iku for c in i.children), *self.roots, *self.orphans, *self.additional]
        while todo:
            node = todo.pop()
            yield node
            todo.extend(node.children)


def cascade_report(engine: Engine, selection: Selection) -> CascadeTree:
    """Answer: does cascading hold? The organisation's IKU, the RHK of the unit heads that support them, the RHK of
    their staff below, each with its status and (after assessment) the owner's predikat; IKU nobody supports and
    RHK that support nothing are flagged. Each employee's SKP comes from the results table
    (``processes.skp_results``: kept in step with the planning case), never from its stored state."""
    period, units = selection.period, selection.units
    with engine.session_factory() as session:
        people = participants(session, period, selection.unit_ids)
        if len(people) > MAX_TREE_EMPLOYEES:
            return CascadeTree([], [], [], [], len(people), too_many=True)
        setup = period_setup(session, period)
        # Superiors outside the unit whose RHK the unit's own RHK support: read for context.
        ids = set(people)
        outside = session.execute(
            select(Instance.id, User.id, User.full_name, Position.title, Position.unit_id)
            .join(User, User.id == Instance.subject_id).join(Position, User.position_id == Position.id)
            .where(Instance.process_id == PLANNING, Instance.period == period,
                   Position.id.in_({p for p in session.scalars(select(Position.parent_id).join(
                       User, User.position_id == Position.id).where(User.id.in_(ids))) if p is not None}))
            ).all() if ids else []
        context = {uid: Participant(uid, name, "", title, "", unit, None, iid)
                   for iid, uid, name, title, unit in outside if uid not in ids}
        everyone = {**people, **context}
        skp = skp_rows(session, period, everyone)
        ratings = _ratings(session, period, people)
    nodes: list[RhkNode] = []
    pending = []
    for person in everyone.values():
        recorded = skp.get(person.id) or {}
        status = str(recorded.get("status") or "waiting")
        rows = [r for r in recorded.get("rhk") or [] if isinstance(r, dict)]
        in_scope = person.id in people
        if not rows and in_scope:
            pending.append(PendingEmployee(person.id, person.name, person.position, units[person.unit_id].name,
                                           status))
        rating = ratings.get(person.id)
        for r in rows:
            node = RhkNode(str(r.get("id") or ""), str(r.get("rhk") or ""), str(r.get("jenis") or "utama"),
                           str(r.get("mendukung") or "").strip(), person.id, person.name, person.position,
                           units[person.unit_id].name, status,
                           rating.predikat if rating else "", bool(rating and rating.final), not in_scope)
            nodes.append(node)
    scope_units = selection.unit_ids if selection.unit_ids is not None else frozenset(units)
    above = set(ancestors(units, selection.unit.id)) if selection.unit is not None else set()
    codes = {u.code: u for u in units.values()}
    iku = []
    for item in setup.iku:
        unit = codes.get(str(item.get("unit_code") or ""))
        if unit is not None and unit.id not in scope_units and unit.id not in above:
            continue
        iku.append(IkuNode(str(item["kode"]), str(item.get("nama") or ""), str(item.get("target") or ""),
                           unit.code if unit else "", unit.name if unit else "",
                           in_scope=unit is None or unit.id in scope_units))
    roots, orphans, additional = assemble_tree(iku, nodes, iku_known=bool(setup.iku))
    pending.sort(key=lambda p: (p.unit, p.name))
    return CascadeTree(iku, roots, orphans, pending, len(people), additional=additional)


def assemble_tree(iku: list[IkuNode], nodes: list[RhkNode], iku_known: bool = True
                  ) -> tuple[list[RhkNode], list[RhkNode], list[RhkNode]]:
    """Hang every RHK under what it supports (an RHK id, else an IKU code); return the context roots (RHK of owners
    outside the unit that RHK inside support), the main RHK that support nothing known (flagged) and the
    additional RHK (tambahan) that name nothing (allowed: additional work need not cascade). ``iku`` gains a node
    for each code named when the period's IKU list is unknown (``iku_known`` False)."""
    by_id = {n.id: n for n in nodes if n.id}
    by_iku = {i.kode: i for i in iku}
    roots: dict[str, RhkNode] = {}
    orphans, additional = [], []
    for node in nodes:
        if node.outside:
            continue
        parent = by_id.get(node.supports)
        if parent is not None and parent is not node:
            parent.children.append(node)
            if parent.outside:
                roots.setdefault(parent.id, parent)
        elif node.supports in by_iku:
            by_iku[node.supports].children.append(node)
        elif node.supports and not iku_known:  # the period's IKU list is unknown: show the code it names
            by_iku[node.supports] = IkuNode(node.supports, "", "", "", "", [node], in_scope=False)
            iku.append(by_iku[node.supports])
        elif node.jenis == "tambahan" and not node.supports:
            additional.append(node)
        else:
            node.orphan = True
            orphans.append(node)
    return list(roots.values()), orphans, additional


# --- 8. ranking (pemeringkatan) ---------------------------------------------------------------------------------


@dataclass
class RankRow:
    rank: int
    subject_id: int
    name: str
    nip: str
    position: str
    unit: str
    predikat: str
    final: bool
    nilai: float | None
    hasil_kerja: str
    perilaku: str


@dataclass
class Ranking:
    rows: list[RankRow]
    has_nilai: bool
    labels: tuple[str, ...]


@_no_gc_pauses
def ranking_report(engine: Engine, selection: Selection) -> Ranking:
    """Answer: the employees of the unit ranked by predikat (best first) and by nilai where the regime has one;
    ties share a rank; those not yet rated come last."""
    with engine.session_factory() as session:
        setup = period_setup(session, selection.period)
        people = participants(session, selection.period, _unit_filter(selection))
        ratings = _ratings(session, selection.period, people)
    labels = {"A": PREDIKAT_REGIME_A, "B": PREDIKAT_REGIME_B}.get(setup.regime, PREDIKAT_6_2022)
    order = {label: i for i, label in enumerate(labels)}
    order.setdefault(KURANG, order.get(KURANG_MISCONDUCT, len(labels)))

    def key(p: Participant) -> tuple[int, float]:
        r = ratings.get(p.id)
        if r is None:
            return (len(labels) + 1, 0.0)
        return (order.get(r.predikat, len(labels)), -(r.nilai if r.nilai is not None else float("-inf")))

    keys = {p.id: key(p) for p in people.values()}
    ordered = sorted(people.values(), key=lambda p: (keys[p.id], p.name))
    rows: list[RankRow] = []
    previous: tuple[int, float] | None = None
    for index, p in enumerate(ordered, start=1):
        r = ratings.get(p.id)
        k = keys[p.id]
        rank = rows[-1].rank if previous == k and rows else index
        previous = k
        rows.append(RankRow(rank if r else 0, p.id, p.name, p.nip, p.position, selection.units[p.unit_id].name,
                            r.predikat if r else "", bool(r and r.final), r.nilai if r else None,
                            r.hasil_kerja if r else "", r.perilaku if r else ""))
    return Ranking(rows, any(r.nilai is not None for r in rows), labels)


REPORTS = ("kurva", "kemajuan", "terlambat", "durasi", "keberatan", "tindak-lanjut", "pohon-kinerja", "peringkat")


# --- 9. one employee's periods at a glance (the top of /pegawai/<id>/riwayat) ----------------------------------


@dataclass
class FollowUpDecision:
    kode: str
    kind: str  # reward | development | sanction | other
    recommendation: str
    decision: str  # dikonfirmasi | ditolak | "" (HR has not decided)
    reason: str


@dataclass
class PeriodSummary:
    """What happened to the employee in one period: the predikat proposed and final, the objection and how it
    ended, the follow-up decisions."""

    period: str
    usulan: str = ""
    predikat: str = ""
    final: bool = False
    nilai_usulan: float | None = None
    nilai: float | None = None
    #: "" (no result delivered yet) | awaiting (the response window is open) | accepted | timed_out (final without a
    #: response) | pending (objection filed, not decided) | upheld | rejected
    objection: str = ""
    objection_reason: str = ""
    objection_filed_at: datetime | None = None
    objection_decided_at: datetime | None = None
    objection_decided_by: str = ""
    #: why the result is final (``final_karena``): diterima_pegawai, batas_waktu, keputusan_atasan_penilai, or
    #: keputusan_pengganti (decided by a stand-in for the Atasan Pejabat Penilai, of ``stand_in_groups``)
    final_karena: str = ""
    stand_in_groups: str = ""
    follow_up: list[FollowUpDecision] = field(default_factory=list)
    ppk_decision: str = ""  # sesuai_saran | berbeda_dari_saran | tidak_ditindaklanjuti
    ppk_text: str = ""
    pending_steps: list[str] = field(default_factory=list)  # titles of follow-up or objection steps still open

    @property
    def changed(self) -> bool:
        return bool(self.usulan and self.predikat and self.usulan != self.predikat)


_OBJECTION_BY_RESULT = {"diterima": "upheld", "ditolak": "rejected"}
_FINAL_WITHOUT_OBJECTION = {"batas_waktu": "timed_out", "diterima_pegawai": "accepted"}


def period_summaries(engine: Engine, history: Any) -> list[PeriodSummary]:
    """Summarise each period of an employee's history (``engine.queries.audit.EmployeeHistory``, already read and
    permitted): the recorded assessment result (results table), the objection and follow-up decisions from the
    history's own task completions, and the steps still open (task index). Two indexed queries."""
    instance_ids = [i.id for p in history.periods for i in p.instances]
    with engine.session_factory() as session:
        recorded = employee_results(session, history.id)
        open_steps: dict[int, list[tuple[str, str]]] = defaultdict(list)
        if instance_ids:
            for iid, name, title in session.execute(
                    select(TaskIndex.instance_id, TaskIndex.task_name, TaskIndex.title)
                    .where(TaskIndex.instance_id.in_(instance_ids), TaskIndex.closed_at.is_(None))
                    .order_by(TaskIndex.ready_at)):
                open_steps[iid].append((name, title))
    out = []
    for period in history.periods:
        summary = PeriodSummary(period.period)
        result = recorded.get(period.period)
        if result is not None:
            summary.usulan, summary.predikat, summary.final = result.usulan, result.predikat, result.final
            summary.nilai_usulan, summary.nilai = result.nilai_usulan, result.nilai
            if result.final:
                summary.final_karena, summary.stand_in_groups = result.final_karena, result.kelompok_pengganti
                summary.objection = _OBJECTION_BY_RESULT.get(result.keberatan) or \
                    _FINAL_WITHOUT_OBJECTION.get(result.final_karena, "accepted")
            else:
                summary.objection = "awaiting"
        for inst in period.instances:
            waiting = open_steps.get(inst.id, [])
            if inst.process_id == ASSESSMENT:
                for step in inst.steps:
                    submitted = (step.data or {}).get("submitted") or {}
                    if step.kind != COMPLETED_EVENT:
                        continue
                    if step.task_name == "terima_hasil" and submitted.get("tanggapan") == "keberatan":
                        summary.objection_filed_at = step.at
                        summary.objection_reason = str(submitted.get("alasan_keberatan") or "")
                    elif step.task_name == "putus_keberatan" and submitted.get("keputusan_keberatan"):
                        summary.objection_decided_at, summary.objection_decided_by = step.at, step.actor_name
                if any(name == "putus_keberatan" for name, _ in waiting):
                    summary.objection = "pending"
                summary.pending_steps += [title for name, title in waiting if name in ("terima_hasil", "putus_keberatan")]
            elif inst.process_id == FOLLOW_UP:
                for step in inst.steps:
                    submitted = (step.data or {}).get("submitted") or {}
                    if step.kind != COMPLETED_EVENT:
                        continue
                    if step.task_name == "konfirmasi_sdm":  # the last attempt counts (a returned one is redone)
                        # The recommendation's text is read-only in the form: the task's data before it holds it.
                        before = (step.data or {}).get("before") or {}
                        texts = {str(d.get("kode")): str(d.get("rekomendasi") or "")
                                 for d in before.get("keputusan_sdm") or [] if isinstance(d, dict)}
                        summary.follow_up = [
                            FollowUpDecision(str(d.get("kode") or ""), FOLLOW_UP_KINDS.get(str(d.get("kode")), "other"),
                                             str(d.get("rekomendasi") or texts.get(str(d.get("kode"))) or ""),
                                             str(d.get("keputusan") or ""), str(d.get("alasan") or ""))
                            for d in submitted.get("keputusan_sdm") or [] if isinstance(d, dict) and d.get("kode")]
                    elif step.task_name == "keputusan_ppk_task":
                        summary.ppk_decision = str(submitted.get("keputusan_ppk") or "")
                        summary.ppk_text = str(submitted.get("isi_keputusan") or "")
                summary.pending_steps += [title for name, title in waiting if name in FOLLOW_UP_STEPS]
        out.append(summary)
    return out
