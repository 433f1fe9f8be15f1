"""Every model under bpmn/ opens in bpmn-js: the viewer the app ships (webapp/static/vendor/bpmn-js/), in Chromium.

A tiny page served by the test's own server (the app's static folder plus one page) imports each XML with
``viewer.importXML``; the import must succeed with no warnings, and every flow node and sequence flow of every
process must have a drawn element of the right type (events as 36x36 circles). One screenshot per model goes to tests/artifacts/bpmn_js_<model>.png.
"""

from __future__ import annotations

import functools
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from .conftest import ARTIFACTS, ROOT

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
STATIC = ROOT / "webapp" / "static"
MODELS = sorted((ROOT / "bpmn").rglob("*.bpmn"))
FLOW_NODES = {
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "serviceTask", "scriptTask", "businessRuleTask", "manualTask", "sendTask", "receiveTask",
    "callActivity", "subProcess", "transaction", "adHocSubProcess",
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway",
}

PAGE = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bpmn-js import check</title>
<link rel="stylesheet" href="/vendor/bpmn-js/diagram-js.css">
<link rel="stylesheet" href="/vendor/bpmn-js/bpmn-js.css">
<style>html, body { margin: 0; background: #fff; } #canvas { width: 1600px; height: 700px; }</style>
<script src="/vendor/bpmn-js/bpmn-viewer.production.min.js"></script></head>
<body><div id="canvas"></div>
<script>
window.viewer = new BpmnJS({ container: '#canvas' });
// Import one model; report the warnings and, for each expected id, what bpmn-js drew for it.
window.check = async function (xml, ids) {
  try {
    const result = await viewer.importXML(xml);
    const registry = viewer.get('elementRegistry');
    const drawn = {};
    for (const id of ids) {
      const el = registry.get(id);
      const gfx = el && registry.getGraphics(el);
      drawn[id] = el && gfx && gfx.isConnected ? { type: el.type, width: el.width, height: el.height } : null;
    }
    // Size the page to the whole diagram at natural scale, so that the screenshot is readable.
    const canvas = viewer.get('canvas');
    const inner = canvas.viewbox().inner;
    const box = document.getElementById('canvas');
    box.style.width = Math.min(Math.ceil(inner.width + 80), 6000) + 'px';
    box.style.height = Math.min(Math.ceil(inner.height + 80), 3000) + 'px';
    canvas.resized();
    canvas.zoom('fit-viewport', 'auto');
    return { error: null, warnings: result.warnings.map(w => w.message), drawn: drawn };
  } catch (err) {
    return { error: String(err && err.message || err), warnings: (err.warnings || []).map(w => w.message), drawn: {} };
  }
};
</script></body></html>
"""


class _Handler(SimpleHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the http.server hook
        if self.path.split("?")[0] == "/check.html":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)
            return
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
        pass


@pytest.fixture(scope="module")
def checker(browser) -> Iterator[object]:
    """One page with the viewer loaded, served from the app's static folder on a free port."""
    if not (STATIC / "vendor" / "bpmn-js" / "bpmn-viewer.production.min.js").exists():
        pytest.skip("bpmn-js is not installed in webapp/static/vendor (run `make install`)")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(STATIC)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    context = browser.new_context(viewport={"width": 1600, "height": 700})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"http://127.0.0.1:{server.server_port}/check.html")
    page.wait_for_function("typeof window.check === 'function'")
    yield page
    assert errors == [], errors
    context.close()
    server.shutdown()
    thread.join(5)


def _expected(path: Path) -> dict[str, str]:
    """Every flow node and sequence flow of every process in the file: id -> BPMN element name."""
    out: dict[str, str] = {}
    for process in ET.parse(path).getroot().iter(f"{{{BPMN}}}process"):
        for el in process.iter():
            local = el.tag.rpartition("}")[2]
            if el.tag.startswith(f"{{{BPMN}}}") and (local in FLOW_NODES or local == "sequenceFlow"):
                out[el.attrib["id"]] = local
    return out


def test_every_model_is_found() -> None:
    names = {p.relative_to(ROOT / "bpmn").as_posix() for p in MODELS}
    assert {"demo/demo_penilaian.bpmn", "smk/smk_perencanaan.bpmn", "smk/smk_periode.bpmn"} <= names
    assert len([n for n in names if n.startswith("smk/")]) == 7


@pytest.mark.parametrize("model", MODELS, ids=[p.stem for p in MODELS])
def test_model_opens_in_bpmn_js(checker, model: Path) -> None:
    expected = _expected(model)
    assert expected, f"{model.name}: no process with flow nodes"
    result = checker.evaluate("([xml, ids]) => window.check(xml, ids)", [model.read_text(), list(expected)])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    checker.locator("#canvas").screenshot(path=str(ARTIFACTS / f"bpmn_js_{model.stem}.png"))
    assert result["error"] is None, f"{model.name}: import failed: {result['error']}"
    assert result["warnings"] == [], f"{model.name}: import warnings: {result['warnings']}"
    missing = sorted(i for i, drawn in result["drawn"].items() if drawn is None)
    assert missing == [], f"{model.name}: not drawn: {missing}"
    wrong = {i: (kind, result["drawn"][i]["type"]) for i, kind in expected.items()
             if result["drawn"][i]["type"].lower() != f"bpmn:{kind}".lower()}
    assert wrong == {}, f"{model.name}: drawn as another type: {wrong}"
    # Events are circles of the standard size (a boundary event drawn 120x80 covered its neighbours).
    events = {i: (d["width"], d["height"]) for i, d in result["drawn"].items() if d["type"].endswith("Event")}
    assert {i: wh for i, wh in events.items() if wh != (36, 36)} == {}, f"{model.name}: events not 36x36"
