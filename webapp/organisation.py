"""Organisation pages for Biro SDM and administrators: acting officials (Plt/Plh); the import
(webapp/org_import.py) and the users (webapp/org_users.py) add their routes to this blueprint."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from engine.access import LANES, in_role
from engine.db.org import Position, User
from engine.errors import FormInvalid, NotFound
from engine.services import acting
from webapp.args import int_arg
from webapp.extensions import get_engine
from webapp.i18n import shown, translate

bp = Blueprint("organisation", __name__, url_prefix="/organisasi")


@bp.before_request
@login_required
def only_org_admins():
    """Biro SDM and administrators only; others get 403."""
    with get_engine().session_factory() as session:
        if not in_role(session, current_user.user_id, LANES.roles.org_admins):
            abort(403)
    return None


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _lookup(position_text: str, person_text: str) -> tuple[int | None, int | None]:
    """The position and person typed or picked from the lists ("CODE — title", "NIP — name" or a username)."""
    code = position_text.split(" — ", 1)[0].strip()
    key = person_text.split(" — ", 1)[0].strip()
    with get_engine().session_factory() as session:
        position_id = session.scalar(select(Position.id).where(Position.code == code)) if code else None
        person_id = session.scalar(select(User.id).where((User.nip == key) | (User.username == key))) if key else None
    return position_id, person_id


def _page(form: dict[str, str] | None = None, errors: dict[str, str] | None = None, status: int = 200):
    engine = get_engine()
    rows = acting.list_acting(engine, current_user.user_id, include_ended=request.args.get("ended") == "1")
    return render_template("organisation/acting.html", rows=rows,
                           form=form or {}, errors=errors or {}, show_ended=request.args.get("ended") == "1"), status


@bp.get("/plt")
def acting_list():
    return _page()


def _choices_json(found: list[acting.Choice]):
    response = jsonify({"items": [{"id": c.id, "value": c.value, "label": c.label, "detail": c.detail}
                                  for c in found]})
    response.headers["Cache-Control"] = "no-store"
    return response


def _limit() -> int:
    limit = int_arg(request.args, "limit")
    return acting.PICKER_LIMIT if limit is None else limit


@bp.get("/plt/jabatan.json")
def acting_positions():
    """The position field's type-ahead: active positions matching ``q`` (code, title, unit, holder), at most 20."""
    return _choices_json(acting.position_choices(get_engine(), current_user.user_id, request.args.get("q", ""),
                                                 _limit()))


@bp.get("/plt/pegawai.json")
def acting_people():
    """The acting official field's type-ahead: active people matching ``q`` (name, NIP, username, position)."""
    return _choices_json(acting.person_choices(get_engine(), current_user.user_id, request.args.get("q", ""),
                                               _limit()))


@bp.post("/plt")
def acting_add():
    form = {k: (request.form.get(k) or "").strip()[:300] for k in ("position", "person", "kind", "starts_on", "ends_on", "note")}
    position_id, person_id = _lookup(form["position"], form["person"])
    try:
        acting.name_acting(get_engine(), current_user.user_id, position_id, person_id, form["kind"],
                           _day(form["starts_on"]), _day(form["ends_on"]), form["note"])
    except FormInvalid as exc:
        names = {"position_id": "position", "user_id": "person"}
        errors = {names.get(e.path, e.path): translate(e.message) for e in exc.errors}
        return _page(form, errors, 422)
    flash(_("The acting official is named; from the first day they see the position's tasks."), "success")
    return redirect(url_for("organisation.acting_list"))


@bp.post("/plt/<int:assignment_id>/akhiri")
def acting_end(assignment_id: int):
    try:
        acting.end_acting(get_engine(), current_user.user_id, assignment_id, request.form.get("reason", "")[:2000])
    except FormInvalid as exc:
        flash(shown(exc), "danger")
        return redirect(url_for("organisation.acting_list"))
    except NotFound:
        abort(404)
    flash(_("The acting assignment has ended."), "success")
    return redirect(url_for("organisation.acting_list"))


from webapp import org_import, org_structure, org_users  # noqa: E402, F401  (their routes join this blueprint)
