// "Jalankan skenario / Run scenarios" in the workspace (issue 11): POST to the API (CSRF header), show the
// server-rendered results. No inline script (CSP: script-src 'self').
(function () {
  "use strict";
  function run(button) {
    var status = document.getElementById("ws-scenario-status");
    var results = document.getElementById("ws-scenario-results");
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    status.textContent = button.dataset.msgRunning;
    results.removeAttribute("data-state");
    fetch(button.dataset.url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"X-CSRFToken": button.dataset.csrf, "Accept": "application/json"}
    }).then(function (response) {
      return response.json().catch(function () { return {error: response.statusText}; }).then(function (body) {
        if (!response.ok || body.error) { throw new Error(body.error || response.statusText); }
        return body;
      });
    }).then(function (body) {
      results.innerHTML = body.html;  // rendered and escaped by the server
      results.dataset.state = body.ok ? "passed" : "failed";
      status.textContent = "";
      var summary = results.querySelector("[data-testid=scenario-summary]");
      if (summary) { summary.setAttribute("tabindex", "-1"); summary.focus(); }
    }).catch(function (error) {
      results.dataset.state = "error";
      status.textContent = button.dataset.msgFailed + " " + error.message;
    }).finally(function () {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("ws-run-scenarios");
    if (button) { button.addEventListener("click", function () { run(button); }); }
  });
})();
