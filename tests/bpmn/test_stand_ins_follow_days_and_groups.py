"""An objection waiting for its stand-ins (the Atasan Pejabat Penilai is gone: the PPK and the Tim Penilai Kinerja
stand in) follows the organisation changes that happen by the date or in the groups: a Plt/Plh named for a later day
takes it on that day and gives it back after their last day (the worker's ``hand_over_acting_days``, once, whichever
worker runs it); a member put in or taken out of a stand-in group, or an account of one made active again, gains or
loses it by the one rule of ``engine.services.fallback`` (never the employee nor the employee's assessor)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.core import Engine
from engine.db.notify import Notification
from engine.db.org import ActingAssignment, User
from engine.runtime.clock import FixedClock
from engine.services import accounts, acting
from engine.services import org as org_service
from engine.services.acting import hand_over_acting_days

from .conftest import act, advance, events, final_data
from .test_objection_stand_ins import DECISION, _objection, _row, _who_may_act

STAND_INS = {"hartono", "bambang", "hendra", "nur"}


def _told(smk: Engine, user_id: int, task_id: str) -> int:
    with smk.session_factory() as s:
        return len(s.scalars(select(Notification.id).where(Notification.user_id == user_id,
                                                           Notification.task_id == task_id,
                                                           Notification.kind == "task_assigned")).all())


def _agus_gone(smk: Engine, org: dict[str, int]) -> tuple[int, str, int]:
    """budi objects; agus, his Atasan Pejabat Penilai, leaves: the stand-ins have the objection. Return the
    instance, the task and agus's (now vacant) position."""
    inst, task = _objection(smk, org, "budi")
    accounts.set_active(smk, org["admin"], org["agus"], False, "Pensiun")
    assert _who_may_act(smk, org, task.id) == STAND_INS
    with smk.session_factory() as s:
        position = s.scalar(select(User.position_id).where(User.id == org["agus"]))
    assert position is not None
    return inst, task.id, position


def test_a_plt_named_for_a_later_day_takes_the_objection_that_day_and_gives_it_back_after_the_last(
        smk: Engine, org: dict[str, int], clock: FixedClock) -> None:
    """siti is named Plt of agus's position from tomorrow for five days. Today the stand-ins keep the objection; on
    her first day the worker hands it to her (she is told, the stand-ins' end is in the audit trail); the day after
    her last day it goes back to the stand-ins (nobody is flagged). Each handover is made once."""
    siti = org["siti"]
    inst, task, position = _agus_gone(smk, org)
    tomorrow = smk.now().date() + timedelta(days=1)
    plt = acting.name_acting(smk, org["indah"], position, siti, "Plt", tomorrow, tomorrow + timedelta(days=4))
    assert hand_over_acting_days(smk) == 0  # not yet her day
    assert _row(smk, task).candidate_users == ",hartono,bambang,hendra,nur," and _told(smk, siti, task) == 0

    advance(smk, clock, days=1)  # her first day: the worker's pass
    assert _row(smk, task).candidate_users == "" and _who_may_act(smk, org, task) == {"siti"}
    assert _told(smk, siti, task) == 1
    [ended] = events(smk, "task.fallback_ended")
    assert ended["candidates"] == ["hartono", "bambang", "hendra", "nur"] and ended["reason"] == "organisation"
    [started] = events(smk, "org.acting_started")
    assert started["acting_id"] == plt and started["subject_id"] == siti
    assert hand_over_acting_days(smk) == 0 and len(events(smk, "task.fallback_ended")) == 1 and _told(smk, siti, task) == 1

    advance(smk, clock, days=4)  # her last day: still hers
    assert _who_may_act(smk, org, task) == {"siti"} and events(smk, "org.acting_lapsed") == []
    advance(smk, clock, days=1)  # the day after: the stand-ins again, told again
    assert _row(smk, task).candidate_users == ",hartono,bambang,hendra,nur,"
    assert _who_may_act(smk, org, task) == STAND_INS
    offered = events(smk, "task.fallback")
    assert [(e["candidates"], e.get("reason")) for e in offered][-1] == (
        ["hartono", "bambang", "hendra", "nur"], "organisation")
    assert events(smk, "task.unassigned") == [] and _told(smk, org["bambang"], task) == 2  # agus left; siti went
    [lapsed] = events(smk, "org.acting_lapsed")
    assert lapsed["acting_id"] == plt
    with smk.session_factory() as s:
        assignment = s.get(ActingAssignment, plt)
        assert assignment is not None and assignment.start_handed_at and assignment.end_handed_at
    assert hand_over_acting_days(smk) == 0 and len(events(smk, "task.fallback")) == len(offered)
    act(smk, org["nur"], "putus_keberatan", DECISION, org["budi"])
    assert final_data(smk, inst)["final_karena"] == "keputusan_pengganti"


def test_a_plt_s_planned_end_flags_what_only_they_could_act_on(smk: Engine, org: dict[str, int],
                                                              clock: FixedClock) -> None:
    """A task without stand-in groups that only the Plt could act on (the objection's model names stand-ins, the
    vacancy's other assessor tasks do not) is flagged to Biro SDM when the assignment ends on its planned day, as
    when it is ended early. Here: the objection's stand-ins are taken out of their groups while siti acts, so
    that nobody is left to name when she stops."""
    siti = org["siti"]
    inst, task, position = _agus_gone(smk, org)
    today = smk.now().date()
    acting.name_acting(smk, org["indah"], position, siti, "Plt", today, today + timedelta(days=2))
    assert _who_may_act(smk, org, task) == {"siti"}
    for group, member in (("PPK", "hartono"), ("Tim Penilai Kinerja", "bambang"), ("Tim Penilai Kinerja", "hendra"),
                          ("Tim Penilai Kinerja", "nur")):
        assert org_service.remove_member(smk, org["admin"], group, org[member]).flagged == 0  # siti has it
    advance(smk, clock, days=3)
    assert _who_may_act(smk, org, task) == set() and _row(smk, task).candidate_users == ""
    [flagged] = events(smk, "task.unassigned")
    assert flagged["instance_id"] == inst and flagged["reason"] == "organisation"


def test_several_workers_hand_a_first_day_over_once(db_url: str, smk: Engine, org: dict[str, int],
                                                     clock: FixedClock) -> None:
    """While one worker holds an assignment whose first day has come, another passes over it (FOR UPDATE SKIP
    LOCKED) instead of handing it over a second time."""
    if not db_url.startswith("postgresql"):
        pytest.skip("several workers claim through PostgreSQL row locks (SQLite lets one writer in at a time)")
    _inst, task, position = _agus_gone(smk, org)
    tomorrow = smk.now().date() + timedelta(days=1)
    plt = acting.name_acting(smk, org["indah"], position, org["siti"], "Plt", tomorrow, tomorrow)
    clock.advance(days=1)
    with smk.session_factory.begin() as other:
        other.execute(select(ActingAssignment).where(ActingAssignment.id == plt).with_for_update())
        assert hand_over_acting_days(smk) == 0
    assert hand_over_acting_days(smk) == 1 and hand_over_acting_days(smk) == 0
    assert len(events(smk, "task.fallback_ended")) == 1 and _who_may_act(smk, org, task) == {"siti"}


def test_group_changes_name_and_unname_stand_ins_by_the_rule(smk: Engine, org: dict[str, int]) -> None:
    """lukman put in the Tim Penilai Kinerja stands in for budi's waiting objection and is told; dewi put in the PPK
    does not (she is budi's assessor); hendra taken out of the Tim Penilai Kinerja loses it. When the last stand-in
    is taken out, the objection is flagged to Biro SDM; someone put in a stand-in group afterwards picks it up."""
    lukman, dewi, admin = org["lukman"], org["dewi"], org["admin"]
    inst, task, _ = _agus_gone(smk, org)
    added = org_service.add_member(smk, admin, "Tim Penilai Kinerja", lukman)
    assert added and added.flagged == 0
    assert _row(smk, task).candidate_users == ",hartono,bambang,hendra,lukman,nur,"  # the members by id
    assert _who_may_act(smk, org, task) == STAND_INS | {"lukman"} and _told(smk, lukman, task) == 1
    offered = events(smk, "task.fallback")[-1]
    assert offered["candidates"] == ["hartono", "bambang", "hendra", "lukman", "nur"]
    assert offered["before"] == ["hartono", "bambang", "hendra", "nur"] and offered["reason"] == "organisation"

    assert org_service.add_member(smk, admin, "PPK", dewi)
    assert _row(smk, task).candidate_users == ",hartono,bambang,hendra,lukman,nur," and _told(smk, dewi, task) == 0

    assert org_service.remove_member(smk, admin, "Tim Penilai Kinerja", org["hendra"])
    assert _row(smk, task).candidate_users == ",hartono,bambang,lukman,nur,"
    assert _who_may_act(smk, org, task) == {"hartono", "bambang", "nur", "lukman"}

    for group, member in (("PPK", "hartono"), ("Tim Penilai Kinerja", "bambang"), ("Tim Penilai Kinerja", "nur")):
        assert org_service.remove_member(smk, admin, group, org[member]).flagged == 0
    last = org_service.remove_member(smk, admin, "Tim Penilai Kinerja", lukman)
    assert last and last.flagged == 1 and _who_may_act(smk, org, task) == set()
    assert [e["instance_id"] for e in events(smk, "task.unassigned")] == [inst]
    [removed] = [e for e in events(smk, "org.group_removed") if e["subject_id"] == lukman]
    assert removed["flagged"] == 1
    # Someone put in a stand-in group afterwards picks the flagged objection up, and is told; dewi, budi's
    # assessor, put in again, still does not.
    assert org_service.add_member(smk, admin, "Tim Penilai Kinerja", dewi).given == 0
    assert _who_may_act(smk, org, task) == set() and _told(smk, dewi, task) == 0
    assert org_service.add_member(smk, admin, "PPK", org["hartono"]).given == 1
    assert _who_may_act(smk, org, task) == {"hartono"} and _row(smk, task).candidate_users == ",hartono,"
    assert _told(smk, org["hartono"], task) == 2  # named at the start, taken out, and named again now
    picked = events(smk, "task.fallback")[-1]
    assert picked["candidates"] == ["hartono"] and picked["before"] == [] and picked["reason"] == "organisation"
    # The last stand-in leaves (flagged again) and comes back: active again, he picks it up again.
    assert accounts.set_active(smk, admin, org["hartono"], False, "Cuti").flagged == 1
    assert _who_may_act(smk, org, task) == set()
    assert accounts.set_active(smk, admin, org["hartono"], True, "Kembali").given == 1
    assert _who_may_act(smk, org, task) == {"hartono"} and _told(smk, org["hartono"], task) == 3


def test_a_stand_in_active_again_stands_in_again(smk: Engine, org: dict[str, int]) -> None:
    """hartono (PPK) leaves while budi's objection waits for the stand-ins, and loses it; active again, he stands in
    again, and is told."""
    hartono = org["hartono"]
    _inst, task, _ = _agus_gone(smk, org)
    told = _told(smk, hartono, task)
    accounts.set_active(smk, org["admin"], hartono, False, "Cuti besar")
    assert _row(smk, task).candidate_users == ",bambang,hendra,nur,"
    accounts.set_active(smk, org["admin"], hartono, True, "Kembali bertugas")
    assert _row(smk, task).candidate_users == ",hartono,bambang,hendra,nur,"
    assert _who_may_act(smk, org, task) == STAND_INS and _told(smk, hartono, task) == told + 1
