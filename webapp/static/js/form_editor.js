/* The workspace's form editor: a form's JSON Schema and UI schema side by side, each checked as JSON while it is
   typed, a live preview drawn by the server with the task pages' own renderer (POST <api>/form-preview), and
   "Save draft" storing the changed files in the owner's draft (PUT <api>/files/<name>; 409 = someone saved a newer
   version, nothing is overwritten). Validate and Deploy save unsaved changes first. No inline script (CSP). */
(function () {
  "use strict";
  var ws = document.getElementById("ws");
  var editor = document.getElementById("form-editor");
  if (!ws || !editor) { return; }
  var api = ws.getAttribute("data-api");
  var csrf = ws.getAttribute("data-csrf");
  var revision = parseInt(ws.getAttribute("data-revision"), 10) || 0;
  var msg = function (key) { return editor.getAttribute("data-msg-" + key) || ""; };
  var saveButton = document.getElementById("ws-save");
  var status = document.getElementById("ws-status");
  var preview = document.getElementById("fe-preview");
  var errorList = document.getElementById("fe-errors");
  // A form has two files (schema and UI schema) and a preview; a test scenario is one JSON file, no preview.
  var entries = [
    { box: document.getElementById("fe-schema"), state: document.getElementById("fe-schema-status"), emptyOk: false },
    { box: document.getElementById("fe-ui"), state: document.getElementById("fe-ui-status"), emptyOk: true }
  ].filter(function (e) { return e.box; });
  entries.forEach(function (e) { e.file = e.box.getAttribute("data-file"); e.saved = e.box.value; });

  function say(text, kind) {
    status.textContent = text;
    status.className = "small ms-auto" + (kind ? " text-" + kind : "");
  }

  function dirty() { return entries.some(function (e) { return e.box.value !== e.saved; }); }

  function checkJson(e) {
    var text = e.box.value;
    if (!text.trim() && e.emptyOk) { e.box.classList.remove("is-invalid"); e.state.textContent = ""; return true; }
    try {
      JSON.parse(text);
      e.box.classList.remove("is-invalid");
      e.box.removeAttribute("aria-invalid");
      e.state.textContent = msg("valid");
      e.state.className = "form-text text-success";
      return true;
    } catch (err) {
      e.box.classList.add("is-invalid");
      e.box.setAttribute("aria-invalid", "true");
      e.state.textContent = msg("invalid") + " " + err.message;
      e.state.className = "form-text text-danger";
      return false;
    }
  }

  function showErrors(list) {
    errorList.textContent = "";
    (list || []).forEach(function (text) {
      var li = document.createElement("li");
      li.textContent = text;
      errorList.appendChild(li);
    });
    errorList.hidden = !list || list.length === 0;
  }

  function send(method, url, body) {
    return fetch(url, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return { error: response.statusText }; })
        .then(function (data) { return { status: response.status, data: data }; });
    });
  }

  var timer = null;
  var asked = 0;
  function refresh() {
    var ok = entries.map(checkJson);
    saveButton.disabled = !dirty();
    if (dirty()) { say(msg("unsaved"), "body-secondary"); }
    if (!preview || !ok.every(Boolean)) { return; }
    var mine = ++asked;
    send("POST", api + "/form-preview", { schema: entries[0].box.value, uischema: entries[1].box.value })
      .then(function (r) {
        if (mine !== asked) { return; }  // a newer preview is on its way
        if (r.status !== 200) { showErrors([msg("preview-failed") + " " + (r.data.error || r.status)]); return; }
        preview.innerHTML = r.data.html;  // rendered and escaped by the server's templates
        showErrors(r.data.errors);
      })
      .catch(function (err) { showErrors([msg("preview-failed") + " " + err.message]); });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 350);
  }

  function saveOne(e) {
    return send("PUT", api + "/files/" + encodeURIComponent(e.file), { content: e.box.value, revision: revision })
      .then(function (r) {
        if (r.status === 200) {
          revision = r.data.revision;
          ws.setAttribute("data-revision", String(revision));
          e.saved = e.box.value;
          return true;
        }
        var when = r.data.at ? " (" + new Date(r.data.at).toLocaleString() + ")" : "";
        say((r.status === 409 ? msg("conflict") : msg("failed")) + " " + (r.data.error || r.status) + when, "danger");
        return false;
      });
  }

  function save() {
    var changed = entries.filter(function (e) { return e.box.value !== e.saved; });
    if (!changed.length) { say(msg("nothing"), "body-secondary"); return Promise.resolve(true); }
    if (!entries.map(checkJson).every(Boolean)) { say(msg("fix-json"), "danger"); return Promise.resolve(false); }
    say(msg("saving"), "body-secondary");
    saveButton.disabled = true;
    // One file after the other, so that a conflict on the first leaves the second unsaved too.
    return changed.reduce(function (chain, e) {
      return chain.then(function (ok) { return ok ? saveOne(e) : false; });
    }, Promise.resolve(true)).then(function (ok) {
      if (ok) { say(msg("saved"), "success"); }
      saveButton.disabled = !dirty();
      return ok;
    }).catch(function (err) {
      say(msg("failed") + " " + err.message, "danger");
      saveButton.disabled = !dirty();
      return false;
    });
  }

  entries.forEach(function (e) { e.box.addEventListener("input", schedule); });
  saveButton.addEventListener("click", function () { save(); });
  entries.forEach(checkJson);
  saveButton.disabled = true;

  // Validate and Deploy work on the saved draft: save what was typed first, then go on.
  Array.prototype.forEach.call(document.querySelectorAll("form[data-save-first]"), function (form) {
    form.addEventListener("submit", function (event) {
      if (!dirty()) { return; }
      event.preventDefault();
      event.stopPropagation();
      event.stopImmediatePropagation();
      save().then(function (ok) { if (ok) { HTMLFormElement.prototype.submit.call(form); } });
    });
  });

  window.addEventListener("beforeunload", function (event) {
    if (dirty()) { event.preventDefault(); event.returnValue = ""; }
  });
}());
