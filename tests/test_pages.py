"""Pages are content: the engine names nothing of the Dashboard, a wrong name in a page stops the build
before any query with its file and line, entity pages get their own files, and a second, unrelated
site builds through the same engine."""

from __future__ import annotations

import ast
import json
import re
import shutil
import tomllib
from pathlib import Path

import duckdb
import pytest
from conftest import ROOT, run_build
from test_render import SCHEMAS, empty_dataset, make_site

from build import queries
from build.config import load_settings
from build.dashboard import DERIVED
from build.render import TEMPLATES, RenderError, check_content, load_content

# The engine: the pipeline and the modules that turn content into pages. The Dashboard's derivations
# live apart, in build/dashboard/, chosen by queries/derivations.toml.
# Words that are the engine's own vocabulary and happen to be content names too: fields of the build
# report (status.json), which the engine reads to say why a dataset is missing, and the names of two
# components, value() and downloads(), the chart key `complete` (a completeness column), and
# Vega-Lite's "type" key and time units; "wikis" is a per-wiki source's entry in status.json.
ENGINE_WORDS = {"status", "stale", "complete", "wikis", "title", "value", "downloads", "type", "month", "year"}
ENGINE = [
    *("render", "pages", "components", "tables", "formatting", "entities", "charts", "chart_helpers"),
    *("pipeline", "derivations", "report", "alerts", "contract", "datasets"),
]


def content_names() -> set[str]:
    """Every dataset, column, chart and page name the Dashboard's content declares."""
    names = set()
    for query in queries.discover(ROOT / "queries"):
        names.add(query.name)
        names.update(query.empty_dataset().column_names)
    for schema in DERIVED:
        names.add(schema.name)
        names.update(schema.column_names)
    for path in (TEMPLATES / "charts").glob("*.toml"):
        names.update(tomllib.loads(path.read_text(encoding="utf-8")))
    for path in (TEMPLATES / "pages").rglob("*"):
        if path.suffix in (".md", ".html"):
            names.update(part for part in path.relative_to(TEMPLATES / "pages").with_suffix("").parts)
    return names - {"index"}


def string_literals(path: Path) -> set[str]:
    """The string constants of a module's code (docstrings excluded: they may give examples)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            found.update(re.findall(r"[A-Za-z_][\w-]*", node.value))
    return found


def test_the_engine_names_no_dataset_column_chart_or_page_of_the_dashboard():
    names = content_names()
    assert {"campaigns", "campaign_activity", "retention", "home-participants", "methodology"} <= names
    assert len(names) > 80
    for module in ENGINE:
        path = ROOT / "build" / f"{module}.py"
        assert path.is_file(), module
        leaked = sorted(string_literals(path) & names - ENGINE_WORDS)
        assert leaked == [], f"build/{module}.py names {leaked}"


def test_no_engine_module_or_function_is_too_big():
    for module in ENGINE:
        source = (ROOT / "build" / f"{module}.py").read_text(encoding="utf-8")
        assert source.count("\n") <= 450, module
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef):
                assert node.end_lineno - node.lineno <= 60, f"{module}.{node.name}"


def test_every_page_is_a_file_and_no_page_has_python():
    pages = {p.relative_to(TEMPLATES / "pages").as_posix() for p in (TEMPLATES / "pages").rglob("*.*")}
    assert {"index.md", "activity.md", "campaigns/index.md", "campaigns/[campaign].md", "retention.md"} <= pages
    assert {"campaign-retention.md", "wikis.md", "usage.md", "downloads.html", "methodology.md", "status.html"} <= pages
    assert not (TEMPLATES / "views").exists()


def bad_site(tmp_path: Path, body: str) -> Path:
    templates = tmp_path / "templates"
    (templates / "pages").mkdir(parents=True)
    (templates / "pages" / "about.md").write_text(f"---\ntitle: About\n---\n\n{body}\n", encoding="utf-8")
    (templates / "pages" / "other.md").write_text("---\ntitle: Other\n---\n{{ chart('nope') }}\n", encoding="utf-8")
    return templates


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{{ chart("wikis-topp") }}', r"about\.md:5: no chart 'wikis-topp' \(charts: .*wikis-top"),
        ('text\n\n{{ table("wiki") }}', r"about\.md:7: no dataset 'wiki' \(datasets: .*wikis"),
        (
            '{{ table("wikis", columns=["wiki", "populace"]) }}',
            r"about\.md:5: dataset 'wikis' has no column 'populace'",
        ),
        ('{{ value("system_totals", "edit") }}', r"about\.md:5: dataset 'system_totals' has no column 'edit' \(it has"),
        ('{{ table("wikis", links={"wiki": "places/[wiki]"}) }}', r"about\.md:5: no entity pages 'places/\[wiki\]'"),
    ],
)
def test_a_wrong_name_in_a_page_is_reported_with_file_line_and_what_exists(tmp_path, body, message):
    templates = bad_site(tmp_path, body)
    shutil.copytree(TEMPLATES / "charts", templates / "charts")
    with pytest.raises(RenderError) as caught:
        check_content(load_content(templates), {n: empty_dataset(n) for n in SCHEMAS}, load_settings(None))
    text = str(caught.value)
    assert re.search(message, text), text
    assert "other.md:4: no chart 'nope'" in text  # every problem at once, not the first


def test_a_typo_in_a_page_stops_the_build_before_any_query(tmp_path):
    site = tmp_path / "site.toml"
    shutil.copytree(ROOT / "queries", tmp_path / "queries")
    templates = bad_site(tmp_path, '{{ chart("wikis-topp") }}')
    shutil.copytree(TEMPLATES / "charts", templates / "charts")
    site.write_text('[sources.dashboard]\nurl = "duckdb:///nowhere/dashboard.duckdb"\n', encoding="utf-8")
    result = run_build("--config", str(site), "--as-of", "2025-01-01", cwd=tmp_path)
    assert result.returncode == 2
    assert "templates/pages/about.md:5: no chart 'wikis-topp'" in result.stderr
    assert "nowhere" not in result.stderr  # stopped before the source was opened
    assert not (tmp_path / "site").exists()


def test_entity_pages_have_their_own_files_listed_and_removed_with_them(tmp_path):
    make_site(tmp_path)
    own = tmp_path / "data/v1/campaigns/campaign-0002"
    assert sorted(p.name for p in own.iterdir()) == [
        f"{name}.{ext}"
        for name in ("campaign_activity", "campaign_courses", "campaign_retention", "campaigns")
        for ext in ("csv", "json")
    ]
    rows = json.loads((own / "campaign_activity.json").read_text())
    assert rows and {r["campaign"] for r in rows} == {"campaign-0002"}
    page = (tmp_path / "campaigns/campaign-0002/index.html").read_text()
    assert 'data-data="../../data/v1/campaigns/campaign-0002/campaign_activity.json"' in page
    assert 'href="../../data/v1/campaigns/campaign-0002/campaign_retention.csv"' in page
    assert "data/v1/campaign_activity.json" not in page
    package = json.loads((tmp_path / "data/v1/datapackage.json").read_text())
    paths = {r["path"] for r in package["resources"]}
    assert "campaigns/campaign-0002/campaign_activity.csv" in paths and "campaign_activity.csv" in paths
    before = {p: p.read_bytes() for p in (tmp_path / "data").rglob("*.json")}
    make_site(tmp_path, n_campaigns=2)  # campaign-0002 is gone
    assert not own.exists() and not (tmp_path / "campaigns/campaign-0002").exists()
    assert (tmp_path / "campaigns/campaign-0001").exists() or (tmp_path / "data/v1/campaigns").is_dir()
    kept = tmp_path / "data/v1/campaigns/etc-passwd-100/campaign_activity.json"
    assert kept.read_bytes() == before[kept]  # deterministic


SECOND_QUERY = """/*
title = "Lighthouses"
description = "Lighthouses and their light."
sort = ["slug"]
[columns]
slug = { type = "string", description = "The lighthouse's name in its own language." }
id = { type = "integer", description = "A stable number." }
built = { type = "integer", description = "Year the tower was built." }
range_km = { type = "number", description = "How far its light is seen.", unit = "km" }
*/
SELECT slug, id, built, range_km FROM towers
"""
SECOND_CHART = """[range]
dataset = "lighthouses"
title = "Range by year built"
description = "Bar chart: how far each lighthouse's light is seen, by the year it was built."
table = ["slug", "built", "range_km"]
static_svg = true
helper = "bars"
args = { x = "built", y = "range_km", y_title = "Kilometres" }
"""
SECOND_INDEX = """---
title: Lighthouses
nav_order: 0
layout: data.html
---
The longest range is {{ value("lighthouses", "range_km", pick="max") }} km.

{{ chart("range") }}

{{ table("lighthouses", columns=["slug", "built"], links={"slug": "towers/[slug]"}, sort="-built") }}
"""
SECOND_ENTITY = """---
title: "{{ entity.slug }}"
layout: data.html
entity: {dataset: lighthouses, key: slug, id: id}
---
Built in {{ value("lighthouses", "built") }}.

{{ chart("range") }}

{{ table("lighthouses") }}
"""


def write_second_site(tmp_path: Path) -> None:
    """An unrelated site: its own DuckDB file, one query, one chart, a home page and a page per tower."""
    database = duckdb.connect(str(tmp_path / "towers.duckdb"))
    database.execute("CREATE TABLE towers (slug VARCHAR, id INTEGER, built INTEGER, range_km DOUBLE)")
    database.execute(
        "INSERT INTO towers VALUES ('Fastnet', 1, 1904, 50.0), ('Фиолент', 2, 1816, 33.5), ('Hook/Head', 3, 1172, 20.0)"
    )
    database.close()
    (tmp_path / "queries").mkdir()
    (tmp_path / "queries" / "lighthouses.sql").write_text(SECOND_QUERY, encoding="utf-8")
    (tmp_path / "templates" / "charts").mkdir(parents=True)
    (tmp_path / "templates" / "charts" / "towers.toml").write_text(SECOND_CHART, encoding="utf-8")
    (tmp_path / "templates" / "pages" / "towers").mkdir(parents=True)
    (tmp_path / "templates" / "pages" / "index.md").write_text(SECOND_INDEX, encoding="utf-8")
    (tmp_path / "templates" / "pages" / "towers" / "[slug].md").write_text(SECOND_ENTITY, encoding="utf-8")
    (tmp_path / "site.toml").write_text(
        '[site]\ntitle = "Lighthouses"\n[sources.dashboard]\nurl = "duckdb:///towers.duckdb"\n'
    )


def test_a_second_unrelated_site_builds_through_the_same_engine(tmp_path):
    write_second_site(tmp_path)
    result = run_build("--config", str(tmp_path / "site.toml"), "--as-of", "2025-01-01", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "site"
    home = (out / "index.html").read_text()
    assert 'The longest range is <data value="50.0" title="50">50</data> km' in home
    assert 'data-data="data/v1/lighthouses.json"' in home and (out / "range.svg").is_file()
    assert 'href="towers/%D0%A4%D0%B8%D0%BE%D0%BB%D0%B5%D0%BD%D1%82/"' in home
    assert sorted(p.name for p in (out / "towers").iterdir()) == ["Fastnet", "Hook-Head-3", "Фиолент"]
    page = (out / "towers/Фиолент/index.html").read_text()
    assert 'Built in <data value="1816"' in page
    assert 'data-data="../../data/v1/towers/%D0%A4%D0%B8%D0%BE%D0%BB%D0%B5%D0%BD%D1%82/lighthouses.json"' in page
    assert json.loads((out / "data/v1/towers/Фиолент/lighthouses.json").read_text())[0]["built"] == 1816
    status = json.loads((out / "status.json").read_text())
    assert [d["name"] for d in status["datasets"]] == ["lighthouses"]  # no Dashboard derivation here
