"""Charts: declarations in templates/charts/ compile, draw published files by relative URL, name only
real columns (checked before any query), compile without Vega-Lite warnings, mark incomplete months."""

from __future__ import annotations

import json
from dataclasses import replace

import altair as alt
import jsonschema
import pytest
import vl_convert
from test_render import SCHEMAS, empty_dataset, make_frames

from build import charts
from build.charts import ChartError, check_charts, compile_chart, compile_charts, load_charts, script_json
from build.datasets import Column
from build.render import TEMPLATES

DEFINITIONS, PROBLEMS = load_charts(TEMPLATES / "charts")
CONTEXT = {"settings": {"retention_windows": [1, 3, 6], "k_min": 5}}


@pytest.fixture(scope="module")
def datasets():
    frames = make_frames(3)
    return {name: empty_dataset(name).with_frame(frames[name]) for name in SCHEMAS}


@pytest.fixture(scope="module")
def compiled(datasets):
    return compile_charts(DEFINITIONS, datasets, CONTEXT)


def test_the_content_declares_charts_without_problems():
    assert PROBLEMS == []
    assert len(DEFINITIONS) >= 15
    assert {d.helper for d in DEFINITIONS.values()} >= {"bars", "lines", "heatmap", "strip"}


def test_every_chart_compiles_with_a_description(compiled):
    assert set(compiled) == set(DEFINITIONS)
    for chart in compiled.values():
        spec = chart.page_spec("../")
        assert spec["description"] == chart.definition.description
        assert len(chart.definition.description) > 30


@pytest.mark.parametrize("chart_id", sorted(DEFINITIONS))
def test_vega_lite_compiles_without_warnings(compiled, capfd, chart_id):
    spec = compiled[chart_id].page_spec("")
    vl_convert.vegalite_to_vega(spec, show_warnings=True)
    captured = capfd.readouterr()
    assert "WARN" not in captured.out + captured.err


@pytest.mark.parametrize("prefix", ["", "../", "../../"])
def test_data_is_a_relative_url_never_inline(compiled, prefix):
    for chart in compiled.values():
        data = chart.page_spec(prefix)["data"]
        assert data["url"] == f"{prefix}data/v1/{chart.dataset.name}.json"
        assert "values" not in data


def test_an_entity_page_points_the_same_spec_at_its_own_file(compiled):
    chart = compiled["campaign-participants"]
    spec = chart.page_spec("../../", "data/v1/campaigns/wiki_loves_earth/campaign_activity.json")
    assert spec["data"]["url"] == "../../data/v1/campaigns/wiki_loves_earth/campaign_activity.json"
    assert "campaign" not in json.dumps(spec.get("transform", []))  # no filter: the file holds only its rows


def test_spec_json_cannot_break_out_of_its_script_tag(compiled):
    text = compiled["campaign-retention"].spec_json("../../", '</script><script>alert("x")</script>')
    assert "<" not in text and ">" not in text
    assert json.loads(text)["data"]["url"].endswith('</script><script>alert("x")</script>')
    assert script_json("a&b") == '"a\\u0026b"'


def test_missing_column_names_the_file_the_chart_and_the_column(datasets):
    dataset = datasets["monthly_activity"]
    without_edits = replace(dataset, columns=tuple(c for c in dataset.columns if c.name != "edits"))
    with pytest.raises(ChartError, match=r"activity\.toml: chart 'activity-edits' uses column\(s\) edits .*'monthly"):
        compile_chart(DEFINITIONS["activity-edits"], without_edits, CONTEXT)


def test_missing_column_in_a_spec_transform_is_caught(tmp_path, datasets):
    (tmp_path / "bad.toml").write_text(
        '[bad]\ndataset = "wikis"\ntitle = "Bad"\ndescription = "A chart that filters on a column that is not there."\n'
        'spec = \'{"mark": "bar", "transform": [{"filter": {"field": "nope", "valid": true}}],'
        ' "encoding": {"x": {"field": "wiki", "type": "nominal"}}}\'\n'
    )
    definitions, problems = load_charts(tmp_path)
    assert problems == []
    with pytest.raises(ChartError, match="'bad' uses column.*nope"):
        compile_chart(definitions["bad"], datasets["wikis"], CONTEXT)


def test_every_declaration_problem_is_reported_at_once(tmp_path):
    (tmp_path / "a.toml").write_text(
        '[one]\ndataset = "wikis"\ntitle = "T"\ndescription = "D"\nhelper = "pie"\n'
        '[two]\ndataset = "wikis"\ntitle = "T"\ndescription = "D"\nhelper = "bars"\ncolour = "red"\n'
        '[three]\ndataset = "nowhere"\ntitle = "T"\ndescription = "D"\nhelper = "bars"\nargs = { x = "a", y = "b" }\n'
        '[four]\ndataset = "wikis"\ntitle = "T"\ndescription = "D"\nhelper = "bars"\nargs = { x = "wiki", y = "big" }\n'
        '[five]\ndataset = "wikis"\ntitle = "T"\ndescription = "D"\nhelper = "bars"\nargs = { x = "wiki", nope = 1 }\n'
    )
    definitions, problems = load_charts(tmp_path)
    schemas = {"wikis": empty_dataset("wikis")}
    problems += check_charts(definitions, schemas, CONTEXT)
    text = "\n".join(problems)
    assert "unknown helper 'pie'" in text and "unknown key(s) colour" in text
    assert "'nowhere', which no query or derivation declares (there are: wikis)" in text
    assert "'four' uses column(s) big" in text and "'five' could not be built" in text
    assert all(p.startswith("templates/charts/a.toml") for p in problems) and len(problems) == 5


def test_table_columns_are_checked_too(datasets):
    definition = replace(DEFINITIONS["wikis-top"], table={"columns": ["wiki", "population"]})
    with pytest.raises(ChartError, match="population"):
        compile_chart(definition, datasets["wikis"], CONTEXT)


def test_a_chart_of_another_dataset_is_refused(datasets):
    with pytest.raises(ChartError, match="draws 'wikis'"):
        compile_chart(DEFINITIONS["wikis-top"], datasets["campaigns"], CONTEXT)


def test_charts_of_absent_datasets_are_left_out(datasets):
    compiled = compile_charts(DEFINITIONS, {"wikis": datasets["wikis"]}, CONTEXT)
    assert set(compiled) == {"wikis-top"}


def test_settings_reach_chart_arguments(datasets):
    spec = compile_chart(DEFINITIONS["campaign-retention-histogram"], datasets["campaign_retention"], CONTEXT).spec
    assert {"filter": {"field": "months_after", "equal": 3}} in spec["transform"]
    other = {"settings": {"retention_windows": [2, 4, 12]}}
    spec = compile_chart(DEFINITIONS["campaign-retention-histogram"], datasets["campaign_retention"], other).spec
    assert {"filter": {"field": "months_after", "equal": 4}} in spec["transform"]


def test_static_svg_is_drawn_from_inline_rows(compiled, datasets):
    chart = compiled["retention-heatmap"]
    rows = datasets["program_retention"].records()
    inline = chart.inline_spec(rows)
    assert inline["data"]["values"] == rows and inline["width"] == charts.STATIC_WIDTH
    assert chart.spec["data"]["url"] == charts.URL_TOKEN  # the shared spec is untouched
    svg = chart.svg(rows)
    assert svg.startswith("<svg") and svg.count("<path") > 10
    assert "not yet measurable" in svg and "too few to publish" in svg  # the legend


def test_incomplete_months_are_drawn_apart_when_the_dataset_says_so(datasets):
    dataset = datasets["monthly_activity"]
    assert "complete" not in dataset.column_names
    plain = compile_chart(DEFINITIONS["activity-participants"], dataset, CONTEXT)
    assert plain.complete == "" and "strokeDash" not in json.dumps(plain.spec)  # tolerated when absent
    flagged = replace(dataset, columns=(*dataset.columns, Column("complete", "boolean", "Month complete.")))
    frame = dataset.frame.assign(complete=[True] * (len(dataset.frame) - 1) + [False])
    flagged = flagged.with_frame(frame)
    lines = compile_chart(DEFINITIONS["activity-participants"], flagged, CONTEXT)
    assert lines.complete == "complete" and "strokeDash" in json.dumps(lines.spec)
    bars = compile_chart(DEFINITIONS["activity-edits"], flagged, CONTEXT)
    assert "opacity" in json.dumps(bars.spec["encoding"])
    svg = lines.svg(flagged.records())
    assert "stroke-dasharray" in svg


def test_dataset_column_types_match_the_encodings(compiled):
    """Quantitative encodings only on number/integer columns (a string would draw nothing)."""
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


def test_the_cohort_heatmap_is_grouped_by_year(compiled):
    spec = compiled["retention-heatmap"].spec
    layers = spec["layer"]
    y_axes = [layer["encoding"]["y"].get("axis", {}) for layer in layers if "y" in layer.get("encoding", {})]
    assert any("substring(datum.value, 5, 7) == '01'" in axis.get("labelExpr", "") for axis in y_axes)
    rules = [layer for layer in layers if layer.get("mark", {}).get("type", layer.get("mark")) == "rule"]
    assert len(rules) == 1 and rules[0]["encoding"]["y"]["bandPosition"] == 0  # a line above each January
    assert "== '01'" in json.dumps(rules[0].get("transform"))


@pytest.mark.parametrize("chart_id", sorted(DEFINITIONS))
def test_every_spec_built_with_rows_is_valid_vega_lite(compiled, chart_id):
    """The build compiles with rows without Altair's schema pass (check_charts did it on the declared
    columns): the specs it publishes must still be valid against the Vega-Lite schema."""
    schema = alt.vegalite.v6.schema.core.load_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [error.message for error in validator.iter_errors(compiled[chart_id].page_spec(""))]
    assert errors == []


def test_new_rows_that_keep_a_charts_spec_reuse_its_vega_from_the_cache(datasets, tmp_path, monkeypatch):
    """The chart cache is keyed by the rows; the Vega inside it by the Vega-Lite spec, so a day's new rows
    recompile no spec that they leave unchanged, and the Vega is the one vl-convert makes for it."""
    from build.cache import Cache

    cache = Cache(tmp_path / "cache")
    first = compile_charts(DEFINITIONS, datasets, CONTEXT, cache)
    more = make_frames(4)  # other values in the same columns
    changed = {name: dataset.with_frame(more[name]) for name, dataset in datasets.items()}
    compiled_again = []
    real = vl_convert.vegalite_to_vega
    monkeypatch.setattr(vl_convert, "vegalite_to_vega", lambda spec: compiled_again.append(spec) or real(spec))
    second = compile_charts(DEFINITIONS, changed, CONTEXT, cache)
    new_rows = [i for i, d in DEFINITIONS.items() if not datasets[d.dataset].frame.equals(changed[d.dataset].frame)]
    assert new_rows and cache.misses["chart"] == len(DEFINITIONS) + len(new_rows)  # only they are built again
    new_spec = [chart_id for chart_id in new_rows if second[chart_id].spec != first[chart_id].spec]
    assert len(compiled_again) == len(new_spec) < len(new_rows)  # vl-convert ran only for a changed spec
    for chart in second.values():
        assert chart.vega == compile_chart(chart.definition, changed[chart.definition.dataset], CONTEXT).vega
