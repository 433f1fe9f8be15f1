"""A user's own account (/akun): change the password, the language; and the one-time set-password link
(/akun/sandi/<token>) that new accounts and resets get, which works without logging in."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from engine.errors import FormInvalid, NotFound
from engine.services import accounts
from webapp.extensions import get_engine
from webapp.i18n import translate

bp = Blueprint("account", __name__, url_prefix="/akun")


def _errors(exc: FormInvalid) -> dict[str, str]:
    errors: dict[str, str] = {}
    for e in exc.errors:
        errors[e.path] = (errors[e.path] + " " if e.path in errors else "") + translate(e.message)
    return errors


def _page(errors: dict[str, str] | None = None, status: int = 200):
    view = accounts.account_view(get_engine(), current_user.user_id)
    return render_template("account/index.html", view=view, errors=errors or {},
                           min_length=accounts.MIN_LENGTH), status


@bp.get("")
@login_required
def index():
    return _page()


@bp.post("/sandi")
@login_required
def change_password():
    form = request.form
    try:
        accounts.change_password(get_engine(), current_user.user_id, form.get("old_password", "")[:500],
                                 form.get("password", "")[:500], form.get("confirm", "")[:500])
    except FormInvalid as exc:
        return _page(_errors(exc), 422)
    # Every session of the user ended with the change (the epoch rose): log in again with the new password.
    logout_user()
    session.clear()
    flash(_("Your password is changed. Log in again with the new password; other browsers were logged out."), "success")
    return redirect(url_for("auth.login"))


@bp.post("/bahasa")
@login_required
def language():
    code = request.form.get("locale", "")
    try:
        accounts.set_locale(get_engine(), current_user.user_id, code)
    except FormInvalid as exc:
        return _page(_errors(exc), 422)
    session["lang"] = code
    flash(_("Your language is saved; it is used every time you log in."), "success")
    return redirect(url_for("account.index"))


@bp.post("/email")
@login_required
def email_notifications():
    choice = request.form.get("email", "")
    if choice not in ("0", "1"):
        return _page({"email": _("Choose whether notifications are also e-mailed.")}, 422)
    accounts.set_email_notifications(get_engine(), current_user.user_id, choice == "1")
    flash(_("Notifications are also e-mailed to you.") if choice == "1"
          else _("Notifications stay in the application; nothing is e-mailed."), "success")
    return redirect(url_for("account.index"))


def _no_referrer(response):
    # The token is in the URL: never send it on to another site, never keep the page in a cache.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/sandi/<token>", methods=["GET", "POST"])
def set_password(token: str):
    engine = get_engine()
    try:
        info = accounts.link_info(engine, token)
    except NotFound as exc:
        response = render_template("account/set_password.html", info=None, invalid=translate(exc), errors={},
                                   min_length=accounts.MIN_LENGTH)
        return _no_referrer(_response(response, 404))
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            accounts.set_password_by_link(engine, token, request.form.get("password", "")[:500],
                                          request.form.get("confirm", "")[:500])
        except FormInvalid as exc:
            errors = _errors(exc)
        except NotFound as exc:
            response = render_template("account/set_password.html", info=None, invalid=translate(exc), errors={},
                                       min_length=accounts.MIN_LENGTH)
            return _no_referrer(_response(response, 404))
        else:
            if current_user.is_authenticated:
                logout_user()
                session.clear()
            flash(_("Your password is set. Log in with your username %(username)s.", username=info.username), "success")
            return _no_referrer(redirect(url_for("auth.login")))
    page = render_template("account/set_password.html", info=info, invalid=None, errors=errors,
                           min_length=accounts.MIN_LENGTH)
    return _no_referrer(_response(page, 422 if errors else 200))


def _response(body: str, status: int):
    return make_response(body, status)
