/* Almanac site script: makes tables sortable, searchable and filterable, with a hint when they scroll
   sideways; gives every chart charts.js draws keyboard access to its values and a permalink. Everything
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
  // (JSON: column index, label, kind, options): rows that do not hold every typed word (in data-text when the row has one,
  // else its text) or do not match every filter are hidden. Without JavaScript the whole table shows.
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
    var texts = rows.map(function (row) { return fold(row.getAttribute("data-text") || row.textContent); });
    var cells = filters.map(function (filter) {
      return rows.map(function (row) {
        var cell = row.cells[filter.index];
        var text = cell && !cell.classList.contains("note") ? cell.textContent.trim() : "";
        return filter.kind === "year" ? [text.slice(0, 4)] : text.split(", ");
      });
    });
    input.setAttribute("aria-label", "Search " + table.getAttribute("data-search"));
    function apply() {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      var wanted = Array.prototype.map.call(selects, function (select) { return select.value; });
      var shown = 0;
      rows.forEach(function (row, i) {
        var match = words.every(function (word) { return texts[i].indexOf(word) >= 0; }) &&
          wanted.every(function (value, f) { return !value || cells[f][i].indexOf(value) >= 0; });
        row.hidden = !match;
        if (match) shown += 1;
      });
      var active = words.length || wanted.some(Boolean);
      count.textContent = active ? shown + " of " + rows.length + " rows" : "";
      markScroll(wrap);
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

  // Keyboard access to a drawn chart's values: the chart takes focus; arrow keys move to the
  // previous or next mark and show its tooltip (and, on line charts, the rule of the nearest month),
  // as pointing at it would. Escape hides it.
  function chartMarks(view) {
    var svg = view.querySelector(".chart-vega svg");
    if (!svg) return [];
    var marks = Array.prototype.slice.call(svg.querySelectorAll(
      ".mark-rect path, .mark-rule line, .mark-symbol path, .mark-tick path"));
    return marks.filter(function (mark) {
      var box = mark.getBoundingClientRect();
      return box.width + box.height > 0 && mark.getAttribute("aria-hidden") !== "true" &&
        !mark.closest(".role-legend, .role-axis");
    }).sort(function (a, b) {
      var x = a.getBoundingClientRect(), y = b.getBoundingClientRect();
      return (x.left + x.width / 2) - (y.left + y.width / 2) || x.top - y.top;
    });
  }

  function point(mark, type) {
    var box = mark.getBoundingClientRect();
    var x = box.left + box.width / 2, y = box.top + Math.min(box.height / 2, 4);
    ["pointermove", "mousemove"].forEach(function (name) {
      var Event = name === "pointermove" && window.PointerEvent ? window.PointerEvent : window.MouseEvent;
      mark.dispatchEvent(new Event(type === "out" ? name.replace("move", "out") : name,
        { bubbles: true, clientX: x, clientY: y, view: window }));
    });
  }

  function chartKeys(figure) {
    var view = figure.querySelector(".chart-view");
    if (!view || view.dataset.keys) return;
    view.dataset.keys = "1";
    view.tabIndex = 0;
    view.setAttribute("role", "group");
    var title = figure.querySelector(".chart-title");
    view.setAttribute("aria-label", (title ? title.textContent.trim() + ": " : "") +
      "chart; use the left and right arrow keys to read its values");
    var at = -1;
    view.addEventListener("keydown", function (event) {
      var marks = chartMarks(view);
      if (!marks.length) return;
      if (event.key === "ArrowRight" || event.key === "ArrowDown") at = Math.min(marks.length - 1, at + 1);
      else if (event.key === "ArrowLeft" || event.key === "ArrowUp") at = Math.max(0, at - 1);
      else if (event.key === "Home") at = 0;
      else if (event.key === "End") at = marks.length - 1;
      else if (event.key === "Escape") { if (at >= 0) point(marks[Math.min(at, marks.length - 1)], "out"); at = -1; return; }
      else return;
      event.preventDefault();
      point(marks[at], "move");
    });
    view.addEventListener("focus", function () {
      var marks = chartMarks(view);
      if (marks.length) { at = Math.max(at, 0); point(marks[at], "move"); }
    });
    view.addEventListener("blur", function () {
      var marks = chartMarks(view);
      if (at >= 0 && marks.length) point(marks[Math.min(at, marks.length - 1)], "out");
    });
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
    document.querySelectorAll("figure.chart").forEach(function (figure) {
      permalink(figure);
      var view = figure.querySelector(".chart-view");
      if (!view) return;
      if (view.querySelector(".chart-vega svg")) { chartKeys(figure); return; }
      // Whoever draws the chart, its keyboard access follows once its SVG is there.
      var observer = new MutationObserver(function () {
        if (view.querySelector(".chart-vega svg")) { observer.disconnect(); chartKeys(figure); }
      });
      observer.observe(view, { childList: true, subtree: true });
    });
  }

  function start() {
    document.querySelectorAll("table[data-search]").forEach(makeSearchable);
    document.querySelectorAll("table.sortable").forEach(makeSortable);
    document.querySelectorAll(".table-wrap").forEach(watchScroll);
    window.addEventListener("resize", function () { document.querySelectorAll(".table-wrap").forEach(markScroll); });
    enhanceCharts();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
