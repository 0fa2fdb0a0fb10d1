"""The whole build, end to end on the demo: files, datapackage, determinism, privacy, failures, exit codes."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import AS_OF, ROOT, run_build

DATASETS = {
    "system_totals",
    "monthly_activity",
    "yearly_usage",
    "wikis",
    "campaigns",
    "campaign_activity",
    "campaign_courses",
    "courses",
    "program_retention",
    "campaign_retention",
}
SECRET_COLUMNS = (
    "passcode",
    "default_passcode",
    "email",
    "real_name",
    "wiki_token",
    "wiki_secret",
    "remember_token",
    "remember_created_at",
    "chat_password",
    "chat_id",
)


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_every_dataset_is_published_as_csv_and_json(demo_site):
    data = demo_site / "data" / "v1"
    for name in DATASETS:
        rows = json.loads((data / f"{name}.json").read_text(encoding="utf-8"))
        with open(data / f"{name}.csv", encoding="utf-8", newline="") as handle:
            table = list(csv.reader(handle))
        assert len(table) - 1 == len(rows), name
        assert table[0] == list(rows[0]) if rows else True, name
    private_inputs = {"activity_by_month", "participant_activity", "campaign_new_editors", "campaign_wikis"}
    assert not any((data / f"{name}.json").exists() for name in private_inputs | {"edit_days"})


def test_datapackage_describes_every_file_and_frictionless_validates_it(demo_site):
    frictionless = pytest.importorskip("frictionless")
    folder = demo_site / "data" / "v1"
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    paths = {resource["path"] for resource in package["resources"]}
    own = {p.relative_to(folder).as_posix() for p in (folder / "campaigns").rglob("*.*")}  # each campaign's
    assert len(own) > 50 and all(path.startswith("campaigns/") for path in own)
    assert paths == {f"{name}.{ext}" for name in DATASETS for ext in ("csv", "json")} | own
    for resource in package["resources"]:
        content = (folder / resource["path"]).read_bytes()
        assert resource["hash"] == "sha256:" + hashlib.sha256(content).hexdigest()
        assert resource.get("bytes", resource.get("bytes_on_disk")) == len(content)
    assert package["licenses"][0]["name"] == "CC0-1.0"
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["taskName", "rowNumber", "fieldName", "type", "note"])


@pytest.fixture(scope="module")
def rebuilt(demo_sources, tmp_path_factory) -> dict:
    """The demo built again as demo_site was, into a folder of its own, then once more unchanged: what the first
    build wrote (bytes and each data file's mtime) and what the second left. One pair of builds serves the two
    tests below (a build costs a minute on a shared 2-core runner)."""
    dashboard, replica, _ = demo_sources
    out = tmp_path_factory.mktemp("rebuilt") / "site"
    arguments = (
        "--as-of",
        AS_OF,
        "--out",
        str(out),
        "--source",
        f"dashboard={dashboard}",
        "--source",
        f"replica={replica}",
    )
    first = run_build(*arguments)
    assert first.returncode == 0, first.stderr
    files = files_under(out / "data")
    stamps = {p: p.stat().st_mtime_ns for p in (out / "data").rglob("*") if p.is_file()}
    second = run_build(*arguments)
    return {"files": files, "stamps": stamps, "second": second}


def test_same_data_and_as_of_give_byte_identical_data_files(demo_site, rebuilt):
    assert rebuilt["files"] == files_under(demo_site / "data")


def test_an_unchanged_rebuild_rewrites_no_data_file(rebuilt):
    assert rebuilt["second"].returncode == 0, rebuilt["second"].stderr
    stamps = rebuilt["stamps"]
    assert stamps and {p: p.stat().st_mtime_ns for p in stamps} == stamps


def test_no_private_program_and_no_secret_appears_anywhere_in_the_site(demo_site, demo_sources):
    from build import demo

    markers = demo.private_markers(demo_sources[2])
    assert markers, "the demo must have private programs for this test to mean anything"
    leaks = []
    for path, content in files_under(demo_site).items():
        text = content.decode("utf-8", errors="replace")
        leaks += [f"{path}: {marker!r}" for marker in markers if marker in text]
        leaks += [f"{path}: SECRET" for _ in re.finditer("SECRET-", text)]
    assert not leaks, leaks[:10]


def test_no_query_reads_a_secret_or_personal_column():
    pattern = re.compile(r"\b(" + "|".join(SECRET_COLUMNS) + r")\b", re.IGNORECASE)
    for path in sorted((ROOT / "queries").glob("*.sql")):
        sql = path.read_text(encoding="utf-8")
        assert not pattern.search(sql), f"{path.name} mentions {pattern.search(sql).group(0)}"


def test_hostile_titles_are_escaped_in_html_and_neutralised_in_csv(demo_site):
    html = "\n".join(p.read_text(encoding="utf-8") for p in demo_site.rglob("*.html"))
    assert "&lt;script&gt;alert(" in html
    assert "<script>alert(" not in html
    titles = []
    for name in ("campaigns", "courses"):
        with open(demo_site / "data" / "v1" / f"{name}.csv", encoding="utf-8", newline="") as handle:
            titles += [row["title"] for row in csv.DictReader(handle)]
    formulas = [t for t in titles if t and t[0] in "=+-@"]
    assert not formulas, formulas
    assert any(t.startswith("'=HYPERLINK(") for t in titles)
    rows = json.loads((demo_site / "data" / "v1" / "courses.json").read_text(encoding="utf-8"))
    assert any(row["title"].startswith("=HYPERLINK(") for row in rows)  # JSON keeps the true value


def test_pages_stay_inside_the_site_whatever_the_slug(demo_site):
    for path in demo_site.rglob("*"):
        assert demo_site.resolve() in path.resolve().parents or path.resolve() == demo_site.resolve()
    campaign_pages = list((demo_site / "campaigns").glob("*/index.html"))
    campaigns = json.loads((demo_site / "data" / "v1" / "campaigns.json").read_text(encoding="utf-8"))
    assert len(campaign_pages) == len(campaigns)


def test_status_reports_every_dataset_fresh(demo_site):
    status = json.loads((demo_site / "status.json").read_text(encoding="utf-8"))
    assert status["as_of"] == AS_OF and status["state"] == "fresh" and status["exit_code"] == 0
    assert {d["name"] for d in status["datasets"]} == DATASETS
    assert all(d["status"] == "fresh" and d["error"] is None for d in status["datasets"])


def test_a_failing_query_keeps_its_last_published_files_and_exits_1(demo_sources, tmp_path):
    dashboard, replica, _ = demo_sources
    queries = tmp_path / "queries"
    shutil.copytree(ROOT / "queries", queries)
    (tmp_path / "site.toml").write_text(f'[build]\nqueries = "{queries}"\n', encoding="utf-8")
    arguments = ("--config", str(tmp_path / "site.toml"), "--as-of", AS_OF, "--out", str(tmp_path / "site"))
    arguments += ("--source", f"dashboard={dashboard}", "--source", f"replica={replica}")
    assert run_build(*arguments).returncode == 0
    before = (tmp_path / "site" / "data" / "v1" / "wikis.csv").read_bytes()

    broken = (queries / "wikis.sql").read_text(encoding="utf-8").replace("FROM programs AS p", "FROM no_such_table")
    (queries / "wikis.sql").write_text(broken, encoding="utf-8")
    before_retention = (tmp_path / "site" / "data" / "v1" / "program_retention.csv").read_bytes()
    text = (queries / "participant_activity.sql").read_text(encoding="utf-8")
    (queries / "participant_activity.sql").write_text(text.replace("JOIN cohorts AS c", "JOIN no_cohorts AS c"))
    result = run_build(*arguments)
    assert result.returncode == 1, result.stderr
    # The console and the report say what failed, with an error id; the database's words go
    # only into the state folder's error file (tests/test_hostile_failures.py has the attacks).
    assert '"wikis": query failed' in result.stderr and "no_such_table" not in result.stderr
    assert (tmp_path / "site" / "data" / "v1" / "wikis.csv").read_bytes() == before
    status = json.loads((tmp_path / "site" / "status.json").read_text(encoding="utf-8"))
    wikis = next(d for d in status["datasets"] if d["name"] == "wikis")
    assert status["state"] == "stale" and wikis["status"] == "stale" and wikis["error"].startswith("query failed")
    error_id = re.search(r"\[error ([0-9a-f]{8})\]", wikis["error"]).group(1)
    assert "no_such_table" in (tmp_path / ".almanac" / "errors" / f"{error_id}.txt").read_text(encoding="utf-8")
    assert wikis["last_success"] is not None
    # A failed input of a derivation: the derived datasets keep their files and say why.
    assert (tmp_path / "site" / "data" / "v1" / "program_retention.csv").read_bytes() == before_retention
    retention = next(d for d in status["datasets"] if d["name"] == "program_retention")
    assert retention["status"] == "stale"
    assert retention["error"].startswith("not derived (input participant_activity failed)")
    assert next(d for d in status["datasets"] if d["name"] == "monthly_activity")["status"] == "stale"
    assert next(d for d in status["datasets"] if d["name"] == "campaigns")["status"] == "fresh"
    assert "wikis" in (tmp_path / "site" / "status" / "index.html").read_text(encoding="utf-8")

    strict = run_build(*arguments, "--strict")
    assert strict.returncode == 2 and "--strict: nothing was published" in strict.stderr
    assert "Published" not in strict.stderr


def test_every_source_down_publishes_nothing_and_exits_2(tmp_path):
    missing = f"duckdb:///{tmp_path}/missing.duckdb"
    result = run_build(
        "--out", str(tmp_path / "site"), "--source", f"dashboard={missing}", "--source", f"replica={missing}"
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "python build.py demo" in result.stderr
    assert not (tmp_path / "site").exists()


def test_bad_settings_exit_2_with_every_problem(tmp_path):
    (tmp_path / "site.toml").write_text('[privacy]\nk_min = 0\n[retention]\nretention_months = "x"\n')
    result = run_build("--config", str(tmp_path / "site.toml"))
    assert result.returncode == 2
    assert (
        "site.toml:2: [privacy] k_min" in result.stderr and "site.toml:4: [retention] retention_months" in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_a_malformed_query_stops_the_build_naming_file_and_line(tmp_path, demo_sources):
    queries = tmp_path / "queries"
    queries.mkdir()
    (queries / "broken.sql").write_text('/*\ntitle = "x"\n*/\nSELECT 1', encoding="utf-8")
    (tmp_path / "site.toml").write_text(f'[build]\nqueries = "{queries}"\n', encoding="utf-8")
    result = run_build("--config", str(tmp_path / "site.toml"), "--source", f"dashboard={demo_sources[0]}")
    assert result.returncode == 2
    assert "queries/broken.sql:1: header has no 'description'" in result.stderr


def test_a_second_build_while_one_holds_the_lock_exits_3(tmp_path, demo_sources):
    import subprocess
    import sys
    import time

    (tmp_path / "state").mkdir()
    lock_path = tmp_path / "state" / "build.lock"  # the lock lives in [build] state_dir
    config = tmp_path / "site.toml"
    config.write_text(f'[build]\nqueries = "{ROOT / "queries"}"\nstate_dir = "state"\n', encoding="utf-8")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time, pathlib; sys.path.insert(0, sys.argv[1]); from build import lock; "
            "held = lock.acquire(pathlib.Path(sys.argv[2]), 3600); print('held', flush=True); time.sleep(60)",
            str(ROOT),
            str(lock_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        result = run_build("--config", str(config), "--source", f"dashboard={demo_sources[0]}")
        assert result.returncode == 3, result.stderr
        assert str(holder.pid) in result.stderr
        assert time.monotonic() - started < 60
        assert not (tmp_path / "site").exists()
    finally:
        holder.kill()
        holder.wait()


def test_help_explains_every_command():
    result = run_build("--help")
    assert result.returncode == 0
    for word in ("--as-of", "--out", "--source", "--strict", "demo", "serve", "history", "archive", "Exit codes"):
        assert word in result.stdout
    for command, options in {
        "demo": ("--scale", "--seed", "--dashboard", "--replica"),
        "history": ("--column", "--since", "--ref"),
        "serve": ("--port",),
    }.items():
        text = run_build(command, "--help").stdout
        assert all(option in text for option in options), command


def test_an_empty_database_builds_every_dataset_with_no_rows(tmp_path):
    import duckdb

    from build import demo

    for name in ("dashboard", "replica"):
        with duckdb.connect(str(tmp_path / f"{name}.duckdb")) as connection:
            demo.create_schema(connection, name, "duckdb")
    result = run_build(
        "--as-of",
        AS_OF,
        "--out",
        str(tmp_path / "site"),
        "--source",
        f"dashboard=duckdb:///{tmp_path}/dashboard.duckdb",
        "--source",
        f"replica=duckdb:///{tmp_path}/replica.duckdb",
    )
    assert result.returncode == 0, result.stderr
    data = tmp_path / "site" / "data" / "v1"
    totals = json.loads((data / "system_totals.json").read_text(encoding="utf-8"))
    assert totals == [dict.fromkeys(totals[0], 0)]
    for name in DATASETS - {"system_totals"}:
        assert json.loads((data / f"{name}.json").read_text(encoding="utf-8")) == [], name
    assert (tmp_path / "site" / "campaigns" / "index.html").exists()


def test_wiki_domains_in_sql_agree_with_the_python_rule(demo_site):
    from build.wikis import wiki_domain

    for row in json.loads((demo_site / "data" / "v1" / "wikis.json").read_text(encoding="utf-8")):
        assert row["wiki"] == wiki_domain(row["language"], row["project"])


def test_no_queries_is_one_clear_error(tmp_path):
    (tmp_path / "queries").mkdir()
    (tmp_path / "site.toml").write_text(f'[build]\nqueries = "{tmp_path / "queries"}"\n', encoding="utf-8")
    result = run_build("--config", str(tmp_path / "site.toml"))
    assert result.returncode == 2 and "has no .sql file" in result.stderr
