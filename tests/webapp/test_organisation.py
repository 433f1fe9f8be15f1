"""Biro SDM names acting officials (Plt/Plh) in the browser's form; bad input is named on its field."""

from __future__ import annotations

from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.core import Engine
from engine.db.org import Position
from engine.errors import PermissionDenied
from engine.services import acting

from .conftest import Auth, csrf_token

POSITION = "BRP-1-1-01 — Kepala Subbagian Penyusunan Rencana"


@pytest.mark.parametrize(("user", "status"), [("indah", 200), ("admin", 200), ("budi", 403), ("dewi", 403),
                                              ("pemilik", 403)])
def test_only_hr_and_administrators_open_the_acting_page(client: FlaskClient, auth: Auth, user: str,
                                                        status: int) -> None:
    auth.login(user)
    assert client.get("/organisasi/plt").status_code == status
    response = client.post("/organisasi/plt", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == (status if status == 403 else 422)


def test_anonymous_visitors_are_sent_to_login(client: FlaskClient) -> None:
    assert client.get("/organisasi/plt").status_code in (302, 401)


def test_naming_and_ending_an_acting_official(client: FlaskClient, auth: Auth, demo_deployed: Engine,
                                              org: dict[str, int]) -> None:
    auth.login("indah")
    page = client.get("/organisasi/plt").get_data(as_text=True)
    assert 'data-picker="/organisasi/plt/jabatan.json"' in page and 'data-picker="/organisasi/plt/pegawai.json"' in page
    response = client.post("/organisasi/plt", data={
        "csrf_token": csrf_token(client, "/organisasi/plt"), "position": POSITION,
        "person": "197809102003121001 — Agus Setiawan, S.E.", "kind": "Plt", "starts_on": "2024-01-02",
        "ends_on": "2024-01-31", "note": "ND-12/2024"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    rows = acting.list_acting(demo_deployed, org["indah"])
    assert [(r.person, r.kind, r.state) for r in rows] == [("Agus Setiawan, S.E.", "Plt", "running")]
    listing = client.get("/organisasi/plt").get_data(as_text=True)
    assert "ND-12/2024" in listing and "Dewi Lestari" in listing  # the holder is named beside the acting one
    response = client.post(f"/organisasi/plt/{rows[0].id}/akhiri", data={
        "csrf_token": csrf_token(client, "/organisasi/plt"), "reason": "Kembali bertugas"})
    assert response.status_code == 302
    assert acting.list_acting(demo_deployed, org["indah"]) == []


def test_bad_input_is_named_on_its_field_and_kept(client: FlaskClient, auth: Auth, demo_deployed: Engine,
                                                  org: dict[str, int]) -> None:
    auth.login("indah")
    response = client.post("/organisasi/plt", data={
        "csrf_token": csrf_token(client, "/organisasi/plt"), "position": "NO-SUCH — nothing",
        "person": "", "kind": "Plt", "starts_on": "2024-02-10", "ends_on": "2024-02-01", "note": "kept note"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="a-position-err"' in page and 'id="a-person-err"' in page and 'id="a-ends_on-err"' in page
    assert 'value="kept note"' in page
    assert acting.list_acting(demo_deployed, org["indah"], include_ended=True) == []


def test_ending_without_a_reason_is_refused(client: FlaskClient, auth: Auth, demo_deployed: Engine,
                                            org: dict[str, int]) -> None:
    with demo_deployed.session_factory() as s:
        position = s.scalar(select(Position.id).where(Position.code == "BRP-1-1-01"))
    assignment = acting.name_acting(demo_deployed, org["indah"], position, org["agus"], "Plh",
                                    date(2024, 1, 2), date(2024, 1, 3))
    auth.login("indah")
    client.post(f"/organisasi/plt/{assignment}/akhiri", data={"csrf_token": csrf_token(client, "/organisasi/plt"),
                                                              "reason": " "})
    assert [r.state for r in acting.list_acting(demo_deployed, org["indah"])] == ["running"]
    assert client.post("/organisasi/plt/999999/akhiri", data={
        "csrf_token": csrf_token(client, "/organisasi/plt"), "reason": "x"}).status_code == 404


def test_the_form_lists_nobody_and_the_type_ahead_finds_by_any_word(client: FlaskClient, auth: Auth,
                                                                      demo_deployed: Engine) -> None:
    """The page's size does not grow with the organisation: the fields ask for matches as the user types."""
    auth.login("indah")
    page = client.get("/organisasi/plt").get_data(as_text=True)
    assert "Agus Setiawan" not in page and "Kepala Subbagian Penyusunan Rencana" not in page and "<datalist" not in page
    found = client.get("/organisasi/plt/jabatan.json?q=kepala+penyusunan").get_json()["items"]
    assert found == [{"id": found[0]["id"], "value": POSITION, "label": POSITION,
                      "detail": found[0]["detail"]}]
    assert "Dewi Lestari" in found[0]["detail"]  # the holder, so the right one is chosen
    by_holder = client.get("/organisasi/plt/jabatan.json?q=dewi+lestari").get_json()["items"]
    assert [i["value"] for i in by_holder] == [POSITION]
    people = client.get("/organisasi/plt/pegawai.json?q=agus").get_json()["items"]
    assert [(i["value"], i["label"]) for i in people] == [("197809102003121001 — Agus Setiawan, S.E.",
                                                            "Agus Setiawan, S.E.")]
    assert client.get("/organisasi/plt/pegawai.json?q=1978091020").get_json()["items"] == people  # by NIP
    assert client.get("/organisasi/plt/pegawai.json?q=a").get_json()["items"] == []  # 2 characters at least
    assert client.get("/organisasi/plt/pegawai.json?q=%25").get_json()["items"] == []  # LIKE's wildcard is a letter
    assert len(client.get("/organisasi/plt/pegawai.json?q=an&limit=3").get_json()["items"]) == 3


def test_a_chosen_answer_is_what_the_form_reads_back(client: FlaskClient, auth: Auth, demo_deployed: Engine,
                                                    org: dict[str, int]) -> None:
    auth.login("indah")
    position = client.get("/organisasi/plt/jabatan.json?q=BRP-1-1-01").get_json()["items"][0]["value"]
    person = client.get("/organisasi/plt/pegawai.json?q=agus").get_json()["items"][0]["value"]
    response = client.post("/organisasi/plt", data={
        "csrf_token": csrf_token(client, "/organisasi/plt"), "position": position, "person": person,
        "kind": "Plh", "starts_on": "2024-01-02", "ends_on": "2024-01-05"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert [(r.person, r.kind) for r in acting.list_acting(demo_deployed, org["indah"])] == [
        ("Agus Setiawan, S.E.", "Plh")]


@pytest.mark.parametrize("user", ["budi", "dewi", "pemilik"])
def test_only_hr_and_administrators_may_search_positions_and_people(client: FlaskClient, auth: Auth,
                                                                    user: str) -> None:
    auth.login(user)
    assert client.get("/organisasi/plt/jabatan.json?q=kepala").status_code == 403
    assert client.get("/organisasi/plt/pegawai.json?q=agus").status_code == 403


def test_the_services_refuse_someone_outside_hr(demo_deployed: Engine, org: dict[str, int]) -> None:
    with pytest.raises(PermissionDenied):
        acting.person_choices(demo_deployed, org["budi"], "agus")
    with pytest.raises(PermissionDenied):
        acting.position_choices(demo_deployed, org["budi"], "kepala")
