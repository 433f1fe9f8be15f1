// Array rows (add, remove, move up/down, renumber), file size checks and a "working…" indicator.
// Plain buttons and native inputs, so everything works from the keyboard and without this script too.
(function () {
  'use strict';
  // The row buttons work only with this script: without it they stay hidden (forms.css) and the page's spare row
  // (<noscript>, templates/tasks/_field.html) adds a row instead.
  document.documentElement.classList.add('js');
  // The list of rows: an <ol> of <li>, or (for "ui:layout": "table") a <table> of <tbody>.
  function listOf(fieldset) {
    return fieldset.querySelector(':scope > .card-body > .row-list, :scope > .card-body > .form-table-scroll > .row-list');
  }
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
    nameRowTools(fieldset);
    var count = fieldset.querySelector('.row-count');
    if (count) { count.textContent = String(rows.length); }
  }
  // Accessibility: each row's buttons name their row ("Move row 2 of RHK utama up"), and a move is announced.
  var en = document.documentElement.lang === 'en';
  function titleOf(fieldset) {
    var legend = fieldset.querySelector(':scope > legend');
    if (!legend) { return ''; }
    var copy = legend.cloneNode(true);
    copy.querySelectorAll('.req, .row-count, .visually-hidden').forEach(function (el) { el.remove(); });
    return copy.textContent.replace(/\s+/g, ' ').trim();
  }
  function nameRowTools(fieldset) {
    var title = titleOf(fieldset);
    listOf(fieldset).querySelectorAll(':scope > .row-item').forEach(function (row, i) {
      var n = String(i + 1);
      var names = en ? {'move-up': 'Move row ' + n + ' of ' + title + ' up', 'move-down': 'Move row ' + n + ' of ' + title + ' down',
                        'remove-row': 'Remove row ' + n + ' of ' + title}
                     : {'move-up': 'Pindahkan baris ' + n + ' ' + title + ' ke atas', 'move-down': 'Pindahkan baris ' + n + ' ' + title + ' ke bawah',
                        'remove-row': 'Hapus baris ' + n + ' ' + title};
      Object.keys(names).forEach(function (cls) {
        var button = row.querySelector('.' + cls);
        if (button && button.closest('.row-item') === row) { button.setAttribute('aria-label', names[cls]); }
      });
    });
  }
  function announce(text) {
    var live = document.getElementById('row-live');
    if (!live) {
      live = document.createElement('div');
      live.id = 'row-live'; live.className = 'visually-hidden';
      live.setAttribute('role', 'status'); live.setAttribute('aria-live', 'polite');
      document.body.appendChild(live);
    }
    live.textContent = '';
    setTimeout(function () { live.textContent = text; }, 50);
  }
  function moved(fieldset, row) {
    var rows = Array.prototype.slice.call(listOf(fieldset).querySelectorAll(':scope > .row-item'));
    var at = String(rows.indexOf(row) + 1), of = String(rows.length), title = titleOf(fieldset);
    announce(en ? title + ': row moved to position ' + at + ' of ' + of : title + ': baris dipindah ke urutan ' + at + ' dari ' + of);
  }
  document.querySelectorAll('fieldset.rows').forEach(function (fieldset) { if (listOf(fieldset)) { nameRowTools(fieldset); } });
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
      moved(fieldset, row);
    } else if (target.classList.contains('move-down') && row.nextElementSibling &&
               row.nextElementSibling.classList.contains('row-item')) {
      list.insertBefore(row.nextElementSibling, row);
      renumber(fieldset);
      target.focus();
      moved(fieldset, row);
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
  // After a failed submit, the summary lists each invalid field (rows of a table too) with a link to it, and
  // gets the keyboard focus.
  var summary = document.getElementById('form-errors');
  if (summary && taskForm && !summary.querySelector('.error-list')) {
    var list = document.createElement('ul');
    list.className = 'error-list mb-0 mt-1';
    taskForm.querySelectorAll('.invalid-feedback[id$="-err"]').forEach(function (message) {
      var field = message.closest('.field');
      if (!field) { return; }
      var id = message.id.slice(0, -4);
      var target = document.getElementById(id);
      if (!target || target.matches('div.readonly')) {
        target = field.querySelector('input:not([type=hidden]), select, textarea, button');
      }
      var label = field.querySelector('.form-label, .form-check-label, legend, caption');
      var name = label ? label.cloneNode(true) : null;
      if (name) { name.querySelectorAll('.req, .row-count, .visually-hidden').forEach(function (el) { el.remove(); }); }
      var text = name ? name.textContent.replace(/\s+/g, ' ').trim() : '';
      var row = field.closest('.row-item');
      var rows = row && row.closest('fieldset.rows');
      if (row && rows) {
        var no = row.querySelector('.row-no');
        text = titleOf(rows) + (en ? ', row ' : ', baris ') + (no ? no.textContent : '') + (text ? ': ' + text : '');
      }
      var item = document.createElement('li');
      var link = document.createElement('a');
      if (target && !target.id) { target.id = id; }
      link.href = '#' + (target ? target.id : id);
      link.className = 'alert-link';
      link.textContent = (text ? text + ' — ' : '') + message.textContent.trim();
      link.addEventListener('click', function (event) {
        if (!target) { return; }
        event.preventDefault();
        target.scrollIntoView({block: 'center'});
        target.focus();
      });
      item.appendChild(link);
      list.appendChild(item);
    });
    if (list.children.length) { summary.appendChild(list); }
  }
  if (summary) { summary.focus(); }
})();

// Accessibility: a table wider than its box scrolls sideways; the keyboard reaches it (WCAG 2.1.1): the box gets
// tabindex="0" and, when it has none, the role region with the name of its table (caption or the heading before).
(function () {
  'use strict';
  function nameOf(box) {
    var caption = box.querySelector('caption');
    if (caption && caption.textContent.trim()) { return caption.textContent.trim(); }
    var field = box.closest('.field, dd, td');
    var label = field && (field.querySelector('.form-label') || (field.previousElementSibling && field.tagName === 'DD' ? field.previousElementSibling : null));
    if (label && label.textContent.trim()) { return label.textContent.trim(); }
    var el = box;
    while (el && el !== document.body) {
      var prev = el.previousElementSibling;
      while (prev) {
        if (/^H[1-6]$/.test(prev.tagName)) { return prev.textContent.trim(); }
        prev = prev.previousElementSibling;
      }
      el = el.parentElement;
    }
    return document.documentElement.lang === 'en' ? 'Table' : 'Tabel';
  }
  function check() {
    document.querySelectorAll('.table-responsive, [class*="table-responsive-"], .timeline, .scroll-region').forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
      if (box.hasAttribute('data-a11y-focusable') && !scrolls) {
        box.removeAttribute('tabindex'); box.removeAttribute('data-a11y-focusable');
      } else if (scrolls && !box.hasAttribute('tabindex')) {
        box.setAttribute('tabindex', '0');
        box.setAttribute('data-a11y-focusable', '');
        if (!box.hasAttribute('role') && !/^(OL|UL|TABLE)$/.test(box.tagName)) { box.setAttribute('role', 'region'); }
        if (!box.hasAttribute('aria-label') && !box.hasAttribute('aria-labelledby')) { box.setAttribute('aria-label', nameOf(box)); }
      }
    });
  }
  var pending = false;
  function later() {
    if (pending) { return; }
    pending = true;
    requestAnimationFrame(function () { pending = false; check(); });
  }
  check();
  window.addEventListener('resize', later);
  window.addEventListener('load', later);
})();

// Print buttons (no inline handlers, so the Content-Security-Policy can forbid inline script).
document.addEventListener('click', (event) => {
  if (event.target.closest('[data-print]')) window.print();
});
