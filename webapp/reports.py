"""Laporan (/laporan): the SMK cycle's reports for Biro SDM (every unit) and unit heads (their own sub-tree).

Each report is a chart (Chart.js, drawn by static/reports.js from a JSON block: no inline script) with its table
underneath, which is the accessible version of the chart, and a CSV export of the same figures. The questions and
their sources are in ``processes.reports``; who may see what is decided there too (``open_selection``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from engine.db.org import User
from engine.services import audit as audit_service
from processes import reports
from processes.reports import (
    CascadeTree,
    CurveReport,
    DurationReport,
    FollowUpReport,
    ObjectionReport,
    OverdueReport,
    ProgressReport,
    Ranking,
    RhkNode,
    Selection,
)
from webapp import unitpicker
from webapp.extensions import get_engine
from webapp.i18n import N_, tr

bp = Blueprint("reports", __name__)

# slug -> (title, question it answers); the order of the menu.
REPORTS: dict[str, tuple[str, str]] = {
    "kurva": (N_("Predikat against the curve"),
              N_("How each unit’s predikat are distributed against the bounds of its distribution curve, and which "
                 "units break it by how many people.")),
    "kemajuan": (N_("Cycle progress"),
                 N_("SKP drafted, approved and approved by the deadline; realisasi sent per period on time; "
                    "assessments done — per unit.")),
    "terlambat": (N_("Overdue tasks"),
                  N_("Tasks past their due date: per unit and per person who must act, with how many days late.")),
    "durasi": (N_("Step durations"),
               N_("Median and 90th percentile of the time each step takes: where the cycle waits.")),
    "keberatan": (N_("Objections"),
                  N_("Objections (keberatan) filed, decided, upheld or rejected, and results that became final "
                     "without a response.")),
    "tindak-lanjut": (N_("Follow-up"),
                      N_("Recommendations by kind (reward, development, sanction) and the decisions of Biro SDM, "
                         "the Tim Penilai Kinerja and the PPK, pending or decided.")),
    "pohon-kinerja": (N_("Cascading tree"),
                      N_("Pohon kinerja: the organisation’s IKU, the RHK of the unit heads that support them and the "
                         "RHK of their staff, with status and predikat; gaps flagged.")),
    "peringkat": (N_("Ranking"),
                  N_("Pemeringkatan: employees of the unit ranked by predikat (and nilai where the regime has one), "
                     "for the follow-up decisions.")),
}

KINDS = {"reward": N_("Reward"), "development": N_("Development"), "sanction": N_("Sanction"), "other": N_("Other")}
TREE_STATUS = {"waiting": N_("Waiting for the superior’s RHK"), "drafting": N_("Drafting the SKP"),
               "escalated": N_("SKP late: escalated"), "review": N_("SKP under review"), "set": N_("SKP set")}
OBJECTION_OUTCOMES = {"pending": N_("Pending"), "upheld": N_("Upheld"), "rejected": N_("Rejected")}
STAGES = {"smk_perencanaan": N_("Planning"), "smk_pemantauan": N_("Monitoring"), "smk_penilaian": N_("Assessment"),
          "smk_predikat_unit": N_("Unit rating"), "smk_tindak_lanjut": N_("Follow-up")}
DECIDERS = {"konfirmasi_sdm": N_("Biro SDM"), "saran_tpk": N_("Tim Penilai Kinerja"), "keputusan_ppk_task": N_("PPK"),
            "rencana_perbaikan": N_("Assessor (JPT improvement period)"),
            "penilaian_ulang": N_("Assessor (JPT improvement period)")}
PREDIKAT_COLOURS = {"Sangat Baik": "#1e7a3c", "Baik": "#5cb176", "Cukup": "#f2b705", "Butuh Perbaikan": "#f2b705",
                    "Kurang": "#d9534f", "Kurang/Misconduct": "#d9534f", "Sangat Kurang": "#8b1a1a", "Buruk": "#8b1a1a"}
BLUES = ["#0b4f8a", "#3a7dbf", "#7fb0de", "#f2b705", "#1e7a3c", "#8b1a1a"]
#: Rows the overdue page lists (the most overdue tasks, the people with the most of them); its counts, chart and
#: CSV export hold every task. The whole organisation's thousands of rows made a 1 MB page.
OVERDUE_TASKS_SHOWN = 200
OVERDUE_PEOPLE_SHOWN = 100


def _selection() -> tuple[Selection, str]:
    """The report's period and unit for this user, and what is wrong with the unit typed ("" when nothing):
    PermissionDenied -> 403 (no reports, or a unit outside theirs); an unknown or ambiguous unit leaves the
    default unit and names the problem."""
    if not current_user.is_authenticated:
        abort(401)
    engine = get_engine()
    period = (request.args.get("period") or "")[:40] or None
    selection = reports.open_selection(engine, current_user.user_id, period)
    typed = request.args.get("unit") or ""
    if not typed.strip():
        return selection, ""
    with engine.session_factory() as session:
        found = unitpicker.resolve(session, typed, selection.allowed, by_id=True)
    if found.unit is None:
        return selection, found.problem
    return reports.choose_unit(selection, found.unit.id), ""


def _args(selection: Selection) -> dict[str, Any]:
    args: dict[str, Any] = {"period": selection.period} if selection.period else {}
    if selection.unit is not None:
        args["unit"] = selection.unit.code
    return args


# --- charts: plain Chart.js configurations, drawn by static/reports.js ------------------------------------------


def _bar(labels: list[str], datasets: list[dict[str, Any]], *, stacked: bool = False, horizontal: bool = False,
         axis: str = "", percent: bool = False) -> dict[str, Any]:
    value_axis: dict[str, Any] = {"beginAtZero": True, "stacked": stacked,
                                  "title": {"display": bool(axis), "text": axis}}
    if percent:
        value_axis["max"] = 100
    else:
        value_axis["ticks"] = {"precision": 0}
        value_axis["grace"] = "5%"
    category_axis = {"stacked": stacked, "ticks": {"autoSkip": False}}
    scales = {"x": category_axis, "y": value_axis} if not horizontal else {"x": value_axis, "y": category_axis}
    return {"type": "bar", "data": {"labels": labels, "datasets": datasets},
            "options": {"indexAxis": "y" if horizontal else "x", "scales": scales,
                        "plugins": {"legend": {"position": "bottom"}}}}


def _dataset(label: str, data: list[Any], colour: str, stack: str | None = None) -> dict[str, Any]:
    item = {"label": label, "data": data, "backgroundColor": colour, "borderColor": colour}
    if stack:
        item["stack"] = stack
    return item


def _short(name: str, most: int = 28) -> str:
    return name if len(name) <= most else name[:most - 1] + "…"


def _curve_chart(data: CurveReport) -> dict[str, Any] | None:
    if not any(sum(r.counts.values()) for r in data.rows):
        return None
    return _bar([_short(r.unit.name) for r in data.rows],
                [_dataset(label, [r.counts[label] for r in data.rows], PREDIKAT_COLOURS[label], "p")
                 for label in data.labels], stacked=True, axis=_("Employees"))


def _progress_chart(data: ProgressReport) -> dict[str, Any] | None:
    if not data.rows:
        return None
    series = [(_("SKP drafted"), lambda r: r.skp_drafted), (_("SKP approved"), lambda r: r.skp_approved),
              (_("SKP approved by the deadline"), lambda r: r.skp_on_time),
              (_("Realisasi sent on time"), lambda r: sum(s.on_time for s in r.slices)),
              (_("Assessed"), lambda r: r.assessed), (_("Final"), lambda r: r.final)]
    datasets = []
    for (label, value), colour in zip(series, BLUES, strict=True):
        values = []
        for r in data.rows:
            base = sum(s.started for s in r.slices) if label == _("Realisasi sent on time") else r.employees
            values.append(round(100 * value(r) / base, 1) if base else 0)
        datasets.append(_dataset(label, values, colour))
    return _bar([_short(r.unit.name) for r in data.rows], datasets, axis="%", percent=True)


def _overdue_charts(data: OverdueReport) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    if not data.tasks:
        return None, None
    units = _bar([_short(g.name) for g in data.by_unit],
                 [_dataset(_("Overdue tasks"), [g.count for g in data.by_unit], BLUES[0])], horizontal=True)
    people = data.by_person[:10]
    person = _bar([_short(g.name) for g in people],
                  [_dataset(_("Oldest (days late)"), [g.oldest_days for g in people], BLUES[3])], horizontal=True,
                  axis=_("days"))
    return units, person


def _duration_chart(data: DurationReport) -> dict[str, Any] | None:
    steps = data.steps[:12]
    if not steps:
        return None
    return _bar([_short(tr(s.title), 34) for s in steps],
                [_dataset(_("Median (days)"), [round(s.median_hours / 24, 1) for s in steps], BLUES[0]),
                 _dataset(_("90th percentile (days)"), [round(s.p90_hours / 24, 1) for s in steps], BLUES[3])],
                horizontal=True, axis=_("days"))


def _objection_chart(data: ObjectionReport) -> dict[str, Any] | None:
    t = data.total
    if not t.delivered and not t.filed:
        return None
    labels = [_("Accepted"), _("Final without response"), _("Awaiting response"), _("Objection upheld"),
              _("Objection rejected"), _("Objection pending")]
    values = [t.accepted, t.timed_out, t.awaiting, t.upheld, t.rejected, t.pending]
    colours = ["#5cb176", "#7fb0de", "#c7d3e0", "#f2b705", "#d9534f", "#8a94a6"]
    return {"type": "bar", "data": {"labels": labels, "datasets": [
        {"label": _("Assessment results"), "data": values, "backgroundColor": colours, "borderColor": colours}]},
        "options": {"indexAxis": "y", "scales": {"x": {"beginAtZero": True, "ticks": {"precision": 0}}},
                    "plugins": {"legend": {"display": False}}}}


def _follow_up_chart(data: FollowUpReport) -> dict[str, Any] | None:
    if not any(k.recommended for k in data.kinds):
        return None
    labels = [_(KINDS[k.key]) for k in data.kinds]
    return _bar(labels, [_dataset(_("Confirmed"), [k.confirmed for k in data.kinds], "#1e7a3c", "d"),
                         _dataset(_("Rejected"), [k.rejected for k in data.kinds], "#d9534f", "d"),
                         _dataset(_("Pending"), [k.pending for k in data.kinds], "#8a94a6", "d")],
                stacked=True, axis=_("Recommendations"))


# --- CSV ----------------------------------------------------------------------------------------------------------


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """A CSV cell; text a spreadsheet would run as a formula is quoted (numbers stay numbers)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value


def _curve_csv(data: CurveReport, selection: Selection) -> Iterator[list[Any]]:
    yield [_("Unit"), _("Unit predikat"), _("Staff counted"), *data.labels, _("Not yet rated"),
           _("Of which proposed"), _("Rule"), _("Bound (people)"), _("Actual"), _("Within the curve"),
           _("Over / short by")]
    for r in data.rows:
        head = [r.unit.name, r.unit_predikat, r.staff, *(r.counts[label] for label in data.labels), r.not_rated,
                r.proposed]
        if not r.bounds:
            yield [*head, "", "", "", "", ""]
        for b in r.bounds:
            rule = f"{_('at most') if b.jenis == 'paling_banyak' else _('at least')} {b.persen:g}% " \
                   f"{' / '.join(b.predikat)}"
            yield [*head, rule, b.limit, b.actual, _("yes") if b.ok else _("no"), b.by]


def _progress_csv(data: ProgressReport, selection: Selection) -> Iterator[list[Any]]:
    slices = [f"{_('Realisasi %(n)s', n=k)} {what}" for k in range(1, data.slices + 1)
              for what in (_("started"), _("sent"), _("on time"))]
    yield [_("Unit"), _("Employees"), _("SKP drafted"), _("SKP approved"), _("SKP approved by the deadline"),
           *slices, _("Assessed"), _("Final")]
    for r in [*data.rows, *([data.total] if data.total else [])]:
        name = r.unit.name or _("Total")
        yield [name, r.employees, r.skp_drafted, r.skp_approved, r.skp_on_time,
               *(v for s in r.slices for v in (s.started, s.sent, s.on_time)), r.assessed, r.final]


def _overdue_csv(data: OverdueReport, selection: Selection) -> Iterator[list[Any]]:
    yield [_("Task"), _("Process"), _("Employee"), _("Unit"), _("Who must act"), _("Due"), _("Days late"),
           _("Instance")]
    for t in data.tasks:
        unit = selection.units.get(t.unit_id or 0)
        yield [tr(t.title), t.process_id, t.subject_name, unit.name if unit else "", t.responsible_name,
               t.due_at.isoformat(timespec="minutes"), t.days_overdue, t.instance_id]


def _duration_csv(data: DurationReport, selection: Selection) -> Iterator[list[Any]]:
    yield [_("Stage"), _("Step"), _("Task id"), _("Completed tasks"), _("Median (hours)"),
           _("90th percentile (hours)"), _("Longest (hours)")]
    for s in data.steps:
        yield [_(STAGES.get(s.process_id, s.process_id)), tr(s.title), s.task_name, s.count, s.median_hours,
               s.p90_hours, s.longest_hours]


def _objection_csv(data: ObjectionReport, selection: Selection) -> Iterator[list[Any]]:
    yield [_("Unit"), _("Results delivered"), _("Accepted"), _("Final without response"), _("Awaiting response"),
           _("Objections filed"), _("Pending"), _("Upheld"), _("Rejected"), _("Decided after the due date")]
    for group, c in [*data.rows, (None, data.total)]:
        yield [group.name if group else _("Total"), c.delivered, c.accepted, c.timed_out, c.awaiting, c.filed,
               c.pending, c.upheld, c.rejected, c.decided_late]


def _follow_up_csv(data: FollowUpReport, selection: Selection) -> Iterator[list[Any]]:
    yield [_("Kind"), _("Recommendation"), _("Recommended"), _("Confirmed"), _("Rejected"), _("Pending")]
    for c in data.codes:
        yield [_(KINDS[c.kind]), c.key, c.recommended, c.confirmed, c.rejected, c.pending]


def _tree_rows(node: RhkNode, level: int) -> Iterator[list[Any]]:
    flag = _("supports nothing") if node.orphan else ""
    yield [level, "RHK", node.id, node.text, node.jenis, node.supports, node.owner, node.unit,
           _(TREE_STATUS.get(node.status, node.status)), node.predikat, flag]
    for child in node.children:
        yield from _tree_rows(child, level + 1)


def _tree_csv(data: CascadeTree, selection: Selection) -> Iterator[list[Any]]:
    yield [_("Level"), _("Type"), _("Id / code"), _("Text"), _("Kind"), _("Supports"), _("Owner"), _("Unit"),
           _("Status"), _("Predikat"), _("Flag")]
    for iku in data.iku:
        yield [0, "IKU", iku.kode, iku.nama, "", "", "", iku.unit, "", "",
               _("nobody supports it") if iku.unsupported else ""]
        for child in iku.children:
            yield from _tree_rows(child, 1)
    for node in [*data.roots, *data.orphans, *data.additional]:
        yield from _tree_rows(node, 1)
    for p in data.pending:
        yield ["", _("Employee without RHK"), "", p.name, "", "", p.name, p.unit,
               _(TREE_STATUS.get(p.status, p.status)), "", ""]


def _ranking_csv(data: Ranking, selection: Selection) -> Iterator[list[Any]]:
    yield [_("Rank"), _("Name"), "NIP", _("Position"), _("Unit"), _("Predikat"), _("Final"), _("Nilai"),
           _("Work results"), _("Behaviour")]
    for r in data.rows:
        yield [r.rank or "", r.name, r.nip, r.position, r.unit, r.predikat, _("yes") if r.final else _("no"),
               r.nilai if r.nilai is not None else "", r.hasil_kerja, r.perilaku]


# slug -> (query, CSV rows)
RUNNERS: dict[str, tuple[Callable[..., Any], Callable[[Any, Selection], Iterator[list[Any]]]]] = {
    "kurva": (reports.curve_report, _curve_csv),
    "kemajuan": (reports.progress_report, _progress_csv),
    "terlambat": (reports.overdue_report, _overdue_csv),
    "durasi": (reports.duration_report, _duration_csv),
    "keberatan": (reports.objection_report, _objection_csv),
    "tindak-lanjut": (reports.follow_up_report, _follow_up_csv),
    "pohon-kinerja": (reports.cascade_report, _tree_csv),
    "peringkat": (reports.ranking_report, _ranking_csv),
}


def _charts(slug: str, data: Any) -> dict[str, Any]:
    if slug == "kurva":
        return {"chart_data": _curve_chart(data)}
    if slug == "kemajuan":
        return {"chart_data": _progress_chart(data)}
    if slug == "terlambat":
        units, people = _overdue_charts(data)
        return {"chart_data": units, "chart_people": people, "tasks_shown": OVERDUE_TASKS_SHOWN,
                "people_shown": OVERDUE_PEOPLE_SHOWN}
    if slug == "durasi":
        return {"chart_data": _duration_chart(data)}
    if slug == "keberatan":
        return {"chart_data": _objection_chart(data)}
    if slug == "tindak-lanjut":
        return {"chart_data": _follow_up_chart(data)}
    return {}


# --- views --------------------------------------------------------------------------------------------------------


@bp.get("/laporan")
@login_required
def index():
    selection, problem = _selection()
    return render_template("reports/index.html", selection=selection, args=_args(selection), reports=REPORTS,
                           slug=None, unit_problem=problem), 422 if problem else 200


@bp.get("/laporan/unit.json")
@login_required
def units():
    """The unit field's type-ahead: the units this user may choose on the reports (403 for those who see none)."""
    if not current_user.is_authenticated:
        abort(401)
    selection = reports.open_selection(get_engine(), current_user.user_id)  # PermissionDenied -> 403
    with get_engine().session_factory() as session:
        return unitpicker.answer(session, selection.allowed)


@bp.get("/laporan/<slug>")
@login_required
def show(slug: str):
    if slug not in RUNNERS:
        abort(404)
    selection, problem = _selection()
    with reports.without_gc_pauses():  # the report, its charts and its HTML: see processes.reports
        data = RUNNERS[slug][0](get_engine(), selection) if selection.period and not problem else None
        charts = _charts(slug, data) if data is not None else {}
        return render_template(f"reports/{slug.replace('-', '_')}.html", selection=selection, args=_args(selection),
                               reports=REPORTS, slug=slug, data=data, kinds=KINDS, tree_status=TREE_STATUS,
                               outcomes=OBJECTION_OUTCOMES, stages=STAGES, deciders=DECIDERS, unit_problem=problem,
                               **charts), 422 if problem else 200


@bp.get("/laporan/<slug>.csv")
@login_required
def export(slug: str):
    if slug not in RUNNERS:
        abort(404)
    selection, problem = _selection()
    if problem:
        abort(404)
    query, shape = RUNNERS[slug]
    engine = get_engine()
    with reports.without_gc_pauses():
        rows = list(shape(query(engine, selection), selection)) if selection.period \
            else [[_("No period has started yet.")]]
    with engine.session_factory.begin() as session:
        audit_service.record(session, "report.exported", engine.now(), session.get(User, current_user.user_id),
                             report=slug, format="csv", period=selection.period,
                             unit=selection.unit.code if selection.unit else "")
    buffer = io.StringIO()
    buffer.write("\ufeff")  # so that spreadsheet programs read the file as UTF-8
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    unit = f"-{selection.unit.code}" if selection.unit else ""
    filename = f"laporan-{slug}-{selection.period or 'kosong'}{unit}.csv"
    return Response(buffer.getvalue(), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})
