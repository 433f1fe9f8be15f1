"""Files we write in the import's format: the template (an example organisation and a column guide in both
languages), the current organisation (to edit and import again), and the list of set-password links.

Every text cell that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return at
the start) is written with a leading apostrophe, in XLSX and CSV alike; the import drops that apostrophe again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from processes.orgimport.apply import NewAccount, kind_of
from processes.orgimport.reader import COLUMNS, JABATAN, PEGAWAI, SHEETS, UNIT

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A value for a spreadsheet cell or CSV field: text a spreadsheet would run as a formula is quoted."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def xlsx_bytes(sheets: Sequence[tuple[str, Sequence[Sequence[Any]]]], text_columns: dict[str, set[int]] | None = None) -> bytes:
    """A workbook with one sheet per (name, rows); the first row of each is its header (bold, frozen).
    Columns listed in ``text_columns`` are stored as text (a NIP must never become a number)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets:
        sheet = workbook.create_sheet(name)
        text = (text_columns or {}).get(name, set())
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                cell = sheet.cell(row=r, column=c, value=safe_cell(value))
                if r == 1:
                    cell.font = Font(bold=True)
                elif c - 1 in text:
                    cell.number_format = "@"
        sheet.freeze_panes = "A2"
        for c, header in enumerate(rows[0] if rows else [], start=1):
            width = max([len(str(header))] + [len(str(row[c - 1])) for row in rows[1:50] if c - 1 < len(row)])
            sheet.column_dimensions[sheet.cell(row=1, column=c).column_letter].width = min(60, max(10, width + 2))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 CSV (with a BOM, so that Excel reads it as UTF-8), formula cells quoted."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def headers(sheet: str) -> list[str]:
    return [c for c, _ in COLUMNS[sheet]]


TEXT_COLUMNS = {PEGAWAI: {0}, UNIT: {0, 2}, JABATAN: {0, 4, 5}}

EXAMPLE: dict[str, list[list[str]]] = {
    UNIT: [["KMN", "Kementerian Contoh", ""],
           ["SET", "Sekretariat Jenderal", "KMN"],
           ["SET-SDM", "Biro Sumber Daya Manusia", "SET"],
           ["SET-SDM-1", "Bagian Pengembangan Pegawai", "SET-SDM"]],
    JABATAN: [["J-001", "Menteri / Kepala Lembaga", "JPT Utama", "", "KMN", ""],
              ["J-002", "Sekretaris Jenderal", "JPT Madya", "", "SET", "J-001"],
              ["J-003", "Kepala Biro Sumber Daya Manusia", "JPT Pratama", "", "SET-SDM", "J-002"],
              ["J-004", "Kepala Bagian Pengembangan Pegawai", "Administrator", "", "SET-SDM-1", "J-003"],
              ["J-005", "Analis SDM Aparatur", "Fungsional", "Ahli Muda", "SET-SDM-1", "J-004"],
              ["J-006", "Pengolah Data Kepegawaian", "Pelaksana", "", "SET-SDM-1", "J-004"]],
    PEGAWAI: [["197001011995031001", "Dr. Contoh Pimpinan", "J-001", "pimpinan@contoh.go.id", "Pembina Utama (IV/e)", "PNS", "ya"],
              ["197203152000032001", "Contoh Sekretaris, M.Si.", "J-002", "", "Pembina Utama Madya (IV/d)", "PNS", "ya"],
              ["197508172003121002", "Contoh Kepala Biro", "J-003", "kabiro.sdm@contoh.go.id", "Pembina Tk. I (IV/b)", "PNS", "ya"],
              ["198204122007012002", "Contoh Kepala Bagian", "J-004", "", "Penata Tk. I (III/d)", "PNS", "ya"],
              ["199106232016022001", "Contoh Analis", "J-005", "analis@contoh.go.id", "Penata (III/c)", "PNS", "ya"],
              ["199809092024211002", "Contoh Pengolah Data", "J-006", "", "IX", "PPPK", "ya"],
              ["199308302019022001", "Contoh Pengolah Data Kedua", "J-006", "", "Pengatur (II/c)", "PNS", "tidak"]],
}

# (sheet, column, required, meaning in Indonesian, meaning in English)
GUIDE = [
    (UNIT, "kode", "ya / yes", "Kode unit organisasi, unik (huruf, angka, . _ - /)",
     "The unit's code, unique (letters, digits, . _ - /)"),
    (UNIT, "nama", "ya / yes", "Nama unit", "The unit's name"),
    (UNIT, "kode_induk", "ya / yes (kosong untuk unit teratas / empty for the top unit)",
     "Kode unit induk; kosong hanya untuk instansi", "The parent unit's code; empty only for the agency itself"),
    (JABATAN, "kode", "ya / yes", "Kode jabatan, unik", "The position's code, unique"),
    (JABATAN, "nama", "ya / yes", "Nama jabatan", "The position's title"),
    (JABATAN, "jenis", "ya / yes", "JPT Utama, JPT Madya, JPT Pratama, Administrator, Pengawas, Pelaksana atau Fungsional",
     "JPT Utama, JPT Madya, JPT Pratama, Administrator, Pengawas, Pelaksana or Fungsional"),
    (JABATAN, "jenjang", "untuk Fungsional / for Fungsional",
     "Jenjang jabatan fungsional: Ahli Utama, Ahli Madya, Ahli Muda, Ahli Pertama, Penyelia, Mahir, Terampil, Pemula",
     "The level of a functional position: Ahli Utama … Pemula"),
    (JABATAN, "kode_unit", "ya / yes", "Kode unit tempat jabatan berada", "The code of the position's unit"),
    (JABATAN, "kode_atasan", "ya / yes (kosong untuk pimpinan instansi / empty for the head of the agency)",
     "Kode jabatan atasan langsung (pejabat penilai kinerja); hanya pimpinan instansi yang kosong. JPT, Administrator "
     "dan Pengawas dipegang satu orang",
     "The code of the superior position (the performance assessor); only the head of the agency has none. JPT, "
     "Administrator and Pengawas positions have one holder"),
    (PEGAWAI, "nip", "ya / yes", "NIP 18 digit, diketik sebagai teks (tanggal lahir, TMT CPNS, jenis kelamin, nomor urut)",
     "The 18-digit NIP, typed as text (birth date, TMT CPNS, sex, sequence)"),
    (PEGAWAI, "nama", "ya / yes", "Nama lengkap dengan gelar", "Full name with titles"),
    (PEGAWAI, "kode_jabatan", "ya / yes", "Kode jabatan yang dipegang", "The code of the position held"),
    (PEGAWAI, "email", "tidak / no", "Alamat e-mail; tautan pembuatan kata sandi dikirim ke sini",
     "E-mail address; the set-password link is sent here"),
    (PEGAWAI, "pangkat_golongan", "tidak / no", "Pangkat/golongan ruang, mis. Penata (III/c)",
     "Rank and grade, e.g. Penata (III/c)"),
    (PEGAWAI, "status", "tidak / no", "PNS atau PPPK (kosong: dibaca dari NIP)", "PNS or PPPK (empty: read from the NIP)"),
    (PEGAWAI, "aktif", "tidak / no", "ya atau tidak (kosong berarti ya). Pegawai aktif yang tidak ada di berkas dinonaktifkan",
     "ya or tidak (empty means ya). Active employees missing from the file are deactivated"),
]


def template_xlsx() -> bytes:
    """The template: the three sheets with an example organisation, and a guide to every column."""
    sheets: list[tuple[str, list[list[Any]]]] = [(s, [headers(s)] + EXAMPLE[s]) for s in SHEETS]
    sheets.append(("panduan", [["lembar / sheet", "kolom / column", "wajib / required", "arti", "meaning"]]
                   + [list(g) for g in GUIDE]))
    return xlsx_bytes(sheets, TEXT_COLUMNS)


def organisation_rows(session: Session) -> dict[str, list[list[str]]]:
    """The organisation in the database, in the import's format: the units and positions in use (an import
    retires those it no longer lists), and every user with a NIP."""
    from engine.db.org import Position, Unit, User

    units = list(session.scalars(select(Unit).where(Unit.active).order_by(Unit.id)))
    unit_code = {u.id: u.code for u in units}
    positions = list(session.scalars(select(Position).where(Position.active).order_by(Position.id)))
    position_code = {p.id: p.code for p in positions}  # an inactive employee's retired position is left out
    users = session.scalars(select(User).where(User.nip.is_not(None)).order_by(User.id))
    return {
        UNIT: [[u.code, u.name, unit_code.get(u.parent_id, "") if u.parent_id else ""] for u in units],
        JABATAN: [[p.code, p.title, kind_of(p.jenis, p.jenjang), p.jenjang if p.jenis == "JF" else "",
                   unit_code.get(p.unit_id, ""), position_code.get(p.parent_id, "") if p.parent_id else ""]
                  for p in positions],
        PEGAWAI: [[u.nip or "", u.full_name, position_code.get(u.position_id, "") if u.position_id else "",
                   u.email or "", u.pangkat_golongan or "", u.status or "", "ya" if u.active else "tidak"]
                  for u in users],
    }


def organisation_xlsx(session: Session) -> bytes:
    rows = organisation_rows(session)
    return xlsx_bytes([(s, [headers(s)] + rows[s]) for s in SHEETS], TEXT_COLUMNS)


def links_csv(accounts: Iterable[NewAccount], base_url: str = "") -> bytes:
    """The new accounts and their one-time links, for the person who hands them out."""
    return csv_bytes([["nip", "nama", "email", "tautan", "dikirim_email"]] +
                     [[a.nip, a.name, a.email, base_url + a.link, "ya" if a.emailed else "tidak"] for a in accounts])
