"""A model that loops forever is stopped, its instance errored, and the server keeps answering."""

from __future__ import annotations

import re
import time

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.core import Engine
from engine.db.runtime import Instance
from engine.sandbox import SandboxLimits
from engine.services import instances
from engine.services.deployments import deploy
from processes.extension import extensions
from tests.engine.helpers import one_script_process
from tools.bpmn_builder import Process, document
from webapp import create_app

from .conftest import Auth


@pytest.fixture
def looping_app(db_url: str, clock, org: dict[str, int], tmp_path) -> Flask:
    # A short CPU limit keeps the test fast; the default is 2 s.
    eng = Engine(db_url, extensions=extensions(), clock=clock, limits=SandboxLimits(cpu_seconds=0.3))
    deploy(eng, {"loop.bpmn": one_script_process("n = 0\nwhile True:\n    n = n + 1")}, None)
    return create_app({"TESTING": True, "SECRET_KEY": "t", "INSTANCE_PATH": str(tmp_path / "i"),
                       "DATABASE_URL": db_url}, engine=eng)


def test_infinite_loop_errors_the_instance_and_the_server_still_answers(looping_app: Flask,
                                                                        org: dict[str, int]) -> None:
    eng: Engine = looping_app.extensions["smk_engine"]
    client: FlaskClient = looping_app.test_client()
    started = instances.start_instance(eng, "p_script", org["admin"], org["budi"], "2024")
    Auth(client).login("budi")
    page = client.get(f"/tasks/{started.ready_task_ids[0]}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(f"/tasks/{started.ready_task_ids[0]}", data={"csrf_token": token},
                           follow_redirects=True)
    assert response.status_code == 200
    assert "Proses berhenti karena galat" in response.get_data(as_text=True)
    with eng.session_factory() as s:
        inst = s.get(Instance, started.id)
    assert inst.status == "error" and inst.error_task == "Run script"
    assert "time" in inst.error_message.lower() or "cpu" in inst.error_message.lower()
    assert client.get("/health").status_code == 200
    assert client.get("/").status_code == 200
    # Other instances keep running.
    other = instances.start_instance(eng, "p_script", org["admin"], org["siti"], "2024")
    assert other.status == "running"


def test_instructions_are_rendered_in_a_jinja_sandbox_and_sanitised() -> None:
    from webapp.markdown import render_instructions

    html = str(render_instructions("Halo **{{ nama }}** {{ ''.__class__.__mro__ }}<script>alert(1)</script>",
                                   {"nama": "<b>Budi</b>"}))
    assert "<strong>&lt;b&gt;Budi&lt;/b&gt;</strong>" in html
    assert "<script>" not in html and "object" not in html


# The condition of issue 16: hashing a 300,000-deep tuple overflows the C stack. In-process it killed the server.
SEGFAULT = "[(t := (t,)) for i in range(300000)] and len({t}) if (t := ()) == () else 0"
SLOW_INSTRUCTIONS = "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}Isi **laporan**"


def _hostile_process() -> bytes:
    """start -> 'first' (with slow instructions) -> gateway (segfault condition) -> 'second' | 'other' -> end."""
    p = Process("p_hostile", "Hostile model", lanes=["Pegawai"])
    p.start("s", lane="Pegawai", col=0)
    p.user("first", "First", lane="Pegawai", col=1, instructions=SLOW_INSTRUCTIONS)
    p.gateway("gw", "Check", lane="Pegawai", col=2, default="f_gw_second")
    p.user("second", "Second", lane="Pegawai", col=3)
    p.user("other", "Other", lane="Pegawai", col=3)
    p.end("e", lane="Pegawai", col=4)
    p.chain("s", "first", "gw")
    p.flow("gw", "other", condition=SEGFAULT)
    p.flow("gw", "second", id="f_gw_second")
    p.flow("second", "e")
    p.flow("other", "e")
    return document(p).encode()


@pytest.fixture
def hostile_app(db_url: str, clock, org: dict[str, int], tmp_path) -> Flask:
    eng = Engine(db_url, extensions=extensions(), clock=clock)
    deploy(eng, {"hostile.bpmn": _hostile_process()}, None)  # it passes deploy: only running it shows the crash
    return create_app({"TESTING": True, "SECRET_KEY": "t", "INSTANCE_PATH": str(tmp_path / "i"),
                       "DATABASE_URL": db_url}, engine=eng)


def test_segfault_condition_errors_its_instance_and_the_server_keeps_answering(hostile_app: Flask,
                                                                                org: dict[str, int]) -> None:
    eng: Engine = hostile_app.extensions["smk_engine"]
    client: FlaskClient = hostile_app.test_client()
    started = instances.start_instance(eng, "p_hostile", org["admin"], org["budi"], "2024")
    Auth(client).login("budi")
    t0 = time.monotonic()
    page = client.get(f"/tasks/{started.ready_task_ids[0]}")
    # The instructions loop 10**8 times: stopped after 1 s of CPU in a sandbox process, shown as raw text.
    assert page.status_code == 200 and time.monotonic() - t0 < 15
    assert "range(10000)" in page.get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = client.post(f"/tasks/{started.ready_task_ids[0]}", data={"csrf_token": token},
                           follow_redirects=True)
    assert response.status_code == 200
    with eng.session_factory() as s:
        inst = s.get(Instance, started.id)
    assert inst.status == "error" and inst.error_task == "Check"
    assert "SandboxCrash" in inst.error_message and "SIGSEGV" in inst.error_message
    assert client.get("/health").status_code == 200
    assert client.get("/").status_code == 200
    # The server still runs models: another instance starts, and the same model errors again, cleanly.
    again = instances.start_instance(eng, "p_hostile", org["admin"], org["siti"], "2024")
    assert again.status == "running"
    assert eng.runtime.script_engine.environment.evaluate("1 + 1", {}) == 2
