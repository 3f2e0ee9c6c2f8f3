/* reportgen serve: reload after a rebuild; show a failed build's problems. */
(function () {
  "use strict";
  // The build this page comes from (serve writes it on this script's tag): a build that ended
  // before the page first asked must still reload it.
  var script = document.currentScript;
  var seen = script && script.dataset.version ? Number(script.dataset.version) : null;
  var overlay = null;
  var badge = null;
  var warningsShown = "[]";
  var asking = false;
  // Asked, not streamed: a browser keeps at most six connections to one host open, and a
  // stream per tab would leave the seventh tab of the preview waiting for ever.
  var STATE = "/__reportgen/state";
  var EVERY_MS = 500;

  function show(error) {
    // serve's own "No site yet" / "Not found" page lists the problems in place: no overlay on it.
    var inline = document.getElementById("reportgen-problems");
    if (inline) {
      inline.textContent = error || "";
      inline.hidden = !error;
      return;
    }
    if (!error) {
      if (overlay) { overlay.remove(); overlay = null; }
      return;
    }
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.id = "reportgen-error-overlay";
      overlay.setAttribute("role", "alert");
      overlay.style.cssText = "position:fixed;inset:0 0 auto 0;z-index:99999;max-height:60vh;overflow:auto;" +
        "background:#7f1d1d;color:#fff;padding:16px 20px;font:14px/1.5 ui-monospace,Menlo,Consolas,monospace;" +
        "white-space:pre-wrap;overflow-wrap:anywhere;box-shadow:0 4px 24px rgba(0,0,0,.4)";
      document.body.appendChild(overlay);
    }
    // One problem a paragraph: wrapped lines of one never run into the next.
    overlay.textContent = "";
    var lines = ("reportgen: the build failed\n" + error + "\nFix the file and save: this page reloads by itself.")
      .split("\n");
    for (var i = 0; i < lines.length; i++) {
      var line = document.createElement("div");
      line.textContent = lines[i] || "\u00a0";
      line.style.margin = lines[i] ? "0 0 6px" : "0";
      overlay.appendChild(line);
    }
  }

  // A build that succeeds can still warn (a data folder renamed leaves a portal empty): a
  // small note in the corner, opened on demand, never printed.
  function warn(list) {
    var text = JSON.stringify(list || []);
    if (text === warningsShown) { return; }
    warningsShown = text;
    if (!list || !list.length) {
      if (badge) { badge.remove(); badge = null; }
      return;
    }
    if (!badge) {
      badge = document.createElement("details");
      badge.id = "reportgen-warnings";
      badge.style.cssText = "position:fixed;right:12px;bottom:12px;z-index:99998;max-width:min(40rem,calc(100vw - 24px));" +
        "max-height:50vh;overflow:auto;background:#fffbeb;color:#78350f;border:1px solid #d97706;border-radius:8px;" +
        "padding:8px 12px;font:13px/1.45 system-ui,sans-serif;overflow-wrap:anywhere;box-shadow:0 2px 12px rgba(0,0,0,.2)";
      document.body.appendChild(badge);
    }
    badge.textContent = "";
    var summary = document.createElement("summary");
    summary.textContent = "reportgen serve: " + list.length + (list.length === 1 ? " warning" : " warnings");
    summary.style.cursor = "pointer";
    badge.appendChild(summary);
    for (var i = 0; i < list.length; i++) {
      var item = document.createElement("div");
      item.textContent = list[i];
      item.style.margin = "6px 0 0";
      badge.appendChild(item);
    }
  }
  window.addEventListener("beforeprint", function () { if (badge) { badge.style.display = "none"; } });
  window.addEventListener("afterprint", function () { if (badge) { badge.style.display = ""; } });

  function apply(state) {
    if (seen === null || state.version === seen) {
      seen = state.version;
      show(state.error);
      warn(state.error ? [] : state.warnings);
      return;
    }
    seen = state.version;
    if (state.error) { show(state.error); } else { window.location.reload(); }
  }

  function ask() {
    if (asking) { return; }
    asking = true;
    fetch(STATE, { cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(apply)
      .catch(function () { /* serve stopped or restarting: ask again later */ })
      .then(function () { asking = false; });
  }

  ask();
  setInterval(ask, EVERY_MS);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { ask(); } });
})();
