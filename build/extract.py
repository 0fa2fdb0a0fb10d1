"""Extract: run each query against its source and return filled Datasets, or the reason it failed.

One failing query costs one dataset, never the run (like reportupdater's reports): its
error is recorded in an `Extraction`, and the caller keeps its last published files.

How a statement is run is build/reading.py's job (connectorx or the driver, retries, progress);
how a large query is read in pieces is build/chunks.py's (`chunk_key`: key ranges over parallel
connections, or keyset pages). A time limit on a query without `chunk_key` is not retried: the
same statement would meet the same limit; the message says to set `chunk_key` or raise
`[build] query_timeout`.

Anything that still fails fails the dataset. Each failure is a `failures.Failure`: a fixed public
description (query failed, source unreachable, timed out, data problem) with an error id,
and the full error (query file, source, the server's words) written only into the state
folder (`failures.record`). The console and the report see only the public text, since a
server's message can quote data values and names internal hosts, users and databases.
"""

from __future__ import annotations

import logging
import time
from contextlib import nullcontext
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import failures
from .cache import Cache
from .chunks import chunk_key_expression, keyset_page, run_chunked, sql_literal
from .config import Settings, SourceSettings
from .datasets import DataProblem, Dataset, SchemaError
from .failures import Failure
from .queries import Query, QueryError, bind, standard_parameters, to_sql
from .reading import DEFAULT_RETRY, ExtractError, Progress, Reader, RetryPolicy, concat, execute
from .sources import (
    Connection,
    SourceError,
    held_open,
    is_replica,
    open_source,
    parse_url,
    redact,
    server_message,
)
from .stamps import content_stamp

log = logging.getLogger("almanac")

__all__ = [  # what tests and tools import from here, wherever it lives
    "ExtractError",
    "Progress",
    "RetryPolicy",
    "chunk_key_expression",
    "keyset_page",
    "run",
    "run_per_wiki",
    "run_query",
    "sql_literal",
]


@dataclass
class Extraction:
    """What extraction produced: datasets by name, a Failure per failed query, seconds per
    query, and per source {"status": "ok"|"down", "lag_seconds": int|None, "error": Failure|None,
    "url": redacted URL} (a per-wiki source adds "wikis": the same per wiki). The URL is for the
    operator; the public report leaves it out (`report.public_source`)."""

    datasets: dict[str, Dataset] = field(default_factory=dict)
    failures: dict[str, Failure] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    sources: dict[str, dict] = field(default_factory=dict)


class SourceDown(Exception):
    """A query's source could not be opened; `failure` is the source's recorded Failure."""

    def __init__(self, failure: Failure):
        super().__init__(failure.public)
        self.failure = failure


def query_parameters(settings: Settings) -> dict[str, object]:
    return standard_parameters(
        settings.as_of,
        {
            "k_min": settings.k_min,
            "preregistration_days": settings.get("retention", "preregistration_days"),
            "update_length_days": settings.get("build", "update_length_days"),
            "retention_months": settings.get("retention", "retention_months"),
        },
    )


def run(
    queries: list[Query],
    settings: Settings,
    extra_parameters: dict | None = None,
    *,
    retry: RetryPolicy = DEFAULT_RETRY,
    cache: Cache | None = None,
) -> Extraction:
    """Run `queries` (all on non-per-wiki sources), one connection per source.

    A query on a source that proves it has not changed since a build ran the same statement
    (`stamps.content_stamp`: an embedded DuckDB file) gets that build's rows from `cache`."""
    result = Extraction()
    parameters = {**query_parameters(settings), **(extra_parameters or {})}
    connections: dict[str, Connection | Exception] = {}
    reuse = SourceReuse(settings, cache or Cache.off())
    try:
        for query in queries:
            started = time.monotonic()
            try:
                connection = _connection(connections, query.source, settings, result)
                frame = reuse.rows(query, parameters)
                reused = frame is not None
                if not reused:
                    frame = run_query(query, connection, parameters, retry=retry)
                    reuse.ran(query, parameters, frame)
                result.datasets[query.name] = query.empty_dataset().with_frame(frame)
                how = "  (source unchanged: rows of an earlier build)" if reused else ""
                log.info("%-28s %8d rows  %6.2fs%s", query.name, len(frame), time.monotonic() - started, how)
            except SourceDown as down:  # recorded once, when the source was opened
                result.failures[query.name] = down.failure.of(query.name)
                log.error('Dataset "%s" could not be built: source %r is unreachable.', query.name, query.source)
            except Exception as error:
                failure = query_failure(query, error)
                result.failures[query.name] = failures.record(failure, settings.state_dir)
            result.seconds[query.name] = time.monotonic() - started
    finally:
        for connection in connections.values():
            if isinstance(connection, Connection):
                connection.close()
    reuse.keep()
    return result


class SourceReuse:
    """The rows a query returned from a source that has not changed since (its `content_stamp` is the same),
    kept in the build cache; a source that cannot prove it has not changed is always asked."""

    def __init__(self, settings: Settings, cache: Cache):
        self.settings, self.cache = settings, cache
        self.stamps: dict[str, str | None] = {}
        self.fresh: dict[str, tuple[str, str, pd.DataFrame]] = {}  # key → (source, query, rows)

    def _key(self, query: Query, parameters: dict) -> str | None:
        if not self.cache.enabled or query.source not in self.settings.sources:
            return None
        if query.source not in self.stamps:  # taken before the source's first statement runs
            self.stamps[query.source] = content_stamp(self.settings.sources[query.source], self.settings.root)
        stamp = self.stamps[query.source]
        parts = (query.name, query.sql, query.chunk_key, query.chunk_size, sorted(parameters.items()))
        return stamp and self.cache.key("query", stamp, *parts)

    def rows(self, query: Query, parameters: dict) -> pd.DataFrame | None:
        key = self._key(query, parameters)
        return self.cache.get("query", key) if key else None

    def ran(self, query: Query, parameters: dict, frame: pd.DataFrame) -> None:
        if key := self._key(query, parameters):
            self.fresh[key] = (query.source, query.name, frame)

    def keep(self) -> None:
        """Store the rows read, for each source whose stamp is still the one taken before it was read."""
        for key, (source, name, frame) in self.fresh.items():
            if content_stamp(self.settings.sources[source], self.settings.root) == self.stamps[source]:
                self.cache.put("query", key, frame, {"query": name, "source": source})


def query_failure(query: Query, error: Exception) -> Failure:
    """The Failure for a query that raised `error`: its kind from the error's type, the full
    error (naming the query file and source) as the private detail."""
    if isinstance(error, DataProblem):
        return Failure(failures.DATA_PROBLEM, query.name, detail=str(error), note=error.public_note)
    if isinstance(error, ExtractError):
        return Failure(error.kind, query.name, detail=str(error))
    if isinstance(error, QueryError | SchemaError):
        return Failure(failures.QUERY_FAILED, query.name, detail=str(error))
    # not a driver error we know: keep its words (privately), name the query
    detail = f"{query.origin} on source {query.source!r}: {server_message(error)}"
    return Failure(failures.QUERY_FAILED, query.name, detail=detail)


def source_status(source: SourceSettings, connection: Connection | None, error: Exception | Failure | None) -> dict:
    """One source's entry for `Extraction.sources` and the build report; an error is kept as a
    Failure (public text when printed), never as the server's words."""
    lag = None
    if connection is not None and is_replica(source):
        lag = connection.replica_lag()
    if error is not None and not isinstance(error, Failure):
        error = Failure(failures.SOURCE_UNREACHABLE, f"source {source.name}", detail=str(error))
    return {
        "status": "down" if error else "ok",
        "lag_seconds": lag,
        "error": error,
        "url": redact(source.url),
    }


def summarize_wikis(source: SourceSettings, wikis: dict[str, dict]) -> dict:
    """A per-wiki source's entry: down if any wiki is down or failed, the largest lag, each wiki's
    entry, and `failed_wikis`, the sorted names of the wikis that did not answer."""
    down = {name: entry for name, entry in wikis.items() if entry["status"] != "ok"}
    lags = [entry["lag_seconds"] for entry in wikis.values() if entry["lag_seconds"] is not None]
    return {
        "status": "down" if down else "ok",
        "lag_seconds": max(lags) if lags else None,
        "error": "; ".join(f"{name}: {entry['error']}" for name, entry in sorted(down.items())) or None,
        "url": redact(source.url),
        "wikis": dict(sorted(wikis.items())),
        "failed_wikis": sorted(down),
    }


def _connection(cache: dict, name: str, settings: Settings, result: Extraction | None = None) -> Connection:
    """The open connection to source `name`, opened once; raises SourceDown (the failure recorded
    once, under "source NAME") when it cannot be opened."""
    if name not in cache:
        if name not in settings.sources:
            detail = f"no source named {name!r}; add [sources.{name}] to site.toml or pass --source {name}=URL."
            note = f"no source named {name!r} in the settings"
            cache[name] = Failure(failures.SOURCE_UNREACHABLE, f"source {name}", detail=detail, note=note)
            failures.record(cache[name], settings.state_dir, label=f'Source "{name}"')
        else:
            source = settings.sources[name]
            try:
                cache[name] = open_source(
                    source, settings.root, statement_timeout=settings.get("build", "query_timeout")
                )
                status = source_status(source, cache[name], None)
            except SourceError as error:
                note = _source_hint(source, settings)
                cache[name] = Failure(failures.SOURCE_UNREACHABLE, f"source {name}", detail=str(error), note=note)
                failures.record(cache[name], settings.state_dir, label=f'Source "{name}"')
                status = source_status(source, None, cache[name])
            if result is not None:
                result.sources[name] = status
    connection = cache[name]
    if isinstance(connection, Failure):
        raise SourceDown(connection)
    return connection


def _source_hint(source: SourceSettings, settings: Settings) -> str:
    """A fixed public hint for the one cause worth naming: the demo's DuckDB file not written yet."""
    try:
        url = parse_url(source.url, settings.root)
    except SourceError:
        return ""
    if url.scheme == "duckdb" and "{dbname}" not in source.url and not url.path.exists():
        return "no DuckDB file: run `python build.py demo`, or point the source at a database"
    return ""


# --- one query -------------------------------------------------------------------------------


def run_query(
    query: Query,
    connection: Connection,
    parameters: dict,
    *,
    retry: RetryPolicy = DEFAULT_RETRY,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Run one query on one connection and return its rows as a DataFrame (chunked when the
    header sets chunk_key). Raises ExtractError, naming query, source and server error."""
    tree = bind(query.tree, parameters, query.origin)
    own_progress = progress is None
    progress = progress or Progress(query.name)
    reader = Reader(connection, connection.fast)
    try:
        if query.chunk_key:
            return run_chunked(query, tree, reader, retry, progress)
        columns, frames = execute(reader, lambda: to_sql(tree, connection.dialect), query, retry, progress)
        return concat(frames, columns)
    finally:
        if own_progress:
            progress.close()


# --- per-wiki queries --------------------------------------------------------------------------


EMBEDDED_BATCH_SIZE = 50_000


def run_per_wiki(
    query: Query,
    settings: Settings,
    targets: dict[str, list[str]],
    batch_size: int = 500,
    *,
    extra_parameters: dict | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
) -> tuple[Dataset | None, str | None, dict]:
    """Run a per-wiki replica query for each wiki in `targets` (dbname → user names), in batches.

    Each wiki's source is opened with `open_source(..., dbname=dbname)`; the query runs once per
    batch of at most `batch_size` names with `:usernames` (the batch, bound as an IN tuple) and
    `:dbname`, plus the standard parameters.

    One failing wiki fails only itself (it cannot be opened, or a statement fails for good after
    the retries): the other wikis are still read. Returns (dataset, error, wikis): `dataset` holds
    the rows of every wiki that answered in full (never part of a wiki's rows); `error` names each
    failed wiki and why, or is None when all answered; `wikis` is the per-wiki status
    {dbname: {"status": "ok" | "down" (not opened) | "failed" (a statement failed), "lag_seconds",
    "error", "url"}}, which `summarize_wikis` turns into the source's entry for the build report.
    `dataset` is None only when nothing could be asked (no such source) or the rows do not fit
    the query's declared columns.
    """
    wikis: dict[str, dict] = {}
    if query.source not in settings.sources:
        return None, f"{query.origin}: no source named {query.source!r}; add [sources.{query.source}].", wikis
    base = {**query_parameters(settings), **(extra_parameters or {})}
    frames: list[pd.DataFrame] = []
    progress = Progress(query.name)
    timeout = settings.get("build", "query_timeout")
    try:
        # One open file shared by the wikis' connections: worth it from two wikis on.
        with held_open(settings.sources[query.source], settings.root, timeout) if len(targets) > 1 else nullcontext():
            for dbname in sorted(targets):
                names = sorted_names(targets[dbname])
                wikis[dbname], rows = _read_wiki(query, settings, dbname, names, base, batch_size, retry, progress)
                frames.extend(rows)
    finally:
        progress.close()
    failed = {dbname: entry["error"] for dbname, entry in wikis.items() if entry["status"] != "ok"}
    error = "; ".join(f"wiki {dbname}: {reason}" for dbname, reason in failed.items()) or None
    if error:
        log.error('Dataset "%s": %d of %d wikis failed: %s', query.name, len(failed), len(targets), error)
    dataset = query.empty_dataset()
    if frames:
        frame = pd.concat(frames, ignore_index=True)
    else:
        frame = pd.DataFrame({name: pd.Series([], dtype=object) for name in dataset.column_names})
    try:
        dataset = dataset.with_frame(frame)
    except SchemaError as schema_error:
        return None, str(schema_error), wikis
    log.info("%-28s %8d rows  %d wikis", query.name, len(dataset.frame), len(targets) - len(failed))
    return dataset, error, wikis


def sorted_names(names) -> list[str]:
    """`names` sorted without repeats; names already so (as callers usually give them) are only checked,
    which takes milliseconds where sorting a wiki's 700,000 names again takes a second."""
    array = np.asarray(names, dtype=object)
    if len(array) > 1 and not (array[1:] > array[:-1]).all():
        return sorted(set(array.tolist()))
    return array.tolist()


def _read_wiki(
    query: Query,
    settings: Settings,
    dbname: str,
    names: list[str],
    base: dict,
    batch_size: int,
    retry: RetryPolicy,
    progress: Progress,
) -> tuple[dict, list[pd.DataFrame]]:
    """One wiki of `run_per_wiki`: its status entry and its result frames (none when it failed)."""
    source = settings.sources[query.source]
    url = redact(fill(source.url, dbname))
    timeout = settings.get("build", "query_timeout")
    try:
        connection = open_source(source, settings.root, dbname=dbname, statement_timeout=timeout)
    except SourceError as error:
        return source_status(source, None, error) | {"url": url}, []
    with connection:
        entry = source_status(source, connection, None) | {"url": url}
        # A server wants short IN lists (its index does the work); the embedded DuckDB scans
        # the table once per statement, so there fewer, larger batches are much faster.
        size = batch_size if connection.dialect == "mysql" else max(batch_size, EMBEDDED_BATCH_SIZE)
        frames = []
        try:
            for start in range(0, len(names), size):
                parameters = {**base, "usernames": names[start : start + size], "dbname": dbname}
                frame = run_query(query, connection, parameters, retry=retry, progress=progress)
                if len(frame):
                    frames.append(frame)
        except (QueryError, ExtractError, SchemaError, DataProblem) as error:
            failure = query_failure(query, error).of(f"{query.name} on {dbname}")
            return entry | {"status": "failed", "error": failures.record(failure, settings.state_dir)}, []
    return entry, frames


def fill(url: str, dbname: str) -> str:
    return url.replace("{dbname}", dbname)
