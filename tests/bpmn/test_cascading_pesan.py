"""Cascading that moves by itself (issue 13): the superior's planning tells each waiting subordinate's planning
with the message ``rhk_atasan_siap`` once the SKP is set *and* the Matriks Peran Hasil done; the waiting task
closes, drafting starts with the superior's RHK, and the subordinate is notified. The waiting message names
exactly what is missing. Whoever has a superior with an SKP supports the superior's RHK, never a unit IKU."""

from __future__ import annotations

from sqlalchemy import func, select

from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.notify import Notification
from engine.db.runtime import PendingMessage

from .conftest import act, open_tasks, task_data
from .helpers_skp import approve_planning, skp_c, start_planning


def _notes(smk: Engine, user_id: int, kind: str = "rhk_atasan_siap") -> list[Notification]:
    with smk.session_factory() as s:
        return list(s.scalars(select(Notification).where(Notification.user_id == user_id, Notification.kind == kind)))


def test_the_superiors_skp_and_mph_move_the_waiting_subordinate_on_and_notify_them(
        smk: Engine, org: dict[str, int]) -> None:
    ratna, agus = org["ratna"], org["agus"]
    start_planning(smk, org, "agus")  # before the superior's planning exists
    first = task_data(smk, agus, "menunggu_atasan", agus)["pesan_menunggu"]
    assert "perencanaan SKP Ratna Sari Dewi, M.Si. untuk periode 2023 belum dimulai" in first
    assert "planning for period 2023 has not started" in first

    start_planning(smk, org, "ratna")
    approve_planning(smk, org, "ratna", "hartono", "IKU-2")  # set, but the MPH is not done yet
    assert open_tasks(smk, "susun_mph", ratna) and _notes(smk, agus) == []
    act(smk, agus, "menunggu_atasan", {"periksa_lagi": True}, agus)  # checking now says what is still missing
    second = task_data(smk, agus, "menunggu_atasan", agus)["pesan_menunggu"]
    assert "sudah ditetapkan, tetapi Matriks Peran Hasil" in second and "Matriks Peran Hasil" in second.split(" / ")[1]

    act(smk, ratna, "susun_mph", {"mph": [{"rhk_id": f"{ratna}-1", "pegawai_id": agus, "peran": "Menyusun program"}]},
        ratna)
    assert open_tasks(smk, "menunggu_atasan", agus) == []
    [draft_task] = open_tasks(smk, "susun_skp_c", agus)
    draft = task_data(smk, agus, "susun_skp_c", agus)
    assert draft["rhk_atasan"] == [{"id": f"{ratna}-1", "rhk": "Hasil kerja 1", "jenis": "utama"}]
    assert draft["mph_saya"][0]["peran"] == "Menyusun program" and draft["pesan_menunggu"] == ""
    [note] = _notes(smk, agus)
    assert "Ratna Sari Dewi" in note.title and note.link == f"/tasks/{draft_task.id}" and note.task_id == draft_task.id
    with smk.session_factory() as s:
        delivered = s.scalars(select(AuditEvent).where(AuditEvent.kind == "message.delivered")).all()
        assert [e.data.get("message") for e in delivered] == ["rhk_atasan_siap"]
        assert s.scalar(select(func.count(PendingMessage.id))) == 0


def test_a_subordinate_who_does_not_wait_gets_no_message_and_none_is_kept(smk: Engine, org: dict[str, int]) -> None:
    ratna, agus = org["ratna"], org["agus"]
    start_planning(smk, org, "ratna")
    approve_planning(smk, org, "ratna", "hartono", "IKU-2",
                     mph=[{"rhk_id": f"{ratna}-1", "pegawai_id": agus, "peran": "Menyusun program"}])
    start_planning(smk, org, "agus")  # starts after: reads the set SKP, never waits
    assert open_tasks(smk, "menunggu_atasan", agus) == [] and open_tasks(smk, "susun_skp_c", agus)
    assert _notes(smk, agus) == []
    with smk.session_factory() as s:
        assert s.scalar(select(func.count(PendingMessage.id))) == 0


def test_below_the_top_an_rhk_must_support_the_superiors_rhk_not_a_unit_iku(smk: Engine, org: dict[str, int]) -> None:
    ratna, agus, dewi = org["ratna"], org["agus"], org["dewi"]
    for name in ("ratna", "agus", "dewi"):
        start_planning(smk, org, name)
    approve_planning(smk, org, "ratna", "hartono", "IKU-2",  # under the head of the organisation: the IKU
                     mph=[{"rhk_id": f"{ratna}-1", "pegawai_id": agus, "peran": "Menyusun program"}])
    assert task_data(smk, agus, "susun_skp_c", agus)["iku_unit"] == []
    approve_planning(smk, org, "agus", "ratna", f"{ratna}-1",
                     mph=[{"rhk_id": f"{agus}-1", "pegawai_id": dewi, "peran": "Mengolah data"}])
    draft = task_data(smk, dewi, "susun_skp_c", dewi)
    assert draft["iku_unit"] == [] and [r["id"] for r in draft["rhk_atasan"]] == [f"{agus}-1"]
    act(smk, dewi, "susun_skp_c", skp_c("IKU-2"), dewi)  # was accepted before: dewi cited the unit's IKU
    refused = task_data(smk, dewi, "susun_skp_c", dewi)
    assert f"{agus}-1" in refused["galat_skp"] and "IKU-2" not in refused["galat_skp"].split("(")[1]
    assert open_tasks(smk, "tinjau_skp", dewi) == []
    act(smk, dewi, "susun_skp_c", skp_c(f"{agus}-1"), dewi)
    assert open_tasks(smk, "tinjau_skp", dewi)
