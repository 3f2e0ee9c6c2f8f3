/* reportgen: draws every chart on the page from its embedded JSON figure.
   Figures live in <script type="application/json"> blocks, so this file is
   the only script the page runs besides plotly.js (no inline script).

   Light: the page does not load plotly.js itself. Text, scorecards and tables show at once;
   this script loads plotly.js (a same-origin <script>, as the CSP allows) when the first
   chart comes near the view, and draws each chart when it does; until then the chart's box
   keeps the drawing's size (the stylesheet shows a quiet placeholder). Print media (the
   print dialog, or a PDF printer emulating it) draws every chart.

   html[data-charts] tells tests and the PDF printer where the page is: "none" (no charts),
   "drawn" (every chart drawn), "failed" (set as soon as anything fails; the error text is in
   data-chart-errors). Each chart's box gets data-drawn="true" once drawn ("failed" if not). */
(function () {
  "use strict";
  var root = document.documentElement;
  var errors = [];

  function fail(message) {
    errors.push(String(message));
    root.setAttribute("data-chart-errors", errors.join(" | "));
    root.setAttribute("data-charts", "failed");
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
    if (touchOnly()) {
      // No toolbar on a phone, so the strip kept above the plot for it goes to the plot
      // (same height: the box does not move).
      var margin = Object.assign({}, layout.margin || {}, { t: 8 });
      layout = Object.assign({}, layout, { dragmode: false, margin: margin });
    }
    return window.Plotly.newPlot(element, figure.data, layout, config(figure)).then(function () {
      if (printMedia && printMedia.matches) {
        fitChart(element, true);
        fitNumbers(true);
        fitTables(true);
      }
      outOfTabOrder(element);
      element.on("plotly_afterplot", function () { outOfTabOrder(element); });
      element.setAttribute("data-drawn", "true");
    });
  }

  // The drawing is hidden from assistive technology (the chart is the image its summary
  // names) and puts no stops in the tab order: its toolbar's buttons (zoom, pan, PNG) do
  // nothing a keyboard user needs, and the numbers are in the table under the chart. They
  // stay for a mouse. Plotly makes its toolbar again when it redraws: after every drawing.
  function outOfTabOrder(element) {
    element.querySelectorAll("button, a[href], input, select, textarea, [tabindex]").forEach(function (item) {
      if (item.getAttribute("tabindex") !== "-1") { item.setAttribute("tabindex", "-1"); }
    });
  }

  // --- drawing when a chart nears the view --------------------------------------------------

  var charts = [];   // every chart's box on the page
  var started = [];  // the boxes being drawn or drawn
  var watcher = null;
  var plotly = null;  // the promise of plotly.js, once asked for

  function loadPlotly() {
    if (!plotly) {
      plotly = new Promise(function (resolve, reject) {
        if (window.Plotly) { resolve(); return; }
        var holder = document.querySelector("[data-plotly-src]");
        if (!holder) { reject(new Error("plotly.js did not load: the page names no plotly.js")); return; }
        var tag = document.createElement("script");
        tag.src = holder.getAttribute("data-plotly-src");
        tag.onload = function () {
          if (window.Plotly) { resolve(); } else { reject(new Error("plotly.js did not load")); }
        };
        tag.onerror = function () { reject(new Error("plotly.js did not load: " + tag.src)); };
        document.head.appendChild(tag);
      });
    }
    return plotly;
  }

  function settle() {
    if (errors.length) {
      root.setAttribute("data-charts", "failed");
    } else if (charts.every(function (element) { return element.getAttribute("data-drawn") === "true"; })) {
      root.setAttribute("data-charts", "drawn");
    }
  }

  // Draws one chart (once). With plotly.js already loaded it draws at once, synchronously:
  // the print dialog takes the page as it is when "beforeprint" returns.
  function show(element) {
    if (started.indexOf(element) !== -1) { return; }
    started.push(element);
    if (watcher) { watcher.unobserve(element); }
    var drawing = window.Plotly
      ? new Promise(function (resolve) { resolve(draw(element)); })
      : loadPlotly().then(function () { return draw(element); });
    drawing.catch(function (error) {
      element.setAttribute("data-drawn", "failed");
      fail(error && error.message ? error.message : error);
    }).then(settle);
  }

  function showAll() { charts.forEach(show); }

  function start() {
    charts = Array.prototype.slice.call(document.querySelectorAll("[data-figure]"));
    if (!charts.length) { root.setAttribute("data-charts", "none"); return; }
    if ((printMedia && printMedia.matches) || !window.IntersectionObserver) { showAll(); return; }
    // A few hundred pixels ahead of the view: a chart is usually drawn before it scrolls in.
    watcher = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) { if (entry.isIntersecting) { show(entry.target); } });
    }, { rootMargin: "400px 0px" });
    charts.forEach(function (element) { watcher.observe(element); });
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

  // Printouts show every chart and its numbers: draw the charts not drawn yet, and open the
  // collapsed tables.
  window.addEventListener("beforeprint", function () {
    showAll();
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
      if (event.matches) { showAll(); }
      fitCharts(event.matches); fitNumbers(event.matches); fitTables(event.matches);
    };
    if (printMedia.addEventListener) {
      printMedia.addEventListener("change", onChange);
    } else {
      printMedia.addListener(onChange);
    }
  }

  // --- table boxes ----------------------------------------------------------------------------

  // A table wider (or, for a chart's numbers, taller) than its box scrolls inside it: the box
  // is a labelled region that a keyboard can focus to scroll it with the arrow keys. The page
  // marks every box focusable (right without script too); a box that does not scroll is left
  // out of the tab order, checked again when the window's size changes or a box is opened.
  function fitScrollBoxes() {
    document.querySelectorAll(".table-scroll").forEach(function (box) {
      if (!box.hasAttribute("aria-label") && !box.hasAttribute("aria-labelledby")) {
        var name = headingBefore(box);  // a table in a note: named by the heading it follows
        if (name) { box.setAttribute("role", "region"); box.setAttribute("aria-label", name); }
      }
      var scrolls = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
      if (scrolls) {
        box.setAttribute("tabindex", "0");
      } else if (box.clientWidth) {  // laid out (not in a closed "Show the numbers")
        box.removeAttribute("tabindex");
      }
    });
  }
  function headingBefore(box) {
    for (var node = box; node && node !== document.body; node = node.previousElementSibling || node.parentElement) {
      if (node !== box && /^H[1-6]$/.test(node.tagName)) { return node.textContent.trim(); }
    }
    return "";
  }
  var refit = null;
  function fitScrollBoxesSoon() {
    if (refit === null) {
      refit = window.requestAnimationFrame(function () { refit = null; fitScrollBoxes(); });
    }
  }
  window.addEventListener("resize", fitScrollBoxesSoon);
  window.addEventListener("load", fitScrollBoxesSoon);
  document.addEventListener("toggle", fitScrollBoxesSoon, true);  // "toggle" does not bubble

  function ready() {
    fitScrollBoxes();
    start();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
