"""Periode kinerja: Biro SDM opens a period, the engine starts one planning instance per employee in scope,
and the period closes when every assessment is final."""

from __future__ import annotations

from .common import SDM, WIB_END_OF_DAY, SmkProcess, area, bpmn, choice, form, integer, rows, shown, text

PROCESS_ID = "smk_periode"

SIAPKAN = f"""\
try:
    unit_cakupan
except NameError:
    unit_cakupan = ''
try:
    iku_organisasi
except NameError:
    iku_organisasi = []
unit_cakupan = (unit_cakupan or '').strip()
galat = []
if jenis_periode == 'tahunan':
    periode = str(tahun)
    mulai = date(tahun, 1, 1)
    akhir = date(tahun, 12, 31)
    regime_berlaku = 'A' if tahun <= 2020 else 'C'
    if tahun == 2021:
        galat.append('Tahun 2021 terdiri atas dua periode: pilih 2021-I atau 2021-II / '
                     '2021 has two half-year periods: choose 2021-I or 2021-II')
else:
    periode = jenis_periode
    if tahun != 2021:
        galat.append('Periode semester hanya berlaku untuk tahun 2021 / Half-year periods exist only in 2021')
    if jenis_periode == '2021-I':
        mulai = date(2021, 1, 1)
        akhir = date(2021, 6, 30)
        regime_berlaku = 'A'
    else:
        mulai = date(2021, 7, 1)
        akhir = date(2021, 12, 31)
        regime_berlaku = 'B'
if regime != regime_berlaku:
    galat.append(f'Regime {{regime}} tidak berlaku untuk periode {{periode}}; yang berlaku regime {{regime_berlaku}} / '
                 f'Regime {{regime}} does not apply to period {{periode}}; use regime {{regime_berlaku}}')
bulan = (akhir.year - mulai.year) * 12 + akhir.month - mulai.month + 1
jumlah_slice = bulan if frekuensi == 'bulanan' else bulan // 3
if date.fromisoformat(batas_skp) < mulai or date.fromisoformat(batas_skp) > akhir:
    galat.append('Batas penetapan SKP harus di dalam periode / The SKP deadline must lie within the period')
if date.fromisoformat(batas_penilaian) <= akhir:
    galat.append('Batas penilaian harus sesudah akhir periode / The assessment deadline must come after the period')
periode_valid = len(galat) == 0
galat_teks = '\\n'.join(galat)
tanggal_mulai = mulai.isoformat()
tanggal_akhir = akhir.isoformat()
akhir_periode_ts = tanggal_akhir + '{WIB_END_OF_DAY}'
batas_penilaian_ts = batas_penilaian + '{WIB_END_OF_DAY}'
data_periode = {{
    'regime': regime, 'frekuensi': frekuensi, 'tanggal_mulai': tanggal_mulai, 'tanggal_akhir': tanggal_akhir,
    'jumlah_slice': jumlah_slice, 'batas_skp': batas_skp, 'batas_penilaian': batas_penilaian,
    'maks_putaran': maks_putaran, 'iku_organisasi': iku_organisasi,
}}
status_periode = 'dibuka' if periode_valid else 'draf'
del mulai, akhir
"""

TUTUP = """\
status_periode = 'ditutup'
semua_final = True
"""


def process() -> SmkProcess:
    p = SmkProcess(PROCESS_ID, "Periode kinerja", lanes=[SDM])
    p.documentation = "\n\nEN: ".join(PROCESS_DOC)
    p.start("mulai", "Mulai", lane=SDM, col=0)
    p.user("buka_periode", "Buka periode kinerja", lane=SDM, col=1, form="smk_periode_buka",
           instructions="Tentukan tahun, regime, frekuensi evaluasi dan batas waktu. / Set the year, regime, "
                        "evaluation frequency and deadlines.")
    p.script("siapkan_periode", "Periksa dan siapkan periode", SIAPKAN, lane=SDM, col=2)
    p.gateway("cek_periode", "Periode valid?", lane=SDM, col=3, default="f_periode_valid")
    # The period instance starts before Biro SDM has chosen the period; record it on the instance now,
    # so lists and reports show which period this is.
    p.service("catat_periode", "Catat periode", "set_period", params={"period": "periode"},
              result="periode_tercatat", lane=SDM, col=4)
    p.service("daftar_pegawai", "Daftar pegawai dalam cakupan", "list_employees",
              params={"unit_code": "unit_cakupan or None"}, result="daftar_pegawai", lane=SDM, col=5)
    p.service("pilih_pegawai", "Pegawai yang dinilai dalam sistem", "smk_pegawai_dinilai",
              params={"subject_ids": "[p['id'] for p in daftar_pegawai]"}, result="pegawai_ids", lane=SDM, col=6)
    p.service("mulai_perencanaan", "Mulai perencanaan setiap pegawai", "start_process",
              params={"process_id": "'smk_perencanaan'", "subject_ids": "pegawai_ids", "period": "periode",
                      "data": "data_periode"}, result="jumlah_perencanaan", lane=SDM, col=7)
    p.catch("akhir_periode", "Akhir periode", lane=SDM, col=8, timer=("timeDate", "akhir_periode_ts"))
    p.gateway("cek_regime_c", "Regime C?", lane=SDM, col=9, default="f_bukan_c")
    p.service("daftar_kepala_unit", "Kepala unit dalam cakupan", "smk_kepala_unit",
              params={"subject_ids": "pegawai_ids"}, result="kepala_unit_ids", lane=SDM, col=10)
    p.service("mulai_predikat_unit", "Minta predikat unit", "start_process",
              params={"process_id": "'smk_predikat_unit'", "subject_ids": "kepala_unit_ids", "period": "periode",
                      "data": "data_periode"}, result="jumlah_predikat_unit", lane=SDM, col=11)
    p.gateway("gabung_regime", "", lane=SDM, col=12)
    p.catch("batas_penilaian", "Batas penilaian", lane=SDM, col=13, timer=("timeDate", "batas_penilaian_ts"))
    p.service("hitung_final", "Hitung penilaian final", "count_instances",
              params={"process_id": "'smk_penilaian'", "period": "periode", "status": "'completed'"},
              result="jumlah_final", lane=SDM, col=14)
    p.gateway("cek_final", "Semua final?", lane=SDM, col=15, default="f_belum_final")
    p.user("pantau_penutupan", "Tindak lanjuti penilaian yang belum final", lane=SDM, col=16,
           form="smk_periode_pantau", properties={"dueInDays": "7"})
    p.catch("tunggu_sepekan", "Periksa lagi sepekan kemudian", lane=SDM, col=17, timer=("timeDuration", '"P7D"'))
    p.place("tunggu_sepekan", 1)
    p.place("pantau_penutupan", 1)
    p.script("tutup_periode", "Tutup periode", TUTUP, lane=SDM, col=16)
    p.gateway("cek_2021", "Periode 2021-II?", lane=SDM, col=17, default="f_bukan_2021")
    p.service("mulai_integrasi", "Mulai integrasi nilai 2021", "start_process",
              params={"process_id": "'smk_integrasi_2021'", "subject_ids": "pegawai_ids", "period": "'2021'",
                      "data": "{}"}, result="jumlah_integrasi", lane=SDM, col=18)
    p.end("selesai", "Periode ditutup", lane=SDM, col=19)

    p.chain("mulai", "buka_periode", "siapkan_periode", "cek_periode")
    p.flow("cek_periode", "buka_periode", name="Perbaiki / Fix", condition="not periode_valid",
           id="f_periode_galat")
    p.flow("cek_periode", "catat_periode", name="Valid", id="f_periode_valid")
    p.chain("catat_periode", "daftar_pegawai")
    p.chain("daftar_pegawai", "pilih_pegawai", "mulai_perencanaan", "akhir_periode", "cek_regime_c")
    p.flow("cek_regime_c", "daftar_kepala_unit", name="Regime C", condition="regime == 'C'", id="f_regime_c")
    p.flow("cek_regime_c", "gabung_regime", name="A / B", id="f_bukan_c")
    p.chain("daftar_kepala_unit", "mulai_predikat_unit", "gabung_regime", "batas_penilaian", "hitung_final",
            "cek_final")
    p.flow("cek_final", "tutup_periode", name="Semua final / All final",
           condition="jumlah_final >= jumlah_perencanaan", id="f_semua_final")
    p.flow("cek_final", "pantau_penutupan", name="Belum / Not yet", id="f_belum_final")
    # Re-check weekly, not at once: a loop inside one instance must stay short (see docs/modelling.md).
    p.flow("pantau_penutupan", "tunggu_sepekan")
    p.flow("tunggu_sepekan", "hitung_final", name="Periksa lagi / Check again")
    p.chain("tutup_periode", "cek_2021")
    p.flow("cek_2021", "mulai_integrasi", name="2021-II", condition="periode == '2021-II'", id="f_2021")
    p.flow("cek_2021", "selesai", id="f_bukan_2021")
    p.flow("mulai_integrasi", "selesai")
    return p


def forms() -> dict[str, str]:
    files = form("smk_periode_buka", "Buka periode kinerja / Open a performance period", {
        "galat_teks": shown(area("Yang harus diperbaiki / What must be fixed")),
        "tahun": integer("Tahun / Year", minimum=2014, maximum=2100),
        "jenis_periode": choice("Jenis periode / Period type", ["tahunan", "2021-I", "2021-II"],
                                ["Tahunan / Yearly", "2021-I (Januari–Juni) / Jan–Jun 2021",
                                 "2021-II (Juli–Desember) / Jul–Dec 2021"]),
        "regime": choice("Regime penilaian / Assessment regime", ["A", "B", "C"],
                         ["A — Perka BKN 1/2013", "B — PP 30/2019 jo. PermenPANRB 8/2021",
                          "C — PermenPANRB 6/2022"]),
        "frekuensi": choice("Frekuensi evaluasi periodik / Periodic evaluation frequency",
                            ["bulanan", "triwulanan"], ["Bulanan / Monthly", "Triwulanan / Quarterly"]),
        "batas_skp": text("Batas penetapan SKP / SKP deadline", format="date"),
        "batas_penilaian": text("Batas penilaian akhir / Final assessment deadline", format="date"),
        "maks_putaran": integer("Maksimal putaran pengembalian SKP / Maximum SKP return rounds", minimum=1,
                                maximum=10, default=3),
        "unit_cakupan": text("Kode unit dalam cakupan (kosong = semua) / Unit code in scope (empty = all)",
                             maxLength=40),
        "iku_organisasi": rows("IKU organisasi dari Perjanjian Kinerja / Organisation IKU from the PK", {
            "unit_code": text("Kode unit / Unit code", minLength=1, maxLength=40),
            "kode": text("Kode IKU / IKU code", minLength=1, maxLength=40),
            "nama": text("Indikator kinerja utama / Key performance indicator", minLength=3, maxLength=500),
            "target": text("Target", minLength=1, maxLength=100),
        }, ["unit_code", "kode", "nama", "target"], maxItems=200),
    }, ["tahun", "jenis_periode", "regime", "frekuensi", "batas_skp", "batas_penilaian", "maks_putaran"])
    files.update(form("smk_periode_pantau", "Penilaian yang belum final / Assessments not yet final", {
        "periode": shown(text("Periode / Period")),
        "jumlah_perencanaan": shown(integer("Jumlah pegawai / Employees")),
        "jumlah_final": shown(integer("Penilaian final / Final assessments")),
        "catatan_pantau": area("Tindakan yang diambil / Action taken"),
    }, []))
    return files


def build() -> dict[str, str]:
    return {**bpmn(process(), None, DOCS), **forms()}


PROCESS_DOC = (
    "Periode kinerja: Biro SDM membuka periode (tahun, regime, frekuensi evaluasi, batas waktu), mesin memulai satu "
    "perencanaan per pegawai yang dinilai, pada akhir periode (regime C) kepala unit diminta menetapkan predikat "
    "unit, dan periode ditutup ketika semua penilaian final. Periode 2021 terdiri atas 2021-I (regime A) dan "
    "2021-II (regime B) sesuai SE Menteri PANRB 3/2021; sejak 2022 berlaku regime C (PermenPANRB 6/2022).",
    "Performance period: Biro SDM opens a period (year, regime, evaluation frequency, deadlines), the engine starts "
    "one planning instance per assessed employee, at the end of the period (regime C) unit heads are asked for the "
    "unit rating, and the period closes when every assessment is final. 2021 has two half-year periods, 2021-I "
    "(regime A) and 2021-II (regime B), per SE Menteri PANRB 3/2021; from 2022 regime C applies (PermenPANRB "
    "6/2022).")

DOCS = {
    "mulai": ("Biro SDM memulai periode baru dari menu Proses.",
              "Biro SDM starts a new period from the Processes menu."),
    "buka_periode": (
        "Biro SDM mengisi tahun, jenis periode, regime, frekuensi evaluasi periodik (bulanan/triwulanan), batas "
        "penetapan SKP, batas penilaian, batas putaran pengembalian SKP dan IKU organisasi dari Perjanjian Kinerja. "
        "Tahapan perencanaan kinerja: PP 30/2019 dan PermenPANRB 6/2022 (frekuensi evaluasi ditetapkan instansi).",
        "Biro SDM enters the year, period type, regime, periodic evaluation frequency (monthly/quarterly), the SKP "
        "deadline, the assessment deadline, the maximum SKP return rounds and the organisation's IKU from the "
        "Perjanjian Kinerja. Planning stage: PP 30/2019 and PermenPANRB 6/2022 (the frequency is an agency "
        "setting)."),
    "siapkan_periode": (
        "Memeriksa isian: regime harus sesuai tahun (sampai 2020 dan 2021-I regime A Perka BKN 1/2013; 2021-II "
        "regime B PP 30/2019 jo. PermenPANRB 8/2021; sejak 2022 regime C PermenPANRB 6/2022), 2021 hanya sebagai "
        "dua semester (SE Menteri PANRB 3/2021), batas SKP di dalam periode dan batas penilaian sesudahnya. "
        "Menghitung jumlah bulan/triwulan pemantauan dan tenggat dalam WIB.",
        "Checks the entries: the regime must match the year (up to 2020 and 2021-I regime A, Perka BKN 1/2013; "
        "2021-II regime B, PP 30/2019 with PermenPANRB 8/2021; from 2022 regime C, PermenPANRB 6/2022), 2021 only as "
        "two half-years (SE Menteri PANRB 3/2021), the SKP deadline inside the period and the assessment deadline "
        "after it. Computes the number of monitoring slices and the deadlines in WIB."),
    "cek_periode": ("Apakah isian periode sah? Jika tidak, formulir kembali ke Biro SDM dengan daftar yang harus "
                    "diperbaiki.",
                    "Are the period entries valid? If not, the form goes back to Biro SDM with what must be fixed."),
    "f_periode_galat": ("Isian tidak sah (periode_valid salah): kembali ke formulir pembukaan periode.",
                        "Invalid entries (periode_valid is false): back to the period form."),
    "catat_periode": ("Mencatat periode pada instance ini agar daftar dan laporan menunjukkan periode yang dibuka "
                      "(aturan sistem).",
                      "Records the period on this instance so that lists and reports show which period it is "
                      "(system rule)."),
    "daftar_pegawai": ("Membaca pegawai aktif dalam unit cakupan (kosong = seluruh organisasi) dari data "
                       "organisasi.",
                       "Reads the active employees of the unit in scope (empty = the whole organisation) from the "
                       "organisation data."),
    "pilih_pegawai": ("Menyaring pegawai yang dinilai dalam sistem: yang memiliki Pejabat Penilai. Pimpinan "
                      "tertinggi menandatangani Perjanjian Kinerja dengan menteri, di luar SMK ini.",
                      "Keeps the employees assessed in this system: those with a Pejabat Penilai. The head of the "
                      "organisation signs the Perjanjian Kinerja with the minister, outside this SMK."),
    "mulai_perencanaan": ("Memulai satu proses perencanaan kinerja (smk_perencanaan) per pegawai dalam transaksi "
                          "yang sama (PermenPANRB 6/2022, perencanaan kinerja).",
                          "Starts one planning process (smk_perencanaan) per employee in the same transaction "
                          "(PermenPANRB 6/2022, performance planning)."),
    "akhir_periode": ("Timer: menunggu sampai akhir periode, pukul 23.59 WIB tanggal terakhir periode "
                      "(akhir_periode_ts).",
                      "Timer: waits until the end of the period, 23:59 WIB on its last day (akhir_periode_ts)."),
    "cek_regime_c": ("Regime C? Hanya PermenPANRB 6/2022 mengenal predikat unit yang menentukan kurva distribusi "
                     "predikat pegawai.",
                     "Regime C? Only PermenPANRB 6/2022 has a unit rating that sets the distribution curve of the "
                     "staff predikat."),
    "f_regime_c": ("Regime C (regime == 'C'): minta predikat unit dari setiap kepala unit.",
                   "Regime C (regime == 'C'): ask every unit head for the unit rating."),
    "daftar_kepala_unit": ("Mencari kepala unit kurva di antara pegawai dalam cakupan.",
                           "Finds the heads of curve units among the employees in scope."),
    "mulai_predikat_unit": ("Memulai smk_predikat_unit untuk setiap kepala unit: predikat organisasi/unit "
                            "ditetapkan lebih dahulu (PermenPANRB 6/2022, kurva distribusi).",
                            "Starts smk_predikat_unit for every unit head: the unit's rating comes first "
                            "(PermenPANRB 6/2022, distribution curve)."),
    "gabung_regime": ("Menggabungkan jalur regime C dan regime A/B.", "Joins the regime C and regime A/B paths."),
    "batas_penilaian": ("Timer: menunggu batas penilaian akhir yang ditetapkan Biro SDM, 23.59 WIB "
                        "(batas_penilaian_ts).",
                        "Timer: waits for the final assessment deadline set by Biro SDM, 23:59 WIB "
                        "(batas_penilaian_ts)."),
    "hitung_final": ("Menghitung penilaian (smk_penilaian) periode ini yang sudah selesai.",
                     "Counts this period's assessments (smk_penilaian) that have completed."),
    "cek_final": ("Semua final? Periode ditutup jika jumlah penilaian final tidak kurang dari jumlah perencanaan "
                  "yang dimulai.",
                  "All final? The period closes when the final assessments are at least as many as the plannings "
                  "started."),
    "f_semua_final": ("Semua penilaian final (jumlah_final >= jumlah_perencanaan): tutup periode.",
                      "Every assessment is final (jumlah_final >= jumlah_perencanaan): close the period."),
    "pantau_penutupan": ("Biro SDM menindaklanjuti penilaian yang belum final (tenggat 7 hari) dan mencatat "
                         "tindakannya.",
                         "Biro SDM follows up the assessments not yet final (due in 7 days) and records the "
                         "action."),
    "tunggu_sepekan": ("Timer P7D: periksa lagi sepekan kemudian. Perulangan dalam satu instance harus lambat "
                       "(aturan sistem: SpiffWorkflow berhenti diam-diam setelah ~250 putaran).",
                       "Timer P7D: check again a week later. A loop inside one instance must be slow (system "
                       "rule: SpiffWorkflow silently stops after ~250 iterations)."),
    "tutup_periode": ("Menandai periode ditutup (status_periode = 'ditutup').",
                      "Marks the period closed (status_periode = 'ditutup')."),
    "cek_2021": ("Periode 2021-II? Setelah semester kedua 2021 ditutup, nilai 2021 diintegrasikan (SE Menteri "
                 "PANRB 3/2021).",
                 "Period 2021-II? After the second half of 2021 closes, the 2021 values are integrated (SE Menteri "
                 "PANRB 3/2021)."),
    "f_2021": ("Periode 2021-II (periode == '2021-II'): mulai integrasi nilai 2021.",
               "Period 2021-II (periode == '2021-II'): start the 2021 integration."),
    "mulai_integrasi": ("Memulai smk_integrasi_2021 untuk setiap pegawai (50% periode I dikonversi + 50% periode "
                        "II; SE Menteri PANRB 3/2021).",
                        "Starts smk_integrasi_2021 for every employee (50% converted period I + 50% period II; SE "
                        "Menteri PANRB 3/2021)."),
    "selesai": ("Periode ditutup.", "The period is closed."),
}
