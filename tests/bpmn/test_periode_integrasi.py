"""Periode: validation, one planning per employee assessed in the system, unit ratings requested at period end
(regime C), closing only when every assessment is final. Integrasi 2021: automatic and completed by Biro SDM."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from engine.core import Engine
from engine.db.deferred import DeferredStart
from engine.runtime.clock import FixedClock
from engine.services import instances
from processes.rules.script_api import SCRIPT_FUNCTIONS

from .conftest import IKU, act, advance, final_data, find_instances, open_tasks, status, task_data
from .test_penilaian import PERILAKU_A, PERILAKU_B, start_assessment


def opening(**extra: Any) -> dict[str, Any]:
    return {"tahun": 2023, "jenis_periode": "tahunan", "regime": "C", "frekuensi": "triwulanan",
            "batas_skp": "2023-01-31", "batas_penilaian": "2024-01-31", "maks_putaran": 3, "unit_cakupan": "BUM",
            "iku_organisasi": IKU, **extra}


def test_period_is_validated_starts_plannings_asks_unit_ratings_and_closes_when_all_final(
        smk: Engine, org: dict[str, int], clock: FixedClock) -> None:
    indah = org["indah"]
    inst = instances.start_instance(smk, "smk_periode", indah, None, "").id
    act(smk, indah, "buka_periode", opening(regime="A"))
    fix = task_data(smk, indah, "buka_periode")
    assert "Regime A tidak berlaku untuk periode 2023" in fix["galat_teks"]
    act(smk, indah, "buka_periode", opening())
    data = final_data(smk, inst)
    assert data["periode"] == "2023" and data["jumlah_slice"] == 4 and data["status_periode"] == "dibuka"
    bum = ["yulia", "rudi", "sri", "taufik", "umi", "wahyu", "yanti"]
    assert data["jumlah_perencanaan"] == len(bum)
    # Opening writes the planning requests; the worker starts them, each in its own transaction.
    assert find_instances(smk, "smk_perencanaan", period="2023") == []
    with smk.session_factory() as s:
        pending = s.scalars(select(DeferredStart.subject_id).where(DeferredStart.started_at.is_(None))).all()
    assert sorted(pending) == sorted(org[u] for u in bum)
    assert advance(smk, clock) == len(bum)
    assert sorted(i.subject_id for i in find_instances(smk, "smk_perencanaan", period="2023")) == \
        sorted(org[u] for u in bum)
    with smk.session_factory() as s:
        assert s.scalar(select(func.count()).where(DeferredStart.started_at.is_(None))) == 0
    planning = final_data(smk, find_instances(smk, "smk_perencanaan", org["yulia"], "2023")[0].id)
    assert planning["regime"] == "C" and planning["batas_skp"] == "2023-01-31"

    clock.set(clock.now().replace(year=2024, month=1, day=1))
    advance(smk, clock, hours=1)  # the period has ended: the unit head is asked for the unit rating
    [rating] = find_instances(smk, "smk_predikat_unit", org["yulia"], "2023")
    assert open_tasks(smk, "tetapkan_predikat_unit", org["yulia"])
    advance(smk, clock, days=31)  # the assessment deadline: nothing is final yet
    pantau = task_data(smk, indah, "pantau_penutupan")
    assert pantau["jumlah_final"] == 0 and pantau["jumlah_perencanaan"] == 7
    assert status(smk, inst) == "running" and rating.id


def test_period_closes_when_every_assessment_is_final(smk: Engine, org: dict[str, int], clock: FixedClock) -> None:
    indah = org["indah"]
    inst = instances.start_instance(smk, "smk_periode", indah, None, "").id
    act(smk, indah, "buka_periode", opening(unit_cakupan="BRP-1-1", regime="C", frekuensi="bulanan"))
    advance(smk, clock)  # the worker starts the planning cases
    scope = final_data(smk, inst)["pegawai_ids"]
    clock.set(clock.now().replace(year=2024, month=1, day=1))
    advance(smk, clock, hours=1)  # period end (each due timer in its own pass: see the report on chained timers)
    advance(smk, clock, days=31)  # assessment deadline
    act(smk, indah, "pantau_penutupan", {"catatan_pantau": "Diingatkan"})
    assert open_tasks(smk, "pantau_penutupan") == []  # re-checked a week later, never in a tight loop
    advance(smk, clock, days=7)
    assert task_data(smk, indah, "pantau_penutupan")["jumlah_final"] == 0
    names = {v: k for k, v in org.items()}
    for subject in scope:  # final assessments (driven directly; their own paths are tested elsewhere)
        start_assessment(smk, org, names[subject], "C", "2023")
    from sqlalchemy import update

    from engine.db.runtime import Instance
    with smk.session_factory.begin() as s:  # stand-in for finished assessments
        s.execute(update(Instance).where(Instance.process_id == "smk_penilaian").values(status="completed"))
    act(smk, indah, "pantau_penutupan", {"catatan_pantau": "Periksa lagi"})
    assert status(smk, inst) != "completed"
    advance(smk, clock, days=7)
    data = final_data(smk, inst)
    assert status(smk, inst) == "completed" and data["status_periode"] == "ditutup"
    assert data["jumlah_final"] == len(scope) == 4


def test_half_year_2021_period_runs_regime_b(smk: Engine, org: dict[str, int], clock: FixedClock) -> None:
    indah = org["indah"]
    inst = instances.start_instance(smk, "smk_periode", indah, None, "").id
    act(smk, indah, "buka_periode", opening(tahun=2021, jenis_periode="2021-II", regime="B", batas_skp="2021-07-31",
                                            batas_penilaian="2022-01-31", unit_cakupan="BUM-1-1"))
    advance(smk, clock)
    data = final_data(smk, inst)
    assert data["periode"] == "2021-II" and data["tanggal_mulai"] == "2021-07-01" and data["jumlah_slice"] == 2
    assert {i.period for i in find_instances(smk, "smk_perencanaan")} == {"2021-II"}


def _assess(smk: Engine, org: dict[str, int]) -> tuple[float, float]:
    budi, dewi = org["budi"], org["dewi"]
    start_assessment(smk, org, "budi", "A", "2021-I")
    act(smk, dewi, "nilai_a", {"kegiatan_penilaian_isi": [
        {"nama": "Menyusun laporan", "realisasi_kuantitas": 12, "realisasi_kualitas": 100, "realisasi_waktu": 5},
        {"nama": "Menganalisis data", "realisasi_kuantitas": 4, "realisasi_kualitas": 95, "realisasi_waktu": 5,
         "realisasi_biaya": 800000}], **PERILAKU_A}, budi)
    n1 = task_data(smk, budi, "terima_hasil", budi)["nilai"]
    act(smk, budi, "terima_hasil", {"tanggapan": "terima"}, budi)
    start_assessment(smk, org, "budi", "B", "2021-II")
    act(smk, dewi, "nilai_b", {"indikator_penilaian_isi": [{"id": "b-1", "realisasi": 10},
                                                          {"id": "b-2", "realisasi": 18}],
                               "inovasi": True, **PERILAKU_B}, budi)
    n2 = task_data(smk, budi, "terima_hasil", budi)["nilai"]
    act(smk, budi, "terima_hasil", {"tanggapan": "terima"}, budi)
    return n1, n2


def test_integration_2021_reads_both_periods_and_is_confirmed(smk: Engine, org: dict[str, int]) -> None:
    budi, indah = org["budi"], org["indah"]
    n1, n2 = _assess(smk, org)
    inst = instances.start_instance(smk, "smk_integrasi_2021", indah, budi, "2021", {}).id
    expected = SCRIPT_FUNCTIONS["integrasi_2021"](n1, n2, True)
    form = task_data(smk, indah, "konfirmasi_integrasi", budi)
    assert form["nilai"] == expected["nilai_integrasi"] and form["predikat"] == expected["predikat"]
    assert expected["versi_tabel_konversi"] in form["ringkasan_integrasi"]
    act(smk, indah, "konfirmasi_integrasi", {"keputusan_integrasi": "konfirmasi"}, budi)
    data = final_data(smk, inst)
    assert data["status_integrasi"] == "dikonfirmasi" and data["nilai_periode_1"] == n1
    assert data["nilai"] == expected["nilai_integrasi"] and data["sumber_nilai"].startswith("penilaian")


def test_integration_2021_without_values_is_completed_by_biro_sdm(smk: Engine, org: dict[str, int]) -> None:
    siti, indah = org["siti"], org["indah"]
    inst = instances.start_instance(smk, "smk_integrasi_2021", indah, siti, "2021", {}).id
    assert open_tasks(smk, "konfirmasi_integrasi", siti) == []
    act(smk, indah, "lengkapi_nilai", {"nilai_periode_1": 80, "nilai_periode_2": 95, "inovasi": False,
                                       "sumber_manual": "Arsip penilaian kertas"}, siti)
    act(smk, indah, "konfirmasi_integrasi", {"keputusan_integrasi": "koreksi", "alasan_integrasi": "Salah ketik"},
        siti)
    act(smk, indah, "lengkapi_nilai", {"nilai_periode_1": 85, "nilai_periode_2": 95, "inovasi": False,
                                       "sumber_manual": "Arsip penilaian kertas"}, siti)
    act(smk, indah, "konfirmasi_integrasi", {"keputusan_integrasi": "konfirmasi"}, siti)
    data = final_data(smk, inst)
    expected = SCRIPT_FUNCTIONS["integrasi_2021"](85, 95, False)
    assert data["nilai"] == expected["nilai_integrasi"] and data["predikat"] == expected["predikat"]
    assert data["sumber_nilai"] == "diisi Biro SDM: Arsip penilaian kertas"


def test_period_closes_from_the_first_follow_up_task(smk: Engine, org: dict[str, int], clock: FixedClock) -> None:
    indah = org["indah"]
    inst = instances.start_instance(smk, "smk_periode", indah, None, "").id
    act(smk, indah, "buka_periode", opening(unit_cakupan="BRP-1-1"))
    advance(smk, clock)  # the worker starts the planning cases
    scope = final_data(smk, inst)["pegawai_ids"]
    clock.set(clock.now().replace(year=2024, month=1, day=1))
    advance(smk, clock, hours=1)
    advance(smk, clock, days=31)
    names = {v: k for k, v in org.items()}
    for subject in scope:
        start_assessment(smk, org, names[subject], "C", "2023")
    from sqlalchemy import update

    from engine.db.runtime import Instance
    with smk.session_factory.begin() as s:
        s.execute(update(Instance).where(Instance.process_id == "smk_penilaian").values(status="completed"))
    act(smk, indah, "pantau_penutupan", {"catatan_pantau": "Sudah final"})
    advance(smk, clock, days=7)
    assert status(smk, inst) == "completed" and final_data(smk, inst)["status_periode"] == "ditutup"
