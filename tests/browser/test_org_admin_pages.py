"""Biro SDM imports the organisation in the browser (preview with the open tasks that change hands, then apply)
and finds people on the users page; screenshots of both at desktop and phone widths."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from engine.services import instances
from processes.orgimport import organisation_xlsx
from tools import orggen

from .conftest import ARTIFACTS, Site, login

CAPAIAN = {"ringkasan": "Laporan", "tanggal": "2024-01-31", "hasil_kerja": "Sesuai Ekspektasi",
           "kegiatan": [{"nama": "Rapat", "target": 4, "realisasi": 4}]}


def _changed_file(site: Site, folder: Path) -> Path:
    """The current organisation with budi transferred to indah's sub-division and one new employee."""
    with site.engine.session_factory() as s:
        book = load_workbook(io.BytesIO(organisation_xlsx(s)), read_only=True)
    rows = {name: [["" if v is None else str(v) for v in r] for r in list(book[name].iter_rows(values_only=True))[1:]]
            for name in ("unit", "jabatan", "pegawai")}
    next(p for p in rows["pegawai"] if p[0] == "198812202014021001")[2] = "BSD-1-1-02"
    rows["pegawai"].append(["199103032015031001", "Rina Marlina", "BSD-1-1-03", "rina@demo.smk.go.id",
                            "Penata Muda (III/a)", "PNS", "ya"])
    path = folder / "organisasi.xlsx"
    path.write_bytes(orggen.workbook(rows))
    return path


@pytest.mark.parametrize("width", [1366, 390])
def test_hr_previews_and_applies_an_import(page, site: Site, width: int, tmp_path: Path) -> None:
    started = instances.start_instance(site.engine, "demo_penilaian", site.org["admin"], site.org["budi"], "2024")
    instances.complete_task(site.engine, site.org["budi"], started.ready_task_ids[0], CAPAIAN)
    page.set_viewport_size({"width": width, "height": 900})
    login(page, "indah")
    page.goto("/organisasi/impor")
    page.get_by_label(re.compile("Satu buku kerja XLSX|One XLSX workbook")).set_input_files(str(_changed_file(site, tmp_path)))
    page.get_by_role("button", name=re.compile("Periksa dan pratinjau|Check and preview")).click()
    page.wait_for_selector("[data-testid=handovers]")
    handovers = page.get_by_role("region", name=re.compile("Tugas terbuka yang berpindah tangan|Open tasks that change hands"))
    assert "Dewi Lestari" in handovers.inner_text() and "Indah Permatasari" in handovers.inner_text()
    assert "Rina Marlina" in page.inner_text("main")
    page.screenshot(path=str(ARTIFACTS / f"organisation_import_preview_{width}.png"), full_page=True)
    page.get_by_role("button", name=re.compile("Terapkan impor|Apply the import")).click()
    page.wait_for_selector("[data-testid=accounts]")
    link = page.get_by_role("textbox", name=re.compile("Rina Marlina")).input_value()
    assert "/akun/sandi/" in link
    page.screenshot(path=str(ARTIFACTS / f"organisation_import_done_{width}.png"), full_page=True)


@pytest.mark.parametrize("width", [1366, 390])
def test_hr_finds_people_on_the_users_page(page, site: Site, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    login(page, "indah")
    page.goto("/organisasi/pengguna")
    page.get_by_label(re.compile("Nama, NIP|Name, NIP")).fill("Subbagian Penyusunan")
    page.get_by_role("button", name=re.compile("^(Cari|Search)$")).click()
    table = page.get_by_role("region", name=re.compile("^(Pengguna|Users)$"))
    text = table.inner_text()
    assert "Budi Santoso" in text and "Dewi Lestari" in text and "Ratna" not in text
    page.screenshot(path=str(ARTIFACTS / f"organisation_users_{width}.png"), full_page=True)
