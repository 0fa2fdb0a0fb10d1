"""History edits: campaign retention (retention.md §2) counted on every wiki at once, from the edit history.

The replica path (pipeline.extract_replica_edits) asks each wiki's replica, in batches of names. With
`[retention] edits_source = "history"` the build instead runs one distributed query,
`queries/history/campaign_edit_windows.sql`, on the source named `history`: a Spark source (build/spark.py)
whose `mediawiki_history` table is Wikimedia's `wmf.mediawiki_history` (or the demo's Parquet copy,
build/demo_parquet.py). The build gives Spark two small tables of its own:

- `campaign_new_editors` (campaign_id, user_id, global_id): the campaigns' new editors with their global
  (CentralAuth) account ids, from the Dashboard's `users.global_id`;
- `measured_windows` (campaign_id, months_after, first_day, last_day): every window that can be measured,
  that is ended before the as-of date and before the end of the snapshot read.

and gets back, per measured window, how many new editors edited in it. Edits are counted on every wiki in
the table, or on the wikis `retention_wikis` names. One `snapshot` partition is read: `history_snapshot`, or
the latest one whose month ended before the as-of month (a snapshot is a complete copy of all history up to
its month, so reading two would count every edit twice). Windows ending after the snapshot are censored, as
windows ending after the as-of date are. `campaign_retention` then publishes exactly the columns of the
replica path (cohorts.CAMPAIGN_RETENTION); no wiki is named as failed, because there is one source.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field

import pandas as pd

from build import extract, failures, queries
from build.config import Settings
from build.dashboard import cohorts
from build.datasets import Dataset, SchemaError
from build.derivations import Recipe, Stage
from build.failures import Failure
from build.sources import SourceError, open_source, redact

log = logging.getLogger("almanac")

SOURCE = "history"
QUERY = "history/campaign_edit_windows.sql"
NEW_EDITORS_SCHEMA = "campaign_id BIGINT, user_id BIGINT, global_id BIGINT"
WINDOWS_SCHEMA = "campaign_id BIGINT, months_after INT, first_day DATE, last_day DATE"
INPUTS = ("campaigns", "campaign_new_editors")


def uses_history(settings: Settings) -> bool:
    return settings.get("retention", "edits_source") == "history"


@dataclass
class HistoryEdits:
    """What the history query gave: its Extraction (failures as Failures) and the snapshot it read."""

    extraction: extract.Extraction = field(default_factory=extract.Extraction)
    snapshot: str | None = None


def look_up_edits(stage: Stage) -> None:
    """The history path of the Dashboard's derivations: the query's dataset, failure and source join the stage."""
    found = extract_history_edits(stage.datasets, stage.settings)
    stage.datasets.update(found.extraction.datasets)
    stage.sources.update(found.extraction.sources)
    for failure in found.extraction.failures.values():
        stage.fail(failure)


def extract_history_edits(datasets: dict[str, Dataset], settings: Settings) -> HistoryEdits:
    """Run the history query for the campaigns' new editors; a failure costs campaign_retention only."""
    result = HistoryEdits()
    query = queries.parse_query(settings.queries_dir / QUERY)
    failed = result.extraction.failures
    stale = [name for name in INPUTS if name not in datasets or datasets[name].stale]
    if stale:
        detail = f"{query.origin}: not run, because {' or '.join(stale)} failed."
        failed[query.name] = Failure(
            failures.NOT_RUN, query.name, detail=detail, note=f"input {', '.join(stale)} failed"
        )
        return result
    if query.source not in settings.sources:
        detail = (
            f"{query.origin}: no source named {query.source!r}; add [sources.{query.source}] with a Spark URL "
            'such as url = "spark+yarn://?database=wmf" (README "Running on Wikimedia\'s analytics cluster").'
        )
        failed[query.name] = Failure(failures.NOT_RUN, query.name, detail=detail, note=f"no source {query.source}")
        return result
    source = settings.sources[query.source]
    started = dt.datetime.now()
    try:
        connection = open_source(source, settings.root)
    except SourceError as error:
        result.extraction.sources[source.name] = extract.source_status(source, None, error)
        failed[query.name] = result.extraction.sources[source.name]["error"].of(query.name)
        return result
    with connection:
        result.extraction.sources[source.name] = extract.source_status(source, connection, None)
        try:
            result.snapshot, frame = _run(query, connection, datasets, settings)
            result.extraction.datasets[query.name] = query.empty_dataset().with_frame(frame)
        except (SourceError, queries.QueryError, extract.ExtractError, SchemaError) as error:
            failed[query.name] = extract.query_failure(query, error)
    result.extraction.sources[source.name]["snapshot"] = result.snapshot
    result.extraction.seconds[query.name] = (dt.datetime.now() - started).total_seconds()
    log.info("%-28s snapshot %s, %s", query.name, result.snapshot, redact(source.url))
    return result


def _run(query, connection, datasets, settings: Settings) -> tuple[str, pd.DataFrame]:
    if not hasattr(connection, "register"):
        raise SourceError(
            f"source {connection.name!r}: the history path needs a Spark source (spark+local://N, "
            "spark://host:7077 or spark+yarn://), not " + connection.description
        )
    snapshot = settings.get("retention", "history_snapshot") or latest_snapshot(connection, settings.as_of)
    cut = min(settings.as_of, snapshot_end(snapshot))
    windows = settings.get("retention", "retention_windows")
    editors = datasets["campaign_new_editors"].frame
    if "global_id" not in editors.columns:
        raise queries.QueryError(
            "queries/campaign_new_editors.sql: the history path matches people by global account id; "
            "select u.global_id AS global_id and declare it in [columns]."
        )
    measured = measured_windows(datasets["campaigns"].frame, windows, cut)
    connection.register("campaign_new_editors", editors[["campaign_id", "user_id", "global_id"]], NEW_EDITORS_SCHEMA)
    connection.register("measured_windows", measured, WINDOWS_SCHEMA)
    wikis = list(settings.get("retention", "retention_wikis"))
    first = measured["first_day"].min() if len(measured) else cut
    last = measured["last_day"].max() if len(measured) else cut
    parameters = {
        **extract.query_parameters(settings),
        "snapshot": snapshot,
        "edits_from": first.isoformat(),
        "edits_until": (last + dt.timedelta(days=1)).isoformat(),
        "every_wiki": not wikis,
        "wikis": wikis,
    }
    return snapshot, extract.run_query(query, connection, parameters)


def latest_snapshot(connection, as_of: dt.date) -> str:
    """The latest `snapshot` of mediawiki_history whose month ended before the as-of month: the partitions
    listed by the catalog (SHOW PARTITIONS, cheap on the Hive table), else the distinct values."""
    try:
        values = [row[0].partition("=")[2] for row in connection.run("SHOW PARTITIONS mediawiki_history")]
    except Exception:  # a temporary view over Parquet files has no partitions to show
        values = [row[0] for row in connection.run("SELECT DISTINCT snapshot FROM mediawiki_history")]
    before = as_of.replace(day=1).strftime("%Y-%m")
    usable = sorted(v for v in values if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}", v) and v < before)
    if not usable:
        raise SourceError(
            f"source {connection.name!r}: mediawiki_history has no snapshot before {before} "
            f"(it has: {', '.join(sorted(map(str, values))) or 'none'}); set [retention] history_snapshot."
        )
    return usable[-1]


def snapshot_end(snapshot: str) -> dt.date:
    """The first day after a snapshot's month: its edits all happened before it. '2026-10' → 2026-11-01."""
    year, month = (int(part) for part in snapshot.split("-"))
    return dt.date(year + month // 12, month % 12 + 1, 1)


def measured_windows(campaigns: pd.DataFrame, windows: list[int], cut: dt.date) -> pd.DataFrame:
    """(campaign_id, months_after, first_day, last_day) of every window of a dated campaign that ended
    before `cut`: window k of a campaign ending on E runs from E + 30(k-1) + 1 to E + 30k days."""
    rows = []
    for campaign_id, end_date in zip(campaigns["campaign_id"], campaigns["end_date"], strict=True):
        if not isinstance(end_date, str):
            continue
        end = dt.date.fromisoformat(end_date)
        for k in windows:
            first, last = end + dt.timedelta(days=30 * (k - 1) + 1), end + dt.timedelta(days=30 * k)
            if last < cut:
                rows.append((int(campaign_id), int(k), first, last))
    return pd.DataFrame(rows, columns=["campaign_id", "months_after", "first_day", "last_day"])


def campaign_retention(
    campaigns: pd.DataFrame, new_editors: pd.DataFrame, retained: pd.DataFrame, *, windows: list[int], k_min: int
) -> Dataset:
    """campaign_retention from the history query's counts: a (campaign, window) it did not measure is
    censored (empty); sizes and suppression as in cohorts.campaign_retention."""
    sizes = new_editors.drop_duplicates(["campaign_id", "user_id"]).groupby("campaign_id")["user_id"].nunique()
    counts = {
        (int(c), int(k)): int(n)
        for c, k, n in zip(retained["campaign_id"], retained["months_after"], retained["retained"], strict=True)
    }
    rows = [
        cohorts.retention_row(
            campaign, k, int(sizes.get(campaign.campaign_id, 0)), counts.get((int(campaign.campaign_id), int(k))), k_min
        )
        for campaign in campaigns.itertuples(index=False)
        for k in windows
    ]
    return cohorts.CAMPAIGN_RETENTION.with_frame(pd.DataFrame(rows, columns=cohorts.CAMPAIGN_RETENTION.column_names))


def recipe(settings: Settings) -> Recipe:
    """campaign_retention on the history path: its inputs and how to make it."""
    return Recipe(
        cohorts.CAMPAIGN_RETENTION,
        ("campaigns", "campaign_new_editors", "campaign_edit_windows"),
        lambda c, n, r: campaign_retention(
            c.frame,
            n.frame,
            r.frame,
            windows=settings.get("retention", "retention_windows"),
            k_min=settings.k_min,
        ),
    )
