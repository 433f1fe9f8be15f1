"""The notifications page through HTTP: the bell's count, opening a notice, marking all read, only one's own."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from engine.core import Engine
from engine.db.org import User
from engine.db.runtime import TaskIndex
from engine.services import instances
from engine.services import notifications as notes

from .conftest import Auth, csrf_token


@pytest.fixture
def started(demo_deployed: Engine, org: dict[str, int]) -> instances.InstanceSummary:
    return instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], "2024")


def open_urls(html: str) -> list[str]:
    return re.findall(r'action="(/notifications/\d+/open)"', html)


def test_anonymous_visitors_are_sent_to_the_login_page(client: FlaskClient) -> None:
    response = client.get("/notifications")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_new_task_appears_under_the_bell_and_opens_the_task(client: FlaskClient, auth: Auth,
                                                            started: instances.InstanceSummary,
                                                            demo_deployed: Engine, org: dict[str, int]) -> None:
    auth.login("budi")
    home = client.get("/").get_data(as_text=True)
    assert 'href="/notifications"' in home and "text-bg-warning\">1</span>" in home
    page = client.get("/notifications").get_data(as_text=True)
    assert "Tugas baru: Isi capaian kinerja" in page and "Budi Santoso" in page
    (url,) = open_urls(page)
    response = client.post(url, data={"csrf_token": csrf_token(client, "/notifications"),
                                      "task_id": started.ready_task_ids[0]})
    assert response.status_code == 302 and response.headers["Location"] == f"/tasks/{started.ready_task_ids[0]}"
    assert notes.unread_count(demo_deployed, org["budi"]) == 0


def test_english_labels(client: FlaskClient, auth: Auth, started: instances.InstanceSummary) -> None:
    auth.login("budi")
    client.post("/lang/en", data={"csrf_token": csrf_token(client, "/"), "next": "/notifications"})
    assert "New task: Isi capaian kinerja" in client.get("/notifications").get_data(as_text=True)


def test_mark_all_read(client: FlaskClient, auth: Auth, started: instances.InstanceSummary,
                       demo_deployed: Engine, org: dict[str, int]) -> None:
    instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], "2025")
    auth.login("budi")
    response = client.post("/notifications/read", data={"csrf_token": csrf_token(client, "/notifications")})
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 pemberitahuan ditandai sudah dibaca" in html
    assert notes.unread_count(demo_deployed, org["budi"]) == 0
    assert "Tandai semua sudah dibaca" not in html  # nothing left to mark


def test_nobody_opens_someone_elses_notification(client: FlaskClient, auth: Auth, started: instances.InstanceSummary,
                                                 demo_deployed: Engine, org: dict[str, int]) -> None:
    auth.login("budi")
    (url,) = open_urls(client.get("/notifications").get_data(as_text=True))
    auth.logout()
    auth.login("siti")
    assert "Belum ada pemberitahuan" in client.get("/notifications").get_data(as_text=True)
    response = client.post(url, data={"csrf_token": csrf_token(client, "/notifications")})
    assert response.status_code == 404
    assert notes.unread_count(demo_deployed, org["budi"]) == 1


def test_marking_needs_the_csrf_token(client: FlaskClient, auth: Auth, started: instances.InstanceSummary,
                                      demo_deployed: Engine, org: dict[str, int]) -> None:
    auth.login("budi")
    assert client.post("/notifications/read").status_code == 400
    assert notes.unread_count(demo_deployed, org["budi"]) == 1


def test_a_done_task_s_notification_says_who_did_it_and_offers_no_open_task(
        client: FlaskClient, auth: Auth, started: instances.InstanceSummary, demo_deployed: Engine,
        org: dict[str, int]) -> None:
    """Once the task is completed, its notification says by whom (the reader: "you"), shows no due date and no
    "Open task" (which would lead to "already completed"), and no longer counts as unread under the bell."""
    from tests.engine.test_run import CAPAIAN

    instances.complete_task(demo_deployed, org["budi"], started.ready_task_ids[0], CAPAIAN)
    auth.login("budi")
    page = re.sub(r"\s+", " ", client.get("/notifications").get_data(as_text=True))
    assert "Anda menyelesaikan tugas ini" in page
    assert "Buka tugas" not in page and "Tenggat" not in page
    with demo_deployed.session_factory.begin() as s:  # as if a colleague had done it (a group task)
        row = s.get(TaskIndex, started.ready_task_ids[0])
        colleague = s.get(User, org["agus"])
        assert row is not None and colleague is not None
        row.completed_by_id, name = colleague.id, colleague.full_name
    page = re.sub(r"\s+", " ", client.get("/notifications").get_data(as_text=True))
    assert f"Tugas ini sudah diselesaikan oleh {name}" in page
    # Nothing to open nor to mark: it is not counted under the bell, and looks read.
    assert open_urls(page) == [] and notes.unread_count(demo_deployed, org["budi"]) == 0
    assert 'data-testid="unread">0<' in page and "fw-semibold" not in page.split('data-kind="task_ready"')[1]


def test_the_page_says_how_long_notices_are_kept(client: FlaskClient, auth: Auth, started: instances.InstanceSummary,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMK_NOTIFICATION_DAYS", raising=False)
    auth.login("budi")
    html = client.get("/notifications").get_data(as_text=True)
    assert "Pemberitahuan yang lebih dari 180 hari dihapus otomatis, kecuali pemberitahuan tugas yang masih terbuka." in html
    monkeypatch.setenv("SMK_NOTIFICATION_DAYS", "90")
    client.post("/lang/en", data={"csrf_token": csrf_token(client, "/"), "next": "/notifications"})
    html = client.get("/notifications").get_data(as_text=True)
    assert "Notifications older than 90 days are removed automatically, except those of a task that is still open." in html
