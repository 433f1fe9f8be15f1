"""The SMK models' waiting steps (``waitingStep``): the employee waiting for the superior's RHK, the assessor
waiting for the unit's rating or for the unit's curve decision. Each is marked in its model, so the inbox shows
it apart from the work, the navigation's badge leaves it out, and Tim saya counts no assessment due for it."""

from __future__ import annotations

from pathlib import Path

from lxml import etree
from sqlalchemy import select

from engine.core import Engine
from engine.db.runtime import TaskIndex
from engine.deploy.bundles import NS
from engine.queries.inbox import inbox_view
from engine.services import inbox, migration
from engine.services.deployments import deploy, read_folder
from processes.queries import my_team

from .conftest import open_tasks
from .helpers_skp import start_planning
from .test_penilaian import start_assessment

SMK = Path(__file__).resolve().parents[2] / "bpmn" / "smk"
WAITING_FORMS = {"smk_menunggu_atasan", "smk_menunggu_kurva", "smk_menunggu_predikat_unit"}


def test_the_user_tasks_with_a_waiting_form_and_only_they_are_waiting_steps() -> None:
    marked, waiting_forms = set(), set()
    for path in sorted(SMK.glob("*.bpmn")):
        for task in etree.parse(str(path)).getroot().iter(f"{{{NS['bpmn']}}}userTask"):
            props = {p.get("name"): p.get("value") for p in task.iterfind(".//spiffworkflow:property", NS)}
            form = (props.get("formJsonSchemaFilename") or "").removesuffix(".schema.json")
            if props.get("waitingStep") == "true":
                marked.add((path.name, task.get("id")))
            if form in WAITING_FORMS:
                waiting_forms.add((path.name, task.get("id")))
    assert marked == waiting_forms == {("smk_perencanaan.bpmn", "menunggu_atasan"),
                                       ("smk_penilaian.bpmn", "menunggu_kurva"),
                                       ("smk_penilaian.bpmn", "menunggu_predikat_unit")}


def _waiting(smk: Engine, task_id: str) -> bool:
    with smk.session_factory() as s:
        return bool(s.scalar(select(TaskIndex.waiting).where(TaskIndex.id == task_id)))


def test_the_employee_waiting_for_the_superiors_rhk_has_no_task_due(smk: Engine, org: dict[str, int]) -> None:
    agus = org["agus"]
    start_planning(smk, org, "agus")  # Ratna's planning has not started: Agus waits for her RHK
    [wait] = open_tasks(smk, "menunggu_atasan", agus)
    assert _waiting(smk, wait.id)
    assert inbox.count(smk, agus) == 0 and inbox.inbox(smk, agus).total == 0
    view = inbox_view(smk, agus)
    assert view.open_tasks == 0 and [i.id for i in view.waiting_steps.items] == [wait.id]


def test_the_assessor_waiting_for_the_unit_rating_has_no_assessment_due(smk: Engine, org: dict[str, int]) -> None:
    ratna, hartono = org["ratna"], org["hartono"]
    start_assessment(smk, org, "ratna", "C", "2023")  # no rating of Ratna's unit yet: Hartono waits for it
    [wait] = open_tasks(smk, "menunggu_predikat_unit", ratna)
    assert _waiting(smk, wait.id)
    team = my_team(smk, hartono)
    assert team.assessments_due == 0 and [m.waiting_for_me for m in team.members if m.id == ratna] == [0]
    assert team.curve_waits == 0  # a wait for the unit's rating is no wait for the curve
    assert inbox.count(smk, hartono) == 0
    assert [i.id for i in inbox_view(smk, hartono).waiting_steps.items] == [wait.id]


def test_an_assessment_waiting_on_the_version_before_the_flag_moves_and_becomes_a_waiting_step(
        smk: Engine, org: dict[str, int]) -> None:
    # An agency deploying this version mid-assessment: its cases already standing on a waiting step (deployed
    # without the flag) move to it, and their open step is then listed and counted as a waiting step. The unit's
    # case renamed its lane (Pimpinan Unit Kerja) meanwhile: a completed step's lane does not hold a case back.
    ratna, hartono = org["ratna"], org["hartono"]
    current = read_folder(SMK)
    before = {name: content.replace(b'<spiffworkflow:property name="waitingStep" value="true"/>', b"")
              .replace(b'name="Pimpinan Unit Kerja"', b'name="Pegawai"') for name, content in current.items()}
    assert before != current
    deploy(smk, before, org["admin"], name="bpmn/smk")
    case = start_assessment(smk, org, "ratna", "C", "2023")
    [wait] = open_tasks(smk, "menunggu_predikat_unit", ratna)
    assert not _waiting(smk, wait.id) and inbox.count(smk, hartono) == 1  # the old version: counted as work
    deploy(smk, current, org["admin"], name="bpmn/smk")
    plan = migration.plan(smk, "smk_penilaian", actor_id=org["admin"])
    assert case in plan.movable and plan.blocked == []
    assert case in migration.migrate_all(smk, "smk_penilaian", actor_id=org["admin"]).moved
    assert _waiting(smk, wait.id) and inbox.count(smk, hartono) == 0
    assert [i.id for i in inbox_view(smk, hartono).waiting_steps.items] == [wait.id]
