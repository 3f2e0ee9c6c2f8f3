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

  var config = {
    responsive: true,
    displaylogo: false,
    scrollZoom: false,
    modeBarButtonsToRemove: ["lasso2d", "select2d", "autoScale2d", "toggleSpikelines"],
  };

  function draw(element) {
    var source = document.getElementById(element.getAttribute("data-figure"));
    var figure = JSON.parse(source.textContent);
    return window.Plotly.newPlot(element, figure.data, figure.layout, config).then(function () {
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
      var text = JSON.parse(document.getElementById(link.getAttribute("data-download")).textContent);
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
    if (event.target.closest && event.target.closest("[data-forget]")) {
      event.preventDefault();
      try {
        [sessionStorage, localStorage].forEach(function (store) {
          Object.keys(store).forEach(function (key) {
            if (key.indexOf("reportgen-key:") === 0) { store.removeItem(key); }
          });
        });
      } catch (e) { /* storage disabled */ }
      window.location.reload();
    }
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
