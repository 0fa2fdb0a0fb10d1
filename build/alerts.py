"""Alerts: the status history of recent builds, its events (a dataset going stale or fresh again, a failed
build) as an Atom feed, and whether the maintainers' alert issue should be opened, updated or closed.

Pure functions over status documents (status.json) and history entries; no I/O. Maintainers hear about
a problem once: `decide` opens one issue when something has been stale longer than the threshold or a
build failed, updates it only when the set of problems changes, and closes it when all is fresh again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from xml.sax.saxutils import escape

FRESH, STALE, FAILED = "fresh", "stale", "failed"
HISTORY_LIMIT = 60  # builds kept: two months of daily builds
ISSUE_TITLE = "Almanac: published data is stale or the build failed"


def history_entry(document: dict, seconds: float | None) -> dict:
    """One build, as the timeline and the feed need it (no error text: those stay in the state folder)."""
    stale = sorted(d["name"] for d in document.get("datasets", []) if d.get("status") != FRESH)
    return {
        "built_at": document["built_at"],
        "as_of": document["as_of"],
        "outcome": STALE if stale else FRESH,
        "stale": stale,
        "seconds": None if seconds is None else round(seconds, 1),
    }


def failed_entry(built_at: str, as_of: str, seconds: float | None) -> dict:
    """A build that published nothing (exit 2)."""
    return {"built_at": built_at, "as_of": as_of, "outcome": FAILED, "stale": [], "seconds": seconds}


def append(history: list[dict], entry: dict, limit: int = HISTORY_LIMIT) -> list[dict]:
    """The history with `entry` added, oldest first, at most `limit` entries, one per build time."""
    kept = [old for old in history if old.get("built_at") != entry["built_at"]]
    return sorted([*kept, entry], key=lambda e: e["built_at"])[-limit:]


@dataclass(frozen=True)
class Event:
    """A change of status between two consecutive builds."""

    time: str
    kind: str  # "stale", "fresh again", "build failed", "build recovered"
    dataset: str | None = None

    @property
    def title(self) -> str:
        if self.dataset:
            return f"{self.dataset} is {self.kind}"
        return self.kind.capitalize()


def events(history: list[dict]) -> list[Event]:
    """Every change between consecutive builds, oldest first. A failed build keeps the last known stale set."""
    found: list[Event] = []
    stale: set[str] = set()
    failed = False
    for entry in history:
        time = entry["built_at"]
        if entry["outcome"] == FAILED:
            if not failed:
                found.append(Event(time, "build failed"))
            failed = True
            continue
        if failed:
            found.append(Event(time, "build recovered"))
            failed = False
        now = set(entry["stale"])
        found += [Event(time, "stale", name) for name in sorted(now - stale)]
        found += [Event(time, "fresh again", name) for name in sorted(stale - now)]
        stale = now
    return found


@dataclass(frozen=True)
class Decision:
    action: str  # "open", "update", "close" or "none"
    title: str = ISSUE_TITLE
    body: str = ""


def problems(document: dict | None, stale_after_days: float, now: dt.datetime) -> list[str]:
    """What maintainers must hear about: a failed build (document None), datasets stale past the threshold."""
    if document is None:
        return ["The last build published nothing (exit code 2): see the job's log."]
    found = []
    for dataset in document.get("datasets", []):
        if dataset.get("status") == FRESH:
            continue
        since = dataset.get("last_success")
        age = None if not since else (now - _parse_time(since)).total_seconds() / 86400
        if age is None or age > stale_after_days:
            when = "never published fresh" if since is None else f"last fresh {since} ({age:.1f} days ago)"
            found.append(f"`{dataset['name']}` is {dataset.get('status', STALE)}: {when}.")
    return found


def decide(
    document: dict | None, *, issue_open: bool, issue_body: str, stale_after_days: float, now: dt.datetime
) -> Decision:
    """Open, update or close the alert issue, or leave it: once per change, never daily."""
    found = problems(document, stale_after_days, now)
    if not found:
        return Decision("close", body="Every dataset is fresh again.") if issue_open else Decision("none")
    body = "\n".join(["Almanac's scheduled build needs attention:", "", *[f"- {line}" for line in found]])
    if not issue_open:
        return Decision("open", body=body)
    return Decision("none") if _problem_lines(issue_body) == found else Decision("update", body=body)


def _problem_lines(body: str) -> list[str]:
    return [line[2:] for line in body.splitlines() if line.startswith("- ")]


def _parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def atom(history: list[dict], *, title: str, site_url: str, feed_path: str = "status.atom") -> str:
    """An Atom feed of the status events, newest first; ids and times come from the history only."""
    found = list(reversed(events(history)))
    updated = history[-1]["built_at"] if history else "1970-01-01T00:00:00Z"
    base = site_url if site_url.endswith("/") or not site_url else site_url + "/"
    feed_id = (base + feed_path) if base else f"urn:almanac:{_slug(title)}:status"
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"  <title>{escape(title)}: build status</title>",
        f"  <id>{escape(feed_id)}</id>",
        f"  <updated>{updated}</updated>",
        "  <author><name>Almanac</name></author>",
    ]
    if base:
        lines.append(f'  <link rel="self" href="{escape(base + feed_path)}"/>')
        lines.append(f'  <link rel="alternate" href="{escape(base)}status/"/>')
    for event in found:
        lines += [
            "  <entry>",
            f"    <title>{escape(event.title)}</title>",
            f"    <id>{escape(feed_id)}#{event.time}-{_slug(event.kind)}-{_slug(event.dataset or 'build')}</id>",
            f"    <updated>{event.time}</updated>",
            f"    <summary>{escape(_summary(event))}</summary>",
            "  </entry>",
        ]
    lines.append("</feed>")
    return "\n".join(lines) + "\n"


def _summary(event: Event) -> str:
    texts = {
        "stale": "Its query or derivation failed; its last published files are kept.",
        "fresh again": "It was updated again.",
        "build failed": "The build published nothing; the site keeps the last published data.",
        "build recovered": "A build published again.",
    }
    return f"{event.title} at {event.time}. {texts[event.kind]}"


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")
