"""Score an SKP under PP 30/2019 with PermenPANRB 8/2021 (regime B: July-December 2021).

Capaian IKI -> nilai capaian IKI (DMN `nilai_capaian_iki`) -> nilai kinerja utama, plus capped
kinerja tambahan -> nilai SKP, combined with nilai perilaku 70/30 or 60/40 (an agency setting),
then predikat (DMN `predikat_band_regime_b`, Sangat Baik only with an innovation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from processes.rules import dmn_tables
from processes.rules.errors import RuleInputError
from processes.rules.predikat import PREDIKAT_REGIME_B, require_label
from processes.rules.rounding import HUNDRED, MAKSIMUM_HASIL, round2, to_decimal

LEBIH_TINGGI = "lebih_tinggi"  # higher realisation is better (output, coverage, ...)
LEBIH_RENDAH = "lebih_rendah"  # lower realisation is better (time, cost, complaints, ...)
ARAH = (LEBIH_TINGGI, LEBIH_RENDAH)

PERILAKU_ASPEK = ("orientasi_pelayanan", "komitmen", "inisiatif_kerja", "kerja_sama")
KEPEMIMPINAN = "kepemimpinan"
NILAI_MAKSIMUM = Decimal(120)


@dataclass(frozen=True)
class PengaturanRegimeB:
    """Hold the agency settings of regime B."""

    #: True when perilaku uses peer and subordinate input (360°): 60/40, else 70/30 (PP 30/2019).
    pakai_360: bool = False
    batas_kinerja_tambahan: Decimal = Decimal(10)
    #: predikat of a kinerja tambahan item -> factor in percent [R].
    faktor_tambahan: tuple[tuple[str, Decimal], ...] = (
        ("Sangat Baik", Decimal(100)), ("Baik", Decimal(80)), ("Cukup", Decimal(60)),
        ("Kurang", Decimal(40)), ("Sangat Kurang", Decimal(20)),
    )

    @property
    def bobot_skp(self) -> Decimal:
        """Return the weight of nilai SKP in nilai kinerja."""
        return Decimal("0.6") if self.pakai_360 else Decimal("0.7")


@dataclass(frozen=True)
class Indikator:
    """One IKI: realisation against a target or a target range [target_min, target_max]."""

    nama: str
    realisasi: Decimal
    target_min: Decimal
    target_max: Decimal
    arah: str = LEBIH_TINGGI
    bobot: Decimal | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "indikator") -> Indikator:
        """Build and validate an IKI from workflow data ("target", or "target_min" and "target_max")."""
        if not isinstance(data, Mapping):
            raise RuleInputError(where, "must be an object with target and realisasi")
        has_target = data.get("target") is not None
        has_range = data.get("target_min") is not None or data.get("target_max") is not None
        if data.get("realisasi") is not None and not (has_target or has_range):
            raise RuleInputError(f"{where}.realisasi", "realisation without a target")
        if has_target and has_range:
            raise RuleInputError(f"{where}.target", "give either target or target_min/target_max, not both")
        if has_target:
            low = high = to_decimal(data["target"], f"{where}.target")
        elif has_range:
            for key in ("target_min", "target_max"):
                if data.get(key) is None:
                    raise RuleInputError(f"{where}.{key}", "is required for a target range")
            low = to_decimal(data["target_min"], f"{where}.target_min")
            high = to_decimal(data["target_max"], f"{where}.target_max")
        else:
            raise RuleInputError(f"{where}.target", "is required")
        if data.get("realisasi") is None:
            raise RuleInputError(f"{where}.realisasi", "is required")
        bobot = data.get("bobot")
        indikator = cls(
            nama=str(data.get("nama", "")),
            realisasi=to_decimal(data["realisasi"], f"{where}.realisasi"),
            target_min=low,
            target_max=high,
            arah=require_label(data.get("arah", LEBIH_TINGGI), f"{where}.arah", ARAH),
            bobot=None if bobot is None else to_decimal(bobot, f"{where}.bobot"),  # validate() checks the range
        )
        indikator.validate(where)
        return indikator

    def validate(self, where: str = "indikator") -> None:
        """Reject targets and realisations that cannot be scored."""
        single = self.target_min == self.target_max
        to_decimal(self.target_min, f"{where}.{'target' if single else 'target_min'}", positive=True)
        to_decimal(self.target_max, f"{where}.target_max", positive=True)
        if self.target_max < self.target_min:
            raise RuleInputError(f"{where}.target_max",
                                 f"must not be below target_min ({self.target_max} < {self.target_min})")
        to_decimal(self.realisasi, f"{where}.realisasi", minimum=0)
        if self.bobot is not None:
            to_decimal(self.bobot, f"{where}.bobot", minimum=0)
        require_label(self.arah, f"{where}.arah", ARAH)


@dataclass(frozen=True)
class KinerjaTambahan:
    """One additional result: its predikat and its bobot (points before the factor)."""

    predikat: str
    bobot: Decimal


@dataclass(frozen=True)
class NilaiIndikator:
    """Capaian and nilai capaian of one IKI."""

    nama: str
    capaian: Decimal
    nilai_capaian: Decimal
    kategori: str


@dataclass(frozen=True)
class HasilRegimeB:
    """Everything regime B reports for one SKP."""

    indikator: tuple[NilaiIndikator, ...]
    nilai_kinerja_utama: Decimal
    nilai_kinerja_tambahan: Decimal
    nilai_skp: Decimal
    nilai_perilaku: Decimal
    bobot_skp: Decimal
    nilai_kinerja: Decimal
    predikat: str
    versi_tabel: tuple[str, ...]


def capaian_iki(indikator: Indikator) -> Decimal:
    """Return capaian in percent; a range counts as met inside it and uses the nearer bound outside."""
    if not isinstance(indikator, Indikator):
        raise RuleInputError("indikator", f"must be an Indikator, got {type(indikator).__name__}")
    indikator.validate()
    if indikator.target_min <= indikator.realisasi <= indikator.target_max:
        if indikator.target_min != indikator.target_max:
            return Decimal("100.00")
    acuan = indikator.target_max if indikator.realisasi > indikator.target_max else indikator.target_min
    rasio = indikator.realisasi / acuan
    capaian = rasio * HUNDRED if indikator.arah == LEBIH_TINGGI else (1 + (1 - rasio)) * HUNDRED
    # A realisation more than twice a lower-is-better target would give a negative percent.
    return max(round2(capaian), Decimal("0.00"))


def nilai_capaian_iki(capaian: Decimal, table: dmn_tables.DecisionTable | None = None) -> tuple[Decimal, str]:
    """Return nilai capaian IKI and its category from capaian (DMN `nilai_capaian_iki`)."""
    capaian = to_decimal(capaian, "capaian", minimum=0, limit=MAKSIMUM_HASIL)
    table = table or dmn_tables.load_table("nilai_capaian_iki")
    row = dmn_tables.decide(table, {"capaian": round2(capaian)})
    return round2(Decimal(str(row["nilai"]))), str(row["kategori"])


def nilai_kinerja_utama(nilai: Sequence[Decimal], bobot: Sequence[Decimal | None]) -> Decimal:
    """Average nilai capaian; with bobot (all or none, summing to 100) take the weighted sum."""
    if isinstance(nilai, str) or not isinstance(nilai, Sequence) or not isinstance(bobot, Sequence) or not nilai:
        raise RuleInputError("indikator", "at least one indikator is required")
    if len(bobot) != len(nilai):
        raise RuleInputError("indikator.bobot", f"{len(bobot)} bobot for {len(nilai)} indikator")
    nilai = [to_decimal(n, f"indikator[{i}].nilai_capaian", minimum=0, limit=NILAI_MAKSIMUM)
             for i, n in enumerate(nilai)]
    given = [b for b in bobot if b is not None]
    if not given:
        return round2(sum(nilai, Decimal(0)) / len(nilai))
    if len(given) != len(bobot):
        raise RuleInputError("indikator.bobot", "give a bobot for every indikator or for none")
    total = sum(given, Decimal(0))
    if total != HUNDRED:
        raise RuleInputError("indikator.bobot", f"must add up to 100, got {total}")
    return round2(sum((n * b for n, b in zip(nilai, given, strict=True)), Decimal(0)) / HUNDRED)


def nilai_kinerja_tambahan(items: Sequence[KinerjaTambahan],
                           pengaturan: PengaturanRegimeB = PengaturanRegimeB()) -> Decimal:
    """Sum factor x bobot over the additional results, capped (10 by default)."""
    if isinstance(items, str) or not isinstance(items, Sequence):
        raise RuleInputError("kinerja_tambahan", "must be a list")
    faktor = dict(pengaturan.faktor_tambahan)
    total = Decimal(0)
    for index, item in enumerate(items):
        if not isinstance(item, KinerjaTambahan):
            raise RuleInputError(f"kinerja_tambahan[{index}]", "must be a KinerjaTambahan (predikat and bobot)")
        require_label(item.predikat, f"kinerja_tambahan[{index}].predikat", faktor)
        bobot = to_decimal(item.bobot, f"kinerja_tambahan[{index}].bobot", minimum=0)
        total += faktor[item.predikat] / HUNDRED * bobot
    return min(round2(total), pengaturan.batas_kinerja_tambahan)


def nilai_perilaku(perilaku: Mapping[str, Any], struktural: bool) -> Decimal:
    """Average the 8/2021 perilaku aspects (0-120); kepemimpinan only for structural positions."""
    if not isinstance(perilaku, Mapping):
        raise RuleInputError("perilaku", "must be an object of aspect scores")
    aspek = PERILAKU_ASPEK + ((KEPEMIMPINAN,) if struktural else ())
    unknown = sorted(set(perilaku) - set(aspek))
    if unknown:
        problem = (f"unknown aspect(s) {', '.join(unknown)}" if unknown != [KEPEMIMPINAN]
                   else "kepemimpinan is only scored for structural positions (struktural is false)")
        raise RuleInputError("perilaku", problem)
    total = Decimal(0)
    for name in aspek:
        if perilaku.get(name) is None:
            raise RuleInputError(f"perilaku.{name}", "is required")
        score = to_decimal(perilaku[name], f"perilaku.{name}", minimum=0)
        if score > NILAI_MAKSIMUM:
            raise RuleInputError(f"perilaku.{name}", f"must be at most 120, got {score}")
        total += score
    return round2(total / len(aspek))


def predikat_regime_b(nilai: Decimal, inovasi: bool, table: dmn_tables.DecisionTable | None = None) -> str:
    """Return the PP 30/2019 Pasal 41 predikat (DMN `predikat_band_regime_b`)."""
    if not isinstance(inovasi, bool):
        raise RuleInputError("inovasi", f"must be true or false, got {inovasi!r}")
    nilai = round2(to_decimal(nilai, "nilai"))
    if nilai < 0 or nilai > NILAI_MAKSIMUM:
        raise RuleInputError("nilai", f"must be between 0 and 120, got {nilai}")
    table = table or dmn_tables.load_table("predikat_band_regime_b")
    return require_label(dmn_tables.decide(table, {"nilai": nilai, "inovasi": inovasi})["predikat"],
                         "predikat", PREDIKAT_REGIME_B)


def nilai_kinerja(
    indikator: Sequence[Indikator],
    perilaku: Mapping[str, Any],
    struktural: bool,
    inovasi: bool,
    kinerja_tambahan: Sequence[KinerjaTambahan] = (),
    pengaturan: PengaturanRegimeB = PengaturanRegimeB(),
) -> HasilRegimeB:
    """Score a whole regime-B SKP and return nilai SKP, nilai kinerja and predikat."""
    if isinstance(indikator, str) or not isinstance(indikator, Sequence) or not indikator:
        raise RuleInputError("indikator", "at least one indikator is required")
    capaian_table = dmn_tables.load_table("nilai_capaian_iki")
    band_table = dmn_tables.load_table("predikat_band_regime_b")
    hasil = []
    for index, item in enumerate(indikator):
        if not isinstance(item, Indikator):
            raise RuleInputError(f"indikator[{index}]", f"must be an Indikator, got {type(item).__name__}")
        item.validate(f"indikator[{index}]")
        capaian = capaian_iki(item)
        nilai, kategori = nilai_capaian_iki(capaian, capaian_table)
        hasil.append(NilaiIndikator(item.nama, capaian, nilai, kategori))
    utama = nilai_kinerja_utama([h.nilai_capaian for h in hasil], [i.bobot for i in indikator])
    tambahan = nilai_kinerja_tambahan(kinerja_tambahan, pengaturan)
    # Capaian above target is capped at 120 [R]: so is nilai SKP after the tambahan points.
    nilai_skp = min(utama + tambahan, NILAI_MAKSIMUM)
    perilaku_nilai = nilai_perilaku(perilaku, struktural)
    bobot = pengaturan.bobot_skp
    total = round2(bobot * nilai_skp + (1 - bobot) * perilaku_nilai)
    return HasilRegimeB(
        indikator=tuple(hasil),
        nilai_kinerja_utama=utama,
        nilai_kinerja_tambahan=tambahan,
        nilai_skp=nilai_skp,
        nilai_perilaku=perilaku_nilai,
        bobot_skp=bobot,
        nilai_kinerja=total,
        predikat=predikat_regime_b(total, inovasi, band_table),
        versi_tabel=(capaian_table.version, band_table.version),
    )
