"""The workspace's form editor in a real browser: pemilik opens the demo's "Isi capaian kinerja" form, changes a
field's label and sees it in the preview (drawn by the task pages' renderer), is told about invalid JSON and an
unknown widget as they type, saves the draft, deploys it with a note; then an employee's new task with that form
shows the new label. Screenshots: tests/artifacts/workspace_form_*.png."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from engine.db.deploy import Deployment, DeploymentFile
from engine.services import instances

from .conftest import ARTIFACTS, Site, login, logout

FORM = "/proses/ruang-kerja/bpmn~demo?file=demo_capaian.schema.json"
OLD, NEW = "Ringkasan / Summary", "Ringkasan capaian triwulan / Quarterly summary"


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"workspace_form_{name}.png"), full_page=True)


def test_pemilik_changes_a_form_label_and_the_employee_sees_it(page: Page, site: Site) -> None:
    violations: list[str] = []  # the editor and its preview work under the Content-Security-Policy
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text else None)
    login(page, "pemilik")
    page.goto(FORM)
    schema, ui = page.locator("#fe-schema"), page.locator("#fe-ui")
    preview = page.locator("#fe-preview")
    expect(preview.locator('[data-path="ringkasan"] label')).to_contain_text("Ringkasan")
    expect(page.locator("#ws-save")).to_be_disabled()

    # Invalid JSON is reported while typing; the preview keeps the last good form.
    original = schema.input_value()
    schema.fill(original.replace('"properties": {', '"properties": {,', 1))
    expect(page.locator("#fe-schema-status")).to_contain_text(re.compile("JSON tidak sah|Not valid JSON"))
    expect(schema).to_have_class(re.compile("is-invalid"))

    # The label changed: the preview shows it, rendered as a task page renders it.
    schema.fill(original.replace(OLD, NEW, 1))
    expect(page.locator("#fe-schema-status")).to_contain_text(re.compile("JSON sah|Valid JSON"))
    expect(preview.locator('[data-path="ringkasan"] label')).to_contain_text("Ringkasan capaian triwulan")

    # An unknown widget in the UI schema is named, and taking it out clears the message.
    ui_text = ui.input_value()
    ui.fill(ui_text.replace('"ui:widget": "textarea"', '"ui:widget": "slider"', 1))
    expect(page.locator("#fe-errors")).to_be_visible()
    expect(page.locator("#fe-errors")).to_contain_text("slider")
    _shot(page, "preview_errors")
    ui.fill(ui_text)
    expect(page.locator("#fe-errors")).to_be_hidden()

    page.locator("#ws-save").click()
    expect(page.locator("#ws-status")).to_contain_text(re.compile("Draf disimpan|Draft saved"))
    _shot(page, "saved")
    page.reload()
    expect(page.locator("#fe-schema")).to_have_value(re.compile("Ringkasan capaian triwulan"))
    expect(page.get_by_test_id("draft-state")).to_contain_text("demo_capaian.schema.json")

    page.locator("details summary").click()
    page.locator("#ws-note").fill("Label ringkasan diperjelas")
    page.locator("#ws-deploy").click()
    page.wait_for_url(re.compile(r"/proses/deployments/\d+$"))
    expect(page.get_by_test_id("note")).to_contain_text("Label ringkasan diperjelas")
    deployment_id = int(page.url.rsplit("/", 1)[1])
    with site.engine.session_factory() as s:
        stored = s.scalar(select(DeploymentFile.content).where(DeploymentFile.deployment_id == deployment_id,
                                                               DeploymentFile.filename == "demo_capaian.schema.json"))
        name = s.scalar(select(Deployment.name).where(Deployment.id == deployment_id))
    assert name == "bpmn/demo" and stored is not None and NEW.encode() in stored

    # A case started now runs the new deployment: budi's first task shows the new label.
    started = instances.start_instance(site.engine, "demo_penilaian", site.org["admin"], site.org["budi"], "2024")
    logout(page)
    login(page, "budi")
    page.goto(f"/tasks/{started.ready_task_ids[0]}")
    expect(page.locator('[data-path="ringkasan"] label')).to_contain_text("Ringkasan capaian triwulan")
    _shot(page, "task_page")
    assert violations == []
