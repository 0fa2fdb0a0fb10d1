"""The status history: each build (fresh, stale or failed) joins a bounded history in the state folder;
the site publishes its public copy and an Atom feed of the changes; status.json follows the published
JSON Schema."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import jsonschema

from tests.conftest import AS_OF, ROOT, run_build

ATOM = "{http://www.w3.org/2005/Atom}"


def test_status_json_follows_its_published_schema(demo_site):
    document = json.loads((demo_site / "status.json").read_text(encoding="utf-8"))
    schema = json.loads((demo_site / "status.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(document, schema, format_checker=jsonschema.FormatChecker())
    document["datasets"][0]["status"] = "sort of fresh"
    try:
        jsonschema.validate(document, schema)
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("the schema accepted a status it does not declare")


def test_each_build_joins_the_history_and_the_feed_tells_the_changes(tmp_path, demo_sources):
    dashboard, replica, _ = demo_sources
    config = tmp_path / "site.toml"
    config.write_text(
        f'[site]\nbase_url = "https://example.org/metrics/"\n[build]\nqueries = "{ROOT / "queries"}"\n'
        'state_dir = "state"\n',
        encoding="utf-8",
    )
    out = tmp_path / "site"

    def build(dashboard_url: str, replica_url: str) -> int:
        sources = ("--source", f"dashboard={dashboard_url}", "--source", f"replica={replica_url}")
        return run_build("--config", str(config), "--as-of", AS_OF, "--out", str(out), *sources, "-q").returncode

    assert build(dashboard, replica) == 0
    assert build(dashboard, "duckdb:////no/such/replica.duckdb") == 1  # campaign retention goes stale
    assert build("duckdb:////no/such/dashboard.duckdb", replica) == 2  # nothing published
    assert build(dashboard, replica) == 0

    kept = json.loads((tmp_path / "state" / "status-history.json").read_text(encoding="utf-8"))
    assert [entry["outcome"] for entry in kept] == ["fresh", "stale", "failed", "fresh"]
    assert "campaign_retention" in kept[1]["stale"]
    published = json.loads((out / "status-history.json").read_text(encoding="utf-8"))
    assert published == kept, "the site publishes the same history (nothing private in it)"
    assert "error" not in json.dumps(published)

    feed = ET.fromstring((out / "status.atom").read_text(encoding="utf-8"))
    titles = [entry.find(f"{ATOM}title").text for entry in feed.findall(f"{ATOM}entry")]
    assert titles[:2] == ["campaign_retention is fresh again", "Build recovered"]
    assert "Build failed" in titles and "campaign_retention is stale" in titles
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == "https://example.org/metrics/status.atom"
