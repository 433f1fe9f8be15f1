"""Every scenario shipped with the models (bpmn/<bundle>/*.scenario.json) passes, run as `smk test-model bpmn/<bundle>`
runs it: against the other folders of bpmn/ (rules first), in a throwaway database. CI covers bpmn/ through this."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.core import Engine
from engine.runtime.clock import FixedClock
from engine.services import scenarios
from engine.services.deployments import read_folder
from processes.extension import extensions

BPMN = Path(__file__).resolve().parents[2] / "bpmn"
SHIPPED = sorted(BPMN.glob("*/*.scenario.json"))


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, scenarios.ScenarioReport]]:
    """One run per bundle folder (the throwaway database is prepared once per bundle)."""
    engine = Engine(f"sqlite:///{tmp_path_factory.mktemp('scenarios') / 'live.sqlite'}", clock=FixedClock(),
                    extensions=extensions())
    out = {}
    for folder in sorted({p.parent for p in SHIPPED}):
        out[folder.name] = scenarios.run_bundle(engine, read_folder(folder), name=f"bpmn/{folder.name}",
                                                context=scenarios.folder_context(BPMN, folder))
    yield out
    engine.dispose()


def test_every_shipped_model_has_scenarios() -> None:
    names = {p.name for p in SHIPPED}
    for model in ("perencanaan", "pemantauan", "penilaian", "predikat_unit", "tindak_lanjut", "integrasi_2021",
                  "periode"):
        assert any(n.startswith(model) for n in names), f"no scenario for smk_{model}"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: f"{p.parent.name}/{p.name.removesuffix('.scenario.json')}")
def test_shipped_scenario_passes(reports: dict[str, scenarios.ScenarioReport], path: Path) -> None:
    report = reports[path.parent.name]
    assert not report.problems, [str(p) for p in report.problems]
    [result] = [r for r in report.results if r.filename == path.name]
    assert result.passed, scenarios.report_text(scenarios.ScenarioReport([result]))
