"""Benchmark the reports (/laporan) at the scale of a large agency: ``smk bench reports``.

On a fresh database (a new PostgreSQL database next to the one named by --url, or a SQLite file): a generated
organisation of ``employees`` (``tools/orggen``: deputies, bureaus, divisions, sub-divisions, staff), and one period
played to the assessment's end as the tables record it — written directly with bulk inserts, not by running the
workflows (a simulated year runs ~30 completions per employee):

- per employee a planning case (SKP drafted, reviewed; some late), four monitoring cases (realisasi sent; some late,
  a few of the last quarter still open and overdue), an assessment (rated; result delivered; most accepted, some
  final by the 14-day deadline, 2 % objected and decided; 10 % still in the objection window) and a follow-up
  (HR decided most; 30 % wait for HR's decision, holding their recommendations in the open task's data);
- the task index rows, the audit events (hash-chained as the engine chains them) and the results table rows
  (assessment results, curve proposals, unit ratings) those steps leave, and the period's set-up with its IKU;
- the stored state of each instance is small and synthetic (the cascading tree reads a finished planning case's
  ``data.rhk``, the follow-up report an open HR task's data); the open HR tasks' states are padded to the size a
  real follow-up case has (about 8 KB), because that report reads them.

Then each report's query is timed (p50/p95 of ``runs``) for Biro SDM over the whole organisation and for a
deputy's unit, and each page through the Flask test client for Biro SDM (query, chart data and HTML), against a
baseline measured in the same run (the report filter alone: units, periods, the user's rights). Beside the wall
time it prints the CPU time of this process and, on PostgreSQL, of the database server's backends (from /proc):
their sum is what a call costs on a machine with a core free for it, which a shared machine's wall time hides.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import select, text, update
from werkzeug.security import generate_password_hash

from engine.core import Engine
from engine.db.audit import GENESIS, AuditChainHead, AuditEvent, chain_hash
from engine.db.deploy import Deployment, ProcessVersion
from engine.db.org import Group, GroupMember, Unit, User
from engine.db.results import SubjectResult
from engine.db.runtime import Instance, TaskIndex
from engine.runtime.clock import FixedClock
from processes import reports, skp_results
from processes.assessment_results import RESULT
from processes.extension import extensions
from processes.lanes import HR_GROUP
from processes.operations import PROPOSAL, UNIT_RATING
from processes.orgimport import JABATAN, PEGAWAI, UNIT
from tools import orggen
from tools.bench_audit import EVENT_COLUMNS, server_cpu, time_calls
from tools.benchdb import USER_COLUMNS, bulk_insert, fresh_database, insert_generated_organisation

PERIOD = "2025"
PROCESSES = ("smk_periode", "smk_perencanaan", "smk_pemantauan", "smk_penilaian", "smk_tindak_lanjut",
             "smk_predikat_unit")
PREDIKAT = (("Sangat Baik", 10), ("Baik", 70), ("Butuh Perbaikan", 12), ("Kurang", 6), ("Sangat Kurang", 2))
RECOMMENDATIONS = {"Sangat Baik": ["talent_pool"], "Baik": [], "Butuh Perbaikan": ["pengembangan_kompetensi"],
                   "Kurang": ["pembinaan_perilaku", "penyesuaian_tukin"], "Sangat Kurang": ["pemeriksaan_disiplin"]}
NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # the clock while measuring: follow-up under way
PASSWORD = "bench-reports-12345"


def _day(month: int, day: int, year: int = 2025) -> datetime:
    return datetime(year, month, day, 3, 0, tzinfo=UTC)


class _Writer:
    """Collects rows per table with ids, hash-chains the audit events as ``engine.db.audit._seal`` does."""

    def __init__(self, as_text: bool) -> None:
        self.json: Callable[[Any], Any] = json.dumps if as_text else (lambda value: value)
        self.instances: list[tuple[Any, ...]] = []
        self.tasks: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []
        self.results: list[tuple[Any, ...]] = []
        self.previous = GENESIS

    def instance(self, process: int, subject: int | None, status: str, state: Any, at: datetime,
                 done: datetime | None) -> int:
        iid = len(self.instances) + 1
        self.instances.append((iid, process + 1, PROCESSES[process], subject, PERIOD, f"{subject}:{PERIOD}", status,
                               self.json(state), at, done or at, done, 1, ""))
        return iid

    def task(self, iid: int, process: int, name: str, title: str, lane: str, subject: int, ready: datetime,
             due: datetime | None, closed: datetime | None, outcome: str | None, by: int | None,
             task_id: str | None = None) -> str:
        tid = task_id or str(uuid.UUID(int=len(self.tasks) + 1, version=4))
        self.tasks.append((tid, iid, PROCESSES[process], name, title, lane, subject, None, "", "", PERIOD, None,
                           ready, due, closed, outcome, by))
        return tid

    def event(self, at: datetime, kind: str, actor: int | None, iid: int | None, task: str | None, subject: int | None,
              unit: int | None, data: dict[str, Any]) -> None:
        seq = len(self.events) + 1
        row = {"seq": seq, "at": at, "kind": kind, "actor_id": actor, "actor": f"u{actor}" if actor else "system",
               "instance_id": iid, "deployment_id": None, "task_id": None, "task_name": task, "subject_id": subject,
               "unit_id": unit, "data": data}
        self.previous = chain_hash(self.previous, type("E", (), row)())
        self.events.append((seq, at, kind, actor, row["actor"], iid, None, None, task, subject, unit,
                            self.json(data), self.previous))

    def result(self, kind: str, subject: int | None, unit: int | None, iid: int | None, value: dict[str, Any],
               at: datetime) -> None:
        self.results.append((kind, PERIOD, subject, unit, iid, self.json(value), at))


def _organisation(engine: Engine, employees: int, seed: int) -> tuple[dict[str, Any], int]:
    """Insert the generated organisation; return what the period needs and the HR user's id."""
    rows = orggen.generate(employees, seed)
    people = rows[PEGAWAI]
    with engine.db.begin() as conn:
        unit_id, position_id = insert_generated_organisation(conn, rows)
        hr = len(people) + 1
        bulk_insert(conn, User, USER_COLUMNS, [(hr, "hr", generate_password_hash(PASSWORD), "Biro SDM", None, None, True,
                                                "id", 0, "", "", False)])
        bulk_insert(conn, Group, ["id", "name", "description"], [(1, HR_GROUP, "")])
        bulk_insert(conn, GroupMember, ["group_id", "user_id"], [(1, hr)])
    parent_of = {position_id[r[0]]: position_id.get(r[5]) for r in rows[JABATAN]}
    unit_of_position = {position_id[r[0]]: unit_id[r[4]] for r in rows[JABATAN]}
    holder: dict[int, int] = {}
    for i, r in enumerate(rows[PEGAWAI]):
        holder.setdefault(position_id[r[2]], i + 1)
    people_rows = [(i + 1, position_id[r[2]]) for i, r in enumerate(rows[PEGAWAI])]
    parents = {unit_id[c]: unit_id.get(p) for c, _, p in rows[UNIT]}
    return {"people": people_rows, "parent_of": parent_of, "unit_of_position": unit_of_position, "holder": holder,
            "unit_parent": parents, "unit_codes": {v: k for k, v in unit_id.items()}}, hr


def _period(engine: Engine, org: dict[str, Any], hr: int, seed: int) -> dict[str, int]:
    """Write one period's cases, tasks, audit events and results (see the module's docstring)."""
    rnd = random.Random(seed)
    w = _Writer(as_text=engine.db.dialect.name == "postgresql")
    unit_parent, unit_codes = org["unit_parent"], org["unit_codes"]
    root = next(u for u, p in unit_parent.items() if p is None)
    curve_units = sorted(u for u, p in unit_parent.items() if p == root)
    iku = [{"kode": f"IKU-{n}", "nama": f"Indikator kinerja utama {n}", "target": "90%",
            "unit_code": unit_codes[u]} for n, u in enumerate(curve_units, start=1)]
    period = w.instance(0, None, "completed", {"data": {"periode": PERIOD}}, _day(1, 2), _day(1, 2))
    w.event(_day(1, 2), "task.completed", hr, period, "buka_periode", None, None, {
        "title": "Buka periode", "submitted": {"tahun": 2025, "regime": "C", "frekuensi": "triwulanan",
                                               "batas_skp": "2025-01-31", "batas_penilaian": "2026-01-31",
                                               "iku_organisasi": iku}})
    predikat_names = [p for p, _ in PREDIKAT]
    weights = [n for _, n in PREDIKAT]

    def curve_of(unit: int) -> int | None:
        while unit_parent.get(unit) not in (None, root):
            unit = unit_parent[unit]
        return unit if unit_parent.get(unit) == root else None

    for u in curve_units:
        w.result(UNIT_RATING, None, u, None, {"predikat_unit": "Baik", "kepala_id": None}, _day(12, 1))
        w.event(_day(12, 1), UNIT_RATING, None, None, None, None, u,
                {"periode": PERIOD, "unit_code": unit_codes[u], "predikat_unit": "Baik"})
    counts = {"employees": 0, "open_hr": 0, "overdue": 0, "objections": 0}
    for uid, position in org["people"]:
        superior_position = org["parent_of"].get(position)
        if superior_position is None:
            continue  # the head of the agency is assessed outside SMK
        boss = org["holder"].get(superior_position)
        unit = org["unit_of_position"][position]
        counts["employees"] += 1
        # planning
        curve = curve_of(unit)
        top = org["parent_of"].get(superior_position) is None  # a deputy: supports the IKU of their unit
        iku_code = f"IKU-{curve_units.index(curve) + 1}" if curve in curve_units else "IKU-1"
        rhk = [{"id": f"R{uid}-{k}", "rhk": f"Rencana hasil kerja {k} pegawai {uid}", "jenis": "utama",
                "mendukung": iku_code if top or boss is None else f"R{boss}-{k}"} for k in (1, 2)]
        drafted = _day(1, rnd.randint(2, 28)) + timedelta(days=rnd.choice([0] * 9 + [12]))
        reviewed = drafted + timedelta(days=rnd.randint(1, 6))
        plan = w.instance(1, uid, "completed", {"data": {"rhk": rhk}}, _day(1, 2), reviewed)
        w.result(skp_results.KIND, uid, unit, plan, {"status": "set", "rhk": rhk}, reviewed)  # the tree reads this
        w.task(plan, 1, "susun_skp_c", "Susun SKP", "Pegawai", uid, _day(1, 2), _day(1, 31), drafted, "completed", uid)
        w.task(plan, 1, "tinjau_skp", "Tinjau SKP", "Pejabat Penilai", uid, drafted, drafted + timedelta(days=7),
               reviewed, "completed", boss)
        w.event(reviewed, "task.completed", boss, plan, "tinjau_skp", uid, unit,
                {"title": "Tinjau SKP", "submitted": {"keputusan_pp": "setujui", "catatan_penilai": "Disetujui"}})
        # monitoring, one case per quarter
        for q in range(4):
            due = _day(3 * q + 4, 10) if q < 3 else _day(1, 10, 2026)
            ready = due - timedelta(days=10)
            if q == 3 and rnd.random() < 0.05:
                case = w.instance(2, uid, "waiting", {"data": {}}, ready, None)
                w.task(case, 2, "isi_realisasi", "Isi realisasi", "Pegawai", uid, ready, due, None, None, None)
                counts["overdue"] += 1
                continue
            sent = ready + timedelta(days=rnd.randint(0, 9) + (8 if rnd.random() < 0.1 else 0))
            case = w.instance(2, uid, "completed", {"data": {}}, ready, sent)
            w.task(case, 2, "isi_realisasi", "Isi realisasi", "Pegawai", uid, ready, due, sent, "completed", uid)
        # assessment
        predikat = rnd.choices(predikat_names, weights)[0]
        rated = _day(1, 12, 2026) + timedelta(days=rnd.randint(0, 10))
        delivered = rated + timedelta(hours=1)
        window = delivered + timedelta(days=14)
        if curve is not None:
            w.result(PROPOSAL, uid, curve, None, {"predikat": predikat}, rated)
            w.event(rated, PROPOSAL, None, None, None, uid, unit, {"periode": PERIOD, "predikat": predikat,
                                                                  "unit_code": unit_codes[curve]})
        open_window = rnd.random() < 0.10
        assessment = w.instance(3, uid, "waiting" if open_window else "completed", {"data": {}}, rated,
                                None if open_window else window)
        w.task(assessment, 3, "nilai_c", "Nilai kinerja", "Pejabat Penilai", uid, _day(1, 2, 2026), _day(1, 16, 2026),
               rated, "completed", boss)
        value = {"usulan": predikat, "nilai_usulan": None, "predikat": predikat, "nilai": None, "final": False,
                 "keberatan": "", "final_karena": "", "hasil_kerja": "Sesuai Ekspektasi",
                 "perilaku": "Sesuai Ekspektasi", "regime": "C"}
        if open_window:
            w.task(assessment, 3, "terima_hasil", "Tanggapi hasil penilaian", "Pegawai", uid, delivered, window,
                   None, None, None)
            w.result(RESULT, uid, unit, assessment, value, delivered)
            continue
        final = dict(value, final=True, keberatan="tidak_diajukan")
        roll = rnd.random()
        if roll < 0.02:  # objection, decided
            counts["objections"] += 1
            filed = delivered + timedelta(days=3)
            w.task(assessment, 3, "terima_hasil", "Tanggapi hasil penilaian", "Pegawai", uid, delivered, window, filed,
                   "completed", uid)
            w.event(filed, "task.completed", uid, assessment, "terima_hasil", uid, unit,
                    {"title": "Tanggapi hasil", "submitted": {"tanggapan": "keberatan", "alasan_keberatan": "Tidak sesuai"}})
            decided = filed + timedelta(days=rnd.randint(3, 20))
            upheld = rnd.random() < 0.5
            second = org["holder"].get(org["parent_of"].get(superior_position) or -1)
            w.task(assessment, 3, "putus_keberatan", "Putuskan keberatan", "Atasan Pejabat Penilai", uid, filed,
                   filed + timedelta(days=14), decided, "completed", second)
            w.event(decided, "task.completed", second, assessment, "putus_keberatan", uid, unit,
                    {"title": "Putuskan keberatan", "submitted": {
                        "keputusan_keberatan": "diterima" if upheld else "ditolak",
                        "predikat_baru": "Baik" if upheld else ""}})
            final.update(predikat="Baik" if upheld else predikat, keberatan="diterima" if upheld else "ditolak",
                         final_karena="keputusan_atasan_penilai")
            done = decided
        elif roll < 0.10:  # no response: final by the deadline
            w.task(assessment, 3, "terima_hasil", "Tanggapi hasil penilaian", "Pegawai", uid, delivered, window, window,
                   "cancelled", None)
            final.update(final_karena="batas_waktu")
            done = window
        else:
            accepted = delivered + timedelta(days=rnd.randint(0, 5))
            w.task(assessment, 3, "terima_hasil", "Tanggapi hasil penilaian", "Pegawai", uid, delivered, window,
                   accepted, "completed", uid)
            w.event(accepted, "task.completed", uid, assessment, "terima_hasil", uid, unit,
                    {"title": "Tanggapi hasil", "submitted": {"tanggapan": "terima"}})
            final.update(final_karena="diterima_pegawai")
            done = accepted
        w.result(RESULT, uid, unit, assessment, final, done)
        # follow-up
        codes = RECOMMENDATIONS[str(final["predikat"])]
        recommendations = [{"kode": c, "rekomendasi": f"Rekomendasi {c}", "dasar_hukum": "PermenPANRB 6/2022",
                            "persen_tukin": None} for c in codes]
        if codes and rnd.random() < 0.30:
            counts["open_hr"] += 1
            tid = str(uuid.uuid4())
            state = {"tasks": {tid: {"parent": None, "data": {
                "daftar_rekomendasi": recommendations, "predikat": final["predikat"],
                "riwayat_predikat": [final["predikat"]] * 3, "pegawai": {"id": uid, "nama": f"Pegawai {uid}"},
                "catatan": "x" * 7000}}}}  # a real follow-up case's state is about 8 KB
            case = w.instance(4, uid, "waiting", state, done, None)
            w.task(case, 4, "konfirmasi_sdm", "Putuskan rekomendasi tindak lanjut", "Biro SDM", uid, done,
                   done + timedelta(days=14), None, None, None, task_id=tid)
            continue
        decided_at = done + timedelta(days=rnd.randint(1, 12))
        case = w.instance(4, uid, "completed", {"data": {}}, done, decided_at)
        if codes:
            w.task(case, 4, "konfirmasi_sdm", "Putuskan rekomendasi tindak lanjut", "Biro SDM", uid, done,
                   done + timedelta(days=14), decided_at, "completed", hr)
            w.event(decided_at, "task.completed", hr, case, "konfirmasi_sdm", uid, unit, {
                "title": "Putuskan rekomendasi", "submitted": {"keputusan_sdm": [
                    {"kode": c, "keputusan": "dikonfirmasi", "alasan": "Sesuai"} for c in codes]}})
    with engine.db.begin() as conn:
        bulk_insert(conn, Deployment, ["id", "name", "bundle_hash", "deployed_at", "deployed_by", "note"],
              [(1, "bench", "0" * 64, _day(1, 1), "bench", "")])
        bulk_insert(conn, ProcessVersion, ["id", "process_id", "version", "name", "deployment_id", "filename", "startable"],
              [(i + 1, p, 1, p, 1, f"{p}.bpmn", True) for i, p in enumerate(PROCESSES)])
        bulk_insert(conn, Instance, ["id", "process_version_id", "process_id", "subject_id", "period", "business_key",
                               "status", "state", "started_at", "updated_at", "completed_at", "version",
                               "waiting_messages"], w.instances)
        bulk_insert(conn, TaskIndex, ["id", "instance_id", "process_id", "task_name", "title", "lane", "subject_id",
                                "assignee_id", "candidate_users", "candidate_groups", "period", "form", "ready_at",
                                "due_at", "closed_at", "outcome", "completed_by_id"], w.tasks)
        bulk_insert(conn, AuditEvent, EVENT_COLUMNS, w.events)
        bulk_insert(conn, SubjectResult, ["kind", "period", "subject_id", "unit_id", "instance_id", "value", "recorded_at"],
              w.results)
        conn.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(seq=len(w.events), hash=w.previous))
        if conn.dialect.name == "postgresql":
            for table, n in (("instance", len(w.instances)),):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), :n)"), {"n": n})
    if engine.db.dialect.name == "postgresql":
        with engine.db.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    counts.update(instances=len(w.instances), tasks=len(w.tasks), events=len(w.events))
    return counts


def _measure(engine: Engine, fn: Callable[[], object], runs: int) -> tuple[float, float, float, float]:
    """p50 and p95 wall time, median CPU time here, and the mean CPU time of the database server per call (ms)."""
    server = server_cpu(engine)
    p50, p95, cpu = time_calls(fn, runs)
    return p50, p95, cpu, (server_cpu(engine) - server) * 1000 / runs


RUNNERS: dict[str, Callable[[Engine, reports.Selection], object]] = {
    "kurva": reports.curve_report, "kemajuan": reports.progress_report, "terlambat": reports.overdue_report,
    "durasi": reports.duration_report, "keberatan": reports.objection_report,
    "tindak-lanjut": reports.follow_up_report, "pohon-kinerja": reports.cascade_report,
    "peringkat": reports.ranking_report,
}


def run_reports_bench(url: str | None, employees: int = 10_000, runs: int = 20, seed: int = 11,
                      app_factory: Callable[..., Any] | None = None) -> Iterator[str]:
    """Fill a fresh database with an organisation and a period; yield one line per measured report."""
    target, drop = fresh_database(url, "smk_bench_reports")
    engine = Engine(target, extensions=extensions(), clock=FixedClock(NOW))
    try:
        engine.create_schema()
        began = time.perf_counter()
        org, hr = _organisation(engine, employees, seed)
        counts = _period(engine, org, hr, seed)
        yield (f"{engine.db.dialect.name}: {counts['employees']} employees assessed in period {PERIOD}, "
               f"{counts['instances']} instances, {counts['tasks']} task rows, {counts['events']} audit events "
               f"({counts['open_hr']} follow-ups waiting for HR, {counts['overdue']} overdue realisasi, "
               f"{counts['objections']} objections) written in {time.perf_counter() - began:.0f} s")
        with engine.session_factory() as session:
            root = session.scalar(select(Unit.id).where(Unit.parent_id.is_(None)))
            deputy = session.scalar(select(Unit.id).where(Unit.parent_id == root).order_by(Unit.code).limit(1))
            bureau = session.scalar(select(Unit.id).where(Unit.parent_id == deputy).order_by(Unit.code).limit(1))
            division = session.scalar(select(Unit.id).where(Unit.parent_id == bureau).order_by(Unit.code).limit(1))
        scopes = [("whole organisation", None), ("one deputy's unit", deputy)]
        baseline = 0.0
        fn: Callable[[], object]
        for scope, unit in scopes:
            yield f"  Biro SDM, {scope}:"
            fn = partial(reports.open_selection, engine, hr, PERIOD, unit)
            fn()
            p50, p95, cpu, db = _measure(engine, fn, runs)
            baseline = baseline or p50
            yield (f"    {'baseline: the report filter alone':<38} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms   "
                   f"CPU here {cpu:6.1f} ms + database {db:6.1f} ms")
            for slug, runner in RUNNERS.items():
                chosen = division if slug == "pohon-kinerja" else unit
                selection = reports.open_selection(engine, hr, PERIOD, chosen)
                fn = partial(runner, engine, selection)
                fn()
                p50, p95, cpu, db = _measure(engine, fn, runs)
                note = " (one division: a tree shows at most 400 people)" if chosen != unit else ""
                yield (f"    {slug:<38} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms   CPU here {cpu:6.1f} ms + database "
                       f"{db:6.1f} ms   p50/baseline {p50 / baseline:6.1f}{note}")
        if app_factory is not None:  # the web app is the caller's (tools never import webapp)
            yield from _pages(app_factory, engine, hr, division, runs)
    finally:
        engine.dispose()
        drop()


def _pages(app_factory: Callable[..., Any], engine: Engine, hr: int, division: int | None,
           runs: int) -> Iterator[str]:
    """Each report page through the Flask test client, logged in as Biro SDM, whole organisation."""
    folder = tempfile.mkdtemp(prefix="smk-bench-reports-")
    try:
        yield from _measure_pages(app_factory, engine, division, runs, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _measure_pages(app_factory: Callable[..., Any], engine: Engine, division: int | None, runs: int,
                   folder: str) -> Iterator[str]:
    app = app_factory({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": engine.database_url,
                      "INSTANCE_PATH": folder, "WTF_CSRF_ENABLED": False}, engine=engine)
    client = app.test_client()
    page = client.get("/login")
    token = page.get_data(as_text=True).split('name="csrf_token" value="', 1)[-1].split('"', 1)[0]
    answer = client.post("/login", data={"username": "hr", "password": PASSWORD, "csrf_token": token})
    if answer.status_code not in (302, 303):
        yield f"  pages: could not log in (HTTP {answer.status_code}); not measured"
        return
    yield "  pages through the Flask test client, Biro SDM, whole organisation (HTML with the chart data):"
    for slug in ["", *RUNNERS]:
        path = f"/laporan/{slug}" if slug else "/laporan"
        query = f"?period={PERIOD}" + (f"&unit={division}" if slug == "pohon-kinerja" and division else "")
        response = client.get(path + query)
        if response.status_code != 200:
            yield f"    {path:<38} HTTP {response.status_code}"
            continue
        size = len(response.get_data())
        p50, p95, cpu, db = _measure(engine, partial(client.get, path + query), max(5, runs // 2))
        yield (f"    {path:<38} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms   CPU here {cpu:6.1f} ms + database {db:6.1f} ms"
               f"   {size / 1024:7.0f} KB")
