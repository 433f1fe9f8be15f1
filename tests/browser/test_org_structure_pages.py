"""Biro SDM opens the units and positions tree with the keyboard, changes a position's superior after seeing the
open task that would change hands, and keeps a group; an administrator turns e-mail off on the account page.
Screenshots of the tree, the superior preview and the group at desktop and phone widths."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.db.org import Group, GroupMember, Position
from engine.services import instances

from .conftest import ARTIFACTS, Site, login

CAPAIAN = {"ringkasan": "Laporan", "tanggal": "2024-01-31", "hasil_kerja": "Sesuai Ekspektasi",
           "kegiatan": [{"nama": "Rapat", "target": 4, "realisasi": 4}]}


@pytest.mark.parametrize("width", [1366, 390])
def test_hr_opens_the_tree_with_the_keyboard_and_changes_a_superior(page, site: Site, width: int) -> None:
    started = instances.start_instance(site.engine, "demo_penilaian", site.org["admin"], site.org["budi"], "2024")
    instances.complete_task(site.engine, site.org["budi"], started.ready_task_ids[0], CAPAIAN)
    page.set_viewport_size({"width": width, "height": 900})
    login(page, "indah")
    page.goto("/organisasi/struktur")
    tree = page.get_by_test_id("tree")
    top = tree.locator("summary").first
    top.focus()
    page.keyboard.press("Enter")  # opens the agency: its units arrive from the server
    biro = tree.locator("summary", has_text="Biro Perencanaan").first
    biro.wait_for()
    biro.focus()
    page.keyboard.press("Enter")
    bagian = tree.locator("summary", has_text="Bagian Perencanaan Program").first
    bagian.focus()
    page.keyboard.press(" ")
    sub = tree.locator("summary", has_text="Subbagian Penyusunan Rencana").first
    sub.focus()
    page.keyboard.press("Enter")
    row = tree.get_by_role("row", name=re.compile("Analis Perencanaan"))
    row.wait_for()
    assert "Budi Santoso" in row.inner_text() and "Kepala Subbagian Penyusunan Rencana" in row.inner_text()
    page.screenshot(path=str(ARTIFACTS / f"organisation_tree_{width}.png"), full_page=True)

    row.get_by_role("link", name="Analis Perencanaan").click()
    page.get_by_label(re.compile("Cari jabatan atasan|Find the new superior")).fill("Kepala Bagian Perencanaan")
    page.get_by_role("button", name=re.compile("^(Cari|Find)$")).click()
    page.get_by_role("button", name=re.compile("Kepala Bagian Perencanaan Program")).click()
    handovers = page.get_by_test_id("handovers")
    assert "Dewi Lestari" in handovers.inner_text() and "Agus Setiawan" in handovers.inner_text()
    page.screenshot(path=str(ARTIFACTS / f"organisation_superior_preview_{width}.png"), full_page=True)
    page.get_by_label(re.compile("Alasan|Reason")).fill("Penataan organisasi")
    page.get_by_role("button", name=re.compile("^(Ubah atasan|Change the superior)$")).click()
    page.wait_for_url(re.compile(r"/organisasi/jabatan/\d+$"))
    assert "Kepala Bagian Perencanaan Program" in page.get_by_test_id("superior").inner_text()
    with site.engine.session_factory() as s:
        budi = s.scalar(select(Position).where(Position.code == "BRP-1-1-02"))
        assert s.get(Position, budi.parent_id).code == "BRP-1-01"


def _members(site: Site, group: str) -> set[int]:
    with site.engine.session_factory() as s:
        return set(s.scalars(select(GroupMember.user_id).join(Group, Group.id == GroupMember.group_id)
                             .where(Group.name == group)))


@pytest.mark.parametrize("width", [1366, 390])
def test_hr_adds_and_removes_a_group_member(page, site: Site, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    login(page, "indah")
    page.goto("/organisasi/grup")
    page.get_by_role("link", name="Tim Penilai Kinerja", exact=True).click()
    page.get_by_label(re.compile("Nama, NIP atau nama pengguna|Name, NIP or username")).fill("siti")
    page.get_by_role("button", name=re.compile("^(Cari|Find)$")).click()
    page.get_by_role("button", name=re.compile("Siti Aminah")).click()
    page.wait_for_url(re.compile(r"/organisasi/grup/"))
    assert site.org["siti"] in _members(site, "Tim Penilai Kinerja")
    assert "Siti Aminah" in page.get_by_test_id("members").inner_text()
    page.screenshot(path=str(ARTIFACTS / f"organisation_group_{width}.png"), full_page=True)
    page.get_by_role("link", name=re.compile("Siti Aminah")).click()  # "Remove Siti Aminah from the group…"
    page.get_by_role("button", name=re.compile("^(Keluarkan dari grup|Remove from the group)$")).click()
    page.wait_for_url(re.compile(r"/organisasi/grup/[^/]+$"))
    assert site.org["siti"] not in _members(site, "Tim Penilai Kinerja")


def test_hr_puts_someone_in_the_group_and_they_take_the_flagged_objection(page, site: Site) -> None:
    """ratna's objection waits for the Tim Penilai Kinerja; all three members are taken out, so it is flagged to
    Biro SDM. indah puts hendra back in on the group page: the page says he now stands in on it, and he may act."""
    from engine.services import org as org_service
    from tests.bpmn.test_objection_stand_ins import _objection_of_ratna, _who_may_act

    _inst, task = _objection_of_ratna(site.engine, site.org)
    flagged = [org_service.remove_member(site.engine, site.org["indah"], "Tim Penilai Kinerja", site.org[m]).flagged
               for m in ("bambang", "hendra", "nur")]
    assert flagged == [0, 0, 1] and _who_may_act(site.engine, site.org, task.id) == set()
    login(page, "indah")
    page.goto("/organisasi/grup/Tim Penilai Kinerja")
    page.get_by_label(re.compile("Nama, NIP atau nama pengguna|Name, NIP or username")).fill("hendra")
    page.get_by_role("button", name=re.compile("^(Cari|Find)$")).click()
    page.get_by_role("button", name=re.compile("Hendra")).click()
    page.wait_for_url(re.compile(r"/organisasi/grup/"))
    expect(page.get_by_text("Ia kini menjadi pengganti pada 1 tugas terbuka yang menunggu anggota grup ini")).to_be_visible()
    assert _who_may_act(site.engine, site.org, task.id) == {"hendra"}
    page.screenshot(path=str(ARTIFACTS / "organisation_group_picks_up_flagged.png"), full_page=True)


def test_email_notifications_are_turned_off_on_the_account_page(page, site: Site) -> None:
    login(page, "budi")
    page.goto("/akun")
    page.get_by_label(re.compile("hanya di sini|only here")).check()
    page.get_by_role("button", name=re.compile("^(Simpan|Save)$")).click()
    page.wait_for_url(re.compile(r"/akun$"))
    assert page.get_by_label(re.compile("hanya di sini|only here")).is_checked()


def test_a_large_unit_loads_its_positions_page_by_page(page, site: Site) -> None:
    with site.engine.session_factory.begin() as s:
        head = s.scalar(select(Position).where(Position.code == "BUM-1-1-01"))
        s.add_all(Position(code=f"BUM-1-1-X{i:03d}", title=f"Pramu Bakti {i:03d}", unit_id=head.unit_id,
                           parent_id=head.id, jenis="JA", jenjang="Pelaksana") for i in range(60))
    login(page, "indah")
    page.goto("/organisasi/struktur?q=Subbagian Perlengkapan")
    found = page.get_by_test_id("found-units")
    found.locator("summary").first.click()
    table = found.get_by_test_id("positions")
    table.wait_for()
    assert table.locator("tbody tr").count() == 50
    page.get_by_role("link", name=re.compile("Jabatan berikutnya|More positions")).click()
    expect(found.locator("tbody tr")).to_have_count(64)
    assert found.get_by_test_id("positions").count() == 1  # one table, the rows joined
    assert page.locator(":focus").inner_text() == "Pramu Bakti 046"  # the first new row
    assert not page.get_by_role("link", name=re.compile("Jabatan berikutnya|More positions")).count()
