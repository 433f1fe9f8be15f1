"""Log in and out; flask-login keeps the user id and the session epoch in the signed session cookie.

Also the Content-Security-Policy of every page: only our own scripts, styles, images and fonts (no inline script,
no style attribute; an inline ``<style>`` only with the request's nonce), no framing, forms posting to us only.
"""

from __future__ import annotations

import math
import os
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, Response, flash, g, redirect, render_template, request, session, url_for
from flask_babel import format_datetime, gettext, lazy_gettext
from flask_login import UserMixin, current_user, login_required, login_user, logout_user
from werkzeug.middleware.proxy_fix import ProxyFix

from engine.services.org import Account, LoginLocked, authenticate, end_sessions, get_account
from webapp.extensions import get_engine, login_manager

bp = Blueprint("auth", __name__)


@bp.record_once
def _trust_proxies(state: object) -> None:
    """Behind reverse proxies, SMK_TRUSTED_PROXIES=n takes the client address from the last n X-Forwarded-For
    entries: login throttling per address needs the visitor's address, not the proxy's."""
    count = int(os.environ.get("SMK_TRUSTED_PROXIES", "0") or 0)
    if count > 0:
        app = state.app  # type: ignore[attr-defined]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count)


class WebUser(UserMixin):
    """Adapts an engine Account to flask-login."""

    def __init__(self, account: Account):
        self.account = account
        self.id = str(account.id)

    @property
    def user_id(self) -> int:
        return self.account.id

    def get_id(self) -> str:
        # Stored in the session: the id and the epoch the session was opened in (logout raises the epoch).
        return f"{self.account.id}:{self.account.session_epoch}"


@login_manager.user_loader
def load_user(user_id: str) -> WebUser | None:
    """Return the session's user while the session's epoch is still the user's (a replayed cookie is not)."""
    found, _, epoch = user_id.partition(":")
    account = get_account(get_engine(), int(found)) if found.isdigit() and epoch.isdigit() else None
    return WebUser(account) if account and account.session_epoch == int(epoch) else None


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect after login is a phishing tool.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("tasks.inbox")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("tasks.inbox"))
    error = None
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "")
        try:
            account = authenticate(get_engine(), username, request.form.get("password", ""), request.remote_addr)
        except LoginLocked as locked:
            return _locked(locked, username)
        if account is None:
            error = lazy_gettext("Wrong username or password")  # the page shows it in both languages
        else:
            session.clear()
            login_user(WebUser(account))
            session["lang"] = account.locale or "id"
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", error=error, username=username), (401 if error else 200)


def _locked(locked: LoginLocked, username: str) -> Response:
    """429 with the time to try again (to the next whole minute) in the page and in Retry-After."""
    wait = locked.until - get_engine().now()
    shown = locked.until + timedelta(seconds=59)
    error = lazy_gettext("Too many failed logins for this name or from this address. Try again after %(time)s.",
                         time=format_datetime(shown.replace(second=0, microsecond=0), "HH:mm zzz"))
    response = Response(render_template("auth/login.html", error=error, username=username), 429)
    response.headers["Retry-After"] = str(max(1, math.ceil(wait.total_seconds())))
    return response


@bp.post("/logout")
@login_required
def logout():
    end_sessions(get_engine(), current_user.user_id)  # a copy of this session's cookie stops working too
    logout_user()
    session.clear()
    flash(gettext("You have logged out"), "info")
    return redirect(url_for("auth.login"))


@bp.post("/lang/<code>")
def set_language(code: str):
    if code in ("id", "en"):
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next")))


# -- Content-Security-Policy ---------------------------------------------------------------------------------
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'{nonce}; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def csp_nonce() -> str:
    """The request's nonce for an inline ``<style>`` (the printable documents embed their print styles)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return str(g.csp_nonce)


@bp.app_context_processor
def _csp_context() -> dict[str, object]:
    return {"csp_nonce": csp_nonce}


@bp.after_app_request
def content_security_policy(response: Response) -> Response:
    # data: images are Bootstrap's and bpmn-js's icons inside their CSS. A view that sets its own policy (file
    # downloads: sandbox) keeps it.
    if request.endpoint != "static":
        nonce = f" 'nonce-{g.csp_nonce}'" if "csp_nonce" in g else ""
        response.headers.setdefault("Content-Security-Policy", CSP.format(nonce=nonce))
    return response
