"""Tindak lanjut: no recommendation; rewards from a two-year history confirmed and rejected with reasons; tukin
cut and transfer through the Tim Penilai Kinerja and the PPK; the JPT six-month improvement period (a timer) with
a re-assessment that improves, and one that does not."""

from __future__ import annotations

from typing import Any

from engine.core import Engine
from engine.runtime.clock import FixedClock
from engine.services import instances

from .conftest import act, advance, final_data, open_tasks, set_unit_rating, status, task_data
from .test_penilaian import start_assessment


def start_follow_up(eng: Engine, org: dict[str, int], who: str, predikat: str, jenis: str, period: str = "2023",
                    **extra: Any) -> int:
    data = {"regime": "C", "predikat": predikat, "nilai": None, "skp_pemilik": org[who], "jenis_jabatan": jenis,
            "keberatan_status": "tidak_diajukan", **extra}
    return instances.start_instance(eng, "smk_tindak_lanjut", org["indah"], org[who], period, data).id


def decide(rows: list[dict[str, Any]], **choices: str) -> dict[str, Any]:
    return {"keputusan_sdm": [{"kode": r["kode"], "keputusan": choices[r["kode"]], "alasan": "Sesuai data"}
                              for r in rows]}


def test_no_recommendation_completes_without_tasks(smk: Engine, org: dict[str, int]) -> None:
    inst = start_follow_up(smk, org, "budi", "Baik", "JA")
    assert status(smk, inst) == "completed"
    data = final_data(smk, inst)
    assert data["riwayat_predikat"] == ["Baik"] and data["daftar_rekomendasi"] == []
    assert data["status_tindak_lanjut"] == "selesai"


def test_two_years_baik_rewards_confirmed_and_rejected_with_reasons(smk: Engine, org: dict[str, int]) -> None:
    ratna, hartono, indah = org["ratna"], org["hartono"], org["indah"]
    set_unit_rating(smk, org, "ratna", "Baik", "2022")  # ratna heads BRP: her hasil kerja follows it
    start_assessment(smk, org, "ratna", "C", "2022")
    act(smk, hartono, "nilai_c_kepala", {"perilaku": "Sesuai Ekspektasi", "umpan_balik_akhir": "Baik"}, ratna)
    act(smk, ratna, "terima_hasil", {"tanggapan": "terima"}, ratna)
    inst = start_follow_up(smk, org, "ratna", "Baik", "JPT")
    form = task_data(smk, indah, "konfirmasi_sdm", ratna)
    assert form["riwayat_predikat"] == ["Baik", "Baik"]
    codes = [r["kode"] for r in form["keputusan_sdm"]]
    assert codes == ["pengembangan_kompetensi", "syarat_kenaikan_pangkat"]
    # A decision that leaves one recommendation out is sent back.
    act(smk, indah, "konfirmasi_sdm", {"keputusan_sdm": [{"kode": "pengembangan_kompetensi",
                                                           "keputusan": "dikonfirmasi", "alasan": "Layak"}]}, ratna)
    assert "setiap rekomendasi" in task_data(smk, indah, "konfirmasi_sdm", ratna)["galat_konfirmasi"]
    act(smk, indah, "konfirmasi_sdm", decide(form["keputusan_sdm"], pengembangan_kompetensi="dikonfirmasi",
                                             syarat_kenaikan_pangkat="ditolak"), ratna)
    data = final_data(smk, inst)
    assert data["dikonfirmasi"] == ["pengembangan_kompetensi"] and data["ditolak"] == ["syarat_kenaikan_pangkat"]
    assert data["tindakan_ppk"] == [] and data["status_tindak_lanjut"] == "selesai"


def test_sangat_kurang_cuts_tukin_and_transfer_goes_to_ppk_on_panel_advice(smk: Engine, org: dict[str, int]) -> None:
    budi = org["budi"]
    inst = start_follow_up(smk, org, "budi", "Sangat Kurang", "JA")
    form = task_data(smk, org["indah"], "konfirmasi_sdm", budi)
    assert [r["kode"] for r in form["keputusan_sdm"]] == ["penyesuaian_tukin", "pemindahan_jabatan"]
    act(smk, org["indah"], "konfirmasi_sdm", decide(form["keputusan_sdm"], penyesuaian_tukin="dikonfirmasi",
                                                    pemindahan_jabatan="dikonfirmasi"), budi)
    [advice] = open_tasks(smk, "saran_tpk", budi)
    assert advice.lane == "Tim Penilai Kinerja"
    act(smk, org["hendra"], "saran_tpk", {"saran_tpk": "pindah_setara", "pertimbangan_tpk": "Kompetensi cocok"}, budi)
    act(smk, org["hartono"], "keputusan_ppk_task", {"keputusan_ppk": "sesuai_saran", "isi_keputusan": "Dipindahkan",
                                                    "nomor_keputusan": "KEP-1/2024"}, budi)
    data = final_data(smk, inst)
    assert data["persen_tukin_berlaku"] == -2
    assert data["keputusan_akhir_ppk"] == {"saran_tpk": "pindah_setara", "keputusan": "sesuai_saran",
                                           "isi": "Dipindahkan", "nomor": "KEP-1/2024",
                                           "tindakan": ["pemindahan_jabatan"]}


def _improvement_period(smk: Engine, org: dict[str, int], clock: FixedClock, hasil: str) -> int:
    ratna, hartono = org["ratna"], org["hartono"]
    inst = start_follow_up(smk, org, "ratna", "Butuh Perbaikan", "JPT")
    form = task_data(smk, org["indah"], "konfirmasi_sdm", ratna)
    assert [r["kode"] for r in form["keputusan_sdm"]] == ["masa_perbaikan_jpt"]
    act(smk, org["indah"], "konfirmasi_sdm", decide(form["keputusan_sdm"], masa_perbaikan_jpt="dikonfirmasi"), ratna)
    act(smk, hartono, "rencana_perbaikan", {"target_perbaikan": [{"sasaran": "SAKIP", "ukuran": "Nilai 80"}]}, ratna)
    advance(smk, clock, days=180)
    assert open_tasks(smk, "penilaian_ulang", ratna) == []  # six calendar months have not passed yet
    advance(smk, clock, days=3)
    act(smk, hartono, "penilaian_ulang", {"hasil_kerja": hasil, "perilaku": "Sesuai Ekspektasi",
                                          "catatan_penilaian_ulang": "Dinilai ulang"}, ratna)
    return inst


def test_jpt_improvement_period_then_improved(smk: Engine, org: dict[str, int], clock: FixedClock) -> None:
    inst = _improvement_period(smk, org, clock, "Sesuai Ekspektasi")
    data = final_data(smk, inst)
    assert data["predikat_ulang"] == "Baik" and data["membaik"] is True
    assert data["predikat"] == "Butuh Perbaikan"  # the year's predikat stays on record
    assert data["tindakan_ppk"] == [] and status(smk, inst) == "completed"


def test_jpt_improvement_period_without_improvement_goes_to_ppk(smk: Engine, org: dict[str, int],
                                                                clock: FixedClock) -> None:
    ratna = org["ratna"]
    inst = _improvement_period(smk, org, clock, "Di Bawah Ekspektasi")
    assert task_data(smk, org["nur"], "saran_tpk", ratna)["tindakan_ppk"] == ["uji_kompetensi_ulang_jpt"]
    act(smk, org["nur"], "saran_tpk", {"saran_tpk": "uji_kompetensi", "pertimbangan_tpk": "Belum membaik"}, ratna)
    act(smk, org["hartono"], "keputusan_ppk_task", {"keputusan_ppk": "sesuai_saran",
                                                    "isi_keputusan": "Uji kompetensi ulang"}, ratna)
    data = final_data(smk, inst)
    assert data["membaik"] is False and data["keputusan_akhir_ppk"]["saran_tpk"] == "uji_kompetensi"
