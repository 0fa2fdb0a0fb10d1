"""Chart helpers: the public building blocks a chart declaration calls (bars, lines, heatmap, strip).

Each takes the data (by URL), the dataset's `Shape` (its rows, to size discrete axes, and the
completeness column when there is one) and keyword arguments only, and returns an Altair chart.
Column names come from the arguments; nothing here knows a dataset. Tooltips are lists of
{ field, title, type ("Q", "N", "O", "T"), format }.

Readable at 375 px: counts on axes are abbreviated (4M, 12k), year ticks are thinned, labels that
would overlap are dropped. Line charts show the nearest month's values with a rule; every mark has a
tooltip. Colours are named by measure (COLOURS), so a measure has one colour on every page.

Per-page values (a campaign's period, the medians of all campaigns) are Vega-Lite params with a
neutral default; a page sets them (see components.chart(params=) and chart_params.check_params).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import altair as alt

from build import chart_params

# Colours with at least 3:1 contrast on white (and on the dark theme's background) for marks. A site
# names its own, by measure, in templates/formats.toml [colours] (charts.apply_palette swaps them in),
# so a measure is drawn in one colour on every page.
COLOURS = {
    "blue": "#1f5f9e",
    "orange": "#b35806",
    "green": "#2d7d46",
    "grey": "#8c8c8c",
    "light": "#ececec",
}
# Axis labels of counts: 900, 1.5k, 12k, 4M, 2B (the tooltip has the exact value). A label
# expression, not an axis format: Vega would widen "~s" to the ticks' precision ("0.6k").
COUNT_LABELS = "abs(datum.value) >= 1000 ? replace(format(datum.value, '.2~s'), 'G', 'B') : format(datum.value, ',~r')"


@dataclass(frozen=True)
class Shape:
    """What a helper may know of the data at build time: its rows and its completeness column."""

    rows: list[dict]
    complete: str = ""

    def distinct(self, column: str) -> int:
        return len({row.get(column) for row in self.rows})


def colour(name: str) -> str:
    return COLOURS.get(name, name)


def tooltips(items: list[dict] | None) -> list[alt.Tooltip]:
    result = []
    for item in items or []:
        options = {k: v for k, v in item.items() if k in ("title", "format", "timeUnit")}
        result.append(alt.Tooltip(f"{item['field']}:{item.get('type', 'Q')}", **options))
    return result


def _time_axis(short: bool) -> alt.Axis:
    """Years on long series; months on short ones (an entity's few months); labels that would overlap
    are thinned (greedy), never drawn over each other."""
    if short:
        return alt.Axis(
            format="%b %Y", tickCount={"interval": "month", "step": 1}, labelOverlap="greedy", labelSeparation=8
        )
    return alt.Axis(format="%Y", tickCount={"interval": "year", "step": 1}, labelOverlap="greedy", labelSeparation=8)


def _count_axis(y_format=None) -> alt.Axis:
    """A quantitative axis: abbreviated counts unless the chart gives a format (e.g. "%")."""
    if y_format:
        return alt.Axis(format=y_format, labelOverlap="greedy", tickCount=5)
    return alt.Axis(labelExpr=COUNT_LABELS, labelOverlap="greedy", tickCount=5)


def _incomplete(shape: Shape) -> str:
    """A Vega expression true for rows marked incomplete (false when the dataset has no such column)."""
    return f"datum[{json.dumps(shape.complete)}] === false" if shape.complete else "false"


def _x(x: str, x_type: str, title, short: bool, bin_step=None, bin_extent=None, x_format=None):
    if x_type == "T":
        return alt.X(f"{x}:T", title=title, timeUnit="utcyearmonth", axis=_time_axis(short))
    if bin_step:
        return alt.X(
            f"{x}:Q",
            bin=alt.Bin(extent=bin_extent or [0, 1], step=bin_step),
            title=title,
            axis=alt.Axis(format=x_format, labelOverlap="greedy") if x_format else alt.Undefined,
        )
    return alt.X(f"{x}:{x_type}", title=title, axis=alt.Axis(labelAngle=0, labelOverlap="greedy", labelSeparation=6))


def bars(
    data,
    shape: Shape,
    *,
    x: str,
    y: str = "",
    x_type: str = "O",
    colour_name: str = "blue",
    x_title=None,
    y_title=None,
    y_format=None,
    height: int = 200,
    short: bool = False,
    bin_step=None,
    bin_extent=None,
    x_format=None,
    where: dict | None = None,
    only_valid: str = "",
    tooltip: list | None = None,
    notes: dict | None = None,
    period: str = "",
    reference: dict | None = None,
):
    """Vertical bars of `y` by `x` (x_type "T" for months, "O" for years or windows); with `bin_step`, a
    histogram of `x` (count of rows). `where` keeps rows equal to the given values; `only_valid`
    drops rows where that column is empty; `notes` = {flag, flagged, unflagged} writes, for rows whose
    `y` is empty, the reason as text on the axis. Incomplete rows (Shape.complete) are drawn lighter.
    `period` = a label: a band shaded between params period_start and period_end (a page sets them).
    `reference` = {label, title}: a tick per bar at param `reference`[x] (an object a page sets, e.g.
    the median of all campaigns per window), drawn when the page gives it."""
    base = alt.Chart(data)
    for column, value in (where or {}).items():
        base = base.transform_filter(alt.FieldEqualPredicate(field=column, equal=value))
    measured = base.transform_filter(alt.FieldValidPredicate(field=only_valid or y or x, valid=True))
    chart = measured.mark_bar(color=colour(colour_name)).encode(
        x=_x(x, x_type, x_title, short, bin_step, bin_extent, x_format),
        y=_bar_y(y, y_title, y_format, bool(bin_step)),
        tooltip=tooltips(tooltip) or [alt.Tooltip("count():Q", title=y_title)],
    )
    if shape.complete:
        chart = chart.encode(opacity=alt.condition(_incomplete(shape), alt.value(0.35), alt.value(1)))
    if notes:
        chart = alt.layer(chart, _notes_layer(base, _x(x, x_type, x_title, short), y, notes))
    if reference:
        ref_tooltip = tooltips(tooltip)[:1]
        chart = alt.layer(
            chart, chart_params.reference_layer(base, _x(x, x_type, x_title, short), reference, ref_tooltip)
        )
        chart = chart.add_params(alt.param(name="reference", value={}))
    if period:
        band, params = chart_params.period_layer(data, period)
        chart = alt.layer(band, chart).add_params(*params)
    return chart.properties(width="container", height=height)


def _bar_y(y: str, y_title, y_format, histogram: bool) -> alt.Y:
    if histogram:
        return alt.Y("count():Q", title=y_title)
    scale = alt.Scale(domain=[0, 1]) if y_format == "%" else alt.Undefined
    return alt.Y(f"{y}:Q", title=y_title, axis=_count_axis(y_format), scale=scale)


def _notes_layer(base, x_encoding, y: str, notes: dict):
    """For rows whose `y` is empty: the reason (the flag's words) written upright on the axis."""
    flag = json.dumps(notes["flag"])
    return (
        base.transform_filter(alt.FieldValidPredicate(field=y, valid=False))
        .transform_calculate(state=f"datum[{flag}] ? {json.dumps(notes['flagged'])} : {json.dumps(notes['unflagged'])}")
        .mark_text(angle=270, align="left", dx=-4, color="#444", fontSize=11)
        .encode(x=x_encoding, y=alt.datum(0), text="state:N")
    )


def top_bars(
    data,
    shape: Shape,
    *,
    category: str,
    value: str,
    top: int = 20,
    colour_name: str = "blue",
    value_title=None,
    row_height: int = 18,
    tooltip: list | None = None,
):
    """Horizontal bars: the `top` categories by `value`, largest first."""
    return (
        alt.Chart(data)
        .transform_window(rank="row_number()", sort=[alt.SortField(value, order="descending")])
        .transform_filter(alt.datum.rank <= top)
        .mark_bar(color=colour(colour_name))
        .encode(
            y=alt.Y(f"{category}:N", title=None, sort="-x", axis=alt.Axis(labelLimit=110)),
            x=alt.X(f"{value}:Q", title=value_title, axis=_count_axis()),
            tooltip=tooltips(tooltip),
        )
        .properties(width="container", height=row_height * max(1, min(top, shape.distinct(category))))
    )


def lines(data, shape: Shape, *, x: str, series: list[dict], y_title=None, height: int = 240, short: bool = False):
    """A line per series ({column, label, colour}) over months, folded into one legend. Pointing near a
    month shows a rule there, its points and a tooltip with every series' value. Incomplete months
    (Shape.complete) are drawn dashed: the solid line stops at the last complete month."""
    names = [s["column"] for s in series]
    labels = [s.get("label", s["column"]) for s in series]
    label_expr = " : ".join(
        f"datum.series == {json.dumps(n)} ? {json.dumps(t)}" for n, t in zip(names, labels, strict=True)
    )
    x_encoding = alt.X(f"{x}:T", title=None, scale=alt.Scale(type="utc"), axis=_time_axis(short))
    base = (
        alt.Chart(data)
        .transform_fold(names, as_=["series", "value"])
        .transform_calculate(label=f"{label_expr} : datum.series")
        .encode(
            x=x_encoding,
            y=alt.Y("value:Q", title=y_title, axis=_count_axis()),
            color=alt.Color(
                "label:N",
                title=None,
                legend=alt.Legend(orient="top", direction="horizontal", columns=2, labelLimit=180),
                scale=alt.Scale(domain=labels, range=[colour(s.get("colour", "blue")) for s in series]),
            ),
        )
    )
    nearest = alt.selection_point(
        name="nearest", nearest=True, on="pointerover", clear="pointerout", fields=[x], empty=False
    )
    rule = (
        alt.Chart(data)
        .mark_rule(color="#6b6b6b", strokeWidth=1)
        .encode(
            x=x_encoding,
            opacity=alt.condition(nearest, alt.value(0.8), alt.value(0)),
            tooltip=[
                alt.Tooltip(f"{x}:T", title="Month", timeUnit="utcyearmonth", format="%B %Y"),
                *[alt.Tooltip(f"{n}:Q", title=t, format=",") for n, t in zip(names, labels, strict=True)],
            ],
        )
        .add_params(nearest)
    )
    points = base.mark_point(filled=True, size=45).encode(opacity=alt.condition(nearest, alt.value(1), alt.value(0)))
    solid = base.mark_line(strokeWidth=2, point=short)
    layers = [solid]
    if shape.complete:
        dashed = base.mark_line(strokeWidth=2, strokeDash=[4, 3], opacity=0.6)
        layers = [dashed, solid.transform_filter(f"!({_incomplete(shape)})")]
    return alt.layer(*layers, points, rule).properties(width="container", height=height)


def quantiles(
    data,
    shape: Shape,
    *,
    x: str,
    value: str,
    x_title=None,
    y_title=None,
    colour_name: str = "blue",
    height: int = 240,
    where_valid: str = "",
):
    """The median of `value` per `x` as a line, with the band between the first and third quartiles
    (over the rows of each x; rows with an empty value left out). Pointing shows all three."""
    summary = (
        alt.Chart(data)
        .transform_filter(alt.FieldValidPredicate(field=where_valid or value, valid=True))
        .transform_aggregate(
            q1=f"q1({value})", median=f"median({value})", q3=f"q3({value})", rows="count()", groupby=[x]
        )
    )
    x_encoding = alt.X(f"{x}:Q", title=x_title, axis=alt.Axis(tickMinStep=1, labelOverlap="greedy"))
    y_axis = alt.Axis(format="%", tickCount=5)
    band = summary.mark_area(color=colour(colour_name), opacity=0.2).encode(
        x=x_encoding, y=alt.Y("q1:Q", title=y_title, axis=y_axis, scale=alt.Scale(domain=[0, 1])), y2="q3:Q"
    )
    line = summary.mark_line(color=colour(colour_name), strokeWidth=2, point=True).encode(x=x_encoding, y="median:Q")
    nearest = alt.selection_point(
        name="nearest", nearest=True, on="pointerover", clear="pointerout", fields=[x], empty=False
    )
    rule = (
        summary.mark_rule(color="#6b6b6b")
        .encode(
            x=x_encoding,
            opacity=alt.condition(nearest, alt.value(0.8), alt.value(0)),
            tooltip=[
                alt.Tooltip(f"{x}:Q", title=x_title or x),
                alt.Tooltip("median:Q", title="Median", format=".1%"),
                alt.Tooltip("q1:Q", title="First quartile", format=".1%"),
                alt.Tooltip("q3:Q", title="Third quartile", format=".1%"),
                alt.Tooltip("rows:Q", title="Cohorts measured", format=","),
            ],
        )
        .add_params(nearest)
    )
    return alt.layer(band, line, rule).properties(width="container", height=height)


def heatmap(
    data,
    shape: Shape,
    *,
    x: str,
    y: str,
    value: str,
    x_title=None,
    y_title=None,
    value_title=None,
    value_format: str = ".0%",
    scheme: str = "viridis",
    row_height: int = 16,
    tooltip: list | None = None,
    notes: dict | None = None,
    x_from=None,
    by_year: bool = False,
):
    """Cells of `value` by `x` and `y` (rows sized from the data); `notes` = {flag, flagged, unflagged}:
    empty cells in two greys, the reason as their legend. `x_from` leaves out columns before it (a
    cohort's month 0 is 100% and would take the colour scale's top), which runs to the largest shown.
    `by_year` (y holds months YYYY-MM) groups the rows by year: a line above each January, and the
    year as the only row label (each row's month is in its tooltip)."""
    top = _colour_top(shape, x, value, x_from)
    base = alt.Chart(data)
    y_axis = (
        alt.Axis(
            labelExpr="substring(datum.value, 5, 7) == '01' ? substring(datum.value, 0, 4) : ''", labelOverlap=False
        )
        if by_year
        else alt.Axis(labelOverlap="greedy")
    )
    base = (base.transform_filter(alt.FieldGTEPredicate(field=x, gte=x_from)) if x_from is not None else base).encode(
        x=alt.X(f"{x}:O", title=x_title, axis=alt.Axis(labelAngle=0, orient="top", labelOverlap="greedy")),
        y=alt.Y(f"{y}:O", title=y_title, sort="ascending", axis=y_axis),
    )
    measured = (
        base.transform_filter(alt.FieldValidPredicate(field=value, valid=True))
        .mark_rect()
        .encode(
            color=alt.Color(
                f"{value}:Q",
                title=value_title,
                scale=alt.Scale(scheme=scheme, domain=[0, top], clamp=True),
                legend=alt.Legend(format=value_format, orient="top", gradientLength=160),
            ),
            tooltip=tooltips(tooltip),
        )
    )
    layers = [measured]
    if notes:
        layers.append(_empty_cells(base, x, y, value, notes, value_title))
    if by_year:  # a line above each January row: the years read as groups
        layers.append(_year_lines(data, y))
    return (
        alt.layer(*layers)
        .resolve_scale(color="independent")
        .properties(width="container", height=row_height * max(1, shape.distinct(y)))
    )


def _empty_cells(base, x: str, y: str, value: str, notes: dict, value_title):
    """The heatmap's empty cells in two greys, their reason (flagged or not) as the legend."""
    flag, words = json.dumps(notes["flag"]), [notes["unflagged"], notes["flagged"]]
    return (
        base.transform_filter(alt.FieldValidPredicate(field=value, valid=False))
        .transform_calculate(state=f"datum[{flag}] ? {json.dumps(words[1])} : {json.dumps(words[0])}")
        .mark_rect(stroke="#bbbbbb", strokeWidth=0.5)
        .encode(
            color=alt.Color(
                "state:N",
                title=None,
                legend=alt.Legend(orient="bottom"),
                scale=alt.Scale(domain=words, range=[COLOURS["light"], COLOURS["grey"]]),
            ),
            tooltip=[alt.Tooltip(f"{y}:O"), alt.Tooltip(f"{x}:O"), alt.Tooltip("state:N", title=value_title)],
        )
    )


def _year_lines(data, y: str):
    """A line above each January row of a heatmap whose rows are months YYYY-MM."""
    january = f"substring(datum[{json.dumps(y)}], 5, 7) == '01'"
    rule = alt.Chart(data).transform_filter(january).mark_rule(color=COLOURS["grey"], strokeWidth=1)
    return rule.encode(y=alt.Y(f"{y}:O", sort="ascending", bandPosition=0))


def _colour_top(shape: Shape, x: str, value: str, x_from) -> float:
    """The top of a heatmap's colour scale: the largest value shown, rounded up to a tenth when a share."""
    shown = [r for r in shape.rows if x_from is None or (r.get(x) is not None and r[x] >= x_from)]
    top = max((r[value] for r in shown if isinstance(r.get(value), int | float)), default=1) or 1
    return min(1, math.ceil(top * 10) / 10) if top <= 1 else top


def strip(
    data,
    shape: Shape,
    *,
    x: str,
    y: str,
    x_title=None,
    y_title=None,
    x_format=None,
    domain=None,
    colour_name: str = "blue",
    row_height: int = 40,
    tooltip: list | None = None,
):
    """One tick per row at `x`, in a row per value of `y` (rows with an empty `x` left out)."""
    return (
        alt.Chart(data)
        .transform_filter(alt.FieldValidPredicate(field=x, valid=True))
        .mark_tick(color=colour(colour_name), opacity=0.5, thickness=2)
        .encode(
            x=alt.X(
                f"{x}:Q",
                title=x_title,
                axis=alt.Axis(format=x_format) if x_format else alt.Undefined,
                scale=alt.Scale(domain=domain) if domain else alt.Undefined,
            ),
            y=alt.Y(f"{y}:O", title=y_title),
            tooltip=tooltips(tooltip),
        )
        .properties(width="container", height=row_height * max(1, shape.distinct(y)))
    )


HELPERS = {
    "bars": bars,
    "top_bars": top_bars,
    "lines": lines,
    "quantiles": quantiles,
    "heatmap": heatmap,
    "strip": strip,
}
