"""A roomier diagram layout and the elements' documentation, applied once to the generated models.

Rows inside lanes, orthogonal edges, back edges through channels at the bottom of a lane, and explicit label
bounds (events below, gateways above-left, flows beside their first segment). The result is pretty-printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from tools.bpmn_builder import Flow, Node, Process, document

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"

COL_W = 190
ROW_H = 150
LEFT = 80
TOP = 60
LANE_LABEL = 30
PAD_TOP = 60
PAD_BOTTOM = 25
TRACK = 16
LABEL_W = 90
LINE_H = 14

_NARROW = set("ijlrtf.,:;!|()[]' /-1")
_WIDE = set("mwMW@%")


def text_size(text: str, width: int = LABEL_W) -> tuple[int, int]:
    """Estimate how bpmn-js lays out an external label (Arial 11px, wrapped at 90px): width, height."""
    def w(s: str) -> float:
        return sum(3.2 if c in _NARROW else 9.5 if c in _WIDE else 7.4 if c.isupper() else 6.0 for c in s)

    lines: list[str] = []
    for word in text.split():
        if lines and w(lines[-1] + " " + word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if not lines:
        return 0, 0
    # bpmn-js wraps the text at the width of the label bounds: a wrapped label gets the whole width.
    if len(lines) > 1:
        return width, len(lines) * LINE_H + 2
    return min(width, int(w(lines[0])) + 6), LINE_H + 2


@dataclass
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h


@dataclass
class Route:
    """Hints for one flow: which side it leaves/enters, a fixed channel y, explicit waypoints, label offset."""

    exit: str | None = None
    entry: str | None = None
    points: list[tuple[float, float]] | None = None
    label: tuple[float, float] | None = None  # the label's top-left corner, relative to the first waypoint
    bend: float | None = None  # x of the vertical segment of a right-to-left-side elbow
    near_source: bool = False  # bend just after the source instead of just before the target


@dataclass
class Layout:
    rows: dict[str, int] = field(default_factory=dict)  # node id -> row inside its lane (any integers)
    routes: dict[str, Route] = field(default_factory=dict)
    node_labels: dict[str, str] = field(default_factory=dict)  # node id -> above-left, below-left, above, below
    boundary_side: dict[str, int] = field(default_factory=dict)


def _is_gateway(node: Node) -> bool:
    return node.tag.endswith("Gateway")


def _is_event(node: Node) -> bool:
    return node.tag.endswith("Event")


class Diagram:
    def __init__(self, p: Process, layout: Layout):
        self.p = p
        self.lay = layout
        self.lanes = p.lanes or [None]
        self.boxes: dict[str, Box] = {}
        self.lane_boxes: list[Box] = []
        self.edges: dict[str, list[tuple[float, float]]] = {}
        self.labels: dict[str, Box] = {}
        self.slot: dict[str, int] = {}
        self.bypass: set[str] = set()
        self._place()
        self._route()

    def lane_of(self, node: Node) -> int:
        return self.lanes.index(node.lane) if node.lane in self.lanes else 0

    def _row(self, node: Node) -> int:
        return self.lay.rows.get(node.id, getattr(self.p, "rows", {}).get(node.id, 0))

    def _place(self) -> None:
        nodes = [n for n in self.p.nodes.values() if not n.attached_to]
        lane_rows: list[list[int]] = []
        for i in range(len(self.lanes)):
            lane_rows.append(sorted({self._row(n) for n in nodes if self.lane_of(n) == i}) or [0])
        # Back edges run in channels below the upper lane of their two ends; count the tracks per lane.
        self.back: dict[str, tuple[int, int]] = {}
        prelim = {n.id: n.col for n in self.p.nodes.values()}
        spans: dict[str, tuple[float, float]] = {}
        for f in self.p.flows:
            s, t = self.p.nodes[f.source], self.p.nodes[f.target]
            hint = self.lay.routes.get(f.id)
            if s.attached_to or (hint and (hint.points or hint.exit in ("over", "under"))):
                continue
            if prelim[t.id] < prelim[s.id]:
                lane = min(self.lane_of(s), self.lane_of(t))
                lo, hi = prelim[t.id], prelim[s.id]
                used = {tr for fid, (ln, tr) in self.back.items()
                        if ln == lane and not (hi < spans[fid][0] - 0.3 or lo > spans[fid][1] + 0.3)}
                track = 0
                while track in used:
                    track += 1
                self.back[f.id] = (lane, track)
                spans[f.id] = (lo, hi)
        tracks = [1 + max([tr for ln, tr in self.back.values() if ln == i], default=-1) for i in range(len(self.lanes))]
        y = TOP
        self.row_y: list[dict[int, float]] = []
        self.channel_y: list[float] = []
        max_col = max(n.col for n in self.p.nodes.values())
        width = LANE_LABEL + 90 + (max_col + 1) * COL_W
        for i, rows in enumerate(lane_rows):
            centers = {r: y + PAD_TOP + k * ROW_H + ROW_H / 2 for k, r in enumerate(rows)}
            self.row_y.append(centers)
            bottom_rows = y + PAD_TOP + len(rows) * ROW_H
            self.channel_y.append(bottom_rows)
            h = PAD_TOP + len(rows) * ROW_H + tracks[i] * TRACK + PAD_BOTTOM
            self.lane_boxes.append(Box(LEFT + LANE_LABEL, y, width - LANE_LABEL, h))
            y += h
        self.participant = Box(LEFT, TOP, width, y - TOP)
        for n in nodes:
            w, h = n.size()
            cx = LEFT + LANE_LABEL + 90 + n.col * COL_W
            cy = self.row_y[self.lane_of(n)][self._row(n)]
            self.boxes[n.id] = Box(cx - w / 2, cy - h / 2, w, h)
        for n in self.p.nodes.values():
            if n.attached_to:
                host = self.boxes[n.attached_to]
                siblings = [m.id for m in self.p.nodes.values() if m.attached_to == n.attached_to]
                k = siblings.index(n.id)
                x = host.right - 36 if k == 0 else host.x + (k - 1) * 40
                self.boxes[n.id] = Box(x, host.bottom - 18, 36, 36)
                self.slot[n.id] = k

    def _route(self) -> None:
        for f in self.p.flows:
            route = self.lay.routes.get(f.id, Route())
            self.edges[f.id] = route.points or self._points(f, route)
        for f in self.p.flows:
            if f.name:
                self.labels[f.id] = self._flow_label(f)
        for n in self.p.nodes.values():
            if n.name and (_is_event(n) or _is_gateway(n)):
                self.labels[n.id] = self._node_label(n)

    def _points(self, f: Flow, route: Route) -> list[tuple[float, float]]:
        s, t = self.p.nodes[f.source], self.p.nodes[f.target]
        S, T = self.boxes[s.id], self.boxes[t.id]
        if s.attached_to:
            a = (S.cx, S.bottom)
            yc = S.bottom + 12 + 12 * self.slot[s.id]
            if T.x > S.right:
                if T.cy < yc:
                    return [a, (a[0], yc), (T.cx, yc), (T.cx, T.bottom)]
                x = route.bend if route.bend is not None else T.x - 30 - 10 * self.slot[s.id]
                return [a, (a[0], yc), (x, yc), (x, T.cy), (T.x, T.cy)]
            if T.cy < yc:
                return [a, (a[0], yc), (T.cx, yc), (T.cx, T.bottom)]
            if T.x < a[0] < T.right:
                return [a, (a[0], T.y)]
            return [a, (a[0], T.cy), (T.right, T.cy)]
        if f.id in self.back and route.exit not in ("over", "under"):
            lane, track = self.back[f.id]
            yc = self.channel_y[lane] + 8 + track * TRACK
            a = (S.cx, S.bottom) if yc > S.cy else (S.cx, S.y)
            b = (T.cx, T.bottom) if yc > T.cy else (T.cx, T.y)
            return [a, (a[0], yc), (b[0], yc), b]
        if abs(S.cx - T.cx) < 1:
            return [(S.cx, S.bottom), (T.cx, T.y)] if T.cy > S.cy else [(S.cx, S.y), (T.cx, T.bottom)]
        if route.exit == "over":
            yb = S.cy - ROW_H / 2 - 8
            self.bypass.add(f.id)
            return [(S.cx, S.y), (S.cx, yb), (T.cx, yb), (T.cx, T.y)]
        if route.exit == "under":
            yb = S.cy + ROW_H / 2 + 8
            self.bypass.add(f.id)
            return [(S.cx, S.bottom), (S.cx, yb), (T.cx, yb), (T.cx, T.bottom)]
        if abs(S.cy - T.cy) < 1:
            straight = [(S.right, S.cy), (T.x, T.cy)]
            if route.exit != "over" and not self._blocked(straight, {s.id, t.id}):
                return straight
            yb = S.cy - ROW_H / 2 - 8
            self.bypass.add(f.id)
            return [(S.cx, S.y), (S.cx, yb), (T.cx, yb), (T.cx, T.y)]
        exit_side = route.exit or ("vertical" if _is_gateway(s) else "right")
        entry_side = route.entry or ("vertical" if _is_gateway(t) and exit_side != "vertical" else "left")
        if exit_side == "vertical":
            a = (S.cx, S.y if T.cy < S.cy else S.bottom)
            if entry_side == "vertical":
                mid = route.bend if route.bend is not None else (S.cy + T.cy) / 2
                return [a, (a[0], mid), (T.cx, mid), (T.cx, T.y if T.cy > S.cy else T.bottom)]
            return [a, (a[0], T.cy), (T.x, T.cy)]
        a = (S.right, S.cy)
        if entry_side == "vertical":
            return [a, (T.cx, a[1]), (T.cx, T.y if T.cy > S.cy else T.bottom)]
        mid = route.bend if route.bend is not None else S.right + 20 if route.near_source else T.x - 30
        return [a, (mid, a[1]), (mid, T.cy), (T.x, T.cy)]

    def _blocked(self, points: list[tuple[float, float]], ends: set[str]) -> bool:
        for nid, b in self.boxes.items():
            if nid in ends:
                continue
            for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
                if min(x0, x1) < b.right and max(x0, x1) > b.x and min(y0, y1) < b.bottom and max(y0, y1) > b.y:
                    return True
        return False

    def _sides(self, node_id: str) -> set[str]:
        """The sides of a node that its outgoing edges leave from."""
        out = set()
        B = self.boxes[node_id]
        for f in self.p.flows:
            if f.source == node_id and f.id in self.edges and f.id not in self.bypass:
                x, y = self.edges[f.id][0]
                out.add("top" if abs(y - B.y) < 1 else "bottom" if abs(y - B.bottom) < 1 else
                        "right" if abs(x - B.right) < 1 else "left")
        return out

    def _flow_label(self, f: Flow) -> Box:
        w, h = text_size(f.name)
        route = self.lay.routes.get(f.id)
        pts = self.edges[f.id]
        if route and route.label:
            return Box(pts[0][0] + route.label[0], pts[0][1] + route.label[1], w, h)
        (x0, y0), (x1, y1) = pts[0], pts[1]
        if f.id in self.bypass:  # beside the vertical segment, next to the bend
            return Box(x0 + 5, y1 + 3 if y1 < y0 else y1 - h - 3, w, h)
        if abs(x0 - x1) < 1:  # leaves vertically: label right of the first segment, next to the shape
            return Box(x0 + 5, y0 - h - 3 if y1 < y0 else y0 + 3, w, h)
        if x1 > x0:  # leaves to the right: label above the first segment (below if an edge leaves the top)
            if "top" in self._sides(f.source):
                return Box(x0 + 6, y0 + 3, w, h)
            return Box(x0 + 6, y0 - h - 3, w, h)
        return Box(x0 - w - 6, y0 - h - 3, w, h)

    def _node_label(self, n: Node) -> Box:
        w, h = text_size(n.name)
        B = self.boxes[n.id]
        if n.attached_to:  # beside the host's bottom corner, away from the event's edge
            if self.slot[n.id] == 0:
                return Box(B.right + 3, B.cy - h / 2, w, h)
            return Box(B.x - w - 3, B.cy - h / 2, w, h)
        where = self.lay.node_labels.get(n.id)
        if where is None and _is_gateway(n):
            where = "above-left"
        if where is None:
            touched = any(abs(pts[k][1] - B.bottom) < 1 and abs(pts[k][0] - B.cx) < 1
                          for pts in self.edges.values() for k in (0, -1))
            where = "above" if touched else "below"
        return {"above-left": Box(B.x + 21 - w, B.y - h - 1, w, h),
                "below-left": Box(B.x + 21 - w, B.bottom + 1, w, h),
                "above": Box(B.cx - w / 2, B.y - h - 4, w, h),
                "below": Box(B.cx - w / 2, B.bottom + 4, w, h)}[where]

    # -- XML ------------------------------------------------------------------------------------
    def element(self, plane_element: str) -> Any:
        E = etree.Element
        diagram = E(f"{{{BPMNDI}}}BPMNDiagram", id=f"{self.p.id}_diagram")
        plane = etree.SubElement(diagram, f"{{{BPMNDI}}}BPMNPlane", id=f"{self.p.id}_plane",
                                 bpmnElement=plane_element)

        def bounds(parent: Any, b: Box) -> None:
            etree.SubElement(parent, f"{{{DC}}}Bounds", x=_n(b.x), y=_n(b.y), width=_n(b.w), height=_n(b.h))

        if self.p.lanes:
            shape = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNShape", id=f"{self.p.id}_participant_di",
                                     bpmnElement=f"{self.p.id}_participant", isHorizontal="true")
            bounds(shape, self.participant)
            for i, lane_box in enumerate(self.lane_boxes):
                shape = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNShape", id=f"{self.p.id}_lane{i}_di",
                                         bpmnElement=f"{self.p.id}_lane{i}", isHorizontal="true")
                bounds(shape, lane_box)
        for n in self.p.nodes.values():
            attrs = {"id": f"{n.id}_di", "bpmnElement": n.id}
            if n.tag == "exclusiveGateway":
                attrs["isMarkerVisible"] = "true"
            shape = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNShape", attrs)
            bounds(shape, self.boxes[n.id])
            if n.id in self.labels:
                bounds(etree.SubElement(shape, f"{{{BPMNDI}}}BPMNLabel"), self.labels[n.id])
        for f in self.p.flows:
            edge = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNEdge", id=f"{f.id}_di", bpmnElement=f.id)
            for x, y in self.edges[f.id]:
                etree.SubElement(edge, f"{{{DI}}}waypoint", x=_n(x), y=_n(y))
            if f.id in self.labels:
                bounds(etree.SubElement(edge, f"{{{BPMNDI}}}BPMNLabel"), self.labels[f.id])
        return diagram


def _n(v: float) -> str:
    return str(int(round(v)))


def render(p: Process, layout: Layout | None = None, docs: dict[str, tuple[str, str]] | None = None) -> str:
    """Return the BPMN document of ``p`` with the roomier layout and each element's bilingual documentation."""
    text = document(p)
    root = etree.fromstring(text.encode())
    docs = dict(docs or {})
    process = root.find(f"{{{BPMN}}}process")
    for el in process.iter():
        el_id = el.get("id")
        if el_id in docs and el is not process:
            indonesian, english = docs.pop(el_id)
            doc = etree.Element(f"{{{BPMN}}}documentation")
            doc.text = f"{indonesian}\n\nEN: {english}"
            el.insert(0, doc)
    if docs:
        raise ValueError(f"{p.id}: documentation for unknown elements {sorted(docs)}")
    old = root.find(f"{{{BPMNDI}}}BPMNDiagram")
    plane_element = old.find(f"{{{BPMNDI}}}BPMNPlane").get("bpmnElement")
    diagram = Diagram(p, layout or Layout())
    root.replace(old, diagram.element(plane_element))
    etree.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="unicode") + "\n"
