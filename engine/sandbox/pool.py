"""A pool of sandbox processes: model code runs there, under OS limits, never in the web or worker process.

Processes are started with multiprocessing's ``forkserver`` method (a single-threaded server process forks
them; the threaded web process never forks) and talk to the parent over a pipe. The parent sends a pickled
job and waits at most a wall timeout; a process that does not answer in time is killed (SIGKILL) and
replaced, one that dies (a segfault, the CPU rlimit, the OOM killer) is replaced, and either way the caller
gets a ``SandboxError`` — a ``StepFailure`` on the instance, never a dead server. Replies are JSON decoded by
``wire.decode`` (never unpickled). See docs/sandbox.md, "Process model".
"""

from __future__ import annotations

import atexit
import builtins
import multiprocessing
import os
import pickle
import signal
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .child import READY, ChildConfig, load_functions, resolve, serve
from .errors import SandboxError, SandboxResourceError, SandboxTimeout, SandboxViolation
from .policy import SandboxSyntaxError
from .tables import RuleTables
from .templates import TemplateFailed
from .wire import WireError, decode

MiB = 2**20


class SandboxCrash(SandboxError):
    """The sandbox process died while running the code (a segfault, the OS killed it...); it was replaced."""


class ScriptError(Exception):
    """Base of the stand-ins for exception classes that exist only in the sandbox process (e.g. a rule
    function's own error class): same name, same message, no code from the child."""


@dataclass(frozen=True)
class PoolConfig:
    """How many sandbox processes, which script functions they import, and their OS limits."""

    workers: int = 2
    # Where the processes import the registered functions: "module:MAPPING" or "name=module:function".
    function_sources: tuple[str, ...] = ()
    # Where the processes import the applications' decision-table hooks ("module:function"; see tables.py).
    table_hooks: tuple[str, ...] = ()
    # Address space each process may add to what it uses once started (RLIMIT_AS).
    memory_mb: int = 256
    # Wall seconds the parent waits for one job; None: 4 x the job's CPU limit + 5 s. Anything that burns CPU
    # is stopped by the CPU limits long before; this is the backstop for a process that stalls, and it must
    # leave room for a busy machine, where CPU seconds take longer than wall seconds.
    wall_seconds: float | None = None
    # Largest reply accepted from a process (bigger: the process is killed, the job fails).
    max_reply_bytes: int = 16 * MiB
    # CPU seconds one process may use in its life (RLIMIT_CPU hard limit); then it is replaced.
    lifetime_cpu_seconds: int = 600
    # How long a new process may take to start (imports) before the pool gives up on it.
    start_seconds: float = 60.0

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError("a sandbox pool needs at least one process")
        if self.memory_mb < 16 or self.max_reply_bytes < 1024:
            raise ValueError("sandbox process limits are too small")

    def timeout_for(self, cpu_seconds: float) -> float:
        """Return the wall timeout for a job allowed ``cpu_seconds`` of CPU."""
        return self.wall_seconds if self.wall_seconds is not None else 4 * cpu_seconds + 5


class _Process:
    """One sandbox process and the parent's end of its pipe."""

    def __init__(self, ctx: Any, config: PoolConfig) -> None:
        parent_end, child_end = ctx.Pipe(duplex=True)
        child = ChildConfig(config.function_sources, config.memory_mb * MiB, config.lifetime_cpu_seconds,
                            config.table_hooks)
        self.process = ctx.Process(target=serve, args=(child_end, child), daemon=True, name="smk-sandbox")
        try:
            self.process.start()
        finally:
            child_end.close()
        self.conn = parent_end
        # The decision-table files (by SHA-256) this process has been sent and keeps.
        self.tables: set[str] = set()

    def wait_ready(self, timeout: float) -> None:
        try:
            if not self.conn.poll(timeout):
                raise SandboxError(f"a sandbox process did not start within {timeout:g} s")
            message = self.conn.recv_bytes(64 * 1024)
        except (EOFError, OSError):
            raise SandboxCrash(f"a sandbox process exited while starting ({_describe(self.exit_code())})") from None
        if message != READY:
            reply = decode(message)
            error = _rebuild(reply.get("e")) if isinstance(reply, dict) else WireError("bad start message")
            raise SandboxError(f"a sandbox process could not start: {type(error).__name__}: {error}")

    def exit_code(self) -> int | None:
        self.process.join(2)
        return self.process.exitcode

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.join(5)
        except (OSError, ValueError, AssertionError):
            pass
        self.conn.close()
        try:
            self.process.close()
        except ValueError:
            pass  # still running after SIGKILL and 5 s: leave it to multiprocessing's clean-up


def _describe(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def _death(code: int | None, cpu_seconds: float) -> SandboxError:
    if code == -getattr(signal, "SIGXCPU", 24):
        return SandboxTimeout(f"script stopped: one operation used more than {cpu_seconds:g} s of CPU time "
                              f"(the operating system stopped the sandbox process; it was replaced)")
    return SandboxCrash(f"the sandbox process running this code crashed ({_describe(code)}); the server "
                        f"is unaffected and the process was replaced")


_KNOWN: dict[str, type[Exception]] = {cls.__name__: cls for cls in (
    SandboxError, SandboxViolation, SandboxTimeout, SandboxResourceError, SandboxCrash, WireError,
    TemplateFailed)}
_REMOTE: dict[str, type[Exception]] = {}
_REMOTE_LOCK = threading.Lock()


def _remote_class(name: str) -> type[Exception]:
    if not name.isidentifier() or len(name) > 80:
        return ScriptError
    with _REMOTE_LOCK:
        cls = _REMOTE.get(name)
        if cls is None:
            if len(_REMOTE) > 256:
                return ScriptError
            cls = type(name, (ScriptError,), {"__module__": __name__})
            _REMOTE[name] = cls
        return cls


def _rebuild(error: Any) -> Exception:
    """Turn a child's ``[type name, args, line, syntax]`` into an exception of a known or stand-in class."""
    if not (isinstance(error, list) and len(error) == 4 and isinstance(error[0], str)
            and isinstance(error[1], list) and isinstance(error[2], int)):
        return WireError("the sandbox process sent a malformed error")
    name, args, line, syntax = error
    if isinstance(syntax, list) and len(syntax) == 5:
        msg, lineno, offset, text, messages = syntax
        err: Exception = SandboxSyntaxError(str(msg), ("<string>", int(lineno), int(offset), str(text)))
        err.messages = tuple(str(m) for m in messages)  # type: ignore[attr-defined]
        return err
    cls = _KNOWN.get(name)
    if cls is None:
        candidate = getattr(builtins, name, None)
        if isinstance(candidate, type) and issubclass(candidate, Exception):
            cls = candidate
    if cls is None:
        cls = _remote_class(name)
    try:
        err = cls(*args)
    except Exception:
        err = _remote_class(name)(*args)
    err.script_line = line  # type: ignore[attr-defined]
    return err


class SandboxPool:
    """A fixed number of warm sandbox processes shared by every thread of this process."""

    def __init__(self, config: PoolConfig) -> None:
        self.config = config
        # Resolved here too, so a mismatch is found when the engine is built, not at the first script.
        self.functions = load_functions(config.function_sources)
        self.stats: Counter[str] = Counter()
        self._ctx = multiprocessing.get_context("forkserver")
        self._cond = threading.Condition()
        self._idle: list[_Process] = []
        self._live = 0  # idle + busy + starting
        self._pid = os.getpid()
        self._warmed = False
        self._closed = False

    # -- what the environment uses --------------------------------------------------------------------
    def check_functions(self, functions: Mapping[str, Callable[..., Any]]) -> None:
        """Raise ValueError unless every function is the one the sandbox processes import under that name."""
        wrong = sorted(name for name, func in functions.items() if self.functions.get(name) is not func)
        if wrong:
            raise ValueError(f"script functions {wrong} are not importable by the sandbox processes; give the "
                             f"extension a functions_module, or define them at module level")

    def run(self, job: tuple[Any, ...], cpu_seconds: float, tables: RuleTables | None = None) -> Any:
        """Send a job to a process and return its result; every failure is a SandboxError (or the script's own).

        With ``tables`` (the instance's pinned decision tables) the job carries the pins, and the content of each
        table file the chosen process does not hold yet; the process enters the applications' hooks around it.
        """
        try:
            payload = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError, ValueError, RecursionError) as exc:
            raise SandboxViolation(f"the task data cannot be sent to the sandbox: {exc}") from None
        timeout = self.config.timeout_for(cpu_seconds)
        self.stats["jobs"] += 1
        for _ in range(3):
            proc = self._acquire()
            try:
                proc.conn.send_bytes(payload if tables is None else self._with_tables(proc, payload, tables))
            except OSError:  # died while idle (killed from outside): nothing ran, try a fresh one
                self._discard(proc)
                continue
            except BaseException:
                self._discard(proc)
                raise
            return self._answer(proc, timeout, cpu_seconds)
        raise SandboxCrash("the sandbox processes keep failing to take a job")

    #: A process holding more table files than this is told to forget them all before the next ones.
    MAX_TABLES_PER_PROCESS = 256

    def _with_tables(self, proc: _Process, payload: bytes, tables: RuleTables) -> bytes:
        """Wrap a pickled job with the pins and the table files ``proc`` lacks: ("tables", pins, new, reset, job)."""
        missing = {sha: content for sha, content in tables.tables.values() if sha not in proc.tables}
        reset = len(proc.tables) + len(missing) > self.MAX_TABLES_PER_PROCESS
        if reset:
            proc.tables.clear()
            missing = {sha: content for sha, content in tables.tables.values()}
        proc.tables.update(missing)
        if missing:
            self.stats["table_files_sent"] += len(missing)
        return pickle.dumps(("tables", tables.pins, missing, reset, payload), protocol=pickle.HIGHEST_PROTOCOL)

    def render(self, source: str, data: Mapping[str, Any], cpu_seconds: float = 1.0,
               max_chars: int = 100_000) -> str:
        """Render an instruction template in a sandbox process; raises SandboxError subclasses."""
        clean = {k: v for k, v in data.items() if isinstance(k, str) and k.isidentifier()}
        result = self.run(("render", source, clean, cpu_seconds, max_chars), cpu_seconds)
        if not isinstance(result, str):
            raise WireError("the template did not render to text")
        return result

    # -- processes ------------------------------------------------------------------------------------
    def _answer(self, proc: _Process, timeout: float, cpu_seconds: float) -> Any:
        failure: SandboxError | None = None
        try:
            if proc.conn.poll(timeout):
                raw = proc.conn.recv_bytes(self.config.max_reply_bytes)
            else:
                self.stats["timeouts"] += 1
                failure = SandboxTimeout(f"script stopped: no answer within {timeout:g} s; the sandbox process "
                                         f"was killed and replaced")
        except EOFError:
            self.stats["crashes"] += 1
            failure = _death(proc.exit_code(), cpu_seconds)
        except OSError:  # longer than max_reply_bytes ("bad message length"), or the pipe broke
            self.stats["oversized"] += 1
            failure = SandboxResourceError(f"script result is larger than {self.config.max_reply_bytes:,} bytes "
                                           f"(or the sandbox process failed); it was discarded")
        except BaseException:
            self._discard(proc)
            raise
        if failure is not None:
            self._discard(proc)
            raise failure
        try:
            reply = decode(raw)
            if not isinstance(reply, dict) or not ("r" in reply or "e" in reply):
                raise WireError("the sandbox process sent a reply of the wrong shape")
        except WireError:
            self._discard(proc)
            raise
        if reply.get("x"):
            self._discard(proc)
        else:
            self._release(proc)
        if "r" in reply:
            return reply["r"]
        raise _rebuild(reply["e"])

    def warm(self) -> None:
        """Start every missing process now (in parallel) and wait until they are ready."""
        with self._cond:
            self._check_owner()
            missing = self.config.workers - self._live
            self._live += max(missing, 0)
            self._warmed = True
        started: list[_Process] = []
        try:
            for _ in range(missing):
                started.append(self._spawn())
        finally:
            failed = missing - len(started)
            ready: list[_Process] = []
            error: BaseException | None = None
            for proc in started:
                try:
                    proc.wait_ready(self.config.start_seconds)
                    ready.append(proc)
                except BaseException as exc:  # noqa: BLE001 - reported after the others are placed
                    proc.kill()
                    failed += 1
                    error = exc
            with self._cond:
                self._live -= failed
                self._idle.extend(ready)
                self._cond.notify_all()
        if error is not None and not ready and not self._idle:
            raise error

    def _spawn(self) -> _Process:
        self.stats["started"] += 1
        return _Process(self._ctx, self.config)

    def _acquire(self) -> _Process:
        if not self._warmed:
            self.warm()
        with self._cond:
            self._check_owner()
            while not self._idle:
                if self._closed:
                    raise SandboxError("the sandbox pool is shut down")
                if self._live < self.config.workers:
                    self._live += 1
                    break
                self._cond.wait()
            else:
                return self._idle.pop()
        try:
            proc = self._spawn()
            proc.wait_ready(self.config.start_seconds)
        except BaseException:
            with self._cond:
                self._live -= 1
                self._cond.notify()
            raise
        return proc

    def _release(self, proc: _Process) -> None:
        with self._cond:
            if self._closed or os.getpid() != self._pid:
                proc.kill()
                self._live -= 1
            else:
                self._idle.append(proc)
            self._cond.notify()

    def _discard(self, proc: _Process) -> None:
        """Kill a process whose state is unknown and start its replacement in the background."""
        self.stats["replaced"] += 1
        proc.kill()
        with self._cond:
            self._live -= 1
            self._cond.notify()
            if self._closed:
                return
        threading.Thread(target=self._replace, name="smk-sandbox-replace", daemon=True).start()

    def _replace(self) -> None:
        with self._cond:
            if self._closed or self._live >= self.config.workers:
                return
            self._live += 1
        try:
            proc = self._spawn()
            proc.wait_ready(self.config.start_seconds)
        except BaseException:  # noqa: BLE001 - the next job starts one on demand
            with self._cond:
                self._live -= 1
                self._cond.notify()
            return
        self._release(proc)

    def _check_owner(self) -> None:
        if os.getpid() != self._pid:  # we are a forked copy: the processes belong to the parent
            self._idle, self._live, self._pid, self._warmed = [], 0, os.getpid(), False

    def size(self) -> int:
        """Return how many processes exist (idle, busy or starting)."""
        with self._cond:
            return self._live

    def pids(self) -> list[int]:
        """Return the pids of the idle processes (for tests and diagnostics)."""
        with self._cond:
            return [p.process.pid for p in self._idle if p.process.pid is not None]

    def close(self) -> None:
        """Stop every idle process; busy ones are stopped when their job returns."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._live -= len(idle)
            self._cond.notify_all()
        for proc in idle:
            proc.kill()


_SHARED: dict[PoolConfig, SandboxPool] = {}
_SHARED_LOCK = threading.Lock()


def shared_pool(config: PoolConfig) -> SandboxPool:
    """Return this process's pool for ``config`` (one per distinct configuration, started on first use)."""
    with _SHARED_LOCK:
        pool = _SHARED.get(config)
        if pool is None or pool._closed or pool._pid != os.getpid():
            pool = SandboxPool(config)
            _SHARED[config] = pool
            _preload(config)
        return pool


def _preload(config: PoolConfig) -> None:
    """Have the fork server import the sandbox and the function modules once (no effect once it runs)."""
    modules = ["engine.sandbox.child", "engine.sandbox.templates", "jinja2.sandbox"]
    for source in config.function_sources:
        path = source.partition("=")[2] or source
        modules.append(path.partition(":")[0])
    modules.extend(path.partition(":")[0] for path in config.table_hooks)
    multiprocessing.get_context("forkserver").set_forkserver_preload(modules)


@atexit.register
def _close_shared() -> None:
    with _SHARED_LOCK:
        pools = list(_SHARED.values())
        _SHARED.clear()
    for pool in pools:
        pool.close()


def function_sources(functions: Mapping[str, Callable[..., Any]], module: str | None = None) -> tuple[str, ...]:
    """Say where sandbox processes import ``functions``: ``module`` (a "pkg.mod:MAPPING" that holds exactly these
    functions under these names), else each function by its module and qualified name."""
    if not functions:
        return ()
    if module:
        mapping = load_functions((module,))
        wrong = sorted(n for n, f in functions.items() if mapping.get(n) is not f)
        if wrong:
            raise ValueError(f"{module} does not provide the script functions {wrong}")
        return (module,)
    sources = []
    for name, func in functions.items():
        path = f"{getattr(func, '__module__', '')}:{getattr(func, '__qualname__', '')}"
        try:
            importable = resolve(path) is func
        except Exception:
            importable = False
        if not importable:
            raise ValueError(f"script function {name!r} cannot be imported by the sandbox processes ({path}); "
                             f"define it at module level, or give its extension a functions_module")
        sources.append(f"{name}={path}")
    return tuple(sources)


__all__ = ["PoolConfig", "SandboxCrash", "SandboxPool", "ScriptError", "function_sources", "shared_pool"]
