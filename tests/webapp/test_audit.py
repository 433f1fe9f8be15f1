"""HR audits the trail: search across cases, exports, an employee's history, the chain's integrity."""

from __future__ import annotations

import csv
import io

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select, text

from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.org import Unit
from engine.services import audit, instances

from .conftest import Auth, csrf_token

CAPAIAN = {"ringkasan": "Laporan Januari", "tanggal": "2024-01-31", "hasil_kerja": "Sesuai Ekspektasi",
           "kegiatan": [{"nama": "=cmd|' /C calc'!A0", "target": 4, "realisasi": 4}]}


@pytest.fixture
def completed(demo_deployed: Engine, org: dict[str, int]) -> int:
    """Budi's demo case with his first task completed; return the instance id."""
    started = instances.start_instance(demo_deployed, "demo_penilaian", org["admin"], org["budi"], "2024")
    instances.complete_task(demo_deployed, org["budi"], started.ready_task_ids[0], CAPAIAN)
    return started.id


@pytest.mark.parametrize(("user", "status"), [("indah", 200), ("admin", 200), ("budi", 403), ("dewi", 403),
                                              ("pemilik", 403)])
@pytest.mark.parametrize("path", ["/audit", "/audit/export.csv", "/audit/export.xlsx", "/audit/integritas"])
def test_only_auditors_open_the_audit_pages(client: FlaskClient, auth: Auth, user: str, status: int,
                                            path: str) -> None:
    auth.login(user)
    assert client.get(path).status_code == status


def test_anonymous_visitors_are_sent_to_login(client: FlaskClient) -> None:
    assert client.get("/audit").status_code in (302, 401)
    assert client.get("/pegawai/1/riwayat").status_code in (302, 401)


def test_search_by_employee_shows_what_was_submitted_and_changed(client: FlaskClient, auth: Auth, completed: int,
                                                                 org: dict[str, int]) -> None:
    auth.login("indah")
    page = client.get("/audit?subject=Budi&kind=task.completed").get_data(as_text=True)
    assert "Budi Santoso" in page and f"#{completed}" in page
    assert "Laporan Januari" in page  # the submitted value, labelled from the form
    assert f"/pegawai/{org['budi']}/riwayat" in page
    nothing = client.get("/audit?subject=Nobody+Here").get_data(as_text=True)
    assert "No event matches" in nothing or "Tidak ada peristiwa" in nothing



def test_the_search_names_processes_and_kinds_in_words(client: FlaskClient, auth: Auth, completed: int,
                                                       demo_deployed: Engine) -> None:
    # A row names its case's process by the model's name, the process filter chooses among names, and the kinds'
    # groups are words, not "task.*"; the process id stays the value sent and the row's tooltip.
    auth.login("indah")
    page = client.get("/audit?kind=task.completed").get_data(as_text=True)
    assert 'title="demo_penilaian">Demo Penilaian Kinerja · 2024</div>' in page
    assert '<option value="demo_penilaian" >Demo Penilaian Kinerja</option>' in page
    assert '<option value="task." >Tugas: semua peristiwa</option>' in page
    assert '<option value="smk." >Hasil SKP dan keputusan kurva</option>' in page
    assert "task.*" not in page and 'placeholder="smk_penilaian"' not in page
    chosen = client.get("/audit?process=demo_penilaian&kind=instance.").get_data(as_text=True)
    assert '<option value="demo_penilaian" selected>Demo Penilaian Kinerja</option>' in chosen
    assert "Proses dimulai" in chosen and f"#{completed}" in chosen
    other = client.get("/audit?process=demo_arsip").get_data(as_text=True)
    assert f"#{completed}</a>" not in other
    ready = client.get("/audit?kind=task.ready").get_data(as_text=True)  # the engine's own steps
    assert '<span class="text-body-secondary">Sistem</span>' in ready and "<td>system</td>" not in ready

def test_search_pages_by_key_not_offset(client: FlaskClient, auth: Auth, demo_deployed: Engine,
                                       org: dict[str, int]) -> None:
    for i in range(60):
        with demo_deployed.session_factory.begin() as s:
            audit.record(s, "test.bulk", demo_deployed.now(), None, subject_id=org["budi"], n=i)
    auth.login("indah")
    row = '<td class="text-nowrap small">'
    first = client.get("/audit?kind=test.bulk").get_data(as_text=True)
    assert first.count(row) == 50
    older = first.split("before=")[1].split('"')[0].split("&")[0]
    second = client.get(f"/audit?kind=test.bulk&before={older}").get_data(as_text=True)
    assert second.count(row) == 10 and 'href="/audit?kind=test.bulk&amp;before=' not in second  # no "Older" link


def test_csv_export_quotes_formulas_and_is_audited(client: FlaskClient, auth: Auth, completed: int,
                                                  demo_deployed: Engine) -> None:
    auth.login("indah")
    response = client.get("/audit/export.csv?kind=task.completed")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][0] == "seq" and len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))  # the codes, and the same in words beside them
    assert (row["kind"], row["event"]) == ("task.completed", "Tugas selesai")
    assert (row["process_id"], row["process"]) == ("demo_penilaian", "Demo Penilaian Kinerja")
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)
    with demo_deployed.session_factory() as s:
        exported = s.scalars(select(AuditEvent).where(AuditEvent.kind == "audit.exported")).all()
    assert [e.data["format"] for e in exported] == ["csv"]
    assert exported[0].data["filters"] == {"kind": "task.completed"}


def test_xlsx_export_opens_in_a_spreadsheet(client: FlaskClient, auth: Auth, completed: int) -> None:
    auth.login("admin")
    response = client.get("/audit/export.xlsx?subject=Budi")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("seq", "at", "kind") and len(rows) > 2
    assert all(not str(v).startswith("=") for row in rows for v in row if v is not None)


@pytest.mark.parametrize(("user", "status"), [("budi", 200), ("dewi", 200), ("agus", 200), ("indah", 200),
                                              ("siti", 404), ("pemilik", 404)])
def test_employee_history_is_for_the_employee_their_assessors_and_hr(client: FlaskClient, auth: Auth,
                                                                     completed: int, org: dict[str, int],
                                                                     user: str, status: int) -> None:
    auth.login(user)
    response = client.get(f"/pegawai/{org['budi']}/riwayat")
    assert response.status_code == status
    if status == 200:
        page = response.get_data(as_text=True)
        assert "Budi Santoso" in page and "2024" in page and "Laporan Januari" in page


def test_integrity_page_reports_intact_then_the_altered_event(client: FlaskClient, auth: Auth, completed: int,
                                                              demo_deployed: Engine) -> None:
    auth.login("indah")
    token = csrf_token(client, "/audit/integritas")
    page = client.post("/audit/integritas", data={"csrf_token": token, "full": "1"}).get_data(as_text=True)
    assert "Intact" in page or "Utuh" in page
    with demo_deployed.db.begin() as conn:
        if demo_deployed.db.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change"))
            conn.execute(text("UPDATE audit_event SET actor = 'x' WHERE seq = 2"))
            conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_change"))
        else:
            conn.execute(text("DROP TRIGGER audit_event_no_update"))
            conn.execute(text("UPDATE audit_event SET actor = 'x' WHERE seq = 2"))
    page = client.post("/audit/integritas", data={"csrf_token": token, "full": "1"}).get_data(as_text=True)
    assert "Not intact" in page or "Tidak utuh" in page


def _two_subbagian_umum(engine: Engine) -> None:
    """Two units of the same name under different parents, as a real ministry has."""
    with engine.session_factory.begin() as s:
        parents = {u.code: u.id for u in s.scalars(select(Unit).where(Unit.code.in_(("BRP-1", "BUM-1"))))}
        s.add_all([Unit(code="BRP-1-9", name="Subbagian Umum", parent_id=parents["BRP-1"]),
                   Unit(code="BUM-1-9", name="Subbagian Umum", parent_id=parents["BUM-1"])])


def test_the_unit_filter_type_ahead_finds_units_by_code_or_name_for_auditors_only(
        client: FlaskClient, auth: Auth, demo_deployed: Engine) -> None:
    _two_subbagian_umum(demo_deployed)
    auth.login("indah")
    by_code = client.get("/audit/unit.json?q=bsd").get_json()["items"]
    assert by_code[0] == {"value": "BSD — Biro Sumber Daya Manusia", "label": "Biro Sumber Daya Manusia",
                          "detail": "BSD · di Deputi Bidang Sumber Daya Manusia Aparatur"}  # the exact code first
    assert {i["value"].split(" — ")[0] for i in by_code} == {"BSD", "BSD-1", "BSD-1-1", "BSD-2"}
    by_name = client.get("/audit/unit.json?q=PERLENGKAPAN").get_json()["items"]
    assert [(i["label"], i["detail"]) for i in by_name] == [("Subbagian Perlengkapan", "BUM-1-1 · di Bagian Rumah Tangga")]
    same = client.get("/audit/unit.json?q=subbagian umum").get_json()["items"]  # told apart by code and parent
    assert [i["detail"] for i in same] == ["BRP-1-9 · di Bagian Perencanaan Program", "BUM-1-9 · di Bagian Rumah Tangga"]
    assert len(client.get("/audit/unit.json?q=bagian&limit=2").get_json()["items"]) == 2
    assert client.get("/audit/unit.json?q=b").get_json() == {"items": []}  # two characters at least
    assert client.get("/audit/unit.json?q=" + "b" * 301).status_code == 400
    assert client.get("/audit/unit.json?q=" + "b" * 300).status_code == 200
    auth.logout()
    auth.login("budi")
    assert client.get("/audit/unit.json?q=bsd").status_code == 403
    auth.logout()
    assert client.get("/audit/unit.json?q=bsd").status_code in (302, 401)


def test_the_audit_search_reads_a_typed_unit_and_names_one_it_cannot(client: FlaskClient, auth: Auth,
                                                                    demo_deployed: Engine,
                                                                    org: dict[str, int]) -> None:
    _two_subbagian_umum(demo_deployed)
    with demo_deployed.session_factory.begin() as s:
        for user in ("budi", "sri"):  # BRP-1-1 and BUM-1-1
            audit.record(s, "test.unit", demo_deployed.now(), None, subject_id=org[user])
        brp = s.scalar(select(Unit.id).where(Unit.code == "BRP"))
    auth.login("indah")
    for typed in ("subbagian penyusunan rencana", "brp-1-1", "BRP-1-1 — Subbagian Penyusunan Rencana", str(brp)):
        page = client.get("/audit", query_string={"kind": "test.unit", "unit": typed})
        html = page.get_data(as_text=True)
        assert page.status_code == 200, typed
        assert "Budi Santoso" in html and "Sri " not in html.split("<tbody>")[1], typed
    chosen = client.get("/audit", query_string={"kind": "test.unit", "unit": "brp-1-1"}).get_data(as_text=True)
    assert 'value="BRP-1-1 — Subbagian Penyusunan Rencana"' in chosen  # the field keeps the unit, by name
    assert "unit=BRP-1-1" in chosen  # the export and the pages keep it too
    everything = client.get("/audit", query_string={"kind": "test.unit", "unit": ""}).get_data(as_text=True)
    assert "Budi Santoso" in everything and "Sri " in everything  # empty: all units
    unknown = client.get("/audit", query_string={"kind": "test.unit", "unit": "Biro Tidak Ada"})
    assert unknown.status_code == 422
    assert "Tidak ada unit yang cocok dengan “Biro Tidak Ada”" in unknown.get_data(as_text=True)
    assert 'value="Biro Tidak Ada"' in unknown.get_data(as_text=True) and "Budi Santoso" not in unknown.get_data(as_text=True)
    several = client.get("/audit", query_string={"unit": "Subbagian Umum"})
    assert several.status_code == 422 and "Ada beberapa unit bernama “Subbagian Umum”" in several.get_data(as_text=True)
    assert client.get("/audit", query_string={"unit": "BUM-1-9"}).status_code == 200  # its code tells them apart
    assert client.get("/audit/export.csv", query_string={"unit": "Subbagian Umum"}).status_code == 404
    client.post("/lang/en", data={"csrf_token": csrf_token(client, "/"), "next": "/"})
    english = client.get("/audit", query_string={"unit": "Subbagian Umum"})
    assert "Several units are named “Subbagian Umum”" in english.get_data(as_text=True)
