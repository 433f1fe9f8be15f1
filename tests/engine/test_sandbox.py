"""Tests for engine.sandbox: hostile corpus, legitimate scripts, limits and real SpiffWorkflow runs."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine.python_environment import TaskDataEnvironment
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine.sandbox import (
    SAFE_GLOBALS_DOC,
    SandboxedEnvironment,
    SandboxedScriptEngine,
    SandboxError,
    SandboxLimits,
    SandboxResourceError,
    SandboxTimeout,
    SandboxViolation,
    bench_sandbox,
    check_expression,
    compile_expression,
    compile_script,
    make_script_engine,
)

FAST = SandboxLimits(cpu_seconds=0.2)
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def env() -> SandboxedEnvironment:
    return SandboxedEnvironment(functions={"double": lambda x: 2 * x}, limits=FAST)


# (expression, exception type, fragment of the message)
HOSTILE_EXPRESSIONS: list[tuple[str, type[BaseException], str]] = [
    ("__import__('os')", SyntaxError, "__import__"),
    ("importlib.import_module('os')", NameError, "importlib"),
    ("open('/etc/passwd').read()", SyntaxError, "calling 'open'"),
    ("eval('1')", SyntaxError, "Eval calls are not allowed"),
    ("exec('x = 1')", SyntaxError, "Exec calls are not allowed"),
    ("compile('1', 'f', 'eval')", SyntaxError, "calling 'compile'"),
    ("getattr(1, '__class__')", SyntaxError, "calling 'getattr'"),
    ("().__class__.__base__.__subclasses__()", SyntaxError, "__subclasses__"),
    ("(x for x in []).gi_frame.f_back", SyntaxError, "gi_frame"),
    ("'{0.__class__}'.format(1)", SandboxViolation, "{0.__class__}"),
    ("'{0.__globals__}'.format(double)", SandboxViolation, "{0.__globals__}"),
    ("'{0[0]}'.format(['a'])", SandboxViolation, "{0[0]}"),
    ("'{x}'.format_map({'x': 1})", SandboxViolation, "format_map"),
    ("str.format('{0}', 1)", SandboxViolation, "on a string value"),
    ("vars()", SyntaxError, "calling 'vars'"),
    ("globals()", SyntaxError, "calling 'globals'"),
    ("locals()", SyntaxError, "calling 'locals'"),
    ("dir()", SyntaxError, "calling 'dir'"),
    ("type('Evil', (), {})", SyntaxError, "calling 'type'"),
    ("__builtins__", SyntaxError, "__builtins__"),
    ("breakpoint()", SyntaxError, "breakpoint"),
    ("input()", SyntaxError, "calling 'input'"),
    ("os.environ", NameError, "os"),
    ("gc.get_objects()", NameError, "gc"),
    ("time.sleep(10)", AttributeError, "sleep"),  # `time` is datetime.time, not the module
    ("datetime.__class__", SyntaxError, "__class__"),
    ("Decimal.__dict__", SyntaxError, "__dict__"),
    ("datetime.mro()", SandboxViolation, "mro"),
    ("double.__globals__", SyntaxError, "__globals__"),
    ("10 ** 10 ** 7", SandboxResourceError, "digits"),
    ("pow(10, 10 ** 7)", SandboxResourceError, "digits"),
    ("1 << 10 ** 8", SandboxResourceError, "digits"),
    ("(10 ** 3000) * (10 ** 3000)", SandboxResourceError, "digits"),
    ("'x' * 10 ** 10", SandboxResourceError, "repetition"),
    ("[0] * 10 ** 10", SandboxResourceError, "repetition"),
    ("list(range(10 ** 10))", SandboxResourceError, "range()"),
    ("'a'.ljust(10 ** 9)", SandboxResourceError, "padding"),
    ("','.join(['x' * 100000] * 100)", SandboxResourceError, "join"),
    ("f'{1:>9999999999}'", SandboxResourceError, "width"),
    ("'%9999999999d' % 1", SandboxResourceError, "width"),
    ("str([[[0] * 1000] * 1000] * 1000)", SandboxResourceError, "to text"),
    ("f'{[[[0] * 1000] * 1000] * 1000}'", SandboxResourceError, "to text"),
    ("int(Decimal('1e999999'))", SandboxResourceError, "digits"),
    ("sum([[1]] * 10, [])", TypeError, "numbers"),
    ("lambda: 1", SandboxViolation, "function"),
    ("{'f': lambda: 1}", SandboxViolation, "function"),
    ("(i for i in [1])", SandboxViolation, "generator"),
    ("iter(int, 1)", SyntaxError, "calling 'iter'"),
]


@pytest.mark.parametrize(("source", "error", "fragment"), HOSTILE_EXPRESSIONS,
                         ids=[case[0][:40] for case in HOSTILE_EXPRESSIONS])
def test_hostile_expression_is_refused(
    env: SandboxedEnvironment, source: str, error: type, fragment: str
) -> None:
    with pytest.raises(error) as info:
        env.evaluate(source, {"x": 1})
    assert fragment in str(info.value)


# (script, exception type, fragment, line the error must point at)
MEMORY_OR_CPU = (SandboxResourceError, SandboxTimeout)

HOSTILE_SCRIPTS: list[tuple[str, Any, Any, int]] = [
    ("x = 1\nimport os", SyntaxError, "import", 2),
    ("x = 1\nfrom os import path", SyntaxError, "import", 2),
    ("import importlib", SyntaxError, "import", 1),
    ("x = 1\ny = 2\nwhile True:\n    pass", SandboxTimeout, "CPU time", 4),
    ("for i in iter(int, 1):\n    pass", SyntaxError, "iter", 1),
    ("def f(n):\n    return f(n + 1)\nf(0)", SandboxResourceError, "recursion", 2),
    ("x = {}\nx.y = 2", SyntaxError, "attribute 'y'", 2),
    ("len.foo = 1", SyntaxError, "attribute 'foo'", 1),
    ("double.__defaults__ = (1,)", SyntaxError, "__defaults__", 1),
    ("d = datetime\ndel d.now", SyntaxError, "attribute 'now'", 2),
    ("d = date(2024, 1, 1)\nd[0] = 1", SandboxViolation, "cannot modify date", 2),
    ("t = (1, 2)\nt[0] = 5", SandboxViolation, "cannot modify tuple", 2),
    ("s = 'x'\nwhile True:\n    s = s + s", SandboxResourceError, "concatenation", 3),
    ("n = 2\nwhile True:\n    n = n * n", SandboxResourceError, "digits", 3),
    ("while True:\n    try:\n        while True:\n            pass\n    except Exception:\n        pass",
     SandboxTimeout, "CPU time", 4),
    ("while True:\n    try:\n        pass\n    except:\n        pass", SandboxTimeout, "CPU time", 2),
    ("x = [i for a in range(1000) for b in range(1000) for i in range(1000) if 0]", SandboxTimeout, "CPU", 1),
    # Growth that both the memory check and the CPU limit can stop: whichever trips first on this machine.
    ("a = [0]\nwhile True:\n    a.extend(a)", MEMORY_OR_CPU, ("memory", "CPU"), 3),
    ("def g():\n    while True:\n        yield 'x' * 1000\nx = list(g())", MEMORY_OR_CPU, ("memory", "CPU"), 3),
    ("f = lambda: 1\nx = {'f': f}", SandboxViolation, "function", 0),
    ("class A:\n    pass", SyntaxError, "class definitions", 1),
    ("x = 1\nprint(__builtins__)", SyntaxError, "__builtins__", 2),
    ("s = ''\nfor i in range(100):\n    s += 'x' * 100000", SandboxResourceError, "", 3),
]


@pytest.mark.parametrize(("source", "error", "fragment", "line"), HOSTILE_SCRIPTS,
                         ids=[case[0][:40] for case in HOSTILE_SCRIPTS])
def test_hostile_script_is_refused_or_stopped(
    env: SandboxedEnvironment, source: str, error: type, fragment: str, line: int
) -> None:
    data: dict[str, Any] = {"keep": 1}
    with pytest.raises(error) as info:
        env.execute(source, data)
    fragments = fragment if isinstance(fragment, tuple) else (fragment,)
    assert any(f in str(info.value) for f in fragments), str(info.value)
    assert data == {"keep": 1}, "a refused script must not change task data"


@pytest.mark.parametrize(("source", "error", "fragment", "line"),
                         [case for case in HOSTILE_SCRIPTS if case[3]],
                         ids=[case[0][:40] for case in HOSTILE_SCRIPTS if case[3]])
def test_hostile_script_in_workflow_names_task_and_line(
    source: str, error: type, fragment: str, line: int
) -> None:
    with pytest.raises(WorkflowTaskException) as info:
        run_workflow(source, functions={"double": lambda x: 2 * x})
    assert info.value.task_spec.bpmn_id == "calc"
    assert info.value.line_number == line
    assert info.value.error_line == source.splitlines()[line - 1]
    errors = error if isinstance(error, tuple) else (error,)
    assert any(e.__name__ in str(info.value) for e in errors), str(info.value)


def test_corpus_is_large_enough() -> None:
    assert len(HOSTILE_EXPRESSIONS) + len(HOSTILE_SCRIPTS) >= 30


def test_swallowing_a_refusal_does_not_unlock_anything(env: SandboxedEnvironment) -> None:
    data: dict[str, Any] = {}
    env.execute("try:\n    y = 'x' * 10**10\nexcept Exception as e:\n    msg = str(e)\nz = 1", data)
    assert "repetition" in data["msg"] and data["z"] == 1 and "y" not in data


LEGIT_SCRIPT = """\
total = 0
for goal in goals:
    total += goal['weight'] * goal['score']
scores = {'final': round(total / 100, 2)}
scores['final'] += 1
scores['bonus'] = 0
scores['bonus'] += 5
items = [1, 2]
items.append(3)
items += [4]
squares = [i * i for i in items if i % 2 == 0]
lookup = {k: v for k, v in zip('ab', (1, 2))}
first, (second, third) = 1, (2, 3)
label = f"{name.upper()} scored {scores['final']:.1f} ({grade!r})"
plain = '{} / {name}'.format(1, name='x') + ' %s-%d' % ('a', 2)
due = datetime(2024, 1, 31, tzinfo=timezone.utc) + timedelta(days=14)
due_iso = due.isoformat()
money = Decimal('10.10') * 3 + Decimal('0.20')
def weighted(value, weight=2):
    return value * weight
helper = weighted(21)
doubled = double(4)
is_text = isinstance(label, str) and isinstance(helper, int) and not isinstance(helper, str)
numbers = sorted(int(s) for s in '3 1 2'.split())
count = len(items) + sum(items) + max(items) - min(items) + abs(-1)
ok = any(x > 3 for x in items) and all(x > 0 for x in items)
print('debug output is discarded')
"""


def test_legitimate_script_runs(env: SandboxedEnvironment) -> None:
    data: dict[str, Any] = {"goals": [{"weight": 50, "score": 80}, {"weight": 50, "score": 90}],
                            "name": "ana", "grade": "A"}
    env.execute(LEGIT_SCRIPT, data)
    assert data["total"] == 8500
    assert data["scores"] == {"final": 86.0, "bonus": 5}
    assert data["items"] == [1, 2, 3, 4]
    assert data["squares"] == [4, 16]
    assert data["lookup"] == {"a": 1, "b": 2}
    assert (data["first"], data["second"], data["third"]) == (1, 2, 3)
    assert data["label"] == "ANA scored 86.0 ('A')"
    assert data["plain"] == "1 / x a-2"
    assert data["due"] == datetime(2024, 2, 14, tzinfo=UTC)
    assert data["due_iso"] == "2024-02-14T00:00:00+00:00"
    assert data["money"] == Decimal("30.50")
    assert data["helper"] == 42 and data["doubled"] == 8 and data["is_text"] is True
    assert data["numbers"] == [1, 2, 3] and data["count"] == 4 + 10 + 4 - 1 + 1 and data["ok"] is True


def test_task_data_keeps_only_data_results(env: SandboxedEnvironment) -> None:
    data: dict[str, Any] = {"x": 1, "_private": "kept"}
    env.execute("def helper():\n    return 2\ny = helper()\nfn = helper", data)
    assert data == {"x": 1, "_private": "kept", "y": 2}
    assert "__builtins__" not in data and "double" not in data


def test_expressions_see_data_and_functions(env: SandboxedEnvironment) -> None:
    assert env.evaluate("double(score) >= 160 and grade in ('A', 'B')", {"score": 80, "grade": "A"}) is True
    assert env.evaluate("'P%dD' % days", {"days": 14}) == "P14D"
    assert env.evaluate("(date(2024, 1, 1) + timedelta(days=1)).isoformat()", {}) == "2024-01-02"
    assert env.evaluate("  x + 1  ", {"x": 1}) == 2
    assert env.evaluate("y", {"x": 1}, external_context={"y": 5}) == 5


def test_task_data_cannot_replace_guards_or_functions(env: SandboxedEnvironment) -> None:
    hostile = {"__builtins__": __builtins__, "_getattr_": getattr, "_write_": lambda o: o}
    with pytest.raises(SyntaxError):
        env.evaluate("__builtins__", hostile)
    with pytest.raises(SandboxViolation):
        env.evaluate("datetime.mro()", hostile)
    with pytest.raises(SandboxViolation):
        env.execute("x = datetime\nx.y = 1", dict(hostile))
    with pytest.raises(ValueError, match="overwrites a predefined function"):
        env.execute("y = 1", {"double": 3})


def test_limits_are_configurable() -> None:
    tight = SandboxedEnvironment(limits=SandboxLimits(max_sequence_length=10, max_int_digits=5,
                                                      max_recursion=3))
    assert tight.evaluate("'x' * 10", {}) == "x" * 10
    with pytest.raises(SandboxResourceError, match="limit 10"):
        tight.evaluate("'x' * 11", {})
    with pytest.raises(SandboxResourceError, match="5 digits"):
        tight.evaluate("10 ** 20", {})
    with pytest.raises(SandboxResourceError, match="deeper than 3"):
        tight.execute("def f(n):\n    return 0 if n == 0 else f(n - 1)\nx = f(5)", {})
    tight.execute("def f(n):\n    return 0 if n == 0 else f(n - 1)\nx = f(2)", {})
    with pytest.raises(ValueError):
        SandboxLimits(cpu_seconds=0)


def test_task_data_tree_limits() -> None:
    small = SandboxedEnvironment(limits=SandboxLimits(max_data_nodes=100, max_data_depth=5))
    with pytest.raises(SandboxResourceError, match="too large"):
        small.execute("a = [0] * 10\nb = [a] * 10\nc = [b] * 10", {})
    with pytest.raises(SandboxResourceError, match="nested deeper"):
        small.execute("a = []\nfor i in range(10):\n    a = [a]", {})


def test_compile_errors_carry_line_numbers() -> None:
    with pytest.raises(SyntaxError) as info:
        compile_script("x = 1\ny = (\n")
    assert info.value.lineno == 2
    with pytest.raises(SyntaxError) as info:
        compile_script("x = 1\n\ny = ().__class__")
    assert info.value.lineno == 3 and isinstance(info.value, SandboxViolation)
    assert check_expression("score >= 80", "eval") == []
    assert check_expression("x = 1\nimport os\ny = open('f')", "exec") == [
        "Line 2: import statements are not allowed",
        "Line 3: calling 'open' is not allowed in workflow scripts",
    ]
    assert check_expression("score >=", "eval")[0].startswith("Line 1:")


def test_compiled_code_is_cached() -> None:
    assert compile_expression("a + b") is compile_expression("a + b")
    assert compile_script("a = 1") is compile_script("a = 1")


def test_sandbox_cannot_be_switched_off() -> None:
    with pytest.raises(TypeError):
        SandboxedScriptEngine(TaskDataEnvironment())  # type: ignore[arg-type]
    engine = make_script_engine()
    engine.environment.globals  # noqa: B018 - read-only view of the registered functions
    with pytest.raises(TypeError):
        engine.environment.globals["open"] = open  # type: ignore[index]


def test_concurrent_calls_have_separate_budgets() -> None:
    env = SandboxedEnvironment(limits=SandboxLimits(cpu_seconds=0.5))
    results: dict[str, Any] = {}

    def looping() -> None:
        try:
            env.execute("while True:\n    pass", {})
        except SandboxTimeout as err:
            results["loop"] = err

    thread = threading.Thread(target=looping)
    thread.start()
    # While the other thread burns its budget, short evaluations here still succeed.
    values = [env.evaluate("sum(range(n))", {"n": 100}) for _ in range(200)]
    thread.join(timeout=30)
    assert not thread.is_alive() and isinstance(results["loop"], SandboxTimeout)
    assert values == [4950] * 200


# ---------------------------------------------------------------------------------------------
# Through real SpiffWorkflow: start -> script task -> exclusive gateway (condition) -> end

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs"
                  targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="proc" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="calc" name="Calculate score">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:exclusiveGateway id="gw" default="f_low">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f_high</bpmn:outgoing><bpmn:outgoing>f_low</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="calc"/>
    <bpmn:sequenceFlow id="f2" sourceRef="calc" targetRef="gw"/>
    <bpmn:sequenceFlow id="f_high" sourceRef="gw" targetRef="end_high">
      <bpmn:conditionExpression>{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_low" sourceRef="gw" targetRef="end_low"/>
    <bpmn:endEvent id="end_high"><bpmn:incoming>f_high</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="end_low"><bpmn:incoming>f_low</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def run_workflow(script: str, condition: str = "score >= 80", **engine_args: Any) -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(BPMN.format(script=escape(script), condition=escape(condition)).encode())
    engine_args.setdefault("limits", FAST)
    workflow = BpmnWorkflow(parser.get_spec("proc"), parser.get_subprocess_specs("proc"),
                            script_engine=make_script_engine(**engine_args))
    workflow.do_engine_steps()
    return workflow


def completed_ends(workflow: BpmnWorkflow) -> set[str]:
    return {t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.COMPLETED)
            if t.task_spec.bpmn_id in ("end_high", "end_low")}


def test_workflow_good_script_sets_data_and_routes() -> None:
    workflow = run_workflow("score = double(40)\nnote = f'score {score}'",
                            functions={"double": lambda x: 2 * x})
    assert workflow.is_completed()
    assert workflow.data == {"score": 80, "note": "score 80"}
    assert completed_ends(workflow) == {"end_high"}
    low = run_workflow("score = 10")
    assert completed_ends(low) == {"end_low"}


def test_workflow_hostile_condition_is_refused() -> None:
    with pytest.raises(WorkflowTaskException) as info:
        run_workflow("score = 1", condition="score.__class__.__subclasses__()")
    assert "__subclasses__" in str(info.value)


def test_workflow_infinite_loop_is_stopped_and_others_keep_running() -> None:
    with pytest.raises(WorkflowTaskException) as info:
        run_workflow("score = 1\nwhile True:\n    score += 1")
    assert "SandboxTimeout" in str(info.value) and info.value.line_number == 3
    assert info.value.task_spec.bpmn_id == "calc"
    assert run_workflow("score = 99").is_completed()


SERVICE_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs"
                  targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="svc" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="call" name="Look up">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="lookup" resultVariable="answer">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="who" type="str" value="{param}"/>
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="call"/>
    <bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def run_service(param: str, **engine_args: Any) -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(SERVICE_BPMN.format(param=escape(param, {'"': "&quot;"})).encode())
    workflow = BpmnWorkflow(parser.get_spec("svc"), parser.get_subprocess_specs("svc"),
                            script_engine=make_script_engine(**engine_args))
    workflow.do_engine_steps()
    return workflow


def test_service_task_delegates_to_services_with_sandboxed_params() -> None:
    calls: list[tuple[str, dict[str, Any]]] = []

    def services(name: str, params: dict[str, Any], data: dict[str, Any]) -> Any:
        calls.append((name, params))
        return {"greeting": f"hello {params['who']['value']}"}

    workflow = run_service("'ana'.upper()", services=services)
    assert calls == [("lookup", {"who": {"value": "ANA", "type": "str"}})]
    assert workflow.data["answer"] == {"greeting": "hello ANA"}
    with pytest.raises(WorkflowTaskException, match="__class__"):
        run_service("().__class__", services=services)


def test_service_task_without_handler_fails_clearly() -> None:
    with pytest.raises(WorkflowTaskException, match="no service handler is configured"):
        run_service("'ana'")
    with pytest.raises(SandboxError, match="no service"):
        SandboxedEnvironment().call_service({}, operation_name="x", operation_params={})


# ---------------------------------------------------------------------------------------------


def test_allow_list_doc_covers_exposed_names() -> None:
    documented = " ".join(name for name, _ in SAFE_GLOBALS_DOC)
    for name in ("len", "range", "datetime", "timedelta", "timezone", "Decimal", "str", "sum"):
        assert name in documented


def test_bench_sandbox_reports_rates() -> None:
    result = bench_sandbox(20)
    assert set(result) == {"default_ops_per_s", "sandbox_ops_per_s", "ratio"}
    assert result["sandbox_ops_per_s"] > 0 and result["ratio"] > 0


def test_sandbox_does_not_import_flask_or_webapp() -> None:
    code = ("import sys, engine.sandbox; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'webapp')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_results_contain_no_unsafe_values_for_dates_and_decimals(env: SandboxedEnvironment) -> None:
    data: dict[str, Any] = {}
    env.execute("d = date(2024, 5, 1)\nm = Decimal('1.5')\nt = (1, 'a')\ns = {1, 2}", data)
    assert data == {"d": date(2024, 5, 1), "m": Decimal("1.5"), "t": (1, "a"), "s": {1, 2}}


def test_validate_is_restricted_for_dmn_cells() -> None:
    engine = make_script_engine()
    engine.validate("score >= 80")
    with pytest.raises(SyntaxError):
        engine.validate("> 80")  # Spiff's DMN engine relies on this to decide whether to prepend '=='
    engine.validate("v > 80")
    with pytest.raises(SyntaxError) as info:
        engine.validate("x.__class__")
    assert isinstance(info.value, SandboxViolation)


def test_timer_style_expressions_return_iso_strings(env: SandboxedEnvironment) -> None:
    assert env.evaluate('"P14D"', {}) == "P14D"
    due = env.evaluate("(start + timedelta(days=14)).isoformat()",
                       {"start": datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=7)))})
    assert due == "2024-01-15T00:00:00+07:00"


@pytest.mark.parametrize("source", [
    "def f():\n    x = 1\n    def g():\n        nonlocal x\n",
    "for i in range(3):\n    import os",
    "while False:\n    class A:\n        pass",
    "try:\n    pass\nexcept Exception:\n    from os import path",
    "x: int = 1",
    "match x:\n    case 1:\n        pass",
    "async def f():\n    pass",
    "x = '\0'",
])
def test_check_expression_reports_instead_of_crashing(source: str) -> None:
    messages = check_expression(source, "exec")
    assert messages and all(m.startswith("Line ") for m in messages)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("x1_.()[]{}:=+*'\"\n ifordeflambdawhileimport\\\0")),
               max_size=40))
def test_check_expression_never_raises(source: str) -> None:
    for mode in ("eval", "exec"):
        assert isinstance(check_expression(source, mode), list)


@settings(max_examples=200, deadline=None)
@given(a=st.integers(-10**6, 10**6), b=st.integers(0, 40), s=st.text(max_size=5))
def test_guarded_operators_match_python(a: int, b: int, s: str) -> None:
    env = SandboxedEnvironment()
    source = "(a * b, a + b, a ** b, a << b, a % (b + 1), s * b, s + s, [a] * b, '%s-%d' % (s, b))"
    expected = (a * b, a + b, a ** b, a << b, a % (b + 1), s * b, s + s, [a] * b, f"{s}-{b}")
    assert env.evaluate(source, {"a": a, "b": b, "s": s}) == expected
    scope = {"a": a, "b": b, "s": s}
    env.execute("a += b\na *= 2\na **= 2\ns += 'x'\ns *= 2", scope)
    assert scope == {"a": ((a + b) * 2) ** 2, "b": b, "s": (s + "x") * 2}
