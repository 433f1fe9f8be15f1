// Add, remove and renumber rows of array fields; plain buttons, so it works from the keyboard.
(function () {
  function renumber(fieldset) {
    var base = fieldset.getAttribute('data-array');
    fieldset.querySelectorAll(':scope > .row-list > .row-item').forEach(function (row, i) {
      row.querySelectorAll('[name]').forEach(function (el) {
        var rest = el.name.slice(base.length);
        el.name = base + rest.replace(/^\[[^\]]*\]/, '[' + i + ']');
        el.id = 'f-' + el.name.replace(/\[/g, '-').replace(/\]/g, '');
      });
      row.querySelectorAll('label[for]').forEach(function (label) {
        var input = label.parentElement.querySelector('[name]');
        if (input) { label.htmlFor = input.id; }
      });
    });
  }
  document.addEventListener('click', function (event) {
    var target = event.target;
    if (target.classList.contains('add-row')) {
      var fieldset = target.closest('fieldset.rows');
      var list = fieldset.querySelector(':scope > .row-list');
      var template = fieldset.querySelector(':scope > template');
      var clone = template.content.firstElementChild.cloneNode(true);
      list.appendChild(clone);
      renumber(fieldset);
      var first = clone.querySelector('input, select, textarea');
      if (first) { first.focus(); }
    } else if (target.classList.contains('remove-row')) {
      var set = target.closest('fieldset.rows');
      target.closest('.row-item').remove();
      renumber(set);
      var add = set.querySelector(':scope > .add-row');
      if (add) { add.focus(); }
    }
  });
})();
