"""`smk simulate --workers N`: the simulated year played by several processes at once ends as the one-process
year does (same cases, same outcomes), and what it refuses."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.runtime import Instance
from processes.simulate import cpu_seconds
from processes.simulate_parallel import simulate_period_parallel
from tests.bpmn.conftest import BPMN
from webapp import create_app
from webapp.cli import cli


def test_two_workers_play_the_demo_year_to_the_same_end_as_one_process(eng: Engine, tmp_path: Path) -> None:
    measured: list[float] = []
    months: list[str] = []
    report = simulate_period_parallel(eng, 2023, workers=2, on_finish=lambda: measured.append(cpu_seconds()),
                                      progress=months.append)
    # First the opening and the planning cases the workers started at once, then a line per month.
    assert months[0].startswith("  period opened in ") and "the workers started 27 planning cases" in months[0]
    assert [m.split(":")[0].strip() for m in months[1:3]] == ["2023-01", "2023-02"] and len(months) >= 13
    assert report[0].startswith("Simulasi periode 2023: status periode completed"), report
    assert report[1].startswith("  2 proses pelaku / worker processes")
    assert len(measured) == 1 and measured[0] > 0  # called once, while the workers still lived
    with eng.session_factory() as s:
        counts = dict(s.execute(select(Instance.process_id, func.count(Instance.id))
                                .where(Instance.period == "2023", Instance.status == "completed")
                                .group_by(Instance.process_id)).all())
        assert s.scalar(select(func.count(Instance.id)).where(Instance.status != "completed")) == 0
        kinds = [k for (k,) in s.execute(select(AuditEvent.kind))]
    # The same cases and outcomes as the one-process year (tests/bpmn/test_simulate.py): who acts in which process
    # and in which order within a day changes nothing a report shows.
    assert counts == {"smk_perencanaan": 27, "smk_pemantauan": 108, "smk_penilaian": 27,
                      "smk_predikat_unit": 3, "smk_tindak_lanjut": 27, "smk_periode": 1}
    text = "\n".join(report)
    assert "SKP terlambat (eskalasi ke APP): 2" in text and "SKP dikembalikan: 3" in text
    assert "pembinaan disepakati: 6; apresiasi: 12" in text
    assert "batas_waktu=2" in text and "keputusan_atasan_penilai=2" in text
    assert kinds.count("smk.kalibrasi_kurva") >= 1 and "timer.fired" in kinds
    # Each curve unit decided once; the decisions reach the waiting assessments by message, each delivered once
    # though both processes delivered kept messages at the same time.
    assert kinds.count("smk.kalibrasi_kurva") + kinds.count("smk.kurva_sesuai") == 3
    with eng.session_factory() as s:
        told = Counter(i for (i,) in s.execute(select(AuditEvent.instance_id).where(
            AuditEvent.kind == "message.delivered", AuditEvent.data["message"].as_string() == "kurva_unit_diputuskan")))
    assert len(told) >= 20 and max(told.values()) == 1
    # Each timer fired once, though two processes fired the due ones at the same time.
    with eng.session_factory() as s:
        fired = Counter((i, (d or {}).get("due_at")) for i, d in s.execute(
            select(AuditEvent.instance_id, AuditEvent.data).where(AuditEvent.kind == "timer.fired")))
    assert fired and max(fired.values()) == 1


def test_the_cli_refuses_fewer_than_one_worker_and_reports_the_workers(eng: Engine, tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "INSTANCE_PATH": str(tmp_path / "i"),
                      "DATABASE_URL": eng.database_url, "SMK_BPMN_DIR": str(BPMN)}, engine=eng)
    runner = app.test_cli_runner()
    result = runner.invoke(cli, ["simulate", "--period", "2023", "--workers", "0"])
    assert result.exit_code == 2 and "--workers" in result.output
    with pytest.raises(ValueError, match="at least 2 workers"):
        simulate_period_parallel(eng, 2023, workers=1)
    result = runner.invoke(cli, ["simulate", "--period", "2023", "--workers", "2", "--employees", "60",
                                 "--until", "2023-01-04"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "2 proses pelaku / worker processes" in result.output and "2 process(es)" in result.output
    assert "(disimulasikan sampai 2023-01-04)" in result.output
    with eng.session_factory() as s:
        planned = s.scalar(select(func.count(Instance.id)).where(Instance.process_id == "smk_perencanaan",
                                                                 Instance.period == "2023"))
    assert planned == 59  # everyone but the head of the agency
