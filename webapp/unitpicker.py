"""The unit pickers of the reports, the audit search and the period form: a text field with a type-ahead
(static/combobox.js and static/userpicker.js) instead of a list of every unit, which a ministry has thousands of.

Each page has its own JSON address (``/laporan/unit.json``, ``/audit/unit.json``, ``/periode/unit.json``) behind
the page's own check, and passes the units that page lets the user choose (``allowed``; None: every unit). Choosing
an answer puts ``"CODE — Name"`` in the field; without JavaScript the server reads what was typed (``resolve``): a
code, ``"CODE — Name"``, an exact name, or (old links) a unit's number.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from flask import Response, abort, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, aliased

from engine.db.org import Unit
from webapp.args import int_arg

LIMIT = 20  # answers the type-ahead shows (at most 50 asked)
MAX_QUERY = 300  # characters of ``q``: a code and a name, as the field holds them ("CODE — Name")
SEPARATOR = " — "


class Named(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...


def label(unit: Named | None) -> str:
    """What the field shows for a chosen unit (a Unit or the reports' UnitInfo): its code and name, which
    ``resolve`` reads back. The templates call it ``unit_label``."""
    return f"{unit.code}{SEPARATOR}{unit.name}" if unit is not None else ""


def _words(text: str) -> list[str]:
    return [w for w in text.split() if w not in ("—", "-")]


def search(session: Session, text: str, allowed: Collection[int] | None, *, active_only: bool = False,
           limit: int = LIMIT) -> list[dict[str, str]]:
    """The units among ``allowed`` whose code or name contains every word of ``text`` (case-insensitive, at least
    2 characters), at most ``limit`` (1..50): the exact code or name first, then names starting with the text, then
    by name and code. Each answer's detail names the code and the parent unit, to tell two "Subbagian Umum" apart."""
    words, limit = _words(text), max(1, min(limit, 50))
    if len("".join(words)) < 2 or (allowed is not None and not allowed):
        return []
    parent = aliased(Unit)
    query = select(Unit, parent.name).outerjoin(parent, parent.id == Unit.parent_id)
    if active_only:
        query = query.where(Unit.active)
    if allowed is not None:
        query = query.where(Unit.id.in_(list(allowed)))
    for word in words:
        query = query.where(or_(Unit.code.icontains(word, autoescape=True), Unit.name.icontains(word, autoescape=True)))
    whole = " ".join(words).lower()
    rank = case((or_(func.lower(Unit.code) == whole, func.lower(Unit.name) == whole), 0),
                (func.lower(Unit.name).startswith(whole, autoescape=True), 1),
                (func.lower(Unit.code).startswith(whole, autoescape=True), 2), else_=3)
    rows = session.execute(query.order_by(rank, Unit.name, Unit.code).limit(limit))
    return [{"value": label(unit), "label": unit.name,
             "detail": " · ".join(x for x in (unit.code, _("in %(unit)s", unit=parent_name) if parent_name else "",
                                              "" if unit.active else _("no longer in the organisation")) if x)}
            for unit, parent_name in rows]


def answer(session: Session, allowed: Collection[int] | None, *, active_only: bool = False) -> Response:
    """The JSON answer of a page's unit type-ahead: ``{"items": [{value, label, detail}]}``; 400 when ``q`` is
    longer than a code and a name."""
    text = request.args.get("q", "")
    if len(text) > MAX_QUERY:
        abort(400)
    limit = int_arg(request.args, "limit")
    items = search(session, text, allowed, active_only=active_only, limit=LIMIT if limit is None else limit)
    response = jsonify({"items": items})
    response.headers["Cache-Control"] = "no-store"
    return response


@dataclass(frozen=True)
class Resolved:
    """What a unit field's text stands for: the unit, or why none (``problem``, in the user's language)."""

    text: str  # as typed (cut to MAX_QUERY)
    unit: Unit | None = None
    problem: str = ""


def resolve(session: Session, text: str, allowed: Collection[int] | None = None, *, active_only: bool = False,
            by_id: bool = False) -> Resolved:
    """The unit that ``text`` names: its code (also as ``"CODE — Name"``, what the type-ahead puts), else its exact
    name (case-insensitive) among ``allowed``, else (``by_id``: the links before the type-ahead) its number. A code
    or number is looked up among every unit, so that the page can refuse one outside the user's units as before;
    an empty text is no unit and no problem."""
    text = text.strip()[:MAX_QUERY]
    if not text:
        return Resolved(text)
    where = [Unit.active] if active_only else []
    codes = [text, text.split(SEPARATOR, 1)[0].strip()] if SEPARATOR in text else [text]
    for code in codes:
        unit = session.scalar(select(Unit).where(Unit.code == code, *where))
        if unit is None:
            found = session.scalars(select(Unit).where(func.lower(Unit.code) == code.lower(), *where)).all()
            unit = found[0] if len(found) == 1 else None
        if unit is not None:
            return Resolved(text, unit)
    name = text.split(SEPARATOR, 1)[1].strip() if SEPARATOR in text else text
    query = select(Unit).where(func.lower(Unit.name) == name.lower(), *where)
    if allowed is not None:
        query = query.where(Unit.id.in_(list(allowed)))
    named = session.scalars(query.order_by(Unit.code).limit(2)).all()
    if len(named) == 1:
        return Resolved(text, named[0])
    if named:
        return Resolved(text, None, _("Several units are named “%(text)s”: choose one from the list or type its "
                                      "code.", text=name))
    number = int_arg({"id": text}, "id") if by_id and text.isdigit() else None
    unit = session.get(Unit, number) if number is not None else None
    if unit is not None and (unit.active or not active_only):
        return Resolved(text, unit)
    return Resolved(text, None, _("No unit matches “%(text)s”: type part of its name or code and choose from the "
                                  "list.", text=text))

