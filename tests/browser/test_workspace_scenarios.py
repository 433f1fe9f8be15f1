"""Browser: a process owner runs the scenario tests from the workspace (issue 11).

- bpmn/smk: "Jalankan skenario / Run scenarios" runs the shipped scenarios of the (unchanged) bundle; every row
  says it passed; screenshots at 1366 and 390 px.
- a small bundle whose draft breaks one scenario: the failing scenario names the expected end and shows the value
  that differed (expected 40, got 42) in its table; the deploy is then refused and nothing is deployed.
No CSP violation on the way (the action is a static script, no inline code).
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from engine.db.deploy import Deployment
from engine.services import workspace as ws
from engine.services.deployments import deploy
from tests.engine.test_scenarios import PASSING, WRONG_END, bundle

from .conftest import ARTIFACTS, Site, login

RUN_TIMEOUT = 240_000  # the whole SMK bundle on a loaded 2-core machine
SHIPPED = len(list((Path(__file__).resolve().parents[2] / "bpmn" / "smk").glob("*.scenario.json")))


def _shots(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(150)
        page.screenshot(path=str(ARTIFACTS / f"workspace_scenarios_{name}_{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


def _csp_violations(page: Page) -> list[str]:
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda exc: found.append(str(exc)))
    return found


def test_owner_runs_the_shipped_smk_scenarios(page: Page, site: Site) -> None:
    violations = _csp_violations(page)
    login(page, "pemilik")
    page.goto("/proses/ruang-kerja/bpmn~smk?file=penilaian_regime_a_diterima.scenario.json")
    section = page.get_by_test_id("ws-scenarios")
    expect(section).to_contain_text(re.compile("Skenario uji|Test scenarios"))
    page.get_by_role("button", name=re.compile("^(Jalankan skenario|Run scenarios)$")).click()
    expect(page.locator("#ws-scenario-status")).to_contain_text(re.compile("basis data sementara|throwaway"))
    results = page.locator("#ws-scenario-results")
    expect(results).to_have_attribute("data-state", re.compile("passed|failed|error"), timeout=RUN_TIMEOUT)
    expect(results).to_have_attribute("data-state", "passed")
    rows = results.locator("[data-scenario-file]")
    expect(rows).to_have_count(SHIPPED)
    expect(results.locator('[data-passed="false"]')).to_have_count(0)
    expect(results.get_by_test_id("scenario-summary")).to_contain_text(re.compile(f"{SHIPPED} (dari|of) {SHIPPED}"))
    expect(rows.filter(has_text="penilaian_kurva_dilanggar_diperbaiki.scenario.json")).to_contain_text(
        re.compile("lulus|passed"))
    _shots(page, "smk_passed")
    assert violations == []


def test_a_broken_scenario_shows_the_value_that_differed_and_the_deploy_is_refused(page: Page, site: Site) -> None:
    violations = _csp_violations(page)
    deploy(site.engine, bundle(lulus=PASSING), site.org["pemilik"], name="uji")
    revision = ws.open_workspace(site.engine, site.org["pemilik"], "uji").revision
    ws.save_file(site.engine, site.org["pemilik"], "uji", "beda.scenario.json", WRONG_END, revision)
    with site.engine.session_factory() as s:
        deployed = s.scalar(select(func.count(Deployment.id)))

    login(page, "pemilik")
    page.goto("/proses/ruang-kerja/uji?file=beda.scenario.json")
    page.locator("#ws-run-scenarios").click()
    results = page.locator("#ws-scenario-results")
    expect(results).to_have_attribute("data-state", "failed", timeout=RUN_TIMEOUT)
    failed = results.locator('[data-scenario-file="beda.scenario.json"]')
    expect(failed).to_have_attribute("data-passed", "false")
    expect(failed.get_by_test_id("scenario-failure")).to_contain_text(re.compile("akhir yang diharapkan|expected end"))
    row = failed.get_by_test_id("scenario-differences").locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("nilai")
    expect(row.locator("td").nth(1)).to_have_text("40")
    expect(row.locator("td").nth(2)).to_have_text("42")
    expect(results.locator('[data-scenario-file="lulus.scenario.json"]')).to_have_attribute("data-passed", "true")
    _shots(page, "failed")

    page.locator("summary", has_text=re.compile("^(Deploy)$")).click()
    page.locator("#ws-note").fill("Mencoba")
    page.locator("#ws-deploy").click()
    expect(page.get_by_test_id("problems")).to_contain_text("beda.scenario.json", timeout=RUN_TIMEOUT)
    expect(page.get_by_test_id("override-admin-only")).to_be_visible()
    with site.engine.session_factory() as s:
        assert s.scalar(select(func.count(Deployment.id))) == deployed
    _shots(page, "deploy_refused")
    assert violations == []


def test_an_administrator_deploys_a_failing_bundle_with_a_reason_shown_on_the_deployment_page(
        page: Page, site: Site) -> None:
    violations = _csp_violations(page)
    files = [{"name": name, "mimeType": "application/octet-stream", "buffer": content}
             for name, content in bundle(lulus=PASSING, beda=WRONG_END).items()]
    login(page, "admin")
    page.goto("/proses/deploy")
    page.locator("#f-files").set_input_files(files)
    page.locator("#f-name").fill("uji")
    page.get_by_role("button", name=re.compile("Periksa dan deploy|Validate and deploy")).click(timeout=RUN_TIMEOUT)
    expect(page.get_by_test_id("problems")).to_contain_text("beda.scenario.json")
    expect(page.get_by_test_id("problems")).to_contain_text("nilai: 40 → 42")
    reason = page.get_by_test_id("override").locator("textarea")
    expect(reason).to_be_visible()
    _shots(page, "deploy_page_refused")
    page.locator("#f-files").set_input_files(files)
    page.locator("#f-name").fill("uji")
    reason.fill("Aturan baru berlaku 1 April; skenario diperbarui minggu depan")
    page.get_by_role("button", name=re.compile("Periksa dan deploy|Validate and deploy")).click(timeout=RUN_TIMEOUT)
    expect(page).to_have_url(re.compile(r"/proses/deployments/\d+$"))
    shown = page.get_by_test_id("override-reason")
    expect(shown).to_contain_text("Aturan baru berlaku 1 April")
    expect(shown).to_contain_text("beda.scenario.json")
    expect(page.get_by_test_id("scenarios")).to_contain_text(re.compile("1 (dari|of) 2"))
    _shots(page, "deployment_overridden")
    assert violations == []
