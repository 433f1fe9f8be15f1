"""Play a whole performance year through the engine's services: the demo organisation's (its named people
each behave as the report tests expect), or whatever organisation the database holds (an imported one), with
behaviours drawn from a seed.

Every step goes through ``start_instance`` / ``claim_task`` / ``complete_task`` and the timer service on a
simulated clock, so the result is the same data a real year would leave: SKPs (some late, some returned),
monitoring slices with coaching and appreciation, a unit whose staff ratings break the distribution curve and
are corrected, objections upheld, rejected and left to time out, follow-ups decided by Biro SDM, the Tim Penilai
Kinerja and the PPK, and a closed period.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from engine.access import SUBJECT, is_group_task, superior_of
from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.org import Group, GroupMember, Position, Unit, User
from engine.db.runtime import COMPLETED, TERMINATED, Instance, TaskIndex
from engine.errors import Conflict, NotFound
from engine.runtime.clock import FixedClock
from engine.services import instances
from engine.services.deployments import deploy_builtin
from engine.services.notifications import recipients
from engine.services.org import add_to_group
from engine.services.worker import run_engine_jobs
from processes.demo import demo_iku, load_demo
from processes.lanes import ATASAN_PEJABAT_PENILAI, HR_GROUP, LANES, PEJABAT_PENILAI

BPMN_DIR = Path(__file__).resolve().parent.parent / "bpmn"
WIB = timedelta(hours=7)

# Who behaves how in the demo's simulated year (demo usernames).
LATE_SKP = {"siti", "wahyu"}            # miss the SKP deadline: reminder, then escalation to the APP
RETURNED_SKP = {"budi", "fitri", "oki"}  # the first draft is returned with notes
OFF_TRACK = {"siti", "taufik", "oki"}    # realisation well below target: coaching plans
ABOVE = {"eko", "lukman", "kartini"}     # realisation above target: appreciation
OBJECTS_UPHELD = {"umi"}
OBJECTS_REJECTED = {"zainal"}
SILENT = {"andi", "putri"}               # never respond: final after 14 days
UNIT_RATING = {"BRP": "Baik", "BSD": "Istimewa", "BUM": "Baik"}
REJECTED_FOLLOW_UP = {("budi", "penyesuaian_tukin")}
TPK_GROUP, PPK_GROUP = "Tim Penilai Kinerja", "PPK"
# Act once a day per instance. Not menunggu_kurva: the unit decision's message moves it on (delivered by the worker's
# job, here after each night's timers).
POLLING = ("menunggu_predikat_unit", "pantau_penutupan")


class OpenTask(NamedTuple):
    """What the simulation needs of an open task-index row."""

    id: str
    instance_id: int
    task_name: str
    lane: str | None
    subject_id: int | None
    assignee_id: int | None
    candidate_groups: str | None
    candidate_users: str | None


@dataclass(frozen=True)
class Behaviours:
    """Who behaves how in a simulated year (usernames; unit codes for the unit ratings)."""

    late_skp: frozenset[str] = frozenset()
    returned_skp: frozenset[str] = frozenset()
    off_track: frozenset[str] = frozenset()
    above: frozenset[str] = frozenset()
    objects_upheld: frozenset[str] = frozenset()
    objects_rejected: frozenset[str] = frozenset()
    silent: frozenset[str] = frozenset()
    unit_rating: Mapping[str, str] = field(default_factory=dict)
    rejected_follow_up: frozenset[tuple[str, str]] = frozenset()
    calibrate: bool = False  # unit heads calibrate a unit breaking its curve (by the suggestion) at once; else the
    # 14-day deadline applies the suggestion (the demo's year)


DEMO_BEHAVIOURS = Behaviours(frozenset(LATE_SKP), frozenset(RETURNED_SKP), frozenset(OFF_TRACK), frozenset(ABOVE),
                             frozenset(OBJECTS_UPHELD), frozenset(OBJECTS_REJECTED), frozenset(SILENT),
                             dict(UNIT_RATING), frozenset(REJECTED_FOLLOW_UP))

# Shares of the employees (with an assessor) who behave so in a generated year: enough of each for the reports to
# show, and above-target ratings so common that a unit rated Baik keeps Baik near the curve's 70% (a few are sent
# back to their assessor).
SHARES = {"late_skp": 0.02, "returned_skp": 0.04, "off_track": 0.06, "above": 0.22, "objects_upheld": 0.01,
          "objects_rejected": 0.01, "silent": 0.02}


def _assessed(session: Any) -> list[str]:
    """Usernames of the active employees who have an active assessor (each gets a planning case), by id."""
    superior = aliased(Position)
    holder = aliased(User)
    rows = session.execute(
        select(User.username).join(Position, User.position_id == Position.id)
        .join(superior, Position.parent_id == superior.id)
        .where(User.active, select(holder.id).where(holder.position_id == superior.id, holder.active).exists())
        .order_by(User.id)).all()
    return [u for (u,) in rows]


def _top_units(session: Any) -> list[tuple[Unit, list[Unit]]]:
    """The active root units, each with its active units directly under it, by code."""
    units = list(session.scalars(select(Unit).where(Unit.active).order_by(Unit.code)))
    return [(root, [u for u in units if u.parent_id == root.id]) for root in units if root.parent_id is None]


def choose_behaviours(engine: Engine, seed: int) -> Behaviours:
    """Behaviours for the organisation in the database, drawn from ``seed`` (the same seed and organisation give
    the same year): a share of the assessed employees each (SHARES; objections and silence exclude each other),
    and a rating per unit directly under the top unit (mostly Baik, some Istimewa)."""
    rnd = random.Random(seed)
    with engine.session_factory() as s:
        people = _assessed(s)
        curve_units = [u.code for _, under in _top_units(s) for u in under]

    def some(share: float, pool: list[str]) -> frozenset[str]:
        return frozenset(rnd.sample(pool, min(len(pool), max(1, round(len(people) * share))))) if pool else frozenset()

    chosen = {k: some(v, people) for k, v in SHARES.items() if k not in ("objects_upheld", "objects_rejected",
                                                                          "silent")}
    answer = list(people)
    rnd.shuffle(answer)  # objections and silence from one shuffle: nobody both objects and stays silent
    sizes = [max(1, round(len(people) * SHARES[k])) for k in ("objects_upheld", "objects_rejected", "silent")]
    upheld = frozenset(answer[:sizes[0]])
    rejected = frozenset(answer[sizes[0]:sizes[0] + sizes[1]])
    silent = frozenset(answer[sizes[0] + sizes[1]:sum(sizes)])
    ratings = {code: rnd.choice(("Baik", "Baik", "Baik", "Istimewa")) for code in curve_units}
    return Behaviours(chosen["late_skp"], chosen["returned_skp"], chosen["off_track"] - chosen["above"],
                      chosen["above"], upheld, rejected, silent, ratings, calibrate=True)


def organisation_iku(engine: Engine) -> list[dict[str, str]]:
    """Organisation IKU for a period, derived from the units in the database: two for each top unit and two for
    each unit directly under it (named from the unit), as Biro SDM would enter from the Perjanjian Kinerja."""
    rows: list[dict[str, str]] = []
    with engine.session_factory() as s:
        for root, under in _top_units(s):
            for unit in [root, *under]:
                rows += [{"unit_code": unit.code, "kode": f"IKU-{unit.code}-1",
                          "nama": f"Persentase sasaran strategis {unit.name} yang tercapai", "target": "90%"},
                         {"unit_code": unit.code, "kode": f"IKU-{unit.code}-2",
                          "nama": f"Indeks kepuasan layanan {unit.name}", "target": "3,5"}]
    return rows


def hr_actor(engine: Engine) -> str | None:
    """The username of the active member of Biro SDM (lowest id) who opens the period, or None."""
    with engine.session_factory() as s:
        return s.scalar(select(User.username).join(GroupMember, GroupMember.user_id == User.id)
                        .join(Group, Group.id == GroupMember.group_id)
                        .where(Group.name == HR_GROUP, User.active).order_by(User.id).limit(1))


def assign_roles(engine: Engine) -> list[str]:
    """Give an imported organisation the people the year needs, where a group has no active member: Biro SDM the
    head of the first unit two levels down (a bureau), the Tim Penilai Kinerja the heads of the units directly
    under the top unit, the PPK the holder of the top position. Return what was assigned."""
    done: list[str] = []
    with engine.session_factory.begin() as s:
        def members(group: str) -> int:
            return s.scalar(select(func.count()).select_from(GroupMember).join(Group, Group.id == GroupMember.group_id)
                            .join(User, User.id == GroupMember.user_id).where(Group.name == group, User.active)) or 0

        def head(unit: Unit) -> User | None:
            return s.scalars(select(User).join(Position, User.position_id == Position.id)
                             .where(Position.unit_id == unit.id, User.active).order_by(Position.parent_id.is_not(None),
                                                                                      Position.code, User.id)).first()
        tops = _top_units(s)
        under = [u for _, us in tops for u in us]
        bureaus = [u for u in s.scalars(select(Unit).where(Unit.active, Unit.parent_id.in_([u.id for u in under]))
                                        .order_by(Unit.code))] if under else []
        wanted = {HR_GROUP: [head(u) for u in bureaus[:1]], TPK_GROUP: [head(u) for u in under[:3]],
                  PPK_GROUP: [head(r) for r, _ in tops[:1]]}
        for group, people in wanted.items():
            if members(group):
                continue
            for user in people:
                if user is not None:
                    add_to_group(s, user, group)
                    done.append(f"{group}: {user.full_name} ({user.username})")
    return done


def cpu_seconds() -> float:
    """CPU seconds used so far by this process and its live descendants (the script sandbox's workers run the
    models' scripts), read from /proc; this process's own time where /proc is missing."""
    own = time.process_time()
    try:
        children: dict[int, list[int]] = {}
        ticks: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as fh:
                        fields = fh.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                children.setdefault(int(fields[1]), []).append(int(entry))
                ticks[int(entry)] = int(fields[11]) + int(fields[12])
        todo, total = list(children.get(os.getpid(), [])), 0
        while todo:
            pid = todo.pop()
            total += ticks.get(pid, 0)
            todo += children.get(pid, [])
        return own + total / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return own


class SimulatedYear:
    def __init__(self, engine: Engine, year: int, behaviours: Behaviours, iku: list[dict[str, str]], hr: str,
                 until: date | None = None):
        self.engine = engine
        self.year = year
        self.b, self.iku, self.hr = behaviours, iku, hr
        self.end = datetime(year + 1, 3, 31, tzinfo=UTC)
        if until is not None:
            self.end = min(self.end, datetime(until.year, until.month, until.day, tzinfo=UTC) - WIB)
        self.clock: FixedClock = engine.clock  # type: ignore[assignment]
        with engine.session_factory() as s:
            self.users = {u.id: u.username for u in s.scalars(select(User))}
        self.ids = {v: k for k, v in self.users.items()}
        self.stats: Counter[str] = Counter()
        self.stuck: set[str] = set()
        self.checked: set[tuple[int, str]] = set()
        self.current = 0  # (instance, day): polling tasks act once a day at most
        self.period_id = 0  # the simulated period's own instance (its tasks carry no period until it is valid)
        self.month_cpu: dict[str, float] = {}  # CPU seconds (with the sandbox's) per simulated month
        self.lane_actor: dict[tuple[str | None, int | None], int | None] = {}  # the organisation stays put

    # -- who acts -------------------------------------------------------------------------------------------
    def actor(self, row: OpenTask) -> int | None:
        if row.assignee_id:
            return row.assignee_id
        key = (row.lane, row.subject_id)
        if key not in self.lane_actor:
            self.lane_actor[key] = self._lane_actor(row)
        return self.lane_actor[key] or self._named_actor(row)

    def _named_actor(self, row: OpenTask) -> int | None:
        """The first of the people the engine named for a task nobody in its lane can act on (the model's fallback
        groups, e.g. an objection whose Atasan Pejabat Penilai is outside the agency)."""
        if not row.candidate_users:
            return None
        with self.engine.session_factory() as s:
            task = s.get(TaskIndex, row.id)
            users = recipients(s, task) if task is not None else []
            return users[0].id if users else None

    def _lane_actor(self, row: OpenTask) -> int | None:
        with self.engine.session_factory() as s:
            if row.lane is None or LANES.get(row.lane) == SUBJECT:  # Pegawai, Pimpinan Unit Kerja
                return row.subject_id
            if row.lane in (PEJABAT_PENILAI, ATASAN_PEJABAT_PENILAI) and row.subject_id is not None:
                pp = superior_of(s, row.subject_id)
                if row.lane == PEJABAT_PENILAI or pp is None:
                    return pp.id if pp else None
                app = superior_of(s, pp.id)
                return app.id if app else None
            return s.scalar(select(GroupMember.user_id).join(Group, Group.id == GroupMember.group_id)
                            .join(User, User.id == GroupMember.user_id)
                            .where(Group.name == row.lane, User.active).order_by(GroupMember.user_id))

    # -- the year -------------------------------------------------------------------------------------------
    def today(self) -> datetime:
        return self.clock.now() + WIB

    def open_period(self) -> instances.InstanceSummary:
        """Biro SDM opens the simulated period on 2 January (its form: regime C, quarterly)."""
        self.clock.set(datetime(self.year, 1, 2, 1, 0, tzinfo=UTC))
        hr = self.ids[self.hr]
        period = instances.start_instance(self.engine, "smk_periode", hr, None, "")
        self.period_id = period.id
        task = period.ready_task_ids[0]  # this period's form, not one another opening left waiting
        instances.claim_task(self.engine, hr, task)
        instances.complete_task(self.engine, hr, task, {
            "tahun": self.year, "jenis_periode": "tahunan", "regime": "C", "frekuensi": "triwulanan",
            "batas_skp": f"{self.year}-01-31", "batas_penilaian": f"{self.year + 1}-01-31", "maks_putaran": 3,
            "iku_organisasi": self.iku})
        return period

    def run(self) -> Instance:
        period = self.open_period()
        run_engine_jobs(self.engine)  # a running worker starts the planning cases the opening requested at once
        month, cpu = self.today().strftime("%Y-%m"), cpu_seconds()
        while self.clock.now() < self.end:
            self.work()
            if self.status(period.id) == "completed":
                break
            # One day and one minute: Spiff fires a timer only once its time is strictly past.
            self.clock.advance(days=1, minutes=1)
            # The worker's jobs: deferred starts (the period's plannings), due timers, then the kept messages whose
            # instance now waits for them (the unit decisions told to the staff's assessments), until none finds
            # anything more.
            run_engine_jobs(self.engine)
            if self.today().strftime("%Y-%m") != month:  # a month's work, its last night's timers included
                now = cpu_seconds()
                self.month_cpu[month], month, cpu = now - cpu, self.today().strftime("%Y-%m"), now
        self.month_cpu[month] = self.month_cpu.get(month, 0.0) + cpu_seconds() - cpu
        return self.instance(period.id)

    def work(self) -> None:
        for _ in range(50):  # act until nothing more can be done today
            acted = False
            for row in self.open():
                if self.act(row):
                    acted = True
            if not acted:
                return

    def act(self, row: OpenTask) -> bool:
        user = self.actor(row)
        if user is None:
            self.stuck.add(f"{row.task_name} ({self.users.get(row.subject_id or 0)})")
            return False
        if self.idle(row):
            return False
        try:
            view = instances.get_task(self.engine, user, row.id)
        except (Conflict, NotFound):  # done or cancelled since the list was read (e.g. a message moved it on)
            return False
        self.current = row.instance_id
        who = self.users.get(row.subject_id or 0, "")
        data = getattr(self, f"on_{row.task_name}", lambda *_: None)(view.data, who)
        if data is None:
            return False
        if is_group_task(row) and row.assignee_id is None:  # type: ignore[arg-type]
            instances.claim_task(self.engine, user, row.id)
        instances.complete_task(self.engine, user, row.id, data)
        self.stats[row.task_name] += 1
        return True

    def idle(self, row: OpenTask) -> bool:
        """True when the policy would not act on this task now whatever its data: skips reading the task (the
        day's passes read every open task, most of them waiting)."""
        name = row.task_name
        if name == "menunggu_atasan" or not hasattr(self, f"on_{name}"):
            return True
        if name == "kalibrasi_kurva":
            return not self.b.calibrate
        if name in POLLING:
            return (row.instance_id, self.today().date().isoformat()) in self.checked
        return name == "terima_hasil" and self.users.get(row.subject_id or 0, "") in self.b.silent

    # -- policies, one per task ----------------------------------------------------------------------------
    def on_menunggu_atasan(self, d: dict[str, Any], who: str) -> None:
        return None  # the daily timer checks again

    def on_susun_skp_c(self, d: dict[str, Any], who: str) -> dict[str, Any] | None:
        if who in self.b.late_skp and not d.get("terlambat"):
            return None
        support = (d["rhk_atasan"][0]["id"] if d["rhk_atasan"] else
                   d["iku_unit"][0]["kode"] if d["iku_unit"] else "")
        rows = [{"rhk": f"{name} {who}", "mendukung": support, "cascading": "tidak_langsung", "aspek": aspek,
                 "indikator": f"Jumlah {name.lower()}", "target": target, "satuan": satuan}
                for name, aspek, target, satuan in (("Dokumen kerja", "Kuantitas", 12, "dokumen"),
                                                    ("Layanan selesai", "Kuantitas", 40, "layanan"))]
        return {"pendekatan": "kuantitatif", "rhk_utama": rows,
                "ekspektasi_berorientasi_pelayanan": "Menanggapi permintaan dalam 2 hari kerja"}

    def on_eskalasi_skp(self, d: dict[str, Any], who: str) -> dict[str, Any]:
        return {"tindakan_app": "Teguran dan pendampingan penyusunan SKP",
                "batas_baru": (self.today() + timedelta(days=7)).date().isoformat()}

    def on_tinjau_skp(self, d: dict[str, Any], who: str) -> dict[str, Any]:
        if who in self.b.returned_skp and d.get("putaran", 0) == 0:
            self.stats["skp_returned"] += 1
            return {"keputusan_pp": "kembalikan", "catatan_penilai": "Target belum menantang; naikkan."}
        return {"keputusan_pp": "setujui", "catatan_penilai": "Disetujui"}

    def on_putuskan_skp(self, d: dict[str, Any], who: str) -> dict[str, Any]:
        return {"keputusan_app": "tetapkan", "catatan_app": "Ditetapkan oleh atasan pejabat penilai"}

    def on_susun_mph(self, d: dict[str, Any], who: str) -> dict[str, Any]:
        rhk_id = d["rhk"][0]["id"]
        return {"mph": [{"rhk_id": rhk_id, "pegawai_id": b["id"], "nama_pegawai": b["nama"],
                         "peran": f"Mendukung {d['rhk'][0]['rhk']}"} for b in d["pegawai"]["bawahan"]]}

    def on_isi_realisasi(self, d: dict[str, Any], who: str) -> dict[str, Any]:
        factor = 1.0
        if who in self.b.off_track:
            factor = 0.6 if d["ke"] <= 2 else 0.9
        elif who in self.b.above:
            factor = 1.25
        rows = [{"id": r["id"], "realisasi": round(r["target_kumulatif"] * factor, 2),
                 "bukti_dukung": "", "catatan": ""} for r in d["realisasi"]]
        return {"realisasi": rows, "kendala": "Beban kerja tinggi" if who in self.b.off_track else "-"}

    def on_tindak_lanjut_pembinaan(self, d: dict[str, Any], who: str) -> dict[str, Any]:
        return {"hasil_pembinaan": "sebagian" if d["status_capaian"] == "Di Bawah Ekspektasi" else "berhasil"}

    def on_umpan_balik(self, d: dict[str, Any], who: str) -> dict[str, Any]:
        return {"umpan_balik": f"Capaian {d['rata_capaian']}%: " + {
            "Di Bawah Ekspektasi": "perlu percepatan", "Di Atas Ekspektasi": "sangat baik, pertahankan"}.get(
            d["status_capaian"], "sesuai rencana")}

    def on_susun_pembinaan(self, d: dict[str, Any], who: str) -> dict[str, Any]:
        due = (self.today() + timedelta(days=45)).date().isoformat()
        return {"masalah": "Realisasi jauh di bawah target", "jenis_pembinaan": "bimbingan",
                "langkah_pembinaan": [{"langkah": "Dialog kinerja dua mingguan", "tenggat": due}]}

    def on_setujui_pembinaan(self, d: dict[str, Any], who: str) -> dict[str, Any]:
        return {"sepakat": True, "tanggapan_pegawai": "Setuju"}

    def on_beri_apresiasi(self, d: dict[str, Any], who: str) -> dict[str, Any]:
        return {"bentuk_apresiasi": "pujian", "catatan_apresiasi": "Capaian di atas ekspektasi"}

    def on_tetapkan_predikat_unit(self, d: dict[str, Any], who: str) -> dict[str, Any]:
        code = d["pegawai"]["kepala_unit_kurva"]
        return {"predikat_unit": self.b.unit_rating.get(code, "Baik"), "dasar_penetapan": "Capaian IKU unit"}

    def on_nilai_c(self, d: dict[str, Any], who: str) -> dict[str, Any]:
        if d.get("catatan_kurva"):
            self.stats["curve_returned"] += 1
            hasil, perilaku = "Di Bawah Ekspektasi", "Sesuai Ekspektasi"  # lowered to Butuh Perbaikan
        elif who in self.b.off_track:
            hasil, perilaku = "Di Bawah Ekspektasi", "Sesuai Ekspektasi"
        elif who in self.b.above:
            hasil, perilaku = "Di Atas Ekspektasi", "Di Atas Ekspektasi"
        else:
            hasil, perilaku = "Sesuai Ekspektasi", "Sesuai Ekspektasi"
        return {"hasil_kerja": hasil, "perilaku": perilaku, "umpan_balik_akhir": "Hasil dialog kinerja akhir tahun"}

    def on_menunggu_predikat_unit(self, d: dict[str, Any], who: str) -> dict[str, Any] | None:
        return self.once_a_day(d, {"periksa_lagi": True})

    def on_nilai_c_kepala(self, d: dict[str, Any], who: str) -> dict[str, Any]:
        # A unit head's hasil kerja is set from the unit's rating by the model; the assessor rates perilaku only.
        perilaku = "Di Atas Ekspektasi" if d["hasil_kerja"] == "Di Atas Ekspektasi" else "Sesuai Ekspektasi"
        return {"perilaku": perilaku, "umpan_balik_akhir": "Hasil dialog kinerja akhir tahun"}

    def on_kalibrasi_kurva(self, d: dict[str, Any], who: str) -> dict[str, Any] | None:
        if not self.b.calibrate:
            return None
        self.stats["curve_calibrated"] += 1
        return {"kalibrasi_pegawai": [{**r, "predikat_kalibrasi": r["predikat_saran"]}
                                      for r in d.get("kalibrasi_pegawai") or []],
                "catatan_kalibrasi": "Sesuai saran kalibrasi"}

    def once_a_day(self, d: dict[str, Any], data: dict[str, Any]) -> dict[str, Any] | None:
        key = (self.current, self.today().date().isoformat())
        if key in self.checked:
            return None
        self.checked.add(key)
        return data

    def on_terima_hasil(self, d: dict[str, Any], who: str) -> dict[str, Any] | None:
        if who in self.b.silent:
            return None
        if who in self.b.objects_upheld | self.b.objects_rejected:
            return {"tanggapan": "keberatan", "alasan_keberatan": "Bukti dukung triwulan IV belum dipertimbangkan"}
        return {"tanggapan": "terima"}

    def on_putus_keberatan(self, d: dict[str, Any], who: str) -> dict[str, Any]:
        upheld = who in self.b.objects_upheld
        return {"penjelasan_pegawai": "Bukti dukung terlampir", "penjelasan_penilai": "Penilaian sesuai data",
                "keputusan_keberatan": "diterima" if upheld else "ditolak",
                **({"predikat_baru": "Baik"} if upheld else {}),
                "alasan_keputusan": "Bukti sah" if upheld else "Keberatan tidak didukung bukti"}

    def on_konfirmasi_sdm(self, d: dict[str, Any], who: str) -> dict[str, Any]:
        rows = []
        for r in d["keputusan_sdm"]:
            rejected = (who, r["kode"]) in self.b.rejected_follow_up
            rows.append({"kode": r["kode"], "keputusan": "ditolak" if rejected else "dikonfirmasi",
                         "alasan": "Sudah dibina, perbaikan nyata" if rejected else "Sesuai riwayat predikat"})
        return {"keputusan_sdm": rows}

    def on_saran_tpk(self, d: dict[str, Any], who: str) -> dict[str, Any]:
        return {"saran_tpk": "pindah_setara", "pertimbangan_tpk": "Kompetensi lebih sesuai di unit lain"}

    def on_keputusan_ppk_task(self, d: dict[str, Any], who: str) -> dict[str, Any]:
        return {"keputusan_ppk": "sesuai_saran", "isi_keputusan": "Pemindahan ke jabatan setara",
                "nomor_keputusan": f"KEP-{who.upper()}/{self.year + 1}"}

    def on_rencana_perbaikan(self, d: dict[str, Any], who: str) -> dict[str, Any]:
        return {"target_perbaikan": [{"sasaran": "Capaian IKU unit", "ukuran": "100% target triwulan"}]}

    def on_penilaian_ulang(self, d: dict[str, Any], who: str) -> dict[str, Any]:
        return {"hasil_kerja": "Sesuai Ekspektasi", "perilaku": "Sesuai Ekspektasi",
                "catatan_penilaian_ulang": "Membaik"}

    def on_pantau_penutupan(self, d: dict[str, Any], who: str) -> dict[str, Any] | None:
        return self.once_a_day(d, {"catatan_pantau": "Semua pihak diingatkan"})

    # -- queries ---------------------------------------------------------------------------------------------
    def open(self, name: str | None = None, exclude: str | None = None, actionable_only: bool = False
             ) -> list[OpenTask]:
        """The period's open tasks, oldest first, as plain rows (read at every pass of every day: at 10,000
        employees that is ~10,000 rows a pass, which ORM objects would make a noticeable share of the year)."""
        q = select(*(getattr(TaskIndex, f) for f in OpenTask._fields)).where(
            TaskIndex.closed_at.is_(None),  # this period's work only
            or_(TaskIndex.period == str(self.year), TaskIndex.instance_id == self.period_id)
        ).order_by(TaskIndex.ready_at, TaskIndex.id)
        if name:
            q = q.where(TaskIndex.task_name == name)
        if exclude:
            q = q.where(TaskIndex.task_name != exclude)
        with self.engine.session_factory() as s:
            rows = [OpenTask(*r) for r in s.connection().execute(q)]
        if actionable_only:
            rows = [r for r in rows if r.task_name not in ("terima_hasil", "menunggu_atasan")]
        return rows

    def status(self, instance_id: int) -> str:
        return self.instance(instance_id).status

    def instance(self, instance_id: int) -> Instance:
        with self.engine.session_factory() as s:
            inst = s.get(Instance, instance_id)
            assert inst is not None
            s.expunge(inst)
            return inst


class SimulationRefused(Exception):
    """The database holds something the simulation would collide with; nothing was changed."""


def refuse_to_simulate(engine: Engine, year: int) -> None:
    """Raise SimulationRefused when playing ``year`` here would mix with real work or stop half-way: the year's
    period exists already (opened, being opened, or played before), or a live case of another period has a timer
    that the simulated clock would fire (its deadlines would pass on simulated days). The simulation acts only on
    the work of its own period, so a live period whose timers lie after the simulated year is left alone."""
    period = str(year)
    end = datetime(year + 1, 3, 31, tzinfo=UTC)
    live = Instance.status.notin_((COMPLETED, TERMINATED))
    with engine.session_factory() as s:
        existing = s.scalar(select(func.count(Instance.id)).where(Instance.period == period))
        opening = [i for i in s.scalars(select(Instance).where(Instance.process_id == "smk_periode", live,
                                                               Instance.period == ""))
                   if (i.state or {}).get("data", {}).get("tahun") in (year, None)]
        timed = s.execute(select(Instance.period, func.count(Instance.id)).where(
            live, Instance.period != period, Instance.next_timer_at.is_not(None), Instance.next_timer_at < end)
            .group_by(Instance.period).order_by(Instance.period)).all()
    if existing:
        raise SimulationRefused(
            f"Periode {period} sudah ada di basis data ini ({existing} kasus); tidak disimulasikan ulang. "
            f"Gunakan basis data lain (SMK_INSTANCE_PATH atau DATABASE_URL). / Period {period} already exists in "
            f"this database ({existing} cases); it is not simulated again. Use another database "
            f"(SMK_INSTANCE_PATH or DATABASE_URL).")
    if opening:
        raise SimulationRefused(
            f"Biro SDM sedang membuka sebuah periode (kasus #{opening[0].id}); selesaikan atau hentikan dulu, atau "
            f"gunakan basis data lain. / Biro SDM is opening a period (case #{opening[0].id}); finish or terminate "
            f"it first, or use another database.")
    if timed:
        names = ", ".join(f"{p or '—'} ({n})" for p, n in timed)
        raise SimulationRefused(
            f"Kasus yang masih berjalan pada periode lain punya tenggat sebelum akhir simulasi {period}: {names}; "
            f"jam simulasi akan menjalankannya. Gunakan basis data lain. / Live cases of other periods have timers "
            f"due before the simulation of {period} ends: {names}; the simulated clock would fire them. Use "
            f"another database.")


DEMO, DATABASE = "demo", "database"


def prepare(engine: Engine, year: int, organisation: str, seed: int) -> tuple[Behaviours, list[dict[str, str]], str]:
    """Check that ``year`` may be played here (SimulationRefused before anything changes), load the demo when
    asked, deploy the shipped models, and return who behaves how, the organisation IKU and Biro SDM's username."""
    if organisation not in (DEMO, DATABASE):
        raise ValueError(f"organisation must be {DEMO!r} or {DATABASE!r}, not {organisation!r}")
    refuse_to_simulate(engine, year)
    if organisation == DEMO:
        load_demo(engine)
        behaviours, iku, hr = DEMO_BEHAVIOURS, demo_iku(), "indah"
    else:
        found = hr_actor(engine)
        if found is None:
            raise SimulationRefused(
                f"Grup {HR_GROUP} tidak punya anggota aktif untuk membuka periode. / The {HR_GROUP} group has no "
                f"active member to open the period.")
        behaviours, iku, hr = choose_behaviours(engine, seed), organisation_iku(engine), found
    deploy_builtin(engine, BPMN_DIR)
    return behaviours, iku, hr


def simulate_period(engine: Engine, year: int, organisation: str = DEMO, seed: int = 1,
                    until: date | None = None) -> list[str]:
    """Play ``year`` (regime C, quarterly) and return report lines; SimulationRefused (before anything changes)
    when the database already has that period or live work the simulation would touch.

    ``organisation`` "demo" loads the demo organisation (if absent) and plays its named behaviours; "database"
    plays the organisation already in the database (an imported one): Biro SDM's first active member opens the
    period, the organisation IKU come from the units (organisation_iku) and the behaviours from ``seed``
    (choose_behaviours). The year runs until the period closes, 31 March of the next year, or the day ``until``
    (exclusive), whichever comes first; tasks nobody can act on are reported."""
    started, cpu = time.perf_counter(), cpu_seconds()
    period = str(year)
    behaviours, iku, hr = prepare(engine, year, organisation, seed)
    sim_engine = Engine(engine.database_url, clock=FixedClock(), extensions=engine.extensions, db_engine=engine.db)
    sim = SimulatedYear(sim_engine, year, behaviours, iku, hr, until)
    period_instance = sim.run()
    return year_report(sim, period, period_instance, time.perf_counter() - started, cpu_seconds() - cpu)


def year_report(sim: SimulatedYear, period: str, period_instance: Instance, elapsed: float, cpu: float) -> list[str]:
    with sim.engine.session_factory() as s:
        counts = s.execute(select(Instance.process_id, Instance.status, func.count(Instance.id))
                           .where(Instance.period == period).group_by(Instance.process_id, Instance.status)
                           .order_by(Instance.process_id)).all()
        kinds = Counter(k for (k,) in s.execute(select(AuditEvent.kind)))
        objections: Counter[str] = Counter()
        for inst in s.scalars(select(Instance).where(Instance.process_id == "smk_penilaian",
                                                     Instance.period == period)):
            data = (inst.state or {}).get("data", {})
            objections[str(data.get("final_karena"))] += 1
    lines = [f"Simulasi periode {period}: status periode {period_instance.status} "
             f"(disimulasikan sampai {sim.clock.now().date().isoformat()})"]
    lines += [f"  {pid:<22} {status:<10} {n}" for pid, status, n in counts]
    st = sim.stats
    lines += [
        f"  SKP terlambat (eskalasi ke APP): {st['eskalasi_skp']}; pengingat: {kinds['smk.pengingat']}; "
        f"SKP dikembalikan: {st['skp_returned']}",
        f"  pembinaan disepakati: {st['setujui_pembinaan']}; apresiasi: {st['beri_apresiasi']}; "
        f"tindak lanjut pembinaan: {st['tindak_lanjut_pembinaan']}",
        f"  pelanggaran kurva dikembalikan ke penilai: {st['curve_returned']}; kalibrasi oleh kepala unit: "
        f"{st['curve_calibrated']}; kalibrasi tercatat / calibrations recorded: {kinds['smk.kalibrasi_kurva']}; "
        f"unit sesuai kurva / units fitting the curve: {kinds['smk.kurva_sesuai']}",
        "  hasil final karena / final because: " + ", ".join(f"{k}={v}" for k, v in sorted(objections.items())),
        f"  tindak lanjut diputus Biro SDM: {st['konfirmasi_sdm']}; saran TPK: {st['saran_tpk']}; "
        f"keputusan PPK: {st['keputusan_ppk_task']}",
        f"  tugas diselesaikan: {sum(v for k, v in st.items() if k not in ('skp_returned', 'curve_returned', 'curve_calibrated'))}; "
        f"timer menyala: {kinds['timer.fired']}",
        f"  waktu proses / run time: {elapsed:.1f} s (CPU {cpu:.1f} s)",
    ]
    busiest = sorted(sim.month_cpu.items(), key=lambda kv: -kv[1])[:3]
    lines.append("  CPU per bulan / per month (terbanyak / top): " + ", ".join(f"{m} {c:.1f} s" for m, c in busiest))
    waiting = Counter(r.task_name for r in sim.open())
    if waiting:
        lines.append("  tugas terbuka / open tasks: " + ", ".join(f"{k}={v}" for k, v in sorted(waiting.items())))
    if sim.stuck:
        lines.append("  tanpa pelaku / nobody can act: " + ", ".join(sorted(sim.stuck)))
    return lines
