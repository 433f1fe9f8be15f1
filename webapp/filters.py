"""Template filters that show process data to people: document links, lists of rows, sizes."""

from __future__ import annotations

from typing import Any

from flask import Flask, url_for
from markupsafe import Markup, escape

from engine.documents import parse_ref


def filesize(value: Any) -> str:
    size = int(value or 0)
    if size >= 2**20:
        return f"{size / 2**20:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"


def fieldvalue(value: Any) -> Markup:
    """Render a process value readably: documents as links, rows as a small table, the rest as text."""
    ref = parse_ref(value)
    if ref is not None:
        href = url_for("instances.document", document_id=ref.id)
        return Markup(f'&#128206; <a href="{escape(href)}">{escape(ref.filename)}</a> '
                      f'<span class="text-body-secondary">({escape(filesize(ref.size))})</span>')
    if value is None or value == "":
        return Markup("—")
    if isinstance(value, bool):
        return Markup("&#10003;" if value else "&#10007;")
    if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
        keys = list(dict.fromkeys(k for r in value for k in r))
        head = "".join(f"<th>{escape(k)}</th>" for k in keys)
        body = "".join("<tr>" + "".join(f"<td>{fieldvalue(r.get(k))}</td>" for k in keys) + "</tr>" for r in value)
        return Markup(f'<table class="table table-sm table-bordered mb-0"><thead><tr>{head}</tr></thead>'
                      f"<tbody>{body}</tbody></table>")
    if isinstance(value, list):
        return Markup(", ").join(fieldvalue(v) for v in value)
    if isinstance(value, dict):
        return Markup("; ").join(Markup(f"{escape(k)}: ") + fieldvalue(v) for k, v in value.items())
    return Markup(escape(str(value)))


_EVENTS = {
    "instance.started": ("Proses dimulai", "Process started"),
    "instance.completed": ("Proses selesai", "Process completed"),
    "instance.errored": ("Galat", "Error"),
    "instance.suspended": ("Ditangguhkan", "Suspended"),
    "instance.resumed": ("Dilanjutkan", "Resumed"),
    "instance.terminated": ("Dihentikan", "Terminated"),
    "task.ready": ("Tugas siap", "Task ready"),
    "task.completed": ("Tugas selesai", "Task completed"),
    "task.claimed": ("Tugas diambil", "Task claimed"),
    "task.released": ("Tugas dilepas", "Task released"),
    "task.reassigned": ("Tugas dialihkan", "Task reassigned"),
    "document.uploaded": ("Bukti dukung diunggah", "Evidence uploaded"),
    "timer.fired": ("Pengatur waktu", "Timer fired"),
}


def eventlabel(kind: str) -> str:
    from webapp.i18n import bi

    pair = _EVENTS.get(kind)
    return bi(*pair) if pair else kind


def init_app(app: Flask) -> None:
    app.jinja_env.filters["eventlabel"] = eventlabel
    app.jinja_env.filters["filesize"] = filesize
    app.jinja_env.filters["fieldvalue"] = fieldvalue
