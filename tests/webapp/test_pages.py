"""The employee and assessor pages over HTTP: drafts, conflicts, uploads, SKP saya, Tim saya, the instance page,
documents (HTML and PDF), inbox filters and both languages."""

from __future__ import annotations

import io
import re

import pytest
from flask.testing import FlaskClient

from engine.core import Engine
from engine.services import instances
from tests.browser import skp_bundle

from .conftest import Auth, csrf_token

CAPAIAN = {"ringkasan": "Laporan triwulan", "tanggal": "2024-03-31", "hasil_kerja": "Sesuai Ekspektasi",
           "kegiatan": [{"nama": "Rapat", "target": 4, "realisasi": 4}]}


@pytest.fixture
def started(demo_deployed: Engine, org: dict[str, int]):
    return instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], "2024")


@pytest.fixture
def finished(demo_deployed: Engine, org: dict[str, int]) -> int:
    """A demo instance run to the end: budi reported, dewi approved with a note, HR confirmed."""
    step = instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], "2023")
    step = instances.complete_task(demo_deployed, org["budi"], step.ready_task_ids[0], CAPAIAN)
    step = instances.complete_task(demo_deployed, org["dewi"], step.ready_task_ids[0], {
        "keputusan": "setuju", "perilaku": "Di Atas Ekspektasi", "catatan": "Pertahankan ketepatan waktu."})
    instances.claim_task(demo_deployed, org["indah"], step.ready_task_ids[0])
    step = instances.complete_task(demo_deployed, org["indah"], step.ready_task_ids[0], {"dikonfirmasi": True})
    assert step.status == "completed"
    return step.id


def _form(client: FlaskClient, path: str) -> tuple[str, str]:
    page = client.get(path).get_data(as_text=True)
    return (re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),
            re.search(r'name="_version" value="(\d+)"', page).group(1))


def test_draft_is_kept_without_validation_and_restored(client: FlaskClient, auth: Auth, started) -> None:
    auth.login("budi")
    path = f"/tasks/{started.ready_task_ids[0]}"
    token, version = _form(client, path)
    response = client.post(path, data={"csrf_token": token, "_version": version, "_action": "draft",
                                       "ringkasan": "se", "kegiatan[0][nama]": "Rapat awal"})
    assert response.status_code == 302
    page = client.get(path).get_data(as_text=True)
    assert ">se</textarea>" in page and 'value="Rapat awal"' in page and "Draf tersimpan" in page


def test_stale_version_keeps_the_typed_values_and_explains(client: FlaskClient, auth: Auth, started) -> None:
    auth.login("budi")
    path = f"/tasks/{started.ready_task_ids[0]}"
    token, version = _form(client, path)
    data = {"csrf_token": token, "_version": str(int(version) - 1), "_action": "submit",
            "ringkasan": "Ketikan saya", "tanggal": "2024-03-31", "hasil_kerja": "Sesuai Ekspektasi",
            "kegiatan[0][nama]": "Rapat", "kegiatan[0][target]": "4", "kegiatan[0][realisasi]": "4"}
    response = client.post(path, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "diubah orang lain" in html and ">Ketikan saya</textarea>" in html
    assert f'name="_version" value="{version}"' in html  # resubmitting now works


def _realisation_task(eng: Engine, org: dict[str, int]) -> str:
    from engine.services.deployments import deploy

    deploy(eng, skp_bundle.files(), org["pemilik"], name="browser bundle")
    step = instances.start_instance(eng, skp_bundle.PROCESS_ID, org["admin"], org["budi"], "2025")
    step = instances.complete_task(eng, org["budi"], step.ready_task_ids[0], {
        "rhk": [{"rhk": "Laporan", "jenis": "Utama", "indikator": "Dokumen", "target": 1}]})
    step = instances.complete_task(eng, org["dewi"], step.ready_task_ids[0], {"keputusan": "setujui"})
    return step.ready_task_ids[0]


@pytest.mark.parametrize("filename, content, message", [
    ("besar.pdf", b"%PDF" + b"x" * 200_001, "Berkas terlalu besar"),
    ("program.exe", b"MZ", "Jenis berkas tidak diizinkan"),
    ("kosong.pdf", b"", "Berkas kosong"),
])
def test_upload_limits_are_checked_on_the_server(filename: str, content: bytes, message: str, client: FlaskClient,
                                                 auth: Auth, demo_deployed: Engine, org: dict[str, int]) -> None:
    task_id = _realisation_task(demo_deployed, org)
    auth.login("budi")
    token, version = _form(client, f"/tasks/{task_id}")
    response = client.post(f"/tasks/{task_id}", content_type="multipart/form-data", data={
        "csrf_token": token, "_version": version, "uraian": "Sudah dikerjakan", "capaian": "100",
        "bukti": (io.BytesIO(content), filename)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and ">Sudah dikerjakan</textarea>" in html


def test_upload_is_stored_with_its_hash_and_referenced_from_the_task_data(
        client: FlaskClient, auth: Auth, demo_deployed: Engine, org: dict[str, int]) -> None:
    import hashlib

    task_id = _realisation_task(demo_deployed, org)
    auth.login("budi")
    token, version = _form(client, f"/tasks/{task_id}")
    body = b"%PDF-1.4 bukti"
    response = client.post(f"/tasks/{task_id}", content_type="multipart/form-data", data={
        "csrf_token": token, "_version": version, "uraian": "Sudah dikerjakan", "capaian": "100",
        "bukti": (io.BytesIO(body), "bukti.pdf")})
    assert response.status_code == 302
    from engine.queries.instance import instance_detail

    with demo_deployed.session_factory() as s:
        from engine.db.runtime import TaskIndex

        instance_id = s.get(TaskIndex, task_id).instance_id
    data = instance_detail(demo_deployed, org["budi"], instance_id).data
    ref = documents_ref(data["bukti"])
    assert ref.sha256 == hashlib.sha256(body).hexdigest() and ref.size == len(body) and ref.filename == "bukti.pdf"
    assert client.get(f"/documents/{ref.id}").data == body


def documents_ref(value: str):
    from engine.services.documents import parse_ref

    ref = parse_ref(value)
    assert ref is not None
    return ref


def test_skp_saya_shows_status_feedback_result_and_history(client: FlaskClient, auth: Auth, finished: int,
                                                          started) -> None:
    auth.login("budi")
    html = client.get("/skp").get_data(as_text=True)
    assert "Periode berjalan" in html and "2024" in html           # the current period
    assert "menunggu" not in html or "giliran Anda" in html          # budi's own task is his turn
    assert "Periode sebelumnya" in html and "2023" in html          # history
    assert "Pertahankan ketepatan waktu." in html                   # feedback received
    assert 'class="badge fs-6 text-bg-success predikat">Baik' in html  # result


def test_tim_saya_lists_subordinates_and_the_curve(client: FlaskClient, auth: Auth, finished: int) -> None:
    auth.login("dewi")
    html = client.get("/team?period=2023&unit=Istimewa").get_data(as_text=True)
    assert "Budi Santoso" in html and "Siti Aminah" in html
    assert "Predikat unit" in html and "<strong>Istimewa</strong>" in html
    # The curve is the whole unit's (Biro Perencanaan dan Keuangan), not the team's; this demo process records no
    # SMK proposal, so the unit has none to check (budi's Baik is shown as the team's share only).
    assert "Unit kurva: Biro Perencanaan dan Keuangan" in html and "(tim Anda: 1)" in html
    assert "Sesuai kurva distribusi" not in html and "Belum sesuai kurva" not in html
    assert "Tim saya" in client.get("/").get_data(as_text=True)      # the navigation offers it
    auth.logout()
    auth.login("budi")
    assert 'href="/team"' not in client.get("/").get_data(as_text=True)  # not to someone with no team



def test_tim_saya_folds_the_finished_cases_and_keeps_the_running_ones_in_sight(
        client: FlaskClient, auth: Auth, finished: int, demo_deployed: Engine, org: dict[str, int]) -> None:
    # An assessor of dozens read every case of every person (seven a year each); the finished ones now fold under
    # one line, the running ones stay with what they wait for and whose turn it is.
    running = instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], "2023").id
    auth.login("dewi")
    html = client.get("/team?period=2023").get_data(as_text=True)
    folded = html.split('<details class="small team-finished">')[1].split("</details>")[0]
    assert "<summary>1 proses selesai</summary>" in folded and f'href="/instances/{finished}"' in folded
    assert f'href="/instances/{running}"' not in folded and f'href="/instances/{running}"' in html
    assert "Isi capaian kinerja · Budi Santoso" in html  # budi's turn on the running one, not dewi's

def test_instance_page_marks_the_diagram_and_shows_the_timeline(client: FlaskClient, auth: Auth,
                                                              finished: int) -> None:
    auth.login("dewi")
    html = client.get(f"/instances/{finished}").get_data(as_text=True)
    completed = re.search(r'data-completed="([^"]*)"', html).group(1).split()
    assert {"isi_capaian", "tinjau", "konfirmasi_sdm", "selesai"} <= set(completed)
    assert "bpmn:definitions" in html and "bpmn-navigated-viewer.production.min.js" in html
    assert "Tugas selesai" in html and "Pertahankan ketepatan waktu." not in html  # submitted values: raw view
    auth.logout()
    auth.login("admin")  # administrators and process owners read the submitted values too
    assert "Pertahankan ketepatan waktu." in client.get(f"/instances/{finished}").get_data(as_text=True)


def test_documents_print_as_html_and_pdf(client: FlaskClient, auth: Auth, finished: int) -> None:
    auth.login("budi")
    html = client.get(f"/instances/{finished}/dokumen/evaluasi").get_data(as_text=True)
    assert "DOKUMEN EVALUASI KINERJA PEGAWAI" in html and "Dewi Lestari" in html and "198812202014021001" in html
    assert "@media print" in html
    skp = client.get(f"/instances/{finished}/dokumen/skp").get_data(as_text=True)
    assert "SASARAN KINERJA PEGAWAI" in skp and "Berorientasi Pelayanan" in skp
    pdf = client.get(f"/instances/{finished}/dokumen/skp?format=pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")


def test_inbox_filters_scope_and_empty_state(client: FlaskClient, auth: Auth, demo_deployed: Engine,
                                             org: dict[str, int], started) -> None:
    auth.login("budi")
    assert "Isi capaian kinerja" in client.get("/?process=demo_penilaian&period=2024").get_data(as_text=True)
    assert "Isi capaian kinerja" not in client.get("/?due=overdue").get_data(as_text=True)
    assert "Isi capaian kinerja" not in client.get("/?scope=group").get_data(as_text=True)
    assert "cocok dengan saringan" in client.get("/?period=1999").get_data(as_text=True)
    instances.complete_task(demo_deployed, org["budi"], started.ready_task_ids[0], CAPAIAN)
    html = client.get("/").get_data(as_text=True)
    assert "Tidak ada tugas untuk Anda saat ini" in html and "Dewi Lestari" in html  # who it waits for


def test_group_task_can_be_claimed_and_released_from_the_inbox(client: FlaskClient, auth: Auth,
                                                               demo_deployed: Engine, org: dict[str, int]) -> None:
    step = instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], "2024")
    step = instances.complete_task(demo_deployed, org["budi"], step.ready_task_ids[0], CAPAIAN)
    step = instances.complete_task(demo_deployed, org["dewi"], step.ready_task_ids[0],
                                   {"keputusan": "setuju", "perilaku": "Sesuai Ekspektasi"})
    auth.login("joko")
    html = client.get("/?scope=group").get_data(as_text=True)
    assert "Konfirmasi Biro SDM" in html and "Ambil" in html
    token = csrf_token(client, "/")
    assert client.post(f"/tasks/{step.ready_task_ids[0]}/claim", data={"csrf_token": token}).status_code == 302
    assert "Diambil oleh Anda" in client.get("/").get_data(as_text=True)
    assert client.post(f"/tasks/{step.ready_task_ids[0]}/release", data={"csrf_token": token}).status_code == 302
    assert "Tugas kelompok" in client.get("/").get_data(as_text=True)


def test_english_shows_the_english_half_of_form_titles_and_messages(client: FlaskClient, auth: Auth,
                                                                    started) -> None:
    auth.login("budi")
    client.post("/lang/en", data={"csrf_token": csrf_token(client, "/"), "next": "/"})
    path = f"/tasks/{started.ready_task_ids[0]}"
    html = client.get(path).get_data(as_text=True)
    assert "Performance realisation" in html and "Report date" in html and "Save draft" in html
    assert "Capaian kinerja /" not in html
    token, version = _form(client, path)
    html = client.post(path, data={"csrf_token": token, "_version": version, "ringkasan": "x"}).get_data(as_text=True)
    assert "Too short" in html and "Terlalu pendek" not in html
    assert "My SKP" in client.get("/skp").get_data(as_text=True)


def test_only_real_document_references_render_as_attachments() -> None:
    from engine.services.documents import parse_ref

    assert parse_ref({"id": 7, "nama": "Budi Santoso", "jabatan": "Analis"}) is None  # an employee profile
    ref = parse_ref('{"id": 3, "filename": "bukti.pdf", "size": 10, "sha256": "ab", "content_type": "x"}')
    assert ref is not None and ref.filename == "bukti.pdf"


def test_documents_print_the_rows_people_entered_with_their_form_titles(client: FlaskClient, auth: Auth,
                                                                        finished: int) -> None:
    auth.login("budi")
    skp = client.get(f"/instances/{finished}/dokumen/skp").get_data(as_text=True)
    assert "<h3>Kegiatan</h3>" in skp
    assert "<th>Nama kegiatan</th><th>Target</th><th>Realisasi</th>" in skp
    assert "Nama kegiatan / Activity" not in skp  # one language at a time
    client.post("/lang/en", data={"csrf_token": _token(client), "next": "/"})
    skp = client.get(f"/instances/{finished}/dokumen/skp").get_data(as_text=True)  # official: always Indonesian
    assert "<h3>Kegiatan</h3>" in skp and "<th>Nama kegiatan</th>" in skp and "<h3>Activities</h3>" not in skp


def _token(client: FlaskClient) -> str:
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").get_data(as_text=True)).group(1)


def test_tim_saya_curve_before_anyone_is_rated(client: FlaskClient, auth: Auth, started) -> None:
    auth.login("dewi")
    html = client.get("/team?period=2024&unit=Baik").get_data(as_text=True)
    assert "Belum ada predikat pegawai" in html
    assert "Sesuai kurva distribusi" not in html and "Belum sesuai kurva" not in html
