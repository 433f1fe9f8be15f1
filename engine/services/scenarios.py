"""Run a bundle's scenario tests (``*.scenario.json``, see ``engine.deploy.scenario_files``) in a throwaway database.

How a run goes:

1. A temporary SQLite file gets the schema, then the *context* — the latest deployment of every other bundle (the
   rule tables and called processes the bundle uses; by default those of this engine's database) — then the
   bundle itself. Every decision a scenario's instances pin is therefore the one they would pin after the deploy.
2. Each organisation the scenarios name is loaded once into a copy of that file: a fixture the application gives
   through ``Extension.organisations`` (``"demo"`` in SMK Workflow), or a small organisation written inline.
3. Each scenario runs in its own copy (nothing one scenario does is seen by another) on an engine built with this
   engine's extensions, so the same script functions, service operations, lanes and pinned DMN tables apply,
   with a clock that only moves when a step says so. Every step goes through the engine's services, as a user's
   would: the user a step names must be allowed to act on the task, the data must pass its form.
4. The result per scenario: passed, or the failing step (or the expected end) and the values that differed.

The temporary files are deleted afterwards; nothing is written to this engine's database.
"""

from __future__ import annotations

import hashlib
import math
import re
import shutil
import sqlite3
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select

from engine.access import is_group_task
from engine.core import Engine
from engine.db.audit import AuditEvent
from engine.db.deploy import Deployment, DeploymentFile
from engine.db.org import Position, Unit, User
from engine.db.runtime import Instance, TaskIndex
from engine.deploy.scenario_files import Scenario, is_scenario, load, parse_when
from engine.errors import N_, DeploymentInvalid, EngineError, Message, Problem
from engine.runtime.clock import FixedClock
from engine.runtime.compaction import completed_elements
from engine.services import instances
from engine.services.bundle_store import latest_version, read_folder, store_bundle
from engine.services.deferred import start_all_deferred
from engine.services.org import add_to_group
from engine.services.worker import run_engine_jobs

MISSING = "(—)"  # shown for a value the instance does not have
MAX_TIMER_PASSES = 200


@dataclass
class Difference:
    """One value that differed: where (a data key, ``path``, ``status``…), what the scenario expected, what came."""

    what: str
    expected: Any
    actual: Any


@dataclass
class ScenarioResult:
    filename: str
    title: str
    process: str
    passed: bool
    step: int | None = None  # the failing step (1-based); 0 = starting the process; None = the expected end
    where: str = ""  # the failing step as the file says it ("nilai_c by dewi", "wait 15 days", "the expected end")
    task: str | None = None  # the user task the failing step names
    message: Message | None = None
    differences: list[Difference] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class ScenarioReport:
    """Every scenario's result; ``problems`` when the bundle could not be set up for running them at all."""

    results: list[ScenarioResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems and all(r.passed for r in self.results)

    @property
    def failed(self) -> list[ScenarioResult]:
        return [r for r in self.results if not r.passed]

    def as_problems(self) -> list[Problem]:
        """The failures as deploy problems: one per failed scenario, naming it, the step and what differed."""
        return list(self.problems) + [failure_problem(r) for r in self.failed]


def failure_problem(result: ScenarioResult) -> Problem:
    detail = result.message or Message("scenario.values_differ", N_("values differ"))
    if result.differences:
        detail = Message("scenario.values_differ", N_("values differ (expected → got): %(values)s"),
                         {"values": differences_text(result.differences)})
    return Problem(result.filename, Message("scenario.failed", N_(
        "scenario '%(scenario)s' failed at %(where)s: %(detail)s"),
        {"scenario": result.title, "where": where_message(result), "detail": detail}), element_id=result.task)


def where_message(result: ScenarioResult) -> Message:
    if result.step is None:
        return Message("scenario.where_end", N_("the expected end"))
    if result.step == 0:
        return Message("scenario.where_start", N_("the start of the process"))
    return Message("scenario.where_step", N_("step %(step)s (%(what)s)"), {"step": result.step, "what": result.where})


def show(value: Any) -> str:
    """A value as a scenario file writes it (JSON-like), short enough for a message."""
    import json

    text = value if value is MISSING else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 300 else text[:297] + "..."


def differences_text(differences: list[Difference]) -> str:
    return "; ".join(f"{d.what}: {show(d.expected)} → {show(d.actual)}" for d in differences)


class StepFailed(Exception):
    def __init__(self, message: Message, differences: list[Difference] | None = None):
        super().__init__(message.render())
        self.msg, self.differences = message, differences or []


# --- comparing expected values ------------------------------------------------------------------------------------

def match(expected: Any, actual: Any, where: str = "") -> list[Difference]:
    """Compare what a scenario expects with what came: objects by the keys the scenario names (other keys may be
    there too), lists element by element, numbers as numbers; ``{"$contains": "text"}`` matches a text holding it."""
    if isinstance(expected, dict) and set(expected) == {"$contains"}:
        if isinstance(actual, str) and str(expected["$contains"]) in actual:
            return []
        return [Difference(where or "(value)", expected, actual)]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [Difference(where or "(value)", expected, actual)]
        out = []
        for key, value in expected.items():
            sub = f"{where}.{key}" if where else str(key)
            if key not in actual:
                out.append(Difference(sub, value, MISSING))
            else:
                out.extend(match(value, actual[key], sub))
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [Difference(where or "(value)", expected, actual)]
        return [d for i, (e, a) in enumerate(zip(expected, actual, strict=True)) for d in match(e, a, f"{where}[{i}]")]
    if isinstance(expected, bool) or isinstance(actual, bool) or expected is None or actual is None:
        return [] if expected is actual or (type(expected) is type(actual) and expected == actual) else \
            [Difference(where or "(value)", expected, actual)]
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return [] if math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-9) else \
            [Difference(where or "(value)", expected, actual)]
    return [] if expected == actual else [Difference(where or "(value)", expected, actual)]


_USER = re.compile(r"\{user:([^{}]+)\}")


def fill(value: Any, users: Mapping[str, int]) -> Any:
    """Replace ``{user:NAME}`` by that user's id (a whole value becomes the number, inside a text the digits)."""
    if isinstance(value, str):
        whole = _USER.fullmatch(value)
        if whole:
            return _user(users, whole.group(1))
        return _USER.sub(lambda m: str(_user(users, m.group(1))), value)
    if isinstance(value, dict):
        return {k: fill(v, users) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, users) for v in value]
    return value


def _user(users: Mapping[str, int], name: str) -> int:
    if name not in users:
        raise StepFailed(Message("scenario.unknown_user", N_("the organisation has no user '%(user)s'"),
                                 {"user": name}))
    return users[name]


# --- the throwaway databases --------------------------------------------------------------------------------------

Organisations = Mapping[str, Callable[[Engine], Any]]


def organisation_fixtures(engine: Engine) -> dict[str, Callable[[Engine], Any]]:
    """The organisation fixtures the engine's extensions give (name -> loader)."""
    found: dict[str, Callable[[Engine], Any]] = {}
    for ext in engine.extensions:
        found.update(getattr(ext, "organisations", None) or {})
    return found


def context_from(engine: Engine, exclude_name: str = "") -> list[tuple[str, dict[str, bytes]]]:
    """The latest deployment of every bundle name but ``exclude_name``, oldest first: (name, its own files)."""
    with engine.session_factory() as session:
        latest = select(func.max(Deployment.id)).group_by(Deployment.name)
        rows = session.execute(select(Deployment.id, Deployment.name).where(Deployment.id.in_(latest))
                               .order_by(Deployment.id)).all()
        out = []
        for dep_id, name in rows:
            if name == exclude_name:
                continue
            files = {f.filename: f.content for f in session.scalars(select(DeploymentFile).where(
                DeploymentFile.deployment_id == dep_id, DeploymentFile.included.is_(False)))}
            out.append((name, files))
        return out


def _fold(path: Path) -> None:
    """Fold SQLite's write-ahead log into the file, so that copying the file copies the whole database."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")


@contextmanager
def _engine(engine: Engine, path: Path, clock: FixedClock | None = None) -> Iterator[Engine]:
    scratch = Engine(f"sqlite:///{path}", clock=clock or FixedClock(), extensions=engine.extensions,
                     isolate=engine.runtime.pool is not None)
    try:
        yield scratch
    finally:
        scratch.dispose()


_MIGRATED: dict[str, Path] = {}  # one migrated empty database per process, copied for every run
_MIGRATED_LOCK = threading.Lock()


def _migrated(engine: Engine) -> Path:
    """An empty database at the schema's head (migrated once per process, then copied: 1-2 s saved per run)."""
    with _MIGRATED_LOCK:
        path = _MIGRATED.get("head")
        if path is None or not path.exists():
            path = Path(tempfile.mkdtemp(prefix="smk-scenarios-schema-")) / "empty.sqlite"
            with _engine(engine, path) as scratch:
                scratch.create_schema()
            _fold(path)
            _MIGRATED["head"] = path
        return path


def load_inline(engine: Engine, organisation: Mapping[str, Any]) -> None:
    """Load a small organisation written in a scenario: units, positions with their holders, users, groups."""
    with engine.session_factory.begin() as session:
        units: dict[str, Unit] = {}
        for u in organisation.get("units", []):
            parent = units.get(u.get("parent") or "")
            units[u["code"]] = Unit(code=u["code"], name=u.get("name") or u["code"],
                                    parent_id=parent.id if parent else None)
            session.add(units[u["code"]])
            session.flush()
        positions: dict[str, Position] = {}
        users: dict[str, User] = {}
        for p in organisation.get("positions", []):
            if p["unit"] not in units:
                raise StepFailed(Message("scenario.unknown_unit", N_(
                    "the position '%(position)s' names the unit '%(unit)s', which the organisation lacks"),
                    {"position": p["code"], "unit": p["unit"]}))
            parent_pos = positions.get(p.get("parent") or "")
            positions[p["code"]] = Position(code=p["code"], title=p.get("title") or p["code"],
                                            unit_id=units[p["unit"]].id, parent_id=parent_pos.id if parent_pos else None,
                                            jenis=p.get("jenis") or "JA", jenjang=p.get("jenjang") or "")
            session.add(positions[p["code"]])
            session.flush()
            users[p["user"]] = User(username=p["user"], full_name=p.get("name") or p["user"],
                                    position_id=positions[p["code"]].id, status=p.get("status") or "")
            session.add(users[p["user"]])
        for name in organisation.get("users", []):
            users.setdefault(name, User(username=name, full_name=name))
            session.add(users[name])
        session.flush()
        for group, members in organisation.get("groups", {}).items():
            for member in members:
                if member not in users:
                    raise StepFailed(Message("scenario.unknown_user", N_("the organisation has no user '%(user)s'"),
                                             {"user": member}))
                add_to_group(session, users[member], group)


# --- running ------------------------------------------------------------------------------------------------------

def run_bundle(engine: Engine, files: Mapping[str, bytes], name: str = "",
               context: list[tuple[str, dict[str, bytes]]] | None = None, process: str | None = None,
               only: set[str] | None = None) -> ScenarioReport:
    """Run the scenarios of a bundle (all, those of one ``process``, or the files named in ``only``).

    ``context`` is what the throwaway database holds before the bundle (see the module docstring); by default the
    latest deployment of every other bundle of this engine's database. Raise DeploymentInvalid when the bundle
    itself does not pass the deploy checks: its problems are the report's.

    The runs are deterministic (a clock that moves only when told, the same files), so the report of a run whose
    inputs are byte for byte the same as a recent one in this process is that one's: "Run scenarios" in the
    workspace followed by Deploy of the same draft runs them once.
    """
    context = context_from(engine, name) if context is None else context
    key = _run_key(engine, files, context, process, only)
    with _RESULTS_LOCK:
        if key in _RESULTS:
            _RESULTS.move_to_end(key)
            return _RESULTS[key]
    report = _run_bundle(engine, files, context, name, process, only)
    with _RESULTS_LOCK:
        _RESULTS[key] = report
        while len(_RESULTS) > 16:
            _RESULTS.popitem(last=False)
    return report


_RESULTS: OrderedDict[str, ScenarioReport] = OrderedDict()  # recent reports by the hash of their inputs
_RESULTS_LOCK = threading.Lock()


def _run_key(engine: Engine, files: Mapping[str, bytes], context: list[tuple[str, dict[str, bytes]]],
             process: str | None, only: set[str] | None) -> str:
    digest = hashlib.sha256()
    for part in ([f"{e.name}:{e.functions_module}:{e.decision_tables}" for e in engine.extensions]
                 + [repr(process), repr(sorted(only) if only is not None else None)]):
        digest.update(part.encode() + b"\0")
    for label, bundle in [("bundle", dict(files)), *context]:
        digest.update(label.encode() + b"\0")
        for filename in sorted(bundle):
            digest.update(filename.encode() + b"\0" + hashlib.sha256(bundle[filename]).digest())
    return digest.hexdigest()


def _run_bundle(engine: Engine, files: Mapping[str, bytes], context: list[tuple[str, dict[str, bytes]]], name: str,
                process: str | None, only: set[str] | None) -> ScenarioReport:
    started = time.perf_counter()
    report = ScenarioReport()
    chosen = []
    for filename in sorted(f for f in files if is_scenario(f) and (only is None or f in only)):
        scenario, problems = load(filename, files[filename])
        report.problems.extend(problems)
        if scenario is not None and (process is None or scenario.process == process):
            chosen.append(scenario)
    if not chosen or report.problems:
        return report
    fixtures = organisation_fixtures(engine)
    with tempfile.TemporaryDirectory(prefix="smk-scenarios-") as tmp:
        base = Path(tmp) / "bundle.sqlite"
        shutil.copyfile(_migrated(engine), base)
        with _engine(engine, base) as scratch:
            # A bundle may call another deployed after it: retry until nothing more deploys. One that never does
            # is left out; what the scenarios' bundle misses because of it is reported when it is stored below.
            pending = list(context)
            while pending:
                left = []
                for context_name, context_files in pending:
                    try:
                        store_bundle(scratch, context_files, None, name=context_name)
                    except DeploymentInvalid:
                        left.append((context_name, context_files))
                if len(left) == len(pending):
                    break
                pending = left
            try:
                store_bundle(scratch, files, None, name=name or "scenarios")
            except DeploymentInvalid as exc:
                report.problems.extend(exc.problems)
            specs = scratch.specs
        if report.problems:
            report.seconds = time.perf_counter() - started
            return report
        _fold(base)
        organisations: dict[str, Path] = {}
        for scenario in chosen:
            report.results.append(_run_one(engine, scenario, base, organisations, fixtures, specs, Path(tmp)))
    report.seconds = time.perf_counter() - started
    return report


def _organisation(engine: Engine, scenario: Scenario, base: Path, organisations: dict[str, Path],
                  fixtures: Organisations, specs: Any, tmp: Path) -> Path:
    import json

    key = scenario.organisation if isinstance(scenario.organisation, str) else \
        json.dumps(scenario.organisation, sort_keys=True)
    if key in organisations:
        return organisations[key]
    path = tmp / f"org-{len(organisations)}.sqlite"
    shutil.copyfile(base, path)
    with _engine(engine, path) as scratch:
        scratch.specs = specs
        if isinstance(scenario.organisation, str):
            loader = fixtures.get(scenario.organisation)
            if loader is None:
                raise StepFailed(Message("scenario.unknown_organisation", N_(
                    "no organisation fixture '%(name)s' (known: %(known)s)"),
                    {"name": scenario.organisation, "known": ", ".join(sorted(fixtures)) or "-"}))
            loader(scratch)
        else:
            load_inline(scratch, scenario.organisation)
    _fold(path)
    organisations[key] = path
    return path


def _run_one(engine: Engine, scenario: Scenario, base: Path, organisations: dict[str, Path],
             fixtures: Organisations, specs: Any, tmp: Path) -> ScenarioResult:
    started = time.perf_counter()
    result = ScenarioResult(scenario.filename, scenario.title, scenario.process, passed=False, step=0)
    try:
        org_path = _organisation(engine, scenario, base, organisations, fixtures, specs, tmp)
        path = tmp / f"run-{len(list(tmp.glob('run-*')))}.sqlite"
        shutil.copyfile(org_path, path)
        clock = FixedClock(scenario.clock.astimezone(UTC))
        with _engine(engine, path, clock) as scratch:
            scratch.specs = specs
            _Run(scratch, clock, scenario, result).run()
        result.passed = True
        result.step, result.where, result.task = None, "", None
    except StepFailed as failed:
        result.message, result.differences = failed.msg, failed.differences
    except Exception as exc:  # a model or a scenario the engine cannot run: a failed scenario, never a crash
        result.message = Message("scenario.crashed", N_("the scenario could not run: %(detail)s"),
                                 {"detail": f"{type(exc).__name__}: {exc}"[:500]})
    result.seconds = time.perf_counter() - started
    return result


class _Run:
    def __init__(self, engine: Engine, clock: FixedClock, scenario: Scenario, result: ScenarioResult):
        self.engine, self.clock, self.scenario, self.result = engine, clock, scenario, result
        with engine.session_factory() as session:
            self.users = {u.username: u.id for u in session.scalars(select(User))}
        self.subject = self._id(scenario.subject)
        self.main_id: int | None = None

    def _id(self, name: str | None) -> int | None:
        return _user(self.users, name) if name else None

    def run(self) -> None:
        s = self.scenario
        self.result.where = "start"
        starter = self._id(s.started_by) or self.subject
        try:
            started = instances.start_instance(self.engine, s.process, starter, self.subject, s.period,
                                               fill(s.data, self.users))
        except EngineError as exc:
            raise StepFailed(exc.msg) from exc
        self.main_id = started.id
        self._check_not_errored(started.id)
        for number, step in enumerate(s.steps, start=1):
            self.result.step = number
            if "task" in step:
                self._task(step)
            elif "wait" in step:
                self._wait(step)
            elif "check" in step:
                self.result.where, self.result.task = "check", None
                self._compare(fill(step["check"], self.users))
            else:
                self._start(step)
        self.result.step, self.result.where, self.result.task = None, "", None
        self._expect_end()

    def _check_not_errored(self, instance_id: int) -> None:
        with self.engine.session_factory() as session:
            inst = session.get(Instance, instance_id)
            if inst is not None and inst.status == "error":
                raise StepFailed(Message("scenario.errored", N_(
                    "the process stopped with an error at %(task)s: %(detail)s"),
                    {"task": inst.error_task or "?", "detail": inst.error_message or ""}))

    def _open(self, name: str | None = None, subject: int | None = None, process: str | None = None,
              instance_id: int | None = None, any_subject: bool = False) -> list[TaskIndex]:
        with self.engine.session_factory() as session:
            q = select(TaskIndex).where(TaskIndex.closed_at.is_(None))
            if name:
                q = q.where(TaskIndex.task_name == name)
            if instance_id is not None:
                q = q.where(TaskIndex.instance_id == instance_id)
            elif not any_subject:
                q = q.where(TaskIndex.subject_id == subject if subject is not None else TaskIndex.subject_id.is_(None))
            if process:
                q = q.where(TaskIndex.process_id == process)
            return list(session.scalars(q.order_by(TaskIndex.ready_at, TaskIndex.id)))

    def _task(self, step: dict[str, Any]) -> None:
        name, by_name = step["task"], step["by"]
        self.result.where, self.result.task = f"{name} — {by_name}", name
        subject = self._id(step.get("subject")) if step.get("subject") else self.subject
        found = self._open(name, subject, step.get("process"))
        if not found:
            ready = sorted({f"{t.task_name} ({t.subject_id})" if t.subject_id != subject else t.task_name
                            for t in self._open(any_subject=True)})
            raise StepFailed(Message("scenario.not_ready", N_(
                "the task '%(task)s' is not ready; ready now: %(ready)s"),
                {"task": name, "ready": ", ".join(ready) or "-"}))
        if len(found) > 1:
            raise StepFailed(Message("scenario.ambiguous", N_(
                "%(count)s tasks '%(task)s' are ready for this subject; name the process of the one meant"),
                {"count": len(found), "task": name}))
        row = found[0]
        by = _user(self.users, by_name)
        try:
            if is_group_task(row) and row.assignee_id is None:
                instances.claim_task(self.engine, by, row.id)
            view = instances.get_task(self.engine, by, row.id)
        except EngineError as exc:
            raise StepFailed(Message("scenario.may_not_act", N_("%(user)s may not act on '%(task)s': %(detail)s"),
                                     {"user": by_name, "task": name, "detail": exc.msg})) from exc
        differences = match(fill(step.get("expect") or {}, self.users), view.data)
        if differences:
            raise StepFailed(Message("scenario.values_differ", N_("values differ")), differences)
        try:
            instances.complete_task(self.engine, by, row.id, fill(step.get("data") or {}, self.users))
            # Cases the step asked the worker to start (start_process with bertahap) are started now, as a running
            # worker starts them within seconds; timers and kept messages wait for a "wait" step.
            start_all_deferred(self.engine)
        except EngineError as exc:
            raise StepFailed(exc.msg) from exc
        self._check_not_errored(row.instance_id)

    def _wait(self, step: dict[str, Any]) -> None:
        wait = dict(step["wait"])
        until = wait.pop("until", None)
        self.result.where = "wait " + ", ".join(f"{v} {k}" for k, v in wait.items()) if wait else f"wait until {until}"
        self.result.task = None
        if until:
            target = parse_when(until)
            assert target is not None
            if target > self.clock.now():
                self.clock.set(target.astimezone(UTC))
        if wait:
            self.clock.advance(**wait)
        # A polling worker comes a moment after a timer falls due (SpiffWorkflow fires a timer once its time passed),
        # and delivers the kept messages whose instance now waits for them, as the worker's jobs do.
        self.clock.advance(seconds=1)
        try:
            run_engine_jobs(self.engine, MAX_TIMER_PASSES)
        except EngineError as exc:
            raise StepFailed(exc.msg) from exc
        if self.main_id is not None:
            self._check_not_errored(self.main_id)

    def _start(self, step: dict[str, Any]) -> None:
        self.result.where, self.result.task = f"start {step['start']}", None
        subject = self._id(step.get("subject")) if step.get("subject") else self.subject
        by = self._id(step.get("by")) or subject
        try:
            started = instances.start_instance(self.engine, step["start"], by, subject,
                                               step.get("period", self.scenario.period),
                                               fill(step.get("data") or {}, self.users))
        except EngineError as exc:
            raise StepFailed(exc.msg) from exc
        self._check_not_errored(started.id)

    # --- the expected end -----------------------------------------------------------------------------------------

    def _expect_end(self) -> None:
        self._compare(fill(self.scenario.expect, self.users))

    def _compare(self, expect: dict[str, Any]) -> None:
        """Compare the main instance (and the instances named) with what the scenario expects at this point."""
        assert self.main_id is not None
        differences: list[Difference] = []
        with self.engine.session_factory() as session:
            inst = session.get(Instance, self.main_id)
            assert inst is not None
            if "status" in expect and inst.status != expect["status"]:
                differences.append(Difference("status", expect["status"], inst.status))
            if "path" in expect:
                path = [e.task_name for e in session.scalars(select(AuditEvent).where(
                    AuditEvent.instance_id == inst.id, AuditEvent.kind == "task.ready").order_by(AuditEvent.id))]
                if path != expect["path"]:
                    differences.append(Difference("path", expect["path"], path))
            if "ready" in expect:
                ready = [t.task_name for t in self._open(instance_id=inst.id)]
                if sorted(ready) != sorted(expect["ready"]):
                    differences.append(Difference("ready", expect["ready"], ready))
            data, passed = self._final(session, inst)
            if "data" in expect:
                differences.extend(match(expect["data"], data))
            for key, want in (("passed", True), ("not_passed", False)):
                wrong = [e for e in expect.get(key, []) if (e in passed) != want]
                if wrong:
                    differences.append(Difference(key, wrong, [e for e in wrong if e in passed]))
            for n, spec in enumerate(expect.get("instances", [])):
                differences.extend(self._expect_instances(session, n, spec))
        if differences:
            raise StepFailed(Message("scenario.values_differ", N_("values differ")), differences)

    def _final(self, session: Any, inst: Instance) -> tuple[dict[str, Any], set[str]]:
        """The instance's data (the workflow's when completed, else its newest completed task's) and every
        element it passed."""
        bundle = self.engine.specs.for_version(session, inst.process_version_id)
        workflow = self.engine.runtime.load(inst, bundle)
        passed = completed_elements(workflow, subprocesses=True)  # with what compaction moved out of the state
        if workflow.is_completed():
            return dict(workflow.data), passed
        last = max((t for t in workflow.tasks.values() if t.state == TaskState.COMPLETED),
                   key=lambda t: t.last_state_change, default=None)
        data = dict(workflow.data)
        if last is not None:
            data.update(last.data)
        return data, passed

    def _expect_instances(self, session: Any, n: int, spec: dict[str, Any]) -> list[Difference]:
        subject = self._id(spec["subject"]) if isinstance(spec.get("subject"), str) else self.subject
        period = spec.get("period", self.scenario.period)
        found = list(session.scalars(select(Instance).where(
            Instance.process_id == spec["process"], Instance.subject_id == subject if subject is not None
            else Instance.subject_id.is_(None), Instance.period == period).order_by(Instance.id)))
        label = f"instances[{n}] {spec['process']}"
        if "count" in spec:
            if len(found) != spec["count"]:
                return [Difference(f"{label} count", spec["count"], len(found))]
        elif not found:
            return [Difference(label, "started", MISSING)]
        if not found:
            return []
        last = found[-1]
        out = []
        if "status" in spec and last.status != spec["status"]:
            out.append(Difference(f"{label} status", spec["status"], last.status))
        if "data" in spec:
            data, _ = self._final(session, last)
            out.extend(Difference(f"{label} {d.what}", d.expected, d.actual) for d in match(spec["data"], data))
        return out


# --- entry points for the command line and the pages -------------------------------------------------------------

def folder_context(root: Path, bundle: Path) -> list[tuple[str, dict[str, bytes]]]:
    """The other bundle folders beside ``bundle`` under ``root`` (e.g. ``bpmn/rules`` for ``bpmn/smk``), in the
    order ``smk init`` deploys them: what a built-in bundle's scenarios run against, whatever the database holds."""
    folders = sorted((p for p in root.iterdir() if p.is_dir() and p.resolve() != bundle.resolve()
                      and (any(p.glob("*.bpmn")) or any(p.glob("*.dmn")))), key=lambda p: (p.name != "rules", p.name))
    return [(f"bpmn/{p.name}", read_folder(p)) for p in folders]


def run_deployed_process(engine: Engine, process_id: str) -> ScenarioReport:
    """Run the scenarios of the latest deployment that holds ``process_id`` (those that start that process)."""
    with engine.session_factory() as session:
        version = latest_version(session, process_id)  # NotFound when never deployed
        deployment = session.get(Deployment, version.deployment_id)
        assert deployment is not None
        files = {f.filename: f.content for f in session.scalars(select(DeploymentFile).where(
            DeploymentFile.deployment_id == deployment.id, DeploymentFile.included.is_(False)))}
        name = deployment.name
    return run_bundle(engine, files, name=name, process=process_id)


def report_text(report: ScenarioReport) -> str:
    """The report as the command line prints it (English)."""
    lines = [str(p) for p in report.problems]
    for r in report.results:
        if r.passed:
            lines.append(f"PASS  {r.filename}: {r.title} ({r.seconds:.1f} s)")
            continue
        lines.append(f"FAIL  {r.filename}: {r.title} ({r.seconds:.1f} s)")
        lines.append(f"      at {where_message(r)}: {r.message or ''}")
        lines.extend(f"      {d.what}: expected {show(d.expected)}, got {show(d.actual)}" for d in r.differences)
    passed = sum(r.passed for r in report.results)
    lines.append(f"{passed} of {len(report.results)} scenarios passed"
                 + (f", {len(report.problems)} problems" if report.problems else "") + f" ({report.seconds:.1f} s)")
    return "\n".join(lines)


def message_data(message: Message) -> dict[str, Any]:
    """A message as JSON data (kept in an audit event), so that a page can translate it later."""
    return {"code": message.code, "text": message.text,
            "params": {k: message_data(v) if isinstance(v, Message) else v for k, v in message.params.items()}}


def message_from(data: Any) -> Message | None:
    """The message ``message_data`` kept (None when the data is not one)."""
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        return None
    params = {k: message_from(v) or v if isinstance(v, dict) else v for k, v in (data.get("params") or {}).items()}
    return Message(str(data.get("code") or ""), data["text"], params)


@dataclass
class DeploymentScenarios:
    """What a deployment's audit event says about its scenario tests (shown on the deployment page)."""

    passed: int
    failed: int
    seconds: float
    override_reason: str | None
    override_by: str | None
    failures: list[str]  # in English, as the audit trail shows them
    messages: list[tuple[str, Message]] = field(default_factory=list)  # (file, message) for a page to translate


def deployment_record(engine: Engine, deployment_id: int) -> DeploymentScenarios | None:
    """The scenario tests run when the deployment was made: how many passed, and an administrator's override (the
    reason and the failures they accepted); None when it was deployed without running any."""
    with engine.session_factory() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.kind == "deployment.created",
                                                         AuditEvent.deployment_id == deployment_id)).first()
        tested = (event.data or {}).get("scenarios") if event is not None else None
        if event is None or not isinstance(tested, dict):
            return None
        override = tested.get("override") or {}
        failed = [(str(m.get("file") or ""), message) for m in override.get("messages") or []
                  if isinstance(m, dict) and (message := message_from(m.get("message"))) is not None]
        return DeploymentScenarios(int(tested.get("passed") or 0), int(tested.get("failed") or 0),
                                   float(tested.get("seconds") or 0), override.get("reason"),
                                   event.actor if override else None, list(override.get("failures") or []), failed)
