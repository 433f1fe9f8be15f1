// Draw a BPMN diagram with bpmn-js and mark completed, active and errored steps (and added/changed ones on the
// deployment page). Markers come from the container's data-completed, data-active, data-errored, data-added and
// data-changed attributes (space-separated element ids).
//
// With the NavigatedViewer bundle (the instance page) the diagram can be dragged and wheel-zoomed; buttons with
// data-zoom="in|out|fit" inside [data-diagram-controls] zoom with the keyboard too, and the canvas itself, when
// focused, pans with the arrow keys and zooms with + and -. Both pages keep working with the plain viewer.
(function () {
  'use strict';
  var box = document.getElementById('diagram');
  var source = document.getElementById('diagram-xml');
  if (!box || !source || typeof BpmnJS === 'undefined') { return; }
  var viewer = new BpmnJS({ container: box });
  var xml = JSON.parse(source.textContent);
  var english = document.documentElement.lang === 'en';
  function ids(name) { return (box.getAttribute('data-' + name) || '').split(' ').filter(Boolean); }
  // Fit the whole diagram in the box; not while the box has no size (hidden by a narrow layout, not laid out yet),
  // where bpmn-js would compute a non-finite scale and throw.
  function fit(canvas) {
    if (box.clientWidth > 0 && box.clientHeight > 0) { canvas.zoom('fit-viewport', 'auto'); }
  }

  function controls(canvas) {
    var bar = document.querySelector('[data-diagram-controls]');
    var status = document.getElementById('diagram-zoom-status');
    function say() {
      if (status) { status.textContent = (english ? 'Zoom ' : 'Perbesaran ') + Math.round(canvas.zoom() * 100) + '%'; }
    }
    function zoom(how) {
      if (how === 'fit') {
        fit(canvas);
      } else {
        var level = canvas.zoom() * (how === 'in' ? 1.25 : 0.8);
        canvas.zoom(Math.max(0.2, Math.min(4, level)), 'auto');
      }
      say();
    }
    if (bar) {
      bar.hidden = false;
      bar.querySelectorAll('button[data-zoom]').forEach(function (button) {
        button.addEventListener('click', function () { zoom(button.getAttribute('data-zoom')); });
      });
    }
    if (box.hasAttribute('tabindex')) {
      box.addEventListener('keydown', function (event) {
        var step = 60;
        var moves = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
        if (moves[event.key]) {
          canvas.scroll({ dx: moves[event.key][0], dy: moves[event.key][1] });
        } else if (event.key === '+' || event.key === '=') {
          zoom('in');
        } else if (event.key === '-') {
          zoom('out');
        } else if (event.key === '0') {
          zoom('fit');
        } else {
          return;
        }
        event.preventDefault();
      });
    }
    // Keep the whole diagram in view when the width changes (a phone turned, a window resized).
    var width = box.clientWidth;
    window.addEventListener('resize', function () {
      if (Math.abs(box.clientWidth - width) > 40) { width = box.clientWidth; canvas.resized(); zoom('fit'); }
    });
    say();
  }

  viewer.importXML(xml).then(function () {
    var canvas = viewer.get('canvas');
    var registry = viewer.get('elementRegistry');
    [['completed', 'done'], ['active', 'active'], ['errored', 'errored'], ['added', 'diff-added'], ['changed', 'diff-changed']].forEach(function (pair) {
      ids(pair[0]).forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, pair[1]); } });
    });
    fit(canvas);
    controls(canvas);
    box.setAttribute('data-rendered', 'true');
    var loading = box.querySelector('.diagram-loading');
    if (loading) { loading.remove(); }
  }).catch(function (err) {
    box.setAttribute('data-rendered', 'error');
    box.textContent = (english ? 'The diagram could not be drawn: ' : 'Diagram tidak dapat digambar: ') + err.message;
  });
})();
