"""Deploy-time checks of expressions, through the same sandbox compiler that runs them."""

from __future__ import annotations

from engine.sandbox import compile_expression, compile_script


def expression_problems(source: str, mode: str) -> list[tuple[str, int]]:
    """Return (message, line offset) for each problem; ``mode`` is eval, exec or entry (a DMN input cell)."""
    try:
        if mode == "exec":
            compile_script(source)
        elif mode == "entry":
            _compile_dmn_entry(source)
        else:
            compile_expression(source)
    except SyntaxError as exc:
        line = (exc.lineno or 1) - 1
        detail = exc.msg if getattr(exc, "msg", None) else str(exc)
        return [(f"{detail} (line {exc.lineno or 1} of the expression)", line)]
    return []


def _compile_dmn_entry(source: str) -> None:
    # Spiff's DMN engine accepts a plain value (compared with ==), an operator tail such as `> 5`,
    # or a test written with `?` standing for the input; mirror its three forms.
    if "?" in source:
        compile_expression(source.replace("?", "dmninputexpr"))
        return
    try:
        compile_expression(source)
    except SyntaxError:
        compile_expression(f"v {source}")
