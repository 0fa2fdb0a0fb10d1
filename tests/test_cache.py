"""The build cache (build/cache.py) never serves a stale number: a cached rebuild writes the same bytes as a
build without the cache, after a change exactly the files that change are rewritten, and the cache lives
in the state folder, never in the site."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import duckdb
import pytest
from conftest import AS_OF, ROOT, run_build

from build import stamps as source_stamps

# Files that carry the build's own time (built_at, the build history): they differ between any two builds.
TIMED = {"status.json", "status-history.json", "status.atom", "status/index.html", "index.html"}


def files_under(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def stamps(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def untimed(files: dict) -> dict:
    return {name: value for name, value in files.items() if name not in TIMED}


@pytest.fixture
def project(tmp_path, demo_sources):
    """A site.toml of its own (state folder and cache under tmp_path) and a private copy of the demo databases."""
    dashboard, replica, _ = demo_sources
    copies = {}
    for name, url in (("dashboard", dashboard), ("replica", replica)):
        source = Path(url.removeprefix("duckdb:///"))
        shutil.copy(source, tmp_path / source.name)
        copies[name] = tmp_path / source.name
    config = tmp_path / "site.toml"
    config.write_text(
        f'[build]\nstate_dir = "{tmp_path / "state"}"\nqueries = "{ROOT / "queries"}"\n'
        f'[sources.dashboard]\nurl = "duckdb:///{copies["dashboard"]}"\n'
        f'[sources.replica]\nurl = "duckdb:///{copies["replica"]}"\n',
        encoding="utf-8",
    )
    return config, copies


def build(config: Path, out: Path, *extra: str):
    result = run_build("--config", str(config), "--as-of", AS_OF, "--out", str(out), *extra)
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_a_cached_rebuild_is_byte_identical_to_one_without_the_cache(project, tmp_path):
    config, _ = project
    build(config, tmp_path / "site")
    log = build(config, tmp_path / "site")
    assert "page 0/" not in log and re.search(r"derive (\d+)/\1,", log) and "replica" in log, log  # all hits
    assert re.search(r"svg ([1-9]\d*)/\1,", log), log  # the home page's static SVGs, drawn again from the same rows
    assert (tmp_path / "state" / "cache" / "page").is_dir()
    uncached = build(config, tmp_path / "plain", "--no-cache")
    assert "cache off (--no-cache)" in uncached
    cached, plain = files_under(tmp_path / "site"), files_under(tmp_path / "plain")
    assert untimed(cached) == untimed(plain)
    assert set(cached) == set(plain)
    assert not any("cache" in name.split("/")[0] for name in cached)  # never deployed


def test_one_changed_row_rewrites_exactly_the_files_it_changes(project, tmp_path):
    config, copies = project
    site = tmp_path / "site"
    build(config, site)
    build(config, site)  # every cache entry made; nothing changed
    before, before_stamps = files_under(site), stamps(site)

    with duckdb.connect(str(copies["dashboard"])) as connection:  # one program's cached character total
        course = connection.execute("SELECT min(course_id) FROM campaigns_courses").fetchone()[0]
        connection.execute("UPDATE courses SET character_sum = character_sum + 51750 WHERE id = ?", [course])
    log = build(config, site)
    after, after_stamps = files_under(site), stamps(site)
    build(config, tmp_path / "plain", "--no-cache")

    assert untimed(after) == untimed(files_under(tmp_path / "plain"))  # no stale number anywhere
    changed = {name for name in after if before.get(name) != after[name]} - TIMED
    rewritten = {name for name in after if before_stamps.get(name) != after_stamps[name]} - TIMED
    rewritten.discard(".almanac-site")  # staging.py marks every build folder as Almanac's (same bytes)
    assert changed, "the changed row must change some published file"
    assert any(name.startswith("data/v1/campaigns/") for name in changed)  # its campaign's own files
    assert rewritten == changed  # exactly the affected files are written; the rest are left as they were
    assert len(changed) < len(after) / 10, sorted(changed)
    assert "page 0/" not in log  # the unaffected pages came from the cache
    assert "suppress 1/2" in log  # the campaigns' suppression reads no character total: its choice is kept


def test_queries_and_lookups_of_an_unchanged_source_are_reused_and_a_changed_one_is_asked(project, tmp_path):
    """An embedded source that proves it has not changed (stamps.content_stamp) gives the rows the same
    statements returned before; once it has changed, every query and lookup on it runs again."""
    config, copies = project
    site = tmp_path / "site"
    # The copies are settled first: a file written in the last seconds gets no stamp, so a first build that
    # reads it sooner (a fast start) would store nothing to reuse.
    time.sleep(source_stamps.SETTLED_SECONDS + 0.1)
    build(config, site)
    log = build(config, site)
    assert re.search(r"query (\d+)/\1,", log) and "lookup 1/1" in log, log  # nothing asked again
    assert "source unchanged" in build(config, tmp_path / "again")  # and the log says so, query by query

    with duckdb.connect(str(copies["dashboard"])) as connection:  # a program's character total, and …
        course = connection.execute("SELECT min(course_id) FROM campaigns_courses").fetchone()[0]
        connection.execute("UPDATE courses SET character_sum = character_sum + 51750 WHERE id = ?", [course])
    # … a day of edits on every wiki, inside the replica-lag margin (edits before it are final: never asked again)
    day, late = "20261029", "20261031"
    with duckdb.connect(str(copies["replica"])) as connection:
        wikis = connection.execute("SELECT DISTINCT schema FROM (SHOW ALL TABLES) WHERE name = 'revision'").fetchall()
        for (schema,) in wikis:
            offset = connection.execute(f"SELECT max(rev_id) FROM {schema}.revision").fetchone()[0]
            connection.execute(
                f"INSERT INTO {schema}.revision SELECT * REPLACE (rev_id + {offset} AS rev_id, "
                f"'{late}' || substr(rev_timestamp, 9) AS rev_timestamp) FROM {schema}.revision "
                f"WHERE rev_timestamp LIKE '{day}%'"
            )
    time.sleep(source_stamps.SETTLED_SECONDS + 0.1)  # settled: the stamps are new ones, not none
    log = build(config, site)
    assert "query 0/" in log and "lookup 0/1" in log, log
    assert "lookup-plan 1/1" in log, log  # the same new editors and period: whom to ask from when is kept
    build(config, tmp_path / "plain", "--no-cache")
    assert untimed(files_under(site)) == untimed(files_under(tmp_path / "plain"))
    assert untimed(files_under(site)) != untimed(files_under(tmp_path / "again"))  # the change is published


def test_an_upgraded_output_library_starts_from_an_empty_cache(monkeypatch):
    """A new vl-convert or pandas can write other bytes from the same rows: no key made before it matches."""
    import importlib.metadata

    from build import cache

    installed = importlib.metadata.version
    before = cache.code_digest()
    cache.code_digest.cache_clear()
    monkeypatch.setattr(
        importlib.metadata, "version", lambda name: "99.0" if name == "vl-convert-python" else installed(name)
    )
    try:
        assert cache.code_digest() != before
    finally:
        cache.code_digest.cache_clear()
    monkeypatch.undo()
    assert cache.code_digest() == before  # the same versions give the same digest


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (["ab", "c"], ["a", "bc"]),  # the same characters, cut elsewhere
        (["ab", None], ["ab", ""]),  # missing is not empty
        (["ab", None], ["ab", "None"]),
        (["é", "x"], ["é", "y"]),  # one character of one cell
        (["1", "2"], [1, 2]),  # text is not a number
    ],
)
def test_frames_that_differ_in_one_cell_have_different_digests(one, other):
    """The key of every cached item hashes its input frames: two that differ anywhere never share one."""
    import pandas as pd

    from build.cache import frame_digest

    for dtype in ("string", object):
        first, second = pd.DataFrame({"a": pd.array(one, dtype=dtype)}), pd.DataFrame({"a": other})
        if dtype == "string" and all(isinstance(v, str | None) for v in other):
            second = second.astype("string")
        assert frame_digest(first) != frame_digest(second), (dtype, one, other)
        assert frame_digest(first) == frame_digest(first.copy())
    twice, changed = pd.DataFrame([one, one], columns=["a", "a"]), pd.DataFrame([one, other], columns=["a", "a"])
    assert frame_digest(twice) != frame_digest(changed)  # two columns of one name: each is read


def test_the_cache_folder_may_not_be_inside_the_site(tmp_path):
    config = tmp_path / "site.toml"
    config.write_text(f'[build]\nout = "site"\ncache_dir = "site/cache"\nstate_dir = "{tmp_path / "state"}"\n')
    result = run_build("--config", str(config))
    assert result.returncode == 2
    assert "cache_dir" in result.stderr and "would be deployed" in result.stderr


def test_a_published_file_that_is_not_what_the_cache_says_is_made_again(project, tmp_path):
    """The cache keeps a file only when the output folder still holds it byte for byte (a rollback, or a
    hand edit, changes what the last build left): an unchanged rebuild makes the other ones again."""
    config, _ = project
    site = tmp_path / "site"
    build(config, site)
    entity_file = sorted((site / "data" / "v1" / "campaigns").rglob("*.json"))[0]
    dataset_file = site / "data" / "v1" / "courses.csv"
    for path in (entity_file, dataset_file):
        path.write_bytes(path.read_bytes().replace(b"1", b"7"))
    build(config, site)
    build(config, tmp_path / "plain", "--no-cache")
    for path in (entity_file, dataset_file):
        assert path.read_bytes() == (tmp_path / "plain" / path.relative_to(site)).read_bytes(), path
