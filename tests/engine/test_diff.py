"""What changed between two versions of a bundle (engine/services/diff.py): process elements through
SpiffWorkflow's SpecDiff, decision-table rules cell by cell, form fields as JSON paths."""

from __future__ import annotations

import json
import re
from pathlib import Path

from engine.core import Engine
from engine.deploy.bundles import parse_bundle
from engine.services.deployments import deploy, read_folder
from engine.services.diff import ADDED, CHANGED, REMOVED, diff_bundles, diff_deployments, previous_deployment
from tools.bpmn_builder import Process, document

ROOT = Path(__file__).resolve().parents[2]


def _model(timer: str = '"P1D"', extra_task: bool = False, script: str = "x = 1", name: str = "Isi") -> bytes:
    p = Process("p_diff", "Diff test", lanes=["Pegawai"])
    p.start("s", lane="Pegawai", col=0)
    p.user("isi", name, lane="Pegawai", col=1, form="f_isi")
    p.boundary("ingat", "Pengingat", attached_to="isi", timer=("timeDuration", timer), interrupting=False)
    p.script("hitung", "Hitung", script, lane="Pegawai", col=2)
    p.end("ingat_end", lane="Pegawai", col=2)
    p.flow("ingat", "ingat_end")
    if extra_task:
        p.user("periksa", "Periksa", lane="Pegawai", col=3)
        p.end("e", lane="Pegawai", col=4)
        p.chain("s", "isi", "hitung", "periksa", "e")
    else:
        p.end("e", lane="Pegawai", col=3)
        p.chain("s", "isi", "hitung", "e")
    return document(p).encode()


SCHEMA = {"type": "object", "properties": {"catatan": {"type": "string", "title": "Catatan"}}}


def _bundle(**kwargs: object) -> dict[str, bytes]:
    schema = kwargs.pop("schema", SCHEMA)
    return {"p_diff.bpmn": _model(**kwargs),  # type: ignore[arg-type]
            "f_isi.schema.json": json.dumps(schema).encode(), "f_isi.uischema.json": b"{}"}


def test_the_same_bundle_has_no_changes() -> None:
    bundle = parse_bundle(_bundle())
    result = diff_bundles(bundle, parse_bundle(_bundle()))
    assert result.empty
    assert "no changes" in result.text()


def test_a_timer_duration_change_names_the_boundary_event_and_both_values() -> None:
    result = diff_bundles(parse_bundle(_bundle()), parse_bundle(_bundle(timer='"P3D"')))
    [change] = result.changes
    assert (change.what, change.ref, change.element, change.change) == ("process", "p_diff", "ingat", CHANGED)
    assert change.label == "Pengingat"
    [(key, (before, after))] = change.fields.items()
    assert "expression" in key
    assert (before, after) == ('"P1D"', '"P3D"')
    assert result.elements("p_diff") == {"ingat": CHANGED}


def test_script_and_name_changes_are_listed_per_element() -> None:
    result = diff_bundles(parse_bundle(_bundle()), parse_bundle(_bundle(script="x = 2", name="Isi SKP")))
    by_element = {c.element: c for c in result.changes}
    assert by_element["hitung"].fields["script"] == ("x = 1", "x = 2")
    assert by_element["isi"].fields["name"] == ("Isi", "Isi SKP")


def test_added_and_removed_tasks() -> None:
    old, new = parse_bundle(_bundle()), parse_bundle(_bundle(extra_task=True))
    forward = diff_bundles(old, new)
    assert {(c.element, c.change) for c in forward.changes if c.change == ADDED} == {("periksa", ADDED)}
    backward = diff_bundles(new, old)
    assert ("periksa", REMOVED) in {(c.element, c.change) for c in backward.changes}
    assert "- periksa" in backward.text()


def test_form_changes_are_json_paths() -> None:
    schema = json.loads(json.dumps(SCHEMA))
    schema["properties"]["catatan"]["title"] = "Catatan atasan"
    schema["properties"]["bukti"] = {"type": "string"}
    result = diff_bundles(parse_bundle(_bundle()), parse_bundle(_bundle(schema=schema)))
    changes = {(c.element, c.change): c.fields["value"] for c in result.changes if c.what == "form"}
    assert changes[("/properties/catatan/title", CHANGED)] == ("Catatan", "Catatan atasan")
    assert ("/properties/bukti", ADDED) in changes


def _rules_bundle() -> dict[str, bytes]:
    return read_folder(ROOT / "bpmn" / "rules")


def test_a_decision_table_cell_change_is_located_by_rule_and_column() -> None:
    files = _rules_bundle()
    content = files["kurva_distribusi.dmn"].decode()
    old_bundle = parse_bundle(files)
    # Change the first output cell that holds a number (a curve bound).
    match = re.search(r"<(?:dmn:)?outputEntry[^>]*>\s*<(?:dmn:)?text>(\d+)</", content)
    assert match is not None
    start, end = match.span(1)
    changed = dict(files)
    changed["kurva_distribusi.dmn"] = (content[:start] + str(int(match.group(1)) + 7) + content[end:]).encode()
    result = diff_bundles(old_bundle, parse_bundle(changed))
    [change] = result.changes
    assert (change.what, change.ref, change.change) == ("decision", "kurva_distribusi", CHANGED)
    [(column, (before, after))] = change.fields.items()
    assert column.startswith("output ")
    assert int(after) == int(before) + 7
    assert change.element.startswith(("DecisionRule", "Rule", "rule", "row")) or change.element


def test_a_removed_rule_is_listed_with_its_cells() -> None:
    files = _rules_bundle()
    content = files["tindak_lanjut.dmn"].decode()
    rules = list(re.finditer(r"<(dmn:)?rule [^>]*>.*?</(dmn:)?rule>", content, re.S))
    assert len(rules) > 1
    last = rules[-1]
    changed = dict(files)
    changed["tindak_lanjut.dmn"] = (content[:last.start()] + content[last.end():]).encode()
    result = diff_bundles(parse_bundle(files), parse_bundle(changed))
    [change] = [c for c in result.changes if c.change == REMOVED]
    assert change.ref == "tindak_lanjut"
    assert change.fields and all(after is None for _, after in change.fields.values())


def test_diff_between_two_stored_deployments(eng: Engine) -> None:
    engine = eng
    first = deploy(engine, _bundle(), None, name="diff-test")
    second = deploy(engine, _bundle(timer='"P2D"'), None, name="diff-test")
    with engine.session_factory() as session:
        assert previous_deployment(session, second.deployment_id) == first.deployment_id
        assert previous_deployment(session, first.deployment_id) is None
    result = diff_deployments(engine, first.deployment_id, second.deployment_id)
    assert [c.element for c in result.changes] == ["ingat"]
    assert f"#{first.deployment_id}" in result.text()
