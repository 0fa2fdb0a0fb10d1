"""The organizer's pages without a browser: links to the Dashboard, added columns, chart params, one
colour per measure, six nav entries, Open Graph tags (og:image only with a base_url), definitions
reachable without a title attribute, suppressed tiles in words."""

from __future__ import annotations

import html as html_lib
import json
import re
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest
from test_render import make_site

from build import added_columns, chart_helpers, chart_params, tables
from build.components import fill_link

ROOT = Path(__file__).resolve().parent.parent


def test_links_encode_values_and_keep_slashes_only_when_asked():
    row = {"course_slug": "Uni X/Edit-a-thon (2024)", "campaign": "a/b"}
    assert (
        fill_link("https://d.org/courses/{course_slug:path}", row)
        == "https://d.org/courses/Uni%20X/Edit-a-thon%20%282024%29"
    )
    assert fill_link("https://d.org/campaigns/{campaign}", row) == "https://d.org/campaigns/a%2Fb"
    assert fill_link("https://d.org/campaigns/{campaign}", {"campaign": None}) is None


def test_added_columns_sum_and_list_the_linked_rows():
    links = {("via", "c", "x"): [{"c": "x", "p": 1}, {"c": "x", "p": 2}], ("via", "c", "y"): []}
    programs = {
        ("programs", "p", 1): [{"p": 1, "edits": 5, "wiki": "b"}],
        ("programs", "p", 2): [{"p": 2, "edits": None, "wiki": "a"}],
    }
    table = {**links, **programs}
    linked = lambda name, column, value: table.get((name, column, value), [])  # noqa: E731
    add = {
        "edits": {"sum": "programs.edits", "via": "via", "by": "c", "on": "p"},
        "wikis": {"distinct": "programs.wiki", "via": "via", "by": "c", "on": "p"},
        "status": {"ongoing_until": "end"},
    }
    rows = added_columns.compute(
        [{"c": "x", "end": "2026-12-01"}, {"c": "y", "end": "2020-01-01"}], add, linked, "2026-11-01"
    )
    assert [(r["edits"], r["wikis"], r["status"]) for r in rows] == [(5, "a, b", "ongoing"), (None, None, "ended")]


def test_check_params_takes_declared_params_and_refuses_others():
    compiled = SimpleNamespace(spec={"params": [{"name": "period_start", "value": None}], "mark": "bar"})
    assert chart_params.check_params(compiled, {"period_start": "2024-01-01"}) == {"period_start": "2024-01-01"}
    assert chart_params.check_params(compiled, None) == {}
    with pytest.raises(ValueError, match="no param nope"):
        chart_params.check_params(compiled, {"nope": 1})


def test_one_colour_per_measure_across_every_chart():
    seen: dict[str, set] = {}
    for path in sorted((ROOT / "templates" / "charts").glob("*.toml")):
        for chart in tomllib.loads(path.read_text(encoding="utf-8")).values():
            args = chart.get("args", {})
            for series in args.get("series", []):
                seen.setdefault(series["column"], set()).add(series.get("colour"))
            measure = args.get("y") or args.get("value")
            if measure and chart.get("helper") != "heatmap":
                seen.setdefault(measure, set()).add(args.get("colour_name", "blue"))
    assert len(seen) >= 6
    assert {m: c for m, c in seen.items() if len(c) > 1} == {}
    palette = tomllib.loads((ROOT / "templates" / "formats.toml").read_text(encoding="utf-8"))["colours"]
    assert all(c in palette or c in chart_helpers.COLOURS for colours in seen.values() for c in colours)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("organizer")
    make_site(out, n_campaigns=3)
    return out


def test_nav_has_at_most_six_entries_and_pages_describe_themselves(site):
    html = (site / "index.html").read_text(encoding="utf-8")
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', html, re.S).group(1)
    assert 4 <= nav.count("<li>") <= 6
    assert '<meta name="description" content="' in html and 'property="og:title"' in html
    assert "og:image" not in html  # no base_url: an og:image must be absolute


def test_og_image_is_a_png_of_the_main_chart_when_base_url_is_set(tmp_path, monkeypatch):
    from build import config

    original = config.load_settings

    def with_base(*args, **kwargs):
        settings = original(*args, **kwargs)
        settings.values[("site", "base_url")] = "https://example.org/almanac"
        return settings

    monkeypatch.setattr("test_render.load_settings", with_base)
    make_site(tmp_path, n_campaigns=3)
    html = (tmp_path / "activity" / "index.html").read_text(encoding="utf-8")
    assert '<meta property="og:image" content="https://example.org/almanac/activity/preview.png">' in html
    assert (tmp_path / "activity" / "preview.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    campaign = next((tmp_path / "campaigns").glob("*/index.html")).read_text(encoding="utf-8")
    assert 'content="https://example.org/almanac/preview.png"' in campaign  # entity pages share the home's


def test_definitions_and_exact_values_do_not_hide_in_title_attributes(site):
    html = (site / "campaigns" / "index.html").read_text(encoding="utf-8")
    assert '<details class="defs">' in html and '<th scope="col" title=' not in html
    home = (site / "index.html").read_text(encoding="utf-8")
    tiles = re.findall(r'<details class="tile-def"><summary>(.*?)</summary>\s*<p>(.*?)</p>', home, re.S)
    assert len(tiles) >= 5 and all(definition.strip() for _, definition in tiles)


def test_campaign_pages_link_the_dashboard_and_set_their_period(site):
    page = next(
        p for p in (site / "campaigns").glob("*/index.html") if "chart-campaign-edits" in p.read_text(encoding="utf-8")
    )
    html = page.read_text(encoding="utf-8")
    assert "https://outreachdashboard.wmflabs.org/campaigns/" in html
    assert "https://outreachdashboard.wmflabs.org/courses/" in html
    params = [json.loads(html_lib.unescape(p)) for p in re.findall(r'data-params="([^"]*)"', html)]
    periods = [p["period_start"] for p in params if "period_start" in p]
    assert periods and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) for v in periods if v is not None)
    spec_file = re.search(r'data-spec="([^"?]*)', html).group(1)  # the shared spec declares the signal
    spec = json.loads((page.parent / spec_file).resolve().read_text(encoding="utf-8"))
    assert any(signal["name"] == "period_start" for signal in spec.get("signals", []))


def test_a_cells_class_comes_from_what_it_holds_then_its_column_and_links_never_touch_a_shared_cell():
    assert [tables.Cell("1", 1, True, False, True).css, tables.Cell("—", None, False, True, True).css] == [
        "num",
        "note",
    ]
    assert [tables.Cell("2026-01-01", date=True).css, tables.Cell("x").css] == ["nowrap", ""]
    shared = tables.Cell("—", None, False, True)  # as a pivot table's missing combinations are
    table = tables.Table([{"name": "a"}, {"name": "b"}], [[tables.Cell("x"), shared], [tables.Cell("y"), shared]])
    tables.link_cells(table, {"a": ["../x/", None], "b": ["../b1/", "../b2/"]})
    assert [[cell.href for cell in row] for row in table.rows] == [["../x/", "../b1/"], [None, "../b2/"]]
    assert shared.href is None and table.rows[0][1].css == "note"


def test_search_keys_are_folded_at_build_time_as_site_js_folds_a_query(site):
    assert tables.search_key("Wiki Loves CAFÉ 2024 Ñandú-ĺ") == "wiki loves cafe 2024 nandu-l"
    html = (site / "campaigns" / "index.html").read_text(encoding="utf-8")
    keys = re.findall(r'<tr data-text="([^"]*)"', html)
    assert len(keys) == 3 and "wiki loves cafe 2024" in " ".join(keys)
    assert all(key == key.lower() and "é" not in key for key in keys)
