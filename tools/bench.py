"""`smk bench engine`: raw SpiffWorkflow against our persisted services, measured in the same run.

Absolute times vary with the machine; the ratios printed last are what to compare across runs.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import event, select

from engine.core import Engine
from engine.db.org import Position, Unit, User
from engine.deploy.bundles import parse_bundle
from engine.runtime.serializer import StateSerializer
from engine.sandbox.bench import bench_pool
from engine.sandbox.pool import PoolConfig, shared_pool
from engine.services import instances
from engine.services.deployments import deploy, read_folder
from engine.services.org import add_to_group
from processes.extension import extensions
from processes.lanes import HR_GROUP

DEMO = Path(__file__).resolve().parent.parent / "bpmn" / "demo"
CAPAIAN = {"ringkasan": "Laporan bulanan", "tanggal": "2024-01-31", "hasil_kerja": "Sesuai Ekspektasi",
           "kegiatan": [{"nama": "Rapat", "target": 4, "realisasi": 4}]}
TINJAU = {"keputusan": "setuju", "perilaku": "Sesuai Ekspektasi"}
KONFIRMASI = {"dikonfirmasi": True}
STEPS = (CAPAIAN, TINJAU, KONFIRMASI)


def _raw_run(info: object, script_engine: object) -> int:
    wf = BpmnWorkflow(info.spec, info.subprocess_specs, script_engine=script_engine)  # type: ignore[attr-defined]
    wf.do_engine_steps()
    done = 0
    for data in STEPS:
        task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
        task.set_data(**data)
        task.run()
        wf.do_engine_steps()
        done += 1
    assert wf.is_completed()
    return done


def _stored_run(info: object, script_engine: object, serializer: StateSerializer) -> int:
    """``_raw_run`` with what any durable engine adds to SpiffWorkflow and nothing else: between steps the state
    is dumped to JSON text and restored from it (our serializer, as the services store it), in memory."""
    spec, subprocess_specs = info.spec, info.subprocess_specs  # type: ignore[attr-defined]

    def stored(wf: BpmnWorkflow) -> BpmnWorkflow:
        return serializer.load(json.loads(str(serializer.dump_text(wf))), spec, subprocess_specs, script_engine)

    wf = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine)
    wf.do_engine_steps()
    wf = stored(wf)
    done = 0
    for data in STEPS:
        task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
        task.set_data(**data)
        task.run()
        wf.do_engine_steps()
        wf = stored(wf)
        done += 1
    assert wf.is_completed()
    return done


def _org(engine: Engine, subjects: int) -> tuple[int, list[int], int]:
    """Create an assessor, ``subjects`` employees under them, and an HR user; return their ids."""

    with engine.session_factory.begin() as s:
        unit = Unit(code="B", name="Bench")
        s.add(unit)
        s.flush()
        boss_pos = Position(code="B-0", title="Kepala", unit_id=unit.id)
        s.add(boss_pos)
        s.flush()
        boss = User(username="boss", full_name="Boss", position_id=boss_pos.id)
        hr = User(username="hr", full_name="HR")
        s.add_all([boss, hr])
        s.flush()
        add_to_group(s, hr, HR_GROUP)
        ids = []
        for i in range(subjects):
            pos = Position(code=f"B-{i + 1}", title="Staf", unit_id=unit.id, parent_id=boss_pos.id)
            s.add(pos)
            s.flush()
            u = User(username=f"e{i}", full_name=f"Employee {i}", position_id=pos.id)
            s.add(u)
            s.flush()
            ids.append(u.id)
        return boss.id, ids, hr.id


def _persisted_run(engine: Engine, subject: int, boss: int, hr: int) -> int:
    started = instances.start_instance(engine, "demo_penilaian", hr, subject, "2024")
    after = instances.complete_task(engine, subject, started.ready_task_ids[0], CAPAIAN)
    after = instances.complete_task(engine, boss, after.ready_task_ids[0], TINJAU)
    instances.claim_task(engine, hr, after.ready_task_ids[0])
    after = instances.complete_task(engine, hr, after.ready_task_ids[0], KONFIRMASI)
    assert after.status == "completed"
    return 3


def _completion_cost(engine: Engine, subject: int, samples: int, hr: int) -> float:
    """Median seconds of one completion (the employee's first task) for this subject."""
    times = []
    for _ in range(samples):
        started = instances.start_instance(engine, "demo_penilaian", hr, subject, "2024")
        t0 = time.perf_counter()
        instances.complete_task(engine, subject, started.ready_task_ids[0], CAPAIAN)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _statements_per_completion(engine: Engine, subject: int, hr: int) -> tuple[int, int]:
    """SQL statements and transactions of one completion (the employee's first task), counted with SQLAlchemy's
    events (SQLite's explicit BEGIN/COMMIT not counted as statements)."""
    started = instances.start_instance(engine, "demo_penilaian", hr, subject, "2024")
    seen = {"statements": 0, "transactions": 0}

    def statement(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        seen["statements"] += not sql.startswith(("BEGIN", "COMMIT", "ROLLBACK"))

    def begin(_conn: object) -> None:
        seen["transactions"] += 1

    event.listen(engine.db, "before_cursor_execute", statement)
    event.listen(engine.db, "begin", begin)
    try:
        instances.complete_task(engine, subject, started.ready_task_ids[0], CAPAIAN)
    finally:
        event.remove(engine.db, "before_cursor_execute", statement)
        event.remove(engine.db, "begin", begin)
    return seen["statements"], seen["transactions"]


def _sandbox_lines(count: int, samples: int, files: dict[str, bytes]) -> Iterator[str]:
    """Cost of running model code in sandbox processes: per expression, per script, per completion."""
    pool = shared_pool(PoolConfig(workers=2))
    figures = bench_pool(pool, max(count * 5, 200))
    yield (f"sandbox, one condition:   in-process {figures['in_process_condition_s'] * 1e6:7.1f} µs, "
           f"in a sandbox process {figures['pool_condition_s'] * 1e6:7.1f} µs, ratio {figures['condition_ratio']:.1f}")
    yield (f"sandbox, one short script: in-process {figures['in_process_script_s'] * 1e6:7.1f} µs, "
           f"in a sandbox process {figures['pool_script_s'] * 1e6:7.1f} µs, ratio {figures['script_ratio']:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        engines: dict[bool, tuple[Engine, int, list[int], int]] = {}
        times: dict[bool, list[float]] = {}
        for isolate in (False, True):
            engine = Engine(f"sqlite:///{tmp}/bench-{isolate}.sqlite", extensions=extensions(), isolate=isolate)
            engine.create_schema()
            deploy(engine, files, None)
            engines[isolate] = (engine, *_org(engine, 1))
            times[isolate] = []
        for engine, boss, subjects, hr in engines.values():
            _persisted_run(engine, subjects[0], boss, hr)  # warm up (spec cache, statements, processes)
        sandbox = engines[True][0].runtime.pool
        assert sandbox is not None
        jobs = sandbox.stats["jobs"]
        for _ in range(samples):  # interleaved, so both see the same machine
            for isolate, (engine, boss, subjects, hr) in engines.items():
                t0 = time.perf_counter()
                _persisted_run(engine, subjects[0], boss, hr)
                times[isolate].append(time.perf_counter() - t0)
        jobs_per_run = (sandbox.stats["jobs"] - jobs) / samples
        for engine, *_ in engines.values():
            engine.dispose()
    # A run is a start, three completions and a claim: count it as three completions.
    costs = {isolate: statistics.median(t) / 3 for isolate, t in times.items()}
    yield (f"one completion (demo run / 3), model code in-process: {costs[False] * 1000:6.2f} ms, in sandbox "
           f"processes: {costs[True] * 1000:6.2f} ms ({(costs[True] - costs[False]) * 1000:+.2f} ms; "
           f"{jobs_per_run / 3:.1f} sandbox jobs per completion)")
    yield f"ratio sandbox processes/in-process per completion: {costs[True] / costs[False]:.2f}"


def _loop_model(iterations: int) -> bytes:
    """One user task repeated ``iterations`` times in one instance (a script and a gateway per iteration)."""
    from tools.bpmn_builder import Process, document

    p = Process("bench_loop", "Loop", lanes=["Pegawai"])
    p.start("s", lane="Pegawai", col=0)
    p.script("init", "Init", f"n = 0\nbatas = {iterations}", lane="Pegawai", col=1)
    p.user("cek", "Cek", lane="Pegawai", col=2)
    p.script("hitung", "Hitung", "n = n + 1", lane="Pegawai", col=3)
    p.gateway("again", "Lagi?", lane="Pegawai", col=4, default="f_done")
    p.end("e", lane="Pegawai", col=5)
    p.chain("s", "init", "cek", "hitung", "again")
    p.flow("again", "cek", condition="n < batas", id="f_loop")
    p.flow("again", "e", id="f_done")
    return document(p).encode()


def _loop_history_lines(iterations: int = 200, runs: int = 2, window: int = 20) -> Iterator[str]:
    """CPU of completions 1-``window`` against the last ``window`` completions of a loop in one instance, with the
    compaction of finished iterations (engine/runtime/compaction.py) and, as the baseline in the same run, without it.

    The early and late completions are measured alternately, under the same load: an older instance is first
    taken through all but its last ``window`` iterations, then a new instance's first completion and the older
    one's next completion take turns. (Measured one after the other, a change in the machine's load between the
    start and the end of a loop moved the ratio by ±20 %.)"""
    import json

    from engine.db.runtime import Instance
    from engine.runtime import compaction

    def state_size(engine: Engine, instance_id: int) -> int:
        with engine.session_factory() as s:
            state = s.get(Instance, instance_id).state  # type: ignore[union-attr]
        return len(state if isinstance(state, str) else json.dumps(state))

    def one_pair(engine: Engine, subject: int, hr: int
                 ) -> tuple[list[tuple[float, float]], list[tuple[float, float]], int, int]:
        """Early and late completions, alternated; the stored state's size after completion 1 and ``iterations - 1``."""

        def complete(task_id: str, times: list[tuple[float, float]] | None) -> str:
            c0, t0 = time.process_time(), time.perf_counter()
            after = instances.complete_task(engine, subject, task_id, {})
            if times is not None:
                times.append((time.process_time() - c0, time.perf_counter() - t0))
            return after.ready_task_ids[0] if after.ready_task_ids else ""

        older = instances.start_instance(engine, "bench_loop", hr, subject, "2024")
        old = older.ready_task_ids[0]
        for _ in range(iterations - window):
            old = complete(old, None)
        newer = instances.start_instance(engine, "bench_loop", hr, subject, "2024")
        new_task = newer.ready_task_ids[0]
        early: list[tuple[float, float]] = []
        late: list[tuple[float, float]] = []
        size_1 = size_n = 0
        for k in range(window):
            new_task = complete(new_task, early)
            old = complete(old, late)
            if k == 0:
                size_1 = state_size(engine, newer.id)
            if k == window - 2:
                size_n = state_size(engine, older.id)
        return early, late, size_1, size_n

    saved = compaction.MIN_DROP
    figures: dict[str, tuple[float, float, float, float, int, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(f"sqlite:///{tmp}/loop.sqlite", extensions=extensions())
        engine.create_schema()
        deploy(engine, {"loop.bpmn": _loop_model(iterations)}, None)
        _boss, subjects, hr = _org(engine, 1)
        try:
            one_pair(engine, subjects[0], hr)  # warm up
            per_mode: dict[str, list[tuple[list[tuple[float, float]], list[tuple[float, float]], int, int]]] = {
                "compacted": [], "uncompacted": []}
            for _ in range(runs):  # interleaved, so both see the same machine
                for mode in per_mode:
                    compaction.MIN_DROP = saved if mode == "compacted" else 10**9
                    per_mode[mode].append(one_pair(engine, subjects[0], hr))
        finally:
            compaction.MIN_DROP = saved
            engine.dispose()
    for mode, results in per_mode.items():
        early = [t for pair in results for t in pair[0]]
        late = [t for pair in results for t in pair[1]]
        cpu = [statistics.median(t[0] for t in times) for times in (early, late)]
        wall = [statistics.median(t[1] for t in times) for times in (early, late)]
        figures[mode] = (cpu[0], cpu[1], wall[0], wall[1], results[0][2], results[0][3])
    for mode, (first, last, wall_1, wall_n, size_1, size_n) in figures.items():
        yield (f"loop in one instance, {mode:11}: completion 1-{window} {first * 1000:6.2f} ms CPU "
               f"({wall_1 * 1000:.2f} ms wall), {iterations - window + 1}-{iterations} {last * 1000:6.2f} ms CPU "
               f"({wall_n * 1000:.2f} ms wall); stored state {size_1 / 1024:.0f} KiB after completion 1, "
               f"{size_n / 1024:.0f} KiB at {iterations - 1}")
    first, last, *_ = figures["uncompacted"]
    yield f"history ratio within one instance ({iterations}-iteration loop), without compaction: {last / first:.2f}"
    first, last, *_ = figures["compacted"]
    yield f"history ratio within one instance ({iterations}-iteration loop): {last / first:.2f}"


def run_engine_bench(count: int = 200, history: int = 1000, samples: int = 60) -> Iterator[str]:
    """Yield the benchmark's report lines; the last one is the persisted/raw ratio."""
    from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

    files = read_folder(DEMO)
    info = parse_bundle(files).processes["demo_penilaian"]
    raw_engine = PythonScriptEngine()
    serializer = StateSerializer()
    _raw_run(info, raw_engine)  # warm up
    _stored_run(info, raw_engine, serializer)

    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(f"sqlite:///{tmp}/bench.sqlite", extensions=extensions())
        engine.create_schema()
        deploy(engine, files, None)
        boss, subjects, hr = _org(engine, 4)
        _persisted_run(engine, subjects[0], boss, hr)  # warm up (spec cache, statements)
        # Raw and persisted runs alternate in blocks, so that both see the same load on a shared machine.
        raw_done = done = stored_done = 0
        raw_seconds = persisted_seconds = raw_cpu = persisted_cpu = stored_seconds = stored_cpu = 0.0
        blocks = max(1, min(10, count))
        for block in range(blocks):
            share = count // blocks + (block < count % blocks)
            t0, c0 = time.perf_counter(), time.process_time()
            raw_done += sum(_raw_run(info, raw_engine) for _ in range(share))
            t1, c1 = time.perf_counter(), time.process_time()
            done += sum(_persisted_run(engine, subjects[0], boss, hr) for _ in range(share))
            t2, c2 = time.perf_counter(), time.process_time()
            stored_done += sum(_stored_run(info, raw_engine, serializer) for _ in range(share))
            raw_seconds, persisted_seconds = raw_seconds + t1 - t0, persisted_seconds + t2 - t1
            stored_seconds += time.perf_counter() - t2
            raw_cpu, persisted_cpu = raw_cpu + c1 - c0, persisted_cpu + c2 - c1
            stored_cpu += time.process_time() - c2
        raw_rate, persisted_rate = raw_done / raw_seconds, done / persisted_seconds
        stored_rate = stored_done / stored_seconds
        yield f"raw SpiffWorkflow in memory:      {raw_rate:9.0f} completions/s ({raw_done} completions)"
        yield (f"raw, state stored as JSON between steps: {stored_rate:9.0f} completions/s ({stored_done} completions;"
               f" ratio to raw {raw_rate / stored_rate:.2f}: the floor of any engine that stores SpiffWorkflow's state)")
        yield f"persisted services (SQLite file): {persisted_rate:9.0f} completions/s ({done} completions)"
        yield (f"ratio persisted/stored-state raw: {stored_rate / persisted_rate:.2f} (what our services add beyond "
               "storing the state: database, checks, audit, notifications, sandbox)")
        # CPU time of this process only (the sandbox processes' apart): steadier than the rates on a busy machine.
        yield (f"CPU per completion in this process: raw {raw_cpu / raw_done * 1000:.2f} ms, state stored "
               f"{stored_cpu / stored_done * 1000:.2f} ms, persisted {persisted_cpu / done * 1000:.2f} ms (ratios to "
               f"raw {stored_cpu / stored_done / (raw_cpu / raw_done):.2f} and "
               f"{persisted_cpu / done / (raw_cpu / raw_done):.2f})")

        for _ in range(10):
            _persisted_run(engine, subjects[1], boss, hr)
        for _ in range(history):
            _persisted_run(engine, subjects[2], boss, hr)
        small = _completion_cost(engine, subjects[1], samples, hr)
        large = _completion_cost(engine, subjects[2], samples, hr)
        statements, transactions = _statements_per_completion(engine, subjects[1], hr)
        with engine.session_factory() as s:
            instances_total = len(s.scalars(select(User.id)).all())  # touch the DB once more; cheap sanity
        assert instances_total
        engine.dispose()
    yield f"one completion, 10 instances behind the subject:    {small * 1000:6.2f} ms"
    yield f"one completion, {history} instances behind the subject: {large * 1000:6.2f} ms"
    yield f"ratio history {history}/10: {large / small:.2f}"
    yield (f"statements per completion (the service call; over HTTP see tests/webapp/test_hot_path.py): "
           f"{statements} in {transactions} transaction{'s' if transactions != 1 else ''}")
    yield from _loop_history_lines()
    yield from _sandbox_lines(count, samples, files)
    yield f"ratio persisted/raw: {raw_rate / persisted_rate:.2f}"
