"""Acting officials (Plt/Plh): during their window they see and act on a position's tasks, and the audit says so."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from engine.access import may_act, superior_ids, superior_of
from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.org import Position, User
from engine.errors import FormInvalid, NotFound, PermissionDenied
from engine.runtime.clock import FixedClock
from engine.services import acting, inbox, instances

CAPAIAN = {"ringkasan": "Laporan", "tanggal": "2024-01-31", "hasil_kerja": "Sesuai Ekspektasi",
           "kegiatan": [{"nama": "Rapat", "target": 4, "realisasi": 4}]}
DEWI_POSITION = "BRP-1-1-01"  # Kepala Subbagian Penyusunan Rencana: budi's and siti's superior position


@pytest.fixture
def review(demo_deployed: Engine, org: dict[str, int]) -> str:
    """Budi's capaian is in; the review task waits for his Pejabat Penilai (dewi's position)."""
    started = instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], "2024")
    summary = instances.complete_task(demo_deployed, org["budi"], started.ready_task_ids[0], CAPAIAN)
    return summary.ready_task_ids[0]


def position_id(eng: Engine, code: str) -> int:
    with eng.session_factory() as s:
        return s.scalar(select(Position.id).where(Position.code == code))


def name(eng: Engine, org: dict[str, int], who: str, first: date, last: date, actor: str = "indah") -> int:
    return acting.name_acting(eng, org[actor], position_id(eng, DEWI_POSITION), org[who], "Plt", first, last)


def test_an_acting_official_acts_on_the_positions_tasks_only_during_the_window(
        demo_deployed: Engine, org: dict[str, int], review: str, clock: FixedClock) -> None:
    # The clock is 2 January 2024 (Asia/Jakarta): a window from the 3rd has not started yet.
    name(demo_deployed, org, "agus", date(2024, 1, 3), date(2024, 1, 5))
    with demo_deployed.session_factory() as s:
        assert not may_act(s, org["agus"], review)
    assert review not in [t.id for t in inbox.inbox(demo_deployed, org["agus"]).items]
    clock.advance(days=1)
    with demo_deployed.session_factory() as s:
        assert may_act(s, org["agus"], review) and may_act(s, org["dewi"], review)  # the holder keeps it too
        assert set(superior_ids(s, org["budi"])) == {org["dewi"], org["agus"]}
    assert review in [t.id for t in inbox.inbox(demo_deployed, org["agus"]).items]
    clock.advance(days=3)  # the 6th: the window (3rd to 5th, both included) is over
    with demo_deployed.session_factory() as s:
        assert not may_act(s, org["agus"], review)


def test_the_audit_says_the_completion_was_made_as_plt(demo_deployed: Engine, org: dict[str, int], review: str) -> None:
    name(demo_deployed, org, "agus", date(2024, 1, 1), date(2024, 1, 31))
    instances.complete_task(demo_deployed, org["agus"], review, {"keputusan": "setuju", "perilaku": "Sesuai Ekspektasi", "catatan": "Baik"})
    with demo_deployed.session_factory() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.kind == "task.completed", AuditEvent.task_id == review)).one()
    assert event.actor == "agus" and event.data["as_acting"] == "Plt Kepala Subbagian Penyusunan Rencana"


def test_the_holder_acting_in_their_own_right_is_not_called_plt(demo_deployed: Engine, org: dict[str, int],
                                                                review: str) -> None:
    name(demo_deployed, org, "agus", date(2024, 1, 1), date(2024, 1, 31))
    instances.complete_task(demo_deployed, org["dewi"], review, {"keputusan": "setuju", "perilaku": "Sesuai Ekspektasi", "catatan": "Baik"})
    with demo_deployed.session_factory() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.kind == "task.completed", AuditEvent.task_id == review)).one()
    assert "as_acting" not in event.data


def test_a_vacant_position_falls_to_its_acting_official(demo_deployed: Engine, org: dict[str, int]) -> None:
    with demo_deployed.session_factory.begin() as s:
        s.get(User, org["dewi"]).active = False
    with demo_deployed.session_factory() as s:
        assert superior_of(s, org["budi"]) is None
    name(demo_deployed, org, "agus", date(2024, 1, 1), date(2024, 1, 31))
    with demo_deployed.session_factory() as s:
        assert superior_of(s, org["budi"]).id == org["agus"]


def test_ending_early_stops_it_at_once(demo_deployed: Engine, org: dict[str, int], review: str) -> None:
    assignment = name(demo_deployed, org, "agus", date(2024, 1, 1), date(2024, 1, 31))
    acting.end_acting(demo_deployed, org["indah"], assignment, "Kepala Subbagian kembali bertugas")
    with demo_deployed.session_factory() as s:
        assert not may_act(s, org["agus"], review)
    assert [r.state for r in acting.list_acting(demo_deployed, org["indah"], include_ended=True)] == ["ended"]
    assert acting.list_acting(demo_deployed, org["indah"]) == []
    with pytest.raises(NotFound):
        acting.end_acting(demo_deployed, org["indah"], assignment, "twice")


@pytest.mark.parametrize(("who", "first", "last", "field"), [
    ("agus", date(2024, 1, 10), date(2024, 1, 5), "ends_on"),     # last day before the first
    ("dewi", date(2024, 1, 1), date(2024, 1, 5), "user_id"),      # already holds the position
    ("agus", date(2023, 1, 1), date(2023, 12, 31), "ends_on"),    # already over
    ("agus", date(2024, 1, 1), date(2025, 6, 1), "ends_on"),      # longer than a year
])
def test_a_bad_assignment_names_the_field_and_stores_nothing(demo_deployed: Engine, org: dict[str, int],
                                                            who: str, first: date, last: date, field: str) -> None:
    with pytest.raises(FormInvalid) as caught:
        name(demo_deployed, org, who, first, last)
    assert field in [e.path for e in caught.value.errors]
    assert acting.list_acting(demo_deployed, org["indah"], include_ended=True) == []


def test_overlapping_windows_for_the_same_person_are_refused(demo_deployed: Engine, org: dict[str, int]) -> None:
    name(demo_deployed, org, "agus", date(2024, 1, 1), date(2024, 1, 31))
    with pytest.raises(FormInvalid):
        name(demo_deployed, org, "agus", date(2024, 1, 20), date(2024, 2, 10))


@pytest.mark.parametrize("user", ["budi", "dewi", "pemilik"])
def test_only_hr_and_administrators_name_acting_officials(demo_deployed: Engine, org: dict[str, int], user: str) -> None:
    with pytest.raises(PermissionDenied):
        name(demo_deployed, org, "agus", date(2024, 1, 1), date(2024, 1, 31), actor=user)
    with pytest.raises(PermissionDenied):
        acting.list_acting(demo_deployed, org[user])
    assert name(demo_deployed, org, "agus", date(2024, 1, 1), date(2024, 1, 31), actor="admin") > 0


def test_the_bulk_superior_check_agrees_with_superior_of_in_every_case(
        eng: Engine, org: dict[str, int], clock: FixedClock) -> None:
    """``with_superior`` (the period opening's check over every employee) gives, for each user, what ``superior_of``
    gives: with the holder of the superior position, with an override, with the superior position vacant and
    someone acting for it today, vacant with nobody acting, and for the head of the organisation."""
    from engine.access import with_superior

    def agree() -> set[int]:
        with eng.session_factory() as s:
            ids = sorted(s.scalars(select(User.id)))
            one_by_one = {i for i in ids if superior_of(s, i) is not None}
            assert with_superior(s, ids, batch=7) == one_by_one  # several batches
            return one_by_one

    everyone = agree()
    assert org["budi"] in everyone and org["hartono"] not in everyone  # the head signs the PK outside SMK
    with eng.session_factory.begin() as s:  # budi's superior position falls vacant: budi and siti have nobody
        dewi = s.get(User, org["dewi"])
        assert dewi is not None
        dewi.active = False
    without = agree()
    assert org["budi"] not in without and org["siti"] not in without
    name(eng, org, "agus", date(2024, 1, 1), date(2024, 1, 31))  # someone acts for it today
    assert {org["budi"], org["siti"]} <= agree()
    with eng.session_factory.begin() as s:  # an override names a superior whatever the positions say
        budi = s.get(User, org["budi"])
        assert budi is not None
        budi.superior_override_id = org["indah"]
    clock.advance(days=60)  # the acting window is over: siti has nobody again, budi has his override
    final = agree()
    assert org["budi"] in final and org["siti"] not in final
