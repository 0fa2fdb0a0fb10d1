"""The organizer's questions, asked of the default demo in headless Chromium (issue 10).

Every test first asserts it found what it inspects (charts, marks, labels, rows), then fails on: a
chart without a tooltip on hover or keyboard focus, a campaign search or filter that does not filter,
horizontal scrolling at 375 px, axis labels whose boxes overlap, a serious axe-core violation in
light or dark mode, a campaign page that fetches another campaign's rows. One browser for the module;
the demo is built once (default scale, as of 2026-11-01). Needs /usr/bin/chromium and playwright;
skipped without them unless CI=true.
"""

from __future__ import annotations

import functools
import http.server
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import pytest
import test_browser
from conftest import checkout_settings
from test_browser import AXE, IN_CI, Visit

# One browser for the module, with test_browser's launch options.
sync_playwright = test_browser.sync_playwright
browser = test_browser.browser

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parent.parent
SITE_PAGES = ["", "activity/", "campaigns/", "retention/", "campaign-retention/", "wikis/", "usage/", "downloads/"]
SITE_PAGES += ["methodology/", "status/"]
MARKS = ", ".join(f".chart-vega svg .mark-{kind}" for kind in ("rect path", "rule line", "symbol path", "tick path"))


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The default demo, built into a temporary folder and served at /project/ (a sub-path)."""
    folder = tmp_path_factory.mktemp("demo")
    dashboard, replica = f"duckdb:///{folder}/dashboard.duckdb", f"duckdb:///{folder}/replica.duckdb"
    build = [sys.executable, str(ROOT / "build.py")]
    subprocess.run([*build, "demo", "--dashboard", dashboard, "--replica", replica], check=True, capture_output=True)
    out = folder / "served" / "project"
    sources = ["--source", f"dashboard={dashboard}", "--source", f"replica={replica}"]
    with checkout_settings():
        result = subprocess.run([*build, "-q", "--as-of", "2026-11-01", "--out", str(out), *sources], cwd=folder)
    assert result.returncode in (0, 1)
    handler = functools.partial(QuietHandler, directory=str(folder / "served"))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    campaigns = sorted(p.parent.name for p in out.resolve().glob("campaigns/*/index.html"))
    assert len(campaigns) >= 10
    yield {"base": f"http://127.0.0.1:{httpd.server_address[1]}/project/", "out": out, "campaigns": campaigns}
    httpd.shutdown()
    httpd.server_close()


def campaign_with_charts(demo) -> str:
    """A campaign page with activity and retention charts (the demo's first with both)."""
    for slug in demo["campaigns"]:
        html = (demo["out"] / "campaigns" / slug / "index.html").read_text(encoding="utf-8")
        if 'id="chart-campaign-edits"' in html and 'id="chart-campaign-retention"' in html:
            return slug
    raise AssertionError("no demo campaign has both activity and retention charts")


def tooltip_shown(page) -> str:
    """The text of the chart tooltip on screen (assets/charts.js draws one box per chart), or ""."""
    shown = [t for t in page.locator(".chart-tooltip").all() if t.is_visible()]
    return shown[0].inner_text() if shown else ""


def test_every_chart_shows_values_on_hover_and_keyboard_focus(browser, demo):
    slug = campaign_with_charts(demo)
    pages = ["", "activity/", "retention/", "campaign-retention/", "wikis/", "usage/", f"campaigns/{quote(slug)}/"]
    checked, failures = 0, []
    for path in pages:
        visit = Visit(browser, demo["base"])
        try:
            page = visit.open(demo["base"] + path)
            views = page.locator(".chart-view")
            assert views.count() >= 1, f"{path or 'home'}: no chart found"
            for index in range(views.count()):
                view = views.nth(index)
                name = view.get_attribute("data-chart")
                marks = page.evaluate(
                    "([view, marks]) => [...view.querySelectorAll(marks)]"
                    ".filter(m => { const b = m.getBoundingClientRect(); return b.width + b.height > 0"
                    " && !m.closest('.role-axis, .role-legend'); }).length",
                    [view.element_handle(), MARKS],
                )
                assert marks > 0, f"{name}: no marks drawn"
                view.scroll_into_view_if_needed()
                found = ""
                for at in (0.5, 0.25, 0.75):  # point at a drawn mark, as a reader would
                    box = page.evaluate(
                        "([view, marks, at]) => { const all = [...view.querySelectorAll(marks)].filter(m => {"
                        " const b = m.getBoundingClientRect();"
                        " return b.width + b.height > 0 && !m.closest('.role-axis, .role-legend'); });"
                        " const b = all[Math.floor(all.length * at)].getBoundingClientRect();"
                        " return {x: b.left + b.width / 2, y: b.top + b.height / 2}; }",
                        [view.element_handle(), MARKS, at],
                    )
                    page.mouse.move(box["x"], box["y"])
                    page.wait_for_timeout(80)
                    found = tooltip_shown(page)
                    if found:
                        break
                if not found:
                    failures.append(f"{path or 'home'} {name}: no tooltip on hover")
                page.mouse.move(0, 0)
                view.focus()
                page.keyboard.press("ArrowRight")
                page.wait_for_timeout(60)
                if not tooltip_shown(page):
                    failures.append(f"{path or 'home'} {name}: no tooltip on keyboard focus")
                page.keyboard.press("Escape")
                checked += 1
            assert visit.problems == []
        finally:
            visit.close()
    assert checked >= 12
    assert failures == []


LINE_CHART = "activity-participants"  # three series over every month of the demo
RULES = """view => [...view.querySelectorAll('.mark-rule line')].filter(l => !l.closest('.role-axis'))
  .map(l => ({x: l.getBoundingClientRect().left, top: l.getBoundingClientRect().top,
              height: l.getBoundingClientRect().height, shown: +(l.getAttribute('opacity') ?? 1) > 0}))
  .sort((a, b) => a.x - b.x)"""


def monthly_rows(demo, page, view) -> list[dict]:
    """The line chart's rows (its data file), in month order."""
    url = view.get_attribute("data-data")
    return sorted(page.evaluate("url => fetch(url).then(r => r.json())", url), key=lambda row: row["month"])


def month_name(month: str) -> str:
    return datetime.strptime(month, "%Y-%m").strftime("%B %Y")


def test_a_line_chart_shows_the_nearest_month_on_hover(browser, demo):
    visit = Visit(browser, demo["base"])
    try:
        page = visit.open(demo["base"] + "activity/")
        view = page.locator(f'.chart-view[data-chart="{LINE_CHART}"]')
        view.scroll_into_view_if_needed()  # the pointer must reach it: Visit.open leaves the last chart on screen
        assert view.locator(".chart-vega svg .mark-line path").count() >= 3, "no lines drawn"
        rows = monthly_rows(demo, page, view)
        rules = page.evaluate(RULES, view.element_handle())
        assert len(rules) == len(rows) > 12, "one (hidden) rule per month"
        assert not any(rule["shown"] for rule in rules)
        at = len(rules) * 3 // 5
        # Anywhere over the plot, not on a mark: a little right of the month's rule, halfway down.
        page.mouse.move(rules[at]["x"] + 1.5, rules[at]["top"] + rules[at]["height"] / 2)
        page.wait_for_timeout(100)
        shown = [rule for rule in page.evaluate(RULES, view.element_handle()) if rule["shown"]]
        assert len(shown) == 1 and abs(shown[0]["x"] - rules[at]["x"]) < 0.5, "the rule is at the nearest month"
        text = tooltip_shown(page)
        row = rows[at]
        assert f"Month: {month_name(row['month'])}" in text
        assert f"Active participants: {row['active_participants']:,}" in text
        assert "New participants" in text and "New editors" in text
        page.mouse.move(0, 0)
        page.wait_for_timeout(60)
        assert not any(rule["shown"] for rule in page.evaluate(RULES, view.element_handle()))
        assert visit.problems == []
    finally:
        visit.close()


def test_a_line_chart_steps_through_months_with_the_keyboard(browser, demo):
    visit = Visit(browser, demo["base"])
    try:
        page = visit.open(demo["base"] + "activity/")
        view = page.locator(f'.chart-view[data-chart="{LINE_CHART}"]')
        assert view.get_attribute("tabindex") == "0" and "arrow keys" in view.get_attribute("aria-label")
        readout = page.locator(f"#chart-{LINE_CHART} .chart-readout")
        assert readout.get_attribute("aria-live") == "polite"
        rows = monthly_rows(demo, page, view)
        rules = page.evaluate(RULES, view.element_handle())
        assert len(rules) == len(rows) > 12
        view.focus()
        page.wait_for_function("r => r.textContent.length > 0", arg=readout.element_handle())
        first = readout.inner_text()
        assert first.startswith(f"Month: {month_name(rows[0]['month'])};") and readout.is_visible()
        page.keyboard.press("ArrowRight")
        page.wait_for_function("([r, before]) => r.textContent !== before", arg=[readout.element_handle(), first])
        second = readout.inner_text()
        assert second.startswith(f"Month: {month_name(rows[1]['month'])};")
        assert f"Active participants: {rows[1]['active_participants']:,}" in second
        shown = [rule for rule in page.evaluate(RULES, view.element_handle()) if rule["shown"]]
        assert len(shown) == 1 and abs(shown[0]["x"] - rules[1]["x"]) < 0.5, "the rule follows the keys"
        assert month_name(rows[1]["month"]) in tooltip_shown(page)
        page.keyboard.press("End")
        last = month_name(rows[-1]["month"])
        page.wait_for_function("([r, m]) => r.textContent.includes(m)", arg=[readout.element_handle(), last])
        page.keyboard.press("Escape")
        page.wait_for_timeout(60)
        assert readout.inner_text() == "" and tooltip_shown(page) == ""
        assert visit.problems == []
    finally:
        visit.close()


LEGENDS = """() => [...document.querySelectorAll('.chart-vega svg')].map(svg => {
    const area = svg.getBoundingClientRect();
    const legends = [...svg.querySelectorAll('.role-legend')].filter(g => !g.parentElement.closest('.role-legend'));
    const outside = legends.map(g => g.getBoundingClientRect()).filter(b => b.width + b.height > 0
      && (b.left < area.left - 0.5 || b.right > area.right + 0.5
          || b.top < area.top - 0.5 || b.bottom > area.bottom + 0.5));
    const labels = [...svg.querySelectorAll('.role-legend-label text')].filter(t => t.textContent.trim())
      .map(t => t.getBoundingClientRect());
    let overlaps = 0;
    for (let i = 0; i < labels.length; i++) for (let j = i + 1; j < labels.length; j++) {
      const a = labels[i], b = labels[j];
      if (!(a.right - 0.5 <= b.left || b.right - 0.5 <= a.left || a.bottom - 0.5 <= b.top || b.bottom - 0.5 <= a.top))
        overlaps++;
    }
    const box = svg.closest('.chart-view').getBoundingClientRect();  // and the chart within its box on the page
    const wider = area.left < box.left - 0.5 || area.right > box.right + 0.5;
    return {chart: svg.closest('.chart-view').dataset.chart, legends: legends.length, labels: labels.length,
            outside: outside.length + (wider ? 1 : 0), overlaps};
  }).filter(chart => chart.legends)"""


@pytest.mark.parametrize("width", [375, 1280])
def test_legends_fit_inside_their_chart(browser, demo, width):
    failures, legends, labels = [], 0, 0
    for path in ["", "activity/", "retention/", "campaign-retention/", "wikis/", "usage/"]:
        visit = Visit(browser, demo["base"], width=width, height=800)
        try:
            page = visit.open(demo["base"] + path)
            for chart in page.evaluate(LEGENDS):
                legends += chart["legends"]
                labels += chart["labels"]
                if chart["outside"]:
                    failures.append(f"{path or 'home'} {chart['chart']}: a legend runs outside the chart")
                if chart["overlaps"]:
                    failures.append(f"{path or 'home'} {chart['chart']}: {chart['overlaps']} overlapping legend labels")
        finally:
            visit.close()
    assert legends >= 4 and labels >= 8, "the site-wide pages' charts have legends to inspect"
    assert failures == []


def test_campaign_search_and_filters_filter(browser, demo):
    visit = Visit(browser, demo["base"])
    try:
        page = visit.open(demo["base"] + "campaigns/")
        rows = page.locator("#campaigns-table tbody tr")
        total = rows.count()
        assert total == len(demo["campaigns"])

        def shown():
            return page.evaluate(
                "() => [...document.querySelectorAll('#campaigns-table tbody tr')].filter(r => !r.hidden).length"
            )

        first_title = rows.first.locator("td").first.inner_text()
        word = first_title.split()[0].upper()
        page.fill(".table-search input", word)
        assert 0 < shown() < total
        slug = (demo["out"] / "campaigns").resolve().joinpath(demo["campaigns"][0]).name
        page.fill(".table-search input", slug)  # the slug is not shown, but it is searched
        assert shown() >= 1
        page.fill(".table-search input", "")
        status = page.get_by_label("Status")
        assert status.locator("option").count() >= 3  # all, ended, ongoing
        status.select_option("ongoing")
        ongoing = shown()
        assert 0 < ongoing < total
        statuses = page.evaluate(
            "() => [...document.querySelectorAll('#campaigns-table tbody tr')].filter(r => !r.hidden)"
            ".map(r => r.cells[1].textContent)"
        )
        assert set(statuses) == {"ongoing"}
        status.select_option("")
        year = page.get_by_label("End (year)")
        chosen = year.locator("option").nth(1).get_attribute("value") or year.locator("option").nth(1).inner_text()
        year.select_option(chosen)
        ends = page.evaluate(
            "() => [...document.querySelectorAll('#campaigns-table tbody tr')].filter(r => !r.hidden)"
            ".map(r => r.cells[3].textContent)"
        )
        assert ends and all(end.startswith(chosen) for end in ends) and len(ends) < total
        assert visit.problems == []
    finally:
        visit.close()


def test_no_horizontal_scroll_and_nav_on_one_line_at_375(browser, demo):
    slug = campaign_with_charts(demo)
    failures = []
    for path in [*SITE_PAGES, f"campaigns/{quote(slug)}/"]:
        visit = Visit(browser, demo["base"], width=375, height=800)
        try:
            page = visit.open(demo["base"] + path)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            if overflow > 0:
                failures.append(f"{path or 'home'} scrolls sideways by {overflow}px")
            tops = page.evaluate(
                "[...document.querySelectorAll('.site-header nav li')].map(l => l.getBoundingClientRect().top)"
            )
            assert 1 <= len(tops) <= 6
            if len(set(tops)) != 1:
                failures.append(f"{path or 'home'}: the navigation takes {len(set(tops))} lines")
        finally:
            visit.close()
    assert failures == []


def test_axis_labels_do_not_overlap_at_375(browser, demo):
    slug = campaign_with_charts(demo)
    failures, labels_seen = [], 0
    for path in ["", "activity/", "retention/", "wikis/", "usage/", "campaign-retention/", f"campaigns/{quote(slug)}/"]:
        visit = Visit(browser, demo["base"], width=375, height=800)
        try:
            page = visit.open(demo["base"] + path)
            found = page.evaluate(
                """() => [...document.querySelectorAll('.chart-vega svg .role-axis-label')].map(group => {
                     const boxes = [...group.querySelectorAll('text')].filter(t => t.textContent.trim()
                       && +(t.getAttribute('opacity') ?? 1) > 0).map(t => t.getBoundingClientRect());
                     let overlaps = 0;
                     for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
                       const a = boxes[i], b = boxes[j];
                       const apart = a.right - 0.5 <= b.left || b.right - 0.5 <= a.left
                         || a.bottom - 0.5 <= b.top || b.bottom - 0.5 <= a.top;
                       if (!apart) overlaps++;
                     }
                     return {labels: boxes.length, overlaps};
                   })"""
            )
            assert found, f"{path or 'home'}: no axis labels found"
            labels_seen += sum(f["labels"] for f in found)
            for axis in found:
                if axis["overlaps"]:
                    failures.append(f"{path or 'home'}: {axis['overlaps']} overlapping axis labels")
        finally:
            visit.close()
    assert labels_seen > 50
    assert failures == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_accessibility_violation(browser, demo, scheme):
    if not AXE.is_file():
        if IN_CI:
            pytest.fail(f"CI=true but axe-core is missing at {AXE} (npm install --no-save axe-core)")
        pytest.skip(f"axe-core not found at {AXE}: run `npm install --no-save axe-core`")
    slug = campaign_with_charts(demo)
    failures = []
    for path in [*SITE_PAGES, f"campaigns/{quote(slug)}/"]:
        visit = Visit(browser, demo["base"])
        try:
            visit.page.emulate_media(color_scheme=scheme)
            page = visit.open(demo["base"] + path)
            assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
            page.add_script_tag(path=str(AXE))
            violations = page.evaluate(
                "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
            )
            failures += [
                f"{path or 'home'} ({scheme}): {v['id']} at {v['nodes']}"
                for v in violations
                if v["impact"] in ("serious", "critical")
            ]
        finally:
            visit.close()
    assert failures == []


def test_a_campaign_page_fetches_only_its_own_rows(browser, demo):
    slug = campaign_with_charts(demo)
    visit = Visit(browser, demo["base"])
    fetched = []
    visit.page.on("request", lambda request: fetched.append(request.url))
    try:
        visit.open(demo["base"] + f"campaigns/{quote(slug)}/")
        data = [url for url in fetched if "/data/" in url]
        assert len(data) >= 2, "the campaign page drew no chart"
        assert all(f"/data/v1/campaigns/{quote(slug)}/" in url for url in data), data
    finally:
        visit.close()
