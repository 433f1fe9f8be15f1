"""Who decides an objection, and in which capacity the result says it was decided: the Atasan Pejabat Penilai (or
their Plt), or a stand-in named in their place (the model's fallbackCandidateGroups: PPK, Tim Penilai Kinerja) or
assigned by an administrator. Organisation changes hand a waiting objection to the stand-ins when nobody holds the
lane any more, and back to the lane when someone does again (engine.services.handover, engine.services.fallback)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from engine.access import actionable, may_act
from engine.core import Engine
from engine.db.notify import Notification
from engine.db.org import Position, User
from engine.db.runtime import TaskIndex
from engine.runtime.clock import FixedClock
from engine.services import accounts, acting, admin_ops, structure
from processes.assessment_results import assessment_results

from .conftest import act, events, final_data, open_tasks, set_unit_rating
from .test_penilaian import PERILAKU_B, start_assessment

DECISION = {"penjelasan_pegawai": "Bukti terlampir", "penjelasan_penilai": "Sesuai", "keputusan_keberatan": "ditolak",
            "alasan_keputusan": "Tidak beralasan"}


def _objection(smk: Engine, org: dict[str, int], who: str) -> tuple[int, TaskIndex]:
    """A regime B assessment of ``who`` (assessed by dewi) to which they object; the open decision task."""
    inst = start_assessment(smk, org, who, "B", "2021-II")
    act(smk, org["dewi"], "nilai_b", {"indikator_penilaian_isi": [{"id": "b-1", "realisasi": 12},
                                                                 {"id": "b-2", "realisasi": 15}],
                                      "inovasi": False, **PERILAKU_B}, org[who])
    act(smk, org[who], "terima_hasil", {"tanggapan": "keberatan", "alasan_keberatan": "Tidak sesuai"}, org[who])
    [task] = open_tasks(smk, "putus_keberatan", org[who])
    return inst, task


def _objection_of_ratna(smk: Engine, org: dict[str, int]) -> tuple[int, TaskIndex]:
    """ratna objects to hartono's assessment; her Atasan Pejabat Penilai is outside the system, so the Tim Penilai
    Kinerja stands in (bambang, hendra, nur; hartono, in the PPK, is her assessor)."""
    set_unit_rating(smk, org, "ratna", "Baik")
    inst = start_assessment(smk, org, "ratna", "C", "2023")
    act(smk, org["hartono"], "nilai_c_kepala", {"perilaku": "Sesuai Ekspektasi", "umpan_balik_akhir": "Baik"},
        org["ratna"])
    act(smk, org["ratna"], "terima_hasil", {"tanggapan": "keberatan", "alasan_keberatan": "Perilaku lebih baik"},
        org["ratna"])
    [task] = open_tasks(smk, "putus_keberatan", org["ratna"])
    assert task.candidate_users == ",bambang,hendra,nur,"
    return inst, task


def _row(smk: Engine, task_id: str) -> TaskIndex:
    with smk.session_factory() as s:
        row = s.get(TaskIndex, task_id)
        assert row is not None
        return row


def _who_may_act(smk: Engine, org: dict[str, int], task_id: str) -> set[str]:
    with smk.session_factory() as s:
        return {name for name, uid in org.items() if may_act(s, uid, task_id)}


def test_a_stand_in_s_decision_says_so_and_the_app_s_own_says_the_app(smk: Engine, org: dict[str, int]) -> None:
    """bambang (Tim Penilai Kinerja) decides ratna's objection in her absent APP's place: the result records
    keputusan_pengganti with his group, in the workflow and in the results table the reports read. agus decides
    budi's objection as his Atasan Pejabat Penilai: keputusan_atasan_penilai, as before."""
    ratna, budi = org["ratna"], org["budi"]
    inst, _ = _objection_of_ratna(smk, org)
    act(smk, org["bambang"], "putus_keberatan", DECISION, ratna)
    data = final_data(smk, inst)
    assert data["keberatan_status"] == "ditolak" and data["status_penilaian"] == "final"
    assert data["final_karena"] == "keputusan_pengganti" and data["kelompok_pengganti"] == "Tim Penilai Kinerja"
    assert data["pemutus_keberatan"] == {"capacity": "stand_in", "username": "bambang",
                                         "name": "Bambang Suryadi, S.H., M.H.", "groups": ["Tim Penilai Kinerja"]}
    own, _ = _objection(smk, org, "budi")
    act(smk, org["agus"], "putus_keberatan", DECISION, budi)
    mine = final_data(smk, own)
    assert mine["final_karena"] == "keputusan_atasan_penilai" and mine["kelompok_pengganti"] == ""
    assert mine["pemutus_keberatan"]["capacity"] == "lane"
    with smk.session_factory() as s:
        stand_in = assessment_results(s, "2023", [ratna])[ratna]
        by_app = assessment_results(s, "2021-II", [budi])[budi]
    assert (stand_in.final_karena, stand_in.kelompok_pengganti) == ("keputusan_pengganti", "Tim Penilai Kinerja")
    assert (by_app.final_karena, by_app.kelompok_pengganti) == ("keputusan_atasan_penilai", "")


def test_the_app_s_plt_decides_as_the_app_and_an_administrator_s_assignee_as_a_stand_in(
        smk: Engine, org: dict[str, int], clock: FixedClock) -> None:
    """Someone acting for the Atasan Pejabat Penilai (Plt) decides in that capacity, even when they are also in a
    stand-in group (hendra is in the Tim Penilai Kinerja); someone an administrator assigned the decision to, who
    does not hold the lane, decides in the APP's place."""
    budi, siti, hendra, indah = org["budi"], org["siti"], org["hendra"], org["indah"]
    with smk.session_factory() as s:
        agus_position = s.get(User, org["agus"]).position_id
    today = clock.now().date()
    acting.name_acting(smk, indah, agus_position, hendra, "Plt", today, today + timedelta(days=30))
    by_plt, _ = _objection(smk, org, "budi")
    by_assignee, task = _objection(smk, org, "siti")
    act(smk, hendra, "putus_keberatan", DECISION, budi)
    data = final_data(smk, by_plt)
    assert data["final_karena"] == "keputusan_atasan_penilai" and data["pemutus_keberatan"]["capacity"] == "lane"
    admin_ops.reassign(smk, org["admin"], task.id, indah)  # Biro SDM: in no stand-in group
    act(smk, indah, "putus_keberatan", DECISION, siti)
    data = final_data(smk, by_assignee)
    assert data["pemutus_keberatan"]["capacity"] == "assigned"
    assert data["final_karena"] == "keputusan_pengganti" and data["kelompok_pengganti"] == ""


def test_a_reorganisation_hands_an_open_objection_to_a_new_app_and_back_to_the_stand_ins(
        smk: Engine, org: dict[str, int]) -> None:
    """The organisation changes while ratna's objection waits for its stand-ins. Once her position is put under the
    Kepala Biro SDM (bambang), she has an Atasan Pejabat Penilai again (hartono, bambang's superior): the objection
    goes to him and the stand-ins lose it. Put back under the Deputi, she has none: the stand-ins are named again,
    by the rule the runner follows. The preview lists each move, the apply makes it and the audit trail says so."""
    ratna, hartono, hendra, indah = org["ratna"], org["hartono"], org["hendra"], org["indah"]
    inst, task = _objection_of_ratna(smk, org)
    with smk.session_factory() as s:
        brp = s.scalar(select(Position.id).where(Position.code == "BRP-01"))
        names = {uid: name for uid, name in s.execute(select(User.id, User.full_name))}
    tpk = sorted(names[org[u]] for u in ("bambang", "hendra", "nur"))

    preview = structure.change_superior(smk, indah, brp, "BSD-01")
    [move] = [m for m in preview.handovers if m.task_id == task.id]
    assert (move.before, move.after) == (tpk, [names[hartono]]) and not preview.applied
    assert _row(smk, task.id).candidate_users == ",bambang,hendra,nur,"  # a preview changes nothing
    applied = structure.change_superior(smk, indah, brp, "BSD-01", preview.digest)
    assert applied.applied and applied.flagged == 0
    assert _row(smk, task.id).candidate_users == ""
    assert _who_may_act(smk, org, task.id) == {"hartono"}
    [ended] = events(smk, "task.fallback_ended")
    assert ended["candidates"] == ["bambang", "hendra", "nur"] and ended["reason"] == "organisation"
    with smk.session_factory() as s:
        assert task.id in set(s.scalars(select(TaskIndex.id).where(actionable(s, hartono))))
        assert task.id not in set(s.scalars(select(TaskIndex.id).where(actionable(s, hendra))))
        told = set(s.scalars(select(Notification.user_id).where(Notification.task_id == task.id,
                                                                Notification.kind == "task_assigned")))
    assert told == {hartono}

    preview = structure.change_superior(smk, indah, brp, "DEP-01")
    [move] = [m for m in preview.handovers if m.task_id == task.id]
    assert (move.before, move.after) == ([names[hartono]], tpk)
    structure.change_superior(smk, indah, brp, "DEP-01", preview.digest)
    assert _row(smk, task.id).candidate_users == ",bambang,hendra,nur,"
    assert _who_may_act(smk, org, task.id) == {"bambang", "hendra", "nur"}
    offered = events(smk, "task.fallback")
    assert [(e["candidates"], e.get("reason")) for e in offered] == [
        (["bambang", "hendra", "nur"], None), (["bambang", "hendra", "nur"], "organisation")]
    act(smk, hendra, "putus_keberatan", DECISION, ratna)
    data = final_data(smk, inst)
    assert data["final_karena"] == "keputusan_pengganti" and data["kelompok_pengganti"] == "Tim Penilai Kinerja"


def test_deactivating_the_app_hands_the_objection_to_the_stand_ins(smk: Engine, org: dict[str, int]) -> None:
    """agus, budi's Atasan Pejabat Penilai, leaves while budi's objection waits for him: the PPK and the Tim Penilai
    Kinerja stand in (all but budi and his assessor dewi), nobody is flagged, and the PPK's decision says in which
    capacity it was made."""
    budi, hartono = org["budi"], org["hartono"]
    inst, task = _objection(smk, org, "budi")
    assert task.candidate_users == "" and events(smk, "task.fallback") == []
    change = accounts.set_active(smk, org["admin"], org["agus"], False, "Pensiun")
    assert change.changed and change.flagged == 0
    assert _row(smk, task.id).candidate_users == ",hartono,bambang,hendra,nur,"
    assert _who_may_act(smk, org, task.id) == {"hartono", "bambang", "hendra", "nur"}
    [offered] = events(smk, "task.fallback")
    assert offered["candidates"] == ["hartono", "bambang", "hendra", "nur"] and offered["reason"] == "organisation"
    assert offered["groups"] == ["PPK", "Tim Penilai Kinerja"] and events(smk, "task.unassigned") == []
    act(smk, hartono, "putus_keberatan", DECISION, budi)
    data = final_data(smk, inst)
    assert data["final_karena"] == "keputusan_pengganti" and data["kelompok_pengganti"] == "PPK"


def test_the_app_back_and_a_plt_for_the_vacancy_take_the_objection_back_from_the_stand_ins(
        smk: Engine, org: dict[str, int]) -> None:
    """Changes that give the empty lane someone again end the stand-ins too: the account activated again, a Plt named
    from today; and ending that Plt early hands the objection to the stand-ins once more."""
    inst, task = _objection(smk, org, "budi")
    accounts.set_active(smk, org["admin"], org["agus"], False, "Cuti di luar tanggungan negara")
    assert _who_may_act(smk, org, task.id) == {"hartono", "bambang", "hendra", "nur"}
    # agus is back: the stand-ins lose the objection, and he is told it is his.
    accounts.set_active(smk, org["admin"], org["agus"], True, "Kembali bertugas")
    assert _row(smk, task.id).candidate_users == "" and _who_may_act(smk, org, task.id) == {"agus"}
    [ended] = events(smk, "task.fallback_ended")
    assert ended["candidates"] == ["hartono", "bambang", "hendra", "nur"] and ended["reason"] == "organisation"
    with smk.session_factory() as s:
        assert s.scalar(select(Notification.id).where(Notification.user_id == org["agus"],
                                                      Notification.task_id == task.id)) is not None
    # agus leaves again, and Biro SDM names siti Plt for his position from today: the objection is hers alone.
    accounts.set_active(smk, org["admin"], org["agus"], False, "Pensiun")
    assert _who_may_act(smk, org, task.id) == {"hartono", "bambang", "hendra", "nur"}
    with smk.session_factory() as s:
        position = s.scalar(select(User.position_id).where(User.id == org["agus"]))
    today = smk.now().date()
    plt = acting.name_acting(smk, org["indah"], position, org["siti"], "Plt", today, today + timedelta(days=30))
    assert _row(smk, task.id).candidate_users == "" and _who_may_act(smk, org, task.id) == {"siti"}
    assert len(events(smk, "task.fallback_ended")) == 2
    # Her assignment ends early: nobody holds the lane, so the stand-ins are named again (nobody is flagged).
    acting.end_acting(smk, org["indah"], plt, "Pejabat definitif dilantik")
    assert _who_may_act(smk, org, task.id) == {"hartono", "bambang", "hendra", "nur"}
    assert len(events(smk, "task.fallback")) == 3 and events(smk, "task.unassigned") == []
    act(smk, org["bambang"], "putus_keberatan", DECISION, org["budi"])
    assert final_data(smk, inst)["final_karena"] == "keputusan_pengganti"
