"""Text a QA pass found in the wrong language or form: notification details, event names on the administrator's
page, the process status printed on the documents."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from engine.core import Engine
from engine.db.runtime import TaskIndex
from engine.services import instances

from .conftest import Auth, csrf_token


@pytest.fixture
def started(demo_deployed: Engine, org: dict[str, int]) -> instances.InstanceSummary:
    return instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], "2024")


def _english(client: FlaskClient) -> None:
    client.post("/lang/en", data={"csrf_token": csrf_token(client, "/"), "next": "/"})


def test_notification_details_show_one_language_and_local_time(client: FlaskClient, auth: Auth,
                                                               demo_deployed: Engine, org: dict[str, int]) -> None:
    from engine.services.notifications import notify_task

    summary = instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], "2024")
    with demo_deployed.session_factory.begin() as s:
        row = s.get(TaskIndex, summary.ready_task_ids[0])
        row.due_at = demo_deployed.now().replace(hour=17, minute=0, second=0, microsecond=0) + timedelta(days=3)
        due_local = row.due_at + timedelta(hours=7)  # Asia/Jakarta
        from engine.db.org import User

        notify_task(s, row, "due_soon", [s.get(User, org["budi"])], demo_deployed.now())
    auth.login("budi")
    html = client.get("/notifications").get_data(as_text=True)
    assert "Pegawai: Budi Santoso" in html and "Periode: 2024" in html
    assert "Employee" not in html and "UTC" not in html
    assert f"{due_local:%H:%M}" in html
    _english(client)
    html = client.get("/notifications").get_data(as_text=True)
    assert "Employee: Budi Santoso" in html and "Period: 2024" in html and "Pegawai:" not in html


def test_admin_event_names_are_labels_in_the_current_language(client: FlaskClient, auth: Auth,
                                                              started: instances.InstanceSummary) -> None:
    auth.login("admin")
    html = client.get(f"/admin/instances/{started.id}").get_data(as_text=True)
    assert ">Proses dimulai</strong>" in html and ">instance.started</strong>" not in html
    _english(client)
    html = client.get(f"/admin/instances/{started.id}").get_data(as_text=True)
    assert ">Process started</strong>" in html


@pytest.mark.parametrize("kind", ["skp", "evaluasi"])
def test_documents_print_the_status_as_an_indonesian_word_in_either_language(kind: str, client: FlaskClient,
                                                                            auth: Auth,
                                                                            started: instances.InstanceSummary) -> None:
    auth.login("budi")
    html = client.get(f"/instances/{started.id}/dokumen/{kind}").get_data(as_text=True)
    assert "status proses: Berjalan" in html
    _english(client)
    html = client.get(f"/instances/{started.id}/dokumen/{kind}").get_data(as_text=True)
    assert "status proses: Berjalan" in html and "process status" not in html  # official documents: Indonesian
