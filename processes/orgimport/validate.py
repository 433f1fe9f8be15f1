"""Check every row of the organisation files before anything changes; each problem names sheet, row, column
and value. The result is the organisation as clean records, keyed by code and NIP."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine.errors import N_, Message
from processes.orgimport.reader import JABATAN, PEGAWAI, SHEETS, UNIT, Problem, Table
from processes.rules.nip import PPPK_MONTH, Nip, check_nip

# jenis as written in the file -> (the position's jenis as the SMK rules know it, its jenjang)
KINDS = {"jpt utama": "JPT Utama", "jpt madya": "JPT Madya", "jpt pratama": "JPT Pratama",
         "administrator": "Administrator", "pengawas": "Pengawas", "pelaksana": "Pelaksana", "fungsional": "Fungsional"}
SINGLE_HOLDER = frozenset({"JPT Utama", "JPT Madya", "JPT Pratama", "Administrator", "Pengawas"})
JENJANG_FUNGSIONAL = ("Ahli Utama", "Ahli Madya", "Ahli Muda", "Ahli Pertama", "Penyelia", "Mahir", "Terampil",
                      "Pemula")
STATUSES = ("PNS", "PPPK")
YES = frozenset({"ya", "y", "1", "aktif", "true", "yes", "benar"})
NO = frozenset({"tidak", "t", "0", "nonaktif", "non aktif", "tidak aktif", "false", "no", "salah", "n"})
CODE = re.compile(r"^[\w.\-/]+$")
EMAIL = re.compile(r"^[^@\s,;<>\"']+@[^@\s,;<>\"']+\.[^@\s,;<>\"']+$")
FORMULA_START = ("=", "+", "@")
MAX_CODE, MAX_NAME, MAX_SHORT = 40, 255, 40


def stored_kind(kind: str, jenjang: str) -> tuple[str, str]:
    """The position's (jenis, jenjang) as stored: JPT, JA (administrator, pengawas, pelaksana) or JF."""
    if kind.startswith("JPT"):
        return "JPT", kind
    if kind == "Fungsional":
        return "JF", jenjang
    return "JA", kind


@dataclass(frozen=True)
class UnitRow:
    code: str
    name: str
    parent: str  # "" for the root
    row: int


@dataclass(frozen=True)
class PositionRow:
    code: str
    title: str
    kind: str  # one of KINDS' values
    jenjang: str  # for Fungsional; else the kind
    unit: str
    superior: str  # "" for the head of the agency
    row: int

    @property
    def stored(self) -> tuple[str, str]:
        return stored_kind(self.kind, self.jenjang)


@dataclass(frozen=True)
class EmployeeRow:
    nip: str
    name: str
    position: str  # "" only for an inactive employee
    email: str
    pangkat_golongan: str
    status: str  # PNS | PPPK
    active: bool
    row: int


@dataclass
class Organisation:
    units: dict[str, UnitRow]
    positions: dict[str, PositionRow]
    employees: dict[str, EmployeeRow]


class _Check:
    def __init__(self, table: Table) -> None:
        self.table = table
        self.problems: list[Problem] = []

    def add(self, row: int, column: str | None, value: str, message_code: str, text: str, /, **params: Any) -> None:
        if column is not None and (row, column) in self.table.flagged:
            return
        self.problems.append(Problem(self.table.name, row, column, value[:120], Message(message_code, text, params)))

    def values(self, row: int, raw: dict[str, str]) -> dict[str, str]:
        """The row's cells, cleaned: our own export's quote before a formula sign dropped, "-" meaning empty,
        and anything that a spreadsheet would run as a formula refused."""
        clean = {}
        for column, value in raw.items():
            if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@"):
                value = value[1:]
            if value == "-":
                value = ""
            if value.startswith(FORMULA_START):
                self.add(row, column, value, "import.formula", N_("The cell starts like a spreadsheet formula; "
                                                                  "formulas are refused, type the value itself"))
                value = ""
                self.table.flagged.add((row, column))
            clean[column] = value
        return clean

    def code(self, row: int, column: str, value: str, required: bool = True) -> bool:
        if not value:
            if required:
                self.add(row, column, value, "import.required", N_("This column must not be empty"))
            return False
        if len(value) > MAX_CODE or not CODE.match(value):
            self.add(row, column, value, "import.code", N_("A code has at most %(n)s characters: letters, digits "
                                                           "and . _ - / (no spaces)"), n=MAX_CODE)
            return False
        return True

    def text(self, row: int, column: str, value: str, limit: int = MAX_NAME, required: bool = True) -> None:
        if required and not value:
            self.add(row, column, value, "import.required", N_("This column must not be empty"))
        elif len(value) > limit:
            self.add(row, column, value, "import.long", N_("At most %(n)s characters"), n=limit)


def _duplicates(check: _Check, rows: list[tuple[int, str]], column: str, what: Message) -> set[str]:
    counts = Counter(key for _, key in rows if key)
    first: dict[str, int] = {}
    for row, key in rows:
        if counts.get(key, 0) > 1:
            if key in first:
                check.add(row, column, key, "import.duplicate", N_("%(what)s %(key)s appears twice (first in row "
                                                                   "%(first)s)"), what=what, key=key,
                          first=first[key])
            else:
                first[key] = row
    return {k for k, n in counts.items() if n > 1}


def _cycles(parent: dict[str, str]) -> set[str]:
    """The keys that lie on a cycle of ``parent`` links (a key's parent is "" at a root)."""
    on_cycle: set[str] = set()
    state: dict[str, int] = {}  # 1 visiting, 2 done
    for start in parent:
        path: list[str] = []
        node = start
        while node and node in parent and state.get(node) is None:
            state[node] = 1
            path.append(node)
            node = parent[node]
        if node and state.get(node) == 1:
            on_cycle.update(path[path.index(node):])
        for visited in path:
            state[visited] = 2
    return on_cycle


def validate(tables: dict[str, Table], today: date) -> tuple[Organisation, list[Problem]]:
    """Check the three tables; return the clean organisation and every problem found (empty: it may be
    applied)."""
    org = Organisation({}, {}, {})
    problems: list[Problem] = []
    if any(s not in tables or not tables[s].columns for s in SHEETS):
        return org, problems  # the reader has reported the missing sheets or columns
    problems += _units(tables[UNIT], org)
    problems += _positions(tables[JABATAN], org)
    problems += _employees(tables[PEGAWAI], org, today)
    order = {tables[s].name: i for i, s in enumerate(SHEETS)}
    problems.sort(key=lambda p: (order.get(p.sheet, 9), p.row or 0, p.column or ""))
    return org, problems


def _units(table: Table, org: Organisation) -> list[Problem]:
    check = _Check(table)
    keys: list[tuple[int, str]] = []
    rows: list[tuple[int, dict[str, str]]] = []
    for row, raw in table.rows:
        values = check.values(row, raw)
        rows.append((row, values))
        if check.code(row, "kode", values["kode"]):
            keys.append((row, values["kode"]))
        check.text(row, "nama", values["nama"])
        check.code(row, "kode_induk", values["kode_induk"], required=False)
    _duplicates(check, keys, "kode", Message("import.what", N_("Unit code")))
    for row, values in rows:
        code = values["kode"]
        if code and code not in org.units:  # the first of duplicates, which are reported
            org.units[code] = UnitRow(code, values["nama"], values["kode_induk"], row)
    for unit in org.units.values():
        if unit.parent and unit.parent not in org.units:
            check.add(unit.row, "kode_induk", unit.parent, "import.unknown_unit",
                      N_("Unknown unit code %(code)s: it is not in the unit sheet"), code=unit.parent)
    for code in sorted(_cycles({u.code: u.parent for u in org.units.values()}), key=lambda c: org.units[c].row):
        unit = org.units[code]
        check.add(unit.row, "kode_induk", unit.parent, "import.unit_cycle",
                  N_("The unit tree has a cycle: unit %(code)s lies below itself"), code=code)
    return check.problems


def _positions(table: Table, org: Organisation) -> list[Problem]:
    check = _Check(table)
    keys: list[tuple[int, str]] = []
    for row, raw in table.rows:
        values = check.values(row, raw)
        code = values["kode"]
        if check.code(row, "kode", code):
            keys.append((row, code))
        check.text(row, "nama", values["nama"])
        kind = KINDS.get(" ".join(values["jenis"].lower().split()), "")
        if not kind:
            check.add(row, "jenis", values["jenis"], "import.kind",
                      N_("Unknown kind of position; use one of: %(kinds)s"), kinds=", ".join(KINDS.values()))
        jenjang = " ".join(values.get("jenjang", "").split())
        if kind == "Fungsional":
            match = [j for j in JENJANG_FUNGSIONAL if j.lower() == jenjang.lower()]
            if not match:
                check.add(row, "jenjang", jenjang, "import.jenjang",
                          N_("A Fungsional position needs its jenjang: one of %(levels)s"),
                          levels=", ".join(JENJANG_FUNGSIONAL))
            jenjang = match[0] if match else jenjang
        elif kind:
            jenjang = kind
        check.code(row, "kode_unit", values["kode_unit"])
        if values["kode_unit"] and values["kode_unit"] not in org.units:
            check.add(row, "kode_unit", values["kode_unit"], "import.unknown_unit",
                      N_("Unknown unit code %(code)s: it is not in the unit sheet"), code=values["kode_unit"])
        check.code(row, "kode_atasan", values["kode_atasan"], required=False)
        if code and code not in org.positions:
            org.positions[code] = PositionRow(code, values["nama"], kind, jenjang, values["kode_unit"],
                                              values["kode_atasan"], row)
    _duplicates(check, keys, "kode", Message("import.what", N_("Position code")))
    roots = []
    for position in org.positions.values():
        if not position.superior:
            roots.append(position)
        elif position.superior not in org.positions:
            check.add(position.row, "kode_atasan", position.superior, "import.unknown_position",
                      N_("Unknown position code %(code)s: it is not in the jabatan sheet"), code=position.superior)
    for code in sorted(_cycles({p.code: p.superior for p in org.positions.values()}),
                       key=lambda c: org.positions[c].row):
        position = org.positions[code]
        check.add(position.row, "kode_atasan", position.superior, "import.position_cycle",
                  N_("The superior positions form a cycle: position %(code)s is its own superior's superior"),
                  code=code)
    if len(roots) > 1:
        codes = ", ".join(p.code for p in roots[:10]) + (" …" if len(roots) > 10 else "")
        for position in roots:
            check.add(position.row, "kode_atasan", "", "import.heads",
                      N_("%(n)s positions have no superior (%(codes)s); only the head of the agency may have none"),
                      n=len(roots), codes=codes)
    return check.problems


def _employees(table: Table, org: Organisation, today: date) -> list[Problem]:
    check = _Check(table)
    keys: list[tuple[int, str]] = []
    holders: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for row, raw in table.rows:
        values = check.values(row, raw)
        nip = values["nip"].replace(" ", "")
        status = values.get("status", "").upper()
        if status and status not in STATUSES:
            check.add(row, "status", values["status"], "import.status", N_("The status is PNS or PPPK"))
            status = ""
        parsed = None
        if not nip:
            check.add(row, "nip", nip, "import.required", N_("This column must not be empty"))
        else:
            keys.append((row, nip))
            parsed = check_nip(nip, today, {"PNS": False, "PPPK": True}.get(status))
            if not isinstance(parsed, Nip):
                check.add(row, "nip", nip, f"import.nip_{parsed.code}", _NIP_TEXT[parsed.code], part=parsed.part)
                parsed = None
        if not status and isinstance(parsed, Nip):
            status = "PPPK" if parsed.tmt_month == PPPK_MONTH else "PNS"
        check.text(row, "nama", values["nama"])
        aktif = " ".join(values.get("aktif", "").lower().split())
        active = True
        if aktif in NO:
            active = False
        elif aktif and aktif not in YES:
            check.add(row, "aktif", values["aktif"], "import.active", N_("Write ya or tidak (empty means ya)"))
        position = values["kode_jabatan"]
        if active or position:
            check.code(row, "kode_jabatan", position)
            if position and position not in org.positions and (row, "kode_jabatan") not in table.flagged:
                check.add(row, "kode_jabatan", position, "import.unknown_position",
                          N_("Unknown position code %(code)s: it is not in the jabatan sheet"), code=position)
        email = values.get("email", "")
        if email and (len(email) > MAX_NAME or not EMAIL.match(email)):
            check.add(row, "email", email, "import.email", N_("This is not an e-mail address"))
        check.text(row, "pangkat_golongan", values.get("pangkat_golongan", ""), MAX_SHORT, required=False)
        if nip and nip not in org.employees:
            org.employees[nip] = EmployeeRow(nip, values["nama"], position, email, values.get("pangkat_golongan", ""),
                                             status, active, row)
            if active and position in org.positions:
                holders[position].append((row, nip))
    _duplicates(check, keys, "nip", Message("import.what", "NIP"))
    for code, people in holders.items():
        held = org.positions[code]
        if held.kind in SINGLE_HOLDER and len(people) > 1:
            for row, _nip in people[1:]:
                check.add(row, "kode_jabatan", code, "import.two_holders",
                          N_("Position %(code)s (%(kind)s) has one holder, and NIP %(other)s (row %(row)s) holds it "
                             "already"), code=code, kind=held.kind, other=people[0][1], row=people[0][0])
    return check.problems


_NIP_TEXT = {
    "length": N_("A NIP has 18 digits"),
    "digits": N_("A NIP has only the digits 0-9"),
    "birth_date": N_("The first 8 digits (%(part)s) are not a plausible birth date (yyyymmdd)"),
    "tmt": N_("Digits 9-14 (%(part)s) are not a plausible TMT CPNS (yyyymm; PPPK: the year and 21)"),
    "tmt_age": N_("Digits 9-14 (%(part)s) put the TMT CPNS before the person's 17th birthday"),
    "sex": N_("Digit 15 (%(part)s) is 1 (man) or 2 (woman)"),
    "sequence": N_("The last 3 digits (%(part)s) are a sequence number from 001"),
}
