// Live sections: the server renders each section and pushes it (server-sent events) whenever the figures change;
// this swaps the sections in place. The page works without it (reload shows the same figures).
(function () {
  "use strict";
  var status = document.getElementById("live-status");
  var source = document.body.getAttribute("data-stream");
  if (!source || !window.EventSource) return;
  function say(kind, text) { if (status) { status.className = "live " + kind; status.textContent = text; } }
  var events = new EventSource(source);
  events.addEventListener("open", function () { say("on", status.getAttribute("data-on")); });
  events.addEventListener("sections", function (e) {
    var snapshot = JSON.parse(e.data);
    Object.keys(snapshot).forEach(function (id) {
      var el = document.getElementById(id);
      if (el && el.innerHTML !== snapshot[id]) el.innerHTML = snapshot[id];
    });
    say("on", status.getAttribute("data-on"));
  });
  events.addEventListener("error", function () { say("off", status.getAttribute("data-off")); });
})();
