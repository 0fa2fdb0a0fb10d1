"""Chunks: the statements that read a large query a piece at a time, built on its syntax tree.

Two ways, both on the query's `chunk_key` (an output column, unique and never null):

- keyset pages (`keyset_page`): `AND key > last ORDER BY key LIMIT size`, one after another
  until a page comes back short. Any key type; what the session driver reads.
- key ranges (`range_page`): `AND key BETWEEN low AND high`, for an integer key whose bounds
  and row count (`bounds_sql`) are known, so a page can be split into sub-ranges that
  connectorx reads in parallel over several connections (`split_range`). No LIMIT, so no
  sort on the server, and each sub-range is an index range scan.

Statements are built on the tree, never by pasting strings; values become SQL literals
(`sql_literal`). `run_chunked` reads a query page by page (ranges when connectorx reads and the
key is an integer, else keyset pages); a page that meets the statement time limit (MariaDB 1969,
MySQL 3024, or a KILL QUERY 1317) is asked again half as large, down to `RetryPolicy.min_chunk`
rows. Every page's keys are checked unique and never null.
"""

from __future__ import annotations

import datetime as dt
import decimal
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from sqlglot import exp

from . import failures
from .fastread import PARTITIONS
from .queries import Query, QueryError, to_sql
from .reading import ExtractError, Progress, Reader, RetryPolicy, concat, execute
from .sources import TIMEOUT_ERRORS, error_code

log = logging.getLogger("almanac")


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


def bounds_sql(tree: exp.Expression, key_name: str) -> exp.Select:
    """`SELECT MIN(key) AS low, MAX(key) AS high, COUNT(*) AS row_count FROM (query) AS bounds`."""
    key = exp.column(key_name, table="bounds")
    return exp.select(
        exp.Min(this=key.copy()).as_("low"),
        exp.Max(this=key.copy()).as_("high"),
        exp.Count(this=exp.Star()).as_("row_count"),
    ).from_(tree.copy().subquery("bounds"))


def range_page(tree: exp.Select, key: exp.Expression, low: int, high: int) -> exp.Select:
    """`tree` with `AND key BETWEEN low AND high` (both ends included)."""
    between = exp.Between(this=key.copy(), low=exp.Literal.number(low), high=exp.Literal.number(high))
    return tree.copy().where(between, append=True, copy=False)


def split_range(low: int, high: int, parts: int) -> list[tuple[int, int]]:
    """[low, high] as at most `parts` consecutive, non-empty, non-overlapping ranges.

    >>> split_range(1, 10, 3)
    [(1, 4), (5, 7), (8, 10)]
    """
    count = max(1, min(parts, high - low + 1))
    size, extra = divmod(high - low + 1, count)
    ranges, start = [], low
    for index in range(count):
        end = start + size + (1 if index < extra else 0) - 1
        ranges.append((start, end))
        start = end + 1
    return ranges


def run_chunked(
    query: Query, tree: exp.Expression, reader: Reader, retry: RetryPolicy, progress: Progress
) -> pd.DataFrame:
    """Read in pieces: key ranges split over parallel connections when connectorx reads and the key
    is an integer (`_run_ranged`), else keyset pages."""
    key = chunk_key_expression(tree, query.chunk_key, query.origin)
    if reader.fast is not None:
        bounds = _bounds(query, tree, reader, retry, progress)
        if bounds is not None:
            return _run_ranged(query, tree, key, bounds, reader, retry, progress)
    return _run_keyset(query, tree, key, reader, retry, progress)


def _halver(query: Query, retry: RetryPolicy, size: Callable[[], int], set_size: Callable[[int], None]):
    """An `on_timeout` that halves a chunk down to `retry.min_chunk` rows, saying so."""

    def smaller(error: BaseException) -> bool:
        if size() <= retry.min_chunk:
            return False
        set_size(max(retry.min_chunk, size() // 2))
        log.warning(
            "%s: chunk hit the %s; asking again in chunks of %d rows",
            query.origin,
            TIMEOUT_ERRORS.get(error_code(error), "time limit"),
            size(),
        )
        return True

    return smaller


def _checked_chunk(query: Query, chunk: pd.DataFrame, last) -> pd.DataFrame:
    """`chunk` after checking its keys are there, unique, never null and all past `last`."""
    key_name = query.chunk_key
    if key_name not in chunk.columns:
        raise QueryError(f"{query.origin}: chunk_key {key_name!r} is not a column of the result.")
    keys = chunk[key_name]
    if keys.isna().any() or keys.duplicated().any() or (last is not None and (keys == last).any()):
        raise QueryError(
            f"{query.origin}: chunk_key {key_name!r} must be unique and never null in the result "
            "(keyset pagination would skip or repeat rows); choose a unique key."
        )
    return chunk


def _run_keyset(
    query: Query, tree: exp.Expression, key: exp.Expression, reader: Reader, retry: RetryPolicy, progress: Progress
) -> pd.DataFrame:
    size = max(1, query.chunk_size)
    last = None
    chunks: list[pd.DataFrame] = []
    columns: list[str] = []

    def set_size(value: int) -> None:
        nonlocal size
        size = value

    smaller = _halver(query, retry, lambda: size, set_size)
    while True:
        asked = size

        def make_sql(after=last) -> str:
            nonlocal asked
            asked = size
            return to_sql(keyset_page(tree, key, after, size), reader.connection.dialect)

        columns, frames = execute(reader, make_sql, query, retry, progress, on_timeout=smaller)
        chunk = concat(frames, columns)
        progress.chunk()
        if len(chunk):
            chunks.append(_checked_chunk(query, chunk, last))
            last = chunk[query.chunk_key].iloc[-1]
        if len(chunk) < asked:
            break
    return concat(chunks, columns)


@dataclass(frozen=True)
class Bounds:
    low: int
    high: int
    rows: int


def _bounds(query: Query, tree: exp.Expression, reader: Reader, retry: RetryPolicy, progress: Progress):
    """The integer key's lowest and highest value and the row count, or None (not an integer key,
    no rows, or the count itself met the time limit): then keyset pages read it."""
    sql = to_sql(bounds_sql(tree, query.chunk_key), reader.connection.dialect)
    try:
        _, frames = execute(reader, lambda: sql, query, retry, Progress(query.name, quiet=True))
    except ExtractError as error:
        if error.kind != failures.TIMED_OUT:
            raise
        log.warning("%s: counting its rows met the time limit; reading it in keyset pages", query.origin)
        return None
    if reader.fast is None or not frames:
        return None
    low, high, rows = frames[0].iloc[0][["low", "high", "row_count"]]
    if pd.isna(low) or not all(pd.api.types.is_integer(value) for value in (low, high, rows)) or not rows:
        return None
    return Bounds(int(low), int(high), int(rows))


def _run_ranged(
    query: Query,
    tree: exp.Expression,
    key: exp.Expression,
    bounds: Bounds,
    reader: Reader,
    retry: RetryPolicy,
    progress: Progress,
) -> pd.DataFrame:
    """Pages of key ranges holding about `chunk_size` rows each (from the row count), each read as
    PARTITIONS sub-ranges in parallel. A page that meets the time limit is asked again half as wide."""
    span = bounds.high - bounds.low + 1
    density = bounds.rows / span
    width = max(1, math.ceil(max(1, query.chunk_size) / density))

    def set_rows(value: int) -> None:
        nonlocal width
        width = max(1, math.floor(value / density))

    smaller = _halver(query, retry, lambda: max(1, round(width * density)) if width > 1 else 0, set_rows)
    chunks: list[pd.DataFrame] = []
    columns: list[str] = []
    low, last = bounds.low, None
    while low <= bounds.high:

        def make_sql(start=low) -> list[str]:
            end = min(bounds.high, start + width - 1)
            parts = split_range(start, end, PARTITIONS)
            return [to_sql(range_page(tree, key, a, b), reader.connection.dialect) for a, b in parts]

        columns, frames = execute(reader, make_sql, query, retry, progress, on_timeout=smaller)
        low = min(bounds.high, low + width - 1) + 1  # the width the page was last asked with
        progress.chunk()
        chunk = concat(frames, columns)
        if len(chunk):
            chunk = chunk.sort_values(query.chunk_key, kind="mergesort", ignore_index=True)
            chunks.append(_checked_chunk(query, chunk, last))
            last = chunk[query.chunk_key].iloc[-1]
    return concat(chunks, columns)
