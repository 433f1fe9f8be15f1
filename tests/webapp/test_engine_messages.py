"""Engine errors reach the pages in the chosen language: the web layer translates each error's English template
with gettext and fills in its parameters (webapp/i18n.py translate). A detail quoted from a library or a model
stays whole in both languages, even when it contains " / " (which once split "Indonesian / English" texts).
"""

from __future__ import annotations

import io
import json
import uuid

from flask import Flask, session
from flask.testing import FlaskClient
from flask_babel import refresh

from engine.core import Engine
from engine.db.org import User
from engine.errors import N_, VERBATIM, Message
from engine.services import admin_ops, instances
from webapp.i18n import shown, tr, translate

from .conftest import Auth, csrf_token

SLASHED = "invalid literal for int() with base 10: '1 / 2'"


def _switch(client: FlaskClient, lang: str, page: str = "/") -> None:
    client.post(f"/lang/{lang}", data={"csrf_token": csrf_token(client, page), "next": page})


def test_translate_fills_the_parameters_into_the_chosen_language(app: Flask) -> None:
    retry = Message("instance.retry_failed", N_("The retry failed: %(detail)s"), {"detail": SLASHED})
    refused = Message("instance.cannot_resume", N_("Instance #%(id)s is %(status)s, so it cannot be resumed"),
                      {"id": 3, "status": Message("status.running", N_("running"))})
    quoted = Message("form.multipleOf", VERBATIM, {"detail": "<b>7 / 2</b> is not a multiple of 2"})
    with app.test_request_context():
        assert translate(retry) == f"Percobaan ulang gagal: {SLASHED}"
        assert translate(refused) == "Proses #3 berstatus berjalan sehingga tidak dapat dilanjutkan"
        assert translate(quoted) == "<b>7 / 2</b> is not a multiple of 2"  # a library's detail stays as it is
        assert tr(shown(retry)) == f"Percobaan ulang gagal: {SLASHED}".replace("'", "&#39;")  # never split
        assert str(shown(quoted)).startswith("&lt;b&gt;7 / 2")  # escaped once
        session["lang"] = "en"
        refresh()
        assert translate(retry) == f"The retry failed: {SLASHED}"
        assert translate(refused) == "Instance #3 is running, so it cannot be resumed"


def test_a_problem_detail_with_a_slash_is_shown_whole_in_both_languages(client: FlaskClient, auth: Auth) -> None:
    schema = {"type": "object", "properties": {"satuan": {"type": "text / plain"}}}
    files = {"f.schema.json": json.dumps(schema).encode()}

    def upload() -> str:
        response = client.post("/proses/deploy", content_type="multipart/form-data", data={
            "csrf_token": csrf_token(client, "/proses/deploy"), "name": "", "note": "",
            "files": [(io.BytesIO(content), name) for name, content in files.items()]})
        assert response.status_code == 422
        return response.get_data(as_text=True)

    auth.login("pemilik")
    html = upload()
    assert "JSON Schema tidak sah di properties/satuan/type: &#39;text / plain&#39; is not valid" in html
    assert "not a valid JSON Schema" not in html
    _switch(client, "en", "/proses/deploy")
    html = upload()
    assert "not a valid JSON Schema at properties/satuan/type: &#39;text / plain&#39; is not valid" in html
    assert "JSON Schema tidak sah" not in html


def test_an_engine_error_is_flashed_in_indonesian_then_in_english(client: FlaskClient, auth: Auth,
                                                                   demo_deployed: Engine,
                                                                   org: dict[str, int]) -> None:
    with demo_deployed.session_factory.begin() as s:
        s.get(User, org["siti"]).full_name = "Siti Aminah / Plt. Kasubbag"  # a parameter containing " / "
    summary = instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], "2024")
    task_id, page = summary.ready_task_ids[0], f"/admin/instances/{summary.id}"
    admin_ops.reassign(demo_deployed, org["admin"], task_id, org["siti"])
    auth.login("admin")

    def reassign_again() -> str:
        response = client.post(f"/admin/tasks/{task_id}/reassign", data={
            "csrf_token": csrf_token(client, page), "instance_id": str(summary.id), "user_id": str(org["siti"])})
        assert response.status_code == 302
        return client.get(response.headers["Location"]).get_data(as_text=True)

    html = reassign_again()
    assert "Tugas ini sudah ditujukan kepada Siti Aminah / Plt. Kasubbag" in html
    assert "already assigned" not in html
    _switch(client, "en", page)
    html = reassign_again()
    assert "This task is already assigned to Siti Aminah / Plt. Kasubbag" in html
    assert "sudah ditujukan" not in html


def test_an_error_page_puts_the_chosen_language_first(client: FlaskClient, auth: Auth) -> None:
    auth.login("budi")
    missing = f"/tasks/{uuid.uuid4()}"
    html = client.get(missing).get_data(as_text=True)
    assert html.index("Tugas tidak ditemukan") < html.index("Task not found")  # the other language follows
    _switch(client, "en")
    html = client.get(missing).get_data(as_text=True)
    assert html.index("Task not found") < html.index("Tugas tidak ditemukan")
