"""The official documents (SKP and dokumen evaluasi kinerja) printed from a simulated year, read back from the PDF.

The data is the demo organisation's 2023 played by ``smk simulate`` and 2024 half-way through planning
(tests/simulated_year.py). The expected texts come from the cases' own data: the SKP rows the employee set, the
realisation reported in the last quarter, the feedback given per quarter, the ratings and the predikat the
finished assessment holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.core import Engine
from engine.db.org import User
from engine.db.runtime import Instance
from processes.simulate import OBJECTS_UPHELD
from tests.pdftext import pdf_text
from tests.simulated_year import simulated_year_engine
from webapp import create_app

from .conftest import Auth, csrf_token


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with simulated_year_engine("sqlite", tmp_path_factory, "documents") as engine:
        yield engine


@pytest.fixture
def app(sim: Engine, tmp_path: Path) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "test", "INSTANCE_PATH": str(tmp_path / "instance"),
                       "DATABASE_URL": sim.database_url}, engine=sim)


def _cases(sim: Engine, username: str, period: str = "2023") -> dict[str, list[Instance]]:
    with sim.session_factory() as s:
        user = s.scalar(select(User).where(User.username == username))
        assert user is not None
        found: dict[str, list[Instance]] = {}
        for i in s.scalars(select(Instance).where(Instance.subject_id == user.id, Instance.period == period)
                           .order_by(Instance.id)):
            s.expunge(i)
            found.setdefault(i.process_id, []).append(i)
        return found


def _data(instance: Instance) -> dict[str, Any]:
    return dict((instance.state or {}).get("data") or {})


def _pdf(client: FlaskClient, instance_id: int, kind: str) -> str:
    response = client.get(f"/instances/{instance_id}/dokumen/{kind}?format=pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return " ".join(pdf_text(response.data).split())  # words as one line: table cells wrap anywhere


def _submitted(sim: Engine, instance_id: int, task: str) -> list[dict[str, Any]]:
    from engine.db.audit import AuditEvent

    with sim.session_factory() as s:
        return [dict((e.data or {}).get("submitted") or {}) for e in s.scalars(
            select(AuditEvent).where(AuditEvent.instance_id == instance_id, AuditEvent.kind == "task.completed",
                                     AuditEvent.task_name == task).order_by(AuditEvent.id))]


def test_the_evaluation_pdf_prints_the_capaian_table_ratings_and_predikat(sim: Engine, client: FlaskClient,
                                                                          auth: Auth) -> None:
    cases = _cases(sim, "budi")
    assessment = cases["smk_penilaian"][-1]
    plan = _data(cases["smk_perencanaan"][-1])
    last_quarter = cases["smk_pemantauan"][-1]
    reported = {r["id"]: r for r in _submitted(sim, last_quarter.id, "isi_realisasi")[-1]["realisasi"]}
    given = _submitted(sim, last_quarter.id, "umpan_balik")[-1]
    per_row = {str(r.get("id")): r.get("umpan_balik") for r in given.get("umpan_balik_baris") or []
               if r.get("umpan_balik")}
    auth.login("dewi")
    text = _pdf(client, assessment.id, "evaluasi")
    assert text.startswith("DOKUMEN EVALUASI KINERJA PEGAWAI PERIODE: AKHIR "
                           "PERIODE PENILAIAN: 1 JANUARI 2023 S.D. 31 DESEMBER 2023")
    assert "no plan" not in text.lower() and "Belum ada rencana hasil kerja" not in text
    assert ("NO RENCANA HASIL KERJA PIMPINAN YANG DIINTERVENSI RENCANA HASIL KERJA ASPEK INDIKATOR KINERJA "
            "INDIVIDU TARGET REALISASI BERDASARKAN BUKTI DUKUNG UMPAN BALIK BERKELANJUTAN BERDASARKAN BUKTI DUKUNG"
            in text)
    superior_rhk = {r["id"]: r["rhk"] for r in plan["rhk_atasan"]}
    for row, rid in zip(plan["rhk_utama"], [r["id"] for r in plan["rhk"]], strict=False):
        realised = reported[rid]["realisasi"]
        realised = int(realised) if float(realised).is_integer() else realised
        # One row of the capaian table, cell after cell: superior's RHK, RHK, aspect, indicator, target,
        # the realisation of the last quarter, then the feedback of the first quarter.
        assert (f"{superior_rhk[row['mendukung']]} {row['rhk']} {row['aspek']} {row['indikator']} "
                f"{row['target']} {row['satuan']} {realised} {row['satuan']} Triwulan I 2023:") in text, row
    for rid in [r["id"] for r in plan["rhk"]]:  # the row's own feedback where the form gave one, else the quarter's
        assert f"Triwulan IV 2023: {per_row.get(rid) or given['umpan_balik']}" in text
    final = _data(assessment)
    assert f"RATING HASIL KERJA {final['hasil_kerja'].upper()}" in text
    assert f"RATING PERILAKU KERJA {final['perilaku'].upper()}" in text
    assert f"PREDIKAT KINERJA PEGAWAI {final['predikat'].upper()}" in text
    assert "Berorientasi Pelayanan Memahami dan memenuhi kebutuhan masyarakat" in text
    assert f"{plan['ekspektasi_berorientasi_pelayanan']} {final['umpan_balik_akhir']}" in text  # perilaku feedback
    assert "CAPAIAN KINERJA ORGANISASI BAIK" in text  # the simulation rates Biro Perencanaan "Baik"
    assert "Budi Santoso" in text and "Dewi Lestari" in text and "ATASAN PEJABAT PENILAI KINERJA" in text
    for raw in ("rhk_utama", "mendukung", "umpan_balik", "hasil_kerja", "ekspektasi_"):
        assert raw not in text


def test_the_documents_stay_in_indonesian_whatever_the_page_language(sim: Engine, client: FlaskClient,
                                                                     auth: Auth) -> None:
    cases = _cases(sim, "budi")
    auth.login("budi")
    client.post("/lang/en", data={"csrf_token": csrf_token(client, "/"), "next": "/"})
    assert "My SKP" in client.get("/skp").get_data(as_text=True)  # the pages are in English now
    html = client.get(f"/instances/{cases['smk_penilaian'][-1].id}/dokumen/evaluasi").get_data(as_text=True)
    assert '<html lang="id">' in html and "DOKUMEN EVALUASI KINERJA PEGAWAI" in html
    assert "Official documents are always in Bahasa Indonesia." in html  # the toolbar says so, in English
    text = _pdf(client, cases["smk_perencanaan"][-1].id, "skp")
    assert text.startswith("SASARAN KINERJA PEGAWAI PENDEKATAN HASIL KERJA KUANTITATIF")
    assert "PEGAWAI YANG DINILAI" in text and "PERILAKU KERJA" in text and "EKSPEKTASI KHUSUS PIMPINAN" in text
    for english in ("Work results", "Assessor", "Employee", "Behaviour", "Target date", "process status"):
        assert english not in text


def test_the_skp_pdf_prints_the_superiors_rhk_and_the_indicator_table(sim: Engine, client: FlaskClient,
                                                                      auth: Auth) -> None:
    cases = _cases(sim, "siti")
    plan = _data(cases["smk_perencanaan"][-1])
    auth.login("siti")
    text = _pdf(client, cases["smk_perencanaan"][-1].id, "skp")
    assert "NO RENCANA HASIL KERJA PIMPINAN YANG DIINTERVENSI RENCANA HASIL KERJA ASPEK INDIKATOR KINERJA " \
           "INDIVIDU TARGET A. Utama" in text
    superior_rhk = {r["id"]: r["rhk"] for r in plan["rhk_atasan"]}
    for n, row in enumerate(plan["rhk_utama"], start=1):
        assert (f"{n} {superior_rhk[row['mendukung']]} {row['rhk']} {row['aspek']} {row['indikator']} "
                f"{row['target']} {row['satuan']}") in text
    assert "REALISASI" not in text  # the plan, not the evaluation
    assert "DRAF" not in text  # the SKP was set
    assert "Pegawai yang Dinilai" in text and "Pejabat Penilai Kinerja" in text


def test_a_draft_skp_is_printed_as_a_draft(sim: Engine, client: FlaskClient, auth: Auth) -> None:
    ratna = _cases(sim, "ratna", "2024")["smk_perencanaan"][-1]  # submitted, waiting for hartono's review
    auth.login("hartono")
    text = _pdf(client, ratna.id, "skp")
    assert text.startswith("DRAF — SKP belum ditetapkan (status: Sedang ditinjau) SASARAN KINERJA PEGAWAI")
    assert "PERIODE PENILAIAN: 1 JANUARI 2024 S.D. 31 DESEMBER 2024" in text


def test_a_quarters_evaluation_shows_that_quarter_only(sim: Engine, client: FlaskClient, auth: Auth) -> None:
    quarters = _cases(sim, "budi")["smk_pemantauan"]
    second = quarters[1]
    given = _submitted(sim, second.id, "umpan_balik")[-1]
    feedback = next((r["umpan_balik"] for r in given.get("umpan_balik_baris") or [] if r.get("umpan_balik")),
                    given["umpan_balik"])
    auth.login("budi")
    text = _pdf(client, second.id, "evaluasi")
    assert text.startswith("DOKUMEN EVALUASI KINERJA PEGAWAI PERIODE: TRIWULAN II 2023")
    assert f"Triwulan II 2023: {feedback}" in text
    assert "Triwulan I 2023:" not in text and "Triwulan III 2023" not in text
    assert "PREDIKAT KINERJA PEGAWAI" not in text and "rating dan predikat ditetapkan pada evaluasi akhir" in text


def test_an_upheld_objection_prints_the_final_predikat(sim: Engine, client: FlaskClient, auth: Auth) -> None:
    (who,) = OBJECTS_UPHELD
    assessment = _cases(sim, who)["smk_penilaian"][-1]
    final = _data(assessment)["predikat"]
    auth.login("indah")  # Biro SDM sees every employee's documents
    assert f"PREDIKAT KINERJA PEGAWAI {final.upper()}" in _pdf(client, assessment.id, "evaluasi")


@pytest.mark.parametrize(("username", "status"), [("budi", 200), ("dewi", 200), ("agus", 200), ("indah", 200),
                                                  ("admin", 200), ("siti", 404), ("eko", 404), ("rudi", 404)])
def test_who_may_open_an_employees_documents(sim: Engine, client: FlaskClient, auth: Auth, username: str,
                                             status: int) -> None:
    cases = _cases(sim, "budi")
    auth.login(username)
    for instance, kind in ((cases["smk_perencanaan"][-1], "skp"), (cases["smk_penilaian"][-1], "evaluasi")):
        assert client.get(f"/instances/{instance.id}/dokumen/{kind}").status_code == status
    auth.logout()
    assert client.get(f"/instances/{cases['smk_penilaian'][-1].id}/dokumen/evaluasi").status_code == 302  # login
