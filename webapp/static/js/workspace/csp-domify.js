// The page's Content-Security-Policy (style-src 'self') blocks style="..." attributes in parsed HTML. diagram-js,
// the properties panel and dmn-js build some of their DOM with domify('<div style="...">'); esbuild aliases the
// package "domify" to this wrapper, which parses the markup without those attributes and sets the same
// declarations through CSSOM (element.style), which the policy allows. Everything else is the original domify.
import originalDomify from '../../../../node_modules/domify/index.js';

const TAG = /<[a-zA-Z][^<>]*>/g;
const STYLE = /(\s)style=(?:"([^"]*)"|'([^']*)')/;

export default function domify(html, doc) {
  if (typeof html !== 'string' || html.indexOf('style=') < 0) { return originalDomify(html, doc); }
  const styles = [];
  const marked = html.replace(TAG, (tag) => tag.replace(STYLE, (all, space, double, single) => {
    styles.push(double !== undefined ? double : single);
    return `${space}data-csp-style="${styles.length - 1}"`;
  }));
  const node = originalDomify(marked, doc);
  const apply = (el) => {
    const index = Number(el.getAttribute('data-csp-style'));
    el.removeAttribute('data-csp-style');
    el.style.cssText = styles[index];
  };
  if (node.nodeType === 1 && node.hasAttribute('data-csp-style')) { apply(node); }
  if (node.querySelectorAll) { node.querySelectorAll('[data-csp-style]').forEach(apply); }
  return node;
}
