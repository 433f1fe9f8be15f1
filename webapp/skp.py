"""SKP saya (the employee's own cycle) and the printable documents: the SKP and the evaluation."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from engine.errors import FormInvalid, NotFound
from engine.services import documents
from processes.assessment_results import recorded_result
from processes.documents import document_context
from processes.queries import copy_previous_skp, my_skp, skp_page
from webapp.extensions import get_engine

bp = Blueprint("skp", __name__)

DOCUMENTS = {"skp": ("documents/skp.html", "SKP"), "evaluasi": ("documents/evaluasi.html", "Evaluasi-Kinerja")}


@bp.get("/skp")
@login_required
def mine():
    return render_template("skp/mine.html", skp=my_skp(get_engine(), current_user.user_id))


@bp.get("/skp/<int:subject_id>")
@bp.get("/skp/<int:subject_id>/<period>")
@login_required
def show(subject_id: int, period: str | None = None):
    """One employee's SKP in one period as a table: the plan, its review, realisations per slice, the rating."""
    if period is not None and (len(period) > 40 or not period.strip()):
        abort(404)
    page = skp_page(get_engine(), current_user.user_id, subject_id, period)
    if page is None:
        abort(403)  # not the employee, one of their superiors, or HR
    # Why the result is final (accepted, no response, or whose decision on the objection): the results table.
    result = recorded_result(get_engine(), subject_id, page.period) if page.assessment_id else None
    return render_template("skp/show.html", skp=page, result=result)


@bp.post("/skp/<period>/salin")
@login_required
def copy_previous(period: str):
    """Fill the open SKP drafting task of this period with last period's SKP, as a draft to check and submit
    (the superior's RHK each row supports is chosen again: they change every period)."""
    if len(period) > 40:
        abort(404)
    engine = get_engine()
    found = copy_previous_skp(engine, current_user.user_id, period)
    if found is None:
        flash(_("There is no earlier SKP of yours to copy, or no SKP of yours to draft in this period."), "warning")
        return redirect(url_for("skp.show", subject_id=current_user.user_id, period=period))
    try:
        documents.save_draft(engine, current_user.user_id, found.task_id, found.data)
    except (FormInvalid, NotFound):
        flash(_("Last period's SKP could not be copied; enter the rows by hand."), "warning")
        return redirect(url_for("skp.show", subject_id=current_user.user_id, period=period))
    flash(_("Copied from your SKP of %(period)s: %(rows)s rows. Choose for each row the superior's RHK it "
            "supports, check the targets, then submit.", rows=found.rows, period=found.from_period), "success")
    return redirect(url_for("tasks.task", task_id=found.task_id))


@bp.get("/instances/<int:instance_id>/dokumen/<kind>")
@login_required
def document(instance_id: int, kind: str):
    if kind not in DOCUMENTS:
        abort(404)
    context = document_context(get_engine(), current_user.user_id, instance_id)  # NotFound -> 404
    template, name = DOCUMENTS[kind]
    html = render_template(template, ctx=context, kind=kind, printing=request.args.get("format") == "pdf")
    if request.args.get("format") != "pdf":
        return html
    from weasyprint import HTML  # imported here: loading pango costs time that other pages need not pay

    pdf = HTML(string=html, base_url=request.url_root).write_pdf()
    filename = f"{name}-{context.instance.period or 'periode'}-{context.instance.id}.pdf"
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})
