"""Service-task operations implemented by the engine (called from BPMN service tasks by name)."""

from __future__ import annotations

from typing import Any

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
        "pejabat_penilai": assessor.full_name if assessor else "",
        "pejabat_penilai_id": assessor.id if assessor else None,
    }


def builtin_operations() -> dict[str, Operation]:
    return {"org_lookup": _org_lookup}
