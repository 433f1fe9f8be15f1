"""Whole numbers read from a request: out of range is the same as missing, so no view passes one to the database."""

from __future__ import annotations

from collections.abc import Mapping

MAX_INT = 2**31 - 1


def int_arg(values: Mapping[str, str], name: str, default: int | None = None) -> int | None:
    """Return ``values[name]`` as an int between -MAX_INT and MAX_INT, else ``default``."""
    raw = (values.get(name) or "").strip()
    if len(raw) > 11:
        return default
    try:
        number = int(raw)
    except ValueError:
        return default
    return number if -MAX_INT <= number <= MAX_INT else default


def page_arg(values: Mapping[str, str]) -> int:
    """Return the page number asked for: at least 1 (the service clamps it to the last page)."""
    return max(1, int_arg(values, "page", 1) or 1)
