"""Fixtures and helpers for the SMK model tests: every step goes through the engine's services, so each
completion reloads the stored state (every path test is also a persistence test)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from engine.access import is_group_task
from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.runtime import Instance, TaskIndex
from engine.runtime.clock import FixedClock
from engine.services import instances
from engine.services.worker import run_engine_jobs

BPMN = Path(__file__).resolve().parents[2] / "bpmn"

IKU = [{"unit_code": "DEP", "kode": "IKU-1", "nama": "Indeks Sistem Merit", "target": "0.8"},
       {"unit_code": "BRP", "kode": "IKU-2", "nama": "Nilai SAKIP", "target": "80"}]


def period_data(regime: str = "C", frekuensi: str = "triwulanan", year: int = 2023, **extra: Any) -> dict[str, Any]:
    """Start data of a planning instance, as the period process passes it."""
    if regime == "A":
        start, end, slices = "2021-01-01", "2021-06-30", 6 if frekuensi == "bulanan" else 2
        skp, nilai = "2021-01-31", "2021-07-31"
    elif regime == "B":
        start, end, slices = "2021-07-01", "2021-12-31", 6 if frekuensi == "bulanan" else 2
        skp, nilai = "2021-07-31", "2022-01-31"
    else:
        start, end, slices = f"{year}-01-01", f"{year}-12-31", 12 if frekuensi == "bulanan" else 4
        skp, nilai = f"{year}-01-31", f"{year + 1}-01-31"
    return {"regime": regime, "frekuensi": frekuensi, "tanggal_mulai": start, "tanggal_akhir": end,
            "jumlah_slice": slices, "batas_skp": skp, "batas_penilaian": nilai, "maks_putaran": 2,
            "iku_organisasi": IKU, **extra}


def open_tasks(eng: Engine, task_name: str | None = None, subject: int | None = None,
               process_id: str | None = None) -> list[TaskIndex]:
    with eng.session_factory() as s:
        q = select(TaskIndex).where(TaskIndex.closed_at.is_(None))
        if task_name:
            q = q.where(TaskIndex.task_name == task_name)
        if subject is not None:
            q = q.where(TaskIndex.subject_id == subject)
        if process_id:
            q = q.where(TaskIndex.process_id == process_id)
        return list(s.scalars(q.order_by(TaskIndex.ready_at)))


def act(eng: Engine, user_id: int, task_name: str, data: dict[str, Any], subject: int | None = None,
        process_id: str | None = None) -> instances.InstanceSummary:
    """Complete the one open task of that name (for that subject) as ``user_id``, claiming a group task first."""
    found = open_tasks(eng, task_name, subject, process_id)
    assert len(found) == 1, f"expected one open '{task_name}', found {[(t.task_name, t.subject_id) for t in found]}"
    row = found[0]
    if is_group_task(row) and row.assignee_id is None:
        instances.claim_task(eng, user_id, row.id)
    return instances.complete_task(eng, user_id, row.id, data)


def task_data(eng: Engine, user_id: int, task_name: str, subject: int | None = None) -> dict[str, Any]:
    found = open_tasks(eng, task_name, subject)
    assert len(found) == 1, [(t.task_name, t.subject_id) for t in found]
    return instances.get_task(eng, user_id, found[0].id).data


def find_instances(eng: Engine, process_id: str, subject: int | None = None, period: str | None = None
                   ) -> list[Instance]:
    with eng.session_factory() as s:
        q = select(Instance).where(Instance.process_id == process_id)
        if subject is not None:
            q = q.where(Instance.subject_id == subject)
        if period is not None:
            q = q.where(Instance.period == period)
        return list(s.scalars(q.order_by(Instance.id)))


def final_data(eng: Engine, instance_id: int) -> dict[str, Any]:
    """Return the data of a stored instance: the workflow data when completed, else its newest task's data."""
    with eng.session_factory() as s:
        inst = s.get(Instance, instance_id)
        assert inst is not None
        bundle = eng.specs.for_version(s, inst.process_version_id)
        workflow = eng.runtime.load(inst, bundle)
        if workflow.is_completed():
            return dict(workflow.data)
        return dict(workflow.last_task.data)


def events(eng: Engine, kind: str) -> list[dict[str, Any]]:
    with eng.session_factory() as s:
        # The employee an event concerns is a column of its own since the audit chain (migration 0006).
        return [{"subject_id": e.subject_id, **(e.data or {}), "instance_id": e.instance_id}
                for e in s.scalars(select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.id))]


def advance(eng: Engine, clock: FixedClock, **delta: float) -> int:
    """Move the clock (plus one second, as a polling worker comes a moment after a timer falls due), fire
    every timer that fell due and deliver the kept messages whose instance now waits for them, as the worker
    does; return how many instances fired a timer or took a kept message.

    The extra second matters: SpiffWorkflow fires a timer only when its time is strictly past, while the
    engine's timer index treats a timer as due at that very instant (reported to the engine's owner).
    """
    clock.advance(**delta)
    clock.advance(seconds=1)
    return run_engine_jobs(eng)


def status(eng: Engine, instance_id: int) -> str:
    with eng.session_factory() as s:
        inst = s.get(Instance, instance_id)
        assert inst is not None
        return inst.status


def set_unit_rating(eng: Engine, org: dict[str, int], head: str, predikat_unit: str, period: str = "2023") -> int:
    """Have the unit head rate their unit through smk_predikat_unit (as the period process starts it)."""
    inst = instances.start_instance(eng, "smk_predikat_unit", org["indah"], org[head], period, {}).id
    act(eng, org[head], "tetapkan_predikat_unit", {"predikat_unit": predikat_unit,
                                                   "dasar_penetapan": "Capaian IKU unit"}, org[head])
    return inst
