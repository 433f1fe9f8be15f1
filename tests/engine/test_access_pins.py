"""Pins for who may act on a task and who may see an instance (issue 9).

Mutation testing showed the suite would not notice several ways of breaking authorization; each test here fails
on such a mutant of today's (correct) code. Who may act is checked both ways for every user — the per-task walk
(``may_act``) and the inbox's SQL (``actionable``) — against the exact set of people the rule names.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from engine.access import (
    acting_capacity,
    actionable,
    is_group_task,
    lane_holder_name,
    may_act,
    may_view_instance,
    subordinates_of,
    superior_of,
)
from engine.core import Engine
from engine.db.org import Position, User
from engine.db.runtime import TaskIndex
from engine.runtime.clock import FixedClock
from engine.services import acting, admin_ops, inbox, instances
from engine.services import org as org_service
from engine.services.deployments import deploy
from tools.bpmn_builder import Process, document

from .test_notifications import one_task_process

OVERSEERS = {"admin", "pemilik", "indah", "joko", "kartini", "lukman", "maya"}  # administrators, process owner, HR
TIM = {"bambang", "hendra", "nur"}  # the demo's "Tim Penilai Kinerja" group
JAKARTA = ZoneInfo("Asia/Jakarta")  # the organisation's time zone (SMK_TIMEZONE's default): it decides "today"
DEWI_POSITION, AGUS_POSITION, SRI_POSITION = "BRP-1-1-01", "BRP-1-01", "BUM-1-1-01"
# One task per way of naming who may act: (task id, lane, spiffworkflow properties).
TASKS = [
    ("t_pegawai", "Pegawai", {}),
    ("t_pp", "Pejabat Penilai", {}),
    ("t_app", "Atasan Pejabat Penilai", {}),
    ("t_tim", "Tim Penilai Kinerja", {}),
    ("t_users", "Pegawai", {"candidateUsers": "siti"}),
    ("t_groups", "Pegawai", {"candidateGroups": "PPK"}),
]


def parallel_tasks() -> dict[str, bytes]:
    """p_pins: every task of TASKS ready at once (a parallel split); p_nolane: one task in no lane at all."""
    lanes = list(dict.fromkeys(lane for _, lane, _ in TASKS))
    p = Process("p_pins", "Pins", lanes=lanes)
    p.start("s", lane=lanes[0], col=0)
    p.gateway("split", lane=lanes[0], col=1, kind="parallel")
    p.flow("s", "split")
    for i, (task, lane, props) in enumerate(TASKS):
        p.user(task, task, lane=lane, col=2, properties=props)
        p.end(f"e{i}", lane=lane, col=3)
        p.flow("split", task)
        p.flow(task, f"e{i}")
    bare = Process("p_nolane", "No lane")
    bare.start("s", col=0)
    bare.user("t_nolane", "t_nolane", col=1)
    bare.end("e", col=2)
    bare.chain("s", "t_nolane", "e")
    return {"pins.bpmn": document(p).encode(), "nolane.bpmn": document(bare).encode()}


@pytest.fixture
def pins(demo_deployed: Engine, org: dict[str, int]) -> Engine:
    """The demo organisation plus users and groups whose names are SQL LIKE wildcards, and the pin processes."""
    with demo_deployed.session_factory.begin() as s:
        for username, group in [("s_ti", "P_K"), ("%", "%"), ("bud_", "Tim_Penilai_Kinerja")]:
            user = User(username=username, full_name=f"Wildcard {username}")
            s.add(user)
            s.flush()
            org[username] = user.id
            org_service.add_to_group(s, user, group)
    deploy(demo_deployed, parallel_tasks(), org["pemilik"], name="pins")
    return demo_deployed


def start(eng: Engine, org: dict[str, int], subject: str, process_id: str = "p_pins") -> dict[str, str]:
    """Start a pin process for ``subject``; return task name -> task id."""
    started = instances.start_instance(eng, process_id, org["admin"], org[subject], "2024")
    with eng.session_factory() as s:
        rows = s.scalars(select(TaskIndex).where(TaskIndex.instance_id == started.id))
        return {r.task_name: r.id for r in rows}


def who_may_act(eng: Engine, org: dict[str, int], task_ids: dict[str, str]) -> dict[str, set[str]]:
    """Task name -> the users who may act on it; asserts that may_act and the inbox's SQL agree."""
    names = {uid: name for name, uid in org.items()}
    by_walk: dict[str, set[str]] = {t: set() for t in task_ids}
    by_sql: dict[str, set[str]] = {t: set() for t in task_ids}
    with eng.session_factory() as s:
        for uid, name in names.items():
            visible = set(s.scalars(select(TaskIndex.task_name).where(
                TaskIndex.id.in_(task_ids.values()), actionable(s, uid))))
            for task, tid in task_ids.items():
                if may_act(s, uid, tid):
                    by_walk[task].add(name)
                if task in visible:
                    by_sql[task].add(name)
    assert by_walk == by_sql
    return by_walk


def viewers(eng: Engine, org: dict[str, int], instance_id: int) -> set[str]:
    with eng.session_factory() as s:
        return {name for name, uid in org.items() if may_view_instance(s, uid, instance_id)}


def instance_of(eng: Engine, task_id: str) -> int:
    with eng.session_factory() as s:
        row = s.get(TaskIndex, task_id)
        assert row is not None
        return row.instance_id


def set_active(eng: Engine, user_id: int, active: bool) -> None:
    with eng.session_factory.begin() as s:
        s.get(User, user_id).active = active


# --- who may act ------------------------------------------------------------------------------------------


def test_each_lane_and_candidate_list_names_exactly_its_people(pins: Engine, org: dict[str, int]) -> None:
    eng = pins
    tasks = start(eng, org, "budi") | start(eng, org, "budi", "p_nolane")
    assert who_may_act(eng, org, tasks) == {
        "t_pegawai": {"budi"},
        "t_pp": {"dewi"},
        "t_app": {"agus"},
        "t_tim": TIM,
        "t_users": {"budi", "siti"},  # candidateUsers adds siti; s_ti and % are not wildcards
        "t_groups": {"budi", "hartono"},  # candidateGroups PPK adds its member; P_K and % are not wildcards
        "t_nolane": {"budi"},
    }


def test_the_atasan_pejabat_penilai_lane_is_the_assessors_assessor(pins: Engine, org: dict[str, int]) -> None:
    eng = pins
    ratna = who_may_act(eng, org, start(eng, org, "ratna"))  # a Kepala Biro: assessed by the Deputi, the top
    assert ratna["t_pp"] == {"hartono"} and ratna["t_app"] == set()
    app_task = start(eng, org, "siti")["t_app"]
    assert [i.id for i in inbox.inbox(eng, org["agus"]).items] == [app_task]
    for other in ("siti", "dewi", "ratna", "hartono"):
        assert app_task not in {i.id for i in inbox.inbox(eng, org[other]).items}


def test_tasks_of_the_employee_at_the_top_fall_to_no_one_without_a_position(pins: Engine, org: dict[str, int]) -> None:
    eng = pins
    """hartono has no superior: his assessor's tasks must not go to the users who hold no position at all."""
    acting = who_may_act(eng, org, start(eng, org, "hartono"))
    assert acting["t_pp"] == set() and acting["t_app"] == set()
    assert acting["t_pegawai"] == {"hartono"} and acting["t_groups"] == {"hartono"}
    for staff in ("admin", "pemilik"):
        assert inbox.inbox(eng, org[staff]).total == 0


def test_a_claimed_task_belongs_to_its_assignee_alone(pins: Engine, org: dict[str, int]) -> None:
    eng = pins
    tasks = start(eng, org, "budi")
    instances.claim_task(eng, org["hendra"], tasks["t_tim"])
    instances.claim_task(eng, org["hartono"], tasks["t_groups"])
    acting = who_may_act(eng, org, tasks)
    assert acting["t_tim"] == {"hendra"}
    assert acting["t_groups"] == {"hartono"}  # claimed: not even the subject any more
    instances.release_task(eng, org["hendra"], tasks["t_tim"])
    assert who_may_act(eng, org, tasks)["t_tim"] == TIM


def test_group_tasks_are_those_offered_to_a_group(pins: Engine, org: dict[str, int]) -> None:
    eng = pins
    tasks = start(eng, org, "budi") | start(eng, org, "budi", "p_nolane")
    with eng.session_factory() as s:
        group_tasks = {name for name, tid in tasks.items() if is_group_task(s.get(TaskIndex, tid))}
    assert group_tasks == {"t_tim", "t_groups"}


def test_a_deactivated_user_gets_no_tasks(pins: Engine, org: dict[str, int]) -> None:
    eng = pins
    tasks = start(eng, org, "budi") | start(eng, org, "budi", "p_nolane")
    for user in ("budi", "siti", "hendra"):
        set_active(eng, org[user], False)
    assert who_may_act(eng, org, tasks) == {
        "t_pegawai": set(), "t_pp": set(), "t_app": set(),  # the employee left: his assessors lose his tasks too
        "t_tim": {"bambang", "nur"}, "t_users": set(), "t_groups": {"hartono"}, "t_nolane": set()}
    assert inbox.inbox(eng, org["budi"]).total == 0


def test_an_inactive_assessor_in_the_chain_passes_nothing_on(pins: Engine, org: dict[str, int]) -> None:
    eng = pins
    tasks = start(eng, org, "budi")
    set_active(eng, org["dewi"], False)
    acting = who_may_act(eng, org, tasks)
    assert acting["t_pp"] == set() and acting["t_app"] == set()  # agus is only agus through dewi
    # An acting assessor (Plt) who is inactive does not count either, nor pass the task up.
    set_active(eng, org["dewi"], True)
    org_service.set_assessor_override(eng, org["budi"], org["siti"])
    set_active(eng, org["siti"], False)
    acting = who_may_act(eng, org, tasks)
    assert acting["t_pp"] == set() and acting["t_app"] == set()
    set_active(eng, org["siti"], True)
    acting = who_may_act(eng, org, tasks)
    assert acting["t_pp"] == {"siti"} and acting["t_app"] == {"dewi"}


def test_a_group_named_like_a_personal_lane_does_not_grant_that_lane(pins: Engine, org: dict[str, int]) -> None:
    eng = pins
    tasks = start(eng, org, "budi")
    with eng.session_factory.begin() as s:
        org_service.add_to_group(s, s.get(User, org["siti"]), "Pejabat Penilai")
    with eng.session_factory() as s:
        assert not may_act(s, org["siti"], tasks["t_pp"])
        assert may_act(s, org["dewi"], tasks["t_pp"])


def test_unknown_tasks_and_users_may_not_act(pins: Engine, org: dict[str, int]) -> None:
    eng = pins
    tasks = start(eng, org, "budi")
    with eng.session_factory() as s:
        assert not may_act(s, org["budi"], "00000000-0000-0000-0000-000000000000")
        assert not may_act(s, 999_999, tasks["t_pegawai"])


def test_the_assessor_is_resolved_from_the_override_or_the_position_tree(pins: Engine, org: dict[str, int]) -> None:
    eng = pins
    def assessor(username: str) -> str | None:
        with eng.session_factory() as s:
            found = superior_of(s, org[username])
            return found.username if found else None

    def team(username: str) -> list[str]:
        with eng.session_factory() as s:
            names = {uid: name for name, uid in org.items()}
            return sorted(names[i] for i in subordinates_of(s, org[username]))

    assert (assessor("budi"), assessor("dewi"), assessor("ratna")) == ("dewi", "agus", "hartono")
    assert assessor("hartono") is None and assessor("admin") is None
    with eng.session_factory() as s:
        assert superior_of(s, 999_999) is None and subordinates_of(s, 999_999) == []
    assert team("dewi") == ["budi", "siti", "zainal"]
    assert team("admin") == [] and team("pemilik") == [] and team("budi") == []
    org_service.set_assessor_override(eng, org["budi"], org["agus"])
    assert assessor("budi") == "agus"
    assert team("dewi") == ["siti", "zainal"] and "budi" in team("agus")
    set_active(eng, org["dewi"], False)
    assert team("dewi") == []


def test_a_waiting_task_names_who_it_waits_for(pins: Engine, org: dict[str, int]) -> None:
    def holder(lane: str | None, subject: str | None) -> str:
        with pins.session_factory() as s:
            return lane_holder_name(s, lane, org[subject] if subject else None)

    assert holder("Pegawai", "budi") == holder(None, "budi") == "Budi Santoso"
    assert holder("Pejabat Penilai", "budi") == "Dewi Lestari, S.Sos."
    assert holder("Atasan Pejabat Penilai", "budi") == "Agus Setiawan, S.E."
    assert holder("Pejabat Penilai", "ratna") == "Dr. Hartono Wibisono"
    assert holder("Atasan Pejabat Penilai", "ratna") == "Atasan Pejabat Penilai"  # no one above the top: the lane
    assert holder("Biro SDM", "budi") == "Biro SDM" and holder("Pejabat Penilai", None) == "Pejabat Penilai"
    assert holder(None, None) == ""


# --- acting officials (Plt/Plh) ----------------------------------------------------------------------------


def name_acting(eng: Engine, org: dict[str, int], who: str, position_code: str, first: date, last: date) -> int:
    with eng.session_factory() as s:
        position_id = s.scalar(select(Position.id).where(Position.code == position_code))
    return acting.name_acting(eng, org["indah"], position_id, org[who], "Plt", first, last)


def test_a_plt_acts_from_the_first_to_the_last_day_in_the_organisations_time_zone(
        pins: Engine, org: dict[str, int], clock: FixedClock) -> None:
    eng = pins
    tasks = start(eng, org, "budi")
    name_acting(eng, org, "eko", DEWI_POSITION, date(2024, 1, 3), date(2024, 1, 5))
    alone, with_plt = {"t_pp": {"dewi"}, "t_app": {"agus"}}, {"t_pp": {"dewi", "eko"}, "t_app": {"agus"}}
    for when, expected in [((2, 23, 59), alone), ((3, 0, 0), with_plt), ((5, 23, 59), with_plt), ((6, 0, 0), alone)]:
        day, hour, minute = when
        clock.set(datetime(2024, 1, day, hour, minute, tzinfo=JAKARTA))  # midnight in Jakarta is 17:00 UTC
        acting_now = who_may_act(eng, org, tasks)
        assert {task: acting_now[task] for task in expected} == expected, when


def test_an_ended_plt_or_one_for_another_position_gets_nothing(pins: Engine, org: dict[str, int]) -> None:
    eng = pins
    tasks = start(eng, org, "budi")
    plt = name_acting(eng, org, "eko", DEWI_POSITION, date(2024, 1, 1), date(2024, 1, 31))
    name_acting(eng, org, "fitri", SRI_POSITION, date(2024, 1, 1), date(2024, 1, 31))  # acts for another position
    assert who_may_act(eng, org, tasks)["t_pp"] == {"dewi", "eko"}
    with eng.session_factory() as s:
        assert superior_of(s, org["budi"]).username == "dewi"  # the holder comes before the Plt
    acting.end_acting(eng, org["indah"], plt, "Dewi kembali bertugas")
    acting_now = who_may_act(eng, org, tasks)
    assert acting_now["t_pp"] == {"dewi"} and acting_now["t_app"] == {"agus"}


def test_a_vacant_position_falls_to_its_plts_the_first_named_is_the_superior(pins: Engine,
                                                                            org: dict[str, int]) -> None:
    eng = pins
    tasks = start(eng, org, "budi")
    org_service.move_employee(eng, org["dewi"], None)
    assert who_may_act(eng, org, tasks)["t_pp"] == set()
    name_acting(eng, org, "eko", DEWI_POSITION, date(2024, 1, 1), date(2024, 1, 31))
    name_acting(eng, org, "fitri", DEWI_POSITION, date(2024, 1, 1), date(2024, 1, 31))
    acting_now = who_may_act(eng, org, tasks)
    assert acting_now["t_pp"] == {"eko", "fitri"} and acting_now["t_app"] == {"agus"}
    with eng.session_factory() as s:
        assert superior_of(s, org["budi"]).username == "eko"
        assert lane_holder_name(s, "Pejabat Penilai", org["budi"]) == "Eko Prasetyo, S.T."
    set_active(eng, org["eko"], False)  # an inactive Plt is no one's superior
    with eng.session_factory() as s:
        assert superior_of(s, org["budi"]).username == "fitri"
    set_active(eng, org["fitri"], False)
    with eng.session_factory() as s:
        assert superior_of(s, org["budi"]) is None
    # No superior at all now: agus (above the vacant position) no longer sees budi's instance as his assessor's.
    viewing = viewers(eng, org, instance_of(eng, tasks["t_pegawai"]))
    assert viewing == {"budi", "siti", "hartono"} | TIM | OVERSEERS  # the subject, candidates, groups, overseers


def test_a_completion_is_as_plt_only_when_the_plt_acts_for_the_superior_position(pins: Engine,
                                                                                  org: dict[str, int]) -> None:
    eng = pins
    tasks = start(eng, org, "budi")
    name_acting(eng, org, "eko", DEWI_POSITION, date(2024, 1, 1), date(2024, 1, 31))
    name_acting(eng, org, "fitri", AGUS_POSITION, date(2024, 1, 1), date(2024, 1, 31))

    def capacity(who: str, task: str) -> str | None:
        with eng.session_factory() as s:
            return acting_capacity(s, org[who], s.get(TaskIndex, tasks[task]))

    assert capacity("eko", "t_pp") == "Plt Kepala Subbagian Penyusunan Rencana"
    assert capacity("fitri", "t_app") == "Plt Kepala Bagian Perencanaan Program"
    assert capacity("dewi", "t_pp") is None and capacity("agus", "t_app") is None  # the holders
    assert capacity("fitri", "t_pegawai") is None and capacity("fitri", "t_tim") is None  # not a superior's lane
    org_service.set_assessor_override(eng, org["budi"], org["agus"])
    assert capacity("eko", "t_pp") is None  # budi's explicit superior replaces the position tree
    org_service.set_assessor_override(eng, org["budi"], None)
    with eng.session_factory() as s:
        agus_position = s.scalar(select(Position.id).where(Position.code == AGUS_POSITION))
    org_service.move_employee(eng, org["agus"], None)
    org_service.move_employee(eng, org["fitri"], agus_position)
    assert capacity("fitri", "t_app") is None  # the Plt now holds the position: she acts as its holder
    admin_ops.reassign(eng, org["admin"], tasks["t_pp"], org["eko"])
    assert capacity("eko", "t_pp") is None  # an explicit assignee acts in their own right


def test_no_plt_label_through_an_inactive_explicit_superior(pins: Engine, org: dict[str, int]) -> None:
    """budi's explicit superior (siti) is inactive: the chain above him is empty, so eko, Plt of siti's superior
    position, completes budi's Atasan Pejabat Penilai task as a named candidate, not as Plt."""
    eng = pins
    deploy(eng, {"one.bpmn": one_task_process("Atasan Pejabat Penilai", {"candidateUsers": "eko"})}, None)
    task = start(eng, org, "budi", "p_one")["isi"]
    org_service.set_assessor_override(eng, org["budi"], org["siti"])
    set_active(eng, org["siti"], False)
    name_acting(eng, org, "eko", DEWI_POSITION, date(2024, 1, 1), date(2024, 1, 31))
    assert who_may_act(eng, org, {"isi": task}) == {"isi": {"eko"}}
    with eng.session_factory() as s:
        assert acting_capacity(s, org["eko"], s.get(TaskIndex, task)) is None


# --- who may see an instance ------------------------------------------------------------------------------


def test_the_subject_the_assessors_and_the_overseers_see_an_instance(pins: Engine, org: dict[str, int]) -> None:
    eng = pins
    deploy(eng, {"one.bpmn": one_task_process("Pejabat Penilai")}, None)
    budi = instance_of(eng, start(eng, org, "budi", "p_one")["isi"])
    assert viewers(eng, org, budi) == {"budi", "dewi", "agus"} | OVERSEERS
    ratna = instance_of(eng, start(eng, org, "ratna", "p_one")["isi"])
    assert viewers(eng, org, ratna) == {"ratna", "hartono"} | OVERSEERS  # hartono is at the top: no one above
    hartono = instance_of(eng, start(eng, org, "hartono", "p_one")["isi"])
    assert viewers(eng, org, hartono) == {"hartono"} | OVERSEERS
    set_active(eng, org["budi"], False)
    set_active(eng, org["admin"], False)
    assert viewers(eng, org, budi) == {"dewi", "agus"} | OVERSEERS - {"admin"}
    with eng.session_factory() as s:
        assert not may_view_instance(s, org["pemilik"], 999_999)
        assert not may_view_instance(s, 999_999, budi)


def test_who_may_act_or_acted_sees_the_instance_and_no_one_else(pins: Engine, org: dict[str, int]) -> None:
    eng = pins
    chain = {"budi", "dewi", "agus"} | OVERSEERS
    deploy(eng, {"one.bpmn": one_task_process(properties={"candidateUsers": "siti"})}, None)
    first = start(eng, org, "budi", "p_one")["isi"]
    second = start(eng, org, "budi", "p_one")["isi"]
    umi = start(eng, org, "umi", "p_one")["isi"]  # umi may act on a task of another instance
    assert viewers(eng, org, instance_of(eng, first)) == chain | {"siti"}  # siti may act on it
    instances.complete_task(eng, org["budi"], first, {})
    assert viewers(eng, org, instance_of(eng, first)) == chain  # closed without her: siti no longer sees it
    instances.complete_task(eng, org["siti"], second, {})
    assert viewers(eng, org, instance_of(eng, second)) == chain | {"siti"}  # she acted on it
    assert viewers(eng, org, instance_of(eng, first)) == chain  # acting on another instance grants nothing
    assert "umi" in viewers(eng, org, instance_of(eng, umi))

    deploy(eng, {"one.bpmn": one_task_process("Tim Penilai Kinerja")}, None)
    group_task = start(eng, org, "budi", "p_one")["isi"]
    group_instance = instance_of(eng, group_task)
    assert viewers(eng, org, group_instance) == chain | TIM
    instances.claim_task(eng, org["bambang"], group_task)
    assert viewers(eng, org, group_instance) == chain | {"bambang"}  # claimed by someone else: not hendra, nur
    assert viewers(eng, org, instance_of(eng, first)) == chain  # a claim in another instance grants nothing
    instances.complete_task(eng, org["bambang"], group_task, {})
    assert viewers(eng, org, group_instance) == chain | {"bambang"}
