"""Generate the demo bundle in bpmn/demo/ (BPMN with diagram layout, DMN and forms).

Run: .venv/bin/python scripts/build_demo_models.py  — the generated files are committed; edit them in a
modeller afterwards if you like, this script is only the first author.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from smk_models.layout import render  # noqa: E402

from tools.bpmn_builder import Process  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "bpmn" / "demo"

HITUNG = """\
kegiatan = kegiatan or []
skor = []
for k in kegiatan:
    target = k.get('target') or 0
    skor.append(round(k.get('realisasi', 0) / target * 100, 2) if target else 0)
rata_rata = round(sum(skor) / len(skor), 2) if skor else 0
"""


def demo_process() -> Process:
    p = Process("demo_penilaian", "Demo Penilaian Kinerja", lanes=["Pegawai", "Pejabat Penilai", "Biro SDM"])
    p.documentation = ("Proses contoh kecil yang memperlihatkan setiap fitur mesin: lane, formulir, gateway, DMN dan "
                       "pemanggilan proses lain. Bukan aturan SMK.\n\nEN: A small process that shows every engine "
                       "feature: lanes, forms, a gateway, DMN and a call. Not an SMK rule.")
    p.start("mulai", "Mulai", lane="Pegawai", col=0)
    p.user("isi_capaian", "Isi capaian kinerja", lane="Pegawai", col=1, form="demo_capaian",
           instructions="Isi realisasi setiap kegiatan. / Fill in the realisation of each activity.")
    p.script("hitung", "Hitung rata-rata capaian", HITUNG, lane="Pegawai", col=2)
    p.user("tinjau", "Tinjau capaian", lane="Pejabat Penilai", col=3, form="demo_tinjau")
    p.gateway("cek_keputusan", "Disetujui?", lane="Pejabat Penilai", col=4, default="f_setuju")
    p.rule("tentukan_predikat", "Tentukan predikat", "demo_predikat", lane="Pejabat Penilai", col=5)
    p.call("arsipkan", "Arsipkan hasil", "demo_arsip", lane="Biro SDM", col=6)
    p.user("konfirmasi_sdm", "Konfirmasi Biro SDM", lane="Biro SDM", col=7, form="demo_konfirmasi")
    p.end("selesai", "Selesai", lane="Biro SDM", col=8)
    p.chain("mulai", "isi_capaian", "hitung", "tinjau", "cek_keputusan")
    p.flow("cek_keputusan", "isi_capaian", name="Dikembalikan", condition="keputusan == 'kembalikan'",
           id="f_kembalikan")
    p.flow("cek_keputusan", "tentukan_predikat", name="Disetujui", id="f_setuju")
    p.chain("tentukan_predikat", "arsipkan", "konfirmasi_sdm", "selesai")
    return p


def arsip_process() -> Process:
    p = Process("demo_arsip", "Demo Arsip")
    p.documentation = ("Subproses contoh yang dipanggil demo_penilaian untuk memberi nomor arsip.\n\nEN: A sample "
                       "subprocess called by demo_penilaian to give an archive number.")
    p.start("arsip_mulai", "Mulai", col=0)
    p.script("beri_nomor", "Beri nomor arsip",
             "nomor_arsip = 'ARS-' + str(len(kegiatan)) + '-' + predikat.upper().replace(' ', '-')", col=1)
    p.end("arsip_selesai", "Selesai", col=2)
    p.chain("arsip_mulai", "beri_nomor", "arsip_selesai")
    return p


DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="demo_predikat_definitions"
    name="Demo predikat" namespace="http://smk-workflow/demo">
  <decision id="demo_predikat" name="Predikat (demo)">
    <decisionTable id="demo_predikat_table" hitPolicy="UNIQUE">
      <input id="in_hasil" label="Hasil kerja">
        <inputExpression id="in_hasil_expr" typeRef="string"><text>hasil_kerja</text></inputExpression>
      </input>
      <input id="in_perilaku" label="Perilaku">
        <inputExpression id="in_perilaku_expr" typeRef="string"><text>perilaku</text></inputExpression>
      </input>
      <output id="out_predikat" label="Predikat" name="predikat" typeRef="string" />
{rules}
    </decisionTable>
  </decision>
</definitions>
"""

MATRIX = {
    ("Di Atas Ekspektasi", "Di Bawah Ekspektasi"): "Kurang",
    ("Di Atas Ekspektasi", "Sesuai Ekspektasi"): "Baik",
    ("Di Atas Ekspektasi", "Di Atas Ekspektasi"): "Sangat Baik",
    ("Sesuai Ekspektasi", "Di Bawah Ekspektasi"): "Kurang",
    ("Sesuai Ekspektasi", "Sesuai Ekspektasi"): "Baik",
    ("Sesuai Ekspektasi", "Di Atas Ekspektasi"): "Baik",
    ("Di Bawah Ekspektasi", "Di Bawah Ekspektasi"): "Sangat Kurang",
    ("Di Bawah Ekspektasi", "Sesuai Ekspektasi"): "Butuh Perbaikan",
    ("Di Bawah Ekspektasi", "Di Atas Ekspektasi"): "Butuh Perbaikan",
}

RATINGS = ["Di Atas Ekspektasi", "Sesuai Ekspektasi", "Di Bawah Ekspektasi"]


def dmn() -> str:
    rules = []
    for i, ((hasil, perilaku), predikat) in enumerate(MATRIX.items()):
        rules.append(
            f'      <rule id="r{i}"><inputEntry id="r{i}_a"><text>"{hasil}"</text></inputEntry>'
            f'<inputEntry id="r{i}_b"><text>"{perilaku}"</text></inputEntry>'
            f'<outputEntry id="r{i}_o"><text>"{predikat}"</text></outputEntry></rule>'
        )
    return DMN.replace("{rules}", "\n".join(rules))


def forms() -> dict[str, dict]:
    rating = {"type": "string", "enum": RATINGS}
    return {
        "demo_capaian.schema.json": {
            "title": "Capaian kinerja / Performance realisation",
            "type": "object",
            "required": ["ringkasan", "tanggal", "kegiatan", "hasil_kerja"],
            "properties": {
                "ringkasan": {"type": "string", "title": "Ringkasan / Summary", "minLength": 3, "maxLength": 500},
                "tanggal": {"type": "string", "format": "date", "title": "Tanggal laporan / Report date"},
                "hasil_kerja": dict(rating, title="Penilaian diri hasil kerja / Self-rating of results"),
                "inovasi": {"type": "boolean", "title": "Ada inovasi / Innovation produced", "default": False},
                "kegiatan": {
                    "type": "array", "title": "Kegiatan / Activities", "minItems": 1, "maxItems": 20,
                    "items": {
                        "type": "object", "required": ["nama", "target", "realisasi"],
                        "properties": {
                            "nama": {"type": "string", "title": "Nama kegiatan / Activity", "minLength": 1},
                            "target": {"type": "number", "title": "Target", "exclusiveMinimum": 0},
                            "realisasi": {"type": "number", "title": "Realisasi / Realised", "minimum": 0},
                        },
                    },
                },
            },
        },
        "demo_capaian.uischema.json": {
            "ui:order": ["ringkasan", "tanggal", "hasil_kerja", "inovasi", "kegiatan"],
            "ringkasan": {"ui:widget": "textarea"},
        },
        "demo_tinjau.schema.json": {
            "title": "Tinjau capaian / Review the realisation",
            "type": "object",
            "required": ["keputusan", "perilaku"],
            "properties": {
                "rata_rata": {"type": "number", "title": "Rata-rata capaian / Average achievement",
                              "readOnly": True},
                "keputusan": {"type": "string", "title": "Keputusan / Decision", "enum": ["setuju", "kembalikan"],
                              "enumNames": ["Setujui / Approve", "Kembalikan / Return"]},
                "perilaku": dict(rating, title="Penilaian perilaku / Behaviour rating"),
                "catatan": {"type": "string", "title": "Catatan / Notes", "maxLength": 1000},
            },
        },
        "demo_tinjau.uischema.json": {"catatan": {"ui:widget": "textarea"}, "rata_rata": {"ui:readonly": True}},
        "demo_konfirmasi.schema.json": {
            "title": "Konfirmasi / Confirmation",
            "type": "object",
            "required": ["dikonfirmasi"],
            "properties": {
                "predikat": {"type": "string", "title": "Predikat", "readOnly": True},
                "nomor_arsip": {"type": "string", "title": "Nomor arsip / Archive number", "readOnly": True},
                "dikonfirmasi": {"type": "boolean", "title": "Data sudah diperiksa / Data checked", "const": True},
                "catatan_sdm": {"type": "string", "title": "Catatan SDM / HR notes"},
            },
        },
        "demo_konfirmasi.uischema.json": {"catatan_sdm": {"ui:widget": "textarea"}},
    }


DOCS = {
    "mulai": ("Awal contoh.", "Start of the sample."),
    "isi_capaian": ("Pegawai mengisi realisasi setiap kegiatan (contoh formulir dengan daftar baris).",
                    "The employee enters each activity's realisation (a sample form with rows)."),
    "hitung": ("Menghitung rata-rata capaian (contoh tugas skrip).", "Computes the average achievement (a sample "
               "script task)."),
    "tinjau": ("Pejabat Penilai menyetujui atau mengembalikan (contoh tugas lane).",
               "The assessor approves or returns (a sample lane task)."),
    "cek_keputusan": ("Disetujui atau dikembalikan?", "Approved or returned?"),
    "f_kembalikan": ("Dikembalikan (keputusan == 'kembalikan'): kembali ke pegawai.",
                     "Returned (keputusan == 'kembalikan'): back to the employee."),
    "tentukan_predikat": ("Tabel DMN contoh demo_predikat (bukan tabel SMK yang berlaku).",
                          "The sample DMN table demo_predikat (not the SMK table in force)."),
    "arsipkan": ("Memanggil proses demo_arsip (contoh call activity).", "Calls the process demo_arsip (a sample "
                 "call activity)."),
    "konfirmasi_sdm": ("Biro SDM mengonfirmasi data (contoh tugas grup).", "Biro SDM confirms the data (a sample "
                       "group task)."),
    "selesai": ("Akhir contoh.", "End of the sample."),
}
DOCS_ARSIP = {
    "arsip_mulai": ("Awal subproses arsip.", "Start of the archive subprocess."),
    "beri_nomor": ("Memberi nomor arsip dari jumlah kegiatan dan predikat.", "Gives an archive number from the "
                   "number of activities and the predikat."),
    "arsip_selesai": ("Akhir subproses arsip.", "End of the archive subprocess."),
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "demo_penilaian.bpmn").write_text(render(demo_process(), None, DOCS))
    (OUT / "demo_arsip.bpmn").write_text(render(arsip_process(), None, DOCS_ARSIP))
    (OUT / "demo_predikat.dmn").write_text(dmn())
    for name, schema in forms().items():
        (OUT / name).write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
