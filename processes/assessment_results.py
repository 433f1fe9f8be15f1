"""The outcome of each employee's assessment, per period, in the results table (``subject_result``).

Reports and the employee history read an assessment's predikat from here (one indexed query by kind, period and
employees), never from the workflow's stored state. One row per employee and period, kind ``smk.hasil_penilaian``,
holding:

- ``usulan`` / ``nilai_usulan``: the predikat (and nilai, regimes A and B) the assessor delivered to the employee
  (``predikat_awal`` / ``nilai_awal`` in the model, set when the result is delivered, after the curve check);
- ``predikat`` / ``nilai``: the current one: the proposal while the objection window is open, the final one after;
- ``final``: True once the assessment is final (``status_penilaian == 'final'``), with ``keberatan`` (the objection:
  ``tidak_diajukan``, ``diterima`` (upheld, the predikat changed), ``ditolak``) and ``final_karena`` (why it became
  final: ``diterima_pegawai`` accepted, ``batas_waktu`` the 14 days ran out, ``keputusan_atasan_penilai`` the
  Atasan Pejabat Penilai (or their Plt/Plh) decided the objection, ``keputusan_pengganti`` a stand-in decided it in
  their place, with ``kelompok_pengganti``: the stand-in's groups among the model's fallback groups, e.g. "Tim
  Penilai Kinerja"; only this value has it, so the rows of older models and outcomes are unchanged);
- ``hasil_kerja``, ``perilaku``, ``regime``.

When it is recorded: the assessment model (``bpmn/smk/smk_penilaian.bpmn``) calls a service task right after each
of those two moments (``hitung_batas_keberatan`` after the result is delivered, ``mulai_tindak_lanjut`` after it is
final). ``recording`` wraps every service operation the SMK engine runs so that, in an assessment instance, the
task data is looked at first and the row written when it says more than the table holds; the recording is part of
the same transaction as the step, and each change is an audit event of the same kind (``record_result``). The
models need no change for it; an explicit service task would say the same in the diagram.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core import Engine
from engine.db.results import SubjectResult
from engine.db.runtime import COMPLETED, Instance, TaskIndex
from engine.runtime.runner import Operation, StepContext
from engine.runtime.serializer import stored_task_data
from engine.services import audit
from engine.services.results import record_result

ASSESSMENT = "smk_penilaian"
RESULT = "smk.hasil_penilaian"
#: ``final_karena`` of an objection decided by a stand-in for the Atasan Pejabat Penilai (``engine.services.fallback``).
STAND_IN_DECISION = "keputusan_pengganti"
#: The tasks whose data holds a delivered result while the assessment waits (backfill of open cases).
WAITING_TASKS = ("terima_hasil", "putus_keberatan")


@dataclass(frozen=True)
class AssessmentResult:
    """An employee's result in a period, as the results table holds it."""

    subject_id: int
    period: str
    usulan: str
    predikat: str
    final: bool
    nilai_usulan: float | None = None
    nilai: float | None = None
    hasil_kerja: str = ""
    perilaku: str = ""
    regime: str = ""
    keberatan: str = ""  # tidak_diajukan | diterima | ditolak | "" (not final yet)
    final_karena: str = ""
    instance_id: int | None = None
    recorded_at: datetime | None = None
    kelompok_pengganti: str = ""  # with final_karena keputusan_pengganti: the stand-in's groups ("Tim Penilai Kinerja")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def value_from_data(data: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return the results-table value an assessment's workflow data stands for, or None before it is delivered."""
    usulan = data.get("predikat_awal")
    if not usulan:
        return None
    final = data.get("status_penilaian") == "final"
    value = {
        "usulan": str(usulan), "nilai_usulan": _number(data.get("nilai_awal")),
        "predikat": str(data.get("predikat") or usulan) if final else str(usulan),
        "nilai": _number(data.get("nilai")) if final else _number(data.get("nilai_awal")),
        "final": final, "keberatan": str(data.get("keberatan_status") or "") if final else "",
        "final_karena": str(data.get("final_karena") or "") if final else "",
        "hasil_kerja": str(data.get("hasil_kerja") or ""), "perilaku": str(data.get("perilaku") or ""),
        "regime": str(data.get("regime") or ""),
    }
    if final and data.get("final_karena") == STAND_IN_DECISION:
        value["kelompok_pengganti"] = str(data.get("kelompok_pengganti") or "")
    return value


def record_from_data(session: Session, instance: Instance, data: Mapping[str, Any], now: datetime) -> bool:
    """Record the assessment's result if its data says more than the table holds; return whether it wrote."""
    if instance.process_id != ASSESSMENT or not instance.subject_id or not instance.period:
        return False
    value = value_from_data(data)
    if value is None:
        return False
    held = session.scalars(select(SubjectResult).where(
        SubjectResult.kind == RESULT, SubjectResult.period == instance.period,
        SubjectResult.subject_id == instance.subject_id).order_by(SubjectResult.id.desc()).limit(1)).first()
    if held is not None and held.value == value and held.instance_id == instance.id:
        return False
    if held is not None and held.unit_id is not None:
        unit_id: int | None = held.unit_id  # one row per employee and period, even if they moved since
    else:
        unit_id = audit.subject_unit(session, instance)
    record_result(session, RESULT, instance.period, value, subject_id=instance.subject_id, unit_id=unit_id,
                  instance_id=instance.id, now=now, audit_kind=RESULT, audit_data={"periode": instance.period})
    return True


def recording(operations: Mapping[str, Operation]) -> dict[str, Operation]:
    """Wrap service operations so that an assessment's result is recorded when one of them runs after it changed."""

    def wrap(operation: Operation) -> Operation:
        def run(ctx: StepContext, params: dict[str, Any], data: dict[str, Any]) -> Any:
            if ctx.instance.process_id == ASSESSMENT:
                record_from_data(ctx.session, ctx.instance, data, ctx.now)
            return operation(ctx, params, data)
        run.__name__ = getattr(operation, "__name__", "operation")
        run.__doc__ = operation.__doc__
        return run

    return {name: wrap(op) for name, op in operations.items()}


def _plain(subject_id: int, period: str, value: Mapping[str, Any], instance_id: int | None,
           recorded_at: datetime | None) -> AssessmentResult:
    return AssessmentResult(
        subject_id, period, str(value.get("usulan") or ""), str(value.get("predikat") or ""), bool(value.get("final")),
        _number(value.get("nilai_usulan")), _number(value.get("nilai")), str(value.get("hasil_kerja") or ""),
        str(value.get("perilaku") or ""), str(value.get("regime") or ""), str(value.get("keberatan") or ""),
        str(value.get("final_karena") or ""), instance_id, recorded_at, str(value.get("kelompok_pengganti") or ""))


def assessment_results(session: Session, period: str, subject_ids: Collection[int] | None = None
                       ) -> dict[int, AssessmentResult]:
    """Return the recorded result of each of these employees (None: everyone) in the period.

    One index range scan of the period's rows, the fields taken out of the JSON value by the database; beyond a
    thousand employees the rows are filtered here rather than by a long ``IN`` list."""
    wanted = None if subject_ids is None else set(subject_ids)
    if wanted is not None and not wanted:
        return {}
    v = SubjectResult.value
    query = select(SubjectResult.subject_id, SubjectResult.instance_id, SubjectResult.recorded_at,
                   v["usulan"].as_string(), v["predikat"].as_string(), v["final"].as_boolean(),
                   v["nilai_usulan"].as_float(), v["nilai"].as_float(), v["hasil_kerja"].as_string(),
                   v["perilaku"].as_string(), v["regime"].as_string(), v["keberatan"].as_string(),
                   v["final_karena"].as_string(), v["kelompok_pengganti"].as_string()).where(SubjectResult.kind == RESULT, SubjectResult.period == period,
                                                        SubjectResult.subject_id.is_not(None))
    if wanted is not None and len(wanted) <= 1000:
        query = query.where(SubjectResult.subject_id.in_(sorted(wanted)))
    found: dict[int, AssessmentResult] = {}
    for sid, iid, at, usulan, predikat, final, nilai_usulan, nilai, hasil, perilaku, regime, keberatan, karena, \
            kelompok in session.connection().execute(query.order_by(SubjectResult.id)).all():
        if wanted is None or sid in wanted:
            found[sid] = AssessmentResult(sid, period, usulan or "", predikat or "", bool(final), nilai_usulan, nilai,
                                          hasil or "", perilaku or "", regime or "", keberatan or "", karena or "",
                                          iid, at, kelompok or "")
    return found


def recorded_result(engine: Engine, subject_id: int, period: str) -> AssessmentResult | None:
    """Return one employee's recorded result in one period, or None (for a page whose reader the caller has
    already let see that employee's SKP)."""
    if not period:
        return None
    with engine.session_factory() as session:
        return assessment_results(session, period, [subject_id]).get(subject_id)


def employee_results(session: Session, subject_id: int) -> dict[str, AssessmentResult]:
    """Return one employee's result in every period they have one, by period."""
    rows = session.scalars(select(SubjectResult).where(SubjectResult.kind == RESULT,
                                                       SubjectResult.subject_id == subject_id)
                           .order_by(SubjectResult.id))
    return {r.period: _plain(subject_id, r.period, r.value, r.instance_id, r.recorded_at)
            for r in rows if isinstance(r.value, dict)}


def backfill_assessment_results(session: Session, now: datetime, batch: int = 200) -> int:
    """Record the results of assessments delivered or finished before this table held them.

    Idempotent (``smk init`` runs it after every upgrade): employees and periods that already have a row are left
    alone. Reads the stored state of just those instances, a batch at a time: finished ones from their workflow
    data, waiting ones from the data of their open response or objection task. Returns how many rows it added.
    """
    have = set(session.execute(select(SubjectResult.subject_id, SubjectResult.period)
                               .where(SubjectResult.kind == RESULT)).all())
    candidates = [(iid, sid, period) for iid, sid, period in session.execute(
        select(Instance.id, Instance.subject_id, Instance.period).where(Instance.process_id == ASSESSMENT)
        .order_by(Instance.id)) if sid is not None and period and (sid, period) not in have]
    if not candidates:
        return 0
    open_task = dict(session.execute(
        select(TaskIndex.instance_id, TaskIndex.id).where(
            TaskIndex.instance_id.in_([c[0] for c in candidates]), TaskIndex.task_name.in_(WAITING_TASKS),
            TaskIndex.closed_at.is_(None))).all()) if len(candidates) < 30000 else None
    added = 0
    for start in range(0, len(candidates), batch):
        chunk = candidates[start:start + batch]
        for instance in session.scalars(select(Instance).where(Instance.id.in_([c[0] for c in chunk]))
                                        .order_by(Instance.id)):
            if instance.status == COMPLETED:
                state = json.loads(instance.state) if isinstance(instance.state, str) else instance.state
                data = (state or {}).get("data") or {}
            else:
                task = (open_task or {}).get(instance.id) if open_task is not None else session.scalar(
                    select(TaskIndex.id).where(TaskIndex.instance_id == instance.id,
                                               TaskIndex.task_name.in_(WAITING_TASKS), TaskIndex.closed_at.is_(None)))
                if task is None:
                    continue
                data = stored_task_data(instance.state, task)
            added += record_from_data(session, instance, data, now)
    if added:
        audit.record(session, "smk.hasil_penilaian_dipindahkan", now, None, jumlah=added)
    return added
