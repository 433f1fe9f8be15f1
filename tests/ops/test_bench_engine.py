"""`smk bench engine`'s baselines do the work they claim: the stored-state run restores the workflow from JSON text
between steps and still ends where the in-memory run ends."""

from __future__ import annotations

import pytest
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from engine.deploy.bundles import parse_bundle
from engine.runtime.serializer import StateSerializer
from engine.services.deployments import read_folder
from tools import bench


def test_the_stored_state_baseline_restores_between_steps_and_completes(monkeypatch: pytest.MonkeyPatch) -> None:
    info = parse_bundle(read_folder(bench.DEMO)).processes["demo_penilaian"]
    serializer = StateSerializer()
    loads = []
    real_load = serializer.load
    monkeypatch.setattr(serializer, "load", lambda *a, **k: loads.append(1) or real_load(*a, **k))
    engine = PythonScriptEngine()
    assert bench._raw_run(info, engine) == bench._stored_run(info, engine, serializer) == len(bench.STEPS)
    assert len(loads) == len(bench.STEPS) + 1  # after the start and after every completion
