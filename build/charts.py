"""Charts: Altair definitions compiled once into Vega-Lite specs that draw published datasets by URL.

Takes the Datasets (for their columns) and the settings; gives `CompiledChart`s whose spec JSON
only needs a page's relative URL prefix (and, for per-campaign charts, the campaign slug) to be
put on a page. Building an Altair chart costs ~10 ms, so each chart is built once per run and the
per-page work is two string replacements: 3,000 campaign pages cost milliseconds, not a minute.

Every chart:
- reads its dataset from `data/v<version>/<name>.json` by relative URL (never inline rows);
- has a `description` (the SVG's aria-label, and the figure's visible caption);
- names only columns its dataset has, or `ChartError` says which chart and which column;
- has a static SVG fallback, when `svg_fallback` is set, drawn by vl-convert from the same spec
  with the rows inlined (vl-convert draws an empty chart from a URL).

Example:
    >>> compiled = compile_charts(datasets, settings)
    >>> compiled["activity-participants"].spec_json(prefix="../")   # text for a <script> tag
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import altair as alt

from build.datasets import Dataset, data_url

URL_TOKEN = "__ALMANAC_DATA_URL__"
CAMPAIGN_TOKEN = "__ALMANAC_CAMPAIGN__"
STATIC_WIDTH = 640
MONTH_PARSE = {"month": "utc:'%Y-%m'"}

# Colours with at least 3:1 contrast on white for marks; text stays dark.
BLUE = "#1f5f9e"
ORANGE = "#b35806"
GREEN = "#2d7d46"
CENSORED_FILL = "#ececec"
SUPPRESSED_FILL = "#8c8c8c"


class ChartError(Exception):
    """A chart cannot be built: it names a column its dataset lacks, or a dataset is wrong."""


@dataclass(frozen=True)
class ChartDef:
    """One chart: the dataset it draws, what it shows in words, and how to build it.

    `build(data, options)` returns an Altair chart for `data` (an `alt.Data` by URL); `options`
    holds settings such as the retention window shown. `table` lists the columns of its
    data-table alternative. `per_campaign` charts get a filter on the `campaign` column.
    """

    id: str
    dataset: str
    title: str
    description: str
    table: tuple[str, ...]
    build: Callable[[alt.Data, dict], alt.TopLevelMixin]
    per_campaign: bool = False
    svg_fallback: bool = False
    parse: dict = field(default_factory=dict)


@dataclass
class CompiledChart:
    """A chart's spec, built once; `spec_json` places it on a page at any depth."""

    definition: ChartDef
    dataset: Dataset
    spec: dict
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

    def spec_json(self, prefix: str, campaign: str | None = None) -> str:
        """The spec as JSON text safe inside <script type="application/json">, URL made relative by `prefix`."""
        text = self._template.replace(f'"{URL_TOKEN}"', script_json(prefix + self.url))
        if self.definition.per_campaign:
            if campaign is None:
                raise ChartError(f"chart {self.id!r} is drawn per campaign: give the campaign slug")
            text = text.replace(f'"{CAMPAIGN_TOKEN}"', script_json(campaign))
        return text

    def page_spec(self, prefix: str, campaign: str | None = None) -> dict:
        """The spec as a dict, as a page holds it (for tests)."""
        return json.loads(self.spec_json(prefix, campaign))

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

        names = _fields(self.spec) | set(self.definition.table)
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


# --- column checks -----------------------------------------------------------------------


def _fields(spec) -> set[str]:
    """Every column name a spec reads: `field` references, fold and groupby lists."""
    found: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "field" and isinstance(value, str) and value:
                    found.add(value)
                elif key in ("fold", "groupby") and isinstance(value, list):
                    found.update(v for v in value if isinstance(v, str))
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(spec)
    return found


def _derived(spec) -> set[str]:
    """Names that transforms create (`as`), which are not dataset columns."""
    made: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "as":
                    if isinstance(value, str):
                        made.add(value)
                    elif isinstance(value, list):
                        made.update(v for v in value if isinstance(v, str))
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(spec.get("transform", []))
    for key in ("layer", "vconcat", "hconcat", "concat"):
        for part in spec.get(key, []):
            made |= _derived(part)
    return made


def check_columns(definition: ChartDef, dataset: Dataset, spec: dict) -> None:
    """Raise ChartError when the chart (its encodings, transforms or table) names a missing column."""
    have = set(dataset.column_names)
    wanted = (_fields(spec) - _derived(spec)) | set(definition.table) | set(definition.parse)
    if definition.per_campaign:
        wanted.add("campaign")
    missing = sorted(wanted - have)
    if missing:
        raise ChartError(
            f"chart {definition.id!r} uses column(s) {', '.join(missing)} that dataset "
            f"{dataset.name!r} does not have (it has: {', '.join(dataset.column_names) or 'none'})"
        )


# --- building ------------------------------------------------------------------------------


def compile_chart(definition: ChartDef, dataset: Dataset, options: dict | None = None) -> CompiledChart:
    """Build `definition` once against `dataset`, with placeholders for the URL and the campaign."""
    if dataset.name != definition.dataset:
        raise ChartError(f"chart {definition.id!r} draws {definition.dataset!r}, not {dataset.name!r}")
    fmt = {"type": "json"}
    if definition.parse:
        fmt["parse"] = dict(definition.parse)
    data = alt.Data(url=URL_TOKEN, format=fmt)
    try:
        chart = definition.build(data, options or {})
        if definition.per_campaign:
            chart = chart.transform_filter(alt.FieldEqualPredicate(field="campaign", equal=CAMPAIGN_TOKEN))
        chart = chart.properties(description=definition.description)
        spec = chart.to_dict()
    except Exception as error:  # Altair's schema errors are long; keep the chart's name in front
        raise ChartError(f"chart {definition.id!r} could not be built: {error}") from error
    if definition.per_campaign:
        # The campaign filter must run first, before any layer's own transforms.
        transforms = spec.get("transform", [])
        campaign_filter = [t for t in transforms if _is_campaign_filter(t)]
        spec["transform"] = campaign_filter + [t for t in transforms if not _is_campaign_filter(t)]
    spec.pop("config", None)
    spec["config"] = SITE_CONFIG
    check_columns(definition, dataset, spec)
    return CompiledChart(definition, dataset, spec)


def _is_campaign_filter(transform: dict) -> bool:
    predicate = transform.get("filter")
    return isinstance(predicate, dict) and predicate.get("equal") == CAMPAIGN_TOKEN


def compile_charts(
    datasets: dict[str, Dataset], options: dict | None = None, definitions: Iterable[ChartDef] | None = None
) -> dict[str, CompiledChart]:
    """Compile every chart whose dataset is present; charts of absent datasets are left out."""
    compiled = {}
    for definition in definitions if definitions is not None else CHARTS:
        dataset = datasets.get(definition.dataset)
        if dataset is not None:
            compiled[definition.id] = compile_chart(definition, dataset, options)
    return compiled


SITE_CONFIG = {
    "font": "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif",
    "view": {"stroke": None, "continuousHeight": 240},
    "axis": {"labelColor": "#333", "titleColor": "#222", "gridColor": "#e4e4e4", "labelFontSize": 11},
    "legend": {"labelColor": "#333", "titleColor": "#222", "labelFontSize": 11},
    "autosize": {"type": "fit-x", "contains": "padding"},
}


# --- the charts ------------------------------------------------------------------------------


def _month_axis(short: bool) -> alt.Axis:
    """Years on long series; months on short ones (a campaign's few months), thinned when they overlap."""
    if short:
        return alt.Axis(format="%b %Y", tickCount={"interval": "month", "step": 1}, labelOverlap=True)
    return alt.Axis(format="%Y", tickCount="year")


def _month_x(short: bool = False):
    return alt.X("month:T", title=None, scale=alt.Scale(type="utc"), axis=_month_axis(short))


def _month_tooltip(*columns: tuple[str, str]):
    return [_month_tip()] + [alt.Tooltip(f"{name}:Q", title=title, format=",") for name, title in columns]


def _month_tip():
    return alt.Tooltip("month:T", title="Month", timeUnit="utcyearmonth", format="%B %Y")


def _line(columns: list[tuple[str, str]], colours: list[str], y_title: str, height: int = 240, short=False):
    """A line per column over months: several columns are folded into one legend."""

    def build(data, options):
        if len(columns) == 1:
            name, title = columns[0]
            return (
                alt.Chart(data)
                .mark_line(color=colours[0], strokeWidth=2, point=short)
                .encode(x=_month_x(short), y=alt.Y(f"{name}:Q", title=y_title), tooltip=_month_tooltip(*columns))
                .properties(width="container", height=height)
            )
        names = [name for name, _ in columns]
        labels = {name: title for name, title in columns}
        label_expr = " : ".join(f"datum.series == {json.dumps(n)} ? {json.dumps(labels[n])}" for n in names)
        return (
            alt.Chart(data)
            .transform_fold(names, as_=["series", "value"])
            .transform_calculate(label=f"{label_expr} : datum.series")
            .mark_line(strokeWidth=2)
            .encode(
                x=_month_x(),
                y=alt.Y("value:Q", title=y_title),
                color=alt.Color(
                    "label:N",
                    title=None,
                    scale=alt.Scale(domain=[labels[n] for n in names], range=colours),
                    legend=alt.Legend(orient="top"),
                ),
                tooltip=[_month_tip(), alt.Tooltip("label:N", title="Series"), alt.Tooltip("value:Q", format=",")],
            )
            .properties(width="container", height=height)
        )

    return build


def _bars_by_month(name: str, title: str, colour: str, height: int = 200, short=False):
    def build(data, options):
        return (
            alt.Chart(data)
            .mark_bar(color=colour)
            .encode(
                x=alt.X("month:T", title=None, timeUnit="utcyearmonth", axis=_month_axis(short)),
                y=alt.Y(f"{name}:Q", title=title),
                tooltip=[_month_tip(), alt.Tooltip(f"{name}:Q", title=title, format=",")],
            )
            .properties(width="container", height=height)
        )

    return build


def _bars_by_year(name: str, title: str, colour: str):
    def build(data, options):
        return (
            alt.Chart(data)
            .mark_bar(color=colour)
            .encode(
                x=alt.X("year:O", title=None),
                y=alt.Y(f"{name}:Q", title=title),
                tooltip=[alt.Tooltip("year:O", title="Year"), alt.Tooltip(f"{name}:Q", title=title, format=",")],
            )
            .properties(width="container", height=220)
        )

    return build


# Heights of charts with a discrete y axis are fixed in pixels from the data (options), not given as
# a step: with width "container", a step height makes Vega-Lite warn 'Dropping "fit-y"'.


def _heatmap(data, options):
    """Program retention: cohort × months_since, colour = retention; censored and suppressed cells apart."""
    base = alt.Chart(data).encode(
        x=alt.X("months_since:O", title="Months since the cohort month", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("cohort:O", title="Cohort (first active month)", sort="ascending"),
    )
    tooltip = [
        alt.Tooltip("cohort:O", title="Cohort"),
        alt.Tooltip("months_since:O", title="Months since"),
        alt.Tooltip("cohort_size:Q", title="Cohort size", format=","),
        alt.Tooltip("active:Q", title="Active", format=","),
    ]
    measured = (
        base.transform_filter(alt.FieldValidPredicate(field="retention", valid=True))
        .mark_rect()
        .encode(
            color=alt.Color(
                "retention:Q",
                title="Retention",
                scale=alt.Scale(scheme="viridis", domain=[0, 1]),
                legend=alt.Legend(format=".0%", orient="top", gradientLength=160),
            ),
            tooltip=[*tooltip, alt.Tooltip("retention:Q", title="Retention", format=".1%")],
        )
    )
    unmeasured = (
        base.transform_filter(alt.FieldValidPredicate(field="retention", valid=False))
        .transform_calculate(state="datum.suppressed ? 'too few to publish' : 'not yet measurable'")
        .mark_rect(stroke="#bbbbbb", strokeWidth=0.5)
        .encode(
            color=alt.Color(
                "state:N",
                title=None,
                scale=alt.Scale(
                    domain=["not yet measurable", "too few to publish"], range=[CENSORED_FILL, SUPPRESSED_FILL]
                ),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("cohort:O", title="Cohort"),
                alt.Tooltip("months_since:O", title="Months since"),
                alt.Tooltip("state:N", title="Retention"),
            ],
        )
    )
    return (
        alt.layer(measured, unmeasured)
        .resolve_scale(color="independent")
        .properties(width="container", height=16 * max(1, options.get("cohorts", 12)))
    )


def _retention_strip(data, options):
    """Campaign retention: each campaign's retention at each window k, one tick per campaign."""
    return (
        alt.Chart(data)
        .transform_filter(alt.FieldValidPredicate(field="retention", valid=True))
        .mark_tick(color=BLUE, opacity=0.5, thickness=2)
        .encode(
            x=alt.X(
                "retention:Q",
                title="Share of new editors who edited in the window",
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            y=alt.Y("months_after:O", title="k (months)"),
            tooltip=[
                alt.Tooltip("campaign:N", title="Campaign"),
                alt.Tooltip("months_after:O", title="k"),
                alt.Tooltip("new_editors:Q", title="New editors", format=","),
                alt.Tooltip("retained:Q", title="Retained", format=","),
                alt.Tooltip("retention:Q", title="Retention", format=".1%"),
            ],
        )
        .properties(width="container", height=40 * max(1, options.get("windows", 3)))
    )


def _retention_histogram(data, options):
    k = options.get("histogram_k", 3)
    return (
        alt.Chart(data)
        .transform_filter(alt.FieldEqualPredicate(field="months_after", equal=k))
        .transform_filter(alt.FieldValidPredicate(field="retention", valid=True))
        .mark_bar(color=BLUE)
        .encode(
            x=alt.X(
                "retention:Q",
                bin=alt.Bin(extent=[0, 1], step=0.1),
                title=f"Retention at {k} month{'s' if k != 1 else ''}",
                axis=alt.Axis(format="%"),
            ),
            y=alt.Y("count():Q", title="Campaigns"),
            tooltip=[alt.Tooltip("count():Q", title="Campaigns")],
        )
        .properties(width="container", height=200)
    )


def _campaign_retention_bars(data, options):
    """One campaign's retention at each k; windows without a value carry their reason as text."""
    base = alt.Chart(data).encode(x=alt.X("months_after:O", title="Months after the campaign end", axis=None))
    bars = (
        base.transform_filter(alt.FieldValidPredicate(field="retention", valid=True))
        .mark_bar(color=GREEN)
        .encode(
            x=alt.X("months_after:O", title="Months after the campaign end", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("retention:Q", title="Retention", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            tooltip=[
                alt.Tooltip("months_after:O", title="k"),
                alt.Tooltip("new_editors:Q", title="New editors", format=","),
                alt.Tooltip("retained:Q", title="Retained", format=","),
                alt.Tooltip("retention:Q", title="Retention", format=".1%"),
            ],
        )
    )
    notes = (
        base.transform_filter(alt.FieldValidPredicate(field="retention", valid=False))
        .transform_calculate(state="datum.suppressed ? 'too few to publish' : 'not yet measurable'")
        .mark_text(angle=270, align="left", dx=-4, color="#444", fontSize=11)
        .encode(
            x=alt.X("months_after:O", title="Months after the campaign end", axis=alt.Axis(labelAngle=0)),
            y=alt.datum(0),
            text="state:N",
        )
    )
    return alt.layer(bars, notes).properties(width="container", height=200)


def _top_wikis(data, options):
    return (
        alt.Chart(data)
        .transform_window(rank="row_number()", sort=[alt.SortField("participants", order="descending")])
        .transform_filter(alt.datum.rank <= 20)
        .mark_bar(color=BLUE)
        .encode(
            y=alt.Y("wiki:N", title=None, sort="-x"),
            x=alt.X("participants:Q", title="Participants"),
            tooltip=[
                alt.Tooltip("wiki:N", title="Wiki"),
                alt.Tooltip("participants:Q", title="Participants", format=","),
                alt.Tooltip("programs:Q", title="Programs", format=","),
                alt.Tooltip("edits:Q", title="Edits", format=","),
            ],
        )
        .properties(width="container", height=18 * max(1, min(20, options.get("wikis", 20))))
    )


MONTHLY = ("month",)
CHARTS: tuple[ChartDef, ...] = (
    ChartDef(
        "home-participants",
        "monthly_activity",
        "Participants per month",
        "Line chart: people who edited in a program each month (active participants) and people who joined "
        "a program for the first time that month (new participants).",
        MONTHLY + ("active_participants", "new_participants"),
        _line(
            [("active_participants", "Active participants"), ("new_participants", "New participants")],
            [BLUE, ORANGE],
            "People",
        ),
        svg_fallback=True,
        parse=MONTH_PARSE,
    ),
    ChartDef(
        "home-edits",
        "monthly_activity",
        "Edits per month",
        "Bar chart: edits made by participants in programs, per month.",
        MONTHLY + ("edits",),
        _bars_by_month("edits", "Edits", BLUE),
        svg_fallback=True,
        parse=MONTH_PARSE,
    ),
    ChartDef(
        "activity-participants",
        "monthly_activity",
        "Participants",
        "Line chart: active participants, new participants and new editors (accounts registered during "
        "their program) per month.",
        MONTHLY + ("active_participants", "new_participants", "new_editors"),
        _line(
            [
                ("active_participants", "Active participants"),
                ("new_participants", "New participants"),
                ("new_editors", "New editors"),
            ],
            [BLUE, ORANGE, GREEN],
            "People",
        ),
        svg_fallback=True,
        parse=MONTH_PARSE,
    ),
    ChartDef(
        "activity-edits",
        "monthly_activity",
        "Edits",
        "Bar chart: edits made by participants in programs, per month.",
        MONTHLY + ("edits",),
        _bars_by_month("edits", "Edits", BLUE),
        svg_fallback=True,
        parse=MONTH_PARSE,
    ),
    ChartDef(
        "activity-characters",
        "monthly_activity",
        "Characters added",
        "Bar chart: characters added to articles by participants, per month.",
        MONTHLY + ("characters_added",),
        _bars_by_month("characters_added", "Characters added", GREEN),
        svg_fallback=True,
        parse=MONTH_PARSE,
    ),
    ChartDef(
        "activity-programs",
        "monthly_activity",
        "Programs",
        "Line chart: programs that started each month, and programs running during the month.",
        MONTHLY + ("programs_started", "active_programs"),
        _line(
            [("programs_started", "Programs started"), ("active_programs", "Active programs")],
            [ORANGE, BLUE],
            "Programs",
        ),
        svg_fallback=True,
        parse=MONTH_PARSE,
    ),
    ChartDef(
        "retention-heatmap",
        "program_retention",
        "Program retention by cohort",
        "Heatmap: each row is a cohort of participants by their first active month; each column a number of "
        "months later; the colour is the share of the cohort active in that month. Light grey cells are not "
        "yet measurable; dark grey rows had too few people to publish.",
        ("cohort", "months_since", "cohort_size", "active", "retention", "suppressed"),
        _heatmap,
        svg_fallback=True,
    ),
    ChartDef(
        "campaign-retention-strip",
        "campaign_retention",
        "Retention of new editors, by window",
        "Strip plot: for each window k months after a campaign's end, one tick per campaign at the share of "
        "its new editors who edited in that window. Campaigns not yet measurable or with too few new "
        "editors are left out of the plot but listed in the table.",
        ("campaign", "campaign_end", "months_after", "new_editors", "retained", "retention", "suppressed"),
        _retention_strip,
        svg_fallback=True,
    ),
    ChartDef(
        "campaign-retention-histogram",
        "campaign_retention",
        "Distribution of retention",
        "Histogram: number of campaigns by the share of their new editors retained, in steps of 10 percentage points.",
        ("campaign", "months_after", "new_editors", "retained", "retention", "suppressed"),
        _retention_histogram,
        svg_fallback=True,
    ),
    ChartDef(
        "wikis-top",
        "wikis",
        "Top 20 home wikis by participants",
        "Bar chart: the 20 home wikis with the most participants.",
        ("wiki", "participants", "programs", "edits"),
        _top_wikis,
        svg_fallback=True,
    ),
    ChartDef(
        "usage-events",
        "yearly_usage",
        "Programs created per year",
        "Bar chart: programs (events) created each year.",
        ("year", "events"),
        _bars_by_year("events", "Programs", BLUE),
        svg_fallback=True,
    ),
    ChartDef(
        "usage-participants",
        "yearly_usage",
        "Participants per year",
        "Bar chart: participants of the programs created each year, each person counted once per year.",
        ("year", "participants", "leaders"),
        _bars_by_year("participants", "Participants", GREEN),
        svg_fallback=True,
    ),
    ChartDef(
        "campaign-participants",
        "campaign_activity",
        "Active participants per month",
        # Bars, not a line: campaign_activity has no row for a month without activity, and a line would
        # draw a slope across such gaps.
        "Bar chart: participants of this campaign who edited, per month; months without a bar had no activity.",
        MONTHLY + ("active_participants",),
        _bars_by_month("active_participants", "People", BLUE, short=True),
        per_campaign=True,
        parse=MONTH_PARSE,
    ),
    ChartDef(
        "campaign-edits",
        "campaign_activity",
        "Edits per month",
        "Bar chart: edits by participants of this campaign, per month.",
        MONTHLY + ("edits", "characters_added"),
        _bars_by_month("edits", "Edits", ORANGE, short=True),
        per_campaign=True,
        parse=MONTH_PARSE,
    ),
    ChartDef(
        "campaign-retention",
        "campaign_retention",
        "Retention of new editors",
        "Bar chart: share of this campaign's new editors who edited in each window k months after its end.",
        ("months_after", "new_editors", "retained", "retention", "suppressed"),
        _campaign_retention_bars,
        per_campaign=True,
    ),
)

CHARTS_BY_ID = {chart.id: chart for chart in CHARTS}


@functools.lru_cache(maxsize=1)
def vega_bundle() -> str:
    """The Vega, Vega-Lite and vega-embed JavaScript, one self-contained file (no CDN)."""
    import vl_convert

    return vl_convert.javascript_bundle()
