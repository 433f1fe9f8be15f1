"""Language: Bahasa Indonesia by default, English by a switch; Flask-Babel picks the locale, translates, formats dates.

The application's texts are gettext messages whose msgid is the English text: ``{{ _('Inbox') }}`` in templates,
``gettext``/``ngettext`` with ``%(name)s`` parameters in Python (``N_`` marks a text translated later,
``lazy_gettext`` one shown in both languages). webapp/translations/id holds the Indonesian, .../en repeats the
English; ``make translations`` refreshes both from the source and ``make install`` compiles them.

Texts that process owners write inside models (form titles, instructions, task names) are data and carry both
languages as ``"Indonesian / English"``; the ``tr`` filter shows the half for the current language. Engine
messages are a code, an English template and parameters (engine/errors.py): ``translate`` shows them in the
current language, ``shown`` as page text.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask, session
from flask_babel import Babel, LazyString, force_locale, format_date, format_datetime, gettext
from markupsafe import Markup, escape

from engine.errors import DeploymentInvalid, EngineError, FormInvalid, Message

babel = Babel()
LANGUAGES = ("id", "en")


def locale() -> str:
    lang = session.get("lang", "id")
    return lang if lang in LANGUAGES else "id"


def N_(message: str) -> str:
    """Mark a text for extraction; gettext translates it where it is shown."""
    return message


def tr(text: Any) -> str:
    """Show one half of a bilingual "Indonesian / English" text; other texts unchanged. Markup is text already
    made for the page (an engine message, see ``shown``) and is never split, whatever " / " it contains."""
    if isinstance(text, Markup):
        return text
    if not isinstance(text, str):
        return "" if text is None else str(text)
    parts = text.split(" / ")
    if len(parts) != 2:
        return text
    return parts[1].strip() if locale() == "en" else parts[0].strip()


def tr_lines(text: Any) -> str:
    """``tr`` line by line: a text the process wrote as several "Indonesian / English" sentences, one a line."""
    if isinstance(text, Markup) or not isinstance(text, str) or "\n" not in text:
        return tr(text)
    return "\n".join(tr(line) for line in text.split("\n"))


def translate(message: Message | EngineError | str) -> str:
    """An engine message in the current language: gettext translates its English template, then its parameters
    are filled in (a parameter that is a Message is translated too; a detail quoted from a library stays as it
    is). A FormInvalid or DeploymentInvalid gives its field errors or problems; a plain text is shown by ``tr``."""
    if isinstance(message, FormInvalid):
        return "; ".join(translate(e.message) for e in message.errors)
    if isinstance(message, DeploymentInvalid):
        return "; ".join(f"{p.file}: {translate(p.message)}" for p in message.problems)
    if isinstance(message, EngineError):
        message = message.msg
    if isinstance(message, str):
        return tr(message)
    return message.render(lambda text: gettext(text) if text else text)


def shown(message: Message | EngineError | str) -> Markup:
    """``translate`` as text for a page: escaped once and marked safe, so that ``tr`` never splits it and a
    flashed message keeps the mark through the session (the flash template applies ``tr``)."""
    return escape(translate(message))


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
            return format_date(date.fromisoformat(value), "d MMMM yyyy")
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
    app.jinja_env.filters["tr_lines"] = tr_lines
