"""Biro SDM opens a performance period from the web, as the demo and the command line do: a ``smk_periode`` case
started by the HR officer, whose first task (Buka periode kinerja) is completed with what they chose. The model
checks the entries (regime of the year, deadlines inside the period) and requests every employee's planning
(the background worker starts them, one per transaction); this
module only checks what must hold before a case is started at all, so a refused request leaves nothing behind:
the form's own schema (the deployed version's), the unit, and that no period for that year already covers that
unit (open, being opened or closed). The audit trail records the case started and the task completed with the
entries, like any other work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from engine.access import group_names
from engine.core import Engine
from engine.db.deferred import DeferredStart
from engine.db.org import Position, Unit, User
from engine.db.runtime import COMPLETED, TERMINATED, Instance, TaskIndex
from engine.errors import N_, FieldError, FormInvalid, Message, NotFound, PermissionDenied
from engine.queries.reports import load_units, subtree
from engine.services import instances
from engine.services.bundle_store import latest_version
from engine.services.deferred import retry_failed
from engine.services.forms import validate_submission
from processes.lanes import HR_GROUP, ROLES

PERIOD_PROCESS = "smk_periode"
OPEN_TASK = "buka_periode"
OPEN_FORM = "smk_periode_buka.schema.json"
PLANNING = "smk_perencanaan"
ASSESSMENT = "smk_penilaian"


@dataclass
class PeriodRow:
    instance_id: int
    period: str  # "2024", "2021-II"; "" while the entries are being fixed
    status: str  # opening | open | closed | stopped
    regime: str
    frekuensi: str
    unit_code: str
    unit_name: str
    started_at: datetime
    started_by: str
    batas_skp: str
    batas_penilaian: str
    planning: int = 0
    assessed: int = 0
    planning_waiting: int = 0  # requested, not started yet by the background worker
    planning_failed: int = 0  # requested, could not be started (the error is in the audit log)
    task_id: str | None = None  # the opening form, while it waits to be fixed


@dataclass
class PeriodsPage:
    rows: list[PeriodRow]
    may_open: bool  # a member of Biro SDM (the model gives the opening to that lane)
    iku: list[dict[str, str]] = field(default_factory=list)  # the IKU of the latest period, to start from
    year: int = 0


def _may_see(session: Session, user_id: int) -> bool:
    groups = set(group_names(session, user_id))
    return bool(groups & (set(ROLES.org_admins) | {HR_GROUP}))


def _data(engine: Engine, session: Session, instance: Instance) -> dict[str, Any]:
    """A period case's data: a finished one's from its stored state; a running one's from its workflow (its
    entries live in its tasks until it ends; a period case is one small workflow, a handful per year)."""
    from SpiffWorkflow.util.task import TaskState

    state = instance.state if isinstance(instance.state, dict) else {}
    if instance.status in (COMPLETED, TERMINATED):
        data = state.get("data")
        return data if isinstance(data, dict) else {}
    try:
        workflow = engine.runtime.load(instance, engine.specs.for_version(session, instance.process_version_id))
    except Exception:  # a state that no longer loads: shown without its entries
        return {}
    live = dict(workflow.data)
    for task in sorted((t for t in workflow.tasks.values() if t.state == TaskState.COMPLETED),
                       key=lambda t: t.last_state_change):
        live.update(task.data)
    return live


def _status(instance: Instance, data: dict[str, Any]) -> str:
    if instance.status == TERMINATED:
        return "stopped"
    if instance.status == COMPLETED or data.get("status_periode") == "ditutup":
        return "closed"
    return "open" if data.get("status_periode") == "dibuka" else "opening"


def _requested(session: Session, case_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Per period case, its planning cases requested and not started yet, and those that could not be started
    (the model asks the background worker to start them, one per transaction: ``engine.services.deferred``)."""
    found: dict[int, tuple[int, int]] = {}
    if not case_ids:
        return found
    waiting = DeferredStart.started_at.is_(None)
    failed = DeferredStart.started_at.is_not(None) & DeferredStart.instance_id.is_(None)
    query = (select(DeferredStart.requested_by_instance_id,
                    func.count(DeferredStart.id).filter(waiting), func.count(DeferredStart.id).filter(failed))
             .where(DeferredStart.requested_by_instance_id.in_(case_ids), DeferredStart.process_id == PLANNING,
                    waiting | failed)
             .group_by(DeferredStart.requested_by_instance_id))
    for case_id, n_waiting, n_failed in session.execute(query):
        if case_id is not None:
            found[case_id] = (n_waiting, n_failed)
    return found


def periods_page(engine: Engine, user_id: int) -> PeriodsPage:
    """The periods opened so far (newest first) with their progress; PermissionDenied for anyone but Biro SDM and
    administrators."""
    with engine.session_factory() as session:
        if not _may_see(session, user_id):
            raise PermissionDenied("periods.denied", N_("Only Biro SDM and administrators manage periods"))
        cases = session.scalars(select(Instance).where(Instance.process_id == PERIOD_PROCESS)
                                .order_by(Instance.started_at.desc(), Instance.id.desc())).all()
        names = {u.id: u.full_name for u in session.scalars(select(User).where(
            User.id.in_({c.started_by_id for c in cases if c.started_by_id})))}
        periods = {c.period for c in cases if c.period}
        counts: dict[tuple[str, str], int] = {}
        if periods:
            for pid, period, n in session.execute(select(Instance.process_id, Instance.period, func.count(Instance.id))
                                                  .where(Instance.period.in_(periods),
                                                         Instance.process_id.in_((PLANNING, ASSESSMENT)),
                                                         Instance.status != TERMINATED)
                                                  .group_by(Instance.process_id, Instance.period)):
                counts[(pid, period)] = n
            for period, n in session.execute(select(Instance.period, func.count(Instance.id)).where(
                    Instance.period.in_(periods), Instance.process_id == ASSESSMENT,
                    Instance.status == COMPLETED).group_by(Instance.period)):
                counts[("assessed", period)] = n
        open_tasks = {t.instance_id: t.id for t in session.scalars(select(TaskIndex).where(
            TaskIndex.instance_id.in_([c.id for c in cases]), TaskIndex.task_name == OPEN_TASK,
            TaskIndex.closed_at.is_(None)))}
        requested = _requested(session, [c.id for c in cases])
        rows = []
        datas = {case.id: _data(engine, session, case) for case in cases}  # newest first
        # The names of the units the periods cover (the form's picker searches the units itself: webapp/unitpicker).
        codes = {str(d.get("unit_cakupan") or "") for d in datas.values()} - {""}
        unit_names = {code: name for code, name in session.execute(
            select(Unit.code, Unit.name).where(Unit.code.in_(codes), Unit.active))} if codes else {}
        for case in cases:
            data = datas[case.id]
            code = str(data.get("unit_cakupan") or "")
            rows.append(PeriodRow(
                case.id, case.period, _status(case, data), str(data.get("regime") or ""),
                str(data.get("frekuensi") or ""), code, unit_names.get(code, ""), case.started_at,
                names.get(case.started_by_id or 0, ""), str(data.get("batas_skp") or ""),
                str(data.get("batas_penilaian") or ""), counts.get((PLANNING, case.period), 0),
                counts.get(("assessed", case.period), 0), task_id=open_tasks.get(case.id),
                planning_waiting=requested.get(case.id, (0, 0))[0], planning_failed=requested.get(case.id, (0, 0))[1]))
        iku = next((list(d["iku_organisasi"]) for d in datas.values() if d.get("iku_organisasi")), [])
        now = engine.now()
        # The form proposes the coming year (the current one in January), or the first after it that the whole
        # organisation has not opened yet.
        year = now.year if now.month == 1 else now.year + 1
        taken = {r.period for r in rows if not r.unit_code and r.status != "stopped"}
        while str(year) in taken:
            year += 1
        return PeriodsPage(rows, HR_GROUP in group_names(session, user_id), iku, year)


def parse_iku(text: str) -> list[dict[str, str]]:
    """Read IKU rows typed one per line as ``unit code; IKU code; indicator; target`` (a tab or | also
    separates); FormInvalid names each line that does not have the four parts."""
    rows, errors = [], []
    for n, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        sep = "\t" if "\t" in line else "|" if "|" in line else ";"
        parts = [p.strip() for p in line.split(sep)]
        if len(parts) != 4 or not all(parts):
            errors.append(FieldError(f"iku_organisasi.{n}", Message("periods.iku_line", N_(
                "Line %(line)s: write unit code; IKU code; indicator; target"), {"line": n})))
            continue
        rows.append({"unit_code": parts[0], "kode": parts[1], "nama": parts[2], "target": parts[3]})
    if errors:
        raise FormInvalid(errors)
    return rows


def _scope(session: Session, code: str) -> set[int] | None:
    """The ids of a unit and its sub-units; None for the whole organisation."""
    if not code:
        return None
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        return set()
    return set(subtree(load_units(session), unit.id))


def _clashes(engine: Engine, session: Session, period: str, code: str) -> list[tuple[int, str]]:
    """Period cases of the same period (or being opened for the same year) whose units overlap ``code``'s."""
    mine = _scope(session, code)
    found = []
    for case in session.scalars(select(Instance).where(Instance.process_id == PERIOD_PROCESS,
                                                       Instance.status != TERMINATED)):
        data = _data(engine, session, case)
        if case.period != period and not (case.period == "" and str(data.get("periode") or "") == period):
            continue  # (a case whose entries were sent back has no period yet; its entries name one)
        theirs = _scope(session, str(data.get("unit_cakupan") or ""))
        if mine is None or theirs is None or mine & theirs:
            found.append((case.id, _status(case, data)))
    return found


@dataclass
class Opened:
    instance_id: int
    period: str
    planning: int  # planning cases started or requested (the background worker starts the requested ones)
    task_id: str | None  # when the model sent the entries back: the form to fix (its errors in ``problems``)
    problems: list[str] = field(default_factory=list)


@dataclass
class Checked:
    values: dict[str, Any]  # the entries as the form takes them
    period: str
    employees: int  # active employees with a position in the units and an assessor: each gets a planning case
    unit_name: str  # "" for the whole organisation


def check_period(engine: Engine, user_id: int, values: dict[str, Any]) -> Checked:
    """Check the entries of a period to open (``tahun``, ``jenis_periode``, ``regime``, ``frekuensi``,
    ``batas_skp``, ``batas_penilaian``, ``maks_putaran``, ``unit_cakupan``, ``iku_organisasi``), changing
    nothing: the actor is in Biro SDM (PermissionDenied), the entries satisfy the deployed form (FormInvalid per
    field), the units exist, and no period case of that year covers any of the same units."""
    with engine.session_factory() as session:
        if HR_GROUP not in group_names(session, user_id):
            raise PermissionDenied("periods.not_hr", N_("Only members of Biro SDM can open a period"))
        version = latest_version(session, PERIOD_PROCESS)
        schema = engine.specs.for_version(session, version.id).forms.get(OPEN_FORM)
        errors = []
        for key in ("batas_skp", "batas_penilaian"):  # named in words before the schema's "format (date)"
            try:
                date.fromisoformat(str(values.get(key)))
            except ValueError:
                errors.append(FieldError(key, Message("periods.date", N_("Enter a date"))))
        try:
            clean = validate_submission(schema, values)
        except FormInvalid as exc:
            named = {e.path for e in errors}
            raise FormInvalid(errors + [e for e in exc.errors if e.path not in named]) from exc
        if errors:
            raise FormInvalid(errors)
        code = str(clean.get("unit_cakupan") or "").strip()
        if code and session.scalar(select(Unit.id).where(Unit.code == code, Unit.active)) is None:
            errors.append(FieldError("unit_cakupan", Message("periods.unit", N_("There is no unit %(code)s"),
                                                             {"code": code})))
        for n, row in enumerate(clean.get("iku_organisasi") or [], start=1):
            if session.scalar(select(Unit.id).where(Unit.code == row["unit_code"])) is None:
                errors.append(FieldError(f"iku_organisasi.{n}", Message("periods.iku_unit", N_(
                    "Line %(line)s: there is no unit %(code)s"), {"line": n, "code": row["unit_code"]})))
        if errors:
            raise FormInvalid(errors)
        year = int(clean["tahun"])
        period = str(year) if clean["jenis_periode"] == "tahunan" else str(clean["jenis_periode"])
        clashes = _clashes(engine, session, period, code)
        if clashes:
            case, status = clashes[0]
            raise FormInvalid([FieldError("tahun", Message("periods.exists", N_(
                "Period %(period)s has already been opened for these units (case #%(case)s, %(status)s); "
                "a second one would give employees two SKPs"),
                {"period": period, "case": case, "status": Message("periods.status." + status,
                                                                     STATUS_WORDS[status])}))])
        clean["unit_cakupan"] = code
        scope = _scope(session, code)
        # Those with a Pejabat Penilai in the system (a superior position or an override), as the model counts
        # them: the head of the organisation is assessed outside SMK.
        query = select(func.count(User.id)).join(Position, User.position_id == Position.id).where(
            User.active, or_(Position.parent_id.is_not(None), User.superior_override_id.is_not(None)))
        if scope is not None:
            query = query.where(Position.unit_id.in_(scope))
        unit = session.scalar(select(Unit).where(Unit.code == code)) if code else None
        return Checked(clean, period, session.scalar(query) or 0, unit.name if unit is not None else "")


def open_period(engine: Engine, user_id: int, values: dict[str, Any]) -> Opened:
    """Open a period: ``check_period``, then start the period case and complete its opening task as the form
    would. When the model sends the entries back (e.g. a regime that does not apply to the year),
    ``Opened.task_id`` is that task, with the model's reasons."""
    checked = check_period(engine, user_id, values)
    clean, period = checked.values, checked.period
    started = instances.start_instance(engine, PERIOD_PROCESS, user_id, None, "")
    task = started.ready_task_ids[0]
    instances.claim_task(engine, user_id, task)
    done = instances.complete_task(engine, user_id, task, clean)
    with engine.session_factory() as session:
        again = session.scalar(select(TaskIndex.id).where(TaskIndex.instance_id == started.id,
                                                          TaskIndex.task_name == OPEN_TASK,
                                                          TaskIndex.closed_at.is_(None)))
        case = session.get(Instance, started.id)
        assert case is not None
        data = _data(engine, session, case)
        planning = session.scalar(select(func.count(Instance.id)).where(
            Instance.process_id == PLANNING, Instance.period == period)) or 0
        planning += session.scalar(select(func.count(DeferredStart.id)).where(
            DeferredStart.requested_by_instance_id == started.id, DeferredStart.process_id == PLANNING,
            DeferredStart.started_at.is_(None))) or 0
    if again is not None:
        problems = [line for line in str(data.get("galat_teks") or "").splitlines() if line.strip()]
        return Opened(done.id, period, 0, again, problems)
    return Opened(started.id, period, planning, None)


def retry_planning(engine: Engine, user_id: int, case_id: int) -> int:
    """Put the planning cases a period case requested and that could not be started back in the worker's queue
    (after the model is fixed); return how many. Biro SDM and administrators only (PermissionDenied); NotFound for
    anything but a period case."""
    with engine.session_factory() as session:
        if not _may_see(session, user_id):
            raise PermissionDenied("periods.denied", N_("Only Biro SDM and administrators manage periods"))
        case = session.get(Instance, case_id)
        if case is None or case.process_id != PERIOD_PROCESS:
            raise NotFound("periods.not_found", N_("There is no such period"))
    return retry_failed(engine, user_id, case_id, PLANNING)


STATUS_WORDS = {"opening": N_("being opened"), "open": N_("open"), "closed": N_("closed"),
                "stopped": N_("stopped")}
