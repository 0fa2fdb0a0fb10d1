"""Extract: run each query against its source and return filled Datasets, or the reason it failed.

One failing query costs one dataset, never the run (like reportupdater's reports): its
error is recorded in an `Extraction`, and the caller keeps its last published files.

How a statement is run:

- Rows stream from the server (an unbuffered cursor) in batches into DataFrames.
- A query whose header sets `chunk_key` is read in keyset-paginated chunks: its parsed
  tree gets `AND key > last`, `ORDER BY key` and `LIMIT chunk_size` (`keyset_page`),
  until a chunk comes back short. The key must be an output column that is unique and
  never null (checked on every chunk). When a chunk hits the statement time limit
  (MariaDB 1969, MySQL 3024, or a KILL QUERY 1317), the chunk size is halved and that
  chunk is asked again, down to `RetryPolicy.min_chunk` rows.
- Transient errors (lost connection 2013/2055, server gone 2006, killed connection 1927,
  lock wait 1205, deadlock 1213, too many connections 1040/1203) are retried after
  1, 2, 4 … seconds (`RetryPolicy`), reconnecting first, at most `attempts` times per
  statement. A time limit on a query without `chunk_key` is not retried: the same
  statement would meet the same limit; the message says to set `chunk_key` or raise
  `[build] query_timeout`.
- Anything else fails the dataset. Each failure is a `failures.Failure`: a fixed public
  description (query failed, source unreachable, timed out, data problem) with an error id,
  and the full error (query file, source, the server's words) written only into the state
  folder (`failures.record`). The console and the report see only the public text, since a
  server's message can quote data values and names internal hosts, users and databases.

Progress (rows, chunks, elapsed time) is a tqdm bar on stderr when stderr is a terminal,
and otherwise INFO lines on the "almanac" logger, at most one per `Progress.interval`
seconds while a query runs.
"""

from __future__ import annotations

import datetime as dt
import decimal
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
from sqlglot import exp

from . import failures
from .config import Settings, SourceSettings
from .datasets import DataProblem, Dataset, SchemaError
from .failures import Failure
from .queries import Query, QueryError, bind, standard_parameters, to_sql
from .sources import (
    TIMEOUT_ERRORS,
    TRANSIENT_ERRORS,
    Connection,
    SourceError,
    classify_error,
    error_code,
    is_replica,
    open_source,
    parse_url,
    redact,
    scrub,
    server_message,
)

log = logging.getLogger("almanac")


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


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: `attempts` retries per statement after a transient error, waiting
    `base_delay` × 2^n seconds (at most `max_delay`); chunks shrink to `min_chunk` rows at least."""

    attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 30.0
    min_chunk: int = 100

    def delay(self, failure: int) -> float:
        return min(self.max_delay, self.base_delay * 2 ** (failure - 1))


DEFAULT_RETRY = RetryPolicy()


class ExtractError(Exception):
    """A query failed for good; the message names the query file, the source and the server's error
    (private: see failures), `kind` says which public description fits."""

    def __init__(self, message: str, kind: str = failures.QUERY_FAILED):
        super().__init__(message)
        self.kind = kind


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
) -> Extraction:
    """Run `queries` (all on non-per-wiki sources), one connection per source."""
    result = Extraction()
    parameters = {**query_parameters(settings), **(extra_parameters or {})}
    connections: dict[str, Connection | Exception] = {}
    try:
        for query in queries:
            started = time.monotonic()
            try:
                connection = _connection(connections, query.source, settings, result)
                frame = run_query(query, connection, parameters, retry=retry)
                result.datasets[query.name] = query.empty_dataset().with_frame(frame)
                log.info("%-28s %8d rows  %6.2fs", query.name, len(frame), time.monotonic() - started)
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
    return result


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
    try:
        if query.chunk_key:
            return _run_chunked(query, tree, connection, retry, progress)
        columns, frames = _execute(connection, lambda: to_sql(tree, connection.dialect), query, retry, progress)
        return _concat(frames, columns)
    finally:
        if own_progress:
            progress.close()


def _execute(
    connection: Connection,
    make_sql: Callable[[], str],
    query: Query,
    retry: RetryPolicy,
    progress: Progress,
    on_timeout: Callable[[BaseException], bool] | None = None,
) -> tuple[list[str], list[pd.DataFrame]]:
    """Run one statement, retrying transient errors; returns its columns and row frames."""
    retries = 0
    needs_reconnect = False
    while True:
        read = 0
        try:
            if needs_reconnect:
                connection.reconnect()
                needs_reconnect = False
            columns: list[str] = []
            frames: list[pd.DataFrame] = []
            for columns, rows in connection.stream(make_sql()):
                if rows:
                    frames.append(pd.DataFrame.from_records(rows, columns=columns, coerce_float=False))
                    read += len(rows)
                    progress.rows(len(rows))
            return columns, frames
        except (QueryError, ExtractError):
            raise
        except Exception as error:
            progress.rows(-read)
            kind = classify_error(error)
            if kind == "timeout" and on_timeout is not None and on_timeout(error):
                continue
            if kind == "transient" and retries < retry.attempts:
                retries += 1
                pause = retry.delay(retries)
                log.warning(  # the code and a fixed description only: a server's words stay private
                    "%s on source %r: %s; retry %d of %d in %.1fs",
                    query.origin,
                    connection.name,
                    _transient_description(error),
                    retries,
                    retry.attempts,
                    pause,
                )
                time.sleep(pause)
                needs_reconnect = True
                continue
            message = _failure_message(query, connection, error, kind, retries, retry)
            raise ExtractError(message, _public_kind(kind, error)) from None


def _transient_description(error: BaseException) -> str:
    code = error_code(error)
    if code is None:
        return f"connection error ({type(error).__name__})"
    return f"error {code} ({TRANSIENT_ERRORS.get(code, 'transient')})"


# Transient errors that, once the retries are spent, mean the server could not be reached.
UNREACHABLE_ERRORS = (2003, 2006, 2013, 2055, 1927, 1053)


def _public_kind(kind: str, error: BaseException) -> str:
    if kind == "timeout":
        return failures.TIMED_OUT
    if kind == "transient" and (error_code(error) in UNREACHABLE_ERRORS or error_code(error) is None):
        return failures.SOURCE_UNREACHABLE
    return failures.QUERY_FAILED


def _failure_message(
    query: Query, connection: Connection, error: BaseException, kind: str, retries: int, retry: RetryPolicy
) -> str:
    server = "server error " if error_code(error) is not None else ""
    message = f"{query.origin} on source {connection.name!r}: {server}{server_message(error)}"
    if kind == "timeout":
        if query.chunk_key:
            message += f" (even in chunks of {retry.min_chunk} rows; raise [build] query_timeout)"
        else:
            message += (
                " (the statement time limit; set chunk_key in the query header to read it in chunks, "
                "or raise [build] query_timeout)"
            )
    elif kind == "transient":
        message += f" (after {retries} retries)"
    message += f" [{connection.description}]"  # for the operator: which server, user and database
    return scrub(message, getattr(connection, "secret", None))


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame({name: pd.Series([], dtype=object) for name in columns}, columns=columns)
    if len(frames) == 1:
        return frames[0]
    return pd.concat(frames, ignore_index=True)


# --- keyset pagination -----------------------------------------------------------------------


def chunk_key_expression(tree: exp.Expression, key: str, where: str) -> exp.Expression:
    """The expression behind output column `key` of a single SELECT, for WHERE and ORDER BY."""
    if not isinstance(tree, exp.Select):
        raise QueryError(f"{where}: chunk_key needs a single SELECT (not a UNION) to page through.")
    if tree.args.get("limit") or tree.args.get("offset"):
        raise QueryError(f"{where}: a query with chunk_key cannot have its own LIMIT; remove it.")
    for projection in tree.expressions:
        if projection.alias_or_name == key:
            inner = projection.this if isinstance(projection, exp.Alias) else projection
            if inner.find(exp.AggFunc) or inner.find(exp.Window):
                raise QueryError(f"{where}: chunk_key {key!r} is an aggregate; name a grouped, indexed column.")
            return inner
    if any(isinstance(p, exp.Star) or (isinstance(p, exp.Column) and p.is_star) for p in tree.expressions):
        return exp.column(key)
    raise QueryError(f"{where}: chunk_key {key!r} is not a column of the SELECT list.")


def keyset_page(tree: exp.Select, key: exp.Expression, last, size: int) -> exp.Select:
    """`tree` with `AND key > last` (when `last` is not None), `ORDER BY key` and `LIMIT size`.

    Built on the syntax tree, never by pasting strings; an existing ORDER BY is replaced.
    """
    page = tree.copy()
    if last is not None:
        page = page.where(exp.GT(this=key.copy(), expression=sql_literal(last)), append=True, copy=False)
    page = page.order_by(exp.Ordered(this=key.copy(), desc=False, nulls_first=True), append=False, copy=False)
    return page.limit(size, copy=False)


def sql_literal(value) -> exp.Expression:
    """A key value from a result row as an SQL literal (bytes as text when UTF-8, else hex)."""
    if hasattr(value, "item") and not isinstance(value, pd.Timestamp):
        value = value.item()
    if isinstance(value, bool):
        return exp.Literal.number(int(value))
    if isinstance(value, int | decimal.Decimal):
        return exp.Literal.number(value)
    if isinstance(value, float):
        return exp.Literal.number(repr(value))
    if isinstance(value, bytes | bytearray):
        try:
            return exp.Literal.string(bytes(value).decode("utf-8"))
        except UnicodeDecodeError:
            return exp.HexString(this=bytes(value).hex())
    if isinstance(value, pd.Timestamp | dt.datetime):
        return exp.Literal.string(value.strftime("%Y-%m-%d %H:%M:%S.%f"))
    if isinstance(value, dt.date):
        return exp.Literal.string(value.isoformat())
    return exp.Literal.string(str(value))


def _run_chunked(
    query: Query, tree: exp.Expression, connection: Connection, retry: RetryPolicy, progress: Progress
) -> pd.DataFrame:
    key_name = query.chunk_key
    key = chunk_key_expression(tree, key_name, query.origin)
    size = max(1, query.chunk_size)
    last = None
    chunks: list[pd.DataFrame] = []
    columns: list[str] = []

    def smaller(error: BaseException) -> bool:
        nonlocal size
        if size <= retry.min_chunk:
            return False
        size = max(retry.min_chunk, size // 2)
        code = getattr(error, "args", (None,))[0]
        log.warning(
            "%s: chunk hit the %s; asking again in chunks of %d rows",
            query.origin,
            TIMEOUT_ERRORS.get(code, "time limit"),
            size,
        )
        return True

    while True:
        asked = size

        def make_sql(after=last) -> str:
            nonlocal asked
            asked = size
            return to_sql(keyset_page(tree, key, after, size), connection.dialect)

        columns, frames = _execute(connection, make_sql, query, retry, progress, on_timeout=smaller)
        chunk = _concat(frames, columns)
        progress.chunk()
        if len(chunk):
            if key_name not in chunk.columns:
                raise QueryError(f"{query.origin}: chunk_key {key_name!r} is not a column of the result.")
            keys = chunk[key_name]
            if keys.isna().any() or keys.duplicated().any() or (last is not None and (keys == last).any()):
                raise QueryError(
                    f"{query.origin}: chunk_key {key_name!r} must be unique and never null in the result "
                    "(keyset pagination would skip or repeat rows); choose a unique key."
                )
            chunks.append(chunk)
            last = keys.iloc[-1]
        if len(chunk) < asked:
            break
    return _concat(chunks, columns)


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
    try:
        for dbname in sorted(targets):
            names = sorted(set(targets[dbname]))
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


# --- progress ----------------------------------------------------------------------------------


class Progress:
    """Rows, chunks and elapsed time of one query: a tqdm bar on a terminal, log lines otherwise."""

    interval = 10.0

    def __init__(self, name: str, stream=None):
        self.name = name
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.last_log = self.started
        self.total = 0
        self.chunks = 0
        self.bar = None
        if _isatty(self.stream):
            from tqdm import tqdm

            self.bar = tqdm(desc=name, unit=" rows", unit_scale=True, file=self.stream, leave=False, dynamic_ncols=True)

    def rows(self, count: int) -> None:
        self.total += count
        if self.bar is not None:
            self.bar.update(count)
        else:
            self._maybe_log()

    def chunk(self) -> None:
        self.chunks += 1
        if self.bar is not None:
            self.bar.set_postfix(chunks=self.chunks, refresh=False)
        self._maybe_log()

    def _maybe_log(self) -> None:
        now = time.monotonic()
        if self.bar is None and now - self.last_log >= self.interval:
            self.last_log = now
            log.info("%s: %d rows, %d chunks, %.1fs so far", self.name, self.total, self.chunks, now - self.started)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
