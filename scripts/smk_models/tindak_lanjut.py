"""Tindak lanjut: the follow-up DMN recommends rewards and sanctions from the predikat history and the position
type; Biro SDM confirms or rejects each with a reason; position-changing sanctions go to the PPK on the advice of
the Tim Penilai Kinerja; a JPT below target gets a six-month improvement period (a timer) and a re-assessment."""

from __future__ import annotations

from .common import (
    PP,
    PPK,
    RATING_NAMES,
    RATINGS,
    SDM,
    TPK,
    SmkProcess,
    area,
    bpmn,
    choice,
    form,
    rows,
    shown,
    text,
)
from .layout import Layout, Route

PROCESS_ID = "smk_tindak_lanjut"
POSITION_CHANGING = ("pemindahan_jabatan", "uji_kompetensi_ulang_jpt", "evaluasi_perjanjian_kerja")

SIAPKAN = """\
if '-' in periode:
    periode_sebelumnya = periode[:4] + '-I' if periode.endswith('-II') else str(int(periode[:4]) - 1)
else:
    periode_sebelumnya = str(int(periode) - 1)
proses_sebelumnya = 'smk_integrasi_2021' if periode_sebelumnya == '2021' else 'smk_penilaian'
"""

RIWAYAT = """\
lalu = penilaian_lalu or {}
predikat_sebelumnya = lalu.get('predikat') if lalu.get('ditemukan') and lalu.get('status') == 'completed' else None
predikat_terakhir = predikat
riwayat_predikat = [x for x in (predikat_sebelumnya, predikat) if x]
"""

SUSUN = """\
try:
    kode
except NameError:
    kode, rekomendasi, dasar_hukum, persen_tukin = [], [], [], []
daftar_rekomendasi = [{'kode': k, 'rekomendasi': r, 'dasar_hukum': d, 'persen_tukin': t}
                      for k, r, d, t in zip(kode, rekomendasi, dasar_hukum, persen_tukin)]
keputusan_sdm = [{'kode': x['kode'], 'rekomendasi': x['rekomendasi']} for x in daftar_rekomendasi]
ada_rekomendasi = len(daftar_rekomendasi) > 0
galat_konfirmasi = ''
del kode, rekomendasi, dasar_hukum, persen_tukin
"""

PILAH = f"""\
dikenal = [x['kode'] for x in daftar_rekomendasi]
keputusan_sdm = [k for k in keputusan_sdm if k.get('kode') in dikenal]
konfirmasi_lengkap = sorted(k['kode'] for k in keputusan_sdm) == sorted(dikenal)
galat_konfirmasi = '' if konfirmasi_lengkap else ('Putuskan setiap rekomendasi tepat satu kali / '
                                                 'Decide every recommendation exactly once')
dikonfirmasi = [k['kode'] for k in keputusan_sdm if k['keputusan'] == 'dikonfirmasi']
ditolak = [k['kode'] for k in keputusan_sdm if k['keputusan'] == 'ditolak']
masa_perbaikan = 'masa_perbaikan_jpt' in dikonfirmasi
tindakan_ppk = [k for k in dikonfirmasi if k in {POSITION_CHANGING!r}]
persen_tukin_berlaku = sum(x['persen_tukin'] or 0 for x in daftar_rekomendasi
                           if x['kode'] == 'penyesuaian_tukin' and 'penyesuaian_tukin' in dikonfirmasi)
predikat_tahunan = predikat
membaik = None
nomor_keputusan = ''
"""

NILAI_ULANG = """\
predikat_ulang = predikat
predikat = predikat_tahunan
membaik = predikat_ulang in ('Sangat Baik', 'Baik')
if not membaik and 'uji_kompetensi_ulang_jpt' not in tindakan_ppk:
    tindakan_ppk = tindakan_ppk + ['uji_kompetensi_ulang_jpt']
"""

CATAT_PPK = """\
keputusan_akhir_ppk = {'saran_tpk': saran_tpk, 'keputusan': keputusan_ppk, 'isi': isi_keputusan,
                       'nomor': nomor_keputusan, 'tindakan': tindakan_ppk}
"""


LAYOUT = Layout(routes={"f_lengkap": Route(exit="right")})


def process() -> SmkProcess:
    p = SmkProcess(PROCESS_ID, "Tindak lanjut hasil penilaian", lanes=[SDM, PP, TPK, PPK])
    p.documentation = "\n\nEN: ".join(PROCESS_DOC)
    p.start("mulai", "Mulai", lane=SDM, col=0)
    p.script("siapkan", "Tentukan periode sebelumnya", SIAPKAN, lane=SDM, col=1)
    p.service("baca_riwayat", "Baca predikat periode sebelumnya", "find_instance_data",
              params={"process_id": "proses_sebelumnya", "subject_id": "skp_pemilik",
                      "period": "periode_sebelumnya", "keys": "['predikat']"},
              result="penilaian_lalu", lane=SDM, col=2)
    p.script("susun_riwayat", "Susun riwayat predikat", RIWAYAT, lane=SDM, col=3)
    p.rule("rekomendasi_dmn", "Rekomendasi tindak lanjut", "tindak_lanjut", lane=SDM, col=4)
    p.script("susun_rekomendasi", "Susun daftar rekomendasi", SUSUN, lane=SDM, col=5)
    p.gateway("ada_rekomendasi", "Ada rekomendasi?", lane=SDM, col=6, default="f_tanpa_rekomendasi")
    p.user("konfirmasi_sdm", "Putuskan rekomendasi tindak lanjut", lane=SDM, col=7, form="smk_konfirmasi_tindak_lanjut",
           properties={"dueInDays": "14"})
    p.script("pilah", "Pilah keputusan", PILAH, lane=SDM, col=8)
    p.gateway("cek_lengkap", "Semua diputus?", lane=SDM, col=9, default="f_lengkap")
    p.gateway("cek_perbaikan", "Masa perbaikan JPT?", lane=PP, col=10, default="f_tanpa_perbaikan")
    p.user("rencana_perbaikan", "Tetapkan target perbaikan 6 bulan", lane=PP, col=11, form="smk_rencana_perbaikan",
           properties={"dueInDays": "14"})
    p.catch("enam_bulan", "6 bulan masa perbaikan", lane=PP, col=12, timer=("timeDuration", '"P6M"'))
    p.user("penilaian_ulang", "Penilaian ulang setelah masa perbaikan", lane=PP, col=13,
           form="smk_penilaian_ulang", properties={"dueInDays": "14"})
    p.rule("predikat_ulang_dmn", "Predikat penilaian ulang", "predikat_matrix_6_2022", lane=PP, col=14)
    p.script("nilai_ulang", "Catat hasil masa perbaikan", NILAI_ULANG, lane=PP, col=15)
    p.gateway("gabung_perbaikan", "", lane=PP, col=16)
    p.gateway("cek_ppk", "Perlu keputusan PPK?", lane=TPK, col=17, default="f_tanpa_ppk")
    p.user("saran_tpk", "Saran Tim Penilai Kinerja", lane=TPK, col=18, form="smk_saran_tpk",
           properties={"dueInDays": "14"})
    p.user("keputusan_ppk_task", "Keputusan PPK", lane=PPK, col=19, form="smk_keputusan_ppk",
           properties={"dueInDays": "14"})
    p.script("catat_ppk", "Catat keputusan PPK", CATAT_PPK, lane=PPK, col=20)
    p.gateway("gabung_ppk", "", lane=SDM, col=21)
    p.script("selesai_tl", "Tindak lanjut selesai", "status_tindak_lanjut = 'selesai'", lane=SDM, col=22)
    p.end("selesai", "Selesai", lane=SDM, col=23)

    p.chain("mulai", "siapkan", "baca_riwayat", "susun_riwayat", "rekomendasi_dmn", "susun_rekomendasi",
            "ada_rekomendasi")
    p.flow("ada_rekomendasi", "konfirmasi_sdm", name="Ya / Yes", condition="ada_rekomendasi", id="f_ada_rekomendasi")
    p.flow("ada_rekomendasi", "gabung_ppk", name="Tidak / No", id="f_tanpa_rekomendasi")
    p.chain("konfirmasi_sdm", "pilah", "cek_lengkap")
    p.flow("cek_lengkap", "konfirmasi_sdm", name="Belum lengkap / Incomplete", condition="not konfirmasi_lengkap",
           id="f_belum_lengkap")
    p.flow("cek_lengkap", "cek_perbaikan", name="Lengkap / Complete", id="f_lengkap")
    p.flow("cek_perbaikan", "rencana_perbaikan", name="Ya / Yes", condition="masa_perbaikan", id="f_perbaikan")
    p.flow("cek_perbaikan", "gabung_perbaikan", name="Tidak / No", id="f_tanpa_perbaikan")
    p.chain("rencana_perbaikan", "enam_bulan", "penilaian_ulang", "predikat_ulang_dmn", "nilai_ulang",
            "gabung_perbaikan", "cek_ppk")
    p.flow("cek_ppk", "saran_tpk", name="Ya / Yes", condition="len(tindakan_ppk) > 0", id="f_perlu_ppk")
    p.flow("cek_ppk", "gabung_ppk", name="Tidak / No", id="f_tanpa_ppk")
    p.chain("saran_tpk", "keputusan_ppk_task", "catat_ppk", "gabung_ppk", "selesai_tl", "selesai")
    return p


def forms() -> dict[str, str]:
    files: dict[str, str] = {}
    files.update(form("smk_konfirmasi_tindak_lanjut", "Rekomendasi tindak lanjut / Follow-up recommendations", {
        "galat_konfirmasi": shown(area("Yang harus diperbaiki / What must be fixed")),
        "riwayat_predikat": shown({"type": "array", "items": {"type": "string"},
                                   "title": "Riwayat predikat (lama ke baru) / Predikat history (oldest first)"}),
        "jenis_jabatan": shown(text("Jenis jabatan / Position type")),
        "daftar_rekomendasi": shown(rows("Rekomendasi (tabel tindak_lanjut) / Recommendations", {
            "kode": text("Kode"), "rekomendasi": text("Rekomendasi"), "dasar_hukum": text("Dasar hukum / Basis"),
            "persen_tukin": {"type": ["number", "null"], "title": "Tukin (%)"}}, [])),
        "keputusan_sdm": rows("Keputusan per rekomendasi / Decision per recommendation", {
            "kode": text("Kode", minLength=1),
            "rekomendasi": shown(text("Rekomendasi")),
            "keputusan": choice("Keputusan / Decision", ["dikonfirmasi", "ditolak"],
                                ["Dikonfirmasi / Confirmed", "Ditolak / Rejected"]),
            "alasan": text("Alasan / Reason", minLength=3, maxLength=1000),
        }, ["kode", "keputusan", "alasan"], minItems=1),
    }, ["keputusan_sdm"]))
    files.update(form("smk_rencana_perbaikan", "Masa perbaikan kinerja JPT (6 bulan) / JPT improvement period", {
        "riwayat_predikat": shown({"type": "array", "items": {"type": "string"}, "title": "Riwayat predikat"}),
        "target_perbaikan": rows("Target perbaikan / Improvement targets", {
            "sasaran": text("Sasaran / Objective", minLength=3, maxLength=500),
            "ukuran": text("Ukuran keberhasilan / Measure", minLength=3, maxLength=500),
        }, ["sasaran", "ukuran"], minItems=1, maxItems=20),
    }, ["target_perbaikan"]))
    files.update(form("smk_penilaian_ulang", "Penilaian ulang JPT / JPT re-assessment", {
        "target_perbaikan": shown(rows("Target perbaikan / Improvement targets", {
            "sasaran": text("Sasaran"), "ukuran": text("Ukuran")}, [])),
        "hasil_kerja": choice("Rating hasil kerja / Work results rating", RATINGS, RATING_NAMES),
        "perilaku": choice("Rating perilaku / Behaviour rating", RATINGS, RATING_NAMES),
        "catatan_penilaian_ulang": area("Catatan / Notes", minLength=3),
    }, ["hasil_kerja", "perilaku", "catatan_penilaian_ulang"]))
    files.update(form("smk_saran_tpk", "Saran Tim Penilai Kinerja / Panel advice", {
        "riwayat_predikat": shown({"type": "array", "items": {"type": "string"}, "title": "Riwayat predikat"}),
        "jenis_jabatan": shown(text("Jenis jabatan / Position type")),
        "tindakan_ppk": shown({"type": "array", "items": {"type": "string"},
                               "title": "Tindakan yang dikonfirmasi Biro SDM / Actions confirmed by HR"}),
        "saran_tpk": choice("Saran / Advice", ["uji_kompetensi", "pindah_setara", "pindah_lebih_rendah",
                                               "penempatan_sementara", "pemberhentian_dengan_hormat",
                                               "tidak_ada_tindakan"],
                            ["Uji kompetensi / Competency test", "Pindah ke jabatan setara / Transfer (same level)",
                             "Pindah ke jabatan lebih rendah / Transfer (lower)",
                             "Penempatan sementara ≤ 1 tahun / Temporary placement ≤ 1 year",
                             "Pemberhentian dengan hormat / Honourable dismissal",
                             "Tidak ada tindakan / No action"]),
        "pertimbangan_tpk": area("Pertimbangan / Considerations", minLength=3),
    }, ["saran_tpk", "pertimbangan_tpk"]))
    files.update(form("smk_keputusan_ppk", "Keputusan PPK / Decision of the PPK", {
        "tindakan_ppk": shown({"type": "array", "items": {"type": "string"}, "title": "Tindakan / Actions"}),
        "saran_tpk": shown(text("Saran Tim Penilai Kinerja / Panel advice")),
        "pertimbangan_tpk": shown(area("Pertimbangan tim / Panel considerations")),
        "keputusan_ppk": choice("Keputusan / Decision", ["sesuai_saran", "berbeda_dari_saran", "tidak_ditindaklanjuti"],
                                ["Sesuai saran tim / As advised", "Berbeda dari saran / Different from advice",
                                 "Tidak ditindaklanjuti / No action"]),
        "isi_keputusan": area("Isi keputusan / Decision text", minLength=3),
        "nomor_keputusan": text("Nomor keputusan / Decree number", maxLength=100),
    }, ["keputusan_ppk", "isi_keputusan"]))
    return files


def build() -> dict[str, str]:
    return {**bpmn(process(), LAYOUT, DOCS), **forms()}


PROCESS_DOC = (
    "Tindak lanjut hasil penilaian: tabel DMN tindak_lanjut (COLLECT) merekomendasikan penghargaan dan sanksi dari "
    "riwayat predikat dan jenis jabatan; Biro SDM memutuskan setiap rekomendasi dengan alasan; tindakan yang "
    "mengubah jabatan diputuskan PPK atas saran Tim Penilai Kinerja; JPT yang tidak mencapai target mendapat masa "
    "perbaikan 6 bulan lalu penilaian ulang (PP 30/2019 Pasal 56–58).",
    "Follow-up of the assessment: the DMN table tindak_lanjut (COLLECT) recommends rewards and sanctions from the "
    "predikat history and the position type; Biro SDM decides each recommendation with a reason; position-changing "
    "actions are decided by the PPK on the advice of the Tim Penilai Kinerja; a JPT below target gets a six-month "
    "improvement period and a re-assessment (PP 30/2019 art. 56–58).")

DOCS = {
    "mulai": ("Dimulai oleh penilaian yang final.", "Started by the final assessment."),
    "siapkan": ("Menentukan periode sebelumnya (2021 dibaca dari integrasi 2021).",
                "Determines the previous period (2021 comes from the 2021 integration)."),
    "baca_riwayat": ("Membaca predikat pegawai pada periode sebelumnya.",
                     "Reads the employee's predikat of the previous period."),
    "susun_riwayat": ("Menyusun riwayat predikat (lama ke baru) sebagai masukan tabel tindak lanjut.",
                      "Builds the predikat history (oldest first) as the follow-up table's input."),
    "rekomendasi_dmn": ("Tabel DMN tindak_lanjut (COLLECT): rekomendasi dari predikat terakhir, predikat "
                        "sebelumnya dan jenis jabatan, dengan dasar hukumnya (PP 30/2019 Pasal 56–58; tukin menurut "
                        "aturan instansi).",
                        "DMN table tindak_lanjut (COLLECT): recommendations from the latest and previous predikat "
                        "and the position type, with their legal basis (PP 30/2019 art. 56–58; tukin by agency "
                        "rule)."),
    "susun_rekomendasi": ("Menyusun daftar rekomendasi untuk diputuskan Biro SDM.",
                          "Lists the recommendations for Biro SDM to decide."),
    "ada_rekomendasi": ("Ada rekomendasi?", "Are there recommendations?"),
    "f_ada_rekomendasi": ("Ada (ada_rekomendasi): Biro SDM memutuskan.", "Yes (ada_rekomendasi): Biro SDM decides."),
    "konfirmasi_sdm": ("Biro SDM mengonfirmasi atau menolak setiap rekomendasi dengan alasan; tindak lanjut tidak "
                       "pernah otomatis (tenggat 14 hari).",
                       "Biro SDM confirms or rejects each recommendation with a reason; follow-up is never "
                       "automatic (due in 14 days)."),
    "pilah": ("Memilah keputusan: yang dikonfirmasi, yang ditolak, masa perbaikan JPT, tindakan untuk PPK, persen "
              "tukin.",
              "Sorts the decisions: confirmed, rejected, the JPT improvement period, actions for the PPK, the tukin "
              "percentage."),
    "cek_lengkap": ("Semua rekomendasi diputus tepat satu kali?", "Is every recommendation decided exactly once?"),
    "f_belum_lengkap": ("Belum lengkap (not konfirmasi_lengkap): kembali ke Biro SDM.",
                        "Incomplete (not konfirmasi_lengkap): back to Biro SDM."),
    "cek_perbaikan": ("Masa perbaikan JPT dikonfirmasi? (PP 30/2019 Pasal 56–58)",
                      "Was the JPT improvement period confirmed? (PP 30/2019 art. 56–58)"),
    "f_perbaikan": ("Ya (masa_perbaikan): tetapkan target perbaikan 6 bulan.",
                    "Yes (masa_perbaikan): set six-month improvement targets."),
    "rencana_perbaikan": ("Pejabat Penilai menetapkan target perbaikan JPT untuk 6 bulan (tenggat 14 hari; PP "
                          "30/2019 Pasal 56–58).",
                          "The assessor sets the JPT's improvement targets for six months (due in 14 days; PP "
                          "30/2019 art. 56–58)."),
    "enam_bulan": ("Timer P6M: masa perbaikan kinerja JPT 6 bulan (PP 30/2019 Pasal 56–58).",
                   "Timer P6M: the six-month JPT improvement period (PP 30/2019 art. 56–58)."),
    "penilaian_ulang": ("Pejabat Penilai menilai ulang hasil kerja dan perilaku setelah masa perbaikan (tenggat 14 "
                        "hari).",
                        "The assessor re-assesses work results and behaviour after the improvement period (due in "
                        "14 days)."),
    "predikat_ulang_dmn": ("Tabel DMN predikat_matrix_6_2022: predikat penilaian ulang (PermenPANRB 6/2022).",
                           "DMN table predikat_matrix_6_2022: the re-assessment's predikat (PermenPANRB 6/2022)."),
    "nilai_ulang": ("Mencatat hasil masa perbaikan; tanpa perbaikan (bukan Baik/Sangat Baik) ditambahkan uji "
                    "kompetensi ulang untuk PPK. Predikat tahunan tetap tercatat.",
                    "Records the outcome; without improvement (not Baik/Sangat Baik) a new competency test is added "
                    "for the PPK. The year's predikat stays on record."),
    "gabung_perbaikan": ("Menggabungkan jalur dengan dan tanpa masa perbaikan.",
                         "Joins the paths with and without an improvement period."),
    "cek_ppk": ("Perlu keputusan PPK? Pemindahan jabatan, uji kompetensi ulang JPT dan evaluasi perjanjian kerja "
                "diputuskan PPK.",
                "Does the PPK have to decide? Transfers, a JPT's new competency test and the evaluation of a "
                "contract are decided by the PPK."),
    "f_perlu_ppk": ("Ya (len(tindakan_ppk) > 0): minta saran Tim Penilai Kinerja.",
                    "Yes (len(tindakan_ppk) > 0): ask the Tim Penilai Kinerja for advice."),
    "saran_tpk": ("Tim Penilai Kinerja memberi saran kepada PPK: uji kompetensi, pindah setara atau lebih rendah, "
                  "penempatan sementara ≤ 1 tahun, pemberhentian dengan hormat (tenggat 14 hari; PP 30/2019 Pasal "
                  "56–58).",
                  "The Tim Penilai Kinerja advises the PPK: competency test, transfer at the same or a lower level, "
                  "temporary placement ≤ 1 year, honourable dismissal (due in 14 days; PP 30/2019 art. 56–58)."),
    "keputusan_ppk_task": ("PPK memutuskan sesuai saran, berbeda dari saran, atau tidak ditindaklanjuti, dengan isi "
                           "dan nomor keputusan (tenggat 14 hari).",
                           "The PPK decides as advised, differently, or not at all, with the decision text and "
                           "number (due in 14 days)."),
    "catat_ppk": ("Mencatat keputusan PPK bersama saran tim.", "Records the PPK's decision with the panel's advice."),
    "gabung_ppk": ("Menggabungkan semua jalur tindak lanjut.", "Joins all follow-up paths."),
    "selesai_tl": ("Menandai tindak lanjut selesai.", "Marks the follow-up complete."),
    "selesai": ("Tindak lanjut selesai.", "The follow-up is complete."),
}
