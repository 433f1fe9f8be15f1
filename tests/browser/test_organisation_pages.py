"""Biro SDM names an acting official in the browser, with the keyboard-friendly lists (desktop and phone)."""

from __future__ import annotations

import re

import pytest

from engine.services import acting

from .conftest import ARTIFACTS, Site, login


@pytest.mark.parametrize("width", [1366, 390])
def test_hr_names_a_plt_and_sees_it_listed(page, site: Site, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    login(page, "indah")
    page.goto("/organisasi/plt")
    position = page.get_by_role("combobox", name=re.compile("Jabatan|Position"))
    position.press_sequentially("penyusunan rencana")  # typed, then chosen from the type-ahead with the keyboard
    page.get_by_role("option", name=re.compile("BRP-1-1-01")).wait_for()
    position.press("ArrowDown")
    position.press("Enter")
    assert position.input_value() == "BRP-1-1-01 — Kepala Subbagian Penyusunan Rencana"
    person = page.get_by_role("combobox", name=re.compile("Pejabat pelaksana|Acting official"))
    person.press_sequentially("agus set")
    page.get_by_role("option", name=re.compile("Agus Setiawan")).wait_for()
    person.press("ArrowDown")
    person.press("Enter")
    assert person.input_value() == "197809102003121001 — Agus Setiawan, S.E."
    page.get_by_label(re.compile("Hari pertama|First day")).fill("2024-01-02")
    page.get_by_label(re.compile("Hari terakhir|Last day")).fill("2024-01-31")
    page.get_by_role("button", name=re.compile("Tetapkan|Name the acting")).click()
    page.wait_for_url(re.compile(r"/organisasi/plt$"))
    table = page.get_by_role("region", name=re.compile("Penugasan|Acting assignments"))
    assert "Agus Setiawan" in table.inner_text() and "Dewi Lestari" in table.inner_text()
    assert [r.person for r in acting.list_acting(site.engine, site.org["indah"])] == ["Agus Setiawan, S.E."]
    page.screenshot(path=str(ARTIFACTS / f"organisation_plt_{width}.png"), full_page=True)
