"""Biro SDM's pages for the groups and the acting officials say how they reach an objection waiting for its
stand-ins; taking the last stand-in out of a group flags the objection and the page says so."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.core import Engine
from engine.services import org as org_service
from tests.bpmn.test_objection_stand_ins import _objection_of_ratna, _who_may_act
from webapp import create_app

from .conftest import Auth, csrf_token


@pytest.fixture
def app(smk: Engine, tmp_path: Path) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "test", "INSTANCE_PATH": str(tmp_path / "instance"),
                       "DATABASE_URL": smk.database_url}, engine=smk)


def _text(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_taking_the_last_stand_in_out_of_the_group_flags_the_objection(smk: Engine, org: dict[str, int],
                                                                        client: FlaskClient, auth: Auth) -> None:
    """ratna's objection waits for the Tim Penilai Kinerja (bambang, hendra, nur). Biro SDM (indah) takes bambang and
    hendra out: nur keeps it. Taking nur out through the page leaves nobody: the objection is flagged, and the page
    says one task was."""
    _inst, task = _objection_of_ratna(smk, org)
    for member in ("bambang", "hendra"):
        org_service.remove_member(smk, org["indah"], "Tim Penilai Kinerja", org[member])
    assert _who_may_act(smk, org, task.id) == {"nur"}
    auth.login("indah")
    page = _text(client, "/organisasi/grup/Tim Penilai Kinerja")
    assert "langsung ditunjuk pada tugas yang menunggu pengganti" in page
    assert "beralih kepada pejabat pelaksana pada hari pertama" in _text(client, "/organisasi/plt")
    response = client.post("/organisasi/grup/Tim Penilai Kinerja/keluarkan", data={
        "csrf_token": csrf_token(client, "/"), "confirm": "1", "user_id": str(org["nur"])}, follow_redirects=True)
    html = re.sub(r"\s+", " ", response.get_data(as_text=True))
    assert response.status_code == 200 and _who_may_act(smk, org, task.id) == set()
    assert "1 tugas terbuka yang tidak dapat dikerjakan orang lain dilaporkan ke Biro SDM." in html
    # Putting hendra back in picks the flagged objection up, and the page says so.
    response = client.post("/organisasi/grup/Tim Penilai Kinerja/tambah", data={
        "csrf_token": csrf_token(client, "/"), "user_id": str(org["hendra"])}, follow_redirects=True)
    html = re.sub(r"\s+", " ", response.get_data(as_text=True))
    assert response.status_code == 200 and _who_may_act(smk, org, task.id) == {"hendra"}
    assert ("Ia kini menjadi pengganti pada 1 tugas terbuka yang menunggu anggota grup ini, dan sudah diberi tahu."
            in html)
