// Live rally dashboard: polls the stats JSON every ~10 s and swaps the numbers and the chart.
// The page is complete without this script (server-rendered numbers and SVG).
(function () {
  "use strict";
  var root = document.querySelector(".rally-live[data-stats-url]");
  if (!root || !window.fetch) { return; }
  var url = root.getAttribute("data-stats-url");
  var chart = root.querySelector(".rally-chart");
  var updated = root.querySelector(".rally-updated");
  var INTERVAL = Math.max(1, Number(root.getAttribute("data-interval")) || 10) * 1000;
  var timer = null;

  function apply(data) {
    root.querySelectorAll("[data-stat]").forEach(function (el) {
      var key = el.getAttribute("data-stat");
      if (Object.prototype.hasOwnProperty.call(data, key)) {
        el.textContent = String(data[key]);
      }
    });
    if (chart && typeof data.chart_svg === "string") {
      // Server-drawn SVG (labels escaped on the server); parsed as XML, not run as HTML.
      var doc = new DOMParser().parseFromString(data.chart_svg, "image/svg+xml");
      var svg = doc.documentElement;
      if (svg && svg.nodeName.toLowerCase() === "svg") {
        chart.replaceChildren(document.importNode(svg, true));
      }
    }
    if (updated) {
      updated.textContent = "· updated " + new Date().toLocaleTimeString([], {hour: "2-digit", minute: "2-digit", second: "2-digit"});
    }
    root.setAttribute("data-refreshed", String(Date.now()));
  }

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}, cache: "no-store"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { apply(data); } })
      .catch(function () { /* offline for a moment: keep the last numbers */ })
      .then(schedule);
  }

  function schedule() {
    clearTimeout(timer);
    if (!document.hidden) { timer = setTimeout(poll, INTERVAL); }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) { clearTimeout(timer); } else { poll(); }
  });
  schedule();
})();
