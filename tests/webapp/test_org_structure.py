"""The units and positions tree, one position's superior (preview of the tasks that change hands, confirmation,
apply), the groups, and the e-mail preference on the account page, over HTTP: who may open what, bad input, and
what each change leaves in the database and the audit trail."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.org import Group, GroupMember, Position, Unit, User
from engine.services import instances, structure
from engine.services import org as org_service

from .conftest import Auth, csrf_token
from .test_org_admin import CAPAIAN


def _ids(eng: Engine) -> tuple[dict[str, int], dict[str, int]]:
    with eng.session_factory() as s:
        return (dict(s.execute(select(Unit.code, Unit.id)).all()),
                dict(s.execute(select(Position.code, Position.id)).all()))


def _events(eng: Engine, kind: str) -> list[AuditEvent]:
    with eng.session_factory() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.id)))


def _members(eng: Engine, group: str) -> set[int]:
    with eng.session_factory() as s:
        return set(s.scalars(select(GroupMember.user_id).join(Group, Group.id == GroupMember.group_id)
                             .where(Group.name == group)))


def _pages(eng: Engine, org: dict[str, int]) -> list[str]:
    units, positions = _ids(eng)
    return ["/organisasi/struktur", "/organisasi/struktur?q=dewi", f"/organisasi/struktur/unit/{units['BRP-1-1']}",
            f"/organisasi/struktur/unit/{units['BRP-1-1']}?bagian=1", f"/organisasi/jabatan/{positions['BRP-1-1-02']}",
            f"/organisasi/jabatan/{positions['BRP-1-1-02']}?cari=agus", "/organisasi/grup", "/organisasi/grup/Biro SDM",
            "/organisasi/grup/Biro SDM?q=budi", f"/organisasi/grup/Biro SDM/keluarkan/{org['joko']}"]


@pytest.mark.parametrize(("user", "status"), [(None, 302), ("budi", 403), ("dewi", 403), ("pemilik", 403),
                                              ("indah", 200), ("admin", 200)])
def test_who_opens_the_tree_and_the_groups(client: FlaskClient, auth: Auth, demo_deployed: Engine,
                                           org: dict[str, int], user: str | None, status: int) -> None:
    if user:
        auth.login(user)
    for path in _pages(demo_deployed, org):
        assert client.get(path).status_code == status, path
    _, positions = _ids(demo_deployed)
    token = csrf_token(client, "/login" if user is None else "/")
    posts = {f"/organisasi/jabatan/{positions['BRP-1-1-02']}/atasan": {"superior": "BRP-1-01"},
             "/organisasi/grup/Biro SDM/tambah": {"user_id": str(org["budi"])},
             "/organisasi/grup/Biro SDM/keluarkan": {"user_id": str(org["joko"]), "confirm": "1"}}
    for path, data in posts.items():
        response = client.post(path, data={"csrf_token": token, **data})
        assert response.status_code == (302 if user is None else 403 if status == 403 else response.status_code), path
    if status != 200:
        assert org["budi"] not in _members(demo_deployed, "Biro SDM") and org["joko"] in _members(demo_deployed, "Biro SDM")
        with demo_deployed.session_factory() as s:
            assert s.get(Position, positions["BRP-1-1-02"]).parent_id == positions["BRP-1-1-01"]


def test_the_tree_opens_unit_by_unit_and_finds_positions(client: FlaskClient, auth: Auth, demo_deployed: Engine,
                                                         org: dict[str, int]) -> None:
    units, positions = _ids(demo_deployed)
    auth.login("indah")
    top = client.get("/organisasi/struktur").get_data(as_text=True)
    assert f'/organisasi/struktur/unit/{units["BRP-1-1"]}' not in top  # only the top of the tree at first
    with demo_deployed.session_factory() as s:
        root = s.scalar(select(Unit).where(Unit.parent_id.is_(None)))
    assert f'data-unit-src="/organisasi/struktur/unit/{root.id}?bagian=1"' in top
    part = client.get(f"/organisasi/struktur/unit/{units['BRP-1-1']}?bagian=1").get_data(as_text=True)
    assert "<html" not in part and "Analis Perencanaan" in part and "Budi Santoso" in part
    assert "Kepala Subbagian Penyusunan Rencana" in part and "Dewi Lestari" in part  # the superior and its holder
    whole = client.get(f"/organisasi/struktur/unit/{units['BRP-1-1']}").get_data(as_text=True)
    assert "<html" in whole and "breadcrumb" in whole
    found = client.get("/organisasi/struktur?q=198812202014021001").get_data(as_text=True)  # budi's NIP
    assert "Analis Perencanaan" in found and "Pengadministrasi Perencanaan" not in found
    assert client.get("/organisasi/struktur?q=%25%25%25").status_code == 200  # wildcards are plain text
    for path in ("/organisasi/struktur/unit/999999", "/organisasi/jabatan/999999", "/organisasi/grup/No such group",
                 f"/organisasi/grup/Biro SDM/keluarkan/{org['budi']}"):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/organisasi/struktur/unit/{units['BRP-1-1']}?page=abc&bagian=1").status_code == 200
    # Paginated: one page of a unit's positions at a time, the rest on request.
    view = structure.open_unit(demo_deployed, org["indah"], units["BRP-1-1"], page=2, per_page=2)
    assert (view.positions.total, [p.code for p in view.positions.items]) == (4, ["BRP-1-1-03", "BRP-1-1-04"])
    assert [u.code for u in view.path][-1] == "BRP-1-1"


def _review(eng: Engine, org: dict[str, int]) -> str:
    started = instances.start_instance(eng, "demo_penilaian", org["admin"], org["budi"], "2024")
    return instances.complete_task(eng, org["budi"], started.ready_task_ids[0], CAPAIAN).ready_task_ids[0]


def test_a_superior_change_previews_the_tasks_then_applies(client: FlaskClient, auth: Auth, demo_deployed: Engine,
                                                           org: dict[str, int]) -> None:
    review = _review(demo_deployed, org)
    _, positions = _ids(demo_deployed)
    budi_position = positions["BRP-1-1-02"]
    auth.login("indah")
    response = client.post(f"/organisasi/jabatan/{budi_position}/atasan",
                           data={"csrf_token": csrf_token(client, "/"), "superior": "BRP-1-01 — Kepala Bagian"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:2000]
    handovers = page[page.index('data-testid="handovers"'):]
    assert "Tinjau capaian" in handovers and "Dewi Lestari" in handovers and "Agus Setiawan" in handovers
    with demo_deployed.session_factory() as s:
        assert s.get(Position, budi_position).parent_id == positions["BRP-1-1-01"]  # a preview changes nothing
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"', page).group(1)
    # A forged or outdated digest: nothing changes, the new preview is shown.
    stale = client.post(f"/organisasi/jabatan/{budi_position}/atasan", data={
        "csrf_token": csrf_token(client, "/"), "superior": "BRP-1-01", "digest": "0" * 64, "confirm": "1"})
    assert stale.status_code == 409 and digest in stale.get_data(as_text=True)
    done = client.post(f"/organisasi/jabatan/{budi_position}/atasan", data={
        "csrf_token": csrf_token(client, "/"), "superior": "BRP-1-01", "digest": digest, "confirm": "1",
        "reason": "Reorganisasi"})
    assert done.status_code == 302
    with demo_deployed.session_factory() as s:
        assert s.get(Position, budi_position).parent_id == positions["BRP-1-01"]
    (event,) = _events(demo_deployed, "org.position_superior_changed")
    assert (event.data["position"], event.data["from_position"], event.data["to_position"], event.data["tasks_changed"],
            event.data["reason"]) == ("BRP-1-1-02", "BRP-1-1-01", "BRP-1-01", 1, "Reorganisasi")
    assert event.actor_id == org["indah"]
    auth.logout()
    auth.login("agus")
    assert review in client.get("/").get_data(as_text=True)  # the review is agus's now
    auth.logout()
    auth.login("dewi")
    assert review not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(("superior", "message"), [
    ("NOPE-1", "NOPE-1"), ("BRP-1-1-02", "own superior"), ("BRP-1-1-02-x" * 10, "No active position"), ("", "head of the agency")])
def test_a_bad_superior_is_refused_on_the_field(client: FlaskClient, auth: Auth, demo_deployed: Engine,
                                                superior: str, message: str) -> None:
    _, positions = _ids(demo_deployed)
    auth.login("admin")
    before = len(_events(demo_deployed, "org.position_superior_changed"))
    response = client.post(f"/organisasi/jabatan/{positions['BRP-1-1-02']}/atasan",
                           data={"csrf_token": csrf_token(client, "/"), "superior": superior})
    assert response.status_code == 422 and 'aria-invalid="true"' in response.get_data(as_text=True)
    assert len(_events(demo_deployed, "org.position_superior_changed")) == before


def test_a_cycle_is_refused(demo_deployed: Engine, org: dict[str, int]) -> None:
    _, positions = _ids(demo_deployed)
    # dewi's position (BRP-1-1-01) under budi's, who is below it: a circle.
    with pytest.raises(Exception) as refused:
        structure.change_superior(demo_deployed, org["indah"], positions["BRP-1-1-01"], "BRP-1-1-02")
    assert refused.value.errors[0].message.code == "superior.cycle"
    with pytest.raises(Exception) as denied:
        structure.change_superior(demo_deployed, org["budi"], positions["BRP-1-1-02"], "BRP-1-01")
    assert type(denied.value).__name__ == "PermissionDenied"
    same = structure.change_superior(demo_deployed, org["indah"], positions["BRP-1-1-02"], "BRP-1-1-01", "x" * 64)
    assert same.nothing_to_do and not same.applied


def test_groups_add_and_remove_with_confirmation(client: FlaskClient, auth: Auth, demo_deployed: Engine,
                                                 org: dict[str, int]) -> None:
    auth.login("indah")
    listing = client.get("/organisasi/grup").get_data(as_text=True)
    for name in ("Administrator", "Biro SDM", "Pemilik Proses", "Tim Penilai Kinerja"):
        assert f">{name}</a>" in listing
    found = client.get("/organisasi/grup/Biro SDM?q=budi").get_data(as_text=True)
    assert "Budi Santoso" in found and 'data-testid="candidates"' in found
    assert "Indah Permatasari" not in found[found.index('data-testid="candidates"'):]  # a member already
    response = client.post("/organisasi/grup/Biro SDM/tambah", data={"csrf_token": csrf_token(client, "/"),
                                                                    "user_id": str(org["budi"])})
    assert response.status_code == 302 and org["budi"] in _members(demo_deployed, "Biro SDM")
    confirm = client.get(f"/organisasi/grup/Biro SDM/keluarkan/{org['budi']}").get_data(as_text=True)
    assert "Budi Santoso" in confirm and 'name="confirm" value="1"' in confirm
    token = csrf_token(client, "/")
    assert client.post("/organisasi/grup/Biro SDM/keluarkan", data={"csrf_token": token,
                                                                    "user_id": str(org["budi"])}).status_code == 400
    assert org["budi"] in _members(demo_deployed, "Biro SDM")  # not without the confirmation
    response = client.post("/organisasi/grup/Biro SDM/keluarkan", data={"csrf_token": token, "confirm": "1",
                                                                        "user_id": str(org["budi"])})
    assert response.status_code == 302 and org["budi"] not in _members(demo_deployed, "Biro SDM")
    added, removed = _events(demo_deployed, "org.group_added"), _events(demo_deployed, "org.group_removed")
    assert [(e.subject_id, e.actor_id, e.data["group"]) for e in added + removed] == [
        (org["budi"], org["indah"], "Biro SDM")] * 2
    for data in ({"user_id": "abc"}, {"user_id": ""}, {"user_id": "9" * 40}):
        assert client.post("/organisasi/grup/Biro SDM/tambah", data={"csrf_token": token, **data}).status_code == 400
    assert client.post("/organisasi/grup/Biro SDM/tambah", data={"csrf_token": token,
                                                                "user_id": "999999"}).status_code == 404
    assert client.post("/organisasi/grup/No such/tambah", data={"csrf_token": token,
                                                               "user_id": str(org["budi"])}).status_code == 404
    assert client.post("/organisasi/grup/Biro SDM/tambah", data={"user_id": str(org["budi"])}).status_code == 400  # no CSRF
    # Biro SDM may not make anyone an administrator.
    response = client.post("/organisasi/grup/Administrator/tambah", data={"csrf_token": token,
                                                                         "user_id": str(org["indah"])})
    assert response.status_code == 403 and org["indah"] not in _members(demo_deployed, "Administrator")


def test_the_last_administrator_stays(client: FlaskClient, auth: Auth, demo_deployed: Engine,
                                      org: dict[str, int]) -> None:
    auth.login("admin")
    token = csrf_token(client, "/")
    remove = {"csrf_token": token, "confirm": "1", "user_id": str(org["admin"])}
    response = client.post("/organisasi/grup/Administrator/keluarkan", data=remove)
    assert response.status_code == 403 and org["admin"] in _members(demo_deployed, "Administrator")
    assert client.post("/organisasi/grup/Administrator/tambah", data={
        "csrf_token": token, "user_id": str(org["hendra"])}).status_code == 302
    assert client.post("/organisasi/grup/Administrator/keluarkan", data=remove).status_code == 302
    assert _members(demo_deployed, "Administrator") == {org["hendra"]}
    # An inactive administrator does not count: hendra is the last active one.
    with pytest.raises(Exception) as denied:
        org_service.remove_member(demo_deployed, org["hendra"], "Administrator", org["hendra"])
    assert type(denied.value).__name__ == "PermissionDenied"
    with demo_deployed.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "org.group_removed")) == 1


def test_the_last_administrator_is_not_deactivated_either(client: FlaskClient, auth: Auth, demo_deployed: Engine,
                                                          org: dict[str, int]) -> None:
    auth.login("indah")
    token = csrf_token(client, "/")
    response = client.post(f"/organisasi/pengguna/{org['admin']}/status", data={"csrf_token": token, "active": "0"})
    assert response.status_code == 302
    with demo_deployed.session_factory() as s:
        assert s.get(User, org["admin"]).active
    assert "administrator" in client.get(response.headers["Location"]).get_data(as_text=True).lower()
    org_service.add_member(demo_deployed, org["admin"], "Administrator", org["hendra"])
    client.post(f"/organisasi/pengguna/{org['admin']}/status", data={"csrf_token": token, "active": "0"})
    with demo_deployed.session_factory() as s:
        assert not s.get(User, org["admin"]).active  # another administrator remains


def test_odd_input_gets_an_answer_not_an_error(client: FlaskClient, auth: Auth, demo_deployed: Engine) -> None:
    _, positions = _ids(demo_deployed)
    auth.login("admin")
    token = csrf_token(client, "/")
    for path in ("/organisasi/struktur/unit/99999999999999999999999", "/organisasi/jabatan/-1",
                 "/organisasi/struktur?q=" + "x" * 5000 + "&page=99999999999", "/organisasi/struktur?page=-3&q=a",
                 "/organisasi/grup/" + "G" * 500, f"/organisasi/jabatan/{positions['BRP-1-1-02']}?cari=%00%27%22"):
        assert client.get(path).status_code in (200, 404), path
    for data in ({"superior": "\x00"}, {"superior": "x" * 5000}, {"superior": "BRP-1-01", "digest": "x" * 500,
                                                                  "confirm": "1"}, {}):
        response = client.post(f"/organisasi/jabatan/{positions['BRP-1-1-02']}/atasan", data={"csrf_token": token, **data})
        assert response.status_code in (200, 409, 422), data
    with demo_deployed.session_factory() as s:
        assert s.get(Position, positions["BRP-1-1-02"]).parent_id == positions["BRP-1-1-01"]


def test_text_with_nul_characters_is_searched_and_kept_without_them(client: FlaskClient, auth: Auth,
                                                                    demo_deployed: Engine, org: dict[str, int]) -> None:
    """PostgreSQL text cannot hold NUL: every search field and the reason drop it instead of failing."""
    _, positions = _ids(demo_deployed)
    auth.login("indah")
    assert "Analis Perencanaan" in client.get("/organisasi/struktur?q=Analis%00Perencanaan").get_data(as_text=True)
    assert client.get("/organisasi/grup/Biro SDM?q=bu%00di").status_code == 200
    assert client.get("/organisasi/pengguna?q=bu%00di").status_code == 200
    assert structure.search(demo_deployed, org["indah"], "\x00").positions.total == 0
    token = csrf_token(client, "/")
    page = client.post(f"/organisasi/jabatan/{positions['BRP-1-1-02']}/atasan",
                       data={"csrf_token": token, "superior": "BRP-1-01\x00"}).get_data(as_text=True)
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"', page).group(1)
    assert client.post(f"/organisasi/jabatan/{positions['BRP-1-1-02']}/atasan", data={
        "csrf_token": token, "superior": "BRP-1-01", "digest": digest, "confirm": "1",
        "reason": "Penataan\x00organisasi"}).status_code == 302
    (event,) = _events(demo_deployed, "org.position_superior_changed")
    assert event.data["reason"] == "Penataan organisasi"
    response = client.post(f"/organisasi/pengguna/{org['siti']}/status",
                           data={"csrf_token": token, "active": "0", "reason": "Pensiun\x00"})
    assert response.status_code == 302
    (event,) = _events(demo_deployed, "account.deactivated")
    assert event.data["reason"] == "Pensiun"
