"""Every view's permissions, per role: employee, another employee, assessor, assessor's superior, HR,
process owner, administrator and anonymous. Objects a user may not see answer 404 (never 403: no hints);
whole sections closed to a role (process models: process owners and administrators only) answer 403."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.core import Engine
from engine.db.deploy import DeploymentFile
from engine.services import documents, instances

from .conftest import Auth, csrf_token


@dataclass
class World:
    task_id: str
    instance_id: int
    document_id: int
    deployment_id: int
    deployment_file_id: int


@pytest.fixture
def world(demo_deployed: Engine, org: dict[str, int]) -> World:
    started = instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], "2024")
    task_id = started.ready_task_ids[0]
    ref = documents.store_upload(demo_deployed, org["budi"], task_id, "bukti", "notulen.pdf", b"%PDF-1.4 notulen")
    with demo_deployed.session_factory() as s:
        deployment_file = s.scalars(select(DeploymentFile).order_by(DeploymentFile.id)).first()
        assert deployment_file is not None
    return World(task_id, started.id, ref.id, deployment_file.deployment_id, deployment_file.id)


ROLES = ["anonymous", "budi", "siti", "dewi", "agus", "indah", "pemilik", "admin"]
SEES_INSTANCE = {"budi", "dewi", "agus", "indah", "pemilik", "admin"}  # subject, assessors, overseers
MANAGES_MODELS = {"pemilik", "admin"}  # process owners and administrators: /proses

# view -> expected status per role (anonymous is always sent to the login page)
VIEWS = {
    "inbox": ("/", {r: 200 for r in ROLES[1:]}),
    "skp": ("/skp", {r: 200 for r in ROLES[1:]}),
    "team": ("/team", {r: 200 for r in ROLES[1:]}),
    "task": ("/tasks/{task}", {r: (200 if r == "budi" else 404) for r in ROLES[1:]}),
    "instance": ("/instances/{instance}", {r: (200 if r in SEES_INSTANCE else 404) for r in ROLES[1:]}),
    "skp_document": ("/instances/{instance}/dokumen/skp",
                     {r: (200 if r in SEES_INSTANCE else 404) for r in ROLES[1:]}),
    "evaluation_document": ("/instances/{instance}/dokumen/evaluasi",
                            {r: (200 if r in SEES_INSTANCE else 404) for r in ROLES[1:]}),
    "uploaded_file": ("/documents/{document}", {r: (200 if r in SEES_INSTANCE else 404) for r in ROLES[1:]}),
    "unknown_document_kind": ("/instances/{instance}/dokumen/rahasia", {r: 404 for r in ROLES[1:]}),
    "missing_instance": ("/instances/999999", {r: 404 for r in ROLES[1:]}),
    "process_models": ("/proses", {r: (200 if r in MANAGES_MODELS else 403) for r in ROLES[1:]}),
    "deploy_form": ("/proses/deploy", {r: (200 if r in MANAGES_MODELS else 403) for r in ROLES[1:]}),
    "deployment": ("/proses/deployments/{deployment}", {r: (200 if r in MANAGES_MODELS else 403) for r in ROLES[1:]}),
    "deployment_file": ("/proses/deployments/{deployment}/files/{deployment_file}",
                        {r: (200 if r in MANAGES_MODELS else 403) for r in ROLES[1:]}),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("view", list(VIEWS))
def test_view_permissions(view: str, role: str, client: FlaskClient, auth: Auth, world: World) -> None:
    template, expected = VIEWS[view]
    path = template.format(task=world.task_id, instance=world.instance_id, document=world.document_id,
                           deployment=world.deployment_id, deployment_file=world.deployment_file_id)
    if role != "anonymous":
        auth.login(role)
    response = client.get(path)
    if role == "anonymous":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == expected[role], f"{role} on {path}"


@pytest.mark.parametrize("role", ["siti", "dewi", "indah", "admin"])
@pytest.mark.parametrize("action", ["claim", "release", ""])
def test_acting_on_someone_elses_task_is_not_found(role: str, action: str, client: FlaskClient, auth: Auth,
                                                   world: World) -> None:
    auth.login(role)
    path = f"/tasks/{world.task_id}/{action}".rstrip("/")
    response = client.post(path, data={"csrf_token": csrf_token(client, "/"), "ringkasan": "bukan milik saya"})
    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/tasks/x/claim", "/tasks/x/release", "/lang/en", "/logout", "/proses/deploy"])
def test_every_post_needs_a_csrf_token(path: str, client: FlaskClient, auth: Auth) -> None:
    auth.login("budi")
    assert client.post(path).status_code == 400


def test_anonymous_cannot_post_to_a_task(client: FlaskClient, world: World) -> None:
    response = client.post(f"/tasks/{world.task_id}", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_downloads_are_never_rendered_as_html(client: FlaskClient, auth: Auth, world: World,
                                              demo_deployed: Engine, org: dict[str, int]) -> None:
    ref = documents.store_upload(demo_deployed, org["budi"], world.task_id, "bukti", "catatan.txt",
                                 b"<script>alert(1)</script>")
    auth.login("budi")
    response = client.get(f"/documents/{ref.id}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.mimetype == "application/octet-stream"
    assert "sandbox" in response.headers["Content-Security-Policy"]
