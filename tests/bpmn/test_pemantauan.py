"""Pemantauan: one instance per slice; on track, off track with an agreed coaching plan followed up in the next
slice, above expectations with appreciation; the last slice starts the assessment."""

from __future__ import annotations

from typing import Any

from engine.core import Engine
from engine.runtime.clock import FixedClock
from engine.services import instances
from processes.queries import my_skp, my_team, stage_of

from .conftest import act, advance, final_data, find_instances, open_tasks, status, task_data


def slice_data(budi: int, ke: int = 1, **extra: Any) -> dict[str, Any]:
    skp = {"regime": "C", "rhk": [{"id": f"{budi}-1", "rhk": "Dokumen", "jenis": "utama", "mendukung": "x"}],
           "indikator": [{"id": f"{budi}-1", "rhk": "Dokumen", "indikator": "Jumlah dokumen", "target": 12,
                          "satuan": "dokumen", "arah": "lebih_tinggi"}], "kegiatan": [], "pendekatan": "kuantitatif"}
    return {"regime": "C", "frekuensi": "triwulanan", "tanggal_mulai": "2023-01-01", "tanggal_akhir": "2023-12-31",
            "jumlah_slice": 4, "batas_penilaian": "2024-01-31", "ke": ke, "skp": skp, "skp_pemilik": budi,
            "riwayat_pemantauan": [], "rencana_pembinaan_sebelumnya": None, **extra}


def start_slice(eng: Engine, org: dict[str, int], **kw: Any) -> int:
    return instances.start_instance(eng, "smk_pemantauan", org["indah"], org["budi"], "2023",
                                    slice_data(org["budi"], **kw)).id


def realise(eng: Engine, org: dict[str, int], value: float) -> None:
    budi = org["budi"]
    act(eng, budi, "isi_realisasi", {"realisasi": [{"id": f"{budi}-1", "realisasi": value,
                                                    "bukti_dukung": '{"id": 1, "filename": "laporan.pdf"}'}],
                                     "kendala": "-"}, budi)


def test_slice_waits_for_its_end_then_on_track_starts_the_next(smk: Engine, org: dict[str, int],
                                                               clock: FixedClock) -> None:
    budi, dewi = org["budi"], org["dewi"]
    inst = start_slice(smk, org)
    assert open_tasks(smk, "isi_realisasi", budi) == []  # realisation opens at the end of the quarter
    advance(smk, clock, days=89)  # 1 April 2023
    realise(smk, org, 3)  # target to date 12 × 1/4 = 3
    review = task_data(smk, dewi, "umpan_balik", budi)
    assert review["rata_capaian"] == 100.0 and review["status_capaian"] == "Sesuai Ekspektasi"
    assert not {"sasaran", "r", "i", "t", "c"} & set(review)  # no working names in the process data
    act(smk, dewi, "umpan_balik", {"umpan_balik": "Pertahankan"}, budi)
    assert status(smk, inst) == "completed"
    data = final_data(smk, inst)
    assert data["riwayat_pemantauan"] == [{"ke": 1, "label": "Triwulan 1 — 2023", "rata_capaian": 100.0,
                                           "status": "Sesuai Ekspektasi", "pembinaan": False, "apresiasi": False,
                                           "hasil_pembinaan_sebelumnya": None}]
    [_, nxt] = find_instances(smk, "smk_pemantauan", budi, "2023")
    following = final_data(smk, nxt.id)
    assert following["ke"] == 2 and following["akhir_slice"] == "2023-06-30"
    assert len(following["riwayat_pemantauan"]) == 1


def test_off_track_coaching_agreed_and_followed_up_next_slice(smk: Engine, org: dict[str, int],
                                                              clock: FixedClock) -> None:
    budi, dewi = org["budi"], org["dewi"]
    start_slice(smk, org)
    advance(smk, clock, days=89)
    realise(smk, org, 1)
    assert task_data(smk, dewi, "umpan_balik", budi)["status_capaian"] == "Di Bawah Ekspektasi"
    act(smk, dewi, "umpan_balik", {"umpan_balik": "Perlu percepatan"}, budi)
    plan = {"masalah": "Dokumen terlambat", "jenis_pembinaan": "bimbingan",
            "langkah_pembinaan": [{"langkah": "Rapat mingguan", "tenggat": "2023-04-30"}]}
    act(smk, dewi, "susun_pembinaan", plan, budi)
    act(smk, budi, "setujui_pembinaan", {"sepakat": False, "tanggapan_pegawai": "Tenggat terlalu dekat"}, budi)
    again = task_data(smk, dewi, "susun_pembinaan", budi)
    assert again["tanggapan_pegawai"] == "Tenggat terlalu dekat"
    act(smk, dewi, "susun_pembinaan", dict(plan, langkah_pembinaan=[{"langkah": "Rapat mingguan",
                                                                      "tenggat": "2023-05-31"}]), budi)
    act(smk, budi, "setujui_pembinaan", {"sepakat": True}, budi)
    [first, second] = find_instances(smk, "smk_pemantauan", budi, "2023")
    carried = final_data(smk, second.id)["rencana_pembinaan_sebelumnya"]
    assert carried["jenis"] == "bimbingan" and carried["langkah"][0]["tenggat"] == "2023-05-31"
    assert final_data(smk, first.id)["riwayat_pemantauan"][0]["pembinaan"] is True

    advance(smk, clock, days=91)  # 1 July: second quarter ends
    realise(smk, org, 6)
    follow = task_data(smk, dewi, "tindak_lanjut_pembinaan", budi)
    assert follow["rencana_pembinaan_sebelumnya"]["masalah"] == "Dokumen terlambat"
    act(smk, dewi, "tindak_lanjut_pembinaan", {"hasil_pembinaan": "berhasil"}, budi)
    act(smk, dewi, "umpan_balik", {"umpan_balik": "Membaik"}, budi)
    history = final_data(smk, second.id)["riwayat_pemantauan"]
    assert history[-1]["hasil_pembinaan_sebelumnya"] == "berhasil" and history[-1]["status"] == "Sesuai Ekspektasi"


def test_above_expectations_is_appreciated_and_last_slice_starts_assessment(smk: Engine, org: dict[str, int],
                                                                            clock: FixedClock) -> None:
    budi, dewi = org["budi"], org["dewi"]
    inst = start_slice(smk, org, ke=4)
    clock.set(clock.now().replace(year=2024, month=1, day=1))
    advance(smk, clock, hours=1)
    realise(smk, org, 14)  # 14 of 12: 116.67 %
    act(smk, dewi, "umpan_balik", {"umpan_balik": "Luar biasa"}, budi)
    act(smk, dewi, "beri_apresiasi", {"bentuk_apresiasi": "piagam", "catatan_apresiasi": "Teladan"}, budi)
    data = final_data(smk, inst)
    assert data["apresiasi"] == {"ke": 4, "label": "Triwulan 4 — 2023", "bentuk": "piagam", "catatan": "Teladan"}
    assert data["riwayat_pemantauan"][-1]["status"] == "Di Atas Ekspektasi"
    assert find_instances(smk, "smk_pemantauan", budi) and len(find_instances(smk, "smk_pemantauan", budi)) == 1
    [penilaian] = find_instances(smk, "smk_penilaian", budi, "2023")
    assert open_tasks(smk, "nilai_c", budi)[0].instance_id == penilaian.id


def test_skp_saya_and_tim_saya_tell_the_quarters_apart(smk: Engine, org: dict[str, int], clock: FixedClock) -> None:
    # Four "Pemantauan dan pembinaan kinerja" cases a year read alike; each is named by the quarter its steps share.
    budi, dewi = org["budi"], org["dewi"]
    first = start_slice(smk, org)
    advance(smk, clock, days=89)
    realise(smk, org, 3)
    act(smk, dewi, "umpan_balik", {"umpan_balik": "Pertahankan"}, budi)
    advance(smk, clock, days=91)  # the second quarter ends: its realisation opens
    [_, second] = find_instances(smk, "smk_pemantauan", budi, "2023")
    mine = {i.id: i for i in my_skp(smk, budi).current}
    assert mine[first].label == "Triwulan 1 — 2023" and mine[second.id].label == "Triwulan 2 — 2023"
    assert {mine[first].stage, mine[second.id].stage} == {"pemantauan"}
    [member] = [m for m in my_team(smk, dewi, "2023").members if m.id == budi]
    assert sorted(i.label for i in member.instances if i.process_id == "smk_pemantauan") == [
        "Triwulan 1 — 2023", "Triwulan 2 — 2023"]


def test_every_smk_process_has_its_stage_of_the_cycle() -> None:
    assert {p: stage_of(p) for p in ("smk_perencanaan", "smk_pemantauan", "smk_penilaian", "smk_predikat_unit",
                                      "smk_tindak_lanjut", "smk_periode")} == {
        "smk_perencanaan": "perencanaan", "smk_pemantauan": "pemantauan", "smk_penilaian": "penilaian",
        "smk_predikat_unit": "penilaian", "smk_tindak_lanjut": "tindak_lanjut", "smk_periode": "lainnya"}
