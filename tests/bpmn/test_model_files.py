"""Every model in bpmn/ is a source file a person edits: readable in any BPMN modeller and documented.

- valid against the BPMN 2.0 XSD (the same validator deploy uses);
- every flow node has a diagram shape and every sequence flow an edge with at least two waypoints, all inside
  the participant, and shapes inside their lane;
- every named event, gateway and sequence flow has its own label bounds, and no label overlaps a shape, another
  label or an edge of another element; no edge runs through a shape other than its own ends; no two shapes
  overlap (a boundary event sits on its host);
- every task, gateway and event, every sequence flow with a condition and every process carries a
  ``bpmn:documentation`` in both languages: an Indonesian paragraph, a blank line, then a paragraph starting
  with ``EN: `` (docs/modelling.md, "The model files are the source").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.spiff.parser.process import VALIDATOR

ROOT = Path(__file__).resolve().parents[2]
MODELS = sorted((ROOT / "bpmn").rglob("*.bpmn"))
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC",
      "di": "http://www.omg.org/spec/DD/20100524/DI"}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
TASKS = {"task", "userTask", "serviceTask", "scriptTask", "businessRuleTask", "manualTask", "sendTask",
         "receiveTask", "callActivity", "subProcess"}
FLOW_NODES = EVENTS | GATEWAYS | TASKS


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    def overlaps(self, other: Box, margin: float = 0.0) -> bool:
        return (self.x + margin < other.x + other.w and other.x + margin < self.x + self.w
                and self.y + margin < other.y + other.h and other.y + margin < self.y + self.h)

    def contains(self, other: Box) -> bool:
        return (self.x <= other.x and self.y <= other.y and other.x + other.w <= self.x + self.w
                and other.y + other.h <= self.y + self.h)

    def crossed_by(self, a: tuple[float, float], b: tuple[float, float], margin: float = 1.0) -> bool:
        """Whether the axis-parallel or oblique segment a-b passes through the box's interior (shrunk by margin)."""
        x0, y0, x1, y1 = self.x + margin, self.y + margin, self.x + self.w - margin, self.y + self.h - margin
        if x0 >= x1 or y0 >= y1:
            return False
        # Liang-Barsky clipping of the segment against the shrunk box.
        dx, dy = b[0] - a[0], b[1] - a[1]
        t0, t1 = 0.0, 1.0
        for p, q in ((-dx, a[0] - x0), (dx, x1 - a[0]), (-dy, a[1] - y0), (dy, y1 - a[1])):
            if p == 0:
                if q < 0:
                    return False
                continue
            r = q / p
            if p < 0:
                t0 = max(t0, r)
            else:
                t1 = min(t1, r)
            if t0 > t1:
                return False
        return t1 - t0 > 1e-6


@dataclass
class Model:
    """The process elements and the diagram of one file."""

    name: str
    root: etree._Element
    elements: dict[str, etree._Element]  # id -> process element (flow nodes, flows)
    shapes: dict[str, Box]
    labels: dict[str, Box]
    edges: dict[str, list[tuple[float, float]]]
    lanes: dict[str, Box]
    lane_of: dict[str, str]
    participants: list[Box]


def _box(el: etree._Element) -> Box:
    return Box(*(float(el.get(k)) for k in ("x", "y", "width", "height")))


def local(el: etree._Element) -> str:
    return etree.QName(el).localname


def load(path: Path) -> Model:
    root = etree.parse(str(path)).getroot()
    elements: dict[str, etree._Element] = {}
    lane_of: dict[str, str] = {}
    lane_ids: set[str] = set()
    for process in root.iterfind("bpmn:process", NS):
        for el in process:
            if local(el) in FLOW_NODES or local(el) == "sequenceFlow":
                elements[el.get("id")] = el
        for lane in process.iterfind(".//bpmn:lane", NS):
            lane_ids.add(lane.get("id"))
            for ref in lane.iterfind("bpmn:flowNodeRef", NS):
                lane_of[ref.text] = lane.get("id")
    participant_ids = {p.get("id") for p in root.iterfind(".//bpmn:participant", NS)}
    shapes, labels, edges, lanes, participants = {}, {}, {}, {}, []
    for shape in root.iterfind(".//bpmndi:BPMNShape", NS):
        ref = shape.get("bpmnElement")
        bounds = _box(shape.find("dc:Bounds", NS))
        if ref in lane_ids:
            lanes[ref] = bounds
        elif ref in participant_ids:
            participants.append(bounds)
        else:
            shapes[ref] = bounds
        label = shape.find("bpmndi:BPMNLabel/dc:Bounds", NS)
        if label is not None:
            labels[ref] = _box(label)
    for edge in root.iterfind(".//bpmndi:BPMNEdge", NS):
        ref = edge.get("bpmnElement")
        edges[ref] = [(float(w.get("x")), float(w.get("y"))) for w in edge.iterfind("di:waypoint", NS)]
        label = edge.find("bpmndi:BPMNLabel/dc:Bounds", NS)
        if label is not None:
            labels[ref] = _box(label)
    return Model(path.relative_to(ROOT / "bpmn").as_posix(), root, elements, shapes, labels, edges, lanes, lane_of,
                 participants)


def _ends(model: Model, flow_id: str) -> set[str]:
    """The shapes a flow may touch: its source and target, and the host of a boundary-event source."""
    el = model.elements[flow_id]
    ends = {el.get("sourceRef"), el.get("targetRef")}
    for ref in list(ends):
        host = model.elements.get(ref)
        if host is not None and host.get("attachedToRef"):
            ends.add(host.get("attachedToRef"))
    return ends


def layout_problems(model: Model) -> list[str]:
    """Everything that makes the diagram hard to read: overlapping shapes, labels and edges."""
    problems: list[str] = []
    named = [i for i, el in model.elements.items()
             if (el.get("name") or "").strip() and local(el) not in TASKS]
    for ref in named:
        if ref not in model.labels:
            problems.append(f"{ref}: named but has no label bounds")
    frame = model.participants[0] if model.participants else None
    shapes = list(model.shapes.items())
    for i, (a, box_a) in enumerate(shapes):
        for b, box_b in shapes[i + 1:]:
            attached = {model.elements[a].get("attachedToRef"), model.elements[b].get("attachedToRef")}
            if (a in attached or b in attached) and local(model.elements[a if b in attached else b]) == "boundaryEvent":
                continue
            if box_a.overlaps(box_b):
                problems.append(f"shapes {a} and {b} overlap")
        lane = model.lane_of.get(a)
        if lane in model.lanes and local(model.elements[a]) != "boundaryEvent" and not model.lanes[lane].contains(box_a):
            problems.append(f"{a}: shape outside its lane")
    labels = list(model.labels.items())
    for i, (a, box_a) in enumerate(labels):
        if frame and not frame.contains(box_a):
            problems.append(f"{a}: label outside the participant")
        for s, box_s in model.shapes.items():
            if s != a and box_a.overlaps(box_s):
                problems.append(f"label of {a} overlaps shape {s}")
        for b, box_b in labels[i + 1:]:
            if box_a.overlaps(box_b):
                problems.append(f"labels of {a} and {b} overlap")
        for f, points in model.edges.items():
            if f != a and any(box_a.crossed_by(p, q) for p, q in zip(points, points[1:], strict=False)):
                problems.append(f"edge {f} crosses the label of {a}")
    for f, points in model.edges.items():
        if len(points) < 2:
            problems.append(f"edge {f}: fewer than two waypoints")
            continue
        if frame and not all(frame.contains(Box(x, y, 0, 0)) for x, y in points):
            problems.append(f"edge {f}: waypoint outside the participant")
        ends = _ends(model, f)
        for s, box_s in model.shapes.items():
            if s not in ends and any(box_s.crossed_by(p, q) for p, q in zip(points, points[1:], strict=False)):
                problems.append(f"edge {f} runs through shape {s}")
    return problems


def documentation_problems(model: Model) -> list[str]:
    problems: list[str] = []
    wanted = [(i, el) for i, el in model.elements.items()
              if local(el) in FLOW_NODES or el.find("bpmn:conditionExpression", NS) is not None]
    wanted += [(p.get("id"), p) for p in model.root.iterfind("bpmn:process", NS)]
    for ref, el in wanted:
        doc = el.find("bpmn:documentation", NS)
        text = (doc.text or "") if doc is not None else ""
        indonesian, sep, english = text.partition("\n\nEN: ")
        if not sep or not indonesian.strip() or not english.strip():
            problems.append(f"{ref}: documentation must be 'Indonesian paragraph' + blank line + 'EN: English'")
    return problems


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_valid_against_the_bpmn_xsd(path: Path) -> None:
    VALIDATOR.validate(etree.parse(str(path)).getroot(), path.name)


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_every_flow_node_has_a_shape_and_every_flow_an_edge(path: Path) -> None:
    model = load(path)
    missing = [i for i, el in model.elements.items()
               if i not in (model.edges if local(el) == "sequenceFlow" else model.shapes)]
    assert missing == []
    lanes = {lane.get("id") for lane in model.root.iterfind(".//bpmn:lane", NS)}
    assert lanes <= set(model.lanes)


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_labels_shapes_and_edges_do_not_overlap(path: Path) -> None:
    assert layout_problems(load(path)) == []


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_every_element_is_documented_in_both_languages(path: Path) -> None:
    assert documentation_problems(load(path)) == []


def test_the_geometry_check_finds_an_overlap() -> None:
    """Move one gateway onto its neighbour and one label onto a task: the check names both."""
    path = ROOT / "bpmn" / "smk" / "smk_perencanaan.bpmn"
    model = load(path)
    model.shapes["perlu_atasan"] = model.shapes["siapkan"]
    model.labels["f_regime_a"] = model.shapes["profil"]
    problems = layout_problems(model)
    assert "shapes siapkan and perlu_atasan overlap" in problems
    assert "label of f_regime_a overlaps shape profil" in problems


def test_the_documentation_check_wants_both_languages() -> None:
    model = load(ROOT / "bpmn" / "smk" / "smk_perencanaan.bpmn")
    doc = model.elements["tinjau_skp"].find("bpmn:documentation", NS)
    doc.text = doc.text.partition("\n\nEN: ")[0]
    assert documentation_problems(model) == ["tinjau_skp: documentation must be 'Indonesian paragraph' + blank "
                                             "line + 'EN: English'"]


SMK_FORMS = sorted((ROOT / "bpmn" / "smk").glob("*.schema.json"))


def _numbers(node: object) -> list[tuple[str, float]]:
    found: list[tuple[str, float]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("maximum", "exclusiveMaximum") and isinstance(value, int | float):
                found.append((str(node.get("title")), value))
            else:
                found.extend(_numbers(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_numbers(value))
    return found


@pytest.mark.parametrize("schema", SMK_FORMS, ids=lambda p: p.name.removesuffix(".schema.json"))
def test_form_conventions(schema: Path) -> None:
    """What the retired generator did for every form, now kept by hand: a target or realisation accepts up to the
    largest number the rules accept (processes.rules.rounding.MAKSIMUM; scores stay at most 120), a long text
    (maxLength 4000) is a textarea, a read-only context field is read-only in the UI schema too."""
    import json

    from processes.rules.rounding import MAKSIMUM

    data = json.loads(schema.read_text())
    ui = json.loads(schema.with_name(schema.name.replace(".schema.json", ".uischema.json")).read_text())
    assert [(t, m) for t, m in _numbers(data) if m > 2100 and m != int(MAKSIMUM)] == []
    for name, prop in data["properties"].items():
        if prop.get("maxLength") == 4000:
            assert ui.get(name, {}).get("ui:widget") == "textarea", name
        if prop.get("readOnly"):
            assert ui.get(name, {}).get("ui:readonly") is True, name
    assert set(ui["ui:order"]) == set(data["properties"])
