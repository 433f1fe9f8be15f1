"""The units and positions tree (/organisasi/struktur), one position's superior (/organisasi/jabatan/<id>) and the
groups (/organisasi/grup) for Biro SDM and administrators; the routes join the organisation blueprint, whose
``before_request`` lets only them in. Services check the role again and raise for anything else."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from engine.errors import FormInvalid, NotFound, PermissionDenied
from engine.services import org, structure
from webapp.extensions import get_engine
from webapp.i18n import shown, translate
from webapp.organisation import bp


def _number(name: str) -> int:
    value = request.args.get(name, "1")
    return min(int(value), 100_000) if value.isdigit() else 1


def _text(name: str, limit: int = 100) -> str:
    return (request.values.get(name) or "").replace("\x00", " ").strip()[:limit]


# --- the tree ------------------------------------------------------------------------------------------------


@bp.get("/struktur")
def structure_tree():
    q = _text("q")
    engine = get_engine()
    if q:
        found = structure.search(engine, current_user.user_id, q, _number("page"))
        return render_template("organisation/structure.html", q=q, found=found, view=None)
    return render_template("organisation/structure.html", q="", found=None,
                           view=structure.open_unit(engine, current_user.user_id, None))


@bp.get("/struktur/unit/<int:unit_id>")
def structure_unit(unit_id: int):
    """A unit's sub-units and positions: the whole page, or (``?bagian=1``, fetched when a node opens) the part
    that goes inside the node."""
    try:
        view = structure.open_unit(get_engine(), current_user.user_id, unit_id, _number("page"))
    except NotFound as exc:
        return render_template("organisation/structure_missing.html", message=shown(exc)), 404
    if request.args.get("bagian") == "1":
        return render_template("organisation/_unit_body.html", view=view)
    return render_template("organisation/structure_unit.html", view=view)


# --- one position's superior ---------------------------------------------------------------------------------


def _position_page(position_id: int, form: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                   status: int = 200):
    engine = get_engine()
    try:
        row = structure.position(engine, current_user.user_id, position_id)
    except NotFound as exc:
        return render_template("organisation/structure_missing.html", message=shown(exc)), 404
    search = _text("cari")
    choices = structure.superior_choices(engine, current_user.user_id, search) if search else []
    return render_template("organisation/position.html", row=row, form=form or {}, errors=errors or {},
                           search=search, choices=[c for c in choices if c.id != row.id]), status


@bp.get("/jabatan/<int:position_id>")
def position_page(position_id: int):
    return _position_page(position_id)


@bp.post("/jabatan/<int:position_id>/atasan")
def position_superior(position_id: int):
    form = {"superior": _text("superior", 300), "reason": _text("reason", 500), "digest": _text("digest", 64)}
    confirming = bool(form["digest"]) and request.form.get("confirm") == "1"
    try:
        change = structure.change_superior(get_engine(), current_user.user_id, position_id, form["superior"],
                                           form["digest"] if confirming else None, form["reason"])
    except NotFound as exc:
        return render_template("organisation/structure_missing.html", message=shown(exc)), 404
    except FormInvalid as exc:
        return _position_page(position_id, form, {e.path: translate(e.message) for e in exc.errors}, 422)
    except structure.SuperiorStale:
        change = structure.change_superior(get_engine(), current_user.user_id, position_id, form["superior"])
        return render_template("organisation/superior_preview.html", change=change, form=form, stale=True), 409
    if change.applied:
        flash(_("The superior of %(position)s is changed; %(n)s open tasks went to other people.",
                position=change.position.title, n=len(change.handovers)), "success")
        return redirect(url_for("organisation.position_page", position_id=position_id))
    return render_template("organisation/superior_preview.html", change=change, form=form, stale=False)


# --- groups ------------------------------------------------------------------------------------------------------


@bp.get("/grup")
def groups():
    return render_template("organisation/groups.html", groups=org.list_groups(get_engine(), current_user.user_id))


def _group_page(name: str, status: int = 200):
    engine = get_engine()
    try:
        members = org.group_members(engine, current_user.user_id, name)
    except NotFound as exc:
        return render_template("organisation/structure_missing.html", message=shown(exc)), 404
    summary = next((g for g in org.list_groups(engine, current_user.user_id) if g.name == name), None)
    q = _text("q")
    candidates = org.member_candidates(engine, current_user.user_id, name, q) if q else []
    return render_template("organisation/group.html", name=name, summary=summary, members=members, q=q,
                           candidates=candidates), status


@bp.get("/grup/<name>")
def group(name: str):
    return _group_page(name[:120])


def _user_id() -> int:
    value = request.form.get("user_id", "")
    if not value.isdigit() or len(value) > 12:
        abort(400)
    return int(value)


@bp.post("/grup/<name>/tambah")
def group_add(name: str):
    name = name[:120]
    try:
        added = org.add_member(get_engine(), current_user.user_id, name, _user_id())
    except NotFound as exc:
        flash(shown(exc), "danger")
        return _group_page(name, 404)
    except PermissionDenied as exc:
        flash(shown(exc), "danger")
        return _group_page(name, 403)
    flash(_("Added to the group %(group)s.", group=name) if added else _("Already in the group %(group)s.", group=name),
          "success" if added else "info")
    if added.given:  # an objection waiting for a stand-in (or flagged because nobody was left) now has them
        flash(ngettext("They now stand in on %(num)d open task that waited for someone from this group, and were told.",
                       "They now stand in on %(num)d open tasks that waited for someone from this group, and were "
                       "told.", added.given), "info")
    return redirect(url_for("organisation.group", name=name))


@bp.get("/grup/<name>/keluarkan/<int:user_id>")
def group_remove_confirm(name: str, user_id: int):
    name = name[:120]
    try:
        members = org.group_members(get_engine(), current_user.user_id, name)
    except NotFound as exc:
        return render_template("organisation/structure_missing.html", message=shown(exc)), 404
    member = next((m for m in members if m.id == user_id), None)
    if member is None:
        return render_template("organisation/structure_missing.html",
                               message=_("This person is not in the group %(group)s.", group=name)), 404
    return render_template("organisation/group_remove.html", name=name, member=member)


@bp.post("/grup/<name>/keluarkan")
def group_remove(name: str):
    name = name[:120]
    if request.form.get("confirm") != "1":
        abort(400)
    try:
        removed = org.remove_member(get_engine(), current_user.user_id, name, _user_id())
    except NotFound as exc:
        flash(shown(exc), "danger")
        return _group_page(name, 404)
    except PermissionDenied as exc:
        flash(shown(exc), "danger")
        return _group_page(name, 403)
    flash(_("Removed from the group %(group)s.", group=name) if removed else _("Not in the group %(group)s.", group=name),
          "success" if removed else "info")
    if removed.flagged:  # the last stand-in of an open task (an objection whose Atasan Pejabat Penilai is missing)
        flash(ngettext("%(num)d open task nobody else may act on was flagged to Biro SDM.",
                       "%(num)d open tasks nobody else may act on were flagged to Biro SDM.", removed.flagged), "warning")
    return redirect(url_for("organisation.group", name=name))
