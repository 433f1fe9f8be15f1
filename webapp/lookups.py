"""Type-ahead lookups of task forms: a text field whose UI schema names one (``"ui:options": {"lookup": name}``)
offers matches from ``GET /tasks/<task_id>/lookup/<name>?q=…`` (``tasks.lookup``; front end static/lookup.js).

A lookup answers only for a task the user may act on whose form names it, and only from what that task concerns
(the calibration's lookup: the staff of the unit its subject heads). The field stays a plain text field: the
model checks whatever is posted, chosen from the list or typed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy.orm import Session

from engine.core import Engine
from engine.db.runtime import Instance
from engine.services.instances import TaskView
from processes.operations import kalibrasi_staf
from webapp.formrender import lookup_of

LIMIT, MOST = 20, 50  # matches per answer: by default, and at most when the page asks for more
MAX_QUERY = 100  # characters of the typed text a lookup reads

Finder = Callable[[Session, Instance, dict[str, Any], str, int], list[dict[str, Any]]]


@dataclass(frozen=True)
class Lookup:
    """What a lookup finds (``find(session, instance, task data, text, limit)``: choices with ``value``, what the
    field receives, ``label`` and ``detail``, what the list shows) and what the list says when nothing matches."""

    find: Finder
    empty: Any  # a lazy text, translated when answered


def _calibration_staff(session: Session, instance: Instance, data: dict[str, Any], text: str,
                       limit: int) -> list[dict[str, Any]]:
    """The unit head's "Perubahan lain": the unit's curve staff with a proposal in the period
    (``processes.operations.kalibrasi_staf``), each with the NIP (or user name) the field takes."""
    return [{"value": c.kunci, "label": c.nama, "name": c.nama, "nip": c.nip, "username": c.username,
             "position": c.jabatan, "predikat": c.predikat_usulan, "listed": c.di_tabel,
             "detail": " · ".join(part for part in (
                 c.nip or c.username, c.jabatan,
                 _("proposed: %(predikat)s", predikat=c.predikat_usulan) if c.predikat_usulan else "",
                 _("listed in the table above") if c.di_tabel else "") if part)}
            for c in kalibrasi_staf(session, instance, data, text, limit)]


LOOKUPS: dict[str, Lookup] = {
    "kalibrasi_staf": Lookup(_calibration_staff, lazy_gettext("Nobody in this unit's curve with a proposal matches")),
}


def named_lookups(ui: Any) -> set[str]:
    """Return every lookup a form's UI schema names, in any field or row field."""
    if not isinstance(ui, dict):
        return set()
    found = {lookup_of(ui)} - {""}
    for key, value in ui.items():
        if not key.startswith("ui:"):
            found |= named_lookups(value)
    return found


def answer(engine: Engine, view: TaskView, name: str, text: str, limit: int) -> dict[str, Any] | None:
    """Run the lookup ``name`` of the task's form for ``text``: ``{"choices": [...], "empty": message}``, or None
    when the form names no such lookup. Less than two characters find nothing (every NIP starts alike)."""
    lookup = LOOKUPS.get(name)
    if lookup is None or name not in named_lookups(view.ui_schema):
        return None
    text = text.strip()[:MAX_QUERY]
    choices: list[dict[str, Any]] = []
    if len(text) >= 2:
        with engine.session_factory() as session:
            instance = session.get(Instance, view.instance_id)
            if instance is not None:
                choices = lookup.find(session, instance, view.data, text, max(1, min(limit, MOST)))
    return {"choices": choices, "empty": str(lookup.empty)}
