"""`smk simulate --employees N`: a generated agency in an empty database, played from a seed; what it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.org import User
from engine.db.runtime import Instance
from processes.orgimport import run_import
from processes.simulate import (
    DATABASE,
    SimulationRefused,
    assign_roles,
    choose_behaviours,
    organisation_iku,
    simulate_period,
)
from tests.bpmn.conftest import BPMN
from tools import orggen
from webapp import create_app
from webapp.cli import cli


def _cli(eng: Engine, tmp_path: Path, *args: str) -> tuple[int, str]:
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "INSTANCE_PATH": str(tmp_path / "i"),
                      "DATABASE_URL": eng.database_url, "SMK_BPMN_DIR": str(BPMN)}, engine=eng)
    result = app.test_cli_runner().invoke(cli, ["simulate", "--period", "2023", *args], catch_exceptions=False)
    return result.exit_code, result.output


def _counts(eng: Engine) -> tuple[int, int, int]:
    with eng.session_factory() as s:
        return (s.scalar(select(func.count(User.id))) or 0, s.scalar(select(func.count(Instance.id))) or 0,
                s.scalar(select(func.count(AuditEvent.id))) or 0)


def test_a_generated_agency_is_imported_and_played_in_an_empty_database(eng: Engine, tmp_path: Path) -> None:
    code, out = _cli(eng, tmp_path, "--employees", "60", "--seed", "3", "--until", "2023-01-02")
    assert code == 0, out
    assert "60 employees, 60 accounts" in out and "Biro SDM:" in out and "PPK:" in out
    assert "Simulasi periode 2023: status periode waiting (disimulasikan sampai 2023-01-02)" in out
    assert "CPU per employee-year" in out and "database" in out and "audit events" in out
    with eng.session_factory() as s:
        planned = s.scalar(select(func.count(Instance.id)).where(Instance.process_id == "smk_perencanaan",
                                                                 Instance.period == "2023"))
    assert planned == 59  # everyone but the head of the agency
    before = _counts(eng)
    code, out = _cli(eng, tmp_path, "--employees", "40")  # not an empty database any more: refused, unchanged
    assert code == 1 and "needs an empty database" in out and "Traceback" not in out
    assert _counts(eng) == before


def test_an_organisation_without_biro_sdm_is_refused_and_the_seed_decides_the_behaviours(eng: Engine) -> None:
    rows = orggen.generate(60, seed=5)
    run_import(eng, {"o.xlsx": orggen.workbook(rows)}, None, apply=True)
    before = _counts(eng)
    with pytest.raises(SimulationRefused, match="Biro SDM group has no active member"):
        simulate_period(eng, 2023, organisation=DATABASE)
    assert _counts(eng) == before
    one, again, other = choose_behaviours(eng, 1), choose_behaviours(eng, 1), choose_behaviours(eng, 2)
    assert one == again and one != other
    assessed = {p[0] for p in rows["pegawai"] if p[2] != "P-U"}
    assert one.late_skp and one.above and one.silent and one.late_skp | one.above | one.silent <= assessed
    assert not (one.silent & (one.objects_upheld | one.objects_rejected)) and not (one.off_track & one.above)
    assert set(one.unit_rating) == {"U1", "U2"}  # the units directly under the top unit (their curves)
    iku = organisation_iku(eng)
    assert [i["kode"] for i in iku] == ["IKU-U-1", "IKU-U-2", "IKU-U1-1", "IKU-U1-2", "IKU-U2-1", "IKU-U2-2"]
    assert "Deputi Bidang 1" in iku[2]["nama"]
    assert [line.split(":")[0] for line in assign_roles(eng)] == ["Biro SDM", "Tim Penilai Kinerja",
                                                                  "Tim Penilai Kinerja", "PPK"]
