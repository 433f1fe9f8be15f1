"""The web app in a real browser: the SKP return loop, an upload, languages, privacy and field messages."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from engine import instances

from .conftest import Site, login, logout
from .skp_bundle import PROCESS_ID

RHK = [
    ("Tersusunnya rencana program tahunan", "Utama", "Dokumen rencana program", "1"),
    ("Terlaksananya rapat koordinasi perencanaan", "Utama", "Jumlah rapat", "4"),
    ("Terdukungnya penyusunan laporan kinerja unit", "Tambahan", "Laporan kinerja", "2"),
]


def _open_task(page: Page, title: str) -> None:
    page.goto("/")
    page.get_by_role("link", name=title, exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def _fill_row(page: Page, i: int, rhk: str, jenis: str, indikator: str, target: str) -> None:
    page.locator(f'[name="rhk[{i}][rhk]"]').fill(rhk)
    page.locator(f'[name="rhk[{i}][jenis]"]').select_option(jenis)
    page.locator(f'[name="rhk[{i}][indikator]"]').fill(indikator)
    page.locator(f'[name="rhk[{i}][target]"]').fill(target)


def _submit(page: Page) -> None:
    page.get_by_role("button", name=re.compile("^(Kirim|Submit)$")).click()
    page.wait_for_load_state()


def test_skp_drafted_returned_revised_and_approved(page: Page, site: Site) -> None:
    instances.start_instance(site.engine, PROCESS_ID, site.org["admin"], site.org["budi"], "2025")
    login(page, "budi")
    expect(page.get_by_test_id("task-count")).to_have_text("1")
    _open_task(page, "Susun SKP")
    add = page.get_by_role("button", name=re.compile("Tambah baris"))
    for i, row in enumerate(RHK):
        add.click()
        _fill_row(page, i, *row)
    # Reorder with the keyboard-reachable buttons: the third RHK moves up to second place.
    page.locator(".row-item").nth(2).get_by_role("button", name="Naikkan baris").click()
    expect(page.locator('[name="rhk[1][rhk]"]')).to_have_value(RHK[2][0])
    page.get_by_role("button", name="Simpan draf").click()
    expect(page.get_by_test_id("draft-saved")).to_be_visible()
    expect(page.locator(".row-item")).to_have_count(3)  # the draft came back after the reload
    _submit(page)
    expect(page.get_by_role("alert").first).to_contain_text("Tugas selesai")
    # The empty inbox says what happens next: the SKP waits for the assessor, by name.
    expect(page.locator(".empty-state")).to_contain_text("Dewi Lestari")

    logout(page)
    login(page, "dewi")
    _open_task(page, "Tinjau SKP")
    expect(page.locator("main")).to_contain_text(RHK[2][0])
    page.get_by_label("Keputusan").select_option("kembalikan")
    page.get_by_label("Catatan untuk pegawai").fill("Tambahkan RHK tentang evaluasi anggaran.")
    _submit(page)

    logout(page)
    login(page, "budi")
    _open_task(page, "Susun SKP")
    expect(page.locator("main")).to_contain_text("Tambahkan RHK tentang evaluasi anggaran.")
    expect(page.locator(".row-item")).to_have_count(3)
    page.get_by_role("button", name=re.compile("Tambah baris")).click()
    _fill_row(page, 3, "Tersusunnya evaluasi anggaran semester", "Utama", "Dokumen evaluasi", "2")
    _submit(page)

    logout(page)
    login(page, "dewi")
    _open_task(page, "Tinjau SKP")
    expect(page.locator("main")).to_contain_text("Tersusunnya evaluasi anggaran semester")
    page.get_by_label("Keputusan").select_option("setujui")
    _submit(page)

    logout(page)
    login(page, "budi")
    expect(page.get_by_role("link", name="Isi realisasi", exact=True)).to_be_visible()
    page.get_by_role("link", name="SKP saya", exact=True).click()
    expect(page.locator(".feedback").first).to_contain_text("Tambahkan RHK tentang evaluasi anggaran.")
    page.get_by_role("link", name="Diagram dan riwayat").first.click()
    expect(page.locator("#diagram")).to_have_attribute("data-rendered", "true")
    expect(page.locator('#diagram [data-element-id="tinjau_skp"].done')).to_have_count(1)
    expect(page.locator('#diagram [data-element-id="isi_realisasi"].active')).to_have_count(1)


def _to_realisation(site: Site) -> str:
    engine, org = site.engine, site.org
    started = instances.start_instance(engine, PROCESS_ID, org["admin"], org["budi"], "2025")
    rows = [{"rhk": r[0], "jenis": r[1], "indikator": r[2], "target": float(r[3])} for r in RHK]
    step = instances.complete_task(engine, org["budi"], started.ready_task_ids[0], {"rhk": rows})
    step = instances.complete_task(engine, org["dewi"], step.ready_task_ids[0], {"keputusan": "setujui"})
    return step.ready_task_ids[0]


def test_realisation_with_uploaded_evidence(page: Page, site: Site, tmp_path) -> None:  # noqa: ANN001
    task_id = _to_realisation(site)
    wrong = tmp_path / "bukti.exe"
    wrong.write_bytes(b"MZ not evidence")
    good = tmp_path / "laporan-rapat.pdf"
    good.write_bytes(b"%PDF-1.4\n% laporan rapat koordinasi\n" + b"x" * 2000)
    login(page, "budi")
    page.goto(f"/tasks/{task_id}")
    page.get_by_label("Uraian realisasi").fill("Rapat koordinasi dilaksanakan empat kali.")
    page.get_by_label("Capaian (%)").fill("100")
    page.get_by_label("Bukti dukung").set_input_files(str(wrong))
    _submit(page)
    expect(page.locator('[data-path="bukti"] .error')).to_contain_text("Jenis berkas tidak diizinkan")
    expect(page.get_by_label("Uraian realisasi")).to_have_value("Rapat koordinasi dilaksanakan empat kali.")
    page.get_by_label("Bukti dukung").set_input_files(str(good))
    _submit(page)
    expect(page.get_by_role("alert").first).to_contain_text("Tugas selesai")
    page.get_by_role("link", name="SKP saya", exact=True).click()
    page.get_by_role("link", name="Diagram dan riwayat").first.click()
    link = page.get_by_role("link", name="laporan-rapat.pdf").first
    expect(link).to_be_visible()
    download = page.request.get(link.get_attribute("href"))
    assert download.status == 200 and download.body() == good.read_bytes()


def test_language_switch_and_phone_width(page: Page, site: Site) -> None:
    login(page, "dewi")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kotak tugas")
    page.get_by_test_id("lang-switch").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inbox")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("button", name="Open menu").click()
    page.get_by_role("link", name="My team").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My team")
    expect(page.locator("main")).to_contain_text("Budi Santoso")
    page.get_by_role("button", name="Open menu").click()
    page.get_by_test_id("lang-switch").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tim saya")


def test_another_employees_task_url_is_not_found(page: Page, site: Site) -> None:
    started = instances.start_instance(site.engine, PROCESS_ID, site.org["admin"], site.org["budi"], "2025")
    login(page, "siti")
    response = page.goto(f"/tasks/{started.ready_task_ids[0]}")
    assert response is not None and response.status == 404
    expect(page.locator("main")).to_contain_text("Tugas tidak ditemukan")
    response = page.goto(f"/instances/{started.id}")
    assert response is not None and response.status == 404


def test_invalid_input_shows_field_messages_and_keeps_what_was_typed(page: Page, site: Site) -> None:
    instances.start_instance(site.engine, "demo_penilaian", site.org["admin"], site.org["budi"], "2024")
    login(page, "budi")
    _open_task(page, "Isi capaian kinerja")
    page.get_by_label("Ringkasan").fill("ok")
    page.get_by_label("Penilaian diri hasil kerja").select_option("Sesuai Ekspektasi")
    page.get_by_role("button", name=re.compile("Tambah baris")).click()
    page.locator('[name="kegiatan[0][nama]"]').fill("Rapat koordinasi")
    page.locator('[name="kegiatan[0][target]"]').fill("0")
    page.locator('[name="kegiatan[0][realisasi]"]').fill("2")
    _submit(page)
    expect(page.locator("#form-errors")).to_be_focused()
    expect(page.locator('[data-path="ringkasan"] .error')).to_contain_text("Terlalu pendek")
    expect(page.locator('[data-path="tanggal"] .error')).to_contain_text("Wajib diisi")
    expect(page.locator('[data-path="kegiatan.0.target"] .error')).to_contain_text("Harus lebih dari 0")
    expect(page.get_by_label("Ringkasan")).to_have_value("ok")
    expect(page.locator('[name="kegiatan[0][nama]"]')).to_have_value("Rapat koordinasi")
    expect(page.get_by_label("Ringkasan")).to_have_attribute("aria-invalid", "true")
