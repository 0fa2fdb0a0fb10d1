"""Every key of site.toml, declared once: its section and name, the check of its value (build/ranges.py),
what is allowed, its default and its meaning, the way MkDocs declares its config. build/config.py reads
the file against this list; the README's settings table and site.toml document the same keys (a test
checks both).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from build import ranges


@dataclass(frozen=True)
class Setting:
    """One key of site.toml: its section, name, checker, default and meaning."""

    section: str
    key: str
    check: Callable[[Any], Any]
    expected: str
    default: Any
    doc: str


SCHEMA: tuple[Setting, ...] = (
    Setting(
        "site",
        "title",
        ranges.text(120, required=True),
        "one line of 1 to 120 characters",
        "Almanac",
        "Site title, shown on every page.",
    ),
    Setting(
        "site",
        "description",
        ranges.text(500),
        "one line of at most 500 characters",
        "Public metrics, published from a database on a schedule.",
        "One sentence under the title on the home page.",
    ),
    Setting(
        "site",
        "base_url",
        ranges.http_url_or_empty,
        "an absolute http:// or https:// URL without a password, or empty",
        "",
        "Where the site is deployed; used only in datapackage.json. Links stay relative.",
    ),
    Setting(
        "site",
        "license",
        ranges.license_id,
        "an SPDX license id such as CC0-1.0 or CC-BY-SA-4.0 (letters, digits, '.', '+', '-')",
        "CC0-1.0",
        "License of the published data, written into datapackage.json.",
    ),
    Setting(
        "build",
        "as_of",
        ranges.date_or_empty,
        "a date YYYY-MM-DD from 2001-01-01 to tomorrow (UTC), or empty for the build's UTC date",
        None,
        "Replaces 'now' everywhere; activity dated on or after it is ignored.",
    ),
    Setting(
        "build",
        "out",
        ranges.folder,
        "a folder path: not empty, not the project, a home, / or .git, and holding no file git tracks",
        "site",
        "Where the site is published (relative to site.toml): a symbolic link to the newest build, kept "
        "in state_dir. An existing folder must be empty, an earlier Almanac site, or a restored data/ only.",
    ),
    Setting(
        "build",
        "state_dir",
        ranges.folder,
        "a folder path outside the output folder, not the project, a home, / or .git",
        ".almanac",
        "What the build keeps between runs and never deploys (lock, staging, kept builds, cache, "
        "status history, full error messages), relative to site.toml. Keep it out of git and of the site.",
    ),
    Setting(
        "build",
        "cache_dir",
        ranges.folder_or_empty,
        "a folder path outside the output folder, or empty for cache/ in state_dir",
        "",
        "The build cache (derivations, replica lookups, pages and files keyed by their inputs): holds numbers "
        "before suppression, so never deploy it or share it between branches; `--no-cache` ignores it.",
    ),
    Setting(
        "build",
        "keep_builds",
        ranges.whole(1, 20),
        "a whole number from 1 to 20",
        3,
        "Complete builds kept in state_dir, the published one included; `build.py rollback` goes back one.",
    ),
    Setting(
        "build",
        "queries",
        ranges.folder,
        "a folder path",
        "queries",
        "Folder of the .sql files, one per dataset.",
    ),
    Setting(
        "build",
        "schedule",
        ranges.cron_schedule,
        "a five-field cron expression in UTC such as '17 5 * * *'",
        "17 5 * * *",
        "When the scheduled build runs (the GitHub workflow's cron and the Toolforge job's schedule must "
        "match it); the status page tells readers when the next update is due.",
    ),
    Setting(
        "build",
        "lock_max_age",
        ranges.whole(60, 7 * 24 * 3600),
        "a whole number of seconds from 60 to 604800 (a week)",
        6 * 3600,
        "A lock older than this whose process cannot be checked (another host) is taken over.",
    ),
    Setting(
        "build",
        "archive_branch",
        ranges.branch_name,
        "a git branch name such as data (letters, digits, '.', '_', '/', '-')",
        "data",
        "Branch the scheduled job commits site/data/ to: the archive of every metric. It may hold only "
        "archived data, and must not be checked out anywhere.",
    ),
    Setting(
        "build",
        "query_timeout",
        ranges.whole(1, 24 * 3600),
        "a whole number of seconds from 1 to 86400 (a day)",
        600,
        "Time limit of one SQL statement on MySQL/MariaDB sources.",
    ),
    Setting(
        "build",
        "update_length_days",
        ranges.whole(0, 3650),
        "a whole number of days from 0 to 3650",
        30,
        "The Dashboard's update_length: a course ended more than this long ago is archived.",
    ),
    Setting(
        "privacy",
        "k_min",
        ranges.whole(1, 1000),
        "a whole number from 1 to 1000",
        5,
        "Groups of fewer people than this are published with their numbers suppressed.",
    ),
    Setting(
        "retention",
        "retention_months",
        ranges.whole(1, 120),
        "a whole number of months from 1 to 120",
        12,
        "Program retention: months after the cohort month that are measured.",
    ),
    Setting(
        "retention",
        "retention_windows",
        ranges.increasing_whole_list(1, 60, 24),
        "a non-empty, increasing list of at most 24 distinct whole numbers from 1 to 60, e.g. [1, 3, 6]",
        [1, 3, 6],
        "Campaign retention: the 30-day windows k after the campaign end.",
    ),
    Setting(
        "retention",
        "preregistration_days",
        ranges.whole(0, 365),
        "a whole number of days from 0 to 365",
        0,
        "Campaign retention: accounts registered this many days before a course count as new.",
    ),
    Setting(
        "retention",
        "retention_wikis",
        ranges.dbname_list(1000),
        "a list of at most 1000 distinct wiki database names such as ['enwiki', 'commonswiki']",
        [],
        "Campaign retention: wikis to count edits on; empty means the courses' home wikis.",
    ),
    Setting(
        "retention",
        "replica_lag_days",
        ranges.whole(1, 365),
        "a whole number of days from 1 to 365",
        3,
        "Campaign retention: replica edits older than this many days before the as-of date are final; "
        "the build cache keeps them and never asks the replicas for them again.",
    ),
    Setting(
        "retention",
        "edits_source",
        ranges.one_of("replica", "history"),
        "replica or history",
        "replica",
        "Campaign retention: where edits are counted: the wiki replicas, per wiki (replica), or the edit history "
        "of every wiki in one Spark query (history: the source named history, see build/history_edits.py).",
    ),
    Setting(
        "retention",
        "history_snapshot",
        ranges.month_or_empty,
        "a snapshot month YYYY-MM, or empty for the latest one before the as-of month",
        "",
        "Campaign retention from the history: the mediawiki_history snapshot read; windows past it are censored.",
    ),
    Setting(
        "spark",
        "conf",
        ranges.spark_conf,
        'a table of Spark settings, e.g. { "spark.executor.memory" = "4g" }',
        {},
        "Settings of the Spark session (build/spark.py), over its defaults; used only by Spark sources.",
    ),
    Setting(
        "links",
        "program_link",
        ranges.text(500),
        "one line of at most 500 characters: a URL with {column}s of the programs dataset, or empty",
        "https://outreachdashboard.wmflabs.org/courses/{course_slug:path}",
        "Where each program is on the Dashboard ({column} is percent-encoded; {column:path} keeps '/').",
    ),
    Setting(
        "links",
        "campaign_link",
        ranges.text(500),
        "one line of at most 500 characters: a URL with {campaign}, or empty",
        "https://outreachdashboard.wmflabs.org/campaigns/{campaign}",
        "Where each campaign is on the Dashboard.",
    ),
    Setting(
        "alerts",
        "stale_after_days",
        ranges.whole(0, 365),
        "a whole number of days from 0 to 365",
        2,
        "Alert the maintainers (one issue) when a dataset has not been fresh for longer than this.",
    ),
)
