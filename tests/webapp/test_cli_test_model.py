"""`smk test-model PATH|PROCESS_ID`: a bundle folder's scenarios or a deployed process's, exit 1 on a failure."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from engine.services.deployments import deploy
from tests.engine.test_scenarios import PASSING, WRONG_END, bundle
from webapp.cli import cli
from webapp.extensions import get_engine


def write(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir()
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return folder


def test_a_folder_whose_scenarios_pass_exits_0(app: Flask, tmp_path: Path) -> None:
    folder = write(tmp_path / "uji", bundle(lulus=PASSING))
    result = app.test_cli_runner().invoke(cli, ["test-model", str(folder)])
    assert result.exit_code == 0, result.output
    assert "PASS  lulus.scenario.json: Lulus / Passes" in result.output and "1 of 1 scenarios passed" in result.output


def test_a_failing_scenario_names_the_step_and_the_values_and_exits_1(app: Flask, tmp_path: Path) -> None:
    folder = write(tmp_path / "uji", bundle(lulus=PASSING, beda=WRONG_END))
    result = app.test_cli_runner().invoke(cli, ["test-model", str(folder)])
    assert result.exit_code == 1
    assert "FAIL  beda.scenario.json: Nilai berbeda / A value differs" in result.output
    assert "at the expected end" in result.output and "nilai: expected 40, got 42" in result.output
    assert "1 of 2 scenarios passed" in result.output


def test_a_deployed_process_runs_the_scenarios_of_its_latest_deployment(app: Flask) -> None:
    with app.app_context():
        deploy(get_engine(), bundle(lulus=PASSING), None, name="uji")
    result = app.test_cli_runner().invoke(cli, ["test-model", "uji_skenario"])
    assert result.exit_code == 0, result.output
    assert "1 of 1 scenarios passed" in result.output
    unknown = app.test_cli_runner().invoke(cli, ["test-model", "tidak_ada"])
    assert unknown.exit_code == 1 and "no process 'tidak_ada' has been deployed" in unknown.output


def test_a_folder_without_scenarios_says_so(app: Flask, tmp_path: Path) -> None:
    folder = write(tmp_path / "kosong", {k: v for k, v in bundle().items()})
    result = app.test_cli_runner().invoke(cli, ["test-model", str(folder)])
    assert result.exit_code == 0 and "no scenario found" in result.output
