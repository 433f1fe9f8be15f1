// Type-ahead for the user pickers (forms with data-user-picker="<JSON URL>"): as the administrator types into
// the form's text field, the active users that match are fetched (at most 20) and offered in a list; choosing
// one puts its username into the field. Without JavaScript the field is a plain text field for a username or
// NIP, which the server resolves the same way. No inline script (the page's CSP allows only our files).
(function () {
  'use strict';

  function setup(form) {
    var url = form.getAttribute('data-user-picker');
    var input = form.querySelector('input[name="user"]');
    var list = form.querySelector('[role="listbox"]');
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
      input.value = items[index].username;
      close();
      input.focus();
    }

    function show(users) {
      items = users;
      list.textContent = '';
      if (!users.length) {
        var none = document.createElement('li');
        none.className = 'list-group-item small text-body-secondary';
        none.textContent = form.getAttribute('data-empty') || '';
        list.appendChild(none);
      }
      users.forEach(function (user, i) {
        var li = document.createElement('li');
        li.className = 'list-group-item list-group-item-action small';
        li.id = list.id + '-' + i;
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', 'false');
        var name = document.createElement('strong');
        name.textContent = user.name;
        var detail = document.createElement('span');
        detail.className = 'text-body-secondary';
        detail.textContent = ' · ' + [user.username, user.nip, user.position].filter(Boolean).join(' · ');
        li.appendChild(name);
        li.appendChild(detail);
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
          if (body && input.value.trim() === text) { show(body.users || []); }
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
      else if (event.key === 'Escape') { close(); }
    });
    input.addEventListener('blur', function () { window.setTimeout(close, 150); });
  }

  document.querySelectorAll('form[data-user-picker]').forEach(setup);
}());
