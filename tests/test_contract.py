"""The data contract: published columns and types match docs/data-contract.json; additions are recorded
with a changelog entry, breaking changes are refused."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from build import contract
from build.config import load_settings
from build.pipeline import published_schemas
from tests.conftest import run_build

ROOT = Path(__file__).resolve().parents[1]
DAY = dt.date(2026, 12, 2)
V1 = {"1": {"x": {"a": "integer", "b": "string"}}}


def test_published_schemas_match_the_committed_contract():
    current = contract.declared(published_schemas(load_settings(ROOT / "site.toml")))
    assert current["1"], "no published dataset found"
    changes = contract.check(ROOT, current)
    assert not changes, (
        "the published schemas differ from docs/data-contract.json: "
        + "; ".join(map(str, changes))
        + ". Record additions with `python build.py contract --update --note '…'`."
    )


@pytest.mark.parametrize(
    ("current", "kind", "breaking"),
    [
        ({"1": {"x": {"a": "integer", "b": "string", "c": "date"}}}, "added column", False),
        ({"1": {"x": {"a": "integer"}}}, "removed column", True),
        ({"1": {"x": {"a": "number", "b": "string"}}}, "retyped column", True),
        ({"1": {"x": {"b": "string", "a": "integer"}}}, "moved column", True),
        ({"1": {"x": {"a": "integer", "b": "string"}, "y": {"z": "string"}}}, "added dataset", False),
        ({"1": {}}, "removed dataset", True),
        ({**V1, "2": {"x": {"a": "integer"}}}, "new version", False),
        ({"2": {"x": {"a": "integer"}}}, "retired version", False),
    ],
)
def test_compare_names_each_kind_of_change(current, kind, breaking):
    changes = contract.compare(V1, current)
    assert kind in [change.kind for change in changes]
    assert any(change.breaking for change in changes) == breaking


def test_a_renamed_column_is_breaking():
    changes = contract.compare(V1, {"1": {"x": {"a": "integer", "b2": "string"}}})
    assert {change.kind for change in changes} == {"removed column", "added column"}


def write_contract(root: Path, schemas) -> None:
    (root / "docs").mkdir()
    (root / contract.CONTRACT_FILE).write_text(json.dumps(schemas))


def test_update_records_additions_newest_first_and_refuses_breaks(tmp_path):
    write_contract(tmp_path, V1)
    added = {"1": {"x": {"a": "integer", "b": "string", "c": "date"}}}
    with pytest.raises(contract.ContractError, match="say what changed"):
        contract.update(tmp_path, added, "", DAY)
    assert contract.update(tmp_path, added, "x gains c.", DAY)
    again = {"1": {"x": {"a": "integer", "b": "string", "c": "date", "d": "boolean"}}}
    contract.update(tmp_path, again, "x gains d.", DAY + dt.timedelta(days=1))
    assert contract.check(tmp_path, again) == []
    entries = contract.changelog(tmp_path)
    assert [entry["date"] for entry in entries] == ["2026-12-03", "2026-12-02"]
    assert "x gains d." in entries[0]["text"] and "added column v1/x.d" in entries[0]["text"]
    with pytest.raises(contract.ContractError, match="new version"):
        contract.update(tmp_path, {"1": {"x": {"a": "integer"}}}, "drop", DAY)
    assert contract.load(tmp_path) == again, "a refused update changes nothing"


def test_the_command_fails_on_an_unrecorded_column_until_updated(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(ROOT / "queries", site / "queries")
    shutil.copytree(ROOT / "docs", site / "docs")
    shutil.copy(ROOT / "site.toml", site / "site.toml")
    query = site / "queries" / "wikis.sql"
    text = query.read_text(encoding="utf-8")
    query.write_text(text.replace("[columns]\n", '[columns]\nzz_extra = { type = "integer", description = "x" }\n', 1))
    result = run_build("--config", str(site / "site.toml"), "contract")
    assert result.returncode == 2 and "added column v1/wikis.zz_extra" in result.stderr, result.stderr
    result = run_build("--config", str(site / "site.toml"), "contract", "--update", "--note", "wikis: zz_extra.")
    assert result.returncode == 0, result.stderr
    assert run_build("--config", str(site / "site.toml"), "contract").returncode == 0
    assert "wikis: zz_extra." in (site / contract.CHANGELOG_FILE).read_text(encoding="utf-8")


def test_the_downloads_page_lists_the_changes_newest_first(demo_site):
    html = (demo_site / "downloads" / "index.html").read_text(encoding="utf-8")
    assert "Changes to the data files" in html
    dates = [entry["date"] for entry in contract.changelog(ROOT)]
    assert len(dates) >= 2
    shown = [html.index(f'<time datetime="{date}">') for date in dict.fromkeys(dates)]
    assert shown == sorted(shown), "newest first, as the changelog"
    assert "added column v1/monthly_activity.complete" in html
