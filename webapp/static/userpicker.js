// The user and position pickers (combobox.js does the type-ahead). Two kinds of markup:
// - a form with data-user-picker="<JSON URL>" (the reassign picker): the form's input[name="user"] and its
//   [role="listbox"]; the URL answers {"users": [{username, name, nip, position}]}, choosing puts the username;
// - any text field with data-picker="<JSON URL>" and a listbox whose id is the field's id + "-list" (e.g. the
//   Plt/Plh form's position and person): the URL answers {"items": [{value, label, detail}]}, choosing puts value.
(function () {
  'use strict';

  function setup(input, list, url, items, empty) {
    if (!url || !input || !list) { return; }
    window.SmkCombobox.attach(input, list, {
      url: function () { return url; }, items: items, empty: function () { return empty; }
    });
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
