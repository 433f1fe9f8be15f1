"""The decision tables an instance evaluates are the versions deployed when it started (issue 10).

A process owner deploys a changed table (in bundle "bpmn/rules", or any bundle): the instances that start after it
follow the change — in business rule tasks, in the rule functions that scripts call (they run in the sandbox
processes) and in the service operations (the unit case's curve decision) — while an instance already running keeps
the table it started with, all its life. The repository's files are only what ``smk init`` deployed first.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from engine.core import Engine
from engine.db.deploy import DecisionVersion
from engine.db.runtime import Instance
from engine.runtime.clock import FixedClock
from engine.runtime.decisions import PINS
from engine.services import instances
from engine.services.deployments import deploy, read_folder
from processes.rules.dmn_tables import table_version
from processes.rules.script_api import SCRIPT_FUNCTIONS
from tools.bpmn_builder import Process, document

from .conftest import BPMN, act, advance, final_data, find_instances, open_tasks, status, task_data
from .test_pemantauan import realise, start_slice
from .test_penilaian import PERILAKU_B, period_data, start_assessment
from .test_tindak_lanjut import start_follow_up


def rate(eng: Engine, org: dict[str, int], assessor: str, who: str, hasil: str,
         perilaku: str = "Sesuai Ekspektasi") -> None:
    act(eng, org[assessor], "nilai_c", {"hasil_kerja": hasil, "perilaku": perilaku, "umpan_balik_akhir": "Catatan"},
        org[who])


def changed(folder: str, filename: str, *edits: tuple[str, str]) -> bytes:
    """Return a shipped DMN file with each (old, new) text replaced; every old text must be there once."""
    text = (BPMN / folder / filename).read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, f"{old!r} is not in {filename} exactly once"
        text = text.replace(old, new)
    return text.encode()


def deploy_rules(eng: Engine, user: int, **files: bytes) -> None:
    """Deploy bundle "bpmn/rules" as a process owner would after editing some of its tables."""
    bundle = read_folder(BPMN / "rules")
    for name, content in files.items():
        assert f"{name}.dmn" in bundle
        bundle[f"{name}.dmn"] = content
    result = deploy(eng, bundle, user, name="bpmn/rules", note="tabel diubah")
    assert result.created


# Baik two years running -> pengembangan_kompetensi; changed: one Baik year is enough.
TINDAK_LANJUT_ONE_YEAR = ('<inputEntry id="rule_2_in_2"><text>"Baik"</text></inputEntry>',
                          '<inputEntry id="rule_2_in_2"><text>-</text></inputEntry>')
# A unit rated Baik: at most 70% of its staff Baik; changed: at most 50%.
KURVA_BAIK_50 = ('<outputEntry id="rule_2_out_4"><text>70</text></outputEntry>',
                 '<outputEntry id="rule_2_out_4"><text>50</text></outputEntry>')
# PP 30/2019: 110-120 with an innovation is Sangat Baik; changed: Baik.
BAND_B_NO_SANGAT_BAIK = ('<outputEntry id="rule_1_out_1"><text>"Sangat Baik"</text></outputEntry>',
                         '<outputEntry id="rule_1_out_1"><text>"Baik"</text></outputEntry>')


def pins_process() -> bytes:
    """start -> first (user) -> business rule task (tindak_lanjut) -> script calling three rule functions ->
    second (user) -> end: every rule is evaluated after the first task, i.e. after a deployment in between."""
    p = Process("p_pins", "Pinned rules", lanes=["Pegawai"])
    p.start("s", lane="Pegawai", col=0)
    p.user("first", "First", lane="Pegawai", col=1)
    p.rule("aturan", "Rekomendasi", "tindak_lanjut", lane="Pegawai", col=2)
    p.script("hitung", "Hitung", "kurva = cek_kurva_distribusi('Baik', ['Baik', 'Baik', 'Baik', 'Baik', "
             "'Butuh Perbaikan', 'Butuh Perbaikan'])\nfungsi = rekomendasi_tindak_lanjut(['Baik'], 'JA')\n"
             "band = predikat_regime_b(115, True)", lane="Pegawai", col=3)
    p.user("second", "Second", lane="Pegawai", col=4)
    p.end("e", lane="Pegawai", col=5)
    p.chain("s", "first", "aturan", "hitung", "second", "e")
    return document(p).encode()


START = {"predikat_terakhir": "Baik", "predikat_sebelumnya": None, "jenis_jabatan": "JA"}


def _start_pins(eng: Engine, org: dict[str, int], who: str) -> int:
    return instances.start_instance(eng, "p_pins", org["indah"], org[who], "2023", dict(START)).id


def _stored_pins(eng: Engine, instance_id: int) -> dict[str, int]:
    with eng.session_factory() as s:
        inst = s.get(Instance, instance_id)
        assert inst is not None
        state = json.loads(inst.state) if isinstance(inst.state, str) else inst.state
        return dict(state[PINS])


def _version_ids(eng: Engine, decision_id: str) -> list[int]:
    with eng.session_factory() as s:
        return list(s.scalars(select(DecisionVersion.id).where(DecisionVersion.decision_id == decision_id)
                              .order_by(DecisionVersion.version)))


def test_rules_in_tasks_scripts_and_functions_follow_the_version_pinned_at_start(
        smk: Engine, org: dict[str, int], clock: FixedClock) -> None:
    deploy(smk, {"p_pins.bpmn": pins_process()}, org["pemilik"], name="pins")
    old = _start_pins(smk, org, "budi")
    clock.advance(minutes=5)
    kurva = changed("rules", "kurva_distribusi.dmn", KURVA_BAIK_50)
    band = changed("rules", "predikat_band_regime_b.dmn", BAND_B_NO_SANGAT_BAIK)
    deploy_rules(smk, org["pemilik"], tindak_lanjut=changed("rules", "tindak_lanjut.dmn", TINDAK_LANJUT_ONE_YEAR),
                 kurva_distribusi=kurva, predikat_band_regime_b=band)
    new = _start_pins(smk, org, "dewi")

    # The old instance's rules run now, after the deployment: it still evaluates the tables it started with.
    act(smk, org["budi"], "first", {}, org["budi"])
    act(smk, org["dewi"], "first", {}, org["dewi"])
    before, after = task_data(smk, org["budi"], "second", org["budi"]), task_data(smk, org["dewi"], "second",
                                                                                    org["dewi"])
    assert before.get("kode", []) == [] and before["fungsi"] == []  # business rule task and function agree
    assert after["kode"] == ["pengembangan_kompetensi"]
    assert [r["kode"] for r in after["fungsi"]] == ["pengembangan_kompetensi"]
    assert before["kurva"]["ok"] and before["kurva"]["versi_tabel"] == table_version(
        (BPMN / "rules" / "kurva_distribusi.dmn").read_bytes(), "kurva_distribusi")
    assert not after["kurva"]["ok"] and after["kurva"]["versi_tabel"] == table_version(kurva, "kurva_distribusi")
    assert "paling banyak 3 dari 6" in after["kurva"]["violations"][0]["message"]
    assert (before["band"], after["band"]) == ("Sangat Baik", "Baik")

    # The pins are stored with the state: the first and the latest version of each changed decision.
    first, second = _version_ids(smk, "tindak_lanjut")
    assert _stored_pins(smk, old)["tindak_lanjut"] == first and _stored_pins(smk, new)["tindak_lanjut"] == second
    assert set(_stored_pins(smk, new)) >= {"kurva_distribusi", "predikat_band_regime_b", "status_pemantauan"}


def test_an_instance_stored_before_pins_keeps_the_versions_of_its_start(smk: Engine, org: dict[str, int],
                                                                        clock: FixedClock) -> None:
    deploy(smk, {"p_pins.bpmn": pins_process()}, org["pemilik"], name="pins")
    old = _start_pins(smk, org, "budi")
    with smk.session_factory.begin() as s:  # as stored before this change: no pins in the state
        inst = s.get(Instance, old)
        assert inst is not None
        state = json.loads(inst.state) if isinstance(inst.state, str) else dict(inst.state)
        del state[PINS]
        inst.state = state
    clock.advance(minutes=5)
    deploy_rules(smk, org["pemilik"], tindak_lanjut=changed("rules", "tindak_lanjut.dmn", TINDAK_LANJUT_ONE_YEAR))
    act(smk, org["budi"], "first", {}, org["budi"])
    assert task_data(smk, org["budi"], "second", org["budi"])["fungsi"] == []
    assert _stored_pins(smk, old)["tindak_lanjut"] == _version_ids(smk, "tindak_lanjut")[0]


def test_tindak_lanjut_changed_reaches_new_follow_ups(smk: Engine, org: dict[str, int]) -> None:
    before = start_follow_up(smk, org, "budi", "Baik", "JA")
    assert status(smk, before) == "completed" and final_data(smk, before)["daftar_rekomendasi"] == []
    deploy_rules(smk, org["pemilik"], tindak_lanjut=changed("rules", "tindak_lanjut.dmn", TINDAK_LANJUT_ONE_YEAR))
    after = start_follow_up(smk, org, "dewi", "Baik", "JA")
    assert status(smk, after) == "running"
    form = task_data(smk, org["indah"], "konfirmasi_sdm", org["dewi"])
    assert [r["kode"] for r in form["keputusan_sdm"]] == ["pengembangan_kompetensi"]


def test_curve_bound_changed_reaches_new_unit_cases_and_running_ones_keep_theirs(
        smk: Engine, org: dict[str, int], clock: FixedClock) -> None:
    """The curve is checked by the unit's case (issue 15: the assessments read its decision), so the bound that
    applies is the one pinned by the unit's case: the one running before the deployment keeps the bound it started
    with, a unit case started after it follows the change."""
    staff = {"rudi": "yulia", "sri": "rudi", "taufik": "sri", "umi": "sri", "wahyu": "sri", "yanti": "rudi"}
    for who in [*staff, "yulia"]:
        instances.start_instance(smk, "smk_perencanaan", org["indah"], org[who], "2023", period_data("C"))
    for who in ("rudi", "sri", "taufik", "umi", "wahyu"):
        start_assessment(smk, org, who, "C", "2023")
    before = instances.start_instance(smk, "smk_predikat_unit", org["indah"], org["yulia"], "2023", {}).id
    act(smk, org["yulia"], "tetapkan_predikat_unit", {"predikat_unit": "Baik", "dasar_penetapan": "IKU tercapai"},
        org["yulia"])
    deploy_rules(smk, org["pemilik"], kurva_distribusi=changed("rules", "kurva_distribusi.dmn", KURVA_BAIK_50))
    start_assessment(smk, org, "yanti", "C", "2023")  # starts under the changed curve

    rate(smk, org, "yulia", "rudi", "Di Atas Ekspektasi", "Di Atas Ekspektasi")  # Sangat Baik
    for who in ("sri", "taufik", "umi", "wahyu"):
        rate(smk, org, staff[who], who, "Sesuai Ekspektasi")  # Baik
    rate(smk, org, "rudi", "yanti", "Sesuai Ekspektasi")
    assert len(open_tasks(smk, "menunggu_kurva")) == 6  # every assessment waits for the unit's decision
    advance(smk, clock, days=1)  # the unit case started before the deployment: at most 4 of 6 Baik
    assert "paling banyak 4 dari 6" in _calibration_form(smk, org, before)["ringkasan_kurva"]
    # A unit case started after the deployment applies the new bound: at most 3 of 6 Baik.
    after = instances.start_instance(smk, "smk_predikat_unit", org["indah"], org["yulia"], "2023", {}).id
    act(smk, org["yulia"], "tetapkan_predikat_unit", {"predikat_unit": "Baik", "dasar_penetapan": "IKU tercapai"},
        org["yulia"])
    assert "paling banyak 3 dari 6" in _calibration_form(smk, org, after)["ringkasan_kurva"]


def _calibration_form(eng: Engine, org: dict[str, int], unit_case: int) -> dict[str, Any]:
    [task] = [t for t in open_tasks(eng, "kalibrasi_kurva") if t.instance_id == unit_case]
    return instances.get_task(eng, org["yulia"], task.id).data


def test_predikat_band_changed_reaches_new_assessments_only(smk: Engine, org: dict[str, int]) -> None:
    budi, dewi = org["budi"], org["dewi"]
    rating = {"indikator_penilaian_isi": [{"id": "b-1", "realisasi": 12}, {"id": "b-2", "realisasi": 15}],
              "inovasi": True, **PERILAKU_B}
    running = start_assessment(smk, org, "budi", "B", "2021-II")
    deploy_rules(smk, org["pemilik"],
                 predikat_band_regime_b=changed("rules", "predikat_band_regime_b.dmn", BAND_B_NO_SANGAT_BAIK))
    act(smk, dewi, "nilai_b", rating, budi)  # evaluated after the deployment, with the band it started with
    result = task_data(smk, budi, "terima_hasil", budi)
    assert result["predikat"] == result["hasil_b"]["predikat"] == "Sangat Baik"
    act(smk, budi, "terima_hasil", {"tanggapan": "terima"}, budi)
    assert final_data(smk, running)["predikat"] == "Sangat Baik"

    start_assessment(smk, org, "budi", "B", "2021-II-ulang")
    act(smk, dewi, "nilai_b", rating, budi)
    result = task_data(smk, budi, "terima_hasil", budi)
    # The business rule task (predikat) and the script's rule function (hasil_b) both read the new band.
    assert result["predikat"] == result["hasil_b"]["predikat"] == "Baik"
    assert result["nilai"] == result["hasil_b"]["nilai_kinerja"]


def test_status_pemantauan_changed_in_another_bundle_reaches_the_next_slice(
        smk: Engine, org: dict[str, int], clock: FixedClock) -> None:
    budi, dewi = org["budi"], org["dewi"]
    first = start_slice(smk, org)
    # A bundle holding only the changed table: under 101% of target is now below expectations.
    strict = changed("smk", "status_pemantauan.dmn", ("<text>&lt; 80</text>", "<text>&lt; 101</text>"),
                     ("<text>80 &lt;= ? &lt;= 110</text>", "<text>101 &lt;= ? &lt;= 110</text>"))
    assert deploy(smk, {"status_pemantauan.dmn": strict}, org["pemilik"], name="status pemantauan").created
    advance(smk, clock, days=89)  # 1 April 2023
    realise(smk, org, 3)  # 100% of the target to date
    assert task_data(smk, dewi, "umpan_balik", budi)["status_capaian"] == "Sesuai Ekspektasi"  # its own table
    act(smk, dewi, "umpan_balik", {"umpan_balik": "Pertahankan"}, budi)
    assert status(smk, first) == "completed"
    [_, second] = find_instances(smk, "smk_pemantauan", budi, "2023")
    advance(smk, clock, days=91)  # 1 July 2023
    realise(smk, org, 6)  # 100% again, in a slice that started after the deployment
    found = {t.task_name for t in open_tasks(smk, subject=budi, process_id="smk_pemantauan")}
    data: dict[str, Any] = final_data(smk, second.id)
    assert data["status_capaian"] == "Di Bawah Ekspektasi", (found, data.get("status_capaian"))


def test_pages_outside_an_instance_evaluate_the_rules_in_force(smk: Engine, org: dict[str, int]) -> None:
    staff = ["Baik"] * 4 + ["Butuh Perbaikan"] * 2
    kurva = changed("rules", "kurva_distribusi.dmn", KURVA_BAIK_50)
    with smk.session_factory() as s, smk.runtime.rules_in_force(s) as tables:
        assert SCRIPT_FUNCTIONS["cek_kurva_distribusi"]("Baik", staff)["ok"]
        assert tables.get("status_pemantauan") is not None
    deploy_rules(smk, org["pemilik"], kurva_distribusi=kurva)
    with smk.session_factory() as s, smk.runtime.rules_in_force(s):
        result = SCRIPT_FUNCTIONS["cek_kurva_distribusi"]("Baik", staff)
    assert not result["ok"] and result["versi_tabel"] == table_version(kurva, "kurva_distribusi")
