"""The instance page for people (issue 13): what the process is doing in words, who it waits for, a timeline with
labels (no event codes), the SKP page for the SKP-related data, the raw process data only for administrators and
process owners; a suspended process is said so in words on the instance page and on its task page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.core import Engine
from engine.services import admin_ops, audit
from tests.bpmn.conftest import open_tasks
from tests.bpmn.helpers_skp import start_planning
from webapp import create_app

from .conftest import Auth, csrf_token


@pytest.fixture
def app(smk: Engine, tmp_path: Path) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "test", "INSTANCE_PATH": str(tmp_path / "instance"),
                       "DATABASE_URL": smk.database_url}, engine=smk)


def _text(client: FlaskClient, path: str) -> tuple[int, str]:
    response = client.get(path)
    return response.status_code, re.sub(r"\s+", " ", response.get_data(as_text=True))


def _waiting_agus(smk: Engine, org: dict[str, int]) -> int:
    start_planning(smk, org, "ratna")
    inst = start_planning(smk, org, "agus")
    with smk.session_factory.begin() as s:  # a rating proposal on the timeline, as the assessment records it
        audit.record(s, "smk.predikat_usulan", smk.now(), None, instance_id=inst, predikat="Baik")
    return inst


def test_instance_page_per_role(smk: Engine, org: dict[str, int], client: FlaskClient, auth: Auth) -> None:
    inst = _waiting_agus(smk, org)
    path = f"/instances/{inst}"
    for user in ("agus", "ratna", "hartono", "indah"):  # the employee, the assessor, their superior, HR
        auth.login(user)
        code, html = _text(client, path)
        assert code == 200, user
        assert "Apa yang sedang terjadi" in html and "Sekarang: Menunggu RHK atasan." in html
        assert ("Menunggu Anda mengerjakan “Menunggu RHK atasan”." if user == "agus" else
                "Menunggu Agus Setiawan, S.E. mengerjakan “Menunggu RHK atasan”.") in html
        assert ">system<" not in html.replace(" ", "")
        assert f'href="/skp/{org["agus"]}/2023"' in html
        shown = re.sub(r"<script.*?</script>|<[^>]+>", " ", html)  # the text people read
        assert "Predikat diusulkan" in shown and "smk.predikat_usulan" not in shown
        assert "Data proses" not in shown and "skp_atasan" not in shown and "pesan_menunggu" not in shown
        assert not re.search(r">\s*(running|waiting|suspended)\s*<", html), user
        assert 'role="img"' not in html and 'data-zoom="in"' in html and 'aria-label="Perbesar"' in html
        auth.logout()
    for user in ("admin", "pemilik"):  # administrators and process owners see the raw data
        auth.login(user)
        code, html = _text(client, path)
        shown = re.sub(r"<script.*?</script>|<[^>]+>", " ", html)
        assert code == 200 and "Data proses" in shown and "skp_atasan" in shown, user
        auth.logout()
    for user in ("eko", "budi"):  # someone else's employee; a colleague
        auth.login(user)
        assert client.get(path).status_code == 404, user
        auth.logout()
    auth.login("agus")
    assert client.get("/instances/999999").status_code == 404


def test_english_page_speaks_english(smk: Engine, org: dict[str, int], client: FlaskClient, auth: Auth) -> None:
    inst = _waiting_agus(smk, org)
    auth.login("agus")
    client.post("/lang/en", data={"csrf_token": csrf_token(client, "/")})
    code, html = _text(client, f"/instances/{inst}")
    assert code == 200
    assert "What is happening" in html and "Waiting for you to do “Menunggu RHK atasan”." in html
    assert "Predikat proposed for the curve check" in html and 'aria-label="Zoom in"' in html


def test_suspended_process_is_announced_before_typing(smk: Engine, org: dict[str, int], client: FlaskClient,
                                                       auth: Auth) -> None:
    inst = _waiting_agus(smk, org)
    admin_ops.suspend(smk, org["admin"], inst, "Data jabatan diperbaiki")
    auth.login("agus")
    code, html = _text(client, f"/instances/{inst}")
    assert code == 200 and "Administrator menangguhkan proses ini" in html
    assert "suspended" not in re.sub(r"<script.*?</script>|<[^>]+>", " ", html)
    [task] = open_tasks(smk, "menunggu_atasan", org["agus"])
    code, html = _text(client, f"/tasks/{task.id}")
    assert code == 200
    notice = html.index("Administrator menangguhkan proses ini")
    assert notice < html.index('class="task-form') and "berstatus" not in html
