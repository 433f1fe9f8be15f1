"""Predikat unit (regime C): the head of a unit rates the unit; that rating selects the distribution curve
against which the staff's predikat are checked in their assessments."""

from __future__ import annotations

from tools.bpmn_builder import Process

from .common import PEGAWAI, PREDIKAT_UNIT, area, bpmn, choice, form, shown, text

PROCESS_ID = "smk_predikat_unit"


def process() -> Process:
    p = Process(PROCESS_ID, "Predikat unit kerja", lanes=[PEGAWAI])
    p.documentation = "\n\nEN: ".join(PROCESS_DOC)
    p.start("mulai", "Mulai", lane=PEGAWAI, col=0)
    p.service("profil", "Baca data unit", "smk_profil_pegawai", result="pegawai", lane=PEGAWAI, col=1)
    p.user("tetapkan_predikat_unit", "Tetapkan predikat unit", lane=PEGAWAI, col=2, form="smk_predikat_unit",
           properties={"dueInDays": "14"},
           instructions="Predikat unit menentukan kurva distribusi predikat pegawai (PermenPANRB 6/2022; tabel "
                        "`kurva_distribusi`, belum dikonfirmasi). / The unit's rating sets the staff "
                        "distribution curve (table `kurva_distribusi`, unconfirmed).")
    p.service("catat", "Catat predikat unit", "smk_catat_predikat_unit",
              params={"predikat_unit": "predikat_unit"}, result="unit_dinilai", lane=PEGAWAI, col=3)
    p.end("selesai", "Predikat unit ditetapkan", lane=PEGAWAI, col=4)
    p.chain("mulai", "profil", "tetapkan_predikat_unit", "catat", "selesai")
    return p


def forms() -> dict[str, str]:
    return form("smk_predikat_unit", "Predikat unit kerja / Unit rating", {
        "periode": shown(text("Periode / Period")),
        "predikat_unit": choice("Predikat unit / Unit rating", PREDIKAT_UNIT),
        "dasar_penetapan": area("Dasar penetapan (capaian IKU unit) / Basis (unit IKU achievement)", minLength=3),
    }, ["predikat_unit", "dasar_penetapan"])


def build() -> dict[str, str]:
    return {**bpmn(process(), None, DOCS), **forms()}


PROCESS_DOC = (
    "Predikat unit kerja (regime C, PermenPANRB 6/2022): pimpinan unit menetapkan predikat unit (Istimewa, Baik, "
    "Butuh Perbaikan, Kurang, Sangat Kurang); predikat itu memilih kurva distribusi predikat pegawai unit (tabel "
    "kurva_distribusi) dan menentukan rating hasil kerja kepala unit.",
    "Unit rating (regime C, PermenPANRB 6/2022): the head of a unit sets the unit's rating (Istimewa, Baik, Butuh "
    "Perbaikan, Kurang, Sangat Kurang); it selects the distribution curve for the staff predikat (table "
    "kurva_distribusi) and sets the unit head's work-results rating.")

DOCS = {
    "mulai": ("Dimulai oleh proses periode pada akhir periode regime C, satu per kepala unit.",
              "Started by the period process at the end of a regime C period, one per unit head."),
    "profil": ("Membaca data kepala unit dan unitnya.", "Reads the unit head's and the unit's data."),
    "tetapkan_predikat_unit": ("Kepala unit menetapkan predikat unit dengan dasar capaian IKU unit (tenggat 14 "
                               "hari; PermenPANRB 6/2022, kurva distribusi).",
                               "The unit head sets the unit rating based on the unit's IKU achievement (due in 14 "
                               "days; PermenPANRB 6/2022, distribution curve)."),
    "catat": ("Mencatat predikat unit (peristiwa smk.predikat_unit) yang dibaca pemeriksaan kurva dan hasil kerja "
              "kepala unit.",
              "Records the unit rating (event smk.predikat_unit) that the curve check and the unit head's work "
              "results read."),
    "selesai": ("Predikat unit ditetapkan.", "The unit rating is set."),
}
