"""Penilaian kinerja: the assessor assesses by the regime in force (A, B or C), predikat from the DMN tables;
under regime C the unit's distribution curve is checked and violations go back to the assessor, and a curve unit's
head gets the hasil-kerja rating that follows the unit's predikat (DMN `hasil_kerja_pimpinan`; the assessor rates
perilaku only); the employee may object within 14 days to the assessor's superior, whose decision is final; no
objection → final."""

from __future__ import annotations

from .common import (
    APP,
    MAKS_ANGKA,
    PEGAWAI,
    PP,
    PREDIKAT_A,
    PREDIKAT_ALL,
    PREDIKAT_B,
    PREDIKAT_C,
    RATING_NAMES,
    RATINGS,
    SmkProcess,
    area,
    bilingual,
    boolean,
    bpmn,
    choice,
    form,
    integer,
    number,
    rows,
    shown,
    text,
)
from .layout import Layout, Route

PROCESS_ID = "smk_penilaian"

SIAPKAN = f"""\
struktural = pegawai['struktural']
nilai = None
inovasi = False
tugas_tambahan = 0
kreativitas = ''
perilaku_kepemimpinan = None
kinerja_tambahan = []
catatan_kurva = ''
putaran_kurva = 0
kegiatan_penilaian = [{{'nama': k['nama'], 'target_kuantitas': k['target_kuantitas'],
                       'target_kualitas': k.get('target_kualitas') or 100, 'target_waktu': k['target_waktu'],
                       'target_biaya': k.get('target_biaya')}} for k in skp.get('kegiatan') or []]
indikator_penilaian = [{{'id': i['id'], 'nama': i['indikator'], 'target': i['target'],
                        'arah': i.get('arah') or 'lebih_tinggi'}} for i in skp['indikator']]
ringkasan_pemantauan = '\\n'.join(f"- {{r['label']}}: capaian {{r['rata_capaian']}}% ({{r['status']}})"
                                  + (' — pembinaan' if r.get('pembinaan') else '')
                                  + (' — apresiasi' if r.get('apresiasi') else '')
                                  for r in riwayat_pemantauan or [])
PREDIKAT_REGIME = {{'A': {PREDIKAT_A!r}, 'B': {PREDIKAT_B!r}, 'C': {PREDIKAT_C!r}}}
predikat_berlaku = PREDIKAT_REGIME[regime]
del PREDIKAT_REGIME
"""

HITUNG_A = """\
sasaran = {k['nama']: k for k in kegiatan_penilaian}
keg = []
for r in kegiatan_penilaian_isi:
    k = sasaran.get(r['nama'])
    if k is None:
        continue
    row = {'nama': k['nama'], 'target_kuantitas': k['target_kuantitas'], 'realisasi_kuantitas': r['realisasi_kuantitas'],
           'target_kualitas': k['target_kualitas'], 'realisasi_kualitas': r['realisasi_kualitas'],
           'target_waktu': k['target_waktu'], 'realisasi_waktu': r['realisasi_waktu']}
    if k.get('target_biaya'):
        row['target_biaya'] = k['target_biaya']
        row['realisasi_biaya'] = r.get('realisasi_biaya') or 0
    keg.append(row)
perilaku_a = {'orientasi_pelayanan': perilaku_orientasi_pelayanan, 'integritas': perilaku_integritas,
              'komitmen': perilaku_komitmen, 'disiplin': perilaku_disiplin, 'kerja_sama': perilaku_kerja_sama}
if struktural:
    perilaku_a['kepemimpinan'] = perilaku_kepemimpinan if perilaku_kepemimpinan is not None else 0
hasil_a = nilai_regime_a(keg, perilaku_a, struktural, tugas_tambahan or 0, kreativitas or None)
nilai = hasil_a['nilai_prestasi_kerja']
"""

HITUNG_B = """\
sasaran = {i['id']: i for i in indikator_penilaian}
ind = []
for r in indikator_penilaian_isi:
    i = sasaran.get(r['id'])
    if i is not None:
        ind.append({'nama': i['nama'], 'target': i['target'], 'realisasi': r['realisasi'], 'arah': i['arah']})
perilaku_b = {'orientasi_pelayanan': perilaku_orientasi_pelayanan, 'komitmen': perilaku_komitmen,
              'inisiatif_kerja': perilaku_inisiatif_kerja, 'kerja_sama': perilaku_kerja_sama}
if struktural:
    perilaku_b['kepemimpinan'] = perilaku_kepemimpinan if perilaku_kepemimpinan is not None else 0
hasil_b = nilai_regime_b(ind, perilaku_b, struktural, inovasi, kinerja_tambahan or None)
nilai = hasil_b['nilai_kinerja']
"""

HASIL_KERJA_KEPALA = """\
predikat_unit = unit_kepala['predikat_unit']
hasil_kerja = hasil_kerja_pimpinan(predikat_unit)
hasil_kerja_unit = hasil_kerja
penjelasan_hasil_kerja = (
    f"Pegawai ini kepala {unit_kepala['unit']}. Rating hasil kerjanya mengikuti predikat unit ({predikat_unit}): "
    f"{hasil_kerja} (PermenPANRB 6/2022; tabel hasil_kerja_pimpinan). Anda hanya menilai perilaku kerja. / "
    f"This employee heads {unit_kepala['unit']}. Their work-results rating follows the unit's rating "
    f"({predikat_unit}): {hasil_kerja} (PermenPANRB 6/2022; table hasil_kerja_pimpinan). You rate behaviour only.")
galat_hasil_kerja = ''
"""

PERIKSA_HASIL_KERJA = """\
hasil_kerja_sah = hasil_kerja == hasil_kerja_unit
if hasil_kerja_sah:
    galat_hasil_kerja = ''
else:
    galat_hasil_kerja = (
        f"Rating hasil kerja '{hasil_kerja}' ditolak: hasil kerja kepala unit mengikuti predikat unit "
        f"({predikat_unit}), yaitu {hasil_kerja_unit}. Nilailah perilaku kerja saja. / "
        f"Work-results rating '{hasil_kerja}' refused: a unit head's work results follow the unit's rating "
        f"({predikat_unit}), i.e. {hasil_kerja_unit}. Rate behaviour only.")
    hasil_kerja = hasil_kerja_unit
"""

KOREKSI_KURVA = """\
putaran_kurva += 1
catatan_kurva = kurva['pesan'] + ('\\nSaran / Suggestion: ' + ' '.join(kurva['saran']) if kurva['saran'] else '')
"""

HASIL = """\
predikat_awal = predikat
nilai_awal = nilai
keberatan_status = None
nilai_baru = None
predikat_baru = None
ringkasan_hasil = f"Predikat: {predikat}" + (f"; nilai: {nilai}" if nilai is not None else '')
"""

TERAPKAN = """\
keputusan_valid = keputusan_keberatan == 'ditolak' or predikat_baru in predikat_berlaku
if keputusan_valid:
    keberatan_status = 'diterima' if keputusan_keberatan == 'diterima' else 'ditolak'
    if keputusan_keberatan == 'diterima':
        predikat = predikat_baru
        if regime != 'C' and nilai_baru is not None:
            nilai = nilai_baru
    final_karena = 'keputusan_atasan_penilai'
    galat_keberatan = ''
else:
    galat_keberatan = (f"Predikat {predikat_baru} tidak berlaku pada regime {regime}; pilih salah satu: "
                       f"{', '.join(predikat_berlaku)} / not valid in this regime")
"""

FINAL = """\
status_penilaian = 'final'
data_tindak_lanjut = {'regime': regime, 'predikat': predikat, 'nilai': nilai, 'skp_pemilik': pegawai['id'],
                      'jenis_jabatan': pegawai['jenis_jabatan'], 'keberatan_status': keberatan_status}
"""


LAYOUT = Layout(
    rows={"menunggu_predikat_unit": 2, "nilai_c_kepala": 2, "menunggu_kurva": 2},
    routes={
        "f_hasil_kerja_sah": Route(exit="right"),
        "f_kurva_sesuai": Route(exit="right"),
        "f_kurva_melanggar": Route(exit="over"),
        "f_keberatan": Route(exit="right", label=(6, 3)),
    })


def process() -> SmkProcess:
    p = SmkProcess(PROCESS_ID, "Penilaian kinerja dan keberatan", lanes=[PEGAWAI, PP, APP])
    p.documentation = "\n\nEN: ".join(PROCESS_DOC)
    p.start("mulai", "Mulai", lane=PP, col=0)
    p.service("profil", "Baca data pegawai", "smk_profil_pegawai", result="pegawai", lane=PP, col=1)
    p.script("siapkan", "Siapkan penilaian", SIAPKAN, lane=PP, col=2)
    p.gateway("pilih_regime", "Regime?", lane=PP, col=3, default="f_regime_c")
    p.user("nilai_a", "Nilai SKP (regime A)", lane=PP, col=4, form="smk_nilai_a", properties={"dueInDays": "14"})
    p.script("hitung_a", "Hitung nilai prestasi kerja", HITUNG_A, lane=PP, col=5)
    p.rule("predikat_a", "Predikat regime A", "predikat_band_regime_a", lane=PP, col=6)
    p.user("nilai_b", "Nilai SKP (regime B)", lane=PP, col=4, form="smk_nilai_b", properties={"dueInDays": "14"})
    p.script("hitung_b", "Hitung nilai kinerja", HITUNG_B, lane=PP, col=5)
    p.rule("predikat_b", "Predikat regime B", "predikat_band_regime_b", lane=PP, col=6)
    for node in ("nilai_a", "hitung_a", "predikat_a"):
        p.place(node, -1)
    for node in ("nilai_b", "hitung_b", "predikat_b"):
        p.place(node, 1)
    p.gateway("cek_kepala_unit", "Kepala unit kurva?", lane=PP, col=7, default="f_bukan_kepala")
    p.service("baca_predikat_unit", "Baca predikat unit", "smk_predikat_unit_kepala", result="unit_kepala",
              lane=PEGAWAI, col=8)
    p.gateway("ada_predikat_unit", "Predikat unit ada?", lane=PEGAWAI, col=9, default="f_predikat_unit_ada")
    p.user("menunggu_predikat_unit", "Menunggu predikat unit", lane=PP, col=9, form="smk_menunggu_predikat_unit",
           instructions="Rating hasil kerja kepala unit mengikuti predikat unit, yang belum ditetapkan. / The unit "
                        "head's work-results rating follows the unit's rating, which has not been set yet.")
    p.place("menunggu_predikat_unit", 1)
    p.boundary("periksa_predikat_unit_harian", "Periksa lagi besok", "menunggu_predikat_unit",
               timer=("timeDuration", '"P1D"'))
    p.script("hasil_kerja_kepala", "Hasil kerja mengikuti predikat unit", HASIL_KERJA_KEPALA, lane=PEGAWAI, col=10)
    p.user("nilai_c_kepala", "Nilai perilaku kepala unit (regime C)", lane=PP, col=11, form="smk_nilai_c_kepala",
           properties={"dueInDays": "14"})
    p.place("nilai_c_kepala", 1)
    p.script("periksa_hasil_kerja", "Periksa hasil kerja kepala unit", PERIKSA_HASIL_KERJA, lane=PEGAWAI, col=12)
    p.gateway("cek_hasil_kerja", "Hasil kerja sesuai unit?", lane=PEGAWAI, col=13, default="f_hasil_kerja_sah")
    p.user("nilai_c", "Nilai hasil kerja dan perilaku (regime C)", lane=PP, col=12, form="smk_nilai_c",
           properties={"dueInDays": "14"})
    p.rule("predikat_c", "Predikat (matriks 6/2022)", "predikat_matrix_6_2022", lane=PP, col=14)
    p.gateway("cek_kurva_perlu", "Dalam kurva unit?", lane=PP, col=15, default="f_luar_kurva")
    p.service("cek_kurva", "Periksa kurva distribusi unit", "smk_cek_kurva", params={"predikat": "predikat"},
              result="kurva", lane=PEGAWAI, col=16)
    p.gateway("hasil_kurva", "Sesuai kurva?", lane=PEGAWAI, col=17, default="f_kurva_sesuai")
    p.script("koreksi_kurva", "Kembalikan ke penilai", KOREKSI_KURVA, lane=PEGAWAI, col=14)
    p.user("menunggu_kurva", "Menunggu predikat unit / rekan", lane=PP, col=18, form="smk_menunggu_kurva")
    p.place("menunggu_kurva", 1)
    p.boundary("periksa_kurva_harian", "Periksa lagi besok", "menunggu_kurva", timer=("timeDuration", '"P1D"'))
    p.gateway("gabung_nilai", "", lane=PP, col=19)
    p.script("siapkan_hasil", "Sampaikan hasil", HASIL, lane=PP, col=20)
    # The objection window (PP 30/2019 Pasal 59: 14 hari) ends at 23:59:59 WIB of the 14th calendar day after
    # the result is delivered: days, time and zone are the service task's parameters (docs/rules.md).
    p.service("hitung_batas_keberatan", "Hitung batas keberatan", "end_of_day",
              params={"days": "14", "time": "'23:59:59'", "timezone": "'Asia/Jakarta'"}, result="batas_keberatan",
              lane=PEGAWAI, col=21)
    p.user("terima_hasil", "Tanggapi hasil penilaian", lane=PEGAWAI, col=22, form="smk_terima_hasil",
           properties={"dueDateField": "batas_keberatan"},
           instructions="Anda dapat mengajukan keberatan kepada atasan pejabat penilai sampai akhir hari ke-14 "
                        "setelah hasil disampaikan, pukul 23.59.59 WIB (PP 30/2019 Pasal 59). Tanpa tanggapan, "
                        "hasil menjadi final. / You may object to the assessor's superior until the end of the 14th "
                        "day after the result was delivered, 23:59:59 WIB; without a response the result becomes "
                        "final.")
    p.boundary("batas_keberatan", "Hari ke-14 berakhir", "terima_hasil", timer=("timeDate", "batas_keberatan"))
    p.gateway("cek_tanggapan", "Keberatan?", lane=PEGAWAI, col=23, default="f_terima")
    p.script("final_otomatis", "Final tanpa keberatan", "keberatan_status = 'tidak_diajukan'\n"
                                                     "final_karena = 'batas_waktu'", lane=PP, col=22)
    p.script("hasil_diterima", "Hasil diterima", "keberatan_status = 'tidak_diajukan'\n"
                                                 "final_karena = 'diterima_pegawai'", lane=PEGAWAI, col=24)
    p.user("putus_keberatan", "Putuskan keberatan", lane=APP, col=24, form="smk_putus_keberatan",
           properties={"dueInDays": "14"},
           instructions="Mintalah penjelasan pegawai dan pejabat penilai; keputusan Anda final. / Ask both sides "
                        "for explanations; your decision is final.")
    p.script("terapkan_keputusan", "Terapkan keputusan", TERAPKAN, lane=APP, col=25)
    p.gateway("cek_keputusan", "Keputusan sah?", lane=APP, col=26, default="f_keputusan_sah")
    p.gateway("gabung_final", "", lane=PP, col=27)
    p.script("finalkan", "Hasil final", FINAL, lane=PP, col=28)
    p.service("mulai_tindak_lanjut", "Mulai tindak lanjut", "start_process",
              params={"process_id": "'smk_tindak_lanjut'", "subject_ids": "[pegawai['id']]", "period": "periode",
                      "data": "data_tindak_lanjut"}, result="jumlah_tindak_lanjut", lane=PP, col=29)
    p.end("selesai", "Penilaian final", lane=PP, col=30)

    p.chain("mulai", "profil", "siapkan", "pilih_regime")
    p.flow("pilih_regime", "nilai_a", name="A", condition="regime == 'A'", id="f_regime_a")
    p.flow("pilih_regime", "nilai_b", name="B", condition="regime == 'B'", id="f_regime_b")
    p.flow("pilih_regime", "cek_kepala_unit", name="C", id="f_regime_c")
    p.flow("cek_kepala_unit", "baca_predikat_unit", name="Ya / Yes",
           condition="pegawai['kepala_unit_kurva'] is not None", id="f_kepala_unit")
    p.flow("cek_kepala_unit", "nilai_c", name="Tidak / No", id="f_bukan_kepala")
    p.chain("baca_predikat_unit", "ada_predikat_unit")
    p.flow("ada_predikat_unit", "menunggu_predikat_unit", name="Belum / Not yet",
           condition="unit_kepala['status'] == 'menunggu'", id="f_predikat_unit_menunggu")
    p.flow("ada_predikat_unit", "hasil_kerja_kepala", name="Ada / Set", id="f_predikat_unit_ada")
    p.flow("menunggu_predikat_unit", "baca_predikat_unit")
    p.flow("periksa_predikat_unit_harian", "baca_predikat_unit")
    p.chain("hasil_kerja_kepala", "nilai_c_kepala", "periksa_hasil_kerja", "cek_hasil_kerja")
    p.flow("cek_hasil_kerja", "nilai_c_kepala", name="Ditolak / Refused", condition="not hasil_kerja_sah",
           id="f_hasil_kerja_ditolak")
    p.flow("cek_hasil_kerja", "predikat_c", name="Sesuai / Matches", id="f_hasil_kerja_sah")
    p.chain("nilai_a", "hitung_a", "predikat_a", "gabung_nilai")
    p.chain("nilai_b", "hitung_b", "predikat_b", "gabung_nilai")
    p.chain("nilai_c", "predikat_c", "cek_kurva_perlu")
    p.flow("cek_kurva_perlu", "cek_kurva", name="Ya / Yes", condition="pegawai['unit_kurva'] is not None",
           id="f_dalam_kurva")
    p.flow("cek_kurva_perlu", "gabung_nilai", name="Tidak / No", id="f_luar_kurva")
    p.chain("cek_kurva", "hasil_kurva")
    p.flow("hasil_kurva", "koreksi_kurva", name="Melanggar / Violates", condition="kurva['status'] == 'melanggar'",
           id="f_kurva_melanggar")
    p.flow("hasil_kurva", "menunggu_kurva", name="Menunggu / Waiting", condition="kurva['status'] == 'menunggu'",
           id="f_kurva_menunggu")
    p.flow("hasil_kurva", "gabung_nilai", name="Sesuai / Fits", id="f_kurva_sesuai")
    p.flow("koreksi_kurva", "nilai_c")
    p.flow("menunggu_kurva", "cek_kurva")
    p.flow("periksa_kurva_harian", "cek_kurva")
    p.chain("gabung_nilai", "siapkan_hasil", "hitung_batas_keberatan", "terima_hasil", "cek_tanggapan")
    p.flow("batas_keberatan", "final_otomatis")
    p.flow("final_otomatis", "gabung_final")
    p.flow("cek_tanggapan", "putus_keberatan", name="Keberatan / Objection",
           condition="tanggapan == 'keberatan'", id="f_keberatan")
    p.flow("cek_tanggapan", "hasil_diterima", name="Diterima / Accepted", id="f_terima")
    p.flow("hasil_diterima", "gabung_final")
    p.chain("putus_keberatan", "terapkan_keputusan", "cek_keputusan")
    p.flow("cek_keputusan", "putus_keberatan", name="Perbaiki / Fix", condition="not keputusan_valid",
           id="f_keputusan_galat")
    p.flow("cek_keputusan", "gabung_final", name="Sah / Valid", id="f_keputusan_sah")
    p.chain("gabung_final", "finalkan", "mulai_tindak_lanjut", "selesai")
    return p


def _context() -> dict:
    return {
        "ringkasan_pemantauan": shown(area("Riwayat pemantauan / Monitoring history")),
    }


def forms() -> dict[str, str]:
    files: dict[str, str] = {}
    score = {"minimum": 0, "maximum": 100}
    files.update(form("smk_nilai_a", "Penilaian SKP regime A (Perka BKN 1/2013) / Regime A assessment", {
        **_context(),
        "kegiatan_penilaian": shown(rows("Target kegiatan / Activity targets", {
            "nama": text("Kegiatan"), "target_kuantitas": number("TO"), "target_kualitas": number("TK"),
            "target_waktu": number("TW"), "target_biaya": number("TB")}, [])),
        "kegiatan_penilaian_isi": rows("Realisasi kegiatan / Activity realisation", {
            "nama": text("Kegiatan (sama dengan target) / Activity (as in the targets)", minLength=1),
            "realisasi_kuantitas": number("Realisasi output (RO)", minimum=0, maximum=MAKS_ANGKA),
            "realisasi_kualitas": number("Realisasi kualitas (RK)", minimum=0, maximum=MAKS_ANGKA),
            "realisasi_waktu": number("Realisasi waktu, bulan (RW)", minimum=0, maximum=MAKS_ANGKA),
            "realisasi_biaya": number("Realisasi biaya (RB)", minimum=0, maximum=MAKS_ANGKA),
        }, ["nama", "realisasi_kuantitas", "realisasi_kualitas", "realisasi_waktu"], minItems=1),
        "tugas_tambahan": integer("Jumlah tugas tambahan / Additional tasks", minimum=0, maximum=50),
        "kreativitas": choice("Kreativitas / Creativity", ["", "unit", "organisasi", "nasional"],
                              ["Tidak ada / None", "Unit", "Organisasi / Organisation", "Nasional / National"]),
        "perilaku_orientasi_pelayanan": number("Orientasi pelayanan / Service orientation", **score),
        "perilaku_integritas": number("Integritas / Integrity", **score),
        "perilaku_komitmen": number("Komitmen / Commitment", **score),
        "perilaku_disiplin": number("Disiplin / Discipline", **score),
        "perilaku_kerja_sama": number("Kerja sama / Cooperation", **score),
        "perilaku_kepemimpinan": number("Kepemimpinan (pejabat struktural) / Leadership (structural only)",
                                        **score),
    }, ["kegiatan_penilaian_isi", "perilaku_orientasi_pelayanan", "perilaku_integritas", "perilaku_komitmen",
        "perilaku_disiplin", "perilaku_kerja_sama"]))
    score_b = {"minimum": 0, "maximum": 120}
    files.update(form("smk_nilai_b", "Penilaian SKP regime B (PP 30/2019, PermenPANRB 8/2021) / Regime B assessment", {
        **_context(),
        "indikator_penilaian": shown(rows("Target IKI / Indicator targets", {
            "id": text("Kode"), "nama": text("IKI"), "target": number("Target"), "arah": text("Arah")}, [])),
        "indikator_penilaian_isi": rows("Realisasi IKI / Indicator realisation", {
            "id": text("Kode IKI / Indicator code", minLength=1),
            "realisasi": number("Realisasi / Realisation", minimum=0, maximum=MAKS_ANGKA),
        }, ["id", "realisasi"], minItems=1),
        "kinerja_tambahan": rows("Kinerja tambahan / Additional performance", {
            "nama": text("Tugas / Task", maxLength=500),
            "predikat": choice("Predikat", PREDIKAT_B),
            "bobot": number("Bobot / Weight", minimum=0, maximum=100),
        }, ["predikat", "bobot"], maxItems=10),
        "inovasi": boolean("Menghasilkan inovasi yang bermanfaat bagi organisasi / Produced a useful innovation"),
        "perilaku_orientasi_pelayanan": number("Orientasi pelayanan / Service orientation", **score_b),
        "perilaku_komitmen": number("Komitmen / Commitment", **score_b),
        "perilaku_inisiatif_kerja": number("Inisiatif kerja / Initiative", **score_b),
        "perilaku_kerja_sama": number("Kerja sama / Cooperation", **score_b),
        "perilaku_kepemimpinan": number("Kepemimpinan (pejabat struktural) / Leadership (structural only)",
                                        **score_b),
    }, ["indikator_penilaian_isi", "inovasi", "perilaku_orientasi_pelayanan", "perilaku_komitmen",
        "perilaku_inisiatif_kerja", "perilaku_kerja_sama"]))
    files.update(form("smk_nilai_c", "Penilaian kinerja regime C (PermenPANRB 6/2022) / Regime C assessment", {
        **_context(),
        "catatan_kurva": shown(area("Kurva distribusi unit: yang harus diubah / Unit curve: what must change")),
        "hasil_kerja": choice("Rating hasil kerja / Work results rating", RATINGS, RATING_NAMES),
        "perilaku": choice("Rating perilaku kerja (BerAKHLAK) / Behaviour rating", RATINGS, RATING_NAMES),
        "umpan_balik_akhir": area("Umpan balik / Feedback", minLength=3),
    }, ["hasil_kerja", "perilaku", "umpan_balik_akhir"]))
    files.update(form("smk_nilai_c_kepala",
                      "Penilaian kinerja kepala unit regime C (PermenPANRB 6/2022) / Unit head's regime C assessment", {
        **_context(),
        "penjelasan_hasil_kerja": bilingual(shown(area("Hasil kerja kepala unit / The unit head's work results"))),
        "galat_hasil_kerja": bilingual(shown(area("Yang harus diperbaiki / What must be fixed"))),
        # Shown read-only by the UI schema but kept in the schema, so that a posted value reaches the model, which
        # refuses anything other than the rating the unit's predikat gives (and sends the form back).
        "hasil_kerja": choice("Rating hasil kerja (mengikuti predikat unit) / Work results rating (follows the unit "
                              "rating)", RATINGS, RATING_NAMES),
        "perilaku": choice("Rating perilaku kerja (BerAKHLAK) / Behaviour rating", RATINGS, RATING_NAMES),
        "umpan_balik_akhir": area("Umpan balik / Feedback", minLength=3),
    }, ["perilaku", "umpan_balik_akhir"], ui={"hasil_kerja": {"ui:readonly": True}}))
    files.update(form("smk_menunggu_predikat_unit", "Menunggu predikat unit / Waiting for the unit rating", {
        "unit_kepala": shown({"type": "object", "title": "Predikat unit / Unit rating"}),
        "periksa_lagi": boolean("Periksa lagi sekarang / Check again now", default=True),
    }, []))
    files.update(form("smk_menunggu_kurva", "Menunggu kurva distribusi / Waiting for the distribution check", {
        "predikat": shown(text("Predikat usulan / Proposed predikat")),
        "kurva": shown({"type": "object", "title": "Status kurva / Curve status"}),
        "periksa_lagi": boolean("Periksa lagi sekarang / Check again now", default=True),
    }, []))
    terima = form("smk_terima_hasil", "Hasil penilaian kinerja / Assessment result", {
        "ringkasan_hasil": shown(text("Hasil / Result")),
        "predikat": shown(text("Predikat")),
        "nilai": shown({"type": ["number", "null"], "title": "Nilai / Score"}),
        "tanggapan": choice("Tanggapan / Response", ["terima", "keberatan"],
                            ["Terima / Accept", "Ajukan keberatan / File an objection"]),
        "alasan_keberatan": area("Alasan keberatan / Reasons for the objection"),
    }, ["tanggapan"])
    _require_when(terima, "smk_terima_hasil", "tanggapan", "keberatan", ["alasan_keberatan"])
    files.update(terima)
    putus = form("smk_putus_keberatan", "Keputusan atas keberatan / Decision on the objection", {
        "galat_keberatan": shown(area("Yang harus diperbaiki / What must be fixed")),
        "ringkasan_hasil": shown(text("Hasil yang dikeberatani / Result objected to")),
        "alasan_keberatan": shown(area("Alasan keberatan / Reasons")),
        "penjelasan_pegawai": area("Penjelasan pegawai / Employee's explanation", minLength=3),
        "penjelasan_penilai": area("Penjelasan pejabat penilai / Assessor's explanation", minLength=3),
        "keputusan_keberatan": choice("Keputusan / Decision", ["ditolak", "diterima"],
                                      ["Keberatan ditolak / Objection rejected",
                                       "Keberatan diterima, hasil diubah / Objection upheld, result changed"]),
        "predikat_baru": choice("Predikat baru / New predikat", PREDIKAT_ALL),
        "nilai_baru": {"type": ["number", "null"], "title": "Nilai baru (regime A/B) / New score (regime A/B)",
                       "minimum": 0, "maximum": 120},
        "alasan_keputusan": area("Alasan keputusan / Reasons for the decision", minLength=3),
    }, ["penjelasan_pegawai", "penjelasan_penilai", "keputusan_keberatan", "alasan_keputusan"])
    _require_when(putus, "smk_putus_keberatan", "keputusan_keberatan", "diterima", ["predikat_baru"])
    files.update(putus)
    return files


def _require_when(files: dict[str, str], name: str, field: str, value: str, required: list[str]) -> None:
    """Add a JSON Schema if/then: the fields are required when ``field`` has ``value``."""
    import json

    key = f"{name}.schema.json"
    schema = json.loads(files[key])
    schema["if"] = {"properties": {field: {"const": value}}, "required": [field]}
    schema["then"] = {"required": required}
    files[key] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def build() -> dict[str, str]:
    return {**bpmn(process(), LAYOUT, DOCS), **forms()}


PROCESS_DOC = (
    "Penilaian kinerja akhir periode menurut regime yang berlaku: A (Perka BKN 1/2013: nilai prestasi kerja = 60% "
    "SKP + 40% perilaku), B (PP 30/2019 Pasal 41 jo. PermenPANRB 8/2021: nilai kinerja dan inovasi) atau C "
    "(PermenPANRB 6/2022: matriks rating hasil kerja × perilaku kerja, kurva distribusi unit, hasil kerja kepala "
    "unit mengikuti predikat unit). Pegawai dapat mengajukan keberatan kepada Atasan Pejabat Penilai dalam 14 hari "
    "(PP 30/2019 Pasal 59); keputusan atasan final; tanpa keberatan hasil menjadi final.",
    "End-of-period assessment by the regime in force: A (Perka BKN 1/2013: work performance = 60% SKP + 40% "
    "behaviour), B (PP 30/2019 art. 41 with PermenPANRB 8/2021: performance value and innovation) or C (PermenPANRB "
    "6/2022: work results × behaviour rating matrix, the unit's distribution curve, a unit head's work results "
    "follow the unit rating). The employee may object to the assessor's superior within 14 days (PP 30/2019 "
    "art. 59); that decision is final; without an objection the result becomes final.")

DOCS = {
    "mulai": ("Dimulai oleh pemantauan periode terakhir dengan SKP dan riwayat pemantauan.",
              "Started by the last monitoring slice with the SKP and the monitoring history."),
    "profil": ("Membaca data pegawai: jabatan struktural atau bukan, unit kurva, kepala unit kurva, atasan.",
               "Reads the employee's data: structural or not, curve unit, head of a curve unit, superiors."),
    "siapkan": ("Menyiapkan target penilaian dari SKP yang ditetapkan (formulir tidak dapat mengubah target), "
                "ringkasan pemantauan, dan daftar predikat yang berlaku pada regime ini.",
                "Prepares the assessment targets from the set SKP (a form cannot change a target), the monitoring "
                "summary, and the predikat valid in this regime."),
    "pilih_regime": ("Regime periode menentukan cara menilai: A, B atau C.",
                     "The period's regime decides how to assess: A, B or C."),
    "f_regime_a": ("Regime A (regime == 'A'): Perka BKN 1/2013.", "Regime A (regime == 'A'): Perka BKN 1/2013."),
    "f_regime_b": ("Regime B (regime == 'B'): PP 30/2019 jo. PermenPANRB 8/2021.",
                   "Regime B (regime == 'B'): PP 30/2019 with PermenPANRB 8/2021."),
    "nilai_a": ("Pejabat Penilai mengisi realisasi kegiatan (kuantitas, kualitas, waktu, biaya), tugas tambahan, "
                "kreativitas dan nilai perilaku (tenggat 14 hari; Perka BKN 1/2013).",
                "The assessor enters each activity's realisation (quantity, quality, time, cost), additional "
                "tasks, creativity and the behaviour scores (due in 14 days; Perka BKN 1/2013)."),
    "hitung_a": ("Menghitung nilai prestasi kerja = 60% nilai SKP + 40% nilai perilaku (nilai_regime_a; Perka BKN "
                 "1/2013).",
                 "Computes the work performance value = 60% SKP value + 40% behaviour value (nilai_regime_a; Perka "
                 "BKN 1/2013)."),
    "predikat_a": ("Tabel DMN predikat_band_regime_a: ≥ 91 Sangat Baik, 76–90 Baik, 61–75 Cukup, 51–60 Kurang, "
                   "≤ 50 Buruk (Perka BKN 1/2013).",
                   "DMN table predikat_band_regime_a: ≥ 91 Sangat Baik, 76–90 Baik, 61–75 Cukup, 51–60 Kurang, ≤ 50 "
                   "Buruk (Perka BKN 1/2013)."),
    "nilai_b": ("Pejabat Penilai mengisi realisasi IKI, kinerja tambahan, inovasi dan nilai perilaku (tenggat 14 "
                "hari; PP 30/2019 jo. PermenPANRB 8/2021).",
                "The assessor enters the indicators' realisation, additional performance, innovation and the "
                "behaviour scores (due in 14 days; PP 30/2019 with PermenPANRB 8/2021)."),
    "hitung_b": ("Menghitung nilai kinerja dari capaian IKI dan perilaku (nilai_regime_b; PermenPANRB 8/2021).",
                 "Computes the performance value from the indicators and behaviour (nilai_regime_b; PermenPANRB "
                 "8/2021)."),
    "predikat_b": ("Tabel DMN predikat_band_regime_b: Sangat Baik 110–120 dengan inovasi, Baik 90–120, Cukup "
                   "70–<90, Kurang 50–<70, Sangat Kurang < 50 (PP 30/2019 Pasal 41).",
                   "DMN table predikat_band_regime_b: Sangat Baik 110–120 with innovation, Baik 90–120, Cukup "
                   "70–<90, Kurang 50–<70, Sangat Kurang < 50 (PP 30/2019 art. 41)."),
    "cek_kepala_unit": ("Kepala unit kurva? Hasil kerja kepala unit mengikuti predikat unit (PermenPANRB 6/2022).",
                        "Head of a curve unit? A unit head's work results follow the unit rating (PermenPANRB "
                        "6/2022)."),
    "f_kepala_unit": ("Kepala unit kurva (pegawai['kepala_unit_kurva'] is not None): baca predikat unit.",
                      "Heads a curve unit (pegawai['kepala_unit_kurva'] is not None): read the unit rating."),
    "baca_predikat_unit": ("Membaca predikat unit yang dipimpin pegawai untuk periode ini (dicatat oleh "
                           "smk_predikat_unit).",
                           "Reads the rating of the unit the employee heads for this period (recorded by "
                           "smk_predikat_unit)."),
    "ada_predikat_unit": ("Predikat unit sudah ditetapkan?", "Has the unit rating been set?"),
    "f_predikat_unit_menunggu": ("Belum ada (unit_kepala['status'] == 'menunggu'): tunggu predikat unit.",
                                 "Not yet (unit_kepala['status'] == 'menunggu'): wait for the unit rating."),
    "menunggu_predikat_unit": ("Pejabat Penilai melihat bahwa predikat unit belum ditetapkan dan dapat meminta "
                               "pemeriksaan ulang.",
                               "The assessor sees that the unit rating is not set yet and can ask for a check."),
    "periksa_predikat_unit_harian": ("Timer P1D (interupsi): periksa lagi predikat unit setiap hari (aturan "
                                     "sistem).",
                                     "Timer P1D (interrupting): check the unit rating again every day (system "
                                     "rule)."),
    "hasil_kerja_kepala": ("Menetapkan rating hasil kerja kepala unit dari predikat unit (tabel DMN "
                           "hasil_kerja_pimpinan; PermenPANRB 6/2022) dan penjelasannya dalam dua bahasa.",
                           "Sets the unit head's work-results rating from the unit rating (DMN table "
                           "hasil_kerja_pimpinan; PermenPANRB 6/2022) and explains it in both languages."),
    "nilai_c_kepala": ("Pejabat Penilai menilai perilaku kerja (BerAKHLAK) kepala unit; hasil kerja ditampilkan "
                       "saja (tenggat 14 hari; PermenPANRB 6/2022).",
                       "The assessor rates the unit head's behaviour (BerAKHLAK); the work results are shown only "
                       "(due in 14 days; PermenPANRB 6/2022)."),
    "periksa_hasil_kerja": ("Menolak rating hasil kerja yang berbeda dari rating menurut predikat unit dan "
                            "memulihkan nilai aturan.",
                            "Refuses a work-results rating other than the one the unit rating gives and restores "
                            "the rule's value."),
    "cek_hasil_kerja": ("Hasil kerja sesuai predikat unit?", "Do the work results match the unit rating?"),
    "f_hasil_kerja_ditolak": ("Ditolak (not hasil_kerja_sah): formulir kembali dengan penjelasan.",
                              "Refused (not hasil_kerja_sah): the form comes back with the explanation."),
    "nilai_c": ("Pejabat Penilai memberi rating hasil kerja dan perilaku kerja: Di Atas, Sesuai atau Di Bawah "
                "Ekspektasi, dan umpan balik (tenggat 14 hari; PermenPANRB 6/2022).",
                "The assessor rates work results and behaviour: above, meets or below expectations, with feedback "
                "(due in 14 days; PermenPANRB 6/2022)."),
    "predikat_c": ("Tabel DMN predikat_matrix_6_2022: predikat dari matriks hasil kerja × perilaku kerja "
                   "(PermenPANRB 6/2022).",
                   "DMN table predikat_matrix_6_2022: predikat from the work results × behaviour matrix "
                   "(PermenPANRB 6/2022)."),
    "cek_kurva_perlu": ("Pegawai dalam unit kurva? Hanya unit kurva yang diperiksa terhadap kurva distribusi.",
                        "Is the employee in a curve unit? Only curve units are checked against the distribution "
                        "curve."),
    "f_dalam_kurva": ("Dalam unit kurva (pegawai['unit_kurva'] is not None): periksa kurva.",
                      "In a curve unit (pegawai['unit_kurva'] is not None): check the curve."),
    "cek_kurva": ("Mencatat predikat usulan dan memeriksa distribusi predikat unit terhadap tabel kurva_distribusi "
                  "menurut predikat unit (PermenPANRB 6/2022; batas kurva belum dikonfirmasi, dapat diubah).",
                  "Records the proposed predikat and checks the unit's distribution against the kurva_distribusi "
                  "table for the unit rating (PermenPANRB 6/2022; the bounds are unconfirmed and configurable)."),
    "hasil_kurva": ("Hasil pemeriksaan kurva: melanggar, menunggu, atau sesuai.",
                    "Outcome of the curve check: violates, waiting, or fits."),
    "f_kurva_melanggar": ("Melanggar (kurva['status'] == 'melanggar') dan predikat pegawai ini yang harus berubah: "
                          "kembali ke penilai.",
                          "Violates (kurva['status'] == 'melanggar') and this employee's predikat has to move: back "
                          "to the assessor."),
    "f_kurva_menunggu": ("Menunggu (kurva['status'] == 'menunggu'): predikat unit atau rekan belum ada.",
                         "Waiting (kurva['status'] == 'menunggu'): the unit rating or colleagues' ratings are "
                         "missing."),
    "koreksi_kurva": ("Menyiapkan catatan kurva (pesan dan saran) untuk Pejabat Penilai dan menghitung putaran.",
                      "Prepares the curve note (message and suggestion) for the assessor and counts the round."),
    "menunggu_kurva": ("Pejabat Penilai melihat apa yang ditunggu kurva unit dan dapat meminta pemeriksaan ulang.",
                       "The assessor sees what the unit curve waits for and can ask for a check."),
    "periksa_kurva_harian": ("Timer P1D (interupsi): periksa lagi kurva setiap hari (aturan sistem).",
                             "Timer P1D (interrupting): check the curve again every day (system rule)."),
    "gabung_nilai": ("Menggabungkan jalur regime A, B dan C.", "Joins the regime A, B and C paths."),
    "siapkan_hasil": ("Menyiapkan hasil yang disampaikan kepada pegawai dan menyimpan predikat/nilai awal.",
                      "Prepares the result delivered to the employee and keeps the initial predikat/value."),
    "hitung_batas_keberatan": ("Batas keberatan = akhir hari kalender ke-14 setelah hasil disampaikan, 23.59.59 "
                               "WIB (PP 30/2019 Pasal 59; cara menghitung dapat diatur).",
                               "Objection deadline = end of the 14th calendar day after delivery, 23:59:59 WIB (PP "
                               "30/2019 art. 59; the reading is configurable)."),
    "terima_hasil": ("Pegawai menerima hasil atau mengajukan keberatan tertulis dengan alasan kepada Atasan Pejabat "
                     "Penilai (PP 30/2019 Pasal 59).",
                     "The employee accepts the result or files a written objection with reasons to the assessor's "
                     "superior (PP 30/2019 art. 59)."),
    "batas_keberatan": ("Timer (interupsi): hari ke-14 berakhir (batas_keberatan) tanpa tanggapan, hasil menjadi "
                        "final (PP 30/2019 Pasal 59).",
                        "Interrupting timer: the 14th day ends (batas_keberatan) without a response, the result "
                        "becomes final (PP 30/2019 art. 59)."),
    "cek_tanggapan": ("Keberatan diajukan?", "Was an objection filed?"),
    "f_keberatan": ("Keberatan (tanggapan == 'keberatan'): Atasan Pejabat Penilai memutuskan.",
                    "Objection (tanggapan == 'keberatan'): the assessor's superior decides."),
    "final_otomatis": ("Mencatat bahwa hasil final karena batas waktu keberatan terlewati.",
                       "Records that the result is final because the objection window ended."),
    "hasil_diterima": ("Mencatat bahwa pegawai menerima hasil.", "Records that the employee accepted the result."),
    "putus_keberatan": ("Atasan Pejabat Penilai meminta penjelasan pegawai dan Pejabat Penilai lalu menolak atau "
                        "menerima keberatan; keputusannya final (tenggat 14 hari; PP 30/2019 Pasal 59).",
                        "The assessor's superior asks both sides for explanations, then rejects or upholds the "
                        "objection; the decision is final (due in 14 days; PP 30/2019 art. 59)."),
    "terapkan_keputusan": ("Menerapkan keputusan: keberatan yang diterima harus memberi predikat yang berlaku pada "
                           "regime periode (dan boleh nilai baru untuk regime A/B).",
                           "Applies the decision: an upheld objection must give a predikat valid in the period's "
                           "regime (and may give a new value for regimes A/B)."),
    "cek_keputusan": ("Keputusan sah?", "Is the decision valid?"),
    "f_keputusan_galat": ("Tidak sah (not keputusan_valid): formulir kembali dengan penjelasan.",
                          "Invalid (not keputusan_valid): the form comes back with the explanation."),
    "gabung_final": ("Menggabungkan tiga jalan menuju hasil final.", "Joins the three ways to a final result."),
    "finalkan": ("Hasil final; menyiapkan data tindak lanjut (predikat, nilai, jenis jabatan).",
                 "The result is final; prepares the follow-up data (predikat, value, position type)."),
    "mulai_tindak_lanjut": ("Memulai tindak lanjut hasil penilaian (smk_tindak_lanjut) dalam transaksi yang sama.",
                            "Starts the follow-up (smk_tindak_lanjut) in the same transaction."),
    "selesai": ("Penilaian final.", "The assessment is final."),
}
