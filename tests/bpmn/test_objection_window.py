"""The objection window and the size of realisations in the SMK assessment model (issue 16).

PP 30/2019 Pasal 59 gives 14 days; read as people do, the window closes at 23:59:59 Asia/Jakarta of the 14th
calendar day after the result is delivered (docs/rules.md). Both edges are tested through the engine's
services, with no timer worker pass before the late objection: the deadline must win on its own.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.core import Engine
from engine.errors import Conflict, FormInvalid
from engine.runtime.clock import FixedClock

from .conftest import act, final_data, open_tasks, set_unit_rating, status, task_data
from .test_penilaian import PERILAKU_B, start_assessment

SMK = Path(__file__).resolve().parents[2] / "bpmn" / "smk"
OBJECTION = {"tanggapan": "keberatan", "alasan_keberatan": "Nilai perilaku tidak sesuai"}
# The smk fixture's clock: 2 January 2023, 01:00 UTC = 08:00 WIB. Day 14 is 16 January.
LAST_SECOND = datetime(2023, 1, 16, 16, 59, 59, tzinfo=UTC)  # 23:59:59 WIB
NEXT_DAY = datetime(2023, 1, 16, 17, 0, 0, tzinfo=UTC)  # 00:00:00 WIB on 17 January


def deliver(smk: Engine, org: dict[str, int]) -> int:
    """Assess ratna (a unit head, regime C) so that her result is delivered at the fixture's clock."""
    set_unit_rating(smk, org, "ratna", "Baik")
    inst = start_assessment(smk, org, "ratna", "C", "2023")
    act(smk, org["hartono"], "nilai_c_kepala", {"perilaku": "Sesuai Ekspektasi", "umpan_balik_akhir": "Baik"},
        org["ratna"])
    return inst


def test_the_window_closes_at_the_end_of_the_14th_day_in_jakarta(smk: Engine, org: dict[str, int]) -> None:
    deliver(smk, org)
    assert task_data(smk, org["ratna"], "terima_hasil", org["ratna"])["batas_keberatan"] == "2023-01-16T23:59:59+07:00"
    [task] = open_tasks(smk, "terima_hasil", org["ratna"])
    assert task.due_at == LAST_SECOND


def test_an_objection_at_23_59_59_on_day_14_is_accepted(smk: Engine, org: dict[str, int], clock: FixedClock) -> None:
    inst = deliver(smk, org)
    clock.set(LAST_SECOND)
    act(smk, org["ratna"], "terima_hasil", OBJECTION, org["ratna"])
    assert open_tasks(smk, "putus_keberatan", org["ratna"]) and status(smk, inst) == "running"


def test_an_objection_at_midnight_after_day_14_is_refused_without_a_worker_pass(
        smk: Engine, org: dict[str, int], clock: FixedClock) -> None:
    inst = deliver(smk, org)
    clock.set(NEXT_DAY)  # the timer is due but no worker has fired it
    with pytest.raises(Conflict, match="deadline"):
        act(smk, org["ratna"], "terima_hasil", OBJECTION, org["ratna"])
    assert open_tasks(smk, "putus_keberatan", org["ratna"]) == []
    assert status(smk, inst) == "completed"
    data = final_data(smk, inst)
    assert data["final_karena"] == "batas_waktu" and data["keberatan_status"] == "tidak_diajukan"


def test_a_huge_realisation_is_refused_by_the_form_not_the_rules(smk: Engine, org: dict[str, int]) -> None:
    inst = start_assessment(smk, org, "budi", "B", "2021-II")
    with pytest.raises(FormInvalid) as refused:
        act(smk, org["dewi"], "nilai_b", {"indikator_penilaian_isi": [{"id": "b-1", "realisasi": 1e30},
                                                                       {"id": "b-2", "realisasi": 15}],
                                          "inovasi": False, **PERILAKU_B}, org["budi"])
    assert [e.path for e in refused.value.errors] == ["indikator_penilaian_isi.0.realisasi"]
    assert status(smk, inst) == "running"


def _numbers(schema: dict, path: str = "") -> list[tuple[str, dict]]:
    found = []
    for name, prop in (schema.get("properties") or {}).items():
        if prop.get("readOnly"):
            continue  # context shown from task data, never taken from a submission
        if prop.get("type") == "array":
            found += _numbers(prop.get("items") or {}, f"{path}{name}[].")
        elif prop.get("type") == "number":
            found.append((f"{path}{name}", prop))
    return found


@pytest.mark.parametrize("schema_file", sorted(SMK.glob("*.schema.json")), ids=lambda p: p.name)
def test_every_target_and_realisation_field_has_a_maximum(schema_file: Path) -> None:
    schema = json.loads(schema_file.read_text())
    missing = [name for name, prop in _numbers(schema)
               if ("target" in name or "realisasi" in name) and "maximum" not in prop]
    assert missing == []
