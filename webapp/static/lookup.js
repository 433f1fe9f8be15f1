// Type-ahead for task form fields whose UI schema names a lookup ("ui:options": {"lookup": name}; webapp/lookups.py):
// as the user types into the field, the task's lookup answers at most 20 matches, offered in a list under it;
// arrow keys move through the list, Enter (or a click) puts the chosen value into the field, Escape closes it.
// Without JavaScript the field is a plain text field and the process checks whatever is typed; with it, the
// process checks the chosen value all the same. Rows added later (a table's "Add row") get it when focused. A
// field shown with a value names whom it holds.
// The type-ahead itself is combobox.js's. No inline script or style (the page's CSP allows only our files).
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
    window.SmkCombobox.attach(input, list, {
      eager: true,
      url: function () { return base.replace('__lookup__', encodeURIComponent(name)); },
      items: function (body) { return body.choices || []; },
      empty: function (body) { return body.empty; },
      typed: function () { chosen.textContent = ''; },
      chosen: function (item) {
        chosen.textContent = [item.label, item.detail].filter(Boolean).join(' · ');
        input.dispatchEvent(new Event('change', { bubbles: true }));  // the form knows it was changed
      }
    });
    nameTheValue(input, name, chosen);
  }

  // A field that already holds a value (the form shown again after the process refused it, or a draft) names whom
  // it holds, as a choice from the list does: the lookup is asked for that value and its exact match is shown.
  function nameTheValue(input, name, chosen) {
    var value = input.value.trim();
    if (value.length < 2) { return; }
    var url = base.replace('__lookup__', encodeURIComponent(name));
    fetch(url + (url.indexOf('?') < 0 ? '?' : '&') + 'limit=5&q=' + encodeURIComponent(value),
          { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        var match = ((body && body.choices) || []).filter(function (item) { return item.value === value; })[0];
        if (match && input.value.trim() === value && !chosen.textContent) {
          chosen.textContent = [match.label, match.detail].filter(Boolean).join(' · ');
        }
      })
      .catch(function () {});  // the field keeps its value; only its name is missing
  }

  form.querySelectorAll('input[data-lookup]').forEach(setup);
  form.addEventListener('focusin', function (event) {
    if (event.target.matches && event.target.matches('input[data-lookup]')) { setup(event.target); }
  });
}());
