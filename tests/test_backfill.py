"""Backfill: as-of dates a month or a week apart, one commit per fresh build dated by its as-of date, stale
builds reported and not committed, branches with later commits refused; end to end on the demo."""

from __future__ import annotations

import datetime as dt
import subprocess
import tempfile
from pathlib import Path

import pytest

from build import backfill
from tests.conftest import ROOT, run_build
from tests.test_commands import GIT_IDENTITY, git

D = dt.date


@pytest.mark.parametrize(
    ("first", "last", "every", "expected"),
    [
        (D(2025, 1, 31), D(2025, 4, 30), "month", [D(2025, 1, 31), D(2025, 2, 28), D(2025, 3, 31), D(2025, 4, 30)]),
        (D(2024, 11, 15), D(2025, 1, 14), "month", [D(2024, 11, 15), D(2024, 12, 15)]),
        (D(2025, 3, 1), D(2025, 3, 20), "week", [D(2025, 3, 1), D(2025, 3, 8), D(2025, 3, 15)]),
        (D(2025, 3, 1), D(2025, 3, 1), "week", [D(2025, 3, 1)]),
    ],
)
def test_dates(first, last, every, expected):
    assert backfill.dates(first, last, every) == expected


@pytest.mark.parametrize(
    ("last", "every", "said"), [(D(2024, 1, 1), "month", "before"), (D(2026, 1, 1), "day", "one of")]
)
def test_bad_dates_are_refused(last, every, said):
    with pytest.raises(backfill.BackfillError, match=said):
        backfill.dates(D(2025, 1, 1), last, every)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    for name, value in GIT_IDENTITY.items():
        monkeypatch.setenv(name, value)
    git(tmp_path, "init", "-q", "-b", "main")
    return tmp_path


def fake_builds(folder: Path, codes: dict[dt.date, int]):
    """A build function writing one data file whose value is the as-of date (exit codes by date)."""

    def build(as_of: dt.date) -> tuple[int, Path]:
        data = folder / "site" / "data" / "v1"
        data.mkdir(parents=True, exist_ok=True)
        (data / "totals.csv").write_text(f"as_of\n{as_of}\n")
        return codes.get(as_of, 0), folder / "site"

    return build


def commits(repo: Path, branch: str) -> list[tuple[str, str]]:
    """(committer date, subject) of every commit on `branch`, oldest first."""
    log = git(repo, "log", "--reverse", "--format=%cI|%s", branch)
    return [tuple(line.split("|", 1)) for line in log.splitlines()]


def test_each_fresh_date_is_committed_on_its_own_date_and_stale_ones_are_not(repo, tmp_path):
    dates = [D(2025, 1, 1), D(2025, 2, 1), D(2025, 3, 1)]
    outcomes = backfill.run(repo, "past", dates, fake_builds(tmp_path / "work", {D(2025, 2, 1): 1}), D(2026, 12, 2))
    assert [(o.as_of, o.commit is not None) for o in outcomes] == [
        (dates[0], True),
        (dates[1], False),
        (dates[2], True),
    ]
    found = commits(repo, "past")
    assert [when[:10] for when, _ in found] == ["2025-01-01", "2025-03-01"]
    assert all(subject.startswith("Data as of 2025-0") for _, subject in found)
    message = git(repo, "log", "-1", "--format=%B", "past")
    assert "Reconstructed by `build.py backfill` on 2026-12-02" in message and "undated cached totals" in message
    assert "As-of: 2025-03-01" in message
    assert git(repo, "branch", "--show-current").strip() == "main", "the work tree's branch is untouched"


def test_a_branch_with_commits_on_or_after_the_first_date_is_refused(repo, tmp_path):
    backfill.run(repo, "past", [D(2025, 3, 1)], fake_builds(tmp_path / "work", {}), D(2026, 12, 2))
    before = git(repo, "rev-parse", "past")
    with pytest.raises(backfill.BackfillError, match="--branch"):
        backfill.run(repo, "past", [D(2025, 2, 1)], fake_builds(tmp_path / "w2", {}), D(2026, 12, 2))
    assert git(repo, "rev-parse", "past") == before
    backfill.run(repo, "past", [D(2025, 4, 1)], fake_builds(tmp_path / "w3", {}), D(2026, 12, 2))
    assert [when[:10] for when, _ in commits(repo, "past")] == ["2025-03-01", "2025-04-01"]


def test_backfill_command_builds_the_demo_in_its_own_folder_and_history_reads_it(repo, demo_sources):
    dashboard, replica, _ = demo_sources
    config = repo / "site.toml"
    config.write_text(f'[build]\nqueries = "{ROOT / "queries"}"\n', encoding="utf-8")
    common = ("--config", str(config), "--source", f"dashboard={dashboard}", "--source", f"replica={replica}")
    result = run_build(*common, "backfill", "--from", "2025-07-15", "--to", "2025-09-15", "--branch", "past")
    assert result.returncode in (0, 1), result.stderr
    assert "dates committed" in result.stdout
    assert not (repo / "site").exists(), "the published site is never touched"
    assert not (repo / ".almanac" / "status-history.json").exists(), "reconstructions are not builds readers saw"
    assert not list(Path(tempfile.gettempdir()).glob("almanac-backfill-*")), "the work folder is removed"
    dated = [when[:10] for when, _ in commits(repo, "past")]
    assert dated and set(dated) <= {"2025-07-15", "2025-08-15", "2025-09-15"}
    history = run_build("--config", str(config), "history", "system_totals", "--column", "programs", "--ref", "past")
    assert history.returncode == 0 and "2025-07-15" in history.stdout, history.stdout + history.stderr
    again = run_build(*common, "backfill", "--from", "2025-08-01", "--branch", "past")
    assert again.returncode == 2 and "--branch NAME" in again.stderr
    status = subprocess.run(["git", "-C", str(repo), "status", "--porcelain"], capture_output=True, text=True)
    assert status.stdout == "?? site.toml\n", "backfill wrote nothing into the work tree"
