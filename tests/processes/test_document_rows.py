"""The evaluation's capaian rows (processes.documents): the latest reported realisation of the slices printed, the
evidence named, and per slice the assessor's feedback on the row, else that slice's feedback on all its rows."""

from __future__ import annotations

from processes.documents import _rows, slice_label, tanggal
from processes.queries import SkpPage, SkpRow, SkpSlice, SliceCell


def _page(rows: list[SkpRow], slices: list[SkpSlice]) -> SkpPage:
    return SkpPage(1, "Budi", "", "", "", "", "", "2023", ["2023"], "C", "set", "", 10, "kuantitatif", "", rows, [],
                   [], slices, {}, None, [], [])


def test_realisation_evidence_and_feedback_per_row() -> None:
    q1 = SkpSlice(1, "triwulan", 2023, 1, 11, "completed", feedback="Sesuai rencana", feedback_by="Dewi")
    q2 = SkpSlice(2, "triwulan", 2023, 4, 12, "completed", feedback="Percepat laporan", feedback_by="Dewi")
    q3 = SkpSlice(3, "triwulan", 2023, 7, 13, "running")  # not reported yet, no feedback
    first = SkpRow("Utama 1 / Main 1", "utama", 1, "RHK atasan", "Laporan", "Jumlah laporan", "Kuantitas",
                   "12 laporan", "", "", "r1",
                   {1: SliceCell("3", "laporan", [(5, "laporan-tw1.pdf")]),
                    2: SliceCell("6", "laporan", [(6, "laporan-tw2.pdf")], umpan_balik="Baris ini baik")})
    second = SkpRow("Utama 2 / Main 2", "utama", 2, "RHK atasan", "Rapat", "Jumlah rapat", "Kuantitas",
                    "4 rapat (satu per triwulan)",
                    "", "", "r2", {1: SliceCell("1", "")})
    one, two = _rows(_page([first, second], [q1, q2, q3]), [q1, q2, q3])
    assert one.realisasi == "6 laporan" and one.bukti == ["laporan-tw1.pdf", "laporan-tw2.pdf"]
    assert one.umpan_balik == ["Triwulan I 2023: Sesuai rencana", "Triwulan II 2023: Baris ini baik"]
    assert two.realisasi == "1 rapat" and two.umpan_balik == ["Triwulan I 2023: Sesuai rencana",
                                                        "Triwulan II 2023: Percepat laporan"]
    only_q1 = _rows(_page([first], [q1]), [q1])[0]  # a quarter's periodic evaluation: that quarter only
    assert only_q1.realisasi == "3 laporan" and only_q1.umpan_balik == ["Triwulan I 2023: Sesuai rencana"]


def test_labels_and_dates_in_indonesian() -> None:
    assert slice_label(SkpSlice(4, "triwulan", 2023, 10, 1, "completed")) == "Triwulan IV 2023"
    assert slice_label(SkpSlice(3, "bulan", 2023, 3, 1, "completed")) == "Maret 2023"
    assert tanggal("2023-12-31") == "31 Desember 2023" and tanggal("bukan tanggal") == "bukan tanggal"
