"""TEST-ONLY bundle ``test_skp_browser``: an SKP draft with RHK rows, a return loop and a realisation with an
uploaded bukti dukung. The browser tests now run on the real SMK models; the HTTP-level tests in tests/webapp
(test_pages.py and others) still deploy this small bundle.
"""

from __future__ import annotations

import json

from tools.bpmn_builder import Process, document

PROCESS_ID = "test_skp_browser"

RHK_ROW = {
    "type": "object", "required": ["rhk", "jenis", "indikator", "target"],
    "properties": {
        "rhk": {"type": "string", "title": "Rencana hasil kerja / Planned work result", "minLength": 3},
        "jenis": {"type": "string", "title": "Jenis / Kind", "enum": ["Utama", "Tambahan"]},
        "indikator": {"type": "string", "title": "Indikator kinerja individu / Indicator"},
        "target": {"type": "number", "title": "Target", "exclusiveMinimum": 0},
    },
}

FORMS = {
    "test_susun_skp.schema.json": {
        "title": "Susun SKP / Draft the SKP", "type": "object", "required": ["rhk"],
        "properties": {
            "catatan": {"type": "string", "title": "Catatan pejabat penilai / Assessor's note", "readOnly": True},
            "rhk": {"type": "array", "title": "Rencana hasil kerja (RHK) / Planned work results", "minItems": 1,
                    "maxItems": 10, "items": RHK_ROW},
        },
    },
    "test_susun_skp.uischema.json": {"ui:order": ["catatan", "rhk"]},
    "test_tinjau_skp.schema.json": {
        "title": "Tinjau SKP / Review the SKP", "type": "object", "required": ["keputusan"],
        "properties": {
            "rhk": {"type": "array", "title": "RHK yang diajukan / Proposed RHK", "readOnly": True, "items": RHK_ROW},
            "keputusan": {"type": "string", "title": "Keputusan / Decision", "enum": ["setujui", "kembalikan"],
                          "enumNames": ["Setujui / Approve", "Kembalikan untuk diperbaiki / Return for revision"]},
            "catatan": {"type": "string", "title": "Catatan untuk pegawai / Note to the employee", "maxLength": 1000},
        },
    },
    "test_tinjau_skp.uischema.json": {"catatan": {"ui:widget": "textarea"}},
    "test_realisasi.schema.json": {
        "title": "Realisasi / Realisation", "type": "object", "required": ["uraian", "capaian", "bukti"],
        "properties": {
            "uraian": {"type": "string", "title": "Uraian realisasi / What was done", "minLength": 3},
            "capaian": {"type": "number", "title": "Capaian (%) / Achievement (%)", "minimum": 0, "maximum": 200},
            "bukti": {"type": "string", "title": "Bukti dukung / Evidence", "x-accept": [".pdf", ".txt", ".png"],
                      "x-max-bytes": 200000},
        },
    },
    "test_realisasi.uischema.json": {"uraian": {"ui:widget": "textarea"}, "bukti": {"ui:widget": "file"}},
}


def process() -> Process:
    p = Process(PROCESS_ID, "Uji SKP (browser)", lanes=["Pegawai", "Pejabat Penilai"])
    p.start("mulai", "Mulai", lane="Pegawai", col=0)
    p.user("susun_skp", "Susun SKP", lane="Pegawai", col=1, form="test_susun_skp",
           instructions="Tulis RHK Anda beserta indikator dan target. / Write your RHK with indicators and targets.")
    p.user("tinjau_skp", "Tinjau SKP", lane="Pejabat Penilai", col=2, form="test_tinjau_skp")
    p.gateway("cek", "Disetujui?", lane="Pejabat Penilai", col=3, default="f_setujui")
    p.user("isi_realisasi", "Isi realisasi", lane="Pegawai", col=4, form="test_realisasi",
           instructions="Lampirkan bukti dukung. / Attach the evidence.")
    p.end("selesai", "Selesai", lane="Pegawai", col=5)
    p.chain("mulai", "susun_skp", "tinjau_skp", "cek")
    p.flow("cek", "susun_skp", name="Dikembalikan", condition="keputusan == 'kembalikan'", id="f_kembalikan")
    p.flow("cek", "isi_realisasi", name="Disetujui", id="f_setujui")
    p.chain("isi_realisasi", "selesai")
    return p


def files() -> dict[str, bytes]:
    """Return the bundle's files, ready for engine.deployments.deploy."""
    out = {f"{PROCESS_ID}.bpmn": document(process()).encode()}
    out.update({name: json.dumps(body, indent=2).encode() for name, body in FORMS.items()})
    return out
