"""Every model under bpmn/ opened in the workspace editors and saved unchanged parses to the same SpiffWorkflow spec.

The editors are the bundle the app ships (webapp/static/vendor/workspace/workspace.js, built by ``make install``):
a tiny page served by the test's own server creates the bpmn-js Modeler (with the properties panel and our
SpiffWorkflow extension) or the dmn-js editor, imports the file, selects every element once (so every properties
group renders; rendering must change nothing), and exports the XML with ``saveXML``. Both the original file and the
export are parsed by SpiffWorkflow's parser and serialised with its own spec converters; the dicts must be equal:
task specs with their ids, names, scripts, pre/post scripts, conditions, timers, lanes, extension properties (forms,
service operators and parameters, instructions), called elements and decisions, and every decision table cell.
The panel is also checked to show what the file holds (the SpiffWorkflow groups read the extension elements), and an
edit through the panel to reach the parse.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.dmn.serializer.task_spec import BaseBusinessRuleTaskConverter
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from .conftest import ARTIFACTS, ROOT

STATIC = ROOT / "webapp" / "static"
BUNDLE = STATIC / "vendor" / "workspace" / "workspace.js"
MODELS = sorted((ROOT / "bpmn").rglob("*.bpmn"))
TABLES = sorted((ROOT / "bpmn").rglob("*.dmn"))

PAGE = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>workspace round trip</title>
<link rel="stylesheet" href="/vendor/workspace/workspace.css">
<style>html, body { margin: 0; background: #fff; } #canvas { width: 1100px; height: 700px; position: relative; }
#props { width: 360px; height: 700px; overflow: auto; position: absolute; left: 1110px; top: 0; }</style>
<script src="/vendor/workspace/workspace.js"></script></head>
<body><div id="canvas"></div><div id="props"></div>
<script>
window.editor = null;
// Open a file in a fresh editor; for BPMN select every element once (the properties panel renders each).
window.openFile = async function (kind, xml) {
  if (window.editor) { window.editor.modeler.destroy(); }
  const canvas = document.getElementById('canvas'), props = document.getElementById('props');
  canvas.textContent = ''; props.textContent = '';
  const editor = kind === 'bpmn'
    ? SmkWorkspace.createBpmnEditor({ container: canvas, properties: props })
    : SmkWorkspace.createDmnEditor({ container: canvas });
  window.editor = editor;
  try {
    const warnings = await editor.load(xml);
    let visited = 0, groups = 0;
    if (kind === 'bpmn') {
      const registry = editor.modeler.get('elementRegistry'), selection = editor.modeler.get('selection');
      for (const el of registry.getAll()) {
        if (el.type === 'label') { continue; }
        selection.select(el);
        await new Promise((resolve) => setTimeout(resolve, 0));
        groups += props.querySelectorAll('.bio-properties-panel-group').length;
        visited += 1;
      }
      selection.select([]);
    }
    return { error: null, warnings: warnings.map((w) => w.message), visited, groups, dirty: editor.isDirty() };
  } catch (err) {
    return { error: String(err && err.message || err), warnings: (err.warnings || []).map((w) => w.message) };
  }
};
window.exportFile = async function () { return await window.editor.save(); };
</script></body></html>
"""


class _Handler(SimpleHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the http.server hook
        if self.path.split("?")[0] == "/roundtrip.html":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)
            return
        if self.path == "/favicon.ico":
            self.send_response(204)
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
        pass


@pytest.fixture(scope="module")
def editor_page(browser) -> Iterator[Any]:
    if not BUNDLE.exists():
        pytest.skip("the workspace bundle is not built in webapp/static/vendor (run `make install`)")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(STATIC)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    context = browser.new_context(viewport={"width": 1480, "height": 720})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(f"http://127.0.0.1:{server.server_port}/roundtrip.html")
    page.wait_for_function("typeof window.openFile === 'function' && typeof window.SmkWorkspace === 'object'")
    page.errors = errors
    yield page
    context.close()
    server.shutdown()
    thread.join(5)
    assert errors == [], errors


# -- SpiffWorkflow's view of a file --------------------------------------------------------------------------------

_REGISTRY = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)


def _tree(content: bytes) -> Any:
    return etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))


def _parser_with_tables(skip: str | None = None) -> SpiffBpmnParser:
    """A parser holding every DMN file of bpmn/ (business rule tasks need their decision at parse time)."""
    parser = SpiffBpmnParser()
    for table in TABLES:
        if table.name != skip:
            parser.add_dmn_xml(_tree(table.read_bytes()), filename=table.name)
    return parser


def _process_specs(filename: str, content: bytes) -> dict[str, Any]:
    """Every process of one BPMN file as SpiffWorkflow's serialised spec (a plain dict)."""
    parser = _parser_with_tables()
    parser.add_bpmn_xml(_tree(content), filename=filename)
    out: dict[str, Any] = {}
    for process_id in sorted(parser.process_parsers):
        process_parser = parser.process_parsers[process_id]
        if process_parser.filename != filename:
            continue
        out[process_id] = _REGISTRY.convert(process_parser.get_spec())
    return out


def _decision_tables(filename: str, content: bytes) -> dict[str, Any]:
    """Every decision of one DMN file as SpiffWorkflow's serialised decision table."""
    parser = SpiffBpmnParser()
    parser.add_dmn_xml(_tree(content), filename=filename)
    converter = object.__new__(BaseBusinessRuleTaskConverter)  # only its table -> dict helpers are used
    out: dict[str, Any] = {}
    for decision_id, dmn_parser in sorted(parser.dmn_parsers.items()):
        dmn_parser.parse()
        out[decision_id] = [converter.decision_table_to_dict(t) for t in dmn_parser.decision.decisionTables]
    return out


def _diff(before: Any, after: Any, path: str = "") -> list[str]:
    """Where two JSON-like values differ (a readable list for the assertion message)."""
    if isinstance(before, dict) and isinstance(after, dict):
        found = []
        for key in sorted(set(before) | set(after), key=str):
            if key not in after:
                found.append(f"{path}/{key}: missing after saving")
            elif key not in before:
                found.append(f"{path}/{key}: added by saving: {after[key]!r}"[:300])
            else:
                found.extend(_diff(before[key], after[key], f"{path}/{key}"))
        return found
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [d for i, (b, a) in enumerate(zip(before, after, strict=True)) for d in _diff(b, a, f"{path}[{i}]")]
    return [] if before == after else [f"{path}: {before!r} -> {after!r}"[:300]]


def _task_specs(specs: dict[str, Any]) -> int:
    return sum(len(spec["task_specs"]) for spec in specs.values())


# -- the tests ------------------------------------------------------------------------------------------------------

def test_every_model_and_table_is_found() -> None:
    assert {"smk_perencanaan.bpmn", "demo_penilaian.bpmn"} <= {p.name for p in MODELS}
    assert {"kurva_distribusi.dmn", "status_pemantauan.dmn"} <= {p.name for p in TABLES}


@pytest.mark.parametrize("model", MODELS, ids=[p.stem for p in MODELS])
def test_bpmn_saved_unchanged_parses_to_the_same_spec(editor_page: Any, model: Path) -> None:
    original = model.read_bytes()
    result = editor_page.evaluate("([kind, xml]) => window.openFile(kind, xml)", ["bpmn", original.decode()])
    assert result["error"] is None, f"{model.name}: the editor could not open it: {result['error']}"
    assert result["warnings"] == [], f"{model.name}: import warnings: {result['warnings']}"
    assert result["visited"] > 5 and result["groups"] > result["visited"], result  # the panel rendered groups
    assert result["dirty"] is False, f"{model.name}: selecting elements changed the model"
    saved = editor_page.evaluate("() => window.exportFile()")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"roundtrip_{model.name}").write_text(saved)
    before, after = _process_specs(model.name, original), _process_specs(model.name, saved.encode())
    assert before and _task_specs(before) > 3
    assert sorted(before) == sorted(after)
    differences = _diff(before, after)
    assert differences == [], f"{model.name}: the saved file parses differently:\n" + "\n".join(differences[:20])


@pytest.mark.parametrize("table", TABLES, ids=[p.stem for p in TABLES])
def test_dmn_saved_unchanged_parses_to_the_same_tables(editor_page: Any, table: Path) -> None:
    original = table.read_bytes()
    result = editor_page.evaluate("([kind, xml]) => window.openFile(kind, xml)", ["dmn", original.decode()])
    assert result["error"] is None, f"{table.name}: the editor could not open it: {result['error']}"
    assert result["warnings"] == [], f"{table.name}: import warnings: {result['warnings']}"
    assert editor_page.locator("#canvas .tjs-table").count() == 1  # the decision table is what opens
    saved = editor_page.evaluate("() => window.exportFile()")
    before, after = _decision_tables(table.name, original), _decision_tables(table.name, saved.encode())
    assert before and all(t and t[0]["rules"] for t in before.values())
    differences = _diff(before, after)
    assert differences == [], f"{table.name}: the saved file parses differently:\n" + "\n".join(differences[:20])


def _panel(page: Any, entry: str) -> Any:
    return page.locator(f"#props #bio-properties-panel-{entry}")


def test_the_panel_shows_and_edits_the_spiff_properties(editor_page: Any) -> None:
    """Read: the panel shows the file's condition, service operator, form file, timer. Write: edits made in the panel
    (a condition, a result variable, a new pre-script, the reminder timer) are exactly what the parse changes."""
    model = ROOT / "bpmn" / "smk" / "smk_perencanaan.bpmn"
    original = model.read_bytes()
    page = editor_page
    assert page.evaluate("([kind, xml]) => window.openFile(kind, xml)", ["bpmn", original.decode()])["error"] is None

    def select(element_id: str) -> None:
        assert page.evaluate("id => window.editor.select(id)", element_id) is True

    select("f_atasan_siap")
    condition = _panel(page, "spiff-condition-body")
    assert condition.input_value() == "bool((skp_atasan or {}).get('rhk_siap'))"
    condition.fill("bool((skp_atasan or {}).get('rhk_siap')) and putaran >= 0")
    condition.blur()
    select("catat_pengingat")
    assert _panel(page, "spiff-operator").input_value() == "smk_catat_pengingat"
    assert page.locator("#props [data-group-id='group-spiff-parameters'] .bio-properties-panel-list-item").count() == 2
    _panel(page, "spiff-result-variable").fill("pengingat_terkirim")
    _panel(page, "spiff-result-variable").blur()
    select("susun_skp_a")
    assert _panel(page, "spiff-form-schema").input_value() == "smk_skp_a.schema.json"
    page.locator("#props [data-group-id='group-spiff-scripts'] .bio-properties-panel-group-header").click()
    _panel(page, "spiff-prescript").fill("mulai_susun = True")
    _panel(page, "spiff-prescript").blur()
    select("pengingat_a")
    timer = _panel(page, "timerEventDefinitionValue")
    assert timer.input_value() == "batas_pengingat"
    timer.fill("batas_susun")
    timer.blur()
    page.wait_for_timeout(400)  # the panel's input debounce
    saved = page.evaluate("() => window.exportFile()")
    page.locator("#props").screenshot(path=str(ARTIFACTS / "workspace_panel_timer.png"))
    differences = _diff(_process_specs(model.name, original), _process_specs(model.name, saved.encode()))
    assert sorted(differences) == sorted([
        "/smk_perencanaan/task_specs/atasan_siap/cond_task_specs[1]/condition: \"bool((skp_atasan or {}).get('rhk_siap'))\""
        " -> \"bool((skp_atasan or {}).get('rhk_siap')) and putaran >= 0\"",
        "/smk_perencanaan/task_specs/catat_pengingat/extensions/serviceTaskOperator/resultVariable: 'pengingat' -> "
        "'pengingat_terkirim'",
        "/smk_perencanaan/task_specs/catat_pengingat/result_variable: 'pengingat' -> 'pengingat_terkirim'",
        "/smk_perencanaan/task_specs/susun_skp_a/prescript: None -> 'mulai_susun = True'",
        "/smk_perencanaan/task_specs/susun_skp_a/extensions/preScript: added by saving: 'mulai_susun = True'",
        "/smk_perencanaan/task_specs/pengingat_a/event_definition/expression: 'batas_pengingat' -> 'batas_susun'",
    ]), differences
