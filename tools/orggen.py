"""Generate a plausible agency in the import's format (tests and ``smk bench import``): a head, deputies,
bureaus, divisions and sub-divisions with their JPT, Administrator and Pengawas holders, and staff positions
(Pelaksana and Fungsional, several holders each) under every Pengawas. Every NIP is valid and unique."""

from __future__ import annotations

import random

from processes.orgimport import JABATAN, PEGAWAI, SHEETS, UNIT, xlsx_bytes
from processes.orgimport.reader import COLUMNS
from processes.orgimport.workbook import TEXT_COLUMNS

Rows = dict[str, list[list[str]]]
FIRST = ["Budi", "Siti", "Agus", "Dewi", "Eko", "Fitri", "Hendra", "Indah", "Joko", "Kartini", "Lukman", "Maya",
         "Nur", "Oki", "Putri", "Rudi", "Sri", "Taufik", "Umi", "Wahyu", "Yanti", "Zainal", "Andi", "Citra"]
LAST = ["Santoso", "Lestari", "Setiawan", "Prasetyo", "Handayani", "Gunawan", "Permatasari", "Saputra", "Rahayu",
        "Hakim", "Anggraini", "Hidayat", "Firmansyah", "Wulandari", "Hermawan", "Astuti", "Kalsum", "Nugroho"]
PANGKAT = ["Pengatur (II/c)", "Penata Muda (III/a)", "Penata Muda Tk. I (III/b)", "Penata (III/c)",
           "Penata Tk. I (III/d)", "Pembina (IV/a)"]


class _Nips:
    def __init__(self, rnd: random.Random) -> None:
        self.rnd, self.seen = rnd, set[str]()

    def new(self, pppk: bool = False) -> str:
        while True:
            year = self.rnd.randint(1965, 1998)
            birth = f"{year}{self.rnd.randint(1, 12):02d}{self.rnd.randint(1, 28):02d}"
            tmt_year = min(year + self.rnd.randint(22, 30), 2025)
            tmt = f"{tmt_year}21" if pppk else f"{tmt_year}{self.rnd.randint(1, 12):02d}"
            nip = f"{birth}{tmt}{self.rnd.randint(1, 2)}{self.rnd.randint(1, 999):03d}"
            if nip not in self.seen:
                self.seen.add(nip)
                return nip


def generate(employees: int, seed: int = 1) -> Rows:
    """Return the rows (without headers) of an agency with about ``employees`` people."""
    rnd = random.Random(seed)
    nips = _Nips(rnd)
    deputies = max(2, employees // 2500)
    bureaus, divisions, subdivisions = (2, 3, 2) if employees < 2000 else (4, 4, 3)
    units: list[list[str]] = [["U", "Badan Contoh Nasional", ""]]
    positions: list[list[str]] = [["P-U", "Kepala Badan", "JPT Utama", "", "U", ""]]
    staff_positions: list[str] = []
    structural: list[tuple[str, str]] = [("P-U", "")]
    for d in range(1, deputies + 1):
        du = f"U{d}"
        units.append([du, f"Deputi Bidang {d}", "U"])
        positions.append([f"P-{du}", f"Deputi Bidang {d}", "JPT Madya", "", du, "P-U"])
        structural.append((f"P-{du}", ""))
        for b in range(1, bureaus + 1):
            bu = f"{du}-{b}"
            units.append([bu, f"Biro {d}.{b}", du])
            positions.append([f"P-{bu}", f"Kepala Biro {d}.{b}", "JPT Pratama", "", bu, f"P-{du}"])
            structural.append((f"P-{bu}", ""))
            for v in range(1, divisions + 1):
                vu = f"{bu}-{v}"
                units.append([vu, f"Bagian {d}.{b}.{v}", bu])
                positions.append([f"P-{vu}", f"Kepala Bagian {d}.{b}.{v}", "Administrator", "", vu, f"P-{bu}"])
                structural.append((f"P-{vu}", ""))
                for s in range(1, subdivisions + 1):
                    su = f"{vu}-{s}"
                    units.append([su, f"Subbagian {d}.{b}.{v}.{s}", vu])
                    positions.append([f"P-{su}", f"Kepala Subbagian {d}.{b}.{v}.{s}", "Pengawas", "", su, f"P-{vu}"])
                    structural.append((f"P-{su}", ""))
                    positions.append([f"P-{su}-A", f"Analis {d}.{b}.{v}.{s}", "Fungsional",
                                      rnd.choice(["Ahli Pertama", "Ahli Muda"]), su, f"P-{su}"])
                    positions.append([f"P-{su}-B", f"Pengolah Data {d}.{b}.{v}.{s}", "Pelaksana", "", su, f"P-{su}"])
                    staff_positions += [f"P-{su}-A", f"P-{su}-B"]
    people: list[list[str]] = []

    def person(position: str, pppk: bool = False) -> None:
        nip = nips.new(pppk)
        name = f"{rnd.choice(FIRST)} {rnd.choice(LAST)} {len(people) + 1}"
        email = f"p{len(people) + 1}@contoh.go.id" if rnd.random() < 0.7 else ""
        people.append([nip, name, position, email, "IX" if pppk else rnd.choice(PANGKAT),
                       "PPPK" if pppk else "PNS", "ya"])

    for code, _ in structural:
        person(code)
    for i in range(max(0, employees - len(structural))):
        person(staff_positions[i % len(staff_positions)], pppk=rnd.random() < 0.05)
    return {UNIT: units, JABATAN: positions, PEGAWAI: people}


def workbook(rows: Rows) -> bytes:
    """The rows as an import workbook (headers added)."""
    return xlsx_bytes([(s, [[c for c, _ in COLUMNS[s]]] + rows[s]) for s in SHEETS], TEXT_COLUMNS)


def holder(rows: Rows, position: str) -> list[str]:
    """The row of the (first active) holder of ``position``."""
    return next(p for p in rows[PEGAWAI] if p[2] == position and p[6] == "ya")


def copy(rows: Rows) -> Rows:
    return {s: [list(r) for r in rows[s]] for s in SHEETS}


def new_nip(rows: Rows, seed: int, pppk: bool = False) -> str:
    """A valid NIP not in ``rows``."""
    nips = _Nips(random.Random(seed))
    nips.seen.update(p[0] for p in rows[PEGAWAI])
    return nips.new(pppk)


__all__ = ["generate", "workbook", "holder", "copy", "new_nip"]
