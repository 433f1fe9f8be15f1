// The units and positions tree (/organisasi/struktur): a unit's contents are fetched the first time its
// <details> opens, and "More positions" appends the next page in place. Native <details>/<summary> keep it
// usable from the keyboard (Tab, Enter, Space); without this script the links inside open the unit's page.
(function () {
  'use strict';
  function load(url, into, replace) {
    into.setAttribute('aria-busy', 'true');
    return fetch(url, { headers: { 'Accept': 'text/html' }, credentials: 'same-origin' })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        var holder = document.createElement('div');
        holder.innerHTML = html;
        if (replace) { replace.replaceWith.apply(replace, Array.prototype.slice.call(holder.childNodes)); }
        else { into.replaceChildren.apply(into, Array.prototype.slice.call(holder.childNodes)); }
      })
      .catch(function () {
        var note = document.createElement('p');
        note.className = 'small text-danger';
        note.textContent = document.documentElement.lang === 'en'
          ? 'Could not load this part; use the link to open it.' : 'Bagian ini tidak dapat dimuat; buka melalui tautannya.';
        into.prepend(note);
      })
      .finally(function () { into.removeAttribute('aria-busy'); });
  }
  document.addEventListener('toggle', function (event) {
    var details = event.target;
    if (!(details instanceof HTMLDetailsElement) || !details.open || details.dataset.loaded) { return; }
    var src = details.getAttribute('data-unit-src');
    var body = details.querySelector(':scope > .org-body');
    if (!src || !body) { return; }
    details.dataset.loaded = '1';
    load(src, body, null);
  }, true);
  document.addEventListener('click', function (event) {
    var link = event.target.closest('a[data-more-src]');
    if (!link) { return; }
    var body = link.closest('.org-body');
    if (!body) { return; }  // on the unit's own page the link goes to the next page
    event.preventDefault();
    var src = link.getAttribute('data-more-src');
    var before = body.querySelectorAll('table tbody tr').length;
    var fragment = document.createElement('div');
    link.replaceWith(fragment);
    load(src, body, fragment).then(function () {
      var tables = body.querySelectorAll(':scope > .table-responsive');
      if (tables.length > 1) {  // join the new rows to the first table, keep one "more" link
        var first = tables[0].querySelector('tbody');
        for (var i = 1; i < tables.length; i++) {
          tables[i].querySelectorAll('tbody > tr').forEach(function (row) { first.appendChild(row); });
          tables[i].remove();
        }
        var notes = body.querySelectorAll(':scope > p.small');
        for (var j = 0; j < notes.length - 1; j++) { notes[j].remove(); }
        var added = first.querySelectorAll('tr')[before];  // the first new row takes the focus
        var a = added && added.querySelector('a');
        if (a) { a.focus(); }
      }
    });
  });
}());
