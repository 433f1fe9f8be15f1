"""The script sandbox: every BPMN/DMN expression and script runs through here.

See docs/sandbox.md for the allow-list, the limits and the residual risks.
"""

from __future__ import annotations

from .allowlist import SAFE_GLOBALS_DOC
from .bench import bench_sandbox
from .environment import SandboxedEnvironment, ServiceCallable
from .errors import SandboxError, SandboxResourceError, SandboxTimeout, SandboxViolation
from .limits import SandboxLimits
from .policy import SandboxSyntaxError, check_expression, compile_expression, compile_script
from .script_engine import SandboxedScriptEngine, make_script_engine

__all__ = [
    "SAFE_GLOBALS_DOC",
    "SandboxError",
    "SandboxLimits",
    "SandboxResourceError",
    "SandboxSyntaxError",
    "SandboxTimeout",
    "SandboxViolation",
    "SandboxedEnvironment",
    "SandboxedScriptEngine",
    "ServiceCallable",
    "bench_sandbox",
    "check_expression",
    "compile_expression",
    "compile_script",
    "make_script_engine",
]
