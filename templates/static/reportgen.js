/* reportgen: draws every chart on the page from its embedded JSON figure.
   Figures live in <script type="application/json"> blocks, so this file is
   the only script the page runs besides plotly.js (no inline script). */
(function () {
  "use strict";
  var root = document.documentElement;
  var errors = [];

  function fail(message) {
    errors.push(String(message));
    root.setAttribute("data-chart-errors", errors.join(" | "));
  }

  window.addEventListener("error", function (event) { fail(event.message); });

  // Nothing on a chart's toolbar sends data off the page: the buttons are an
  // allow-list (zoom, pan, reset, and "download as PNG", which saves locally),
  // so plotly.js's "Share chart" (Plotly Cloud) and its logo link never appear.
  var CARTESIAN_BUTTONS = [["toImage", "zoom2d", "pan2d", "zoomIn2d", "zoomOut2d", "resetScale2d"]];
  var PIE_BUTTONS = [["toImage"]];

  function config(figure) {
    var pie = figure.data.some(function (trace) { return trace.type === "pie"; });
    return {
      responsive: true,
      displaylogo: false,
      showSendToCloud: false,
      scrollZoom: false,
      modeBarButtons: pie ? PIE_BUTTONS : CARTESIAN_BUTTONS,
    };
  }

  // A chart's figure is the JSON block inside its own <figure>: found by
  // position, not by a page-wide id that a note could repeat.
  function figureOf(element) {
    var holder = element.closest("figure") || element.parentNode;
    return JSON.parse(holder.querySelector('script[type="application/json"]').textContent);
  }

  function draw(element) {
    var figure = figureOf(element);
    return window.Plotly.newPlot(element, figure.data, figure.layout, config(figure)).then(function () {
      element.setAttribute("data-drawn", "true");
    });
  }

  function drawAll() {
    var elements = document.querySelectorAll("[data-figure]");
    if (!elements.length) { root.setAttribute("data-charts", "none"); return; }
    if (!window.Plotly) { fail("plotly.js did not load"); return; }
    var pending = [];
    elements.forEach(function (element) {
      try { pending.push(draw(element).catch(fail)); } catch (error) { fail(error); }
    });
    Promise.all(pending).then(function () {
      root.setAttribute("data-charts", errors.length ? "failed" : "drawn");
    });
  }

  // Protected portals: downloads travel inside the (decrypted) page.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-download]");
    if (link) {
      event.preventDefault();
      // The download's JSON block sits in the same downloads section as its link.
      var section = link.closest("section") || document;
      var block = Array.prototype.find.call(
        section.querySelectorAll('script[type="application/json"]'),
        function (script) { return script.id === link.getAttribute("data-download"); });
      var text = JSON.parse(block.textContent);
      var url = URL.createObjectURL(new Blob([text], { type: link.getAttribute("data-type") }));
      var save = document.createElement("a");
      save.href = url;
      save.download = link.getAttribute("data-filename");
      document.body.appendChild(save);
      save.click();
      save.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
      return;
    }
    // "Lock this report on this device" ([data-forget]) is unlock.js's: it keeps the keys.
  });

  // Printouts show every chart's numbers: open the collapsed tables first.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details.chart-data").forEach(function (d) { d.open = true; });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
