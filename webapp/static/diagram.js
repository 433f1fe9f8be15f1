// Draw the instance's BPMN diagram with bpmn-js (viewer only) and mark completed, active and errored steps.
(function () {
  'use strict';
  var box = document.getElementById('diagram');
  var source = document.getElementById('diagram-xml');
  if (!box || !source || typeof BpmnJS === 'undefined') { return; }
  var viewer = new BpmnJS({ container: box });
  var xml = JSON.parse(source.textContent);
  function ids(name) { return (box.getAttribute('data-' + name) || '').split(' ').filter(Boolean); }
  viewer.importXML(xml).then(function () {
    var canvas = viewer.get('canvas');
    var registry = viewer.get('elementRegistry');
    [['completed', 'done'], ['active', 'active'], ['errored', 'errored'], ['added', 'diff-added'], ['changed', 'diff-changed']].forEach(function (pair) {
      ids(pair[0]).forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, pair[1]); } });
    });
    canvas.zoom('fit-viewport', 'auto');
    box.setAttribute('data-rendered', 'true');
    var loading = box.querySelector('.diagram-loading');
    if (loading) { loading.remove(); }
  }).catch(function (err) {
    box.setAttribute('data-rendered', 'error');
    box.textContent = (document.documentElement.lang === 'en' ? 'The diagram could not be drawn: ' : 'Diagram tidak dapat digambar: ') + err.message;
  });
})();
