"""The instance page in a real browser (issue 13): what the process is doing in words, the SKP page link, and the
BPMN diagram in the NavigatedViewer — zoom buttons usable from the keyboard, arrow-key panning, refit — at 1366
and 390 px without sideways scrolling; the raw data only for administrators. Screenshots instance_page_*.png."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from engine.db.runtime import Instance
from processes.demo import start_demo_work

from .conftest import ARTIFACTS, Site, assert_no_sideways_scroll, login, logout


def _scale(page: Page) -> float:
    """The diagram's current zoom, read from bpmn-js's viewport transform (matrix(a, b, c, d, e, f))."""
    transform = page.locator("#diagram .viewport").get_attribute("transform") or ""
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", transform)]
    return numbers[0] if numbers else 1.0


def _translate(page: Page) -> tuple[float, float]:
    transform = page.locator("#diagram .viewport").get_attribute("transform") or ""
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", transform)]
    return (numbers[4], numbers[5]) if len(numbers) == 6 else (0.0, 0.0)


def test_instance_page_in_words_with_a_navigable_diagram(page: Page, site: Site) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    assert start_demo_work(site.engine) > 0
    agus = site.org["agus"]
    with site.engine.session_factory() as s:
        inst = s.scalars(select(Instance.id).where(Instance.subject_id == agus,
                                                   Instance.process_id == "smk_perencanaan")).one()
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, "agus")
    page.goto(f"/instances/{inst}")
    diagram = page.locator("#diagram")
    expect(diagram).to_have_attribute("data-rendered", "true")
    now = page.locator("#now-text")
    expect(now).to_contain_text("Sekarang: Menunggu RHK atasan.")
    expect(now).to_contain_text("Menunggu Anda mengerjakan")
    expect(page.get_by_role("link", name="Halaman SKP")).to_have_attribute("href", re.compile(rf"/skp/{agus}/\d{{4}}$"))
    expect(page.get_by_text("Data proses")).to_have_count(0)  # the raw data is for administrators
    expect(page.locator("[role=img] [tabindex], [role=img] button")).to_have_count(0)
    expect(page.locator('#diagram [data-element-id="menunggu_atasan"].active')).to_have_count(1)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "instance_page_1366.png"), full_page=True)

    # Zoom with the keyboard: Tab to the buttons, Enter; the diagram grows, shrinks and fits again.
    fitted = _scale(page)
    zoom_in = page.get_by_role("button", name="Perbesar")
    zoom_in.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    assert _scale(page) > fitted * 1.4
    expect(page.locator("#diagram-zoom-status")).to_contain_text("Perbesaran")
    page.get_by_role("button", name="Perkecil").focus()
    page.keyboard.press("Enter")
    assert fitted < _scale(page) < fitted * 1.4
    # Pan with the arrow keys on the focused diagram.
    diagram.focus()
    before = _translate(page)
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowUp")
    after = _translate(page)
    assert after[0] > before[0] and after[1] > before[1]
    page.keyboard.press("0")  # fit again
    assert abs(_scale(page) - fitted) < 0.01
    page.screenshot(path=str(ARTIFACTS / "instance_page_zoomed_1366.png"), full_page=False)

    # A phone: the page does not scroll sideways, the diagram refits to the narrower frame.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(diagram).to_have_attribute("data-rendered", "true")
    assert_no_sideways_scroll(page)
    box = diagram.bounding_box()
    assert box is not None and box["width"] <= 390
    expect(page.get_by_role("button", name="Muat penuh")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "instance_page_390.png"), full_page=True)
    assert not errors, errors

    logout(page)
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, "admin")
    page.goto(f"/instances/{inst}")
    expect(page.get_by_role("heading", name="Data proses")).to_be_visible()
    expect(page.locator("#data-h ~ div, #data-h").first).to_be_visible()
