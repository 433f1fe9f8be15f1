"""The smk command: deploying bundles from the command line, with problems listed instead of a traceback."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from engine.core import Engine
from webapp.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def run(app: Flask, *args: str):
    return app.test_cli_runner().invoke(cli, list(args), catch_exceptions=False)


def test_deploy_a_folder_then_a_broken_file(app: Flask, tmp_path: Path) -> None:
    result = run(app, "deploy", str(ROOT / "bpmn" / "demo"), "--name", "demo again", "--note", "unchanged")
    assert result.exit_code == 0 and "unchanged" in result.output  # the fixture deployed the same bundle
    broken = tmp_path / "broken.bpmn"
    broken.write_text('<?xml version="1.0"?>\n<definitions>\n  <unclosed>\n</definitions>\n')
    result = run(app, "deploy", str(broken))
    assert result.exit_code == 1
    assert "Deployment refused; nothing was stored" in result.output
    assert "broken.bpmn, line 4" in result.output and "not well-formed XML" in result.output


def test_worker_once_reports_what_it_did(app: Flask) -> None:
    result = run(app, "worker", "--once")
    assert result.exit_code == 0 and "timers=0" in result.output


def test_init_moves_proposals_recorded_in_the_audit_log_into_the_results_table(
        app: Flask, demo_deployed: Engine, org: dict[str, int]) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import select

    from engine.db.results import SubjectResult
    from engine.services import audit
    from processes.operations import PROPOSAL

    with demo_deployed.session_factory.begin() as s:  # as the curve check wrote it before subject_result existed
        audit.record(s, PROPOSAL, datetime(2023, 12, 1, tzinfo=UTC), None, subject_id=org["budi"], periode="2023",
                     unit_code="BRP", predikat="Baik")
    result = run(app, "init")
    assert result.exit_code == 0 and "1 proposed predikat and unit ratings moved" in result.output
    with demo_deployed.session_factory() as s:
        assert [(r.subject_id, r.value) for r in s.scalars(select(SubjectResult))] == [(org["budi"],
                                                                                        {"predikat": "Baik"})]
    assert "moved" not in run(app, "init").output  # once
