"""Score an SKP under Perka BKN 1/2013 (regime A: until 2020 and January-June 2021).

Each kegiatan has targets and realisations on kuantitas, kualitas, waktu and optionally biaya.
Nilai prestasi kerja = 60% nilai SKP + 40% nilai perilaku; predikat bands come from the DMN table
`predikat_band_regime_a`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from processes.rules import dmn_tables
from processes.rules.errors import RuleInputError
from processes.rules.rounding import HUNDRED, MAKSIMUM_HASIL, round2, to_decimal

#: 1.76 makes RW = 0.76 x TW score exactly 100 (Perka BKN 1/2013 formula).
_FAKTOR_WAKTU = Decimal("1.76")
_BATAS_EFISIENSI = Decimal(24)
_BOBOT_SKP = Decimal("0.6")
_BOBOT_PERILAKU = Decimal("0.4")

PERILAKU_ASPEK = ("orientasi_pelayanan", "integritas", "komitmen", "disiplin", "kerja_sama")
KEPEMIMPINAN = "kepemimpinan"


@dataclass(frozen=True)
class PengaturanRegimeA:
    """Hold the agency-adjustable points; defaults are as reported, amounts unconfirmed [?]."""

    #: (minimum number of tugas tambahan, points), ascending.
    poin_tugas_tambahan: tuple[tuple[int, Decimal], ...] = (
        (1, Decimal(1)), (4, Decimal(2)), (7, Decimal(3)),
    )
    #: kreativitas level -> points.
    poin_kreativitas: tuple[tuple[str, Decimal], ...] = (
        ("unit", Decimal(3)), ("organisasi", Decimal(6)), ("nasional", Decimal(12)),
    )


@dataclass(frozen=True)
class Kegiatan:
    """Targets (T*) and realisations (R*) of one kegiatan; biaya is optional."""

    nama: str
    target_kuantitas: Decimal
    realisasi_kuantitas: Decimal
    target_waktu: Decimal
    realisasi_waktu: Decimal
    realisasi_kualitas: Decimal
    target_kualitas: Decimal = HUNDRED
    target_biaya: Decimal | None = None
    realisasi_biaya: Decimal | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "kegiatan") -> Kegiatan:
        """Build and validate a kegiatan from workflow data, naming fields as `where.key`."""
        if not isinstance(data, Mapping):
            raise RuleInputError(where, "must be an object with targets and realisations")

        def required(key: str, default: Decimal | None = None) -> Decimal:
            if data.get(key) is None:
                if default is not None:
                    return default
                raise RuleInputError(f"{where}.{key}", "is required")
            return to_decimal(data[key], f"{where}.{key}")

        def optional(key: str) -> Decimal | None:
            return None if data.get(key) is None else to_decimal(data[key], f"{where}.{key}")

        kegiatan = cls(
            nama=str(data.get("nama", "")),
            target_kuantitas=required("target_kuantitas"),
            realisasi_kuantitas=required("realisasi_kuantitas"),
            target_kualitas=required("target_kualitas", HUNDRED),
            realisasi_kualitas=required("realisasi_kualitas"),
            target_waktu=required("target_waktu"),
            realisasi_waktu=required("realisasi_waktu"),
            target_biaya=optional("target_biaya"),
            realisasi_biaya=optional("realisasi_biaya"),
        )
        kegiatan.validate(where)
        return kegiatan

    def validate(self, where: str = "kegiatan") -> None:
        """Reject targets and realisations that cannot be scored."""
        for name in ("target_kuantitas", "realisasi_kuantitas", "target_kualitas", "realisasi_kualitas",
                     "target_waktu", "realisasi_waktu", "target_biaya", "realisasi_biaya"):
            value = getattr(self, name)
            if value is not None or not name.endswith("_biaya"):
                to_decimal(value, f"{where}.{name}", minimum=0)  # a number, of a size the rules can score
        if self.target_kuantitas == 0 and self.realisasi_kuantitas > 0:
            raise RuleInputError(f"{where}.realisasi_kuantitas", "realisation without a target (target is 0)")
        if self.target_kuantitas > 0:
            for name in ("target_kualitas", "target_waktu"):
                if getattr(self, name) == 0:
                    raise RuleInputError(f"{where}.{name}", "must be greater than 0")
        if self.realisasi_kuantitas > 0 and self.realisasi_waktu == 0:
            # Output takes time: 0 would silently score waktu 0 (efisiensi 100%), hiding a typing error.
            raise RuleInputError(f"{where}.realisasi_waktu", "must be greater than 0 when output was produced "
                                 f"(realisasi_kuantitas is {self.realisasi_kuantitas})")
        if self.target_biaya is None:
            if self.realisasi_biaya is not None:
                raise RuleInputError(f"{where}.realisasi_biaya",
                                     "realisation without a target (no target_biaya)")
            return
        if self.target_biaya <= 0:
            raise RuleInputError(f"{where}.target_biaya",
                                 f"must be greater than 0, got {self.target_biaya}; "
                                 "omit it when there is no cost")
        if self.realisasi_biaya is None:
            raise RuleInputError(f"{where}.realisasi_biaya", "is required when target_biaya is set")


@dataclass(frozen=True)
class NilaiKegiatan:
    """Aspect scores and nilai capaian of one kegiatan (all rounded to two decimals)."""

    nama: str
    kuantitas: Decimal
    kualitas: Decimal
    waktu: Decimal
    biaya: Decimal | None
    penghitungan: Decimal
    nilai_capaian: Decimal
    dihitung: bool  # False for a kegiatan with target 0: left out of the SKP mean


@dataclass(frozen=True)
class HasilRegimeA:
    """Everything regime A reports for one SKP."""

    kegiatan: tuple[NilaiKegiatan, ...]
    rata_rata_capaian: Decimal
    poin_tugas_tambahan: Decimal
    poin_kreativitas: Decimal
    nilai_skp: Decimal
    predikat_skp: str
    nilai_perilaku: Decimal
    predikat_perilaku: str
    nilai_prestasi_kerja: Decimal
    predikat: str
    versi_tabel: str
    perilaku: dict[str, Decimal] = field(default_factory=dict)


def _target_realisasi(target: Decimal, realisasi: Decimal) -> tuple[Decimal, Decimal]:
    return to_decimal(target, "target", positive=True), to_decimal(realisasi, "realisasi", minimum=0)


def nilai_rasio(target: Decimal, realisasi: Decimal) -> Decimal:
    """Score a higher-is-better aspect (kuantitas, kualitas): R / T x 100."""
    target, realisasi = _target_realisasi(target, realisasi)
    return round2(realisasi / target * HUNDRED)


def efisiensi(target: Decimal, realisasi: Decimal) -> Decimal:
    """Return efisiensi = 100 - (R / T x 100), unrounded because it only picks the branch."""
    target, realisasi = _target_realisasi(target, realisasi)
    return HUNDRED - realisasi / target * HUNDRED


def nilai_efisiensi(target: Decimal, realisasi: Decimal) -> Decimal:
    """Score waktu or biaya, penalising an efisiensi above 24% as the regulation does."""
    target, realisasi = _target_realisasi(target, realisasi)
    dasar = (_FAKTOR_WAKTU * target - realisasi) / target * HUNDRED
    if efisiensi(target, realisasi) <= _BATAS_EFISIENSI:
        return round2(dasar)
    return round2(76 - (dasar - HUNDRED))


def nilai_kegiatan(kegiatan: Kegiatan) -> NilaiKegiatan:
    """Score one kegiatan: each aspect, their sum, and the mean over the aspects used."""
    if not isinstance(kegiatan, Kegiatan):
        raise RuleInputError("kegiatan", f"must be a Kegiatan, got {type(kegiatan).__name__}")
    kegiatan.validate()
    aspek_count = 3 if kegiatan.target_biaya is None else 4
    if kegiatan.realisasi_kuantitas == 0:  # also every kegiatan with target 0 (validate() allows no realisation)
        nol = Decimal("0.00")
        return NilaiKegiatan(kegiatan.nama, nol, nol, nol, None if aspek_count == 3 else nol, nol, nol,
                             dihitung=kegiatan.target_kuantitas > 0)
    kuantitas = nilai_rasio(kegiatan.target_kuantitas, kegiatan.realisasi_kuantitas)
    kualitas = nilai_rasio(kegiatan.target_kualitas, kegiatan.realisasi_kualitas)
    waktu = nilai_efisiensi(kegiatan.target_waktu, kegiatan.realisasi_waktu)
    biaya = None
    if kegiatan.target_biaya is not None and kegiatan.realisasi_biaya is not None:
        biaya = nilai_efisiensi(kegiatan.target_biaya, kegiatan.realisasi_biaya)
    penghitungan = kuantitas + kualitas + waktu + (biaya or 0)
    return NilaiKegiatan(kegiatan.nama, kuantitas, kualitas, waktu, biaya, penghitungan,
                         round2(penghitungan / aspek_count), dihitung=True)


def poin_tugas_tambahan(jumlah: int, pengaturan: PengaturanRegimeA = PengaturanRegimeA()) -> Decimal:
    """Return the points for the number of tugas tambahan (0 for none)."""
    if isinstance(jumlah, bool) or not isinstance(jumlah, int) or jumlah < 0:
        raise RuleInputError("tugas_tambahan", f"must be a whole number of tasks >= 0, got {jumlah!r}")
    poin = Decimal(0)
    for minimum, nilai in pengaturan.poin_tugas_tambahan:
        if jumlah >= minimum:
            poin = nilai
    return poin


def poin_kreativitas(tingkat: str | None, pengaturan: PengaturanRegimeA = PengaturanRegimeA()) -> Decimal:
    """Return the points for a kreativitas at the given level (None for no kreativitas)."""
    if tingkat is None or tingkat == "":
        return Decimal(0)
    table = dict(pengaturan.poin_kreativitas)
    if tingkat not in table:
        raise RuleInputError("kreativitas", f"unknown level {tingkat!r}; expected one of {', '.join(table)}")
    return table[tingkat]


def nilai_perilaku(perilaku: Mapping[str, Any], struktural: bool) -> tuple[Decimal, dict[str, Decimal]]:
    """Average the perilaku aspects that apply; kepemimpinan only for structural positions."""
    if not isinstance(perilaku, Mapping):
        raise RuleInputError("perilaku", "must be an object of aspect scores")
    aspek = PERILAKU_ASPEK + ((KEPEMIMPINAN,) if struktural else ())
    unknown = sorted(set(perilaku) - set(aspek))
    if unknown:
        problem = (f"unknown aspect(s) {', '.join(unknown)}" if unknown != [KEPEMIMPINAN]
                   else "kepemimpinan is only scored for structural positions (struktural is false)")
        raise RuleInputError("perilaku", problem)
    scores = {}
    for name in aspek:
        if perilaku.get(name) is None:
            raise RuleInputError(f"perilaku.{name}", "is required")
        score = to_decimal(perilaku[name], f"perilaku.{name}", minimum=0)
        if score > HUNDRED:
            raise RuleInputError(f"perilaku.{name}", f"must be at most 100, got {score}")
        scores[name] = score
    return round2(sum(scores.values(), Decimal(0)) / len(scores)), scores


def predikat_regime_a(nilai: Decimal, table: dmn_tables.DecisionTable | None = None) -> str:
    """Return the Perka BKN 1/2013 predikat for a nilai (DMN `predikat_band_regime_a`).

    A nilai is never negative; above 100 it is possible (output above target, tugas tambahan and kreativitas
    points) and, like "91 ke atas", Sangat Baik.
    """
    nilai = to_decimal(nilai, "nilai", minimum=0, limit=MAKSIMUM_HASIL)
    table = table or dmn_tables.load_table("predikat_band_regime_a")
    return str(dmn_tables.decide(table, {"nilai": round2(nilai)})["predikat"])


def nilai_prestasi_kerja(
    kegiatan: Sequence[Kegiatan],
    perilaku: Mapping[str, Any],
    struktural: bool,
    tugas_tambahan: int = 0,
    kreativitas: str | None = None,
    pengaturan: PengaturanRegimeA = PengaturanRegimeA(),
    table: dmn_tables.DecisionTable | None = None,
) -> HasilRegimeA:
    """Score a whole regime-A SKP: nilai SKP, nilai perilaku, 60/40 nilai prestasi kerja, predikat."""
    if isinstance(kegiatan, str) or not isinstance(kegiatan, Sequence) or not kegiatan:
        raise RuleInputError("kegiatan", "at least one kegiatan is required")
    hasil = tuple(nilai_kegiatan(k) for k in kegiatan)
    dihitung = [h.nilai_capaian for h in hasil if h.dihitung]
    if not dihitung:
        raise RuleInputError("kegiatan", "no kegiatan has a target_kuantitas greater than 0")
    rata = round2(sum(dihitung, Decimal(0)) / len(dihitung))
    tambahan = poin_tugas_tambahan(tugas_tambahan, pengaturan)
    kreatif = poin_kreativitas(kreativitas, pengaturan)
    nilai_skp = rata + tambahan + kreatif
    if nilai_skp < 0:
        # Only waktu or biaya far beyond 176% of the target (a negative aspect score) gets here.
        raise RuleInputError("kegiatan", f"nilai SKP would be negative ({nilai_skp}): check realisasi_waktu "
                             "and realisasi_biaya against their targets")
    perilaku_nilai, perilaku_aspek = nilai_perilaku(perilaku, struktural)
    npk = round2(_BOBOT_SKP * nilai_skp + _BOBOT_PERILAKU * perilaku_nilai)
    table = table or dmn_tables.load_table("predikat_band_regime_a")
    return HasilRegimeA(
        kegiatan=hasil,
        rata_rata_capaian=rata,
        poin_tugas_tambahan=tambahan,
        poin_kreativitas=kreatif,
        nilai_skp=nilai_skp,
        predikat_skp=predikat_regime_a(nilai_skp, table),
        nilai_perilaku=perilaku_nilai,
        predikat_perilaku=predikat_regime_a(perilaku_nilai, table),
        nilai_prestasi_kerja=npk,
        predikat=predikat_regime_a(npk, table),
        versi_tabel=table.version,
        perilaku=perilaku_aspek,
    )
