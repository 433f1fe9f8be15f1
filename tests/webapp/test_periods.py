"""Periode kinerja (/periode): Biro SDM opens a period from the web, per role, with a confirmation; refused entries
keep what was typed and start nothing; a second opening of the same year and units is refused."""

from __future__ import annotations

from html import escape as html_escape
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.deferred import DeferredStart
from engine.db.org import Position, Unit, User
from engine.db.runtime import Instance
from engine.services.deferred import start_all_deferred
from webapp import create_app

from .conftest import Auth, csrf_token

ENTRIES = {"tahun": "2023", "jenis_periode": "tahunan", "regime": "C", "frekuensi": "triwulanan",
           "batas_skp": "2023-01-31", "batas_penilaian": "2024-01-31", "maks_putaran": "3", "unit_cakupan": "",
           "iku": "BSD; IKU-BSD-1; Persentase pegawai dengan SKP ditetapkan tepat waktu; 95%"}


@pytest.fixture
def app(smk: Engine, tmp_path: Path) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "test", "INSTANCE_PATH": str(tmp_path / "instance"),
                       "DATABASE_URL": smk.database_url}, engine=smk)


def _count(engine: Engine, process_id: str, period: str | None = None) -> int:
    with engine.session_factory() as s:
        q = select(func.count(Instance.id)).where(Instance.process_id == process_id)
        if period is not None:
            q = q.where(Instance.period == period)
        return s.scalar(q) or 0


def _post(client: FlaskClient, path: str, **changes: str):
    data = {**ENTRIES, **changes, "csrf_token": csrf_token(client, "/periode")}
    return client.post(path, data=data)


@pytest.mark.parametrize(("username", "status", "opens"), [("indah", 200, True), ("admin", 200, False),
                                                           ("budi", 403, False), ("dewi", 403, False),
                                                           ("pemilik", 403, False)])
def test_who_sees_the_periods_page_and_may_open_one(client: FlaskClient, auth: Auth, username: str, status: int,
                                                    opens: bool) -> None:
    auth.login(username)
    response = client.get("/periode")
    assert response.status_code == status
    html = response.get_data(as_text=True)
    home = client.get("/").get_data(as_text=True)
    assert ('href="/periode"' in home) == (status == 200)  # the menu entry
    if status == 200:
        assert ('action="/periode/periksa"' in html) == opens
        assert ("Hanya anggota Biro SDM yang dapat membuka periode" in html) == (not opens)
    else:
        token = csrf_token(client, "/")
        assert client.post("/periode/buka", data={**ENTRIES, "confirm": "1", "csrf_token": token}).status_code == 403


def test_hr_checks_confirms_and_opens_a_period(smk: Engine, client: FlaskClient, auth: Auth) -> None:
    auth.login("indah")
    with smk.session_factory() as s:
        employees = s.scalar(select(func.count(User.id)).join(Position, User.position_id == Position.id)
                             .where(User.active, Position.parent_id.is_not(None))) or 0  # all but the head
    preview = _post(client, "/periode/periksa")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Buka periode 2023?" in html
    assert f"{employees} pegawai" in html and "Seluruh organisasi" in html
    assert _count(smk, "smk_periode") == 0  # nothing started before the confirmation
    back = _post(client, "/periode/ubah", batas_skp="2023-01-20").get_data(as_text=True)  # change the entries
    assert 'value="2023-01-20"' in back and "IKU-BSD-1" in back and _count(smk, "smk_periode") == 0
    assert _post(client, "/periode/buka").status_code == 422  # posting without the confirmation starts nothing
    assert _count(smk, "smk_periode") == 0
    done = _post(client, "/periode/buka", confirm="1")
    assert done.status_code == 302 and done.headers["Location"].endswith("/periode")
    # The request only writes the planning requests; the background worker starts them (one per transaction).
    assert _count(smk, "smk_perencanaan", "2023") == 0
    page = client.get("/periode").get_data(as_text=True)
    assert f"Periode 2023 dibuka: {employees} pegawai mendapat kasus perencanaan." in page
    assert f"{employees} menunggu dimulai oleh pekerja latar" in page
    assert start_all_deferred(smk) == employees
    assert _count(smk, "smk_perencanaan", "2023") == employees
    page = client.get("/periode").get_data(as_text=True)
    assert 'data-testid="planning-waiting"' not in page and 'data-testid="planning-failed"' not in page
    assert 'data-period="2023"' in page and "dibuka" in page and "/laporan/kemajuan?period=2023" in page
    with smk.session_factory() as s:
        opened = s.scalars(select(AuditEvent).where(AuditEvent.kind == "task.completed",
                                                    AuditEvent.task_name == "buka_periode")).all()
        indah = s.scalar(select(User.id).where(User.username == "indah"))
    assert len(opened) == 1 and opened[0].actor_id == indah
    assert opened[0].data["submitted"]["iku_organisasi"][0]["kode"] == "IKU-BSD-1"  # audited with the entries
    # The same year again, for the whole organisation or for one of its units: refused, nothing started.
    for unit in ("", "BSD"):
        again = _post(client, "/periode/periksa", unit_cakupan=unit)
        assert again.status_code == 422
        assert "Periode 2023 sudah dibuka untuk unit ini" in again.get_data(as_text=True)
    assert _post(client, "/periode/buka", confirm="1").status_code == 422
    assert _count(smk, "smk_periode") == 1


def test_one_unit_then_another_unit_of_the_same_year(smk: Engine, client: FlaskClient, auth: Auth) -> None:
    auth.login("indah")
    assert _post(client, "/periode/buka", confirm="1", unit_cakupan="BSD").status_code == 302
    with smk.session_factory() as s:
        unit = s.scalar(select(Unit).where(Unit.code == "BSD"))
        assert unit is not None
    start_all_deferred(smk)
    assert 0 < _count(smk, "smk_perencanaan", "2023")
    first = _count(smk, "smk_perencanaan", "2023")
    second = _post(client, "/periode/buka", confirm="1", unit_cakupan="BUM")
    assert second.status_code == 302, second.get_data(as_text=True)  # no overlap
    start_all_deferred(smk)
    assert _count(smk, "smk_perencanaan", "2023") > first
    refused = _post(client, "/periode/periksa", unit_cakupan="")  # the whole organisation overlaps both
    assert refused.status_code == 422
    with smk.session_factory() as s:
        bum = s.scalar(select(Unit.name).where(Unit.code == "BUM"))
    listed = client.get("/periode").get_data(as_text=True)
    assert f"<td>{unit.name}</td>" in listed and f"<td>{bum}</td>" in listed  # each period names its unit


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"tahun": "dua ribu"}, "tahun", "Jenis isian salah"),
    ({"regime": "Z"}, "regime", "Pilih salah satu"),
    ({"batas_skp": "31/01/2023"}, "batas_skp", "Masukkan tanggal"),
    ({"unit_cakupan": "TIDAKADA"}, "unit_cakupan", "Tidak ada unit yang cocok dengan “TIDAKADA”"),
    ({"iku": "BSD; IKU-1; hanya tiga"}, "iku", "Baris 1"),
    ({"iku": "XYZ; IKU-1; Indikator; 90%"}, "iku", "tidak ada unit XYZ"),
])
def test_bad_entries_are_named_and_kept(smk: Engine, client: FlaskClient, auth: Auth, changes: dict[str, str],
                                        field: str, message: str) -> None:
    auth.login("indah")
    response = _post(client, "/periode/periksa", **changes)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'href="#p-{field}"' in html and message in html
    if field != "regime":  # a list cannot keep a value it does not offer ("Z" would be found in any CSRF token)
        for value in changes.values():
            assert html_escape(value, quote=True) in html or value in html  # what was typed is still there
    assert _count(smk, "smk_periode") == 0


def test_the_model_sends_back_a_regime_that_does_not_apply(smk: Engine, client: FlaskClient, auth: Auth) -> None:
    auth.login("indah")
    response = _post(client, "/periode/buka", confirm="1", regime="A")  # 2023 is regime C's
    assert response.status_code == 302 and "/tasks/" in response.headers["Location"]
    task = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Regime A tidak berlaku untuk periode 2023" in task
    assert _count(smk, "smk_perencanaan") == 0
    page = client.get("/periode").get_data(as_text=True)
    assert "Perbaiki isian" in page and "sedang dibuka" in page
    again = _post(client, "/periode/periksa")  # the case being fixed holds the year: no second one
    assert again.status_code == 422 and "sedang dibuka" in again.get_data(as_text=True)


def test_english(client: FlaskClient, auth: Auth) -> None:
    auth.login("indah")
    client.post("/lang/en", data={"csrf_token": csrf_token(client, "/"), "next": "/"})
    html = client.get("/periode").get_data(as_text=True)
    assert "Performance periods" in html and "Open a period" in html and "Check the entries" in html
    html = _post(client, "/periode/periksa").get_data(as_text=True)
    assert "Open period 2023?" in html and "Whole organisation" in html


def test_a_planning_case_that_could_not_be_started_is_shown(smk: Engine, client: FlaskClient, auth: Auth) -> None:
    auth.login("indah")
    assert _post(client, "/periode/buka", confirm="1", unit_cakupan="BSD").status_code == 302
    with smk.session_factory.begin() as s:  # the worker's record of a start that failed (deferred.start_next)
        row = s.scalars(select(DeferredStart).order_by(DeferredStart.id)).first()
        assert row is not None
        row.started_at, row.error = smk.now(), "the model raised in its first step"
    start_all_deferred(smk)
    page = client.get("/periode").get_data(as_text=True)
    assert "1 tidak dapat dimulai; alasannya ada di log audit" in page
    assert 'data-testid="planning-waiting"' not in page
    with smk.session_factory() as s:
        case = s.scalar(select(Instance.id).where(Instance.process_id == "smk_periode"))
        planned = s.scalar(select(func.count(Instance.id)).where(Instance.process_id == "smk_perencanaan"))
    # Once the model is fixed, Biro SDM puts it back in the queue; the worker starts it.
    token = csrf_token(client, "/periode")
    assert client.post(f"/periode/{case}/ulangi", data={}).status_code == 400  # CSRF
    done = client.post(f"/periode/{case}/ulangi", data={"csrf_token": token}, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "1 kasus perencanaan akan dimulai lagi oleh pekerja latar" in html
    assert 'data-testid="planning-waiting"' in html and 'data-testid="planning-failed"' not in html
    assert start_all_deferred(smk) == 1
    assert _count(smk, "smk_perencanaan") == planned + 1
    again = client.post(f"/periode/{case}/ulangi", data={"csrf_token": token}, follow_redirects=True)
    assert "Tidak ada kasus perencanaan periode ini yang menunggu dimulai lagi" in again.get_data(as_text=True)
    with smk.session_factory() as s:
        retried = s.scalars(select(AuditEvent).where(AuditEvent.kind == "deferred_start.retried")).all()
        indah = s.scalar(select(User.id).where(User.username == "indah"))
    assert len(retried) == 1 and retried[0].actor_id == indah and retried[0].data["jumlah"] == 1
    # Nobody else may, and only a period case's requests.
    assert client.post(f"/periode/{planned + 999}/ulangi", data={"csrf_token": token}).status_code == 404
    auth.logout()
    auth.login("budi")
    token = csrf_token(client, "/")
    assert client.post(f"/periode/{case}/ulangi", data={"csrf_token": token}).status_code == 403


def test_the_opening_case_timeline_speaks_the_users_words(smk: Engine, client: FlaskClient, auth: Auth) -> None:
    auth.login("indah")
    assert _post(client, "/periode/buka", confirm="1", unit_cakupan="BSD").status_code == 302
    with smk.session_factory() as s:
        case = s.scalar(select(Instance.id).where(Instance.process_id == "smk_periode"))
        requested = s.scalar(select(func.count(DeferredStart.id)))
    html = client.get(f"/instances/{case}").get_data(as_text=True)
    timeline = html[html.index('class="list-group list-group-flush timeline"'):]
    # The claim of the group task is named by the task's title, the requests by what and how many.
    assert "Tugas diambil</strong> · Buka periode kinerja" in timeline
    assert f"Kasus diminta (dimulai oleh pekerja latar)</strong> · {requested} × Perencanaan kinerja (SKP)" in timeline
    assert "buka_periode" not in timeline and "deferred_start" not in timeline.replace('data-kind="deferred_start', "")


def test_the_form_proposes_the_first_year_not_opened_for_the_whole_organisation(
        smk: Engine, client: FlaskClient, auth: Auth) -> None:
    def proposed() -> str:
        html = client.get("/periode").get_data(as_text=True)
        return html.split('id="p-tahun" name="tahun" required value="', 1)[1].split('"', 1)[0]

    auth.login("indah")
    assert proposed() == "2023"  # 2 January 2023: the current year
    assert _post(client, "/periode/buka", confirm="1", unit_cakupan="BSD", tahun="2024", batas_skp="2024-01-31",
                 batas_penilaian="2025-01-31").status_code == 302
    assert proposed() == "2023"  # one unit's period of 2024 changes nothing
    assert _post(client, "/periode/buka", confirm="1").status_code == 302  # 2023 for the whole organisation
    assert proposed() == "2024"  # 2024 is still open to the units other than BSD


def test_the_units_field_type_ahead_lists_active_units_for_biro_sdm_only(smk: Engine, client: FlaskClient,
                                                                          auth: Auth) -> None:
    with smk.session_factory.begin() as s:
        s.scalars(select(Unit).where(Unit.code == "BUM-1-1")).one().active = False  # an import retired it
    auth.login("indah")
    found = client.get("/periode/unit.json?q=subbagian").get_json()["items"]
    assert [i["value"] for i in found] == ["BSD-1-1 — Subbagian Penilaian Kinerja",
                                           "BRP-1-1 — Subbagian Penyusunan Rencana"]  # by name; no retired unit
    assert found[0]["detail"] == "BSD-1-1 · di Bagian Pengembangan Kinerja Pegawai"
    assert [i["label"] for i in client.get("/periode/unit.json?q=bsd-2").get_json()["items"]] == [
        "Bagian Mutasi dan Kepangkatan"]
    assert client.get("/periode/unit.json?q=" + "x" * 301).status_code == 400
    html = client.get("/periode").get_data(as_text=True)
    assert 'data-picker="/periode/unit.json"' in html and 'id="p-unit_cakupan-list"' in html
    assert "<select" not in html.split('for="p-unit_cakupan"')[1].split("</div>")[0]  # no list of every unit
    for username in ("admin", "budi"):  # administrators see the periods but do not open them
        auth.logout()
        auth.login(username)
        assert client.get("/periode/unit.json?q=subbagian").status_code == 403


def test_a_typed_unit_is_read_and_one_that_names_none_or_several_is_said(smk: Engine, client: FlaskClient,
                                                                          auth: Auth) -> None:
    auth.login("indah")
    checked = _post(client, "/periode/periksa", unit_cakupan="biro sumber daya manusia")  # no JavaScript: typed
    html = checked.get_data(as_text=True)
    assert checked.status_code == 200 and "Biro Sumber Daya Manusia" in html.split('data-testid="summary"')[1]
    assert 'name="unit_cakupan" value="BSD — Biro Sumber Daya Manusia"' in html  # carried to the confirmation
    back = client.post("/periode/ubah", data={**ENTRIES, "unit_cakupan": "BSD — Biro Sumber Daya Manusia",
                                              "csrf_token": csrf_token(client, "/periode")}).get_data(as_text=True)
    assert 'value="BSD — Biro Sumber Daya Manusia"' in back  # the field shows the unit chosen
    assert _post(client, "/periode/buka", confirm="1", unit_cakupan="BSD — Biro Sumber Daya Manusia").status_code == 302
    assert _post(client, "/periode/periksa", unit_cakupan="BSD-1").status_code == 422  # it covers BSD
    assert _post(client, "/periode/periksa", unit_cakupan="BUM").status_code == 200  # and not the whole organisation
    with smk.session_factory.begin() as s:
        parents = {u.code: u.id for u in s.scalars(select(Unit).where(Unit.code.in_(("BRP-1", "BUM-1"))))}
        s.add_all([Unit(code="BRP-1-9", name="Subbagian Umum", parent_id=parents["BRP-1"]),
                   Unit(code="BUM-1-9", name="Subbagian Umum", parent_id=parents["BUM-1"])])
    several = _post(client, "/periode/periksa", unit_cakupan="Subbagian Umum")
    html = several.get_data(as_text=True)
    assert several.status_code == 422 and 'href="#p-unit_cakupan"' in html
    assert "Ada beberapa unit bernama “Subbagian Umum”: pilih salah satu dari daftar atau ketik kodenya." in html
    assert 'value="Subbagian Umum"' in html and 'aria-invalid="true"' in html  # kept as typed, marked
    assert _post(client, "/periode/periksa", unit_cakupan="BUM-1-9").status_code == 200
    assert _count(smk, "smk_periode") == 1
