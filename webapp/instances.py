"""The instance page (what the process is doing, who it waits for, diagram, timeline) and document downloads;
both check the user may see them.

People read the process in words: its status and live steps, who each open task waits for, a timeline with
labels instead of event codes, and a link to the SKP page for the SKP-related data. The raw process data and the
submitted values by their internal names are shown to administrators and process owners only."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template
from flask_babel import gettext
from flask_login import current_user, login_required

from engine.queries.instance import InstanceDetail, instance_detail
from engine.services.documents import documents_of, get_document
from webapp.extensions import get_engine
from webapp.filters import eventlabel
from webapp.i18n import N_
from webapp.i18n import fmt_datetime as dt

bp = Blueprint("instances", __name__)

# What a process waits for when it waits for a message from another process, in people's words.
_MESSAGES = {"rhk_atasan_siap": N_("the superior's SKP and Matriks Peran Hasil"),
             "kurva_unit_diputuskan": N_("the unit's decision on the distribution curve")}
SKP_PROCESSES = ("smk_perencanaan", "smk_pemantauan", "smk_penilaian", "smk_tindak_lanjut")


def event_label(kind: str) -> str:
    """A timeline event in words: the shared labels (``webapp.filters``), or a neutral 'Process event' (never the
    code)."""
    label = eventlabel(kind)
    return label if label != kind else gettext("Process event")


def summary(detail: InstanceDetail) -> list[str]:
    """What the process is doing now, in sentences, for the top of the page."""
    status = detail.status
    if status == "error":
        return [gettext("The process stopped with an error; the administrators have been told and will repair it.")]
    if status == "suspended":
        return [gettext("An administrator has suspended this process: its tasks cannot be done until it is "
                        "resumed.")]
    if status == "terminated":
        return [gettext("An administrator has stopped this process; nothing more will happen in it.")]
    if status == "completed":
        when = dt(detail.completed_at) if detail.completed_at else ""
        return [gettext("The process is finished (%(when)s).", when=when) if when else
                gettext("The process is finished.")]
    lines = []
    if detail.doing:
        lines.append(gettext("Now: %(steps)s.", steps=", ".join(detail.doing)))
    for task in detail.open_tasks:
        if task.mine:
            lines.append(gettext("Waiting for you to do “%(task)s”.", task=task.title))
        else:
            lines.append(gettext("Waiting for %(who)s to do “%(task)s”.", who=task.waits_for or gettext("someone"),
                                 task=task.title))
    for name in detail.waiting_messages:
        if name in _MESSAGES and not detail.open_tasks:
            lines.append(gettext("Waiting for %(what)s; it continues by itself.", what=gettext(_MESSAGES[name])))
    if not detail.open_tasks and detail.next_timer_at is not None:
        lines.append(gettext("Continues by itself on %(when)s.", when=dt(detail.next_timer_at)))
    return lines or [gettext("The process is running.")]


def skp_link(detail: InstanceDetail) -> dict[str, Any] | None:
    """The SKP page this process belongs to (the SKP-related data is read there), or None."""
    if detail.subject_id and detail.period and detail.process_id in SKP_PROCESSES:
        return {"subject_id": detail.subject_id, "period": detail.period}
    return None


@bp.get("/instances/<int:instance_id>")
@login_required
def show(instance_id: int):
    engine = get_engine()
    detail = instance_detail(engine, current_user.user_id, instance_id)  # NotFound -> 404
    return render_template("instances/show.html", detail=detail, documents=documents_of(engine, instance_id),
                           summary=summary(detail), skp=skp_link(detail), event_label=event_label)


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
