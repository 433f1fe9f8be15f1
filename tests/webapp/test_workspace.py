"""The Model proses workspace (/proses/ruang-kerja) over HTTP: who may use each route, drafts that survive logging
out, the conflict between two process owners, discarding, validation problems located by file, line and element,
deploying and its refusals, the limits and bad input (never a 500, the draft kept, nothing deployed), the form
editor's preview, the audit trail, and the whole path of a rule change: pemilik edits one bound of
kurva_distribusi.dmn in the bundle "bpmn/rules", deploys it, and the decision has a new version."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.deploy import DecisionVersion, Deployment, DeploymentFile, ProcessVersion
from engine.db.workspace import WorkspaceDraft, WorkspaceDraftFile
from engine.deploy.bundles import MAX_FILE_BYTES
from engine.services import workspace as ws_service
from engine.services.deployments import deploy, read_folder
from webapp.form_preview import data_names, preview

from ..conftest import BPMN
from .conftest import Auth, csrf_token

ROLES = ["anonymous", "budi", "dewi", "pemilik", "admin"]
MANAGERS = {"pemilik", "admin"}
WS = "/proses/ruang-kerja"
DEMO = f"{WS}/demo"
API = f"{DEMO}/api"


# -- helpers ----------------------------------------------------------------------------------------------------

def _token(client: FlaskClient) -> str:
    return csrf_token(client, "/")


def _put(client: FlaskClient, filename: str, content: str, revision: int, key: str = "demo",
         token: str | None = None):
    return client.put(f"{WS}/{key}/api/files/{filename}", json={"content": content, "revision": revision},
                      headers={"X-CSRFToken": token or _token(client)})


def _get(client: FlaskClient, filename: str, key: str = "demo") -> dict[str, Any]:
    response = client.get(f"{WS}/{key}/api/files/{filename}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _edit(client: FlaskClient, filename: str, old: str, new: str, key: str = "demo") -> dict[str, Any]:
    """Load a file, replace one text in it, save it; return the answer of the save."""
    loaded = _get(client, filename, key)
    assert old in loaded["content"], f"{old!r} not in {filename}"
    response = _put(client, filename, loaded["content"].replace(old, new, 1), loaded["revision"], key)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _validate(client: FlaskClient, key: str = "demo") -> dict[str, Any]:
    response = client.post(f"{WS}/{key}/api/validate", headers={"X-CSRFToken": _token(client)})
    assert response.status_code == 200
    return response.get_json()


def _deploy(client: FlaskClient, note: str = "", key: str = "demo"):
    return client.post(f"{WS}/{key}/deploy", data={"note": note, "csrf_token": _token(client)})


def _count(eng: Engine, model: Any, *where: Any) -> int:
    with eng.session_factory() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _events(eng: Engine, kind: str) -> list[AuditEvent]:
    with eng.session_factory() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.id)))


def _second_client(app: Flask, username: str) -> FlaskClient:
    other = app.test_client()
    Auth(other).login(username)
    return other


def _demo_file(name: str) -> str:
    return (BPMN / "demo" / name).read_text(encoding="utf-8")


# -- who may do what --------------------------------------------------------------------------------------------

GETS = [WS, DEMO, f"{DEMO}?file=demo_predikat.dmn", f"{DEMO}?file=demo_tinjau.schema.json", f"{DEMO}/discard",
        f"{API}/files/demo_predikat.dmn"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", GETS)
def test_get_routes_per_role(path: str, role: str, client: FlaskClient, auth: Auth, demo_deployed: Engine) -> None:
    if role != "anonymous":
        auth.login(role)
    response = client.get(path)
    if role == "anonymous":
        if "/api/" in path:
            assert response.status_code == 401 and "error" in response.get_json()
        else:
            assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == (200 if role in MANAGERS else 403), f"{role} on {path}"


WRITES = [("PUT", f"{API}/files/demo_predikat.dmn", {"content": "<x/>", "revision": 0}),
          ("POST", f"{API}/validate", None),
          ("POST", f"{API}/form-preview", {"schema": "{}", "uischema": "{}"}),
          ("POST", f"{DEMO}/validate", {}),
          ("POST", f"{DEMO}/deploy", {"note": "x"}),
          ("POST", f"{DEMO}/discard", {"confirm": "yes"}),
          ("POST", f"{DEMO}/resolve", {"file": "demo_predikat.dmn", "keep": "draft"})]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method,path,body", WRITES)
def test_write_routes_per_role(method: str, path: str, body: Any, role: str, client: FlaskClient, auth: Auth,
                               demo_deployed: Engine) -> None:
    deployments = _count(demo_deployed, Deployment)
    if role != "anonymous":
        auth.login(role)
    token = csrf_token(client, "/login" if role == "anonymous" else "/")
    if "/api/" in path:
        response = client.open(path, method=method, json=body, headers={"X-CSRFToken": token})
    else:
        response = client.open(path, method=method, data={**(body or {}), "csrf_token": token})
    status = response.status_code
    if role == "anonymous":
        assert status == (401 if "/api/" in path else 302)
    elif role not in MANAGERS:
        assert status == 403
        assert _count(demo_deployed, WorkspaceDraft) == 0
    else:
        assert status in (200, 302, 404, 422), f"{role} {method} {path}: {status}"  # reached the view
        assert status != 500
    assert _count(demo_deployed, Deployment) == deployments  # none of these deploys a valid change


def test_writes_need_the_csrf_token(client: FlaskClient, auth: Auth, demo_deployed: Engine) -> None:
    auth.login("pemilik")
    loaded = _get(client, "demo_predikat.dmn")
    response = client.put(f"{API}/files/demo_predikat.dmn", json={"content": loaded["content"] + " ",
                                                                   "revision": loaded["revision"]})
    assert response.status_code == 400 and "error" in response.get_json()
    response = client.put(f"{API}/files/demo_predikat.dmn", json={"content": "x", "revision": 0},
                          headers={"X-CSRFToken": "not-the-token"})
    assert response.status_code == 400
    for path in (f"{API}/validate", f"{API}/form-preview"):
        assert client.post(path, json={}).status_code == 400
    for path in (f"{DEMO}/validate", f"{DEMO}/deploy", f"{DEMO}/discard", f"{DEMO}/resolve"):
        assert client.post(path, data={"note": "x", "confirm": "yes"}).status_code == 400
    assert _count(demo_deployed, WorkspaceDraft) == 0
    assert _events(demo_deployed, "workspace.validated") == []


def test_model_pages_link_to_the_workspace(client: FlaskClient, auth: Auth, demo_deployed: Engine) -> None:
    auth.login("pemilik")
    assert f'href="{WS}"' in client.get("/proses").get_data(as_text=True)
    with demo_deployed.session_factory() as s:
        dep = s.scalar(select(Deployment.id).where(Deployment.name == "demo"))
    page = client.get(f"/proses/deployments/{dep}").get_data(as_text=True)
    assert f'href="{DEMO}"' in page
    listing = client.get(WS).get_data(as_text=True)
    assert 'data-bundle="demo"' in listing and f'href="{DEMO}"' in listing


def test_unknown_bundle_and_file_are_not_found(client: FlaskClient, auth: Auth, demo_deployed: Engine) -> None:
    auth.login("pemilik")
    assert client.get(f"{WS}/no-such-bundle").status_code == 404
    response = client.get(f"{API}/files/nope.bpmn")
    assert response.status_code == 404 and response.get_json()["error"]
    assert client.get(f"{WS}/no-such-bundle/api/files/x.bpmn").status_code == 404


# -- drafts ------------------------------------------------------------------------------------------------------

def test_a_saved_draft_survives_logging_out(client: FlaskClient, auth: Auth, demo_deployed: Engine) -> None:
    auth.login("pemilik")
    before = _get(client, "demo_predikat.dmn")
    assert before["source"] == "deployed" and before["kind"] == "dmn"
    saved = _edit(client, "demo_predikat.dmn", '"Sangat Baik"', '"Sangat Baik (revisi)"')
    assert saved["revision"] > before["revision"]
    auth.logout()
    auth.login("pemilik")
    after = _get(client, "demo_predikat.dmn")
    assert after["source"] == "draft" and '"Sangat Baik (revisi)"' in after["content"]
    assert after["revision"] == saved["revision"]
    page = client.get(DEMO).get_data(as_text=True)
    assert 'data-testid="draft-state"' in page and "demo_predikat.dmn" in page
    assert re.search(r'data-file="demo_predikat.dmn">\s*<span[^>]*>demo_predikat.dmn</span>\s*<span class="badge', page)
    # Another owner still sees the deployed file, and that pemilik has a draft of it.
    admin = _second_client(client.application, "admin")
    assert _get(admin, "demo_predikat.dmn")["source"] == "deployed"
    other = admin.get(DEMO).get_data(as_text=True)
    assert 'data-testid="other-drafts"' in other and 'data-draft-owner="pemilik"' in other
    assert 'data-draft-owner="pemilik"' in admin.get(WS).get_data(as_text=True)


def test_two_owners_saving_the_same_file_get_a_conflict_never_an_overwrite(
        app: Flask, client: FlaskClient, auth: Auth, demo_deployed: Engine) -> None:
    auth.login("pemilik")
    admin = _second_client(app, "admin")
    mine, theirs = _get(client, "demo_predikat.dmn"), _get(admin, "demo_predikat.dmn")
    assert mine["revision"] == theirs["revision"]
    first = _put(client, "demo_predikat.dmn", mine["content"].replace('"Kurang"', '"Kurang (P)"', 1),
                 mine["revision"])
    assert first.status_code == 200
    late = _put(admin, "demo_predikat.dmn", theirs["content"].replace('"Baik"', '"Baik (A)"', 1), theirs["revision"])
    assert late.status_code == 409
    body = late.get_json()
    assert body["by"] == "pemilik" and body["at"] and body["revision"] == first.get_json()["revision"]
    assert "pemilik" in body["error"] and "demo_predikat.dmn" in body["error"]
    # Nothing of the admin's was stored; pemilik's draft is as saved.
    assert _get(admin, "demo_predikat.dmn")["source"] == "deployed"
    assert '"Kurang (P)"' in _get(client, "demo_predikat.dmn")["content"]
    # Saving another file is no conflict; reloading and saving again starts the admin's own draft.
    assert _put(admin, "demo_arsip.bpmn", _get(admin, "demo_arsip.bpmn")["content"] + "\n",
                theirs["revision"]).status_code == 200
    reloaded = _get(admin, "demo_predikat.dmn")
    again = _put(admin, "demo_predikat.dmn", reloaded["content"].replace('"Baik"', '"Baik (A)"', 1),
                 reloaded["revision"])
    assert again.status_code == 200
    # Now pemilik, still on the revision of their last save, is told about the admin's save.
    stale = _put(client, "demo_predikat.dmn", "<changed/>", first.get_json()["revision"])
    assert stale.status_code == 409 and stale.get_json()["by"] == "admin"
    assert '"Kurang (P)"' in _get(client, "demo_predikat.dmn")["content"]
    assert _count(demo_deployed, WorkspaceDraft) == 2


def test_the_same_owner_in_two_tabs_gets_a_conflict(client: FlaskClient, auth: Auth, demo_deployed: Engine) -> None:
    auth.login("pemilik")
    loaded = _get(client, "demo_predikat.dmn")
    assert _put(client, "demo_predikat.dmn", loaded["content"] + " ", loaded["revision"]).status_code == 200
    second_tab = _put(client, "demo_predikat.dmn", loaded["content"] + "  ", loaded["revision"])
    assert second_tab.status_code == 409 and second_tab.get_json()["by"] == "pemilik"
    assert _get(client, "demo_predikat.dmn")["content"] == loaded["content"] + " "


def test_discard_asks_first_and_keeps_other_owners_drafts(app: Flask, client: FlaskClient, auth: Auth,
                                                          demo_deployed: Engine) -> None:
    auth.login("pemilik")
    admin = _second_client(app, "admin")
    _edit(client, "demo_predikat.dmn", '"Kurang"', '"Kurang (P)"')
    _edit(admin, "demo_arsip.bpmn", 'name="', 'name="A ')
    confirm = client.get(f"{DEMO}/discard").get_data(as_text=True)
    assert 'data-testid="discard-files"' in confirm and "demo_predikat.dmn" in confirm and 'name="confirm"' in confirm
    unconfirmed = client.post(f"{DEMO}/discard", data={"csrf_token": _token(client)})
    assert unconfirmed.status_code == 302 and unconfirmed.headers["Location"].endswith("/discard")
    assert _get(client, "demo_predikat.dmn")["source"] == "draft"
    done = client.post(f"{DEMO}/discard", data={"csrf_token": _token(client), "confirm": "yes"})
    assert done.status_code == 302
    assert _get(client, "demo_predikat.dmn")["source"] == "deployed"
    assert _get(admin, "demo_arsip.bpmn")["source"] == "draft"
    assert 'data-testid="no-draft"' in client.get(f"{DEMO}/discard").get_data(as_text=True)
    event = _events(demo_deployed, "workspace.draft_discarded")[-1]
    assert event.actor == "pemilik" and event.data["bundle"] == "demo"
    assert [f["file"] for f in event.data["files"]] == ["demo_predikat.dmn"]
    assert re.fullmatch(r"[0-9a-f]{64}", event.data["files"][0]["sha256"])


# -- validation -------------------------------------------------------------------------------------------------

def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


BROKEN = [
    # (what, file, old, new, problem code, element id)
    ("syntax error in a script", "demo_penilaian.bpmn", "kegiatan = kegiatan or []", "kegiatan = = kegiatan",
     "bundle.expression", "hitung"),
    ("forbidden name in a script", "demo_penilaian.bpmn", "kegiatan = kegiatan or []", "kegiatan = __import__('os')",
     "bundle.expression", "hitung"),
    ("forbidden call in a script", "demo_penilaian.bpmn", "kegiatan = kegiatan or []",
     "kegiatan = open('/etc/passwd').read()", "bundle.expression", "hitung"),
    ("broken condition", "demo_penilaian.bpmn", "tFormalExpression\">keputusan == 'kembalikan'",
     "tFormalExpression\">keputusan == = 'kembalikan'", "bundle.expression", "f_kembalikan"),
    ("DMN row whose input does not parse", "demo_predikat.dmn", '<inputEntry id="r1_a"><text>"Di Atas Ekspektasi"',
     '<inputEntry id="r1_a"><text>"Di Atas Ekspektasi" ))', "bundle.expression", "r1_a"),
    ("duplicate id", "demo_predikat.dmn", '<rule id="r1">', '<rule id="r0">', "bundle.duplicate_id", "r0"),
    ("malformed XML", "demo_penilaian.bpmn", "</bpmn:scriptTask>", "</bpmn:scriptTsk>", "bundle.xml", None),
    ("form schema that is not JSON", "demo_tinjau.schema.json", '"properties"', '"properties" ::', "bundle.json",
     None),
]


@pytest.mark.parametrize("what,filename,old,new,code,element", BROKEN, ids=[b[0] for b in BROKEN])
def test_validate_names_file_line_and_element_and_deploy_refuses(
        what: str, filename: str, old: str, new: str, code: str, element: str | None, client: FlaskClient,
        auth: Auth, demo_deployed: Engine) -> None:
    auth.login("pemilik")
    _edit(client, filename, old, new)
    edited = _get(client, filename)["content"]
    result = _validate(client)
    assert result["ok"] is False
    found = [p for p in result["problems"] if p["code"] == code]
    assert found, result["problems"]
    problem = found[0]
    assert problem["file"] == filename and problem["message"]
    if element:
        assert problem["element_id"] == element
    if code == "bundle.expression":
        assert problem["line"] == _line_of(edited, new.splitlines()[0])
    else:
        assert problem["line"]
    deployments = _count(demo_deployed, Deployment)
    refused = _deploy(client, note="should not deploy")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert 'data-testid="problem-table"' in page and f'data-code="{code}"' in page
    assert 'id="ws-problems-data"' in page  # for the editors' markers
    if element:
        assert f'data-element-id="{element}"' in page and f"select={element}" in page
    assert _count(demo_deployed, Deployment) == deployments
    assert _get(client, filename)["content"] == edited  # the draft is kept
    refusal = _events(demo_deployed, "workspace.deploy_refused")[-1]
    assert refusal.actor == "pemilik" and refusal.data["problems"] >= 1
    assert [f["file"] for f in refusal.data["files"]] == [filename]


def test_validate_page_lists_the_problems_and_a_valid_draft_passes(client: FlaskClient, auth: Auth,
                                                                   demo_deployed: Engine) -> None:
    auth.login("pemilik")
    ok = client.post(f"{DEMO}/validate", data={"csrf_token": _token(client)})
    assert ok.status_code == 302
    assert "Valid" in client.get(ok.headers["Location"]).get_data(as_text=True)
    assert _validate(client) == {"ok": True, "problems": []}
    _edit(client, "demo_penilaian.bpmn", "tFormalExpression\">keputusan == 'kembalikan'", "tFormalExpression\">keputusan ==")
    refused = client.post(f"{DEMO}/validate?file=demo_penilaian.bpmn", data={"csrf_token": _token(client)})
    assert refused.status_code == 422
    assert 'data-element-id="f_kembalikan"' in refused.get_data(as_text=True)
    events = _events(demo_deployed, "workspace.validated")
    assert [e.data["ok"] for e in events] == [True, True, False]
    files = {f["file"]: f["sha256"] for f in events[-1].data["files"]}
    draft = _get(client, "demo_penilaian.bpmn")["content"].encode()
    assert files["demo_penilaian.bpmn"] == hashlib.sha256(draft).hexdigest()


def test_xml_entity_expansion_is_refused_quickly(client: FlaskClient, auth: Auth, demo_deployed: Engine) -> None:
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                        for i in range(1, 10)) + "]>")
    auth.login("pemilik")
    loaded = _get(client, "demo_predikat.dmn")
    body = loaded["content"].split("?>", 1)[1].replace('"Kurang"', "&lol9;", 1)
    assert _put(client, "demo_predikat.dmn", laughs + body, loaded["revision"]).status_code == 200
    result = _validate(client)
    assert not result["ok"] and result["problems"][0]["file"] == "demo_predikat.dmn"
    assert result["problems"][0]["code"] in ("bundle.xml", "bundle.dtd")
    external = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + body.replace(
        "&lol9;", "&xxe;")
    assert _put(client, "demo_predikat.dmn", external, _get(client, "demo_predikat.dmn")["revision"]).status_code == 200
    problem = _validate(client)["problems"][0]
    assert problem["code"] == "bundle.dtd" and "root:" not in json.dumps(problem)
    assert _deploy(client).status_code == 422


# -- limits and bad requests ------------------------------------------------------------------------------------

def test_a_file_over_the_size_limit_is_refused_and_the_draft_kept(client: FlaskClient, auth: Auth,
                                                                  demo_deployed: Engine) -> None:
    auth.login("pemilik")
    _edit(client, "demo_predikat.dmn", '"Kurang"', '"Kurang (P)"')
    loaded = _get(client, "demo_predikat.dmn")
    huge = loaded["content"] + "<!--" + "x" * MAX_FILE_BYTES + "-->"
    response = _put(client, "demo_predikat.dmn", huge, loaded["revision"])
    assert response.status_code == 413 and "MiB" in response.get_json()["error"]
    assert _get(client, "demo_predikat.dmn")["content"] == loaded["content"]


def test_a_request_over_the_request_limit_is_a_json_413(app: Flask, client: FlaskClient, auth: Auth,
                                                        demo_deployed: Engine) -> None:
    auth.login("pemilik")
    token = _token(client)
    app.config["MAX_CONTENT_LENGTH"] = 4096
    response = client.put(f"{API}/files/demo_predikat.dmn", json={"content": "x" * 10_000, "revision": 0},
                          headers={"X-CSRFToken": token})
    assert response.status_code == 413 and response.get_json()["error"]
    assert _count(demo_deployed, WorkspaceDraft) == 0


def test_too_many_files_are_refused(client: FlaskClient, auth: Auth, demo_deployed: Engine,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ws_service, "MAX_FILES", 10)  # the demo bundle has 9 files
    auth.login("pemilik")
    revision = _get(client, "demo_predikat.dmn")["revision"]
    assert _put(client, "extra_1.schema.json", "{}", revision).status_code == 200
    response = _put(client, "extra_2.schema.json", "{}", revision)
    assert response.status_code == 413 and "10" in response.get_json()["error"]
    assert _count(demo_deployed, WorkspaceDraftFile) == 1


@pytest.mark.parametrize("filename,body,status", [
    ("demo_predikat.dmn", {"content": "\ud800", "revision": 0}, 400),       # not UTF-8 (a lone surrogate)
    ("demo_predikat.dmn", {"content": 5, "revision": 0}, 400),
    ("demo_predikat.dmn", {"content": "x"}, 400),
    ("demo_predikat.dmn", {"content": "x", "revision": True}, 400),
    ("notes.txt", {"content": "x", "revision": 0}, 400),                     # not a model file
    (".hidden.bpmn", {"content": "x", "revision": 0}, 400),
])
def test_bad_saves_are_clear_400s(filename: str, body: dict[str, Any], status: int, client: FlaskClient,
                                  auth: Auth, demo_deployed: Engine) -> None:
    auth.login("pemilik")
    response = client.put(f"{API}/files/{filename}", data=json.dumps(body), content_type="application/json",
                          headers={"X-CSRFToken": _token(client)})
    assert response.status_code == status and response.get_json()["error"]
    assert _count(demo_deployed, WorkspaceDraft) == 0


def test_a_body_that_is_not_json_is_a_400(client: FlaskClient, auth: Auth, demo_deployed: Engine) -> None:
    auth.login("pemilik")
    for path, method in ((f"{API}/files/demo_predikat.dmn", "PUT"), (f"{API}/form-preview", "POST")):
        response = client.open(path, method=method, data="{not json", content_type="application/json",
                               headers={"X-CSRFToken": _token(client)})
        assert response.status_code == 400 and response.get_json()["error"]


def test_a_note_too_long_deploys_nothing(client: FlaskClient, auth: Auth, demo_deployed: Engine) -> None:
    auth.login("pemilik")
    _edit(client, "demo_arsip.bpmn", 'name="', 'name="X ')
    deployments = _count(demo_deployed, Deployment)
    response = _deploy(client, note="x" * 2001)
    assert response.status_code == 422 and 'data-testid="ws-errors"' in response.get_data(as_text=True)
    assert _count(demo_deployed, Deployment) == deployments
    assert _get(client, "demo_arsip.bpmn")["source"] == "draft"


# -- deploying ---------------------------------------------------------------------------------------------------

def test_deploy_from_the_workspace(client: FlaskClient, auth: Auth, demo_deployed: Engine) -> None:
    auth.login("pemilik")
    _edit(client, "demo_arsip.bpmn", 'name="Demo Arsip"', 'name="Demo Arsip (ruang kerja)"')
    response = _deploy(client, note="nama proses arsip diperjelas")
    assert response.status_code == 302
    match = re.search(r"/proses/deployments/(\d+)$", response.headers["Location"])
    assert match
    new_id = int(match.group(1))
    with demo_deployed.session_factory() as s:
        dep = s.get(Deployment, new_id)
        assert dep is not None and dep.name == "demo" and dep.note == "nama proses arsip diperjelas"
        assert dep.deployed_by == "pemilik"
        versions = dict(s.execute(select(ProcessVersion.process_id, ProcessVersion.version)
                                  .where(ProcessVersion.deployment_id == new_id)).all())
        stored = s.scalar(select(DeploymentFile.content).where(DeploymentFile.deployment_id == new_id,
                                                               DeploymentFile.filename == "demo_arsip.bpmn"))
    assert versions["demo_arsip"] == 2 and b"Demo Arsip (ruang kerja)" in stored
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "demo_arsip v2" in page and "nama proses arsip diperjelas" in page
    # The draft went into the deployment: the workspace shows the deployed file again, with the change.
    loaded = _get(client, "demo_arsip.bpmn")
    assert loaded["source"] == "deployed" and "Demo Arsip (ruang kerja)" in loaded["content"]
    assert _count(demo_deployed, WorkspaceDraft) == 0
    event = _events(demo_deployed, "workspace.deployed")[-1]
    assert event.actor == "pemilik" and event.deployment_id == new_id and event.data["note"]
    assert event.data["files"] == [{"file": "demo_arsip.bpmn", "sha256": hashlib.sha256(stored).hexdigest()}]
    saves = _events(demo_deployed, "workspace.draft_saved")
    assert saves[-1].data["files"][0]["sha256"] == hashlib.sha256(stored).hexdigest()


def test_an_editor_loaded_before_a_deployment_must_reload(app: Flask, client: FlaskClient, auth: Auth,
                                                          demo_deployed: Engine) -> None:
    auth.login("pemilik")
    admin = _second_client(app, "admin")
    theirs = _get(admin, "demo_predikat.dmn")
    _edit(client, "demo_arsip.bpmn", 'name="Demo Arsip"', 'name="Demo Arsip 2"')
    assert _deploy(client).status_code == 302
    late = _put(admin, "demo_predikat.dmn", theirs["content"] + " ", theirs["revision"])
    assert late.status_code == 409 and late.get_json()["by"] == "pemilik"


def test_a_file_deployed_meanwhile_must_be_settled_before_deploying(app: Flask, client: FlaskClient, auth: Auth,
                                                                    demo_deployed: Engine) -> None:
    auth.login("pemilik")
    admin = _second_client(app, "admin")
    _edit(client, "demo_arsip.bpmn", 'name="Demo Arsip"', 'name="Demo Arsip (P)"')
    _edit(admin, "demo_arsip.bpmn", 'name="Demo Arsip"', 'name="Demo Arsip (A)"')  # admin's own draft
    assert _deploy(admin, note="admin first").status_code == 302
    deployments = _count(demo_deployed, Deployment)
    refused = _deploy(client, note="would undo the admin's change")
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert 'data-testid="stale"' in page and 'data-stale-file="demo_arsip.bpmn"' in page
    assert _count(demo_deployed, Deployment) == deployments
    # Keeping one's own version, on purpose, deploys it.
    kept = client.post(f"{DEMO}/resolve", data={"csrf_token": _token(client), "file": "demo_arsip.bpmn",
                                                "keep": "draft"})
    assert kept.status_code == 302
    assert _deploy(client, note="mine after all").status_code == 302
    assert "Demo Arsip (P)" in _get(client, "demo_arsip.bpmn")["content"]
    assert [e.data["kept"] for e in _events(demo_deployed, "workspace.conflict_resolved")] == ["draft"]


def test_taking_the_deployed_version_drops_the_file_from_the_draft(app: Flask, client: FlaskClient, auth: Auth,
                                                                   demo_deployed: Engine) -> None:
    auth.login("pemilik")
    admin = _second_client(app, "admin")
    _edit(client, "demo_arsip.bpmn", 'name="Demo Arsip"', 'name="Demo Arsip (P)"')
    _edit(admin, "demo_arsip.bpmn", 'name="Demo Arsip"', 'name="Demo Arsip (A)"')
    assert _deploy(admin).status_code == 302
    client.post(f"{DEMO}/resolve", data={"csrf_token": _token(client), "file": "demo_arsip.bpmn",
                                         "keep": "deployed"})
    loaded = _get(client, "demo_arsip.bpmn")
    assert loaded["source"] == "deployed" and "Demo Arsip (A)" in loaded["content"]
    assert _count(demo_deployed, WorkspaceDraft) == 0


@pytest.fixture
def rules_deployed(demo_deployed: Engine, org: dict[str, int]) -> Engine:
    deploy(demo_deployed, read_folder(BPMN / "rules"), org["admin"], name="bpmn/rules")
    return demo_deployed


def test_pemilik_changes_one_bound_of_the_distribution_curve_and_deploys_it(
        client: FlaskClient, auth: Auth, rules_deployed: Engine) -> None:
    """The whole path in HTTP: open the bundle, edit the DMN as text, validate, deploy; the decision's version
    changes and the deployed table holds the new bound."""
    key = "bpmn~rules"
    with rules_deployed.session_factory() as s:
        before = s.scalar(select(func.max(DecisionVersion.version)).where(
            DecisionVersion.decision_id == "kurva_distribusi"))
    auth.login("pemilik")
    page = client.get(f"{WS}/{key}?file=kurva_distribusi.dmn").get_data(as_text=True)
    assert 'data-kind="dmn"' in page and 'data-file="kurva_distribusi.dmn"' in page
    assert f'data-api="{WS}/{key}/api"' in page
    old = '<outputEntry id="rule_1_out_4"><text>70</text></outputEntry>'
    _edit(client, "kurva_distribusi.dmn", old, old.replace("70", "60"), key=key)
    assert _validate(client, key) == {"ok": True, "problems": []}
    response = _deploy(client, note="Istimewa: paling banyak 60% Sangat Baik", key=key)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    deployment_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with rules_deployed.session_factory() as s:
        version = s.scalar(select(DecisionVersion).where(DecisionVersion.decision_id == "kurva_distribusi")
                           .order_by(DecisionVersion.version.desc()))
        assert version is not None and version.version == (before or 0) + 1
        assert version.deployment_id == deployment_id
        table = s.scalar(select(DeploymentFile.content).where(DeploymentFile.deployment_id == deployment_id,
                                                              DeploymentFile.filename == "kurva_distribusi.dmn"))
        dep = s.get(Deployment, deployment_id)
        assert dep is not None and dep.name == "bpmn/rules"
        # Only the changed table has a new version; the other tables of the bundle stay as they were.
        others = s.scalars(select(DecisionVersion.decision_id).where(
            DecisionVersion.deployment_id == deployment_id)).all()
    assert b'<outputEntry id="rule_1_out_4"><text>60</text></outputEntry>' in table
    assert "kurva_distribusi" in others
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'data-decision="kurva_distribusi" data-version="{version.version}"' in shown


# -- the form editor ---------------------------------------------------------------------------------------------

def _preview(client: FlaskClient, schema: str, ui: str = "{}") -> dict[str, Any]:
    response = client.post(f"{API}/form-preview", json={"schema": schema, "uischema": ui},
                           headers={"X-CSRFToken": _token(client)})
    assert response.status_code == 200
    return response.get_json()


def test_the_form_page_shows_both_files_and_a_preview(client: FlaskClient, auth: Auth, demo_deployed: Engine) -> None:
    auth.login("pemilik")
    page = client.get(f"{DEMO}?file=demo_tinjau.schema.json").get_data(as_text=True)
    assert 'id="fe-schema"' in page and 'id="fe-ui"' in page and "js/form_editor.js" in page
    assert 'data-schema-file="demo_tinjau.schema.json"' in page and 'data-ui-file="demo_tinjau.uischema.json"' in page
    assert 'data-testid="preview"' in page and 'data-path="keputusan"' in page  # rendered by the task renderer
    # The UI schema is edited with its form, not listed as a file of its own.
    assert "file=demo_tinjau.uischema.json" not in page and "file=demo_tinjau.schema.json" in page


def test_preview_renders_a_changed_label_with_the_task_renderer(client: FlaskClient, auth: Auth,
                                                                demo_deployed: Engine) -> None:
    auth.login("pemilik")
    schema = json.loads(_demo_file("demo_tinjau.schema.json"))
    first = next(iter(schema["properties"]))
    schema["properties"][first]["title"] = "Label baru / New label"
    result = _preview(client, json.dumps(schema), _demo_file("demo_tinjau.uischema.json"))
    assert result["errors"] == []
    assert "Label baru" in result["html"] and f'data-path="{first}"' in result["html"]
    assert "<script" not in result["html"]


@pytest.mark.parametrize("schema,ui,expected", [
    ('{"type": "object", "properties": {', "{}", "not valid JSON (line 1"),
    ("[1, 2]", "{}", "must be a JSON object"),
    ('{"type": "object", "properties": {"a": {"type": "strin"}}}', "{}", "not valid at properties/a/type"),
    ('{"type": "object", "properties": {"a": {"type": "string"}}}', '{"a": {"ui:widget": "slider"}}',
     "unknown widget 'slider'"),
    ('{"type": "object", "properties": {"a": {"type": "string"}}}', '{"a": {"ui:colour": "red"}}',
     "unknown option 'ui:colour'"),
    ('{"type": "object", "properties": {"a": {"type": "string"}}}', '{"b": {"ui:widget": "textarea"}}',
     "the field 'b'"),
    ('{"type": "object", "properties": {"a": {"type": "string"}}}',
     '{"a": {"ui:optionsFrom": {"source": "daftar_entah", "value": "id"}}}', "'daftar_entah'"),
    ('{"type": "object", "properties": {"a": {"type": "string"}}}', '{"a": {"ui:optionsFrom": "x"}}',
     "ui:optionsFrom needs"),
    ('{"type": "object", "properties": {"a": {"type": "string"}}}', '{"ui:order": ["a", "zz"]}', "'zz'"),
    ('{"type": "object", "properties": {"a": {"type": "string"}}}', "{,}", "UI schema is not valid JSON"),
])
def test_preview_explains_what_the_renderer_would_not_understand(schema: str, ui: str, expected: str,
                                                                 client: FlaskClient, auth: Auth,
                                                                 demo_deployed: Engine) -> None:
    auth.login("pemilik")
    client.post("/lang/en", data={"csrf_token": _token(client)})
    result = _preview(client, schema, ui)
    assert any(expected in e for e in result["errors"]), result["errors"]


def test_preview_knows_the_sources_the_bundle_sets(client: FlaskClient, auth: Auth, demo_deployed: Engine) -> None:
    """A source is known when it is a field of the form or data a process of the bundle sets (here a script's
    variable of demo_penilaian.bpmn), and only then."""
    auth.login("pemilik")
    schema = '{"type": "object", "properties": {"a": {"type": "string"}}}'
    known = _preview(client, schema, '{"a": {"ui:optionsFrom": {"source": "skor", "value": "id"}}}')
    assert "skor" in data_names({"x.bpmn": _demo_file("demo_penilaian.bpmn").encode()})
    assert known["errors"] == []
    assert 'id="f-a"' in known["html"] and "<select" in known["html"]


@pytest.mark.parametrize("bundle", ["smk", "demo"])
def test_every_shipped_form_previews_without_errors(bundle: str, app: Flask) -> None:
    files = read_folder(BPMN / bundle)
    names = data_names(files)
    with app.test_request_context():
        for filename, content in sorted(files.items()):
            if filename.endswith(".schema.json"):
                ui = files.get(filename.replace(".schema.json", ".uischema.json"), b"").decode()
                fields, errors = preview(content.decode(), ui, names)
                assert errors == [], (filename, errors)
                assert fields, filename


def test_a_form_saved_in_the_workspace_is_what_the_deployment_holds(client: FlaskClient, auth: Auth,
                                                                     demo_deployed: Engine) -> None:
    auth.login("pemilik")
    schema = json.loads(_get(client, "demo_tinjau.schema.json")["content"])
    first = next(iter(schema["properties"]))
    schema["properties"][first]["title"] = "Label baru / New label"
    text = json.dumps(schema, ensure_ascii=False, indent=2)
    assert _put(client, "demo_tinjau.schema.json", text, _get(client, "demo_tinjau.schema.json")["revision"]
                ).status_code == 200
    page = client.get(f"{DEMO}?file=demo_tinjau.schema.json").get_data(as_text=True)
    assert "Label baru" in page  # the saved draft, in the textarea and the preview
    assert _deploy(client, note="label").status_code == 302
    with demo_deployed.session_factory() as s:
        stored = s.scalar(select(DeploymentFile.content).join(Deployment).where(
            Deployment.name == "demo", DeploymentFile.filename == "demo_tinjau.schema.json")
            .order_by(Deployment.id.desc()))
    assert stored == text.encode()


def test_a_test_scenario_is_edited_as_json_not_as_a_form(client: FlaskClient, auth: Auth,
                                                         demo_deployed: Engine) -> None:
    auth.login("pemilik")
    revision = _get(client, "demo_predikat.dmn")["revision"]
    assert _put(client, "coba.scenario.json", '{"scenario": "coba"}', revision).status_code == 200
    page = client.get(f"{DEMO}?file=coba.scenario.json").get_data(as_text=True)
    assert 'data-kind="scenario"' in page and 'id="fe-schema"' in page and 'id="fe-ui"' not in page
    assert 'id="fe-preview"' not in page and "js/form_editor.js" in page
    assert re.search(r'data-kind="scenario">\s*<a[^>]*data-file="coba.scenario.json"', page)


def test_the_audit_pages_show_workspace_events(app: Flask, client: FlaskClient, auth: Auth,
                                               demo_deployed: Engine) -> None:
    auth.login("pemilik")
    _edit(client, "demo_predikat.dmn", '"Kurang"', '"Kurang (P)"')
    auditor = _second_client(app, "indah")
    page = auditor.get("/audit?kind=workspace.").get_data(as_text=True)
    assert "Draf model disimpan" in page and "Pemilik Proses" in page
    assert re.search(r"demo:\s*<code>demo_predikat.dmn</code> <span[^>]*>sha256 [0-9a-f]{12}…", page)
