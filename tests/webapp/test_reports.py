"""Laporan (/laporan): who may open each report and export, and the answer each report gives on a simulated year.

The data is the demo organisation's 2023 played to the end by ``smk simulate`` and 2024 left half-way through
planning (tests/simulated_year.py). Playing the year takes minutes, so it is seeded once per module (and, on SQLite,
once per test session); the tests only read it, except where one says it adds a case, which no other test counts.
The expected answers come from the simulation's own rules (processes/simulate.py) and, where the models decide
(predikat, recommendations), from the finished cases' data read whole here.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, literal, select

from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.base import UtcDateTime
from engine.db.org import Unit, User
from engine.db.results import SubjectResult
from engine.db.runtime import COMPLETED, Instance
from engine.runtime.clock import FixedClock
from engine.services import instances
from processes import follow_up_results, reports, skp_results
from processes.demo import load_demo
from processes.extension import extensions
from processes.reports import IkuNode, RhkNode, Selection, assemble_tree, open_selection
from processes.rules.distribution import cek_kurva_distribusi
from processes.rules.predikat import PREDIKAT_6_2022
from processes.simulate import LATE_SKP, OBJECTS_REJECTED, OBJECTS_UPHELD, SILENT
from tests.simulated_year import BACKENDS, NOW, simulated_year_engine
from tools.benchdb import captured_statements
from webapp import create_app
from webapp import reports as webapp_reports

from .conftest import Auth

PAGES = ["/laporan"] + [f"/laporan/{slug}" for slug in reports.REPORTS]
EXPORTS = [f"/laporan/{slug}.csv" for slug in reports.REPORTS]


@pytest.fixture(scope="module", params=BACKENDS)
def sim(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """An engine on the simulated year, the clock at 20 February 2024: a copy of the session's SQLite file, or a
    PostgreSQL schema of its own (TEST_DATABASE_URL), seeded for this module and dropped after it."""
    with simulated_year_engine(request.param, tmp_path_factory, "reports") as engine:
        yield engine


@pytest.fixture(scope="module")
def ids(sim: Engine) -> dict[str, int]:
    with sim.session_factory() as s:
        return {u.username: u.id for u in s.scalars(select(User))}


@pytest.fixture(scope="module")
def units(sim: Engine) -> dict[str, int]:
    with sim.session_factory() as s:
        return {u.code: u.id for u in s.scalars(select(Unit))}


@pytest.fixture(scope="module")
def app(sim: Engine, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": sim.database_url,
                       "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance"))}, engine=sim)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def auth(client: FlaskClient) -> Auth:
    return Auth(client)


def select_for(sim: Engine, ids: dict[str, int], user: str, period: str, unit: int | None = None) -> Selection:
    return open_selection(sim, ids[user], period, unit)


def finished(sim: Engine, process_id: str, period: str) -> dict[str, dict[str, Any]]:
    """The workflow data of each finished case, by username: what the reports must agree with (read whole here)."""
    with sim.session_factory() as s:
        rows = s.execute(select(User.username, Instance.state).join(User, User.id == Instance.subject_id)
                         .where(Instance.process_id == process_id, Instance.period == period,
                                Instance.status == COMPLETED)).all()
    return {name: (json.loads(state) if isinstance(state, str) else state)["data"] for name, state in rows}


# The staff each bureau's curve counts in the demo organisation (the Kepala Biro follow the unit's rating).
CURVE_STAFF = {"BRP": ("agus", "dewi", "budi", "siti", "eko", "fitri", "zainal", "andi"),
               "BSD": ("hendra", "indah", "joko", "kartini", "lukman", "maya", "nur", "oki", "putri", "citra"),
               "BUM": ("rudi", "sri", "taufik", "umi", "wahyu", "yanti")}
UNIT_RATING = {"BRP": "Baik", "BSD": "Istimewa", "BUM": "Baik"}  # as processes/simulate.py rates the bureaus


def csv_rows(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


# --- who sees what ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("user", "status"), [("indah", 200), ("dewi", 200), ("budi", 403), ("pemilik", 403)])
@pytest.mark.parametrize("path", PAGES + EXPORTS)
def test_biro_sdm_and_unit_heads_open_every_report_and_export_others_get_403(
        client: FlaskClient, auth: Auth, user: str, status: int, path: str) -> None:
    auth.login(user)
    response = client.get(path)
    assert response.status_code == status
    if status == 200 and path.endswith(".csv"):
        assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
        assert len(csv_rows(response)) >= 1


@pytest.mark.parametrize("user", ["admin", "hartono", "ratna", "agus"])
def test_administrators_and_every_level_of_unit_head_see_the_reports(client: FlaskClient, auth: Auth,
                                                                     user: str) -> None:
    auth.login(user)
    assert client.get("/laporan/kemajuan").status_code == 200
    assert client.get("/laporan/kemajuan.csv").status_code == 200


def test_anonymous_visitors_are_sent_to_login(client: FlaskClient) -> None:
    for path in ("/laporan", "/laporan/kurva", "/laporan/kurva.csv"):
        assert client.get(path).status_code in (302, 401)


def test_a_unit_head_sees_only_their_sub_tree(client: FlaskClient, auth: Auth, units: dict[str, int]) -> None:
    auth.login("dewi")  # head of BRP-1-1 (Subbagian Penyusunan Rencana)
    page = client.get("/laporan/peringkat?period=2023").get_data(as_text=True)
    assert "Budi Santoso" in page and "Siti Aminah" in page and "Eko Prasetyo" not in page
    assert client.get(f"/laporan/peringkat?unit={units['BRP']}").status_code == 403
    assert client.get(f"/laporan/peringkat.csv?unit={units['BSD']}").status_code == 403
    assert client.get(f"/laporan/peringkat?unit={units['BRP-1-1']}").status_code == 200
    assert client.get("/laporan/peringkat?unit=999999").status_code == 422  # no such unit: said in the page
    assert client.get("/laporan/nothing-here").status_code == 404
    auth.logout()
    auth.login("ratna")  # head of BRP sees BRP-1-1 too, not BSD
    assert client.get(f"/laporan/peringkat?unit={units['BRP-1-1']}").status_code == 200
    assert client.get(f"/laporan/peringkat?unit={units['BSD']}").status_code == 403


def test_the_unit_field_type_ahead_lists_only_the_units_the_user_may_choose(client: FlaskClient,
                                                                           auth: Auth) -> None:
    def codes(query: str) -> list[str]:
        response = client.get("/laporan/unit.json", query_string={"q": query})
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
        return [item["value"].split(" — ")[0] for item in response.get_json()["items"]]

    auth.login("indah")  # Biro SDM: every unit
    assert codes("subbagian") == ["BSD-1-1", "BRP-1-1", "BUM-1-1"]  # by name
    assert codes("BRP") == ["BRP", "BRP-1", "BRP-1-1"]  # the exact code first
    assert client.get("/laporan/unit.json?q=" + "a" * 301).status_code == 400
    auth.logout()
    auth.login("ratna")  # head of BRP: BRP and what lies below it
    assert codes("subbagian") == ["BRP-1-1"] and codes("biro") == ["BRP"]
    detail = client.get("/laporan/unit.json?q=brp-1-1").get_json()["items"]
    assert detail == [{"value": "BRP-1-1 — Subbagian Penyusunan Rencana", "label": "Subbagian Penyusunan Rencana",
                       "detail": "BRP-1-1 · di Bagian Perencanaan Program"}]
    auth.logout()
    auth.login("dewi")  # head of BRP-1-1 only
    assert codes("bagian") == ["BRP-1-1"] and codes("BSD") == []
    auth.logout()
    auth.login("budi")  # no reports, no units
    assert client.get("/laporan/unit.json?q=biro").status_code == 403
    auth.logout()
    assert client.get("/laporan/unit.json?q=biro").status_code in (302, 401)


def test_a_typed_unit_is_read_and_one_that_names_none_is_said(client: FlaskClient, auth: Auth,
                                                              units: dict[str, int]) -> None:
    auth.login("indah")
    first = client.get("/laporan/peringkat?period=2023").get_data(as_text=True)
    assert 'data-picker="/laporan/unit.json"' in first and 'id="r-unit-list"' in first
    assert 'value="DEP — Deputi Bidang Sumber Daya Manusia Aparatur"' in first  # the default: the organisation
    for typed in ("Biro Umum", "biro umum", "bum", "BUM — Biro Umum", str(units["BUM"])):
        response = client.get("/laporan/peringkat", query_string={"period": "2023", "unit": typed})
        html = response.get_data(as_text=True)
        assert response.status_code == 200, typed
        assert 'value="BUM — Biro Umum"' in html, typed  # the field keeps the unit, by name
        assert "/laporan/peringkat.csv?period=2023&amp;unit=BUM" in html, typed  # so do the links
        assert "Eko Prasetyo" not in html and "Budi Santoso" not in html, typed  # only Biro Umum's people
    rows = csv_rows(client.get("/laporan/peringkat.csv?period=2023&unit=BUM"))
    assert rows[1:] and all(row[4] in ("Biro Umum", "Bagian Rumah Tangga", "Subbagian Perlengkapan")
                            for row in rows[1:])
    unknown = client.get("/laporan/peringkat", query_string={"period": "2023", "unit": "Biro Tidak Ada"})
    html = unknown.get_data(as_text=True)
    assert unknown.status_code == 422 and 'data-testid="unit-problem"' in html
    assert "Tidak ada unit yang cocok dengan “Biro Tidak Ada”" in html and 'value="Biro Tidak Ada"' in html
    assert "Budi Santoso" not in html and "peringkat.csv" not in html  # no report for a unit that is none
    assert client.get("/laporan", query_string={"unit": "Biro Tidak Ada"}).status_code == 422
    assert client.get("/laporan/peringkat.csv", query_string={"unit": "Biro Tidak Ada"}).status_code == 404
    auth.logout()
    auth.login("dewi")  # head of BRP-1-1: another unit's name is no unit of hers, its code is refused as before
    other = client.get("/laporan/peringkat", query_string={"period": "2023", "unit": "Biro Umum"})
    assert other.status_code == 422 and "Tidak ada unit yang cocok" in other.get_data(as_text=True)
    assert client.get("/laporan/peringkat", query_string={"unit": "BUM"}).status_code == 403
    own = client.get("/laporan/peringkat", query_string={"period": "2023", "unit": "subbagian penyusunan rencana"})
    assert own.status_code == 200 and "Budi Santoso" in own.get_data(as_text=True)


def test_the_menu_shows_reports_to_those_who_may_open_them(client: FlaskClient, auth: Auth) -> None:
    auth.login("indah")
    assert 'href="/laporan"' in client.get("/").get_data(as_text=True)
    auth.logout()
    auth.login("budi")
    assert 'href="/laporan"' not in client.get("/").get_data(as_text=True)


def test_a_page_brings_its_chart_as_data_and_no_inline_script(client: FlaskClient, auth: Auth) -> None:
    auth.login("indah")
    page = client.get("/laporan/kurva?period=2023").get_data(as_text=True)
    assert '<script type="application/json" id="chart-kurva">' in page and 'data-chart="chart-kurva"' in page
    assert "vendor/chartjs/chart.umd.min.js" in page and "reports.js" in page
    scripts = page.split("<script")[1:]
    assert all(' src="' in s.split(">")[0] or 'type="application/json"' in s.split(">")[0] for s in scripts)


def test_an_export_is_recorded_in_the_audit_trail(client: FlaskClient, auth: Auth, sim: Engine) -> None:
    auth.login("indah")
    client.get("/laporan/peringkat.csv?period=2023")
    with sim.session_factory() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.kind == "report.exported")
                          .order_by(AuditEvent.seq.desc())).first()
    assert event is not None and event.actor == "indah"
    assert event.data["report"] == "peringkat" and event.data["period"] == "2023"


# --- the questions, answered on the simulated year ---------------------------------------------------------------


def test_progress_counts_skp_realisasi_and_assessments_per_unit(sim: Engine, ids: dict[str, int],
                                                                client: FlaskClient, auth: Auth) -> None:
    closed = reports.progress_report(sim, select_for(sim, ids, "indah", "2023"))
    total = closed.total
    assert total is not None
    assert (total.employees, total.skp_drafted, total.skp_approved, total.skp_on_time) == (27, 27, 27, 25)
    assert closed.slices == 4 and [(s.started, s.sent, s.on_time) for s in total.slices] == [(27, 27, 27)] * 4
    assert (total.assessed, total.final) == (27, 27)
    by_unit = {r.unit.code: (r.employees, r.skp_on_time) for r in closed.rows}
    assert LATE_SKP == {"siti", "wahyu"}
    assert by_unit == {"BRP": (9, 8), "BSD": (11, 11), "BUM": (7, 6)}  # siti (BRP) and wahyu (BUM) were late
    now = reports.progress_report(sim, select_for(sim, ids, "indah", "2024"))
    assert now.total is not None and (now.total.skp_drafted, now.total.skp_approved, now.total.skp_on_time) == (2, 1, 1)
    assert now.slices == 0 and now.total.assessed == 0
    auth.login("indah")
    rows = csv_rows(client.get("/laporan/kemajuan.csv?period=2023"))
    assert rows[-1][1:5] == ["27", "27", "27", "25"]


@pytest.mark.parametrize(("at", "due"), [
    ("2024-01-31T16:59:59+00:00", "2024-01-31T02:00:00+00:00"),  # 23:59:59 in Jakarta on the deadline's day
    ("2024-01-31T16:59:59.500000+00:00", "2024-01-31T02:00:00+00:00"),  # half a second later: late
    ("2024-01-31T17:00:00+00:00", "2024-01-31T02:00:00+00:00"),  # midnight in Jakarta: late
    ("2024-01-31T10:00:00+00:00", "2024-01-30T17:00:00+00:00"),  # due at 00:00 WIB on the 31st: that whole day
    ("2024-01-30T16:59:59+00:00", "2024-01-30T17:00:00+00:00"),  # the day before: on time
    ("2024-02-01T16:00:00+00:00", "2024-01-31T16:59:00+00:00"),  # the next day: late
    ("2024-01-31T16:59:59+00:00", "2024-01-31T18:00:00+00:00"),  # due already on 1 February in Jakarta
])
def test_the_database_compares_a_time_with_the_end_of_the_deadlines_jakarta_day(sim: Engine, at: str, due: str) -> None:
    """Cycle progress lets the database decide "approved by the deadline" (no datetime per SKP read): the same
    answer as ``_end_of_day``, on SQLite (UTC text, +7 h) and PostgreSQL (time zone conversion)."""
    moment, deadline = datetime.fromisoformat(at), datetime.fromisoformat(due)
    with sim.session_factory() as s:
        decided = s.scalar(select(reports._by_end_of_day(s, literal(moment, UtcDateTime()),
                                                         literal(deadline, UtcDateTime()))))
    assert bool(decided) is (moment <= reports._end_of_day(deadline))


def test_overdue_tasks_name_who_must_act_per_unit_and_person_with_age(sim: Engine, ids: dict[str, int],
                                                                      client: FlaskClient, auth: Auth) -> None:
    report = reports.overdue_report(sim, select_for(sim, ids, "indah", "2024"))
    # Hartono has not reviewed ratna's SKP (due five days after 5 January); bambang has not drafted his (due with
    # the SKP deadline, 31 January). The age is counted from each task's due time to now (20 February).
    assert [(t.task_name, t.subject_id, t.responsible_id) for t in report.tasks] == [
        ("tinjau_skp", ids["ratna"], ids["hartono"]), ("susun_skp_c", ids["bambang"], ids["bambang"])]
    ages = [round((NOW - t.due_at).total_seconds() / 86400, 1) for t in report.tasks]
    assert [t.days_overdue for t in report.tasks] == ages and ages[0] > 40 > ages[1] > 19
    assert report.tasks[0].responsible_name == "Dr. Hartono Wibisono"
    assert [(g.name, g.count, g.oldest_days) for g in report.by_unit] == [
        ("Biro Perencanaan dan Keuangan", 1, ages[0]), ("Biro Sumber Daya Manusia", 1, ages[1])]
    assert [(g.person_id, g.count, g.oldest_days) for g in report.by_person] == [
        (ids["hartono"], 1, ages[0]), (ids["bambang"], 1, ages[1])]
    assert reports.overdue_report(sim, select_for(sim, ids, "dewi", "2024")).tasks == []
    auth.login("indah")
    page = client.get("/laporan/terlambat?period=2024").get_data(as_text=True)
    assert "Dr. Hartono Wibisono" in page and str(ages[0]) in page
    auth.logout()
    auth.login("dewi")
    empty = client.get("/laporan/terlambat?period=2024").get_data(as_text=True)
    assert 'data-chart="chart-terlambat-unit"' not in empty and "empty-state" in empty


def test_the_overdue_page_lists_the_most_overdue_rows_and_keeps_every_count_and_the_export_whole(
        client: FlaskClient, auth: Auth, monkeypatch: pytest.MonkeyPatch) -> None:
    """At an agency's scale the page lists the most overdue tasks and the people with the most of them (200 and 100):
    here one of each, of 2024's two overdue tasks (ratna's review by hartono, bambang's own draft)."""
    monkeypatch.setattr(webapp_reports, "OVERDUE_TASKS_SHOWN", 1)
    monkeypatch.setattr(webapp_reports, "OVERDUE_PEOPLE_SHOWN", 1)
    auth.login("indah")
    page = client.get("/laporan/terlambat?period=2024").get_data(as_text=True)
    assert "2 tugas melewati tenggatnya." in page  # the count is every task's (indah reads Indonesian)
    assert page.count('badge text-bg-danger') == 1 and "Tinjau SKP" in page  # the older one: hartono's review
    assert "1 tugas yang paling lama terlambat dari 2 tugas ditampilkan; ekspor CSV memuat semuanya." in page
    assert "1 orang dengan tugas terlambat terbanyak dari 2 orang ditampilkan" in page
    people = page.split('id="h-people"', 1)[1].split("</table>", 1)[0]
    assert people.count('<th scope="row">') == 1 and "Dr. Hartono Wibisono" in people
    rows = csv_rows(client.get("/laporan/terlambat.csv?period=2024"))
    assert len(rows) == 1 + 2  # the export holds every task
    monkeypatch.setattr(webapp_reports, "OVERDUE_TASKS_SHOWN", 200)
    monkeypatch.setattr(webapp_reports, "OVERDUE_PEOPLE_SHOWN", 100)
    whole = client.get("/laporan/terlambat?period=2024").get_data(as_text=True)
    assert whole.count('badge text-bg-danger') == 2 and "paling lama terlambat dari" not in whole


def test_step_durations_give_median_and_p90_per_task_type(sim: Engine, ids: dict[str, int]) -> None:
    report = reports.duration_report(sim, select_for(sim, ids, "indah", "2024"))
    steps = {s.task_name: (s.count, s.median_hours, s.p90_hours, s.longest_hours) for s in report.steps}
    # yulia drafted in one day, ratna in three; hartono reviewed yulia's SKP after seven days.
    assert steps == {"susun_skp_c": (2, 48.0, 67.2, 72.0), "tinjau_skp": (1, 168.0, 168.0, 168.0)}
    assert report.steps[0].task_name == "tinjau_skp"  # the longest wait first
    closed = reports.duration_report(sim, select_for(sim, ids, "indah", "2023"))
    counts = {s.task_name: s.count for s in closed.steps}
    assert counts["susun_skp_c"] == 30 and counts["isi_realisasi"] == 108  # three drafts were returned once


def test_objections_filed_decided_upheld_rejected_and_timed_out(sim: Engine, ids: dict[str, int],
                                                                client: FlaskClient, auth: Auth) -> None:
    report = reports.objection_report(sim, select_for(sim, ids, "indah", "2023"))
    t = report.total
    assert (t.delivered, t.accepted, t.timed_out, t.awaiting) == (27, 23, 2, 0)
    assert (t.filed, t.pending, t.upheld, t.rejected, t.decided) == (2, 0, 1, 1, 2)
    assert (OBJECTS_UPHELD, OBJECTS_REJECTED, SILENT) == ({"umi"}, {"zainal"}, {"andi", "putri"})
    assert {c.name: c.outcome for c in report.cases} == {"Umi Kalsum": "upheld", "Zainal Arifin": "rejected"}
    assert {g.code: (c.filed, c.upheld, c.rejected) for g, c in report.rows} == {
        "BRP": (1, 0, 1), "BSD": (0, 0, 0), "BUM": (1, 1, 0)}
    auth.login("indah")
    rows = csv_rows(client.get("/laporan/keberatan.csv?period=2023"))
    assert rows[-1][1:9] == ["27", "23", "2", "0", "2", "0", "1", "1"]


def test_follow_up_by_kind_with_decisions_pending_and_decided(sim: Engine, ids: dict[str, int]) -> None:
    report = reports.follow_up_report(sim, select_for(sim, ids, "indah", "2023"))
    # What the finished follow-up cases hold: every recommendation and Biro SDM's decision on it.
    decided = [d for data in finished(sim, "smk_tindak_lanjut", "2023").values() for d in data.get("keputusan_sdm") or []]
    assert decided, "the simulated year recommends follow-up actions"
    expected = Counter((d["kode"], d["keputusan"]) for d in decided)
    assert {(c.key, "dikonfirmasi"): c.confirmed for c in report.codes if c.confirmed} | \
        {(c.key, "ditolak"): c.rejected for c in report.codes if c.rejected} == dict(expected)
    assert all(c.pending == 0 and c.recommended == c.confirmed + c.rejected for c in report.codes)
    assert {c.key: c.kind for c in report.codes} == {k: reports.FOLLOW_UP_KINDS[k] for k, _ in expected}
    kinds = {k.key: k.recommended for k in report.kinds}
    assert kinds["sanction"] == sum(n for (k, _), n in expected.items() if reports.FOLLOW_UP_KINDS[k] == "sanction")
    cases = len([d for d in finished(sim, "smk_tindak_lanjut", "2023").values() if d.get("daftar_rekomendasi")])
    steps = {s.task_name: (s.decided, s.pending) for s in report.steps}
    assert steps["konfirmasi_sdm"] == (cases, 0) and steps["keputusan_ppk_task"][1] == 0
    assert sum(report.ppk_decisions.values()) == steps["keputusan_ppk_task"][0]
    # A follow-up of 2024 waiting for Biro SDM (no other test counts follow-ups of 2024): its recommendations are
    # read from the results table (recorded by the model's catat_rekomendasi step) and count as pending.
    instances.start_instance(sim, "smk_tindak_lanjut", ids["indah"], ids["taufik"], "2024", {
        "regime": "C", "predikat": "Butuh Perbaikan", "nilai": None, "skp_pemilik": ids["taufik"],
        "jenis_jabatan": "JA", "keberatan_status": "tidak_diajukan"})
    with captured_statements(sim.db) as seen:
        pending = reports.follow_up_report(sim, select_for(sim, ids, "indah", "2024"))
    assert {c.key: (c.kind, c.pending) for c in pending.codes} == {"pemindahan_jabatan": ("sanction", 1)}
    assert {s.task_name: (s.decided, s.pending) for s in pending.steps} == {"konfirmasi_sdm": (0, 1)}
    assert seen and not [q for q, _ in seen if "instance.state" in q], "the report never reads a workflow's state"
    with sim.session_factory() as s:
        held = follow_up_results.recommendations(s, "2024", [r for r in s.scalars(select(Instance.id).where(
            Instance.process_id == "smk_tindak_lanjut", Instance.period == "2024"))])
    assert [[i["kode"] for i in items] for items in held.values()] == [["pemindahan_jabatan"]]


def test_the_follow_up_report_reads_no_workflow_state_and_init_backfills_it(sim: Engine, ids: dict[str, int]) -> None:
    """The 2023 answer without a statement on ``instance.state``; ``smk init``'s backfill rebuilds the same rows
    from the stored cases after they are gone (as for cases started before the model recorded them)."""
    selection = select_for(sim, ids, "indah", "2023")
    with captured_statements(sim.db) as seen:
        before = reports.follow_up_report(sim, selection)
    assert seen and not [q for q, _ in seen if "instance.state" in q]
    kind = follow_up_results.RESULT
    with sim.session_factory.begin() as s:
        rows = {(r.subject_id, r.period): r.value for r in s.scalars(select(SubjectResult)
                                                                       .where(SubjectResult.kind == kind))}
        assert rows and any(v["rekomendasi"] for v in rows.values())
        s.execute(delete(SubjectResult).where(SubjectResult.kind == kind))
    with sim.session_factory.begin() as s:
        assert follow_up_results.backfill_follow_up_results(s, NOW) == len(rows)
    with sim.session_factory.begin() as s:
        assert follow_up_results.backfill_follow_up_results(s, NOW) == 0  # idempotent
        again = {(r.subject_id, r.period): r.value for r in s.scalars(select(SubjectResult)
                                                                        .where(SubjectResult.kind == kind))}
    assert again == rows
    assert reports.follow_up_report(sim, selection) == before


def test_the_cascading_tree_links_iku_to_every_rhk_and_flags_the_gaps(sim: Engine, ids: dict[str, int],
                                                                      client: FlaskClient, auth: Auth) -> None:
    tree = reports.cascade_report(sim, select_for(sim, ids, "indah", "2023"))
    assert tree.employees == 27 and not tree.pending and not tree.orphans
    assert [i.kode for i in tree.iku if i.children] == ["IKU-DEP-1"]
    assert [i.kode for i in tree.unsupported_iku] == ["IKU-DEP-2", "IKU-BRP-1", "IKU-BRP-2", "IKU-BSD-1",
                                                      "IKU-BSD-2", "IKU-BUM-1"]
    nodes = list(tree.walk())
    assert len(nodes) == 54 and {n.owner_id for n in nodes} == set(ids[u] for u in (
        "ratna", "bambang", "yulia", "agus", "dewi", "budi", "siti", "eko", "fitri", "hendra", "indah", "joko",
        "kartini", "lukman", "maya", "nur", "oki", "putri", "rudi", "sri", "taufik", "umi", "wahyu", "yanti",
        "zainal", "andi", "citra"))
    budi = next(n for n in nodes if n.owner_id == ids["budi"])
    parent = next(n for n in nodes if budi in n.children)
    assert parent.owner_id == ids["dewi"] and budi.supports == parent.id and budi.status == "set"
    assert budi.predikat == finished(sim, "smk_penilaian", "2023")["budi"]["predikat"] and budi.final
    # 2024: drafts under review and a set SKP hang under their IKU; those still waiting are listed.
    now = reports.cascade_report(sim, select_for(sim, ids, "indah", "2024"))
    hung = {(n.owner_id, n.status, n.id != "") for i in now.iku for n in i.children}
    assert hung == {(ids["ratna"], "review", False), (ids["yulia"], "set", True)}
    assert [i.kode for i in now.unsupported_iku] == ["IKU-DEP-1", "IKU-BSD-1", "IKU-BSD-2"]
    assert {n.owner_id for n in now.additional} == {ids["ratna"], ids["yulia"]} and not now.orphans
    assert len(now.pending) == 25 and {p.status for p in now.pending if p.id == ids["bambang"]} == {"drafting"}
    # A unit head sees the superior's RHK their own RHK support as context, not the rest of the organisation.
    mine = reports.cascade_report(sim, select_for(sim, ids, "dewi", "2023"))
    assert [n.owner_id for n in mine.roots] == [ids["agus"]] and mine.roots[0].outside
    assert {n.owner_id for n in mine.walk()} == {ids[u] for u in ("agus", "dewi", "budi", "siti", "zainal")}
    assert not mine.unsupported_iku
    auth.login("indah")
    page = client.get("/laporan/pohon-kinerja?period=2023").get_data(as_text=True)
    assert page.count("tree-orphan") == 6 and "Dokumen kerja budi" in page
    rows = csv_rows(client.get("/laporan/pohon-kinerja.csv?period=2023"))
    assert len(rows) == 1 + 7 + 54


def test_the_cascading_tree_reads_no_workflow_state_and_init_backfills_it(sim: Engine, ids: dict[str, int]) -> None:
    """Both periods' trees (a finished 2023, a 2024 with drafts under review and people still waiting) come from the
    SKP rows every planning step keeps in step, without a statement on ``instance.state``; ``smk init``'s backfill
    rebuilds the same rows from the stored cases once they are gone (cases stored before the table held SKPs)."""
    selections = [select_for(sim, ids, "indah", period) for period in ("2023", "2024")]
    with captured_statements(sim.db) as seen:
        before = [reports.cascade_report(sim, selection) for selection in selections]
    assert seen and not [q for q, _ in seen if "instance.state" in q]
    with sim.session_factory.begin() as s:
        rows = {(r.subject_id, r.period): r.value for r in s.scalars(select(SubjectResult)
                                                                       .where(SubjectResult.kind == skp_results.KIND))}
        statuses = Counter(v["status"] for (_, period), v in rows.items() if period == "2024")
        assert statuses["set"] == 1 and statuses["review"] == 1 and sum(statuses.values()) == 27
        s.execute(delete(SubjectResult).where(SubjectResult.kind == skp_results.KIND))
    with sim.session_factory.begin() as s:
        assert skp_results.backfill_skp(s, NOW) == len(rows)
    with sim.session_factory.begin() as s:
        assert skp_results.backfill_skp(s, NOW) == 0  # idempotent
        again = {(r.subject_id, r.period): r.value for r in s.scalars(select(SubjectResult)
                                                                        .where(SubjectResult.kind == skp_results.KIND))}
    assert again == rows
    assert [reports.cascade_report(sim, selection) for selection in selections] == before


def test_a_report_holds_off_the_garbage_collector_and_gives_it_back_as_it_was() -> None:
    """Reports at 10,000 employees run without the collector's pauses (``without_gc_pauses``): nested or
    overlapping, the collector comes back when the last ends, and only if it ran before."""
    assert gc.isenabled()
    with reports.without_gc_pauses():
        assert not gc.isenabled()
        with reports.without_gc_pauses():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer report still runs
    assert gc.isenabled()
    gc.disable()
    try:
        with reports.without_gc_pauses():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


def test_an_rhk_that_supports_nothing_known_is_flagged() -> None:
    def rhk(rid: str, supports: str, jenis: str = "utama") -> RhkNode:
        return RhkNode(rid, f"RHK {rid}", jenis, supports, 1, "A", "", "", "set")

    iku = [IkuNode("IKU-1", "Indeks", "80", "DEP", "Deputi")]
    nodes = [rhk("1-1", "IKU-1"), rhk("2-1", "1-1"), rhk("3-1", "9-9"), rhk("3-2", ""), rhk("3-3", "", "tambahan")]
    roots, orphans, additional = assemble_tree(iku, nodes)
    assert roots == [] and [n.id for n in iku[0].children] == ["1-1"] and [n.id for n in nodes[0].children] == ["2-1"]
    assert [n.id for n in orphans] == ["3-1", "3-2"] and all(n.orphan for n in orphans)
    assert [n.id for n in additional] == ["3-3"] and not additional[0].orphan


def test_ranking_orders_a_unit_by_predikat_ties_share_a_rank(sim: Engine, ids: dict[str, int], units: dict[str, int],
                                                             client: FlaskClient, auth: Auth) -> None:
    ranking = reports.ranking_report(sim, select_for(sim, ids, "indah", "2023", units["BUM"]))
    data = finished(sim, "smk_penilaian", "2023")
    people = ("yulia", *CURVE_STAFF["BUM"])
    got = [(r.rank, r.predikat) for r in ranking.rows]
    order = [PREDIKAT_6_2022.index(p) for _, p in got]
    assert order == sorted(order) and len(got) == len(people) == 7
    assert [r.rank for r in ranking.rows] == [1 + order.index(o) for o in order]  # ties share the first free rank
    assert Counter(p for _, p in got) == Counter(data[u]["predikat"] for u in people)
    assert not ranking.has_nilai and all(r.final for r in ranking.rows)
    auth.login("indah")
    rows = csv_rows(client.get(f"/laporan/peringkat.csv?period=2023&unit={units['BUM']}"))
    assert len(rows) == 8 and rows[1][0] == "1" and rows[1][1] == ranking.rows[0].name and rows[1][5] == got[0][1]
    before = reports.ranking_report(sim, select_for(sim, ids, "indah", "2024", units["BUM"]))
    assert {r.rank for r in before.rows} == {0} and not any(r.predikat for r in before.rows)  # nobody rated yet


def test_curve_shows_each_units_distribution_and_which_break_it_by_how_much(
        sim: Engine, ids: dict[str, int], client: FlaskClient, auth: Auth) -> None:
    report = reports.curve_report(sim, select_for(sim, ids, "indah", "2023"))
    rows = {r.unit.code: r for r in report.rows}
    data = finished(sim, "smk_penilaian", "2023")
    assert {c: (r.unit_predikat, r.staff, r.not_rated, r.proposed) for c, r in rows.items()} == {
        c: (UNIT_RATING[c], len(staff), 0, 0) for c, staff in CURVE_STAFF.items()}
    for code, staff in CURVE_STAFF.items():
        given = [data[u]["predikat"] for u in staff]
        assert rows[code].counts == {label: given.count(label) for label in PREDIKAT_6_2022}
        assert rows[code].ok == cek_kurva_distribusi(UNIT_RATING[code], given).ok
    assert [(b.batasan, b.jenis) for b in rows["BRP"].bounds] == [
        ("baik_maks_baik", "paling_banyak"), ("baik_min_butuh_perbaikan_kurang", "paling_sedikit")]
    # The last of these tests: Biro Umum's head rates the unit again, Kurang. Its six staff now break the curve: at
    # least 60% (4 people) must be Kurang/Misconduct, and nobody is.
    task = instances.start_instance(sim, "smk_predikat_unit", ids["indah"], ids["yulia"], "2023", {})
    instances.complete_task(sim, ids["yulia"], task.ready_task_ids[0], {"predikat_unit": "Kurang",
                                                                      "dasar_penetapan": "Capaian IKU unit"})
    after = {r.unit.code: r for r in reports.curve_report(sim, select_for(sim, ids, "indah", "2023")).rows}
    check = cek_kurva_distribusi("Kurang", [data[u]["predikat"] for u in CURVE_STAFF["BUM"]])
    assert not check.ok and not after["BUM"].ok and after["BRP"].unit_predikat == "Baik"
    assert [(v.batasan, v.limit, v.actual, v.by) for v in after["BUM"].violations] == [
        (v.batasan, v.batas_orang, v.jumlah, v.selisih) for v in check.pelanggaran]
    assert ("kurang_min_kurang", 4, 0, 4) in [(v.batasan, v.limit, v.actual, v.by) for v in after["BUM"].violations]
    auth.login("indah")
    page = client.get("/laporan/kurva?period=2023").get_data(as_text=True)
    assert "alert-warning" in page and "Biro Umum" in page.split("alert-warning")[1][:300]
    # A Baik unit's minimum is one person, not a share: said so, not "paling sedikit 0%".
    assert "paling sedikit 1 orang Butuh Perbaikan / Kurang/Misconduct" in page and "paling sedikit 0%" not in page
    exported = csv_rows(client.get("/laporan/kurva.csv?period=2023"))
    assert any(r[0] == "Biro Umum" and (r[-4], r[-3], r[-1]) == ("4", "0", "4") for r in exported[1:])


# --- empty states -------------------------------------------------------------------------------------------------


@pytest.fixture
def empty_client(tmp_path: Path, sqlite_template: Path) -> Iterator[FlaskClient]:
    """A fresh demo organisation with no period opened (SQLite; a copy of the session's migrated file)."""
    clock = FixedClock()
    clock.set(datetime(2024, 1, 2, tzinfo=UTC))
    path = tmp_path / "empty.sqlite"
    shutil.copyfile(sqlite_template, path)
    engine = Engine(f"sqlite:///{path}", extensions=extensions(), clock=clock)
    load_demo(engine)
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": engine.database_url,
                      "INSTANCE_PATH": str(tmp_path / "instance")}, engine=engine)
    yield app.test_client()
    engine.dispose()


@pytest.mark.parametrize("path", PAGES + EXPORTS)
def test_before_any_period_every_report_says_so(empty_client: FlaskClient, path: str) -> None:
    Auth(empty_client).login("indah")
    response = empty_client.get(path)
    assert response.status_code == 200
    if not path.endswith(".csv"):
        assert "empty-state" in response.get_data(as_text=True)
