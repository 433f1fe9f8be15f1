"""Loading a stored state: the row's dict is left as it was, ids are parsed once, and the messages a step threw are
routed in its own transaction only (never again at the next load)."""

from __future__ import annotations

import copy
import json
from uuid import UUID, uuid4

import pytest
from sqlalchemy import select

from engine.core import Engine
from engine.db.runtime import Instance, PendingMessage
from engine.runtime import serializer
from engine.services import instances
from engine.services.deployments import deploy
from tools.bpmn_builder import Process, document


def _calling() -> dict[str, bytes]:
    """A process that calls another, which waits in a user task: the state holds a subprocess."""
    outer = Process("p_outer", "Outer", lanes=["Pegawai"])
    outer.start("s", lane="Pegawai", col=0)
    outer.call("panggil", "Panggil", "p_inner", lane="Pegawai", col=1)
    outer.user("akhir", "Akhir", lane="Pegawai", col=2)
    outer.end("e", lane="Pegawai", col=3)
    outer.chain("s", "panggil", "akhir", "e")
    inner = Process("p_inner", "Inner", lanes=["Pegawai"])
    inner.start("s", lane="Pegawai", col=0)
    inner.user("isi", "Isi", lane="Pegawai", col=1)
    inner.end("e", lane="Pegawai", col=2)
    inner.chain("s", "isi", "e")
    return {"outer.bpmn": document(outer).encode(), "inner.bpmn": document(inner).encode()}


def test_loading_leaves_the_stored_state_as_it_was(eng: Engine, org: dict[str, int]) -> None:
    deploy(eng, _calling(), None)
    started = instances.start_instance(eng, "p_outer", org["admin"], org["budi"], "2024")
    with eng.session_factory() as s:
        instance = s.get(Instance, started.id)
        assert instance is not None
        bundle = eng.specs.for_version(s, instance.process_version_id)
        stored = instance.state if isinstance(instance.state, dict) else json.loads(instance.state)
        assert stored["subprocesses"], "the state should hold the called process"
        stored["correlations"] = {"kunci": {"a": 1}}
        for sub in stored["subprocesses"].values():
            sub["correlations"] = {"kunci_sub": {"b": 2}}
        # Events a state stored before they were left out were routed when it was saved: never restored again.
        stored["bpmn_events"] = [{"typename": "NoSuchEvent"}]
        instance.state = stored
        before = copy.deepcopy(stored)
        first = eng.runtime.load(instance, bundle)
        first.correlations["kunci"]["a"] = 99  # Spiff updates correlations in place
        for sub in first.subprocesses.values():
            sub.correlations["kunci_sub"]["b"] = 99
        assert instance.state == before
        second = eng.runtime.load(instance, bundle)
        assert instance.state == before
        assert second.correlations == {"kunci": {"a": 1}} and second.bpmn_events == []
        assert [str(t.id) for t in second.get_tasks()] == [str(t.id) for t in first.get_tasks()]
        assert [t.data for t in second.get_tasks()] == [t.data for t in first.get_tasks()]
    after = instances.complete_task(eng, org["budi"], started.ready_task_ids[0], {})
    after = instances.complete_task(eng, org["budi"], after.ready_task_ids[0], {})
    assert after.status == "completed"


def test_ids_are_parsed_once_and_the_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serializer, "_UUIDS", {})
    monkeypatch.setattr(serializer, "_UUIDS_KEPT", 3)
    text = str(uuid4())
    assert serializer.uuid_of(text) == UUID(text) and serializer.uuid_of(text) is serializer.uuid_of(text)
    for _ in range(10):
        serializer.uuid_of(str(uuid4()))
    assert len(serializer._UUIDS) <= 3
    with pytest.raises(ValueError):
        serializer.uuid_of("not an id")


def test_a_message_thrown_midway_is_routed_once(eng: Engine, org: dict[str, int]) -> None:
    # Stored with the state, a thrown event came back at the next load and was routed again (a second kept message).
    p = Process("p_lapor_tengah", "Reporter", lanes=["Pegawai"])
    p.start("s", lane="Pegawai", col=0)
    p.user("lapor", "Lapor", lane="Pegawai", col=1)
    p.throw("kirim", "Kirim", message="laporan_tengah", payload="{'bulan': 'Januari'}", lane="Pegawai", col=2)
    p.user("lagi", "Lagi", lane="Pegawai", col=3)
    p.end("e", lane="Pegawai", col=4)
    p.chain("s", "lapor", "kirim", "lagi", "e")
    deploy(eng, {"p.bpmn": document(p).encode()}, None)
    started = instances.start_instance(eng, "p_lapor_tengah", org["admin"], org["siti"], "2024")
    after = instances.complete_task(eng, org["siti"], started.ready_task_ids[0], {})
    with eng.session_factory() as s:
        assert len(s.scalars(select(PendingMessage)).all()) == 1
        instance = s.get(Instance, started.id)
        assert instance is not None
        state = instance.state if isinstance(instance.state, dict) else json.loads(instance.state)
        assert state["bpmn_events"] == []
    after = instances.complete_task(eng, org["siti"], after.ready_task_ids[0], {})
    assert after.status == "completed"
    with eng.session_factory() as s:
        kept = s.scalars(select(PendingMessage)).all()
    assert [(m.name, m.payload) for m in kept] == [("laporan_tengah", {"bulan": "Januari"})]
