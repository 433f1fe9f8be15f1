"""The first usable web flow: log in, see the inbox, fill in a form, get field messages, move on."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from engine.core import Engine
from engine.services import instances

from .conftest import Auth, csrf_token


@pytest.fixture
def started(demo_deployed: Engine, org: dict[str, int]) -> str:
    return instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"],
                                    "2024").ready_task_ids[0]


def test_health(client: FlaskClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200 and response.json == {"status": "ok", "database": "ok"}


def test_login_required_and_wrong_password(client: FlaskClient, auth: Auth) -> None:
    assert client.get("/").status_code == 302
    response = auth.login("budi", "wrong-password")
    assert response.status_code == 401
    assert "Wrong username or password" in response.get_data(as_text=True)
    assert auth.login("budi").status_code == 302
    assert client.get("/").status_code == 200


def test_post_without_csrf_token_is_refused(client: FlaskClient) -> None:
    response = client.post("/login", data={"username": "budi", "password": "demo12345"})
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)


def test_open_redirect_after_login_is_ignored(client: FlaskClient) -> None:
    response = client.post("/login?next=//evil.example/x", data={
        "username": "budi", "password": "demo12345", "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/"


def test_empty_inbox_says_what_happens_next(client: FlaskClient, auth: Auth) -> None:
    auth.login("siti")
    page = client.get("/").get_data(as_text=True)
    assert "Tidak ada tugas untuk Anda saat ini" in page


def test_form_flow_with_field_errors_then_next_task(client: FlaskClient, auth: Auth, started: str,
                                                    org: dict[str, int], demo_deployed: Engine) -> None:
    auth.login("budi")
    inbox = client.get("/").get_data(as_text=True)
    assert "Isi capaian kinerja" in inbox and f"/tasks/{started}" in inbox
    page = client.get(f"/tasks/{started}").get_data(as_text=True)
    assert 'name="kegiatan[__i__][nama]"' in page  # the row template for the array
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    version = re.search(r'name="_version" value="(\d+)"', page).group(1)
    bad = {"csrf_token": token, "_version": version, "ringkasan": "Laporan bulan ini", "tanggal": "2024-13-45",
           "hasil_kerja": "Sesuai Ekspektasi", "kegiatan[0][nama]": "Rapat", "kegiatan[0][target]": "abc",
           "kegiatan[0][realisasi]": "3"}
    response = client.post(f"/tasks/{started}", data=bad)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Format tidak valid (date)" in html           # next to the date field
    assert "Jenis isian salah (harus number)" in html   # next to the row's target
    assert ">Laporan bulan ini</textarea>" in html        # what was typed is kept
    assert 'value="Rapat"' in html
    good = dict(bad, tanggal="2024-01-31")
    good["kegiatan[0][target]"] = "4"
    response = client.post(f"/tasks/{started}", data=good)
    assert response.status_code == 302 and response.headers["Location"] == "/"  # next task is dewi's
    auth.logout()
    auth.login("dewi")
    page = client.get("/").get_data(as_text=True)
    assert "Tinjau capaian" in page and "Budi Santoso" in page


def test_someone_elses_task_url_is_not_found(client: FlaskClient, auth: Auth, started: str) -> None:
    auth.login("siti")
    assert client.get(f"/tasks/{started}").status_code == 404
    response = client.post(f"/tasks/{started}", data={"csrf_token": csrf_token(client, "/"), "ringkasan": "x"})
    assert response.status_code == 404
    assert client.get("/tasks/not-a-uuid").status_code == 404


def test_completed_task_shows_conflict_not_500(client: FlaskClient, auth: Auth, started: str,
                                               org: dict[str, int], demo_deployed: Engine) -> None:
    auth.login("budi")
    page = client.get(f"/tasks/{started}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    instances.complete_task(demo_deployed, org["budi"], started, {
        "ringkasan": "Laporan", "tanggal": "2024-01-31", "hasil_kerja": "Sesuai Ekspektasi",
        "kegiatan": [{"nama": "Rapat", "target": 4, "realisasi": 4}]})
    response = client.post(f"/tasks/{started}", data={"csrf_token": token, "ringkasan": "Laporan lagi"})
    assert response.status_code == 409
    assert "already completed" in response.get_data(as_text=True)


def test_language_switch(client: FlaskClient, auth: Auth) -> None:
    auth.login("budi")
    assert "Kotak tugas" in client.get("/").get_data(as_text=True)
    client.post("/lang/en", data={"csrf_token": csrf_token(client, "/"), "next": "/"})
    assert "Inbox" in client.get("/").get_data(as_text=True)


def test_task_of_a_suspended_process_is_flagged_in_the_inbox(client: FlaskClient, auth: Auth, started: str,
                                                             org: dict[str, int], demo_deployed: Engine) -> None:
    from engine.services import admin_ops

    instance_id = instances.get_task(demo_deployed, org["budi"], started).instance_id
    auth.login("budi")
    assert "Proses ditangguhkan" not in client.get("/").get_data(as_text=True)
    admin_ops.suspend(demo_deployed, org["admin"], instance_id, "Data pegawai sedang diperbaiki")
    assert "Proses ditangguhkan" in client.get("/").get_data(as_text=True)


def test_draft_saved_by_the_language_switch_changes_the_language(client: FlaskClient, auth: Auth,
                                                                 started: str) -> None:
    auth.login("budi")
    page = client.get(f"/tasks/{started}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(f"/tasks/{started}", data={"csrf_token": token, "_action": "draft", "_lang": "en",
                                                     "ringkasan": "Sebagian laporan"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert '<html lang="en"' in html and ">Sebagian laporan</textarea>" in html
    client.post(f"/tasks/{started}", data={"csrf_token": token, "_action": "draft", "_lang": "xx"})
    assert '<html lang="en"' in client.get("/").get_data(as_text=True)  # unknown codes change nothing
