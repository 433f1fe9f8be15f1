"""The smk command: deploying bundles from the command line, with problems listed instead of a traceback."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

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
