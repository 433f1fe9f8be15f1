"""The assessor's feedback task in a real browser (issue 13): Eko's realisation (two indicator rows, the set
SKP's; none can be added or removed) reaches Agus, who sees each row's realisation, achievement, the evidence as a
link that opens the file, and Eko's note, in a task titled with its slice. Screenshots monitoring_*_1366/390.png."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .conftest import ARTIFACTS, Site, assert_no_sideways_scroll, login, logout
from .test_browser import _open_task, _submit, _to_realisation


def _shots(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"monitoring_{name}_{width}.png"), full_page=True)
        assert_no_sideways_scroll(page, f"{name} at {width} px")
    page.set_viewport_size({"width": 1366, "height": 900})


def test_assessor_sees_the_evidence_as_links_and_the_notes(page: Page, site: Site, tmp_path) -> None:
    _to_realisation(site)
    good = tmp_path / "notulen-rapat.pdf"
    good.write_bytes(b"%PDF-1.4\n% notulen rapat koordinasi\n" + b"y" * 1500)
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, "eko")
    _open_task(page, "Isi realisasi dan bukti dukung (Triwulan 1 — 2024)")
    table = page.locator("fieldset[data-array='realisasi']")
    expect(table.locator(".row-item")).to_have_count(2)
    expect(table.get_by_role("button", name=re.compile("Tambah baris|Add row"))).to_have_count(0)
    expect(table.get_by_role("button", name=re.compile("Hapus|Remove"))).to_have_count(0)
    _shots(page, "realisation")
    page.locator('[name="realisasi[0][realisasi]"]').fill("0.25")
    page.locator('[name="realisasi[0][catatan]"]').fill("Rencana program tahunan sudah disusun.")
    page.locator('[name="realisasi[1][realisasi]"]').fill("1")
    page.locator('[name="realisasi[1][catatan]"]').fill("Notulen rapat koordinasi terlampir.")
    page.locator('input[type="file"][name="realisasi[1][bukti_dukung]"]').set_input_files(str(good))
    _submit(page)
    expect(page.get_by_role("alert").first).to_contain_text("Tugas selesai")
    logout(page)

    login(page, "agus")
    _open_task(page, "Beri umpan balik (Triwulan 1 — 2024)")
    main = page.locator("main")
    expect(main).to_contain_text("Triwulan 1 — 2024")
    expect(main).not_to_contain_text("[bukti]")
    expect(main).to_contain_text("Catatan pegawai")
    expect(main).to_contain_text("Rencana program tahunan sudah disusun.")
    expect(main).to_contain_text("Notulen rapat koordinasi terlampir.")
    link = main.get_by_role("link", name="notulen-rapat.pdf")
    expect(link).to_have_count(1)
    download = page.request.get(link.get_attribute("href"))
    assert download.status == 200 and download.body() == good.read_bytes()
    _shots(page, "feedback")
    page.get_by_label(re.compile("^Umpan balik")).fill("Pertahankan; lampirkan juga notulen rapat berikutnya.")
    _submit(page)
    expect(page.get_by_role("alert").first).to_contain_text("Tugas selesai")
