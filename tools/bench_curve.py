"""Benchmark the distribution-curve check (issue 15): ``smk bench curve``.

For each organisation size (default 100, 1,000 and 10,000 employees; ``tools/orggen``) a fresh database (a new
PostgreSQL database beside --url, else a SQLite file) holds the generated organisation and one period as the
assessment leaves it: a planning case per employee, every curve unit (the units directly under the top unit) rated
Baik, every employee's proposed predikat in the results table, and the unit's decision about it (result
``smk.predikat_kurva``). Then, for one employee of the smallest curve unit and one of the largest:

- ``check``: the curve check an assessment runs after its rating and when the unit decision's message arrives
  (``smk_cek_kurva`` with ``keputusan_unit``, as ``smk_penilaian`` passes it): this employee's rows only;
- ``counting check``: the check until the unit decision came by message, run after each rating and each daily
  re-check, which counted the unit's proposals per predikat (``unit_count``; still what instances of older models
  run);
- ``previous``: the check as it was before the calibration step (issue 15), kept here as the baseline of the same
  run — it walked the whole organisation's units in Python (``load_units`` twice per check) and read the unit's
  staff and proposals; the still older check (every planning case of the period and every proposal ever logged,
  509 statements at 100 employees) is no longer callable;
- ``unit view``: the unit head's calibration view (``smk_ringkas_kurva``: proposals, distribution, suggestion);
- ``unit decision``: recording the unit's decision (here the suggestion, ``smk_catat_kalibrasi``) for every
  employee and keeping one message per employee for the worker (``smk_kabari_kurva_unit``): the head's transaction,
  once per unit.

Each is timed (p50/p95 of ``runs`` calls, each in its own transaction rolled back afterwards so that nothing
accumulates) with the SQL statements it issues counted by a SQLAlchemy cursor event.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import exists, select, text
from sqlalchemy.orm import Session, aliased

from engine.core import Engine
from engine.db.deploy import Deployment, ProcessVersion
from engine.db.org import Position, Unit, User
from engine.db.results import SubjectResult
from engine.db.runtime import Instance
from engine.queries.reports import load_units, subtree
from engine.runtime.clock import FixedClock
from engine.runtime.runner import StepContext
from engine.services.results import record_result, results
from processes.extension import extensions
from processes.operations import DECISION, PLANNING, PROPOSAL, SMK_OPERATIONS, UNIT_RATING, curve_unit
from processes.orgimport import PEGAWAI
from processes.rules.distribution import HasilKurva, Usulan, cek_kurva_distribusi, saran_kalibrasi
from processes.rules.predikat import PREDIKAT_6_2022
from processes.rules.script_api import SCRIPT_FUNCTIONS
from tools import orggen
from tools.bench_audit import time_calls
from tools.benchdb import bulk_insert, captured_statements, fresh_database, insert_generated_organisation

PERIOD = "2025"
NOW = datetime(2026, 1, 20, 3, 0, tzinfo=UTC)
PREDIKAT = (("Sangat Baik", 10), ("Baik", 70), ("Butuh Perbaikan", 12), ("Kurang/Misconduct", 6),
            ("Sangat Kurang", 2))
RATINGS = {"Sangat Baik": ("Di Atas Ekspektasi", "Di Atas Ekspektasi"), "Baik": ("Sesuai Ekspektasi",) * 2,
           "Butuh Perbaikan": ("Di Bawah Ekspektasi", "Sesuai Ekspektasi"),
           "Kurang/Misconduct": ("Sesuai Ekspektasi", "Di Bawah Ekspektasi"),
           "Sangat Kurang": ("Di Bawah Ekspektasi", "Di Bawah Ekspektasi")}


def _fill(engine: Engine, employees: int, seed: int) -> None:
    """The generated organisation, a planning case per employee, unit ratings and every employee's proposal."""
    rows = orggen.generate(employees, seed)
    people = rows[PEGAWAI]
    with engine.db.begin() as conn:
        insert_generated_organisation(conn, rows)
        bulk_insert(conn, Deployment, ["id", "name", "bundle_hash", "deployed_at", "deployed_by", "note"],
                    [(1, "bench", "0" * 64, NOW, "bench", "")])
        bulk_insert(conn, ProcessVersion, ["id", "process_id", "version", "name", "deployment_id", "filename",
                                           "startable"], [(1, PLANNING, 1, PLANNING, 1, f"{PLANNING}.bpmn", True)])
        state: Any = "{}" if conn.dialect.name == "postgresql" else {}
        bulk_insert(conn, Instance, ["id", "process_version_id", "process_id", "subject_id", "period", "business_key",
                                     "status", "state", "started_at", "updated_at", "completed_at", "version",
                                     "waiting_messages"],
                    ((i + 1, 1, PLANNING, i + 1, PERIOD, f"{i + 1}:{PERIOD}", "completed", state, NOW, NOW, NOW, 1,
                      "") for i in range(len(people))))
    rnd = random.Random(seed)
    with engine.session_factory.begin() as s:
        root = s.scalar(select(Unit.id).where(Unit.parent_id.is_(None)))
        for unit in s.scalars(select(Unit).where(Unit.parent_id == root)):
            s.add(SubjectResult(kind=UNIT_RATING, period=PERIOD, unit_id=unit.id, recorded_at=NOW,
                                value={"predikat_unit": "Baik", "kepala_id": None}))
        names, weights = [p for p, _ in PREDIKAT], [w for _, w in PREDIKAT]
        for user in s.scalars(select(User).order_by(User.id)):
            curve, head = curve_unit(s, user)
            if curve is None or head:
                continue
            predikat = rnd.choices(names, weights)[0]
            hasil, perilaku = RATINGS[predikat]
            s.add(SubjectResult(kind=PROPOSAL, period=PERIOD, subject_id=user.id, unit_id=curve.id, recorded_at=NOW,
                                value={"predikat": predikat, "hasil_kerja": hasil, "perilaku": perilaku}))
            s.add(SubjectResult(kind=DECISION, period=PERIOD, subject_id=user.id, unit_id=curve.id, recorded_at=NOW,
                                value={"usulan": predikat, "predikat": predikat, "keputusan": "kalibrasi",
                                       "catatan": "", "predikat_unit": "Baik", "distribusi": {}}))


def _decide(ctx: StepContext, params: dict[str, Any], data: dict[str, Any]) -> Any:
    """The unit head's decision as the 14-day deadline records it (the suggestion, with a note), then the messages
    to every employee of the unit: what one transaction of the unit's case does."""
    refused = SMK_OPERATIONS["smk_catat_kalibrasi"](ctx, {"baris": [], "catatan": "bench"}, data)
    assert refused == "", refused
    return SMK_OPERATIONS["smk_kabari_kurva_unit"](ctx, {}, data)


def _previous_staff(session: Session, unit: Unit, period: str) -> list[User]:
    """``curve_staff`` before issue 15's calibration step: the whole organisation's units loaded per call."""
    inside = subtree(load_units(session), unit.id)
    superior = aliased(Position)
    planned = exists().where(Instance.subject_id == User.id, Instance.process_id == PLANNING,
                             Instance.period == period)
    rows = session.execute(
        select(User, superior.unit_id).join(Position, User.position_id == Position.id)
        .outerjoin(superior, Position.parent_id == superior.id)
        .where(Position.unit_id.in_(inside), planned).order_by(User.id)).all()
    return [user for user, superior_unit in rows if superior_unit is not None and superior_unit in inside]


def _previous_curve_unit(session: Session, user: User) -> tuple[Unit | None, bool]:
    position = user.position
    if position is None:
        return None, False
    chain: list[Unit] = []
    unit = session.get(Unit, position.unit_id)
    while unit is not None and len(chain) < 50:
        chain.append(unit)
        unit = session.get(Unit, unit.parent_id) if unit.parent_id else None
    if len(chain) < 2:
        return None, False
    unit = chain[-2]
    parent = session.get(Position, position.parent_id) if position.parent_id else None
    inside = subtree(load_units(session), unit.id)
    return unit, parent is None or parent.unit_id not in inside


def _previous_check(ctx: StepContext, params: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """The curve check before the calibration step (first-come: the last one checked is sent back)."""
    session, period = ctx.session, ctx.instance.period
    user = session.get(User, ctx.instance.subject_id)
    assert user is not None
    unit, _ = _previous_curve_unit(session, user)
    assert unit is not None
    predikat = params["predikat"]
    record_result(session, PROPOSAL, period, {"predikat": predikat, "hasil_kerja": RATINGS[predikat][0],
                                              "perilaku": RATINGS[predikat][1]}, subject_id=user.id,
                  unit_id=unit.id, instance_id=ctx.instance.id, now=ctx.now, audit_kind=PROPOSAL,
                  audit_data={"periode": period, "unit_code": unit.code, "predikat": predikat})
    rated = [r for r in results(session, UNIT_RATING, period, unit_ids=[unit.id]) if r.subject_id is None]
    staff = _previous_staff(session, unit, period)
    proposed = {r.subject_id: str(r.value["predikat"]) for r in results(session, PROPOSAL, period, unit_ids=[unit.id])
                if r.subject_id is not None}
    result = SCRIPT_FUNCTIONS["cek_kurva_distribusi"](str(rated[-1].value["predikat_unit"]),
                                                      [proposed[m.id] for m in staff if m.id in proposed])
    return {"status": "sesuai" if result["ok"] else "melanggar"}


def _timed(engine: Engine, operation: Callable[..., Any], instance_id: int, params: dict[str, Any],
           runs: int) -> tuple[float, float, float, int]:
    """p50, p95, median CPU (ms) and the statements of one call, each call in a transaction rolled back."""
    def call() -> None:
        with engine.session_factory() as s:
            inst = s.get(Instance, instance_id)
            assert inst is not None
            operation(StepContext(s, inst, NOW, None, engine), params, {})
            s.flush()
            s.rollback()

    call()  # warm the caches (DMN table, the statement cache)
    with captured_statements(engine.db) as seen:
        call()
    p50, p95, cpu = time_calls(call, runs)
    return p50, p95, cpu, len(seen)


def _subjects(engine: Engine) -> list[tuple[str, int, int, int, str]]:
    """(label, staff of the unit, employee's instance, the head's instance, the employee's predikat) for an
    employee of the smallest and of the largest curve unit."""
    with engine.session_factory() as s:
        per_unit: dict[int, list[tuple[int, str]]] = {}
        for subject, unit, value in s.execute(select(SubjectResult.subject_id, SubjectResult.unit_id,
                                                     SubjectResult.value).where(SubjectResult.kind == PROPOSAL)):
            per_unit.setdefault(unit, []).append((subject, value["predikat"]))
        chosen = []
        sizes = sorted(per_unit, key=lambda u: (len(per_unit[u]), u))
        for label, unit_id in (("smallest curve unit", sizes[0]), ("largest curve unit", sizes[-1])):
            subject, predikat = min(per_unit[unit_id])
            head = next(u.id for u in s.scalars(select(User).join(Position, User.position_id == Position.id)
                                                .where(Position.unit_id == unit_id).order_by(User.id))
                        if curve_unit(s, u) == (s.get(Unit, unit_id), True))
            instance = dict(s.execute(select(Instance.subject_id, Instance.id)
                                      .where(Instance.subject_id.in_([subject, head]))).all())
            chosen.append((label, len(per_unit[unit_id]), instance[subject], instance[head], predikat))
        return chosen


def saran_by_definition(predikat_unit: str, usulan: list[Usulan]) -> tuple[dict[object, str], HasilKurva]:
    """The calibration suggestion as ``saran_kalibrasi``'s docstring defines it, one pass over the unit per move
    (quadratic: how it was computed until 2 December): the baseline of ``suggestion_lines`` and the reference the
    property test (tests/processes/test_distribution.py) holds the fast one to."""
    order = {label: i for i, label in enumerate(PREDIKAT_6_2022)}
    people = sorted(usulan, key=lambda u: (-order[u.predikat], u.peringkat, u.kunci))
    current = {u.pegawai: u.predikat for u in people}
    moved: dict[object, str] = {}
    hasil = cek_kurva_distribusi(predikat_unit, [current[u.pegawai] for u in people])
    for _ in range(len(people) * len(PREDIKAT_6_2022)):
        if hasil.ok:
            break
        v = hasil.pelanggaran[0]
        free = [u for u in people if u.pegawai not in moved]
        target = None
        if v.jenis == "paling_banyak":
            lower = [label for label in PREDIKAT_6_2022 if label not in v.predikat]
            for u in free:
                if current[u.pegawai] in v.predikat:
                    below = [label for label in lower if order[label] > order[current[u.pegawai]]]
                    if below:
                        target = (u, below[0])
                        break
        else:
            best = min(v.predikat, key=order.__getitem__)
            worst = max(v.predikat, key=order.__getitem__)
            above = [u for u in free if order[current[u.pegawai]] < order[best]]
            under = [u for u in reversed(free) if order[current[u.pegawai]] > order[worst]]
            target = (above[0], best) if above else (under[0], worst) if under else None
        if target is None:
            break
        who, label = target
        current[who.pegawai] = moved[who.pegawai] = label
        hasil = cek_kurva_distribusi(predikat_unit, [current[u.pegawai] for u in people])
    return moved, hasil


def suggestion_lines(sizes: tuple[int, ...] = (1_000, 5_000, 10_000)) -> Iterator[str]:
    """Time the calibration suggestion alone for a curve unit of each size rated Baik whose staff propose Sangat
    Baik (10 %) and Baik (90 %): a fifth must move to Butuh Perbaikan. Baseline: ``saran_by_definition``."""
    saran_kalibrasi("Baik", [Usulan(0, "Baik", (0,), ("0",))])  # the curve table loaded once, before timing
    for n in sizes:
        usulan = [Usulan(i, "Sangat Baik" if i % 10 == 0 else "Baik", (i % 3, i % 2), (str(i), i)) for i in range(n)]
        now = []
        for _ in range(3):  # the least of three: a collection of the previous size's garbage is not the suggestion's
            c0 = time.process_time()
            moved, _ = saran_kalibrasi("Baik", usulan)
            now.append(time.process_time() - c0)
        c1 = time.process_time()
        baseline, _ = saran_by_definition("Baik", usulan)
        c2 = time.process_time()
        assert moved == baseline
        yield (f"  suggestion for a unit of {n} ({len(moved)} to move): {1000 * min(now):8.1f} ms CPU; one pass per "
               f"move (baseline) {1000 * (c2 - c1):9.1f} ms; baseline/now {(c2 - c1) / max(min(now), 1e-6):7.1f}")

def run_curve_bench(url: str | None, sizes: tuple[int, ...] = (100, 1000, 10_000), runs: int = 20,
                    seed: int = 15) -> Iterator[str]:
    """Yield one line per organisation size, curve unit and way of checking."""
    for employees in sizes:
        target, drop = fresh_database(url, "smk_bench_curve")
        engine = Engine(target, extensions=extensions(), clock=FixedClock(NOW))
        try:
            engine.create_schema()
            began = time.perf_counter()
            _fill(engine, employees, seed)
            if engine.db.dialect.name == "postgresql":
                with engine.db.connect() as conn:
                    conn.execute(text("ANALYZE"))
                    conn.commit()
            with engine.session_factory() as s:
                units = len(s.scalars(select(Unit.id)).all())
            yield (f"{engine.db.dialect.name}, {employees} employees ({units} units), filled in "
                   f"{time.perf_counter() - began:.1f} s:")
            for label, staff, instance, head, predikat in _subjects(engine):
                hasil, perilaku = RATINGS[predikat]
                params = {"predikat": predikat, "hasil_kerja": hasil, "perilaku": perilaku}
                base = _timed(engine, _previous_check, instance, {"predikat": predikat}, runs)
                for name, fn, iid, p in (("previous check (baseline)", _previous_check, instance,
                                          {"predikat": predikat}),
                                         ("counting check", SMK_OPERATIONS["smk_cek_kurva"], instance, params),
                                         ("check", SMK_OPERATIONS["smk_cek_kurva"], instance,
                                          {**params, "keputusan_unit": True}),
                                         ("unit view (calibration)", SMK_OPERATIONS["smk_ringkas_kurva"], head, {}),
                                         ("unit decision + messages", _decide, head, {})):
                    p50, p95, cpu, statements = base if fn is _previous_check else _timed(engine, fn, iid, p, runs)
                    yield (f"  {label} ({staff} staff) {name:<27} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
                           f"CPU {cpu:6.1f} ms  {statements:3d} statements  p50/baseline {p50 / base[0]:5.2f}")
        finally:
            engine.dispose()
            drop()
    yield "calibration suggestion (saran_kalibrasi), in memory:"
    yield from suggestion_lines()
