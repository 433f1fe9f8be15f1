"""Render instructionsForEndUser: Jinja in a sandbox process, then Markdown, then sanitised HTML."""

from __future__ import annotations

from typing import Any

import markdown as md
import nh3
from flask import current_app, has_app_context
from markupsafe import Markup

from engine.runtime.runner import TEMPLATE_MAX_CHARS
from engine.sandbox import SandboxError
from engine.sandbox.pool import PoolConfig, shared_pool


def _render(source: str, data: dict[str, Any]) -> str:
    if has_app_context() and "smk_engine" in current_app.extensions:
        return current_app.extensions["smk_engine"].runtime.render_template(source, data)
    return shared_pool(PoolConfig(workers=1)).render(source, data)  # outside a request (tests, scripts)


def render_instructions(source: str, data: dict[str, Any]) -> Markup:
    """Return safe HTML for a task's instructions.

    The template is rendered in a sandbox process (Jinja's sandbox, unknown names render as nothing) with a
    time and a size limit; a template that fails, runs too long or grows too large shows its raw text.
    """
    if not source:
        return Markup("")
    try:
        text = _render(source, data)
    except SandboxError:
        text = source[:TEMPLATE_MAX_CHARS]
    html = md.markdown(text, extensions=["extra"])
    return Markup(nh3.clean(html))
