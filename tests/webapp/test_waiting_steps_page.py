"""The inbox page: a waiting step (``waitingStep``) is listed under the work in its own section with its own count,
and the navigation's badge and the tabs count the work only."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from engine.core import Engine
from engine.services import instances
from engine.services.deployments import deploy
from tests.engine.test_notifications import one_task_process
from tests.engine.test_waiting_steps import waiting_process

from .conftest import Auth


def _number(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>(\d+)<', html)
    assert found, testid
    return found.group(1)


def test_the_inbox_shows_a_waiting_step_apart_and_counts_only_the_work(
        demo_deployed: Engine, org: dict[str, int], client: FlaskClient, auth: Auth) -> None:
    eng = demo_deployed
    deploy(eng, {"one.bpmn": one_task_process("Pegawai"), "tunggu.bpmn": waiting_process()}, None)
    work = instances.start_instance(eng, "p_one", org["admin"], org["budi"], "2024").ready_task_ids[0]
    wait = instances.start_instance(eng, "p_tunggu", org["admin"], org["budi"], "2024").ready_task_ids[0]
    auth.login("budi")
    html = client.get("/").get_data(as_text=True)
    section = html.index('data-testid="waiting-steps"')
    assert html.index(f"/tasks/{work}") < section  # the work first
    assert f"/tasks/{wait}" not in html[:section] and f"/tasks/{wait}" in html[section:]  # the step in its section
    assert "Menunggu pihak lain" in html[section:]
    assert _number(html, "waiting-count") == "1" and _number(html, "task-count") == "1"
    assert "1 tugas" in html[:section]  # the work's table caption

    # Another page's navigation counts the work only too (its own count, not the inbox's); SKP saya marks the
    # work as his turn and the waiting step as waiting.
    skp = client.get("/skp").get_data(as_text=True)
    assert _number(skp, "task-count") == "1"
    for task, mark in ((work, "giliran Anda"), (wait, "Menunggu pihak lain")):
        line = skp[skp.index(f"/tasks/{task}"):]
        assert line.index(mark) < line.index("</li>"), task

    # Only the waiting step left: the empty inbox says there is nothing to do, and still shows the step.
    instances.complete_task(eng, org["budi"], work, {})
    html = client.get("/").get_data(as_text=True)
    assert _number(html, "task-count") == "0" and _number(html, "waiting-count") == "1"
    assert html.index('class="card shadow-sm empty-state"') < html.index('data-testid="waiting-steps"')
    assert f"/tasks/{wait}" in html

    # In English the section is "Waiting for others".
    client.post("/lang/en", data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)})
    assert "Waiting for others" in client.get("/").get_data(as_text=True)


def test_tim_saya_does_not_call_a_waiting_step_the_assessors_turn(
        demo_deployed: Engine, org: dict[str, int], client: FlaskClient, auth: Auth) -> None:
    # The assessor's own waiting step (as Menunggu predikat unit): listed with the case, not as "your turn".
    from tools.bpmn_builder import Process, document

    p = Process("p_tunggu_pp", "Tunggu unit", lanes=["Pejabat Penilai"])
    p.start("s", lane="Pejabat Penilai", col=0)
    p.user("tunggu", "Menunggu predikat unit", lane="Pejabat Penilai", col=1, properties={"waitingStep": "true"})
    p.end("e", lane="Pejabat Penilai", col=2)
    p.chain("s", "tunggu", "e")
    deploy(demo_deployed, {"pp.bpmn": document(p).encode()}, None)
    wait = instances.start_instance(demo_deployed, "p_tunggu_pp", org["admin"], org["budi"], "2024").ready_task_ids[0]
    auth.login("dewi")
    html = client.get("/team?period=2024").get_data(as_text=True)
    assert "Menunggu predikat unit · " in html
    assert f'href="/tasks/{wait}">Menunggu predikat unit — giliran Anda' not in html
