"""Predikat unit (regime C): the head of a unit rates the unit; that rating selects the distribution curve
against which the staff's predikat are checked in their assessments."""

from __future__ import annotations

from tools.bpmn_builder import Process

from .common import PEGAWAI, PREDIKAT_UNIT, area, bpmn, choice, form, shown, text

PROCESS_ID = "smk_predikat_unit"


def process() -> Process:
    p = Process(PROCESS_ID, "Predikat unit kerja", lanes=[PEGAWAI])
    p.documentation = ("Kepala unit menetapkan predikat unit; predikat pegawai unit diperiksa terhadap kurva "
                       "distribusi. / The unit head rates the unit; staff predikat are checked against the curve.")
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
    return {**bpmn(process()), **forms()}
