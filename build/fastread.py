"""Fast reads: MySQL/MariaDB results read by connectorx (Rust) into Arrow, then a DataFrame.

connectorx reads a result about ten times faster than pymysql and, split over two connections
(`read` with a list of statements), close to `mariadb --quick`. It is a reader only: the
session driver (pymysql or mysqlclient, build/sources.py) still opens the source first (so a
wrong password fails fast, with the driver's clear error), reads replica lag, and runs what
connectorx cannot; `FastReadUnsupported` tells the caller to fall back to it.

Every connection connectorx opens runs `pre_execution` first: the read-only session
(sources.READ_ONLY_SESSION, so a write, even one hidden in a stored function, fails with 1792),
UTC, the statement time limit and the temporary-table sizes the driver's session was allowed.
The binary protocol and the Arrow output are used. connectorx learns the columns by preparing the
statement (not running it) and then reads the rows; its pandas output would first count them
(`SELECT count(*) FROM (…)`, an aggregate computed twice on the server) and make a Python object of
every string. Arrow reads each statement once and keeps text in Arrow; `arrow_to_frame` makes the
frame. A 1,000,000-row read: 0.50 s (pandas output 0.63 s; `mariadb --quick` 0.40 s; the README's
Performance section has the runs, benchmarks/extract.py makes them).

connectorx takes the password inside its URL. That URL lives only in `FastReader.url` (hidden
from repr), Rust's own logging is switched off before connectorx is imported, and every error
message is scrubbed of the URL and the password in all its forms before anything sees it.

A column type or value connectorx lacks (GEOMETRY, a negative TIME or one of 24 hours or more, a
bare NULL column, a zero date) makes it panic; the panic is caught like any error and the driver
reads the statement instead, as it does a result whose Arrow table cannot be converted. Rust
prints a panic's one-line reason on stderr (a type name, or a value cut to a few characters), never the URL.

Types differ from the drivers' (DATE and DATETIME arrive as datetime64, text as Arrow strings,
VARBINARY as text when it is UTF-8), and `normalize` turns both into the same published values for a
column declared as what it holds, so the data files are byte-identical (tests/test_parity.py). A
DATE, TIME or DECIMAL declared `string` is written as each reader shows it ('2024-02-29' or
'2024-02-29 00:00:00'): convert it in the SQL (DATE_FORMAT, CAST … AS CHAR) or declare its type. A
DECIMAL column arrives as integers when every value is whole (exact to 2^63), else as float(Decimal)
exactly as the drivers give it. connectorx holds a DECIMAL at 10 places: a value with more
(MariaDB's `/` adds 4 places: a third nested division) is rounded there, before the 6 places Almanac
publishes: cast such an expression AS DOUBLE, as queries/courses.sql does. It keeps a DECIMAL in 96
bits at those 10 places, so a value above (2^96 - 1) / 10^10, about 7.9 × 10^18, makes it fail: the
driver reads that statement.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from urllib.parse import quote

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .urls import scrub

READERS = ("auto", "connectorx", "driver")
PARTITIONS = 2  # connections per ranged read: two cores' worth, and gentle on a shared replica
_SERVER_ERROR = re.compile(r"ERROR (\d+) \(")
# the end of "MySqlError { ERROR 1054 (42S22): … }", not a quote that ends the server's message
_WRAPPING_END = re.compile(r"\s*\}[\"')\s]*$")
# connectorx's words for a connection lost or never made, as the client error codes the drivers give
_CONNECTION_WORDS = {
    "server disconnected": 2013,
    "IoError": 2013,
    "broken pipe": 2013,
    "Connection refused": 2003,
    "timed out waiting for connection": 2003,
    "DriverError": 2003,
}


class FastReadError(Exception):
    """A server or connection error during a fast read, as the drivers give it: args (code, message)."""


class FastConnectionError(FastReadError, ConnectionError):
    """connectorx lost or could not make its connection: args (client error code, message), so it
    is transient, like a driver's 2013 or 2003."""


class FastReadUnsupported(Exception):
    """connectorx cannot run this statement or convert its result; the session driver should."""


def reader_choice(environ: dict | None = None) -> str:
    """ALMANAC_MYSQL_READER: 'auto' (default: connectorx, except the many small per-wiki
    statements, which reuse the driver's open session), 'connectorx' (every statement) or
    'driver' (never connectorx)."""
    environ = os.environ if environ is None else environ
    choice = environ.get("ALMANAC_MYSQL_READER", "auto").strip().lower() or "auto"
    if choice not in READERS:
        raise ValueError(f"ALMANAC_MYSQL_READER={choice!r}: expected one of {', '.join(READERS)}.")
    return choice


def connectorx_missing() -> str | None:
    """Why connectorx cannot be used here, or None when it can."""
    os.environ["RUST_LOG"] = "off"  # its pool logs server errors to stderr, past our scrubbing
    try:
        import connectorx  # noqa: F401
    except ImportError:
        return "connectorx is not installed (pip install -r requirements.txt)"
    return None


@dataclass(frozen=True)
class FastReader:
    """Reads with connectorx on behalf of one source: its URL (private) and session statements."""

    url: str = field(repr=False)
    pre_execution: tuple[str, ...]
    secrets: tuple[str, ...] = field(default=(), repr=False)

    @classmethod
    def for_server(
        cls, host: str, port: int, user: str | None, password: str | None, database: str | None, **kwargs
    ) -> FastReader:
        """The reader for a server; the password is percent-encoded into the URL connectorx takes."""
        credentials = quote(user or "", safe="")
        if password:
            credentials += ":" + quote(password, safe="")
        where = f"[{host}]" if ":" in host else host
        url = f"mysql://{credentials}@{where}:{port}/{quote(database or '', safe='')}"
        secrets = {*kwargs.pop("secrets", ()), password or "", quote(password or "", safe=""), url}
        ordered = tuple(sorted(secrets - {""}, key=len, reverse=True))
        return cls(url, secrets=ordered, **kwargs)

    def read(self, sql: str | list[str]) -> pd.DataFrame:
        """The rows of `sql`, or of several statements read in parallel (one connection each) and
        concatenated in no particular order. Raises FastReadError or FastReadUnsupported."""
        import connectorx

        statements = [_plain_select(one) for one in ([sql] if isinstance(sql, str) else sql)]
        try:
            table = connectorx.read_sql(
                self.url,
                statements if len(statements) > 1 else statements[0],
                protocol="binary",
                return_type="arrow",
                pre_execution_query=list(self.pre_execution),
            )
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as error:  # RuntimeError, or a Rust panic (a BaseException) on a type it lacks
            raise self.translate(error) from None
        try:
            return arrow_to_frame(table)
        # ArrowInvalid is a ValueError; running out of memory is not something the driver would do better
        except (ValueError, TypeError, OverflowError, pa.ArrowNotImplementedError) as error:
            raise FastReadUnsupported(
                f"connectorx: its Arrow result cannot be converted: {type(error).__name__}"
            ) from None

    def translate(self, error: BaseException) -> Exception:
        """A connectorx error as a driver-like error (server code kept) or as 'unsupported',
        its message scrubbed of the URL and password."""
        message = scrub(str(error) or type(error).__name__, self.secrets)
        code = _SERVER_ERROR.search(message)
        if code:
            text = _WRAPPING_END.sub("", message[code.end() :].split("): ", 1)[-1])
            return FastReadError(int(code.group(1)), text)
        for words, client_code in _CONNECTION_WORDS.items():
            if words.lower() in message.lower():
                return FastConnectionError(client_code, f"connectorx: {message}")
        return FastReadUnsupported(f"connectorx: {message[:300]}")


def _plain_select(sql: str) -> str:
    """connectorx accepts only a statement that begins with SELECT: a WITH query (one generated
    statement, never user text pasted here) is read as a derived table, which MariaDB 10.2+ and
    MySQL 8 allow and which gives the same rows."""
    if sql.lstrip()[:4].upper() == "WITH":
        return f"SELECT * FROM ({sql}) AS with_query"
    return sql


# Arrow types read as the pandas types normalize takes fastest; text keeps its Arrow storage (no Python
# object per value: normalize makes the published strings).
_PANDAS_TYPES = {
    pa.string(): pd.StringDtype("pyarrow"),
    pa.large_string(): pd.StringDtype("pyarrow"),
}
_EXACT_IN_FLOAT = 2**53


def arrow_to_frame(table: pa.Table) -> pd.DataFrame:
    """connectorx's Arrow table as a DataFrame whose values normalize publishes exactly as the drivers'."""
    series = [_series(_column(_combined(column))) for column in table.columns]
    frame = pd.DataFrame(dict(enumerate(series)), index=pd.RangeIndex(table.num_rows))
    frame.columns = table.column_names  # by position: a result may name two columns alike
    return frame


def _combined(column: pa.ChunkedArray) -> pa.Array:
    """The column's batches as one array; text and bytes with 64-bit offsets first, since connectorx's
    32-bit ones cannot hold more than 2 GiB in one array."""
    if pa.types.is_string(column.type):
        column = column.cast(pa.large_string())
    elif pa.types.is_binary(column.type):
        column = column.cast(pa.large_binary())
    return column.combine_chunks()


def _series(array: pa.Array) -> pd.Series:
    if pa.types.is_int64(array.type) and array.null_count:
        return array.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)  # not floats with NaN
    if pa.types.is_uint64(array.type):  # above 2^63: Python ints, which normalize reports out of range
        return pd.Series(array.to_pylist(), dtype=object)
    return array.to_pandas(types_mapper=_PANDAS_TYPES.get, date_as_object=False)


def _column(array: pa.Array) -> pa.Array:
    kind = array.type
    if pa.types.is_decimal(kind):
        return _decimal(array)
    if pa.types.is_integer(kind):
        try:
            return pc.cast(array, pa.int64())
        except pa.ArrowInvalid:
            return array
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        try:
            return pc.cast(array, pa.large_string())  # checked: only valid UTF-8 becomes text
        except pa.ArrowInvalid:
            return array  # bytes, which normalize reports as text that is not UTF-8
    return array


def _decimal(array: pa.Array) -> pa.Array:
    """A DECIMAL column (connectorx holds it at 10 places) as integers when every value is whole and fits
    int64, else as the floats the drivers give: float(Decimal), correctly rounded."""
    words = np.frombuffer(array.buffers()[1], dtype=np.int64)[2 * array.offset : 2 * (array.offset + len(array))]
    low, high = words[0::2], words[1::2]
    present = ~array.is_null().to_numpy(zero_copy_only=False)
    wide = (high != (low >> 63)) | (np.abs(low) >= _EXACT_IN_FLOAT)  # unscaled values not exact as doubles
    unit = 10**array.type.scale
    if not wide.any():
        if not (low[present] % unit).any():
            return pa.array(low // unit, pa.int64(), mask=~present)
    else:
        try:
            return pc.cast(array, pa.int64())  # a safe cast: it fails on a fraction or an overflow
        except pa.ArrowInvalid:
            pass
    values = low.astype(np.float64) / float(unit)  # one correctly rounded division of two exact doubles
    if wide.any():  # those through their exact text, which Arrow parses correctly rounded
        exact = pc.cast(pc.cast(array.filter(pa.array(wide)), pa.string()), pa.float64())
        values[wide] = exact.to_numpy(zero_copy_only=False)
    return pa.array(values, pa.float64(), mask=~present)
