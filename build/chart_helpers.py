"""Chart helpers: the public building blocks a chart declaration calls (bars, lines, heatmap, strip).

Each takes the data (by URL), the dataset's `Shape` (its rows, to size discrete axes, and the
completeness column when there is one) and keyword arguments only, and returns an Altair chart.
Column names come from the arguments; nothing here knows a dataset. Tooltips are lists of
{ field, title, type ("Q", "N", "O", "T"), format }.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import altair as alt

# Colours with at least 3:1 contrast on white for marks; text stays dark.
COLOURS = {"blue": "#1f5f9e", "orange": "#b35806", "green": "#2d7d46", "grey": "#8c8c8c", "light": "#ececec"}


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
    """Years on long series; months on short ones (an entity's few months), thinned when they overlap."""
    if short:
        return alt.Axis(format="%b %Y", tickCount={"interval": "month", "step": 1}, labelOverlap=True)
    return alt.Axis(format="%Y", tickCount="year")


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
            axis=alt.Axis(format=x_format) if x_format else alt.Undefined,
        )
    return alt.X(f"{x}:{x_type}", title=title, axis=alt.Axis(labelAngle=0))


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
):
    """Vertical bars of `y` by `x` (x_type "T" for months, "O" for years or windows); with `bin_step`, a
    histogram of `x` (count of rows). `where` keeps rows equal to the given values; `only_valid`
    drops rows where that column is empty; `notes` = {flag, flagged, unflagged} writes, for rows whose
    `y` is empty, the reason as text on the axis. Incomplete rows (Shape.complete) are drawn lighter."""
    base = alt.Chart(data)
    for column, value in (where or {}).items():
        base = base.transform_filter(alt.FieldEqualPredicate(field=column, equal=value))
    measured = base.transform_filter(alt.FieldValidPredicate(field=only_valid or y or x, valid=True))
    y_encoding = (
        alt.Y("count():Q", title=y_title)
        if bin_step
        else alt.Y(
            f"{y}:Q",
            title=y_title,
            axis=alt.Axis(format=y_format) if y_format else alt.Undefined,
            scale=alt.Scale(domain=[0, 1]) if y_format == "%" else alt.Undefined,
        )
    )
    chart = measured.mark_bar(color=colour(colour_name)).encode(
        x=_x(x, x_type, x_title, short, bin_step, bin_extent, x_format),
        y=y_encoding,
        tooltip=tooltips(tooltip) or [alt.Tooltip("count():Q", title=y_title)],
    )
    if shape.complete:
        chart = chart.encode(opacity=alt.condition(_incomplete(shape), alt.value(0.35), alt.value(1)))
    if notes:
        flag = json.dumps(notes["flag"])
        text = (
            base.transform_filter(alt.FieldValidPredicate(field=y, valid=False))
            .transform_calculate(
                state=f"datum[{flag}] ? {json.dumps(notes['flagged'])} : {json.dumps(notes['unflagged'])}"
            )
            .mark_text(angle=270, align="left", dx=-4, color="#444", fontSize=11)
            .encode(x=_x(x, x_type, x_title, short), y=alt.datum(0), text="state:N")
        )
        chart = alt.layer(chart, text)
    return chart.properties(width="container", height=height)


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
            y=alt.Y(f"{category}:N", title=None, sort="-x"),
            x=alt.X(f"{value}:Q", title=value_title),
            tooltip=tooltips(tooltip),
        )
        .properties(width="container", height=row_height * max(1, min(top, shape.distinct(category))))
    )


def lines(data, shape: Shape, *, x: str, series: list[dict], y_title=None, height: int = 240, short: bool = False):
    """A line per series ({column, label, colour}) over months, folded into one legend. Incomplete
    months (Shape.complete) are drawn dashed: the solid line stops at the last complete month."""
    names = [s["column"] for s in series]
    labels = [s.get("label", s["column"]) for s in series]
    label_expr = " : ".join(
        f"datum.series == {json.dumps(n)} ? {json.dumps(t)}" for n, t in zip(names, labels, strict=True)
    )
    base = (
        alt.Chart(data)
        .transform_fold(names, as_=["series", "value"])
        .transform_calculate(label=f"{label_expr} : datum.series")
        .encode(
            x=alt.X(f"{x}:T", title=None, scale=alt.Scale(type="utc"), axis=_time_axis(short)),
            y=alt.Y("value:Q", title=y_title),
            color=alt.Color(
                "label:N",
                title=None,
                legend=alt.Legend(orient="top"),
                scale=alt.Scale(domain=labels, range=[colour(s.get("colour", "blue")) for s in series]),
            ),
            tooltip=[
                alt.Tooltip(f"{x}:T", title="Month", timeUnit="utcyearmonth", format="%B %Y"),
                alt.Tooltip("label:N", title="Series"),
                alt.Tooltip("value:Q", title="Value", format=","),
            ],
        )
    )
    solid = base.mark_line(strokeWidth=2, point=short)
    if not shape.complete:
        return solid.properties(width="container", height=height)
    dashed = base.mark_line(strokeWidth=2, strokeDash=[4, 3], opacity=0.6)
    solid = solid.transform_filter(f"!({_incomplete(shape)})")
    return alt.layer(dashed, solid).properties(width="container", height=height)


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
):
    """Cells of `value` by `x` and `y` (rows sized from the data); with `notes` = {flag, flagged,
    unflagged}, empty cells are drawn apart in two greys with the reason as their legend."""
    base = alt.Chart(data).encode(
        x=alt.X(f"{x}:O", title=x_title, axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{y}:O", title=y_title, sort="ascending"),
    )
    measured = (
        base.transform_filter(alt.FieldValidPredicate(field=value, valid=True))
        .mark_rect()
        .encode(
            color=alt.Color(
                f"{value}:Q",
                title=value_title,
                scale=alt.Scale(scheme=scheme, domain=[0, 1]),
                legend=alt.Legend(format=value_format, orient="top", gradientLength=160),
            ),
            tooltip=tooltips(tooltip),
        )
    )
    layers = [measured]
    if notes:
        flag, words = json.dumps(notes["flag"]), [notes["unflagged"], notes["flagged"]]
        layers.append(
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
    return (
        alt.layer(*layers)
        .resolve_scale(color="independent")
        .properties(width="container", height=row_height * max(1, shape.distinct(y)))
    )


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


HELPERS = {"bars": bars, "top_bars": top_bars, "lines": lines, "heatmap": heatmap, "strip": strip}
