// Array rows (add, remove, move up/down, renumber), file size checks and a "working…" indicator.
// Plain buttons and native inputs, so everything works from the keyboard and without this script too.
(function () {
  'use strict';
  // The list of rows: an <ol> of <li>, or (for "ui:layout": "table") a <table> of <tbody>.
  function listOf(fieldset) { return fieldset.querySelector(':scope > .card-body > .row-list'); }
  function renumber(fieldset) {
    var base = fieldset.getAttribute('data-array');
    var rows = listOf(fieldset).querySelectorAll(':scope > .row-item');
    rows.forEach(function (row, i) {
      row.querySelectorAll('[name]').forEach(function (el) {
        if (el.name.indexOf(base) !== 0) { return; }
        var rest = el.name.slice(base.length);
        el.name = base + rest.replace(/^\[[^\]]*\]/, '[' + i + ']');
        if (el.type !== 'hidden') { el.id = 'f-' + el.name.replace(/\[/g, '-').replace(/\]/g, ''); }
      });
      row.querySelectorAll('label[for]').forEach(function (label) {
        var input = label.parentElement.querySelector('input:not([type=hidden]), select, textarea');
        if (input) { label.htmlFor = input.id; }
      });
      var no = row.querySelector(':scope > .row-head > .row-no, :scope > tr > .row-no-cell > .row-no');
      if (no) { no.textContent = String(i + 1); }
    });
    var count = fieldset.querySelector('.row-count');
    if (count) { count.textContent = String(rows.length); }
  }
  function rowsOf(target) { return target.closest('fieldset.rows'); }
  document.addEventListener('click', function (event) {
    var target = event.target.closest('button');
    if (!target) { return; }
    var fieldset = rowsOf(target);
    if (!fieldset) { return; }
    var list = listOf(fieldset);
    var row = target.closest('.row-item');
    if (target.classList.contains('add-row')) {
      var template = fieldset.querySelector(':scope > .card-body > template');
      var clone = template.content.firstElementChild.cloneNode(true);
      list.appendChild(clone);
      renumber(fieldset);
      var first = clone.querySelector('input:not([type=hidden]), select, textarea');
      if (first) { first.focus(); }
    } else if (target.classList.contains('remove-row')) {
      row.remove();
      renumber(fieldset);
      var add = fieldset.querySelector('.add-row');
      if (add) { add.focus(); }
    } else if (target.classList.contains('move-up') && row.previousElementSibling &&
               row.previousElementSibling.classList.contains('row-item')) {
      list.insertBefore(row, row.previousElementSibling);
      renumber(fieldset);
      target.focus();
    } else if (target.classList.contains('move-down') && row.nextElementSibling &&
               row.nextElementSibling.classList.contains('row-item')) {
      list.insertBefore(row.nextElementSibling, row);
      renumber(fieldset);
      target.focus();
    }
  });
  // Tell about a too-large file before the upload starts; the server checks again.
  document.addEventListener('change', function (event) {
    var input = event.target;
    if (input.type !== 'file' || !input.files || !input.files[0]) { return; }
    var max = parseInt(input.getAttribute('data-max-bytes') || '0', 10);
    var lang = document.documentElement.lang;
    if (max && input.files[0].size > max) {
      input.setCustomValidity(lang === 'en' ? 'The file is too large' : 'Berkas terlalu besar');
      input.reportValidity();
    } else {
      input.setCustomValidity('');
    }
  });
  // Show progress while a form is being sent (uploads and PDF generation can take a moment).
  function busy() { var el = document.getElementById('busy'); if (el) { el.hidden = false; } }
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (form.hasAttribute('data-busy')) {
      busy();
      form.querySelectorAll('button[type=submit]').forEach(function (b) {
        setTimeout(function () { b.disabled = true; }, 0);  // after the click has chosen the action
      });
    }
  });
  document.addEventListener('click', function (event) {
    if (event.target.closest('[data-busy-link]')) { busy(); }
  });
  // Switching language in the middle of a form keeps what was typed: the form is saved as a draft first,
  // and the server switches the language when it stores the draft.
  var taskForm = document.querySelector('form.task-form');
  var dirty = false;
  if (taskForm) {
    taskForm.addEventListener('input', function () { dirty = true; });
    taskForm.addEventListener('change', function () { dirty = true; });
    document.querySelectorAll('form .lang-switch').forEach(function (button) {
      button.form.addEventListener('submit', function (event) {
        if (!dirty || !taskForm.querySelector('[name=_action][value=draft]')) { return; }
        event.preventDefault();
        var code = button.form.action.split('/').pop();
        [['_action', 'draft'], ['_lang', code]].forEach(function (pair) {
          var input = document.createElement('input');
          input.type = 'hidden'; input.name = pair[0]; input.value = pair[1];
          taskForm.appendChild(input);
        });
        taskForm.submit();
      });
    });
  }
  // After a failed submit, put the keyboard focus on the summary of what to fix.
  var summary = document.getElementById('form-errors');
  if (summary) { summary.focus(); }
})();

// Print buttons (no inline handlers, so the Content-Security-Policy can forbid inline script).
document.addEventListener('click', (event) => {
  if (event.target.closest('[data-print]')) window.print();
});
