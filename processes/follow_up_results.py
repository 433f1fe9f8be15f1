"""The follow-up recommendations of each employee, per period, in the results table (``subject_result``).

The follow-up report (``processes.reports.follow_up_report``) reads the recommendations waiting for Biro SDM's
decision from here (one indexed query by kind, period and employees), never from the workflow's stored state. One
row per employee and period, kind ``smk.rekomendasi_tindak_lanjut``, holding ``rekomendasi``: the list the
follow-up model built (``daftar_rekomendasi``: ``kode``, ``rekomendasi``, ``dasar_hukum``, ``persen_tukin``).

When it is recorded: the follow-up model (``bpmn/smk/smk_tindak_lanjut.bpmn``) calls the service task
``catat_rekomendasi`` right after ``susun_rekomendasi`` builds the list, in the same transaction as that step.
The decisions (Biro SDM's ``keputusan_sdm``, the PPK's ``keputusan_ppk``) are read from the completion events of
their tasks in the audit log, written as each decision is made; recommendations of a case whose HR task is open
are the pending ones.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db.results import SubjectResult
from engine.db.runtime import Instance
from engine.runtime.runner import StepContext
from engine.services import audit
from engine.services.results import record_result

FOLLOW_UP = "smk_tindak_lanjut"
RESULT = "smk.rekomendasi_tindak_lanjut"
FIELDS = ("kode", "rekomendasi", "dasar_hukum", "persen_tukin")


def _clean(items: Any) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        return []
    return [{k: item.get(k) for k in FIELDS} for item in items if isinstance(item, Mapping) and item.get("kode")]


def record_recommendations(session: Session, instance: Instance, items: Any, now: datetime) -> bool:
    """Record the recommendations of a follow-up case (replacing the period's earlier list); return whether it
    wrote (a case without subject or period has nothing to record)."""
    if not instance.subject_id or not instance.period:
        return False
    record_result(session, RESULT, instance.period, {"rekomendasi": _clean(items)}, subject_id=instance.subject_id,
                  unit_id=audit.subject_unit(session, instance), instance_id=instance.id, now=now, audit_kind=RESULT,
                  audit_data={"periode": instance.period})
    return True


def _catat_rekomendasi(ctx: StepContext, params: dict[str, Any], data: dict[str, Any]) -> int:
    """Record the follow-up recommendations just built (``rekomendasi``) for the case's employee and period;
    return how many were recorded."""
    items = params.get("rekomendasi", data.get("daftar_rekomendasi"))
    record_recommendations(ctx.session, ctx.instance, items, ctx.now)
    return len(_clean(items))


FOLLOW_UP_OPERATIONS = {"catat_rekomendasi_tindak_lanjut": _catat_rekomendasi}


def recommendations(session: Session, period: str, instance_ids: Collection[int]) -> dict[int, list[dict[str, Any]]]:
    """Return the recorded recommendations of these follow-up cases, by case (one query per thousand cases)."""
    ids = sorted(set(instance_ids))
    out: dict[int, list[dict[str, Any]]] = {}
    for start in range(0, len(ids), 1000):
        for iid, value in session.execute(select(SubjectResult.instance_id, SubjectResult.value).where(
                SubjectResult.kind == RESULT, SubjectResult.period == period,
                SubjectResult.instance_id.in_(ids[start:start + 1000])).order_by(SubjectResult.id)):
            if iid is not None:
                out[iid] = _clean((value or {}).get("rekomendasi") if isinstance(value, dict) else None)
    return out


def backfill_follow_up_results(session: Session, now: datetime, batch: int = 200) -> int:
    """Record the recommendations of follow-up cases started before this table held them.

    Idempotent (``smk init`` runs it after every upgrade): cases whose employee and period already have a row are
    left alone. Reads the stored state of just those instances, a batch at a time (``daftar_rekomendasi`` of the
    workflow's data, or of its newest task while it runs). Returns how many rows it added.
    """
    have: set[tuple[int | None, str]] = {(sid, period) for sid, period in session.execute(
        select(SubjectResult.subject_id, SubjectResult.period).where(SubjectResult.kind == RESULT))}
    candidates = [iid for iid, sid, period in session.execute(
        select(Instance.id, Instance.subject_id, Instance.period).where(Instance.process_id == FOLLOW_UP)
        .order_by(Instance.id)) if sid is not None and period and (sid, period) not in have]
    added = 0
    for start in range(0, len(candidates), batch):
        for instance in session.scalars(select(Instance).where(Instance.id.in_(candidates[start:start + batch]))
                                        .order_by(Instance.id)):
            items = _stored_recommendations(instance.state)
            if items is None or (instance.subject_id, instance.period) in have:
                continue
            added += record_recommendations(session, instance, items, now)
            have.add((instance.subject_id, instance.period))
    if added:
        audit.record(session, "smk.rekomendasi_tindak_lanjut_dipindahkan", now, None, jumlah=added)
    return added


def _stored_recommendations(state: Any) -> list[Any] | None:
    """Return ``daftar_rekomendasi`` from a stored workflow (its data, else any task's data), or None."""
    state = json.loads(state) if isinstance(state, str) else (state or {})
    found = (state.get("data") or {}).get("daftar_rekomendasi")
    if isinstance(found, list):
        return found
    for task in (state.get("tasks") or {}).values():  # a task's data, whole or as a delta against its parent
        if not isinstance(task, dict):
            continue
        for source in (task.get("data") or {}, (task.get("delta") or {}).get("updates") or {}):
            items = source.get("daftar_rekomendasi") if isinstance(source, dict) else None
            if isinstance(items, list):
                return items
    return None
