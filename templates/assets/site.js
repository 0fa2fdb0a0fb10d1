/* Almanac site script: makes tables sortable, searchable and filterable, with a hint when they scroll
   sideways; gives every chart a permalink (charts.js gives the charts it draws keyboard access). Everything
   here is progressive enhancement: without it, pages show static SVG charts (or a reserved box) and
   plain tables with every row. */
(function () {
  "use strict";

  function sortValue(cell) {
    if (!cell) return null;
    var raw = cell.getAttribute("data-sort");
    if (raw !== null) return raw === "" ? null : Number(raw);
    if (cell.classList.contains("note")) return null;
    return cell.textContent.trim().toLowerCase();
  }

  function compare(a, b) {
    if (a === null && b === null) return 0;
    if (a === null) return 1;   // missing values last, whatever the direction
    if (b === null) return -1;
    if (typeof a === "number" && typeof b === "number") return a - b;
    return String(a).localeCompare(String(b), undefined, { numeric: true });
  }

  function makeSortable(table) {
    var headers = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(headers, function (th, index) {
      var button = document.createElement("button");
      button.type = "button";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () {
        var descending = th.getAttribute("aria-sort") === "ascending";
        Array.prototype.forEach.call(headers, function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows).map(function (row, position) {
          return { row: row, key: sortValue(row.cells[index]), position: position };
        });
        rows.sort(function (x, y) {
          if (x.key === null || y.key === null) return compare(x.key, y.key) || x.position - y.position;
          var order = compare(x.key, y.key);
          return (descending ? -order : order) || x.position - y.position;
        });
        var fragment = document.createDocumentFragment();
        rows.forEach(function (item) { fragment.appendChild(item.row); });
        body.appendChild(fragment);
      });
    });
  }

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  // A search box above a table with data-search, and a select per filter in its data-filters
  // (JSON: column index, label, kind, options): rows that do not hold every typed word or do not match
  // every filter are hidden. A row's search key is its data-text, folded at build time (tables.search_key:
  // no accents, lower case), else its folded text. Fast with thousands of rows: keys and filter values are
  // read once; a keystroke compares strings and writes `hidden` only on rows that change; the scroll hint
  // is measured at the next frame, so the filter forces no layout. Without JavaScript the whole table shows.
  function makeSearchable(table, index) {
    var wrap = table.closest(".table-wrap") || table;
    var filters = table.hasAttribute("data-filters") ? JSON.parse(table.getAttribute("data-filters")) : [];
    var box = document.createElement("div");
    box.className = "table-search";
    var id = "table-search-" + index;
    var html = '<p><label for="' + id + '">Search</label> <input type="search" id="' + id + '" autocomplete="off"></p>';
    filters.forEach(function (filter, n) {
      var options = filter.options.map(function (o) { return '<option>' + escapeHtml(o) + '</option>'; }).join("");
      html += '<p><label for="' + id + '-' + n + '">' + escapeHtml(filter.label) + '</label> <select id="' + id + '-' + n +
        '"><option value="">all</option>' + options + '</select></p>';
    });
    box.innerHTML = html + '<p class="table-count"><output aria-live="polite"></output></p>';
    wrap.parentNode.insertBefore(box, wrap);
    var input = box.querySelector("input");
    var selects = box.querySelectorAll("select");
    var count = box.querySelector("output");
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var keys = rows.map(function (row) {
      var key = row.getAttribute("data-text");
      return key !== null ? key : fold(row.textContent);
    });
    var cells = filters.map(function (filter) {
      return rows.map(function (row) {
        var cell = row.cells[filter.index];
        var text = cell && !cell.classList.contains("note") ? cell.textContent.trim() : "";
        return filter.kind === "year" ? [text.slice(0, 4)] : text.split(", ");
      });
    });
    var shownBefore = rows.map(function (row) { return !row.hidden; });
    var hintPending = false;
    input.setAttribute("aria-label", "Search " + table.getAttribute("data-search"));
    function apply() {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      var wanted = Array.prototype.map.call(selects, function (select) { return select.value; });
      var shown = 0;
      for (var i = 0; i < rows.length; i++) {
        var match = true;
        for (var w = 0; match && w < words.length; w++) match = keys[i].indexOf(words[w]) >= 0;
        for (var f = 0; match && f < wanted.length; f++) match = !wanted[f] || cells[f][i].indexOf(wanted[f]) >= 0;
        if (match !== shownBefore[i]) {
          rows[i].hidden = !match;
          shownBefore[i] = match;
        }
        if (match) shown += 1;
      }
      var active = words.length || wanted.some(Boolean);
      count.textContent = active ? shown + " of " + rows.length + " rows" : "";
      if (!hintPending) {
        hintPending = true;
        window.requestAnimationFrame(function () { hintPending = false; markScroll(wrap); });
      }
    }
    input.addEventListener("input", apply);
    Array.prototype.forEach.call(selects, function (select) { select.addEventListener("change", apply); });
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }

  // A table wider than its box says so (a shadow and a hint), so a phone reader knows to swipe.
  function markScroll(wrap) {
    var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
    wrap.classList.toggle("scrolls", scrolls);
    wrap.classList.toggle("at-end", wrap.scrollLeft + wrap.clientWidth >= wrap.scrollWidth - 1);
  }

  function watchScroll(wrap) {
    markScroll(wrap);
    wrap.addEventListener("scroll", function () { markScroll(wrap); }, { passive: true });
  }

  // A permalink beside each chart's title: #chart-<id>.
  function permalink(figure) {
    var title = figure.querySelector(".chart-title");
    if (!title || !figure.id || title.querySelector(".permalink")) return;
    var link = document.createElement("a");
    link.className = "permalink";
    link.href = "#" + figure.id;
    link.textContent = "#";
    link.setAttribute("aria-label", "Link to the chart “" + title.textContent.trim() + "”");
    title.appendChild(document.createTextNode(" "));
    title.appendChild(link);
  }

  function enhanceCharts() {
    document.querySelectorAll("figure.chart").forEach(permalink);
  }

  function start() {
    var started = window.performance ? performance.now() : 0;
    document.querySelectorAll("table[data-search]").forEach(makeSearchable);
    document.querySelectorAll("table.sortable").forEach(makeSortable);
    document.querySelectorAll(".table-wrap").forEach(watchScroll);
    window.addEventListener("resize", function () { document.querySelectorAll(".table-wrap").forEach(markScroll); });
    enhanceCharts();
    // How long this took (benchmarks/campaign_index.py reads it): a measure, visible in a browser's profiler.
    if (window.performance && performance.measure) performance.measure("almanac:site.js", { start: started });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
