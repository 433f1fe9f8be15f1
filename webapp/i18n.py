"""Language choice (Bahasa Indonesia by default, English by a switch) and template helpers."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, session


def locale() -> str:
    return session.get("lang", "id")


def bi(indonesian: str, english: str) -> str:
    """Return the label in the current language."""
    return english if locale() == "en" else indonesian


def fmt_datetime(value: datetime | None) -> str:
    return value.strftime("%d-%m-%Y %H:%M") if value else ""


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(bi=bi, locale=locale)
    app.jinja_env.filters["dt"] = fmt_datetime
