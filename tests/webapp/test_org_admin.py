"""The organisation import, the users page and the account pages over HTTP: who may open what, the import's
preview and apply, bad files, deactivation that flags tasks to HR, one-time password links, own password and
language."""

from __future__ import annotations

import io
import re

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.notify import TASK_UNASSIGNED, Notification
from engine.db.org import PasswordLink, Position, Unit, User
from engine.services import accounts, instances
from processes.orgimport import organisation_xlsx
from tools import orggen

from .conftest import Auth, csrf_token

PAGES = ["/organisasi/impor", "/organisasi/pengguna", "/organisasi/pengguna?q=dewi&state=active",
         "/organisasi/impor/templat.xlsx", "/organisasi/impor/organisasi.xlsx"]
CAPAIAN = {"ringkasan": "Laporan", "tanggal": "2024-01-31", "hasil_kerja": "Sesuai Ekspektasi",
           "kegiatan": [{"nama": "Rapat", "target": 4, "realisasi": 4}]}


def _state(eng: Engine) -> tuple[int, ...]:
    with eng.session_factory() as s:
        return tuple(s.scalar(select(func.count()).select_from(t)) or 0
                     for t in (Unit, Position, User, PasswordLink, AuditEvent))


@pytest.mark.parametrize(("user", "status"), [("indah", 200), ("admin", 200), ("budi", 403), ("dewi", 403),
                                              ("pemilik", 403), ("hartono", 403)])
def test_only_hr_and_administrators_open_the_organisation_pages(client: FlaskClient, auth: Auth, org: dict[str, int],
                                                                user: str, status: int) -> None:
    auth.login(user)
    for path in PAGES + [f"/organisasi/pengguna/{org['budi']}"]:
        assert client.get(path).status_code == status, path
    token = csrf_token(client, "/")
    for path in ["/organisasi/impor", "/organisasi/impor/terapkan", f"/organisasi/pengguna/{org['siti']}/status",
                 f"/organisasi/pengguna/{org['siti']}/tautan"]:
        response = client.post(path, data={"csrf_token": token})
        assert (response.status_code == 403) == (status == 403), path
        if not path.endswith("/tautan"):  # (a link needs nothing but the user: HR gets one)
            assert response.status_code in (403, 400, 404, 422), path  # nothing posted: refused one way or another
    with client.application.extensions["smk_engine"].session_factory() as s:
        assert s.get(User, org["siti"]).active


@pytest.mark.parametrize("user", ["indah", "admin", "budi", "dewi", "pemilik"])
def test_everyone_opens_their_own_account_page(client: FlaskClient, auth: Auth, user: str) -> None:
    auth.login(user)
    page = client.get("/akun").get_data(as_text=True)
    assert 'name="old_password"' in page and 'value="en"' in page
    assert "/akun" in client.get("/").get_data(as_text=True)  # in the user menu


def test_anonymous_visitors_are_sent_to_login(client: FlaskClient, org: dict[str, int]) -> None:
    for path in PAGES + ["/akun", f"/organisasi/pengguna/{org['budi']}"]:
        assert client.get(path).status_code in (302, 401), path
    assert client.get("/akun/sandi/no-such-token").status_code == 404  # the link page needs no login


def _upload(client: FlaskClient, files: dict[str, bytes], path: str = "/organisasi/impor"):
    data: dict[str, object] = {"csrf_token": csrf_token(client, "/organisasi/impor")}
    data["files"] = [(io.BytesIO(content), name) for name, content in files.items()]
    return client.post(path, data=data, content_type="multipart/form-data")


def _current(eng: Engine) -> orggen.Rows:
    with eng.session_factory() as s:
        book = organisation_xlsx(s)
    sheets = load_workbook(io.BytesIO(book), read_only=True)
    return {name: [[("" if v is None else str(v)) for v in row] for row in list(sheets[name].iter_rows(values_only=True))[1:]]
            for name in ("unit", "jabatan", "pegawai")}


def test_import_preview_then_apply_moves_a_review_and_creates_accounts(client: FlaskClient, auth: Auth,
                                                                      demo_deployed: Engine, org: dict[str, int]) -> None:
    started = instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], "2024")
    review = instances.complete_task(demo_deployed, org["budi"], started.ready_task_ids[0], CAPAIAN).ready_task_ids[0]
    rows = _current(demo_deployed)
    budi = next(p for p in rows["pegawai"] if p[0] == "198812202014021001")
    budi[2] = "BSD-1-1-02"  # transferred to Subbagian Penilaian Kinerja: indah assesses him from now on
    rows["pegawai"].append(["199103032015031001", "Pegawai Baru", "BSD-1-1-03", "baru@demo.smk.go.id", "Penata Muda (III/a)",
                            "PNS", "ya"])
    auth.login("indah")
    before = _state(demo_deployed)
    response = _upload(client, {"organisasi.xlsx": orggen.workbook(rows)})
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:3000]
    assert _state(demo_deployed) == before  # a preview changes nothing
    assert "Budi Santoso" in page and "BRP-1-1-02" in page and "BSD-1-1-02" in page
    handovers = page[page.index('data-testid="handovers"'):]
    assert "Dewi Lestari" in handovers and "Indah Permatasari" in handovers
    upload = re.search(r'name="upload" value="([^"]+)"', page).group(1)
    digest = re.search(r'name="digest" value="([^"]+)"', page).group(1)
    response = client.post("/organisasi/impor/terapkan", data={"csrf_token": csrf_token(client, "/organisasi/impor"),
                                                               "upload": upload, "digest": digest})
    done = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="accounts"' in done
    link = re.search(r'value="(http://localhost/akun/sandi/[^"]+)"', done).group(1)
    with demo_deployed.session_factory() as s:
        new = s.scalars(select(User).where(User.username == "199103032015031001")).one()
        assert new.password_hash == "" and new.email == "baru@demo.smk.go.id"
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "org.imported")) == 1
    auth.logout()
    auth.login("indah")
    assert review in client.get("/").get_data(as_text=True)  # the review is indah's now
    # The same upload cannot be applied twice (it is gone), and nobody else's upload can be applied.
    assert client.post("/organisasi/impor/terapkan", data={"csrf_token": csrf_token(client, "/"), "upload": upload,
                                                           "digest": digest}).status_code == 404
    auth.logout()
    assert client.get(link.removeprefix("http://localhost")).status_code == 200


def test_an_apply_after_the_organisation_changed_shows_the_new_preview(client: FlaskClient, auth: Auth,
                                                                      demo_deployed: Engine, org: dict[str, int]) -> None:
    rows = _current(demo_deployed)
    rows["pegawai"][0][1] = "Dr. Hartono Wibisono, M.Si."
    auth.login("admin")
    page = _upload(client, {"o.xlsx": orggen.workbook(rows)}).get_data(as_text=True)
    form = {k: re.search(rf'name="{k}" value="([^"]+)"', page).group(1) for k in ("upload", "digest", "csrf_token")}
    with demo_deployed.session_factory.begin() as s:
        s.get(User, org["ratna"]).email = "ratna@baru.go.id"
    before = _state(demo_deployed)
    response = client.post("/organisasi/impor/terapkan", data=form)
    assert response.status_code == 409 and "ratna@baru.go.id" in response.get_data(as_text=True)
    assert _state(demo_deployed) == before


def test_bad_files_are_listed_and_change_nothing(client: FlaskClient, auth: Auth, demo_deployed: Engine) -> None:
    auth.login("indah")
    before = _state(demo_deployed)
    files = {"unit.csv": b"kode,nama,kode_induk\nA,Unit A,\n",
             "jabatan.csv": b"kode,nama,jenis,kode_unit,kode_atasan\nJ1,Kepala,JPT Utama,A,\nJ2,Staf,Pelaksana,A,\n",
             "pegawai.csv": "nip,nama,kode_jabatan\n198812202014021001,Bambang Suryadi – Kepala,J1\n".encode("cp1252")}
    response = _upload(client, files)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "pegawai.csv" in page and "UTF-8" in page
    files["pegawai.csv"] = b"nip,nama,kode_jabatan\n198812202014021001,=cmd|' /C calc'!A0,J1\n"
    page = _upload(client, files).get_data(as_text=True)
    assert "jabatan.csv" in page and "kode_atasan" in page and "=cmd|&#39; /C calc&#39;!A0" in page
    assert "rumus" in page  # in Indonesian: the formula cell
    assert _upload(client, {"x.pdf": b"%PDF"}).status_code == 422
    assert _state(demo_deployed) == before


def test_a_50_mb_upload_is_refused_by_the_request_limit(client: FlaskClient, auth: Auth, demo_deployed: Engine) -> None:
    auth.login("indah")
    before = _state(demo_deployed)
    response = _upload(client, {"organisasi.xlsx": b"PK" + b"\0" * (50 * 2**20)})
    assert response.status_code == 413 and "MB" in response.get_data(as_text=True)
    assert _state(demo_deployed) == before


def test_downloads_are_workbooks_and_the_export_is_audited(client: FlaskClient, auth: Auth, demo_deployed: Engine) -> None:
    auth.login("indah")
    for path in ("/organisasi/impor/templat.xlsx", "/organisasi/impor/organisasi.xlsx"):
        response = client.get(path)
        assert response.mimetype.endswith("spreadsheetml.sheet") and "attachment" in response.headers["Content-Disposition"]
        assert load_workbook(io.BytesIO(response.data), read_only=True).sheetnames[:3] == ["unit", "jabatan", "pegawai"]
    with demo_deployed.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "org.exported")) == 1


def test_users_are_found_by_name_nip_and_unit(client: FlaskClient, auth: Auth) -> None:
    auth.login("indah")
    for query, found, not_found in [("dewi", "Dewi Lestari", "Budi Santoso"), ("198812202014021001", "Budi Santoso", "Dewi"),
                                    ("Subbagian Perlengkapan", "Sri Mulyani", "Budi Santoso"), ("BUM-1-1", "Taufik", "Ratna")]:
        page = client.get("/organisasi/pengguna", query_string={"q": query}).get_data(as_text=True)
        table = page[page.index('data-testid="users"'):]
        assert found in table and not_found not in table, query


def test_deactivating_an_assessor_flags_her_open_review_to_hr(client: FlaskClient, auth: Auth, demo_deployed: Engine,
                                                              org: dict[str, int]) -> None:
    started = instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], "2024")
    review = instances.complete_task(demo_deployed, org["budi"], started.ready_task_ids[0], CAPAIAN).ready_task_ids[0]
    auth.login("indah")
    response = client.post(f"/organisasi/pengguna/{org['dewi']}/status", data={
        "csrf_token": csrf_token(client, "/organisasi/pengguna"), "active": "0", "reason": "Pensiun"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 tugas" in page  # "1 open task … flagged to Biro SDM", in Indonesian
    with demo_deployed.session_factory() as s:
        assert not s.get(User, org["dewi"]).active
        told = set(s.scalars(select(Notification.user_id).where(Notification.task_id == review,
                                                                Notification.kind == TASK_UNASSIGNED)))
        assert {org["indah"], org["admin"]} <= told
        event = s.scalars(select(AuditEvent).where(AuditEvent.kind == "account.deactivated")).one()
        assert event.subject_id == org["dewi"] and event.data["flagged"] == 1 and event.data["reason"] == "Pensiun"
    auth.logout()
    assert auth.login("dewi").status_code == 401  # she cannot log in any more
    auth.login("indah")
    assert client.post(f"/organisasi/pengguna/{org['indah']}/status", data={
        "csrf_token": csrf_token(client, "/organisasi/pengguna"), "active": "0"}).status_code == 302
    with demo_deployed.session_factory() as s:
        assert s.get(User, org["indah"]).active  # nobody deactivates themselves
    client.post(f"/organisasi/pengguna/{org['dewi']}/status", data={
        "csrf_token": csrf_token(client, "/organisasi/pengguna"), "active": "1"})
    with demo_deployed.session_factory() as s:
        assert s.get(User, org["dewi"]).active


def test_a_reset_link_works_once_and_follows_the_policy(client: FlaskClient, auth: Auth, demo_deployed: Engine,
                                                        org: dict[str, int]) -> None:
    auth.login("indah")
    page = client.post(f"/organisasi/pengguna/{org['budi']}/tautan", data={
        "csrf_token": csrf_token(client, "/organisasi/pengguna")}).get_data(as_text=True)
    path = re.search(r'value="http://localhost(/akun/sandi/[^"]+)"', page).group(1)
    again = client.post(f"/organisasi/pengguna/{org['budi']}/tautan", data={
        "csrf_token": csrf_token(client, "/organisasi/pengguna")}).get_data(as_text=True)
    newer = re.search(r'value="http://localhost(/akun/sandi/[^"]+)"', again).group(1)
    auth.logout()
    assert client.get(path).status_code == 404  # replaced by the newer link
    response = client.get(newer)
    assert response.status_code == 200 and "Budi Santoso" in response.get_data(as_text=True)
    assert response.headers["Referrer-Policy"] == "no-referrer"
    token = csrf_token(client, newer)
    for password, confirm, message in [("short", "short", "10"), ("budi-secret-1", "budi-secret-1", "NIP"),
                                       ("bismillah2026!", "bismillah2026!", "umum"),
                                       ("198812202014021001x", "198812202014021001x", "NIP"),
                                       ("Kopi-tubruk-7", "Kopi-tubruk-8", "berbeda")]:
        response = client.post(newer, data={"csrf_token": token, "password": password, "confirm": confirm})
        assert response.status_code == 422 and message in response.get_data(as_text=True), password
    response = client.post(newer, data={"csrf_token": token, "password": "Kopi-tubruk-7", "confirm": "Kopi-tubruk-7"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert client.get(newer).status_code == 404  # used up
    assert auth.login("budi", "Kopi-tubruk-7").status_code == 302
    assert auth.logout() and auth.login("budi").status_code == 401  # the old password is gone


def test_a_link_expires_after_seven_days(demo_deployed: Engine, org: dict[str, int], clock) -> None:
    link = accounts.reset_link(demo_deployed, org["indah"], org["siti"])
    token = link.path.rsplit("/", 1)[1]
    assert accounts.link_info(demo_deployed, token).username == "siti"
    clock.advance(days=7, seconds=1)
    with pytest.raises(accounts.NotFound):
        accounts.link_info(demo_deployed, token)
    with demo_deployed.session_factory() as s:
        stored = s.scalars(select(PasswordLink.token_hash)).all()
    assert token not in stored and len(stored[0]) == 64  # only the hash is stored


def test_changing_ones_password_and_language(client: FlaskClient, auth: Auth, demo_deployed: Engine) -> None:
    auth.login("siti")
    token = csrf_token(client, "/akun")
    response = client.post("/akun/sandi", data={"csrf_token": token, "old_password": "wrong", "password": "Teh-manis-2026",
                                                "confirm": "Teh-manis-2026"})
    assert response.status_code == 422 and 'id="p-old_password-err"' in response.get_data(as_text=True)
    response = client.post("/akun/sandi", data={"csrf_token": token, "old_password": "demo12345",
                                                "password": "qwertyuiop123", "confirm": "qwertyuiop123"})
    assert response.status_code == 422 and 'id="p-password-err"' in response.get_data(as_text=True)
    response = client.post("/akun/sandi", data={"csrf_token": token, "old_password": "demo12345",
                                                "password": "Teh-manis-2026", "confirm": "Teh-manis-2026"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert client.get("/").status_code == 302  # this session ended too
    assert auth.login("siti", "Teh-manis-2026").status_code == 302
    client.post("/akun/bahasa", data={"csrf_token": csrf_token(client, "/akun"), "locale": "en"})
    assert "My account" in client.get("/akun").get_data(as_text=True)
    auth.logout()
    auth.login("siti", "Teh-manis-2026")
    assert "My account" in client.get("/akun").get_data(as_text=True)  # the preference outlives the session
    assert client.post("/akun/bahasa", data={"csrf_token": csrf_token(client, "/akun"), "locale": "fr"}).status_code == 422
