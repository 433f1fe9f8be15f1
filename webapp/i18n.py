"""Language: Bahasa Indonesia by default, English by a switch; Flask-Babel picks the locale, translates, formats dates.

The application's texts are gettext messages whose msgid is the English text: ``{{ _('Inbox') }}`` in templates,
``gettext``/``ngettext`` with ``%(name)s`` parameters in Python (``N_`` marks a text translated later,
``lazy_gettext`` one shown in both languages). webapp/translations/id holds the Indonesian, .../en repeats the
English; ``make translations`` refreshes both from the source and ``make install`` compiles them.

Texts that process owners write inside models (form titles, instructions, task names) are data and carry both
languages as ``"Indonesian / English"``; the ``tr`` filter shows the half for the current language. Engine
messages still come that way until the engine gives codes and parameters.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask, session
from flask_babel import Babel, LazyString, force_locale, format_date, format_datetime

babel = Babel()
LANGUAGES = ("id", "en")


def locale() -> str:
    lang = session.get("lang", "id")
    return lang if lang in LANGUAGES else "id"


def N_(message: str) -> str:
    """Mark a text for extraction; gettext translates it where it is shown."""
    return message


def tr(text: Any) -> str:
    """Show one half of a bilingual "Indonesian / English" text; other texts unchanged."""
    if not isinstance(text, str):
        return "" if text is None else str(text)
    parts = text.split(" / ")
    if len(parts) != 2:
        return text
    return parts[1].strip() if locale() == "en" else parts[0].strip()


def bilingual(message: Any) -> tuple[str, str | None]:
    """A message in the current language and in the other one (None when it has no other): a ``lazy_gettext``
    message is translated in both, an "Indonesian / English" text split (error pages show both)."""
    other = "id" if locale() == "en" else "en"
    if isinstance(message, LazyString):
        here = str(message)
        with force_locale(other):
            there = str(message)
        return here, there if there != here else None
    text = tr(message)
    parts = message.split(" / ") if isinstance(message, str) else []
    return text, (parts[0] if other == "id" else parts[1]).strip() if len(parts) == 2 else None


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
    app.jinja_env.globals.update(locale=locale, bilingual=bilingual)
    app.jinja_env.filters["dt"] = fmt_datetime
    app.jinja_env.filters["d"] = fmt_date
    app.jinja_env.filters["tr"] = tr
