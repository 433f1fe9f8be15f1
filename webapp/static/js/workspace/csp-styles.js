// CodeMirror (inside dmn-js's expression editors) adds its styles as a <style> element, which the page's
// Content-Security-Policy blocks. Its style-mod library is shared: mount every module into one constructed
// stylesheet adopted by the document instead (CSSOM, allowed by the policy), in the order they come.
import { StyleModule } from 'style-mod';

let sheet = null;
const mounted = new Set();

StyleModule.mount = function mount(root, modules) {
  const doc = root.ownerDocument || root;
  if (!sheet) {
    sheet = new doc.defaultView.CSSStyleSheet();
    doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
  }
  (Array.isArray(modules) ? modules : [modules]).forEach((mod) => {
    if (!mod || mounted.has(mod)) { return; }
    mounted.add(mod);
    mod.rules.forEach((rule) => sheet.insertRule(rule, sheet.cssRules.length));
  });
};
