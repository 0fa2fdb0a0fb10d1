/* Almanac charts: turns each chart's static SVG (or its reserved box) into an interactive Vega view.

   The page paints first, without this: a site-wide chart shows its static SVG, an entity page's chart a
   box of the chart's height. This script (deferred, and only on pages with charts) then draws a chart
   when it comes near the screen or the reader reaches for it (pointer, focus, touch), and only then loads
   the Vega runtime (assets/vega.js, named by data-vega on this script's tag), once. Specs are Vega,
   precompiled at build time (assets/charts/<id>.json); the data entry named "almanac:data" gets the
   page's data file, fetched once per page however many charts draw it. The view is drawn over the
   placeholder, in the same box, and replaces it only when complete, so nothing moves. Colours come from
   the page's CSS custom properties (--chart-text, --chart-grid, --chart-background) and follow
   prefers-color-scheme: a change of theme redraws the charts. Each chart takes keyboard focus: the arrow
   keys step through its values (a line chart's months, with the nearest-month rule), shown in the tooltip
   and in a polite live readout under the chart. */
(function () {
  "use strict";

  var DATA_SLOT = "almanac:data";
  var DARK = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  var tag = document.currentScript;
  var runtimeUrl = tag ? tag.getAttribute("data-vega") : null;
  var runtime = null;
  var texts = {};   // URL → Promise of the file's text: each spec and data file is fetched once per page
  var live = [];    // {view: the .chart-view, vega: its vega.View, spec, data} for redrawing on a theme change

  function loadRuntime() {
    if (runtime) return runtime;
    runtime = new Promise(function (resolve, reject) {
      if (window.vega) return resolve(window.vega);
      if (!runtimeUrl) return reject(new Error("no data-vega on the charts.js script tag"));
      var script = document.createElement("script");
      script.src = runtimeUrl;
      script.async = true;
      script.onload = function () {
        if (window.vega) resolve(window.vega);
        else reject(new Error(runtimeUrl + " did not define vega"));
      };
      script.onerror = function () { reject(new Error("could not load " + runtimeUrl)); };
      document.head.appendChild(script);
    });
    return runtime;
  }

  function fetchText(url) {
    if (!texts[url]) {
      texts[url] = fetch(url).then(function (response) {
        if (!response.ok) throw new Error(url + ": HTTP " + response.status);
        return response.text();
      });
    }
    return texts[url];
  }

  function colour(style, name, fallback) {
    var value = style.getPropertyValue(name).trim();
    return value || fallback;
  }

  // The theme as Vega config, from the page's custom properties (the other stylesheet's), or fallbacks
  // that match the static SVGs' own light and dark colours.
  function theme(view) {
    var style = window.getComputedStyle(view);
    var dark = DARK ? DARK.matches : false;
    var text = colour(style, "--chart-text", dark ? "#e6e6e6" : "#333333");
    var grid = colour(style, "--chart-grid", dark ? "#3d3d3d" : "#e4e4e4");
    var domain = dark ? "#8c8c8c" : "#888888";
    return {
      background: colour(style, "--chart-background", "transparent"),
      axis: { labelColor: text, titleColor: text, gridColor: grid, domainColor: domain, tickColor: domain },
      legend: { labelColor: text, titleColor: text },
      title: { color: text, subtitleColor: text }
    };
  }

  function merge(target, source) {
    Object.keys(source).forEach(function (key) {
      var value = source[key];
      if (value && typeof value === "object" && !Array.isArray(value)) {
        target[key] = merge(target[key] && typeof target[key] === "object" ? target[key] : {}, value);
      } else {
        target[key] = value;
      }
    });
    return target;
  }

  // A spec ready to parse: a fresh copy (Vega changes what it reads), the page's data, the theme.
  function prepare(specText, dataText, view) {
    var spec = JSON.parse(specText);
    (spec.data || []).forEach(function (entry) {
      if (entry.url === DATA_SLOT) {
        delete entry.url;
        entry.values = dataText;   // a string: Vega parses it with the entry's format (type json, parse)
      }
    });
    // This page's values of the chart's params (a campaign's period, the medians): Vega signals.
    var params = JSON.parse(view.getAttribute("data-params") || "{}");
    (spec.signals || []).forEach(function (signal) {
      if (Object.prototype.hasOwnProperty.call(params, signal.name)) signal.value = params[signal.name];
    });
    var colours = theme(view);
    spec.background = colours.background;
    delete colours.background;
    spec.config = merge(spec.config || {}, colours);
    return spec;
  }

  // Tooltips: Vega calls this with the hovered item's tooltip value; shown as a small box in the chart.
  function tooltipHandler(view) {
    var box = null;
    return function (handler, event, item, value) {
      if (value === null || value === undefined || value === "") {
        if (box) box.hidden = true;
        return;
      }
      if (!box) {
        box = document.createElement("div");
        box.className = "chart-tooltip";
        box.setAttribute("aria-hidden", "true");   // the readout under the chart is what a screen reader says
        box.style.cssText = "position:absolute;z-index:5;pointer-events:none;padding:0.3rem 0.5rem;" +
          "border:1px solid var(--chart-grid,#ccc);border-radius:4px;font-size:0.85rem;line-height:1.3;" +
          "background:var(--chart-tooltip-background,var(--chart-background,#fff));color:var(--chart-text,#222);" +
          "box-shadow:0 1px 4px rgba(0,0,0,0.2);max-width:18rem;";
        view.appendChild(box);
      }
      box.textContent = "";
      if (typeof value === "object") {
        Object.keys(value).forEach(function (key) {
          var line = document.createElement("div");
          var name = document.createElement("strong");
          name.textContent = key + ": ";
          line.appendChild(name);
          line.appendChild(document.createTextNode(String(value[key])));
          box.appendChild(line);
        });
      } else {
        box.textContent = String(value);
      }
      box.hidden = false;
      var area = view.getBoundingClientRect();
      var x = event.clientX - area.left + 12;
      var y = event.clientY - area.top + 12;
      box.style.left = Math.max(0, Math.min(x, area.width - box.offsetWidth)) + "px";
      box.style.top = y + "px";
    };
  }

  // Draw into `target` (absolutely placed over the placeholder until done), then drop the placeholder.
  function render(vega, view, target, specText, dataText, tooltip) {
    var chart = new vega.View(vega.parse(prepare(specText, dataText, view)), {
      renderer: "svg",
      container: target,
      hover: true,
      tooltip: tooltip
    });
    return chart.runAsync().then(function () {
      view.querySelectorAll(".chart-fallback, .chart-nojs").forEach(function (node) { node.remove(); });
      target.style.position = "";
      target.style.inset = "";
      view.classList.add("is-live");
      return chart;
    });
  }

  function draw(view) {
    if (view.getAttribute("data-state")) return;
    view.setAttribute("data-state", "loading");
    var target = document.createElement("div");
    target.className = "chart-vega";
    target.style.lineHeight = "0";   // no gap under the inline <svg>: the view is exactly the chart's height
    target.style.position = "absolute";
    target.style.inset = "0 0 auto 0";
    if (!view.style.position) view.style.position = "relative";
    view.appendChild(target);
    var specUrl = view.getAttribute("data-spec");
    var dataUrl = view.getAttribute("data-data");
    var tooltip = tooltipHandler(view);
    Promise.all([loadRuntime(), fetchText(specUrl), fetchText(dataUrl)])
      .then(function (loaded) {
        return render(loaded[0], view, target, loaded[1], loaded[2], tooltip).then(function (chart) {
          live.push({
            view: view, target: target, chart: chart, spec: loaded[1], data: loaded[2], tooltip: tooltip,
            selection: nearestSelection(JSON.parse(loaded[1]))
          });
          view.setAttribute("data-state", "live");
          view.dispatchEvent(new CustomEvent("almanac:drawn"));
        });
      })
      .catch(function (error) {
        target.remove();
        view.setAttribute("data-state", "failed");
        console.error("Chart " + view.getAttribute("data-chart") + " could not be drawn: " + error);
      });
  }

  // A change of the reader's colour scheme redraws each live chart with the new colours, in its box.
  function redraw() {
    if (!window.vega) return;
    live.forEach(function (entry) {
      entry.view.style.minHeight = entry.view.offsetHeight + "px";  // the box keeps its size meanwhile
      entry.chart.finalize();
      entry.tooltip(null, null, null, null);
      entry.target.textContent = "";
      var chart = new window.vega.View(window.vega.parse(prepare(entry.spec, entry.data, entry.view)), {
        renderer: "svg", container: entry.target, hover: true, tooltip: entry.tooltip
      });
      entry.chart = chart;
      chart.runAsync();
    });
  }

  // --- Keyboard: a chart takes focus; Left/Right (Up/Down, Home, End) step through its values ---------
  // The stops are the drawn items that have a tooltip, left to right. A line chart's stops are its months:
  // the items its nearest-month selection reads (the voronoi's source marks), and stepping to one sets
  // that selection through the view's signals, so the rule and points show as pointing at it would.
  // Each step shows the tooltip at the item and writes its values in the readout under the chart, a
  // polite live region, so a screen reader says them.

  // The nearest-month selection of a spec, if it has one: its tuple signal and the selection's unit.
  function nearestSelection(spec) {
    var found = null;
    (spec.signals || []).forEach(function (signal) {
      var text = JSON.stringify(signal.on || []);
      if (!found && /_tuple$/.test(signal.name) && text.indexOf("isVoronoi") >= 0) {
        var unit = /unit: \\"([^"\\]+)\\"/.exec(text);
        found = { tuple: signal.name, fields: signal.name + "_fields", unit: unit ? unit[1] : "" };
      }
    });
    return found;
  }

  // Every drawn item with a tooltip, in the view's coordinates; a line chart's nearest-month items only.
  function stops(chart) {
    var plain = [], nearest = [];
    function walk(group, dx, dy) {
      (group.items || []).forEach(function (mark) {
        if (/axis|legend|title/.test(mark.role || "")) return;
        (mark.items || []).forEach(function (item) {
          if (mark.marktype === "group") walk(item, dx + (item.x || 0), dy + (item.y || 0));
          else if (item.isVoronoi) nearest.push({ item: item.datum, dx: dx, dy: dy });
          else if (mark.interactive !== false && item.tooltip !== undefined && item.tooltip !== null) {
            plain.push({ item: item, dx: dx, dy: dy });
          }
        });
      });
    }
    var origin = chart.origin();   // the root group's place in the SVG (padding, axes)
    (chart.scenegraph().root.items || []).forEach(function (group) { walk(group, origin[0], origin[1]); });
    var list = (nearest.length ? nearest : plain).map(function (stop) {
      var b = stop.item.bounds;
      return { item: stop.item, x: stop.dx + (b.x1 + b.x2) / 2, y: stop.dy + (b.y1 + Math.min(b.y2, b.y1 + 16)) / 2 };
    });
    list.sort(function (a, b) { return a.x - b.x || a.y - b.y; });
    return list;
  }

  function readoutText(value) {
    if (value && typeof value === "object") {
      return Object.keys(value).map(function (key) { return key + ": " + value[key]; }).join("; ");
    }
    return value === null || value === undefined ? "" : String(value);
  }

  function keyboard(view) {
    var title = view.closest("figure") ? view.closest("figure").querySelector(".chart-title") : null;
    view.tabIndex = 0;
    view.setAttribute("role", "group");
    view.setAttribute("aria-label", (title ? title.textContent.trim() + ": " : "") +
      "chart; use the left and right arrow keys to read its values");
    var readout = document.createElement("p");
    readout.className = "chart-readout";
    readout.setAttribute("aria-live", "polite");
    view.parentNode.insertBefore(readout, view.nextSibling);
    var at = -1;

    function entry() {
      for (var i = 0; i < live.length; i++) if (live[i].view === view) return live[i];
      return null;
    }

    function select(found, stop) {
      var selection = found.selection;
      if (!selection) return;
      var value = null;
      if (stop) {
        var fields = found.chart.signal(selection.fields);
        value = { unit: selection.unit, fields: fields, values: fields.map(function (f) { return stop.item.datum[f.field]; }) };
      }
      found.chart.signal(selection.tuple, value);
    }

    function show() {
      var found = entry();
      if (!found) return;
      var list = stops(found.chart);
      if (!list.length) return;
      at = Math.max(0, Math.min(at, list.length - 1));
      var stop = list[at];
      select(found, stop);
      found.chart.runAsync().then(function () {
        var svg = found.target.querySelector("svg, canvas");
        var area = (svg || found.target).getBoundingClientRect();
        var value = stop.item.tooltip;
        found.tooltip(null, { clientX: area.left + stop.x, clientY: area.top + stop.y }, stop.item, value);
        readout.textContent = readoutText(value);
      });
    }

    function hide() {
      var found = entry();
      if (!found) return;
      select(found, null);
      found.chart.runAsync();
      found.tooltip(null, null, null, null);
    }

    view.addEventListener("keydown", function (event) {
      var key = event.key;
      if (key === "Escape") { hide(); readout.textContent = ""; return; }
      var found = entry();
      if (!found) return;
      var count = stops(found.chart).length;
      if (key === "ArrowRight" || key === "ArrowDown") at = Math.min(count - 1, at + 1);
      else if (key === "ArrowLeft" || key === "ArrowUp") at = Math.max(0, at - 1);
      else if (key === "Home") at = 0;
      else if (key === "End") at = count - 1;
      else return;
      event.preventDefault();
      show();
    });
    view.addEventListener("focus", function () {
      if (at < 0) at = 0;
      if (entry()) show();
      else view.addEventListener("almanac:drawn", function () { if (document.activeElement === view) show(); }, { once: true });
    });
    view.addEventListener("blur", hide);
  }

  function start() {
    var views = Array.prototype.slice.call(document.querySelectorAll(".chart-view[data-spec]"));
    if (!views.length) return;
    var observer = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) {
          observer.unobserve(entry.target);
          draw(entry.target);
        }
      });
    }, { rootMargin: "200px 0px" }) : null;
    views.forEach(function (view) {
      keyboard(view);
      ["pointerenter", "focusin", "touchstart"].forEach(function (kind) {
        view.addEventListener(kind, function () { draw(view); }, { once: true, passive: true });
      });
      if (observer) observer.observe(view);
      else draw(view);
    });
    if (DARK && DARK.addEventListener) DARK.addEventListener("change", redraw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
