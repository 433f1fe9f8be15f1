"""Penilaian: each regime's assessment with predikat from the DMN tables; objection upheld, rejected and timed
out; the regime C distribution curve with a violation returned to the assessor and corrected; a unit head's
hasil kerja following the unit's rating (waiting for it, refusing a contradicting rating)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, select

from engine.access import actionable, may_act
from engine.core import Engine
from engine.db.notify import Notification
from engine.db.org import GroupMember, User
from engine.db.runtime import TaskIndex
from engine.runtime.clock import FixedClock
from engine.services import instances
from engine.services.messages import deliver_kept_messages
from processes.queries import my_skp, my_team
from processes.rules.script_api import SCRIPT_FUNCTIONS

from .conftest import (
    act,
    advance,
    events,
    final_data,
    find_instances,
    open_tasks,
    period_data,
    set_unit_rating,
    status,
    task_data,
)
from .helpers_skp import skp_a

KEGIATAN_ISI = [{"nama": "Menyusun laporan", "realisasi_kuantitas": 12, "realisasi_kualitas": 100,
                 "realisasi_waktu": 5},
                {"nama": "Menganalisis data", "realisasi_kuantitas": 3, "realisasi_kualitas": 90,
                 "realisasi_waktu": 6, "realisasi_biaya": 900000}]
PERILAKU_A = {"perilaku_orientasi_pelayanan": 85, "perilaku_integritas": 90, "perilaku_komitmen": 80,
              "perilaku_disiplin": 88, "perilaku_kerja_sama": 84}
INDIKATOR_B = [{"id": "b-1", "indikator": "Jumlah dokumen", "target": 10, "arah": "lebih_tinggi"},
               {"id": "b-2", "indikator": "Hari penyelesaian", "target": 20, "arah": "lebih_rendah"}]
PERILAKU_B = {"perilaku_orientasi_pelayanan": 110, "perilaku_komitmen": 112, "perilaku_inisiatif_kerja": 115,
              "perilaku_kerja_sama": 110}


def start_assessment(eng: Engine, org: dict[str, int], username: str, regime: str, period: str,
                     **extra: Any) -> int:
    skp = {"regime": regime, "kegiatan": skp_a()["kegiatan"] if regime == "A" else [],
           "indikator": INDIKATOR_B if regime == "B" else [{"id": "c-1", "indikator": "Dokumen", "target": 4}]}
    data = dict(period_data(regime), skp=skp, riwayat_pemantauan=[
        {"ke": 1, "label": "Triwulan 1", "rata_capaian": 95.0, "status": "Sesuai Ekspektasi", "pembinaan": False,
         "apresiasi": False}], skp_pemilik=org[username], **extra)
    return instances.start_instance(eng, "smk_penilaian", org["indah"], org[username], period, data).id


def test_regime_a_assessment_accepted_becomes_final_and_starts_follow_up(smk: Engine, org: dict[str, int]) -> None:
    budi, dewi = org["budi"], org["dewi"]
    inst = start_assessment(smk, org, "budi", "A", "2021-I")
    act(smk, dewi, "nilai_a", {"kegiatan_penilaian_isi": KEGIATAN_ISI, "tugas_tambahan": 2, "kreativitas": "",
                               **PERILAKU_A}, budi)
    expected = SCRIPT_FUNCTIONS["nilai_regime_a"](
        [dict(k, **{f"target_{a}": v for a, v in t.items()}) for k, t in zip(
            [{kk: vv for kk, vv in r.items() if kk.startswith("realisasi") or kk == "nama"} for r in KEGIATAN_ISI],
            [{"kuantitas": 12, "kualitas": 100, "waktu": 6}, {"kuantitas": 4, "kualitas": 100, "waktu": 6,
                                                              "biaya": 1000000}], strict=True)],
        {"orientasi_pelayanan": 85, "integritas": 90, "komitmen": 80, "disiplin": 88, "kerja_sama": 84}, False, 2)
    result = task_data(smk, budi, "terima_hasil", budi)
    assert result["nilai"] == expected["nilai_prestasi_kerja"]
    assert result["predikat"] == expected["predikat"]  # the DMN task agrees with the rules package
    act(smk, budi, "terima_hasil", {"tanggapan": "terima"}, budi)
    data = final_data(smk, inst)
    assert data["status_penilaian"] == "final" and data["final_karena"] == "diterima_pegawai"
    assert data["keberatan_status"] == "tidak_diajukan"
    [follow] = find_instances(smk, "smk_tindak_lanjut", budi, "2021-I")
    assert final_data(smk, follow.id)["predikat_terakhir"] == expected["predikat"]


def test_regime_b_with_innovation_and_objection_rejected(smk: Engine, org: dict[str, int]) -> None:
    budi, dewi, agus = org["budi"], org["dewi"], org["agus"]
    inst = start_assessment(smk, org, "budi", "B", "2021-II")
    act(smk, dewi, "nilai_b", {"indikator_penilaian_isi": [{"id": "b-1", "realisasi": 12},
                                                          {"id": "b-2", "realisasi": 15}],
                               "inovasi": True, **PERILAKU_B}, budi)
    expected = SCRIPT_FUNCTIONS["nilai_regime_b"](
        [{"nama": "Jumlah dokumen", "target": 10, "realisasi": 12, "arah": "lebih_tinggi"},
         {"nama": "Hari penyelesaian", "target": 20, "realisasi": 15, "arah": "lebih_rendah"}],
        {"orientasi_pelayanan": 110, "komitmen": 112, "inisiatif_kerja": 115, "kerja_sama": 110}, False, True)
    result = task_data(smk, budi, "terima_hasil", budi)
    assert result["nilai"] == expected["nilai_kinerja"] and result["predikat"] == expected["predikat"] == "Sangat Baik"
    act(smk, budi, "terima_hasil", {"tanggapan": "keberatan", "alasan_keberatan": "Inovasi lain tidak dihitung"},
        budi)
    [task] = open_tasks(smk, "putus_keberatan", budi)
    assert task.lane == "Atasan Pejabat Penilai" and not instances.get_task(smk, agus, task.id).stand_in
    act(smk, agus, "putus_keberatan", {"penjelasan_pegawai": "Ada dua inovasi", "penjelasan_penilai": "Sudah dihitung",
                                       "keputusan_keberatan": "ditolak", "alasan_keputusan": "Tidak beralasan"}, budi)
    data = final_data(smk, inst)
    assert data["predikat"] == "Sangat Baik" and data["keberatan_status"] == "ditolak"
    assert data["final_karena"] == "keputusan_atasan_penilai" and data["inovasi"] is True


def test_objection_upheld_changes_the_result_after_refusing_a_label_of_another_regime(
        smk: Engine, org: dict[str, int]) -> None:
    budi, dewi, agus = org["budi"], org["dewi"], org["agus"]
    inst = start_assessment(smk, org, "budi", "B", "2021-II")
    act(smk, dewi, "nilai_b", {"indikator_penilaian_isi": [{"id": "b-1", "realisasi": 9},
                                                          {"id": "b-2", "realisasi": 20}],
                               "inovasi": False, **PERILAKU_B}, budi)
    before = task_data(smk, budi, "terima_hasil", budi)
    act(smk, budi, "terima_hasil", {"tanggapan": "keberatan", "alasan_keberatan": "Realisasi b-1 sebenarnya 11"}, budi)
    decision = {"penjelasan_pegawai": "Bukti terlampir", "penjelasan_penilai": "Bukti belum diterima saat menilai",
                "keputusan_keberatan": "diterima", "alasan_keputusan": "Bukti sah", "nilai_baru": 112.5}
    act(smk, agus, "putus_keberatan", dict(decision, predikat_baru="Butuh Perbaikan"), budi)  # a regime C label
    assert "tidak berlaku pada regime B" in task_data(smk, agus, "putus_keberatan", budi)["galat_keberatan"]
    act(smk, agus, "putus_keberatan", dict(decision, predikat_baru="Sangat Baik"), budi)
    data = final_data(smk, inst)
    assert data["predikat_awal"] == before["predikat"] != "Sangat Baik"
    assert data["predikat"] == "Sangat Baik" and data["nilai"] == 112.5 and data["nilai_awal"] == before["nilai"]
    assert data["keberatan_status"] == "diterima" and data["final_karena"] == "keputusan_atasan_penilai"


def test_objection_without_an_atasan_pejabat_penilai_goes_to_the_ppk_and_tpk_but_not_the_assessor(
        smk: Engine, org: dict[str, int]) -> None:
    """ratna (Kepala Biro) is assessed by hartono, the head of the organisation: her Atasan Pejabat Penilai is
    outside the system. Her objection is offered to the PPK and Tim Penilai Kinerja members the model names,
    except hartono (PPK, but her assessor) and ratna herself; one of them decides it."""
    ratna, hartono, bambang = org["ratna"], org["hartono"], org["bambang"]
    set_unit_rating(smk, org, "ratna", "Baik")
    inst = start_assessment(smk, org, "ratna", "C", "2023")
    act(smk, hartono, "nilai_c_kepala", {"perilaku": "Sesuai Ekspektasi", "umpan_balik_akhir": "Baik"}, ratna)
    act(smk, ratna, "terima_hasil", {"tanggapan": "keberatan", "alasan_keberatan": "Perilaku kerja lebih baik"},
        ratna)
    [task] = open_tasks(smk, "putus_keberatan", ratna)
    assert task.lane == "Atasan Pejabat Penilai" and task.candidate_users == ",bambang,hendra,nur,"
    [fallback] = events(smk, "task.fallback")
    assert fallback["groups"] == ["PPK", "Tim Penilai Kinerja"] and fallback["candidates"] == ["bambang", "hendra", "nur"]
    assert events(smk, "task.unassigned") == []
    with smk.session_factory() as s:
        assert not may_act(s, hartono, task.id) and not may_act(s, ratna, task.id) and may_act(s, bambang, task.id)
        assert task.id in set(s.scalars(select(TaskIndex.id).where(actionable(s, bambang))))
        assert task.id not in set(s.scalars(select(TaskIndex.id).where(actionable(s, hartono))))
        told = set(s.scalars(select(Notification.user_id).where(Notification.task_id == task.id)))
    assert told == {bambang, org["hendra"], org["nur"]}
    assert instances.get_task(smk, bambang, task.id).stand_in  # the task page says why bambang has it
    act(smk, bambang, "putus_keberatan", {"penjelasan_pegawai": "Bukti terlampir", "penjelasan_penilai": "Sesuai",
                                          "keputusan_keberatan": "ditolak", "alasan_keputusan": "Tidak beralasan"},
        ratna)
    data = final_data(smk, inst)
    assert data["keberatan_status"] == "ditolak" and data["predikat"] == "Baik"


def test_objection_with_nobody_left_after_the_exclusions_is_flagged_to_administrators(
        smk: Engine, org: dict[str, int]) -> None:
    """When every member of the fallback groups is the employee or their assessor, nobody is offered the task:
    administrators and Biro SDM are told, as for any task nobody can act on."""
    ratna, hartono = org["ratna"], org["hartono"]
    with smk.session_factory.begin() as s:
        s.execute(delete(GroupMember).where(GroupMember.user_id.in_([org["bambang"], org["hendra"], org["nur"]])))
    set_unit_rating(smk, org, "ratna", "Baik")
    start_assessment(smk, org, "ratna", "C", "2023")
    act(smk, hartono, "nilai_c_kepala", {"perilaku": "Sesuai Ekspektasi", "umpan_balik_akhir": "Baik"}, ratna)
    act(smk, ratna, "terima_hasil", {"tanggapan": "keberatan", "alasan_keberatan": "Perilaku kerja lebih baik"},
        ratna)
    [task] = open_tasks(smk, "putus_keberatan", ratna)
    assert task.candidate_users == ""
    assert events(smk, "task.fallback")[0]["candidates"] == []
    assert [e["lane"] for e in events(smk, "task.unassigned")] == ["Atasan Pejabat Penilai"]


def test_regime_c_staff_assessment_waits_for_the_unit_rating(smk: Engine, org: dict[str, int]) -> None:
    budi, dewi = org["budi"], org["dewi"]
    inst = start_assessment(smk, org, "budi", "C", "2023")
    act(smk, dewi, "nilai_c", {"hasil_kerja": "Di Bawah Ekspektasi", "perilaku": "Sesuai Ekspektasi",
                               "umpan_balik_akhir": "Perlu perbaikan"}, budi)
    waiting = task_data(smk, dewi, "menunggu_kurva", budi)
    assert waiting["predikat"] == "Butuh Perbaikan"
    assert waiting["kurva"]["status"] == "menunggu" and "predikat unit" in waiting["kurva"]["pesan"]
    assert status(smk, inst) == "running" and open_tasks(smk, "terima_hasil", budi) == []


def test_no_response_within_14_days_makes_the_result_final(smk: Engine, org: dict[str, int],
                                                           clock: FixedClock) -> None:
    ratna, hartono = org["ratna"], org["hartono"]
    set_unit_rating(smk, org, "ratna", "Baik")  # ratna heads BRP: hasil kerja Sesuai Ekspektasi
    inst = start_assessment(smk, org, "ratna", "C", "2023")
    act(smk, hartono, "nilai_c_kepala", {"perilaku": "Sesuai Ekspektasi", "umpan_balik_akhir": "Baik"}, ratna)
    advance(smk, clock, days=13)
    assert status(smk, inst) != "completed"
    advance(smk, clock, days=2)
    assert status(smk, inst) == "completed"
    data = final_data(smk, inst)
    assert data["predikat"] == "Baik" and data["final_karena"] == "batas_waktu"
    assert data["keberatan_status"] == "tidak_diajukan"
    assert find_instances(smk, "smk_tindak_lanjut", ratna, "2023")


def _rate(eng: Engine, org: dict[str, int], assessor: str, who: str, hasil: str, perilaku: str = "Sesuai Ekspektasi"
          ) -> None:
    act(eng, org[assessor], "nilai_c", {"hasil_kerja": hasil, "perilaku": perilaku, "umpan_balik_akhir": "Catatan"},
        org[who])


STAFF_BUM = {"rudi": "yulia", "sri": "rudi", "taufik": "sri", "umi": "sri", "wahyu": "sri", "yanti": "rudi"}


def _bum_unit_rated(eng: Engine, org: dict[str, int]) -> int:
    """Biro Umum's six staff with planning and assessment cases; yulia rates the unit Baik. Returns the unit case."""
    for who in [*STAFF_BUM, "yulia"]:  # the unit's scope: everyone with a planning instance in the period
        instances.start_instance(eng, "smk_perencanaan", org["indah"], org[who], "2023", period_data("C"))
    for who in STAFF_BUM:
        start_assessment(eng, org, who, "C", "2023")
    unit = instances.start_instance(eng, "smk_predikat_unit", org["indah"], org["yulia"], "2023", {}).id
    act(eng, org["yulia"], "tetapkan_predikat_unit", {"predikat_unit": "Baik", "dasar_penetapan": "IKU tercapai"},
        org["yulia"])
    return unit


def _bum_breaking_the_curve(eng: Engine, org: dict[str, int], clock: FixedClock) -> int:
    """Biro Umum rated Baik and its six staff rated so that the unit breaks its curve (rudi Sangat Baik, the five
    others Baik, taufik the strongest of them); a day later the unit case has yulia's *Kalibrasi predikat unit*
    open. Returns the unit case."""
    unit = _bum_unit_rated(eng, org)
    _rate(eng, org, "yulia", "rudi", "Di Atas Ekspektasi", "Di Atas Ekspektasi")
    _rate(eng, org, "sri", "taufik", "Sesuai Ekspektasi", "Di Atas Ekspektasi")  # the strongest Baik: not moved
    for who in ("sri", "umi", "wahyu", "yanti"):
        _rate(eng, org, STAFF_BUM[who], who, "Sesuai Ekspektasi")
    advance(eng, clock, days=1)
    return unit


def test_a_unit_breaking_the_curve_is_calibrated_by_its_head(smk: Engine, org: dict[str, int],
                                                             clock: FixedClock,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    unit = _bum_unit_rated(smk, org)
    assert status(smk, unit) == "waiting" and open_tasks(smk, "kalibrasi_kurva") == []  # proposals not in yet
    _rate(smk, org, "yulia", "rudi", "Di Atas Ekspektasi", "Di Atas Ekspektasi")  # Sangat Baik
    _rate(smk, org, "sri", "taufik", "Sesuai Ekspektasi", "Di Atas Ekspektasi")  # Baik, the strongest Baik
    for who in ("sri", "umi", "wahyu", "yanti"):
        _rate(smk, org, STAFF_BUM[who], who, "Sesuai Ekspektasi")  # Baik
    # Six people, unit Baik: at most 4 Baik and at least one Butuh Perbaikan/Kurang. Nobody is sent back: every
    # assessment waits for the unit's calibration, whoever was rated last.
    assert open_tasks(smk, "nilai_c") == [] and len(open_tasks(smk, "menunggu_kurva")) == 6
    assert "kalibrasi" in task_data(smk, org["rudi"], "menunggu_kurva", org["yanti"])["kurva"]["pesan"]
    # The waits are no assessment due from the assessors, and the employee's page names who decides: the unit head.
    team = my_team(smk, org["rudi"])
    assert team.assessments_due == 0 and team.curve_waits == 2 and [m.waiting_for_me for m in team.members] == [0, 0]
    waits = [w for i in my_skp(smk, org["yanti"]).current for w in i.waiting if w.step == "menunggu_kurva"]
    assert [w.who for w in waits] == ["Yulia Kartika, M.M."]  # Biro Umum's head, not the assessor (rudi)
    advance(smk, clock, days=1)  # the unit case re-checks daily and finds every proposal in
    form = task_data(smk, org["yulia"], "kalibrasi_kurva", org["yulia"])
    assert sorted(r["id"] for r in form["kalibrasi_pegawai"]) == sorted(org[w] for w in STAFF_BUM)
    assert "kalibrasi_pegawai" not in form["kurva_unit"]  # the table is stored once: a unit of 2,500 fits in 1 MB
    assert "paling banyak 4 dari 6" in form["ringkasan_kurva"]
    moved = [r for r in form["kalibrasi_pegawai"] if r["predikat_saran"] != r["predikat_usulan"]]
    assert len(moved) == 1 and moved[0]["predikat_saran"] == "Butuh Perbaikan"
    assert form["kalibrasi_pegawai"][0] == moved[0] and "Baris teratas: 1 pegawai" in form["ringkasan_kurva"]
    assert moved[0]["id"] != org["taufik"] and moved[0]["id"] != org["rudi"]  # the weakest Baik, not taufik
    # Departing from the suggestion without a note is refused; a distribution still breaking the curve too.
    changed = [dict(r, predikat_kalibrasi="Baik") for r in form["kalibrasi_pegawai"]]
    act(smk, org["yulia"], "kalibrasi_kurva", {"kalibrasi_pegawai": changed, "catatan_kalibrasi": ""}, org["yulia"])
    assert "masih melanggar kurva" in task_data(smk, org["yulia"], "kalibrasi_kurva", org["yulia"])["galat_kalibrasi"]
    chosen = [dict(r, predikat_kalibrasi="Butuh Perbaikan" if r["id"] == org["yanti"] else r["predikat_usulan"])
              for r in form["kalibrasi_pegawai"]]
    if moved[0]["id"] != org["yanti"]:
        act(smk, org["yulia"], "kalibrasi_kurva", {"kalibrasi_pegawai": chosen, "catatan_kalibrasi": ""},
            org["yulia"])
        assert "catatan" in task_data(smk, org["yulia"], "kalibrasi_kurva", org["yulia"])["galat_kalibrasi"]
    stepped: list[str] = []
    run = smk.advance

    def counted(session: Any, instance: Any, *args: Any, **kwargs: Any) -> None:
        stepped.append(instance.process_id)
        run(session, instance, *args, **kwargs)

    monkeypatch.setattr(smk, "advance", counted)
    act(smk, org["yulia"], "kalibrasi_kurva", {"kalibrasi_pegawai": chosen,
                                               "catatan_kalibrasi": "Yanti belum menuntaskan laporan Q4"},
        org["yulia"])
    monkeypatch.undo()
    assert status(smk, unit) == "completed"
    # The head's submission ran one engine step, the unit case's own: it kept one message per employee and
    # stepped none of their assessments.
    assert stepped == ["smk_predikat_unit"]
    assert len(open_tasks(smk, "menunggu_kurva")) == 6 and events(smk, "message.delivered") == []
    [kept] = events(smk, "message.kept")
    assert kept["message"] == "kurva_unit_diputuskan" and kept["jumlah"] == 6
    # An assessor may still check at once; the worker's job moves the other five on, each exactly once.
    act(smk, org["sri"], "menunggu_kurva", {"periksa_lagi": True}, org["umi"])
    assert deliver_kept_messages(smk) == 5 and deliver_kept_messages(smk) == 0
    assert sorted(e["subject_id"] for e in events(smk, "message.delivered")) == sorted(
        org[w] for w in STAFF_BUM if w != "umi")
    assert open_tasks(smk, "menunggu_kurva") == [] and len(open_tasks(smk, "terima_hasil")) == 6
    result = task_data(smk, org["yanti"], "terima_hasil", org["yanti"])
    assert result["predikat"] == "Butuh Perbaikan" and result["predikat_usulan_kurva"] == "Baik"
    assert "Yanti belum menuntaskan" in result["catatan_kurva"]
    assert task_data(smk, org["umi"], "terima_hasil", org["umi"])["predikat"] == "Baik"
    [decision] = events(smk, "smk.kalibrasi_kurva")
    assert decision["diubah"] == [org["yanti"]] and decision["sesuai_saran"] is (moved[0]["id"] == org["yanti"])


def _nip(eng: Engine, user_id: int) -> str:
    with eng.session_factory() as s:
        user = s.get(User, user_id)
        assert user is not None and user.nip
        return user.nip


def test_a_large_units_table_lists_the_suggested_moves_and_takes_other_changes_by_nip(
        smk: Engine, org: dict[str, int], clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMK_CALIBRATION_FULL_TABLE_STAFF", "5")  # Biro Umum's six staff count as a large unit
    unit = _bum_breaking_the_curve(smk, org, clock)
    form = task_data(smk, org["yulia"], "kalibrasi_kurva", org["yulia"])
    assert form["kurva_unit"]["daftar_ringkas"] is True and form["perubahan_lain"] == []
    [moved] = form["kalibrasi_pegawai"]  # only the one the suggestion moves, not all six
    assert moved["predikat_usulan"] == "Baik" and moved["predikat_saran"] == "Butuh Perbaikan"
    assert moved["nip"] == _nip(smk, moved["id"])
    assert "Unit ini besar (6 pegawai): tabel memuat 1 pegawai" in form["ringkasan_kurva"]
    other = next(w for w in ("yanti", "umi", "wahyu", "sri") if org[w] != moved["id"])
    kept = [dict(moved, predikat_kalibrasi="Baik")]
    refusals = [
        ([{"nip": "199999999999999999", "predikat_kalibrasi": "Butuh Perbaikan"}], "bukan pegawai kurva unit ini"),
        ([{"nip": _nip(smk, org[other]), "predikat_kalibrasi": "Butuh Perbaikan"},
          {"nip": _nip(smk, org[other]), "predikat_kalibrasi": "Baik"}], "disebut dua kali"),
        ([{"nip": moved["nip"], "predikat_kalibrasi": "Sangat Baik"}], "ada di tabel"),
        ([{"nip": _nip(smk, org[other])}], "isi NIP dan predikat"),  # a row left without its predikat
        ([], "masih melanggar kurva"),  # the moved one kept at Baik and nobody else moved: still five Baik
    ]
    for others, why in refusals:
        act(smk, org["yulia"], "kalibrasi_kurva", {"kalibrasi_pegawai": kept, "perubahan_lain": others,
                                                   "catatan_kalibrasi": "Alasan"}, org["yulia"])
        assert why in task_data(smk, org["yulia"], "kalibrasi_kurva", org["yulia"])["galat_kalibrasi"], why
        assert events(smk, "smk.kalibrasi_kurva") == [] and status(smk, unit) != "completed"
    # The head keeps the suggested one at Baik and moves someone the table does not list, by NIP (user name too).
    act(smk, org["yulia"], "kalibrasi_kurva", {
        "kalibrasi_pegawai": kept, "perubahan_lain": [{"nip": ""},
                                                      {"nip": f" {_nip(smk, org[other])} ",
                                                       "predikat_kalibrasi": "Butuh Perbaikan"}],
        "catatan_kalibrasi": "Bukan yang terlemah menurut rating, tetapi capaian Q4 terendah"}, org["yulia"])
    assert status(smk, unit) == "completed"
    [decision] = events(smk, "smk.kalibrasi_kurva")
    assert decision["diubah"] == [org[other]] and decision["sesuai_saran"] is False


def test_without_the_heads_decision_in_14_days_the_suggestion_applies(smk: Engine, org: dict[str, int],
                                                                      clock: FixedClock) -> None:
    unit = _bum_unit_rated(smk, org)
    _rate(smk, org, "yulia", "rudi", "Di Atas Ekspektasi", "Di Atas Ekspektasi")
    for who in ("sri", "taufik", "umi", "wahyu", "yanti"):
        _rate(smk, org, STAFF_BUM[who], who, "Sesuai Ekspektasi")
    advance(smk, clock, days=1)
    form = task_data(smk, org["yulia"], "kalibrasi_kurva", org["yulia"])
    [moved] = [r for r in form["kalibrasi_pegawai"] if r["predikat_saran"] != r["predikat_usulan"]]
    advance(smk, clock, days=13)
    assert status(smk, unit) != "completed"
    advance(smk, clock, days=1)  # the 14th day ends: the deterministic suggestion is the unit's decision
    assert status(smk, unit) == "completed" and open_tasks(smk, "kalibrasi_kurva") == []
    [decision] = events(smk, "smk.kalibrasi_kurva")
    assert decision["diubah"] == [moved["id"]] and decision["sesuai_saran"] is True
    # The worker (here advance, after the timers) delivered the unit decision's message to each assessment.
    assert open_tasks(smk, "menunggu_kurva") == [] and len(open_tasks(smk, "terima_hasil")) == 6
    assert len(events(smk, "message.delivered")) == 6 and events(smk, "smk.kurva_sesuai") == []
    subject = next(w for w in STAFF_BUM if org[w] == moved["id"])
    result = task_data(smk, moved["id"], "terima_hasil", org[subject])
    assert result["predikat"] == "Butuh Perbaikan" and "saran berlaku" in result["catatan_kurva"]


# --- a unit head's hasil kerja follows the unit's rating (DOMAIN.md 4.3; mapping in DMN hasil_kerja_pimpinan) ----
@pytest.mark.parametrize(("predikat_unit", "hasil_kerja", "perilaku", "predikat"), [
    ("Istimewa", "Di Atas Ekspektasi", "Di Atas Ekspektasi", "Sangat Baik"),
    ("Baik", "Sesuai Ekspektasi", "Sesuai Ekspektasi", "Baik"),
    ("Kurang", "Di Bawah Ekspektasi", "Di Atas Ekspektasi", "Butuh Perbaikan"),
])
def test_unit_head_hasil_kerja_follows_the_unit_rating(smk: Engine, org: dict[str, int], predikat_unit: str,
                                                       hasil_kerja: str, perilaku: str, predikat: str) -> None:
    yulia, hartono = org["yulia"], org["hartono"]  # yulia heads Biro Umum (BUM); hartono assesses her
    inst = start_assessment(smk, org, "yulia", "C", "2023")
    # No unit rating yet: the assessor waits, as for the curve, and cannot rate.
    waiting = task_data(smk, hartono, "menunggu_predikat_unit", yulia)
    assert waiting["unit_kepala"]["status"] == "menunggu" and waiting["unit_kepala"]["unit_code"] == "BUM"
    assert "belum ditetapkan" in waiting["unit_kepala"]["pesan"]
    act(smk, hartono, "menunggu_predikat_unit", {"periksa_lagi": True}, yulia)
    assert open_tasks(smk, "nilai_c_kepala", yulia) == [] and open_tasks(smk, "nilai_c", yulia) == []
    assert len(open_tasks(smk, "menunggu_predikat_unit", yulia)) == 1

    set_unit_rating(smk, org, "yulia", predikat_unit)
    act(smk, hartono, "menunggu_predikat_unit", {"periksa_lagi": True}, yulia)
    form = task_data(smk, hartono, "nilai_c_kepala", yulia)
    assert form["hasil_kerja"] == hasil_kerja and form["predikat_unit"] == predikat_unit
    assert f"mengikuti predikat unit ({predikat_unit}): {hasil_kerja}" in form["penjelasan_hasil_kerja"]
    assert form["penjelasan_hasil_kerja"].count(" / ") == 1  # x-bilingual: one Indonesian half, one English
    assert open_tasks(smk, "nilai_c", yulia) == []

    act(smk, hartono, "nilai_c_kepala", {"perilaku": perilaku, "umpan_balik_akhir": "Memimpin unit dengan baik"},
        yulia)
    result = task_data(smk, yulia, "terima_hasil", yulia)
    assert result["predikat"] == predikat == SCRIPT_FUNCTIONS["predikat_6_2022"](hasil_kerja, perilaku)
    assert events(smk, "smk.predikat_usulan") == []  # the head is not in the unit's own curve
    act(smk, yulia, "terima_hasil", {"tanggapan": "terima"}, yulia)
    data = final_data(smk, inst)
    assert data["hasil_kerja"] == hasil_kerja and data["perilaku"] == perilaku and data["predikat"] == predikat


def test_unit_head_waits_and_the_daily_check_picks_up_the_unit_rating(smk: Engine, org: dict[str, int],
                                                                      clock: FixedClock) -> None:
    ratna, hartono = org["ratna"], org["hartono"]
    start_assessment(smk, org, "ratna", "C", "2023")
    assert len(open_tasks(smk, "menunggu_predikat_unit", ratna)) == 1
    set_unit_rating(smk, org, "ratna", "Istimewa")
    advance(smk, clock, days=1)  # nobody presses "check again": the timer does it
    assert open_tasks(smk, "menunggu_predikat_unit", ratna) == []
    assert task_data(smk, hartono, "nilai_c_kepala", ratna)["hasil_kerja"] == "Di Atas Ekspektasi"


def test_a_posted_hasil_kerja_contradicting_the_unit_rating_is_refused(smk: Engine, org: dict[str, int]) -> None:
    yulia, hartono = org["yulia"], org["hartono"]
    set_unit_rating(smk, org, "yulia", "Baik")
    inst = start_assessment(smk, org, "yulia", "C", "2023")
    # The form shows hasil kerja read-only; a crafted post still reaches the model, which sends the form back.
    act(smk, hartono, "nilai_c_kepala", {"hasil_kerja": "Di Atas Ekspektasi", "perilaku": "Di Atas Ekspektasi",
                                         "umpan_balik_akhir": "Sangat baik"}, yulia)
    back = task_data(smk, hartono, "nilai_c_kepala", yulia)
    assert "Rating hasil kerja 'Di Atas Ekspektasi' ditolak" in back["galat_hasil_kerja"]
    assert "mengikuti predikat unit (Baik), yaitu Sesuai Ekspektasi" in back["galat_hasil_kerja"]
    assert back["hasil_kerja"] == "Sesuai Ekspektasi" and back["perilaku"] == "Di Atas Ekspektasi"
    assert open_tasks(smk, "terima_hasil", yulia) == [] and status(smk, inst) == "running"
    # The same rating as the rule's (or none at all, as the web form posts) goes through.
    act(smk, hartono, "nilai_c_kepala", {"hasil_kerja": "Sesuai Ekspektasi", "perilaku": "Di Atas Ekspektasi",
                                         "umpan_balik_akhir": "Sangat baik"}, yulia)
    result = task_data(smk, yulia, "terima_hasil", yulia)
    assert result["predikat"] == "Baik"  # Sesuai x Di Atas; Di Atas x Di Atas would have been Sangat Baik
    assert final_data(smk, inst)["galat_hasil_kerja"] == ""


def test_a_staff_members_hasil_kerja_is_still_the_assessors_choice(smk: Engine, org: dict[str, int],
                                                                   clock: FixedClock) -> None:
    budi, dewi = org["budi"], org["dewi"]
    instances.start_instance(smk, "smk_perencanaan", org["indah"], budi, "2023", period_data("C"))
    set_unit_rating(smk, org, "ratna", "Baik")  # budi's unit BRP; a head would get Sesuai Ekspektasi
    inst = start_assessment(smk, org, "budi", "C", "2023")
    assert open_tasks(smk, "menunggu_predikat_unit") == [] and open_tasks(smk, "nilai_c_kepala") == []
    form = task_data(smk, dewi, "nilai_c", budi)
    assert "penjelasan_hasil_kerja" not in form or not form["penjelasan_hasil_kerja"]
    act(smk, dewi, "nilai_c", {"hasil_kerja": "Di Bawah Ekspektasi", "perilaku": "Sesuai Ekspektasi",
                               "umpan_balik_akhir": "Perlu perbaikan"}, budi)
    # Budi is the only one in BRP's curve: the unit's case finds his proposal on its next daily check, records
    # that it fits, and its message moves his assessment on.
    assert "Menunggu keputusan kurva" in task_data(smk, dewi, "menunggu_kurva", budi)["kurva"]["pesan"]
    advance(smk, clock, days=1)
    [fits] = events(smk, "smk.kurva_sesuai")
    assert fits["jumlah_pegawai"] == 1 and events(smk, "smk.kalibrasi_kurva") == []
    assert task_data(smk, budi, "terima_hasil", budi)["predikat"] == "Butuh Perbaikan"
    assert [e["predikat"] for e in events(smk, "smk.predikat_usulan")] == ["Butuh Perbaikan"]
    assert final_data(smk, inst)["hasil_kerja"] == "Di Bawah Ekspektasi"
