"""Language: Bahasa Indonesia by default, English by a switch; Flask-Babel picks the locale and formats dates.

Labels are written as inline pairs, ``bi('Kotak tugas', 'Inbox')``, so no text can exist in one language
only and no catalogue needs compiling. Texts that come from models and the engine carry both languages as
``"Indonesian / English"``; the ``tr`` filter shows the half for the current language.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask, session
from flask_babel import Babel, format_date, format_datetime

babel = Babel()
LANGUAGES = ("id", "en")


def locale() -> str:
    lang = session.get("lang", "id")
    return lang if lang in LANGUAGES else "id"


def bi(indonesian: str, english: str) -> str:
    """Return the label in the current language."""
    return english if locale() == "en" else indonesian


def tr(text: Any) -> str:
    """Show one half of a bilingual "Indonesian / English" text; other texts unchanged."""
    if not isinstance(text, str):
        return "" if text is None else str(text)
    parts = text.split(" / ")
    if len(parts) != 2:
        return text
    return parts[1].strip() if locale() == "en" else parts[0].strip()


def fmt_datetime(value: datetime | None) -> str:
    return format_datetime(value, "d MMM yyyy HH:mm") if value else ""


def fmt_date(value: date | datetime | str | None) -> str:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    return format_date(value, "d MMMM yyyy") if value else ""


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "id")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta")
    babel.init_app(app, locale_selector=locale)
    app.jinja_env.globals.update(bi=bi, locale=locale)
    app.jinja_env.filters["dt"] = fmt_datetime
    app.jinja_env.filters["d"] = fmt_date
    app.jinja_env.filters["tr"] = tr
