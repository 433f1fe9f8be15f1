"""Export a deployment as a zip (ours or SpiffArena's layout) and deploy a zip from the deploy page."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.core import Engine
from engine.db.deploy import Deployment
from engine.services.bundle_zip import export_zip
from engine.services.deployments import read_folder

from ..conftest import BPMN
from .conftest import Auth, csrf_token


def _demo_id(eng: Engine) -> int:
    with eng.session_factory() as s:
        return int(s.scalar(select(Deployment.id).where(Deployment.name == "demo")) or 0)


def _count(eng: Engine) -> int:
    with eng.session_factory() as s:
        return s.scalar(select(func.count(Deployment.id))) or 0


@pytest.mark.parametrize("fmt", ["", "spiffarena"])
def test_export_is_a_zip_of_the_deployment(fmt: str, client: FlaskClient, auth: Auth, demo_deployed: Engine) -> None:
    auth.login("pemilik")
    dep = _demo_id(demo_deployed)
    page = client.get(f"/proses/deployments/{dep}").get_data(as_text=True)
    assert f"/proses/deployments/{dep}/ekspor" in page
    response = client.get(f"/proses/deployments/{dep}/ekspor" + (f"?format={fmt}" if fmt else ""))
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        names = archive.namelist()
    if fmt:
        assert "process_group.json" in names and any(n.endswith("/process_model.json") for n in names)
    else:
        assert set(names) == set(read_folder(BPMN / "demo"))


def test_employees_cannot_export(client: FlaskClient, auth: Auth, demo_deployed: Engine) -> None:
    auth.login("budi")
    assert client.get(f"/proses/deployments/{_demo_id(demo_deployed)}/ekspor").status_code == 403


def _deploy_zip(client: FlaskClient, data: bytes, name: str = "bundle.zip"):
    return client.post("/proses/deploy", data={
        "csrf_token": csrf_token(client, "/proses/deploy"), "name": "dari zip", "note": "impor",
        "files": (io.BytesIO(data), name)}, content_type="multipart/form-data", follow_redirects=True)


def test_a_spiffarena_zip_deploys_from_the_deploy_page(client: FlaskClient, auth: Auth, eng: Engine) -> None:
    auth.login("pemilik")
    files = read_folder(BPMN / "demo")
    files["demo_predikat.dmn"] = files["demo_predikat.dmn"].replace(b'"Baik"', b'"Cukup"', 1)  # a new version
    before = _count(eng)
    response = _deploy_zip(client, export_zip(files, "spiffarena", "Demo"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and _count(eng) == before + 1
    assert re.search("SpiffArena", html)
    assert "demo_penilaian" in html


def test_a_bad_zip_is_refused_with_a_message_and_nothing_stored(client: FlaskClient, auth: Auth, eng: Engine) -> None:
    auth.login("pemilik")
    before = _count(eng)
    traversal = io.BytesIO()
    with zipfile.ZipFile(traversal, "w") as archive:
        archive.writestr("../x.bpmn", "<x/>")
    for data, message in ((b"not a zip at all", ("not a zip", "bukan arsip zip")),
                          (traversal.getvalue(), ("unsafe path", "jalur yang tidak aman"))):
        response = _deploy_zip(client, data)
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert any(m in html for m in message), html[:2000]
    assert _count(eng) == before


def test_the_owners_draft_exports_as_a_zip(client: FlaskClient, auth: Auth, demo_deployed: Engine) -> None:
    from engine.services import workspace as ws

    with demo_deployed.session_factory() as s:
        from engine.db.org import User

        pemilik = int(s.scalar(select(User.id).where(User.username == "pemilik")) or 0)
    key = ws.bundle_key("demo")
    revision = ws.open_workspace(demo_deployed, pemilik, key).revision
    changed = read_folder(BPMN / "demo")["demo_predikat.dmn"].replace(b'"Baik"', b'"Cukup"', 1)
    ws.save_file(demo_deployed, pemilik, key, "demo_predikat.dmn", changed, revision)
    auth.login("pemilik")
    assert 'id="ws-export"' in client.get(f"/proses/ruang-kerja/{key}").get_data(as_text=True)
    response = client.get(f"/proses/ruang-kerja/{key}/ekspor")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert archive.read("demo_predikat.dmn") == changed  # the draft's version, not the deployed one
        assert set(archive.namelist()) == set(read_folder(BPMN / "demo"))
    auth.logout()
    auth.login("budi")
    assert client.get(f"/proses/ruang-kerja/{key}/ekspor").status_code == 403
