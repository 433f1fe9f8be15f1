"""The printable SKP and evaluation documents, always in Bahasa Indonesia, in the layout of PermenPANRB 6/2022's
annexes: who is assessed and by whom, the SKP's work results (RHK with the superior's RHK each one supports, aspect,
indicator, target; the perspective for JPT), the BerAKHLAK behaviour with the superior's special expectations, and
for the evaluation the capaian table (realisation from the evidence and continuous feedback per row), the behaviour
feedback, both ratings and the predikat.

An SMK process (planning, monitoring, assessment: one instance each, linked by employee and period) prints the SKP
of its employee and period as the SKP page reads it (``processes.queries.skp_page``), so the evaluation printed
from the assessment shows the plan set in the planning and the realisations of every monitoring slice. A monitoring
instance prints the periodic evaluation of its slice. Any other process prints the rows people entered in its
forms, titled from the forms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from engine.access import superior_of
from engine.core import Engine
from engine.db.org import User
from engine.db.runtime import COMPLETED, Instance
from engine.queries.instance import InstanceDetail, instance_detail
from engine.services.results import results
from processes.operations import UNIT_RATING, curve_unit
from processes.queries import SKP_MONITORING, SkpPage, SkpSlice, skp_page

MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember")
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")

# The seven core values of PermenPANRB 6/2022 with the behaviours each one names (SE Menteri PANRB 20/2021).
BERAKHLAK = (
    ("berorientasi_pelayanan", "Berorientasi Pelayanan", (
        "Memahami dan memenuhi kebutuhan masyarakat", "Ramah, cekatan, solutif, dan dapat diandalkan",
        "Melakukan perbaikan tiada henti")),
    ("akuntabel", "Akuntabel", (
        "Melaksanakan tugas dengan jujur, bertanggung jawab, cermat, disiplin dan berintegritas tinggi",
        "Menggunakan kekayaan dan barang milik negara secara bertanggung jawab, efektif, dan efisien",
        "Tidak menyalahgunakan kewenangan jabatan")),
    ("kompeten", "Kompeten", (
        "Meningkatkan kompetensi diri untuk menjawab tantangan yang selalu berubah", "Membantu orang lain belajar",
        "Melaksanakan tugas dengan kualitas terbaik")),
    ("harmonis", "Harmonis", (
        "Menghargai setiap orang apapun latar belakangnya", "Suka menolong orang lain",
        "Membangun lingkungan kerja yang kondusif")),
    ("loyal", "Loyal", (
        "Memegang teguh ideologi Pancasila, Undang-Undang Dasar Negara Republik Indonesia Tahun 1945, setia kepada "
        "NKRI serta pemerintahan yang sah", "Menjaga nama baik sesama ASN, pimpinan, instansi, dan negara",
        "Menjaga rahasia jabatan dan negara")),
    ("adaptif", "Adaptif", (
        "Cepat menyesuaikan diri menghadapi perubahan", "Terus berinovasi dan mengembangkan kreativitas",
        "Bertindak proaktif")),
    ("kolaboratif", "Kolaboratif", (
        "Memberi kesempatan kepada berbagai pihak untuk berkontribusi",
        "Terbuka dalam bekerja sama untuk menghasilkan nilai tambah",
        "Menggerakkan pemanfaatan berbagai sumber daya untuk tujuan bersama")),
)
# The behaviour aspects of regimes A (Perka BKN 1/2013) and B (PermenPANRB 8/2021), scored as numbers.
BEHAVIOUR_ASPECTS = (("perilaku_orientasi_pelayanan", "Orientasi pelayanan"), ("perilaku_integritas", "Integritas"),
                     ("perilaku_komitmen", "Komitmen"), ("perilaku_disiplin", "Disiplin"),
                     ("perilaku_inisiatif_kerja", "Inisiatif kerja"), ("perilaku_kerja_sama", "Kerja sama"),
                     ("perilaku_kepemimpinan", "Kepemimpinan"))
REGIMES = {"A": "Perka BKN Nomor 1 Tahun 2013", "B": "PP 30/2019 jo. PermenPANRB Nomor 8 Tahun 2021",
           "C": "PermenPANRB Nomor 6 Tahun 2022"}
SKP_STATUS = {"none": "Belum ada SKP", "waiting": "Menunggu RHK atasan", "draft": "Draf",
              "review": "Sedang ditinjau", "returned": "Dikembalikan dengan catatan", "set": "Ditetapkan"}
PROCESS_STATUS = {"running": "Berjalan", "waiting": "Menunggu", "completed": "Selesai", "error": "Galat",
                  "suspended": "Ditangguhkan", "terminated": "Dihentikan"}


@dataclass
class Person:
    name: str
    nip: str
    position: str
    unit: str
    pangkat: str = ""


@dataclass
class DocTable:
    """A table of rows people entered in a form (RHK, indicators, activities), titled from that form."""

    key: str
    title: str
    columns: list[tuple[str, str]]
    rows: list[dict[str, Any]]


@dataclass
class DocRow:
    """One row of the SKP's work results; the evaluation adds what was realised and the feedback on it."""

    jenis: str  # utama, tambahan, kegiatan
    nomor: int
    rhk_atasan: str
    rhk: str
    aspek: str
    indikator: str
    target: str
    perspektif: str
    realisasi: str = ""
    bukti: list[str] = field(default_factory=list)
    umpan_balik: list[str] = field(default_factory=list)


@dataclass
class BehaviourRow:
    nomor: int
    nilai: str  # the core value or aspect
    uraian: tuple[str, ...]  # the behaviours it names
    ekspektasi: str
    skor: str = ""  # regimes A and B: the aspect's score


@dataclass
class DocumentContext:
    """What the printable SKP and evaluation documents show (texts in Bahasa Indonesia)."""

    instance: InstanceDetail
    employee: Person | None
    assessor: Person | None
    assessor_superior: Person | None
    tables: list[DocTable] = field(default_factory=list)  # processes other than the SMK SKP
    expectations: list[tuple[str, str]] = field(default_factory=list)  # (core value title, text)
    skp: bool = False  # the employee's SKP of an SMK period was found
    regime: str = ""
    regulation: str = ""
    pendekatan: str = ""
    skp_status: str = ""
    set: bool = False
    period_label: str = ""  # "1 Januari 2023 s.d. 31 Desember 2023"
    evaluation_label: str = ""  # "AKHIR" or "TRIWULAN II" / "BULAN MARET"
    periodic: bool = False
    rows: list[DocRow] = field(default_factory=list)
    behaviour: list[BehaviourRow] = field(default_factory=list)
    behaviour_feedback: str = ""
    slices: list[tuple[str, str, str, str]] = field(default_factory=list)  # label, feedback, by, obstacles
    hasil_kerja: str = ""
    perilaku: str = ""
    predikat: str = ""
    scores: list[tuple[str, str]] = field(default_factory=list)  # regimes A and B: (label, value)
    unit_rating: str = ""
    signed_on: str = ""  # the date under the signatures: the process's end (or start, while it runs)
    assessed_on: str = ""  # the evaluation's date: the assessment's end when there is one
    status_word: str = ""


def indonesian(text: Any) -> str:
    """The Indonesian half of a bilingual "Indonesian / English" text from a model; other texts unchanged."""
    value = "" if text is None else str(text)
    parts = value.split(" / ")
    return parts[0].strip() if len(parts) == 2 else value


def tanggal(value: date | datetime | str | None) -> str:
    """A date the way Indonesian letters write it: 31 Desember 2023."""
    if isinstance(value, str):
        try:
            return tanggal(date.fromisoformat(value[:10]))
        except ValueError:
            return value
    if value is None:
        return ""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _entered_tables(forms: dict[str, Any], data: dict[str, Any]) -> list[DocTable]:
    """Return the row lists of the data that some form lets people enter (context lists are left out)."""
    defined: dict[str, dict[str, Any]] = {}
    for name, schema in sorted(forms.items()):
        if not name.endswith(".schema.json"):
            continue
        for key, prop in (schema.get("properties") or {}).items():
            if isinstance(prop, dict) and prop.get("type") == "array" and not prop.get("readOnly"):
                defined.setdefault(key, prop)
    tables = []
    for key, prop in defined.items():
        rows = data.get(key)
        if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
            continue
        item_props = (prop.get("items") or {}).get("properties") or {}
        # Only the columns the form defines, titled in words (a column without a title is named from its key).
        columns = [(k, indonesian((item_props.get(k) or {}).get("title") or k.replace("_", " ").capitalize()))
                   for k in item_props if any(r.get(k) not in (None, "") for r in rows)]
        tables.append(DocTable(key, indonesian(prop.get("title") or key.replace("_", " ").capitalize()), columns,
                               rows))
    return tables


def _expectations(forms: dict[str, Any], data: dict[str, Any]) -> list[tuple[str, str]]:
    titles: dict[str, str] = {}
    for schema in forms.values():
        for key, prop in (schema.get("properties") or {}).items():
            if key.startswith("ekspektasi_") and isinstance(prop, dict):
                titles.setdefault(key, indonesian(prop.get("title") or key).split(": ", 1)[-1])
    return [(title, str(data.get(key) or "")) for key, title in titles.items()]


def _person(user: User | None) -> Person | None:
    if user is None:
        return None
    position = user.position
    return Person(user.full_name, user.nip or "", position.title if position else "",
                  position.unit.name if position is not None else "", user.pangkat_golongan or "")


def _period_label(period: str) -> str:
    """The assessment period in words: a year, or one of the two 2021 half-years (SE Menteri PANRB 3/2021)."""
    if period == "2021-I":
        return "1 Januari 2021 s.d. 30 Juni 2021"
    if period == "2021-II":
        return "1 Juli 2021 s.d. 31 Desember 2021"
    if period.isdigit() and len(period) == 4:
        return f"1 Januari {period} s.d. 31 Desember {period}"
    return period


def slice_label(s: SkpSlice) -> str:
    """ "Triwulan II 2023" or "Maret 2023"."""
    if s.kind == "bulan":
        return f"{MONTHS[s.month - 1]} {s.year}"
    return f"Triwulan {ROMAN[(s.number - 1) % 12]} {s.year}"


def _unit_of(target: str) -> str:
    """The unit of a target as the SKP page writes it ("12 dokumen", "4 rapat (satu per triwulan)" → "dokumen",
    "rapat"): a realisation reported without its unit is counted in the target's."""
    found = re.match(r"^\S+\s+([^(]*?)\s*(?:\(.*\))?$", target or "")
    return found.group(1).strip() if found else ""


def _rows(page: SkpPage, slices: list[SkpSlice]) -> list[DocRow]:
    """The SKP's rows with, per row, the realisation of the latest of ``slices`` that reported it (realisations
    are cumulative), the evidence named in them, and the feedback of each slice: the assessor's feedback on that
    row where the slice's form gave one per row, else the slice's feedback on all its realisations."""
    out = []
    for r in page.rows:
        row = DocRow(r.jenis, r.nomor, r.rhk_atasan, r.rhk, r.aspek, r.indikator, r.target, r.perspektif)
        for s in slices:
            cell = r.cells.get(s.number)
            if cell is not None and cell.realisasi not in (None, ""):
                row.realisasi = f"{cell.realisasi} {cell.satuan or _unit_of(r.target)}".strip()
            if cell is not None:
                row.bukti += [name for _id, name in cell.bukti]
            text = (cell.umpan_balik if cell is not None and cell.umpan_balik else s.feedback)
            if text:
                row.umpan_balik.append(f"{slice_label(s)}: {text}")
        out.append(row)
    return out


def _assessment(session: Any, instance_id: int | None) -> tuple[dict[str, Any], datetime | None]:
    """The finished assessment's data (plain JSON of its stored state; nothing is deserialized) and end."""
    instance = session.get(Instance, instance_id) if instance_id else None
    if instance is None or instance.status != COMPLETED or not isinstance(instance.state, dict):
        return {}, None
    data = instance.state.get("data")
    return (data if isinstance(data, dict) else {}), instance.completed_at


def _unit_rating(session: Any, subject: User | None, period: str) -> str:
    """The rating the unit's head set for the employee's unit in the period (Capaian Kinerja Organisasi)."""
    if subject is None:
        return ""
    unit, _head = curve_unit(session, subject)
    if unit is None:
        return ""
    found = [r for r in results(session, UNIT_RATING, period, unit_ids=[unit.id]) if r.subject_id is None]
    return str(found[-1].value.get("predikat_unit") or "") if found else ""


def _fill_skp(ctx: DocumentContext, page: SkpPage, session: Any, subject: User | None, process_id: str,
              instance_id: int) -> None:
    ctx.skp = True
    ctx.regime = page.regime
    ctx.regulation = REGIMES.get(page.regime, "")
    ctx.pendekatan = "KUALITATIF" if page.pendekatan == "kualitatif" else "KUANTITATIF"
    ctx.skp_status = SKP_STATUS.get(page.status, page.status)
    ctx.set = page.status == "set"
    ctx.period_label = _period_label(page.period)
    slices = list(page.slices)
    if process_id == SKP_MONITORING:
        slices = [s for s in page.slices if s.instance_id == instance_id]
        ctx.periodic = True
        ctx.evaluation_label = (f"BULAN {MONTHS[slices[0].month - 1].upper()} {slices[0].year}" if slices and
                                slices[0].kind == "bulan" else
                                f"TRIWULAN {ROMAN[slices[0].number - 1]} {slices[0].year}" if slices else "")
    else:
        ctx.evaluation_label = "AKHIR"
    ctx.rows = _rows(page, slices)
    ctx.slices = [(slice_label(s), s.feedback, s.feedback_by, s.kendala) for s in slices]
    expected = dict(page.behaviour)
    data, assessed_at = _assessment(session, page.assessment_id)
    if page.regime in ("A", "B"):
        scored = [(key, label) for key, label in BEHAVIOUR_ASPECTS if data.get(key) not in (None, "")]
        ctx.behaviour = [BehaviourRow(n + 1, label, (), "", _plain(data.get(key)))
                         for n, (key, label) in enumerate(scored)]
    else:
        ctx.behaviour = [BehaviourRow(n + 1, name, behaviours, expected.get(key, ""))
                         for n, (key, name, behaviours) in enumerate(BERAKHLAK)]
    if not ctx.periodic:
        assessment = page.assessment
        ctx.behaviour_feedback = str(assessment.get("umpan_balik_akhir") or data.get("umpan_balik_akhir") or "")
        ctx.hasil_kerja = _plain(assessment.get("hasil_kerja") or data.get("hasil_kerja"))
        ctx.perilaku = _plain(assessment.get("perilaku") or data.get("perilaku"))
        ctx.predikat = _plain(data.get("predikat") or assessment.get("predikat"))
        ctx.scores = [(label, _plain(value)) for key, label in (
            ("nilai_skp", "Nilai SKP"), ("nilai_perilaku", "Nilai perilaku kerja"), ("rata_rata", "Nilai capaian"),
            ("nilai_kinerja", "Nilai kinerja")) if (value := data.get(key, assessment.get(key))) not in (None, "")]
        ctx.unit_rating = _unit_rating(session, subject, page.period)
        if assessed_at is not None:
            ctx.assessed_on = tanggal(assessed_at)


def document_context(engine: Engine, user_id: int, instance_id: int) -> DocumentContext:
    """Return what the documents of an instance print; NotFound when the user may not see the instance."""
    detail = instance_detail(engine, user_id, instance_id)
    with engine.session_factory() as session:
        employee = session.get(User, detail.subject_id) if detail.subject_id else None
        assessor = superior_of(session, employee.id) if employee else None
        superior = superior_of(session, assessor.id) if assessor else None
        instance = session.get(Instance, instance_id)
        assert instance is not None
        ctx = DocumentContext(detail, _person(employee), _person(assessor), _person(superior))
        ctx.status_word = PROCESS_STATUS.get(detail.status, detail.status)
        ctx.signed_on = ctx.assessed_on = tanggal(detail.completed_at or detail.started_at)
        page = (skp_page(engine, user_id, employee.id, detail.period)
                if employee is not None and detail.period and detail.process_id.startswith("smk_") else None)
        if page is not None and page.rows:
            _fill_skp(ctx, page, session, employee, detail.process_id, instance_id)
            return ctx
        forms = engine.specs.for_version(session, instance.process_version_id).forms
        ctx.tables = _entered_tables(forms, detail.data)
        ctx.expectations = _expectations(forms, detail.data)
        ctx.period_label = _period_label(detail.period or "")
        data = detail.data
        ctx.hasil_kerja, ctx.perilaku = _plain(data.get("hasil_kerja")), _plain(data.get("perilaku"))
        ctx.predikat = _plain(data.get("predikat"))
        ctx.behaviour_feedback = str(data.get("catatan") or data.get("umpan_balik_akhir") or "")
        ctx.scores = [("Nilai capaian", _plain(data["rata_rata"]))] if data.get("rata_rata") is not None else []
        return ctx
