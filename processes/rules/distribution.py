"""Check a unit's staff predikat against the distribution curve set by the unit's own predikat.

PermenPANRB 6/2022 as reported [?]: the constraints live in DMN `kurva_distribusi` (COLLECT),
one row per constraint. Rounding rule for small units (documented in docs/rules.md):

- "paling banyak p%" allows floor(n x p / 100) people, but a positive p never allows fewer than
  one person (so one person in an Istimewa unit may be Sangat Baik); p = 0 allows nobody.
- "paling sedikit p%" requires ceil(n x p / 100) people, and at least `minimal_orang`.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from processes.rules import dmn_tables
from processes.rules.errors import DmnTableError, RuleInputError
from processes.rules.predikat import PREDIKAT_6_2022, PREDIKAT_UNIT, require_label

PALING_BANYAK = "paling_banyak"
PALING_SEDIKIT = "paling_sedikit"


@dataclass(frozen=True)
class Batasan:
    """One constraint of the curve for a unit predikat."""

    batasan: str
    jenis: str
    predikat: tuple[str, ...]
    persen: Decimal
    minimal_orang: int

    def batas_orang(self, jumlah_pegawai: int) -> int:
        """Return the allowed maximum or required minimum number of people for a unit size."""
        share = self.persen * jumlah_pegawai / 100
        if self.jenis == PALING_BANYAK:
            allowed = math.floor(share)
            return max(allowed, 1) if self.persen > 0 else 0
        return min(max(math.ceil(share), self.minimal_orang), jumlah_pegawai)


@dataclass(frozen=True)
class Pelanggaran:
    """A violated constraint: how many people are counted, the limit, and by how many it misses."""

    batasan: str
    jenis: str
    predikat: tuple[str, ...]
    persen: Decimal
    batas_orang: int
    jumlah: int
    selisih: int
    pesan: str
    saran: str
    message: str = ""  # ``pesan`` in English, for pages shown in English



@dataclass(frozen=True)
class HasilKurva:
    """Outcome of the check; `dapat_dipenuhi` is False when the minimums exceed the unit size."""

    ok: bool
    jumlah_pegawai: int
    distribusi: dict[str, int]
    pelanggaran: tuple[Pelanggaran, ...]
    dapat_dipenuhi: bool
    versi_tabel: str


def batasan_kurva(predikat_unit: str, table: dmn_tables.DecisionTable | None = None) -> list[Batasan]:
    """Return the constraints that a unit predikat places on its staff (DMN `kurva_distribusi`)."""
    require_label(predikat_unit, "predikat_unit", PREDIKAT_UNIT)
    table = table or dmn_tables.load_table("kurva_distribusi")
    result = []
    for row in dmn_tables.collect(table, {"predikat_unit": predikat_unit}):
        labels = row["predikat_pegawai"]
        labels = tuple(labels) if isinstance(labels, tuple) else (labels,)
        unknown = [label for label in labels if label not in PREDIKAT_6_2022]
        if row["jenis"] not in (PALING_BANYAK, PALING_SEDIKIT):
            unknown.append(row["jenis"])
        if unknown:
            raise DmnTableError(table.decision_id, f"row {row['batasan']!r} names unknown values {unknown}")
        persen, minimal = _angka(table, row, "persen"), _angka(table, row, "minimal_orang")
        if persen > 100 or minimal != int(minimal):
            raise DmnTableError(table.decision_id, f"row {row['batasan']!r}: persen must be 0 to 100 and "
                                f"minimal_orang a whole number, got {persen} and {minimal}")
        result.append(Batasan(str(row["batasan"]), str(row["jenis"]), labels, persen, int(minimal)))
    return result


def _angka(table: dmn_tables.DecisionTable, row: dict[str, Any], key: str) -> Decimal:
    """Read a number cell of a curve row (an empty cell is 0); anything but a number from 0 up is refused."""
    value = row[key]
    try:
        number = Decimal(str(value or 0))
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or number < 0:
        raise DmnTableError(table.decision_id, f"row {row['batasan']!r}: {key} must be a number from 0 up, "
                            f"got {value!r}")
    return number


def cek_kurva_distribusi(predikat_unit: str, predikat_pegawai: Sequence[str],
                         table: dmn_tables.DecisionTable | None = None) -> HasilKurva:
    """Say which curve constraints the staff predikat violate, by how many people, and the fix."""
    if isinstance(predikat_pegawai, str) or not predikat_pegawai:
        raise RuleInputError("predikat_pegawai", "must be a non-empty list of staff predikat")
    for index, label in enumerate(predikat_pegawai):
        require_label(label, f"predikat_pegawai[{index}]", PREDIKAT_6_2022)
    table = table or dmn_tables.load_table("kurva_distribusi")
    return _cek_jumlah(predikat_unit, Counter(predikat_pegawai), len(predikat_pegawai), table,
                       batasan_kurva(predikat_unit, table))


def _cek_jumlah(predikat_unit: str, counts: Counter[str], n: int, table: dmn_tables.DecisionTable,
                constraints: Sequence[Batasan]) -> HasilKurva:
    """``cek_kurva_distribusi`` from the count of staff per predikat (the labels already checked)."""
    violations = []
    for c in constraints:
        limit = c.batas_orang(n)
        counted = sum(counts[label] for label in c.predikat)
        names = " atau ".join(c.predikat)
        if c.jenis == PALING_BANYAK and counted > limit:
            excess = counted - limit
            violations.append(Pelanggaran(
                c.batasan, c.jenis, c.predikat, c.persen, limit, counted, excess,
                pesan=(f"Unit {predikat_unit}: paling banyak {limit} dari {n} pegawai ({c.persen}%) boleh "
                       f"berpredikat {names}; saat ini {counted}."),
                saran=f"Turunkan predikat {excess} pegawai dari {names}.",
                message=(f"Unit {predikat_unit}: at most {limit} of {n} employees ({c.persen}%) may be rated "
                         f"{' or '.join(c.predikat)}; now {counted}."),
            ))
        elif c.jenis == PALING_SEDIKIT and counted < limit:
            short = limit - counted
            violations.append(Pelanggaran(
                c.batasan, c.jenis, c.predikat, c.persen, limit, counted, short,
                pesan=(f"Unit {predikat_unit}: paling sedikit {limit} dari {n} pegawai harus berpredikat "
                       f"{names}; saat ini {counted}."),
                saran=f"Ubah predikat {short} pegawai lain menjadi {names}.",
                message=(f"Unit {predikat_unit}: at least {limit} of {n} employees must be rated "
                         f"{' or '.join(c.predikat)}; now {counted}."),
            ))
    minimum_needed = sum(c.batas_orang(n) for c in constraints if c.jenis == PALING_SEDIKIT)
    return HasilKurva(
        ok=not violations,
        jumlah_pegawai=n,
        distribusi={label: counts[label] for label in PREDIKAT_6_2022},
        pelanggaran=tuple(violations),
        dapat_dipenuhi=minimum_needed <= n,
        versi_tabel=table.version,
    )


@dataclass(frozen=True)
class Usulan:
    """One employee's proposal as the calibration sees it: who, the proposed predikat, and what ranks them.

    ``peringkat`` orders employees within a predikat (higher is stronger: e.g. the work-results and behaviour
    ratings); ``kunci`` is a stable tie-break that has nothing to do with when the proposal was made (NIP, id)."""

    pegawai: Any
    predikat: str
    peringkat: tuple[int, ...]
    kunci: tuple[Any, ...]


def saran_kalibrasi(predikat_unit: str, usulan: Sequence[Usulan],
                    table: dmn_tables.DecisionTable | None = None) -> tuple[dict[Any, str], HasilKurva]:
    """Suggest which employees' predikat move so that the unit fits its curve, deterministically.

    The same proposals give the same suggestion whatever order they are listed (or were submitted) in:
    while a constraint is broken, the first broken one (in the table's order) is fixed one person at a time.
    *At most* too many: the weakest holder of those labels (lowest ``peringkat``, then ``kunci``) moves one step
    down to the next label outside them. *At least* too few: the weakest employee above those labels moves down
    to the best of them (or, with nobody above, the strongest below moves up to the lowest of them). Nobody moves
    twice. Returns the suggested predikat of every employee who moves, and the check of the suggested
    distribution (it may still be broken when the curve cannot be met; then HR decides).
    """
    table = table or dmn_tables.load_table("kurva_distribusi")
    order = {label: i for i, label in enumerate(PREDIKAT_6_2022)}
    for u in usulan:
        require_label(u.predikat, "predikat", PREDIKAT_6_2022)
    constraints = batasan_kurva(predikat_unit, table)
    # Weakest first: the lowest predikat, then the lowest ranking, then the tie-break.
    people = sorted(usulan, key=lambda u: (-order[u.predikat], u.peringkat, u.kunci))
    # Nobody moves twice, so whoever has not moved still holds their proposal: per proposed predikat, those not
    # moved yet, weakest first. The weakest free holder of a label is the front of its queue, the strongest its
    # back, and the first free person of a set of labels in ``people``'s order is the front of the weakest of
    # those labels that has anyone left. Each move is a few steps, not a pass over the unit.
    free: dict[str, deque[Usulan]] = {label: deque() for label in PREDIKAT_6_2022}
    for u in people:
        free[u.predikat].append(u)
    counts: Counter[str] = Counter(u.predikat for u in people)
    moved: dict[Any, str] = {}
    hasil = _cek_jumlah(predikat_unit, counts, len(people), table, constraints)
    for _ in range(len(people) * len(PREDIKAT_6_2022)):
        if hasil.ok:
            break
        v = hasil.pelanggaran[0]
        target: tuple[Usulan, str] | None = None
        if v.jenis == PALING_BANYAK:
            lower = [label for label in PREDIKAT_6_2022 if label not in v.predikat]
            for label in sorted(v.predikat, key=order.__getitem__, reverse=True):  # the weakest label first
                below = [other for other in lower if order[other] > order[label]]
                if free[label] and below:
                    target = (free[label].popleft(), below[0])
                    break
        else:
            best = min(v.predikat, key=order.__getitem__)
            worst = max(v.predikat, key=order.__getitem__)
            above = [label for label in PREDIKAT_6_2022 if order[label] < order[best] and free[label]]
            under = [label for label in PREDIKAT_6_2022 if order[label] > order[worst] and free[label]]
            if above:  # the weakest person above the labels: the weakest such label's weakest holder
                target = (free[max(above, key=order.__getitem__)].popleft(), best)
            elif under:  # the strongest person below them: the strongest such label's strongest holder
                target = (free[min(under, key=order.__getitem__)].pop(), worst)
        if target is None:
            break
        who, label = target
        counts[who.predikat] -= 1
        counts[label] += 1
        moved[who.pegawai] = label
        hasil = _cek_jumlah(predikat_unit, counts, len(people), table, constraints)
    return moved, hasil
