"""The rendered site in headless Chromium: charts draw, nothing fails, nothing leaves 127.0.0.1, axe passes.

Needs Debian's chromium (/usr/bin/chromium) and the playwright package (no `playwright install`).
Skipped with a reason when either is missing, unless CI=true, where a missing browser fails.
Accessibility uses axe-core from npm (`npm install --no-save axe-core` at the repository root, or
AXE_CORE_PATH=/path/to/axe.min.js); without it the axe test is skipped, except in CI.

The site is served under a sub-path (/project/), as GitHub Pages serves a project site, so any
absolute link would break. Screenshots go to /tmp/almanac-screens/.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest
from test_render import make_site, render_campaign_index

from build.tables import search_key

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parent.parent
AXE = Path(os.environ.get("AXE_CORE_PATH") or ROOT / "node_modules" / "axe-core" / "axe.min.js")
SCREENS = Path("/tmp/almanac-screens")
IN_CI = os.environ.get("CI", "").lower() == "true"

PAGES = [
    "",
    "activity/",
    "campaigns/",
    "campaigns/etc-passwd-100/",
    "campaigns/Wiki-Loves-Caf%C3%A9-2024-101/",
    "campaigns/campaign-0002/",
    "retention/",
    "campaign-retention/",
    "wikis/",
    "usage/",
    "downloads/",
    "methodology/",
    "status/",
]


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def sync_playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -r requirements-dev.txt)")
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    return sync_playwright


@pytest.fixture(scope="module")
def browser(sync_playwright):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield browser
        browser.close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The rendered test site served at http://127.0.0.1:<random port>/project/."""
    served = tmp_path_factory.mktemp("served")
    make_site(served / "project", n_campaigns=3)
    handler = functools.partial(QuietHandler, directory=str(served))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/project/"
    httpd.shutdown()
    httpd.server_close()


class Visit:
    """Opens a page and records console errors/warnings, HTTP errors and requests to other hosts."""

    def __init__(self, browser, base: str, width: int = 1280, height: int = 900):
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.base_host = urlparse(base).netloc
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.on("response", self._response)
        self.page.route("**/*", self._route)

    def _console(self, message):
        if message.type in ("error", "warning") or "WARN" in message.text:
            self.problems.append(f"console {message.type}: {message.text}")

    def _response(self, response):
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def _route(self, route):
        url = urlparse(route.request.url)
        if url.scheme in ("data", "blob") or url.netloc == self.base_host:
            route.continue_()
        else:
            self.problems.append(f"request outside the site: {route.request.url}")
            route.abort()

    def open(self, url: str):
        self.page.goto(url, wait_until="load")
        # Charts draw as they near the screen (charts.js): bring each into view, as a reader scrolling would.
        views = self.page.locator(".chart-view").all()
        for view in views:
            view.scroll_into_view_if_needed()
        # Every chart container ends with an SVG or a canvas drawn by Vega.
        self.page.wait_for_function(
            """() => [...document.querySelectorAll('.chart-view')]
                     .every(v => v.querySelector('.chart-vega svg, .chart-vega canvas'))""",
            timeout=20_000,
        )
        if views:  # charts fetch their data and the Vega bundle after load; a page without charts fetches
            self.page.wait_for_load_state("networkidle")  # nothing more (networkidle there timed out once in CI)
        return self.page

    def close(self):
        self.context.close()


@pytest.mark.parametrize("path", PAGES)
def test_page_draws_without_errors(browser, server, path):
    visit = Visit(browser, server)
    try:
        page = visit.open(server + path)
        charts = page.locator(".chart-view").count()
        drawn = page.locator(".chart-view .chart-vega svg, .chart-view .chart-vega canvas").count()
        assert drawn >= charts
        assert page.locator(".chart-fallback").count() == 0, "the static fallback stays after vega drew the chart"
        if path in ("", "activity/", "retention/", "campaign-retention/", "campaigns/Wiki-Loves-Caf%C3%A9-2024-101/"):
            assert charts >= 1
        assert visit.problems == []
    finally:
        visit.close()


def test_sortable_table(browser, server):
    visit = Visit(browser, server)
    try:
        page = visit.open(server + "campaigns/")
        header = page.locator("#campaigns-table th button", has_text="Participants")
        header.click()
        column = page.evaluate(
            "[...document.querySelectorAll('#campaigns-table thead th')]"
            ".findIndex(th => th.textContent.includes('Participants'))"
        )
        assert column > 0
        first = page.locator("#campaigns-table tbody tr").first.locator("td").nth(column).inner_text()
        header.click()
        last_first = page.locator("#campaigns-table tbody tr").first.locator("td").nth(column).inner_text()
        assert int(first) < int(last_first)
        assert page.locator("#campaigns-table th[aria-sort=descending]").count() == 1
        assert visit.problems == []
    finally:
        visit.close()


def test_campaign_search_filters_rows(browser, server):
    visit = Visit(browser, server)
    try:
        page = visit.open(server + "campaigns/")
        rows = page.locator("#campaigns-table tbody tr")
        assert rows.count() == 3
        page.fill(".table-search input", "CAFE")  # case- and accent-insensitive: finds "Café"
        visible = [r for r in rows.all() if r.is_visible()]
        assert len(visible) == 1 and "Café" in visible[0].inner_text()
        assert "1 of 3" in page.locator(".table-search output").inner_text()
        assert visit.problems == []
    finally:
        visit.close()


@pytest.fixture(scope="module")
def large_index(tmp_path_factory):
    """The campaign index alone with 1,500 campaigns (tests/test_render.py's rows), served under /project/."""
    served = tmp_path_factory.mktemp("large")
    campaigns = render_campaign_index(served / "project", 1500)
    handler = functools.partial(QuietHandler, directory=str(served))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/project/campaigns/", campaigns
    httpd.shutdown()
    httpd.server_close()


def test_search_and_filter_1500_campaigns(browser, large_index):
    url, campaigns = large_index
    keys = [search_key(f"{row.title} {row.campaign}") for row in campaigns.itertuples()]
    visit = Visit(browser, url)
    try:
        page = visit.open(url)
        assert page.locator("#campaigns-table tbody tr").count() == 1500

        def shown() -> list[str]:
            return page.evaluate(
                "() => [...document.querySelectorAll('#campaigns-table tbody tr')].filter(r => !r.hidden)"
                ".map(r => r.cells[0].textContent.trim())"
            )

        page.fill(".table-search input", "CAMPAIGN 14")
        expected = [row.title for row, key in zip(campaigns.itertuples(), keys, strict=True) if "14" in key]
        assert 100 < len(expected) < 1500
        assert sorted(shown()) == sorted(expected)
        assert f"{len(expected)} of 1500 rows" in page.locator(".table-search output").inner_text()
        page.get_by_label("End (year)").select_option("2020")
        ended_2020 = {row.title for row in campaigns.itertuples() if row.end_date.startswith("2020")}
        both = [title for title in expected if title in ended_2020]
        assert 0 < len(both) < len(expected)
        assert sorted(shown()) == sorted(both)
        page.fill(".table-search input", "")
        assert len(shown()) == sum(end.startswith("2020") for end in campaigns.end_date) == 150
        page.get_by_label("End (year)").select_option("")
        assert len(shown()) == 1500
        assert visit.problems == []
    finally:
        visit.close()


def test_a_campaign_page_fetches_only_its_own_rows(browser, server):
    visit = Visit(browser, server)
    fetched = []
    visit.page.on("request", lambda request: fetched.append(request.url))
    try:
        visit.open(server + "campaigns/Wiki-Loves-Caf%C3%A9-2024-101/")
        data = [url for url in fetched if "/data/" in url]
        assert data, "the campaign page drew no chart"
        assert all("/data/v1/campaigns/Wiki-Loves-Caf%C3%A9-2024-101/" in url for url in data), data
        assert visit.problems == []
    finally:
        visit.close()


def test_without_javascript_the_static_svg_shows(browser, server):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(server + "retention/")
        images = page.locator("img.chart-fallback")
        assert images.count() == 2  # the summary curve and the heatmap
        for image in images.all():
            assert page.evaluate("img => img.complete && img.naturalWidth > 0", image.element_handle())
        assert page.locator("details.chart-table table").count() == 2
        page.goto(server + "campaigns/")
        assert page.locator("#campaigns-table tbody tr").count() == 3  # every row, no search box
        assert page.locator(".table-search").count() == 0
    finally:
        context.close()


def test_accessibility(browser, server):
    if not AXE.is_file():
        if IN_CI:
            pytest.fail(f"CI=true but axe-core is missing at {AXE} (npm install --no-save axe-core)")
        pytest.skip(f"axe-core not found at {AXE}: run `npm install --no-save axe-core` or set AXE_CORE_PATH")
    failures = []
    for path in PAGES:
        visit = Visit(browser, server)
        try:
            page = visit.open(server + path)
            page.add_script_tag(path=str(AXE))
            violations = page.evaluate(
                "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
                " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
            )
            for violation in violations:
                if violation["impact"] in ("serious", "critical"):
                    failures.append(
                        f"{path or 'home'}: {violation['id']} ({violation['help']}) at {violation['nodes']}"
                    )
        finally:
            visit.close()
    assert failures == []


@pytest.mark.parametrize(("name", "width"), [("desktop", 1280), ("mobile", 375)])
def test_screenshots(browser, server, name, width):
    """Screenshots to look at (not compared): home, heatmap, one campaign page; no horizontal scroll."""
    SCREENS.mkdir(exist_ok=True)
    for path, label in [
        ("", "home"),
        ("retention/", "retention"),
        ("campaigns/Wiki-Loves-Caf%C3%A9-2024-101/", "campaign"),
    ]:
        visit = Visit(browser, server, width=width, height=800)
        try:
            page = visit.open(server + path)
            page.screenshot(path=str(SCREENS / f"{label}-{name}.png"), full_page=True)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{label} scrolls sideways by {overflow}px at {width}px"
            assert visit.problems == []
        finally:
            visit.close()


def teardown_module():
    shutil.rmtree(SCREENS / "tmp", ignore_errors=True)
