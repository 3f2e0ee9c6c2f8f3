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

  // The charts' words (toolbar titles, "Double-click to zoom back out") in the page's
  // language: the page carries them from reportgen's catalogs, registered as a Plotly locale.
  var locale;
  function chartLocale() {
    if (locale === undefined) {
      locale = null;
      var holder = document.querySelector("[data-chart-locale]");
      if (holder) {
        var words = JSON.parse(holder.getAttribute("data-chart-locale"));
        window.Plotly.register({ moduleType: "locale", name: words.name, dictionary: words.dictionary });
        locale = words.name;
      }
    }
    return locale;
  }

  function config(figure) {
    var pie = figure.data.some(function (trace) { return trace.type === "pie"; });
    var settings = {
      responsive: true,
      displaylogo: false,
      showSendToCloud: false,
      scrollZoom: false,
      modeBarButtons: pie ? PIE_BUTTONS : CARTESIAN_BUTTONS,
    };
    if (chartLocale()) { settings.locale = chartLocale(); }
    if (touchOnly()) {
      // A phone: no toolbar over the legend, and a swipe that starts on a chart
      // scrolls the page instead of zooming the chart (hover labels still show on tap).
      settings.displayModeBar = false;
    }
    return settings;
  }

  function touchOnly() {
    return !!(window.matchMedia && window.matchMedia("(hover: none) and (pointer: coarse)").matches);
  }

  // A chart's figure is the JSON block inside its own <figure>: found by
  // position, not by a page-wide id that a note could repeat.
  function figureOf(element) {
    var holder = element.closest("figure") || element.parentNode;
    return JSON.parse(holder.querySelector('script[type="application/json"]').textContent);
  }

  function draw(element) {
    var figure = figureOf(element);
    var layout = figure.layout;
    if (touchOnly()) { layout = Object.assign({}, layout, { dragmode: false }); }
    return window.Plotly.newPlot(element, figure.data, layout, config(figure)).then(function () {
      if (printMedia && printMedia.matches) {
        fitChart(element, true);
        fitNumbers(true);
        fitTables(true);
      }
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

  // Paper: a drawing keeps the pixel size it was drawn at, and the printed page is narrower
  // than a screen. When print media applies (the print dialog, or a PDF), the page is already
  // laid out for paper: every drawn chart is redrawn at its printed box (the stylesheet sizes
  // it), synchronously, so the printout takes the new drawing; afterwards it follows its box again.
  // A chart drawn while print media already applies (a PDF printer emulating it) is fitted
  // as soon as it is drawn.
  var printMedia = window.matchMedia ? window.matchMedia("print") : null;
  function fitChart(element, printing) {
    try {
      var size = printing
        ? { width: element.clientWidth, height: element.clientHeight }
        : { width: null, height: figureOf(element).layout.height || null };
      if (size.width !== 0) { window.Plotly.relayout(element, size); }
    } catch (error) { fail(error); }
  }
  function fitCharts(printing) {
    if (!window.Plotly) { return; }
    document.querySelectorAll('[data-figure][data-drawn="true"]').forEach(function (element) {
      fitChart(element, printing);
    });
  }
  // A table wider than the printed page (many metrics) shrinks to fit it instead of being
  // cut at the page's edge; the stylesheet has already let its headers wrap.
  function fitTables(printing) {
    document.querySelectorAll("main table").forEach(function (table) {
      table.style.zoom = "";
      var room = table.parentNode.clientWidth;
      if (printing && room && table.offsetWidth > room) {
        table.style.zoom = String(Math.floor(room / table.offsetWidth * 1000) / 1000);
      }
    });
  }
  // A long numbers table prints in four newspaper columns under its chart; fewer when its
  // figures (millions of đồng) would not fit a quarter of the page.
  function fitNumbers(printing) {
    document.querySelectorAll(".chart-data table").forEach(function (table) {
      table.style.removeProperty("--columns");
      for (var columns = 4; printing && columns > 1 && overflows(table); columns -= 1) {
        table.style.setProperty("--columns", String(columns - 1));
      }
    });
  }
  function overflows(table) {
    return Array.prototype.some.call(table.querySelectorAll("th, td"), function (cell) {
      return cell.scrollWidth > cell.clientWidth + 1;
    });
  }
  if (printMedia) {
    var onChange = function (event) {
      fitCharts(event.matches); fitNumbers(event.matches); fitTables(event.matches);
    };
    if (printMedia.addEventListener) {
      printMedia.addEventListener("change", onChange);
    } else {
      printMedia.addListener(onChange);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
