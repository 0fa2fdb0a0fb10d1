"""Attacks on where the build writes, what it keeps and its settings, as a user with bad luck or bad intent.

Each case failed before the state folder existed: `--out .` swapped the repository away, `--out /` ended in
a traceback, `retention_months = 10000` crashed the chart renderer, `--as-of 9999-12-31` ran for minutes,
`archive_branch = "main"` replaced main's tree, a reused pid or a lock dated 2099 blocked every build, and
`history --column` merged the rows of one campaign.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest
from conftest import ROOT, run_build

from build import archive, config, lock, places, staging
from build.config import SettingsError, load_settings
from build.lock import LockInfo, acquire
from build.pipeline import build_site

TODAY = dt.date(2026, 11, 1)


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A git clone-like project: committed code and queries, site.toml, an ignored site/ and .almanac/."""
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Almanac Test")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "almanac@example.org")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    root = tmp_path / "project"
    (root / "queries").mkdir(parents=True)
    (root / "queries" / "totals.sql").write_text("SELECT 1\n")
    (root / ".gitignore").write_text("/site\n/.almanac/\n")
    (root / "site.toml").write_text("")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "Code")
    return root


def unsafe(root: Path, toml: str = "", **overrides) -> list[str]:
    (root / "site.toml").write_text(toml, encoding="utf-8")
    settings = load_settings(root / "site.toml", today=lambda: TODAY, **overrides)
    return places.problems(settings)


# --- item 5: the output folder can never be the repository ---------------------------------------------


@pytest.mark.parametrize(
    ("out", "said"),
    [
        (".", "project folder"),
        ("./", "project folder"),
        ("..", "project folder"),
        ("../..", "project folder"),
        ("/", "root folder /"),
        (".git", "git's own folder"),
        (".git/x", "git's own folder"),
        (".git/../.git/hooks", "git's own folder"),
        ("queries", "holds files that git tracks (e.g. totals.sql)"),
        ("site.toml", "is a file"),
    ],
)
def test_dangerous_output_folders_are_refused(project, out, said):
    found = unsafe(project, out=out)
    assert len(found) == 1 and said in found[0], found


def test_a_home_folder_is_refused_as_output_and_as_state(project, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    assert "home folder" in unsafe(project, out=str(home))[0]
    assert "home folder" in unsafe(project, out=str(Path("~").expanduser()) + "/")[0]
    assert "home folder" in unsafe(project, f'[build]\nstate_dir = "{home}"\n')[0]


def test_a_link_to_the_project_is_refused(project):
    (project / "site").symlink_to(project)
    found = unsafe(project)
    assert "project folder" in found[0]
    (project / "site").unlink()
    (project / "site").symlink_to(project / "queries")
    assert "holds files that git tracks" in unsafe(project)[0]


def test_a_link_almanac_did_not_make_is_refused(project, tmp_path):
    elsewhere = tmp_path / "someone-elses"
    elsewhere.mkdir()
    (project / "site").symlink_to(elsewhere)
    assert "symbolic link to" in unsafe(project)[0] and "did not make" in unsafe(project)[0]


def test_a_folder_holding_foreign_files_is_refused_but_not_a_restored_archive(project):
    site = project / "site"
    (site / "data" / "v1").mkdir(parents=True)
    (site / "data" / "v1" / "totals.csv").write_text("n\n1\n")
    assert unsafe(project) == []  # a scheduled run restores the archive into site/data/
    (site / "notes.txt").write_text("my notes")
    assert "holds files Almanac did not write (e.g. notes.txt)" in unsafe(project)[0]
    (site / "notes.txt").unlink()
    (site / "data" / "secrets.txt").write_text("x")
    assert "did not write" in unsafe(project)[0]


def test_an_earlier_almanac_site_and_empty_folders_are_accepted(project, tmp_path):
    (project / "site").mkdir()
    assert unsafe(project) == []
    (project / "site" / "index.html").write_text("x")
    (project / "site" / places.SITE_MARKER).write_text(places.SITE_MARKER_TEXT)
    assert unsafe(project) == []
    assert unsafe(project, out=str(tmp_path / "public_html")) == []  # a Toolforge tool's folder


@pytest.mark.parametrize(
    ("state_dir", "said"),
    [
        ("site/x", "inside the output folder"),
        ("site", "inside the output folder"),
        (".", "project folder"),
        ("..", "project folder"),
        ("/", "root folder /"),
        (".git/almanac", "git's own folder"),
        ("queries", "holds files that git tracks"),
    ],
)
def test_dangerous_state_folders_are_refused(project, state_dir, said):
    found = unsafe(project, f'[build]\nstate_dir = "{state_dir}"\n')
    assert found and said in found[0], found


def test_a_state_folder_inside_the_linked_build_is_refused(project):
    """`site` links into .almanac; a state_dir of site/x would be .almanac/…/x, inside the deployed build."""
    state = project / ".almanac"
    stage = staging.prepare(project / "site", state)
    staging.swap(stage, project / "site")
    found = unsafe(project, '[build]\nstate_dir = "site/x"\n')
    assert found and "would be deployed" in found[0]
    assert unsafe(project) == []  # and the link itself is Almanac's own


@pytest.mark.parametrize("out", [".", "/", "", "..", ".git/x"])
def test_the_command_line_refuses_with_exit_2_one_clear_line_and_writes_nothing(project, out):
    before = sorted(str(p.relative_to(project)) for p in project.rglob("*"))
    result = run_build("--config", str(project / "site.toml"), "--out", out, "--as-of", "2026-01-01")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "out" in lines[0], lines
    assert sorted(str(p.relative_to(project)) for p in project.rglob("*")) == before
    assert git(project, "status", "--porcelain") == ""


# --- item 8: every setting has a range, and the error says what is allowed ------------------------------


@pytest.mark.parametrize(
    ("toml", "key", "allowed"),
    [
        ("[retention]\nretention_months = 10000", "retention_months", "from 1 to 120"),
        ("[retention]\nretention_months = 0", "retention_months", "from 1 to 120"),
        ("[retention]\nretention_windows = [1, 3, 3]", "retention_windows", "3 listed more than once"),
        ("[retention]\nretention_windows = [6, 3, 1]", "retention_windows", "not in increasing order"),
        ("[retention]\nretention_windows = [1, 100000]", "retention_windows", "from 1 to 60"),
        ("[retention]\nretention_windows = [true]", "retention_windows", "whole numbers"),
        ("[retention]\npreregistration_days = 100000", "preregistration_days", "from 0 to 365"),
        ('[retention]\nretention_wikis = ["enwiki", "enwiki"]', "retention_wikis", "listed more than once"),
        ('[retention]\nretention_wikis = ["../../etc"]', "retention_wikis", "not a database name"),
        ('[retention]\nretention_wikis = ["enwiki; DROP"]', "retention_wikis", "database names"),
        ("[privacy]\nk_min = 0", "k_min", "from 1 to 1000"),
        ("[privacy]\nk_min = 99999999999", "k_min", "from 1 to 1000"),
        ("[build]\nquery_timeout = 0", "query_timeout", "from 1 to 86400"),
        ("[build]\nlock_max_age = 1", "lock_max_age", "from 60 to 604800"),
        ("[build]\nupdate_length_days = -1", "update_length_days", "from 0 to 3650"),
        ("[build]\nkeep_builds = 0", "keep_builds", "from 1 to 20"),
        ('[build]\nout = ""', "out", "not empty"),
        ('[build]\nstate_dir = "a\\u0000b"', "state_dir", "control character"),
        ('[build]\nqueries = "   "', "queries", "empty"),
        ('[build]\narchive_branch = "-main"', "archive_branch", "git branch name"),
        ('[build]\narchive_branch = "a..b"', "archive_branch", "git branch name"),
        ("[build]\nas_of = 9999-12-31", "as_of", "from 2001-01-01 to 2026-11-02"),
        ("[build]\nas_of = 1970-01-01", "as_of", "from 2001-01-01"),
        ('[site]\nbase_url = "javascript:alert(1)"', "base_url", "http:// or https://"),
        ('[site]\nbase_url = "data:text/html,x"', "base_url", "http:// or https://"),
        ('[site]\nbase_url = "https://user:secret@example.org/"', "base_url", "password"),
        ('[site]\nbase_url = "https:///nohost"', "base_url", "http:// or https://"),
        ('[site]\nlicense = "CC0 1.0 <script>"', "license", "SPDX"),
        ('[site]\ntitle = ""', "title", "1 to 120 characters"),
        (f'[site]\ntitle = "{"x" * 5000}"', "title", "5000 characters"),
        ('[site]\ntitle = "a\\nb"', "title", "control character"),
    ],
)
def test_out_of_range_settings_name_file_line_key_and_what_is_allowed(tmp_path, toml, key, allowed):
    (tmp_path / "site.toml").write_text(toml + "\n", encoding="utf-8")
    with pytest.raises(SettingsError) as raised:
        load_settings(tmp_path / "site.toml", today=lambda: TODAY)
    [problem] = raised.value.problems
    assert problem.startswith("site.toml:2: [") and f"] {key}" in problem and allowed in problem, problem
    assert len(problem) < 400  # a 5,000-character value is not echoed whole


def test_every_problem_is_reported_at_once(tmp_path):
    text = "[retention]\nretention_months = 10000\nretention_windows = [3, 3]\n[site]\nbase_url = 'javascript:x'\n"
    (tmp_path / "site.toml").write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as raised:
        load_settings(tmp_path / "site.toml", as_of=dt.date(9999, 12, 31), today=lambda: TODAY)
    problems = raised.value.problems
    assert len(problems) == 4
    assert any(p.startswith("--as-of or ALMANAC_AS_OF: the as-of date 9999-12-31 is out of range") for p in problems)


def test_the_as_of_range_follows_the_clock_and_allows_tomorrow(tmp_path):
    assert load_settings(None, as_of=TODAY + dt.timedelta(days=1), today=lambda: TODAY).as_of == dt.date(2026, 11, 2)
    assert load_settings(None, as_of=dt.date(2001, 1, 1), today=lambda: TODAY).as_of == dt.date(2001, 1, 1)
    with pytest.raises(SettingsError, match="2026-11-03 is out of range"):
        load_settings(None, as_of=dt.date(2026, 11, 3), today=lambda: TODAY)


def test_as_of_9999_stops_at_once_with_exit_2(tmp_path):
    started = time.monotonic()
    result = run_build("--as-of", "9999-12-31", "--out", str(tmp_path / "site"))
    assert result.returncode == 2 and "9999-12-31 is out of range" in result.stderr
    assert time.monotonic() - started < 30 and not (tmp_path / "site").exists()


def test_the_defaults_and_the_shipped_site_toml_are_in_range():
    settings = load_settings(Path(__file__).parents[1] / "site.toml")
    assert settings.keep_builds == 3 and settings.get("retention", "retention_windows") == [1, 3, 6]


# --- item 9: a lock that never ends -----------------------------------------------------------------------


@pytest.fixture
def unrelated_process():
    """A long-running process that has nothing to do with Almanac."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield process
    process.kill()
    process.wait()


def lock_text(pid: int, started: str, *, host: str | None = None, process_start: str | None = None) -> str:
    host = host or socket.gethostname()
    return LockInfo(pid, host, started, "python build.py", process_start).to_text()


def test_a_reused_pid_of_an_unrelated_process_does_not_hold_the_lock(tmp_path, unrelated_process, caplog):
    path = tmp_path / "build.lock"
    recorded = lock.process_start(unrelated_process.pid)
    assert recorded is not None
    ticks, boot = recorded.split("@")
    path.write_text(lock_text(unrelated_process.pid, "2026-01-01T00:00:00+00:00", process_start=f"1{ticks}@{boot}"))
    with caplog.at_level(logging.WARNING, logger="almanac"), acquire(path, 3600):
        assert json.loads(path.read_text())["pid"] == os.getpid()
    assert f"pid {unrelated_process.pid} is alive but is another process" in caplog.text


def test_an_old_format_lock_whose_pid_started_later_is_stale(tmp_path, unrelated_process, caplog):
    path = tmp_path / "build.lock"
    taken = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    path.write_text(lock_text(unrelated_process.pid, taken))  # no process_start: written by an older version
    with caplog.at_level(logging.WARNING, logger="almanac"), acquire(path, 6 * 3600):
        pass
    assert "after the lock was taken" in caplog.text


def test_the_real_holder_still_holds(tmp_path, unrelated_process):
    path = tmp_path / "build.lock"
    taken = dt.datetime.now(dt.UTC).isoformat()
    path.write_text(lock_text(unrelated_process.pid, taken, process_start=lock.process_start(unrelated_process.pid)))
    with pytest.raises(lock.LockHeld, match=f"pid {unrelated_process.pid}"):
        acquire(path, 3600)


@pytest.mark.parametrize("host", [None, "elsewhere.example"])
@pytest.mark.parametrize(
    ("started", "said"),
    [("2099-01-01T00:00:00+00:00", "in the future"), ("yesterday", "cannot be read"), ("2025-01-01", "cannot be read")],
)
def test_impossible_lock_times_are_stale_with_a_warning(tmp_path, unrelated_process, caplog, host, started, said):
    path = tmp_path / "build.lock"
    path.write_text(lock_text(unrelated_process.pid, started, host=host, process_start=None))
    with caplog.at_level(logging.WARNING, logger="almanac"), acquire(path, 3600):
        assert json.loads(path.read_text())["pid"] == os.getpid()
    assert said in caplog.text and "impossible lock time" in caplog.text


# --- item 6: the archive can never overwrite code --------------------------------------------------------


def data_folder(tmp_path: Path) -> Path:
    data = tmp_path / "built" / "data"
    (data / "v1").mkdir(parents=True)
    (data / "v1" / "totals.csv").write_text("n\n1\n")
    return data


@pytest.mark.parametrize("branch", ["main", "code"])
def test_a_branch_holding_code_is_refused_and_left_alone(project, tmp_path, branch):
    git(project, "branch", "code")
    git(project, "switch", "-q", "--detach")  # not checked out: only its content protects it
    before = git(project, "rev-parse", branch)
    with pytest.raises(archive.ArchiveError, match="not archived data .*e.g. .gitignore"):
        archive.commit_data(project, data_folder(tmp_path), branch, as_of=TODAY)
    assert git(project, "rev-parse", branch) == before


def test_the_current_branch_is_refused(project, tmp_path):
    with pytest.raises(archive.ArchiveError, match="checked out"):
        archive.commit_data(project, data_folder(tmp_path), "main", as_of=TODAY)


def test_a_branch_checked_out_in_another_worktree_is_refused(project, tmp_path):
    data = data_folder(tmp_path)
    archive.commit_data(project, data, "data", as_of=TODAY)  # a real archive branch
    git(project, "worktree", "add", "-q", str(tmp_path / "other"), "data")
    (data / "v1" / "totals.csv").write_text("n\n2\n")
    before = git(project, "rev-parse", "data")
    with pytest.raises(archive.ArchiveError, match="checked out in the worktree .*other"):
        archive.commit_data(project, data, "data", as_of=TODAY)
    assert git(project, "rev-parse", "data") == before


def test_a_data_branch_with_one_foreign_file_is_refused(project, tmp_path):
    other = tmp_path / "other"
    git(project, "worktree", "add", "-q", "--detach", str(other))
    git(other, "switch", "-q", "--orphan", "mixed")
    (other / "v1").mkdir()
    (other / "v1" / "totals.csv").write_text("n\n1\n")
    (other / "v1" / "run.sh").write_text("echo hi\n")
    git(other, "add", "v1")
    git(other, "commit", "-q", "-m", "data and a script")
    git(other, "switch", "-q", "--detach")
    with pytest.raises(archive.ArchiveError, match="e.g. v1/run.sh"):
        archive.commit_data(project, data_folder(tmp_path), "mixed", as_of=TODAY)


def test_a_data_folder_holding_other_files_is_not_archived(project, tmp_path):
    data = data_folder(tmp_path)
    (data / "v1" / "run.sh").write_text("echo hi\n")
    with pytest.raises(archive.ArchiveError, match="data/v1/run.sh is not a data file"):
        archive.commit_data(project, data, "data", as_of=TODAY)
    assert git(project, "branch", "--list", "data") == ""


# --- item 10: history --column keeps every row of an entity ----------------------------------------------

CAMPAIGN_ACTIVITY = [
    "campaign,month,editors\nspring,2026-01,5\nspring,2026-02,6\nautumn,2026-01,7\n",
    "campaign,month,editors\nspring,2026-01,5\nspring,2026-02,8\nspring,2026-03,9\nautumn,2026-01,7\n",
]


def archive_versions(project: Path, tmp_path: Path, package: str | None) -> None:
    data = tmp_path / "built" / "data"
    (data / "v1").mkdir(parents=True, exist_ok=True)
    for day, text in enumerate(CAMPAIGN_ACTIVITY, start=1):
        (data / "v1" / "campaign_activity.csv").write_text(text)
        if package:
            (data / "v1" / "datapackage.json").write_text(package)
        archive.commit_data(project, data, "data", as_of=dt.date(2026, 3, day))


def test_history_of_several_rows_per_campaign_keeps_every_month(project, tmp_path):
    archive_versions(project, tmp_path, package=None)
    rows = archive.history(project, "campaign_activity", column="editors")
    assert rows[0].key_columns == ("campaign", "month")
    assert rows[1].value == {
        ("spring", "2026-01"): "5",
        ("spring", "2026-02"): "8",
        ("spring", "2026-03"): "9",
        ("autumn", "2026-01"): "7",
    }
    lines = archive.format_history(rows).splitlines()
    assert lines[0].split() == ["as_of", "committed", "commit", "campaign", "month", "editors"]
    assert len(lines) == 2 + 3 + 4


def test_history_uses_the_declared_primary_key(project, tmp_path):
    schema = {"fields": [], "primaryKey": ["month", "campaign"]}
    package = json.dumps({"resources": [{"path": "campaign_activity.csv", "schema": schema}]})
    archive_versions(project, tmp_path, package=package)
    rows = archive.history(project, "campaign_activity", column="editors")
    assert rows[0].key_columns == ("month", "campaign")
    assert rows[0].value[("2026-02", "spring")] == "6"


# --- item 12.2: a swap with no gap ------------------------------------------------------------------------

TINY_QUERY = """/*
title = "Totals"
description = "One number that each build changes."
sort = ["name"]

[columns]
name = { type = "string", description = "A name." }
n = { type = "integer", description = "The build's number.", unit = "builds" }
*/
SELECT name, n FROM t
"""
BASE_EPOCH = 1_790_000_000  # 2026-09-21: each build's clock is this plus its number


def test_readers_never_see_a_missing_or_mixed_site_during_20_builds(tmp_path, monkeypatch):
    (tmp_path / "queries").mkdir()
    (tmp_path / "queries" / "totals.sql").write_text(TINY_QUERY)
    (tmp_path / "site.toml").write_text(
        '[build]\nkeep_builds = 3\n[sources.dashboard]\nurl = "duckdb:///db.duckdb"\n', encoding="utf-8"
    )
    pages = tmp_path / "templates" / "pages"  # a site of its own: one page, and the engine's status page
    pages.mkdir(parents=True)
    (pages / "index.md").write_text('---\ntitle: Builds\n---\nBuild {{ value("totals", "n") }}.\n')
    shutil.copy(ROOT / "templates" / "pages" / "status.html", pages / "status.html")
    out = tmp_path / "site"
    logging.getLogger("almanac").setLevel(logging.ERROR)

    def build(number: int) -> None:
        with duckdb.connect(str(tmp_path / "db.duckdb")) as connection:
            connection.execute("CREATE OR REPLACE TABLE t AS SELECT 'builds' AS name, ? AS n", [number])
        monkeypatch.setenv("SOURCE_DATE_EPOCH", str(BASE_EPOCH + number))
        settings = load_settings(tmp_path / "site.toml", as_of=dt.date(2026, 9, 1))
        assert places.problems(settings) == []
        assert build_site(settings) in (0, 1)

    build(0)
    seen, errors, done = [], [], threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                (out / "index.html").read_bytes()  # through the link, as a web server would
                folder = Path(os.path.realpath(out))  # one request's view of the site
                status = json.loads((folder / "status.json").read_text(encoding="utf-8"))
                page = (folder / "status" / "index.html").read_text(encoding="utf-8")
                number = int((folder / "data" / "v1" / "totals.csv").read_text().splitlines()[1].split(",")[1])
            except Exception as error:  # noqa: BLE001 - any failure to read is what this test looks for
                errors.append(repr(error))
                continue
            built = dt.datetime.fromtimestamp(BASE_EPOCH + number, dt.UTC).isoformat().replace("+00:00", "Z")
            if status["built_at"] != built or f'datetime="{built}"' not in page:
                errors.append(f"mixed: data of build {number}, status {status['built_at']}")
            seen.append(number)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for number in range(1, 21):
            build(number)
        deadline = time.monotonic() + 10  # the reader may be mid-way through build 19 as build 20 is swapped in
        while 20 not in seen and not errors and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        done.set()
        reader.join()
    assert errors == []
    assert len(set(seen)) >= 5 and max(seen) == 20
    settings = config.load_settings(tmp_path / "site.toml")
    layout = staging.Layout.of(settings.out_dir, settings.state_dir)
    assert [b.name for b in layout.kept()] == ["000019", "000020", "000021"]
