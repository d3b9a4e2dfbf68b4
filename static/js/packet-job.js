// Delivery packet job page: poll the status JSON and move the <progress> bar.
// Without JavaScript the page reloads itself (see the <noscript> refresh).
(function () {
  "use strict";
  var box = document.getElementById("packet-job");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("packet-progress");
  var text = document.getElementById("packet-status");
  var download = document.getElementById("packet-download");
  var link = document.getElementById("packet-download-link");
  var fmt = function (n) { return Number(n).toLocaleString("en-US"); };

  function show(s) {
    bar.value = s.percent;
    bar.textContent = s.percent + "%";
    if (s.status === "done") {
      text.textContent = "Ready.";
      if (s.download_url) { link.href = s.download_url; }
      download.hidden = false;
    } else if (s.status === "failed") {
      text.textContent = s.message;
    } else if (s.total) {
      text.textContent = fmt(s.done) + " of " + fmt(s.total) + " signatures drawn…";
    } else {
      text.textContent = s.message || "Waiting for a worker…";
    }
    return s.status === "done" || s.status === "failed";
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (s) { if (!show(s)) { setTimeout(poll, 1000); } })
      .catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
