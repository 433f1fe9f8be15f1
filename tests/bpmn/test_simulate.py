"""`smk simulate --period 2023`: the demo organisation's whole year runs to a closed period."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.runtime import Instance
from processes.simulate import SimulationRefused, simulate_period


def test_simulated_year_closes_the_period_with_varied_data(eng: Engine) -> None:
    report = simulate_period(eng, 2023)
    assert report[0].startswith("Simulasi periode 2023: status periode completed")
    with eng.session_factory() as s:
        counts = dict(s.execute(select(Instance.process_id, func.count(Instance.id))
                                .where(Instance.period == "2023", Instance.status == "completed")
                                .group_by(Instance.process_id)).all())
        assert s.scalar(select(func.count(Instance.id)).where(Instance.status != "completed")) == 0
        assert s.scalar(select(func.count(Instance.id)).where(Instance.process_id == "smk_periode")) == 1
        kinds = [k for (k,) in s.execute(select(AuditEvent.kind))]
    assert counts == {"smk_perencanaan": 27, "smk_pemantauan": 108, "smk_penilaian": 27,
                      "smk_predikat_unit": 3, "smk_tindak_lanjut": 27,
                      "smk_periode": 1}  # the period instance records its own period once chosen
    text = "\n".join(report)
    assert "SKP terlambat (eskalasi ke APP): 2" in text and "SKP dikembalikan: 3" in text
    assert "pembinaan disepakati: 6; apresiasi: 12" in text
    assert "batas_waktu=2" in text and "keputusan_atasan_penilai=2" in text
    # Issue 15: a unit breaking its curve is calibrated (here by the deadline's suggestion), nobody is sent back;
    # each of the three curve units is decided once, and its decision reaches the waiting assessments by message
    # (nobody presses "check again", and there is no daily re-check).
    assert kinds.count("smk.kalibrasi_kurva") >= 1
    assert kinds.count("smk.kalibrasi_kurva") + kinds.count("smk.kurva_sesuai") == 3
    with eng.session_factory() as s:
        rechecked = s.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.kind == "task.completed",
                                                                    AuditEvent.task_name == "menunggu_kurva"))
        told = s.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.kind == "message.delivered"))
    assert rechecked == 0 and (told or 0) >= 20
    assert kinds.count("smk.pengingat") >= 2 and "timer.fired" in kinds
    with pytest.raises(SimulationRefused, match="Periode 2023 sudah ada"):  # played already: nothing changes
        simulate_period(eng, 2023)
