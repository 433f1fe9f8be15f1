"""The SKP at the centre (issue 13), in a real browser at 1366 px and at phone width (390 px): drafting in the
table editor, reviewing with a comment per row (an empty return refused), the employee seeing the notes next to the
rows and the notification, and the SKP page across a simulated year. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import Site, assert_no_sideways_scroll, login, logout, shot
from .test_accessibility import AXE, Audit
from .test_browser import AGUS_RHK, _open_period_and_set_superiors, _open_task, _submit

ROWS = [  # rhk, which of Agus's RHK it supports, aspek, indikator, target, satuan
    ("Tersusunnya rencana program tahunan Bagian Perencanaan", 0, "Kuantitas", "Jumlah dokumen rencana program",
     "1", "dokumen"),
    ("Terlaksananya rapat koordinasi perencanaan dengan seluruh unit", 1, "Kuantitas", "Jumlah rapat koordinasi",
     "4", "rapat"),
]
ROW_NOTE = "Target rapat koordinasi terlalu rendah: paling sedikit satu per bulan."
NOTE = "Perbaiki target pada baris kedua."


def _draft(page: Page, audit: Audit) -> None:
    """As Eko: open the drafting task and fill two RHK rows in the table editor; check its layout at 1366 px."""
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, "eko")
    _open_task(page, "Susun SKP (regime C)")  # ready once Agus's SKP was set (cascading)
    page.get_by_label("Pendekatan").select_option("kuantitatif")
    add = page.get_by_role("button", name=re.compile("Tambah baris: RHK utama"))
    for i, (rhk, which, aspek, indikator, target, satuan) in enumerate(ROWS):
        add.click()
        row = f"rhk_utama[{i}]"
        page.locator(f'[name="{row}[mendukung]"]').select_option(label=f"RHK atasan: {AGUS_RHK[which]}")
        page.locator(f'[name="{row}[rhk]"]').fill(rhk)
        page.locator(f'[name="{row}[indikator]"]').fill(indikator)
        page.locator(f'[name="{row}[aspek]"]').select_option(aspek)
        page.locator(f'[name="{row}[target]"]').fill(target)
        page.locator(f'[name="{row}[satuan]"]').fill(satuan)
    table = page.locator("fieldset[data-array='rhk_utama'] table.form-table")
    expect(table.locator("tbody.row-item")).to_have_count(2)
    # One RHK per row, numbered; the RHK and its indicator are full-width text areas, not 80 px boxes.
    expect(table.locator("tbody.row-item").nth(1).locator(".row-no")).to_have_text("2")
    rhk_box = page.locator('[name="rhk_utama[0][rhk]"]').bounding_box()
    assert rhk_box is not None and rhk_box["width"] > 500, rhk_box
    assert page.locator('[name="rhk_utama[0][rhk]"]').evaluate("e => e.tagName") == "TEXTAREA"
    assert page.locator('[name="rhk_utama[0][perspektif]"]').count() == 0  # Perspektif is for JPT only
    assert_no_sideways_scroll(page)
    audit.check("SKP editor (table layout)")
    shot(page, "skp_editor_1366")
    page.set_viewport_size({"width": 390, "height": 844})
    # At phone width each row is a card: its number says "RHK 1" and the labels are visible.
    expect(table.locator("tbody.row-item").first.locator(".row-label")).to_be_visible()
    expect(page.locator('label[for="f-rhk_utama-0-target"]')).to_be_visible()
    assert_no_sideways_scroll(page)
    shot(page, "skp_editor_390")
    page.set_viewport_size({"width": 1366, "height": 900})
    _submit(page)
    expect(page.get_by_role("alert").first).to_contain_text("Tugas selesai")


def test_drafting_review_per_row_and_the_notes_back_to_the_employee(page: Page, site: Site) -> None:
    _open_period_and_set_superiors(site)
    audit = Audit(page, AXE.read_text(encoding="utf-8"), "SKP pages")  # axe-core at 1366 and 390 px
    _draft(page, audit)

    logout(page)
    login(page, "agus")
    _open_task(page, "Tinjau SKP")
    review = page.locator("fieldset[data-array='tinjauan_rhk']")
    rows = review.locator("tbody.row-item")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text(AGUS_RHK[1])  # the superior's RHK by its text
    expect(rows.nth(1)).to_contain_text("4 rapat")
    expect(review.get_by_role("button", name=re.compile("Tambah baris|Hapus baris"))).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("Putaran")
    rows.nth(1).locator("textarea").fill(ROW_NOTE)
    page.get_by_label("Keputusan").select_option("kembalikan")
    _submit(page)  # no note: refused on the field, the comment kept
    expect(page.locator("#form-errors")).to_be_visible()
    expect(page.locator('[data-path="catatan_penilai"] .invalid-feedback')).to_contain_text("Wajib diisi")
    expect(rows.nth(1).locator("textarea")).to_have_value(ROW_NOTE)
    audit.check("SKP review with a refused return")
    shot(page, "skp_review_refused_1366")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_no_sideways_scroll(page)
    shot(page, "skp_review_refused_390")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_label(re.compile("Catatan untuk pegawai")).fill(NOTE)
    _submit(page)
    expect(page.get_by_role("alert").first).to_contain_text("Tugas selesai")

    logout(page)
    login(page, "eko")
    page.goto("/notifications")
    returned = page.locator("[data-kind='skp_returned']")
    expect(returned).to_contain_text("SKP dikembalikan dengan catatan oleh Agus Setiawan")
    expect(returned).not_to_contain_text("returned with notes")  # the Indonesian half on an Indonesian page
    expect(returned).to_contain_text(NOTE)
    _open_task(page, "Susun SKP (regime C)")
    editor_rows = page.locator("fieldset[data-array='rhk_utama'] tbody.row-item")
    expect(editor_rows.nth(1)).to_contain_text(ROW_NOTE)  # next to the row it concerns
    expect(editor_rows.nth(0)).not_to_contain_text(ROW_NOTE)
    expect(page.locator("main")).to_contain_text(NOTE)
    shot(page, "skp_returned_editor_1366")
    page.get_by_test_id("skp-page-link").click()
    expect(page.get_by_test_id("skp-status")).to_have_text("Dikembalikan dengan catatan")
    table_rows = page.locator("[data-testid='skp-table'] tr[data-row]")
    expect(table_rows.nth(1).get_by_test_id("row-note")).to_contain_text(ROW_NOTE)
    expect(table_rows.nth(0).get_by_test_id("row-note")).to_have_count(0)
    expect(table_rows.nth(1)).to_contain_text(AGUS_RHK[1])
    assert_no_sideways_scroll(page)
    audit.check("SKP page, returned with notes")
    shot(page, "skp_page_returned_1366")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_no_sideways_scroll(page)
    shot(page, "skp_page_returned_390")

    # The revised version goes back; approved, the page says what changed between the versions.
    page.set_viewport_size({"width": 1366, "height": 900})
    _open_task(page, "Susun SKP (regime C)")
    page.locator('[name="rhk_utama[1][target]"]').fill("12")
    _submit(page)
    logout(page)
    login(page, "agus")
    _open_task(page, "Tinjau SKP")
    page.get_by_label("Keputusan").select_option("setujui")
    _submit(page)
    page.goto(f"/skp/{site.org['eko']}/2024")
    expect(page.get_by_test_id("skp-status")).to_have_text("Ditetapkan")
    changes = page.locator("[data-version='2'] [data-testid='changes']")
    expect(changes).to_contain_text("4 rapat")
    expect(changes).to_contain_text("12 rapat")
    audit.check("SKP page, set, with versions")
    shot(page, "skp_page_set_versions_1366")
    audit.assert_clean()


@pytest.mark.parametrize("width", [1366, 390])
def test_the_skp_page_across_a_simulated_year(browser, year_site: Site, width: int) -> None:
    """Budi's 2023: the set SKP, four quarters of realisation with feedback, and the final rating, as his assessor
    Dewi sees it from Tim saya."""
    context = browser.new_context(base_url=year_site.url, viewport={"width": width, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        login(page, "dewi")
        page.goto(f"/skp/{year_site.org['budi']}/2023")
        expect(page.get_by_test_id("skp-status")).to_have_text("Ditetapkan")
        table = page.get_by_test_id("skp-table")
        for quarter in range(1, 5):
            expect(table).to_contain_text(f"Triwulan {quarter} — 2023")
        expect(table).not_to_contain_text("belum dilaporkan")  # every quarter was reported
        slices = page.locator("li[data-slice]")
        expect(slices).to_have_count(4)
        expect(page.get_by_test_id("predikat")).to_be_visible()
        assert_no_sideways_scroll(page)
        shot(page, f"skp_page_year_{width}")
        audit = Audit(page, AXE.read_text(encoding="utf-8"), "dewi")
        audit.check("SKP page across 2023")
        audit.assert_clean()
    finally:
        context.close()
