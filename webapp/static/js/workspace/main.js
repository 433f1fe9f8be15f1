// The Model proses workspace in the browser (bundled by esbuild into static/vendor/workspace/workspace.js at
// `make install`). The page (webapp/templates/workspace/edit.html) holds
//   <div id="ws" data-api data-file data-kind="bpmn|dmn|form" data-revision data-csrf>
// with #ws-editor, #ws-properties, #ws-status, #ws-problems, the toolbar buttons [data-ws-action=save|validate]
// and the deploy form [data-ws-deploy] (see /tmp contract, "Front-end hooks"). For bpmn and dmn files this script
// loads the file (GET), edits it in bpmn-js / dmn-js, saves the draft (PUT, a 409 names who saved meanwhile),
// validates the bundle (POST) and shows each problem on its element and in a list whose items select it.
import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn.css';
import '@bpmn-io/properties-panel/dist/assets/properties-panel.css';
import 'dmn-js/dist/assets/dmn-js-shared.css';
import 'dmn-js/dist/assets/dmn-js-drd.css';
import 'dmn-js/dist/assets/dmn-js-decision-table.css';
import 'dmn-js/dist/assets/dmn-js-decision-table-controls.css';
import 'dmn-js/dist/assets/dmn-js-literal-expression.css';
import 'dmn-js/dist/assets/dmn-font/css/dmn.css';
import './workspace.css';
import './csp-styles.js';

import { createBpmnEditor, spiffModdle } from './bpmn-editor.js';
import { createDmnEditor } from './dmn-editor.js';
import { LANG, t } from './i18n.js';

const PENDING_KEY = 'smk-ws-problems';

// -- server calls ------------------------------------------------------------------------------------------------

class HttpError extends Error {
  constructor(status, body) {
    super((body && body.error) || t('http', { status }));
    this.status = status;
    this.body = body || {};
  }
}

async function call(method, url, csrf, body) {
  let response;
  try {
    response = await fetch(url, {
      method,
      credentials: 'same-origin',
      headers: {
        Accept: 'application/json',
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...(method !== 'GET' ? { 'X-CSRFToken': csrf } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch (err) {
    throw new Error(t('network'));
  }
  let data = null;
  try { data = await response.json(); } catch (err) { data = null; }
  if (!response.ok) { throw new HttpError(response.status, data); }
  return data;
}

// -- the page ------------------------------------------------------------------------------------------------------

function ensure(root, id, tag, before) {
  let node = document.getElementById(id);
  if (!node) {
    node = document.createElement(tag || 'div');
    node.id = id;
    if (before) { root.insertBefore(node, root.firstChild); } else { root.appendChild(node); }
  }
  return node;
}

function formatWhen(at) {
  if (!at) { return '?'; }
  const when = new Date(at);
  if (Number.isNaN(when.getTime())) { return String(at); }
  return when.toLocaleString(LANG === 'en' ? 'en-GB' : 'id-ID', { dateStyle: 'medium', timeStyle: 'short' });
}

class Workspace {
  constructor(root) {
    this.root = root;
    this.api = root.dataset.api.replace(/\/$/, '');
    this.file = root.dataset.file || '';
    this.kind = root.dataset.kind || '';
    this.csrf = root.dataset.csrf || '';
    this.revision = parseInt(root.dataset.revision || '0', 10) || 0;
    this.statusBox = ensure(root, 'ws-status', 'div', true);
    if (!this.statusBox.hasAttribute('role')) {
      this.statusBox.setAttribute('role', 'status');
      this.statusBox.setAttribute('aria-live', 'polite');
    }
    this.problemsBox = ensure(root, 'ws-problems');
    this.problems = [];
    this.editor = null;
    this.formDirty = false;
  }

  status(message, level) {
    const colour = { success: 'text-success', warning: 'text-warning-emphasis', danger: 'text-danger' }[level];
    this.statusBox.classList.remove('text-success', 'text-warning-emphasis', 'text-danger', 'fw-semibold');
    if (colour) { this.statusBox.classList.add(colour, 'fw-semibold'); }
    this.statusBox.textContent = message;
    this.statusBox.dataset.level = level || 'secondary';
  }

  fileUrl(name) { return `${this.api}/files/${encodeURIComponent(name)}`; }

  async start() {
    this.wireToolbar();
    if (this.kind === 'bpmn' || this.kind === 'dmn') {
      await this.openEditor();
    } else {
      this.root.dataset.state = 'ready';
      this.root.addEventListener('ws:dirty', () => { this.formDirty = true; });
    }
    const pending = this.takePending();
    const server = document.getElementById('ws-problems-data');
    if (pending) {
      this.showProblems(pending, true);
    } else if (server) {
      // The page lists these itself (a refused deploy or a server-side validation): mark them only.
      try { this.showProblems(JSON.parse(server.textContent || '[]'), false); } catch (err) { /* not ours */ }
    }
    const select = new URLSearchParams(window.location.search).get('select');
    if (select && this.editor) { this.selectElement(select); }
  }

  async openEditor() {
    const editorBox = ensure(this.root, 'ws-editor');
    editorBox.classList.add('ws-editor');
    editorBox.setAttribute('role', 'application');
    editorBox.setAttribute('aria-label', t(this.kind === 'bpmn' ? 'editor_bpmn' : 'editor_dmn'));
    if (!editorBox.hasAttribute('tabindex')) { editorBox.tabIndex = 0; }
    const propsBox = this.kind === 'bpmn' ? ensure(this.root, 'ws-properties') : null;
    if (propsBox) {
      propsBox.classList.add('ws-properties');
      propsBox.setAttribute('aria-label', t('properties'));
    }
    this.editor = this.kind === 'bpmn'
      ? createBpmnEditor({ container: editorBox, properties: propsBox })
      : createDmnEditor({ container: editorBox });
    SmkWorkspace.current = this.editor;
    editorBox.addEventListener('ws:changed', () => { this.root.dataset.dirty = 'true'; });
    this.status(t('loading'));
    let loaded;
    try {
      loaded = await call('GET', this.fileUrl(this.file), this.csrf);
    } catch (err) {
      this.root.dataset.state = 'error';
      this.status(t('load_failed', { detail: err.message }), 'danger');
      return;
    }
    this.revision = typeof loaded.revision === 'number' ? loaded.revision : this.revision;
    this.root.dataset.revision = String(this.revision);
    try {
      await this.editor.load(loaded.content);
    } catch (err) {
      this.root.dataset.state = 'error';
      this.status(t('import_failed', { detail: err.message }), 'danger');
      return;
    }
    this.root.dataset.state = 'ready';
    this.root.dataset.dirty = 'false';
    this.status(t('loaded', {
      source: t(loaded.source === 'draft' ? 'source_draft' : 'source_deployed'), revision: this.revision,
    }));
    window.addEventListener('beforeunload', (event) => {
      if (this.editor.isDirty()) { event.preventDefault(); event.returnValue = t('unsaved'); }
    });
  }

  wireToolbar() {
    document.querySelectorAll('[data-ws-action="save"]').forEach((button) => {
      if (this.kind === 'bpmn' || this.kind === 'dmn') {
        button.addEventListener('click', () => this.save({ always: true }));
      }
    });
    document.querySelectorAll('[data-ws-action="validate"]').forEach((button) => {
      button.addEventListener('click', () => this.validate());
    });
    document.querySelectorAll('form[data-ws-deploy]').forEach((form) => {
      form.addEventListener('submit', (event) => {
        // A refused deploy re-renders the page: keep this file open there (with its problems marked).
        const action = new URL(form.getAttribute('action') || window.location.href, window.location.href);
        if (this.file && !action.searchParams.has('file')) {
          action.searchParams.set('file', this.file);
          form.setAttribute('action', action.pathname + action.search);
        }
        if (!this.editor || !this.editor.isDirty()) { return; }
        event.preventDefault();
        this.save({}).then((ok) => { if (ok) { form.submit(); } });
      });
    });
    document.addEventListener('keydown', (event) => {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 's' && this.editor) {
        event.preventDefault();
        this.save({ always: true });
      }
    });
  }

  // Save the editor's XML as the draft. Returns true when the draft holds the editor's content afterwards.
  async save({ always }) {
    if (!this.editor) { return true; }
    if (!this.editor.isDirty()) {
      if (always) { this.status(t('nothing_to_save'), 'secondary'); }
      return true;
    }
    this.status(t('saving'));
    let content;
    try {
      content = await this.editor.save();
    } catch (err) {
      this.status(t('save_failed', { detail: err.message }), 'danger');
      return false;
    }
    try {
      const result = await call('PUT', this.fileUrl(this.file), this.csrf, { content, revision: this.revision });
      this.revision = result.revision;
      this.root.dataset.revision = String(this.revision);
      this.editor.markSaved();
      this.root.dataset.dirty = 'false';
      this.status(t('saved', { revision: this.revision }), 'success');
      return true;
    } catch (err) {
      if (err.status === 409) {
        const body = err.body;
        this.root.dataset.conflict = 'true';
        this.status(t('conflict', { by: body.by || t('someone'), at: formatWhen(body.at), revision: body.revision }),
          'warning');
      } else {
        this.status(t('save_failed', { detail: err.message }), 'danger');
      }
      return false;
    }
  }

  async validate() {
    if (this.editor && !(await this.save({}))) { return; }
    if (this.formDirty) {
      // The form editor saves its own draft; it tells us when it has unsaved changes.
      this.root.dispatchEvent(new CustomEvent('ws:save-request', { bubbles: true }));
    }
    this.status(t('validating'));
    let result;
    try {
      result = await call('POST', `${this.api}/validate`, this.csrf, {});
    } catch (err) {
      this.status(t('validate_failed', { detail: err.message }), 'danger');
      return;
    }
    const problems = result.problems || [];
    this.showProblems(problems, true);
    if (result.ok && !problems.length) {
      this.status(t('valid'), 'success');
    } else {
      this.status(t('invalid', { count: problems.length }), 'danger');
    }
  }

  showProblems(problems, list) {
    this.problems = problems;
    if (this.editor) {
      this.editor.clearProblems();
      this.editor.markProblems(problems.filter((p) => p.file === this.file));
    }
    if (list) { this.renderList(); } else { this.problemsBox.textContent = ''; }
    this.root.dataset.problems = String(problems.length);
  }

  renderList() {
    const box = this.problemsBox;
    box.textContent = '';
    if (!this.problems.length) { return; }
    const heading = document.createElement('h2');
    heading.className = 'h6 mt-3';
    heading.textContent = `${t('problems_title')} (${this.problems.length})`;
    const list = document.createElement('ol');
    list.className = 'ws-problem-list list-group';
    this.problems.forEach((p) => {
      const item = document.createElement('li');
      item.className = 'list-group-item p-0';
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'btn btn-link text-start w-100 text-decoration-none ws-problem-item';
      button.dataset.file = p.file || '';
      button.dataset.elementId = p.element_id || '';
      const where = document.createElement('span');
      where.className = 'ws-problem-where small text-body-secondary d-block';
      const parts = [`${t('col_file')}: ${p.file || '—'}`];
      if (p.line) { parts.push(`${t('col_line')}: ${p.line}`); }
      if (p.element_id) { parts.push(`${t('col_element')}: ${p.element_id}`); }
      where.textContent = parts.join(' · ');
      const message = document.createElement('span');
      message.className = 'ws-problem-message text-danger-emphasis';
      message.textContent = p.message;
      button.append(where, message);
      if (p.element_id) {
        button.setAttribute('aria-label', `${t('problem_button', { element: p.element_id, file: p.file })}: ${p.message}`);
      }
      button.addEventListener('click', () => this.goTo(p));
      item.appendChild(button);
      list.appendChild(item);
    });
    box.append(heading, list);
  }

  async goTo(problem) {
    if (problem.file === this.file && this.editor) {
      if (problem.element_id) { this.selectElement(problem.element_id); }
      return;
    }
    const listed = Array.from(document.querySelectorAll('a[data-file]')).some((a) => a.dataset.file === problem.file);
    if (!problem.file || !listed) {
      this.status(t('not_in_bundle', { file: problem.file || '—' }), 'warning');
      return;
    }
    if (this.editor && !(await this.save({}))) { return; }
    try { window.sessionStorage.setItem(PENDING_KEY, JSON.stringify({ api: this.api, problems: this.problems })); }
    catch (err) { /* storage off: the list is simply not carried over */ }
    const params = new URLSearchParams(window.location.search);
    params.set('file', problem.file);
    if (problem.element_id) { params.set('select', problem.element_id); } else { params.delete('select'); }
    window.location.search = params.toString();
  }

  takePending() {
    try {
      const raw = window.sessionStorage.getItem(PENDING_KEY);
      window.sessionStorage.removeItem(PENDING_KEY);
      const data = raw && JSON.parse(raw);
      return data && data.api === this.api ? data.problems : null;
    } catch (err) {
      return null;
    }
  }

  async selectElement(id) {
    const ok = await this.editor.select(id);
    if (!ok) { this.status(t('not_in_diagram', { element: id }), 'warning'); }
  }
}

// Tests drive the editors directly (the round trip of every model); the page uses Workspace.
const SmkWorkspace = { createBpmnEditor, createDmnEditor, spiffModdle, current: null, workspace: null };
window.SmkWorkspace = SmkWorkspace;

function boot() {
  const root = document.getElementById('ws');
  if (!root || !root.dataset.api) { return; }
  const workspace = new Workspace(root);
  SmkWorkspace.workspace = workspace;
  workspace.start();
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', boot);
} else {
  boot();
}
