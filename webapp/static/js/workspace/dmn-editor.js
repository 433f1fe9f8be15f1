// The DMN editor: dmn-js decision tables (rules added, removed, moved by drag and drop or the context menu; input
// and output entries edited in place; each rule's description in the annotations column), problem markers.
import DmnModeler from 'dmn-js/lib/Modeler';
import { HIT_POLICIES } from 'dmn-js-decision-table/lib/features/hit-policy/HitPolicies';

import { TranslateModule, t } from './i18n.js';

// SpiffWorkflow evaluates UNIQUE and COLLECT (without aggregation) only: offer no other hit policy.
for (let i = HIT_POLICIES.length - 1; i >= 0; i -= 1) {
  const { hitPolicy, aggregation } = HIT_POLICIES[i].value;
  if (!((hitPolicy === 'UNIQUE' || hitPolicy === 'COLLECT') && !aggregation)) { HIT_POLICIES.splice(i, 1); }
}

function escapeId(id) {
  return window.CSS && CSS.escape ? CSS.escape(id) : id.replace(/["\\]/g, '\\$&');
}

// The ids inside one decision (its table, columns, rules and cells).
function idsOf(decision) {
  const ids = [decision.id];
  const table = decision.decisionLogic;
  if (!table) { return ids; }
  ids.push(table.id);
  (table.input || []).forEach((i) => ids.push(i.id, i.inputExpression && i.inputExpression.id));
  (table.output || []).forEach((o) => ids.push(o.id));
  (table.rule || []).forEach((r) => {
    ids.push(r.id);
    (r.inputEntry || []).forEach((e) => ids.push(e.id));
    (r.outputEntry || []).forEach((e) => ids.push(e.id));
  });
  return ids.filter(Boolean);
}

export function createDmnEditor({ container }) {
  // dmn-js gives each view its own modules (a common additionalModules would be overwritten).
  const modules = { additionalModules: [TranslateModule] };
  const modeler = new DmnModeler({
    container,
    drd: modules, decisionTable: modules, literalExpression: modules, boxedExpression: modules,
  });
  let dirty = false;
  let problems = [];
  let hooked = null;

  // Markers live in the table's DOM, which dmn-js re-renders: put them back after every render.
  function paint() {
    container.querySelectorAll('.ws-problem').forEach((node) => {
      node.classList.remove('ws-problem');
      node.removeAttribute('title');
    });
    problems.forEach((p) => {
      if (!p.element_id) { return; }
      const node = container.querySelector(`[data-element-id="${escapeId(p.element_id)}"]`)
        || container.querySelector(`[data-row-id="${escapeId(p.element_id)}"]`);
      if (node) {
        node.classList.add('ws-problem');
        node.title = t('problem_here', { message: p.message });
      }
    });
  }

  function hook() {
    const viewer = modeler.getActiveViewer();
    if (!viewer || viewer === hooked) { return; }
    hooked = viewer;
    const eventBus = viewer.get('eventBus');
    eventBus.on('elements.changed', () => {
      dirty = true;
      container.dispatchEvent(new CustomEvent('ws:changed', { bubbles: true }));
      window.requestAnimationFrame(paint);
    });
  }
  modeler.on('views.changed', () => { hook(); window.requestAnimationFrame(paint); });

  function find(id) {
    return container.querySelector(`[data-element-id="${escapeId(id)}"]`)
      || container.querySelector(`[data-row-id="${escapeId(id)}"]`);
  }

  return {
    kind: 'dmn',
    modeler,
    async load(xml) {
      const result = await modeler.importXML(xml);
      hook();
      dirty = false;
      return result.warnings || [];
    },
    async save() {
      const { xml } = await modeler.saveXML({ format: true });
      return xml;
    },
    isDirty() { return dirty; },
    markSaved() { dirty = false; },
    clearProblems() { problems = []; paint(); },
    markProblems(list) {
      problems = list.filter((p) => p.element_id);
      paint();
      // A problem on the decision or the table itself has no cell; it is in the list only.
      return problems.filter((p) => !find(p.element_id)).map((p) => p.element_id);
    },
    select(id) {
      // A problem may be in another decision of the same file: open that decision's table first.
      const views = modeler.getViews();
      const active = modeler.getActiveView();
      if (!find(id)) {
        const target = views.find((v) => v.element && idsOf(v.element).includes(id));
        if (target && target !== active) {
          return modeler.open(target).then(() => this.select(id));
        }
      }
      const node = find(id);
      if (!node) { return false; }
      node.scrollIntoView({ block: 'center', inline: 'center' });
      const editable = node.matches('[contenteditable]') ? node : node.querySelector('[contenteditable]');
      (editable || node).focus();
      return true;
    },
    focus() { container.focus(); },
  };
}
