// Live dashboard: the server renders every section (numbers, SVG charts, tables) and pushes them over
// server-sent events; this script only swaps the sections that changed. No library, no reload.
(function () {
  "use strict";
  var status = document.getElementById("live-status");

  // The words come from the page, in its language (data-live, data-lost, data-none on the status element).
  function said(key, fallback) { return (status && status.getAttribute("data-" + key)) || fallback; }

  function setStatus(kind, text) {
    if (!status) return;
    status.className = "live " + kind;
    status.lastElementChild.textContent = text;
  }

  function cardValues(root) {
    var values = {};
    root.querySelectorAll("[data-indicator]").forEach(function (card) {
      values[card.getAttribute("data-indicator")] = card.querySelector(".value").textContent;
    });
    return values;
  }

  function apply(snapshot) {
    Object.keys(snapshot.sections).forEach(function (id) {
      var el = document.getElementById(id);
      if (!el || el.getAttribute("data-hash") === snapshot.hashes[id]) return;
      var before = cardValues(el);
      el.innerHTML = snapshot.sections[id];
      el.setAttribute("data-hash", snapshot.hashes[id]);
      el.querySelectorAll("[data-indicator]").forEach(function (card) {
        var key = card.getAttribute("data-indicator");
        if (key in before && before[key] !== card.querySelector(".value").textContent) card.classList.add("flash");
      });
    });
    document.body.setAttribute("data-version", snapshot.version);
  }

  function connect() {
    // The server ends each stream after a few seconds and the browser reconnects at once: only a stream that
    // stays away for longer is shown as a lost connection.
    var source = new EventSource(document.body.getAttribute("data-stream"));
    var lost = null;
    function live() { clearTimeout(lost); lost = null; setStatus("on", said("live", "Live")); }
    source.addEventListener("open", live);
    source.addEventListener("dashboard", function (e) { apply(JSON.parse(e.data)); live(); });
    source.addEventListener("error", function () {
      if (lost === null) lost = setTimeout(function () { setStatus("off", said("lost", "Reconnecting…")); }, 3000);
    });
  }

  if (window.EventSource) connect(); else setStatus("off", said("none", "Live updates unavailable"));
})();
