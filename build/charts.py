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

Building an Altair chart costs ~10 ms, so each chart is built once per run; a page places it with
one string replacement of its data URL (an entity page points it at the entity's own file).
"""

from __future__ import annotations

import copy
import functools
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import altair as alt
import jinja2

from build import chart_helpers
from build.datasets import Dataset, data_url

URL_TOKEN = "__ALMANAC_DATA_URL__"
STATIC_WIDTH = 640
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
        """The same spec with `rows` inlined and a fixed width, for vl-convert's static SVG."""
        spec = copy.deepcopy(self.spec)
        data = {"values": rows}
        if self.definition.parse:
            data["format"] = {"parse": dict(self.definition.parse)}
        spec["data"] = data
        _fix_width(spec)
        return spec

    def svg(self, rows: list[dict]) -> str:
        """A static SVG of the chart drawn from `rows` (only the chart's columns are passed)."""
        import vl_convert

        names = _fields(self.spec) | set(self.definition.table.get("columns", ()))
        slim = [{k: v for k, v in row.items() if k in names} for row in rows]
        return vl_convert.vegalite_to_svg(self.inline_spec(slim))


def script_json(value) -> str:
    """JSON that cannot end a <script> element or open a comment: <, > and & become \\u escapes."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


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


def _walk(node, visit) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if not visit(key, value):
                _walk(value, visit)
    elif isinstance(node, list):
        for item in node:
            _walk(item, visit)


def _fields(spec) -> set[str]:
    """Every column name a spec reads: `field` references, fold and groupby lists."""
    found: set[str] = set()

    def visit(key, value):
        if key == "field" and isinstance(value, str) and value:
            found.add(value)
            return True
        if key in ("fold", "groupby") and isinstance(value, list):
            found.update(v for v in value if isinstance(v, str))
            return True
        return False

    _walk(spec, visit)
    return found


def _derived(spec) -> set[str]:
    """Names that transforms create (`as`, window/aggregate outputs), which are not dataset columns."""
    made: set[str] = set()

    def visit(key, value):
        if key == "as":
            made.update([value] if isinstance(value, str) else [v for v in value if isinstance(v, str)])
            return True
        return False

    _walk(spec, visit)
    return made


def check_columns(definition: ChartDef, dataset: Dataset, spec: dict) -> None:
    """Raise ChartError when the chart (its encodings, transforms or table) names a missing column."""
    have = set(dataset.column_names)
    table = definition.table
    wanted = (_fields(spec) - _derived(spec)) | set(table.get("columns", ())) | set(definition.parse)
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


def compile_chart(definition: ChartDef, dataset: Dataset, context: dict | None = None) -> CompiledChart:
    """Build `definition` once against `dataset`, with a placeholder for the data URL."""
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
            spec = chart.properties(description=definition.description).to_dict()
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
    definitions: dict[str, ChartDef], datasets: dict[str, Dataset], context: dict | None = None
) -> dict[str, CompiledChart]:
    """Compile every chart whose dataset is present; charts of absent datasets are left out."""
    return {
        chart_id: compile_chart(definition, datasets[definition.dataset], context)
        for chart_id, definition in definitions.items()
        if definition.dataset in datasets
    }


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


@functools.lru_cache(maxsize=1)
def vega_bundle() -> str:
    """The Vega, Vega-Lite and vega-embed JavaScript, one self-contained file (no CDN)."""
    import vl_convert

    return vl_convert.javascript_bundle()
