"""The process owner's pages (/proses): who may open them, deploying a bundle from the browser, a refused
bundle's problems, one deployment and its file downloads."""

from __future__ import annotations

import io
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.core import Engine
from engine.db.deploy import Deployment, DeploymentFile
from engine.services import instances
from engine.services.deployments import read_folder

from ..conftest import BPMN
from .conftest import Auth, csrf_token


def count_deployments(engine: Engine) -> int:
    """Count the stored deployments (a refused bundle must store nothing)."""
    with engine.session_factory() as session:
        return session.scalar(select(func.count(Deployment.id))) or 0

ROLES = ["anonymous", "budi", "dewi", "indah", "pemilik", "admin"]
MANAGERS = {"pemilik", "admin"}


def _demo_deployment(eng: Engine) -> tuple[int, int]:
    """The demo fixture's deployment id and the id of one of its files."""
    with eng.session_factory() as s:
        dep = s.scalar(select(Deployment).where(Deployment.name == "demo"))
        assert dep is not None
        file_id = s.scalar(select(DeploymentFile.id).where(DeploymentFile.deployment_id == dep.id,
                                                           DeploymentFile.filename == "demo_penilaian.bpmn"))
        return dep.id, int(file_id or 0)


GETS = ["/proses", "/proses?page=2&dpage=9", "/proses/deploy", "/proses/deployments/{dep}",
        "/proses/deployments/{dep}/files/{file}"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", GETS)
def test_get_permissions(path: str, role: str, client: FlaskClient, auth: Auth, demo_deployed: Engine) -> None:
    dep, file_id = _demo_deployment(demo_deployed)
    url = path.format(dep=dep, file=file_id)
    if role != "anonymous":
        auth.login(role)
    response = client.get(url)
    if role == "anonymous":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == (200 if role in MANAGERS else 403), f"{role} on {url}"


@pytest.mark.parametrize("role", ROLES)
def test_post_permissions(role: str, client: FlaskClient, auth: Auth, demo_deployed: Engine) -> None:
    before = count_deployments(demo_deployed)
    if role != "anonymous":
        auth.login(role)
    files = [(io.BytesIO(b"<x/>"), "x.bpmn")]
    response = client.post("/proses/deploy", data={"csrf_token": csrf_token(client, "/login" if role == "anonymous"
                                                                            else "/"), "files": files},
                           content_type="multipart/form-data")
    if role == "anonymous":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    elif role in MANAGERS:
        assert response.status_code == 422  # reached the view: <x/> is no BPMN
    else:
        assert response.status_code == 403
    assert count_deployments(demo_deployed) == before


def test_deploy_needs_a_csrf_token(client: FlaskClient, auth: Auth) -> None:
    auth.login("pemilik")
    assert client.post("/proses/deploy", data={"name": "x"}).status_code == 400


@pytest.mark.parametrize("role,shown", [("budi", False), ("dewi", False), ("indah", False), ("pemilik", True),
                                        ("admin", True)])
def test_navigation_link_only_for_process_owners_and_admins(role: str, shown: bool, client: FlaskClient,
                                                           auth: Auth) -> None:
    auth.login(role)
    html = client.get("/").get_data(as_text=True)
    assert ('href="/proses"' in html) is shown


def test_list_shows_processes_versions_counts_and_decisions(client: FlaskClient, auth: Auth,
                                                            demo_deployed: Engine, org: dict[str, int]) -> None:
    instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], "2024")
    auth.login("pemilik")
    html = client.get("/proses").get_data(as_text=True)
    assert 'data-process="demo_penilaian"' in html and 'data-process="demo_arsip"' in html
    assert "Demo Penilaian Kinerja" in html and "v1" in html
    assert re.search(r'data-instances="1"', html)  # the one instance, counted per version
    assert "pemilik" in html  # deployed by
    assert "dimulai oleh pesan" in html or "dapat dimulai" in html
    assert 'data-decision="' in html  # demo_predikat.dmn


def test_empty_list_says_so(eng: Engine, org: dict[str, int], tmp_path) -> None:
    """Nothing deployed yet (the organisation only, no demo bundle)."""
    from webapp import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "test", "INSTANCE_PATH": str(tmp_path / "i"),
                      "DATABASE_URL": eng.database_url}, engine=eng)
    c = app.test_client()
    Auth(c).login("pemilik")
    html = c.get("/proses").get_data(as_text=True)
    assert 'data-testid="empty-processes"' in html and 'data-testid="empty-decisions"' in html


def test_list_is_paginated(client: FlaskClient, auth: Auth, app, demo_deployed: Engine) -> None:
    app.config["PER_PAGE"] = 1
    auth.login("pemilik")
    first = client.get("/proses").get_data(as_text=True)
    second = client.get("/proses?page=2").get_data(as_text=True)
    assert first.count("data-process=") == 1 and second.count("data-process=") == 1
    assert ("demo_arsip" in first) != ("demo_arsip" in second)
    assert "page=2" in first
    assert client.get("/proses?page=999").status_code == 200  # past the end: the last page


def _upload(client: FlaskClient, files: dict[str, bytes], name: str = "", note: str = ""):
    data = {"csrf_token": csrf_token(client, "/proses/deploy"), "name": name, "note": note,
            "files": [(io.BytesIO(content), fname) for fname, content in files.items()]}
    return client.post("/proses/deploy", data=data, content_type="multipart/form-data")


def _demo_files() -> dict[str, bytes]:
    return read_folder(BPMN / "demo")


def test_valid_upload_deploys_a_new_version(client: FlaskClient, auth: Auth, demo_deployed: Engine) -> None:
    files = _demo_files()
    files["demo_arsip.bpmn"] = files["demo_arsip.bpmn"].replace(b'name="Demo Arsip"', b'name="Demo Arsip (revisi)"')
    before = count_deployments(demo_deployed)
    auth.login("pemilik")
    response = _upload(client, files, name="demo revisi", note="nama proses arsip diperjelas")
    assert response.status_code == 302
    assert "/proses/deployments/" in response.headers["Location"]
    assert count_deployments(demo_deployed) == before + 1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Dideploy" in page and "demo_arsip v2" in page  # the flash message
    assert "nama proses arsip diperjelas" in page and "demo revisi" in page
    assert 'id="diagram-xml"' in page and "diagram.js" in page  # the shared bpmn-js viewer
    listing = client.get("/proses").get_data(as_text=True)
    assert 'data-version="2"' in listing and "Demo Arsip (revisi)" in listing
    # latest first within the process
    arsip = listing[listing.index('data-process="demo_arsip"'):]
    assert arsip.index('data-version="2"') < arsip.index('data-version="1"')


def test_identical_bundle_is_unchanged(client: FlaskClient, auth: Auth, demo_deployed: Engine) -> None:
    before = count_deployments(demo_deployed)
    auth.login("pemilik")
    response = _upload(client, _demo_files())
    assert response.status_code == 302
    assert count_deployments(demo_deployed) == before
    assert "Tidak berubah" in client.get(response.headers["Location"]).get_data(as_text=True)


def _bad_condition(files: dict[str, bytes]) -> None:
    files["demo_penilaian.bpmn"] = files["demo_penilaian.bpmn"].replace(
        b"keputusan == 'kembalikan'", b"keputusan == = 'kembalikan'")


def _malformed(files: dict[str, bytes]) -> None:
    files["demo_arsip.bpmn"] = files["demo_arsip.bpmn"].replace(b"</bpmn:process>", b"</bpmn:proses>", 1)


def _missing_form(files: dict[str, bytes]) -> None:
    del files["demo_tinjau.schema.json"]


@pytest.mark.parametrize("break_it,filename,words", [
    (_malformed, "demo_arsip.bpmn", "berkas bukan XML yang benar"),
    (_bad_condition, "demo_penilaian.bpmn", "f_kembalikan"),
    (_missing_form, "demo_penilaian.bpmn", "demo_tinjau.schema.json"),
])
def test_invalid_upload_lists_problems_and_stores_nothing(break_it, filename: str, words: str,
                                                          client: FlaskClient, auth: Auth,
                                                          demo_deployed: Engine) -> None:
    files = _demo_files()
    break_it(files)
    before = count_deployments(demo_deployed)
    auth.login("pemilik")
    response = _upload(client, files, name="rusak", note="catatan yang diketik")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert count_deployments(demo_deployed) == before
    assert "tidak ada yang disimpan" in html
    rows = re.findall(r'<tr class="problem">(.*?)</tr>', html, re.S)
    assert rows, html
    row = next(r for r in rows if filename in r and words in r)
    line = re.search(r'class="problem-line">(\d+)<', row)
    assert line and int(line.group(1)) > 0  # every such problem is located by line
    assert 'value="rusak"' in html and "catatan yang diketik" in html  # what was typed is kept


def test_bad_condition_and_missing_form_are_reported_together(client: FlaskClient, auth: Auth,
                                                              demo_deployed: Engine) -> None:
    files = _demo_files()
    _bad_condition(files)
    _missing_form(files)
    auth.login("pemilik")
    html = _upload(client, files).get_data(as_text=True)
    assert "demo_tinjau.schema.json" in html and "f_kembalikan" in html


@pytest.mark.parametrize("files,words", [
    ([], "No file chosen"),
    ([(b"", "")], "No file chosen"),  # what a browser sends when nothing was chosen
    ([(b"<x/>", "a.bpmn"), (b"<y/>", "a.bpmn")], "chosen twice"),
])
def test_upload_limits_have_clear_messages(files: list, words: str, client: FlaskClient, auth: Auth,
                                           demo_deployed: Engine) -> None:
    before = count_deployments(demo_deployed)
    auth.login("pemilik")
    client.post("/lang/en", data={"csrf_token": csrf_token(client, "/")})
    data = {"csrf_token": csrf_token(client, "/proses/deploy"), "name": "n", "note": "t",
            "files": [(io.BytesIO(c), n) for c, n in files]}
    response = client.post("/proses/deploy", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert words in response.get_data(as_text=True)
    assert count_deployments(demo_deployed) == before


def test_a_file_name_that_is_not_utf8_is_refused(client: FlaskClient, auth: Auth, demo_deployed: Engine) -> None:
    """A client may send an RFC 2231 name whose bytes are not UTF-8 (here Latin-1 "café"); werkzeug decodes it
    with replacement characters, which the page refuses instead of storing a mangled name."""
    auth.login("pemilik")
    client.post("/lang/en", data={"csrf_token": csrf_token(client, "/")})
    token = csrf_token(client, "/proses/deploy")
    boundary = b"----smkboundary"
    body = b"".join([
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n' + token.encode() + b"\r\n",
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="files"; filename*=UTF-8\'\'caf%E9.bpmn\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n<x/>\r\n",
        b"--" + boundary + b"--\r\n"])
    before = count_deployments(demo_deployed)
    response = client.post("/proses/deploy", data=body,
                           content_type="multipart/form-data; boundary=" + boundary.decode())
    assert response.status_code == 422
    assert "not valid UTF-8" in response.get_data(as_text=True)
    assert count_deployments(demo_deployed) == before


def test_too_many_and_too_large_files(client: FlaskClient, auth: Auth, demo_deployed: Engine,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import webapp.deployments as page

    monkeypatch.setattr(page, "MAX_FILES", 2)
    monkeypatch.setattr(page, "MAX_FILE_BYTES", 10)
    auth.login("pemilik")
    client.post("/lang/en", data={"csrf_token": csrf_token(client, "/")})
    many = _upload(client, {"a.bpmn": b"1", "b.bpmn": b"2", "c.bpmn": b"3"})
    assert many.status_code == 422 and "Too many files (3); at most 2" in many.get_data(as_text=True)
    large = _upload(client, {"big.bpmn": b"x" * 11})
    assert large.status_code == 422 and "big.bpmn: the file is larger than" in large.get_data(as_text=True)


def test_download_returns_the_exact_bytes(client: FlaskClient, auth: Auth, demo_deployed: Engine) -> None:
    dep, file_id = _demo_deployment(demo_deployed)
    auth.login("pemilik")
    response = client.get(f"/proses/deployments/{dep}/files/{file_id}")
    assert response.status_code == 200
    assert response.data == (BPMN / "demo" / "demo_penilaian.bpmn").read_bytes()
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "demo_penilaian.bpmn" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == "application/octet-stream"


def test_file_of_another_deployment_and_missing_deployment_are_not_found(client: FlaskClient, auth: Auth,
                                                                         demo_deployed: Engine) -> None:
    dep, file_id = _demo_deployment(demo_deployed)
    auth.login("admin")
    assert client.get("/proses/deployments/999999").status_code == 404
    assert client.get(f"/proses/deployments/{dep + 1}/files/{file_id}").status_code == 404
    assert client.get(f"/proses/deployments/{dep}/files/999999").status_code == 404


def test_deployment_page_shows_files_versions_and_included_files(client: FlaskClient, auth: Auth,
                                                                 demo_deployed: Engine) -> None:
    dep, _ = _demo_deployment(demo_deployed)
    auth.login("pemilik")
    html = client.get(f"/proses/deployments/{dep}").get_data(as_text=True)
    with demo_deployed.session_factory() as s:
        bundle_hash = s.scalar(select(Deployment.bundle_hash).where(Deployment.id == dep))
    assert bundle_hash and bundle_hash in html
    for fname in _demo_files():
        assert f'data-file="{fname}"' in html
    assert 'data-process="demo_penilaian"' in html and 'data-decision="' in html
    # a bundle that calls a decision deployed earlier gets that file copied in, and the page says so
    files = {"demo_penilaian.bpmn": _demo_files()["demo_penilaian.bpmn"].replace(b"Demo Penilaian Kinerja",
                                                                                  b"Demo Penilaian v2")}
    files.update({k: v for k, v in _demo_files().items() if k.endswith(".json")})
    response = _upload(client, files, name="tanpa dmn")
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="included"' in page and "disalin dari deployment sebelumnya" in page


def test_diagram_choice(client: FlaskClient, auth: Auth, demo_deployed: Engine) -> None:
    dep, file_id = _demo_deployment(demo_deployed)
    auth.login("pemilik")
    html = client.get(f"/proses/deployments/{dep}?diagram={file_id}").get_data(as_text=True)
    assert "Diagram: demo_penilaian.bpmn" in html
    assert client.get(f"/proses/deployments/{dep}?diagram=abc").status_code == 200


def test_problems_are_shown_in_the_chosen_language(client: FlaskClient, auth: Auth) -> None:
    files = _demo_files()
    _malformed(files)
    auth.login("pemilik")
    html = _upload(client, files, name="rusak").get_data(as_text=True)
    assert "berkas bukan XML yang benar" in html and "not well-formed XML" not in html
    client.post("/lang/en", data={"csrf_token": csrf_token(client, "/"), "next": "/"})
    html = _upload(client, files, name="broken").get_data(as_text=True)
    assert "the file is not well-formed XML" in html and "berkas bukan XML" not in html
