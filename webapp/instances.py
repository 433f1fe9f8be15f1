"""The instance page (diagram, timeline, data) and document downloads; both check the user may see them."""

from __future__ import annotations

from flask import Blueprint, Response, render_template
from flask_login import current_user, login_required

from engine.queries.instance import instance_detail
from engine.services.documents import documents_of, get_document
from webapp.extensions import get_engine

bp = Blueprint("instances", __name__)


@bp.get("/instances/<int:instance_id>")
@login_required
def show(instance_id: int):
    engine = get_engine()
    detail = instance_detail(engine, current_user.user_id, instance_id)  # NotFound -> 404
    return render_template("instances/show.html", detail=detail, documents=documents_of(engine, instance_id))


@bp.get("/documents/<int:document_id>")
@login_required
def document(document_id: int):
    stored = get_document(get_engine(), current_user.user_id, document_id)  # NotFound -> 404
    disposition = "inline" if stored.inline else "attachment"
    response = Response(stored.content, mimetype=stored.ref.content_type if stored.inline else
                        "application/octet-stream")
    response.headers["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{_quote(stored.ref.filename)}"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["ETag"] = stored.ref.sha256
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")
