/* Wallboard watchdog: the server callback bumps #beat on every tick. If no beat arrives
   for data-stale-ms the Dash server itself is unreachable (the snapshot banner cannot say
   so), so show a DISCONNECTED banner. After data-reload-ms of silence reload the page as
   soon as the server is back (first beat again, or /health answers) — never blindly, which
   would strand the TV on Chrome's error page.
   Dash serves every .js file in assets/ automatically. */
(function () {
  "use strict";
  var lastBeat = Date.now();
  var lastBeatWall = new Date();
  var observed = null;
  var probing = false;

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  // the time in engine.timezone (its UTC offset is on #wallboard), as the board shows it
  function hhmmss(d) {
    var root = document.getElementById("wallboard");
    var offset = (root && parseInt(root.getAttribute("data-utc-offset-min"), 10)) || 0;
    var local = new Date(d.getTime() + offset * 60000);
    var zone = "UTC";
    if (offset) {
      var h = Math.floor(Math.abs(offset) / 60), m = Math.abs(offset) % 60;
      zone += (offset > 0 ? "+" : "-") + h + (m ? ":" + pad(m) : "");
    }
    return pad(local.getUTCHours()) + ":" + pad(local.getUTCMinutes()) + ":" +
      pad(local.getUTCSeconds()) + " " + zone;
  }

  function banner() {
    var el = document.getElementById("link-banner");
    if (!el) {
      el = document.createElement("div");
      el.id = "link-banner";
      el.className = "banner";
      el.setAttribute("role", "alert");
      el.hidden = true;
      document.body.appendChild(el);
    }
    return el;
  }

  function reloadMs() {
    var root = document.getElementById("wallboard");
    return (root && parseInt(root.getAttribute("data-reload-ms"), 10)) || 60000;
  }

  function attach() {
    var beat = document.getElementById("beat");
    if (!beat || beat === observed) { return; }
    observed = beat;
    new MutationObserver(function () {
      var gap = Date.now() - lastBeat;
      lastBeat = Date.now();
      lastBeatWall = new Date();
      // back after a long outage: the server may have been redeployed, start clean
      if (gap > reloadMs()) { window.location.reload(); }
    }).observe(beat, { childList: true, characterData: true, subtree: true });
  }

  function check() {
    attach();
    var root = document.getElementById("wallboard");
    if (!root) { return; }
    var staleMs = parseInt(root.getAttribute("data-stale-ms"), 10) || 8000;
    var health = root.getAttribute("data-health") || "health";
    var silentMs = Date.now() - lastBeat;
    var el = banner();
    if (silentMs > staleMs) {
      // the text in the board's language (dashboard/i18n.py, key "disconnected")
      var text = root.getAttribute("data-disconnected-" + (root.getAttribute("lang") || "en")) ||
        root.getAttribute("data-disconnected-en") ||
        "DISCONNECTED — wallboard server not responding since {time}";
      el.textContent = text.replace("{time}", hhmmss(lastBeatWall));
      el.hidden = false;
      document.body.classList.add("disconnected");
    } else if (!el.hidden) {
      el.hidden = true;
      document.body.classList.remove("disconnected");
    }
    if (silentMs > reloadMs() && !probing) {
      probing = true;
      fetch(health, { cache: "no-store" })
        .then(function (r) { if (r.ok) { window.location.reload(); } })
        .catch(function () { /* still down: try again next second */ })
        .then(function () { probing = false; });
    }
  }

  setInterval(check, 1000);
})();
