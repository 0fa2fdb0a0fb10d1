"""The status page for readers (issue 10 item 6, issue 12 item 4): plain words on whether the numbers are
current, the last and next update, the month the data is complete through, the recent builds as a timeline
that does not rely on colour, the Atom feed linked; maintainers' details below a fold."""

from __future__ import annotations

import json
import re

from test_render import AS_OF, SCHEMAS, checked_content, empty_dataset, make_frames, make_status, publish_all

from build.config import load_settings
from build.render import render_site

HISTORY = [
    {"built_at": "2025-06-13T05:17:40Z", "as_of": "2025-06-13", "outcome": "fresh", "stale": [], "seconds": 61.0},
    {"built_at": "2025-06-14T05:17:42Z", "as_of": "2025-06-14", "outcome": "failed", "stale": [], "seconds": 3.5},
    {
        "built_at": "2025-06-15T03:04:05Z",
        "as_of": "2025-06-15",
        "outcome": "stale",
        "stale": ["campaign_retention"],
        "seconds": 185.0,
    },
]


def status_page(tmp_path, history, stale=()) -> str:
    frames = make_frames(3, True)
    content = checked_content()
    datasets = {name: empty_dataset(name).with_frame(frames[name]) for name in SCHEMAS}
    published = publish_all(datasets, tmp_path, content)
    status = {**make_status(list(SCHEMAS), stale=stale), "next_update": "2025-06-16T05:17:00Z"}
    settings = load_settings(None, as_of=AS_OF)
    render_site(datasets, published, status, settings, tmp_path, content, (lambda: history) if history else None)
    return (tmp_path / "status/index.html").read_text(encoding="utf-8")


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_status_page_says_in_words_when_and_what(tmp_path):
    html = status_page(tmp_path, HISTORY, stale=["campaign_retention"])
    readers, maintainers = html.split('<details class="maintainers">')
    words = text(readers)
    assert "Some numbers are not up to date." in words and "could not refresh 1 of" in words
    assert "Last updated 2025-06-15 03:04 UTC" in words
    assert "Next update due 2025-06-16 05:17 UTC" in words
    assert 'id="dataset-campaign_retention"' in readers  # the stale banner's links land here
    assert "query timed out" not in readers and "exit code" not in readers  # those are for maintainers
    assert "query timed out" in maintainers and "exit code 1" in maintainers
    head = html.split("</head>")[0]
    assert '<link rel="alternate" type="application/atom+xml" href="../status.atom"' in head


def test_the_timeline_lists_the_last_builds_newest_first_in_words(tmp_path):
    html = status_page(tmp_path, HISTORY)
    table = html.split('<table id="history-table">')[1].split("</table>")[0]
    rows = [text(row).strip() for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S)]
    assert len(rows) == 3
    assert rows[0].startswith("2025-06-15 03:04 UTC") and "some stale" in rows[0] and "campaign_retention" in rows[0]
    assert "3 min 5 s" in rows[0]
    assert rows[1].startswith("2025-06-14 05:17 UTC") and "failed" in rows[1]
    assert rows[2].startswith("2025-06-13 05:17 UTC") and "up to date" in rows[2] and "1 min 1 s" in rows[2]
    strip = html.split('<ol class="timeline"')[1].split("</ol>")[0]
    hidden = re.findall(r'<span class="visually-hidden">([^<]*)</span>', strip)
    assert hidden == [
        "2025-06-15 03:04 UTC: some stale",
        "2025-06-14 05:17 UTC: failed",
        "2025-06-13 05:17 UTC: up to date",
    ]
    assert "1 refreshed every dataset, 1 left some datasets stale and 1 failed" in text(html)


def test_without_a_history_the_page_says_so_and_links_no_feed(tmp_path):
    html = status_page(tmp_path, [])
    assert "No history of updates is kept for this build." in html and "status.atom" not in html
    assert "The numbers are up to date." in html


def test_a_real_build_shows_itself_and_the_month_its_data_is_complete_through(demo_site):
    html = (demo_site / "status/index.html").read_text(encoding="utf-8")
    status = json.loads((demo_site / "status.json").read_text(encoding="utf-8"))
    history = json.loads((demo_site / "status-history.json").read_text(encoding="utf-8"))
    assert history[-1]["built_at"] == status["built_at"]
    table = html.split('<table id="history-table">')[1].split("</table>")[0]
    assert f'<time datetime="{status["built_at"]}">' in table.split("</tr>")[1]  # the first row: this build
    months = json.loads((demo_site / "data/v1/monthly_activity.json").read_text(encoding="utf-8"))
    complete = max(row["month"] for row in months if row["complete"])
    assert any(not row["complete"] for row in months), "the demo has no incomplete month to tell apart"
    names = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October"]
    names += ["November", "December"]
    month_words = f"{names[int(complete[5:7]) - 1]} {complete[:4]}"
    assert f"Monthly data complete through</dt><dd>the end of {month_words}" in html
