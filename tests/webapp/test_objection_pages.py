"""The pages that say why an assessment result is final name who decided the objection in which capacity: the SKP
page, the employee's history and the objection report show a stand-in's decision as one made in the Atasan Pejabat
Penilai's place (with the stand-in's group), and the APP's own as the APP's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.core import Engine
from tests.bpmn.conftest import act, set_unit_rating
from tests.bpmn.helpers_skp import start_planning
from tests.bpmn.test_penilaian import PERILAKU_B, start_assessment
from webapp import create_app

from .conftest import Auth

DECISION = {"penjelasan_pegawai": "Bukti terlampir", "penjelasan_penilai": "Sesuai", "keputusan_keberatan": "ditolak",
            "alasan_keputusan": "Tidak beralasan"}


@pytest.fixture
def app(smk: Engine, tmp_path: Path) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "test", "INSTANCE_PATH": str(tmp_path / "instance"),
                       "DATABASE_URL": smk.database_url}, engine=smk)


def _text(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_a_stand_in_s_decision_is_shown_as_one(smk: Engine, org: dict[str, int], client: FlaskClient,
                                               auth: Auth) -> None:
    """ratna's objection is decided by bambang (Tim Penilai Kinerja) in her absent APP's place; agus's by his APP,
    hartono."""
    ratna, agus = org["ratna"], org["agus"]
    start_planning(smk, org, "ratna")  # the SKP page shows a period with an SKP
    start_planning(smk, org, "agus")
    set_unit_rating(smk, org, "ratna", "Baik")
    start_assessment(smk, org, "ratna", "C", "2023")
    act(smk, org["hartono"], "nilai_c_kepala", {"perilaku": "Sesuai Ekspektasi", "umpan_balik_akhir": "Baik"}, ratna)
    act(smk, ratna, "terima_hasil", {"tanggapan": "keberatan", "alasan_keberatan": "Perilaku lebih baik"}, ratna)
    act(smk, org["bambang"], "putus_keberatan", DECISION, ratna)  # Tim Penilai Kinerja, in the absent APP's place
    start_assessment(smk, org, "agus", "B", "2023")
    act(smk, ratna, "nilai_b", {"indikator_penilaian_isi": [{"id": "b-1", "realisasi": 12},
                                                           {"id": "b-2", "realisasi": 15}],
                                "inovasi": False, **PERILAKU_B}, agus)
    act(smk, agus, "terima_hasil", {"tanggapan": "keberatan", "alasan_keberatan": "Tidak sesuai"}, agus)
    act(smk, org["hartono"], "putus_keberatan", DECISION, agus)  # his own Atasan Pejabat Penilai

    auth.login("ratna")
    html = _text(client, f"/skp/{ratna}/2023")
    assert ('data-testid="final-reason">Keberatan diputus oleh pengganti Atasan Pejabat Penilai '
            "(Tim Penilai Kinerja)<") in html
    history = _text(client, f"/pegawai/{ratna}/riwayat")
    assert "Bambang Suryadi, S.H., M.H. · " in history
    assert ('data-testid="stand-in-decision">sebagai pengganti Atasan Pejabat Penilai (Tim Penilai Kinerja)<'
            in history)
    auth.logout()
    auth.login("agus")
    html = _text(client, f"/skp/{agus}/2023")
    assert 'data-testid="final-reason">Keberatan diputus oleh Atasan Pejabat Penilai<' in html
    assert "stand-in-decision" not in _text(client, f"/pegawai/{agus}/riwayat")
    auth.logout()

    auth.login("indah")  # Biro SDM reads the objection report of the whole agency
    report = _text(client, "/laporan/keberatan?period=2023")
    cases = report[report.index('id="h-cases"'):]
    ratna_row = cases[cases.index("Ratna Sari Dewi"):]
    ratna_row = ratna_row[:ratna_row.index("</tr>")]
    assert "Bambang Suryadi, S.H., M.H." in ratna_row
    assert "sebagai pengganti Atasan Pejabat Penilai (Tim Penilai Kinerja)" in ratna_row
    agus_row = cases[cases.index("Agus Setiawan"):]
    agus_row = agus_row[:agus_row.index("</tr>")]
    assert "Dr. Hartono Wibisono" in agus_row and "pengganti" not in agus_row
