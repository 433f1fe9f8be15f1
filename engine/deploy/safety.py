"""Deploy-time checks for what would hang the engine or reach outside it once it runs.

- call activities that call back into themselves (a process calling itself, A calling B calling A), also through
  processes deployed earlier that the bundle's ``calledElement`` references resolve to;
- timers further ahead than the horizon (``SMK_TIMER_HORIZON_YEARS``): SpiffWorkflow computes a duration month
  by month, so ``P99999999999Y`` would keep a worker busy for hours. Constant timer expressions are evaluated
  here in the sandbox; :func:`duration_problem` is also what the runtime checks a computed duration with;
- form schemas: a ``$ref`` that is not local (``#…``) would make jsonschema fetch a URL or read a file at every
  submission; a ``pattern`` must compile in RE2, a linear-time engine, because the form validator matches with it.
"""

from __future__ import annotations

import ast
import inspect
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import re2
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.errors import N_, Message, Problem
from engine.limits import current as current_limits
from engine.sandbox import SandboxedEnvironment

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {"bpmn": BPMN}

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


def bundle_problems(trees: Mapping[str, Any], included: set[str], forms: Mapping[str, Any],
                    files: Mapping[str, bytes]) -> list[Problem]:
    """Every check of this module over a parsed bundle (the horizon from SMK_TIMER_HORIZON_YEARS)."""
    return [*call_cycle_problems(trees, included),
            *timer_problems(trees, included, current_limits().timer_horizon_years),
            *form_problems(forms, files)]


# -- call activity cycles -------------------------------------------------------------------------------

def call_cycle_problems(trees: Mapping[str, Any], included: set[str]) -> list[Problem]:
    """Return a problem for each call activity of the bundle that starts a chain of calls leading back to its
    own process (or into such a cycle among processes deployed earlier)."""
    edges: dict[str, list[tuple[str, str, Any]]] = {}  # caller process -> [(called process, file, element)]
    for name, root in trees.items():
        if not name.endswith(".bpmn"):
            continue
        for process in root.xpath("//bpmn:process[@id]", namespaces=NS):
            calls = edges.setdefault(process.get("id"), [])
            for call in process.xpath(".//bpmn:callActivity[@calledElement]", namespaces=NS):
                calls.append((call.get("calledElement"), name, call))
    cyclic = _cyclic_components(edges)
    in_cycle = {node: comp for comp in cyclic for node in comp}
    reaches_cycle = _reaching(edges, set(in_cycle))
    problems = []
    for caller, calls in sorted(edges.items()):
        for called, filename, element in calls:
            if filename in included:
                continue
            if called == caller:
                problems.append(Problem(filename, Message("bundle.call_self", N_(
                    "the call activity calls its own process '%(caller)s'; such a process never ends"),
                    {"caller": caller}), element_id=element.get("id"), line=element.sourceline))
            elif caller in in_cycle and called in in_cycle[caller]:
                path = [caller, *_path(edges, called, caller, in_cycle[caller])]
                chain = " → ".join(path)
                problems.append(Problem(filename, Message("bundle.call_cycle", N_(
                    "the call activity calls '%(called)s', which calls '%(caller)s' again (cycle: %(chain)s); "
                    "such a process never ends"), {"called": called, "caller": caller, "chain": chain}),
                    element_id=element.get("id"), line=element.sourceline))
            elif called in reaches_cycle:
                problems.append(Problem(filename, Message("bundle.call_cycle_reached", N_(
                    "the called process '%(called)s' leads into a cycle of call activities; such a process "
                    "never ends"), {"called": called}), element_id=element.get("id"), line=element.sourceline))
    return problems


def _cyclic_components(edges: Mapping[str, list[tuple[str, str, Any]]]) -> list[set[str]]:
    """Return the strongly connected components that hold a cycle (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter([c for c, _, _ in edges.get(start, [])]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter([c for c, _, _ in edges.get(child, [])])))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    self_call = any(c == node for c, _, _ in edges.get(node, []))
                    if len(component) > 1 or self_call:
                        found.append(component)
    return found


def _reaching(edges: Mapping[str, list[tuple[str, str, Any]]], targets: set[str]) -> set[str]:
    """Return every process from which a chain of calls reaches one of ``targets`` (``targets`` included)."""
    callers: dict[str, set[str]] = {}
    for caller, calls in edges.items():
        for called, _, _ in calls:
            callers.setdefault(called, set()).add(caller)
    seen, todo = set(targets), list(targets)
    while todo:
        for caller in callers.get(todo.pop(), ()):
            if caller not in seen:
                seen.add(caller)
                todo.append(caller)
    return seen


def _path(edges: Mapping[str, list[tuple[str, str, Any]]], start: str, goal: str, within: set[str]) -> list[str]:
    """Return the shortest chain of calls from ``start`` to ``goal`` inside one component (both ends included)."""
    previous: dict[str, str | None] = {start: None}
    todo = [start]
    while todo and goal not in previous:
        following = []
        for node in todo:
            for called, _, _ in edges.get(node, []):
                if called in within and called not in previous:
                    previous[called] = node
                    following.append(called)
        todo = following
    path: list[str] = []
    step: str | None = goal if goal in previous else start
    while step is not None:
        path.append(step)
        step = previous[step]
    return path[::-1]


# -- timers ---------------------------------------------------------------------------------------------

# A timer expression is evaluated at deploy time when it is built of literals joined by "+" and f-strings without
# format specs: nothing in it can read task data, and nothing can grow large ("%09999999d" % 1, "x" * 10**9).
_CONSTANT_NODES = (ast.Expression, ast.Constant, ast.BinOp, ast.Add, ast.JoinedStr, ast.FormattedValue)
_TIMER_KINDS = {"timeDuration": "duration", "timeDate": "date", "timeCycle": "cycle"}


def timer_problems(trees: Mapping[str, Any], included: set[str], horizon_years: int,
                   now: datetime | None = None) -> list[Problem]:
    """Evaluate each constant timer expression in the sandbox and check the ISO 8601 text it gives."""
    now = now or datetime.now(UTC)
    problems = []
    for name, root in trees.items():
        if not name.endswith(".bpmn") or name in included:
            continue
        for element in root.xpath("//bpmn:timeDuration|//bpmn:timeDate|//bpmn:timeCycle", namespaces=NS):
            source = (element.text or "").strip()
            if not source or not _is_constant(source):
                continue  # computed from task data: checked when it runs (engine.runtime.timer_guard)
            kind = _TIMER_KINDS[etree_local(element.tag)]
            problem: Message | None
            try:
                value = SandboxedEnvironment().evaluate(source, {})
            except Exception as exc:  # whatever model code raises, the deployment reports it
                problem = Message("bundle.timer_failed", N_(
                    "the timer expression `%(source)s` cannot be evaluated: %(detail)s"),
                    {"source": _short(source), "detail": f"{type(exc).__name__}: {exc}"})
            else:
                problem = timer_value_problem(kind, value, now, horizon_years)
            if problem:
                event = _event_of(element)
                problems.append(Problem(name, problem, element_id=event.get("id") if event is not None else None,
                                        line=element.sourceline))
    return problems


def etree_local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _event_of(element: Any) -> Any:
    node = element.getparent()
    while node is not None and (etree_local(node.tag) == "timerEventDefinition" or not node.get("id")):
        node = node.getparent()
    return node


def _is_constant(source: str) -> bool:
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        return False  # the expression check reports it
    return all(isinstance(node, _CONSTANT_NODES) and not (isinstance(node, ast.FormattedValue) and node.format_spec)
               for node in ast.walk(tree))


def _short(source: str) -> str:
    one = " ".join(source.split())
    return one if len(one) <= 60 else one[:57] + "..."


def timer_value_problem(kind: str, value: Any, now: datetime, horizon_years: int) -> Message | None:
    """Return what is wrong with the ISO 8601 text a timer expression gave (``kind``: duration, date or cycle),
    or None when it is valid and within ``horizon_years`` of ``now``."""
    if not isinstance(value, str):
        return Message("timer.not_text", N_("a timer expression must give an ISO 8601 text, not %(type)s"),
                       {"type": type(value).__name__})
    shown = _short(value)
    try:
        if kind == "duration":
            return duration_problem(_parse_iso_duration(value), value, horizon_years)
        if kind == "date":
            parsed = _parse_time_or_duration(value)
            if not isinstance(parsed, datetime):
                return Message("timer.date_is_duration", N_(
                    "timeDate '%(value)s' must be a date and time, not a duration"), {"value": shown})
            return date_problem(parsed, value, now, horizon_years)
        return _cycle_problem(value, now, horizon_years)
    except Exception as exc:  # Spiff raises bare Exception, ValueError or AttributeError for bad texts
        return Message(f"timer.invalid_{kind}", _INVALID[kind], {"value": shown,
                                                                 "detail": str(exc) or type(exc).__name__})


_INVALID = {"duration": N_("'%(value)s' is not a valid ISO 8601 duration (%(detail)s)"),
            "date": N_("'%(value)s' is not a valid ISO 8601 date and time (%(detail)s)"),
            "cycle": N_("'%(value)s' is not a valid ISO 8601 cycle (%(detail)s)")}


def _parse_iso_duration(text: str) -> dict[str, Any]:
    # SpiffWorkflow's parser, unwrapped from the run-time guard (engine.runtime.timer_guard) that raises instead
    parse = inspect.unwrap(TimerEventDefinition.parse_iso_duration)
    return parse(text)


def _parse_time_or_duration(text: str) -> datetime | dict[str, Any]:
    if text.upper().startswith("P"):
        return _parse_iso_duration(text)
    return TimerEventDefinition.parse_time_or_duration(text)  # a date, or an ISO week date


def duration_problem(parsed: Mapping[str, Any], text: str, horizon_years: int) -> Message | None:
    """Return a message when a parsed ISO 8601 duration reaches beyond ``horizon_years``, else None.

    Checked before SpiffWorkflow turns the duration into days, which it does month by month."""
    months = parsed.get("years", 0) * 12 + parsed.get("months", 0)
    days = (parsed.get("weeks", 0) * 7 + parsed.get("days", 0) + parsed.get("hours", 0) / 24
            + parsed.get("minutes", 0) / 1440 + parsed.get("seconds", 0) / 86400)
    if months <= horizon_years * 12 and months * 30.44 + days <= horizon_years * 365.25 + 1:
        return None
    return Message("timer.beyond_horizon", N_(
        "the timer duration '%(value)s' is longer than the horizon of %(years)s years (SMK_TIMER_HORIZON_YEARS)"),
        {"value": _short(text), "years": horizon_years})


def date_problem(when: datetime, text: str, now: datetime, horizon_years: int) -> Message | None:
    if when <= now + timedelta(days=horizon_years * 365.25 + 1):
        return None
    return Message("timer.date_beyond_horizon", N_(
        "the timer date '%(value)s' is more than %(years)s years ahead (SMK_TIMER_HORIZON_YEARS)"),
        {"value": _short(text), "years": horizon_years})


def _cycle_problem(value: str, now: datetime, horizon_years: int) -> Message | None:
    # Split the way SpiffWorkflow does (parse_iso_recurring_interval), but check each part before it computes.
    parts = value.upper().replace("--", "/").strip("R").split("/")
    if len(parts) not in (2, 3):
        raise ValueError("expected R[n]/interval")
    if parts[0] and not (parts[0].isdigit() and len(parts[0]) <= 9):
        raise ValueError(f"repetitions '{parts[0]}' must be a whole number below 10^9")
    dates = 0
    for part in parts[1:]:
        parsed = _parse_time_or_duration(part)
        problem = (date_problem(parsed, part, now, horizon_years) if isinstance(parsed, datetime)
                   else duration_problem(parsed, part, horizon_years))
        if problem:
            return problem
        dates += isinstance(parsed, datetime)
    if dates == len(parts) - 1:
        raise ValueError("a cycle needs an interval duration")
    return None


# -- form schemas ---------------------------------------------------------------------------------------

# Keywords whose values are data, not schemas: a "pattern" key inside them is not a regex.
_DATA_KEYWORDS = {"enum", "const", "default", "examples"}


def form_problems(forms: Mapping[str, Any], files: Mapping[str, bytes]) -> list[Problem]:
    """Return a problem for each non-local ``$ref`` and each regex RE2 cannot compile, in every form schema."""
    problems = []
    for name, schema in sorted(forms.items()):
        if not name.endswith(".schema.json"):
            continue
        text = files.get(name, b"").decode("utf-8", "replace")
        for pointer, key, value in _walk(schema, ""):
            if key in ("$ref", "$dynamicRef") and isinstance(value, str) and not value.startswith("#"):
                problems.append(Problem(name, Message("form.remote_ref", N_(
                    "%(keyword)s '%(ref)s' points outside the form; only local references (#/…) are allowed"),
                    {"keyword": key, "ref": _short(value)}), element_id=pointer, line=_line_in(text, key, value)))
            elif key == "pattern" and isinstance(value, str):
                problems.extend(_regex_problems(name, text, pointer, value))
            elif key == "patternProperties" and isinstance(value, dict):
                for regex in value:
                    problems.extend(_regex_problems(name, text, f"{pointer}/{regex}", regex))
    return problems


def _walk(node: Any, pointer: str) -> Iterator[tuple[str, str, Any]]:
    """Yield (JSON pointer, keyword, value) for every keyword of every subschema."""
    stack = [(node, pointer)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                path = f"{where}/{key}"
                yield path, key, value
                if key not in _DATA_KEYWORDS and isinstance(value, (dict, list)):
                    stack.append((value, path))
        elif isinstance(item, list):
            stack.extend((value, f"{where}/{i}") for i, value in enumerate(item) if isinstance(value, (dict, list)))


def _regex_problems(filename: str, text: str, pointer: str, regex: str) -> list[Problem]:
    detail = regex_error(regex)
    if detail is None:
        return []
    return [Problem(filename, Message("form.regex", N_(
        "the regex '%(regex)s' is not supported by RE2, which matches in linear time (%(detail)s); use a pattern "
        "without backreferences or lookaround"), {"regex": _short(regex), "detail": detail}),
        element_id=pointer, line=_line_in(text, None, regex))]


@lru_cache(maxsize=1024)
def compile_regex(regex: str) -> Any:
    """Compile a form's regex with RE2 (matching takes time linear in the input); raise re2.error."""
    return re2.compile(regex, _RE2_OPTIONS)


def regex_error(regex: str) -> str | None:
    """Return why RE2 cannot compile ``regex``, or None when it can."""
    try:
        compile_regex(regex)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else exc
        return detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
    return None


def _line_in(text: str, key: str | None, value: str) -> int | None:
    """Find the line of a JSON value in the file's text (first occurrence after its key); None if not found."""
    encoded = json.dumps(value, ensure_ascii=False)
    start = text.find(json.dumps(key)) if key else 0
    found = text.find(encoded, max(start, 0))
    if found < 0:
        found = text.find(json.dumps(value))
    return text.count("\n", 0, found) + 1 if found >= 0 else None
