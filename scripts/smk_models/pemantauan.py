"""Pemantauan dan pembinaan: one instance per employee per slice (month or quarter). The employee records
realisation with bukti dukung, the assessor gives feedback; off track → a coaching plan agreed with the employee
and followed up in the next slice; above expectations → appreciation. The slice then starts the next slice, or
the assessment after the last one — never a loop inside one instance."""

from __future__ import annotations

from xml.sax.saxutils import escape

from tools.bpmn_builder import Process

from .common import (
    MAKS_ANGKA,
    PEGAWAI,
    PP,
    RATING_NAMES,
    RATINGS,
    area,
    boolean,
    bpmn,
    choice,
    form,
    number,
    rows,
    shown,
    text,
)
from .layout import Layout, Route

PROCESS_ID = "smk_pemantauan"
DECISION_ID = "status_pemantauan"

SIAPKAN = """\
NAMA_BULAN = ['Januari', 'Februari', 'Maret', 'April', 'Mei', 'Juni', 'Juli', 'Agustus', 'September', 'Oktober',
              'November', 'Desember']
mulai = date.fromisoformat(tanggal_mulai)
bulan_per_slice = 1 if frekuensi == 'bulanan' else 3
m = mulai.month - 1 + ke * bulan_per_slice
akhir = date(mulai.year + m // 12, m % 12 + 1, 1) - timedelta(days=1)
akhir_slice = akhir.isoformat()
akhir_slice_ts = akhir_slice + 'T16:00:00+07:00'
if frekuensi == 'bulanan':
    label_slice = f"{NAMA_BULAN[akhir.month - 1]} {akhir.year}"
else:
    label_slice = f"Triwulan {ke} ({periode})"
realisasi = [{'id': i['id'], 'indikator': i['indikator'], 'target': i['target'],
              'target_kumulatif': round(i['target'] * ke / jumlah_slice, 2), 'satuan': i.get('satuan', ''),
              'arah': i.get('arah', 'lebih_tinggi')}
             for i in skp['indikator']]
ada_pembinaan_sebelumnya = bool(rencana_pembinaan_sebelumnya)
apresiasi = None
rencana_pembinaan = None
del mulai, akhir, m, NAMA_BULAN
"""

HITUNG = """\
sasaran = {i['id']: i for i in skp['indikator']}
realisasi = [r for r in realisasi if r.get('id') in sasaran]
capaian = []
for r in realisasi:
    i = sasaran[r['id']]
    t = round(i['target'] * ke / jumlah_slice, 2)
    r['target_kumulatif'] = t
    r['indikator'] = i['indikator']
    r['arah'] = i.get('arah') or 'lebih_tinggi'
    if r.get('arah') == 'lebih_rendah':
        c = (2 - r['realisasi'] / t) * 100 if t else 0
    else:
        c = r['realisasi'] / t * 100 if t else 0
    r['capaian'] = round(max(0, min(c, 200)), 2)
    capaian.append(r['capaian'])
rata_capaian = round(sum(capaian) / len(capaian), 2) if capaian else 0
ringkasan_realisasi = '\\n'.join(f"- {r['indikator']}: {r['realisasi']} dari {r['target_kumulatif']} "
                                 f"{r.get('satuan', '')} ({r['capaian']}%)" + (' [bukti]' if r.get('bukti_dukung') else '')
                                 for r in realisasi)
# Working names stay out of the process data that people see on the instance page.
del sasaran
if realisasi:
    del r, i, t, c
"""

CATAT_PEMBINAAN = """\
rencana_pembinaan = {'ke': ke, 'label': label_slice, 'masalah': masalah, 'jenis': jenis_pembinaan,
                     'langkah': langkah_pembinaan, 'disetujui_pegawai': True}
"""

CATAT_APRESIASI = """\
apresiasi = {'ke': ke, 'label': label_slice, 'bentuk': bentuk_apresiasi, 'catatan': catatan_apresiasi}
"""

LANJUT = """\
riwayat_pemantauan = (riwayat_pemantauan or []) + [{
    'ke': ke, 'label': label_slice, 'rata_capaian': rata_capaian, 'status': status_capaian,
    'pembinaan': rencana_pembinaan is not None, 'apresiasi': apresiasi is not None,
    'hasil_pembinaan_sebelumnya': hasil_pembinaan if ada_pembinaan_sebelumnya else None}]
terakhir = ke >= jumlah_slice
data_lanjut = {
    'regime': regime, 'frekuensi': frekuensi, 'tanggal_mulai': tanggal_mulai, 'tanggal_akhir': tanggal_akhir,
    'jumlah_slice': jumlah_slice, 'batas_penilaian': batas_penilaian, 'ke': ke + 1, 'skp': skp,
    'skp_pemilik': skp_pemilik, 'riwayat_pemantauan': riwayat_pemantauan, 'rencana_pembinaan_sebelumnya': rencana_pembinaan,
}
"""


# The targets of a gateway keep their vertical order: SpiffWorkflow evaluates conditions from top to bottom.
LAYOUT = Layout(routes={"f_di_atas": Route(exit="over"), "f_sesuai": Route(exit="under"),
                        "f_di_bawah": Route(label=(6, 3))})


def process() -> Process:
    p = Process(PROCESS_ID, "Pemantauan dan pembinaan kinerja", lanes=[PEGAWAI, PP])
    p.documentation = "\n\nEN: ".join(PROCESS_DOC)
    p.start("mulai", "Mulai", lane=PEGAWAI, col=0)
    p.script("siapkan", "Siapkan periode pemantauan", SIAPKAN, lane=PEGAWAI, col=1)
    p.catch("akhir_slice", "Akhir bulan/triwulan", lane=PEGAWAI, col=2, timer=("timeDate", "akhir_slice_ts"))
    p.user("isi_realisasi", "Isi realisasi dan bukti dukung", lane=PEGAWAI, col=3, form="smk_realisasi",
           properties={"dueInDays": "7"},
           instructions="Isi realisasi kumulatif setiap indikator dan lampirkan bukti dukung. / Enter the "
                        "cumulative realisation of each indicator and attach evidence.")
    p.script("hitung_capaian", "Hitung capaian", HITUNG, lane=PEGAWAI, col=4)
    p.rule("tentukan_status", "Tentukan status capaian", DECISION_ID, lane=PP, col=5)
    p.gateway("cek_pembinaan_lalu", "Ada rencana pembinaan sebelumnya?", lane=PP, col=6, default="f_tanpa_lalu")
    p.user("tindak_lanjut_pembinaan", "Tindak lanjuti rencana pembinaan", lane=PP, col=7,
           form="smk_tindak_lanjut_pembinaan", properties={"dueInDays": "7"})
    p.gateway("gabung_lalu", "", lane=PP, col=8)
    p.user("umpan_balik", "Beri umpan balik", lane=PP, col=9, form="smk_umpan_balik", properties={"dueInDays": "7"})
    p.gateway("cek_status", "Status capaian", lane=PP, col=10, default="f_sesuai")
    p.user("susun_pembinaan", "Susun rencana pembinaan", lane=PP, col=11, form="smk_rencana_pembinaan",
           properties={"dueInDays": "7"})
    p.user("setujui_pembinaan", "Sepakati rencana pembinaan", lane=PEGAWAI, col=12, form="smk_setujui_pembinaan",
           properties={"dueInDays": "5"})
    p.gateway("cek_sepakat", "Disepakati?", lane=PEGAWAI, col=13, default="f_sepakat")
    p.script("catat_pembinaan", "Catat rencana pembinaan", CATAT_PEMBINAAN, lane=PEGAWAI, col=14)
    p.user("beri_apresiasi", "Catat apresiasi", lane=PP, col=12, form="smk_apresiasi", properties={"dueInDays": "7"})
    p.script("catat_apresiasi", "Simpan apresiasi", CATAT_APRESIASI, lane=PP, col=13)
    p.gateway("gabung_status", "", lane=PP, col=15)
    p.script("siapkan_lanjut", "Siapkan langkah berikut", LANJUT, lane=PP, col=16)
    p.gateway("cek_terakhir", "Periode terakhir?", lane=PP, col=17, default="f_slice_berikut")
    p.service("mulai_slice_berikut", "Mulai pemantauan berikutnya", "start_process",
              params={"process_id": "'smk_pemantauan'", "subject_ids": "[skp_pemilik]", "period": "periode",
                      "data": "data_lanjut"}, result="jumlah_mulai", lane=PP, col=18)
    p.service("mulai_penilaian", "Mulai penilaian akhir", "start_process",
              params={"process_id": "'smk_penilaian'", "subject_ids": "[skp_pemilik]", "period": "periode",
                      "data": "data_lanjut"}, result="jumlah_mulai", lane=PEGAWAI, col=18)
    p.gateway("gabung_akhir", "", lane=PP, col=19)
    p.end("selesai", "Selesai", lane=PP, col=20)

    p.chain("mulai", "siapkan", "akhir_slice", "isi_realisasi", "hitung_capaian", "tentukan_status",
            "cek_pembinaan_lalu")
    p.flow("cek_pembinaan_lalu", "tindak_lanjut_pembinaan", name="Ya / Yes", condition="ada_pembinaan_sebelumnya",
           id="f_ada_lalu")
    p.flow("cek_pembinaan_lalu", "gabung_lalu", name="Tidak / No", id="f_tanpa_lalu")
    p.chain("tindak_lanjut_pembinaan", "gabung_lalu", "umpan_balik", "cek_status")
    p.flow("cek_status", "susun_pembinaan", name="Di bawah ekspektasi / Off track",
           condition="status_capaian == 'Di Bawah Ekspektasi'", id="f_di_bawah")
    p.flow("cek_status", "beri_apresiasi", name="Di atas ekspektasi / Above",
           condition="status_capaian == 'Di Atas Ekspektasi'", id="f_di_atas")
    p.flow("cek_status", "gabung_status", name="Sesuai / On track", id="f_sesuai")
    p.chain("susun_pembinaan", "setujui_pembinaan", "cek_sepakat")
    p.flow("cek_sepakat", "susun_pembinaan", name="Belum sepakat / Not agreed", condition="not sepakat",
           id="f_tidak_sepakat")
    p.flow("cek_sepakat", "catat_pembinaan", name="Sepakat / Agreed", id="f_sepakat")
    p.chain("catat_pembinaan", "gabung_status")
    p.chain("beri_apresiasi", "catat_apresiasi", "gabung_status")
    p.chain("gabung_status", "siapkan_lanjut", "cek_terakhir")
    p.flow("cek_terakhir", "mulai_penilaian", name="Terakhir / Last", condition="terakhir", id="f_slice_terakhir")
    p.flow("cek_terakhir", "mulai_slice_berikut", name="Berikutnya / Next", id="f_slice_berikut")
    p.chain("mulai_slice_berikut", "gabung_akhir", "selesai")
    p.chain("mulai_penilaian", "gabung_akhir")
    return p


def dmn() -> str:
    """Return the table that says whether a slice is off track; process owners tune the thresholds here."""
    rules = [("< 80", "Di Bawah Ekspektasi"), ("80 <= ? <= 110", "Sesuai Ekspektasi"), ("> 110", "Di Atas Ekspektasi")]
    body = "\n".join(
        f'      <rule id="r{i}"><description>capaian {escape(cell)}</description>'
        f'<inputEntry id="r{i}_in"><text>{escape(cell)}</text></inputEntry>'
        f'<outputEntry id="r{i}_out"><text>"{label}"</text></outputEntry></rule>'
        for i, (cell, label) in enumerate(rules))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="{DECISION_ID}_definitions"
    name="Status capaian pemantauan" namespace="http://smk-workflow/smk">
  <decision id="{DECISION_ID}" name="Status capaian pemantauan / Monitoring status">
    <decisionTable id="{DECISION_ID}_table" hitPolicy="UNIQUE">
      <input id="in_capaian" label="Rata-rata capaian kumulatif (%)">
        <inputExpression id="in_capaian_expr" typeRef="number"><text>rata_capaian</text></inputExpression>
      </input>
      <output id="out_status" label="Status capaian" name="status_capaian" typeRef="string" />
{body}
    </decisionTable>
  </decision>
</definitions>
"""


def forms() -> dict[str, str]:
    files: dict[str, str] = {}
    files.update(form("smk_realisasi", "Realisasi kinerja / Performance realisation", {
        "label_slice": shown(text("Periode pemantauan / Monitoring period")),
        "rencana_pembinaan_sebelumnya": shown({"type": ["object", "null"],
                                               "title": "Rencana pembinaan sebelumnya / Previous coaching plan"}),
        "realisasi": rows("Realisasi per indikator / Realisation per indicator", {
            "id": shown(text("Kode / Code")),
            "indikator": shown(text("Indikator / Indicator")),
            "target_kumulatif": shown(number("Target s.d. periode ini / Target to date")),
            "satuan": shown(text("Satuan / Unit")),
            "realisasi": number("Realisasi kumulatif / Cumulative realisation", minimum=0, maximum=MAKS_ANGKA),
            "bukti_dukung": text("Bukti dukung / Evidence", maxLength=2000, **{"x-file": True}),
            "catatan": text("Catatan / Notes", maxLength=1000),
        }, ["id", "realisasi"], minItems=1, maxItems=100),
        "kendala": area("Kendala / Obstacles"),
    }, ["realisasi"], ui={"realisasi": {"items": {"bukti_dukung": {"ui:widget": "file", "x-widget": "file"},
                                                  "catatan": {"ui:widget": "textarea"}}}}))
    files.update(form("smk_tindak_lanjut_pembinaan", "Tindak lanjut pembinaan / Coaching follow-up", {
        "rencana_pembinaan_sebelumnya": shown({"type": ["object", "null"],
                                               "title": "Rencana pembinaan sebelumnya / Previous coaching plan"}),
        "ringkasan_realisasi": shown(area("Realisasi periode ini / This period's realisation")),
        "hasil_pembinaan": choice("Hasil pembinaan / Coaching outcome", ["berhasil", "sebagian", "belum"],
                                  ["Berhasil / Achieved", "Sebagian / Partly", "Belum berhasil / Not yet"]),
        "catatan_hasil_pembinaan": area("Catatan / Notes"),
    }, ["hasil_pembinaan"]))
    files.update(form("smk_umpan_balik", "Umpan balik berkelanjutan / Continuous feedback", {
        "label_slice": shown(text("Periode pemantauan / Monitoring period")),
        "ringkasan_realisasi": shown(area("Realisasi / Realisation")),
        "rata_capaian": shown(number("Rata-rata capaian (%) / Average achievement (%)")),
        "status_capaian": shown(choice("Status menurut aturan / Status by the rule", RATINGS, RATING_NAMES)),
        "kendala": shown(area("Kendala pegawai / Employee's obstacles")),
        "umpan_balik": area("Umpan balik / Feedback", minLength=3),
    }, ["umpan_balik"]))
    files.update(form("smk_rencana_pembinaan", "Rencana pembinaan kinerja / Coaching plan", {
        "ringkasan_realisasi": shown(area("Realisasi / Realisation")),
        "tanggapan_pegawai": shown(area("Tanggapan pegawai atas rencana sebelumnya / Employee's response")),
        "masalah": area("Masalah kinerja / Performance problem", minLength=3),
        "jenis_pembinaan": choice("Jenis pembinaan / Kind of coaching",
                                  ["bimbingan", "mentoring", "pelatihan", "konseling"],
                                  ["Bimbingan kinerja / Performance guidance", "Mentoring", "Pelatihan / Training",
                                   "Konseling / Counselling"]),
        "langkah_pembinaan": rows("Langkah / Steps", {
            "langkah": text("Langkah / Step", minLength=3, maxLength=500),
            "tenggat": text("Tenggat / Due", format="date"),
        }, ["langkah", "tenggat"], minItems=1, maxItems=20),
    }, ["masalah", "jenis_pembinaan", "langkah_pembinaan"]))
    files.update(form("smk_setujui_pembinaan", "Sepakati rencana pembinaan / Agree the coaching plan", {
        "masalah": shown(area("Masalah kinerja / Performance problem")),
        "jenis_pembinaan": shown(text("Jenis pembinaan / Kind of coaching")),
        "langkah_pembinaan": shown(rows("Langkah / Steps", {"langkah": text("Langkah / Step"),
                                                            "tenggat": text("Tenggat / Due")}, [])),
        "sepakat": boolean("Saya menyepakati rencana ini / I agree to this plan"),
        "tanggapan_pegawai": area("Tanggapan / Response"),
    }, ["sepakat"]))
    files.update(form("smk_apresiasi", "Apresiasi kinerja / Appreciation", {
        "ringkasan_realisasi": shown(area("Realisasi / Realisation")),
        "rata_capaian": shown(number("Rata-rata capaian (%) / Average achievement (%)")),
        "bentuk_apresiasi": choice("Bentuk apresiasi / Form of appreciation",
                                   ["pujian", "piagam", "usulan_penghargaan"],
                                   ["Pujian tertulis / Written praise", "Piagam / Certificate",
                                    "Usulan penghargaan / Award nomination"]),
        "catatan_apresiasi": area("Catatan / Notes", minLength=3),
    }, ["bentuk_apresiasi", "catatan_apresiasi"]))
    return files


def build() -> dict[str, str]:
    return {**bpmn(process(), LAYOUT, DOCS), f"{DECISION_ID}.dmn": dmn(), **forms()}




PROCESS_DOC = (
    "Pemantauan dan pembinaan kinerja (PP 30/2019; PermenPANRB 6/2022, pelaksanaan, pemantauan dan pembinaan "
    "kinerja): satu instance per pegawai per bulan/triwulan (frekuensi ditetapkan instansi). Pegawai mengisi "
    "realisasi kumulatif dengan bukti dukung, Pejabat Penilai memberi umpan balik berkelanjutan; capaian di bawah "
    "ekspektasi → rencana pembinaan yang disepakati pegawai dan ditindaklanjuti pada periode berikutnya; di atas "
    "ekspektasi → apresiasi. Periode terakhir memulai penilaian; perulangan dibuat sebagai instance baru, bukan "
    "putaran di dalam satu instance.",
    "Performance monitoring and coaching (PP 30/2019; PermenPANRB 6/2022, execution, monitoring and coaching): one "
    "instance per employee per month or quarter (an agency setting). The employee records the cumulative "
    "realisation with evidence, the assessor gives continuous feedback; below expectations → a coaching plan agreed "
    "with the employee and followed up in the next slice; above expectations → appreciation. The last slice starts "
    "the assessment; each slice is a new instance, never a loop inside one instance.")

DOCS = {
    "mulai": ("Dimulai oleh perencanaan (slice pertama) atau oleh slice sebelumnya.",
              "Started by the planning (first slice) or by the previous slice."),
    "siapkan": ("Menghitung akhir bulan/triwulan ini (16.00 WIB), labelnya, dan target kumulatif setiap indikator "
                "= target × ke / jumlah_slice.",
                "Computes the end of this month/quarter (16:00 WIB), its label, and each indicator's cumulative "
                "target = target × slice / slices."),
    "akhir_slice": ("Timer: menunggu akhir bulan/triwulan (akhir_slice_ts) sebelum realisasi diisi.",
                    "Timer: waits for the end of the month/quarter (akhir_slice_ts) before the realisation is "
                    "entered."),
    "isi_realisasi": ("Pegawai mengisi realisasi kumulatif setiap indikator dan melampirkan bukti dukung (tenggat 7 "
                      "hari; PermenPANRB 6/2022, pemantauan kinerja).",
                      "The employee enters each indicator's cumulative realisation and attaches evidence (due in 7 "
                      "days; PermenPANRB 6/2022, performance monitoring)."),
    "hitung_capaian": ("Menghitung capaian per indikator terhadap target kumulatif (makin rendah makin baik "
                       "dibalik; dibatasi 0–200%) dan rata-ratanya.",
                       "Computes each indicator's achievement against the cumulative target (lower-is-better "
                       "inverted; bounded to 0–200%) and the mean."),
    "tentukan_status": ("Tabel DMN status_pemantauan menentukan status capaian dari rata-rata (< 80 Di Bawah, "
                        "80–110 Sesuai, > 110 Di Atas Ekspektasi); ambang diatur pemilik proses.",
                        "The DMN table status_pemantauan rates the mean achievement (< 80 below, 80–110 meets, > 110 "
                        "above expectations); a process owner sets the thresholds."),
    "cek_pembinaan_lalu": ("Ada rencana pembinaan dari periode sebelumnya yang harus ditindaklanjuti?",
                           "Is there a coaching plan from the previous slice to follow up?"),
    "f_ada_lalu": ("Ada rencana pembinaan sebelumnya (ada_pembinaan_sebelumnya): catat hasilnya dahulu.",
                   "There is a previous coaching plan (ada_pembinaan_sebelumnya): record its outcome first."),
    "tindak_lanjut_pembinaan": ("Pejabat Penilai mencatat hasil rencana pembinaan sebelumnya: berhasil, sebagian, "
                                "belum (tenggat 7 hari; PermenPANRB 6/2022, pembinaan kinerja).",
                                "The assessor records the outcome of the previous coaching plan: achieved, partly, "
                                "not yet (due in 7 days; PermenPANRB 6/2022, performance coaching)."),
    "gabung_lalu": ("Menggabungkan jalur dengan dan tanpa tindak lanjut pembinaan.",
                    "Joins the paths with and without a coaching follow-up."),
    "umpan_balik": ("Pejabat Penilai memberi umpan balik berkelanjutan atas realisasi (tenggat 7 hari; "
                    "PermenPANRB 6/2022, dialog kinerja).",
                    "The assessor gives continuous feedback on the realisation (due in 7 days; PermenPANRB 6/2022, "
                    "performance dialogue)."),
    "cek_status": ("Status capaian menurut tabel: di bawah ekspektasi → pembinaan, di atas → apresiasi, sesuai → "
                   "lanjut.",
                   "Status by the table: below expectations → coaching, above → appreciation, meets → continue."),
    "f_di_bawah": ("Di bawah ekspektasi (status_capaian == 'Di Bawah Ekspektasi'): susun rencana pembinaan.",
                   "Below expectations (status_capaian == 'Di Bawah Ekspektasi'): draw up a coaching plan."),
    "f_di_atas": ("Di atas ekspektasi (status_capaian == 'Di Atas Ekspektasi'): catat apresiasi.",
                  "Above expectations (status_capaian == 'Di Atas Ekspektasi'): record appreciation."),
    "susun_pembinaan": ("Pejabat Penilai menyusun rencana pembinaan: masalah, jenis (bimbingan, mentoring, "
                        "pelatihan, konseling) dan langkah bertenggat (tenggat 7 hari; PermenPANRB 6/2022).",
                        "The assessor draws up a coaching plan: the problem, the kind (guidance, mentoring, "
                        "training, counselling) and dated steps (due in 7 days; PermenPANRB 6/2022)."),
    "setujui_pembinaan": ("Pegawai menyepakati rencana pembinaan atau menanggapinya (tenggat 5 hari).",
                          "The employee agrees to the coaching plan or responds to it (due in 5 days)."),
    "cek_sepakat": ("Disepakati? Rencana yang belum disepakati kembali ke Pejabat Penilai dengan tanggapan "
                    "pegawai.",
                    "Agreed? A plan not agreed goes back to the assessor with the employee's response."),
    "f_tidak_sepakat": ("Belum sepakat (not sepakat): Pejabat Penilai menyusun ulang rencana.",
                        "Not agreed (not sepakat): the assessor revises the plan."),
    "catat_pembinaan": ("Menyimpan rencana pembinaan yang disepakati; dibawa ke periode berikutnya.",
                        "Stores the agreed coaching plan; it is carried into the next slice."),
    "beri_apresiasi": ("Pejabat Penilai mencatat apresiasi atas kinerja di atas ekspektasi (tenggat 7 hari; "
                       "PermenPANRB 6/2022).",
                       "The assessor records appreciation of performance above expectations (due in 7 days; "
                       "PermenPANRB 6/2022)."),
    "catat_apresiasi": ("Menyimpan apresiasi dalam data periode ini.", "Stores the appreciation in this slice's data."),
    "gabung_status": ("Menggabungkan jalur pembinaan, apresiasi dan sesuai ekspektasi.",
                      "Joins the coaching, appreciation and on-track paths."),
    "siapkan_lanjut": ("Menambahkan periode ini ke riwayat pemantauan dan menyiapkan data periode berikutnya.",
                       "Adds this slice to the monitoring history and prepares the next slice's data."),
    "cek_terakhir": ("Periode terakhir? Setelah bulan/triwulan terakhir dimulai penilaian akhir.",
                     "Last slice? After the last month/quarter the final assessment starts."),
    "f_slice_terakhir": ("Terakhir (terakhir, yaitu ke >= jumlah_slice): mulai penilaian.",
                         "Last (terakhir, i.e. slice >= slices): start the assessment."),
    "mulai_slice_berikut": ("Memulai instance pemantauan berikutnya untuk pegawai yang sama.",
                            "Starts the next monitoring instance for the same employee."),
    "mulai_penilaian": ("Memulai penilaian akhir periode (smk_penilaian) dengan riwayat pemantauan.",
                        "Starts the end-of-period assessment (smk_penilaian) with the monitoring history."),
    "gabung_akhir": ("Menggabungkan kedua kelanjutan.", "Joins both continuations."),
    "selesai": ("Pemantauan periode ini selesai.", "This slice's monitoring is complete."),
}
