"""Alerts: one issue per change (open, update, close) decided on pairs of status documents; the status
history's events and their Atom feed."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET

import pytest

from build import alerts
from tests.conftest import run_build

NOW = dt.datetime(2026, 12, 2, 6, 0, tzinfo=dt.UTC)
ATOM = "{http://www.w3.org/2005/Atom}"


def status(built_at="2026-12-02T05:20:00Z", **datasets) -> dict:
    """A status.json document: datasets given as name=(status, last_success)."""
    return {
        "as_of": built_at[:10],
        "built_at": built_at,
        "datasets": [
            {"name": name, "status": state, "last_success": since} for name, (state, since) in sorted(datasets.items())
        ],
    }


FRESH = ("fresh", "2026-12-02T05:20:00Z")
STALE_1_DAY = ("stale", "2026-12-01T05:20:00Z")
STALE_3_DAYS = ("stale", "2026-11-29T05:20:00Z")
NEVER = ("missing", None)


@pytest.mark.parametrize(
    ("document", "issue_open", "action"),
    [
        (status(a=FRESH, b=FRESH), False, "none"),
        (status(a=FRESH, b=FRESH), True, "close"),
        (status(a=FRESH, b=STALE_1_DAY), False, "none"),  # within the threshold: not yet worth a mail
        (status(a=FRESH, b=STALE_1_DAY), True, "close"),  # what the issue named is fresh; b is not yet worth it
        (status(a=FRESH, b=STALE_3_DAYS), False, "open"),
        (status(a=NEVER, b=FRESH), False, "open"),
        (None, False, "open"),  # a build that published nothing
    ],
)
def test_decide_on_a_status_document(document, issue_open, action):
    body = "Almanac's scheduled build needs attention:\n\n- `x` is stale: last fresh long ago.\n" if issue_open else ""
    decision = alerts.decide(document, issue_open=issue_open, issue_body=body, stale_after_days=2, now=NOW)
    assert decision.action == action
    if action in ("open", "update"):
        assert decision.title and "- " in decision.body


def test_the_same_problems_again_change_nothing_and_new_ones_update():
    first = alerts.decide(status(b=STALE_3_DAYS), issue_open=False, issue_body="", stale_after_days=2, now=NOW)
    assert first.action == "open" and "`b` is stale" in first.body
    same = alerts.decide(status(b=STALE_3_DAYS), issue_open=True, issue_body=first.body, stale_after_days=2, now=NOW)
    assert same.action == "none", "maintainers hear about a problem once, not daily"
    worse = alerts.decide(
        status(a=STALE_3_DAYS, b=STALE_3_DAYS), issue_open=True, issue_body=first.body, stale_after_days=2, now=NOW
    )
    assert worse.action == "update" and "`a` is stale" in worse.body
    failed = alerts.decide(None, issue_open=True, issue_body=first.body, stale_after_days=2, now=NOW)
    assert failed.action == "update" and "published nothing" in failed.body


def build(time: str, *stale: str, outcome: str | None = None) -> dict:
    return {
        "built_at": time,
        "as_of": time[:10],
        "outcome": outcome or ("stale" if stale else "fresh"),
        "stale": list(stale),
        "seconds": 9.5,
    }


HISTORY = [
    build("2026-11-28T05:17:00Z"),
    build("2026-11-29T05:17:00Z", "campaigns"),
    build("2026-11-30T05:17:00Z", "campaigns", "wikis"),
    build("2026-12-01T05:17:00Z", outcome="failed"),
    build("2026-12-02T05:17:00Z", "wikis"),
]


def test_events_are_the_changes_between_builds():
    found = [(e.time[:10], e.kind, e.dataset) for e in alerts.events(HISTORY)]
    assert found == [
        ("2026-11-29", "stale", "campaigns"),
        ("2026-11-30", "stale", "wikis"),
        ("2026-12-01", "build failed", None),
        ("2026-12-02", "build recovered", None),
        ("2026-12-02", "fresh again", "campaigns"),
    ]


def test_history_is_bounded_and_one_entry_per_build():
    history = []
    for day in range(1, 31):
        history = alerts.append(history, build(f"2026-11-{day:02d}T05:17:00Z"), limit=7)
    history = alerts.append(history, build("2026-11-30T05:17:00Z", "wikis"), limit=7)
    assert len(history) == 7 and history[0]["built_at"].startswith("2026-11-24")
    assert history[-1]["stale"] == ["wikis"], "a rebuild at the same time replaces its entry"
    entry = alerts.history_entry(status(a=FRESH, b=STALE_1_DAY), 12.345)
    assert entry == {
        "built_at": "2026-12-02T05:20:00Z",
        "as_of": "2026-12-02",
        "outcome": "stale",
        "stale": ["b"],
        "seconds": 12.3,
    }


def test_atom_feed_is_well_formed_newest_first_and_deterministic():
    feed = alerts.atom(HISTORY, title="Metrics <&>", site_url="https://example.org/almanac")
    assert feed == alerts.atom(HISTORY, title="Metrics <&>", site_url="https://example.org/almanac")
    root = ET.fromstring(feed)
    assert root.find(f"{ATOM}title").text == "Metrics <&>: build status"
    entries = root.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries][:2] == ["campaigns is fresh again", "Build recovered"]
    ids = [e.find(f"{ATOM}id").text for e in entries]
    assert len(ids) == len(set(ids)) == 5
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == "https://example.org/almanac/status.atom"
    no_base = ET.fromstring(alerts.atom(HISTORY, title="M", site_url=""))
    assert no_base.find(f"{ATOM}id").text.startswith("urn:almanac:")
    assert no_base.find(f"{ATOM}link") is None, "a feed link must be absolute: none without base_url"


def test_alert_command_prints_the_decision(tmp_path):
    path = tmp_path / "status.json"
    path.write_text(json.dumps(status(built_at="2020-01-05T05:00:00Z", a=("stale", "2020-01-01T05:00:00Z"))))
    result = run_build("alert", "--status", str(path))
    assert result.returncode == 0, result.stderr
    decision = json.loads(result.stdout)
    assert decision["action"] == "open" and "`a` is stale" in decision["body"]
    result = run_build("alert", "--failed", "--issue-open")
    assert json.loads(result.stdout)["action"] == "update"
