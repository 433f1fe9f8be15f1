"""The SMK bundle deploys through the engine's validation and every user task has a bilingual form; the model files
themselves (XSD, diagram, documentation) are checked by test_model_files.py."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from engine.core import Engine
from engine.services.deployments import deploy_builtin

ROOT = Path(__file__).resolve().parents[2]
SMK = ROOT / "bpmn" / "smk"
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI"}
PROCESSES = {"smk_periode", "smk_perencanaan", "smk_pemantauan", "smk_predikat_unit", "smk_penilaian",
             "smk_tindak_lanjut", "smk_integrasi_2021"}


def test_every_builtin_bundle_deploys(eng: Engine) -> None:
    results = deploy_builtin(eng, ROOT / "bpmn")
    deployed = {p for r in results for p, _ in r.processes}
    assert PROCESSES <= deployed
    assert any(d == "status_pemantauan" for r in results for d, _ in r.decisions)


def test_every_user_task_has_a_bilingual_form() -> None:
    import json

    for path in SMK.glob("*.bpmn"):
        root = etree.parse(str(path)).getroot()
        for task in root.iterfind(".//bpmn:userTask", NS):
            props = {p.get("name"): p.get("value") for p in task.iter("{*}property")}
            schema = json.loads((SMK / props["formJsonSchemaFilename"]).read_text())
            assert (SMK / props["formUiSchemaFilename"]).exists()
            assert " / " in schema["title"], (path.name, task.get("id"))
            for name, prop in schema["properties"].items():
                assert prop.get("title"), (path.name, name)


def test_models_import_cleanly_into_bpmn_js_moddle() -> None:
    """Parse every model with bpmn-moddle, the model layer of bpmn-js (skipped without node_modules)."""
    import shutil
    import subprocess

    import pytest

    if shutil.which("node") is None or not (ROOT / "node_modules" / "bpmn-moddle").exists():
        pytest.skip("node and node_modules/bpmn-moddle are needed (npm install)")
    files = sorted(str(p) for p in SMK.glob("*.bpmn"))
    run = subprocess.run(["node", str(ROOT / "scripts" / "check_bpmn_js.mjs"), *files], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
