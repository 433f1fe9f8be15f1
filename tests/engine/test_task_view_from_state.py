"""The task page reads its task's spec and data from the stored state (instances.get_task) without restoring the
workflow, and shows what a restored workflow holds: in the process, in a called subprocess, after compaction, with
values JSON has no type for."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from engine.core import Engine
from engine.db.runtime import Instance
from engine.errors import NotFound
from engine.runtime import compaction
from engine.services import instances
from engine.services.deployments import deploy

from .helpers import demo_files
from .test_compaction import loop_model
from .test_serializer_load import _calling

CAPAIAN = {"ringkasan": "Laporan", "tanggal": "2024-01-31", "hasil_kerja": "Sesuai Ekspektasi",
           "kegiatan": [{"nama": "Rapat", "target": 4, "realisasi": 3}]}


def _restored(eng: Engine, instance_id: int, task_id: str) -> tuple[Any, dict[str, Any]]:
    with eng.session_factory() as s:
        instance = s.get(Instance, instance_id)
        assert instance is not None
        workflow = eng.runtime.load(instance, eng.specs.for_version(s, instance.process_version_id))
        task = workflow.get_task_from_id(UUID(task_id))
        return task.task_spec, dict(task.data)


def _view_matches_restore(eng: Engine, user_id: int, instance_id: int, task_id: str,
                          monkeypatch: pytest.MonkeyPatch) -> instances.TaskView:
    spec, data = _restored(eng, instance_id, task_id)
    with monkeypatch.context() as m:
        def no_restore(*_: Any) -> None:
            raise AssertionError("the task page restored the workflow")

        m.setattr(eng.runtime, "load", no_restore)
        view = instances.get_task(eng, user_id, task_id)
    assert view.data == data
    assert view.instructions == ((spec.extensions or {}).get("instructionsForEndUser") or "")
    assert view.task_name == spec.bpmn_id
    return view


def test_the_demo_tasks_show_their_data(eng: Engine, org: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    deploy(eng, demo_files(), None)
    started = instances.start_instance(eng, "demo_penilaian", org["admin"], org["budi"], "2024")
    first = _view_matches_restore(eng, org["budi"], started.id, started.ready_task_ids[0], monkeypatch)
    assert first.form_schema is not None and first.data["periode"] == "2024"
    after = instances.complete_task(eng, org["budi"], started.ready_task_ids[0], CAPAIAN)
    reviewer = next(uid for uid in org.values() if _may_open(eng, uid, after.ready_task_ids[0]))  # the superior
    view = _view_matches_restore(eng, reviewer, started.id, after.ready_task_ids[0], monkeypatch)
    assert view.data["ringkasan"] == "Laporan" and view.data["rata_rata"] == 75.0


def _may_open(eng: Engine, user_id: int, task_id: str) -> bool:
    try:
        instances.get_task(eng, user_id, task_id)
    except NotFound:  # not this user's task
        return False
    return True


def test_a_task_of_a_called_subprocess(eng: Engine, org: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    deploy(eng, _calling(), None)
    started = instances.start_instance(eng, "p_outer", org["admin"], org["budi"], "2024")
    view = _view_matches_restore(eng, org["budi"], started.id, started.ready_task_ids[0], monkeypatch)
    assert view.task_name == "isi"


def test_values_json_has_no_type_for(eng: Engine, org: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    deploy(eng, _calling(), None)
    started = instances.start_instance(eng, "p_outer", org["admin"], org["budi"], "2024")
    task_id = started.ready_task_ids[0]
    with eng.session_factory.begin() as s:
        instance = s.get(Instance, started.id)
        assert instance is not None
        bundle = eng.specs.for_version(s, instance.process_version_id)
        workflow = eng.runtime.load(instance, bundle)
        workflow.get_task_from_id(UUID(task_id)).data.update(nilai=Decimal("12.50"), tanggal=date(2024, 3, 1),
                                                             kode={3, 1})
        eng.runtime.save(s, instance, workflow, bundle, eng.now())
    view = _view_matches_restore(eng, org["budi"], started.id, task_id, monkeypatch)
    assert view.data["nilai"] == Decimal("12.50") and view.data["tanggal"] == date(2024, 3, 1)
    assert view.data["kode"] == {1, 3}


def test_a_task_after_compaction(eng: Engine, org: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compaction, "MIN_DROP", 1)
    deploy(eng, {"loop.bpmn": loop_model(30)}, None)
    started = instances.start_instance(eng, "p_loop200", org["admin"], org["budi"], "2024")
    task_id = started.ready_task_ids[0]
    for _ in range(12):
        task_id = instances.complete_task(eng, org["budi"], task_id, {}).ready_task_ids[0]
    with eng.session_factory() as s:
        instance = s.get(Instance, started.id)
        assert instance is not None
        state = instance.state
    assert compaction.HISTORY in (state if isinstance(state, dict) else json.loads(state))
    view = _view_matches_restore(eng, org["budi"], started.id, task_id, monkeypatch)
    assert view.data["n"] == 12
