"""Map engine errors to HTTP statuses and pages once, for every view."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import LazyString, lazy_gettext
from flask_wtf.csrf import CSRFError

from engine.errors import EngineError
from webapp.i18n import translate


def init_app(app: Flask) -> None:
    @app.errorhandler(EngineError)
    def engine_error(exc: EngineError):  # noqa: ANN202
        # Lazy, so that the page shows the message in both languages (the current one first).
        return render_template("errors/error.html", status=exc.status,
                               message=LazyString(translate, exc)), exc.status

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):  # noqa: ANN202
        return render_template("errors/error.html", status=400,
                               message=lazy_gettext("The form expired; reload the page and try again")), 400

    for status, message in ((404, lazy_gettext("Not found")),
                            (403, lazy_gettext("You may not open this page")),
                            (405, lazy_gettext("Method not allowed")),
                            (413, lazy_gettext("The upload is too large"))):
        app.register_error_handler(status, _page(status, message))

    @app.after_request
    def security_headers(response):  # noqa: ANN001, ANN202
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def _page(status: int, message: LazyString):  # noqa: ANN202
    def handler(_exc: Exception):  # noqa: ANN202
        return render_template("errors/error.html", status=status, message=message), status

    return handler
