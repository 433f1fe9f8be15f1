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


def _two_versions_with_running(eng: Engine, org: dict[str, int], compatible: bool = True) -> list[int]:
    from engine.services.instances import start_instance
    from tests.engine.test_migration import model

    deploy(eng, {"m.bpmn": model()}, None, name="mig")
    started = [start_instance(eng, "p_mig", org["admin"], org["budi"], f"2024-{n}").id for n in range(3)]
    deploy(eng, {"m.bpmn": model(reminder='"P9D"') if compatible else model(with_isi=False)}, None, name="mig")
    return started


def test_migration_page_moves_the_movable_instances(client: FlaskClient, auth: Auth, eng: Engine,
                                                    org: dict[str, int]) -> None:
    from engine.services.diff import previous_deployment  # noqa: F401  (the page links from the deployment)

    started = _two_versions_with_running(eng, org)
    auth.login("pemilik")
    with eng.session_factory() as s:
        from sqlalchemy import select

        from engine.db.deploy import Deployment

        newest = s.scalar(select(Deployment.id).order_by(Deployment.id.desc()))
    deployment = client.get(f"/proses/deployments/{newest}").get_data(as_text=True)
    assert 'data-testid="migrate-link"' in deployment and "/proses/migrasi/p_mig/2" in deployment
    page = client.get("/proses/migrasi/p_mig/2")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="movable">3<' in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    unconfirmed = client.post("/proses/migrasi/p_mig/2", data={"csrf_token": token})
    assert unconfirmed.status_code == 302
    assert 'data-testid="movable">3<' in client.get("/proses/migrasi/p_mig/2").get_data(as_text=True)
    done = client.post("/proses/migrasi/p_mig/2", data={"csrf_token": token, "confirm": "yes"},
                       follow_redirects=True)
    html = done.get_data(as_text=True)
    assert 'data-testid="progress"' in html and 'data-testid="on-target">3<' in html
    assert 'data-testid="movable">0<' in html and 'data-testid="nothing"' in html
    assert len(started) == 3


def test_migration_page_lists_why_instances_cannot_move(client: FlaskClient, auth: Auth, eng: Engine,
                                                        org: dict[str, int]) -> None:
    started = _two_versions_with_running(eng, org, compatible=False)
    auth.login("admin")
    html = client.get("/proses/migrasi/p_mig/2").get_data(as_text=True)
    assert 'data-testid="blocked">3<' in html
    for instance_id in started:
        assert f'data-blocked="{instance_id}"' in html
    assert "&#39;Isi&#39; (isi)" in html


def test_migration_page_is_for_process_owners_only(client: FlaskClient, auth: Auth, eng: Engine,
                                                   org: dict[str, int]) -> None:
    _two_versions_with_running(eng, org)
    assert client.get("/proses/migrasi/p_mig/2").status_code == 302  # anonymous: the login page
    auth.login("budi")
    assert client.get("/proses/migrasi/p_mig/2").status_code == 403
    assert client.post("/proses/migrasi/p_mig/2", data={"confirm": "yes"}).status_code in (400, 403)
    auth.logout()
    auth.login("pemilik")
    assert client.get("/proses/migrasi/p_mig/9").status_code == 404
    assert client.get("/proses/migrasi/nope/1").status_code == 404
