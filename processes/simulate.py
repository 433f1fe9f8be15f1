"""Play a whole performance year for the demo organisation through the engine's services.

Every step goes through ``start_instance`` / ``claim_task`` / ``complete_task`` and the timer service on a
simulated clock, so the result is the same data a real year would leave: SKPs (some late, some returned),
monitoring slices with coaching and appreciation, a unit whose staff ratings break the distribution curve and
are corrected, objections upheld, rejected and left to time out, follow-ups decided by Biro SDM, the Tim Penilai
Kinerja and the PPK, and a closed period.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select

from engine.access import is_group_task, superior_of
from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.org import Group, GroupMember, User
from engine.db.runtime import COMPLETED, TERMINATED, Instance, TaskIndex
from engine.errors import Conflict, NotFound
from engine.runtime.clock import FixedClock
from engine.services import instances
from engine.services.deployments import deploy_builtin
from engine.services.timers import fire_due_timers
from processes.demo import demo_iku, load_demo
from processes.lanes import ATASAN_PEJABAT_PENILAI, PEGAWAI, PEJABAT_PENILAI

BPMN_DIR = Path(__file__).resolve().parent.parent / "bpmn"
WIB = timedelta(hours=7)

# Who behaves how in the simulated year (demo usernames).
LATE_SKP = {"siti", "wahyu"}            # miss the SKP deadline: reminder, then escalation to the APP
RETURNED_SKP = {"budi", "fitri", "oki"}  # the first draft is returned with notes
OFF_TRACK = {"siti", "taufik", "oki"}    # realisation well below target: coaching plans
ABOVE = {"eko", "lukman", "kartini"}     # realisation above target: appreciation
OBJECTS_UPHELD = {"umi"}
OBJECTS_REJECTED = {"zainal"}
SILENT = {"andi", "putri"}               # never respond: final after 14 days
UNIT_RATING = {"BRP": "Baik", "BSD": "Istimewa", "BUM": "Baik"}
REJECTED_FOLLOW_UP = {("budi", "penyesuaian_tukin")}


class _Sim:
    def __init__(self, engine: Engine, year: int):
        self.engine = engine
        self.year = year
        self.clock: FixedClock = engine.clock  # type: ignore[assignment]
        with engine.session_factory() as s:
            self.users = {u.id: u.username for u in s.scalars(select(User))}
        self.ids = {v: k for k, v in self.users.items()}
        self.stats: Counter[str] = Counter()
        self.stuck: set[str] = set()
        self.checked: set[tuple[int, str]] = set()
        self.current = 0  # (instance, day): polling tasks act once a day at most
        self.period_id = 0  # the simulated period's own instance (its tasks carry no period until it is valid)

    # -- who acts -------------------------------------------------------------------------------------------
    def actor(self, row: TaskIndex) -> int | None:
        if row.assignee_id:
            return row.assignee_id
        with self.engine.session_factory() as s:
            if row.lane in (PEGAWAI, None):
                return row.subject_id
            if row.lane in (PEJABAT_PENILAI, ATASAN_PEJABAT_PENILAI) and row.subject_id is not None:
                pp = superior_of(s, row.subject_id)
                if row.lane == PEJABAT_PENILAI or pp is None:
                    return pp.id if pp else None
                app = superior_of(s, pp.id)
                return app.id if app else None
            return s.scalar(select(GroupMember.user_id).join(Group, Group.id == GroupMember.group_id)
                            .where(Group.name == row.lane).order_by(GroupMember.user_id))

    # -- the year -------------------------------------------------------------------------------------------
    def today(self) -> datetime:
        return self.clock.now() + WIB

    def run(self) -> Instance:
        self.clock.set(datetime(self.year, 1, 2, 1, 0, tzinfo=UTC))
        indah = self.ids["indah"]
        period = instances.start_instance(self.engine, "smk_periode", indah, None, "")
        self.period_id = period.id
        task = period.ready_task_ids[0]  # this period's form, not one another opening left waiting
        instances.claim_task(self.engine, indah, task)
        instances.complete_task(self.engine, indah, task, {
            "tahun": self.year, "jenis_periode": "tahunan", "regime": "C", "frekuensi": "triwulanan",
            "batas_skp": f"{self.year}-01-31", "batas_penilaian": f"{self.year + 1}-01-31", "maks_putaran": 3,
            "iku_organisasi": demo_iku()})
        end = datetime(self.year + 1, 3, 31, tzinfo=UTC)
        while self.clock.now() < end:
            self.work()
            if self.status(period.id) == "completed":
                break
            # One day and one minute: Spiff fires a timer only once its time is strictly past.
            self.clock.advance(days=1, minutes=1)
            while fire_due_timers(self.engine):
                pass
        return self.instance(period.id)

    def work(self) -> None:
        for _ in range(50):  # act until nothing more can be done today
            acted = False
            for row in self.open():
                if self.act(row):
                    acted = True
            if not acted:
                return

    def act(self, row: TaskIndex) -> bool:
        user = self.actor(row)
        if user is None:
            self.stuck.add(f"{row.task_name} ({self.users.get(row.subject_id)})")
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
        if is_group_task(row) and row.assignee_id is None:
            instances.claim_task(self.engine, user, row.id)
        instances.complete_task(self.engine, user, row.id, data)
        self.stats[row.task_name] += 1
        return True

    # -- policies, one per task ----------------------------------------------------------------------------
    def on_menunggu_atasan(self, d: dict[str, Any], who: str) -> None:
        return None  # the daily timer checks again

    def on_susun_skp_c(self, d: dict[str, Any], who: str) -> dict[str, Any] | None:
        if who in LATE_SKP and not d.get("terlambat"):
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
        if who in RETURNED_SKP and d.get("putaran", 0) == 0:
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
        if who in OFF_TRACK:
            factor = 0.6 if d["ke"] <= 2 else 0.9
        elif who in ABOVE:
            factor = 1.25
        rows = [{"id": r["id"], "realisasi": round(r["target_kumulatif"] * factor, 2),
                 "bukti_dukung": "", "catatan": ""} for r in d["realisasi"]]
        return {"realisasi": rows, "kendala": "Beban kerja tinggi" if who in OFF_TRACK else "-"}

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
        return {"predikat_unit": UNIT_RATING.get(code, "Baik"), "dasar_penetapan": "Capaian IKU unit"}

    def on_nilai_c(self, d: dict[str, Any], who: str) -> dict[str, Any]:
        if d.get("catatan_kurva"):
            self.stats["curve_returned"] += 1
            hasil, perilaku = "Di Bawah Ekspektasi", "Sesuai Ekspektasi"  # lowered to Butuh Perbaikan
        elif who in OFF_TRACK:
            hasil, perilaku = "Di Bawah Ekspektasi", "Sesuai Ekspektasi"
        elif who in ABOVE:
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

    def on_menunggu_kurva(self, d: dict[str, Any], who: str) -> dict[str, Any] | None:
        return self.once_a_day(d, {"periksa_lagi": True})

    def once_a_day(self, d: dict[str, Any], data: dict[str, Any]) -> dict[str, Any] | None:
        key = (self.current, self.today().date().isoformat())
        if key in self.checked:
            return None
        self.checked.add(key)
        return data

    def on_terima_hasil(self, d: dict[str, Any], who: str) -> dict[str, Any] | None:
        if who in SILENT:
            return None
        if who in OBJECTS_UPHELD | OBJECTS_REJECTED:
            return {"tanggapan": "keberatan", "alasan_keberatan": "Bukti dukung triwulan IV belum dipertimbangkan"}
        return {"tanggapan": "terima"}

    def on_putus_keberatan(self, d: dict[str, Any], who: str) -> dict[str, Any]:
        upheld = who in OBJECTS_UPHELD
        return {"penjelasan_pegawai": "Bukti dukung terlampir", "penjelasan_penilai": "Penilaian sesuai data",
                "keputusan_keberatan": "diterima" if upheld else "ditolak",
                **({"predikat_baru": "Baik"} if upheld else {}),
                "alasan_keputusan": "Bukti sah" if upheld else "Keberatan tidak didukung bukti"}

    def on_konfirmasi_sdm(self, d: dict[str, Any], who: str) -> dict[str, Any]:
        rows = []
        for r in d["keputusan_sdm"]:
            rejected = (who, r["kode"]) in REJECTED_FOLLOW_UP
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
             ) -> list[TaskIndex]:
        with self.engine.session_factory() as s:
            q = select(TaskIndex).where(TaskIndex.closed_at.is_(None),  # this period's work only
                                        or_(TaskIndex.period == str(self.year), TaskIndex.instance_id == self.period_id)
                                        ).order_by(TaskIndex.ready_at, TaskIndex.id)
            if name:
                q = q.where(TaskIndex.task_name == name)
            if exclude:
                q = q.where(TaskIndex.task_name != exclude)
            rows = list(s.scalars(q))
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


def simulate_period(engine: Engine, year: int) -> list[str]:
    """Play ``year`` for the demo organisation (regime C, quarterly) and return report lines; SimulationRefused
    (before anything changes) when the database already has that period or live work the simulation would touch."""
    started = time.perf_counter()
    period = str(year)
    refuse_to_simulate(engine, year)
    load_demo(engine)
    deploy_builtin(engine, BPMN_DIR)
    sim_engine = Engine(engine.database_url, clock=FixedClock(), extensions=engine.extensions, db_engine=engine.db)
    sim = _Sim(sim_engine, year)
    period_instance = sim.run()
    elapsed = time.perf_counter() - started
    return _report(sim, period, period_instance, elapsed)


def _report(sim: _Sim, period: str, period_instance: Instance, elapsed: float) -> list[str]:
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
        f"  pelanggaran kurva dikembalikan ke penilai: {st['curve_returned']}",
        "  hasil final karena / final because: " + ", ".join(f"{k}={v}" for k, v in sorted(objections.items())),
        f"  tindak lanjut diputus Biro SDM: {st['konfirmasi_sdm']}; saran TPK: {st['saran_tpk']}; "
        f"keputusan PPK: {st['keputusan_ppk_task']}",
        f"  tugas diselesaikan: {sum(v for k, v in st.items() if k not in ('skp_returned', 'curve_returned'))}; "
        f"timer menyala: {kinds['timer.fired']}",
        f"  waktu proses / run time: {elapsed:.1f} s",
    ]
    if sim.stuck:
        lines.append("  tanpa pelaku / nobody can act: " + ", ".join(sorted(sim.stuck)))
    return lines
