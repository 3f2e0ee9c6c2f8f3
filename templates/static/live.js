/* reportgen serve: reload after a rebuild; show a failed build's problems. */
(function () {
  "use strict";
  // The build this page comes from (serve writes it on this script's tag): a build that ended
  // before the page started listening must still reload it.
  var script = document.currentScript;
  var seen = script && script.dataset.version ? Number(script.dataset.version) : null;
  var overlay = null;

  function show(error) {
    if (!error) {
      if (overlay) { overlay.remove(); overlay = null; }
      return;
    }
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.id = "reportgen-error-overlay";
      overlay.setAttribute("role", "alert");
      overlay.style.cssText = "position:fixed;inset:0 0 auto 0;z-index:99999;max-height:70vh;overflow:auto;" +
        "background:#7f1d1d;color:#fff;padding:16px 20px;font:14px/1.5 ui-monospace,Menlo,Consolas,monospace;" +
        "white-space:pre-wrap;box-shadow:0 4px 24px rgba(0,0,0,.4)";
      document.body.appendChild(overlay);
    }
    overlay.textContent = "reportgen: the build failed\n\n" + error +
      "\n\nFix the file and save: this page reloads by itself.";
  }

  var source = new EventSource("/__reportgen/events");
  source.onmessage = function (event) {
    var state = JSON.parse(event.data);
    if (seen === null || state.version === seen) {
      seen = state.version;
      show(state.error);
      return;
    }
    seen = state.version;
    if (state.error) { show(state.error); } else { window.location.reload(); }
  };
})();
