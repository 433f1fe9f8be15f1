"""The deployment page shows what changed since the bundle's previous deployment: a list per process,
decision table and form, and markers on the diagram for added and changed steps."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from engine.core import Engine
from engine.services.deployments import deploy, read_folder

from ..conftest import BPMN
from .conftest import Auth


def _redeploy_changed_demo(eng: Engine) -> tuple[int, int]:
    files = read_folder(BPMN / "demo")
    first = deploy(eng, files, None, name="demo")
    changed = dict(files)
    changed["demo_predikat.dmn"] = files["demo_predikat.dmn"].replace(b'"Baik"', b'"Cukup"', 1)
    bpmn = files["demo_penilaian.bpmn"].decode()
    match = re.search(r'<bpmn:userTask id="([^"]+)" name="([^"]+)"', bpmn)
    assert match is not None
    task_id, name = match.groups()
    changed["demo_penilaian.bpmn"] = bpmn.replace(f'name="{name}"', f'name="{name} (baru)"', 1).encode()
    second = deploy(eng, changed, None, name="demo", note="ubah nama langkah dan satu baris tabel")
    return first.deployment_id, second.deployment_id, task_id  # type: ignore[return-value]


def test_changes_list_and_diagram_markers(client: FlaskClient, auth: Auth, demo_deployed: Engine) -> None:
    first, second, task_id = _redeploy_changed_demo(demo_deployed)  # type: ignore[misc]
    auth.login("pemilik")
    page = client.get(f"/proses/deployments/{second}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-testid="changes"' in html and f"/proses/deployments/{first}" in html
    assert 'data-change-ref="demo_predikat"' in html and "&#34;Cukup&#34;" in html
    assert f'data-element="{task_id}"' in html and "(baru)" in html
    marked = re.search(r'data-changed="([^"]*)"', html)
    assert marked is not None and task_id in marked.group(1).split()  # the diagram marks the renamed step


def test_first_deployment_of_a_bundle_has_no_changes_section(client: FlaskClient, auth: Auth,
                                                             demo_deployed: Engine) -> None:
    first = deploy(demo_deployed, read_folder(BPMN / "demo"), None, name="demo").deployment_id
    auth.login("pemilik")
    html = client.get(f"/proses/deployments/{first}").get_data(as_text=True)
    assert 'data-testid="changes"' not in html


def test_an_unchanged_redeploy_under_a_new_name_says_no_change(client: FlaskClient, auth: Auth,
                                                                demo_deployed: Engine) -> None:
    files = read_folder(BPMN / "demo")
    files["demo_tinjau.uischema.json"] = files["demo_tinjau.uischema.json"] + b"\n"  # same JSON, new bundle hash
    second = deploy(demo_deployed, files, None, name="demo").deployment_id
    auth.login("admin")
    html = client.get(f"/proses/deployments/{second}").get_data(as_text=True)
    assert "No change in processes, decision tables or forms." in html or "Tidak ada perubahan" in html


def test_employees_cannot_see_changes(client: FlaskClient, auth: Auth, demo_deployed: Engine) -> None:
    _, second, _ = _redeploy_changed_demo(demo_deployed)  # type: ignore[misc]
    auth.login("budi")
    assert client.get(f"/proses/deployments/{second}").status_code == 403
