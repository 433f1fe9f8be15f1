"""The bulk actor resolver agrees with the per-task rule in every case (lanes, acting officials, explicit
assessors, groups, candidates, assignees, inactive people); the password policy; one-time links."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import select

from engine.core import Engine
from engine.db.org import PasswordLink, Position, User
from engine.db.runtime import TaskIndex
from engine.errors import FormInvalid, NotFound, PermissionDenied
from engine.runtime.clock import FixedClock
from engine.services import accounts, acting, handover, instances
from engine.services.notifications import recipients

LANES = [None, "Pegawai", "Pejabat Penilai", "Atasan Pejabat Penilai", "Biro SDM", "PPK", "Nobody's group"]


def test_bulk_actors_agree_with_recipients_for_every_kind_of_task(demo_deployed: Engine, org: dict[str, int],
                                                                  clock: FixedClock) -> None:
    started = instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], "2024")
    with demo_deployed.session_factory() as s:
        dewi_position = s.scalar(select(Position.id).where(Position.code == "BRP-1-1-01"))
    acting.name_acting(demo_deployed, org["indah"], dewi_position, org["agus"], "Plt", date(2024, 1, 1), date(2024, 1, 31))
    acting.name_acting(demo_deployed, org["indah"], dewi_position, org["hendra"], "Plh", date(2024, 3, 1), date(2024, 3, 2))
    with demo_deployed.session_factory.begin() as s:
        s.get(User, org["joko"]).superior_override_id = org["rudi"]  # an explicit assessor
        s.get(User, org["kartini"]).superior_override_id = org["umi"]
        s.get(User, org["umi"]).active = False  # ... who has left
        s.get(User, org["taufik"]).active = False
        now = demo_deployed.now()
        subjects = [None, org["budi"], org["siti"], org["joko"], org["kartini"], org["taufik"], org["ratna"], org["hartono"],
                    org["wahyu"]]
        for lane in LANES:
            for subject in subjects:
                for extra in ({}, {"candidate_groups": ",PPK,"}, {"candidate_users": ",eko,taufik,nobody,"},
                              {"assignee_id": org["sri"]}, {"assignee_id": org["taufik"]}):
                    s.add(TaskIndex(id=str(uuid.uuid4()), instance_id=started.id, process_id="demo_penilaian",
                                    task_name="t", title="t", lane=lane, subject_id=subject, period="2024",
                                    ready_at=now, **{"candidate_users": "", "candidate_groups": "", **extra}))
    for _ in range(2):
        with demo_deployed.session_factory() as s:
            rows = handover.open_tasks(s)
            bulk = handover.open_task_actors(s, rows)
            assert len(rows) > 300
            for row in rows:
                assert bulk[row.id] == frozenset(u.id for u in recipients(s, row)), (row.lane, row.subject_id)
        clock.advance(days=59)  # the Plh window: hendra acts for dewi's position, agus no longer


def test_the_password_policy(demo_deployed: Engine, org: dict[str, int]) -> None:
    with demo_deployed.session_factory() as s:
        budi = s.get(User, org["budi"])
        assert budi is not None

        def codes(password: str) -> list[str]:
            return [m.code for m in accounts.password_problems(password, budi)]

        assert codes("Kopi-tubruk-7") == []
        assert codes("kopi") == ["password.short"]
        assert codes("x" * 201) == ["password.long", "password.common"]
        assert codes("aaaaaaaaaaaa") == ["password.common"]  # one character repeated
        assert codes("Budi-is-great-1") == ["password.personal"]
        assert codes("X198812202014021001ab") == ["password.personal"]
        assert codes("Indonesia2026!") == ["password.common"]  # a common stem with digits and signs added
        assert codes("QWERTYUIOP") == ["password.common"]
        assert len(accounts.common_passwords()) > 300


def test_a_link_is_single_use_and_inactive_users_have_none(demo_deployed: Engine, org: dict[str, int]) -> None:
    link = accounts.reset_link(demo_deployed, org["admin"], org["siti"], email=False)
    token = link.path.rsplit("/", 1)[1]
    with pytest.raises(FormInvalid) as refused:
        accounts.set_password_by_link(demo_deployed, token, "password123", "password123")
    assert [e.message.code for e in refused.value.errors] == ["password.common"]
    assert accounts.set_password_by_link(demo_deployed, token, "Teh-manis-2026", "Teh-manis-2026") == org["siti"]
    with pytest.raises(NotFound):
        accounts.set_password_by_link(demo_deployed, token, "Teh-manis-2027", "Teh-manis-2027")
    with pytest.raises(PermissionDenied):
        accounts.reset_link(demo_deployed, org["budi"], org["siti"])  # an employee may not
    another = accounts.reset_link(demo_deployed, org["admin"], org["siti"], email=True).path.rsplit("/", 1)[1]
    accounts.set_active(demo_deployed, org["admin"], org["siti"], False)
    with pytest.raises(NotFound):
        accounts.link_info(demo_deployed, another)  # a deactivated user's link stops working
    with demo_deployed.session_factory() as s:
        assert s.scalar(select(PasswordLink.purpose).limit(1)) == accounts.RESET
