"""Make SpiffWorkflow's timers read the engine's clock, so tests and simulations can move time.

Spiff's timer event definitions call ``datetime.now(timezone.utc)`` directly. We replace the ``datetime``
name inside that one module with a subclass whose ``now`` returns the engine clock's time while engine
steps run (a context variable, so concurrent threads keep their own time) and the real time otherwise.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import datetime, tzinfo

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer

spiff_now: ContextVar[datetime | None] = ContextVar("spiff_now", default=None)


class _EngineDatetime(datetime):
    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        current = spiff_now.get()
        if current is None:
            return datetime.now(tz)
        return current.astimezone(tz) if tz is not None else current.replace(tzinfo=None)


_timer.datetime = _EngineDatetime  # type: ignore[misc,assignment]
