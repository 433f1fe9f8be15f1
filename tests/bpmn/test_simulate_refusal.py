"""`smk simulate` refuses a database it would collide with, before changing anything, and otherwise acts only on
its own period: a live later period (the demo's) keeps its tasks and state through a whole simulated year."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.runtime import Instance, TaskIndex
from engine.runtime.clock import FixedClock
from engine.services import instances
from engine.services.deferred import start_all_deferred
from processes.demo import demo_iku
from processes.simulate import SimulationRefused, refuse_to_simulate, simulate_period
from tests.bpmn.conftest import BPMN
from webapp import create_app
from webapp.cli import cli


def _open(eng: Engine, indah: int, year: int, complete: bool = True) -> int:
    started = instances.start_instance(eng, "smk_periode", indah, None, "")
    if complete:
        task = started.ready_task_ids[0]
        instances.claim_task(eng, indah, task)
        instances.complete_task(eng, indah, task, {
            "tahun": year, "jenis_periode": "tahunan", "regime": "C", "frekuensi": "triwulanan",
            "batas_skp": f"{year}-01-31", "batas_penilaian": f"{year + 1}-01-31", "maks_putaran": 3,
            "iku_organisasi": demo_iku()})
        start_all_deferred(eng)
    return started.id


def _snapshot(eng: Engine) -> tuple[int, int, int]:
    with eng.session_factory() as s:
        return (s.scalar(select(func.count(Instance.id))) or 0, s.scalar(select(func.count(AuditEvent.id))) or 0,
                s.scalar(select(func.count(TaskIndex.id))) or 0)


def test_a_live_period_of_that_year_is_refused_with_nothing_changed(smk: Engine, org: dict[str, int],
                                                                  clock: FixedClock, tmp_path: Path) -> None:
    _open(smk, org["indah"], 2023)
    before = _snapshot(smk)
    with pytest.raises(SimulationRefused, match="Periode 2023 sudah ada"):
        simulate_period(smk, 2023)
    assert _snapshot(smk) == before
    # The command says why and exits 1, without a traceback.
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "INSTANCE_PATH": str(tmp_path / "i"),
                      "DATABASE_URL": smk.database_url, "SMK_BPMN_DIR": str(BPMN)}, engine=smk)
    result = app.test_cli_runner().invoke(cli, ["simulate", "--period", "2023"], catch_exceptions=False)
    assert result.exit_code == 1 and "Period 2023 already exists in this database" in result.output
    assert "Traceback" not in result.output
    assert _snapshot(smk) == before


def test_a_period_being_opened_is_refused(smk: Engine, org: dict[str, int]) -> None:
    case = _open(smk, org["indah"], 2023, complete=False)  # Biro SDM started the opening, not finished it
    with pytest.raises(SimulationRefused, match=f"#{case}"):
        refuse_to_simulate(smk, 2022)


def test_live_work_whose_timers_the_simulated_clock_would_fire_is_refused(smk: Engine, org: dict[str, int],
                                                                         clock: FixedClock) -> None:
    _open(smk, org["indah"], 2023)  # on 2 January 2023: reminders and deadlines in 2023 and 2024
    before = _snapshot(smk)
    with pytest.raises(SimulationRefused, match="2023"):
        simulate_period(smk, 2024)  # its clock would run through 2024 and fire them
    assert _snapshot(smk) == before
    refuse_to_simulate(smk, 2021)  # an earlier year's clock stops before any of them: allowed


def test_the_simulation_leaves_a_later_live_period_alone(eng: Engine, org: dict[str, int],
                                                          clock: FixedClock) -> None:
    from engine.services.deployments import deploy_builtin

    clock.set(datetime(2029, 12, 20, 1, 0, tzinfo=UTC))  # as `smk demo` does: next year's period, opened now
    deploy_builtin(eng, BPMN)
    _open(eng, org["indah"], 2030)
    with eng.session_factory() as s:
        live = {i.id: (i.version, i.status) for i in s.scalars(select(Instance).where(Instance.period != "2023"))}
        tasks = set(s.scalars(select(TaskIndex.id).where(TaskIndex.closed_at.is_(None))))
    report = simulate_period(eng, 2023)
    assert report[0].startswith("Simulasi periode 2023")  # (whether it closes in time is test_simulate's matter)
    with eng.session_factory() as s:
        after = {i.id: (i.version, i.status) for i in s.scalars(select(Instance).where(Instance.id.in_(live)))}
        still = set(s.scalars(select(TaskIndex.id).where(TaskIndex.closed_at.is_(None),
                                                         TaskIndex.period != "2023")))
        set_2023 = s.scalar(select(func.count(Instance.id)).where(Instance.period == "2023",
                                                                  Instance.process_id == "smk_perencanaan",
                                                                  Instance.status == "completed"))
    assert after == live and still == tasks  # not one step taken in 2030's cases
    assert set_2023 == 27  # while 2023 was played: every SKP set and its planning finished
