"""Chart params: per-page values of a shared chart spec (a campaign's period, the medians of all campaigns).

A chart is compiled once per run and placed on every entity page with only its data URL changed; a
value that differs per page is a Vega-Lite param with a neutral default, which the page sets with
`chart(id, params={...})`: components.py checks them with `check_params`, assets/charts.js sets the
Vega signals. The layers here draw nothing until a page gives their param a value.
"""

from __future__ import annotations

import json

import altair as alt


def check_params(compiled, params: dict | None) -> dict:
    """`params` for a compiled chart, after checking it declares each of them (a top-level Vega-Lite param;
    precompiled to a Vega signal of the same name, which assets/charts.js sets before drawing).
    A name the spec does not declare is an error: the page asked for something the chart cannot show."""
    if not params:
        return {}
    declared = [p.get("name") for p in compiled.spec.get("params", [])]
    unknown = sorted(set(params) - set(declared))
    if unknown:
        raise ValueError(f"the chart has no param {', '.join(unknown)} (it has: {', '.join(declared) or 'none'})")
    return dict(params)


def period_layer(data, label: str):
    """A shaded band from param period_start to period_end (dates; nothing when they are empty).
    It reads the chart's own data, aggregated to one row, so the spec keeps one data URL."""
    band = (
        alt.Chart(data)
        .transform_aggregate(rows="count()")
        .transform_filter("period_start != null && period_end != null")
        .transform_calculate(start="toDate(period_start)", end="toDate(period_end)", what=json.dumps(label))
        .mark_rect(color="#9aa5b1", opacity=0.18)
        .encode(
            x=alt.X("start:T", title=None),
            x2="end:T",
            tooltip=[
                alt.Tooltip("what:N", title="Shaded"),
                alt.Tooltip("start:T", title="From", format="%e %B %Y"),
                alt.Tooltip("end:T", title="To", format="%e %B %Y"),
            ],
        )
    )
    params = [alt.param(name="period_start", value=None), alt.param(name="period_end", value=None)]
    return band, params


def reference_layer(base, x_encoding, reference: dict, tooltip: list):
    """A dark tick per x at the page's reference value (param `reference`, keyed by x as text)."""
    title = reference.get("title", "Reference")
    return (
        base.transform_calculate(ref=f"reference[''+datum[{json.dumps(x_encoding.shorthand.split(':')[0])}]]")
        .transform_filter("isValid(datum.ref)")
        .transform_calculate(what=json.dumps(reference.get("label", title)))
        .mark_tick(color="#222", thickness=3, bandSize=30)
        .encode(
            x=x_encoding,
            y=alt.Y("ref:Q"),
            tooltip=[
                *tooltip,
                alt.Tooltip("what:N", title="Line"),
                alt.Tooltip("ref:Q", title=title, format=".1%"),
            ],
        )
    )
