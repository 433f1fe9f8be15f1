"""Map engine errors to HTTP statuses and pages once, for every view."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import LazyString, lazy_gettext
from flask_wtf.csrf import CSRFError

from engine.errors import EngineError
from engine.limits import current as current_limits
from webapp.i18n import translate


def init_app(app: Flask) -> None:
    @app.errorhandler(EngineError)
    def engine_error(exc: EngineError):
        # Lazy, so that the page shows the message in both languages (the current one first).
        return render_template("errors/error.html", status=exc.status,
                               message=LazyString(translate, exc)), exc.status

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return render_template("errors/error.html", status=400,
                               message=lazy_gettext("The form expired; reload the page and try again")), 400

    for status, message in ((404, lazy_gettext("Not found")),
                            (403, lazy_gettext("You may not open this page")),
                            (405, lazy_gettext("Method not allowed"))):
        app.register_error_handler(status, _page(status, message))

    @app.errorhandler(413)
    def too_large(_exc: Exception):
        # MAX_CONTENT_LENGTH, MAX_FORM_MEMORY_SIZE or MAX_FORM_PARTS (webapp/config.py): refused before the view ran.
        message = lazy_gettext("The form or its files are too large (at most %(mb)s MB in all, %(fields)s fields, "
                               "%(kb)s KB per text field); nothing was saved. Go back, remove some rows or attach "
                               "smaller files, and try again", mb=app.config["MAX_CONTENT_LENGTH"] // 2**20,
                               fields=current_limits().max_form_fields,
                               kb=app.config["MAX_FORM_MEMORY_SIZE"] // 1024)
        back = request.path if request.method == "POST" and request.endpoint == "tasks.task" else None
        return render_template("errors/error.html", status=413, message=message, back=back), 413

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def _page(status: int, message: LazyString):
    def handler(_exc: Exception):
        return render_template("errors/error.html", status=status, message=message), status

    return handler
