"""The organisation import end to end: a generated 500-employee agency from XLSX, previewed and applied, some
process work on it (a demo process, then the SMK year simulated on it), then a re-import with 20 transfers and 3
new assessors whose open tasks move to the right people — as the preview said. Runs on SQLite and, when
configured, PostgreSQL; the simulated year is played once, on SQLite, and its re-import runs on both databases
(see played_year)."""

from __future__ import annotations

import shutil
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import JSON, Text, bindparam, cast, create_engine, func, make_url, select, text, type_coerce
from sqlalchemy.dialects.postgresql import JSONB

from engine.access import may_act
from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.base import Base
from engine.db.notify import TASK_ASSIGNED, Notification
from engine.db.org import PasswordLink, Position, Unit, User
from engine.db.runtime import Instance, TaskIndex
from engine.runtime.clock import FixedClock
from engine.services import handover, instances
from engine.services.deployments import deploy, read_folder
from engine.services.notifications import recipients
from processes.extension import extensions
from processes.lanes import ATASAN_PEJABAT_PENILAI, PEGAWAI, PEJABAT_PENILAI
from processes.orgimport import ImportStale, run_import
from processes.simulate import DATABASE, assign_roles, choose_behaviours, cpu_seconds, simulate_period
from tests.simulated_year import built_once, fold
from tools import orggen

BPMN = Path(__file__).resolve().parents[2] / "bpmn"
CAPAIAN = {"ringkasan": "Laporan", "tanggal": "2024-01-31", "hasil_kerja": "Sesuai Ekspektasi",
           "kegiatan": [{"nama": "Rapat", "target": 4, "realisasi": 4}]}


def _counts(eng: Engine) -> tuple[int, ...]:
    with eng.session_factory() as s:
        return tuple(s.scalar(select(func.count()).select_from(t)) or 0
                     for t in (Unit, Position, User, PasswordLink, AuditEvent, Notification))


def _ids(eng: Engine) -> dict[str, int]:
    with eng.session_factory() as s:
        return {nip: uid for nip, uid in s.execute(select(User.nip, User.id).where(User.nip.is_not(None)))}


def _expected_assessor(rows: orggen.Rows, nip: str) -> str:
    """The NIP of the holder of the superior position of the employee's position, by the file."""
    position = next(p[2] for p in rows["pegawai"] if p[0] == nip)
    superior = next(j[5] for j in rows["jabatan"] if j[0] == position)
    return orggen.holder(rows, superior)[0]


def _agreement(eng: Engine) -> None:
    """The bulk resolver the preview uses agrees with the per-task rule of the inbox and the notifications."""
    with eng.session_factory() as s:
        rows = handover.open_tasks(s)
        bulk = handover.open_task_actors(s, rows)
        for row in rows:
            assert bulk[row.id] == frozenset(u.id for u in recipients(s, row)), row.title


def _agency_rows() -> orggen.Rows:
    return orggen.generate(500, seed=11)


def _import_agency(eng: Engine) -> orggen.Rows:
    """Import the generated 500-employee agency (checking the preview, the apply and a re-import that changes
    nothing) and deploy the demo bundle; return the agency's rows."""
    rows = _agency_rows()
    files = {"organisasi.xlsx": orggen.workbook(rows)}
    preview = run_import(eng, files, None)
    assert not preview.applied and preview.count("pegawai", "added") == 500
    assert preview.count("unit", "added") == len(rows["unit"]) and preview.count("jabatan", "added") == len(rows["jabatan"])
    assert _counts(eng)[:4] == (0, 0, 0, 0)  # a preview changes nothing
    report = run_import(eng, files, None, apply=True)
    assert report.applied and report.digest == preview.digest and len(report.accounts) == 500
    with eng.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(User).where(User.password_hash == "")) == 500
        assert s.scalar(select(func.count()).select_from(User).where(User.status == "PPPK")) == sum(
            1 for p in rows["pegawai"] if p[5] == "PPPK")
        event = s.scalars(select(AuditEvent).where(AuditEvent.kind == "org.imported")).one()
        assert event.data["sha256"] == report.sha256 and event.data["summary"]["pegawai.added"] == 500
    before = _counts(eng)
    again = run_import(eng, files, None, apply=True)
    assert again.nothing_to_do and not again.applied and _counts(eng) == before  # re-importing changes nothing
    deploy(eng, read_folder(BPMN / "demo"), None, name="demo")
    return rows


@pytest.fixture
def agency(eng: Engine) -> tuple[Engine, orggen.Rows]:
    return eng, _import_agency(eng)


def test_transfers_and_new_assessors_hand_open_tasks_to_the_right_people(agency: tuple[Engine, orggen.Rows]) -> None:
    eng, rows = agency
    ids = _ids(eng)
    staff = [p for p in rows["pegawai"] if p[2].endswith(("-A", "-B"))]
    # Process work: eight staff employees record their realisation, so their assessor has a review to do.
    workers = [staff[i] for i in (0, 1, 2, 3, 40, 41, 80, 120)]
    reviews: dict[str, str] = {}
    for person in workers:
        started = instances.start_instance(eng, "demo_penilaian", None, ids[person[0]], "2024")
        after = instances.complete_task(eng, ids[person[0]], started.ready_task_ids[0], CAPAIAN)
        reviews[person[0]] = after.ready_task_ids[0]
    for nip, task in reviews.items():
        with eng.session_factory() as s:
            assert may_act(s, ids[_expected_assessor(rows, nip)], task)
    _agreement(eng)

    changed = orggen.copy(rows)
    people = {p[0]: p for p in changed["pegawai"]}
    targets = sorted({p[2] for p in staff})
    moved = [p[0] for p in staff[:4]] + [p[0] for p in staff[200:216]]  # 20 transfers, 4 of them with a review
    for nip in moved:
        person = people[nip]
        person[2] = targets[(targets.index(person[2]) + 5) % len(targets)]
    # Three Pengawas positions get a new holder: the assessors of workers 40, 80 and 120.
    heads = [next(j[5] for j in rows["jabatan"] if j[0] == people[staff[i][0]][2]) for i in (40, 80, 120)]
    old = [orggen.holder(changed, h) for h in heads]
    old[0][6] = "tidak"  # retired
    changed["pegawai"].remove(old[1])  # left the agency: missing from the file
    old[2][2] = targets[0]  # became an analyst elsewhere
    new_nips = []
    for i, head in enumerate(heads):
        nip = orggen.new_nip(changed, 77 + i)
        new_nips.append(nip)
        changed["pegawai"].append([nip, f"Pengawas Baru {i + 1}", head, f"baru{i}@contoh.go.id", "Penata (III/c)",
                                   "PNS", "ya"])
    files = {"organisasi-2.xlsx": orggen.workbook(changed)}

    preview = run_import(eng, files, None)
    assert preview.count("pegawai", "added") == 3
    assert preview.count("pegawai", "moved") == 21  # the 20 transfers and the Pengawas who became an analyst
    assert preview.count("pegawai", "deactivated") == 2
    expected = {}
    for nip, task in reviews.items():
        before, after = _expected_assessor(rows, nip), _expected_assessor(changed, nip)
        if before != after:
            expected[task] = after
    assert len(expected) == 8  # workers 0-3 moved; 40 and 41 share a sub-division, 80 and 120 have their own
    shown = {h.task_id: h for h in preview.handovers}
    with eng.session_factory() as s:
        name = {u.nip: u.full_name for u in s.scalars(select(User))}
    name.update({nip: f"Pengawas Baru {i + 1}" for i, nip in enumerate(new_nips)})
    for task, nip in expected.items():
        assert shown[task].after == [name[nip]], shown[task]
    assert set(expected) == set(shown)  # exactly the reviews whose assessor changed, nothing else

    report = run_import(eng, files, None, apply=True, expected_digest=preview.digest)
    assert report.applied and [a.nip for a in report.accounts] == new_nips
    ids = _ids(eng)
    with eng.session_factory() as s:
        for nip, task in reviews.items():
            assessor = ids[_expected_assessor(changed, nip)]
            assert may_act(s, assessor, task), nip
            assert {u.id for u in recipients(s, s.get(TaskIndex, task))} == {assessor}
        for task, nip in expected.items():
            told = s.scalars(select(Notification.user_id).where(Notification.task_id == task,
                                                                Notification.kind == TASK_ASSIGNED)).all()
            assert told == [ids[nip]]  # the new assessor was told
        assert not s.get(User, ids[old[0][0]]).active and not s.get(User, ids[old[1][0]]).active
        moves = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "org.employee_moved"))
        assert moves == 21
    _agreement(eng)
    assert run_import(eng, files, None, apply=True).nothing_to_do


def test_an_apply_refuses_a_preview_the_organisation_no_longer_matches(agency: tuple[Engine, orggen.Rows]) -> None:
    eng, rows = agency
    changed = orggen.copy(rows)
    changed["pegawai"][-1][1] = "Nama Baru"
    files = {"o.xlsx": orggen.workbook(changed)}
    preview = run_import(eng, files, None)
    with eng.session_factory.begin() as s:  # someone else changes the organisation meanwhile
        s.scalars(select(User).where(User.nip == rows["pegawai"][0][0])).one().full_name = "Diubah"
    before = _counts(eng)
    with pytest.raises(ImportStale):
        run_import(eng, files, None, apply=True, expected_digest=preview.digest)
    assert _counts(eng) == before


def _actor_by_file(rows: orggen.Rows, nip: str, lane: str | None) -> str:
    """The NIP of whoever acts in ``lane`` for the employee, by the file: the employee, the holder of the superior
    position (Pejabat Penilai), or of its superior (Atasan Pejabat Penilai)."""
    if lane in (PEGAWAI, None):
        return nip
    assessor = _expected_assessor(rows, nip)
    return assessor if lane == PEJABAT_PENILAI else _expected_assessor(rows, assessor)


@dataclass
class Played:
    path: Path  # a SQLite file: the imported agency with 2024 played to the morning of 1 February
    rows: orggen.Rows


@pytest.fixture(scope="module")
def played_year(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Played:
    """The agency imported (``_import_agency``) and the SMK year 2024 simulated on it through SKP setting, once per
    test run (shared by the xdist workers: tests/simulated_year.built_once), on SQLite; each database of the test
    gets a copy (``year``).

    The simulation of 499 employees' SKP setting is most of this module's time (29 s on SQLite and 67 s on
    PostgreSQL in one run, each database playing it). The test then checks the played year and runs the re-import
    on each database from the same played rows; what playing on PostgreSQL itself exercises (deferred starts,
    timers and kept messages claimed with SKIP LOCKED, late SKPs escalated to the Atasan Pejabat Penilai) is
    played on PostgreSQL by tests/bpmn/test_simulate.py (the demo year, its 2 late SKPs escalated),
    tests/processes/test_simulate_parallel.py (two worker processes) and tests/processes/test_simulate_generated.py
    (a generated agency imported, its period opened and its planning cases started)."""

    def play(path: Path) -> None:
        shutil.copyfile(sqlite_template, path)
        eng = Engine(f"sqlite:///{path}", extensions=extensions(), clock=FixedClock())
        try:
            _import_agency(eng)
            assert [line.split(":")[0] for line in assign_roles(eng)] == [  # a bureau head; the deputies; the head
                "Biro SDM", "Tim Penilai Kinerja", "Tim Penilai Kinerja", "PPK"]
            assert assign_roles(eng) == []  # the groups have members now: nothing more
            started, cpu = time.perf_counter(), cpu_seconds()
            # Through SKP setting: the period opens on 2 January, SKPs cascade down the tree, the deadline passes on
            # 31 January; the simulation stops on the morning of 1 February, when the late SKPs' escalations wait
            # for the Atasan Pejabat Penilai.
            report = simulate_period(eng, 2024, organisation=DATABASE, seed=11, until=date(2024, 2, 1))
            print(f"simulated to 1 February: {time.perf_counter() - started:.1f} s wall, "
                  f"{cpu_seconds() - cpu:.1f} s CPU")
            assert report[0].startswith(
                "Simulasi periode 2024: status periode waiting (disimulasikan sampai 2024-02-01)")
        finally:
            eng.dispose()
        fold(path)

    return Played(built_once(tmp_path_factory, "org-import-year-2024.sqlite", play), _agency_rows())


def _copy_rows(source: str, target: Engine) -> None:
    """Put every row of the SQLite database ``source`` into ``target``'s migrated PostgreSQL schema instead of its
    own, through the models' column types (JSON columns as their stored text, so that SQL NULL stays NULL and JSON
    stays as written), triggers and foreign keys off while writing; set each sequence so that the next id follows
    the largest copied, as SQLite gives the next row."""
    read = create_engine(source)
    try:
        with read.connect() as src, target.db.begin() as dst:
            dst.exec_driver_sql("SET LOCAL session_replication_role = replica")
            present = set(dst.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")))
            tables = Base.metadata.sorted_tables
            assert present - {"alembic_version"} == {t.name for t in tables}  # every table is copied
            for table in reversed(tables):
                dst.execute(table.delete())
            sequences = set()
            for table in tables:
                json = {c.name for c in table.columns if isinstance(c.type, JSON)}
                rows = [dict(r._mapping) for r in src.execute(select(*(
                    type_coerce(c, Text).label(c.name) if c.name in json else c for c in table.columns)))]
                if rows:
                    dst.execute(table.insert().values({name: cast(bindparam(name, type_=Text), JSONB)
                                                       for name in json}), rows)
                for column in table.primary_key.columns:
                    sequence = dst.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                          {"t": table.name, "c": column.name})
                    if sequence is not None:
                        sequences.add(sequence)
                        top = dst.scalar(select(func.max(column)))
                        dst.execute(text("SELECT setval(CAST(:s AS regclass), :v, :called)"),
                                    {"s": sequence, "v": top or 1, "called": top is not None})
            assert len(sequences) == dst.scalar(text("SELECT count(*) FROM pg_sequences "
                                                     "WHERE schemaname = current_schema()"))  # and every sequence
    finally:
        read.dispose()


@pytest.fixture
def year(played_year: Played, eng: Engine, db_backend: str) -> tuple[Engine, orggen.Rows]:
    """The test's database holding the played year (its clock stays at the start: the simulation keeps its own)."""
    eng.dispose()
    if db_backend == "sqlite":
        path = Path(make_url(eng.database_url).database or "")
        for extra in (Path(f"{path}-wal"), Path(f"{path}-shm")):
            extra.unlink(missing_ok=True)
        shutil.copyfile(played_year.path, path)
    else:
        _copy_rows(f"sqlite:///{played_year.path}", eng)
    return eng, played_year.rows


def test_the_simulated_year_on_the_imported_agency_hands_its_open_tasks_over(year: tuple[Engine, orggen.Rows]
                                                                            ) -> None:
    eng, rows = year
    started = time.perf_counter()
    late = choose_behaviours(eng, 11).late_skp
    people = {p[0]: p for p in rows["pegawai"]}
    assessed = [p for p in rows["pegawai"] if p[2] != "P-U"]  # everyone but the head of the agency
    with eng.session_factory() as s:
        planned = dict(s.execute(select(Instance.process_id, func.count(Instance.id)).where(Instance.period == "2024")
                                 .group_by(Instance.process_id)).all())
        ids = {uid: nip for uid, nip in s.execute(select(User.id, User.nip))}
        tasks = {r.id: r for r in s.scalars(select(TaskIndex).where(TaskIndex.closed_at.is_(None),
                                                                   TaskIndex.period == "2024"))}
    assert planned == {"smk_perencanaan": len(assessed), "smk_pemantauan": len(assessed) - len(late),
                       "smk_periode": 1}
    # Everyone set an SKP but the late ones, whose escalation is open in their Atasan Pejabat Penilai's lane.
    assert Counter(r.task_name for r in tasks.values()) == {"eskalasi_skp": len(late)} and len(late) == 10
    assert {ids[r.subject_id] for r in tasks.values()} == late
    assert all(r.lane == ATASAN_PEJABAT_PENILAI for r in tasks.values())
    with eng.session_factory() as s:
        for task in tasks.values():
            assert {u.id for u in recipients(s, task)} == {
                _ids(eng)[_actor_by_file(rows, ids[task.subject_id], task.lane)]}
    _agreement(eng)

    # The re-import: 20 transfers (half of the late employees among them) and 3 new holders of the positions of
    # the other late employees' Atasan Pejabat Penilai.
    changed = orggen.copy(rows)
    moved_people = {p[0]: p for p in changed["pegawai"]}
    staff = [p for p in rows["pegawai"] if p[2].endswith(("-A", "-B"))]
    targets = sorted({p[2] for p in staff})
    late_sorted = sorted(late)
    moved = late_sorted[:5] + [p[0] for p in staff if p[0] not in late][:15]
    for nip in moved:
        person = moved_people[nip]
        person[2] = targets[(targets.index(person[2]) + 5) % len(targets) if person[2] in targets else 0]
    grand = []
    for nip in late_sorted[5:]:
        position = next(j[5] for j in rows["jabatan"] if j[0] == people[nip][2])
        above = next(j[5] for j in rows["jabatan"] if j[0] == position)
        if above not in grand and len(grand) < 3:
            grand.append(above)
    assert len(grand) == 3
    new_nips = []
    for i, position in enumerate(grand):
        old = orggen.holder(changed, position)
        old[6] = "tidak"  # retired
        nip = orggen.new_nip(changed, 300 + i)
        new_nips.append(nip)
        changed["pegawai"].append([nip, f"Atasan Baru {i + 1}", position, "", "Pembina (IV/a)", "PNS", "ya"])
    files = {"organisasi-2.xlsx": orggen.workbook(changed)}
    preview = run_import(eng, files, None)
    assert preview.count("pegawai", "added") == 3 and preview.count("pegawai", "moved") == 20
    expected = {}
    for task in tasks.values():
        nip = ids[task.subject_id]
        before, after = _actor_by_file(rows, nip, task.lane), _actor_by_file(changed, nip, task.lane)
        if before != after:
            expected[task.id] = after
    assert len(expected) >= 5 + 1  # the moved late employees, and those under a new Atasan Pejabat Penilai
    with eng.session_factory() as s:
        name = {u.nip: u.full_name for u in s.scalars(select(User))}
    name.update({nip: f"Atasan Baru {i + 1}" for i, nip in enumerate(new_nips)})
    shown = {h.task_id: h for h in preview.handovers}
    assert set(shown) == set(expected)  # exactly the simulation's tasks whose actor changed, by the file
    for task, nip in expected.items():
        assert shown[task].after == [name[nip]], shown[task]

    assert run_import(eng, files, None, apply=True, expected_digest=preview.digest).applied
    ids_now = _ids(eng)
    with eng.session_factory() as s:
        for task in tasks.values():
            actor = ids_now[_actor_by_file(changed, ids[task.subject_id], task.lane)]
            assert {u.id for u in recipients(s, s.get(TaskIndex, task.id))} == {actor}
            assert may_act(s, actor, task.id)
        for task, nip in expected.items():
            told = s.scalars(select(Notification.user_id).where(Notification.task_id == task,
                                                                Notification.kind == TASK_ASSIGNED)).all()
            assert told == [ids_now[nip]]  # the new actor was told
    _agreement(eng)
    print(f"the played year checked and re-imported: {time.perf_counter() - started:.1f} s wall")
