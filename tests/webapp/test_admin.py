"""Administration pages through HTTP: who may open them, and each operation as an administrator sees it."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from engine.core import Engine
from engine.db.runtime import Instance
from engine.errors import ProcessError
from engine.services import inbox, instances
from engine.services.deployments import deploy

from ..engine.helpers import one_script_process
from .conftest import Auth, csrf_token


@pytest.fixture
def started(demo_deployed: Engine, org: dict[str, int]) -> instances.InstanceSummary:
    return instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], "2024")


@pytest.fixture
def errored(demo_deployed: Engine, org: dict[str, int]) -> instances.InstanceSummary:
    deploy(demo_deployed, {"p.bpmn": one_script_process("total = 1\nratio = total / jumlah")}, None)
    summary = instances.start_instance(demo_deployed, "p_script", org["admin"], org["budi"], "2024")
    with pytest.raises(ProcessError):
        instances.complete_task(demo_deployed, org["budi"], summary.ready_task_ids[0], {})
    return summary


def status(eng: Engine, instance_id: int) -> str:
    with eng.session_factory() as s:
        return s.get(Instance, instance_id).status


def page_of(client: FlaskClient, instance_id: int) -> str:
    response = client.get(f"/admin/instances/{instance_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def form(client: FlaskClient, page_id: int, **data: str) -> dict[str, str]:
    """Fields an administrator's browser would send from the instance page (token and version)."""
    html = page_of(client, page_id)
    version = re.search(r'name="_version" value="(\d+)"', html)
    base = {"csrf_token": csrf_token(client, f"/admin/instances/{page_id}")}
    if version:
        base["_version"] = version.group(1)
    return base | data


def follow(client: FlaskClient, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client.get(response.headers["Location"]).get_data(as_text=True)


# --- who may --------------------------------------------------------------------------------------


def admin_urls(instance_id: int, task_id: str) -> list[tuple[str, str]]:
    return [("GET", "/admin/"), ("GET", "/admin/errors"), ("GET", f"/admin/instances/{instance_id}"),
            ("POST", f"/admin/instances/{instance_id}/suspend"), ("POST", f"/admin/instances/{instance_id}/resume"),
            ("POST", f"/admin/instances/{instance_id}/terminate"), ("POST", f"/admin/instances/{instance_id}/retry"),
            ("POST", f"/admin/tasks/{task_id}/reassign"), ("GET", "/admin/users.json?q=siti")]


@pytest.mark.parametrize("username", ["budi", "dewi", "indah", "pemilik"])
def test_only_administrators_may_open_admin_pages(client: FlaskClient, auth: Auth, username: str,
                                                  started: instances.InstanceSummary, demo_deployed: Engine,
                                                  org: dict[str, int]) -> None:
    auth.login(username)
    token = csrf_token(client, "/")
    for method, url in admin_urls(started.id, started.ready_task_ids[0]):
        data = {"csrf_token": token, "reason": "x", "confirm": "yes", "patch": "{}", "user_id": str(org[username])}
        response = client.get(url) if method == "GET" else client.post(url, data=data)
        assert response.status_code == 403, (method, url)
    assert status(demo_deployed, started.id) == "running"


# webapp/nav.py also offers the link to process owners ("Pemilik Proses"), who get 403 here.
@pytest.mark.parametrize("username", ["budi", "dewi", "indah"])
def test_the_admin_link_is_not_shown_to_others(client: FlaskClient, auth: Auth, username: str) -> None:
    auth.login(username)
    assert 'href="/admin/"' not in client.get("/").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_the_login_page(client: FlaskClient, started: instances.InstanceSummary) -> None:
    for method, url in admin_urls(started.id, started.ready_task_ids[0]):
        response = client.get(url) if method == "GET" else client.post(url)
        assert response.status_code in (302, 400), (method, url)  # a POST without a token stops at CSRF
        if response.status_code == 302:
            assert "/login" in response.headers["Location"]


def test_administrator_sees_the_admin_link_and_lists(client: FlaskClient, auth: Auth,
                                                     started: instances.InstanceSummary) -> None:
    auth.login("admin")
    home = client.get("/").get_data(as_text=True)
    assert 'href="/admin/"' in home
    listing = client.get("/admin/?status=running").get_data(as_text=True)
    assert f"/admin/instances/{started.id}" in listing and "Budi Santoso" in listing
    assert f"/admin/instances/{started.id}" not in client.get("/admin/?status=completed").get_data(as_text=True)
    assert client.get("/admin/instances/99999").status_code == 404


def test_admin_forms_need_the_csrf_token(client: FlaskClient, auth: Auth, started: instances.InstanceSummary,
                                         demo_deployed: Engine) -> None:
    auth.login("admin")
    response = client.post(f"/admin/instances/{started.id}/suspend", data={"reason": "x"})
    assert response.status_code == 400 and status(demo_deployed, started.id) == "running"


# --- operations -----------------------------------------------------------------------------------


def test_suspend_then_resume(client: FlaskClient, auth: Auth, started: instances.InstanceSummary,
                             demo_deployed: Engine) -> None:
    auth.login("admin")
    html = follow(client, client.post(f"/admin/instances/{started.id}/suspend",
                                      data=form(client, started.id, reason="menunggu klarifikasi")))
    assert "Proses ditangguhkan" in html and 'data-status="suspended"' in html
    assert "menunggu klarifikasi" in html  # the reason in the recent events
    assert status(demo_deployed, started.id) == "suspended"
    html = follow(client, client.post(f"/admin/instances/{started.id}/resume", data=form(client, started.id)))
    assert "Proses dilanjutkan" in html and status(demo_deployed, started.id) == "running"


def test_a_form_from_before_someone_elses_change_is_refused(client: FlaskClient, auth: Auth,
                                                            started: instances.InstanceSummary,
                                                            demo_deployed: Engine) -> None:
    auth.login("admin")
    stale = form(client, started.id)
    follow(client, client.post(f"/admin/instances/{started.id}/suspend", data=form(client, started.id)))
    follow(client, client.post(f"/admin/instances/{started.id}/resume", data=form(client, started.id)))
    html = follow(client, client.post(f"/admin/instances/{started.id}/suspend", data=stale))
    assert "telah diubah oleh orang lain" in html and status(demo_deployed, started.id) == "running"


def test_refusal_is_explained(client: FlaskClient, auth: Auth, started: instances.InstanceSummary) -> None:
    auth.login("admin")
    html = follow(client, client.post(f"/admin/instances/{started.id}/resume",
                                      data={"csrf_token": csrf_token(client, "/admin/")}))
    assert "berstatus berjalan sehingga tidak dapat dilanjutkan" in html


def test_terminate_asks_for_a_reason_and_a_confirmation(client: FlaskClient, auth: Auth,
                                                        started: instances.InstanceSummary,
                                                        demo_deployed: Engine, org: dict[str, int]) -> None:
    auth.login("admin")
    url = f"/admin/instances/{started.id}/terminate"
    html = follow(client, client.post(url, data=form(client, started.id, reason="  ")))
    assert "Alasan penghentian wajib diisi" in html
    confirm = client.post(url, data=form(client, started.id, reason="pegawai pindah instansi"))
    assert confirm.status_code == 200
    page = confirm.get_data(as_text=True)
    assert "Ya, hentikan proses" in page and "Isi capaian kinerja" in page  # the task that will be cancelled
    assert status(demo_deployed, started.id) == "running"  # nothing happens before the confirmation
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page))
    html = follow(client, client.post(url, data=fields))
    assert "Proses dihentikan" in html and 'data-status="terminated"' in html
    assert "pegawai pindah instansi" in html
    assert status(demo_deployed, started.id) == "terminated" and inbox.count(demo_deployed, org["budi"]) == 0


def test_errored_instances_show_task_line_and_message(client: FlaskClient, auth: Auth,
                                                      errored: instances.InstanceSummary) -> None:
    auth.login("admin")
    html = client.get("/admin/errors").get_data(as_text=True)
    assert f"/admin/instances/{errored.id}" in html and "Run script" in html and "jumlah" in html
    assert re.search(r"<td>2</td>", html)  # the line
    page = page_of(client, errored.id)
    assert 'data-testid="instance-error"' in page and "Jalankan ulang" in page


@pytest.mark.parametrize("text, message", [
    ('{"jumlah": 4', "JSON tidak valid (baris 1, kolom 13)"),
    ("[4]", "Data perbaikan harus berupa objek JSON"),
])
def test_invalid_corrected_data_is_refused_and_kept(client: FlaskClient, auth: Auth, demo_deployed: Engine,
                                                    errored: instances.InstanceSummary, text: str,
                                                    message: str) -> None:
    auth.login("admin")
    response = client.post(f"/admin/instances/{errored.id}/retry", data=form(client, errored.id, patch=text))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and ">" + text.replace('"', "&#34;") + "</textarea>" in html
    assert status(demo_deployed, errored.id) == "error"


def test_retry_with_corrected_data_gives_the_task_back(client: FlaskClient, auth: Auth, demo_deployed: Engine,
                                                       errored: instances.InstanceSummary,
                                                       org: dict[str, int]) -> None:
    auth.login("admin")
    html = follow(client, client.post(f"/admin/instances/{errored.id}/retry",
                                      data=form(client, errored.id, patch='{"jumlah": 4}')))
    assert "Langkah yang gagal dijalankan ulang" in html and 'data-status="running"' in html
    auth.logout()
    auth.login("budi")
    task_page = client.get(f"/tasks/{errored.ready_task_ids[0]}")
    assert task_page.status_code == 200 and "First" in task_page.get_data(as_text=True)


def test_reassign_a_task_to_a_user_from_the_list(client: FlaskClient, auth: Auth, started: instances.InstanceSummary,
                                                 demo_deployed: Engine, org: dict[str, int]) -> None:
    auth.login("admin")
    html = page_of(client, started.id)
    # A searchable field, not a list of every user of the organisation (1.2 MB at 10,000 users).
    assert "<option" not in html and 'name="user"' in html and 'data-user-picker="/admin/users.json?task=' in html
    assert "/static/userpicker.js" in html and "<script>" not in html
    task_id = started.ready_task_ids[0]
    html = follow(client, client.post(f"/admin/tasks/{task_id}/reassign", data=form(
        client, started.id, instance_id=str(started.id), user="siti")))
    assert "Tugas dialihkan" in html and "ditugaskan kepada Siti Aminah" in html
    assert [t.id for t in inbox.inbox(demo_deployed, org["siti"]).items] == [task_id]
    html = follow(client, client.post(f"/admin/tasks/{task_id}/reassign", data=form(
        client, started.id, instance_id=str(started.id), user_id=str(org["siti"]))))
    assert "sudah ditujukan kepada Siti Aminah" in html


def test_reassign_by_nip_and_an_unknown_name(client: FlaskClient, auth: Auth, started: instances.InstanceSummary,
                                             demo_deployed: Engine, org: dict[str, int]) -> None:
    from engine.db.org import User

    with demo_deployed.session_factory() as s:
        siti = s.get(User, org["siti"])
        assert siti is not None and siti.nip
        nip = siti.nip
    auth.login("admin")
    task_id = started.ready_task_ids[0]
    html = follow(client, client.post(f"/admin/tasks/{task_id}/reassign", data=form(
        client, started.id, instance_id=str(started.id), user=f"  {nip} ")))
    assert "ditugaskan kepada Siti Aminah" in html
    html = follow(client, client.post(f"/admin/tasks/{task_id}/reassign", data=form(
        client, started.id, instance_id=str(started.id), user="Siti%")))
    assert "Tidak ada pengguna dengan nama pengguna atau NIP Siti%" in html
    html = follow(client, client.post(f"/admin/tasks/{task_id}/reassign", data=form(
        client, started.id, instance_id=str(started.id), user="")))
    assert "Pilih pengguna" in html


def test_the_user_search_answers_active_users_only_and_at_most_the_limit(
        client: FlaskClient, auth: Auth, demo_deployed: Engine, org: dict[str, int]) -> None:
    from engine.db.org import User

    with demo_deployed.session_factory.begin() as s:
        user = s.get(User, org["rudi"])
        assert user is not None
        user.active = False
        rudi = user.full_name
    auth.login("admin")
    found = client.get("/admin/users.json?q=siti").get_json()["users"]
    assert [(u["username"], u["name"]) for u in found] == [("siti", "Siti Aminah")]
    assert set(found[0]) == {"id", "username", "name", "nip", "position"} and found[0]["id"] == org["siti"]
    everyone = client.get("/admin/users.json?q=a&limit=500").get_json()["users"]  # one letter: nothing yet
    assert everyone == []
    many = client.get("/admin/users.json?q=an&limit=500")
    assert many.headers["Cache-Control"] == "no-store"
    names = [u["name"] for u in many.get_json()["users"]]
    assert 3 <= len(names) <= 50 and names == sorted(names) and rudi not in names
    assert all("an" in (u["name"] + u["username"] + u["nip"] + u["position"]).lower()
               for u in many.get_json()["users"])
    assert len(client.get("/admin/users.json?q=an&limit=2").get_json()["users"]) == 2
    assert client.get("/admin/users.json?q=an&limit=x").status_code == 200  # a bad limit is the default
    by_words = client.get("/admin/users.json?q=aminah%20siti").get_json()["users"]
    assert [u["username"] for u in by_words] == ["siti"]
    assert client.get("/admin/users.json?q=%25%25").get_json()["users"] == []  # % is not a wildcard
    assert rudi not in [u["name"] for u in client.get(f"/admin/users.json?q={rudi}").get_json()["users"]]


@pytest.mark.parametrize(("username", "shown"), [("admin", True), ("pemilik", False), ("indah", False),
                                                 ("budi", False)])
def test_admin_link_only_for_administrators(client, auth, username: str, shown: bool) -> None:
    auth.login(username)
    page = client.get("/").get_data(as_text=True)
    assert ('href="/admin/"' in page) is shown


def test_the_picker_of_a_task_offers_only_who_may_act_on_it(client: FlaskClient, auth: Auth, demo_deployed: Engine,
                                                            org: dict[str, int]) -> None:
    """Budi's review waits for his Pejabat Penilai (dewi); with siti named Plt of dewi's position the picker offers
    both, typed or not, and nobody else (issue 13: reassign offers only people who may act)."""
    from datetime import timedelta

    from engine.access import today
    from engine.services import acting
    from tests.engine.test_acting import CAPAIAN, DEWI_POSITION, position_id

    started = instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], "2024")
    review = instances.complete_task(demo_deployed, org["budi"], started.ready_task_ids[0], CAPAIAN).ready_task_ids[0]
    auth.login("admin")
    alone = client.get(f"/admin/users.json?task={review}&q=").get_json()["users"]
    assert [u["username"] for u in alone] == ["dewi"]
    with demo_deployed.session_factory() as s:
        day = today(s)
    acting.name_acting(demo_deployed, org["indah"], position_id(demo_deployed, DEWI_POSITION), org["siti"], "Plt",
                       day, day + timedelta(days=7))
    both = client.get(f"/admin/users.json?task={review}&q=").get_json()["users"]
    assert sorted(u["username"] for u in both) == ["dewi", "siti"]
    assert [u["username"] for u in client.get(f"/admin/users.json?task={review}&q=amin").get_json()["users"]] == ["siti"]
    assert client.get(f"/admin/users.json?task={review}&q=budi").get_json()["users"] == []
    assert client.get("/admin/users.json?task=nope&q=siti").get_json()["users"] == []
