"""The users page for Biro SDM and administrators (/organisasi/pengguna): search by name, NIP or unit,
activate or deactivate (open tasks nobody else may act on are flagged to HR), a one-time password link."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from engine.errors import NotFound, PermissionDenied
from engine.services import accounts
from webapp.extensions import get_engine
from webapp.i18n import shown
from webapp.organisation import bp


def _args() -> dict[str, str]:
    return {"q": (request.args.get("q") or "")[:100], "state": request.args.get("state", "")
            if request.args.get("state") in ("active", "inactive") else ""}


def _page_number() -> int:
    value = request.args.get("page", "1")
    return min(int(value), 100_000) if value.isdigit() else 1


def _list(link: accounts.IssuedLink | None = None):
    args = _args()
    page = accounts.search_users(get_engine(), current_user.user_id, args["q"], args["state"], _page_number())
    return render_template("organisation/users.html", page=page, args=args, link=link,
                           base=request.host_url.rstrip("/"))


@bp.get("/pengguna")
def users():
    return _list()


def _back():
    return redirect(url_for("organisation.users", **{k: v for k, v in _args().items() if v}))


@bp.post("/pengguna/<int:user_id>/status")
def user_status(user_id: int):
    if request.form.get("active") not in ("0", "1"):
        abort(400)
    active = request.form.get("active") == "1"
    try:
        result = accounts.set_active(get_engine(), current_user.user_id, user_id, active,
                                     request.form.get("reason", "")[:500])
    except NotFound:
        return _list(), 404
    except PermissionDenied as exc:
        flash(shown(exc), "danger")
        return _back()
    if not result.changed:
        flash(_("Nothing changed: the account was already so."), "info")
    elif active:
        flash(_("The account is active again.") + (" " + ngettext(
            "%(num)d open task goes back to them, and they were told.",
            "%(num)d open tasks go back to them, and they were told.", result.given) if result.given else ""), "success")
    else:
        flash(_("The account is deactivated; its history stays.") + " " + ngettext(
            "%(num)d open task nobody else may act on was flagged to Biro SDM.",
            "%(num)d open tasks nobody else may act on were flagged to Biro SDM.", result.flagged), "success")
    return _back()


@bp.post("/pengguna/<int:user_id>/tautan")
def user_link(user_id: int):
    try:
        link = accounts.reset_link(get_engine(), current_user.user_id, user_id)
    except NotFound:
        return _list(), 404
    return _list(link)


@bp.get("/pengguna/<int:user_id>")
def user_tasks(user_id: int):
    tasks = accounts.user_open_tasks(get_engine(), current_user.user_id, user_id)
    person = accounts.account_view(get_engine(), user_id)
    return render_template("organisation/user.html", person=person, tasks=tasks, user_id=user_id)
