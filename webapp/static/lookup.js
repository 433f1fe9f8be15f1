// Type-ahead for task form fields whose UI schema names a lookup ("ui:options": {"lookup": name}; webapp/lookups.py):
// as the user types into the field, the task's lookup answers at most 20 matches, offered in a list under it;
// arrow keys move through the list, Enter (or a click) puts the chosen value into the field, Escape closes it.
// Without JavaScript the field is a plain text field and the process checks whatever is typed; with it, the
// process checks the chosen value all the same. Rows added later (a table's "Add row") get it when focused.
// No inline script or style (the page's CSP allows only our files).
(function () {
  'use strict';

  var form = document.querySelector('form[data-lookup-url]');
  if (!form) { return; }
  var base = form.getAttribute('data-lookup-url');
  var made = 0;
  var ready = new WeakSet();

  function setup(input) {
    if (ready.has(input)) { return; }
    ready.add(input);
    var name = input.getAttribute('data-lookup');
    var list = document.createElement('ul');
    list.className = 'list-group lookup-list shadow-sm';
    list.id = 'lookup-list-' + (++made);
    list.setAttribute('role', 'listbox');
    list.setAttribute('aria-label', form.getAttribute('data-lookup-label') || '');
    list.hidden = true;
    var chosen = document.createElement('div');
    chosen.className = 'form-text lookup-chosen';
    chosen.setAttribute('aria-live', 'polite');
    input.insertAdjacentElement('afterend', list);
    list.insertAdjacentElement('afterend', chosen);
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('aria-controls', list.id);

    var timer = null;
    var asked = '';
    var items = [];
    var active = -1;

    function close() {
      list.hidden = true;
      input.setAttribute('aria-expanded', 'false');
      input.removeAttribute('aria-activedescendant');
      active = -1;
    }

    function mark(index) {
      var options = list.querySelectorAll('[role="option"]');
      active = index;
      options.forEach(function (el, i) {
        el.classList.toggle('active', i === index);
        el.setAttribute('aria-selected', i === index ? 'true' : 'false');
      });
      if (index >= 0 && options[index]) {
        input.setAttribute('aria-activedescendant', options[index].id);
        options[index].scrollIntoView({ block: 'nearest' });
      }
    }

    function choose(index) {
      var item = items[index];
      if (!item) { return; }
      input.value = item.value;
      chosen.textContent = [item.label, item.detail].filter(Boolean).join(' · ');
      close();
      input.focus();
      input.dispatchEvent(new Event('change', { bubbles: true }));  // the form knows it was changed
    }

    function show(body) {
      items = body.choices || [];
      list.textContent = '';
      if (!items.length) {
        var none = document.createElement('li');
        none.className = 'list-group-item small text-body-secondary';
        none.textContent = body.empty || '';
        list.appendChild(none);
      }
      items.forEach(function (item, i) {
        var li = document.createElement('li');
        li.className = 'list-group-item list-group-item-action small';
        li.id = list.id + '-' + i;
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', 'false');
        var label = document.createElement('strong');
        label.textContent = item.label;
        li.appendChild(label);
        if (item.detail) {
          var detail = document.createElement('span');
          detail.className = 'text-body-secondary';
          detail.textContent = ' · ' + item.detail;
          li.appendChild(detail);
        }
        li.addEventListener('mousedown', function (event) { event.preventDefault(); choose(i); });
        list.appendChild(li);
      });
      list.hidden = false;
      input.setAttribute('aria-expanded', 'true');
      active = -1;
    }

    function search() {
      var text = input.value.trim();
      if (text.length < 2) { close(); return; }
      if (text === asked && !list.hidden) { return; }
      asked = text;
      var url = base.replace('__lookup__', encodeURIComponent(name));
      fetch(url + (url.indexOf('?') < 0 ? '?' : '&') + 'limit=20&q=' + encodeURIComponent(text),
            { headers: { 'Accept': 'application/json' }, credentials: 'same-origin' })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (body && input.value.trim() === text && document.activeElement === input) { show(body); }
        })
        .catch(function () { close(); });  // the text field still works on its own
    }

    input.addEventListener('input', function () {
      chosen.textContent = '';
      window.clearTimeout(timer);
      timer = window.setTimeout(search, 200);
    });
    input.addEventListener('keydown', function (event) {
      if (list.hidden) {
        if (event.key === 'ArrowDown') { event.preventDefault(); asked = ''; search(); }
        return;
      }
      if (event.key === 'ArrowDown') { event.preventDefault(); mark(Math.min(active + 1, items.length - 1)); }
      else if (event.key === 'ArrowUp') { event.preventDefault(); mark(Math.max(active - 1, 0)); }
      else if (event.key === 'Enter') {
        event.preventDefault();  // while the list is open, Enter chooses; it never sends the form
        choose(active >= 0 ? active : 0);
      }
      else if (event.key === 'Escape') { event.preventDefault(); close(); }
    });
    input.addEventListener('blur', function () { window.setTimeout(close, 150); });
  }

  form.querySelectorAll('input[data-lookup]').forEach(setup);
  form.addEventListener('focusin', function (event) {
    if (event.target.matches && event.target.matches('input[data-lookup]')) { setup(event.target); }
  });
}());
