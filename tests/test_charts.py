"""Charts: specs draw published files by relative URL, name only real columns, compile without warnings."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import vl_convert
from test_render import SCHEMAS, empty_dataset, make_frames

from build import charts
from build.charts import CHARTS, ChartDef, ChartError, compile_chart, compile_charts, script_json
from build.datasets import Column

OPTIONS = {"histogram_k": 3, "cohorts": 17, "windows": 3, "wikis": 10}


@pytest.fixture(scope="module")
def datasets():
    frames = make_frames(3)
    return {name: empty_dataset(name).with_frame(frames[name]) for name in SCHEMAS}


@pytest.fixture(scope="module")
def compiled(datasets):
    return compile_charts(datasets, OPTIONS)


def test_every_chart_compiles_with_a_description(compiled):
    assert set(compiled) == {chart.id for chart in CHARTS}
    for chart in compiled.values():
        spec = chart.page_spec("../", "x")
        assert spec["description"] == chart.definition.description
        assert len(chart.definition.description) > 30


@pytest.mark.parametrize("chart_id", [chart.id for chart in CHARTS])
def test_vega_lite_compiles_without_warnings(compiled, capfd, chart_id):
    spec = compiled[chart_id].page_spec("", "campaign-0002")
    vl_convert.vegalite_to_vega(spec, show_warnings=True)
    captured = capfd.readouterr()
    assert "WARN" not in captured.out + captured.err


@pytest.mark.parametrize("prefix", ["", "../", "../../"])
def test_data_is_a_relative_url_never_inline(compiled, prefix):
    for chart in compiled.values():
        data = chart.page_spec(prefix, "x")["data"]
        assert data["url"] == f"{prefix}data/v1/{chart.dataset.name}.json"
        assert "values" not in data


def test_per_campaign_charts_filter_first_on_the_slug(compiled):
    chart = compiled["campaign-participants"]
    spec = chart.page_spec("../../", "wiki-loves-earth")
    assert spec["transform"][0] == {"filter": {"equal": "wiki-loves-earth", "field": "campaign"}}
    other = chart.page_spec("../../", "another")
    assert other["transform"][0]["filter"]["equal"] == "another"
    with pytest.raises(ChartError, match="campaign"):
        chart.spec_json("../../")


def test_spec_json_cannot_break_out_of_its_script_tag(compiled):
    text = compiled["campaign-retention"].spec_json("../../", '</script><script>alert("x")</script>')
    assert "<" not in text and ">" not in text
    assert json.loads(text)["transform"][0]["filter"]["equal"] == '</script><script>alert("x")</script>'
    assert script_json("a&b") == '"a\\u0026b"'


def test_missing_column_names_the_chart_and_the_column(datasets):
    dataset = datasets["monthly_activity"]
    without_edits = replace(dataset, columns=tuple(c for c in dataset.columns if c.name != "edits"))
    with pytest.raises(ChartError, match=r"chart 'activity-edits' uses column\(s\) edits .*'monthly_activity'"):
        compile_chart(charts.CHARTS_BY_ID["activity-edits"], without_edits, OPTIONS)


def test_missing_column_in_a_transform_is_caught(datasets):
    import altair as alt

    definition = ChartDef(
        "bad",
        "wikis",
        "Bad",
        "A chart that filters on a column that does not exist.",
        ("wiki",),
        lambda data, options: (
            alt.Chart(data)
            .transform_filter(alt.FieldValidPredicate(field="nope", valid=True))
            .mark_bar()
            .encode(x="wiki:N")
        ),
    )
    with pytest.raises(ChartError, match="'bad' uses column.*nope"):
        compile_chart(definition, datasets["wikis"], OPTIONS)


def test_table_columns_are_checked_too(datasets):
    definition = replace(charts.CHARTS_BY_ID["wikis-top"], table=("wiki", "population"))
    with pytest.raises(ChartError, match="population"):
        compile_chart(definition, datasets["wikis"], OPTIONS)


def test_a_chart_of_another_dataset_is_refused(datasets):
    with pytest.raises(ChartError, match="draws 'wikis'"):
        compile_chart(charts.CHARTS_BY_ID["wikis-top"], datasets["campaigns"], OPTIONS)


def test_charts_of_absent_datasets_are_left_out(datasets):
    compiled = compile_charts({"wikis": datasets["wikis"]}, OPTIONS)
    assert set(compiled) == {"wikis-top"}


def test_static_svg_is_drawn_from_inline_rows(compiled, datasets):
    chart = compiled["retention-heatmap"]
    rows = datasets["program_retention"].records()
    inline = chart.inline_spec(rows)
    assert inline["data"]["values"] == rows and inline["width"] == charts.STATIC_WIDTH
    assert chart.spec["data"]["url"] == charts.URL_TOKEN  # the shared spec is untouched
    svg = chart.svg(rows)
    assert svg.startswith("<svg") and svg.count("<path") > 10
    assert "not yet measurable" in svg and "too few to publish" in svg  # the legend


def test_dataset_column_types_match_the_encodings(datasets):
    """Quantitative encodings only on number/integer columns (a string would draw nothing)."""
    compiled = compile_charts(datasets, OPTIONS)
    for chart in compiled.values():
        types = {c.name: c.type for c in chart.dataset.columns}

        def walk(node, chart=chart, types=types):
            if isinstance(node, dict):
                if node.get("type") == "quantitative" and node.get("field") in types:
                    assert types[node["field"]] in ("integer", "number"), (chart.id, node["field"])
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for item in node:
                    walk(item)

        walk(chart.spec)


def test_column_helper_is_the_dataset_type():
    assert Column("a", "integer", "A").name == "a"
