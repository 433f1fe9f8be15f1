"""Template filters that show process data to people: document links, lists of rows, sizes."""

from __future__ import annotations

from typing import Any

from flask import Flask, url_for
from flask_babel import gettext
from markupsafe import Markup, escape

from engine.services.documents import parse_ref
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


_EVENTS = {
    "instance.started": N_("Process started"),
    "instance.completed": N_("Process completed"),
    "instance.errored": N_("Error"),
    "instance.suspended": N_("Suspended"),
    "instance.resumed": N_("Resumed"),
    "instance.terminated": N_("Terminated"),
    "instance.retried": N_("Retried"),
    "task.ready": N_("Task ready"),
    "task.completed": N_("Task completed"),
    "task.claimed": N_("Task claimed"),
    "task.released": N_("Task released"),
    "task.reassigned": N_("Task reassigned"),
    "task.unassigned": N_("Task nobody can act on"),
    "task.fallback": N_("Task offered to the stand-in groups (nobody in its lane can act)"),
    "task.fallback_ended": N_("Stand-ins no longer named: someone in the task's lane can act again"),
    "document.uploaded": N_("Evidence uploaded"),
    "timer.fired": N_("Timer fired"),
    "message.delivered": N_("Message delivered"),
    "message.kept": N_("Message kept"),
    "deferred_start.written": N_("Cases requested (the background worker starts them)"),
    "deferred_start.failed": N_("A requested case could not be started"),
    "deferred_start.retried": N_("Cases that could not be started put back in the queue"),
}


def eventlabel(kind: str) -> str:
    label = _EVENTS.get(kind)
    return gettext(label) if label else kind


_PREDIKAT_TONE = {"Sangat Baik": "success", "Baik": "success", "Istimewa": "success", "Butuh Perbaikan": "warning",
                  "Cukup": "warning", "Kurang": "danger", "Kurang/Misconduct": "danger", "Sangat Kurang": "danger",
                  "Buruk": "danger"}


def predikat_badge(predikat: Any) -> str:
    """Return the Bootstrap badge class for a predikat: green for good ratings, amber and red below."""
    return f"text-bg-{_PREDIKAT_TONE.get(str(predikat), 'secondary')}"


def init_app(app: Flask) -> None:
    app.jinja_env.globals["icon"] = icon
    app.jinja_env.filters["predikat_badge"] = predikat_badge
    app.jinja_env.filters["eventlabel"] = eventlabel
    app.jinja_env.filters["filesize"] = filesize
    app.jinja_env.filters["fieldvalue"] = fieldvalue
