"""Exceptions raised by the script sandbox."""

from __future__ import annotations


class SandboxError(Exception):
    """Base class: a workflow expression was refused or stopped by the sandbox."""


class SandboxViolation(SandboxError):
    """A forbidden construct, name or attribute was used (at compile or run time)."""


class SandboxTimeout(SandboxError):
    """The expression used more CPU time than its limit allows."""


class SandboxResourceError(SandboxError):
    """The expression tried to build something too large or recursed too deeply."""
