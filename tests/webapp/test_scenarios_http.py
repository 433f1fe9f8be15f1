"""Scenario tests over HTTP (issue 11): "Run scenarios" in the workspace per role, a deploy refused when a scenario
fails (deploy page and workspace), an administrator's override with a written reason shown on the deployment page,
and a process owner's reason ignored."""

from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.core import Engine
from engine.db.deploy import Deployment
from engine.services.deployments import deploy
from tests.engine.test_scenarios import PASSING, WRONG_END, bundle

from .conftest import Auth, csrf_token

ROLES = ["anonymous", "budi", "dewi", "indah", "pemilik", "admin"]
MANAGERS = {"pemilik", "admin"}
KEY = "uji"
RUN = f"/proses/ruang-kerja/{KEY}/api/scenarios"


@pytest.fixture
def uji(demo_deployed: Engine, org: dict[str, int]) -> Engine:
    """A bundle "uji" deployed with one passing scenario (so it can be opened in the workspace)."""
    deploy(demo_deployed, bundle(lulus=PASSING), org["pemilik"], name="uji")
    return demo_deployed


def count(eng: Engine) -> int:
    with eng.session_factory() as s:
        return s.scalar(select(func.count(Deployment.id))) or 0


def run(client: FlaskClient):
    return client.post(RUN, headers={"X-CSRFToken": csrf_token(client, "/")})


def break_scenario(client: FlaskClient) -> None:
    """Save, in the logged-in owner's draft, a second scenario that expects a wrong value."""
    loaded = client.get(f"/proses/ruang-kerja/{KEY}/api/files/lulus.scenario.json").get_json()
    response = client.put(f"/proses/ruang-kerja/{KEY}/api/files/beda.scenario.json",
                          json={"content": WRONG_END.decode(), "revision": loaded["revision"]},
                          headers={"X-CSRFToken": csrf_token(client, "/")})
    assert response.status_code == 200, response.get_data(as_text=True)


@pytest.mark.parametrize("role", ROLES)
def test_run_scenarios_per_role(role: str, client: FlaskClient, auth: Auth, uji: Engine) -> None:
    if role != "anonymous":
        auth.login(role)
    response = client.post(RUN, headers={"X-CSRFToken": csrf_token(client, "/login" if role == "anonymous" else "/")})
    if role == "anonymous":
        assert response.status_code == 401
    elif role not in MANAGERS:
        assert response.status_code == 403
    else:
        body = response.get_json()
        assert response.status_code == 200 and body["ok"] is True and (body["passed"], body["total"]) == (1, 1)
        assert 'data-passed="true"' in body["html"] and "lulus.scenario.json" in body["html"]


def test_run_scenarios_needs_the_csrf_token(client: FlaskClient, auth: Auth, uji: Engine) -> None:
    auth.login("pemilik")
    assert client.post(RUN).status_code == 400


def test_the_workspace_page_offers_the_action(client: FlaskClient, auth: Auth, uji: Engine) -> None:
    auth.login("pemilik")
    page = client.get(f"/proses/ruang-kerja/{KEY}").get_data(as_text=True)
    assert 'id="ws-run-scenarios"' in page and "js/workspace_scenarios.js" in page
    assert "<script>" not in page.split('data-testid="ws-scenarios"')[1].split("</section>")[0]


def test_a_failing_draft_scenario_is_shown_with_its_values_and_blocks_the_workspace_deploy(
        client: FlaskClient, auth: Auth, uji: Engine) -> None:
    auth.login("pemilik")
    break_scenario(client)
    body = run(client).get_json()
    assert body["ok"] is False and (body["passed"], body["total"]) == (1, 2)
    [failed] = [r for r in body["results"] if not r["passed"]]
    assert failed["file"] == "beda.scenario.json" and failed["differences"] == [
        {"what": "nilai", "expected": "40", "actual": "42"}]
    assert 'data-passed="false"' in body["html"] and "<code>40</code>" in body["html"]

    before = count(uji)
    refused = client.post(f"/proses/ruang-kerja/{KEY}/deploy",
                          data={"note": "x", "override_reason": "tetap", "csrf_token": csrf_token(client, "/")})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and count(uji) == before
    assert "beda.scenario.json" in page and "Nilai berbeda / A value differs" in page
    assert 'data-testid="override-admin-only"' in page and 'name="override_reason"' not in page


def test_an_administrator_deploys_the_workspace_draft_anyway_with_a_reason(client: FlaskClient, auth: Auth,
                                                                          uji: Engine) -> None:
    auth.login("admin")
    break_scenario(client)
    refused = client.post(f"/proses/ruang-kerja/{KEY}/deploy", data={"note": "x", "csrf_token": csrf_token(client, "/")})
    assert refused.status_code == 422 and 'name="override_reason"' in refused.get_data(as_text=True)
    done = client.post(f"/proses/ruang-kerja/{KEY}/deploy",
                       data={"note": "x", "override_reason": "Skenario lama, aturan baru berlaku",
                             "csrf_token": csrf_token(client, "/")})
    assert done.status_code == 302
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="override-reason"' in page and "Skenario lama, aturan baru berlaku" in page
    assert "beda.scenario.json" in page


def _upload(client: FlaskClient, files: dict[str, bytes], **form: str):
    data = {"csrf_token": csrf_token(client, "/"), "name": "uji", **form,
            "files": [(io.BytesIO(content), name) for name, content in files.items()]}
    return client.post("/proses/deploy", data=data, content_type="multipart/form-data")


@pytest.mark.parametrize("role", ["pemilik", "admin"])
def test_the_deploy_page_refuses_a_failing_scenario_and_only_an_administrator_may_override(
        role: str, client: FlaskClient, auth: Auth, uji: Engine) -> None:
    auth.login(role)
    files = bundle(lulus=PASSING, beda=WRONG_END)
    before = count(uji)
    refused = _upload(client, files)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and count(uji) == before
    assert "beda.scenario.json" in page and "nilai: 40 → 42" in page
    assert ('name="override_reason"' in page) == (role == "admin")
    reason = "Aturan baru berlaku 1 April; skenario diperbarui minggu depan"
    answer = _upload(client, files, override_reason=reason)
    if role == "pemilik":  # a process owner's reason is ignored: still refused
        assert answer.status_code == 422 and count(uji) == before
        return
    assert answer.status_code == 302 and count(uji) == before + 1
    shown = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert reason in shown and ("1 of 2 scenarios passed" in shown or "1 dari 2 skenario lulus" in shown)


def test_a_deployment_whose_scenarios_passed_says_so(client: FlaskClient, auth: Auth, uji: Engine) -> None:
    auth.login("pemilik")
    with uji.session_factory() as s:
        dep = s.scalar(select(Deployment.id).where(Deployment.name == "uji"))
    page = client.get(f"/proses/deployments/{dep}").get_data(as_text=True)
    assert 'data-testid="scenarios"' in page and 'data-testid="override-reason"' not in page
    assert "1 of 1 scenarios passed" in page or "1 dari 1 skenario lulus" in page
