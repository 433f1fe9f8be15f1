"""Deploying again the files of an earlier deployment takes a change back: new instances follow those files
again (new versions pointing at the stored deployment); the same files as the latest change nothing."""

from __future__ import annotations

from sqlalchemy import select

from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.deploy import DecisionVersion, ProcessVersion
from engine.services import instances
from engine.services.deployments import deploy
from tests.engine.test_migration import model

from .helpers import ROOT


def _rules(bound: str) -> dict[str, bytes]:
    folder = ROOT / "bpmn" / "rules"
    files = {p.name: p.read_bytes() for p in folder.glob("*.dmn")}
    files["kurva_distribusi.dmn"] = files["kurva_distribusi.dmn"].replace(b"<text>70</text>", f"<text>{bound}</text>".encode(), 1)
    return files


def test_taking_a_decision_table_change_back(eng: Engine) -> None:
    first = deploy(eng, _rules("70"), None, name="bpmn/rules")
    second = deploy(eng, _rules("60"), None, name="bpmn/rules")
    back = deploy(eng, _rules("70"), None, name="bpmn/rules", note="kembali ke 70")
    assert back.deployment_id == first.deployment_id and back.created
    assert ("kurva_distribusi", 3) in back.decisions
    with eng.session_factory() as s:
        newest = s.scalars(select(DecisionVersion).where(DecisionVersion.decision_id == "kurva_distribusi")
                           .order_by(DecisionVersion.version.desc())).first()
        assert newest is not None and (newest.version, newest.deployment_id) == (3, first.deployment_id)
        event = s.scalars(select(AuditEvent).where(AuditEvent.kind == "deployment.created")
                          .order_by(AuditEvent.id.desc())).first()
        assert event is not None and event.data["redeployed"] is True and event.data["note"] == "kembali ke 70"
    again = deploy(eng, _rules("70"), None, name="bpmn/rules")
    assert not again.created and second.deployment_id != first.deployment_id  # already the latest: unchanged


def test_taking_a_process_change_back_starts_new_instances_on_the_old_files(eng: Engine, org: dict[str, int]) -> None:
    first = deploy(eng, {"m.bpmn": model()}, None, name="mig")
    deploy(eng, {"m.bpmn": model(review_name="Periksa ulang")}, None, name="mig")
    back = deploy(eng, {"m.bpmn": model()}, None, name="mig")
    assert back.processes == [("p_mig", 3)]
    started = instances.start_instance(eng, "p_mig", org["admin"], org["budi"], "2024")
    with eng.session_factory() as s:
        version = s.scalar(select(ProcessVersion).where(ProcessVersion.process_id == "p_mig",
                                                        ProcessVersion.version == 3))
        assert version is not None and version.deployment_id == first.deployment_id
    assert started.id
