"""As it stood then: a build at --as-of D on today's database publishes the same data files, byte for byte, as a
build at D on a copy of the database from which every row dated on or after D was deleted.

The copy is made from the session's demo (tests/conftest.py `demo_sources`, DuckDB): every dashboard table with a
`created_at` loses the rows created on or after D, users also those registered on or after D, uploads those
uploaded then, timeslices those starting then, and every wiki replica the revisions made then. Nothing else
changes (updated_at, the courses' undated cached totals, …): that is the contract the queries must meet.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT, isolated_config, run_builds

DATES = ("2025-07-15", "2026-03-01")

# Tables dated by something other than (or besides) created_at.
TIMESLICES = (
    "course_wiki_timeslices",
    "course_user_wiki_timeslices",
    "article_course_timeslices",
    "article_course_user_wiki_timeslices",
)
DATED_BY = {
    "users": ("created_at", "registered_at"),
    "commons_uploads": ("created_at", "uploaded_at"),
    **{table: ("start",) for table in TIMESLICES},
}
# The kinds of rows the contract names, each a group of tables: the truncation must delete rows of each kind,
# or the comparison proves nothing about it.
KINDS = {
    "programs": ("courses",),
    "enrolments": ("courses_users",),
    "campaign membership": ("campaigns_courses",),
    "campaigns": ("campaigns",),
    "users": ("users",),
    "articles": ("articles",),
    "uploads": ("commons_uploads",),
    "timeslices": TIMESLICES,
    "revisions": ("revision",),
}


@dataclass
class AsOfBuilds:
    full: Path  # the site built on the whole database
    truncated: Path  # the site built on the copy without rows dated on or after the as-of date
    deleted: dict[str, int]  # rows deleted per table ("revision": over every wiki)


def truncate_dashboard(path: Path, as_of: str) -> dict[str, int]:
    """Delete every row dated on or after `as_of` from the dashboard file; return the rows deleted per table."""
    deleted = {}
    with duckdb.connect(str(path)) as connection:
        columns: dict[str, list[str]] = {}
        for table, column in connection.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main'"
        ).fetchall():
            columns.setdefault(table, []).append(column)
        for table, names in sorted(columns.items()):
            dated = DATED_BY.get(table, ("created_at",) if "created_at" in names else ())
            if not dated:
                continue
            condition = " OR ".join(f'"{column}" >= CAST(? AS DATE)' for column in dated)
            before = connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
            connection.execute(f'DELETE FROM "{table}" WHERE {condition}', [as_of] * len(dated))
            deleted[table] = before - connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
    return deleted


def truncate_replica(path: Path, as_of: str) -> int:
    """Delete the revisions made on or after `as_of` from every wiki schema of the replica file."""
    stamp = dt.date.fromisoformat(as_of).strftime("%Y%m%d") + "000000"
    deleted = 0
    with duckdb.connect(str(path)) as connection:
        schemas = connection.execute(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'revision' "
            "AND table_type = 'BASE TABLE' ORDER BY 1"
        ).fetchall()
        for (schema,) in schemas:
            table = f'"{schema}".revision'
            before = connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            connection.execute(f"DELETE FROM {table} WHERE rev_timestamp >= ?", [stamp])
            deleted += before - connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    return deleted


def local_path(url: str) -> Path:
    return Path(url.removeprefix("duckdb:///"))


def build_arguments(out: Path, as_of: str, dashboard: Path, replica: Path, cache: Path) -> tuple[str, ...]:
    """A build into `out` on a state folder of its own beside it (so that builds can run at once)."""
    config = isolated_config(out.parent / f"{out.name}-settings", cache)
    sources = ("--source", f"dashboard=duckdb:///{dashboard}", "--source", f"replica=duckdb:///{replica}")
    return ("--config", str(config), "--as-of", as_of, "--out", str(out), *sources)


@pytest.fixture(scope="module")
def as_of_builds(demo_sources, build_cache, tmp_path_factory) -> dict[str, AsOfBuilds]:
    """For each date: the demo built on the full database and on its truncated copy (the four builds two at a
    time: each is independent of the others)."""
    dashboard, replica = (local_path(url) for url in demo_sources[:2])
    builds, arguments = {}, []
    for as_of in DATES:
        folder = tmp_path_factory.mktemp(f"asof-{as_of}")
        copies = folder / "dashboard.duckdb", folder / "replica.duckdb"
        shutil.copyfile(dashboard, copies[0])
        shutil.copyfile(replica, copies[1])
        deleted = truncate_dashboard(copies[0], as_of)
        deleted["revision"] = truncate_replica(copies[1], as_of)
        builds[as_of] = AsOfBuilds(full=folder / "full", truncated=folder / "truncated", deleted=deleted)
        arguments.append(build_arguments(folder / "full", as_of, dashboard, replica, build_cache))
        arguments.append(build_arguments(folder / "truncated", as_of, *copies, build_cache))
    for result in run_builds(*arguments):
        assert result.returncode == 0, result.stdout + result.stderr
    return builds


def first_difference(name: str, full: bytes, truncated: bytes, lines: int = 8) -> str:
    diff = difflib.unified_diff(
        full.decode("utf-8", "replace").splitlines(),
        truncated.decode("utf-8", "replace").splitlines(),
        f"full/{name}",
        f"truncated/{name}",
        n=0,
        lineterm="",
    )
    return "\n".join(list(diff)[:lines])


def data_files(site: Path) -> dict[str, bytes]:
    folder = site / "data"
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("as_of", DATES)
def test_a_build_as_of_a_date_publishes_what_the_database_held_then(as_of_builds, as_of):
    builds = as_of_builds[as_of]
    full, truncated = data_files(builds.full), data_files(builds.truncated)
    assert sorted(full) == sorted(truncated)
    assert sum(name.endswith(".csv") for name in full) >= 5, sorted(full)
    differing = [name for name in full if full[name] != truncated[name]]
    report = "\n\n".join(first_difference(name, full[name], truncated[name]) for name in differing)
    assert not differing, f"as of {as_of}, {len(differing)} file(s) differ (full vs truncated): {differing}\n{report}"


@pytest.mark.parametrize("as_of", DATES)
def test_the_truncation_deleted_rows_of_every_kind(as_of_builds, as_of):
    deleted = as_of_builds[as_of].deleted
    empty = [kind for kind, tables in KINDS.items() if sum(deleted.get(table, 0) for table in tables) == 0]
    assert not empty, f"as of {as_of}, the demo has no rows dated on or after it of: {', '.join(empty)}"


def published_rows(site: Path, name: str) -> list[dict]:
    with (site / "data" / "v1" / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_two_dates_publish_different_numbers(as_of_builds):
    # Not vacuous across dates either: the later build sees programs the earlier one must not.
    programs = {as_of: len(published_rows(b.full, "courses")) for as_of, b in as_of_builds.items()}
    totals = {as_of: published_rows(b.full, "system_totals")[0]["programs"] for as_of, b in as_of_builds.items()}
    assert programs[DATES[0]] < programs[DATES[1]], programs
    assert totals == {as_of: str(count) for as_of, count in programs.items()}
    # No program created after the as-of date, so no year after it (the 2025-07-15 build once had a 2026 row).
    for as_of, builds in as_of_builds.items():
        years = [int(row["year"]) for row in published_rows(builds.full, "yearly_usage")]
        assert years and max(years) <= int(as_of[:4]), (as_of, years)


# ------------------------------------------------------------------------------------------- complete months


@pytest.fixture(scope="module")
def traps_dashboard(tmp_path_factory) -> Path:
    """tests/fixtures/traps.py's dashboard: every timeslice was updated at noon of the day it starts."""
    from tests.fixtures.traps import load_fixture

    folder = tmp_path_factory.mktemp("traps")
    load_fixture(folder / "dashboard.duckdb", folder / "replica.duckdb")
    return folder / "dashboard.duckdb"


def run_query(database: Path, name: str, as_of: str) -> list[dict]:
    """One shipped query, bound for `as_of` and run on a DuckDB file as the build runs it."""
    from build.queries import bind, parse_query, standard_parameters, to_sql

    query = parse_query(ROOT / "queries" / f"{name}.sql")
    tree = bind(query.tree, standard_parameters(dt.date.fromisoformat(as_of), {}), query.origin)
    with duckdb.connect(str(database), read_only=True) as connection:
        cursor = connection.execute(to_sql(tree, "duckdb"))
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.mark.parametrize(
    ("as_of", "first_incomplete"),
    [
        # Latest public updates before 2025-04-01: c6's slices of 2025-02-01 (c7's of 03-06 is private): only
        # months before 2025-02 are complete, so 2025-02 and 2025-03 are flagged.
        ("2025-04-01", "2025-02"),
        # Before 2025-06-01: c4's slices of 2025-05-20 (the private c5's are ignored): 2025-05 is incomplete.
        ("2025-06-01", "2025-05"),
        # Before 2025-07-15: c8's July slices: every month before the as-of month is complete.
        ("2025-07-15", "2025-07"),
        # Before 2024-11-01 nothing was updated: no month is known to be complete.
        ("2024-11-01", None),
    ],
)
def test_the_first_incomplete_month_follows_the_latest_update_before_the_as_of_date(
    traps_dashboard, as_of, first_incomplete
):
    assert run_query(traps_dashboard, "timeslice_updates", as_of) == [{"first_incomplete_month": first_incomplete}]


def test_campaign_activity_flags_the_months_after_the_latest_update(traps_dashboard):
    rows = run_query(traps_dashboard, "campaign_activity", "2025-04-01")
    flags = {(row["campaign"], row["month"]): row["complete"] for row in rows}
    assert flags == {
        ("spring-edit", "2024-12"): True,
        ("spring-edit", "2025-01"): True,
        ("tiny-meetup", "2025-02"): False,  # c6's own update of 2025-02-01 is not after February ended
        ("winter-drive", "2024-11"): True,
        ("winter-drive", "2024-12"): True,
        ("winter-drive", "2025-01"): True,
    }


def test_an_update_recorded_after_the_as_of_date_proves_nothing(traps_dashboard, tmp_path):
    # c6's program slice is re-aggregated on 2025-04-10: as of 2025-04-01 that update had not happened, and its
    # earlier time is lost, so the latest program update known then is c3's of 2025-01-06.
    database = tmp_path / "dashboard.duckdb"
    shutil.copyfile(traps_dashboard, database)
    with duckdb.connect(str(database)) as connection:
        connection.execute("UPDATE course_wiki_timeslices SET updated_at = '2025-04-10 12:00:00' WHERE course_id = 6")
    assert run_query(database, "timeslice_updates", "2025-04-01") == [{"first_incomplete_month": "2025-01"}]
    assert run_query(database, "timeslice_updates", "2025-05-01") == [{"first_incomplete_month": "2025-04"}]
