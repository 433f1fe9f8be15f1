// Type-ahead pickers. Two kinds of markup:
// - a form with data-user-picker="<JSON URL>" (the reassign picker): the form's input[name="user"] and its
//   [role="listbox"]; the URL answers {"users": [{username, name, nip, position}]}, choosing puts the username;
// - any text field with data-picker="<JSON URL>" and a listbox whose id is the field's id + "-list" (e.g. the
//   Plt/Plh form's position and person): the URL answers {"items": [{value, label, detail}]}, choosing puts value.
// As the user types (2 characters at least), at most 20 matches are fetched and offered; arrow keys, Enter and
// Escape work as in a combobox. Without JavaScript the field is a plain text field that the server resolves
// itself. No inline script (the page's CSP allows only our files).
(function () {
  'use strict';

  function setup(input, list, url, toItems, empty) {
    if (!url || !input || !list) { return; }
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
      if (!items[index]) { return; }
      input.value = items[index].value;
      asked = input.value.trim();
      close();
      input.focus();
    }

    function show(found) {
      items = found;
      list.textContent = '';
      if (!found.length) {
        var none = document.createElement('li');
        none.className = 'list-group-item small text-body-secondary';
        none.textContent = empty || '';
        list.appendChild(none);
      }
      found.forEach(function (item, i) {
        var li = document.createElement('li');
        li.className = 'list-group-item list-group-item-action small';
        li.id = list.id + '-' + i;
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', 'false');
        var name = document.createElement('strong');
        name.textContent = item.label;
        li.appendChild(name);
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
      fetch(url + (url.indexOf('?') < 0 ? '?' : '&') + 'limit=20&q=' + encodeURIComponent(text),
            { headers: { 'Accept': 'application/json' }, credentials: 'same-origin' })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (body && input.value.trim() === text) { show(toItems(body)); }
        })
        .catch(function () { close(); });  // the text field still works on its own
    }

    input.addEventListener('input', function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, 200);
    });
    input.addEventListener('keydown', function (event) {
      if (list.hidden) { return; }
      if (event.key === 'ArrowDown') { event.preventDefault(); mark(Math.min(active + 1, items.length - 1)); }
      else if (event.key === 'ArrowUp') { event.preventDefault(); mark(Math.max(active - 1, 0)); }
      else if (event.key === 'Enter' && active >= 0) { event.preventDefault(); choose(active); }
      else if (event.key === 'Escape') { event.preventDefault(); close(); }
    });
    input.addEventListener('blur', function () { window.setTimeout(close, 150); });
  }

  function users(body) {
    return (body.users || []).map(function (user) {
      return { value: user.username, label: user.name,
               detail: [user.username, user.nip, user.position].filter(Boolean).join(' · ') };
    });
  }

  function items(body) { return body.items || []; }

  document.querySelectorAll('form[data-user-picker]').forEach(function (form) {
    setup(form.querySelector('input[name="user"]'), form.querySelector('[role="listbox"]'),
          form.getAttribute('data-user-picker'), users, form.getAttribute('data-empty'));
  });
  document.querySelectorAll('input[data-picker]').forEach(function (input) {
    setup(input, document.getElementById(input.id + '-list'), input.getAttribute('data-picker'), items,
          input.getAttribute('data-empty'));
  });
}());
