"""Log in and out; flask-login keeps only the user id in the session."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import UserMixin, current_user, login_required, login_user, logout_user

from engine.services.org import Account, authenticate, get_account
from webapp.extensions import get_engine, login_manager

bp = Blueprint("auth", __name__)


class WebUser(UserMixin):
    """Adapts an engine Account to flask-login."""

    def __init__(self, account: Account):
        self.account = account
        self.id = str(account.id)

    @property
    def user_id(self) -> int:
        return self.account.id


@login_manager.user_loader
def load_user(user_id: str) -> WebUser | None:
    account = get_account(get_engine(), int(user_id)) if user_id.isdigit() else None
    return WebUser(account) if account else None


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect after login is a phishing tool.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("tasks.inbox")


@bp.route("/login", methods=["GET", "POST"])
def login():  # noqa: ANN201
    if current_user.is_authenticated:
        return redirect(url_for("tasks.inbox"))
    error = None
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "")
        account = authenticate(get_engine(), username, request.form.get("password", ""))
        if account is None:
            error = lazy_gettext("Wrong username or password")  # the page shows it in both languages
        else:
            session.clear()
            login_user(WebUser(account))
            session["lang"] = account.locale or "id"
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", error=error, username=username), (401 if error else 200)


@bp.post("/logout")
@login_required
def logout():  # noqa: ANN201
    logout_user()
    session.clear()
    flash(gettext("You have logged out"), "info")
    return redirect(url_for("auth.login"))


@bp.post("/lang/<code>")
def set_language(code: str):  # noqa: ANN201
    if code in ("id", "en"):
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next")))
