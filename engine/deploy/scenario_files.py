"""Scenario test files of a bundle (``*.scenario.json``): read and check their shape (no database here).

A scenario is data a process owner can read and extend: who the subject is (a user of an organisation fixture the
application provides, or a small organisation written inline), the start data, for each user task expected to
become ready the data submitted and who submits it, clock moves for timers, and the expected end (the user tasks
passed in order, end data values, other instances started). ``engine.services.scenarios`` runs them; this module
only checks that a file is a well-formed scenario, so that deploy can name the file and the place of a mistake.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.errors import N_, Message, Problem

SUFFIX = ".scenario.json"
MAX_STEPS = 500
WAIT_UNITS = ("days", "hours", "minutes", "seconds", "weeks")
EXPECT_KEYS = {"status", "path", "data", "ready", "passed", "not_passed", "instances"}
STEP_KEYS = {"task": {"task", "by", "data", "expect", "subject", "process", "note"},
             "wait": {"wait", "note"},
             "start": {"start", "by", "subject", "period", "data", "note"},
             "check": {"check", "note"}}
TOP_KEYS = {"scenario", "description", "process", "organisation", "clock", "subject", "started_by", "period", "data",
            "steps", "expect"}


@dataclass
class Scenario:
    """One scenario as written in its file (user names, not ids; ``{user:NAME}`` placeholders not yet filled)."""

    filename: str
    title: str
    process: str
    organisation: Any  # a fixture name (str) or an inline organisation (dict)
    clock: datetime
    subject: str | None
    started_by: str | None
    period: str
    data: dict[str, Any]
    steps: list[dict[str, Any]]
    expect: dict[str, Any]
    description: str = ""
    tasks: set[str] = field(default_factory=set)  # the user task ids its steps name (checked against the models)


def is_scenario(filename: str) -> bool:
    return filename.endswith(SUFFIX)


def _problem(filename: str, text: str, **params: Any) -> Problem:
    return Problem(filename, Message("scenario.invalid", text, params))


def load(filename: str, content: bytes) -> tuple[Scenario | None, list[Problem]]:
    """Read one scenario file; return it, or None and every problem found."""
    try:
        raw = json.loads(content.decode("utf-8"))
    except UnicodeDecodeError:
        return None, [Problem(filename, Message("bundle.not_utf8", N_("the file is not UTF-8 text")))]
    except json.JSONDecodeError as exc:
        return None, [Problem(filename, Message("bundle.json", N_("the file is not valid JSON: %(detail)s"),
                                                {"detail": exc.msg}), line=exc.lineno, column=exc.colno)]
    if not isinstance(raw, dict):
        return None, [_problem(filename, N_("a scenario file must hold a JSON object"))]
    problems: list[Problem] = []
    unknown = sorted(set(raw) - TOP_KEYS)
    if unknown:
        problems.append(_problem(filename, N_("unknown key(s) %(keys)s; a scenario has %(known)s"),
                                 keys=", ".join(unknown), known=", ".join(sorted(TOP_KEYS))))
    for key in ("scenario", "process"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            problems.append(_problem(filename, N_("'%(key)s' must be a non-empty text"), key=key))
    organisation = raw.get("organisation", "")
    if not (isinstance(organisation, str) and organisation.strip()) and not isinstance(organisation, dict):
        problems.append(_problem(filename, N_(
            "'organisation' must name an organisation fixture (e.g. \"demo\") or describe one inline")))
    elif isinstance(organisation, dict):
        problems.extend(_check_inline(filename, organisation))
    clock = parse_when(raw.get("clock"))
    if clock is None:
        problems.append(_problem(filename, N_(
            "'clock' must be a date and time with its offset, e.g. \"2023-01-02T08:00:00+07:00\"")))
    for key in ("subject", "started_by", "period", "description"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            problems.append(_problem(filename, N_("'%(key)s' must be a text"), key=key))
    if not isinstance(raw.get("data", {}), dict):
        problems.append(_problem(filename, N_("'data' (the start data) must be an object")))
    steps = raw.get("steps", [])
    tasks: set[str] = set()
    if not isinstance(steps, list) or len(steps) > MAX_STEPS:
        problems.append(_problem(filename, N_("'steps' must be a list of at most %(most)s steps"), most=MAX_STEPS))
        steps = []
    for number, step in enumerate(steps, start=1):
        problems.extend(_check_step(filename, number, step, tasks))
    expect = raw.get("expect", {})
    if not isinstance(expect, dict):
        problems.append(_problem(filename, N_("'expect' must be an object")))
        expect = {}
    problems.extend(_check_expect(filename, expect))
    if problems:
        return None, problems
    assert clock is not None
    return Scenario(filename, raw["scenario"].strip(), raw["process"].strip(), organisation, clock,
                    raw.get("subject"), raw.get("started_by"), raw.get("period") or "", dict(raw.get("data") or {}),
                    steps, expect, raw.get("description") or "", tasks), []


def parse_when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def _check_step(filename: str, number: int, step: Any, tasks: set[str]) -> list[Problem]:
    if not isinstance(step, dict):
        return [_problem(filename, N_("step %(step)s must be an object"), step=number)]
    kinds = [k for k in STEP_KEYS if k in step]
    if len(kinds) != 1:
        return [_problem(filename, N_("step %(step)s must have exactly one of 'task', 'wait', 'start' or 'check'"),
                         step=number)]
    kind = kinds[0]
    problems = []
    unknown = sorted(set(step) - STEP_KEYS[kind])
    if unknown:
        problems.append(_problem(filename, N_("step %(step)s: unknown key(s) %(keys)s"), step=number,
                                 keys=", ".join(unknown)))
    if kind == "task":
        if not isinstance(step["task"], str) or not step["task"]:
            problems.append(_problem(filename, N_("step %(step)s: 'task' must name a user task"), step=number))
        else:
            tasks.add(step["task"])
        if not isinstance(step.get("by"), str) or not step["by"]:
            problems.append(_problem(filename, N_("step %(step)s: 'by' must name the user who completes the task"),
                                     step=number))
        for key in ("data", "expect"):
            if not isinstance(step.get(key, {}), dict):
                problems.append(_problem(filename, N_("step %(step)s: '%(key)s' must be an object"), step=number,
                                         key=key))
    elif kind == "wait":
        wait = step["wait"]
        ok = isinstance(wait, dict) and wait and all(
            (k in WAIT_UNITS and isinstance(v, int | float) and not isinstance(v, bool) and v >= 0)
            or (k == "until" and parse_when(v) is not None) for k, v in wait.items())
        if not ok:
            problems.append(_problem(filename, N_(
                "step %(step)s: 'wait' must be an object such as {\"days\": 14} (days, hours, minutes, weeks) or "
                "{\"until\": \"2023-02-01T00:00:00+07:00\"}"), step=number))
    elif kind == "check":
        if not isinstance(step["check"], dict):
            problems.append(_problem(filename, N_(
                "step %(step)s: 'check' must be an object like 'expect' (status, ready, data, path …)"), step=number))
        else:
            problems.extend(_check_expect(filename, step["check"]))
    else:
        if not isinstance(step["start"], str) or not step["start"]:
            problems.append(_problem(filename, N_("step %(step)s: 'start' must name a process"), step=number))
        if not isinstance(step.get("data", {}), dict):
            problems.append(_problem(filename, N_("step %(step)s: '%(key)s' must be an object"), step=number,
                                     key="data"))
    return problems


def _check_expect(filename: str, expect: dict[str, Any]) -> list[Problem]:
    problems = []
    unknown = sorted(set(expect) - EXPECT_KEYS)
    if unknown:
        problems.append(_problem(filename, N_("'expect': unknown key(s) %(keys)s; known are %(known)s"),
                                 keys=", ".join(unknown), known=", ".join(sorted(EXPECT_KEYS))))
    for key in ("path", "ready", "passed", "not_passed"):
        value = expect.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(_problem(filename, N_("'expect.%(key)s' must be a list of task or element ids"),
                                     key=key))
    if not isinstance(expect.get("data", {}), dict):
        problems.append(_problem(filename, N_("'expect.%(key)s' must be an object"), key="data"))
    if "status" in expect and not isinstance(expect["status"], str):
        problems.append(_problem(filename, N_("'expect.status' must be a text such as \"completed\"")))
    instances = expect.get("instances", [])
    if not isinstance(instances, list) or not all(isinstance(i, dict) and isinstance(i.get("process"), str)
                                                  for i in instances):
        problems.append(_problem(filename, N_(
            "'expect.instances' must be a list of objects, each naming a 'process'")))
    return problems


def _check_inline(filename: str, organisation: dict[str, Any]) -> list[Problem]:
    units = organisation.get("units", [])
    positions = organisation.get("positions", [])
    groups = organisation.get("groups", {})
    ok = (isinstance(units, list) and all(isinstance(u, dict) and isinstance(u.get("code"), str) for u in units)
          and isinstance(positions, list)
          and all(isinstance(p, dict) and isinstance(p.get("code"), str) and isinstance(p.get("unit"), str)
                  and isinstance(p.get("user"), str) for p in positions)
          and isinstance(groups, dict) and all(isinstance(v, list) for v in groups.values())
          and all(isinstance(u, str) for u in organisation.get("users", [])))
    if ok:
        return []
    return [_problem(filename, N_(
        "an inline organisation has 'units' [{code, name, parent}], 'positions' [{code, title, unit, parent, user, "
        "name}], optional 'users' [names without a position] and 'groups' {group: [user, ...]}"))]
