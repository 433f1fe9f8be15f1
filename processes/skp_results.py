"""Each employee's SKP as it stands, per period, in the results table (``subject_result``), for the cascading tree.

The cascading report (``processes.reports.cascade_report``, *Pohon kinerja*) reads the RHK of every employee of a
period from here — one indexed query by kind and period — never from the planning cases' stored workflow state.
One row per employee and period, kind ``smk.skp``, holding:

- ``status``: where the planning case stands — ``drafting`` (the employee drafts, or the draft was sent back),
  ``waiting`` (the superior's RHK are not set yet), ``escalated``, ``review`` (with the assessor or the deciding
  official), ``set`` (the SKP is set: the case finished, or only the performance-expectations step is left);
- ``rhk``: the RHK, each ``id`` (empty until the SKP is set), ``rhk`` (the text), ``jenis`` (utama/tambahan) and
  ``mendukung`` (the superior RHK id or IKU code it supports).

When it is recorded: whenever a planning case's state is written (``Extension.saved``, in the same transaction as
the step: start, every completion, a timer, a message), if the value changed. It is a projection of the case's
data, not a decision: no audit event of its own (the completion that changed the data has one). ``smk init`` fills
it for planning cases stored before this table held SKPs (``backfill_skp``).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db.results import SubjectResult
from engine.db.runtime import COMPLETED, Instance, TaskIndex
from engine.runtime.serializer import stored_task_data
from engine.services import audit

PLANNING = "smk_perencanaan"
KIND = "smk.skp"
DRAFT_TASKS = ("susun_skp_a", "susun_skp_b", "susun_skp_c")
STATUS_BY_TASK = {"menunggu_atasan": "waiting", "eskalasi_skp": "escalated", "tinjau_skp": "review",
                  "putuskan_skp": "review", "susun_mph": "set", **{t: "drafting" for t in DRAFT_TASKS}}
FIELDS = ("id", "rhk", "jenis", "mendukung")


def _row(item: Mapping[str, Any], jenis: str | None = None, set_: bool = True) -> dict[str, str]:
    return {"id": str(item.get("id") or "") if set_ else "", "rhk": str(item.get("rhk") or ""),
            "jenis": jenis or str(item.get("jenis") or "utama"), "mendukung": str(item.get("mendukung") or "").strip()}


def skp_value(status: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The results-table value of a planning case in ``status`` whose data is ``data``: the set SKP's ``rhk`` once
    set, else the draft's ``rhk_utama`` and ``rhk_tambahan`` (without ids)."""
    if status == "set" and isinstance(data.get("rhk"), list):
        rows = [_row(r) for r in data["rhk"] if isinstance(r, Mapping)]
    else:
        rows = [_row(r, "utama", False) for r in data.get("rhk_utama") or [] if isinstance(r, Mapping)]
        rows += [_row(r, "tambahan", False) for r in data.get("rhk_tambahan") or [] if isinstance(r, Mapping)]
    return {"status": status, "rhk": rows}


def _store(session: Session, instance: Instance, value: dict[str, Any], now: datetime) -> bool:
    assert instance.subject_id is not None and instance.period
    held = session.scalars(select(SubjectResult).where(
        SubjectResult.kind == KIND, SubjectResult.period == instance.period,
        SubjectResult.subject_id == instance.subject_id).order_by(SubjectResult.id.desc()).limit(1)).first()
    if held is not None and held.value == value and held.instance_id == instance.id:
        return False
    if held is None:
        held = SubjectResult(kind=KIND, period=instance.period, subject_id=instance.subject_id,
                             unit_id=audit.subject_unit(session, instance))
        session.add(held)
    held.value, held.instance_id, held.recorded_at = value, instance.id, now
    return True


def record_skp(session: Session, instance: Instance, workflow: BpmnWorkflow, ready: list[Any], now: datetime) -> None:
    """``Extension.saved`` hook: keep the planning case's SKP row in step with its data (written only on change)."""
    if instance.process_id != PLANNING or not instance.subject_id or not instance.period:
        return
    if workflow.is_completed():
        status, data = "set", workflow.data
    elif ready:
        task = ready[-1]
        status = STATUS_BY_TASK.get(task.task_spec.bpmn_id or task.task_spec.name, "drafting")
        data = task.data
    else:
        status, data = "drafting", workflow.data
    _store(session, instance, skp_value(status, data), now)


def skp_rows(session: Session, period: str, subject_ids: Collection[int]) -> dict[int, dict[str, Any]]:
    """Return the recorded SKP (``status``, ``rhk``) of these employees in the period, by employee."""
    ids = sorted(set(subject_ids))
    out: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), 1000):
        for sid, value in session.connection().execute(
                select(SubjectResult.subject_id, SubjectResult.value).where(
                    SubjectResult.kind == KIND, SubjectResult.period == period,
                    SubjectResult.subject_id.in_(ids[start:start + 1000])).order_by(SubjectResult.id)):
            value = json.loads(value) if isinstance(value, str) else value
            if sid is not None and isinstance(value, dict):
                out[sid] = value
    return out


def backfill_skp(session: Session, now: datetime, batch: int = 200) -> int:
    """Record the SKP of planning cases stored before this table held them; return how many rows it added.

    Idempotent (``smk init`` runs it after every upgrade): employees and periods with a row are left alone. Reads
    the stored state of just those cases, a batch at a time: a finished case's workflow data, a running one's open
    task's data (its latest, as the case shows it)."""
    have = set(session.execute(select(SubjectResult.subject_id, SubjectResult.period)
                               .where(SubjectResult.kind == KIND)).all())
    candidates = [iid for iid, sid, period in session.execute(
        select(Instance.id, Instance.subject_id, Instance.period).where(Instance.process_id == PLANNING)
        .order_by(Instance.id)) if sid is not None and period and (sid, period) not in have]
    added = 0
    for start in range(0, len(candidates), batch):
        chunk = candidates[start:start + batch]
        open_task: dict[int, tuple[str, str]] = {}
        for iid, tid, name in session.execute(
                select(TaskIndex.instance_id, TaskIndex.id, TaskIndex.task_name)
                .where(TaskIndex.instance_id.in_(chunk), TaskIndex.closed_at.is_(None)).order_by(TaskIndex.ready_at)):
            open_task[iid] = (tid, name)
        for instance in session.scalars(select(Instance).where(Instance.id.in_(chunk)).order_by(Instance.id)):
            if instance.status == COMPLETED:
                state = json.loads(instance.state) if isinstance(instance.state, str) else (instance.state or {})
                status, data = "set", (state or {}).get("data") or {}
            elif instance.id in open_task:
                tid, name = open_task[instance.id]
                status, data = STATUS_BY_TASK.get(name, "drafting"), stored_task_data(instance.state, tid)
            else:
                state = json.loads(instance.state) if isinstance(instance.state, str) else (instance.state or {})
                status, data = "drafting", (state or {}).get("data") or {}
            added += _store(session, instance, skp_value(status, data), now)
    return added
