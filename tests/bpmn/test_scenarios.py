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


def test_a_changed_rule_table_fails_the_scenario_that_pinned_its_outcome(tmp_path: Path) -> None:
    """The gate catches a rule change: regime A's 76-90 band renamed in the context's DMN table makes the regime A
    scenario fail at the step that checks the form, naming the value."""
    engine = Engine(f"sqlite:///{tmp_path / 'live.sqlite'}", clock=FixedClock(), extensions=extensions())
    context = scenarios.folder_context(BPMN, BPMN / "smk")
    rules = dict(dict(context)["bpmn/rules"])
    table = rules["predikat_band_regime_a.dmn"].decode()
    rules["predikat_band_regime_a.dmn"] = table.replace('<text>"Baik"</text>', '<text>"Cukup"</text>', 1).encode()
    changed = [(name, rules if name == "bpmn/rules" else files) for name, files in context]
    report = scenarios.run_bundle(engine, read_folder(BPMN / "smk"), name="bpmn/smk", context=changed,
                                  only={"penilaian_regime_a_diterima.scenario.json"})
    engine.dispose()
    [result] = report.results
    assert not result.passed and result.step == 2 and result.task == "terima_hasil"
    assert [(d.what, d.expected, d.actual) for d in result.differences] == [("predikat", "Baik", "Cukup")]
