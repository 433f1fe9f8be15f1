"""`smk diff`: what changed between a deployment and a folder (or two deployments), printed as a list."""

from __future__ import annotations

import shutil
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from engine.db.deploy import Deployment
from webapp.cli import cli
from webapp.extensions import get_engine

ROOT = Path(__file__).resolve().parents[2]


def run(app: Flask, *args: str):
    return app.test_cli_runner().invoke(cli, list(args), catch_exceptions=False)


def _demo_deployment(app: Flask) -> int:
    with app.app_context(), get_engine().session_factory() as session:
        ids = session.scalars(select(Deployment.id).order_by(Deployment.id.desc())).all()
    assert ids, "the app fixture deploys bpmn/demo"
    return ids[0]


def test_diff_of_a_deployment_and_a_changed_folder_lists_the_changed_rule_cell(app: Flask, tmp_path: Path) -> None:
    deployment_id = _demo_deployment(app)
    folder = tmp_path / "demo"
    shutil.copytree(ROOT / "bpmn" / "demo", folder)
    unchanged = run(app, "diff", str(deployment_id), str(folder))
    assert unchanged.exit_code == 0 and "no changes" in unchanged.output
    dmn = folder / "demo_predikat.dmn"
    text = dmn.read_text()
    assert '"Baik"' in text
    dmn.write_text(text.replace('"Baik"', '"Cukup"', 1))
    result = run(app, "diff", str(deployment_id), str(folder))
    assert result.exit_code == 0
    assert "decision demo_predikat (demo_predikat.dmn)" in result.output
    assert '"Baik" → "Cukup"' in result.output


def test_diff_refuses_what_is_neither_a_deployment_nor_a_folder(app: Flask) -> None:
    result = app.test_cli_runner().invoke(cli, ["diff", "nope", "1"])
    assert result.exit_code == 2 and "neither a deployment id nor a folder" in result.output
    missing = app.test_cli_runner().invoke(cli, ["diff", "9999", "1"])
    assert missing.exit_code == 1 and "deployment 9999 does not exist" in missing.output


def test_migrate_dry_run_then_move(app: Flask, tmp_path: Path) -> None:
    from engine.services.instances import start_instance
    from tests.engine.test_migration import model

    with app.app_context():
        engine = get_engine()
        from engine.services.deployments import deploy

        deploy(engine, {"m.bpmn": model()}, None, name="mig")
        with engine.session_factory() as session:
            from engine.db.org import User

            budi = session.scalar(select(User.id).where(User.username == "budi"))
            admin = session.scalar(select(User.id).where(User.username == "admin"))
        started = [start_instance(engine, "p_mig", admin, budi, f"2024-{n}").id for n in range(3)]
        deploy(engine, {"m.bpmn": model(reminder='"P9D"')}, None, name="mig")
    dry = run(app, "migrate", "--process", "p_mig", "--dry-run")
    assert dry.exit_code == 0 and "p_mig → v2: 3 can move, 0 cannot, 0 already on v2" in dry.output
    assert "moved" not in dry.output
    done = run(app, "migrate", "--process", "p_mig", "--to", "2", "--batch", "2")
    assert done.exit_code == 0 and f"moved {len(started)} instances to v2" in done.output
    again = run(app, "migrate", "--process", "p_mig")
    assert "0 can move, 0 cannot, 3 already on v2" in again.output
    missing = app.test_cli_runner().invoke(cli, ["migrate", "--process", "p_mig", "--to", "7"])
    assert missing.exit_code == 1 and "has no version 7" in missing.output


def test_bench_migrate_moves_every_instance_it_started() -> None:
    from tools.bench_migrate import run_migrate_bench

    lines = list(run_migrate_bench(None, count=4, batch=3))
    assert any("plan: 4 can move, 0 cannot" in line for line in lines)
    assert any("migrate: moved 4, failed 0" in line for line in lines)
    assert not any("NOTE" in line for line in lines)


def test_export_then_deploy_the_zip(app: Flask, tmp_path: Path) -> None:
    deployment_id = _demo_deployment(app)
    out = tmp_path / "demo.zip"
    result = run(app, "export", str(deployment_id), str(out), "--spiffarena")
    assert result.exit_code == 0 and out.exists() and "written to" in result.output
    again = run(app, "deploy", str(out), "--name", "dari SpiffArena")
    assert again.exit_code == 0 and "unchanged" in again.output  # the same bundle, read back from the zip
    missing = app.test_cli_runner().invoke(cli, ["export", "9999", str(out)])
    assert missing.exit_code == 1 and "does not exist" in missing.output
