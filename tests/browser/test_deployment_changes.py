"""A process owner sees what changed in a deployment (list and diagram markers) and moves the running
instances of the earlier version to it, in the browser (desktop and phone width)."""

from __future__ import annotations

import re

import pytest

from engine.services import instances
from engine.services.deployments import deploy
from tests.engine.test_migration import model

from .conftest import ARTIFACTS, Site, login


@pytest.fixture
def two_versions(site: Site) -> list[int]:
    deploy(site.engine, {"p_mig.bpmn": model()}, None, name="Uji migrasi")
    started = [instances.start_instance(site.engine, "p_mig", site.org["admin"], site.org["budi"], f"2024-{n}").id
               for n in range(3)]
    deploy(site.engine, {"p_mig.bpmn": model(reminder='"P5D"', review_name="Periksa hasil")}, None,
           name="Uji migrasi")
    return started


@pytest.mark.parametrize("width", [1366, 390])
def test_owner_reads_the_changes_and_moves_running_instances(page, site: Site, two_versions: list[int],
                                                             width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    login(page, "pemilik")
    page.goto("/proses")
    page.get_by_role("link", name=re.compile("Uji migrasi")).first.click()
    changes = page.get_by_test_id("changes")
    text = changes.inner_text()
    assert "ingat" in text and "P1D" in text and "P5D" in text and "Periksa hasil" in text
    page.locator("#diagram[data-rendered='true']").wait_for()
    assert page.locator("#diagram .diff-changed").count() >= 2  # the reminder and the renamed step
    page.screenshot(path=str(ARTIFACTS / f"deployment_changes_{width}.png"), full_page=True)

    page.get_by_role("link", name=re.compile("pindahkan ke versi ini|move them to this version")).click()
    assert page.get_by_test_id("movable").inner_text().strip() == "3"
    page.get_by_role("button", name=re.compile("Pindahkan instans|Move the instances")).click()
    assert page.get_by_test_id("movable").inner_text().strip() == "3"  # the confirmation is required
    page.get_by_label(re.compile("Saya sudah memeriksa|I have checked")).check()
    page.get_by_role("button", name=re.compile("Pindahkan instans|Move the instances")).click()
    page.get_by_test_id("progress").wait_for()
    assert page.get_by_test_id("on-target").inner_text().strip() == "3"
    page.screenshot(path=str(ARTIFACTS / f"deployment_migrated_{width}.png"), full_page=True)
