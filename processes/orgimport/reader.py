"""Read the organisation files: one XLSX workbook with the sheets unit, jabatan and pegawai, or the three CSV
files unit.csv, jabatan.csv and pegawai.csv (UTF-8). Nothing here touches the database.

A workbook is checked before openpyxl opens it: the file's size, the number of its zip members, their declared
uncompressed sizes (Python's zipfile never inflates a member beyond its declared size, so the sum bounds what
reading can produce: a zip bomb is refused without being inflated) and that no XML part declares a DTD (no
entity expansion). openpyxl then reads it in read-only mode, row by row.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from engine.errors import N_, Message

UNIT, JABATAN, PEGAWAI = "unit", "jabatan", "pegawai"
SHEETS = (UNIT, JABATAN, PEGAWAI)
MAX_FILE_BYTES = 20 * 2**20  # one uploaded file (the web request limit is SMK_MAX_REQUEST_MB)
MAX_UNCOMPRESSED_BYTES = 50 * 2**20  # all members of one workbook, as declared in its zip directory
MAX_ZIP_MEMBERS = 1000
MAX_ROWS = 200_000  # rows of all sheets together
MAX_CELL_CHARS = 1000

# The columns of each sheet, in the template's order: (name, required). Other columns are ignored, so a fuller
# SIASN or e-Kinerja export can be loaded as it is once its headers are named like these (or an alias below).
COLUMNS: dict[str, tuple[tuple[str, bool], ...]] = {
    UNIT: (("kode", True), ("nama", True), ("kode_induk", True)),
    JABATAN: (("kode", True), ("nama", True), ("jenis", True), ("jenjang", False), ("kode_unit", True),
              ("kode_atasan", True)),
    PEGAWAI: (("nip", True), ("nama", True), ("kode_jabatan", True), ("email", False), ("pangkat_golongan", False),
              ("status", False), ("aktif", False)),
}
ALIASES: dict[str, dict[str, str]] = {
    UNIT: {"kode_unit": "kode", "nama_unit": "nama", "kode_unit_induk": "kode_induk", "induk": "kode_induk",
           "unit_induk": "kode_induk"},
    JABATAN: {"kode_jabatan": "kode", "nama_jabatan": "nama", "jenis_jabatan": "jenis", "unit": "kode_unit",
              "kode_jabatan_atasan": "kode_atasan", "atasan": "kode_atasan", "jabatan_atasan": "kode_atasan"},
    PEGAWAI: {"nama_lengkap": "nama", "nama_pegawai": "nama", "jabatan": "kode_jabatan", "e_mail": "email",
              "surel": "email", "pangkat": "pangkat_golongan", "golongan": "pangkat_golongan",
              "golongan_ruang": "pangkat_golongan", "status_kepegawaian": "status", "jenis_pegawai": "status",
              "status_aktif": "aktif"},
}


@dataclass(frozen=True)
class Problem:
    """One problem with the files: where (sheet or file, row, column, the value found) and what."""

    sheet: str
    row: int | None
    column: str | None
    value: str
    message: Message

    def __str__(self) -> str:
        where = self.sheet + (f", row {self.row}" if self.row else "") + (f", column {self.column}" if self.column else "")
        return f"{where}{f' ({self.value!r})' if self.value else ''}: {self.message}"


@dataclass
class Table:
    """One sheet's rows: (row number in the file, canonical column -> text)."""

    name: str  # as the person knows it: the sheet's name, or the CSV file's
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    flagged: set[tuple[int, str]] = field(default_factory=set)  # (row, column) already reported while reading


class Bad(Exception):
    """The files cannot be read at all; ``problem`` says why."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _bad(sheet: str, text: str, value: str = "", code: str = "import.file", **params: Any) -> Bad:
    return Bad(Problem(sheet, None, None, value, Message(code, text, params)))


def _header(raw: Any) -> str:
    text = "" if raw is None else str(raw).strip().lower()
    for ch in " -/.":
        text = text.replace(ch, "_")
    while "__" in text:
        text = text.replace("__", "_")
    return text.strip("_")


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a trailing .0, dates as ISO, text stripped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return str(value).strip()


def _table(sheet: str, rows: Iterable[tuple[Any, ...]], problems: list[Problem], budget: list[int]) -> Table:
    """Turn raw rows (the first one the header) into a Table, reporting unknown layouts and odd cells."""
    table = Table(sheet)
    iterator = iter(rows)
    header = next(iterator, None)
    if header is None:
        problems.append(Problem(sheet, 1, None, "", Message("import.empty", N_("The sheet is empty: it needs a header row with the columns %(columns)s"),
                                                            {"columns": ", ".join(c for c, _ in COLUMNS[_kind(sheet)])})))
        return table
    kind = _kind(sheet)
    known = {c for c, _ in COLUMNS[kind]}
    positions: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = _header(raw)
        name = ALIASES[kind].get(name, name)
        if name in known and name not in positions:
            positions[name] = index
    missing = [c for c, required in COLUMNS[kind] if required and c not in positions]
    if missing:
        found = ", ".join(cell_text(h) for h in header if cell_text(h)) or "-"
        problems.append(Problem(sheet, 1, None, found[:200], Message(
            "import.columns", N_("Columns missing: %(missing)s. The first row must name the columns %(columns)s "
                                "(found: %(found)s)"),
            {"missing": ", ".join(missing), "columns": ", ".join(c for c, _ in COLUMNS[kind]), "found": found[:200]})))
        return table
    table.columns = list(positions)
    for number, raw_row in enumerate(iterator, start=2):
        values: dict[str, str] = {}
        for name, index in positions.items():
            value = raw_row[index] if index < len(raw_row) else None
            if name == "nip" and isinstance(value, float):
                problems.append(Problem(sheet, number, "nip", cell_text(value), Message(
                    "import.nip_number", N_("The NIP is stored as a number, which keeps only 15 digits; format the "
                                            "column as Text and type the NIP again"))))
                table.flagged.add((number, name))
            text = cell_text(value)
            if len(text) > MAX_CELL_CHARS:
                problems.append(Problem(sheet, number, name, text[:60] + "…", Message(
                    "import.cell_long", N_("The cell holds more than %(n)s characters"), {"n": MAX_CELL_CHARS})))
                text = text[:MAX_CELL_CHARS]
                table.flagged.add((number, name))
            values[name] = text
        if not any(values.values()):
            continue
        budget[0] -= 1
        if budget[0] < 0:
            raise _bad(sheet, N_("The files hold more than %(n)s rows; split the organisation or ask an "
                                 "administrator"), code="import.rows", n=MAX_ROWS)
        table.rows.append((number, values))
    return table


def _kind(sheet: str) -> str:
    base = sheet.lower().removesuffix(".csv")
    return base if base in SHEETS else sheet


def read_xlsx(data: bytes, name: str = "organisasi.xlsx") -> tuple[dict[str, Table], list[Problem]]:
    """Read a workbook's three sheets; raise Bad when the file is not a safe, readable workbook."""
    if len(data) > MAX_FILE_BYTES:
        raise _bad(name, N_("The file is larger than %(mb)s MB"), code="import.too_large", mb=MAX_FILE_BYTES // 2**20)
    buffer = io.BytesIO(data)
    if not zipfile.is_zipfile(buffer):
        raise _bad(name, N_("This is not an XLSX workbook (Excel 2007 or later); save it as .xlsx, or as three "
                            "CSV files"), code="import.not_xlsx")
    try:
        with zipfile.ZipFile(buffer) as archive:
            members = archive.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                raise _bad(name, N_("The workbook has too many parts (%(n)s)"), code="import.zip_members", n=len(members))
            declared = sum(m.file_size for m in members)
            if declared > MAX_UNCOMPRESSED_BYTES:
                raise _bad(name, N_("The workbook would unpack to %(mb)s MB, more than the %(limit)s MB allowed; it "
                                    "is refused without being unpacked"), code="import.zip_bomb",
                           mb=declared // 2**20, limit=MAX_UNCOMPRESSED_BYTES // 2**20)
            for member in members:
                if member.filename.endswith((".xml", ".rels", ".vml")):
                    with archive.open(member) as part:
                        head = part.read(4096)
                    if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
                        raise _bad(name, N_("The workbook contains a document type declaration, which Excel never "
                                            "writes; it is refused"), code="import.dtd")
    except zipfile.BadZipFile as exc:
        raise _bad(name, N_("The workbook is damaged: %(detail)s"), code="import.damaged", detail=str(exc)[:200]) from exc
    buffer.seek(0)
    from openpyxl import load_workbook  # heavy import, only when a workbook arrives

    problems: list[Problem] = []
    tables: dict[str, Table] = {}
    budget = [MAX_ROWS]
    try:
        workbook = load_workbook(buffer, read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds for a file that is a zip but no workbook
        raise _bad(name, N_("The workbook cannot be read: %(detail)s"), code="import.damaged",
                   detail=f"{type(exc).__name__}: {exc}"[:200]) from exc
    try:
        by_name = {s.strip().lower(): s for s in workbook.sheetnames}
        for sheet in SHEETS:
            if sheet not in by_name:
                problems.append(Problem(sheet, None, None, "", Message(
                    "import.sheet_missing", N_("The workbook has no sheet named '%(sheet)s' (its sheets: %(found)s)"),
                    {"sheet": sheet, "found": ", ".join(workbook.sheetnames)[:200]})))
                continue
            worksheet = workbook[by_name[sheet]]
            tables[sheet] = _table(sheet, worksheet.iter_rows(values_only=True), problems, budget)
    except Bad:
        raise
    except Exception as exc:
        raise _bad(name, N_("The workbook cannot be read: %(detail)s"), code="import.damaged",
                   detail=f"{type(exc).__name__}: {exc}"[:200]) from exc
    finally:
        workbook.close()
    return tables, problems


def read_csv_files(files: Mapping[str, bytes]) -> tuple[dict[str, Table], list[Problem]]:
    """Read unit.csv, jabatan.csv and pegawai.csv (UTF-8, with or without a BOM; comma, semicolon or tab)."""
    problems: list[Problem] = []
    tables: dict[str, Table] = {}
    budget = [MAX_ROWS]
    by_name = {n.rsplit("/", 1)[-1].strip().lower(): n for n in files}
    for sheet in SHEETS:
        filename = f"{sheet}.csv"
        if filename not in by_name:
            problems.append(Problem(filename, None, None, "", Message(
                "import.csv_missing", N_("The file %(file)s is missing; a CSV import needs unit.csv, jabatan.csv and "
                                         "pegawai.csv"), {"file": filename})))
            continue
        data = files[by_name[filename]]
        if len(data) > MAX_FILE_BYTES:
            raise _bad(filename, N_("The file is larger than %(mb)s MB"), code="import.too_large",
                       mb=MAX_FILE_BYTES // 2**20)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[:exc.start].count(b"\n") + 1
            raise _bad(filename, N_("The file is not UTF-8 (line %(line)s has the byte %(byte)s); in Excel choose "
                                    "\"CSV UTF-8\" when saving, or save the workbook as XLSX"),
                       value=repr(data[exc.start:exc.start + 1]), code="import.encoding", line=line,
                       byte=f"0x{data[exc.start]:02X}") from exc
        if "\x00" in text:
            raise _bad(filename, N_("The file is not a text file"), code="import.binary")
        first = text.split("\n", 1)[0]
        delimiter = max(",;\t", key=first.count)
        rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            tables[sheet] = _table(filename, (tuple(r) for r in rows), problems, budget)
        except csv.Error as exc:
            raise _bad(filename, N_("The file is not valid CSV: %(detail)s"), code="import.csv",
                       detail=str(exc)[:200]) from exc
    return tables, problems


def read_files(files: Mapping[str, bytes]) -> tuple[dict[str, Table], list[Problem]]:
    """Read what was given: one .xlsx file, or the three .csv files; raise Bad for anything else."""
    names = [n for n in files if files[n]]
    workbooks = [n for n in names if n.lower().endswith(".xlsx")]
    if len(workbooks) == 1 and len(names) == 1:
        return read_xlsx(files[workbooks[0]], workbooks[0].rsplit("/", 1)[-1])
    if workbooks:
        raise _bad(workbooks[0], N_("Give either one XLSX workbook or the three CSV files, not both"),
                   code="import.mixed")
    if names and all(n.lower().endswith(".csv") for n in names):
        return read_csv_files({n: files[n] for n in names})
    shown = ", ".join(n.rsplit("/", 1)[-1] for n in names) or "-"
    raise _bad(shown, N_("Give one XLSX workbook (sheets unit, jabatan, pegawai) or the three files unit.csv, "
                         "jabatan.csv and pegawai.csv"), code="import.what")
