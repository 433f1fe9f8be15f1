"""Instruction templates (Jinja, sandboxed), rendered in a sandbox process with a time and an output limit."""

from __future__ import annotations

import signal
from functools import lru_cache
from typing import Any

from .errors import SandboxError, SandboxResourceError, SandboxTimeout


class TemplateFailed(SandboxError):
    """The template does not compile or raised while rendering (an unsafe attribute, a bad filter...)."""


class _Expired(BaseException):
    """Raised by the SIGPROF handler; not an Exception, so nothing on the way can swallow it."""


@lru_cache(maxsize=1)
def _environment() -> Any:
    from jinja2 import ChainableUndefined
    from jinja2.sandbox import SandboxedEnvironment

    # Unknown or unsafe names render as nothing, so one typo does not hide the whole instruction.
    return SandboxedEnvironment(autoescape=True, undefined=ChainableUndefined)


@lru_cache(maxsize=256)
def _template(source: str) -> Any:
    return _environment().from_string(source)


def _expire(signum: int, frame: Any) -> None:
    raise _Expired


def render_text(source: str, data: dict[str, Any], cpu_seconds: float, max_chars: int, timer: bool = True) -> str:
    """Render ``source`` with ``data``; runs in a sandbox process (it arms a CPU-time signal there).

    Python-level work is stopped after ``cpu_seconds`` of CPU by SIGPROF; one long C call is left to the
    process's RLIMIT_CPU and the parent's wall timeout. Output beyond ``max_chars`` is refused.
    ``timer=False`` (rendering in a threaded process, benchmarks only) has no time limit.
    """
    if timer:
        previous = signal.signal(signal.SIGPROF, _expire)
        signal.setitimer(signal.ITIMER_PROF, cpu_seconds)
    try:
        try:
            template = _template(source)
            chunks: list[str] = []
            size = 0
            for chunk in template.generate(**data):
                size += len(chunk)
                if size > max_chars:
                    raise SandboxResourceError(f"the instructions would be longer than {max_chars:,} characters")
                chunks.append(chunk)
            return "".join(chunks)
        finally:
            if timer:
                signal.setitimer(signal.ITIMER_PROF, 0)
    except _Expired:
        raise SandboxTimeout(f"the instructions took more than {cpu_seconds:g} s of CPU time to render") from None
    except (SandboxError, MemoryError):
        raise
    except RecursionError:
        raise SandboxResourceError("the instructions are nested too deeply") from None
    except Exception as exc:  # a syntax or security error, {{ 1 / 0 }}, a bad filter argument...
        raise TemplateFailed(f"{type(exc).__name__}: {exc}") from None
    finally:
        if timer:
            signal.signal(signal.SIGPROF, previous)


__all__ = ["TemplateFailed", "render_text"]
