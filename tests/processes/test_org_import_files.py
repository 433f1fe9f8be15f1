"""Bad organisation files each give a clear problem (sheet, row, column, value) and change nothing; what we write
(template, current organisation, links) quotes cells a spreadsheet would run as formulas."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.org import Position, Unit, User
from processes.orgimport import (
    ImportInvalid,
    NewAccount,
    links_csv,
    organisation_xlsx,
    run_import,
    template_xlsx,
)
from processes.orgimport import reader as reader_module
from processes.orgimport.reader import COLUMNS, SHEETS
from processes.orgimport.workbook import EXAMPLE, csv_bytes
from tools import orggen


def _rows() -> orggen.Rows:
    return {s: [list(r) for r in EXAMPLE[s]] for s in SHEETS}


def _csv(rows: orggen.Rows, encoding: str = "utf-8", delimiter: str = ",") -> dict[str, bytes]:
    files = {}
    for sheet in SHEETS:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=delimiter)
        writer.writerow([c for c, _ in COLUMNS[sheet]])
        writer.writerows(rows[sheet])
        files[f"{sheet}.csv"] = buffer.getvalue().encode(encoding)
    return files


def _state(eng: Engine) -> tuple[int, ...]:
    with eng.session_factory() as s:
        return tuple(s.scalar(select(func.count()).select_from(t)) or 0 for t in (Unit, Position, User, AuditEvent))


def _refused(eng: Engine, files: dict[str, bytes]) -> list[tuple[str, int | None, str | None, str, str]]:
    """Import the files, expect a refusal that changed nothing; return (sheet, row, column, value, code)."""
    before = _state(eng)
    with pytest.raises(ImportInvalid) as refused:
        run_import(eng, files, None, apply=True)
    assert _state(eng) == before
    for problem in refused.value.problems:
        assert str(problem)  # every problem renders in English for the command line
    return [(p.sheet, p.row, p.column, p.value, p.message.code) for p in refused.value.problems]


def test_the_template_is_itself_a_valid_organisation(eng: Engine) -> None:
    report = run_import(eng, {"templat-organisasi.xlsx": template_xlsx()}, None, apply=True)
    assert report.count("pegawai", "added") == 7 and len(report.accounts) == 6  # the inactive one gets no link
    book = load_workbook(io.BytesIO(template_xlsx()), read_only=True)
    assert book.sheetnames == ["unit", "jabatan", "pegawai", "panduan"]
    guide = [r for r in book["panduan"].iter_rows(values_only=True)]
    assert len(guide) == 1 + sum(len(c) for c in COLUMNS.values())  # every column explained, in both languages


def test_csv_files_with_semicolons_and_a_bom_are_read(eng: Engine) -> None:
    files = {k: b"\xef\xbb\xbf" + v for k, v in _csv(_rows(), delimiter=";").items()}
    assert run_import(eng, files, None).count("unit", "added") == 4


def test_wrong_columns_are_named_with_what_was_found(eng: Engine) -> None:
    files = _csv(_rows())
    files["jabatan.csv"] = b"kode,nama,unit_kerja\nJ-001,Menteri,KMN\n"
    found = _refused(eng, files)
    assert found == [("jabatan.csv", 1, None, "kode, nama, unit_kerja", "import.columns")]
    book = orggen.workbook(_rows())
    found = _refused(eng, {"x.xlsx": _without_sheet(book, "pegawai")})
    assert found == [("pegawai", None, None, "", "import.sheet_missing")]


def _without_sheet(book: bytes, name: str) -> bytes:
    from openpyxl import Workbook

    source = load_workbook(io.BytesIO(book))
    target = Workbook()
    target.remove(target.active)
    for sheet in source.worksheets:
        if sheet.title != name:
            copy = target.create_sheet(sheet.title)
            for row in sheet.iter_rows(values_only=True):
                copy.append(list(row))
    out = io.BytesIO()
    target.save(out)
    return out.getvalue()


def test_a_zip_bomb_is_refused_before_anything_is_inflated(eng: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as part:
            for _ in range(60):
                part.write(b"\0" * 2**20)
    assert len(buffer.getvalue()) < 200_000  # 60 MB that packs into less than 200 KB

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("openpyxl must not open a zip bomb")

    monkeypatch.setattr("openpyxl.load_workbook", never)
    found = _refused(eng, {"bom.xlsx": buffer.getvalue()})
    assert [f[4] for f in found] == ["import.zip_bomb"] and found[0][0] == "bom.xlsx"


def test_a_workbook_with_a_dtd_a_damaged_one_and_no_workbook_are_refused(eng: Engine) -> None:
    book = orggen.workbook(_rows())
    source, target = zipfile.ZipFile(io.BytesIO(book)), io.BytesIO()
    with zipfile.ZipFile(target, "w") as out:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/workbook.xml":
                data = b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + data
            out.writestr(item, data)
    assert [f[4] for f in _refused(eng, {"dtd.xlsx": target.getvalue()})] == ["import.dtd"]
    assert [f[4] for f in _refused(eng, {"x.xlsx": b"PK\x03\x04 not really"})] in (["import.not_xlsx"], ["import.damaged"])
    assert [f[4] for f in _refused(eng, {"x.xlsx": b"%PDF-1.4"})] == ["import.not_xlsx"]
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as out:
        out.writestr("hello.txt", "no workbook here")
    assert [f[4] for f in _refused(eng, {"x.xlsx": broken.getvalue()})] == ["import.damaged"]
    assert [f[4] for f in _refused(eng, {"organisasi.docx": b"x"})] == ["import.what"]


def test_a_file_over_the_size_limit_is_refused(eng: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader_module, "MAX_FILE_BYTES", 1000)
    assert [f[4] for f in _refused(eng, {"x.xlsx": orggen.workbook(_rows())})] == ["import.too_large"]
    assert [f[4] for f in _refused(eng, {**_csv(_rows()), "pegawai.csv": b"x" * 2000})] == ["import.too_large"]


def test_a_csv_that_is_not_utf8_names_its_file_and_line(eng: Engine) -> None:
    rows = _rows()
    rows["pegawai"][2][1] = "Contoh Kepala Biro, S.Sos. – Fürth"
    files = _csv(rows, encoding="cp1252")
    [(sheet, row, column, value, code)] = _refused(eng, files)
    assert (sheet, code) == ("pegawai.csv", "import.encoding") and value == r"b'\x96'"
    with pytest.raises(ImportInvalid) as refused:
        run_import(eng, files, None)
    assert "line 4" in str(refused.value.problems[0]) and "CSV UTF-8" in str(refused.value.problems[0])


def test_every_row_problem_names_sheet_row_column_and_value(eng: Engine) -> None:
    rows = _rows()
    rows["unit"].append(["SET", "Sekretariat lagi", "KMN"])  # duplicate code
    rows["unit"].append(["X1", "Unit X1", "X2"])  # a cycle X1 -> X2 -> X1
    rows["unit"].append(["X2", "Unit X2", "X1"])
    rows["unit"].append(["X3", "Unit X3", "NOPE"])  # unknown parent
    rows["jabatan"].append(["J-007", "Kepala Lain", "JPT Madya", "", "SET", ""])  # a second head
    rows["jabatan"].append(["J-008", "Analis", "Fungsional", "Ahli Sekali", "SET", "J-004"])  # bad jenjang
    rows["jabatan"].append(["J-009", "Staf", "Honorer", "", "NOPE", "J-404"])  # kind, unit, superior unknown
    rows["jabatan"].append(["J-010", "A", "Pelaksana", "", "SET", "J-011"])  # a cycle of superiors
    rows["jabatan"].append(["J-011", "B", "Pelaksana", "", "SET", "J-010"])
    rows["pegawai"].append(["198812202014021001", "Dua Kepala", "J-004", "", "", "PNS", "ya"])  # J-004 is taken
    rows["pegawai"].append(["198812202014021001", "NIP Ganda", "J-006", "", "", "PNS", "ya"])  # duplicate NIP
    rows["pegawai"].append(["198813202014021001", "Lahir Aneh", "J-006", "bukan-email", "", "PNS", "mungkin"])
    rows["pegawai"].append(["199601012022211003", "PPPK palsu", "J-006", "", "", "PNS", "ya"])  # 21 but PNS
    rows["pegawai"].append(["199103032015031001", "=cmd|' /C calc'!A0", "J-006", "", "", "PNS", "ya"])
    found = _refused(eng, {"o.xlsx": orggen.workbook(rows)})
    assert found == [
        ("unit", 6, "kode", "SET", "import.duplicate"),
        ("unit", 7, "kode_induk", "X2", "import.unit_cycle"),
        ("unit", 8, "kode_induk", "X1", "import.unit_cycle"),
        ("unit", 9, "kode_induk", "NOPE", "import.unknown_unit"),
        ("jabatan", 2, "kode_atasan", "", "import.heads"),
        ("jabatan", 8, "kode_atasan", "", "import.heads"),
        ("jabatan", 9, "jenjang", "Ahli Sekali", "import.jenjang"),
        ("jabatan", 10, "jenis", "Honorer", "import.kind"),
        ("jabatan", 10, "kode_atasan", "J-404", "import.unknown_position"),
        ("jabatan", 10, "kode_unit", "NOPE", "import.unknown_unit"),
        ("jabatan", 11, "kode_atasan", "J-011", "import.position_cycle"),
        ("jabatan", 12, "kode_atasan", "J-010", "import.position_cycle"),
        ("pegawai", 9, "kode_jabatan", "J-004", "import.two_holders"),
        ("pegawai", 10, "nip", "198812202014021001", "import.duplicate"),
        ("pegawai", 11, "aktif", "mungkin", "import.active"),
        ("pegawai", 11, "email", "bukan-email", "import.email"),
        ("pegawai", 11, "nip", "198813202014021001", "import.nip_birth_date"),
        ("pegawai", 12, "nip", "199601012022211003", "import.nip_tmt"),
        ("pegawai", 13, "nama", "=cmd|' /C calc'!A0", "import.formula"),
    ]


def test_a_nip_stored_as_a_number_is_named(eng: Engine) -> None:
    rows = _rows()
    book = load_workbook(io.BytesIO(orggen.workbook(rows)))
    book["pegawai"]["A2"] = 1.97001011995031e17  # what Excel keeps of a NIP typed into a number cell
    out = io.BytesIO()
    book.save(out)
    found = _refused(eng, {"o.xlsx": out.getvalue()})
    assert [(f[1], f[2], f[4]) for f in found] == [(2, "nip", "import.nip_number")]


def test_the_current_organisation_round_trips_and_its_cells_are_quoted(eng: Engine, org: dict[str, int]) -> None:
    with eng.session_factory.begin() as s:
        s.get(User, org["budi"]).full_name = "=HYPERLINK(\"http://evil\",\"Budi\")"
        s.get(User, org["siti"]).full_name = "-Siti"
    with eng.session_factory() as s:
        book = organisation_xlsx(s)
    names = {r[0]: r[1] for r in load_workbook(io.BytesIO(book), read_only=True)["pegawai"].iter_rows(values_only=True)}
    assert names["198812202014021001"] == "'=HYPERLINK(\"http://evil\",\"Budi\")"
    assert names["199002142015032002"] == "'-Siti"
    # The quote is dropped on import; a formula is still refused, anything else round-trips.
    found = _refused(eng, {"o.xlsx": book})
    assert [(f[0], f[2], f[4]) for f in found] == [("pegawai", "nama", "import.formula")]
    with eng.session_factory.begin() as s:
        s.get(User, org["budi"]).full_name = "Budi Santoso"
    with eng.session_factory() as s:
        book = organisation_xlsx(s)
    first = run_import(eng, {"o.xlsx": book}, None, apply=True)
    # The demo's two positions of kind "PPPK" become Pelaksana (PPPK is the employee's status in the import).
    assert [(c.entity, c.key, c.fields) for c in first.changes] == [
        ("jabatan", code, [("jenis", "PPPK · Pelaksana", "Pelaksana")]) for code in ("BUM-1-1-04", "BRP-1-1-04")]
    with eng.session_factory() as s:
        assert s.scalar(select(User.full_name).where(User.id == org["siti"])) == "-Siti"
        book = organisation_xlsx(s)
    assert run_import(eng, {"o.xlsx": book}, None).nothing_to_do


def test_csv_and_links_we_write_quote_formulas() -> None:
    data = links_csv([NewAccount("199103032015031001", "=cmd|' /C calc'!A0", "@x", "/akun/sandi/t", False)],
                     "https://smk.example")
    text = data.decode("utf-8-sig")
    row = list(csv.reader(io.StringIO(text)))[1]
    assert row == ["199103032015031001", "'=cmd|' /C calc'!A0", "'@x", "https://smk.example/akun/sandi/t", "tidak"]
    assert csv_bytes([["+1", "\tx", 5]]).decode("utf-8-sig").strip() == "'+1,'\tx,5"
