"""The web app in a real browser, on the SMK models: the SKP return loop, an upload, languages, privacy, messages."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from playwright.sync_api import Page, expect
from sqlalchemy import select

from engine.db.runtime import Instance, TaskIndex
from engine.services import instances
from engine.services.timers import fire_instance_timers
from processes.demo import start_demo_work

from .conftest import Site, login, logout, open_menu

SKP_PROCESS = "smk_perencanaan"
# Eko (Perencana Ahli Muda) drafts; his Pejabat Penilai is Agus (Kepala Bagian Perencanaan Program), whose SKP
# cascades from Ratna's (Kepala Biro), which cascades from the Biro's IKU. Agus's RHK get the ids "<agus id>-1/2".
AGUS_RHK = ["Tersusunnya program kerja Bagian Perencanaan", "Terkendalinya kualitas dokumen perencanaan"]
RHK = [  # rhk, which of Agus's RHK it supports (index), aspek, indikator, target, satuan
    ("Tersusunnya rencana program tahunan", 0, "Kuantitas", "Jumlah dokumen rencana program", "1", "dokumen"),
    ("Terlaksananya rapat koordinasi perencanaan", 0, "Kuantitas", "Jumlah rapat koordinasi", "4", "rapat"),
    ("Tersusunnya telaah mutu dokumen perencanaan", 1, "Kualitas", "Persentase dokumen ditelaah", "90", "persen"),
]
NOTE = "Tambahkan RHK tentang evaluasi anggaran dan naikkan target rapat koordinasi."


def _open_task(page: Page, title: str) -> None:
    page.goto("/")
    page.get_by_role("link", name=title, exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def _submit(page: Page) -> None:
    page.get_by_role("button", name=re.compile("^(Kirim|Submit)$")).click()
    page.wait_for_load_state()


def _open_task_of(engine, user_id: int, subject_id: int, process_id: str = SKP_PROCESS):
    """The open task (at most one) of a subject's process, as the given user sees it; None when there is none."""
    with engine.session_factory() as s:
        task_id = s.scalars(select(TaskIndex.id).join(Instance, Instance.id == TaskIndex.instance_id).where(
            TaskIndex.closed_at.is_(None), Instance.subject_id == subject_id,
            Instance.process_id == process_id)).one_or_none()
    return instances.get_task(engine, user_id, task_id) if task_id else None


def _set_skp(engine, drafter: int, assessor: int, rhk: list[tuple[str, str]]) -> None:
    """Draft (supporting the given RHK/IKU codes), approve, and split among the team (MPH) through the services."""
    view = _open_task_of(engine, drafter, drafter)
    if view is not None and view.task_name == "menunggu_atasan":  # the superior's SKP was set after this planning started
        instances.complete_task(engine, drafter, view.id, {"periksa_lagi": True})
        view = _open_task_of(engine, drafter, drafter)
    assert view is not None and view.task_name == "susun_skp_c", view
    rows = [{"rhk": name, "mendukung": code, "cascading": "langsung", "aspek": "Kuantitas",
             "indikator": f"Jumlah {name.lower()}", "target": 1, "satuan": "dokumen"} for name, code in rhk]
    instances.complete_task(engine, drafter, view.id, {"pendekatan": "kuantitatif", "rhk_utama": rows})
    view = _open_task_of(engine, assessor, drafter)
    assert view is not None and view.task_name == "tinjau_skp", view
    instances.complete_task(engine, assessor, view.id, {"keputusan_pp": "setujui"})
    view = _open_task_of(engine, drafter, drafter)
    if view is None:  # no team: the SKP is set and monitoring has started
        return
    assert view.task_name == "susun_mph", view.title
    mph = [{"rhk_id": r["id"], "pegawai_id": b["id"], "nama_pegawai": b["nama"], "peran": f"Mendukung {r['rhk']}"}
           for r in view.data["rhk"] for b in view.data["pegawai"]["bawahan"]]
    instances.complete_task(engine, drafter, view.id, {"mph": mph})


def _open_period_and_set_superiors(site: Site) -> None:
    """As the demo does: Biro SDM opens period 2024 (regime C); Ratna's and Agus's SKP are then set."""
    assert start_demo_work(site.engine) > 0
    org = site.org
    _set_skp(site.engine, org["ratna"], org["hartono"], [("Tersusunnya dokumen perencanaan biro", "IKU-BRP-1")])
    _set_skp(site.engine, org["agus"], org["ratna"], [(name, "2-1") for name in AGUS_RHK])


def _fill_row(page: Page, i: int, rhk: str, supports: str, aspek: str, indikator: str, target: str,
              satuan: str) -> None:
    row = f"rhk_utama[{i}]"
    page.locator(f'[name="{row}[rhk]"]').fill(rhk)
    page.locator(f'[name="{row}[mendukung]"]').select_option(supports)  # chosen from Agus's RHK
    page.locator(f'[name="{row}[cascading]"]').select_option("langsung")
    page.locator(f'[name="{row}[aspek]"]').select_option(aspek)
    page.locator(f'[name="{row}[indikator]"]').fill(indikator)
    page.locator(f'[name="{row}[target]"]').fill(target)
    page.locator(f'[name="{row}[satuan]"]').fill(satuan)


def test_skp_drafted_returned_revised_and_approved(page: Page, site: Site) -> None:
    """The real planning model (smk_perencanaan, form smk_skp_c), Eko drafting and Agus assessing."""
    _open_period_and_set_superiors(site)
    agus_rhk = [f"{site.org['agus']}-{i + 1}" for i in range(len(AGUS_RHK))]

    login(page, "eko")
    # Eko's planning started while Agus had no SKP: it waits, and says for whom. Agus's SKP is set now.
    # Eko's planning started while Agus had no SKP; setting Agus's SKP moved it on by itself (cascading message).
    _open_task(page, "Susun SKP (regime C)")
    # Eko's part in Agus's matrix is shown; Agus's RHK are offered in each row by their text.
    expect(page.locator("main")).to_contain_text(f"Mendukung {AGUS_RHK[1]}")
    page.get_by_label("Pendekatan").select_option("kuantitatif")
    add = page.get_by_role("button", name=re.compile("Tambah baris: RHK utama"))
    for i, (rhk, which, *rest) in enumerate(RHK):
        add.click()
        _fill_row(page, i, rhk, agus_rhk[which], *rest)
    # The choices are Agus's RHK and the unit's IKU, labelled by their text, not their codes.
    options = page.locator('[name="rhk_utama[2][mendukung]"] option').all_inner_texts()
    assert f"RHK atasan: {AGUS_RHK[0]}" in options and not any(agus_rhk[0] in o for o in options), options
    # One row forgets what it supports: saved as a draft it comes back; submitted, the field says so.
    page.locator('[name="rhk_utama[2][mendukung]"]').select_option("")
    page.get_by_role("button", name="Simpan draf").click()
    expect(page.get_by_test_id("draft-saved")).to_be_visible()
    expect(page.locator("fieldset[data-array='rhk_utama'] .row-item")).to_have_count(3)  # the draft came back
    _submit(page)
    expect(page.locator('[data-path="rhk_utama.2.mendukung"]')).to_contain_text("Wajib diisi")
    expect(page.locator('[name="rhk_utama[2][rhk]"]')).to_have_value(RHK[2][0])  # what was typed is kept
    page.locator('[name="rhk_utama[2][mendukung]"]').select_option(agus_rhk[1])
    _submit(page)
    expect(page.get_by_role("alert").first).to_contain_text("Tugas selesai")
    # The empty inbox says what happens next: the SKP waits for the assessor, by name.
    expect(page.locator(".empty-state")).to_contain_text("Agus Setiawan")

    logout(page)
    login(page, "agus")
    _open_task(page, "Tinjau SKP")
    for rhk, *_ in RHK:
        expect(page.locator("main")).to_contain_text(rhk)
    page.get_by_label("Keputusan").select_option("kembalikan")
    page.get_by_label("Catatan untuk pegawai").fill(NOTE)
    _submit(page)
    expect(page.get_by_role("alert").first).to_contain_text("Tugas selesai")

    logout(page)
    login(page, "eko")
    _open_task(page, "Susun SKP (regime C)")
    expect(page.locator("main")).to_contain_text(NOTE)
    expect(page.locator("fieldset[data-array='rhk_utama'] .row-item")).to_have_count(3)
    expect(page.locator('[name="rhk_utama[1][target]"]')).to_have_value("4")
    page.locator('[name="rhk_utama[1][target]"]').fill("6")
    page.get_by_role("button", name=re.compile("Tambah baris: RHK utama")).click()
    _fill_row(page, 3, "Tersusunnya evaluasi anggaran semester", agus_rhk[0], "Kuantitas",
              "Jumlah dokumen evaluasi", "2", "dokumen")
    # Reorder with the keyboard-reachable buttons: the new RHK moves up to third place.
    page.locator("fieldset[data-array='rhk_utama'] .row-item").nth(3).get_by_role(
        "button", name=re.compile(r"^Pindahkan baris 4 .* ke atas$")).click()
    expect(page.locator('[name="rhk_utama[2][rhk]"]')).to_have_value("Tersusunnya evaluasi anggaran semester")
    expect(page.locator('[name="rhk_utama[3][rhk]"]')).to_have_value(RHK[2][0])
    _submit(page)
    expect(page.get_by_role("alert").first).to_contain_text("Tugas selesai")

    logout(page)
    login(page, "agus")
    _open_task(page, "Tinjau SKP")
    # The proposed SKP as a table: the new RHK in third place, with the text of the RHK of Agus it supports.
    third = page.locator("fieldset[data-array='tinjauan_rhk'] .row-item").nth(2)
    expect(third).to_contain_text("Tersusunnya evaluasi anggaran semester")
    expect(third).to_contain_text(AGUS_RHK[0])
    expect(third).to_contain_text("2 dokumen")
    expect(page.locator("fieldset[data-array='tinjauan_rhk']")).to_contain_text("6 rapat")
    expect(page.get_by_label("Keputusan")).to_have_value("")  # the first round's "return" is not preselected
    page.get_by_label("Keputusan").select_option("setujui")
    _submit(page)
    expect(page.get_by_role("alert").first).to_contain_text("Tugas selesai")

    logout(page)
    login(page, "eko")
    page.get_by_role("link", name="SKP saya", exact=True).click()
    planning = page.locator(".skp-item[data-stage='perencanaan']")
    expect(planning).to_have_count(1)
    expect(planning.locator(".card-header")).to_contain_text("Selesai")
    expect(planning.locator(".feedback").first).to_contain_text(NOTE)
    # Setting the SKP started the first monitoring slice.
    expect(page.locator(".skp-item[data-stage='pemantauan']")).to_have_count(1)
    planning.get_by_role("link", name="Diagram dan riwayat").click()
    expect(page.locator("#diagram")).to_have_attribute("data-rendered", "true")
    for done in ("tinjau_skp", "tetapkan_skp", "selesai"):
        expect(page.locator(f'#diagram [data-element-id="{done}"].done')).to_have_count(1)
    expect(page.locator('#diagram [data-element-id="selesai_label"]')).to_have_text("SKP ditetapkan")
    expect(page.locator("#diagram .active")).to_have_count(0)
    # The SKP itself is read on the SKP page (the raw process data is for administrators and process owners).
    page.get_by_role("link", name="Halaman SKP").first.click()
    expect(page.get_by_test_id("skp-status")).to_have_text("Ditetapkan")


def _to_realisation(site: Site) -> str:
    """Eko's SKP (two indicators) is set through the services; the first quarter ends; return his realisation task."""
    _open_period_and_set_superiors(site)
    eko = site.org["eko"]
    _set_skp(site.engine, eko, site.org["agus"], [(RHK[0][0], f"{site.org['agus']}-1"),
                                                   (RHK[1][0], f"{site.org['agus']}-1")])
    with site.engine.session_factory() as s:
        slice_id = s.scalars(select(Instance.id).where(Instance.subject_id == eko,
                                                       Instance.process_id == "smk_pemantauan")).one()
    site.engine.clock.set(datetime(2024, 4, 1, 9, 0, tzinfo=UTC))  # past the end of Triwulan 1 (16:00 WIB)
    assert fire_instance_timers(site.engine, slice_id)
    view = _open_task_of(site.engine, eko, eko, "smk_pemantauan")
    assert view is not None and view.task_name == "isi_realisasi", view
    return view.id


def test_realisation_with_uploaded_evidence(page: Page, site: Site, tmp_path) -> None:
    """The real monitoring model (smk_pemantauan): a bukti dukung per indicator row, a refused type first."""
    task_id = _to_realisation(site)
    wrong = tmp_path / "bukti.exe"
    wrong.write_bytes(b"MZ not evidence")
    good = tmp_path / "laporan-rapat.pdf"
    good.write_bytes(b"%PDF-1.4\n% laporan rapat koordinasi\n" + b"x" * 2000)
    login(page, "eko")
    _open_task(page, "Isi realisasi dan bukti dukung (Triwulan 1 — 2024)")
    expect(page).to_have_url(re.compile(f"/tasks/{task_id}$"))
    expect(page.locator("main")).to_contain_text("Triwulan 1 — 2024")
    expect(page.locator("fieldset[data-array='realisasi'] .row-item")).to_have_count(2)
    expect(page.locator('[data-path="realisasi.1.indikator"]')).to_contain_text(f"Jumlah {RHK[1][0].lower()}")
    page.locator('[name="realisasi[0][realisasi]"]').fill("0.25")
    page.locator('[name="realisasi[1][realisasi]"]').fill("1")
    page.locator('[name="realisasi[1][catatan]"]').fill("Rapat koordinasi triwulan I dilaksanakan.")
    page.locator('input[type="file"][name="realisasi[1][bukti_dukung]"]').set_input_files(str(wrong))
    _submit(page)
    expect(page.locator('[data-path="realisasi.1.bukti_dukung"] .error')).to_contain_text("Jenis berkas tidak diizinkan")
    expect(page.locator('[name="realisasi[1][catatan]"]')).to_have_value("Rapat koordinasi triwulan I dilaksanakan.")
    # The rows keep their read-only context (which indicator, target to date) after the refused upload.
    expect(page.locator('[data-path="realisasi.1.indikator"]')).to_contain_text(f"Jumlah {RHK[1][0].lower()}")
    expect(page.locator('[name="realisasi[1][realisasi]"]')).to_have_value("1")
    page.locator('input[type="file"][name="realisasi[1][bukti_dukung]"]').set_input_files(str(good))
    _submit(page)
    expect(page.get_by_role("alert").first).to_contain_text("Tugas selesai")
    # The SKP page: the realisation, the evidence as a link and the note in the row of the SKP they concern.
    page.goto(f"/skp/{site.org['eko']}/2024")
    row = page.locator("[data-testid='skp-table'] tr[data-row]").nth(1)
    expect(row.locator("[data-slice='1']")).to_contain_text("Triwulan 1 — 2024")
    expect(row.get_by_role("link", name=re.compile("laporan-rapat.pdf"))).to_be_visible()
    expect(row).to_contain_text("Rapat koordinasi triwulan I dilaksanakan.")
    # Both rows reached the model with their indicator ids (target 1 a year, 0.25 by the end of Triwulan 1).
    first = page.locator("[data-testid='skp-table'] tr[data-row]").nth(0)
    expect(first.locator("[data-slice='1']")).to_contain_text("Triwulan 1 — 2024: 0.25 dokumen")
    expect(row.locator("[data-slice='1']")).to_contain_text("Triwulan 1 — 2024: 1 dokumen")
    page.goto("/skp")
    page.locator(".skp-item[data-stage='pemantauan']").get_by_role("link", name="Diagram dan riwayat").click()
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
    open_menu(page, "Open menu")
    page.get_by_role("link", name="My team").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My team")
    expect(page.locator("main")).to_contain_text("Budi Santoso")
    open_menu(page, "Open menu")
    page.get_by_test_id("lang-switch").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tim saya")


def test_another_employees_task_url_is_not_found(page: Page, site: Site) -> None:
    start_demo_work(site.engine)  # Budi's planning waits for his superior's RHK: a task of his own
    view = _open_task_of(site.engine, site.org["budi"], site.org["budi"])
    assert view is not None
    login(page, "siti")
    response = page.goto(f"/tasks/{view.id}")
    assert response is not None and response.status == 404
    expect(page.locator("main")).to_contain_text("Tugas tidak ditemukan")
    response = page.goto(f"/instances/{view.instance_id}")
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


def test_switching_language_mid_form_keeps_what_was_typed(page: Page, site: Site) -> None:
    start_demo_work(site.engine)
    login(page, "ratna")
    _open_task(page, "Susun SKP (regime C)")
    field = page.locator('[name="ekspektasi_akuntabel"]')
    field.fill("Laporan keuangan tepat waktu")
    page.get_by_test_id("lang-switch").first.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_contain_text("SKP")
    expect(page.locator('[name="ekspektasi_akuntabel"]')).to_have_value("Laporan keuangan tepat waktu")
    expect(page.locator("main")).to_contain_text("Special expectation: Accountable")
