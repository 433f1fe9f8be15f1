"""Integrasi 2021: period I (regime A) and period II (regime B) combined into the 2021 value by the rules
package's ``integrasi_2021`` (conversion table ``konversi_2021``), confirmed by Biro SDM."""

from __future__ import annotations

from .common import SDM, SmkProcess, area, boolean, bpmn, choice, form, number, shown, text

PROCESS_ID = "smk_integrasi_2021"

CEK = """\
def nilai_dari(d):
    if d and d.get('ditemukan') and d.get('status') == 'completed':
        return d.get('nilai')
    return None
nilai_periode_1 = nilai_dari(periode_1)
nilai_periode_2 = nilai_dari(periode_2)
inovasi = bool((periode_2 or {}).get('inovasi'))
sumber_nilai = 'penilaian 2021-I dan 2021-II'
lengkap = nilai_periode_1 is not None and nilai_periode_2 is not None
"""

HITUNG = """\
hasil_integrasi = integrasi_2021(nilai_periode_1, nilai_periode_2, inovasi)
nilai = hasil_integrasi['nilai_integrasi']
predikat = hasil_integrasi['predikat']
ringkasan_integrasi = (f"Periode I: {nilai_periode_1} ({hasil_integrasi['predikat_periode_1']}) → "
                       f"{hasil_integrasi['nilai_periode_1_konversi']}; periode II: {nilai_periode_2}; "
                       f"2021: {nilai} ({predikat}); tabel {hasil_integrasi['versi_tabel_konversi']}")
"""


def process() -> SmkProcess:
    p = SmkProcess(PROCESS_ID, "Integrasi nilai kinerja 2021", lanes=[SDM])
    p.documentation = "\n\nEN: ".join(PROCESS_DOC)
    p.start("mulai", "Mulai", lane=SDM, col=0)
    params = {"process_id": "'smk_penilaian'", "keys": "['nilai', 'predikat', 'inovasi']"}
    p.service("baca_periode_1", "Baca penilaian 2021-I", "find_instance_data",
              params={**params, "period": "'2021-I'"}, result="periode_1", lane=SDM, col=1)
    p.service("baca_periode_2", "Baca penilaian 2021-II", "find_instance_data",
              params={**params, "period": "'2021-II'"}, result="periode_2", lane=SDM, col=2)
    p.script("cek_nilai", "Periksa kelengkapan nilai", CEK, lane=SDM, col=3)
    p.gateway("cek_lengkap", "Nilai lengkap?", lane=SDM, col=4, default="f_lengkap")
    p.user("lengkapi_nilai", "Lengkapi / koreksi nilai 2021", lane=SDM, col=5, form="smk_lengkapi_nilai_2021",
           properties={"dueInDays": "14"})
    p.place("lengkapi_nilai", 1)
    p.script("catat_manual", "Catat sumber nilai", "sumber_nilai = 'diisi Biro SDM: ' + sumber_manual", lane=SDM,
             col=6)
    p.place("catat_manual", 1)
    p.gateway("gabung", "", lane=SDM, col=7)
    p.script("hitung", "Hitung nilai 2021", HITUNG, lane=SDM, col=8)
    p.user("konfirmasi_integrasi", "Konfirmasi nilai 2021", lane=SDM, col=9, form="smk_konfirmasi_integrasi",
           properties={"dueInDays": "14"})
    p.gateway("cek_konfirmasi", "Dikonfirmasi?", lane=SDM, col=10, default="f_dikonfirmasi")
    p.script("final", "Nilai 2021 ditetapkan", "status_integrasi = 'dikonfirmasi'", lane=SDM, col=11)
    p.end("selesai", "Selesai", lane=SDM, col=12)
    p.chain("mulai", "baca_periode_1", "baca_periode_2", "cek_nilai", "cek_lengkap")
    p.flow("cek_lengkap", "lengkapi_nilai", name="Tidak / No", condition="not lengkap", id="f_tidak_lengkap")
    p.flow("cek_lengkap", "gabung", name="Lengkap / Complete", id="f_lengkap")
    p.chain("lengkapi_nilai", "catat_manual", "gabung", "hitung", "konfirmasi_integrasi", "cek_konfirmasi")
    p.flow("cek_konfirmasi", "lengkapi_nilai", name="Koreksi / Correct", condition="keputusan_integrasi == 'koreksi'",
           id="f_koreksi")
    p.flow("cek_konfirmasi", "final", name="Konfirmasi / Confirm", id="f_dikonfirmasi")
    p.chain("final", "selesai")
    return p


def forms() -> dict[str, str]:
    files: dict[str, str] = {}
    files.update(form("smk_lengkapi_nilai_2021", "Nilai periode 2021 / 2021 period values", {
        "nilai_periode_1": number("Nilai prestasi kerja 2021-I (regime A) / Period I score", minimum=0, maximum=120),
        "nilai_periode_2": number("Nilai kinerja 2021-II (regime B) / Period II score", minimum=0, maximum=120),
        "inovasi": boolean("Ada inovasi (2021-II) / Innovation (period II)"),
        "sumber_manual": area("Sumber nilai dan alasan / Source of the values and reason", minLength=3),
    }, ["nilai_periode_1", "nilai_periode_2", "inovasi", "sumber_manual"]))
    files.update(form("smk_konfirmasi_integrasi", "Konfirmasi nilai 2021 / Confirm the 2021 value", {
        "ringkasan_integrasi": shown(area("Perhitungan / Calculation")),
        "sumber_nilai": shown(text("Sumber nilai / Source")),
        "nilai": shown(number("Nilai 2021 / 2021 value")),
        "predikat": shown(text("Predikat 2021")),
        "keputusan_integrasi": choice("Keputusan / Decision", ["konfirmasi", "koreksi"],
                                      ["Konfirmasi / Confirm", "Koreksi nilai / Correct the values"]),
        "alasan_integrasi": area("Catatan / Notes"),
    }, ["keputusan_integrasi"]))
    return files


def build() -> dict[str, str]:
    return {**bpmn(process(), None, DOCS), **forms()}


PROCESS_DOC = (
    "Integrasi nilai kinerja 2021 (SE Menteri PANRB 3/2021): nilai 2021 = 50% nilai periode I (Januari–Juni, regime "
    "A, dikonversi dengan tabel konversi_2021) + 50% nilai periode II (Juli–Desember, regime B); Biro SDM melengkapi "
    "nilai yang tidak ada dalam sistem dan mengonfirmasi hasilnya. Versi tabel konversi dicatat bersama nilai.",
    "Integration of the 2021 values (SE Menteri PANRB 3/2021): the 2021 value = 50% of period I (January–June, "
    "regime A, converted with the table konversi_2021) + 50% of period II (July–December, regime B); Biro SDM "
    "completes values missing from the system and confirms the result. The conversion table's version is recorded "
    "with the value.")

DOCS = {
    "mulai": ("Dimulai oleh proses periode setelah periode 2021-II ditutup.",
              "Started by the period process after period 2021-II closes."),
    "baca_periode_1": ("Membaca nilai, predikat dan inovasi penilaian 2021-I (regime A).",
                       "Reads the value, predikat and innovation of the 2021-I assessment (regime A)."),
    "baca_periode_2": ("Membaca nilai, predikat dan inovasi penilaian 2021-II (regime B).",
                       "Reads the value, predikat and innovation of the 2021-II assessment (regime B)."),
    "cek_nilai": ("Mengambil nilai kedua periode dari penilaian yang selesai dan mencatat sumbernya.",
                  "Takes both periods' values from completed assessments and records their source."),
    "cek_lengkap": ("Nilai kedua periode lengkap?", "Are both periods' values present?"),
    "f_tidak_lengkap": ("Tidak lengkap (not lengkap): Biro SDM mengisi nilai.",
                        "Incomplete (not lengkap): Biro SDM enters the values."),
    "lengkapi_nilai": ("Biro SDM mengisi atau mengoreksi nilai periode I dan II dengan sumber dan alasan (tenggat "
                       "14 hari).",
                       "Biro SDM enters or corrects the period I and II values with their source and a reason (due "
                       "in 14 days)."),
    "catat_manual": ("Mencatat bahwa nilai diisi Biro SDM beserta sumbernya.",
                     "Records that Biro SDM entered the values, with the source."),
    "gabung": ("Menggabungkan nilai dari sistem dan nilai yang diisi.", "Joins system values and entered values."),
    "hitung": ("Menghitung nilai 2021 = 50% periode I dikonversi + 50% periode II dan predikatnya (integrasi_2021, "
               "tabel konversi_2021; SE Menteri PANRB 3/2021; tabel konversi belum dikonfirmasi, dapat diubah).",
               "Computes the 2021 value = 50% converted period I + 50% period II and its predikat (integrasi_2021, "
               "table konversi_2021; SE Menteri PANRB 3/2021; the conversion table is unconfirmed and "
               "configurable)."),
    "konfirmasi_integrasi": ("Biro SDM mengonfirmasi nilai 2021 atau meminta koreksi (tenggat 14 hari).",
                             "Biro SDM confirms the 2021 value or asks for a correction (due in 14 days)."),
    "cek_konfirmasi": ("Dikonfirmasi atau dikoreksi?", "Confirmed or to be corrected?"),
    "f_koreksi": ("Koreksi (keputusan_integrasi == 'koreksi'): kembali ke pengisian nilai.",
                  "Correct (keputusan_integrasi == 'koreksi'): back to entering the values."),
    "final": ("Nilai 2021 ditetapkan.", "The 2021 value is set."),
    "selesai": ("Integrasi 2021 selesai.", "The 2021 integration is complete."),
}
