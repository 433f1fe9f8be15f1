"""Expose the SMK rules to BPMN script tasks with JSON-friendly arguments and results.

Workflow task data is JSON, so every function here takes and returns str, int, float, bool, list
and dict only. Decimal results are returned as floats rounded to two decimals (e.g. 96.0, 107.14);
the exact Decimal values are available from the typed modules. Invalid input raises
`processes.errors.RuleInputError(field, problem)`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from processes.rules import angka_kredit as _ak
from processes.rules import cascading as _cascading
from processes.rules import distribution as _distribution
from processes.rules import follow_up as _follow_up
from processes.rules import integration2021 as _integration
from processes.rules import regime_a as _a
from processes.rules import regime_b as _b
from processes.rules import regime_c as _c
from processes.rules.errors import RuleInputError
from processes.rules.rounding import to_decimal, to_json_number


def _flag(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise RuleInputError(field, f"must be true or false, got {value!r}")
    return value


def _items(value: object, field: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise RuleInputError(field, "must be a list")
    return list(value)


def _settings(value: object) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise RuleInputError("pengaturan", "must be an object of settings")
    return dict(value)


def _points(value: object, field: str) -> tuple[tuple[str, Decimal], ...]:
    if not isinstance(value, Mapping):
        raise RuleInputError(field, "must be an object of label -> points")
    return tuple((str(k), to_decimal(v, f"{field}.{k}", minimum=0)) for k, v in value.items())


def _thresholds(value: object, field: str) -> tuple[tuple[int, Decimal], ...]:
    pairs = []
    for key, points in _points(value, field):
        if not key.isdigit():
            raise RuleInputError(f"{field}.{key}", "keys must be whole numbers of tugas tambahan")
        pairs.append((int(key), points))
    return tuple(sorted(pairs))


def predikat_6_2022(hasil_kerja: str, perilaku: str) -> str:
    """Return the PermenPANRB 6/2022 predikat for the two ratings."""
    return _c.predikat_6_2022(hasil_kerja, perilaku)


def hasil_kerja_pimpinan(predikat_unit: str) -> str:
    """Return a unit head's hasil-kerja rating, which follows the unit's predikat (PermenPANRB 6/2022)."""
    return _c.hasil_kerja_pimpinan(predikat_unit)


def predikat_regime_a(nilai: float | int | str) -> str:
    """Return the Perka BKN 1/2013 predikat for a nilai."""
    return _a.predikat_regime_a(to_decimal(nilai, "nilai"))


def predikat_regime_b(nilai: float | int | str, inovasi: bool = False) -> str:
    """Return the PP 30/2019 predikat for a nilai kinerja and the innovation flag."""
    return _b.predikat_regime_b(to_decimal(nilai, "nilai"), _flag(inovasi, "inovasi"))


def nilai_regime_a(kegiatan: list[dict[str, Any]], perilaku: dict[str, Any], struktural: bool,
                   tugas_tambahan: int = 0, kreativitas: str | None = None,
                   pengaturan: dict[str, Any] | None = None) -> dict[str, Any]:
    """Score a regime-A SKP; see docs/rules.md for the kegiatan keys."""
    settings = _a.PengaturanRegimeA()
    pengaturan = _settings(pengaturan)
    if pengaturan:
        tugas = pengaturan.get("poin_tugas_tambahan")
        kreatif = pengaturan.get("poin_kreativitas")
        settings = _a.PengaturanRegimeA(
            poin_tugas_tambahan=settings.poin_tugas_tambahan if tugas is None else _thresholds(
                tugas, "pengaturan.poin_tugas_tambahan"),
            poin_kreativitas=settings.poin_kreativitas if kreatif is None else _points(
                kreatif, "pengaturan.poin_kreativitas"),
        )
    items = [_a.Kegiatan.from_dict(k, f"kegiatan[{i}]") for i, k in enumerate(_items(kegiatan, "kegiatan"))]
    hasil = _a.nilai_prestasi_kerja(items, perilaku, _flag(struktural, "struktural"), tugas_tambahan,
                                    kreativitas, settings)
    return {
        "kegiatan": [
            {
                "nama": k.nama,
                "kuantitas": to_json_number(k.kuantitas),
                "kualitas": to_json_number(k.kualitas),
                "waktu": to_json_number(k.waktu),
                "biaya": None if k.biaya is None else to_json_number(k.biaya),
                "penghitungan": to_json_number(k.penghitungan),
                "nilai_capaian": to_json_number(k.nilai_capaian),
                "dihitung": k.dihitung,
            }
            for k in hasil.kegiatan
        ],
        "rata_rata_capaian": to_json_number(hasil.rata_rata_capaian),
        "poin_tugas_tambahan": to_json_number(hasil.poin_tugas_tambahan),
        "poin_kreativitas": to_json_number(hasil.poin_kreativitas),
        "nilai_skp": to_json_number(hasil.nilai_skp),
        "predikat_skp": hasil.predikat_skp,
        "nilai_perilaku": to_json_number(hasil.nilai_perilaku),
        "predikat_perilaku": hasil.predikat_perilaku,
        "nilai_prestasi_kerja": to_json_number(hasil.nilai_prestasi_kerja),
        "predikat": hasil.predikat,
        "versi_tabel": hasil.versi_tabel,
    }


def capaian_iki(indikator: dict[str, Any]) -> dict[str, Any]:
    """Return capaian (%), nilai capaian and category of one regime-B indicator."""
    item = _b.Indikator.from_dict(indikator, "indikator")
    capaian = _b.capaian_iki(item)
    nilai, kategori = _b.nilai_capaian_iki(capaian)
    return {"capaian": to_json_number(capaian), "nilai_capaian": to_json_number(nilai), "kategori": kategori}


def nilai_regime_b(indikator: list[dict[str, Any]], perilaku: dict[str, Any], struktural: bool,
                   inovasi: bool = False, kinerja_tambahan: list[dict[str, Any]] | None = None,
                   pakai_360: bool = False, pengaturan: dict[str, Any] | None = None) -> dict[str, Any]:
    """Score a regime-B SKP; `pakai_360` selects 60/40 instead of 70/30."""
    pengaturan = _settings(pengaturan)
    defaults = _b.PengaturanRegimeB()
    settings = _b.PengaturanRegimeB(
        pakai_360=_flag(pakai_360, "pakai_360"),
        batas_kinerja_tambahan=to_decimal(pengaturan.get("batas_kinerja_tambahan",
                                                          defaults.batas_kinerja_tambahan),
                                          "pengaturan.batas_kinerja_tambahan", minimum=0),
        faktor_tambahan=(defaults.faktor_tambahan if pengaturan.get("faktor_tambahan") is None
                         else _points(pengaturan["faktor_tambahan"], "pengaturan.faktor_tambahan")),
    )
    items = [_b.Indikator.from_dict(x, f"indikator[{i}]")
             for i, x in enumerate(_items(indikator, "indikator"))]
    tambahan = []
    for i, x in enumerate(_items(kinerja_tambahan or [], "kinerja_tambahan")):
        if not isinstance(x, Mapping):
            raise RuleInputError(f"kinerja_tambahan[{i}]", "must be an object with predikat and bobot")
        tambahan.append(_b.KinerjaTambahan(str(x.get("predikat")),
                                           to_decimal(x.get("bobot"), f"kinerja_tambahan[{i}].bobot")))
    hasil = _b.nilai_kinerja(items, perilaku, _flag(struktural, "struktural"), _flag(inovasi, "inovasi"),
                             tambahan, settings)
    return {
        "indikator": [
            {"nama": x.nama, "capaian": to_json_number(x.capaian),
             "nilai_capaian": to_json_number(x.nilai_capaian), "kategori": x.kategori}
            for x in hasil.indikator
        ],
        "nilai_kinerja_utama": to_json_number(hasil.nilai_kinerja_utama),
        "nilai_kinerja_tambahan": to_json_number(hasil.nilai_kinerja_tambahan),
        "nilai_skp": to_json_number(hasil.nilai_skp),
        "nilai_perilaku": to_json_number(hasil.nilai_perilaku),
        "bobot_skp": float(hasil.bobot_skp),
        "nilai_kinerja": to_json_number(hasil.nilai_kinerja),
        "predikat": hasil.predikat,
        "versi_tabel": list(hasil.versi_tabel),
    }


def cek_kurva_distribusi(predikat_unit: str, predikat_pegawai: list[str]) -> dict[str, Any]:
    """Check a unit's staff predikat against the curve its own predikat sets."""
    hasil = _distribution.cek_kurva_distribusi(predikat_unit, predikat_pegawai)
    return {
        "ok": hasil.ok,
        "jumlah_pegawai": hasil.jumlah_pegawai,
        "distribusi": dict(hasil.distribusi),
        "violations": [
            {
                "constraint": v.batasan,
                "message": v.pesan,
                "jenis": v.jenis,
                "predikat": list(v.predikat),
                "persen": float(v.persen),
                "batas_orang": v.batas_orang,
                "jumlah": v.jumlah,
                "selisih": v.selisih,
                "saran": v.saran,
            }
            for v in hasil.pelanggaran
        ],
        "dapat_dipenuhi": hasil.dapat_dipenuhi,
        "versi_tabel": hasil.versi_tabel,
    }


def integrasi_2021(nilai_periode_1: float | int | str, nilai_periode_2: float | int | str,
                   inovasi: bool = False) -> dict[str, Any]:
    """Integrate the 2021 periods 50/50 after converting period I; name the table version used."""
    hasil = _integration.integrasi_2021(to_decimal(nilai_periode_1, "nilai_periode_1"),
                                        to_decimal(nilai_periode_2, "nilai_periode_2"),
                                        _flag(inovasi, "inovasi"))
    return {
        "nilai_periode_1": to_json_number(hasil.nilai_periode_1),
        "predikat_periode_1": hasil.predikat_periode_1,
        "nilai_periode_1_konversi": to_json_number(hasil.nilai_periode_1_konversi),
        "nilai_periode_2": to_json_number(hasil.nilai_periode_2),
        "nilai_integrasi": to_json_number(hasil.nilai_integrasi),
        "predikat": hasil.predikat,
        "versi_tabel_konversi": hasil.versi_tabel_konversi,
        "versi_tabel_predikat": hasil.versi_tabel_predikat,
    }


def angka_kredit(predikat: str, bulan: int, jenjang: str) -> dict[str, Any]:
    """Return the credit points for a predikat, a number of months and a jenjang."""
    hasil = _ak.angka_kredit(predikat, bulan, jenjang)
    return {
        "angka_kredit": to_json_number(hasil.angka_kredit),
        "persen_predikat": float(hasil.persen_predikat),
        "koefisien": float(hasil.koefisien),
        "bulan": hasil.bulan,
    }


def rekomendasi_tindak_lanjut(riwayat_predikat: list[str], jenis_jabatan: str) -> list[dict[str, Any]]:
    """List recommended follow-up actions (for people to decide) with their legal basis."""
    return [
        {
            "kode": r.kode,
            "rekomendasi": r.rekomendasi,
            "dasar_hukum": r.dasar_hukum,
            "persen_tukin": None if r.persen_tukin is None else float(r.persen_tukin),
        }
        for r in _follow_up.rekomendasi_tindak_lanjut(riwayat_predikat, jenis_jabatan)
    ]


def cek_cascading(rhk_atasan: list[dict[str, Any]], rhk_bawahan: list[dict[str, Any]]) -> dict[str, Any]:
    """Report gaps, orphans and direct-cascading target mismatches between two levels."""
    atasan = [_cascading.rhk_atasan_from_dict(x, f"rhk_atasan[{i}]")
              for i, x in enumerate(_items(rhk_atasan, "rhk_atasan"))]
    bawahan = [_cascading.rhk_bawahan_from_dict(x, f"rhk_bawahan[{i}]")
               for i, x in enumerate(_items(rhk_bawahan, "rhk_bawahan"))]
    hasil = _cascading.cek_cascading(atasan, bawahan)
    return {
        "ok": hasil.ok,
        "gaps": list(hasil.celah),
        "orphans": [{"rhk": rhk, "reason": reason} for rhk, reason in hasil.yatim],
        "target_mismatches": [
            {"rhk_atasan": m.rhk_atasan, "target": float(m.target),
             "jumlah_target_bawahan": float(m.jumlah_target_bawahan), "selisih": float(m.selisih)}
            for m in hasil.selisih_target
        ],
    }


#: Functions callable by name from BPMN script tasks (the sandbox's allow-list draws on this).
SCRIPT_FUNCTIONS: dict[str, Callable[..., Any]] = {
    fn.__name__: fn
    for fn in (
        predikat_6_2022,
        hasil_kerja_pimpinan,
        predikat_regime_a,
        predikat_regime_b,
        nilai_regime_a,
        capaian_iki,
        nilai_regime_b,
        cek_kurva_distribusi,
        integrasi_2021,
        angka_kredit,
        rekomendasi_tindak_lanjut,
        cek_cascading,
    )
}
