"""SKP saya (the employee's own cycle) and the printable documents: the SKP and the evaluation."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user, login_required

from processes.documents import document_context
from processes.queries import my_skp, skp_page
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
    return render_template("skp/show.html", skp=page)


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
