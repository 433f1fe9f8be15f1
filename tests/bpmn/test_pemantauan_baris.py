"""A realisation keeps the set SKP's indicator rows (issue 13): rows outside the SKP are ignored, a row left out
comes back with realisation 0 marked "not reported"; each slice is labelled "Triwulan 2 — 2023"."""

from __future__ import annotations

from engine.core import Engine
from engine.runtime.clock import FixedClock
from engine.services import instances

from .conftest import act, advance, open_tasks, task_data
from .test_pemantauan import slice_data


def _two_indicators(budi: int, ke: int = 1) -> dict:
    data = slice_data(budi, ke=ke)
    data["skp"]["indikator"].append({"id": f"{budi}-2", "rhk": "Layanan", "indikator": "Jumlah layanan",
                                     "target": 40, "satuan": "layanan", "arah": "lebih_tinggi"})
    return data


def test_rows_follow_the_set_skp(smk: Engine, org: dict[str, int], clock: FixedClock) -> None:
    budi, dewi = org["budi"], org["dewi"]
    instances.start_instance(smk, "smk_pemantauan", org["indah"], budi, "2023", _two_indicators(budi, ke=2))
    advance(smk, clock, days=181)  # 1 July 2023: the end of Triwulan 2
    form = task_data(smk, budi, "isi_realisasi", budi)
    assert form["label_slice"] == "Triwulan 2 — 2023"
    assert [r["id"] for r in form["realisasi"]] == [f"{budi}-1", f"{budi}-2"]
    # A crafted post drops the second row and adds one the SKP does not have.
    act(smk, budi, "isi_realisasi", {"realisasi": [
        {"id": f"{budi}-1", "realisasi": 6, "catatan": "Sesuai jadwal"},
        {"id": "bukan-skp", "realisasi": 99}], "kendala": "-"}, budi)
    review = task_data(smk, dewi, "umpan_balik", budi)
    rows = review["realisasi"]
    assert [r["id"] for r in rows] == [f"{budi}-1", f"{budi}-2"]
    assert rows[0]["capaian"] == 100.0 and rows[0]["catatan"] == "Sesuai jadwal"
    assert rows[1]["realisasi"] == 0 and rows[1]["capaian"] == 0 and "Tidak dilaporkan" in rows[1]["catatan"]
    assert rows[1]["indikator"] == "Jumlah layanan" and review["label_slice"] == "Triwulan 2 — 2023"


def test_every_monitoring_task_is_titled_with_its_slice(smk: Engine, org: dict[str, int], clock: FixedClock) -> None:
    budi = org["budi"]
    instances.start_instance(smk, "smk_pemantauan", org["indah"], budi, "2023", _two_indicators(budi, ke=2))
    advance(smk, clock, days=181)
    [row] = open_tasks(smk, "isi_realisasi", budi)
    assert row.title == "Isi realisasi dan bukti dukung (Triwulan 2 — 2023)"
    act(smk, budi, "isi_realisasi", {"realisasi": [{"id": f"{budi}-1", "realisasi": 6},
                                                   {"id": f"{budi}-2", "realisasi": 20}]}, budi)
    [row] = open_tasks(smk, "umpan_balik", budi)
    assert row.title == "Beri umpan balik (Triwulan 2 — 2023)"
