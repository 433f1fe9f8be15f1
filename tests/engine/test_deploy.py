"""Deploying bundles: valid ones are stored once and versioned; invalid ones say where and store nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.deploy import Deployment, ProcessVersion
from engine.errors import DeploymentInvalid
from engine.services.deployments import deploy
from tools.bpmn_builder import Process, document

from .helpers import demo_files, one_script_process


def count(eng: Engine, model: type) -> int:
    with eng.session_factory() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_valid_bundle_is_stored_with_versions_and_audited(eng: Engine) -> None:
    result = deploy(eng, demo_files(), None, name="demo")
    assert result.created
    assert result.processes == [("demo_arsip", 1), ("demo_penilaian", 1)]
    assert result.decisions == [("demo_predikat", 1)]
    with eng.session_factory() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.kind == "deployment.created")).one()
        assert event.deployment_id == result.deployment_id
        assert "demo_penilaian.bpmn" in event.data["files"]


def test_identical_bundle_is_not_stored_twice_and_a_change_is_a_new_version(eng: Engine) -> None:
    first = deploy(eng, demo_files(), None)
    again = deploy(eng, demo_files(), None)
    assert not again.created and again.deployment_id == first.deployment_id
    assert count(eng, Deployment) == 1
    files = demo_files()
    files["demo_arsip.bpmn"] = files["demo_arsip.bpmn"].replace(b"Beri nomor arsip", b"Beri nomor arsip baru")
    changed = deploy(eng, files, None)
    assert changed.created
    assert ("demo_arsip", 2) in changed.processes and ("demo_penilaian", 2) in changed.processes


def assert_invalid(eng: Engine, files: dict[str, bytes], *fragments: str) -> DeploymentInvalid:
    before = (count(eng, Deployment), count(eng, ProcessVersion), count(eng, AuditEvent))
    with pytest.raises(DeploymentInvalid) as info:
        deploy(eng, files, None)
    text = str(info.value)
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in {text!r}"
    assert (count(eng, Deployment), count(eng, ProcessVersion), count(eng, AuditEvent)) == before
    return info.value


def test_malformed_xml_names_file_line_and_column(eng: Engine) -> None:
    files = demo_files()
    files["demo_arsip.bpmn"] = b'<?xml version="1.0"?>\n<bpmn:definitions xmlns:bpmn="x">\n  <oops>\n</bpmn:definitions>'
    err = assert_invalid(eng, files, "demo_arsip.bpmn", "not well-formed XML")
    problem = err.problems[0]
    assert problem.line == 4 and problem.column


def test_missing_start_event(eng: Engine) -> None:
    p = Process("no_start", "No start")
    p.user("t", "Task", col=0)
    p.end("e", col=1)
    p.chain("t", "e")
    err = assert_invalid(eng, {"no_start.bpmn": document(p).encode()}, "no_start.bpmn", "has no start event")
    assert err.problems[0].element_id == "no_start" and err.problems[0].line


def test_unknown_called_process_names_the_call_activity(eng: Engine) -> None:
    files = demo_files()
    del files["demo_arsip.bpmn"]
    err = assert_invalid(eng, files, "demo_penilaian.bpmn", "called process 'demo_arsip'", "never deployed")
    assert err.problems[0].element_id == "arsipkan"
    assert err.problems[0].line is not None


def test_called_process_deployed_earlier_is_included(eng: Engine) -> None:
    deploy(eng, demo_files(), None)
    files = demo_files()
    del files["demo_arsip.bpmn"]
    files["demo_penilaian.bpmn"] = files["demo_penilaian.bpmn"].replace(b"Isi capaian kinerja", b"Isi capaian")
    result = deploy(eng, files, None)
    assert result.included == ["demo_arsip.bpmn"]
    assert ("demo_penilaian", 2) in result.processes
    assert all(pid != "demo_arsip" for pid, _ in result.processes)  # no new version of what was only copied in


def test_bad_condition_is_found_at_deploy_time(eng: Engine) -> None:
    files = demo_files()
    files["demo_penilaian.bpmn"] = files["demo_penilaian.bpmn"].replace(
        b"keputusan == 'kembalikan'", b"keputusan === 'kembalikan'")
    err = assert_invalid(eng, files, "demo_penilaian.bpmn", "condition", "keputusan === 'kembalikan'")
    assert err.problems[0].element_id == "f_kembalikan"
    assert err.problems[0].line is not None


def test_forbidden_script_is_refused_at_deploy_time(eng: Engine) -> None:
    assert_invalid(eng, {"p.bpmn": one_script_process("import os\nx = os.environ")}, "p.bpmn", "script",
                   "run_script")


def test_missing_form_file_and_bad_json_schema(eng: Engine) -> None:
    files = demo_files()
    del files["demo_tinjau.schema.json"]
    assert_invalid(eng, files, "the form file 'demo_tinjau.schema.json' is not in the bundle", "tinjau")
    files = demo_files()
    files["demo_tinjau.schema.json"] = b'{"type": "object", "properties": {"x": {"type": "nope"}}}'
    assert_invalid(eng, files, "demo_tinjau.schema.json", "not a valid JSON Schema")
    files["demo_tinjau.schema.json"] = b'{"type": "object",\n "properties": }'
    err = assert_invalid(eng, files, "demo_tinjau.schema.json", "not valid JSON")
    assert err.problems[0].line == 2


def test_unknown_decision_and_wrong_file_types(eng: Engine) -> None:
    files = demo_files()
    del files["demo_predikat.dmn"]
    assert_invalid(eng, files, "decision 'demo_predikat'", "tentukan_predikat")
    assert_invalid(eng, {"notes.txt": b"hello"}, "notes.txt", "unsupported file type")
    assert_invalid(eng, {}, "the bundle is empty")


def test_non_bpmn_xml_is_refused(eng: Engine) -> None:
    assert_invalid(eng, {"x.bpmn": b"<html><body>hi</body></html>"}, "x.bpmn", "not a BPMN 2.0 document")


def test_schema_violation_reports_line(eng: Engine) -> None:
    files = demo_files()
    files["demo_arsip.bpmn"] = files["demo_arsip.bpmn"].replace(b"<bpmn:scriptTask", b"<bpmn:scriptTaskz", 1) \
        .replace(b"</bpmn:scriptTask>", b"</bpmn:scriptTaskz>", 1)
    err = assert_invalid(eng, files, "demo_arsip.bpmn")
    assert err.problems[0].line
