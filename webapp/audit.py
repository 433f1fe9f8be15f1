"""Audit pages for Biro SDM and administrators: search the whole trail, export it, verify its chain, and
read one employee's history (also open to the employee and their assessors)."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from engine.db.org import User
from engine.queries import audit as audit_query
from engine.queries.audit import AuditFilter, AuditRow
from engine.services import audit as audit_service
from engine.services.audit_chain import verify_chain
from processes.reports import period_summaries
from webapp import unitpicker
from webapp.args import int_arg
from webapp.extensions import get_engine
from webapp.filters import eventlabel
from webapp.i18n import N_, tr

bp = Blueprint("audit", __name__)

EXPORT_COLUMNS = ("seq", "at", "kind", "event", "actor", "subject_name", "subject_nip", "unit_name", "process_id",
                  "process", "period", "instance_id", "task_name", "detail")  # event, process: in words
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# The employee history's per-period summary (processes.reports.period_summaries), in users' words.
OBJECTION_STATES = {"": N_("No result delivered yet"), "awaiting": N_("Result delivered; the objection window is open"),
                    "accepted": N_("Accepted by the employee"), "timed_out": N_("Final: no response within 14 days"),
                    "pending": N_("Objection filed, not decided yet"),
                    "upheld": N_("Objection upheld: predikat changed"), "rejected": N_("Objection rejected")}
FOLLOW_UP_KINDS = {"reward": N_("Reward"), "development": N_("Development"), "sanction": N_("Sanction"),
                   "other": N_("Other")}
FOLLOW_UP_DECISIONS = {"dikonfirmasi": N_("confirmed by Biro SDM"), "ditolak": N_("rejected by Biro SDM"),
                       "": N_("awaiting Biro SDM")}
PPK_DECISIONS = {"sesuai_saran": N_("as the Tim Penilai Kinerja advised"),
                 "berbeda_dari_saran": N_("different from the Tim Penilai Kinerja’s advice"),
                 "tidak_ditindaklanjuti": N_("no action")}


def _may_audit() -> bool:
    with get_engine().session_factory() as session:
        return audit_query.may_audit(session, current_user.user_id)


def _auditors_only() -> None:
    if not current_user.is_authenticated:
        abort(401)
    if not _may_audit():
        abort(403)


def _date(value: str, end: bool = False) -> datetime | None:
    """A date typed in the filter, as the start (or the end) of that day in Jakarta."""
    try:
        day = datetime.strptime(value.strip(), "%Y-%m-%d").date()
    except ValueError:
        return None
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta"))
    start = datetime.combine(day, time.min, zone)
    return start + timedelta(days=1) if end else start


def _unit(text: str) -> unitpicker.Resolved:
    """The unit typed in the filter (every unit: the auditors search the whole trail, old units too)."""
    with get_engine().session_factory() as session:
        return unitpicker.resolve(session, text, by_id=True)


def _filters(unit: unitpicker.Resolved) -> AuditFilter:
    args = request.args
    text = {k: (args.get(k) or "").strip()[:200] for k in ("subject", "actor", "process", "period", "kind", "task", "q")}
    return AuditFilter(subject=text["subject"], actor=text["actor"], unit_id=unit.unit.id if unit.unit else None,
                       process_id=text["process"], period=text["period"], kind=text["kind"], task=text["task"],
                       text=text["q"], date_from=_date(args.get("from", "")), date_to=_date(args.get("to", ""), True))


def _unit_or_404() -> unitpicker.Resolved:
    """The unit of an export: one the search page did not resolve is not exported (the page names the problem)."""
    unit = _unit(request.args.get("unit", ""))
    if unit.problem:
        abort(404)
    return unit


@bp.get("/audit")
@login_required
def search():
    _auditors_only()
    unit = _unit(request.args.get("unit", ""))
    args = {k: v for k, v in request.args.items() if k != "before" and v}
    if unit.unit is not None:
        args["unit"] = unit.unit.code
    processes = audit_query.process_choices(get_engine(), current_user.user_id)
    if unit.problem:  # no search with a unit that is not one: the page says why
        return render_template("audit/search.html", page=None, args=args, processes=processes, export_args=args,
                               unit_text=unit.text, unit_problem=unit.problem), 422
    page = audit_query.search(get_engine(), current_user.user_id, _filters(unit),
                              before=int_arg(request.args, "before"))
    return render_template("audit/search.html", page=page, args=args, processes=processes,
                           export_args={k: v for k, v in args.items()}, unit_text=unitpicker.label(unit.unit),
                           unit_problem="")


@bp.get("/audit/unit.json")
@login_required
def units():
    """The unit filter's type-ahead: every unit (those who may search the trail may filter by any), 403 otherwise."""
    _auditors_only()
    with get_engine().session_factory() as session:
        return unitpicker.answer(session, None)


def _detail(row: AuditRow) -> str:
    data = dict(row.data)
    data.pop("title", None)
    return "; ".join(f"{k}={v}" for k, v in data.items())[:2000]


def _cell(value: Any) -> Any:
    """A value for a spreadsheet or CSV cell; text that a spreadsheet would run as a formula is quoted."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value


def _values(row: AuditRow) -> list[Any]:
    return [_cell(v) for v in (row.seq, row.at, row.kind, eventlabel(row.kind), row.actor_name, row.subject_name,
                               row.subject_nip, row.unit_name, row.process_id, tr(row.process_name), row.period,
                               row.instance_id, row.task_name, _detail(row))]


def _record_export(kind: str, filters: AuditFilter) -> None:
    engine = get_engine()
    with engine.session_factory.begin() as session:
        audit_service.record(session, "audit.exported", engine.now(), session.get(User, current_user.user_id),
                             format=kind, filters=filters.as_dict())


@bp.get("/audit/export.csv")
@login_required
def export_csv():
    _auditors_only()
    filters = _filters(_unit_or_404())
    _record_export("csv", filters)
    rows = audit_query.export_rows(get_engine(), current_user.user_id, filters)

    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(EXPORT_COLUMNS)
        for i, row in enumerate(rows):
            writer.writerow(_values(row))
            if i % 500 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    # The request's context stays while the rows stream: the event labels are in the user's language.
    return Response(stream_with_context(generate()), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=audit.csv"})


@bp.get("/audit/export.xlsx")
@login_required
def export_xlsx():
    _auditors_only()
    filters = _filters(_unit_or_404())
    _record_export("xlsx", filters)
    workbook = Workbook(write_only=True)  # rows go to a temporary file, not to memory
    sheet = workbook.create_sheet("Audit")
    sheet.append(list(EXPORT_COLUMNS))
    for row in audit_query.export_rows(get_engine(), current_user.user_id, filters):
        sheet.append([WriteOnlyCell(sheet, value=v) for v in _values(row)])
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 2**20)
    workbook.save(spool)
    spool.seek(0)

    def generate() -> Iterator[bytes]:
        with spool:
            while chunk := spool.read(256 * 1024):
                yield chunk

    return Response(generate(), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": "attachment; filename=audit.xlsx"})


@bp.route("/audit/integritas", methods=["GET", "POST"])
@login_required
def integrity():
    _auditors_only()
    report = None
    if request.method == "POST":
        report = verify_chain(get_engine(), full=request.form.get("full") == "1")
        if report.intact:
            flash(_("The audit trail is intact."), "success")
        else:
            flash(_("The audit trail is NOT intact: see the first broken event below."), "danger")
    return render_template("audit/integrity.html", report=report)


@bp.get("/pegawai/<int:employee_id>/riwayat")
@login_required
def history(employee_id: int):
    data = audit_query.employee_history(get_engine(), current_user.user_id, employee_id)  # NotFound -> 404
    summaries = period_summaries(get_engine(), data)
    return render_template("audit/history.html", history=data, summaries=summaries, auditor=_may_audit(),
                           objections=OBJECTION_STATES, kinds=FOLLOW_UP_KINDS, decisions=FOLLOW_UP_DECISIONS,
                           ppk=PPK_DECISIONS)


@bp.get("/audit/pegawai")
@login_required
def find_employee():
    """Jump from a name or NIP to that employee's history."""
    _auditors_only()
    page = audit_query.search(get_engine(), current_user.user_id, AuditFilter(subject=request.args.get("q", "")[:200]),
                              limit=1)
    if not page.rows or page.rows[0].subject_id is None:
        flash(_("No employee with events matches that name or NIP."), "warning")
        return redirect(url_for("audit.search"))
    return redirect(url_for("audit.history", employee_id=page.rows[0].subject_id))
