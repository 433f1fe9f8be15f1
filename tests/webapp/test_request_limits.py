"""Every request is bounded (issue 16): too many fields, too large a body or draft, hostile field names, quotas,
a script result JSON cannot hold, a huge data value — each a clear answer on the form or a friendly page, never
a 500, and nothing half-stored."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.core import Engine
from engine.db.documents import TaskDraft
from engine.db.runtime import Instance, TaskIndex
from engine.services import instances
from engine.services.deployments import deploy
from tools.bpmn_builder import Process, document

from .conftest import Auth
from .test_qa_input import _realisation_task

FORM = {"ringkasan": "Laporan triwulan", "tanggal": "2024-03-31", "hasil_kerja": "Sesuai Ekspektasi",
        "kegiatan[0][nama]": "Rapat", "kegiatan[0][target]": "4", "kegiatan[0][realisasi]": "4"}


@pytest.fixture
def started(demo_deployed: Engine, org: dict[str, int]) -> instances.InstanceSummary:
    return instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], "2024")


def _form(client: FlaskClient, path: str) -> dict[str, str]:
    page = client.get(path).get_data(as_text=True)
    return {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),
            "_version": re.search(r'name="_version" value="(\d+)"', page).group(1)}


def _draft(eng: Engine, task_id: str) -> TaskDraft | None:
    with eng.session_factory() as s:
        return s.query(TaskDraft).filter_by(task_id=task_id).one_or_none()


def _state(eng: Engine, instance_id: int) -> tuple[int, str]:
    with eng.session_factory() as s:
        row = s.get(Instance, instance_id)
        return row.version, row.status


def test_a_post_with_too_many_fields_is_refused_on_the_form(client: FlaskClient, auth: Auth, demo_deployed: Engine,
                                                            started: instances.InstanceSummary) -> None:
    task_id = started.ready_task_ids[0]
    auth.login("budi")
    data = _form(client, f"/tasks/{task_id}") | FORM | {"_action": "draft"}
    data |= {f"kegiatan[{i}][nama]": "x" for i in range(1, 2_100)}
    # Before: a 600,000-row draft took 33 s, was stored whole and every later GET rendered it (700 MB of HTML).
    response = client.post(f"/tasks/{task_id}", data=data)  # urlencoded: Flask's MAX_FORM_PARTS does not apply
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert re.search(r"Formulir mengirim terlalu banyak isian \(21\d\d; paling banyak 2000\); tidak ada yang disimpan",
                     html)
    assert 'name="ringkasan"' in html  # the form is shown again
    assert _draft(demo_deployed, task_id) is None
    assert _state(demo_deployed, started.id)[1] == "running"


def test_a_multipart_post_with_too_many_parts_gets_the_friendly_413_page(client: FlaskClient, auth: Auth,
                                                                         started: instances.InstanceSummary) -> None:
    task_id = started.ready_task_ids[0]
    auth.login("budi")
    data = _form(client, f"/tasks/{task_id}") | FORM
    data |= {f"kegiatan[{i}][nama]": "x" for i in range(1, 2_200)}
    response = client.post(f"/tasks/{task_id}", data=data, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "Formulir atau berkasnya terlalu besar" in html and "tidak ada yang disimpan" in html
    assert "The form or its files are too large" in html  # the other language, quieter
    assert f'href="/tasks/{task_id}"' in html  # back to the form


def test_a_body_over_the_request_limit_gets_the_friendly_413_page(app: Flask, client: FlaskClient, auth: Auth,
                                                                  started: instances.InstanceSummary) -> None:
    assert app.config["MAX_CONTENT_LENGTH"] == 16 * 2**20
    assert app.config["MAX_FORM_MEMORY_SIZE"] == 512 * 1024 and app.config["MAX_FORM_PARTS"] == 2_100
    task_id = started.ready_task_ids[0]
    auth.login("budi")
    data = _form(client, f"/tasks/{task_id}") | FORM | {"ringkasan": "x" * (17 * 2**20)}
    response = client.post(f"/tasks/{task_id}", data=data)
    assert response.status_code == 413
    assert "16 MB" in response.get_data(as_text=True)


def test_a_field_name_with_a_5000_digit_row_number_is_not_a_500(client: FlaskClient, auth: Auth,
                                                                demo_deployed: Engine,
                                                                started: instances.InstanceSummary) -> None:
    task_id = started.ready_task_ids[0]
    auth.login("budi")
    token = _form(client, f"/tasks/{task_id}")
    for action in ("draft", "submit"):
        data = token | FORM | {f"kegiatan[{'9' * 5000}][nama]": "x", "_action": action}
        response = client.post(f"/tasks/{task_id}", data=data)
        assert response.status_code in (302, 422), response.status_code  # before: 500
    draft = _draft(demo_deployed, task_id)
    assert draft is None or all(len(str(k)) < 10 for row in draft.data.get("kegiatan", []) for k in row)


def test_a_draft_over_the_size_limit_is_refused_on_the_form(client: FlaskClient, auth: Auth, demo_deployed: Engine,
                                                            started: instances.InstanceSummary) -> None:
    task_id = started.ready_task_ids[0]
    auth.login("budi")
    data = _form(client, f"/tasks/{task_id}") | FORM | {"_action": "draft"}
    data |= {f"kegiatan[{i}][nama]": "y" * 2_000 for i in range(1, 600)}  # 1.2 MB of rows
    response = client.post(f"/tasks/{task_id}", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "Draf terlalu besar untuk disimpan (paling banyak 1 MB)" in html
    assert _draft(demo_deployed, task_id) is None


def test_rows_and_characters_are_bounded_on_submit(client: FlaskClient, auth: Auth, demo_deployed: Engine,
                                                   org: dict[str, int]) -> None:
    task_id = _realisation_task(demo_deployed, org, "budi", "2025")
    with demo_deployed.session_factory() as s:
        instance_id = s.get(TaskIndex, task_id).instance_id
    before = _state(demo_deployed, instance_id)
    auth.login("budi")
    data = _form(client, f"/tasks/{task_id}") | {"uraian": "x" * 20_001, "capaian": "100"}
    response = client.post(f"/tasks/{task_id}", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "20000" in re.search(r'id="f-uraian".*?</div>', html, re.S).group(0)  # maxLength, next to the field
    assert _state(demo_deployed, instance_id) == before


def test_an_upload_past_the_quota_is_refused_on_its_field(client: FlaskClient, auth: Auth, demo_deployed: Engine,
                                                          org: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    task_id = _realisation_task(demo_deployed, org, "budi", "2025")
    monkeypatch.setenv("SMK_UPLOAD_QUOTA_USER_MB", "1")
    auth.login("budi")
    token = _form(client, f"/tasks/{task_id}")
    for _ in range(6):  # 6 x 190 KB: the sixth passes 1 MB
        response = client.post(f"/tasks/{task_id}", content_type="multipart/form-data", data=token | {
            "uraian": "x", "capaian": "abc", "bukti": (io.BytesIO(b"%PDF" + b"x" * 190_000), "bukti.pdf")})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="f-bukti-err">Anda sudah mengunggah \d+ KB berkas; paling banyak 1 MB yang diizinkan', html)


def _script_bundle(script: str) -> dict[str, bytes]:
    p = Process("p_hasil", "Hasil", lanes=["Pegawai"])
    p.start("s", lane="Pegawai", col=0)
    p.user("first", "First", lane="Pegawai", col=1)
    p.script("hitung", "Hitung", script, lane="Pegawai", col=2)
    p.user("second", "Second", lane="Pegawai", col=3)
    p.end("e", lane="Pegawai", col=4)
    p.chain("s", "first", "hitung", "second", "e")
    return {"hasil.bpmn": document(p).encode()}


def test_a_script_result_json_cannot_hold_is_an_error_not_a_500(client: FlaskClient, auth: Auth,
                                                                demo_deployed: Engine, org: dict[str, int]) -> None:
    deploy(demo_deployed, _script_bundle("d = {(1, 2): 'x'}"), org["pemilik"])
    started = instances.start_instance(demo_deployed, "p_hasil", org["admin"], org["budi"], "2024")
    task_id = started.ready_task_ids[0]
    auth.login("budi")
    response = client.post(f"/tasks/{task_id}", data=_form(client, f"/tasks/{task_id}"))
    assert response.status_code == 302  # before: 500, and the instance stayed "running"
    assert _state(demo_deployed, started.id)[1] == "error"
    assert client.get(f"/tasks/{task_id}").status_code == 200


def test_the_instance_page_shortens_a_huge_value(client: FlaskClient, auth: Auth, demo_deployed: Engine,
                                                 org: dict[str, int]) -> None:
    deploy(demo_deployed, _script_bundle("besar = 'x' * 900000"), org["pemilik"])
    started = instances.start_instance(demo_deployed, "p_hasil", org["admin"], org["budi"], "2024")
    instances.complete_task(demo_deployed, org["budi"], started.ready_task_ids[0], {})
    auth.login("admin")  # the raw data is for administrators and process owners
    response = client.get(f"/instances/{started.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert len(html) < 200_000  # before: the whole value, 900 KB (300 MB in the report)
    assert 'data-testid="clipped"' in html and "x" * 2000 in html and "x" * 2001 not in html
