/* Almanac site script: makes tables searchable and sortable (charts are charts.js's).
   Everything here is progressive enhancement: without it, pages show plain tables. */
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

  // A search box above a table with data-search: rows whose text does not hold every typed word
  // are hidden. Without JavaScript the whole table shows.
  function makeSearchable(table, index) {
    var wrap = table.closest(".table-wrap") || table;
    var box = document.createElement("p");
    box.className = "table-search";
    var id = "table-search-" + index;
    box.innerHTML = '<label for="' + id + '">Search</label> <input type="search" id="' + id + '" autocomplete="off"> <output aria-live="polite"></output>';
    wrap.parentNode.insertBefore(box, wrap);
    var input = box.querySelector("input");
    var count = box.querySelector("output");
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var texts = rows.map(function (row) { return fold(row.textContent); });
    input.setAttribute("aria-label", "Search " + table.getAttribute("data-search"));
    input.addEventListener("input", function () {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      var shown = 0;
      rows.forEach(function (row, i) {
        var match = words.every(function (word) { return texts[i].indexOf(word) >= 0; });
        row.hidden = !match;
        if (match) shown += 1;
      });
      count.textContent = words.length ? shown + " of " + rows.length + " rows" : "";
    });
  }

  function start() {
    document.querySelectorAll("table[data-search]").forEach(makeSearchable);
    document.querySelectorAll("table.sortable").forEach(makeSortable);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
