"""Template filters that show process data to people: document links, lists of rows, sizes."""

from __future__ import annotations

from typing import Any

from flask import Flask, url_for
from flask_babel import gettext
from markupsafe import Markup, escape

from engine.services.documents import parse_ref
from webapp import unitpicker
from webapp.i18n import N_, tr

# Small inline icons (Bootstrap Icons paths, MIT): emoji fonts are missing on many office machines.
_ICONS = {
    "clip": "M4.5 3a2.5 2.5 0 0 1 5 0v9a1.5 1.5 0 0 1-3 0V5a.5.5 0 0 1 1 0v7a.5.5 0 0 0 1 0V3a1.5 1.5 0 1 0-3 0v9a2.5 "
            "2.5 0 0 0 5 0V5a.5.5 0 0 1 1 0v7a3.5 3.5 0 1 1-7 0V3z",
    "wait": "M8 3.5a.5.5 0 0 0-1 0V9a.5.5 0 0 0 .252.434l3.5 2a.5.5 0 0 0 .496-.868L8 8.71V3.5zM8 16A8 8 0 1 0 8 0a8 8 0 0 0 "
            "0 16zm7-8A7 7 0 1 1 1 8a7 7 0 0 1 14 0z",
}


def icon(name: str) -> Markup:
    return Markup(f'<svg class="icon" aria-hidden="true" width="14" height="14" viewBox="0 0 16 16" '
                  f'fill="currentColor"><path d="{_ICONS[name]}"/></svg>')


def filesize(value: Any) -> str:
    size = int(value or 0)
    if size >= 2**20:
        return f"{size / 2**20:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"


def fieldvalue(value: Any, titles: dict[str, str] | None = None) -> Markup:
    """Render a process value readably: documents as links, rows as a small table, the rest as text.

    ``titles`` names the columns of a table of rows (from the form schema), in the current language; when
    given, only those columns are shown (the form decides what a table shows, not whatever the data holds).
    """
    ref = parse_ref(value)
    if ref is not None:
        href = url_for("instances.document", document_id=ref.id)
        return icon("clip") + Markup(f' <a href="{escape(href)}">{escape(ref.filename)}</a> '
                      f'<span class="text-body-secondary">({escape(filesize(ref.size))})</span>')
    if value is None or value == "":
        return Markup("—")
    if isinstance(value, bool):
        return Markup("&#10003;" if value else "&#10007;")
    if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
        titles = titles or {}
        keys = list(titles) if titles else list(dict.fromkeys(k for r in value for k in r))
        head = "".join(f"<th>{escape(tr(titles.get(k, k)))}</th>" for k in keys)
        body = "".join("<tr>" + "".join(f"<td>{fieldvalue(r.get(k))}</td>" for k in keys) + "</tr>" for r in value)
        return Markup(f'<div class="table-responsive"><table class="table table-sm table-bordered mb-0">'
                      f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")
    if isinstance(value, list):
        return Markup(", ").join(fieldvalue(v) for v in value)
    if isinstance(value, dict):
        return Markup("; ").join(Markup(f"{escape(k)}: ") + fieldvalue(v) for k, v in value.items())
    return Markup(escape(str(value)))


# Every kind of audit event in people's words: the audit search and its kinds, the history, the instance pages.
# One list (tests/webapp/test_event_labels.py checks that every kind the code records is in it).
_EVENTS = {
    "instance.started": N_("Process started"),
    "instance.completed": N_("Process completed"),
    "instance.errored": N_("Process stopped with an error"),
    "instance.suspended": N_("Process suspended"),
    "instance.resumed": N_("Process resumed"),
    "instance.terminated": N_("Process terminated"),
    "instance.retried": N_("Process retried"),
    "instance.migrated": N_("Moved to a newer version of the model"),
    "task.ready": N_("Task ready"),
    "task.completed": N_("Task completed"),
    "task.claimed": N_("Task claimed"),
    "task.released": N_("Task released"),
    "task.reassigned": N_("Task reassigned"),
    "task.unassigned": N_("Nobody can act on the task"),
    "task.fallback": N_("Task offered to the stand-in groups (nobody in its lane can act)"),
    "task.fallback_ended": N_("Stand-ins no longer named: someone in the task's lane can act again"),
    "document.uploaded": N_("Evidence uploaded"),
    "document.removed": N_("Evidence removed"),
    "timer.fired": N_("Deadline reached"),
    "message.delivered": N_("Message delivered"),
    "message.kept": N_("Message kept for later"),
    "deferred_start.written": N_("Cases requested (the background worker starts them)"),
    "deferred_start.failed": N_("A requested case could not be started"),
    "deferred_start.retried": N_("Cases that could not be started put back in the queue"),
    "deployment.created": N_("Models deployed"),
    "workspace.draft_saved": N_("Model draft saved"),
    "workspace.validated": N_("Model draft validated"),
    "workspace.deployed": N_("Deployed from the workspace"),
    "workspace.deploy_refused": N_("Deployment refused"),
    "workspace.draft_discarded": N_("Model draft discarded"),
    "workspace.conflict_resolved": N_("Model draft conflict settled"),
    "login": N_("Logged in"),
    "login.failed": N_("Failed login"),
    "login.locked": N_("Sign-in locked after failed attempts"),
    "logout": N_("Logged out"),
    "sessions.ended": N_("Signed out everywhere"),
    "account.preferences": N_("E-mail notifications changed"),
    "account.activated": N_("Account activated"),
    "account.deactivated": N_("Account deactivated"),
    "account.link_issued": N_("Password link made"),
    "account.password_set": N_("Password set"),
    "audit.exported": N_("Audit exported"),
    "report.exported": N_("Report exported"),
    "result.recorded": N_("Result recorded"),
    "org.imported": N_("Organisation imported"),
    "org.exported": N_("Organisation exported"),
    "org.demo_loaded": N_("Demo organisation loaded"),
    "org.employee_moved": N_("Employee moved"),
    "org.assessor_override": N_("Acting assessor named"),
    "org.position_superior_changed": N_("Superior position changed"),
    "org.group_added": N_("Added to a group"),
    "org.group_removed": N_("Removed from a group"),
    "org.acting_named": N_("Acting official named"),
    "org.acting_ended": N_("Acting official ended early"),
    "org.acting_started": N_("Acting official's first day"),
    "org.acting_lapsed": N_("Acting official's last day passed"),
    "smk.predikat_usulan": N_("Predikat proposed for the curve check"),
    "smk.hasil_penilaian": N_("Assessment result recorded"),
    "smk.hasil_penilaian_dipindahkan": N_("Earlier assessment results copied into the results table"),
    "smk.hasil_dipindahkan": N_("Earlier curve proposals and unit ratings copied into the results table"),
    "smk.rekomendasi_tindak_lanjut": N_("Follow-up recommendation recorded"),
    "smk.rekomendasi_tindak_lanjut_dipindahkan": N_("Earlier follow-up recommendations copied into the results table"),
    "smk.predikat_unit": N_("Unit rating set"),
    "smk.kalibrasi_kurva": N_("Unit's ratings calibrated against the curve"),
    "smk.kurva_sesuai": N_("Unit's ratings fit the distribution curve"),
    "smk.pengingat": N_("Deadline reminder sent"),
}
# The audit search's choices that stand for every kind beginning with them.
EVENT_GROUPS = {
    "task.": N_("Tasks: every event"),
    "instance.": N_("Processes: every event"),
    "message.": N_("Messages between processes"),
    "workspace.": N_("Model workspace: every event"),
    "org.": N_("Organisation: every change"),
    "account.": N_("Accounts: every change"),
    "smk.": N_("SKP results and curve decisions"),
}


def eventlabel(kind: str) -> str:
    """An audit event's kind in words (or a group of kinds, "task."); a kind no list names stays as it is."""
    label = _EVENTS.get(kind) or EVENT_GROUPS.get(kind)
    return gettext(label) if label else kind


_PREDIKAT_TONE = {"Sangat Baik": "success", "Baik": "success", "Istimewa": "success", "Butuh Perbaikan": "warning",
                  "Cukup": "warning", "Kurang": "danger", "Kurang/Misconduct": "danger", "Sangat Kurang": "danger",
                  "Buruk": "danger"}


def predikat_badge(predikat: Any) -> str:
    """Return the Bootstrap badge class for a predikat: green for good ratings, amber and red below."""
    return f"text-bg-{_PREDIKAT_TONE.get(str(predikat), 'secondary')}"


def init_app(app: Flask) -> None:
    app.jinja_env.globals["icon"] = icon
    app.jinja_env.globals["unit_label"] = unitpicker.label
    app.jinja_env.filters["predikat_badge"] = predikat_badge
    app.jinja_env.filters["eventlabel"] = eventlabel
    app.jinja_env.filters["filesize"] = filesize
    app.jinja_env.filters["fieldvalue"] = fieldvalue
