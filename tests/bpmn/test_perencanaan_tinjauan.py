"""Reviewing an SKP row by row (issue 13): the assessor sees the proposed SKP as a table with the superior's RHK
*text*, comments per row, must give a note to return it; the comments come back next to the rows they concern,
the employee is told "dikembalikan dengan catatan oleh …", and each reviewed version is kept."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from engine.core import Engine
from engine.db.notify import Notification
from engine.errors import FormInvalid
from engine.runtime.clock import FixedClock

from .conftest import act, final_data, open_tasks, task_data
from .helpers_skp import approve_planning, skp_a, skp_c, start_planning


def _agus_drafts(smk: Engine, org: dict[str, int]) -> int:
    ratna, agus = org["ratna"], org["agus"]
    start_planning(smk, org, "ratna")
    inst = start_planning(smk, org, "agus")
    approve_planning(smk, org, "ratna", "hartono", "IKU-2",
                     mph=[{"rhk_id": f"{ratna}-1", "pegawai_id": agus, "peran": "Menyusun rencana program"}])
    draft = skp_c(f"{ratna}-1", n=2)
    draft["rhk_tambahan"] = [{"rhk": "Menjadi narasumber", "aspek": "Kuantitas", "indikator": "Jumlah kegiatan",
                              "target": 2, "satuan": "kegiatan"}]
    act(smk, agus, "susun_skp_c", draft, agus)
    return inst


def test_review_table_has_the_superiors_rhk_text_and_behaviour(smk: Engine, org: dict[str, int]) -> None:
    _agus_drafts(smk, org)
    review = task_data(smk, org["ratna"], "tinjau_skp", org["agus"])
    rows = review["tinjauan_rhk"]
    assert [r["kode"] for r in rows] == ["Utama 1 / Main 1", "Utama 2 / Main 2", "Tambahan 1 / Additional 1"]
    assert rows[0]["rhk_atasan"] == "Hasil kerja 1"  # Ratna's RHK by its text, not "<id>-1"
    assert rows[0]["indikator"] == "[Kuantitas] Jumlah dokumen 1" and rows[0]["target"] == "12 dokumen"
    assert rows[2]["rhk_atasan"] == "-" and all(r["komentar"] == "" for r in rows)
    assert review["ekspektasi_perilaku"] == [{"perilaku": "Akuntabel", "ekspektasi": "Laporan tepat waktu"}]
    assert review["pendekatan_skp"].startswith("Pendekatan kuantitatif")


def test_return_needs_a_note(smk: Engine, org: dict[str, int]) -> None:
    _agus_drafts(smk, org)
    with pytest.raises(FormInvalid) as refused:
        act(smk, org["ratna"], "tinjau_skp", {"keputusan_pp": "kembalikan"}, org["agus"])
    assert [e.path for e in refused.value.errors] == ["catatan_penilai"]
    # Approving needs none.
    act(smk, org["ratna"], "tinjau_skp", {"keputusan_pp": "setujui"}, org["agus"])


def test_row_comments_come_back_to_their_rows_and_the_employee_is_told(smk: Engine, org: dict[str, int]) -> None:
    ratna, agus = org["ratna"], org["agus"]
    inst = _agus_drafts(smk, org)
    rows = task_data(smk, ratna, "tinjau_skp", agus)["tinjauan_rhk"]
    rows[1]["komentar"] = "Target terlalu rendah"
    rows[2]["komentar"] = "Sebutkan RHK atasan yang didukung"
    act(smk, ratna, "tinjau_skp", {"keputusan_pp": "kembalikan", "catatan_penilai": "Perbaiki dua baris",
                                    "tinjauan_rhk": rows}, agus)
    returned = task_data(smk, agus, "susun_skp_c", agus)
    assert [r.get("catatan_penilai") for r in returned["rhk_utama"]] == ["", "Target terlalu rendah"]
    assert returned["rhk_tambahan"][0]["catatan_penilai"] == "Sebutkan RHK atasan yang didukung"
    assert returned["catatan_penilai"] == "Perbaiki dua baris"
    with smk.session_factory() as s:
        [note] = s.scalars(select(Notification).where(Notification.user_id == agus,
                                                      Notification.kind == "skp_returned")).all()
    assert note.title.startswith("SKP dikembalikan dengan catatan oleh Ratna Sari Dewi")
    assert "returned with notes by Ratna Sari Dewi" in note.title
    assert "Perbaiki dua baris" in note.body and "2 baris" in note.body and note.instance_id == inst

    # The second version: one target raised; the review starts with empty comments; both versions are kept.
    draft = skp_c(f"{ratna}-1", n=2)
    draft["rhk_utama"][1]["target"] = 24
    draft["rhk_tambahan"] = []  # the additional RHK is dropped
    act(smk, agus, "susun_skp_c", draft, agus)
    second = task_data(smk, ratna, "tinjau_skp", agus)
    assert [r["komentar"] for r in second["tinjauan_rhk"]] == ["", ""]
    act(smk, ratna, "tinjau_skp", {"keputusan_pp": "setujui"}, agus)
    act(smk, agus, "susun_mph", {"mph": [{"rhk_id": f"{agus}-1", "pegawai_id": org["dewi"], "peran": "Bagian"}]},
        agus)
    history = final_data(smk, inst)["riwayat_skp"]
    assert [(v["putaran"], v["keputusan"]) for v in history] == [(1, "kembalikan"), (2, "setujui")]
    assert history[0]["baris"][1]["komentar"] == "Target terlalu rendah"
    assert history[0]["baris"][1]["target"] == "12 dokumen" and history[1]["baris"][1]["target"] == "24 dokumen"
    assert len(history[0]["baris"]) == 3 and len(history[1]["baris"]) == 2


def test_regime_a_activities_are_reviewed_per_row(smk: Engine, org: dict[str, int], clock: FixedClock) -> None:
    ratna = org["ratna"]
    clock.set(datetime(2021, 1, 4, 2, 0, tzinfo=UTC))  # regime A: the first half of 2021, before the SKP deadline
    start_planning(smk, org, "ratna", regime="A")
    act(smk, ratna, "susun_skp_a", dict(skp_a(), kegiatan=[dict(skp_a()["kegiatan"][0], mendukung="IKU-2")]), ratna)
    rows = task_data(smk, org["hartono"], "tinjau_skp", ratna)["tinjauan_rhk"]
    assert rows[0]["kode"] == "Kegiatan 1 / Activity 1" and rows[0]["rhk_atasan"] == "IKU IKU-2: Nilai SAKIP"
    rows[0]["komentar"] = "Rinci kualitasnya"
    act(smk, org["hartono"], "tinjau_skp", {"keputusan_pp": "kembalikan", "catatan_penilai": "Lihat baris 1",
                                             "tinjauan_rhk": rows}, ratna)
    assert task_data(smk, ratna, "susun_skp_a", ratna)["kegiatan"][0]["catatan_penilai"] == "Rinci kualitasnya"



def test_at_the_round_limit_the_superior_sees_the_rows_with_the_comments(smk: Engine, org: dict[str, int]) -> None:
    ratna, hartono = org["ratna"], org["hartono"]
    inst = start_planning(smk, org, "ratna", maks_putaran=1)
    act(smk, ratna, "susun_skp_c", skp_c("IKU-2"), ratna)
    rows = task_data(smk, hartono, "tinjau_skp", ratna)["tinjauan_rhk"]
    rows[0]["komentar"] = "Indikator belum terukur"
    act(smk, hartono, "tinjau_skp", {"keputusan_pp": "kembalikan", "catatan_penilai": "Ulangi",
                                      "tinjauan_rhk": rows}, ratna)
    assert [t.task_name for t in open_tasks(smk, subject=ratna)] == ["putuskan_skp"]
    # The decision form (smk_putuskan_skp) shows these rows with the assessor's comment on each.
    assert final_data(smk, inst)["tinjauan_rhk"][0]["komentar"] == "Indikator belum terukur"
    with smk.session_factory() as s:  # not returned to her yet: the assessor's superior decides first
        assert s.scalars(select(Notification).where(Notification.user_id == ratna,
                                                    Notification.kind == "skp_returned")).all() == []


def test_the_return_is_also_e_mailed_when_the_employee_asked_for_it(smk: Engine, org: dict[str, int],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.db.notify import EmailOutbox
    from engine.db.org import User

    monkeypatch.setenv("SMTP_HOST", "smtp.example.go.id")
    ratna, hartono = org["ratna"], org["hartono"]
    with smk.session_factory.begin() as s:
        user = s.get(User, ratna)
        assert user is not None
        user.email, user.email_notifications = "ratna@example.go.id", True
    start_planning(smk, org, "ratna")
    act(smk, ratna, "susun_skp_c", skp_c("IKU-2"), ratna)
    act(smk, hartono, "tinjau_skp", {"keputusan_pp": "kembalikan", "catatan_penilai": "Naikkan target"}, ratna)
    with smk.session_factory() as s:
        mails = [m for m in s.scalars(select(EmailOutbox).where(EmailOutbox.to_address == "ratna@example.go.id"))
                 if "dikembalikan dengan catatan" in m.subject]
    assert len(mails) == 1 and "Naikkan target" in mails[0].body and mails[0].link.endswith(f"/skp/{ratna}/2023")
