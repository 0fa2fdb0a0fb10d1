"""Fast reads: MySQL/MariaDB results read by connectorx (Rust) straight into a DataFrame.

connectorx reads a result about ten times faster than pymysql and, split over two connections
(`read` with a list of statements), close to `mariadb --quick`. It is a reader only: the
session driver (pymysql or mysqlclient, build/sources.py) still opens the source first (so a
wrong password fails fast, with the driver's clear error), reads replica lag, and runs what
connectorx cannot; `FastReadUnsupported` tells the caller to fall back to it.

Every connection connectorx opens runs `pre_execution` first: the read-only session
(sources.READ_ONLY_SESSION, so a write, even one hidden in a stored function, fails with 1792),
UTC, the statement time limit and the temporary-table sizes the driver's session was allowed.
The binary protocol is used: a 1,000,000-row read takes 0.50 s against the text protocol's 0.73 s
(`mariadb --quick`: 0.39 s; benchmarks/extract.py), with the same types and values. In both protocols
connectorx learns the columns by preparing the statement (not running it), then counts the rows
(`SELECT count(*) FROM (…)`) to size its frame before it reads them: cheap for a plain scan, but an
aggregate is computed twice on the server. Only its Arrow output skips the count, and that needs pyarrow.

connectorx takes the password inside its URL. That URL lives only in `FastReader.url` (hidden
from repr), Rust's own logging is switched off before connectorx is imported, and every error
message is scrubbed of the URL and the password in all its forms before anything sees it.

A column type connectorx lacks (GEOMETRY, a negative TIME) makes it panic; the panic is caught
like any error and the driver reads the statement instead. Rust prints a panic's one-line reason
on stderr (a type name, or a value cut to a few characters), never the URL.

Types differ from the drivers' (DECIMAL and BIGINT UNSIGNED arrive as float64, DATE and DATETIME
as datetime64, VARBINARY as bytes): `datasets.normalize` turns both into the same published
values, so the data files are byte-identical (tests/test_parity.py). Integers above 2^53 held in a
DECIMAL would lose precision: no count this project publishes comes near.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass, field
from urllib.parse import quote

import pandas as pd

from .urls import scrub

READERS = ("auto", "connectorx", "driver")
PARTITIONS = 2  # connections per ranged read: two cores' worth, and gentle on a shared replica
_SERVER_ERROR = re.compile(r"ERROR (\d+) \(")
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
            with warnings.catch_warnings():  # connectorx 0.4.6 builds frames with a deprecated pandas call
                warnings.filterwarnings("ignore", message="make_block is deprecated")
                return connectorx.read_sql(
                    self.url,
                    statements if len(statements) > 1 else statements[0],
                    protocol="binary",
                    pre_execution_query=list(self.pre_execution),
                )
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as error:  # RuntimeError, or a Rust panic (a BaseException) on a type it lacks
            raise self.translate(error) from None

    def translate(self, error: BaseException) -> Exception:
        """A connectorx error as a driver-like error (server code kept) or as 'unsupported',
        its message scrubbed of the URL and password."""
        message = scrub(str(error) or type(error).__name__, self.secrets)
        code = _SERVER_ERROR.search(message)
        if code:
            text = message[code.end() :].split("): ", 1)[-1].rstrip(" }\"')")
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
