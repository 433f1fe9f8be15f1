"""Service-task operations implemented by the engine (called from BPMN service tasks by name).

Each takes (step context, parameters, task data) and returns JSON data that Spiff stores in the task's
result variable. They run inside the transaction of the step that calls them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from engine.runtime import Operation, StepContext


def _org_lookup(ctx: StepContext, params: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Return the subject employee's name, position, unit and assessor for display in forms."""
    from engine.assignment import pejabat_penilai
    from engine.models import User

    subject_id = params.get("employee_id") or ctx.instance.subject_id
    employee = ctx.session.get(User, subject_id) if subject_id else None
    if employee is None:
        raise ValueError(f"employee {subject_id!r} does not exist")
    assessor = pejabat_penilai(ctx.session, employee.id)
    position = employee.position
    return {
        "id": employee.id, "nama": employee.full_name, "nip": employee.nip or "",
        "jabatan": position.title if position else "", "jenis_jabatan": position.jenis if position else "",
        "jenjang": position.jenjang if position else "", "unit": position.unit.name if position else "",
        "unit_code": position.unit.code if position else "",
        "pejabat_penilai": assessor.full_name if assessor else "",
        "pejabat_penilai_id": assessor.id if assessor else None,
    }


def _list_employees(ctx: StepContext, params: dict[str, Any], data: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the active employees holding a position, optionally within one unit and its sub-units."""
    from engine.models import Position, Unit, User

    units = None
    if params.get("unit_code"):
        root = ctx.session.scalar(select(Unit).where(Unit.code == params["unit_code"]))
        if root is None:
            raise ValueError(f"unit {params['unit_code']!r} does not exist")
        units, frontier = {root.id}, [root.id]
        while frontier:
            frontier = list(ctx.session.scalars(select(Unit.id).where(Unit.parent_id.in_(frontier))))
            units.update(frontier)
    query = select(User, Position, Unit).join(Position, User.position_id == Position.id) \
        .join(Unit, Position.unit_id == Unit.id).where(User.active).order_by(Position.code)
    if units is not None:
        query = query.where(Position.unit_id.in_(units))
    return [{"id": u.id, "nama": u.full_name, "nip": u.nip or "", "jabatan": p.title, "jenis_jabatan": p.jenis,
             "jenjang": p.jenjang, "unit_code": unit.code, "position_code": p.code}
            for u, p, unit in ctx.session.execute(query)]


def _start_process(ctx: StepContext, params: dict[str, Any], data: dict[str, Any]) -> int:
    """Start the latest version of ``process_id`` for each subject (default: every employee); return how many."""
    from engine.deployments import latest_version
    from engine.instances import start_in_session
    from engine.models import Position, User

    process_id = params.get("process_id")
    if not process_id:
        raise ValueError("start_process needs a process_id")
    period = str(params.get("period") or ctx.instance.period)
    subjects = params.get("subject_ids")
    if subjects is None:
        subjects = list(ctx.session.scalars(select(User.id).join(Position, User.position_id == Position.id)
                                            .where(User.active).order_by(Position.code)))
    version = latest_version(ctx.session, process_id)
    for subject_id in subjects:
        start_in_session(ctx.engine, ctx.session, version, ctx.actor_id, int(subject_id), period,
                         dict(params.get("data") or {}))
    return len(subjects)


def _count_instances(ctx: StepContext, params: dict[str, Any], data: dict[str, Any]) -> int:
    """Count instances of a process in a period, optionally with one status."""
    from engine.models import Instance

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
    from engine.models import Instance

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
    from engine.instances import business_key

    period = str(params.get("period") or "").strip()
    if not period or len(period) > 40:
        raise ValueError("set_period needs a period of 1 to 40 characters")
    ctx.instance.period = period
    ctx.instance.business_key = business_key(ctx.instance.subject_id, period)
    return period


def builtin_operations() -> dict[str, Operation]:
    return {
        "set_period": _set_period,
        "org_lookup": _org_lookup,
        "list_employees": _list_employees,
        "start_process": _start_process,
        "count_instances": _count_instances,
        "find_instance_data": _find_instance_data,
    }
