"""The demo organisation: a ministry-like tree with an employee in every role, and demo logins."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from engine.access import ADMIN_GROUP
from engine.core import Engine
from engine.db.deploy import ProcessVersion
from engine.db.org import Position, Unit, User
from engine.db.runtime import Instance
from engine.services import audit, instances
from engine.services.deferred import start_all_deferred
from engine.services.org import add_to_group, set_password
from processes.lanes import HR_GROUP, PROCESS_OWNER_GROUP

DEMO_PASSWORD = "demo12345"


@dataclass(frozen=True)
class P:
    """A demo position and its holder: code, title, unit code, parent position code, jenis, jenjang, person."""

    code: str
    title: str
    unit: str
    parent: str | None
    jenis: str
    jenjang: str
    username: str
    name: str
    nip: str


UNITS = [
    ("DEP", "Deputi Bidang Sumber Daya Manusia Aparatur", None),
    ("BRP", "Biro Perencanaan dan Keuangan", "DEP"),
    ("BSD", "Biro Sumber Daya Manusia", "DEP"),
    ("BUM", "Biro Umum", "DEP"),
    ("BRP-1", "Bagian Perencanaan Program", "BRP"),
    ("BRP-1-1", "Subbagian Penyusunan Rencana", "BRP-1"),
    ("BSD-1", "Bagian Pengembangan Kinerja Pegawai", "BSD"),
    ("BSD-1-1", "Subbagian Penilaian Kinerja", "BSD-1"),
    ("BSD-2", "Bagian Mutasi dan Kepangkatan", "BSD"),
    ("BUM-1", "Bagian Rumah Tangga", "BUM"),
    ("BUM-1-1", "Subbagian Perlengkapan", "BUM-1"),
]

# Holders chosen so that every lane has someone: Pegawai, Pejabat Penilai, Atasan Pejabat Penilai.
POSITIONS = [
    P("DEP-01", "Deputi Bidang SDM Aparatur", "DEP", None, "JPT", "JPT Madya", "hartono", "Dr. Hartono Wibisono",
      "196805121990031001"),
    P("BRP-01", "Kepala Biro Perencanaan dan Keuangan", "BRP", "DEP-01", "JPT", "JPT Pratama", "ratna",
      "Ratna Sari Dewi, M.Si.", "197203151995032001"),
    P("BSD-01", "Kepala Biro Sumber Daya Manusia", "BSD", "DEP-01", "JPT", "JPT Pratama", "bambang",
      "Bambang Suryadi, S.H., M.H.", "197011071994031002"),
    P("BUM-01", "Kepala Biro Umum", "BUM", "DEP-01", "JPT", "JPT Pratama", "yulia", "Yulia Kartika, M.M.",
      "197507221998032001"),
    P("BRP-1-01", "Kepala Bagian Perencanaan Program", "BRP-1", "BRP-01", "JA", "Administrator", "agus",
      "Agus Setiawan, S.E.", "197809102003121001"),
    P("BRP-1-1-01", "Kepala Subbagian Penyusunan Rencana", "BRP-1-1", "BRP-1-01", "JA", "Pengawas", "dewi",
      "Dewi Lestari, S.Sos.", "198104052006042001"),
    P("BRP-1-1-02", "Analis Perencanaan", "BRP-1-1", "BRP-1-1-01", "JA", "Pelaksana", "budi",
      "Budi Santoso", "198812202014021001"),
    P("BRP-1-1-03", "Pengadministrasi Perencanaan", "BRP-1-1", "BRP-1-1-01", "JA", "Pelaksana", "siti",
      "Siti Aminah", "199002142015032002"),
    P("BRP-1-02", "Perencana Ahli Muda", "BRP-1", "BRP-1-01", "JF", "Ahli Muda", "eko", "Eko Prasetyo, S.T.",
      "198506182010011003"),
    P("BRP-1-03", "Perencana Ahli Pertama", "BRP-1", "BRP-1-01", "JF", "Ahli Pertama", "fitri",
      "Fitri Handayani, S.E.", "199307092019032001"),
    P("BSD-1-01", "Kepala Bagian Pengembangan Kinerja Pegawai", "BSD-1", "BSD-01", "JA", "Administrator", "hendra",
      "Hendra Gunawan, S.Psi., M.Si.", "197912012005011002"),
    P("BSD-1-1-01", "Kepala Subbagian Penilaian Kinerja", "BSD-1-1", "BSD-1-01", "JA", "Pengawas", "indah",
      "Indah Permatasari, S.Psi.", "198303252008012003"),
    P("BSD-1-1-02", "Analis Kinerja Pegawai", "BSD-1-1", "BSD-1-1-01", "JA", "Pelaksana", "joko",
      "Joko Widodo Saputra", "199105112017011002"),
    P("BSD-1-1-03", "Pengolah Data Kepegawaian", "BSD-1-1", "BSD-1-1-01", "JA", "Pelaksana", "kartini",
      "Kartini Rahayu", "199408302020122001"),
    P("BSD-1-02", "Analis SDM Aparatur Ahli Muda", "BSD-1", "BSD-1-01", "JF", "Ahli Muda", "lukman",
      "Lukman Hakim, S.Sos.", "198602142011011004"),
    P("BSD-1-03", "Analis SDM Aparatur Ahli Pertama", "BSD-1", "BSD-1-01", "JF", "Ahli Pertama", "maya",
      "Maya Anggraini, S.Psi.", "199511112020032003"),
    P("BSD-2-01", "Kepala Bagian Mutasi dan Kepangkatan", "BSD-2", "BSD-01", "JA", "Administrator", "nur",
      "Nur Hidayat, S.H.", "198007172006041001"),
    P("BSD-2-02", "Analis Mutasi Pegawai", "BSD-2", "BSD-2-01", "JA", "Pelaksana", "oki",
      "Oki Firmansyah", "199203032016011001"),
    P("BSD-2-03", "Pranata SDM Aparatur Terampil", "BSD-2", "BSD-2-01", "JF", "Terampil", "putri",
      "Putri Wulandari", "199609092021012001"),
    P("BUM-1-01", "Kepala Bagian Rumah Tangga", "BUM-1", "BUM-01", "JA", "Administrator", "rudi",
      "Rudi Hermawan, S.AP.", "197706062002121002"),
    P("BUM-1-1-01", "Kepala Subbagian Perlengkapan", "BUM-1-1", "BUM-1-01", "JA", "Pengawas", "sri",
      "Sri Mulyani Astuti", "198210102007012004"),
    P("BUM-1-1-02", "Pengelola Barang Milik Negara", "BUM-1-1", "BUM-1-1-01", "JA", "Pelaksana", "taufik",
      "Taufik Hidayat", "199010102014031003"),
    P("BUM-1-1-03", "Pengadministrasi Umum", "BUM-1-1", "BUM-1-1-01", "JA", "Pelaksana", "umi",
      "Umi Kalsum", "199312122018012002"),
    P("BUM-1-1-04", "Pengemudi", "BUM-1-1", "BUM-1-1-01", "PPPK", "Pelaksana", "wahyu",
      "Wahyu Nugroho", "199705052023211001"),
    P("BUM-1-02", "Arsiparis Ahli Pertama", "BUM-1", "BUM-1-01", "JF", "Ahli Pertama", "yanti",
      "Yanti Susanti, S.Hum.", "199404042019032002"),
    P("BRP-1-1-04", "Penyusun Anggaran", "BRP-1-1", "BRP-1-1-01", "PPPK", "Pelaksana", "zainal",
      "Zainal Arifin", "199808082023211002"),
    P("BRP-1-04", "Analis Keuangan Ahli Muda", "BRP-1", "BRP-1-01", "JF", "Ahli Muda", "andi",
      "Andi Pratama, S.E., M.Ak.", "198701012012011005"),
    P("BSD-2-04", "Analis Kepangkatan", "BSD-2", "BSD-2-01", "JA", "Pelaksana", "citra",
      "Citra Maharani", "199506062019022003"),
]

STAFF = [
    # username, name, groups
    ("admin", "Administrator Sistem", [ADMIN_GROUP]),
    ("pemilik", "Pemilik Proses SMK", [PROCESS_OWNER_GROUP]),
]
HR_MEMBERS = ["indah", "joko", "kartini", "lukman", "maya"]
TIM_PENILAI = ["bambang", "hendra", "nur"]


def load_demo_organisation(engine: Engine) -> bool:
    """The demo organisation for scenario tests (the fixture "demo"): the same people, no passwords (fast)."""
    return load_demo(engine, passwords=False)


def load_demo(engine: Engine, passwords: bool = True) -> bool:
    """Create the demo organisation once; return False when it is already there."""
    with engine.session_factory.begin() as session:
        if session.scalar(select(User.id).where(User.username == "admin")) is not None:
            return False
        units: dict[str, Unit] = {}
        for code, name, parent in UNITS:
            units[code] = Unit(code=code, name=name, parent_id=units[parent].id if parent else None)
            session.add(units[code])
            session.flush()
        positions: dict[str, Position] = {}
        for p in POSITIONS:
            positions[p.code] = Position(code=p.code, title=p.title, unit_id=units[p.unit].id,
                                         parent_id=positions[p.parent].id if p.parent else None,
                                         jenis=p.jenis, jenjang=p.jenjang)
            session.add(positions[p.code])
            session.flush()
            user = User(username=p.username, full_name=p.name, nip=p.nip, position_id=positions[p.code].id,
                        email=f"{p.username}@demo.smk.go.id", status="PPPK" if p.jenis == "PPPK" else "PNS")
            if passwords:
                set_password(session, user, DEMO_PASSWORD)
            session.add(user)
            session.flush()
            if p.username in HR_MEMBERS:
                add_to_group(session, user, HR_GROUP)
            if p.username in TIM_PENILAI:
                add_to_group(session, user, "Tim Penilai Kinerja")
            if p.username == "hartono":
                add_to_group(session, user, "PPK")
        for username, name, groups in STAFF:
            user = User(username=username, full_name=name)
            if passwords:
                set_password(session, user, DEMO_PASSWORD)
            session.add(user)
            session.flush()
            for g in groups:
                add_to_group(session, user, g)
        audit.record(session, "org.demo_loaded", engine.now(), None, units=len(UNITS), positions=len(POSITIONS))
    return True


DEMO_LOGINS = [
    ("ratna", "Kepala Biro (JPT Pratama) — drafts her SKP first: cascading starts here"),
    ("hartono", "Deputi — Pejabat Penilai of the Kepala Biro (reviews ratna's SKP)"),
    ("budi", "Pegawai (Pelaksana) — waits for his superior's RHK, then drafts his SKP"),
    ("dewi", "Pejabat Penilai of budi (Pengawas)"),
    ("agus", "Atasan Pejabat Penilai of budi (Administrator)"),
    ("indah", "Biro SDM (HR) and Pejabat Penilai of joko"),
    ("pemilik", "Process owner (Pemilik Proses) — Model proses: deploy BPMN/DMN"),
    ("admin", "Administrator — instance operations"),
]


def start_demo_work(engine: Engine) -> int:
    """Start demo work once, so that a first login finds something to do; return how many instances started.

    With the SMK models deployed, Biro SDM opens next year's performance period (regime C, quarterly
    monitoring): every employee gets a planning instance, leaders can draft their SKP and their staff see
    whom they are waiting for. Otherwise a few cases of the small demo process are started.
    """
    with engine.session_factory() as session:
        if session.scalar(select(Instance.id).limit(1)) is not None:
            return 0
        deployed = set(session.scalars(select(ProcessVersion.process_id)))
        ids = {u.username: u.id for u in session.scalars(select(User).where(User.username.in_(
            ["admin", "indah", "budi", "siti", "joko", "eko"])))}
    if "smk_periode" in deployed:
        now = engine.now()
        year = now.year if now.month == 1 else now.year + 1
        period = instances.start_instance(engine, "smk_periode", ids["indah"], None, "")
        task = period.ready_task_ids[0]
        instances.claim_task(engine, ids["indah"], task)
        instances.complete_task(engine, ids["indah"], task, {
            "tahun": year, "jenis_periode": "tahunan", "regime": "C", "frekuensi": "triwulanan",
            "batas_skp": f"{year}-01-31", "batas_penilaian": f"{year + 1}-01-31", "maks_putaran": 3,
            "iku_organisasi": demo_iku()})
        start_all_deferred(engine)  # the planning cases the opening requested (the worker's job, done here)
        with engine.session_factory() as session:
            return session.scalar(select(func.count(Instance.id))) or 0
    if "demo_penilaian" not in deployed:
        return 0
    for username in ("budi", "siti", "joko", "eko"):
        instances.start_instance(engine, "demo_penilaian", ids["admin"], ids[username], "2024")
    return 4


# Organisation IKU from the demo Perjanjian Kinerja: what Biro SDM enters when opening a period (unit code, IKU code,
# indicator, target). Leaders cascade their RHK from the IKU of their own unit and of the organisation.
DEMO_IKU = [
    {"unit_code": "DEP", "kode": "IKU-DEP-1", "nama": "Indeks Sistem Merit kementerian", "target": "0,80"},
    {"unit_code": "DEP", "kode": "IKU-DEP-2", "nama": "Nilai Reformasi Birokrasi", "target": "A"},
    {"unit_code": "BRP", "kode": "IKU-BRP-1", "nama": "Nilai SAKIP kementerian", "target": "80"},
    {"unit_code": "BRP", "kode": "IKU-BRP-2", "nama": "Persentase realisasi anggaran", "target": "95%"},
    {"unit_code": "BSD", "kode": "IKU-BSD-1", "nama": "Persentase pegawai dengan SKP ditetapkan tepat waktu",
     "target": "95%"},
    {"unit_code": "BSD", "kode": "IKU-BSD-2", "nama": "Indeks profesionalitas ASN", "target": "75"},
    {"unit_code": "BUM", "kode": "IKU-BUM-1", "nama": "Indeks kepuasan layanan umum", "target": "3,5"},
]


def demo_iku(unit_code: str | None = None) -> list[dict[str, str]]:
    """Return the demo organisation's IKU rows (all, or one unit's) as the period form expects them."""
    return [dict(row) for row in DEMO_IKU if unit_code is None or row["unit_code"] == unit_code]
