"""Perencanaan kinerja: the employee drafts the SKP against the superior's RHK (or the unit's IKU), the assessor
approves or returns it (bounded rounds, then the assessor's superior decides), a reminder before the deadline
and escalation after it; leaders then set the Matriks Peran Hasil for their team."""

from __future__ import annotations

from .common import (
    APP,
    BERAKHLAK,
    MAKS_ANGKA,
    PEGAWAI,
    PP,
    WIB_END_OF_DAY,
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

PROCESS_ID = "smk_perencanaan"

SIAPKAN = f"""\
putaran = 0
jumlah_eskalasi = 0
terlambat = False
status_skp = 'draf'
catatan_penilai = ''
galat_skp = ''
rhk_atasan = []
mph_saya = []
kegiatan = []
rhk_utama = []
rhk_tambahan = []
pendekatan = ''
batas_susun = batas_skp + '{WIB_END_OF_DAY}'
batas_pengingat = (date.fromisoformat(batas_skp) - timedelta(days=7)).isoformat() + 'T08:00:00+07:00'
iku_unit = [i for i in iku_organisasi if i['unit_code'] in pegawai['unit_codes']]
# The superior's RHK exists in the system unless the superior heads the organisation (their PK is the IKU).
perlu_rhk_atasan = pegawai['atasan_pejabat_penilai_id'] is not None
"""

PESAN_TUNGGU = """\
pesan_menunggu = (f"Atasan Anda, {pegawai['pejabat_penilai']}, belum menetapkan RHK untuk periode {periode}. "
                  "SKP Anda dapat disusun segera setelah RHK atasan ditetapkan; tugas ini diperiksa ulang setiap hari. / "
                  f"Your superior, {pegawai['pejabat_penilai']}, has not yet set the RHK for period {periode}. "
                  "You can draft your SKP as soon as it exists; this is checked again every day.")
"""

AMBIL_RHK_ATASAN = """\
rhk_atasan = [{'id': r['id'], 'rhk': r['rhk'], 'jenis': r['jenis']} for r in skp_atasan['rhk']]
mph_saya = [m for m in (skp_atasan.get('mph') or []) if m.get('pegawai_id') == pegawai['id']]
pesan_menunggu = ''
"""

RINGKAS = """\
galat = []
pilihan = [r['id'] for r in rhk_atasan] + [i['kode'] for i in iku_unit]
baris_ringkas = []
if regime == 'A':
    for k in kegiatan:
        baris_ringkas.append(f"- {k['nama']}: {k['target_kuantitas']} {k.get('satuan', '')}, kualitas "
                             f"{k.get('target_kualitas', 100)}, waktu {k['target_waktu']} bulan"
                             + (f", biaya {k['target_biaya']}" if k.get('target_biaya') else ''))
    utama = []
else:
    utama = rhk_utama
    if not rhk_utama:
        galat.append('Isi minimal satu RHK utama / Enter at least one main RHK')
    for jenis, daftar in (('Utama', rhk_utama), ('Tambahan', rhk_tambahan or [])):
        for r in daftar:
            baris_ringkas.append(f"- [{jenis}] {r['rhk']} (mendukung {r.get('mendukung') or '-'}): "
                                 f"{r['indikator']} = {r['target']} {r.get('satuan', '')}")
for r in utama:
    if pilihan and (r.get('mendukung') or '').strip() not in pilihan:
        galat.append(f"RHK '{r['rhk']}' harus menyebut RHK atasan/IKU yang didukung ({', '.join(pilihan)}) / "
                     f"must name the superior RHK or IKU it supports")
skp_valid = len(galat) == 0
galat_skp = '\\n'.join(galat)
ringkasan_skp = '\\n'.join(baris_ringkas)
if regime == 'C':
    ringkasan_skp += f"\\nPendekatan / approach: {pendekatan}"
# Each review starts undecided: the previous round's decision must not come preselected in the form,
# and the note field starts empty (the last note stays visible as context, so it is never re-sent by accident).
keputusan_pp = ''
keputusan_app = ''
if skp_valid:  # an invalid draft goes back to the employee, who must still see the assessor's note
    catatan_sebelumnya = catatan_penilai
    catatan_penilai = ''
"""

PERPANJANG = f"""\
batas_susun = batas_baru + '{WIB_END_OF_DAY}'
jumlah_eskalasi += 1
terlambat = True
"""

TETAPKAN = """\
status_skp = 'ditetapkan'
pid = pegawai['id']
if regime == 'A':
    rhk = [{'id': f'{pid}-{i + 1}', 'rhk': k['nama'], 'jenis': 'utama', 'mendukung': k.get('mendukung') or ''}
           for i, k in enumerate(kegiatan)]
    indikator = [{'id': f'{pid}-{i + 1}', 'rhk': k['nama'], 'indikator': k['nama'], 'target': k['target_kuantitas'],
                  'satuan': k.get('satuan', ''), 'arah': 'lebih_tinggi'} for i, k in enumerate(kegiatan)]
else:
    semua = [dict(r, jenis='utama') for r in rhk_utama] + [dict(r, jenis='tambahan') for r in (rhk_tambahan or [])]
    rhk = []
    indikator = []
    for i, r in enumerate(semua):
        rid = f'{pid}-{i + 1}'
        rhk.append({'id': rid, 'rhk': r['rhk'], 'jenis': r['jenis'], 'mendukung': r.get('mendukung') or ''})
        indikator.append({'id': rid, 'rhk': r['rhk'], 'indikator': r['indikator'], 'target': r['target'],
                          'satuan': r.get('satuan', ''), 'arah': r.get('arah') or 'lebih_tinggi'})
mph = []
"""

SIAP = """\
rhk_siap = True
skp = {'regime': regime, 'rhk': rhk, 'indikator': indikator,
       'kegiatan': kegiatan if regime == 'A' else [],
       'pendekatan': pendekatan if regime == 'C' else ''}
data_pemantauan = {
    'regime': regime, 'frekuensi': frekuensi, 'tanggal_mulai': tanggal_mulai, 'tanggal_akhir': tanggal_akhir,
    'jumlah_slice': jumlah_slice, 'batas_penilaian': batas_penilaian, 'ke': 1, 'skp': skp,
    'skp_pemilik': pegawai['id'],
    'riwayat_pemantauan': [], 'rencana_pembinaan_sebelumnya': None,
}
"""


def _expectation_title(label: str) -> str:
    """Return "Ekspektasi khusus: <value> / Special expectation: <value>" from a bilingual core-value label."""
    indonesian, _, english = label.partition(" / ")
    return f"Ekspektasi khusus: {indonesian} / Special expectation: {english or indonesian}"


def _susun(p: SmkProcess, regime: str, col: float) -> None:
    node = f"susun_skp_{regime.lower()}"
    p.user(node, f"Susun SKP (regime {regime})", lane=PEGAWAI, col=col, form=f"smk_skp_{regime.lower()}",
           properties={"dueDateField": "batas_skp"},
           instructions="Susun SKP Anda. Setiap RHK utama menyebut RHK atasan (atau IKU unit) yang didukungnya. / "
                        "Draft your SKP. Every main RHK names the superior's RHK (or unit IKU) it supports.")
    p.boundary(f"pengingat_{regime.lower()}", "Pengingat batas SKP", node, timer=("timeDate", "batas_pengingat"),
               interrupting=False)
    p.boundary(f"terlambat_{regime.lower()}", "Batas SKP terlewati", node, timer=("timeDate", "batas_susun"))
    p.flow(f"pengingat_{regime.lower()}", "catat_pengingat")
    p.flow(f"terlambat_{regime.lower()}", "eskalasi_skp")
    p.flow(node, "gabung_susun")


# A, C, B from top to bottom: SpiffWorkflow evaluates a gateway's conditions in the vertical order of the targets.
LAYOUT = Layout(node_labels={"keputusan_pp": "below-left"}, routes={
    "f_regime_c": Route(label=(6, -19)),
    "f_regime_b": Route(exit="right", near_source=True, label=(6, 3)),
    "f_app_tetapkan": Route(exit="right"),
    "f_skp_lengkap": Route(exit="right"),
    "f_pp_kembalikan": Route(label=(-100, -36)),
    "f_pp_setujui": Route(label=(6, -33)),
    "f_ambil_rhk_atasan_pilih_regime": Route(entry="left"),
})


def process() -> SmkProcess:
    p = SmkProcess(PROCESS_ID, "Perencanaan kinerja (SKP)", lanes=[PEGAWAI, PP, APP])
    p.documentation = "\n\nEN: ".join(PROCESS_DOC)
    p.start("mulai", "Mulai", lane=PEGAWAI, col=0)
    p.service("profil", "Baca data pegawai", "smk_profil_pegawai", result="pegawai", lane=PEGAWAI, col=1)
    p.script("siapkan", "Siapkan perencanaan", SIAPKAN, lane=PEGAWAI, col=2)
    p.gateway("perlu_atasan", "Punya atasan?", lane=PEGAWAI, col=3, default="f_tanpa_atasan")
    p.service("cek_rhk_atasan", "Baca RHK atasan", "find_instance_data",
              params={"process_id": "'smk_perencanaan'", "subject_id": "pegawai['pejabat_penilai_id']",
                      "period": "periode", "keys": "['rhk_siap', 'rhk', 'mph']"},
              result="skp_atasan", lane=PEGAWAI, col=4)
    p.gateway("atasan_siap", "RHK atasan ada?", lane=PEGAWAI, col=5, default="f_atasan_belum")
    p.script("pesan_tunggu", "Jelaskan yang ditunggu", PESAN_TUNGGU, lane=PEGAWAI, col=6)
    p.user("menunggu_atasan", "Menunggu RHK atasan", lane=PEGAWAI, col=7, form="smk_menunggu_atasan")
    p.boundary("periksa_harian", "Periksa lagi besok", "menunggu_atasan", timer=("timeDuration", '"P1D"'))
    p.script("ambil_rhk_atasan", "Ambil RHK atasan dan MPH", AMBIL_RHK_ATASAN, lane=PP, col=8)
    p.gateway("pilih_regime", "Regime?", lane=PEGAWAI, col=9, default="f_regime_c")
    _susun(p, "A", 10)
    _susun(p, "C", 11)
    _susun(p, "B", 12)
    p.place("susun_skp_a", -1)
    p.place("susun_skp_b", 1)
    p.service("catat_pengingat", "Kirim pengingat", "smk_catat_pengingat",
              params={"jenis": "'batas_skp'", "batas": "batas_skp"}, result="pengingat", lane=PP, col=14)
    p.end("pengingat_selesai", "Pengingat terkirim", lane=PP, col=15)
    p.user("eskalasi_skp", "Eskalasi: SKP belum disusun", lane=APP, col=14, form="smk_eskalasi_skp",
           properties={"dueInDays": "3"})
    p.script("perpanjang_batas", "Catat eskalasi dan batas baru", PERPANJANG, lane=APP, col=16)
    p.gateway("gabung_susun", "", lane=PEGAWAI, col=13)
    p.script("ringkas_skp", "Periksa dan ringkas SKP", RINGKAS, lane=PEGAWAI, col=14)
    p.gateway("skp_lengkap", "SKP lengkap?", lane=PEGAWAI, col=15, default="f_skp_lengkap")
    p.user("tinjau_skp", "Tinjau SKP", lane=PP, col=17, form="smk_tinjau_skp", properties={"dueInDays": "5"})
    p.script("hitung_putaran", "Hitung putaran", "putaran += 1", lane=PP, col=18)
    p.gateway("keputusan_pp", "Keputusan penilai", lane=PP, col=19, default="f_ke_app")
    p.user("putuskan_skp", "Putuskan SKP (batas putaran)", lane=APP, col=19, form="smk_putuskan_skp",
           properties={"dueInDays": "5"})
    p.gateway("keputusan_app", "Keputusan atasan penilai", lane=APP, col=20, default="f_app_tetapkan")
    p.script("tetapkan_skp", "SKP ditetapkan", TETAPKAN, lane=PP, col=21)
    p.gateway("punya_bawahan", "Punya bawahan?", lane=PEGAWAI, col=22, default="f_tanpa_bawahan")
    p.user("susun_mph", "Susun Matriks Peran Hasil", lane=PEGAWAI, col=23, form="smk_mph",
           instructions="Bagi RHK Anda kepada bawahan: siapa menghasilkan bagian mana. / Split your RHK among "
                        "your team: who delivers which part.")
    p.gateway("gabung_mph", "", lane=PEGAWAI, col=24)
    p.script("rhk_tersedia", "RHK tersedia untuk bawahan", SIAP, lane=PEGAWAI, col=25)
    p.service("mulai_pemantauan", "Mulai pemantauan periode pertama", "start_process",
              params={"process_id": "'smk_pemantauan'", "subject_ids": "[pegawai['id']]", "period": "periode",
                      "data": "data_pemantauan"}, result="jumlah_pemantauan", lane=PEGAWAI, col=26)
    p.end("selesai", "SKP ditetapkan", lane=PEGAWAI, col=27)

    p.chain("mulai", "profil", "siapkan", "perlu_atasan")
    p.flow("perlu_atasan", "cek_rhk_atasan", name="Ya / Yes", condition="perlu_rhk_atasan", id="f_perlu_atasan")
    p.flow("perlu_atasan", "pilih_regime", name="Pimpinan tertinggi / Top", id="f_tanpa_atasan")
    p.chain("cek_rhk_atasan", "atasan_siap")
    p.flow("atasan_siap", "ambil_rhk_atasan", name="Ada / Set",
           condition="bool((skp_atasan or {}).get('rhk_siap'))", id="f_atasan_siap")
    p.flow("atasan_siap", "pesan_tunggu", name="Belum / Not yet", id="f_atasan_belum")
    p.chain("pesan_tunggu", "menunggu_atasan", "cek_rhk_atasan")
    p.flow("periksa_harian", "cek_rhk_atasan")
    p.chain("ambil_rhk_atasan", "pilih_regime")
    p.flow("pilih_regime", "susun_skp_a", name="A", condition="regime == 'A'", id="f_regime_a")
    p.flow("pilih_regime", "susun_skp_b", name="B", condition="regime == 'B'", id="f_regime_b")
    p.flow("pilih_regime", "susun_skp_c", name="C", id="f_regime_c")
    p.chain("catat_pengingat", "pengingat_selesai")
    p.chain("eskalasi_skp", "perpanjang_batas", "pilih_regime")
    p.chain("gabung_susun", "ringkas_skp", "skp_lengkap")
    p.flow("skp_lengkap", "pilih_regime", name="Perbaiki / Fix", condition="not skp_valid", id="f_skp_galat")
    p.flow("skp_lengkap", "tinjau_skp", name="Lengkap / Complete", id="f_skp_lengkap")
    p.chain("tinjau_skp", "hitung_putaran", "keputusan_pp")
    p.flow("keputusan_pp", "tetapkan_skp", name="Disetujui / Approved", condition="keputusan_pp == 'setujui'",
           id="f_pp_setujui")
    p.flow("keputusan_pp", "pilih_regime", name="Dikembalikan / Returned",
           condition="keputusan_pp == 'kembalikan' and putaran < maks_putaran", id="f_pp_kembalikan")
    p.flow("keputusan_pp", "putuskan_skp", name="Batas putaran / Round limit", id="f_ke_app")
    p.chain("putuskan_skp", "keputusan_app")
    p.flow("keputusan_app", "pilih_regime", name="Dikembalikan / Returned", condition="keputusan_app == 'kembalikan'",
           id="f_app_kembalikan")
    p.flow("keputusan_app", "tetapkan_skp", name="Ditetapkan / Set", id="f_app_tetapkan")
    p.chain("tetapkan_skp", "punya_bawahan")
    p.flow("punya_bawahan", "susun_mph", name="Ya / Yes", condition="len(pegawai['bawahan']) > 0",
           id="f_punya_bawahan")
    p.flow("punya_bawahan", "gabung_mph", name="Tidak / No", id="f_tanpa_bawahan")
    p.chain("susun_mph", "gabung_mph", "rhk_tersedia", "mulai_pemantauan", "selesai")
    return p


def _context() -> dict:
    return {
        "galat_skp": shown(area("Yang harus diperbaiki / What must be fixed")),
        "catatan_penilai": shown(area("Catatan Pejabat Penilai / Assessor's notes")),
        "rhk_atasan": shown(rows("RHK atasan yang dapat didukung / Superior's RHK you can support", {
            "id": text("Kode / Code"), "rhk": text("RHK"), "jenis": text("Jenis / Type")}, [])),
        "iku_unit": shown(rows("IKU unit (Perjanjian Kinerja) / Unit IKU", {
            "kode": text("Kode / Code"), "nama": text("IKU"), "target": text("Target")}, [])),
        "mph_saya": shown(rows("Peran Anda dalam Matriks Peran Hasil / Your role in the team matrix", {
            "rhk_id": text("RHK atasan / Superior RHK"), "peran": text("Peran / Role")}, [])),
    }


_RHK_ITEM_B = {
    "rhk": text("Rencana hasil kerja / Planned work result", minLength=3, maxLength=500),
    "mendukung": text("Kode RHK atasan atau IKU yang didukung / Superior RHK or IKU supported", maxLength=40),
    "indikator": text("Indikator kinerja individu (IKI) / Individual indicator", minLength=3, maxLength=500),
    "target": number("Target", exclusiveMinimum=0, maximum=MAKS_ANGKA),
    "satuan": text("Satuan / Unit", maxLength=40),
    "arah": choice("Arah / Direction", ["lebih_tinggi", "lebih_rendah"],
                   ["Makin tinggi makin baik / Higher is better", "Makin rendah makin baik / Lower is better"]),
}
_RHK_ITEM_C = {
    "rhk": text("Rencana hasil kerja / Planned work result", minLength=3, maxLength=500),
    "mendukung": text("Kode RHK atasan atau IKU yang didukung / Superior RHK or IKU supported", maxLength=40),
    "cascading": choice("Cascading", ["langsung", "tidak_langsung"], ["Langsung / Direct", "Tidak langsung / Indirect"]),
    "aspek": choice("Aspek / Aspect", ["Kuantitas", "Kualitas", "Waktu", "Biaya"]),
    "indikator": text("Indikator kinerja individu / Individual indicator", minLength=3, maxLength=500),
    "target": number("Target (angka; kualitatif: 100 = sesuai ekspektasi) / Target (qualitative: 100 = as expected)",
                     exclusiveMinimum=0, maximum=MAKS_ANGKA),
    "target_uraian": text("Ekspektasi (pendekatan kualitatif) / Expectation (qualitative approach)", maxLength=500),
    "satuan": text("Satuan / Unit", maxLength=40),
    "perspektif": choice("Perspektif (JPT)", ["", "Penerima Layanan", "Proses Bisnis", "Penguatan Internal",
                                              "Anggaran"]),
}


# The supported RHK is chosen from the superior's RHK (or the unit's IKU, for leaders), not typed as a code.
SUPPORTS = {"ui:optionsFrom": [{"source": "rhk_atasan", "value": "id", "label": "rhk"},
                               {"source": "iku_unit", "value": "kode", "label": "nama"}]}
SUPPORTS_UI = {"rhk_utama": {"items": {"mendukung": SUPPORTS}}, "rhk_tambahan": {"items": {"mendukung": SUPPORTS}}}


def forms() -> dict[str, str]:
    files: dict[str, str] = {}
    kegiatan = rows("Kegiatan tugas jabatan / Activities", {
        "nama": text("Kegiatan / Activity", minLength=3, maxLength=500),
        "mendukung": text("Kode RHK atasan atau IKU yang didukung / Superior RHK or IKU supported", maxLength=40),
        "target_kuantitas": number("Target kuantitas (TO) / Output target", exclusiveMinimum=0, maximum=MAKS_ANGKA),
        "satuan": text("Satuan output / Output unit", maxLength=40),
        "target_kualitas": number("Target kualitas (TK) / Quality target", exclusiveMinimum=0, maximum=MAKS_ANGKA, default=100),
        "target_waktu": number("Target waktu (bulan) (TW) / Time target (months)", exclusiveMinimum=0, maximum=MAKS_ANGKA),
        "target_biaya": number("Target biaya (TB, opsional) / Cost target (optional)", exclusiveMinimum=0, maximum=MAKS_ANGKA),
    }, ["nama", "target_kuantitas", "target_kualitas", "target_waktu"], minItems=1, maxItems=50)
    files.update(form("smk_skp_a", "SKP regime A (Perka BKN 1/2013) / SKP under regime A", {
        **_context(), "kegiatan": kegiatan}, ["kegiatan"], ui={"kegiatan": {"items": {"mendukung": SUPPORTS}}}))
    files.update(form("smk_skp_b", "SKP regime B (PP 30/2019, PermenPANRB 8/2021) / SKP under regime B", {
        **_context(),
        "rhk_utama": rows("RHK utama / Main work results", _RHK_ITEM_B,
                          ["rhk", "mendukung", "indikator", "target"], minItems=1, maxItems=30),
        "rhk_tambahan": rows("RHK tambahan / Additional work results", _RHK_ITEM_B,
                             ["rhk", "indikator", "target"], maxItems=10),
    }, ["rhk_utama"], ui=SUPPORTS_UI))
    ekspektasi = {f"ekspektasi_{key}": text(_expectation_title(label), maxLength=500) for key, label in BERAKHLAK}
    files.update(form("smk_skp_c", "SKP regime C (PermenPANRB 6/2022) / SKP under regime C", {
        **_context(),
        "pendekatan": choice("Pendekatan / Approach", ["kuantitatif", "kualitatif"],
                             ["Kuantitatif / Quantitative", "Kualitatif / Qualitative"]),
        "rhk_utama": rows("RHK utama / Main work results", _RHK_ITEM_C,
                          ["rhk", "mendukung", "aspek", "indikator", "target"], minItems=1, maxItems=30),
        "rhk_tambahan": rows("RHK tambahan / Additional work results", _RHK_ITEM_C,
                             ["rhk", "aspek", "indikator", "target"], maxItems=10),
        **ekspektasi,
    }, ["pendekatan", "rhk_utama"], ui=SUPPORTS_UI))
    files.update(form("smk_menunggu_atasan", "Menunggu RHK atasan / Waiting for the superior's RHK", {
        "pesan_menunggu": bilingual(shown(area("Status"))),
        "periksa_lagi": boolean("Periksa lagi sekarang / Check again now", default=True),
    }, []))
    review = {
        "ringkasan_skp": shown(area("SKP yang diajukan / Submitted SKP")),
        "putaran": shown(integer("Putaran pengembalian / Return rounds so far")),
        "catatan_sebelumnya": shown(area("Catatan Anda sebelumnya / Your previous note")),
    }
    files.update(form("smk_tinjau_skp", "Tinjau SKP / Review the SKP", {
        **review,
        "keputusan_pp": choice("Keputusan / Decision", ["setujui", "kembalikan"],
                               ["Setujui / Approve", "Kembalikan dengan catatan / Return with notes"]),
        "catatan_penilai": area("Catatan untuk pegawai / Notes for the employee"),
    }, ["keputusan_pp"]))
    files.update(form("smk_putuskan_skp", "Putuskan SKP setelah batas putaran / Decide the SKP after the round limit", {
        **review, "catatan_penilai": shown(area("Catatan Pejabat Penilai / Assessor's notes")),
        "keputusan_app": choice("Keputusan / Decision", ["tetapkan", "kembalikan"],
                                ["Tetapkan SKP / Set the SKP", "Kembalikan ke pegawai / Return to the employee"]),
        "catatan_app": area("Catatan atasan penilai / Notes of the assessor's superior", minLength=3),
    }, ["keputusan_app", "catatan_app"]))
    files.update(form("smk_eskalasi_skp", "SKP terlambat / SKP overdue", {
        "batas_skp": shown(text("Batas semula / Original deadline", format="date")),
        "jumlah_eskalasi": shown(integer("Eskalasi sebelumnya / Earlier escalations")),
        "tindakan_app": area("Tindakan yang diambil / Action taken", minLength=3),
        "batas_baru": text("Batas baru / New deadline", format="date"),
    }, ["tindakan_app", "batas_baru"]))
    files.update(form("smk_mph", "Matriks Peran Hasil / Team role-result matrix", {
        "ringkasan_skp": shown(area("SKP Anda / Your SKP")),
        "mph": rows("Pembagian peran / Roles", {
            "rhk_id": text("RHK Anda / Your RHK", minLength=1, maxLength=40),
            "pegawai_id": integer("Bawahan / Team member"),
            "nama_pegawai": text("Nama bawahan / Team member", maxLength=200),
            "peran": text("Peran dan hasil yang diharapkan / Role and expected result", minLength=3, maxLength=500),
        }, ["rhk_id", "pegawai_id", "peran"], minItems=1, maxItems=100),
    }, ["mph"], ui={"mph": {"items": {
        "rhk_id": {"ui:optionsFrom": {"source": "rhk", "value": "id", "label": "rhk"}},
        "pegawai_id": {"ui:optionsFrom": {"source": "pegawai.bawahan", "value": "id", "label": "nama"}}}}}))
    return files


def build() -> dict[str, str]:
    return {**bpmn(process(), LAYOUT, DOCS), **forms()}


PROCESS_DOC = (
    "Perencanaan kinerja (PP 30/2019; PermenPANRB 6/2022, perencanaan kinerja): pegawai menyusun SKP yang setiap RHK "
    "utamanya mendukung RHK atasan (cascading) atau IKU unit, Pejabat Penilai menyetujui atau mengembalikan dengan "
    "catatan (paling banyak maks_putaran kali, lalu Atasan Pejabat Penilai memutuskan), SKP ditetapkan, dan pimpinan "
    "menyusun Matriks Peran Hasil untuk bawahannya. Pengingat 7 hari sebelum batas SKP; setelah batas terlewati "
    "Atasan Pejabat Penilai mencatat tindakan dan batas baru.",
    "Performance planning (PP 30/2019; PermenPANRB 6/2022, performance planning): the employee drafts the SKP, each "
    "main RHK supporting a superior's RHK (cascading) or a unit IKU; the assessor approves it or returns it with "
    "notes (at most maks_putaran times, then the assessor's superior decides); the SKP is set, and leaders set the "
    "Matriks Peran Hasil for their team. A reminder 7 days before the SKP deadline; after the deadline the "
    "assessor's superior records an action and a new deadline.")

_REGIME_SKP = {
    "A": ("Perka BKN 1/2013: kegiatan tugas jabatan dengan target kuantitas, kualitas, waktu dan biaya",
          "Perka BKN 1/2013: activities with quantity, quality, time and cost targets"),
    "B": ("PP 30/2019 jo. PermenPANRB 8/2021: RHK dengan indikator kinerja individu dan target",
          "PP 30/2019 with PermenPANRB 8/2021: RHK with individual indicators and targets"),
    "C": ("PermenPANRB 6/2022: RHK utama/tambahan, pendekatan kuantitatif atau kualitatif, ekspektasi khusus "
          "BerAKHLAK",
          "PermenPANRB 6/2022: main/additional RHK, quantitative or qualitative approach, special expectations per "
          "BerAKHLAK core value"),
}

DOCS = {
    "mulai": ("Dimulai oleh proses periode (smk_periode) untuk satu pegawai dan satu periode.",
              "Started by the period process (smk_periode) for one employee and one period."),
    "profil": ("Membaca data pegawai: jabatan, Pejabat Penilai, Atasan Pejabat Penilai, bawahan, unit kurva.",
               "Reads the employee's data: position, assessor, assessor's superior, team, curve unit."),
    "siapkan": ("Menyiapkan data perencanaan: putaran 0, status draf, tenggat SKP 23.59 WIB, pengingat 7 hari "
                "sebelumnya pukul 08.00 WIB, IKU unit pegawai.",
                "Prepares the planning data: round 0, draft status, SKP deadline 23:59 WIB, the reminder 7 days "
                "before at 08:00 WIB, the employee's unit IKU."),
    "perlu_atasan": ("Punya atasan yang RHK-nya harus didukung? Pimpinan tertinggi unit dalam sistem menurunkan "
                     "RHK dari IKU organisasi (Perjanjian Kinerja).",
                     "Is there a superior whose RHK must be supported? The top of the organisation in the system "
                     "cascades from the organisation's IKU (Perjanjian Kinerja)."),
    "f_perlu_atasan": ("Ada atasan (perlu_rhk_atasan): baca RHK atasan dahulu (cascading, PermenPANRB 6/2022).",
                       "There is a superior (perlu_rhk_atasan): read the superior's RHK first (cascading, "
                       "PermenPANRB 6/2022)."),
    "cek_rhk_atasan": ("Membaca RHK dan Matriks Peran Hasil atasan dari perencanaan atasan pada periode yang sama.",
                       "Reads the superior's RHK and role-result matrix from the superior's planning of the same "
                       "period."),
    "atasan_siap": ("RHK atasan sudah ditetapkan? Bawahan baru dapat menyusun SKP setelah SKP atasan ditetapkan "
                    "(cascading).",
                    "Is the superior's RHK set? A subordinate drafts only after the superior's SKP is set "
                    "(cascading)."),
    "f_atasan_siap": ("RHK atasan ada (rhk_siap): ambil RHK dan MPH atasan.",
                      "The superior's RHK exists (rhk_siap): take the superior's RHK and MPH."),
    "pesan_tunggu": ("Menulis pesan yang menyebut nama atasan yang RHK-nya ditunggu, dalam dua bahasa.",
                     "Writes a message naming the superior whose RHK is awaited, in both languages."),
    "menunggu_atasan": ("Pegawai melihat siapa yang ditunggu dan dapat meminta pemeriksaan ulang sekarang.",
                        "The employee sees whom the process waits for and can ask for a check now."),
    "periksa_harian": ("Timer P1D (interupsi): periksa lagi RHK atasan setiap hari (aturan sistem).",
                       "Timer P1D (interrupting): check the superior's RHK again every day (system rule)."),
    "ambil_rhk_atasan": ("Menyalin RHK atasan dan peran pegawai dalam Matriks Peran Hasil atasan sebagai pilihan "
                         "RHK yang didukung.",
                         "Copies the superior's RHK and the employee's role in the superior's matrix as the choices "
                         "of the RHK supported."),
    "pilih_regime": ("Regime periode menentukan bentuk SKP: A, B atau C.",
                     "The period's regime decides the SKP form: A, B or C."),
    "f_regime_a": ("Regime A (regime == 'A'): SKP menurut Perka BKN 1/2013.",
                   "Regime A (regime == 'A'): SKP under Perka BKN 1/2013."),
    "f_regime_b": ("Regime B (regime == 'B'): SKP menurut PP 30/2019 jo. PermenPANRB 8/2021.",
                   "Regime B (regime == 'B'): SKP under PP 30/2019 with PermenPANRB 8/2021."),
    "catat_pengingat": ("Mencatat pengingat batas SKP (peristiwa audit smk.pengingat) untuk lapisan notifikasi.",
                        "Records the SKP deadline reminder (audit event smk.pengingat) for the notification "
                        "layer."),
    "pengingat_selesai": ("Pengingat terkirim; tugas penyusunan SKP tetap terbuka.",
                          "Reminder sent; the SKP drafting task stays open."),
    "eskalasi_skp": ("Batas SKP terlewati: Atasan Pejabat Penilai mencatat tindakan dan menetapkan batas baru "
                     "(tenggat 3 hari). SKP harus ditetapkan tepat waktu (PP 30/2019; akhir Januari untuk tahun "
                     "kalender).",
                     "SKP deadline passed: the assessor's superior records an action and sets a new deadline (due "
                     "in 3 days). The SKP must be set on time (PP 30/2019; end of January for a calendar year)."),
    "perpanjang_batas": ("Mencatat eskalasi, menandai SKP terlambat dan memasang batas baru 23.59 WIB.",
                         "Records the escalation, marks the SKP late and sets the new deadline at 23:59 WIB."),
    "gabung_susun": ("Menggabungkan tiga jalur penyusunan SKP.", "Joins the three SKP drafting paths."),
    "ringkas_skp": ("Memeriksa SKP: setiap RHK utama menyebut RHK atasan atau IKU yang didukung (cascading, "
                    "PermenPANRB 6/2022), minimal satu RHK utama; menyusun ringkasan untuk Pejabat Penilai.",
                    "Checks the SKP: every main RHK names the superior's RHK or IKU it supports (cascading, "
                    "PermenPANRB 6/2022), at least one main RHK; writes the summary for the assessor."),
    "skp_lengkap": ("SKP lengkap? SKP yang belum lengkap kembali ke pegawai sebelum Pejabat Penilai melihatnya.",
                    "Is the SKP complete? An incomplete SKP goes back to the employee before the assessor sees "
                    "it."),
    "f_skp_galat": ("SKP belum lengkap (not skp_valid): kembali ke penyusunan dengan daftar yang harus diperbaiki.",
                    "The SKP is incomplete (not skp_valid): back to drafting with what must be fixed."),
    "tinjau_skp": ("Pejabat Penilai menyetujui SKP atau mengembalikannya dengan catatan (tenggat 5 hari; PP "
                   "30/2019, SKP disusun bersama dan disetujui Pejabat Penilai).",
                   "The assessor approves the SKP or returns it with notes (due in 5 days; PP 30/2019, the SKP is "
                   "agreed with and approved by the assessor)."),
    "hitung_putaran": ("Menambah hitungan putaran peninjauan.", "Counts the review round."),
    "keputusan_pp": ("Keputusan Pejabat Penilai: disetujui, dikembalikan (jika putaran belum mencapai "
                     "maks_putaran), atau ke Atasan Pejabat Penilai setelah batas putaran.",
                     "The assessor's decision: approved, returned (while the rounds are below maks_putaran), or to "
                     "the assessor's superior at the round limit."),
    "f_pp_setujui": ("Disetujui (keputusan_pp == 'setujui'): SKP ditetapkan.",
                     "Approved (keputusan_pp == 'setujui'): the SKP is set."),
    "f_pp_kembalikan": ("Dikembalikan dan putaran < maks_putaran: pegawai memperbaiki SKP.",
                        "Returned and rounds < maks_putaran: the employee revises the SKP."),
    "putuskan_skp": ("Setelah batas putaran, Atasan Pejabat Penilai menetapkan SKP atau mengembalikannya ke "
                     "pegawai, dengan catatan (tenggat 5 hari; aturan instansi, batas putaran diatur per periode).",
                     "After the round limit the assessor's superior sets the SKP or returns it to the employee, "
                     "with a note (due in 5 days; agency rule, the limit is a period setting)."),
    "keputusan_app": ("Keputusan Atasan Pejabat Penilai: tetapkan atau kembalikan.",
                      "The decision of the assessor's superior: set or return."),
    "f_app_kembalikan": ("Dikembalikan (keputusan_app == 'kembalikan'): pegawai memperbaiki SKP.",
                         "Returned (keputusan_app == 'kembalikan'): the employee revises the SKP."),
    "tetapkan_skp": ("SKP ditetapkan: RHK dan indikator diberi kode tetap dan menjadi target pemantauan dan "
                     "penilaian.",
                     "The SKP is set: RHK and indicators get fixed codes and become the targets of monitoring and "
                     "assessment."),
    "punya_bawahan": ("Punya bawahan? Pimpinan membagi RHK-nya kepada tim dalam Matriks Peran Hasil (PermenPANRB "
                      "6/2022).",
                      "Has a team? Leaders split their RHK among the team in the Matriks Peran Hasil (PermenPANRB "
                      "6/2022)."),
    "f_punya_bawahan": ("Ada bawahan (len(pegawai['bawahan']) > 0): susun Matriks Peran Hasil.",
                        "There is a team (len(pegawai['bawahan']) > 0): set the role-result matrix."),
    "susun_mph": ("Pimpinan menetapkan siapa dari bawahannya menghasilkan bagian mana dari setiap RHK (Matriks "
                  "Peran Hasil, PermenPANRB 6/2022).",
                  "The leader sets which team member delivers which part of each RHK (Matriks Peran Hasil, "
                  "PermenPANRB 6/2022)."),
    "gabung_mph": ("Menggabungkan jalur dengan dan tanpa bawahan.", "Joins the paths with and without a team."),
    "rhk_tersedia": ("Menandai RHK siap (rhk_siap) sehingga bawahan dapat menyusun SKP, dan menyiapkan data "
                     "pemantauan periode pertama.",
                     "Marks the RHK ready (rhk_siap) so the team can draft their SKP, and prepares the first "
                     "monitoring slice's data."),
    "mulai_pemantauan": ("Memulai pemantauan bulan/triwulan pertama (smk_pemantauan) dalam transaksi yang sama.",
                         "Starts the first monthly/quarterly monitoring (smk_pemantauan) in the same transaction."),
    "selesai": ("SKP ditetapkan; perencanaan selesai.", "The SKP is set; planning is complete."),
}
for _r in "ABC":
    _id, _en = _REGIME_SKP[_r]
    DOCS[f"susun_skp_{_r.lower()}"] = (
        f"Pegawai menyusun SKP regime {_r} ({_id}). Setiap RHK utama menyebut RHK atasan atau IKU yang didukungnya. "
        "Tenggat: batas_skp.",
        f"The employee drafts the regime {_r} SKP ({_en}). Every main RHK names the superior's RHK or IKU it "
        "supports. Due: batas_skp.")
    DOCS[f"pengingat_{_r.lower()}"] = (
        "Timer tanpa interupsi: 7 hari sebelum batas SKP, 08.00 WIB (batas_pengingat), kirim pengingat; tugas tetap "
        "terbuka.",
        "Non-interrupting timer: 7 days before the SKP deadline, 08:00 WIB (batas_pengingat), send a reminder; the "
        "task stays open.")
    DOCS[f"terlambat_{_r.lower()}"] = (
        "Timer (interupsi): batas SKP terlewati pukul 23.59 WIB (batas_susun); eskalasi ke Atasan Pejabat Penilai.",
        "Interrupting timer: the SKP deadline passed at 23:59 WIB (batas_susun); escalate to the assessor's "
        "superior.")
