// Check BPMN files the way bpmn-js imports them: parse with bpmn-moddle (the model layer bpmn-js uses),
// fail on any import warning (unknown element, unresolved reference), and check that every flow element is
// drawn (has a BPMNShape or BPMNEdge). Usage: node scripts/check_bpmn_js.mjs bpmn/smk/*.bpmn
import { readFileSync } from "node:fs";
import { BpmnModdle } from "bpmn-moddle";

const moddle = new BpmnModdle();
let failed = 0;
for (const file of process.argv.slice(2)) {
  const { rootElement, warnings } = await moddle.fromXML(readFileSync(file, "utf8"));
  const drawn = new Set();
  for (const diagram of rootElement.diagrams || []) {
    for (const el of diagram.plane.planeElement || []) drawn.add(el.bpmnElement && el.bpmnElement.id);
  }
  const missing = [];
  for (const root of rootElement.rootElements) {
    if (root.$type !== "bpmn:Process") continue;
    for (const el of root.flowElements || []) if (!drawn.has(el.id)) missing.push(el.id);
    for (const set of root.laneSets || []) for (const lane of set.lanes || []) if (!drawn.has(lane.id)) missing.push(lane.id);
  }
  const problems = warnings.map((w) => w.message).concat(missing.map((id) => `not drawn: ${id}`));
  console.log(`${problems.length ? "FAIL" : "ok  "} ${file}${problems.length ? "\n  " + problems.join("\n  ") : ""}`);
  failed += problems.length ? 1 : 0;
}
process.exit(failed ? 1 : 0);
