"""Reading: run one statement on a source and return its rows, retrying what deserves a retry.

- `Reader` reads with connectorx (build/fastread.py) while it can, and with the connection's own
  driver (an unbuffered cursor, rows streamed in batches) for the rest of a query once connectorx
  says it cannot; the switch is logged.
- Transient errors (lost connection 2013/2055, server gone 2006, killed connection 1927,
  lock wait 1205, deadlock 1213, too many connections 1040/1203, connectorx failing to connect)
  are retried after 1, 2, 4 … seconds (`RetryPolicy`), reconnecting first, at most `attempts`
  times per statement. A statement time limit calls the caller's `on_timeout` (chunks shrink);
  anything else raises `ExtractError`, whose message (private: failures.record) names the query
  file, the source and the server's words, and whose `kind` is the public description.

Progress (rows, chunks, elapsed time) is a tqdm bar on stderr when stderr is a terminal,
and otherwise INFO lines on the "almanac" logger, at most one per `Progress.interval`
seconds while a query runs.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from . import failures
from .fastread import FastReader, FastReadUnsupported
from .queries import Query, QueryError
from .sources import TRANSIENT_ERRORS, Connection, classify_error, error_code, scrub, server_message

log = logging.getLogger("almanac")


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


@dataclass
class Reader:
    """How one query's statements are read: with connectorx (`fast`) until it cannot, then with the
    connection's own driver for the rest of the query."""

    connection: Connection
    fast: FastReader | None = None

    def read(self, statements: list[str], query: Query, progress: Progress) -> tuple[list[str], list[pd.DataFrame]]:
        """Columns and row frames of `statements` (several are read in parallel by connectorx)."""
        if self.fast is not None:
            try:
                frame = self.fast.read(statements)
            except FastReadUnsupported as why:
                log.warning(
                    "%s on source %r: connectorx cannot read it; reading with the driver instead",
                    query.origin,
                    self.connection.name,
                )
                log.debug("%s: %s", query.origin, why)  # its words may quote the statement: not by default
                self.fast = None
            else:
                progress.rows(len(frame))
                return list(frame.columns), [frame] if len(frame) else []
        columns: list[str] = []
        frames: list[pd.DataFrame] = []
        for sql in statements:
            for columns, rows in self.connection.stream(sql):
                if rows:
                    frames.append(rows_frame(rows, columns))
                    progress.rows(len(rows))
        return columns, frames


def rows_frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    """A connection's rows (a driver's or DuckDB's) as a frame. DataFrame.from_records makes integers beside
    a NULL floats (2^53 + 1 would be published as 2^53); such a column is made again by pd.array, as exact
    integers (Int64)."""
    frame = pd.DataFrame.from_records(rows, columns=columns, coerce_float=False)
    for position, dtype in enumerate(frame.dtypes):
        if dtype == "float64" and frame.iloc[:, position].hasnans:
            values = [row[position] for row in rows]
            if isinstance(next((value for value in values if value is not None), None), int):
                frame.isetitem(position, pd.array(values))
    return frame


def execute(
    reader: Reader,
    make_sql: Callable[[], str | list[str]],
    query: Query,
    retry: RetryPolicy,
    progress: Progress,
    on_timeout: Callable[[BaseException], bool] | None = None,
) -> tuple[list[str], list[pd.DataFrame]]:
    """Run one statement (or parallel parts of one), retrying transient errors; returns its
    columns and row frames."""
    connection = reader.connection
    retries = 0
    needs_reconnect = False
    while True:
        read_before = progress.total
        try:
            if needs_reconnect:
                connection.reconnect()
                needs_reconnect = False
            sql = make_sql()
            return reader.read([sql] if isinstance(sql, str) else sql, query, progress)
        except (QueryError, ExtractError):
            raise
        except Exception as error:
            progress.rows(read_before - progress.total)
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


def concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame({name: pd.Series([], dtype=object) for name in columns}, columns=columns)
    if len(frames) == 1:
        return frames[0]
    return pd.concat(frames, ignore_index=True)


class Progress:
    """Rows, chunks and elapsed time of one query: a tqdm bar on a terminal, log lines otherwise."""

    interval = 10.0

    def __init__(self, name: str, stream=None, *, quiet: bool = False):
        self.name = name
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.last_log = self.started
        self.total = 0
        self.chunks = 0
        self.bar = None
        self.quiet = quiet  # counts, shows nothing (a helper statement such as a row count)
        if _isatty(self.stream) and not quiet:
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
        if self.bar is None and not self.quiet and now - self.last_log >= self.interval:
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
