"""The Content-Security-Policy in a real browser (issue 16): bpmn-js draws the diagram, Bootstrap's menus and the
task forms work, and Chromium reports no violation on any page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from engine.services import instances

from .conftest import Site, login, open_menu


def _violations(page: Page) -> list[str]:
    found: list[str] = []
    page.on("console", lambda message: found.append(message.text)
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text else None)
    return found


def test_pages_and_the_bpmn_diagram_work_under_the_policy(page: Page, site: Site) -> None:
    started = instances.start_instance(site.engine, "demo_penilaian", site.org["admin"], site.org["budi"], "2024")
    violations = _violations(page)
    login(page, "budi")
    response = page.goto(f"/instances/{started.id}")
    assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator("#diagram")).to_have_attribute("data-rendered", "true")
    assert page.locator("#diagram .djs-element").count() > 3  # bpmn-js drew the shapes
    expect(page.locator("#diagram .active").first).to_be_visible()  # and marked the open step
    page.goto("/")
    page.set_viewport_size({"width": 390, "height": 844})
    open_menu(page)  # Bootstrap's collapse (our JS)
    expect(page.get_by_role("link", name=re.compile("SKP saya|My SKP"))).to_be_visible()
    page.goto(f"/tasks/{started.ready_task_ids[0]}")
    rows = page.locator("fieldset.rows").first.locator(".row-item")
    before = rows.count()
    page.locator("fieldset.rows").first.locator("button.add-row").first.click()  # forms.js
    expect(rows).to_have_count(before + 1)
    assert violations == []
