"""Cascading that moves by itself, in a real browser (issue 13): Agus waits for Ratna's SKP; the waiting task says
exactly what is missing (her SKP, then her Matriks Peran Hasil); the moment Ratna's MPH is done Agus's waiting
task is gone, "Susun SKP" is in his inbox and a notification names Ratna — no check for Agus to poke, no timer.
Screenshots at 1366 and 390 px in tests/artifacts/cascading_*.png."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from engine.db.runtime import Instance, TaskIndex
from engine.services import instances
from processes.demo import start_demo_work

from .conftest import ARTIFACTS, Site, assert_no_sideways_scroll, login

WIDTHS = (1366, 390)


def _open_task(engine, user_id: int, subject_id: int):
    with engine.session_factory() as s:
        task_id = s.scalars(select(TaskIndex.id).join(Instance, Instance.id == TaskIndex.instance_id).where(
            TaskIndex.closed_at.is_(None), Instance.subject_id == subject_id,
            Instance.process_id == "smk_perencanaan")).one_or_none()
    return instances.get_task(engine, user_id, task_id) if task_id else None


def _shots(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"cascading_{name}_{width}.png"), full_page=True)
        assert_no_sideways_scroll(page, f"{name} at {width} px")
    page.set_viewport_size({"width": 1366, "height": 900})


def test_subordinate_task_advances_and_is_notified_when_the_superiors_skp_is_set(page: Page, site: Site) -> None:
    engine, org = site.engine, site.org
    ratna = org["ratna"]
    assert start_demo_work(engine) > 0  # Biro SDM opens the period: every planning starts, Agus waits for Ratna
    view = _open_task(engine, ratna, ratna)
    assert view is not None and view.task_name == "susun_skp_c"
    instances.complete_task(engine, ratna, view.id, {"pendekatan": "kuantitatif", "rhk_utama": [
        {"rhk": "Tersusunnya dokumen perencanaan biro", "mendukung": "IKU-BRP-1", "cascading": "langsung",
         "aspek": "Kuantitas", "indikator": "Jumlah dokumen perencanaan", "target": 2, "satuan": "dokumen"}]})
    view = _open_task(engine, org["hartono"], ratna)
    assert view is not None and view.task_name == "tinjau_skp"
    instances.complete_task(engine, org["hartono"], view.id, {"keputusan_pp": "setujui"})

    # Ratna's SKP is set but her Matriks Peran Hasil is not: Agus checks now and is told exactly that.
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, "agus")
    page.get_by_role("link", name=re.compile("Menunggu RHK atasan")).first.click()
    expect(page.get_by_text(re.compile("belum ditetapkan"))).to_be_visible()
    page.get_by_role("button", name=re.compile("^(Kirim|Submit)$")).click()
    page.wait_for_load_state()
    page.goto("/")
    page.get_by_role("link", name=re.compile("Menunggu RHK atasan")).first.click()
    expect(page.get_by_text(re.compile(r"sudah ditetapkan, tetapi Matriks Peran Hasil"))).to_be_visible()
    expect(page.locator("#f-pesan_menunggu")).to_contain_text("berlanjut sendiri")
    expect(page.locator("#f-pesan_menunggu")).not_to_contain_text("moves on by itself")  # one language
    _shots(page, "waiting_for_mph")

    # Ratna splits her RHK among her team: Agus's waiting task moves on in the same transaction.
    view = _open_task(engine, ratna, ratna)
    assert view is not None and view.task_name == "susun_mph"
    instances.complete_task(engine, ratna, view.id, {"mph": [
        {"rhk_id": r["id"], "pegawai_id": b["id"], "nama_pegawai": b["nama"], "peran": f"Mendukung {r['rhk']}"}
        for r in view.data["rhk"] for b in view.data["pegawai"]["bawahan"]]})

    page.goto("/")
    expect(page.get_by_role("link", name=re.compile("Menunggu RHK atasan"))).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile(r"Susun SKP"))).to_have_count(1)
    page.goto("/notifications")
    item = page.locator("li[data-kind='rhk_atasan_siap']")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("SKP atasan ditetapkan")
    expect(item).to_contain_text("Ratna Sari Dewi")
    expect(item).not_to_contain_text("Your superior")  # one language on an Indonesian page
    _shots(page, "notified")
    item.get_by_role("button").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Susun SKP")
    expect(page.get_by_text("Tersusunnya dokumen perencanaan biro").first).to_be_attached()
    _shots(page, "drafting_open")
