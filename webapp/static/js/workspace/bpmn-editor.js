// The BPMN editor: bpmn-js Modeler, its properties panel with our SpiffWorkflow groups, problem markers.
import BpmnModeler from 'bpmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from 'bpmn-js-properties-panel';
import { is } from 'bpmn-js/lib/util/ModelUtil';

import { TranslateModule, t } from './i18n.js';
import { SpiffPropertiesModule } from './spiff-provider.js';
import spiffModdle from './spiffworkflow.json';

export { spiffModdle };

// The groups a process owner works in are open from the start; the rest stay folded.
const OPEN_GROUPS = ['general', 'timer', 'spiff-script', 'spiff-condition', 'spiff-call', 'spiff-decision', 'spiff-form',
  'spiff-service', 'spiff-parameters', 'spiff-message'];

// Fit the diagram; a wide process would be too small to read: then start at 75 % at its left edge instead.
function fitReadable(canvas) {
  canvas.zoom('fit-viewport', 'auto');
  if (canvas.zoom() >= 0.5) { return; }
  const { inner, outer } = canvas.viewbox();
  const scale = 0.75;
  canvas.viewbox({ x: inner.x - 20, y: inner.y - 20, width: outer.width / scale, height: outer.height / scale });
}

export function createBpmnEditor({ container, properties }) {
  const layout = { groups: Object.fromEntries(OPEN_GROUPS.map((id) => [id, { open: true }])) };
  const modeler = new BpmnModeler({
    container,
    propertiesPanel: properties ? { parent: properties, layout } : undefined,
    additionalModules: [
      TranslateModule,
      ...(properties ? [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, SpiffPropertiesModule] : []),
    ],
    moddleExtensions: { spiffworkflow: spiffModdle },
  });
  let dirty = false;
  let marked = [];
  const eventBus = modeler.get('eventBus');
  eventBus.on('commandStack.changed', () => {
    dirty = true;
    container.dispatchEvent(new CustomEvent('ws:changed', { bubbles: true }));
  });

  function registry() { return modeler.get('elementRegistry'); }

  // The element a problem should be shown on: the element itself, and for a sequence flow (a condition) also
  // the gateway it leaves, where a process owner looks for it.
  function targets(id) {
    const el = registry().get(id);
    if (!el) { return []; }
    const found = [el];
    if (is(el, 'bpmn:SequenceFlow') && el.source && is(el.source, 'bpmn:Gateway')) { found.push(el.source); }
    if (el.type === 'label' && el.labelTarget) { return [el.labelTarget]; }
    return found;
  }

  return {
    kind: 'bpmn',
    modeler,
    async load(xml) {
      const result = await modeler.importXML(xml);
      dirty = false;
      modeler.get('commandStack').clear();
      dirty = false;
      fitReadable(modeler.get('canvas'));
      return result.warnings || [];
    },
    async save() {
      const { xml } = await modeler.saveXML({ format: true });
      return xml;
    },
    isDirty() { return dirty; },
    markSaved() { dirty = false; },
    clearProblems() {
      const canvas = modeler.get('canvas');
      const overlays = modeler.get('overlays');
      marked.forEach((id) => { if (registry().get(id)) { canvas.removeMarker(id, 'ws-problem'); } });
      overlays.remove({ type: 'ws-problem' });
      marked = [];
    },
    // Mark each problem's element (canvas marker + a badge overlay with the message); return the ids not found.
    markProblems(problems) {
      const canvas = modeler.get('canvas');
      const overlays = modeler.get('overlays');
      const missing = [];
      const byElement = new Map();
      problems.forEach((p) => {
        if (!p.element_id) { return; }
        const found = targets(p.element_id);
        if (!found.length) { missing.push(p.element_id); return; }
        found.forEach((el) => {
          if (!byElement.has(el.id)) { byElement.set(el.id, []); }
          byElement.get(el.id).push(p.message);
        });
      });
      byElement.forEach((messages, id) => {
        canvas.addMarker(id, 'ws-problem');
        marked.push(id);
        const badge = document.createElement('span');
        badge.className = 'ws-problem-badge';
        badge.textContent = '!';
        badge.title = messages.map((m) => t('problem_here', { message: m })).join('\n');
        badge.setAttribute('role', 'img');
        badge.setAttribute('aria-label', badge.title);
        const el = registry().get(id);
        const position = el.waypoints ? { top: -10, left: -10 } : { top: -10, right: 10 };
        overlays.add(id, 'ws-problem', { position, html: badge });
      });
      return missing;
    },
    select(id) {
      const el = registry().get(id);
      if (!el) { return false; }
      modeler.get('selection').select(el);
      modeler.get('canvas').scrollToElement(el, { top: 100, bottom: 100, left: 200, right: 100 });
      return true;
    },
    focus() { container.focus(); },
  };
}
