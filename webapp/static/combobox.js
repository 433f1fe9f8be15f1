// The type-ahead combobox both pickers use (userpicker.js: the reassign and Plt/Plh pickers; lookup.js: a task
// form field's lookup). attach(input, list, options) makes a text field a combobox over a listbox: as the user
// types (2 characters at least, after a 200 ms pause), options.url(text) is fetched, options.items(body) lists the
// answers ({value, label, detail}) under the field; arrow keys move through them, Enter (or a click) puts the
// chosen value into the field, Escape closes the list. Without JavaScript the field is a plain text field that the
// server resolves itself. No inline script (the page's CSP allows only our files).
//
// options: url(text) -> address; items(body) -> answers; empty(body) -> text when there are none;
// chosen(item) and typed() (optional) -> called when an answer is chosen / the text changes;
// eager (optional): Enter chooses the marked answer or else the first and never sends the form while the list is
// open, ArrowDown on a closed list asks again, and answers are shown only while the field has the focus.
(function () {
  'use strict';

  function attach(input, list, options) {
    var timer = null;
    var asked = '';
    var items = [];
    var active = -1;

    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('aria-controls', list.id);

    function close() {
      list.hidden = true;
      input.setAttribute('aria-expanded', 'false');
      input.removeAttribute('aria-activedescendant');
      active = -1;
    }

    function mark(index) {
      var shown = list.querySelectorAll('[role="option"]');
      active = index;
      shown.forEach(function (el, i) {
        el.classList.toggle('active', i === index);
        el.setAttribute('aria-selected', i === index ? 'true' : 'false');
      });
      if (index >= 0 && shown[index]) {
        input.setAttribute('aria-activedescendant', shown[index].id);
        shown[index].scrollIntoView({ block: 'nearest' });
      }
    }

    function choose(index) {
      var item = items[index];
      if (!item) { return; }
      input.value = item.value;
      asked = input.value.trim();
      close();
      input.focus();
      if (options.chosen) { options.chosen(item); }
    }

    function show(body) {
      items = options.items(body);
      list.textContent = '';
      if (!items.length) {
        var none = document.createElement('li');
        none.className = 'list-group-item small text-body-secondary';
        none.textContent = options.empty(body) || '';
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
      var url = options.url(text);
      fetch(url + (url.indexOf('?') < 0 ? '?' : '&') + 'limit=20&q=' + encodeURIComponent(text),
            { headers: { 'Accept': 'application/json' }, credentials: 'same-origin' })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (body && input.value.trim() === text && (!options.eager || document.activeElement === input)) {
            show(body);
          }
        })
        .catch(function () { close(); });  // the text field still works on its own
    }

    input.addEventListener('input', function () {
      if (options.typed) { options.typed(); }
      window.clearTimeout(timer);
      timer = window.setTimeout(search, 200);
    });
    input.addEventListener('keydown', function (event) {
      if (list.hidden) {
        if (options.eager && event.key === 'ArrowDown') { event.preventDefault(); asked = ''; search(); }
        return;
      }
      if (event.key === 'ArrowDown') { event.preventDefault(); mark(Math.min(active + 1, items.length - 1)); }
      else if (event.key === 'ArrowUp') { event.preventDefault(); mark(Math.max(active - 1, 0)); }
      else if (event.key === 'Enter' && options.eager) {
        event.preventDefault();  // while the list is open, Enter chooses; it never sends the form
        choose(active >= 0 ? active : 0);
      }
      else if (event.key === 'Enter' && active >= 0) { event.preventDefault(); choose(active); }
      else if (event.key === 'Escape') { event.preventDefault(); close(); }
    });
    input.addEventListener('blur', function () { window.setTimeout(close, 150); });
  }

  window.SmkCombobox = { attach: attach };
}());
