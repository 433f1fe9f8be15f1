"""Adversarial input found in a QA pass: ids and page numbers out of range, numbers that are not numbers, forged
file references, hostile JSON in the administrator's retry box. Each must give a clear answer, never a 500, and
leave the stored data as it was."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.core import Engine
from engine.db.runtime import Instance, TaskIndex
from engine.services import instances

from .conftest import Auth, csrf_token

HUGE = "99999999999999999999"
CAPAIAN_FORM = {"ringkasan": "Laporan triwulan", "tanggal": "2024-03-31", "hasil_kerja": "Sesuai Ekspektasi",
                "kegiatan[0][nama]": "Rapat", "kegiatan[0][target]": "4", "kegiatan[0][realisasi]": "4"}


@pytest.fixture
def started(demo_deployed: Engine, org: dict[str, int]) -> instances.InstanceSummary:
    return instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], "2024")


def _form(client: FlaskClient, path: str) -> tuple[str, str]:
    page = client.get(path).get_data(as_text=True)
    return (re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),
            re.search(r'name="_version" value="(\d+)"', page).group(1))


def _state(eng: Engine, instance_id: int) -> tuple[int, str]:
    with eng.session_factory() as s:
        row = s.get(Instance, instance_id)
        return row.version, row.status


# --- ids and page numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", [
    f"/instances/{HUGE}", f"/instances/{HUGE}/dokumen/skp", f"/documents/{HUGE}", f"/admin/instances/{HUGE}",
])
def test_an_id_too_large_for_the_database_is_not_found(path: str, client: FlaskClient, auth: Auth) -> None:
    auth.login("admin")
    response = client.get(path)
    assert response.status_code == 404
    assert "tidak ditemukan" in response.get_data(as_text=True)


def test_opening_a_notification_with_a_huge_id_is_not_found(client: FlaskClient, auth: Auth) -> None:
    auth.login("budi")
    response = client.post(f"/notifications/{HUGE}/open", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/?page=", "/notifications?page=", "/admin/?page=", "/admin/errors?page="])
def test_a_huge_page_number_shows_the_last_page(path: str, client: FlaskClient, auth: Auth) -> None:
    auth.login("admin")
    response = client.get(path + HUGE)
    assert response.status_code == 200


def test_a_page_past_the_end_shows_the_last_page_with_its_tasks(app: Flask, client: FlaskClient, auth: Auth,
                                                                 demo_deployed: Engine, org: dict[str, int]) -> None:
    app.config["PER_PAGE"] = 1
    for period in ("2023", "2024"):
        instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], period)
    auth.login("budi")
    html = client.get("/?page=50").get_data(as_text=True)
    assert "halaman 2/2" in html and "/tasks/" in html
    assert "halaman 50/2" not in html


def test_a_huge_user_id_in_reassign_is_refused_with_a_message(client: FlaskClient, auth: Auth,
                                                               started: instances.InstanceSummary,
                                                               demo_deployed: Engine) -> None:
    auth.login("admin")
    before = _state(demo_deployed, started.id)
    response = client.post(f"/admin/tasks/{started.ready_task_ids[0]}/reassign", data={
        "csrf_token": csrf_token(client, f"/admin/instances/{started.id}"), "user_id": HUGE,
        "instance_id": str(started.id)})
    assert response.status_code == 302
    assert "Pilih pengguna" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert _state(demo_deployed, started.id) == before


def test_a_huge_version_is_a_conflict_not_a_500(client: FlaskClient, auth: Auth,
                                                 started: instances.InstanceSummary) -> None:
    auth.login("budi")
    path = f"/tasks/{started.ready_task_ids[0]}"
    token, _version = _form(client, path)
    response = client.post(path, data={"csrf_token": token, "_version": HUGE, **CAPAIAN_FORM})
    assert response.status_code == 409


# --- numbers that are not numbers ------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-Infinity", "1e400"])
def test_a_number_field_refuses_values_that_are_not_finite(value: str, client: FlaskClient, auth: Auth,
                                                           started: instances.InstanceSummary,
                                                           demo_deployed: Engine) -> None:
    auth.login("budi")
    path = f"/tasks/{started.ready_task_ids[0]}"
    token, version = _form(client, path)
    before = _state(demo_deployed, started.id)
    response = client.post(path, data={"csrf_token": token, "_version": version,
                                       **(CAPAIAN_FORM | {"kegiatan[0][target]": value})})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Jenis isian salah (harus number)" in html and f'value="{value}"' in html
    assert _state(demo_deployed, started.id) == before


# --- forged file references --------------------------------------------------------------------------------


UPLOAD_PROCESS = "qa_bukti"


def _upload_bundle() -> dict[str, bytes]:
    """One task for the employee: a text and a bukti dukung upload."""
    import json

    from tools.bpmn_builder import Process, document

    p = Process(UPLOAD_PROCESS, "QA bukti", lanes=["Pegawai"])
    p.start("mulai", lane="Pegawai", col=0)
    p.user("isi_realisasi", "Isi realisasi", lane="Pegawai", col=1, form="qa_realisasi")
    p.end("selesai", lane="Pegawai", col=2)
    p.chain("mulai", "isi_realisasi", "selesai")
    schema = {"title": "Realisasi / Realisation", "type": "object", "required": ["uraian", "capaian", "bukti"],
              "properties": {"uraian": {"type": "string", "title": "Uraian / What was done", "minLength": 3},
                             "capaian": {"type": "number", "title": "Capaian / Achievement", "minimum": 0},
                             "bukti": {"type": "string", "title": "Bukti dukung / Evidence",
                                       "x-accept": [".pdf", ".txt"], "x-max-bytes": 200000}}}
    return {f"{UPLOAD_PROCESS}.bpmn": document(p).encode(),
            "qa_realisasi.schema.json": json.dumps(schema).encode(),
            "qa_realisasi.uischema.json": json.dumps({"bukti": {"ui:widget": "file"}}).encode()}


def _realisation_task(eng: Engine, org: dict[str, int], employee: str, period: str) -> str:
    from engine.services.deployments import deploy

    deploy(eng, _upload_bundle(), org["pemilik"], name="qa bundle")
    return instances.start_instance(eng, UPLOAD_PROCESS, org["admin"], org[employee], period).ready_task_ids[0]


def test_a_file_field_refuses_a_reference_to_another_process_document(client: FlaskClient, auth: Auth,
                                                                       demo_deployed: Engine,
                                                                       org: dict[str, int]) -> None:
    from engine.services import documents

    other_task = _realisation_task(demo_deployed, org, "siti", "2025")
    secret = documents.store_upload(demo_deployed, org["siti"], other_task, "bukti", "rahasia.pdf", b"%PDF siti")
    task_id = _realisation_task(demo_deployed, org, "budi", "2025")
    with demo_deployed.session_factory() as s:
        instance_id = s.get(TaskIndex, task_id).instance_id
    before = _state(demo_deployed, instance_id)
    auth.login("budi")
    token, version = _form(client, f"/tasks/{task_id}")
    response = client.post(f"/tasks/{task_id}", data={
        "csrf_token": token, "_version": version, "uraian": "Sudah dikerjakan", "capaian": "100",
        "bukti": secret.as_value()})
    assert response.status_code == 422
    assert "Berkas tidak ditemukan" in response.get_data(as_text=True)
    assert _state(demo_deployed, instance_id) == before


def test_a_file_uploaded_earlier_into_the_same_task_may_be_kept(client: FlaskClient, auth: Auth,
                                                                demo_deployed: Engine, org: dict[str, int]) -> None:
    task_id = _realisation_task(demo_deployed, org, "budi", "2025")
    auth.login("budi")
    token, version = _form(client, f"/tasks/{task_id}")
    # A failing submit stores the file; the page then carries its reference in a hidden field.
    response = client.post(f"/tasks/{task_id}", content_type="multipart/form-data", data={
        "csrf_token": token, "_version": version, "uraian": "x", "capaian": "abc",
        "bukti": (io.BytesIO(b"%PDF bukti"), "bukti.pdf")})
    assert response.status_code == 422
    kept = re.search(r'name="bukti" value="([^"]+)" class="file-ref"', response.get_data(as_text=True)).group(1)
    import html as html_lib

    response = client.post(f"/tasks/{task_id}", data={
        "csrf_token": token, "_version": version, "uraian": "Sudah dikerjakan", "capaian": "100",
        "bukti": html_lib.unescape(kept)})
    assert response.status_code == 302


# --- the administrator's retry box ---------------------------------------------------------------------------


@pytest.mark.parametrize("patch, message", [
    ('{"jumlah": NaN}', "NaN"),
    ('{"jumlah": Infinity}', "Infinity"),
    ("[" * 50_000 + "]" * 50_000, "JSON tidak valid"),
])
def test_retry_refuses_json_that_is_not_plain_data(patch: str, message: str, client: FlaskClient, auth: Auth,
                                                   demo_deployed: Engine, org: dict[str, int]) -> None:
    from engine.errors import ProcessError
    from engine.services.deployments import deploy

    from ..engine.helpers import one_script_process

    deploy(demo_deployed, {"p.bpmn": one_script_process("total = 1\nratio = total / jumlah")}, None)
    summary = instances.start_instance(demo_deployed, "p_script", org["admin"], org["budi"], "2024")
    with pytest.raises(ProcessError):
        instances.complete_task(demo_deployed, org["budi"], summary.ready_task_ids[0], {})
    before = _state(demo_deployed, summary.id)
    auth.login("admin")
    response = client.post(f"/admin/instances/{summary.id}/retry", data={
        "csrf_token": csrf_token(client, f"/admin/instances/{summary.id}"), "patch": patch,
        "_version": str(before[0])})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _state(demo_deployed, summary.id) == before


# --- a task the model gives back ----------------------------------------------------------------------------


def _check_bundle() -> dict[str, bytes]:
    """One task whose entry a script checks: below zero, the task comes back with what to correct."""
    import json

    from tools.bpmn_builder import Process, document

    p = Process("qa_periksa", "QA periksa", lanes=["Pegawai"])
    p.start("mulai", lane="Pegawai", col=0)
    p.user("isi", "Isi capaian", lane="Pegawai", col=1, form="qa_periksa")
    p.script("periksa", "Periksa", "galat = 'Capaian tidak boleh negatif' if capaian < 0 else ''",
             lane="Pegawai", col=2)
    p.gateway("sah", "Sah?", lane="Pegawai", col=3, default="f_sah_selesai")
    p.end("selesai", lane="Pegawai", col=4)
    p.chain("mulai", "isi", "periksa", "sah")
    p.flow("sah", "selesai", id="f_sah_selesai")
    p.flow("sah", "isi", condition="galat != ''")
    schema = {"title": "Capaian", "type": "object", "required": ["capaian"],
              "properties": {"galat": {"type": "string", "title": "Perlu diperbaiki / To correct", "readOnly": True},
                             "capaian": {"type": "number", "title": "Capaian / Achievement"}}}
    return {"qa_periksa.bpmn": document(p).encode(), "qa_periksa.schema.json": json.dumps(schema).encode(),
            "qa_periksa.uischema.json": b"{}"}


def test_a_task_the_model_gives_back_says_so_instead_of_passed_on(client: FlaskClient, auth: Auth,
                                                                 demo_deployed: Engine, org: dict[str, int]) -> None:
    from engine.services.deployments import deploy

    deploy(demo_deployed, _check_bundle(), org["pemilik"], name="qa periksa")
    task = instances.start_instance(demo_deployed, "qa_periksa", org["admin"], org["budi"], "2024").ready_task_ids[0]
    auth.login("budi")
    token, version = _form(client, f"/tasks/{task}")
    response = client.post(f"/tasks/{task}", data={"csrf_token": token, "_version": version, "capaian": "-1"},
                           follow_redirects=True)
    page, again = response.get_data(as_text=True), response.request.path
    assert "Proses mengembalikan tugas ini kepada Anda" in page and "Tugas selesai dan diteruskan" not in page
    assert "Capaian tidak boleh negatif" in page and again.startswith("/tasks/") and again != f"/tasks/{task}"
    token, version = _form(client, again)
    page = client.post(again, data={"csrf_token": token, "_version": version, "capaian": "3"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Tugas selesai dan diteruskan" in page and "Proses mengembalikan" not in page
