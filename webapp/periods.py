"""Periode kinerja (/periode): Biro SDM opens a performance period from the web and follows its progress.

The list and the form are for Biro SDM and administrators (others 403); opening is for Biro SDM, whose lane the
model gives the opening to. Opening takes two posts: the entries are checked and summarised (how many employees
get a planning case), then confirmed; nothing is started until the confirmation, and a refused entry keeps what
was typed. The work is ``processes.periods``; the audit trail records the case and the entries.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from engine.access import group_names
from engine.errors import FormInvalid
from processes.lanes import HR_GROUP
from processes.periods import STATUS_WORDS, check_period, open_period, parse_iku, periods_page, retry_planning
from webapp import unitpicker
from webapp.extensions import get_engine
from webapp.i18n import tr, translate

bp = Blueprint("periods", __name__)

FIELDS = ("tahun", "jenis_periode", "regime", "frekuensi", "batas_skp", "batas_penilaian", "maks_putaran",
          "unit_cakupan", "iku")


def _iku_text(rows: list[dict[str, str]]) -> str:
    return "\n".join(f"{r.get('unit_code', '')}; {r.get('kode', '')}; {r.get('nama', '')}; {r.get('target', '')}"
                     for r in rows)


def _unit(form: MultiDict[str, str]) -> unitpicker.Resolved:
    """The unit typed or chosen in the Units field (an active unit: a period starts cases in units that exist)."""
    with get_engine().session_factory() as session:
        return unitpicker.resolve(session, form.get("unit_cakupan") or "", active_only=True)


def _values(form: MultiDict[str, str], unit: unitpicker.Resolved) -> dict[str, Any]:
    """The posted entries as the period form takes them (numbers as numbers when they are numbers; the unit by its
    code, or as typed when it names none, which ``check_period`` refuses); the IKU lines are read by ``parse_iku``
    (FormInvalid names a bad line)."""
    values: dict[str, Any] = {k: (form.get(k) or "").strip()[:4000] for k in FIELDS if k != "iku"}
    values["unit_cakupan"] = unit.unit.code if unit.unit is not None else unit.text
    for key in ("tahun", "maks_putaran"):
        try:
            values[key] = int(values[key])
        except ValueError:
            pass  # the form's schema names it
    values["iku_organisasi"] = parse_iku((form.get("iku") or "")[:100_000])
    return values


def _errors(exc: FormInvalid, unit: unitpicker.Resolved) -> dict[str, str]:
    errors: dict[str, str] = {}
    for e in exc.errors:
        key = (e.path or "tahun").split(".", 1)[0]
        key = "iku" if key == "iku_organisasi" else key
        errors[key] = (errors[key] + " " if key in errors else "") + translate(e.message)
    if unit.problem:  # no unit, or several, by that name: said in the picker's words
        errors["unit_cakupan"] = unit.problem
    return errors


def _form(unit: unitpicker.Resolved) -> dict[str, str]:
    """The entries as posted, to show again; a unit found shows as "CODE — Name"."""
    form = {k: (request.form.get(k) or "")[:100_000] for k in FIELDS}
    if unit.unit is not None:
        form["unit_cakupan"] = unitpicker.label(unit.unit)
    return form


def _page(form: dict[str, str] | None = None, errors: dict[str, str] | None = None, status: int = 200):
    page = periods_page(get_engine(), current_user.user_id)  # PermissionDenied -> 403
    if form is None:
        year = page.year
        form = {"tahun": str(year), "jenis_periode": "tahunan", "regime": "C", "frekuensi": "triwulanan",
                "batas_skp": f"{year}-01-31", "batas_penilaian": f"{year + 1}-01-31", "maks_putaran": "3",
                "unit_cakupan": "", "iku": _iku_text(page.iku)}
    return render_template("periods/index.html", page=page, form=form, errors=errors or {},
                           status_words=STATUS_WORDS), status


@bp.get("/periode")
@login_required
def index():
    return _page()


@bp.get("/periode/unit.json")
@login_required
def units():
    """The Units field's type-ahead: the active units, for Biro SDM (who alone may open a period; 403 otherwise)."""
    with get_engine().session_factory() as session:
        if HR_GROUP not in group_names(session, current_user.user_id):
            abort(403)
        return unitpicker.answer(session, None, active_only=True)


@bp.post("/periode/periksa")
@login_required
def check():
    """Check the entries and show what opening would do, with a button to confirm."""
    unit = _unit(request.form)
    form = _form(unit)
    try:
        checked = check_period(get_engine(), current_user.user_id, _values(request.form, unit))
    except FormInvalid as exc:
        return _page(form, _errors(exc, unit), 422)
    return render_template("periods/confirm.html", checked=checked, form=form)


@bp.post("/periode/ubah")
@login_required
def edit():
    """Back from the summary to the form, with the entries as they were."""
    return _page({k: (request.form.get(k) or "")[:100_000] for k in FIELDS})


@bp.post("/periode/buka")
@login_required
def open_():
    unit = _unit(request.form)
    form = _form(unit)
    if request.form.get("confirm") != "1":
        return _page(form, {"tahun": _("Confirm the opening on the summary page.")}, 422)
    try:
        opened = open_period(get_engine(), current_user.user_id, _values(request.form, unit))
    except FormInvalid as exc:
        return _page(form, _errors(exc, unit), 422)
    if opened.task_id is not None:
        flash(_("The model sent the entries back; fix them in the opening form: %(problems)s",
                problems="; ".join(tr(p) for p in opened.problems) or "—"), "warning")
        return redirect(url_for("tasks.task", task_id=opened.task_id))
    flash(_("Period %(period)s is open: %(count)s employees get a planning case. The background worker starts "
            "them one by one; the Planning cases column counts them as they start.", period=opened.period,
            count=opened.planning), "success")
    return redirect(url_for("periods.index"))


@bp.post("/periode/<int:case_id>/ulangi")
@login_required
def retry(case_id: int):
    """Start again the planning cases that could not be started (after the process owner fixed the model)."""
    count = retry_planning(get_engine(), current_user.user_id, case_id)  # PermissionDenied -> 403, NotFound -> 404
    if count:
        flash(_("%(count)s planning cases will be started again by the background worker.", count=count), "success")
    else:
        flash(_("No planning case of this period is waiting to be started again."), "info")
    return redirect(url_for("periods.index"))
