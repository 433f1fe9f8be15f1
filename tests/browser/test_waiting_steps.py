"""Waiting steps in a real browser: Agus waits for Ratna's RHK (the planning's *Menunggu RHK atasan*, a waiting step
by its model) and has one assessment to fill in. The inbox lists the work, then "Menunggu pihak lain" with the
waiting step and its own count; the navigation's badge counts the work only. axe-core finds no serious violation
in the section at desktop and phone width. Screenshots: tests/artifacts/waiting_steps_{1366,390}.png and
a11y_inbox_waiting_steps_*.png."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from engine.services import instances
from processes.demo import start_demo_work

from .conftest import ARTIFACTS, Site, assert_no_sideways_scroll, login, watch_problems
from .test_accessibility import Audit, axe_source  # noqa: F401  (axe_source is a fixture)


def test_the_inbox_lists_waiting_steps_apart_and_the_badge_counts_the_work(page: Page, site: Site,
                                                                            axe_source: str) -> None:  # noqa: F811
    engine, org = site.engine, site.org
    assert start_demo_work(engine) > 0  # Biro SDM opens the period: Agus's planning waits for Ratna's RHK
    instances.start_instance(engine, "demo_penilaian", org["admin"], org["agus"], "2024")  # and one task to do
    problems = watch_problems(page)
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, "agus")

    expect(page.get_by_test_id("task-count")).to_have_text("1")  # the work only
    work = page.locator("table.task-table").first
    expect(work.get_by_role("link", name="Isi capaian kinerja", exact=True)).to_have_count(1)
    expect(work).not_to_contain_text("Menunggu RHK atasan")
    expect(page.get_by_role("link", name=re.compile(r"^Semua \d+$"))).to_have_text(re.compile(r"Semua\s+1$"))  # the tab
    section = page.get_by_test_id("waiting-steps")
    expect(section.get_by_role("heading", level=2)).to_contain_text("Menunggu pihak lain")
    expect(section.get_by_test_id("waiting-count")).to_have_text("1")
    expect(section.get_by_role("link", name="Menunggu RHK atasan", exact=True)).to_have_count(1)
    expect(section).to_contain_text("tidak dihitung sebagai tugas")
    box_work, box_section = work.bounding_box(), section.bounding_box()
    assert box_work and box_section and box_section["y"] > box_work["y"] + box_work["height"] - 1  # under the work

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"waiting_steps_{width}.png"), full_page=True)
        assert_no_sideways_scroll(page, f"the inbox at {width} px")
    page.set_viewport_size({"width": 1366, "height": 900})
    audit = Audit(page, axe_source, "agus (employee waiting for his superior)")
    audit.check("inbox with a waiting step", "inbox_waiting_steps")
    audit.assert_clean()

    # The step opens as before: it says what is missing and lets him ask for a check now.
    section.get_by_role("link", name="Menunggu RHK atasan", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Menunggu RHK atasan")
    expect(page.get_by_test_id("task-count")).to_have_text("1")  # every page's badge counts the work only

    page.goto("/")
    page.get_by_test_id("lang-switch").first.click()
    expect(page.get_by_test_id("waiting-steps").get_by_role("heading", level=2)).to_contain_text("Waiting for others")
    assert problems == []
