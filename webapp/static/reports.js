/* Draw the report charts with Chart.js (webapp/static/vendor/chartjs). Each <canvas data-chart="ID"> reads its
   configuration from <script type="application/json" id="ID">: data, not code, so the page needs no inline script
   (the Content-Security-Policy allows only our own files). The table under each chart holds the same figures. */
(function () {
  "use strict";

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var config;
    try {
      config = JSON.parse(source.textContent);
    } catch (e) {
      return;
    }
    config.options = config.options || {};
    var scales = config.options.scales;
    if (config.type === "bar" && (config.options.indexAxis || "x") === "x" && scales &&
        window.matchMedia("(max-width: 575.98px)").matches) {
      // On a phone the units' names read better down the side than slanted under the bars.
      config.options.indexAxis = "y";
      config.options.scales = { x: scales.y, y: scales.x };
      config.data.labels = (config.data.labels || []).map(function (label) {
        return label.length > 18 ? label.slice(0, 17) + "\u2026" : label;
      });
      canvas.parentNode.classList.add("chart-tall");
    }
    config.options.responsive = true;
    config.options.maintainAspectRatio = false;
    config.options.animation = false;
    config.options.font = { family: getComputedStyle(document.body).fontFamily };
    new window.Chart(canvas, config);
    canvas.setAttribute("data-drawn", "1");
  }

  function start() {
    // The menu of reports scrolls sideways on a phone: bring the open report into view.
    var menu = document.querySelector(".report-menu");
    var active = menu && menu.querySelector(".active");
    if (active && menu.scrollWidth > menu.clientWidth) {
      menu.scrollLeft += active.getBoundingClientRect().left - menu.getBoundingClientRect().left - 16;
    }
    var canvases = document.querySelectorAll("canvas[data-chart]");
    for (var i = 0; i < canvases.length; i++) {
      draw(canvases[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
