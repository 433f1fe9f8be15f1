"""Build BPMN 2.0 documents with diagram interchange from a compact Python description.

Tests use it to build small models without hand-writing XML; each carries a layout that any modeller (bpmn-js,
Camunda Modeler, SpiffArena) can display. The shipped models in ``bpmn/`` are not generated: those files are the
source (docs/modelling.md). The layout is deliberately simple: one row per lane, one column per step, orthogonal
edges.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"

COL_WIDTH = 170
LANE_HEIGHT = 160
LANE_LABEL = 30
LEFT = 80
TOP = 60

_SIZES = {
    "startEvent": (36, 36),
    "endEvent": (36, 36),
    "intermediateCatchEvent": (36, 36),
    "intermediateThrowEvent": (36, 36),
    "boundaryEvent": (36, 36),
    "exclusiveGateway": (50, 50),
    "parallelGateway": (50, 50),
    "eventBasedGateway": (50, 50),
}
_TASK_SIZE = (120, 80)


@dataclass
class Node:
    """One flow node: its BPMN tag, position and the XML inside it."""

    id: str
    tag: str
    name: str
    lane: str | None
    col: float
    inner: list[str] = field(default_factory=list)
    attrs: dict[str, str] = field(default_factory=dict)
    extensions: list[str] = field(default_factory=list)
    attached_to: str | None = None

    def size(self) -> tuple[int, int]:
        return _SIZES.get(self.tag, _TASK_SIZE)


@dataclass
class Flow:
    """A sequence flow, optionally with a condition expression."""

    id: str
    source: str
    target: str
    name: str = ""
    condition: str | None = None


def _props(props: dict[str, str]) -> str:
    rows = "".join(
        f'<spiffworkflow:property name={quoteattr(k)} value={quoteattr(str(v))} />' for k, v in props.items()
    )
    return f"<spiffworkflow:properties>{rows}</spiffworkflow:properties>"


class Process:
    """A process being described; methods add nodes and flows, ``xml()`` renders the document."""

    def __init__(self, process_id: str, name: str, lanes: list[str] | None = None, executable: bool = True):
        self.id = process_id
        self.name = name
        self.lanes = lanes or []
        self.executable = executable
        self.nodes: dict[str, Node] = {}
        self.flows: list[Flow] = []
        self.messages: dict[str, str] = {}
        self.documentation = ""

    # -- nodes ---------------------------------------------------------------------------------
    def _add(self, node: Node) -> Node:
        if node.id in self.nodes:
            raise ValueError(f"duplicate node id {node.id}")
        self.nodes[node.id] = node
        return node

    def start(self, id: str, name: str = "", lane: str | None = None, col: float = 0,
              message: str | None = None, timer: tuple[str, str] | None = None,
              variable: str | None = None) -> Node:
        node = self._add(Node(id, "startEvent", name, lane, col))
        self._event_definition(node, message=message, timer=timer, variable=variable)
        return node

    def end(self, id: str, name: str = "", lane: str | None = None, col: float = 0,
            message: str | None = None, payload: str | None = None) -> Node:
        node = self._add(Node(id, "endEvent", name, lane, col))
        self._event_definition(node, message=message, payload=payload)
        return node

    def user(self, id: str, name: str, lane: str | None = None, col: float = 0, form: str | None = None,
             instructions: str | None = None, properties: dict[str, str] | None = None) -> Node:
        node = self._add(Node(id, "userTask", name, lane, col))
        props = dict(properties or {})
        if form:
            props.setdefault("formJsonSchemaFilename", f"{form}.schema.json")
            props.setdefault("formUiSchemaFilename", f"{form}.uischema.json")
        if props:
            node.extensions.append(_props(props))
        if instructions:
            node.extensions.append(
                f"<spiffworkflow:instructionsForEndUser>{escape(instructions)}</spiffworkflow:instructionsForEndUser>"
            )
        return node

    def script(self, id: str, name: str, script: str, lane: str | None = None, col: float = 0) -> Node:
        node = self._add(Node(id, "scriptTask", name, lane, col))
        node.attrs["scriptFormat"] = "python"
        node.inner.append(f"<bpmn:script>{escape(script)}</bpmn:script>")
        return node

    def rule(self, id: str, name: str, decision: str, lane: str | None = None, col: float = 0) -> Node:
        node = self._add(Node(id, "businessRuleTask", name, lane, col))
        node.extensions.append(f"<spiffworkflow:calledDecisionId>{escape(decision)}</spiffworkflow:calledDecisionId>")
        return node

    def service(self, id: str, name: str, operation: str, params: dict[str, str] | None = None,
                result: str | None = None, lane: str | None = None, col: float = 0) -> Node:
        """Add a service task; each param value is a sandboxed Python expression."""
        node = self._add(Node(id, "serviceTask", name, lane, col))
        rows = "".join(
            f'<spiffworkflow:parameter id={quoteattr(k)} type="any" value={quoteattr(v)} />'
            for k, v in (params or {}).items()
        )
        result_attr = f" resultVariable={quoteattr(result)}" if result else ""
        node.extensions.append(
            f"<spiffworkflow:serviceTaskOperator id={quoteattr(operation)}{result_attr}>"
            f"<spiffworkflow:parameters>{rows}</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator>"
        )
        return node

    def call(self, id: str, name: str, called: str, lane: str | None = None, col: float = 0) -> Node:
        node = self._add(Node(id, "callActivity", name, lane, col))
        node.attrs["calledElement"] = called
        return node

    def gateway(self, id: str, name: str = "", lane: str | None = None, col: float = 0,
                kind: str = "exclusive", default: str | None = None) -> Node:
        node = self._add(Node(id, f"{kind}Gateway", name, lane, col))
        if default:
            node.attrs["default"] = default
        return node

    def catch(self, id: str, name: str, lane: str | None = None, col: float = 0,
              message: str | None = None, timer: tuple[str, str] | None = None,
              variable: str | None = None) -> Node:
        node = self._add(Node(id, "intermediateCatchEvent", name, lane, col))
        self._event_definition(node, message=message, timer=timer, variable=variable)
        return node

    def throw(self, id: str, name: str, message: str, payload: str | None = None,
              lane: str | None = None, col: float = 0) -> Node:
        node = self._add(Node(id, "intermediateThrowEvent", name, lane, col))
        self._event_definition(node, message=message, payload=payload)
        return node

    def boundary(self, id: str, name: str, attached_to: str, timer: tuple[str, str] | None = None,
                 message: str | None = None, interrupting: bool = True, variable: str | None = None) -> Node:
        host = self.nodes[attached_to]
        node = self._add(Node(id, "boundaryEvent", name, host.lane, host.col, attached_to=attached_to))
        node.attrs["attachedToRef"] = attached_to
        node.attrs["cancelActivity"] = "true" if interrupting else "false"
        self._event_definition(node, message=message, timer=timer, variable=variable)
        return node

    def _event_definition(self, node: Node, message: str | None = None, payload: str | None = None,
                          timer: tuple[str, str] | None = None, variable: str | None = None) -> None:
        if message:
            self.messages.setdefault(message, f"msg_{message}")
            inner = ""
            if payload:
                inner = f"<spiffworkflow:messagePayload>{escape(payload)}</spiffworkflow:messagePayload>"
            if variable:
                inner += f"<spiffworkflow:messageVariable>{escape(variable)}</spiffworkflow:messageVariable>"
            if inner:
                inner = f"<bpmn:extensionElements>{inner}</bpmn:extensionElements>"
            node.inner.append(f'<bpmn:messageEventDefinition id="{node.id}_med" messageRef="msg_{message}">'
                              f"{inner}</bpmn:messageEventDefinition>")
        if timer:
            kind, expression = timer  # kind: timeDuration | timeDate | timeCycle
            node.inner.append(
                f'<bpmn:timerEventDefinition id="{node.id}_ted"><bpmn:{kind} xsi:type="bpmn:tFormalExpression">'
                f"{escape(expression)}</bpmn:{kind}></bpmn:timerEventDefinition>"
            )

    # -- flows ---------------------------------------------------------------------------------
    def flow(self, source: str, target: str, name: str = "", condition: str | None = None,
             id: str | None = None) -> Flow:
        flow = Flow(id or f"f_{source}_{target}", source, target, name, condition)
        self.flows.append(flow)
        return flow

    def chain(self, *ids: str) -> None:
        for a, b in zip(ids, ids[1:], strict=False):
            self.flow(a, b)

    # -- rendering -----------------------------------------------------------------------------
    def _lane_index(self, lane: str | None) -> int:
        return self.lanes.index(lane) if lane in self.lanes else 0

    def bounds(self, node: Node) -> tuple[float, float, int, int]:
        w, h = node.size()
        cx = LEFT + LANE_LABEL + 60 + node.col * COL_WIDTH
        cy = TOP + self._lane_index(node.lane) * LANE_HEIGHT + LANE_HEIGHT / 2
        if node.attached_to:
            host = self.nodes[node.attached_to]
            hx, hy, hw, hh = self.bounds(host)
            # Several boundary events on one task sit side by side along its bottom edge, right to left.
            siblings = [n.id for n in self.nodes.values() if n.attached_to == node.attached_to]
            return hx + hw - 30 - siblings.index(node.id) * 40, hy + hh - 18, w, h
        return cx - w / 2, cy - h / 2, w, h

    def process_xml(self) -> str:
        out = [f'<bpmn:process id="{self.id}" name={quoteattr(self.name)} '
               f'isExecutable="{"true" if self.executable else "false"}">']
        if self.documentation:
            out.append(f"<bpmn:documentation>{escape(self.documentation)}</bpmn:documentation>")
        if self.lanes:
            out.append(f'<bpmn:laneSet id="{self.id}_lanes">')
            for i, lane in enumerate(self.lanes):
                refs = "".join(f"<bpmn:flowNodeRef>{n.id}</bpmn:flowNodeRef>"
                               for n in self.nodes.values() if self._lane_index(n.lane) == i)
                out.append(f'<bpmn:lane id="{self.id}_lane{i}" name={quoteattr(lane)}>{refs}</bpmn:lane>')
            out.append("</bpmn:laneSet>")
        incoming: dict[str, list[str]] = {}
        outgoing: dict[str, list[str]] = {}
        for f in self.flows:
            outgoing.setdefault(f.source, []).append(f.id)
            incoming.setdefault(f.target, []).append(f.id)
        for n in self.nodes.values():
            attrs = "".join(f" {k}={quoteattr(v)}" for k, v in n.attrs.items())
            out.append(f'<bpmn:{n.tag} id="{n.id}" name={quoteattr(n.name)}{attrs}>')
            if n.extensions:
                out.append("<bpmn:extensionElements>" + "".join(n.extensions) + "</bpmn:extensionElements>")
            out.extend(f"<bpmn:incoming>{i}</bpmn:incoming>" for i in incoming.get(n.id, []))
            out.extend(f"<bpmn:outgoing>{o}</bpmn:outgoing>" for o in outgoing.get(n.id, []))
            out.extend(n.inner)
            out.append(f"</bpmn:{n.tag}>")
        for f in self.flows:
            cond = ""
            if f.condition is not None:
                cond = f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(f.condition)}' \
                       "</bpmn:conditionExpression>"
            out.append(f'<bpmn:sequenceFlow id="{f.id}" name={quoteattr(f.name)} sourceRef="{f.source}" '
                       f'targetRef="{f.target}">{cond}</bpmn:sequenceFlow>')
        out.append("</bpmn:process>")
        return "\n".join(out)

    def diagram_xml(self, plane_element: str) -> str:
        out = [f'<bpmndi:BPMNDiagram id="{self.id}_diagram"><bpmndi:BPMNPlane id="{self.id}_plane" '
               f'bpmnElement="{plane_element}">']
        max_col = max((n.col for n in self.nodes.values()), default=0)
        width = LANE_LABEL + 120 + (max_col + 1) * COL_WIDTH
        if self.lanes:
            out.append(f'<bpmndi:BPMNShape id="{self.id}_participant_di" bpmnElement="{self.id}_participant" '
                       f'isHorizontal="true"><dc:Bounds x="{LEFT}" y="{TOP}" width="{width}" '
                       f'height="{LANE_HEIGHT * len(self.lanes)}" /></bpmndi:BPMNShape>')
            for i, _ in enumerate(self.lanes):
                out.append(f'<bpmndi:BPMNShape id="{self.id}_lane{i}_di" bpmnElement="{self.id}_lane{i}" '
                           f'isHorizontal="true"><dc:Bounds x="{LEFT + LANE_LABEL}" y="{TOP + i * LANE_HEIGHT}" '
                           f'width="{width - LANE_LABEL}" height="{LANE_HEIGHT}" /></bpmndi:BPMNShape>')
        for n in self.nodes.values():
            x, y, w, h = self.bounds(n)
            extra = ' isMarkerVisible="true"' if n.tag == "exclusiveGateway" else ""
            out.append(f'<bpmndi:BPMNShape id="{n.id}_di" bpmnElement="{n.id}"{extra}>'
                       f'<dc:Bounds x="{x:.0f}" y="{y:.0f}" width="{w}" height="{h}" /></bpmndi:BPMNShape>')
        for f in self.flows:
            out.append(f'<bpmndi:BPMNEdge id="{f.id}_di" bpmnElement="{f.id}">'
                       + "".join(f'<di:waypoint x="{x:.0f}" y="{y:.0f}" />' for x, y in self._waypoints(f))
                       + "</bpmndi:BPMNEdge>")
        out.append("</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>")
        return "\n".join(out)

    def _waypoints(self, f: Flow) -> list[tuple[float, float]]:
        sx, sy, sw, sh = self.bounds(self.nodes[f.source])
        tx, ty, tw, th = self.bounds(self.nodes[f.target])
        if self.nodes[f.source].attached_to:
            start = (sx + sw / 2, sy + sh)
            return [start, (start[0], ty + th / 2), (tx, ty + th / 2)] if tx > start[0] else \
                [start, (start[0], ty + th + 20), (tx + tw / 2, ty + th + 20), (tx + tw / 2, ty + th)]
        if tx > sx:  # forward: leave right, enter left, bend halfway
            a = (sx + sw, sy + sh / 2)
            b = (tx, ty + th / 2)
            if abs(a[1] - b[1]) < 1:
                return [a, b]
            mid = (a[0] + b[0]) / 2
            return [a, (mid, a[1]), (mid, b[1]), b]
        # backward: go under both shapes and come back from below
        low = max(sy + sh, ty + th) + 25
        a = (sx + sw / 2, sy + sh)
        b = (tx + tw / 2, ty + th)
        return [a, (a[0], low), (b[0], low), b]


def document(process: Process, definitions_id: str | None = None) -> str:
    """Render one process (its lanes inside a participant) as a BPMN 2.0 XML document with a diagram."""
    definitions_id = definitions_id or f"{process.id}_definitions"
    head = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<bpmn:definitions xmlns:bpmn="{BPMN_NS}" '
            'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
            'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
            'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            f'xmlns:spiffworkflow="{SPIFF_NS}" id="{definitions_id}" '
            'targetNamespace="http://bpmn.io/schema/bpmn" exporter="smk-workflow" exporterVersion="1">')
    body = []
    plane = process.id
    if process.lanes:
        plane = f"{definitions_id}_collab"
        body.append(f'<bpmn:collaboration id="{plane}">'
                    f'<bpmn:participant id="{process.id}_participant" name={quoteattr(process.name)} '
                    f'processRef="{process.id}" /></bpmn:collaboration>')
    for name, mid in sorted(process.messages.items()):
        body.append(f'<bpmn:message id="{mid}" name="{name}" />')
    body.append(process.process_xml())
    body.append(process.diagram_xml(plane))
    return head + "\n" + "\n".join(body) + "\n</bpmn:definitions>\n"
