"""Resource limits for sandboxed expressions and the per-call budget that enforces them."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from .errors import SandboxResourceError, SandboxTimeout


@dataclass(frozen=True)
class SandboxLimits:
    """Bounds applied to every evaluate/execute call.

    cpu_seconds: CPU time of the calling thread for one call.
    max_memory_bytes: bytes one call may produce through size-guarded operations, and the
        growth of the process's resident memory tolerated while the call runs.
    max_int_digits: decimal digits of any integer produced by ``**``, ``*``, ``<<`` or ``int()``.
    max_sequence_length: elements of a list/tuple/range or characters of a string built by
        repetition, concatenation, padding, joining or formatting.
    max_recursion: depth of nested calls to functions defined inside the script.
    max_data_nodes / max_data_depth: size and nesting of the task data a script leaves behind
        (counted as a tree, so shared sub-structures count every time they appear).
    """

    cpu_seconds: float = 2.0
    max_memory_bytes: int = 64 * 2**20
    max_int_digits: int = 4300
    max_sequence_length: int = 1_000_000
    max_recursion: int = 100
    max_data_nodes: int = 1_000_000
    max_data_depth: int = 100

    def __post_init__(self) -> None:
        if self.cpu_seconds <= 0 or self.max_memory_bytes <= 0:
            raise ValueError("sandbox limits must be positive")

    @property
    def max_int_bits(self) -> int:
        """Return the bit length matching max_int_digits (log2(10) ~ 3.33 bits per digit)."""
        return self.max_int_digits * 10 // 3 + 1


# How often (wall seconds) the slow checks run; the fast path between them is one clock read.
_CHECK_INTERVAL = 0.005
# Results smaller than this are not added to the per-call byte total.
_CHARGE_FROM = 4096
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident_bytes() -> int | None:
    """Return this process's resident memory in bytes, or None where /proc is unavailable."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError):
        return None


class Budget:
    """Per-call CPU, memory and recursion accounting; its methods are the `_tick_` family of guards.

    One Budget exists per evaluate/execute call, so concurrent calls in different threads never
    share state. The clock starts lazily at the first tick: straight-line code before it contains
    no calls and no loops, so it cannot run long.
    """

    __slots__ = ("limits", "_started", "_cpu_deadline", "_next_check", "_rss_base", "depth",
                 "charged", "tripped")

    def __init__(self, limits: SandboxLimits) -> None:
        self.limits = limits
        self._started = False
        self._cpu_deadline = 0.0
        self._next_check = 0.0  # forces the first tick onto the slow path
        self._rss_base: int | None = None
        self.depth = 0
        self.charged = 0
        self.tripped: BaseException | None = None

    def tick(self) -> bool:
        """Check the deadline; cheap unless a check is due. Returns True so it can sit in `and`/`if`."""
        if time.perf_counter() < self._next_check:
            return True
        self._slow_check()
        return True

    def _slow_check(self) -> None:
        if self.tripped is not None:
            # Sticky: a script that catches our error hits it again at its next tick.
            raise self.tripped
        now_cpu = time.thread_time()
        if not self._started:
            self._started = True
            self._cpu_deadline = now_cpu + self.limits.cpu_seconds
        elif now_cpu > self._cpu_deadline:
            self.trip(SandboxTimeout(
                f"script stopped: it used more than {self.limits.cpu_seconds:g} s of CPU time"))
        elif self._rss_base is None:
            # Baseline at the first periodic check (~5 ms in), so short scripts never read /proc;
            # big allocations before it are bounded by the size guards.
            self._rss_base = resident_bytes()
        else:
            rss = resident_bytes()
            if rss is not None and rss - self._rss_base > self.limits.max_memory_bytes:
                grown = (rss - self._rss_base) // 2**20
                self.trip(SandboxResourceError(
                    f"script stopped: process memory grew by {grown} MiB while it ran "
                    f"(limit {self.limits.max_memory_bytes // 2**20} MiB)"))
        # Wall time never runs slower than this thread's CPU time, so perf_counter is a safe
        # (and ~5x cheaper) pre-filter for the CPU deadline.
        self._next_check = time.perf_counter() + min(
            _CHECK_INTERVAL, max(self._cpu_deadline - now_cpu, 0.0))

    def trip(self, error: BaseException) -> None:
        """Record a fatal error so every later tick re-raises it, then raise it."""
        self.tripped = error
        self._next_check = float("-inf")
        raise error

    def enter(self) -> None:
        """Count one level of script-function recursion and tick."""
        self.depth += 1
        if self.depth > self.limits.max_recursion:
            self.depth -= 1
            self.trip(SandboxResourceError(
                f"script stopped: recursion deeper than {self.limits.max_recursion} calls"))
        if time.perf_counter() >= self._next_check:
            self._slow_check()

    def leave(self) -> None:
        """Undo one enter()."""
        self.depth -= 1

    def charge(self, size: int, what: str, item_bytes: int = 8) -> None:
        """Refuse one result larger than the sequence limit, and the call's total past the byte cap."""
        limits = self.limits
        if size > limits.max_sequence_length:
            raise SandboxResourceError(
                f"{what} would have {size:,} elements/characters (limit {limits.max_sequence_length:,})")
        if size < _CHARGE_FROM:
            return  # small temporaries are freed at once; the RSS check covers many of them
        self.charged += size * item_bytes
        if self.charged > limits.max_memory_bytes:
            self.trip(SandboxResourceError(
                f"script stopped: it built more than {limits.max_memory_bytes // 2**20} MiB of "
                f"strings/sequences (last: {what})"))
