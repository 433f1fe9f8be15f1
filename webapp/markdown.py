"""Render instructionsForEndUser: Jinja in a sandbox, then Markdown, then sanitised HTML."""

from __future__ import annotations

from typing import Any

import markdown as md
import nh3
from jinja2 import ChainableUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

# Unknown or unsafe names render as nothing, so one typo does not hide the whole instruction.
_ENV = SandboxedEnvironment(autoescape=True, undefined=ChainableUndefined)


def render_instructions(source: str, data: dict[str, Any]) -> Markup:
    """Return safe HTML for a task's instructions; a template error shows the raw text instead."""
    if not source:
        return Markup("")
    try:
        text = _ENV.from_string(source).render(**{k: v for k, v in data.items() if isinstance(k, str)})
    except TemplateError:
        text = source
    html = md.markdown(text, extensions=["extra"])
    return Markup(nh3.clean(html))
