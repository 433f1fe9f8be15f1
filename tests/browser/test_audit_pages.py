"""Biro SDM audits in the browser: the search, an employee's history, the chain check (desktop and phone)."""

from __future__ import annotations

import re

import pytest

from engine.services import instances

from .conftest import ARTIFACTS, Site, assert_no_sideways_scroll, login

CAPAIAN = {"ringkasan": "Laporan Januari", "tanggal": "2024-01-31", "hasil_kerja": "Sesuai Ekspektasi",
           "kegiatan": [{"nama": "Rapat koordinasi", "target": 4, "realisasi": 3}]}


@pytest.fixture
def history(site: Site) -> int:
    """Budi has one demo case with his first task completed (and so an audit trail)."""
    started = instances.start_instance(site.engine, "demo_penilaian", site.org["admin"], site.org["budi"], "2024")
    instances.complete_task(site.engine, site.org["budi"], started.ready_task_ids[0], CAPAIAN)
    return started.id


@pytest.mark.parametrize("width", [1366, 390])
def test_hr_searches_the_trail_and_opens_an_employee_history(page, site: Site, history: int, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    login(page, "indah")
    if width < 992:
        page.get_by_role("button", name=re.compile("menu", re.I)).click()
    page.get_by_role("link", name="Audit").click()
    page.get_by_label(re.compile("Pegawai \\(nama atau NIP\\)|Employee \\(name or NIP\\)")).fill("Budi")
    page.get_by_role("button", name=re.compile("^(Cari|Search)$")).click()
    table = page.get_by_role("region", name=re.compile("Peristiwa audit|Audit events"))
    assert "Laporan Januari" in table.inner_text()
    page.screenshot(path=str(ARTIFACTS / f"audit_search_{width}.png"), full_page=True)
    page.get_by_role("link", name="Budi Santoso").first.click()
    page.wait_for_url(re.compile(r"/pegawai/\d+/riwayat$"))
    body = page.locator("main").inner_text()
    assert "Budi Santoso" in body and "2024" in body and "Rapat koordinasi" in body or "Laporan Januari" in body
    page.screenshot(path=str(ARTIFACTS / f"audit_history_{width}.png"), full_page=True)


def test_hr_checks_the_chain(page, site: Site, history: int) -> None:
    login(page, "indah")
    page.goto("/audit/integritas")
    page.get_by_role("button", name=re.compile("Periksa|Check the chain")).click()
    assert re.search("Utuh|Intact", page.locator("main").inner_text())
    page.screenshot(path=str(ARTIFACTS / "audit_integrity.png"), full_page=True)


def test_an_employee_does_not_see_the_audit_menu(page, site: Site) -> None:
    login(page, "budi")
    assert page.get_by_role("link", name="Audit").count() == 0
    response = page.goto("/audit")
    assert response is not None and response.status == 403


@pytest.mark.parametrize(("name", "width"), [("zainal", 1366), ("zainal", 390), ("umi", 1366)])
def test_the_history_summary_shows_predikat_objection_and_follow_up_per_period(
        browser, year_site: Site, name: str, width: int) -> None:
    """At the top of an employee's history: each period's predikat proposed → final, the objection and its outcome,
    the follow-up decisions; on screen at desktop and phone width (no sideways scroll), and on paper."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(base_url=year_site.url, viewport={"width": width, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        login(page, "indah")
        page.goto(f"/pegawai/{year_site.org[name]}/riwayat")
        summary = page.get_by_role("region", name=re.compile("Ringkasan per periode|Periods at a glance"))
        text = summary.inner_text()
        assert "2023" in text and "→" in text
        # The unit's calibration (issue 15), not the order of submissions, now decides who is lowered: zainal's and
        # umi's predikat come out of it; their objections are the simulated year's fixed behaviours.
        if name == "zainal":
            assert "Keberatan ditolak" in text  # his objection was rejected
        else:
            assert "Keberatan diterima" in text  # hers was upheld
        assert_no_sideways_scroll(page, f"the history at {width} px")
        page.screenshot(path=str(ARTIFACTS / f"audit_history_summary_{name}_{width}.png"), full_page=True)
        if width == 1366 and name == "zainal":
            page.emulate_media(media="print")
            assert page.locator("nav.smk-nav").is_hidden()  # the menu stays off the paper
            assert page.get_by_role("button", name=re.compile("^(Cetak|Print)$")).is_hidden()
            page.screenshot(path=str(ARTIFACTS / "audit_history_summary_print.png"), full_page=True)
    finally:
        context.close()
