"""The data archive: commits of site/data/ on their own branch, and a dataset's history read back from them."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest

from build.archive import ArchiveError, commit_data, format_history, history, parse_as_of

MARCH_1, MARCH_2, MARCH_3 = dt.date(2025, 3, 1), dt.date(2025, 3, 2), dt.date(2025, 3, 3)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture(autouse=True)
def git_identity(monkeypatch, tmp_path):
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Almanac Test")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "almanac@example.org")


@pytest.fixture
def repo(tmp_path):
    """A clone-like repository on main with a committed file and an ignored site/ folder."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / ".gitignore").write_text("site/\n")
    (repo / "README.md").write_text("code\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "Code")
    return repo


def publish(repo: Path, files: dict[str, str]) -> Path:
    data = repo / "site" / "data"
    for name, text in files.items():
        path = data / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return data


TOTALS_1 = "participants,courses\n100,7\n"
TOTALS_2 = "participants,courses\n120,8\n"
WIKIS_1 = "wiki,editors\nenwiki,50\nfrwiki,9\n"
WIKIS_2 = "wiki,editors\nenwiki,55\nfrwiki,9\ndewiki,3\n"


@pytest.fixture
def archived(repo):
    """Three builds: a first one, one that changed totals and wikis, one that changed nothing."""
    data = publish(repo, {"v1/totals.csv": TOTALS_1, "v1/wikis.csv": WIKIS_1, "v1/datapackage.json": "{}\n"})
    first = commit_data(repo, data, "data", as_of=MARCH_1)
    publish(repo, {"v1/totals.csv": TOTALS_2, "v1/wikis.csv": WIKIS_2, "v1/datapackage.json": '{"v": 2}\n'})
    second = commit_data(repo, data, "data", "Stale: none.", as_of=MARCH_2)
    third = commit_data(repo, data, "data", as_of=MARCH_3)
    return repo, data, (first, second, third)


def test_commits_go_to_the_data_branch_and_leave_the_checkout_alone(archived):
    repo, _, (first, second, third) = archived
    assert first and second and third is None
    assert git(repo, "rev-parse", "data").strip() == second
    assert git(repo, "rev-list", "data").split() == [second, first]
    assert git(repo, "ls-tree", "-r", "--name-only", "data").split() == [
        "v1/datapackage.json",
        "v1/totals.csv",
        "v1/wikis.csv",
    ]
    assert git(repo, "show", "data:v1/totals.csv") == TOTALS_2
    assert git(repo, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "log", "--format=%s", "main").split("\n")[0] == "Code"


def test_the_message_names_the_as_of_date_and_the_changed_datasets(archived):
    repo, _, (first, second, _) = archived
    message = git(repo, "log", "-1", "--format=%B", second)
    assert message.startswith("Data as of 2025-03-02: totals, wikis\n")
    assert "M v1/totals.csv" in message and "M v1/datapackage.json" in message
    assert "Stale: none." in message
    assert parse_as_of(message) == MARCH_2
    assert git(repo, "log", "-1", "--format=%s", first) == "Data as of 2025-03-01: totals, wikis\n"


def test_only_the_changed_dataset_is_named_and_removed_files_are_removed(archived):
    repo, data, _ = archived
    (data / "v1/wikis.csv").unlink()
    publish(repo, {"v1/totals.csv": "participants,courses\n130,8\n"})
    commit = commit_data(repo, data, "data", as_of=MARCH_3)
    assert git(repo, "log", "-1", "--format=%s", commit) == "Data as of 2025-03-03: totals, wikis\n"
    assert "D v1/wikis.csv" in git(repo, "log", "-1", "--format=%B", commit)
    assert git(repo, "ls-tree", "-r", "--name-only", "data").split() == ["v1/datapackage.json", "v1/totals.csv"]


def test_the_as_of_date_can_come_from_the_message(repo):
    data = publish(repo, {"v1/totals.csv": TOTALS_1})
    commit = commit_data(repo, data, "data", "Data as of 2025-03-01")
    assert git(repo, "log", "-1", "--format=%B", commit).lower().count("as of 2025-03-01") == 1
    assert history(repo, "totals")[0].as_of == MARCH_1
    publish(repo, {"v1/totals.csv": TOTALS_2})
    assert commit_data(repo, data, "data", as_of="2025-03-02") is not None
    assert history(repo, "totals")[-1].as_of == MARCH_2
    publish(repo, {"v1/totals.csv": TOTALS_1})
    with pytest.raises(ArchiveError, match="No as-of date .*pass as_of="):
        commit_data(repo, data, "data", "nightly")


def test_history_of_a_whole_dataset(archived):
    repo, _, (first, second, _) = archived
    rows = history(repo, "wikis")
    assert [(row.commit, row.as_of, row.rows) for row in rows] == [(first, MARCH_1, 2), (second, MARCH_2, 3)]
    assert rows[1].csv_text == WIKIS_2
    assert rows[0].committed_at.tzinfo is not None


def test_history_of_a_one_row_column_is_its_value(archived):
    repo, _, _ = archived
    assert [(row.as_of, row.value) for row in history(repo, "totals", column="participants")] == [
        (MARCH_1, "100"),
        (MARCH_2, "120"),
    ]


def test_history_of_a_many_row_column_is_keyed_by_the_first_column(archived):
    repo, _, _ = archived
    rows = history(repo, "wikis", column="editors")
    assert [row.value for row in rows] == [
        {("enwiki",): "50", ("frwiki",): "9"},
        {("enwiki",): "55", ("frwiki",): "9", ("dewiki",): "3"},
    ]
    assert rows[0].key_columns == ("wiki",)


def test_since_keeps_versions_as_of_that_date_or_later(archived):
    repo, _, (_, second, _) = archived
    assert [row.commit for row in history(repo, "totals", since=MARCH_2)] == [second]
    assert history(repo, "totals", since=MARCH_3) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dataset": "totals", "ref": "nope"}, "No branch or ref 'nope' in .*git fetch origin nope:nope"),
        ({"dataset": "missing"}, "v1/missing.csv is not in the history of 'data'.*Datasets there: totals, wikis"),
        ({"dataset": "totals", "version": 2}, "has no v2/\\*.csv files"),
        ({"dataset": "totals", "column": "nope"}, "has a column 'nope'. Columns: participants, courses"),
    ],
)
def test_history_errors_name_what_is_missing(archived, kwargs, message):
    repo, _, _ = archived
    with pytest.raises(ArchiveError, match=message):
        history(repo, **kwargs)


def test_history_before_any_archive(repo):
    with pytest.raises(ArchiveError, match="No branch or ref 'data'"):
        history(repo, "totals")


def test_format_history_of_a_value(archived):
    repo, _, (first, second, _) = archived
    lines = format_history(history(repo, "totals", column="participants")).splitlines()
    assert lines[0].split() == ["as_of", "committed", "commit", "participants"]
    assert lines[1].startswith("----------")
    assert lines[2].split()[0] == "2025-03-01" and lines[2].split()[3] == first[:10]
    assert lines[2].endswith("         100") and lines[3].endswith("120")
    assert len({len(line) for line in lines}) == 1


def test_format_history_of_many_rows_lists_each_key(archived):
    repo, _, _ = archived
    lines = format_history(history(repo, "wikis", column="editors")).splitlines()
    assert lines[0].split() == ["as_of", "committed", "commit", "wiki", "editors"]
    assert [line.split()[-2:] for line in lines[2:]] == [
        ["enwiki", "50"],
        ["frwiki", "9"],
        ["enwiki", "55"],
        ["frwiki", "9"],
        ["dewiki", "3"],
    ]


def test_format_history_of_whole_files_counts_rows(archived):
    repo, _, _ = archived
    lines = format_history(history(repo, "wikis")).splitlines()
    assert lines[0].split() == ["as_of", "committed", "commit", "rows"]
    assert [line.split()[-1] for line in lines[2:]] == ["2", "3"]
    assert format_history([]) == "No archived versions."


def test_an_unchanged_first_archive_of_an_empty_folder_makes_no_branch(repo):
    data = repo / "site" / "data"
    data.mkdir(parents=True)
    assert commit_data(repo, data, "data", as_of=MARCH_1) is None
    assert git(repo, "branch", "--list", "data") == ""


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("checked_out", "refs/heads/data is checked out.*git switch main"),
        ("bad_branch", "'bad..name' is not a valid branch name; fix \\[build\\] archive_branch"),
        ("no_data", "is not a folder: build the site first"),
        ("not_a_repo", "not a git repository.*Run this in a clone"),
    ],
)
def test_commit_data_errors(archived, tmp_path, setup, message):
    repo, data, _ = archived
    branch, target = "data", repo
    if setup == "checked_out":
        git(repo, "switch", "-q", "data")
    elif setup == "bad_branch":
        branch = "bad..name"
    elif setup == "no_data":
        data = tmp_path / "nothing"
    elif setup == "not_a_repo":
        target = tmp_path / "plain"
        target.mkdir()
    with pytest.raises(ArchiveError, match=message):
        commit_data(target, data, branch, as_of=MARCH_3)
