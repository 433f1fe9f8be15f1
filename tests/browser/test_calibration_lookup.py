"""The large-unit calibration in a real browser: the unit head adds a row under *Perubahan lain*, types part of a
name, picks the person from the list with the keyboard, submits (refused first for a missing note: the row still names
the person), and the unit's calibration records that change.
No script error and no CSP violation on the way."""

from __future__ import annotations

import re

import pytest

from engine.runtime.clock import FixedClock
from tests.bpmn.conftest import events, open_tasks, status
from tests.bpmn.test_penilaian import _bum_breaking_the_curve
from tests.conftest import SMK_START

from .conftest import Site, login, shot, watch_problems

TAUFIK_NIP = "199010102014031003"


def _large_unit_in_calibration(site: Site, monkeypatch: pytest.MonkeyPatch):
    """Biro Umum broken against its curve and counted as a large unit; return its case and yulia's calibration."""
    monkeypatch.setenv("SMK_CALIBRATION_FULL_TABLE_STAFF", "5")  # Biro Umum's six staff count as a large unit
    clock = site.engine.clock
    assert isinstance(clock, FixedClock)
    clock.set(SMK_START)
    unit = _bum_breaking_the_curve(site.engine, site.org, clock)
    [task] = open_tasks(site.engine, "kalibrasi_kurva", site.org["yulia"])
    return unit, task


def test_the_head_picks_someone_by_name_and_the_calibration_records_it(page, site: Site,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    eng, org = site.engine, site.org
    unit, task = _large_unit_in_calibration(site, monkeypatch)
    problems = watch_problems(page)

    login(page, "yulia")
    page.goto(f"/tasks/{task.id}")
    page.get_by_role("button", name=re.compile(r"Tambah baris: Perubahan lain")).click()
    field = page.locator('input[name="perubahan_lain[0][nip]"]')
    assert field.evaluate("el => el === document.activeElement")  # the new row's NIP field has the keyboard
    field.press_sequentially("hida", delay=40)  # part of "Taufik Hidayat"
    matches = page.get_by_role("listbox", name=re.compile("Yang cocok|Matches"))
    options = matches.get_by_role("option")  # not the <option>s of the predikat choices
    options.first.wait_for()
    assert options.count() == 1 and "Taufik Hidayat" in options.first.inner_text()
    assert "usulan: Baik" in options.first.inner_text() and TAUFIK_NIP in options.first.inner_text()
    assert field.get_attribute("aria-expanded") == "true"
    shot(page, "calibration_lookup_type_ahead")
    field.press("ArrowDown")
    assert options.first.get_attribute("aria-selected") == "true"
    field.press("Enter")  # picks the highlighted person, does not submit
    assert field.input_value() == TAUFIK_NIP and matches.is_hidden()
    assert "Taufik Hidayat" in page.locator(".lookup-chosen").first.inner_text()
    assert re.search(rf"/tasks/{task.id}$", page.url)
    page.locator('select[name="perubahan_lain[0][predikat_kalibrasi]"]').select_option("Butuh Perbaikan")
    # The one the suggestion moves keeps Baik instead, so the curve still holds; a departure needs a note.
    page.locator('select[name="kalibrasi_pegawai[0][predikat_kalibrasi]"]').select_option("Baik")
    # Sent without the note first: the process refuses it and shows the form again, the row still naming Taufik.
    page.get_by_role("button", name=re.compile("^(Kirim|Submit)$")).click()
    page.wait_for_url(re.compile(r"/tasks/(?!" + task.id + ")"))
    assert "catatan" in page.content()
    field = page.locator('input[name="perubahan_lain[0][nip]"]')
    assert field.input_value() == TAUFIK_NIP
    chosen = page.locator(".lookup-chosen").first
    page.wait_for_function("() => document.querySelector('.lookup-chosen').textContent.includes('Taufik Hidayat')")
    assert TAUFIK_NIP in chosen.inner_text()
    shot(page, "calibration_lookup_refused_names_the_person")
    page.locator('textarea[name="catatan_kalibrasi"]').fill("Capaian Q4 Taufik terendah di unit")
    [again] = open_tasks(eng, "kalibrasi_kurva", org["yulia"])
    page.get_by_role("button", name=re.compile("^(Kirim|Submit)$")).click()
    page.wait_for_url(re.compile(r"/$|/tasks/(?!" + again.id + ")"))
    assert "Tugas selesai dan diteruskan" in page.content()
    assert status(eng, unit) == "completed"
    [decision] = events(eng, "smk.kalibrasi_kurva")
    assert decision["diubah"] == [org["taufik"]] and decision["sesuai_saran"] is False
    assert problems == []


def test_without_javascript_the_head_adds_a_change_in_the_spare_row(browser, site: Site,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # "Tambah baris" needs JavaScript; without it the page offers one empty row more, and a blank one is ignored.
    eng, org = site.engine, site.org
    unit, task = _large_unit_in_calibration(site, monkeypatch)
    context = browser.new_context(base_url=site.url, viewport={"width": 1280, "height": 900},
                                  java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        login(page, "yulia")
        page.goto(f"/tasks/{task.id}")
        spare = page.get_by_test_id("spare-row")
        assert spare.count() == 1 and spare.is_visible()  # the table of suggested moves has none: fixed rows
        assert page.locator(".add-row").first.is_hidden()  # "Tambah baris" would do nothing without JavaScript
        field = spare.locator('input[name="perubahan_lain[0][nip]"]')
        field.fill(TAUFIK_NIP)
        spare.locator('select[name="perubahan_lain[0][predikat_kalibrasi]"]').select_option("Butuh Perbaikan")
        page.locator('select[name="kalibrasi_pegawai[0][predikat_kalibrasi]"]').select_option("Baik")
        page.locator('textarea[name="catatan_kalibrasi"]').fill("Capaian Q4 Taufik terendah di unit")
        shot(page, "calibration_without_javascript_spare_row")
        page.get_by_role("button", name=re.compile("^(Kirim|Submit)$")).click()
        page.wait_for_url(re.compile(r"/$|/tasks/(?!" + task.id + ")"))
        assert status(eng, unit) == "completed"
        [decision] = events(eng, "smk.kalibrasi_kurva")
        assert decision["diubah"] == [org["taufik"]] and decision["sesuai_saran"] is False
    finally:
        context.close()
