"""Form submissions shared by the SMK path tests."""

from __future__ import annotations

from typing import Any

from engine.core import Engine
from engine.services import instances

from .conftest import act, find_instances, period_data


def skp_c(mendukung: str, n: int = 1, target: float = 12) -> dict[str, Any]:
    return {"pendekatan": "kuantitatif",
            "rhk_utama": [{"rhk": f"Hasil kerja {i + 1}", "mendukung": mendukung, "cascading": "langsung",
                           "aspek": "Kuantitas", "indikator": f"Jumlah dokumen {i + 1}", "target": target,
                           "satuan": "dokumen"} for i in range(n)],
            "ekspektasi_akuntabel": "Laporan tepat waktu"}


def skp_a() -> dict[str, Any]:
    return {"kegiatan": [{"nama": "Menyusun laporan", "target_kuantitas": 12, "satuan": "laporan",
                          "target_kualitas": 100, "target_waktu": 6},
                         {"nama": "Menganalisis data", "target_kuantitas": 4, "satuan": "analisis",
                          "target_kualitas": 100, "target_waktu": 6, "target_biaya": 1000000}]}


def skp_b(mendukung: str) -> dict[str, Any]:
    return {"rhk_utama": [{"rhk": "Dokumen perencanaan tersusun", "mendukung": mendukung,
                           "indikator": "Jumlah dokumen", "target": 10, "satuan": "dokumen", "arah": "lebih_tinggi"},
                          {"rhk": "Waktu penyelesaian", "mendukung": mendukung, "indikator": "Hari penyelesaian",
                           "target": 20, "satuan": "hari", "arah": "lebih_rendah"}]}


def start_planning(eng: Engine, org: dict[str, int], username: str, **data: Any) -> int:
    regime = data.pop("regime", "C")
    started = instances.start_instance(eng, "smk_perencanaan", org["indah"], org[username],
                                       _period(regime, data.get("year", 2023)), period_data(regime, **data))
    return started.id


def _period(regime: str, year: int) -> str:
    return {"A": "2021-I", "B": "2021-II"}.get(regime, str(year))


def approve_planning(eng: Engine, org: dict[str, int], username: str, assessor: str, mendukung: str,
                     regime: str = "C", mph: list[dict[str, Any]] | None = None) -> None:
    """Drive an already started planning from drafting to SKP ditetapkan (and the MPH for leaders)."""
    subject = org[username]
    form = {"A": skp_a(), "B": skp_b(mendukung), "C": skp_c(mendukung)}[regime]
    act(eng, subject, f"susun_skp_{regime.lower()}", form, subject)
    act(eng, org[assessor], "tinjau_skp", {"keputusan_pp": "setujui", "catatan_penilai": "Baik"}, subject)
    if mph is not None:
        act(eng, subject, "susun_mph", {"mph": mph}, subject)


def planning_of(eng: Engine, org: dict[str, int], username: str, period: str = "2023") -> int:
    return find_instances(eng, "smk_perencanaan", org[username], period)[-1].id
