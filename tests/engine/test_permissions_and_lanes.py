"""Who may see and act on a task, resolved from the organisation data at query time."""

from __future__ import annotations

import pytest

from engine.core import Engine
from engine.errors import FormInvalid, NotFound, PermissionDenied
from engine.services import inbox, instances
from engine.services import org as org_service

from .test_run import CAPAIAN


@pytest.fixture
def at_review(demo_deployed: Engine, org: dict[str, int]) -> str:
    """An instance for budi waiting for his Pejabat Penilai's review; returns the review task id."""
    started = instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], "2024")
    after = instances.complete_task(demo_deployed, org["budi"], started.ready_task_ids[0], CAPAIAN)
    return after.ready_task_ids[0]


@pytest.mark.parametrize("username", ["siti", "agus", "indah", "admin", "pemilik", "budi"])
def test_others_cannot_see_or_complete_the_assessors_task(demo_deployed: Engine, org: dict[str, int],
                                                            at_review: str, username: str) -> None:
    uid = org[username]
    assert inbox.inbox(demo_deployed, uid).total == 0
    with pytest.raises(NotFound):
        instances.get_task(demo_deployed, uid, at_review)
    with pytest.raises(NotFound):
        instances.complete_task(demo_deployed, uid, at_review, {"keputusan": "setuju", "perilaku": "Sesuai Ekspektasi"})
    # Still there for the right person.
    assert instances.get_task(demo_deployed, org["dewi"], at_review).task_name == "tinjau"


def test_unknown_or_malformed_task_ids_are_not_found(demo_deployed: Engine, org: dict[str, int]) -> None:
    for bad in ["nope", "00000000-0000-0000-0000-000000000000", "' OR 1=1 --"]:
        with pytest.raises(NotFound):
            instances.get_task(demo_deployed, org["budi"], bad)


def test_assessor_change_reaches_the_open_task(demo_deployed: Engine, org: dict[str, int], at_review: str) -> None:
    eng = demo_deployed
    # dewi moves away: her position is now held by sri (who leaves her own).
    with eng.session_factory() as s:
        from engine.db.org import User

        dewi_position = s.get(User, org["dewi"]).position_id
    org_service.move_employee(eng, org["dewi"], None)
    org_service.move_employee(eng, org["sri"], dewi_position)
    assert inbox.inbox(eng, org["dewi"]).total == 0
    assert [i.id for i in inbox.inbox(eng, org["sri"]).items] == [at_review]
    # An acting assessor (Plt) named for budi wins over the tree.
    org_service.set_assessor_override(eng, org["budi"], org["agus"])
    assert inbox.inbox(eng, org["sri"]).total == 0
    assert instances.get_task(eng, org["agus"], at_review).subject_name == "Budi Santoso"


def test_group_task_must_be_claimed_and_only_one_member_holds_it(demo_deployed: Engine,
                                                                 org: dict[str, int], at_review: str) -> None:
    eng = demo_deployed
    after = instances.complete_task(eng, org["dewi"], at_review, {"keputusan": "setuju",
                                                                  "perilaku": "Sesuai Ekspektasi"})
    hr_task = after.ready_task_ids[0]
    members = ["indah", "joko", "kartini", "lukman", "maya"]
    assert all(inbox.inbox(eng, org[m]).total == 1 for m in members)
    with pytest.raises(PermissionDenied):
        instances.complete_task(eng, org["joko"], hr_task, {"dikonfirmasi": True})
    instances.claim_task(eng, org["joko"], hr_task)
    assert inbox.inbox(eng, org["indah"]).total == 0  # claimed by joko: gone from the others' inboxes
    with pytest.raises(NotFound):
        instances.claim_task(eng, org["indah"], hr_task)
    instances.release_task(eng, org["joko"], hr_task)
    assert inbox.inbox(eng, org["indah"]).total == 1


def test_form_is_validated_on_the_server_with_field_messages(demo_deployed: Engine, org: dict[str, int]) -> None:
    eng = demo_deployed
    started = instances.start_instance(eng, "demo_penilaian", org["admin"], org["budi"], "2024")
    bad = {"ringkasan": "x", "tanggal": "31-01-2024", "hasil_kerja": "Luar Biasa",
           "kegiatan": [{"nama": "Rapat", "target": 0, "realisasi": -1}]}
    with pytest.raises(FormInvalid) as info:
        instances.complete_task(eng, org["budi"], started.ready_task_ids[0], bad)
    messages = {e.path: str(e.message) for e in info.value.errors}  # English
    assert info.value.errors[0].message.code.startswith("form.")
    assert "Too short" in messages["ringkasan"]
    assert "Invalid format (date)" in messages["tanggal"]
    assert "Choose one of the options" in messages["hasil_kerja"]
    assert "greater than 0" in messages["kegiatan.0.target"]
    assert "at least 0" in messages["kegiatan.0.realisasi"]
    with pytest.raises(FormInvalid) as info:
        instances.complete_task(eng, org["budi"], started.ready_task_ids[0], {})
    assert {e.path for e in info.value.errors} == {"ringkasan", "tanggal", "kegiatan", "hasil_kerja"}
    # Nothing moved: the task is still there, unchanged.
    assert inbox.inbox(eng, org["budi"]).items[0].id == started.ready_task_ids[0]


def test_per_task_check_agrees_with_the_inbox_query_for_everyone(demo_deployed: Engine, org: dict[str, int]) -> None:
    """may_act (walks up from the task) and actionable (the inbox's SQL) are two forms of one rule, for the open
    tasks that an inbox lists (actionable reads the indexes of open tasks only)."""
    from sqlalchemy import select

    from engine.access import actionable, may_act
    from engine.db.runtime import TaskIndex

    eng = demo_deployed
    for username in ("budi", "joko", "eko", "wahyu"):
        started = instances.start_instance(eng, "demo_penilaian", org["admin"], org[username], "2024")
        instances.complete_task(eng, org[username], started.ready_task_ids[0], CAPAIAN)
    # An override, a vacancy and an inactive assessor make the org less regular.
    org_service.set_assessor_override(eng, org["eko"], org["hendra"])
    org_service.move_employee(eng, org["indah"], None)
    with eng.session_factory.begin() as s:
        from engine.db.org import User

        s.get(User, org["rudi"]).active = False
    with eng.session_factory() as s:
        task_ids = list(s.scalars(select(TaskIndex.id).where(TaskIndex.closed_at.is_(None))))
        assert len(task_ids) >= 4
        for uid in org.values():
            by_sql = set(s.scalars(select(TaskIndex.id).where(actionable(s, uid))))
            by_walk = {t for t in task_ids if may_act(s, uid, t)}
            assert by_sql == by_walk, uid


def test_non_finite_numbers_are_refused_by_the_engine(demo_deployed: Engine, org: dict[str, int]) -> None:
    started = instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], "2024")
    bad = dict(CAPAIAN, kegiatan=[{"nama": "Rapat", "target": float("inf"), "realisasi": float("nan")}])
    with pytest.raises(FormInvalid) as info:
        instances.complete_task(demo_deployed, org["budi"], started.ready_task_ids[0], bad)
    assert {e.path for e in info.value.errors} == {"kegiatan.0.target", "kegiatan.0.realisasi"}
