"""The SKP page (issue 13): one employee's SKP in one period as a table, per role, through review, monitoring
and versions; the review form's table with a comment per row and the refused empty return, over HTTP."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.core import Engine
from engine.runtime.clock import FixedClock
from tests.bpmn.conftest import act, advance, open_tasks, task_data
from tests.bpmn.helpers_skp import approve_planning, skp_c, start_planning
from webapp import create_app

from .conftest import Auth, csrf_token


@pytest.fixture
def app(smk: Engine, tmp_path: Path) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "test", "INSTANCE_PATH": str(tmp_path / "instance"),
                       "DATABASE_URL": smk.database_url}, engine=smk)


def _agus_returned(smk: Engine, org: dict[str, int]) -> None:
    """Ratna's SKP is set; Agus drafts two RHK supporting hers; Ratna returns it with a comment on row 2."""
    ratna, agus = org["ratna"], org["agus"]
    start_planning(smk, org, "ratna")
    start_planning(smk, org, "agus")
    approve_planning(smk, org, "ratna", "hartono", "IKU-2",
                     mph=[{"rhk_id": f"{ratna}-1", "pegawai_id": agus, "peran": "Menyusun rencana program"}])
    act(smk, agus, "susun_skp_c", skp_c(f"{ratna}-1", n=2), agus)
    rows = task_data(smk, ratna, "tinjau_skp", agus)["tinjauan_rhk"]
    rows[1]["komentar"] = "Target terlalu rendah"
    act(smk, ratna, "tinjau_skp", {"keputusan_pp": "kembalikan", "catatan_penilai": "Perbaiki baris kedua",
                                    "tinjauan_rhk": rows}, agus)


def _text(client: FlaskClient, path: str) -> tuple[int, str]:
    response = client.get(path)
    return response.status_code, re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_skp_page_per_role(smk: Engine, org: dict[str, int], client: FlaskClient, auth: Auth) -> None:
    _agus_returned(smk, org)
    path = f"/skp/{org['agus']}/2023"
    assert client.get(path).status_code == 302  # log in first
    for user in ("agus", "ratna", "hartono", "indah"):  # the employee, the assessor, the assessor's superior, HR
        auth.login(user)
        code, html = _text(client, path)
        assert code == 200, user
        assert "Dikembalikan dengan catatan" in html and "Target terlalu rendah" in html
        assert "Hasil kerja 1" in html  # Ratna's RHK, by its text
        assert f">{org['ratna']}-1<" not in html  # not by its code
        assert "Perbaiki baris kedua" in html
        auth.logout()
    for user in ("budi", "dewi", "eko"):  # a subordinate, a colleague, someone else's employee
        auth.login(user)
        assert client.get(path).status_code == 403, user
        auth.logout()
    auth.login("agus")
    assert client.get(f"/skp/{org['agus']}/x" + "9" * 60).status_code == 404
    assert client.get("/skp/999999/2023").status_code == 403


def test_the_note_sits_next_to_its_row(smk: Engine, org: dict[str, int], client: FlaskClient, auth: Auth) -> None:
    _agus_returned(smk, org)
    auth.login("agus")
    _, html = _text(client, f"/skp/{org['agus']}/2023")
    rows = re.findall(r'<tr data-row="([^"]+)">(.*?)</tr>', html)
    assert [r[0] for r in rows] == ["Utama 1 / Main 1", "Utama 2 / Main 2"]
    assert "Target terlalu rendah" not in rows[0][1] and "Target terlalu rendah" in rows[1][1]
    # The drafting task shows the same note in the row it concerns, in the table editor.
    [task] = open_tasks(smk, "susun_skp_c", org["agus"])
    _, form = _text(client, f"/tasks/{task.id}")
    assert 'class="form-table row-list' in form
    second_row = form.split('<tbody class="row-item">')[2]
    assert "Target terlalu rendah" in second_row and "Target terlalu rendah" not in form.split(
        '<tbody class="row-item">')[1]
    assert "RHK atasan: Hasil kerja 1" in form  # the superior's RHK chosen by its text
    assert "Perspektif" not in form  # Agus is not JPT


def test_review_form_refuses_an_empty_return_and_takes_row_comments(smk: Engine, org: dict[str, int],
                                                                     client: FlaskClient, auth: Auth) -> None:
    ratna, agus = org["ratna"], org["agus"]
    start_planning(smk, org, "ratna")
    start_planning(smk, org, "agus")
    approve_planning(smk, org, "ratna", "hartono", "IKU-2",
                     mph=[{"rhk_id": f"{ratna}-1", "pegawai_id": agus, "peran": "Menyusun rencana program"}])
    act(smk, agus, "susun_skp_c", skp_c(f"{ratna}-1", n=2), agus)
    auth.login("ratna")
    [task] = open_tasks(smk, "tinjau_skp", agus)
    _, form = _text(client, f"/tasks/{task.id}")
    assert "Putaran" not in form and "mendukung " not in form  # no counter, no run-on summary
    assert 'name="tinjauan_rhk[1][komentar]"' in form and "Hasil kerja 2" in form
    assert "add-row" not in form.split('data-array="tinjauan_rhk"')[1].split("</fieldset>")[0]  # fixed rows
    token = csrf_token(client, f"/tasks/{task.id}")
    base = {"csrf_token": token, "_action": "submit", "keputusan_pp": "kembalikan", "catatan_penilai": "  "}
    rows = task_data(smk, ratna, "tinjau_skp", agus)["tinjauan_rhk"]
    for i, row in enumerate(rows):
        base.update({f"tinjauan_rhk[{i}][{k}]": v for k, v in row.items()})
    base["tinjauan_rhk[0][komentar]"] = "Indikatornya belum terukur"
    refused = client.post(f"/tasks/{task.id}", data=base)
    html = re.sub(r"\s+", " ", refused.get_data(as_text=True))
    assert refused.status_code in (200, 422)
    assert 'data-path="catatan_penilai"' in html and "Wajib diisi" in html.split('data-path="catatan_penilai"')[1]
    assert "Indikatornya belum terukur" in html  # what was typed is kept
    assert open_tasks(smk, "tinjau_skp", agus)  # nothing was decided
    base["catatan_penilai"] = "Lihat catatan per baris"
    done = client.post(f"/tasks/{task.id}", data=base)
    assert done.status_code in (302, 303)
    returned = task_data(smk, agus, "susun_skp_c", agus)
    assert returned["rhk_utama"][0]["catatan_penilai"] == "Indikatornya belum terukur"


def test_versions_monitoring_and_slices(smk: Engine, org: dict[str, int], clock: FixedClock, client: FlaskClient,
                                       auth: Auth) -> None:
    ratna, agus = org["ratna"], org["agus"]
    _agus_returned(smk, org)
    draft = skp_c(f"{ratna}-1", n=2)
    draft["rhk_utama"][1]["target"] = 24
    act(smk, agus, "susun_skp_c", draft, agus)
    act(smk, ratna, "tinjau_skp", {"keputusan_pp": "setujui"}, agus)
    act(smk, agus, "susun_mph", {"mph": [{"rhk_id": f"{agus}-1", "pegawai_id": org["dewi"], "peran": "Bagian"}]},
        agus)
    advance(smk, clock, days=89)  # past the end of Triwulan 1
    act(smk, agus, "isi_realisasi", {"realisasi": [
        {"id": f"{agus}-1", "realisasi": 3, "catatan": "Rapat pertama selesai"},
        {"id": f"{agus}-2", "realisasi": 6}], "kendala": "Anggaran terlambat"}, agus)
    act(smk, ratna, "umpan_balik", {"umpan_balik": "Pertahankan"}, agus)
    auth.login("agus")
    code, html = _text(client, f"/skp/{agus}/2023")
    assert code == 200 and 'data-testid="skp-status">Ditetapkan<' in html
    assert "Triwulan 1 — 2023" in html and "Rapat pertama selesai" in html and "Pertahankan" in html
    assert "Anggaran terlambat" in html
    assert "Versi 1" in html and "Versi 2" in html
    changes = html.split('data-testid="changes"')[1].split("</ul>")[0]
    assert "12 dokumen" in changes and "24 dokumen" in changes and "Utama 2" in changes
    # Ratna, the assessor, reaches it too; the English page speaks English.
    auth.logout()
    auth.login("ratna")
    client.post("/lang/en", data={"csrf_token": csrf_token(client, "/")})
    _, english = _text(client, f"/skp/{agus}/2023")
    assert "Quarter 1 — 2023" in english and ">Set<" in english and "Version 2" in english


def test_copy_last_periods_skp_into_the_draft(smk: Engine, org: dict[str, int], clock: FixedClock,
                                               client: FlaskClient, auth: Auth) -> None:
    """Ratna's 2023 SKP (set) fills her 2024 draft: the rows and expectations, not the RHK they supported."""
    ratna = org["ratna"]
    start_planning(smk, org, "ratna")
    approve_planning(smk, org, "ratna", "hartono", "IKU-2",
                     mph=[{"rhk_id": f"{ratna}-1", "pegawai_id": org["agus"], "peran": "Menyusun rencana"}])
    clock.set(datetime(2024, 1, 2, 1, 0, tzinfo=UTC))
    start_planning(smk, org, "ratna", year=2024)
    [task] = open_tasks(smk, "susun_skp_c", ratna)
    auth.login("agus")  # only the employee copies their own SKP
    token = csrf_token(client, "/")
    assert client.post("/skp/2024/salin", data={"csrf_token": token}).status_code == 302
    assert client.get(f"/tasks/{task.id}").status_code == 404
    auth.logout()
    auth.login("ratna")
    _, page = _text(client, f"/tasks/{task.id}")
    assert "Salin SKP periode lalu" in page
    assert client.post("/skp/2024/salin", data={}).status_code == 400  # CSRF
    done = client.post("/skp/2024/salin", data={"csrf_token": csrf_token(client, f"/tasks/{task.id}")})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/tasks/{task.id}")
    _, form = _text(client, f"/tasks/{task.id}")
    assert "Disalin dari SKP Anda periode 2023: 1 baris." in form
    assert 'name="rhk_utama[0][rhk]"' in form and "Hasil kerja 1</textarea>" in form
    assert "Laporan tepat waktu" in form  # the expectation
    selected = re.search(r'name="rhk_utama\[0\]\[mendukung\]".*?</select>', form)
    assert selected and "selected" not in selected.group(0)  # the RHK supported is chosen again
    # Nothing to copy in 2023 (no earlier SKP): said so, nothing stored.
    start_planning(smk, org, "yulia", year=2024)
    auth.logout()
    auth.login("yulia")
    refused = client.post("/skp/2024/salin", data={"csrf_token": csrf_token(client, "/")}, follow_redirects=True)
    assert "Tidak ada SKP Anda sebelumnya" in refused.get_data(as_text=True)


def test_the_task_and_case_pages_name_the_process_and_period(smk: Engine, org: dict[str, int],
                                                                   client: FlaskClient, auth: Auth) -> None:
    """The task page's trail leads back to the case by the process's name and period, not by a case number; the
    case's own page ends its trail with the same words."""
    instance_id = start_planning(smk, org, "ratna")
    task = open_tasks(smk, "susun_skp_c", org["ratna"])[0]
    auth.login("ratna")
    code, html = _text(client, f"/tasks/{task.id}")
    assert code == 200
    crumb = re.search(r'<li class="breadcrumb-item"><a href="/instances/(\d+)">([^<]*)</a></li>', html)
    assert crumb is not None and int(crumb.group(1)) == instance_id
    assert crumb.group(2) == "Perencanaan kinerja (SKP) 2023"
    assert "Proses #" not in html
    code, html = _text(client, f"/instances/{instance_id}")  # and the case's page ends its trail the same way
    assert code == 200
    assert '<li class="breadcrumb-item active" aria-current="page">Perencanaan kinerja (SKP) 2023</li>' in html
