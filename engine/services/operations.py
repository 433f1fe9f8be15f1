"""Service-task operations implemented by the engine (called from BPMN service tasks by name).

Each takes (step context, parameters, task data) and returns JSON data that Spiff stores in the task's
result variable. They run inside the transaction of the step that calls them.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select

from engine.db.org import Position, User
from engine.db.runtime import Instance
from engine.extension import Extension
from engine.runtime.runner import Operation, StepContext
from engine.services.deferred import defer_starts
from engine.services.deployments import latest_version
from engine.services.fallback import task_capacity
from engine.services.stepping import business_key, start_in_session


def _start_process(ctx: StepContext, params: dict[str, Any], data: dict[str, Any]) -> int:
    """Start the latest version of ``process_id`` for each subject (default: every employee); return how many.

    With ``bertahap`` true, nothing is started in this step: one deferred start per subject is written (one
    statement) and the worker starts each in its own transaction (``engine.services.deferred.start_deferred``)."""

    process_id = params.get("process_id")
    if not process_id:
        raise ValueError("start_process needs a process_id")
    period = str(params.get("period") or ctx.instance.period)
    subjects = params.get("subject_ids")
    if subjects is None:
        subjects = list(ctx.session.scalars(select(User.id).join(Position, User.position_id == Position.id)
                                            .where(User.active).order_by(Position.code)))
    version = latest_version(ctx.session, process_id)
    if params.get("bertahap"):
        # Written now, started by the background worker one per transaction (engine.services.deferred).
        return defer_starts(ctx.session, version, [int(s) for s in subjects], period, dict(params.get("data") or {}),
                            ctx.actor_id, ctx.instance, ctx.now)
    for subject_id in subjects:
        start_in_session(ctx.engine, ctx.session, version, ctx.actor_id, int(subject_id), period,
                         dict(params.get("data") or {}))
    return len(subjects)


def _count_instances(ctx: StepContext, params: dict[str, Any], data: dict[str, Any]) -> int:
    """Count instances of a process in a period, optionally with one status."""

    query = select(func.count(Instance.id)).where(Instance.process_id == params["process_id"],
                                                  Instance.period == str(params.get("period", ctx.instance.period)))
    if params.get("status"):
        query = query.where(Instance.status == params["status"])
    return ctx.session.scalar(query) or 0


def _find_instance_data(ctx: StepContext, params: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Return chosen keys of the workflow data of the latest instance of a process for an employee and period.

    The data is read from the process's last completed task (or the newest task when it is still running),
    so a model can use what another instance decided (the superior's RHK, last year's predikat).
    """

    query = select(Instance).where(Instance.process_id == params["process_id"],
                                   Instance.subject_id == params.get("subject_id", ctx.instance.subject_id),
                                   Instance.period == str(params.get("period", ctx.instance.period)))
    if params.get("status"):
        query = query.where(Instance.status == params["status"])
    found = ctx.session.scalars(query.order_by(Instance.id.desc())).first()
    if found is None:
        return {"ditemukan": False}
    engine = ctx.engine
    bundle = engine.specs.for_version(ctx.session, found.process_version_id)
    workflow = engine.runtime.load(found, bundle)
    source = workflow.last_task.data if workflow.last_task is not None else {}
    keys = params.get("keys") or []
    result = {k: source.get(k) for k in keys}
    result.update(ditemukan=True, instance_id=found.id, status=found.status)
    return result


def _set_period(ctx: StepContext, params: dict[str, Any], data: dict[str, Any]) -> str:
    """Set the running instance's period (and so its business key), e.g. once Biro SDM has chosen it."""
    period = str(params.get("period") or "").strip()
    if not period or len(period) > 40:
        raise ValueError("set_period needs a period of 1 to 40 characters")
    ctx.instance.period = period
    ctx.instance.business_key = business_key(ctx.instance.subject_id, period)
    return period


def _end_of_day(ctx: StepContext, params: dict[str, Any], data: dict[str, Any]) -> str:
    """Return the end of the ``days``-th calendar day from today as an ISO 8601 time with its offset.

    For a deadline read the way people read "within 14 days": the whole of the last day counts. ``days`` is
    counted in calendar days from the current date in ``timezone`` (default Asia/Jakarta); the day ends at
    ``time`` (default 23:59:59). A timer on the result fires at the first instant after it.
    """
    days = params.get("days")
    if isinstance(days, str) and days.strip().isdigit():
        days = int(days)
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 3660:
        raise ValueError(f"end_of_day needs days as a whole number from 0 to 3660, got {days!r}")
    name = str(params.get("timezone") or "Asia/Jakarta")
    try:
        zone = ZoneInfo(name)
        at = time.fromisoformat(str(params.get("time") or "23:59:59"))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"end_of_day: {exc}") from None
    today = ctx.now.astimezone(zone).date()
    return datetime.combine(today + timedelta(days=days), at.replace(tzinfo=None), zone).isoformat()


def builtin_operations() -> dict[str, Operation]:
    return {
        "end_of_day": _end_of_day,
        "set_period": _set_period,
        "start_process": _start_process,
        "count_instances": _count_instances,
        "find_instance_data": _find_instance_data,
        "task_capacity": task_capacity,  # in which capacity someone completed a task (engine.services.fallback)
    }


def builtin_extension() -> Extension:
    """Return the engine's own service operations, for ``Engine(extensions=[...])``."""
    return Extension("engine", operations=builtin_operations())
