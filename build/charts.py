"""Charts: declarations read from the content (templates/charts/*.toml), compiled once into Vega-Lite.

A chart is data, not code: each top-level table of a `templates/charts/*.toml` file is one chart,

    [usage-events]
    dataset = "yearly_usage"              # the published dataset it draws (by URL, never inline)
    title = "Programs created per year"
    description = "Bar chart: programs created each year."   # the SVG's aria-label and the caption
    table = ["year", "events"]            # its data-table alternative: columns, or table() arguments
    static_svg = true                     # also a static SVG drawn from the rows, for readers without JS
    helper = "bars"                       # a public helper of build/chart_helpers.py …
    args = { x = "year", y = "events", y_title = "Programs" }   # … and its keyword arguments
    # spec = '''{ "mark": "bar", "encoding": … }'''            # or a Vega-Lite spec instead of a helper

Optional keys: `parse` (Vega-Lite's format.parse, e.g. { month = "utc:'%Y-%m'" }), `complete` (a
boolean column; rows where it is false are drawn as incomplete when the dataset has it) and
`incomplete_note` (said under the chart when such rows exist). String arguments may use Jinja with
`settings` ("{{ settings.retention_windows[1] }}"). Every column a chart names (encodings,
transforms, table) is checked against the dataset's declared columns before any query runs.

Building an Altair chart costs ~10 ms, so each chart is built once per run. Pages paint at once: the
Vega-Lite spec is precompiled to Vega here (the page loads the Vega runtime alone, ~200 KB gzip
instead of ~300 KB, and compiles nothing) and written once per chart as `assets/charts/<id>.json`,
shared by every page that places the chart; a page names only that file and its data URL (an entity
page, the entity's own file), and templates/assets/charts.js draws it after the first paint. The
static SVG, drawn from inline rows (vl-convert draws nothing from a URL), has a transparent
background and follows the reader's dark theme by a media query inside the file.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import altair as alt
import jinja2

from build import chart_helpers, spec_fields
from build.datasets import Dataset, data_url

URL_TOKEN = "__ALMANAC_DATA_URL__"
DATA_SLOT = "almanac:data"  # a precompiled spec's data entries that charts.js fills with the page's data file
SPEC_FOLDER = "assets/charts"
STATIC_WIDTH = 640
OVERHANG = 8  # pixels: half an axis label that a round maximum puts above the plot (labelFontSize 11)
# Inside a static SVG (an <img>, which page CSS cannot reach): the reader's dark theme. The light values are
# the SVG's own attributes; charts.js uses the same fallbacks when the page defines no --chart-* colours.
STATIC_DARK_STYLE = (
    "<style>@media (prefers-color-scheme: dark){"
    ".role-axis-label text,.role-axis-title text,.role-legend-label text,.role-legend-title text,"
    ".role-title-text text,.role-title-subtitle text{fill:#e6e6e6}"
    ".role-axis-grid line{stroke:#3d3d3d}.role-axis-domain line,.role-axis-tick line{stroke:#8c8c8c}}</style>"
)
KEYS = {"dataset", "title", "description", "table", "static_svg", "helper", "args", "spec", "parse"}
KEYS |= {"complete", "incomplete_note"}

SITE_CONFIG = {
    "font": "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif",
    "view": {"stroke": None, "continuousHeight": 240},
    "axis": {"labelColor": "#333", "titleColor": "#222", "gridColor": "#e4e4e4", "labelFontSize": 11},
    "legend": {"labelColor": "#333", "titleColor": "#222", "labelFontSize": 11},
    "autosize": {"type": "fit-x", "contains": "padding"},
}


class ChartError(Exception):
    """A chart declaration is wrong: unknown key, dataset, helper or column (named with its file)."""


@dataclass(frozen=True)
class ChartDef:
    """One declared chart (see the module docstring)."""

    id: str
    dataset: str
    title: str
    description: str
    source: str  # the file that declares it, for errors
    table: dict = field(default_factory=dict)  # table() arguments: columns, pivot, labels…
    static_svg: bool = False
    helper: str = ""
    args: dict = field(default_factory=dict)
    spec: dict = field(default_factory=dict)
    parse: dict = field(default_factory=dict)
    complete: str = ""
    incomplete_note: str = ""


@dataclass
class CompiledChart:
    """A chart's spec, built once; `spec_json` places it on a page at any depth."""

    definition: ChartDef
    dataset: Dataset
    spec: dict
    complete: str = ""  # the completeness column, when the dataset has it
    _template: str = ""
    _height: int | None = None
    precompiled: dict | None = field(default=None, repr=False)  # its Vega, when the build cache kept it

    def __post_init__(self):
        self._template = script_json(self.spec)

    @property
    def id(self) -> str:
        return self.definition.id

    @property
    def url(self) -> str:
        """The dataset's JSON file, relative to the site root."""
        return data_url(self.dataset.name, self.dataset.version, "json")

    def spec_json(self, prefix: str, url: str | None = None) -> str:
        """The spec as JSON text safe inside <script type="application/json">; data at prefix + url."""
        return self._template.replace(f'"{URL_TOKEN}"', script_json(prefix + (url or self.url)))

    def page_spec(self, prefix: str, url: str | None = None) -> dict:
        """The spec as a dict, as a page holds it (for tests)."""
        return json.loads(self.spec_json(prefix, url))

    def inline_spec(self, rows: list[dict]) -> dict:
        """The same spec with `rows` inlined, a fixed width and no background, for vl-convert's static SVG."""
        spec = copy.deepcopy(self.spec)
        data = {"values": rows}
        if self.definition.parse:
            data["format"] = {"parse": dict(self.definition.parse)}
        spec["data"] = data
        spec["background"] = None  # the page's background shows through, light or dark
        _fix_width(spec)
        return spec

    def svg(self, rows: list[dict], cache=None) -> str:
        """A static SVG of the chart drawn from `rows` (only the chart's columns are passed), dark-aware; kept in
        the build `cache` by the spec it is drawn from (vl-convert takes a tenth of a second a chart, and the
        home page, rendered every build, draws several)."""
        names = spec_fields.read(self.spec) | set(self.definition.table.get("columns", ()))
        slim = [{k: v for k, v in row.items() if k in names} for row in rows]
        spec = self.inline_spec(slim)
        key = cache.key("svg", json.dumps(spec, default=repr)) if cache is not None and cache.enabled else None
        if key and (kept := cache.get("svg", key)) is not None:
            return kept
        import vl_convert

        svg = vl_convert.vegalite_to_svg(spec)
        svg = re.sub(r"(<svg\b[^>]*>)", lambda m: m.group(1) + STATIC_DARK_STYLE, svg, count=1)
        if key:
            cache.put("svg", key, svg, {"chart": self.id})
        return svg

    def reserved_height(self, rows: list[dict], cache=None) -> int | None:
        """The chart's height in pixels, to reserve its box before it draws (the width follows the page).

        Drawn once per run from the first rows asked for (an entity's), since every page of a chart has
        the same layout: a fixed plot height plus axes and legend; it costs one static render per chart.
        Only the top axis label's overhang depends on the data (a round maximum puts a label on the plot's
        top edge), so that much is added: the box is a minimum height the chart fills, never outgrows."""
        if self._height is None and rows:
            drawn = svg_size(self.svg(rows, cache)).get("height", 0)
            self._height = drawn + OVERHANG if drawn else 0
        return self._height or None

    def fresh_height(self, rows: list[dict], cache=None) -> int | None:
        """The height `rows` alone give (a site-wide page's chart: no page's rows decide another's)."""
        if not rows:
            return None
        drawn = svg_size(self.svg(rows, cache)).get("height", 0)
        return drawn + OVERHANG if drawn else None

    @functools.cached_property
    def vega(self) -> dict:
        """The spec precompiled to Vega; its data entries that read the dataset name DATA_SLOT as URL."""
        if self.precompiled is not None:
            return self.precompiled
        import vl_convert

        spec = vl_convert.vegalite_to_vega(self.spec)
        spec.pop("$schema", None)
        for entry in spec.get("data", []):
            if entry.get("url") == URL_TOKEN:
                entry["url"] = DATA_SLOT
        return spec

    @functools.cached_property
    def vega_text(self) -> str:
        return json.dumps(self.vega, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n"

    @property
    def vega_path(self) -> str:
        """Where the precompiled spec is written, relative to the site root."""
        return f"{SPEC_FOLDER}/{self.id}.json"

    @functools.cached_property
    def vega_href(self) -> str:
        """The spec's URL relative to the site root, with a content hash so no browser mixes two builds."""
        return f"{self.vega_path}?v={hashlib.sha256(self.vega_text.encode('utf-8')).hexdigest()[:10]}"


def script_json(value) -> str:
    """JSON that cannot end a <script> element or open a comment: <, > and & become \\u escapes."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def svg_size(svg: str) -> dict:
    """{"width": w, "height": h} of an SVG's root element, rounded up to whole pixels; {} if it has none."""
    match = re.search(r'<svg[^>]*\bwidth="([\d.]+)"[^>]*\bheight="([\d.]+)"', svg[:1000])
    if not match:
        return {}
    return {"width": -int(-float(match.group(1)) // 1), "height": -int(-float(match.group(2)) // 1)}


def _fix_width(spec: dict) -> None:
    if spec.get("width") == "container":
        spec["width"] = STATIC_WIDTH
    for key in ("layer", "vconcat", "hconcat", "concat"):
        for part in spec.get(key, []):
            _fix_width(part)


# --- reading declarations ---------------------------------------------------------------


def load_charts(folder: Path) -> tuple[dict[str, ChartDef], list[str]]:
    """Every chart declared in `folder`/*.toml, and the problems found (all of them, not the first)."""
    charts: dict[str, ChartDef] = {}
    problems: list[str] = []
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        where = f"templates/charts/{path.name}"
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            problems.append(f"{where}: {error}")
            continue
        for chart_id, entry in document.items():
            try:
                chart = _declaration(chart_id, entry, where)
            except ChartError as error:
                problems.append(str(error))
                continue
            if chart_id in charts:
                problems.append(f"{where}: chart {chart_id!r} is already declared in {charts[chart_id].source}")
            charts[chart_id] = chart
    return charts, problems


def _declaration(chart_id: str, entry, where: str) -> ChartDef:
    name = f"{where}: chart {chart_id!r}"
    if not isinstance(entry, dict):
        raise ChartError(f"{name} must be a table ([{chart_id}])")
    unknown = sorted(set(entry) - KEYS)
    if unknown:
        raise ChartError(f"{name}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(KEYS))})")
    for key in ("dataset", "title", "description"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise ChartError(f'{name} needs {key} = "…" (a string)')
    helper, spec = entry.get("helper", ""), entry.get("spec", "")
    if bool(helper) == bool(spec):
        raise ChartError(f'{name} needs either helper = "…" (one of {", ".join(chart_helpers.HELPERS)}) or spec')
    if helper and helper not in chart_helpers.HELPERS:
        raise ChartError(f"{name}: unknown helper {helper!r} (helpers: {', '.join(chart_helpers.HELPERS)})")
    if isinstance(spec, str) and spec:
        try:
            spec = json.loads(spec)
        except json.JSONDecodeError as error:
            raise ChartError(f"{name}: spec is not JSON: {error}") from error
    table = entry.get("table", [])
    table = {"columns": list(table)} if isinstance(table, list) else dict(table)
    return ChartDef(
        id=chart_id,
        dataset=entry["dataset"],
        title=entry["title"],
        description=entry["description"],
        source=where,
        table=table,
        static_svg=bool(entry.get("static_svg", False)),
        helper=helper,
        args=dict(entry.get("args", {})),
        spec=dict(spec or {}),
        parse=dict(entry.get("parse", {})),
        complete=str(entry.get("complete", "")),
        incomplete_note=str(entry.get("incomplete_note", "")),
    )


# --- column checks -----------------------------------------------------------------------


def check_columns(definition: ChartDef, dataset: Dataset, spec: dict) -> None:
    """Raise ChartError when the chart (its encodings, transforms or table) names a missing column."""
    have = set(dataset.column_names)
    table = definition.table
    wanted = (spec_fields.read(spec) - spec_fields.made(spec)) | set(table.get("columns", ())) | set(definition.parse)
    pivot = table.get("pivot") or {}
    wanted |= set(pivot.get("index", ())) | {v for k, v in pivot.items() if k in ("columns", "values")}
    missing = sorted(wanted - have)
    if missing:
        raise ChartError(
            f"{definition.source}: chart {definition.id!r} uses column(s) {', '.join(missing)} that dataset "
            f"{dataset.name!r} does not have (it has: {', '.join(dataset.column_names) or 'none'})"
        )


# --- building ------------------------------------------------------------------------------


def _resolve(value, context: dict):
    """Render Jinja in string arguments ('{{ settings.k_min }}'); a result that reads as JSON is parsed."""
    if isinstance(value, str) and "{{" in value:
        text = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(value).render(context)
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    if isinstance(value, dict):
        return {k: _resolve(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, context) for v in value]
    return value


def compile_chart(
    definition: ChartDef, dataset: Dataset, context: dict | None = None, *, validate: bool = True
) -> CompiledChart:
    """Build `definition` once against `dataset`, with a placeholder for the data URL.

    `validate` checks a helper's Vega-Lite against its JSON Schema (Altair's jsonschema pass, about 2 s
    of a small build): `check_charts` does, for every chart before any query runs; the build's own
    compile with the rows does not (the rows change values, not the spec's shape; vl-convert still
    compiles every spec to Vega and fails on one it cannot read)."""
    if dataset.name != definition.dataset:
        raise ChartError(f"chart {definition.id!r} draws {definition.dataset!r}, not {dataset.name!r}")
    fmt = {"type": "json", **({"parse": dict(definition.parse)} if definition.parse else {})}
    complete = definition.complete if definition.complete in dataset.column_names else ""
    try:
        args = _resolve(definition.args, {"settings": (context or {}).get("settings", {})})
        if definition.helper:
            helper = chart_helpers.HELPERS[definition.helper]
            shape = chart_helpers.Shape(dataset.records() if len(dataset.frame) else [], complete)
            chart = helper(alt.Data(url=URL_TOKEN, format=fmt), shape, **args)
            spec = chart.properties(description=definition.description).to_dict(validate=validate)
        else:
            spec = {**copy.deepcopy(definition.spec), "data": {"url": URL_TOKEN, "format": fmt}}
            spec["description"] = definition.description
    except (TypeError, ValueError, KeyError, jinja2.TemplateError, alt.utils.schemapi.SchemaValidationError) as error:
        raise ChartError(f"{definition.source}: chart {definition.id!r} could not be built: {error}") from error
    spec.pop("$schema", None)
    spec["config"] = SITE_CONFIG
    check_columns(definition, dataset, spec)
    return CompiledChart(definition, dataset, spec, complete)


def compile_charts(
    definitions: dict[str, ChartDef], datasets: dict[str, Dataset], context: dict | None = None, cache=None
) -> dict[str, CompiledChart]:
    """Compile every chart whose dataset is present; charts of absent datasets are left out. With the build
    cache (build/cache.py), a chart of the same declaration, settings and rows is not built again."""
    compiled = {}
    for chart_id, definition in definitions.items():
        if definition.dataset not in datasets:
            continue
        dataset = datasets[definition.dataset]
        if cache is None or not cache.enabled:
            compiled[chart_id] = compile_chart(definition, dataset, context, validate=False)
            continue
        from build.cache import frame_digest

        key = cache.key("chart", repr(definition), context, repr(dataset.columns), frame_digest(dataset.frame))
        known = cache.get("chart", key)
        if known is None:
            chart = compile_chart(definition, dataset, context, validate=False)
            known = (chart.spec, chart.complete, _cached_vega(chart, cache))
            cache.put("chart", key, known, {"chart": chart_id})
        spec, complete, vega = known
        compiled[chart_id] = CompiledChart(definition, dataset, spec, complete, precompiled=vega)
    return compiled


def _cached_vega(chart: CompiledChart, cache) -> dict:
    """The chart's Vega, looked up by its Vega-Lite spec: vl-convert takes 50 ms a chart, and new rows
    mostly leave a chart's spec as it was (the spec reads the rows' shape, not their values). vl-convert's
    version is in every key already (cache.code_digest)."""
    spec = json.dumps(chart.spec)  # in its own key order: vl-convert's output may follow it
    key = cache.key("vega", spec)
    vega = cache.get("vega", key)
    if vega is None:
        vega = chart.vega
        cache.put("vega", key, vega, {"chart": chart.definition.id})
    return vega


def check_charts(definitions: dict[str, ChartDef], schemas: dict[str, Dataset], context: dict) -> list[str]:
    """Problems of every chart against the declared (empty) datasets: unknown dataset, column, argument."""
    problems = []
    for definition in definitions.values():
        if definition.dataset not in schemas:
            problems.append(
                f"{definition.source}: chart {definition.id!r} draws dataset {definition.dataset!r}, which no "
                f"query or derivation declares (there are: {', '.join(sorted(schemas))})"
            )
            continue
        try:
            compile_chart(definition, schemas[definition.dataset], context)
        except ChartError as error:
            problems.append(str(error))
    return problems


# The runtime: Vega alone (specs are precompiled), 586 KB (205 KB gzip) instead of the 898 KB (305 KB gzip)
# of Vega + Vega-Lite + vega-embed. vl-convert bundles what a snippet imports from its vendored copies;
# its bare name `vega` is not the module in 1.9, so the snippet imports Vega by the URL vl-convert vendors
# it under. Should a vl-convert release not resolve it, the full bundle's vegaEmbed.vega is used instead.
RUNTIME_SNIPPET = 'import * as runtime from "https://cdn.jsdelivr.net/npm/vega@{version}/+esm"; window.vega = runtime;'
FALLBACK_SNIPPET = "window.vega = vegaEmbed.vega;"


@functools.lru_cache(maxsize=1)
def vega_bundle() -> str:
    """The Vega runtime JavaScript, one self-contained file (no CDN) that sets window.vega."""
    import vl_convert

    try:
        return vl_convert.javascript_bundle(RUNTIME_SNIPPET.format(version=vl_convert.get_vega_version()))
    except BaseException as error:  # vl-convert raises Exception, or pyo3's PanicException (a BaseException)
        if isinstance(error, KeyboardInterrupt | SystemExit):
            raise
        return vl_convert.javascript_bundle(FALLBACK_SNIPPET)
