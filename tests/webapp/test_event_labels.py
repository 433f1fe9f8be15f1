"""Every event the application writes to the audit trail has its own words, in Indonesian and English, in one list
(``webapp.filters``): the audit search, its kinds, the history and a case's timeline show "Rekomendasi tindak lanjut
dicatat", never ``smk.rekomendasi_tindak_lanjut`` (nor, on a timeline, the neutral "Process event")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import force_locale

from processes import assessment_results, follow_up_results, operations
from webapp.filters import _EVENTS, EVENT_GROUPS, eventlabel
from webapp.instances import event_label

SMK_EVENTS = [assessment_results.RESULT, follow_up_results.RESULT, operations.PROPOSAL, operations.CALIBRATION,
              operations.FITS, operations.UNIT_RATING, operations.REMINDER, "message.kept", "message.delivered",
              "deferred_start.written", "deferred_start.failed", "deferred_start.retried"]


@pytest.mark.parametrize("lang, neutral", [("id", "Peristiwa proses"), ("en", "Process event")])
def test_each_smk_event_is_named_in_both_languages(app: Flask, lang: str, neutral: str) -> None:
    with app.test_request_context(), force_locale(lang):
        labels = {kind: event_label(kind) for kind in SMK_EVENTS}
        assert event_label("smk.not_an_event") == neutral  # what an unnamed event shows
    unnamed = [kind for kind, label in labels.items() if label in (neutral, kind)]
    assert unnamed == []
    assert len(set(labels.values())) == len(SMK_EVENTS)  # no two events read the same


ROOT = Path(__file__).resolve().parents[2]


def _strings(node: ast.AST, constants: dict[str, str]) -> list[str]:
    """The kinds an argument can be: a string, a module constant, either branch of ``a if c else b``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Name) and node.id in constants:
        return [constants[node.id]]
    if isinstance(node, ast.IfExp):
        return _strings(node.body, constants) + _strings(node.orelse, constants)
    return []


def _constants(tree: ast.Module) -> dict[str, str]:
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.value.value
    return found


def recorded_kinds() -> set[str]:
    """The kinds passed to ``audit.record(session, kind, …)`` and ``record_result(…, audit_kind=…)`` anywhere in
    the engine, the SMK processes and the web app (names resolved to module constants, imported ones included)."""
    trees = {p: ast.parse(p.read_text(), str(p)) for d in ("engine", "processes", "webapp") for p in (ROOT / d).rglob("*.py")}
    every_constant: dict[str, str] = {}
    for tree in trees.values():
        every_constant.update({k: v for k, v in _constants(tree).items() if "." in v and " " not in v})
    kinds: set[str] = set()
    for tree in trees.values():
        constants = {**every_constant, **_constants(tree)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name == "record" and len(node.args) >= 2:
                kinds.update(_strings(node.args[1], constants))
            for keyword in node.keywords:
                if keyword.arg == "audit_kind":
                    kinds.update(_strings(keyword.value, constants))
    return {k for k in kinds if k and " " not in k}


def test_the_scan_finds_the_kinds_it_should() -> None:
    kinds = recorded_kinds()  # literal, conditional, constant in the file, constant imported from another
    assert {"task.completed", "account.activated", "account.deactivated", "smk.rekomendasi_tindak_lanjut",
            "smk.kalibrasi_kurva", "smk.pengingat", "org.acting_started"} <= kinds
    assert len(kinds) > 50


def test_every_recorded_kind_has_a_label_in_both_languages(app: Flask) -> None:
    missing = sorted(k for k in recorded_kinds() if k not in _EVENTS)
    assert missing == [], f"audit event kinds without a label in webapp.filters._EVENTS: {missing}"
    labels = {**_EVENTS, **EVENT_GROUPS}
    with app.test_request_context():
        with force_locale("id"):
            indonesian = {kind: eventlabel(kind) for kind in labels}
        with force_locale("en"):
            english = {kind: eventlabel(kind) for kind in labels}
    assert english == {kind: str(label) for kind, label in labels.items()}
    untranslated = sorted(kind for kind in labels if indonesian[kind] == english[kind])
    assert untranslated == [], f"labels without an Indonesian translation: {untranslated}"
