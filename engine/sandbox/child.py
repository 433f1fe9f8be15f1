"""The sandbox process: receives jobs over a pipe, runs them under OS limits, answers with safe JSON.

A job is a pickled tuple from the (trusted) parent:

- ``("eval" | "exec", source, data, external, function_names, limits)`` runs an expression or a script
  through the in-process ``SandboxedEnvironment`` (RestrictedPython, allow-list, ticks, size guards);
- ``("render", source, data, cpu_seconds, max_chars)`` renders an instruction template (Jinja sandbox);
- ``("tables", pins, contents, reset, pickled job)`` runs the inner job with the instance's pinned decision
  tables: ``pins`` is ((decision id, sha256), ...), ``contents`` the files (sha256 -> DMN XML) this process did not
  hold yet (kept for later jobs; ``reset`` forgets the others first); the applications' hooks
  (``ChildConfig.table_hooks``) are entered with {decision id: (sha256, XML)} around the job.

The answer is ``wire.encode({"r": value})`` or ``{"e": [type name, args, line, syntax details], "x": retire}``.
Nothing but the pipe is used; the process exits when the pipe closes, when a limit left it in doubt (an
out-of-memory), or when its lifetime CPU allowance is nearly used up (the parent starts a fresh one).
"""

from __future__ import annotations

import math
import pickle
import traceback
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from .environment import SandboxedEnvironment
from .errors import SandboxResourceError
from .limits import SandboxLimits
from .policy import SandboxSyntaxError
from .wire import MAX_MESSAGE, encode, scalar_args

try:
    import resource
except ImportError:  # pragma: no cover - not on Linux/macOS: no OS limits, the wall timeout still holds
    resource = None  # type: ignore[assignment]

READY = b"ready"
_MAX_MESSAGE = MAX_MESSAGE


@dataclass(frozen=True)
class ChildConfig:
    """What a sandbox process needs before its first job (picklable)."""

    function_sources: tuple[str, ...] = ()
    # Address space the process may add on top of what it uses once started (RLIMIT_AS).
    memory_bytes: int = 256 * 2**20
    # Total CPU seconds this process may ever use (RLIMIT_CPU hard limit); it retires before reaching it.
    lifetime_cpu_seconds: int = 600
    # "module:function" hooks the applications' functions read pinned decision tables through (tables.py).
    table_hooks: tuple[str, ...] = ()


def resolve(path: str) -> Any:
    """Import ``module:attribute`` (attribute may be dotted) and return the object."""
    module_name, _, attr = path.partition(":")
    obj: Any = import_module(module_name)
    for part in attr.split(".") if attr else ():
        obj = getattr(obj, part)
    return obj


def load_functions(sources: tuple[str, ...]) -> dict[str, Callable[..., Any]]:
    """Resolve function sources: ``module:MAPPING`` (name -> function) or ``name=module:function``."""
    functions: dict[str, Callable[..., Any]] = {}
    for source in sources:
        name, sep, path = source.partition("=")
        if sep:
            functions[name] = resolve(path)
        else:
            mapping = resolve(source)
            if not isinstance(mapping, Mapping):
                raise TypeError(f"{source} is not a mapping of script functions")
            functions.update(mapping)
    return functions


def _cpu_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _address_space() -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _set_process_limits(config: ChildConfig) -> None:
    if resource is None:
        return
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash leaves no core file behind
    used = math.ceil(_cpu_used())
    hard = used + config.lifetime_cpu_seconds
    resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))
    base = _address_space()
    if base is not None:
        limit = base + config.memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))  # no fork/exec from here (ignored for root)
    except (ValueError, OSError):
        pass


def _arm_cpu(seconds: float) -> bool:
    """Set the soft CPU limit for the next job; return False when the lifetime allowance is too low."""
    if resource is None:
        return True
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = math.ceil(_cpu_used() + seconds) + 1
    if hard != resource.RLIM_INFINITY and soft >= hard:
        return False
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    return True


def _line(tb: Any) -> int:
    line = 0
    for frame in traceback.extract_tb(tb):
        if frame.filename == "<string>":
            line = frame.lineno or 0
    return line


def error_reply(err: BaseException, retire: bool = False) -> bytes:
    """Encode an exception as ``{"e": [type, args, line, syntax], "x": retire}``."""
    syntax = None
    if isinstance(err, SyntaxError):
        messages = list(getattr(err, "messages", ()))[:20]
        syntax = [err.msg[:_MAX_MESSAGE] if err.msg else "", err.lineno or 0, err.offset or 0,
                  (err.text or "")[:_MAX_MESSAGE], [m[:_MAX_MESSAGE] for m in messages]]
        args: list[Any] = []
    else:
        args = scalar_args(err)
    name = type(err).__name__
    return encode({"e": [name, args, _line(err.__traceback__), syntax], "x": retire})


class Worker:
    """The job loop's state: the registered functions and one environment per (names, limits)."""

    def __init__(self, functions: dict[str, Callable[..., Any]],
                 table_hooks: tuple[Callable[..., Any], ...] = ()) -> None:
        self.functions = functions
        self.table_hooks = table_hooks
        self.tables: dict[str, bytes] = {}  # sha256 -> DMN XML, as the parent sent them
        self._environments: dict[tuple[tuple[str, ...], SandboxLimits], SandboxedEnvironment] = {}

    def run_with_tables(self, job: tuple[Any, ...], pins: Any, contents: Any, reset: Any) -> Any:
        """Keep the table files sent, then run the job inside the applications' table hooks."""
        if reset:
            self.tables.clear()
        for sha, content in dict(contents).items():
            if isinstance(sha, str) and isinstance(content, bytes):
                self.tables[sha] = content
        mapping = {}
        for decision_id, sha in pins:
            content = self.tables.get(sha)
            if content is None:
                raise LookupError(f"the sandbox process was not sent the decision table {decision_id!r}")
            mapping[str(decision_id)] = (str(sha), content)
        with ExitStack() as stack:
            for hook in self.table_hooks:
                stack.enter_context(hook(mapping))
            return self.run(job)

    def environment(self, names: tuple[str, ...], limits: SandboxLimits) -> SandboxedEnvironment:
        key = (names, limits)
        env = self._environments.get(key)
        if env is None:
            missing = [n for n in names if n not in self.functions]
            if missing:
                raise LookupError(f"the sandbox process does not know the functions {missing}")
            if len(self._environments) > 16:
                self._environments.clear()
            env = SandboxedEnvironment({n: self.functions[n] for n in names}, limits)
            self._environments[key] = env
        return env

    def run(self, job: tuple[Any, ...]) -> Any:
        kind = job[0]
        if kind == "eval":
            _, source, data, external, names, limits = job
            return self.environment(names, limits).evaluate(source, data, external)
        if kind == "exec":
            _, source, data, external, names, limits = job
            self.environment(names, limits).execute(source, data, external)
            return data
        if kind == "render":
            from .templates import render_text

            _, source, data, seconds, max_chars = job
            return render_text(source, data, seconds, max_chars)
        if kind == "ping":
            return job[1] if len(job) > 1 else None
        raise ValueError(f"unknown sandbox job {kind!r}")


def _job_seconds(job: tuple[Any, ...]) -> float:
    if job[0] in ("eval", "exec"):
        return float(job[5].cpu_seconds)
    if job[0] == "render":
        return float(job[3])
    return 1.0


def serve(conn: Any, config: ChildConfig) -> None:
    """Entry point of a sandbox process (the target of its multiprocessing.Process)."""
    try:
        functions = load_functions(config.function_sources)
        from . import templates  # noqa: F401 - imported before the memory limit is measured

        hooks = tuple(resolve(path) for path in config.table_hooks)
        _set_process_limits(config)
        worker = Worker(functions, hooks)
    except BaseException as exc:  # tell the parent why, then stop
        conn.send_bytes(error_reply(exc, retire=True))
        return
    conn.send_bytes(READY)
    while True:
        try:
            raw = conn.recv_bytes()
        except (EOFError, OSError):
            return
        retire = False
        try:
            job = pickle.loads(raw)
            del raw
            tabled = None
            if job[0] == "tables":
                _, pins, contents, reset, inner = job
                tabled = (pins, contents, reset)
                job = pickle.loads(inner)
                del inner
            if not _arm_cpu(_job_seconds(job)):
                retire = True  # too little lifetime CPU left: run nothing, let the parent start a fresh one
                reply = error_reply(SandboxResourceError("sandbox process retired"), retire=True)
            else:
                reply = encode({"r": worker.run(job) if tabled is None else worker.run_with_tables(job, *tabled)})
        except MemoryError:
            retire = True
            reply = error_reply(SandboxResourceError(
                "script stopped: out of memory (the sandbox process's address-space limit)"), retire=True)
        except RecursionError:
            reply = error_reply(SandboxResourceError("script stopped: recursion too deep"))
        except SandboxSyntaxError as exc:
            reply = error_reply(exc)
        except Exception as exc:
            if isinstance(exc.__context__, MemoryError):  # the environment turned a MemoryError into its own
                retire = True
                exc = SandboxResourceError(
                    "script stopped: out of memory (the sandbox process's address-space limit)")
            reply = error_reply(exc, retire=retire)
        except BaseException as exc:  # SystemExit/KeyboardInterrupt from a registered function: report, then stop
            retire = True
            reply = error_reply(RuntimeError(f"{type(exc).__name__} in the sandbox process"), retire=True)
        job = tabled = None
        try:
            conn.send_bytes(reply)
        except MemoryError:
            return
        except (OSError, ValueError):
            return
        if retire:
            return


__all__ = ["READY", "ChildConfig", "Worker", "error_reply", "load_functions", "resolve", "serve"]
