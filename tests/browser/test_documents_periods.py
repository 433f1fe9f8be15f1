"""Issue 13 in a real browser at 1366 px and at phone width (390 px): the official documents opened from the SKP page
and the instance page of a simulated year (the PDF read back for the capaian table), and Biro SDM opening a period
from the web. Screenshots go to tests/artifacts/ (documents_*, period_*)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from engine.db.runtime import Instance
from engine.services.deferred import start_all_deferred
from tests.pdftext import pdf_text

from .conftest import Site, assert_no_sideways_scroll, login, open_menu, shot
from .test_accessibility import AXE, Audit


@pytest.mark.parametrize("width", [1366, 390])
def test_the_evaluation_and_the_skp_documents_from_the_skp_page(browser, year_site: Site, width: int) -> None:
    """Dewi opens Budi's 2023 evaluation from his SKP page in English: the document is Indonesian, its capaian
    table shows the RHK, indicator, target, realisation and feedback; its PDF says the same."""
    context = browser.new_context(base_url=year_site.url, viewport={"width": width, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        login(page, "dewi")
        if width < 992:
            open_menu(page)
        page.get_by_test_id("lang-switch").click()  # the pages in English
        expect(page.get_by_test_id("lang-switch")).to_contain_text("Bahasa Indonesia")
        page.goto(f"/skp/{year_site.org['budi']}/2023")
        page.get_by_role("link", name="Evaluation document").click()
        page.wait_for_url(re.compile(r"/dokumen/evaluasi$"))
        expect(page.get_by_role("heading", name="DOKUMEN EVALUASI KINERJA PEGAWAI")).to_be_visible()
        table = page.get_by_test_id("capaian")
        for heading in ("RENCANA HASIL KERJA", "INDIKATOR KINERJA INDIVIDU", "TARGET",
                        "REALISASI BERDASARKAN BUKTI DUKUNG", "UMPAN BALIK BERKELANJUTAN BERDASARKAN BUKTI DUKUNG"):
            expect(table.get_by_role("columnheader", name=heading, exact=True)).to_be_visible()
        expect(table).to_contain_text("Dokumen kerja budi")
        expect(table).to_contain_text("Triwulan IV 2023:")
        expect(page.get_by_test_id("predikat")).not_to_have_text("BELUM DITETAPKAN")
        expect(page.get_by_text("Official documents are always in Bahasa Indonesia.")).to_be_visible()
        assert_no_sideways_scroll(page)  # the wide table scrolls inside its own region on a phone
        shot(page, f"documents_evaluation_{width}")
        audit = Audit(page, AXE.read_text(encoding="utf-8"), "dewi")
        audit.check("evaluation document")
        page.set_viewport_size({"width": width, "height": 900})  # axe leaves it at desktop
        audit.assert_clean()
        pdf_link = page.get_by_role("link", name="Download PDF")
        response = page.request.get(pdf_link.get_attribute("href") or "")
        assert response.ok and response.headers["content-type"] == "application/pdf"
        text = " ".join(pdf_text(response.body()).split())
        assert "REALISASI BERDASARKAN BUKTI DUKUNG" in text and "Dokumen kerja budi" in text
        assert "Triwulan IV 2023:" in text and "PREDIKAT KINERJA PEGAWAI" in text
        # The SKP document from the process page of the planning.
        page.goto(f"/skp/{year_site.org['budi']}/2023")
        page.get_by_role("link", name="Diagram and history").click()
        page.get_by_role("link", name="SKP document").click()
        page.wait_for_url(re.compile(r"/dokumen/skp$"))
        expect(page.get_by_role("heading", name="SASARAN KINERJA PEGAWAI")).to_be_visible()
        expect(page.get_by_test_id("hasil-kerja")).to_contain_text("Jumlah dokumen kerja")
        expect(page.get_by_test_id("perilaku")).to_contain_text("Berorientasi Pelayanan")
        assert_no_sideways_scroll(page)
        shot(page, f"documents_skp_{width}")
    finally:
        context.close()


@pytest.mark.parametrize("width", [1366, 390])
def test_hr_opens_a_period_from_the_web(browser, site: Site, width: int) -> None:
    """Indah (Biro SDM) opens period 2024 for Biro Sumber Daya Manusia: the entries, the summary, the confirmation,
    the period listed as open with a link to its progress; opening it again is refused."""
    context = browser.new_context(base_url=site.url, viewport={"width": width, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        login(page, "indah")
        if width < 992:
            open_menu(page)
        page.get_by_role("link", name="Periode", exact=True).click()
        expect(page.get_by_role("heading", name="Periode kinerja")).to_be_visible()
        # The unit is typed and chosen from the type-ahead's list with the keyboard (a ministry has thousands).
        unit = page.get_by_label("Unit", exact=True)
        unit.press_sequentially("sumber daya", delay=30)
        expect(page.get_by_role("option", name=re.compile("Biro Sumber Daya Manusia"))).to_be_visible()
        unit.press("ArrowDown")
        unit.press("Enter")
        expect(unit).to_have_value("BSD — Biro Sumber Daya Manusia")
        page.get_by_label("Pemantauan").select_option(label="Bulanan")
        expect(page.get_by_label("Tahun")).to_have_value("2024")
        page.get_by_label("IKU organisasi dari Perjanjian Kinerja (PK)").fill(
            "BSD; IKU-BSD-1; Persentase pegawai dengan SKP ditetapkan tepat waktu; 95%")
        audit = Audit(page, AXE.read_text(encoding="utf-8"), "indah")
        audit.check("periods page")
        page.set_viewport_size({"width": width, "height": 900})  # axe leaves it at desktop
        shot(page, f"period_form_{width}")
        page.get_by_role("button", name="Periksa isian").click()
        expect(page.get_by_role("heading", name="Buka periode 2024?")).to_be_visible()
        expect(page.get_by_test_id("summary")).to_contain_text("Biro Sumber Daya Manusia")
        assert_no_sideways_scroll(page)
        audit.check("period confirmation")
        page.set_viewport_size({"width": width, "height": 900})  # axe leaves it at desktop
        shot(page, f"period_confirm_{width}")
        page.get_by_role("button", name="Buka periode 2024").click()
        expect(page.get_by_text(re.compile(r"Periode 2024 dibuka: \d+ pegawai mendapat kasus perencanaan"))) \
            .to_be_visible()
        row = page.locator('tr[data-period="2024"]')
        expect(row).to_contain_text("dibuka")
        # This site runs no worker: the planning cases wait, and the page says so until they start.
        expect(row.get_by_test_id("planning-waiting")).to_contain_text("menunggu dimulai oleh pekerja latar")
        expect(row.get_by_role("link", name="Kemajuan")).to_have_attribute("href", re.compile("kemajuan"))
        assert_no_sideways_scroll(page)
        audit.check("period opened")
        page.set_viewport_size({"width": width, "height": 900})  # axe leaves it at desktop
        audit.assert_clean()
        shot(page, f"period_opened_{width}")
        assert start_all_deferred(site.engine) > 0  # what the worker does
        with site.engine.session_factory() as s:
            planning = s.scalar(select(func.count(Instance.id)).where(Instance.process_id == "smk_perencanaan",
                                                                      Instance.period == "2024"))
        assert planning and planning > 0
        page.reload()
        expect(row.get_by_test_id("planning-waiting")).to_have_count(0)
        expect(row.locator("td").nth(6)).to_have_text(str(planning))
        page.get_by_role("button", name="Periksa isian").click()  # the same year and unit again
        expect(page.get_by_test_id("errors")).to_contain_text("Periode 2024 sudah dibuka untuk unit ini")
        shot(page, f"period_refused_{width}")
    finally:
        context.close()
