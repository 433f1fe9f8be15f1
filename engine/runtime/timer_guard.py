"""Refuse, while a process runs, a timer duration beyond the horizon (``SMK_TIMER_HORIZON_YEARS``).

SpiffWorkflow turns a duration into days month by month, so ``P99999999999Y`` keeps the engine busy for hours
while it holds the database's write lock. Deployment refuses such constant expressions; a duration computed from
task data is checked here, where SpiffWorkflow parses it (timeDuration, and the interval of a timeCycle): the
step raises, and the instance fails with a clear error instead of hanging. Imported once, by the runner.
"""

from __future__ import annotations

import functools
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.deploy.safety import duration_problem
from engine.limits import current


class TimerBeyondHorizon(ValueError):
    """A timer expression gave a duration longer than the horizon."""


def _bounded(parse: Any) -> Any:
    @functools.wraps(parse)
    def parse_iso_duration(expression: str) -> dict[str, Any]:
        parsed = parse(expression)
        problem = duration_problem(parsed, expression, current().timer_horizon_years)
        if problem is not None:
            raise TimerBeyondHorizon(str(problem))
        return parsed

    return parse_iso_duration


if not hasattr(TimerEventDefinition.parse_iso_duration, "__wrapped__"):  # once, however often imported
    TimerEventDefinition.parse_iso_duration = staticmethod(_bounded(TimerEventDefinition.parse_iso_duration))
