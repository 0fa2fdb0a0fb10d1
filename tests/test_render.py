"""Render: pages exist, links and chart URLs resolve, values are escaped, missing data is said plainly.

`make_frames` / `make_site` are the fixture factory shared by test_charts.py, test_browser.py,
test_pages.py and benchmarks/render.py: small hand-made Datasets with the published columns of
docs/datasets.md, rendered through the real content under templates/.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pandas as pd
import pytest

from build import entities
from build.config import load_settings
from build.datasets import Column, Dataset, datapackage, publish_dataset, write_datapackage
from build.entities import RESERVED, entity_slug
from build.render import RenderError, check_content, load_content, render_site

AS_OF = dt.date(2025, 6, 15)
# External links the Dashboard's pages may carry (href only; nothing is ever loaded from outside the site).
EXTERNAL_LINK_PREFIXES = (
    "https://spdx.org/licenses/",
    "https://outreachdashboard.wmflabs.org/",
    "https://meta.wikimedia.org/wiki/",
    "https://frictionlessdata.io/",
)
HOSTILE = '<script>alert("x")</script>'

SCHEMAS = {
    "system_totals": "programs:integer active_programs:integer archived_programs:integer participants:integer "
    "facilitators:integer new_editors:integer new_editors_preregistration:integer edits:integer "
    "articles_edited:integer articles_created:integer characters_added:integer words_added:integer "
    "references_added:integer article_views:integer uploads:integer",
    "monthly_activity": "month:string programs_started:integer active_programs:integer active_participants:integer "
    "new_participants:integer edits:integer characters_added:integer new_editors:integer",
    "yearly_usage": "year:integer events:integer participants:integer leaders:integer pages_created:integer "
    "pages_edited:integer revisions:integer",
    "wikis": "wiki:string language:string project:string programs:integer participants:integer edits:integer "
    "articles_created:integer",
    "campaigns": "campaign:string campaign_id:integer title:string start_date:date end_date:date programs:integer "
    "participants:integer new_editors:integer articles_edited:integer articles_created:integer words_added:integer "
    "references_added:integer article_views:integer uploads:integer",
    "campaign_activity": "campaign:string month:string active_participants:integer edits:integer "
    "characters_added:integer",
    "campaign_courses": "campaign:string course_slug:string",
    "courses": "course_slug:string course_id:integer title:string institution:string term:string type:string "
    "home_wiki:string created_at:date start_date:date end_date:date withdrawn:boolean editors:integer "
    "new_editors:integer articles_edited:integer articles_created:integer bytes_added:integer "
    "references_added:integer total_edits:integer article_views:integer upload_count:integer "
    "uploads_used_in_articles:integer upload_usage_count_across_all_wikis:integer training_completion_rate:number",
    "program_retention": "cohort:string months_since:integer cohort_size:integer active:integer retention:number "
    "suppressed:boolean",
    "campaign_retention": "campaign:string campaign_end:date months_after:integer new_editors:integer "
    "retained:integer retention:number suppressed:boolean",
}
SORT_KEYS = {
    "monthly_activity": ("month",),
    "yearly_usage": ("year",),
    "wikis": ("wiki",),
    "campaigns": ("campaign",),
    "campaign_activity": ("campaign", "month"),
    "campaign_courses": ("campaign", "course_slug"),
    "courses": ("course_slug",),
    "program_retention": ("cohort", "months_since"),
    "campaign_retention": ("campaign", "months_after"),
}


# Units as the real schemas give them: shares are fractions, counts have a unit, years and ids none.
FRACTIONS = {"retention", "training_completion_rate"}
NO_UNIT = {"year", "months_since", "months_after", "campaign_id", "course_id"}


def _unit(name: str, column_type: str) -> str | None:
    if name in FRACTIONS:
        return "fraction"
    return "count" if column_type in ("integer", "number") and name not in NO_UNIT else None


def empty_dataset(name: str) -> Dataset:
    columns = tuple(
        Column(c, t, f"The {c.replace('_', ' ')}.", _unit(c, t))
        for c, t in (item.split(":") for item in SCHEMAS[name].split())
    )
    title = name.replace("_", " ").capitalize()
    return Dataset(name, title, f"Test dataset {name}.", columns, SORT_KEYS.get(name, ()), "tests")


def _months(start: str, count: int) -> list[str]:
    year, month = map(int, start.split("-"))
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return out


def make_frames(n_campaigns: int = 3, hostile: bool = True) -> dict[str, pd.DataFrame]:
    """Rows for every dataset: a hostile title, a slug that tries to escape, censored and suppressed cells."""
    months = _months("2023-01", 29)  # up to 2025-05, the month before the as-of month
    frames = {
        "system_totals": pd.DataFrame(
            [
                {
                    "programs": 1234,
                    "active_programs": 56,
                    "archived_programs": 1100,
                    "participants": 98765,
                    "facilitators": 432,
                    "new_editors": 23456,
                    "new_editors_preregistration": 25000,
                    "edits": 12345678,
                    "articles_edited": 345678,
                    "articles_created": 45678,
                    "characters_added": 987654321,
                    "words_added": 190851,
                    "references_added": 54321,
                    "article_views": 2345678901,
                    "uploads": 6789,
                }
            ]
        ),
        "monthly_activity": pd.DataFrame(
            [
                {
                    "month": m,
                    "programs_started": 10 + i % 7,
                    "active_programs": 40 + i,
                    "active_participants": 500 + 13 * i,
                    "new_participants": None if i == 3 else 100 + 5 * (i % 4),
                    "edits": 20000 + 900 * i,
                    "characters_added": 1_000_000 + 5000 * i,
                    "new_editors": 60 + i,
                }
                for i, m in enumerate(months)
            ]
        ),
        "yearly_usage": pd.DataFrame(
            [
                {
                    "year": y,
                    "events": 100 + y % 10,
                    "participants": 2000 + y % 7,
                    "leaders": 80,
                    "pages_created": 300,
                    "pages_edited": 4000,
                    "revisions": 50000,
                }
                for y in range(2015, 2026)
            ]
        ),
        "wikis": pd.DataFrame(
            [
                {
                    "wiki": f"{lang}.wikipedia.org",
                    "language": lang,
                    "project": "wikipedia",
                    "programs": 30 - i,
                    "participants": 1000 - 40 * i,
                    "edits": 9000 - 100 * i,
                    "articles_created": 50 + i,
                }
                for i, lang in enumerate(["en", "fr", "de", "es", "ar", "zh", "pt", "it", "ja", "ru"])
            ]
        ),
    }
    campaigns, activity, links, retention = [], [], [], []
    courses = []
    for i in range(n_campaigns):
        slug = f"campaign-{i:04d}"
        title = f"Campaign {i}"
        if i == 0 and hostile:
            slug, title = "../../etc/passwd", HOSTILE
        elif i == 1:
            slug, title = "Wiki Loves Café 2024", "Wiki Loves Café 2024"
        campaigns.append(
            {
                "campaign": slug,
                "campaign_id": 100 + i,
                "title": title,
                "start_date": "2024-01-01",
                "end_date": "2024-03-31",
                "programs": 2,
                "participants": 40 + i,
                "new_editors": 12 if i % 3 else None,
                "articles_edited": 120,
                "articles_created": 14,
                "words_added": 23456,
                "references_added": 77,
                "article_views": 1234567,
                "uploads": 8,
            }
        )
        for m in _months("2024-01", 3 + i % 5):
            activity.append(
                {
                    "campaign": slug,
                    "month": m,
                    "active_participants": 20 + i % 9,
                    "edits": 300 + i,
                    "characters_added": 40000,
                }
            )
        for j in range(2):
            course = f"Org_{i}/Event_{j}"
            links.append({"campaign": slug, "course_slug": course})
            courses.append(
                {
                    "course_slug": course,
                    "course_id": 1000 + 2 * i + j,
                    "title": HOSTILE if (i == 0 and j == 0 and hostile) else f"Event {i}.{j}",
                    "institution": "Org",
                    "term": "2024",
                    "type": "Editathon",
                    "home_wiki": "en.wikipedia.org",
                    "created_at": "2023-12-01",
                    "start_date": "2024-01-01",
                    "end_date": "2024-03-31",
                    "withdrawn": False,
                    "editors": 20,
                    "new_editors": 6,
                    "articles_edited": 60,
                    "articles_created": 7,
                    "bytes_added": 100000,
                    "references_added": 40,
                    "total_edits": 400,
                    "article_views": 600000,
                    "upload_count": 4,
                    "uploads_used_in_articles": 2,
                    "upload_usage_count_across_all_wikis": 3,
                    "training_completion_rate": 0.75,
                }
            )
        suppressed = i % 3 == 0  # fewer than k_min new editors
        for k in (1, 3, 6):
            censored = k == 6  # 2024-03-31 + 180 days is after the as-of date
            retention.append(
                {
                    "campaign": slug,
                    "campaign_end": "2024-03-31",
                    "months_after": k,
                    "new_editors": None if suppressed else 12,
                    "retained": None if suppressed or censored else 12 // k,
                    "retention": None if suppressed or censored else round((12 // k) / 12, 6),
                    "suppressed": suppressed,
                }
            )
    frames["campaigns"] = pd.DataFrame(campaigns)
    frames["campaign_activity"] = pd.DataFrame(activity)
    frames["campaign_courses"] = pd.DataFrame(links)
    frames["courses"] = pd.DataFrame(courses)
    frames["campaign_retention"] = pd.DataFrame(retention)
    program = []
    cohorts = _months("2024-01", 17)  # 2024-01 … 2025-05
    for c_index, cohort in enumerate(cohorts):
        suppressed = c_index == 2
        size = None if suppressed else 50 + c_index
        for since in range(13):
            censored = c_index + since >= len(cohorts)  # that month is the as-of month or later
            active = None if suppressed or censored else (size if since == 0 else max(0, size // (since + 1) - 3))
            program.append(
                {
                    "cohort": cohort,
                    "months_since": since,
                    "cohort_size": size,
                    "active": active,
                    "retention": None if active is None else round(active / size, 6),
                    "suppressed": suppressed,
                }
            )
    frames["program_retention"] = pd.DataFrame(program)
    return frames


def make_status(names, stale=(), missing=()) -> dict:
    entries = []
    for name in names:
        state = "missing" if name in missing else "stale" if name in stale else "fresh"
        entries.append(
            {
                "name": name,
                "title": name.replace("_", " ").capitalize(),
                "status": state,
                "rows": None if state == "missing" else 3,
                "error": "query timed out after 600 s" if state != "fresh" else None,
                "source": "dashboard",
                "seconds": 0.5,
                "last_success": None if state == "missing" else "2025-06-15T03:00:00Z",
            }
        )
    return {
        "as_of": AS_OF.isoformat(),
        "built_at": "2025-06-15T03:04:05Z",
        "state": "stale" if (stale or missing) else "fresh",
        "exit_code": 1 if (stale or missing) else 0,
        "datasets": entries,
        "sources": [
            {
                "name": "dashboard",
                "url": "duckdb:///demo/dashboard.duckdb",
                "status": "ok",
                "lag_seconds": None,
                "error": None,
            },
            {
                "name": "replica",
                "url": "mysql://u@enwiki.analytics.db.svc.wikimedia.cloud:3306/enwiki_p",
                "status": "ok",
                "lag_seconds": 12,
                "error": None,
            },
        ],
    }


def checked_content(templates=None):
    """The content, checked (as the pipeline does before any query) against every fixture schema."""
    content = load_content(templates) if templates else load_content()
    check_content(content, {name: empty_dataset(name) for name in SCHEMAS}, load_settings(None, as_of=AS_OF))
    return content


def publish_all(datasets: dict, out: Path, content) -> dict:
    """What the pipeline's publish stage does: each dataset's files, each entity's, datapackage.json."""
    published = {name: publish_dataset(dataset, out) for name, dataset in datasets.items()}
    files = entities.publish_entity_data(datasets, content.entity_kinds, out)
    package = datapackage(list(published.values()), title="Almanac", license_id="CC0-1.0", base_url="")
    package["resources"] += entities.resources(files)
    write_datapackage(package, out / "data" / "v1")
    return published


def make_site(out: Path, n_campaigns: int = 3, without=(), stale=(), hostile=True, frames=None):
    """Publish the hand-made datasets into `out`, render the site; return (paths, datasets, status)."""
    settings = load_settings(None, as_of=AS_OF)
    frames = frames or make_frames(n_campaigns, hostile)
    content = checked_content()
    datasets = {name: empty_dataset(name).with_frame(frames[name]) for name in SCHEMAS if name not in without}
    published = publish_all(datasets, out, content)
    status = make_status(list(SCHEMAS), stale=stale, missing=without)
    paths = render_site(datasets, published, status, settings, out, content)
    return paths, datasets, status


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    paths, datasets, status = make_site(out)
    return out, paths


# --- HTML helpers ------------------------------------------------------------------------------


class Links(HTMLParser):
    """Collects src/href attributes and the charts of a page (their spec and data URLs)."""

    def __init__(self):
        super().__init__()
        self.urls: list[tuple[str, str]] = []
        self.charts: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("src", "href"):
            if attrs.get(name) is not None:
                self.urls.append((name, attrs[name]))
        if attrs.get("data-spec") is not None:
            self.charts.append({"spec": attrs["data-spec"], "data": attrs["data-data"]})


def parse(path: Path) -> Links:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def resolve(page: Path, url: str) -> Path:
    target = unquote(url.split("#")[0].split("?")[0])
    base = page.parent
    resolved = (base / target) if target else page
    return resolved / "index.html" if (target.endswith("/") or target in ("", ".", "./")) and target else resolved


def pages(out: Path) -> list[Path]:
    return sorted(out.rglob("index.html"))


EXPECTED_PAGES = [
    "index.html",
    "activity/index.html",
    "campaigns/index.html",
    "retention/index.html",
    "campaign-retention/index.html",
    "wikis/index.html",
    "usage/index.html",
    "downloads/index.html",
    "methodology/index.html",
    "status/index.html",
]


# --- tests --------------------------------------------------------------------------------------------


def test_every_expected_page_exists(site):
    out, paths = site
    for page in EXPECTED_PAGES:
        assert (out / page).is_file(), page
    campaign_pages = list((out / "campaigns").glob("*/index.html"))
    assert len(campaign_pages) == 3
    assert (out / "assets" / "vega.js").stat().st_size > 100_000
    assert set(paths) >= {out / page for page in EXPECTED_PAGES}


def test_hostile_slug_stays_inside_campaigns(site):
    out, _ = site
    assert (out / "campaigns" / "etc-passwd-100" / "index.html").is_file()
    assert (out / "campaigns" / "Wiki-Loves-Café-2024-101" / "index.html").is_file()
    assert (out / "data/v1/campaigns/etc-passwd-100/campaign_activity.json").is_file()
    assert not (out.parent / "etc").exists()
    for path in out.rglob("*"):
        assert path.resolve().is_relative_to(out.resolve())


def test_chart_data_urls_resolve_relative_to_the_page(site):
    out, _ = site
    seen = 0
    for page in pages(out):
        for chart in parse(page).charts:
            for url in chart.values():
                assert not url.startswith(("/", "http")), url
                assert resolve(page, url).is_file(), f"{page}: {url}"
            spec = json.loads(resolve(page, chart["spec"]).read_text(encoding="utf-8"))
            assert [d.get("url") for d in spec["data"]].count("almanac:data") >= 1
            assert not any("values" in d for d in spec["data"] if d.get("url"))
            assert spec.get("description")
            seen += 1
    assert seen >= 15


def test_every_local_link_and_image_resolves(site):
    out, _ = site
    for page in pages(out):
        for attribute, url in parse(page).urls:
            if url.startswith(("https://", "http://")):
                assert attribute == "href" and url.startswith(EXTERNAL_LINK_PREFIXES), f"{page}: {url}"
                continue
            if url.startswith(("#", "data:")) or url == "../status.json" or url == "../../status.json":
                continue
            target = page.parent / unquote(url.split("#")[0])
            if url.split("#")[0].endswith("/") or url.split("#")[0] in ("", "./"):
                target = target / "index.html"
            assert target.resolve().is_file(), f"{page}: {attribute}={url}"


def test_no_absolute_or_external_resources(site):
    out, _ = site
    for page in pages(out):
        html = page.read_text(encoding="utf-8")
        for attribute, url in re.findall(r'\b(src|href)="([^"]*)"', html):
            assert not url.startswith("/"), f"{page}: absolute {url}"
            if url.startswith(("http://", "https://")):
                assert attribute == "href" and url.startswith(EXTERNAL_LINK_PREFIXES), f"{page}: {url}"
        assert '<link rel="stylesheet" href="http' not in html


def test_hostile_titles_are_escaped(site):
    out, _ = site
    checked = 0
    for page in pages(out):
        html = page.read_text(encoding="utf-8")
        assert HOSTILE not in html, page
        assert "<script>alert" not in html, page
        if "alert(" in html:
            checked += 1
    assert checked >= 2  # the campaign page and the campaigns index show the escaped title
    assert (
        "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in (out / "campaigns/etc-passwd-100/index.html").read_text()
    )


def test_suppressed_and_censored_are_words(site):
    out, _ = site
    hostile = (out / "campaigns/etc-passwd-100/index.html").read_text()
    assert "too few to publish" in hostile  # campaign 0 has fewer than k_min new editors
    totals = hostile.split("totals-heading", 1)[1].split("activity-heading", 1)[0]
    assert "too few to publish" in totals  # campaigns.new_editors is empty for a suppressed group
    activity = (out / "activity/index.html").read_text()
    assert "too few to publish" in activity  # monthly_activity.new_participants of a small cohort
    normal = (out / "campaigns/Wiki-Loves-Café-2024-101/index.html").read_text()
    assert "not yet measurable" in normal  # k = 6 has not ended by the as-of date
    heatmap = (out / "retention/index.html").read_text()
    assert "not yet measurable" in heatmap and "too few to publish" in heatmap
    table = heatmap.split("<details", 1)[1]
    assert "<td></td>" not in table


def test_headlines_are_formatted_with_exact_values(site):
    out, _ = site
    home = (out / "index.html").read_text()
    assert 'title="12,345,678' in home and ">12.3 M<" in home
    assert ">2.3 B<" in home
    assert ">98,765<" in home
    assert "2025-06-15" in home


def test_static_svg_fallbacks(site):
    out, _ = site
    for folder, chart in [
        ("", "home-participants"),
        ("activity", "activity-edits"),
        ("retention", "retention-heatmap"),
        ("campaign-retention", "campaign-retention-strip"),
    ]:
        svg = out / folder / f"{chart}.svg"
        assert svg.is_file(), svg
        text = svg.read_text()
        assert text.startswith("<svg") and ("<path" in text or "<rect" in text)


def test_methodology_prints_settings_and_definitions(site):
    out, _ = site
    html = (out / "methodology/index.html").read_text()
    for phrase in [
        "Participant",
        "Withdrawn",
        "As-of date",
        "Suppression",
        "Cohort",
        "Active month",
        "Months since",
        "Censoring",
        "Campaign start and end",
        "New editor of a campaign",
        "Edits",
        "Windows",
        "Retained at k",
        "5.175",
        "60 days",
        "counted once",
        "Private programs",
        "2025-06-15",
        "1, 3 and 6",
    ]:
        assert phrase.lower() in html.lower(), phrase
    assert "k_min = <strong>5</strong>" in html


def test_status_page_and_downloads(site):
    out, _ = site
    status = (out / "status/index.html").read_text()
    assert "2025-06-15T03:04:05Z" in status and "12 s" in status
    downloads = (out / "downloads/index.html").read_text()
    for name in SCHEMAS:
        assert f'id="{name}"' in downloads
    assert "datapackage.json" in downloads and "training_completion_rate" in downloads


def test_missing_dataset_is_said_plainly(tmp_path):
    make_site(
        tmp_path, without=("program_retention", "campaign_activity", "system_totals", "wikis", "campaign_courses")
    )
    retention = (tmp_path / "retention/index.html").read_text()
    assert "Not available" in retention and "program_retention" in retention
    assert "query timed out" in retention
    home = (tmp_path / "index.html").read_text()
    assert "Not available" in home and "Some numbers are not up to date" in home
    campaign = (tmp_path / "campaigns/campaign-0002/index.html").read_text()
    assert "Not available" in campaign and "campaign_activity" in campaign
    assert "campaign_courses" in campaign.split("programs-heading", 1)[1]
    assert "Not available" in (tmp_path / "wikis/index.html").read_text()


def test_stale_banner_names_stale_datasets(tmp_path):
    make_site(tmp_path, stale=("campaigns",))
    home = (tmp_path / "index.html").read_text()
    assert "Some numbers are not up to date" in home and "Campaigns" in home.split("banner", 1)[1][:600]


def test_nothing_at_all(tmp_path):
    settings = load_settings(None, as_of=AS_OF)
    render_site({}, {}, {}, settings, tmp_path, checked_content())
    for page in EXPECTED_PAGES:
        assert (tmp_path / page).is_file()
    assert "Not available" in (tmp_path / "index.html").read_text()


def test_pages_of_campaigns_no_longer_published_are_removed(tmp_path):
    make_site(tmp_path)
    old = tmp_path / "campaigns/gone-campaign"
    old.mkdir()
    (old / "index.html").write_text("old page")
    keep = tmp_path / "campaigns/not-a-page"
    keep.mkdir()
    (keep / "notes.txt").write_text("someone else's file")
    make_site(tmp_path)
    assert not old.exists() and (keep / "notes.txt").exists()
    assert (tmp_path / "campaigns/etc-passwd-100/index.html").is_file()


def test_unchanged_pages_are_not_rewritten(tmp_path):
    make_site(tmp_path)
    page = tmp_path / "campaigns/campaign-0002/index.html"
    before = page.stat().st_mtime_ns
    make_site(tmp_path)
    assert page.stat().st_mtime_ns == before


@pytest.mark.parametrize(
    ("slug", "id", "taken", "expected"),
    [
        ("wiki_loves_monuments_2024", 1, set(), "wiki_loves_monuments_2024"),
        ("wiki-loves-monuments-2024", 1, set(), "wiki-loves-monuments-2024"),
        ("Wiki Loves Monuments 2024", 1, set(), "Wiki-Loves-Monuments-2024-1"),
        ("../../etc/passwd", 9, set(), "etc-passwd-9"),
        ("..", 4, set(), "4"),
        ("/", 5, set(), "5"),
        ("", 6, set(), "6"),
        ("   ", 7, set(), "7"),
        ("Café_crème", 2, set(), "Café_crème"),
        ("Cafe\u0301", 2, set(), "Café"),  # NFC: the folder is the composed form
        ("вики-весна_2021", 14, set(), "вики-весна_2021"),
        ("ويكي_تحدي_2015", 25, set(), "ويكي_تحدي_2015"),
        ("维基百科亚洲月_2016", 24, set(), "维基百科亚洲月_2016"),
        ("विकि_लव्स_महिला_2022", 26, set(), "विकि_लव्स_महिला_2022"),  # vowel signs are marks, kept
        ("2024", 3, set(), "2024"),
        ("semaine_de_l'afrique_2021", 10, set(), "semaine_de_l-afrique_2021-10"),
        ("-edge-", 1, set(), "edge-1"),
        ("index", 11, set(), "index-11"),
        ("assets", 12, set(), "assets-12"),
        ("CON", 13, set(), "CON-13"),
        ("art+feminism", 3, set(), "art-feminism-3"),
        ("wlm", 7, {"wlm"}, "wlm-7"),
        ("WLM", 7, {"wlm"}, "WLM-7"),  # unique ignoring case, for case-insensitive file systems
        ("Art Feminism", 3, {"art-feminism-3"}, "Art-Feminism-3-2"),
        ("x" * 200, 1, set(), "x" * 80 + "-1"),
        ("a/b\\c", 1, set(), "a-b-c-1"),
        ("<script>", 1, set(), "script-1"),
    ],
)
def test_entity_slug(slug, id, taken, expected):
    before = set(taken)
    result = entity_slug(slug, id, taken)
    assert result == expected
    assert taken == before  # pure
    assert "/" not in result and "\\" not in result and not result.startswith(".")
    assert result.casefold() not in RESERVED and result.casefold() not in taken


@pytest.mark.parametrize(
    ("value", "compact", "exact"),
    [
        (None, "—", "—"),
        (0, "0", "0"),
        (999_999, "999,999", "999,999"),
        (1_234_567, "1.2 M", "1,234,567"),
        (999_960_000, "1.0 B", "999,960,000"),
        (2_345_678_901, "2.3 B", "2,345,678,901"),
    ],
)
def test_number_formats(value, compact, exact):
    from build.formatting import format_compact, format_number

    assert (format_compact(value), format_number(value)) == (compact, exact)


def test_non_latin_campaign_keeps_its_slug_and_links_percent_encode_it(tmp_path):
    frames = make_frames(3, hostile=False)
    for name in ("campaigns", "campaign_activity", "campaign_courses", "campaign_retention"):
        frames[name]["campaign"] = frames[name]["campaign"].replace("campaign-0002", "вики-весна_2021")
    make_site(tmp_path, frames=frames)
    assert (tmp_path / "campaigns/вики-весна_2021/index.html").is_file()
    assert (tmp_path / "data/v1/campaigns/вики-весна_2021/campaign_activity.csv").is_file()
    index = (tmp_path / "campaigns/index.html").read_text()
    assert 'href="../campaigns/%D0%B2%D0%B8%D0%BA%D0%B8-%D0%B2%D0%B5%D1%81%D0%BD%D0%B0_2021/"' in index


def test_campaign_collisions_give_distinct_stable_folders(tmp_path):
    frames = make_frames(3, hostile=False)
    for name in ("campaigns", "campaign_activity", "campaign_courses", "campaign_retention"):
        frames[name]["campaign"] = frames[name]["campaign"].replace({"campaign-0000": "WLM", "campaign-0002": "wlm"})
    make_site(tmp_path, frames=frames)
    assert (tmp_path / "campaigns/WLM/index.html").is_file()  # both safe: the smaller id (100) keeps its name
    assert (tmp_path / "campaigns/wlm-102/index.html").is_file()
    folders = sorted(p.name for p in (tmp_path / "campaigns").iterdir() if p.is_dir())
    assert len({f.casefold() for f in folders}) == len(folders) == 3


def test_markdown_page_front_matter_and_template_errors(tmp_path):
    templates = tmp_path / "templates"
    (templates / "pages").mkdir(parents=True)
    (templates / "pages" / "about.md").write_text(
        "---\ntitle: About us\nnav_order: 5\n---\n\nk is {{ settings.k_min }}. <b>{{ '<i>' }}</b>\n", encoding="utf-8"
    )
    (templates / "pages" / "status.html").write_text(
        "---\ntitle: Status\nnav_order: 9\n---\n{% extends 'layouts/base.html' %}{% block content %}ok{% endblock %}"
    )
    out = tmp_path / "site"
    settings = load_settings(None, as_of=AS_OF)
    render_site({}, {}, {}, settings, out, load_content(templates))
    about = (out / "about/index.html").read_text()
    assert "About us" in about and "k is 5." in about and "&lt;i&gt;" in about
    assert 'href="../about/"' in (out / "status/index.html").read_text()

    def problems():
        with pytest.raises(RenderError) as caught:
            check_content(load_content(templates), {}, settings)
        return str(caught.value)

    (templates / "pages" / "broken.md").write_text("---\ntitle: Broken\n---\n\nline\n{{ settings.k_mni }}\n")
    assert re.search(r"broken\.md:6", problems())
    (templates / "pages" / "broken.md").write_text("---\ntitle: Broken\n---\n\n{% if %}\n")
    assert re.search(r"broken\.md:5", problems())
    (templates / "pages" / "broken.md").write_text("---\nlayout: page.html\n---\nno title\n")
    with pytest.raises(RenderError, match="title"):
        load_content(templates)


def campaign_index_frames(n_campaigns: int) -> dict[str, pd.DataFrame]:
    """make_frames' rows for `n_campaigns` campaigns, their ends spread over ten years (the year filter)."""
    frames = make_frames(n_campaigns, hostile=False)
    campaigns = frames["campaigns"].copy()
    campaigns["end_date"] = [f"{2016 + i % 10}-03-31" for i in range(len(campaigns))]
    campaigns["start_date"] = [f"{2016 + i % 10}-01-01" for i in range(len(campaigns))]
    frames["campaigns"] = campaigns
    return frames


def render_campaign_index(out: Path, n_campaigns: int) -> pd.DataFrame:
    """The campaign index (campaigns/index.html) alone, with the site's CSS and scripts, for `n_campaigns`
    campaigns: a cheap fixture of a large index (no chart compiled, no Vega bundle, no campaign page or
    campaign file written; the datasets' own files are). Returns the campaigns frame."""
    import dataclasses

    from build.render import TEMPLATES, Site

    frames = campaign_index_frames(n_campaigns)
    datasets = {name: empty_dataset(name).with_frame(frames[name]) for name in SCHEMAS}
    for dataset in datasets.values():
        publish_dataset(dataset, out)
    content = dataclasses.replace(load_content(), chart_defs={})
    site = Site(content, datasets, make_status(list(SCHEMAS)), load_settings(None, as_of=AS_OF), out)
    for source in sorted((TEMPLATES / "assets").iterdir()):
        site.write(f"assets/{source.name}", source.read_bytes())
    index = next(page for page in content.pages if page.folder == "campaigns" and page.entity is None)
    site.render_page(index)
    return frames["campaigns"]
