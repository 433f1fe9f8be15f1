"""Engine errors are data: a code, an English template with %(name)s placeholders, and parameters.

str() and .message render English (logs, the command line); the web layer translates the template with gettext
(tests/webapp/test_engine_messages.py). A detail quoted from a library stays whole inside its parameter.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from engine.errors import (
    N_,
    VERBATIM,
    DeploymentInvalid,
    FieldError,
    FormInvalid,
    Message,
    NotFound,
    Problem,
    ProcessError,
)

ROOT = Path(__file__).resolve().parents[2]


def test_a_message_renders_its_english_template_with_its_parameters() -> None:
    message = Message("task.completed", N_("This task was already completed by %(name)s"), {"name": "Dewi / HR"})
    assert str(message) == "This task was already completed by Dewi / HR"
    indonesian = {message.text: "Tugas ini sudah diselesaikan oleh %(name)s"}
    assert message.render(lambda text: indonesian.get(text, text)) == "Tugas ini sudah diselesaikan oleh Dewi / HR"
    assert str(Message("task.not_found", N_("Task not found"))) == "Task not found"


def test_a_parameter_that_is_a_message_is_rendered_and_translated_with_it() -> None:
    status = Message("status.running", N_("running"))
    message = Message("instance.cannot_resume", N_("Instance #%(id)s is %(status)s, so it cannot be resumed"),
                      {"id": 7, "status": status})
    assert str(message) == "Instance #7 is running, so it cannot be resumed"
    words = {"running": "berjalan",
             "Instance #%(id)s is %(status)s, so it cannot be resumed": "Proses #%(id)s berstatus %(status)s"}
    assert message.render(lambda text: words.get(text, text)) == "Proses #7 berstatus berjalan"


def test_an_engine_error_carries_code_text_and_parameters() -> None:
    with pytest.raises(NotFound) as info:
        raise NotFound("employee.not_found", N_("employee %(id)s does not exist"), id=12)
    err = info.value
    assert (err.code, err.text, err.params, err.status) == ("employee.not_found", "employee %(id)s does not exist",
                                                            {"id": 12}, 404)
    assert err.message == str(err) == "employee 12 does not exist"
    assert err.msg == Message("employee.not_found", "employee %(id)s does not exist", {"id": 12})


def test_a_process_error_keeps_where_the_process_failed() -> None:
    err = ProcessError("process.stopped", N_("The process stopped with an error: %(detail)s"), 4, "hitung", 2,
                       detail="ValueError: invalid literal for int() with base 10: '1 / 2'")
    assert (err.instance_id, err.task, err.line, err.status) == (4, "hitung", 2, 422)
    assert err.message == "The process stopped with an error: ValueError: invalid literal for int() with base 10: '1 / 2'"


def test_form_and_deployment_errors_list_their_items_in_english() -> None:
    form = FormInvalid([FieldError("reason", Message("reason.required", N_("A reason is required"))),
                        FieldError("", Message("form.type", VERBATIM, {"detail": "'a / b' is not of type 'integer'"}))])
    assert form.code == "form.invalid" and form.status == 422
    assert form.message == "reason: A reason is required; (form): 'a / b' is not of type 'integer'"
    problem = Problem("f.bpmn", Message("bundle.xml", N_("the file is not well-formed XML: %(detail)s"),
                                        {"detail": "Opening and ending tag mismatch: a / b"}), "Task_1", 4, 2)
    assert str(problem) == "f.bpmn, line 4, column 2, element 'Task_1': the file is not well-formed XML: " \
                           "Opening and ending tag mismatch: a / b"
    refused = DeploymentInvalid([problem])
    assert refused.code == "deployment.invalid" and refused.status == 422
    assert refused.message == f"The bundle is not valid:\n- {problem}"


def _n_texts(tree: ast.AST) -> list[tuple[int, str]]:
    return [(node.lineno, node.args[0].value) for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "N_"
            and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)]


def test_engine_templates_are_english_only() -> None:
    """The Indonesian lives in the catalogue; a template written "Indonesian / English" would show both."""
    found = []
    for path in sorted((ROOT / "engine").rglob("*.py")):
        for line, text in _n_texts(ast.parse(path.read_text(encoding="utf-8"))):
            if " / " in text:
                found.append(f"{path.relative_to(ROOT)}:{line}: {text}")
    assert not found, "\n".join(found)
