"""Monitoring forms over HTTP (issue 13): the realisation keeps the set SKP's rows (no add or remove), the
assessor's feedback task shows each row's evidence as a link and the employee's note, and every page names the
slice "Triwulan 1 — 2023"."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.core import Engine
from engine.db.runtime import TaskIndex
from engine.runtime.clock import FixedClock
from engine.services import instances
from tests.bpmn.conftest import advance
from tests.bpmn.test_pemantauan import slice_data
from webapp import create_app

from .conftest import Auth


@pytest.fixture
def app(smk: Engine, tmp_path: Path) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "test", "INSTANCE_PATH": str(tmp_path / "instance"),
                       "DATABASE_URL": smk.database_url}, engine=smk)


def _task(smk: Engine, name: str) -> str:
    with smk.session_factory() as s:
        return s.scalars(select(TaskIndex.id).where(TaskIndex.task_name == name, TaskIndex.closed_at.is_(None))).one()


def _form(client: FlaskClient, path: str) -> tuple[str, str, str]:
    page = client.get(path).get_data(as_text=True)
    return (re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),
            re.search(r'name="_version" value="(\d+)"', page).group(1), page)


def test_evidence_links_notes_and_fixed_rows(smk: Engine, org: dict[str, int], client: FlaskClient, auth: Auth,
                                             clock: FixedClock) -> None:
    budi = org["budi"]
    instances.start_instance(smk, "smk_pemantauan", org["indah"], budi, "2023", slice_data(budi))
    advance(smk, clock, days=89)  # the end of Triwulan 1
    task_id = _task(smk, "isi_realisasi")
    auth.login("budi")
    token, version, page = _form(client, f"/tasks/{task_id}")
    assert "Triwulan 1 — 2023" in page and "Triwulan 1 (2023)" not in page
    assert 'data-array="realisasi"' in page and "rows-fixed" in page
    table = page[page.index('data-array="realisasi"'):page.index("</fieldset>", page.index('data-array="realisasi"'))]
    assert "add-row" not in table and "remove-row" not in table  # the set SKP's rows: none added, none removed
    assert "Jumlah dokumen" in table
    body = b"%PDF-1.4 laporan triwulan"
    response = client.post(f"/tasks/{task_id}", content_type="multipart/form-data", data={
        "csrf_token": token, "_version": version, "realisasi[0][id]": f"{budi}-1", "realisasi[0][realisasi]": "3",
        "realisasi[0][catatan]": "Laporan Maret terlampir", "kendala": "Tidak ada",
        "realisasi[0][bukti_dukung]": (io.BytesIO(body), "laporan-maret.pdf")})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    auth.logout()

    feedback = _task(smk, "umpan_balik")
    auth.login("dewi")  # Budi's assessor
    page = client.get(f"/tasks/{feedback}").get_data(as_text=True)
    link = re.search(r'<a href="(/documents/\d+)"[^>]*>laporan-maret\.pdf</a>', page)
    assert link, "the evidence is a link to the file"
    assert "Laporan Maret terlampir" in page and "[bukti]" not in page
    assert "Catatan pegawai" in page and "Triwulan 1 — 2023" in page
    assert client.get(link.group(1)).data == body
    auth.logout()
    auth.login("eko")  # not Budi's assessor
    assert client.get(f"/tasks/{feedback}").status_code in (403, 404)
    assert client.get(link.group(1)).status_code in (403, 404)
