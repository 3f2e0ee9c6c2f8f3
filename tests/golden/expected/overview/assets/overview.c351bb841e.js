/* reportgen overview: sort the status table by any column, filter it by account executive.
   No inline script (the page's CSP allows scripts from the site only); works on a page a
   protected overview has just opened (unlock.js runs this file again then). */
(function () {
  "use strict";

  function value(row, index) {
    var cell = row.cells[index];
    return cell ? cell.getAttribute("data-sort") || "" : "";
  }

  function sortBy(table, index, numeric, descending) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = value(a, index), y = value(b, index), order;
      if (numeric) {
        var nx = parseFloat(x), ny = parseFloat(y);
        if (isNaN(nx)) { nx = -Infinity; }
        if (isNaN(ny)) { ny = -Infinity; }
        order = nx - ny;
      } else {
        order = x.localeCompare(y, undefined, { sensitivity: "base", numeric: true });
      }
      return descending ? -order : order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      if (i === index) { th.setAttribute("aria-sort", descending ? "descending" : "ascending"); }
      else { th.removeAttribute("aria-sort"); }
    });
  }

  function filter(table, select, status) {
    var wanted = select.value;
    var shown = 0;
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      var keep = !wanted || row.getAttribute("data-ae") === wanted;
      row.hidden = !keep;
      if (keep) { shown++; }
    });
    if (status) { status.textContent = shown + (shown === 1 ? " client shown" : " clients shown"); }
  }

  function start() {
    var table = document.getElementById("status-table");
    if (!table || table.getAttribute("data-ready")) { return; }
    table.setAttribute("data-ready", "true");
    table.tHead.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest("button[data-sort]");
      if (!button) { return; }
      var index = parseInt(button.getAttribute("data-sort"), 10);
      var numeric = button.getAttribute("data-numeric") === "true";
      var th = button.parentNode;
      var current = th.getAttribute("aria-sort");
      // First click: numbers largest first, text A to Z; a second click reverses.
      var descending = current ? current === "ascending" : numeric;
      sortBy(table, index, numeric, descending);
    });
    var select = document.getElementById("ae-filter");
    var status = document.getElementById("shown-count");
    if (select) {
      select.addEventListener("change", function () { filter(table, select, status); });
      if (select.value) { filter(table, select, status); }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
