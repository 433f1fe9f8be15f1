"""Scenario tests stored with the models (engine.services.scenarios): a scenario that passes, one whose end data
differ (the value named), one that fails at a step (who may act), timers moved by a wait, the file checks, and
deploy refusing a bundle whose scenario fails unless an administrator overrides with a reason (audited)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.deploy import Deployment
from engine.errors import DeploymentInvalid, PermissionDenied
from engine.services import scenarios
from engine.services.deployments import ScenariosFailed, deploy
from tools.bpmn_builder import Process, document

ORGANISATION = {
    "units": [{"code": "U1", "name": "Unit Uji"}],
    "positions": [{"code": "KEP", "title": "Kepala", "unit": "U1", "user": "ani", "name": "Ani"},
                  {"code": "STF", "title": "Staf", "unit": "U1", "parent": "KEP", "user": "bayu", "name": "Bayu"}],
}


def model() -> bytes:
    p = Process("uji_skenario", "Uji skenario", lanes=["Pegawai", "Pejabat Penilai"])
    p.start("mulai", lane="Pegawai")
    p.user("isi", "Isi angka", lane="Pegawai", col=1, form="uji_isi")
    p.boundary("lewat", "Tiga hari", "isi", timer=("timeDuration", '"P3D"'))
    p.script("hitung", "Hitung", "nilai = angka * 2", lane="Pegawai", col=2)
    p.user("tinjau", "Tinjau", lane="Pejabat Penilai", col=3, form="uji_tinjau")
    p.user("eskalasi", "Eskalasi", lane="Pejabat Penilai", col=2)
    p.end("selesai", lane="Pejabat Penilai", col=4)
    p.end("selesai_eskalasi", lane="Pejabat Penilai", col=3)
    p.chain("mulai", "isi", "hitung", "tinjau", "selesai")
    p.chain("lewat", "eskalasi", "selesai_eskalasi")
    return document(p).encode()


def scenario(title: str, steps: list[dict[str, Any]], expect: dict[str, Any], **extra: Any) -> bytes:
    return json.dumps({"scenario": title, "process": "uji_skenario", "organisation": ORGANISATION,
                       "clock": "2024-03-01T08:00:00+07:00", "subject": "bayu", "started_by": "ani", "period": "2024",
                       "data": {}, "steps": steps, "expect": expect, **extra}).encode()


PASSING = scenario("Lulus / Passes", [
    {"task": "isi", "by": "bayu", "data": {"angka": 21}},
    {"task": "tinjau", "by": "ani", "expect": {"nilai": 42}, "data": {"catatan": "ok"}},
], {"status": "completed", "path": ["isi", "tinjau"], "data": {"nilai": 42, "catatan": "ok"},
    "passed": ["hitung", "selesai"], "not_passed": ["eskalasi"]})

WRONG_END = scenario("Nilai berbeda / A value differs", [
    {"task": "isi", "by": "bayu", "data": {"angka": 21}},
    {"task": "tinjau", "by": "ani", "data": {}},
], {"status": "completed", "data": {"nilai": 40}})

WRONG_ACTOR = scenario("Pelaku salah / The wrong user", [
    {"task": "isi", "by": "bayu", "data": {"angka": 1}},
    {"task": "tinjau", "by": "bayu", "data": {}},
], {"status": "completed"})

TIMER = scenario("Batas tiga hari / Three days", [
    {"wait": {"days": 2}},
    {"check": {"ready": ["isi"], "status": "running"}},
    {"wait": {"days": 1}},
    {"task": "eskalasi", "by": "ani", "data": {}},
], {"status": "completed", "path": ["isi", "eskalasi"], "passed": ["lewat"], "not_passed": ["hitung"]})


def form(**properties: Any) -> bytes:
    return json.dumps({"type": "object", "properties": properties}).encode()


def bundle(**scenario_files: bytes) -> dict[str, bytes]:
    return {"uji_skenario.bpmn": model(), "uji_isi.schema.json": form(angka={"type": "integer", "maximum": 1000}),
            "uji_isi.uischema.json": b"{}", "uji_tinjau.schema.json": form(catatan={"type": "string", "maxLength": 50}),
            "uji_tinjau.uischema.json": b"{}", **{f"{k}.scenario.json": v for k, v in scenario_files.items()}}


def test_a_passing_scenario_a_differing_value_a_wrong_actor_and_a_timer(eng: Engine) -> None:
    report = scenarios.run_bundle(eng, bundle(a_lulus=PASSING, b_beda=WRONG_END, c_pelaku=WRONG_ACTOR, d_timer=TIMER),
                                  name="uji")
    assert not report.problems
    by_file = {r.filename: r for r in report.results}
    assert by_file["a_lulus.scenario.json"].passed and by_file["d_timer.scenario.json"].passed
    differ = by_file["b_beda.scenario.json"]
    assert not differ.passed and differ.step is None  # the expected end
    assert [(d.what, d.expected, d.actual) for d in differ.differences] == [("nilai", 40, 42)]
    actor = by_file["c_pelaku.scenario.json"]
    assert not actor.passed and actor.step == 2 and actor.task == "tinjau"
    assert actor.message is not None and actor.message.code == "scenario.may_not_act"
    assert not report.ok and len(report.failed) == 2
    text = scenarios.report_text(report)
    assert "PASS  a_lulus.scenario.json" in text and "nilai: expected 40, got 42" in text
    assert "2 of 4 scenarios passed" in text
    # The engine's own database is untouched: the scenarios ran in a throwaway one.
    with eng.session_factory() as s:
        assert s.scalar(select(func.count(Deployment.id))) == 0


def test_a_timer_that_has_not_fired_yet_fails_the_check_step(eng: Engine) -> None:
    early = scenario("Terlalu cepat / Too early", [{"wait": {"days": 1}}, {"task": "eskalasi", "by": "ani"}], {})
    [result] = scenarios.run_bundle(eng, bundle(awal=early)).results
    assert not result.passed and result.step == 2 and result.message is not None
    assert result.message.code == "scenario.not_ready" and "isi" in result.message.render()


def test_the_values_compared_and_placeholders() -> None:
    assert scenarios.match({"a": {"$contains": "dari 6"}, "b": [1, 2.0]}, {"a": "4 dari 6", "b": [1.0, 2], "c": 0}) == []
    found = scenarios.match({"a": True, "b": {"x": 1}, "c": 1}, {"a": 1, "b": {"x": 2}})
    assert [(d.what, d.expected, d.actual) for d in found] == [("a", True, 1), ("b.x", 1, 2),
                                                               ("c", 1, scenarios.MISSING)]
    assert scenarios.fill({"id": "{user:ani}", "rhk": "{user:ani}-1"}, {"ani": 7}) == {"id": 7, "rhk": "7-1"}


@pytest.mark.parametrize(("content", "code"), [
    (b"{not json", "bundle.json"),
    (json.dumps({"scenario": "x", "process": "uji_skenario", "organisation": "demo", "clock": "2024-03-01",
                 "steps": []}).encode(), "scenario.invalid"),  # a clock without its offset
    (scenario("x", [{"task": "tidak_ada", "by": "ani"}], {}), "scenario.unknown_task"),
    (scenario("x", [{"task": "isi", "by": "ani", "wait": {"days": 1}}], {}), "scenario.invalid"),
    (scenario("x", [], {"pathh": []}), "scenario.invalid"),
])
def test_a_malformed_scenario_is_a_deploy_problem_naming_the_file(eng: Engine, content: bytes, code: str) -> None:
    with pytest.raises(DeploymentInvalid) as raised:
        deploy(eng, bundle(salah=content), None, name="uji")
    assert [(p.file, p.message.code) for p in raised.value.problems][0] == ("salah.scenario.json", code)


def test_deploy_refuses_a_failing_scenario_and_an_administrator_may_override_with_a_reason(
        eng: Engine, org: dict[str, int]) -> None:
    files = bundle(a_lulus=PASSING, b_beda=WRONG_END)
    with pytest.raises(ScenariosFailed) as refused:
        deploy(eng, files, org["pemilik"], name="uji")
    [problem] = refused.value.problems
    assert problem.file == "b_beda.scenario.json" and problem.message.code == "scenario.failed"
    assert "Nilai berbeda / A value differs" in str(problem) and "nilai: 40 → 42" in str(problem)
    assert "the expected end" in str(problem)
    with pytest.raises(PermissionDenied):  # a process owner may not override
        deploy(eng, files, org["pemilik"], name="uji", override_reason="Saya yakin")
    with eng.session_factory() as s:
        assert s.scalar(select(func.count(Deployment.id))) == 0

    result = deploy(eng, files, org["admin"], name="uji", override_reason="Aturan baru berlaku 1 April")
    assert result.created
    with eng.session_factory() as s:
        event = s.scalar(select(AuditEvent).where(AuditEvent.kind == "deployment.created"))
        assert event is not None and event.actor == "admin"
        tested = event.data["scenarios"]
        assert tested["passed"] == 1 and tested["failed"] == 1
        assert tested["override"]["reason"] == "Aturan baru berlaku 1 April"
        assert "b_beda.scenario.json" in tested["override"]["failures"][0]


def test_deploy_of_a_bundle_whose_scenarios_pass_records_them(eng: Engine, org: dict[str, int]) -> None:
    deploy(eng, bundle(a_lulus=PASSING), org["pemilik"], name="uji")
    with eng.session_factory() as s:
        event = s.scalar(select(AuditEvent).where(AuditEvent.kind == "deployment.created"))
        assert event is not None and event.data["scenarios"]["passed"] == 1
        assert "override" not in event.data["scenarios"]


def test_a_scenario_the_engine_cannot_run_fails_with_the_reason_and_never_crashes_the_run(eng: Engine) -> None:
    twice = dict(ORGANISATION, positions=[*ORGANISATION["positions"],
                                          {"code": "STF2", "title": "Staf", "unit": "U1", "user": "bayu"}])
    broken = json.dumps({**json.loads(PASSING), "organisation": twice}).encode()
    report = scenarios.run_bundle(eng, bundle(a_lulus=PASSING, b_rusak=broken))
    by_file = {r.filename: r for r in report.results}
    assert by_file["a_lulus.scenario.json"].passed
    crashed = by_file["b_rusak.scenario.json"]
    assert not crashed.passed and crashed.step == 0 and crashed.message is not None
    assert crashed.message.code == "scenario.crashed" and "IntegrityError" in crashed.message.render()
