"""Sources: open a named source URL (DuckDB file or MySQL/MariaDB server) as a Connection.

URLs follow SQLAlchemy's convention: `duckdb:///relative/path`, `duckdb:////absolute/path`,
`mysql://user[:password]@host[:port]/database[?option_file=PATH&option_group=GROUP&unix_socket=PATH]`.
A `{dbname}` in a URL (host, database or DuckDB path) is filled per wiki for replica sources,
e.g. `mysql://{dbname}.analytics.db.svc.wikimedia.cloud/{dbname}_p`. For a DuckDB replica
file without `{dbname}`, each wiki is a schema named `<dbname>_p` inside the one file.

MySQL credentials, each field (user, password) taken from the first place that has it:

1. the URL (`mysql://user:password@host/db`; percent-encode special characters);
2. the source's option file: `[sources.NAME] option_file` in site.toml or `?option_file=`
   in the URL (a missing file is an error), groups `[client]` then `option_group`;
3. the environment: `ALMANAC_MYSQL_<NAME>_USER` / `ALMANAC_MYSQL_<NAME>_PASSWORD` for the
   source NAME, then `ALMANAC_MYSQL_USER` / `ALMANAC_MYSQL_PASSWORD` for every source;
4. the default option files, when they exist: `~/.my.cnf` then `~/replica.my.cnf`
   (Toolforge's), in the other order for a replica source (named `replica` or with
   `{dbname}` in its URL).

Host, port and database come from the URL, else from the option file, else 127.0.0.1:3306.
Passwords never appear in messages: `urls.strip_credentials` takes user and password out of a
URL before anything parses or prints it (a password may hold any character, '@' and '/' included;
percent-encoded forms are decoded), `redact` prints a URL with *** for the password, and every
message built here is scrubbed of every form of the password it was given.

The driver is mysqlclient (`MySQLdb`) when it is installed, else pymysql: both are driven
through `MySQLConnection`, which hides their differences (argument names, cursor classes).
Each session is read only (`READ_ONLY_SESSION`, before anything else), then set up with time
zone UTC, utf8mb4, a per-statement time limit (`max_statement_time` on MariaDB,
`max_execution_time` on MySQL) and 1 GB temporary tables where the server allows it.

Results are read by connectorx (build/fastread.py) when it can: `MySQLConnection.fast` is its
reader, whose connections run the same session statements (read only first). The choice is
made when the source opens and logged with its reason (`ALMANAC_MYSQL_READER`: auto, the
default, uses connectorx except on per-wiki connections, whose many small statements reuse the
driver's open session; `connectorx` everywhere; `driver` never). The driver stays the fallback
for any statement connectorx cannot run.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .config import SourceSettings
from .credentials import Credentials, is_replica, read_option_file, resolve_credentials
from .driver_errors import (  # noqa: F401 (re-exported: extract and tests read them here)
    TIMEOUT_ERRORS,
    TRANSIENT_ERRORS,
    classify_error,
    error_code,
    server_message,
)
from .fastread import FastReader, connectorx_missing, reader_choice
from .urls import SourceError, SourceURL, fill_dbname, parse_url, redact, scrub, strip_credentials

__all__ = [  # re-exported: callers import them from here
    "Credentials",
    "SourceError",
    "fill_dbname",
    "is_replica",
    "open_source",
    "parse_url",
    "read_option_file",
    "redact",
    "resolve_credentials",
    "scrub",
    "strip_credentials",
]

log = logging.getLogger("almanac")

TEMP_TABLE_BYTES = 1 << 30
# Every MySQL session a source opens starts with this (a fast reader's own connections too):
# INSERT, UPDATE, DDL, even temporary tables then fail with error 1792.
READ_ONLY_SESSION = "SET SESSION TRANSACTION READ ONLY"

# --- connections ---------------------------------------------------------------------------


class Connection:
    """A DB-API connection that knows its dialect and returns (column names, rows)."""

    dialect: str = ""
    fast: FastReader | None = None  # set on a MySQL source that reads with connectorx

    def __init__(self, name: str, raw: Any, description: str):
        self.name = name
        self.raw = raw
        self.description = description

    def execute(self, sql: str) -> tuple[list[str], list[tuple]]:
        """Run `sql` and return all of its rows."""
        columns: list[str] = []
        rows: list[tuple] = []
        for names, batch in self.stream(sql):
            columns = names
            rows.extend(batch)
        return columns, rows

    def stream(self, sql: str, batch: int = 10_000) -> Iterator[tuple[list[str], list[tuple]]]:
        """Run `sql` and yield (columns, rows) in batches of at most `batch` rows; at least one
        batch (maybe empty), so the column names are known even without rows."""
        cursor = self._cursor()
        try:
            cursor.execute(sql)
            columns = [d[0] for d in cursor.description] if cursor.description else []
            first = True
            while (rows := cursor.fetchmany(batch)) or first:
                first = False
                yield columns, list(rows)
                if not rows:
                    break
        finally:
            _close_quietly(cursor)

    def _cursor(self):
        return self.raw.cursor()

    def reconnect(self) -> None:
        """Open a fresh session after a lost connection (the DuckDB file needs none)."""

    def replica_lag(self) -> int | None:
        """Seconds the source lags behind its primary, when it says (`heartbeat_p.heartbeat`)."""
        return None

    def close(self) -> None:
        _close_quietly(self.raw)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class DuckDBConnection(Connection):
    dialect = "duckdb"

    def _cursor(self):
        # Not raw.cursor(): a DuckDB cursor is a new session that loses SET schema and TimeZone.
        return _DuckDBStatement(self.raw)


class _DuckDBStatement:
    """The DuckDB connection seen as a DB-API cursor whose close() leaves the connection open."""

    def __init__(self, raw):
        self.raw = raw
        self.description = None

    def execute(self, sql: str) -> None:
        parameters = getattr(sql, "parameters", ())  # build/sql.py BoundSQL: a list bound as one value
        self.raw.execute(str(sql), [*parameters]) if parameters else self.raw.execute(sql)
        self.description = self.raw.description

    def fetchmany(self, size: int) -> list[tuple]:
        return self.raw.fetchmany(size)

    def close(self) -> None:
        pass


class MySQLConnection(Connection):
    """A MySQL/MariaDB session through pymysql or mysqlclient, re-openable after a lost connection."""

    dialect = "mysql"

    def __init__(
        self,
        name: str,
        description: str,
        connect: Callable[[], Any],
        statement_timeout: float,
        secret: str | tuple[str, ...] | None = None,
        driver=None,
        read_only: bool = True,
    ):
        self.driver = driver or mysql_driver()
        self.read_only = read_only
        self.connect = connect
        self.statement_timeout = statement_timeout
        self.secret = secret
        self.server_version = ""
        self.session_statements: list[str] = []  # what _prepare_session ran: a fast reader repeats it
        self.credentials: Credentials | None = None  # set by open_source; a fast reader needs them
        super().__init__(name, None, description)
        self.raw = connect()
        self._prepare_session()

    @property
    def is_mariadb(self) -> bool:
        return "mariadb" in self.server_version.lower()

    def _cursor(self):
        # Unbuffered: rows stream from the server as they are read, so memory stays flat.
        return self.raw.cursor(self.driver.cursors.SSCursor)

    def connection_id(self) -> int:
        cursor = self.raw.cursor()
        try:
            cursor.execute("SELECT CONNECTION_ID()")
            return int(cursor.fetchone()[0])
        finally:
            _close_quietly(cursor)

    def reconnect(self) -> None:
        _close_quietly(self.raw)
        self.raw = self.connect()
        self._prepare_session()

    def _prepare_session(self) -> None:
        cursor = self.raw.cursor()
        ran: list[str] = []
        try:
            if self.read_only:  # first, so nothing after it runs in a session that could write
                cursor.execute(READ_ONLY_SESSION)
                ran.append(READ_ONLY_SESSION)
            cursor.execute("SET time_zone = '+00:00'")
            ran.append("SET time_zone = '+00:00'")
            cursor.execute("SET NAMES utf8mb4")
            cursor.execute("SELECT VERSION()")
            self.server_version = str(cursor.fetchone()[0])
            if self.is_mariadb:
                limit = f"SET SESSION max_statement_time = {float(self.statement_timeout)}"
            else:
                limit = f"SET SESSION max_execution_time = {int(self.statement_timeout * 1000)}"
            cursor.execute(limit)
            ran.append(limit)
            for setting in ("max_heap_table_size", "tmp_table_size"):
                try:
                    cursor.execute(f"SET SESSION {setting} = {TEMP_TABLE_BYTES}")
                    ran.append(f"SET SESSION {setting} = {TEMP_TABLE_BYTES}")
                except self.driver.Error:  # a server may refuse; the default is slower, not wrong
                    pass
        finally:
            _close_quietly(cursor)
        self.session_statements = ran

    def replica_lag(self) -> int | None:
        cursor = self.raw.cursor()
        try:
            cursor.execute("SELECT MAX(lag) FROM heartbeat_p.heartbeat")
            row = cursor.fetchone()
        except self.driver.Error:  # no heartbeat database: not a replica, or not allowed to see it
            return None
        finally:
            _close_quietly(cursor)
        if not row or row[0] is None:
            return None
        return int(round(float(row[0])))


def _close_quietly(thing) -> None:
    try:
        thing.close()
    except Exception:  # closing a dead connection or cursor raises in both drivers; nothing to do
        pass


def open_source(
    source: SourceSettings,
    root: Path,
    *,
    dbname: str | None = None,
    statement_timeout: float = 600,
    read_only: bool = True,
) -> Connection:
    """Open `source` (for one wiki when `dbname` is given) ready to run queries.

    Read only unless `read_only=False` (only tools that set a database up pass it: tests,
    benchmarks; the build never does): a MySQL session in `SET SESSION TRANSACTION READ ONLY`,
    a DuckDB file opened read_only. A DuckDB source never reaches other files (external access
    off, configuration locked), so even a query that slipped past the allow-list of
    queries.py could neither read a file nor write one.
    Raises SourceError with one line naming the source, its host and the server's error.
    """
    url_text = fill_dbname(source.url, dbname, source.name)
    from . import spark  # Apache Spark sources: build/spark.py (pyspark is imported only when one is used)

    if spark.is_spark_url(url_text):
        return spark.open_spark(source.name, url_text, root)
    url = parse_url(url_text, root)
    if url.scheme == "duckdb":
        return _open_duckdb(source.name, url, dbname, read_only)
    connection = _open_mysql(source, url, statement_timeout, read_only)
    _choose_reader(connection, source.name, per_wiki=dbname is not None)
    return connection


def _open_duckdb(name: str, url: SourceURL, dbname: str | None, read_only: bool) -> Connection:
    import duckdb

    if read_only and not url.path.exists():
        raise SourceError(
            f"source {name!r}: no DuckDB file at {url.path}. Run `python build.py demo` to create "
            "the demo databases, or point the source at a real database."
        )
    try:
        raw = duckdb.connect(str(url.path), read_only=read_only, config={"enable_external_access": False})
    except duckdb.Error as error:
        raise SourceError(f"source {name!r} (duckdb:///{url.path}): cannot open: {error}") from None
    # Another connection of this build holds the file open (`held_open`): this one joins its database, already
    # set to UTC (for every connection: GLOBAL) with its configuration locked, and only chooses its schema.
    joined, zone = raw.execute("SELECT current_setting('lock_configuration'), current_setting('TimeZone')").fetchone()
    if not joined:
        raw.execute("SET GLOBAL TimeZone = 'UTC'")
    elif zone != "UTC":
        raw.close()
        raise SourceError(f"source {name!r} (duckdb:///{url.path}): already open in this process in time zone {zone}.")
    if dbname and "{dbname}" not in str(url.path):
        try:
            raw.execute(f'SET schema = "{dbname}_p"')
        except duckdb.Error:
            raw.close()
            raise SourceError(
                f"source {name!r} (duckdb:///{url.path}): no schema {dbname}_p for wiki {dbname}."
            ) from None
    if not joined:
        raw.execute("SET lock_configuration = true")  # no statement can turn external access back on
    return DuckDBConnection(name, raw, f"duckdb:///{url.path}")


@contextlib.contextmanager
def held_open(source: SourceSettings, root: Path, statement_timeout: float) -> Iterator[None]:
    """Keep one embedded DuckDB file that every wiki of `source` reads (a schema per wiki) open meanwhile: each
    wiki's connection then joins the open database instead of reading its catalog again (20 ms a wiki). Any
    other source, or a file that cannot be opened (each wiki then fails on its own), is left as it is."""
    connection = None
    if "{dbname}" not in source.url and source.url.startswith("duckdb:"):
        try:
            connection = open_source(source, root, statement_timeout=statement_timeout)
        except SourceError:
            pass
    try:
        yield
    finally:
        if connection is not None:
            connection.close()


def mysql_driver():
    """mysqlclient (MySQLdb) when installed, else pymysql: same DB-API, 3–4× faster reads.

    Set ALMANAC_MYSQL_DRIVER=pymysql to use pymysql even when mysqlclient is installed.
    """
    if os.environ.get("ALMANAC_MYSQL_DRIVER", "").lower() != "pymysql":
        try:
            import MySQLdb
            import MySQLdb.cursors

            return MySQLdb
        except ImportError:
            pass
    import pymysql
    import pymysql.cursors

    return pymysql


def driver_arguments(driver, credentials: Credentials, statement_timeout: float) -> dict[str, Any]:
    """connect() keyword arguments for `driver` (pymysql and MySQLdb name some differently)."""
    arguments: dict[str, Any] = {
        "host": credentials.host,
        "port": credentials.port,
        "charset": "utf8mb4",
        "connect_timeout": 20,
        # A statement that runs past its time limit is stopped by the server; this only
        # catches a network that hangs.
        "read_timeout": int(statement_timeout) + 120,
        "write_timeout": 120,
        "autocommit": True,
    }
    pymysql_names = driver.__name__ == "pymysql"
    if credentials.unix_socket:
        arguments["unix_socket"] = credentials.unix_socket
    if credentials.user:
        arguments["user"] = credentials.user
    if (
        credentials.password is not None
    ):  # pymysql sends a str password as latin-1: send UTF-8, as the mariadb client does
        password = credentials.password.encode("utf-8") if pymysql_names else credentials.password
        arguments["password" if pymysql_names else "passwd"] = password
    if credentials.database:
        arguments["database" if pymysql_names else "db"] = credentials.database
    return arguments


def _open_mysql(source: SourceSettings, url: SourceURL, statement_timeout: float, read_only: bool) -> Connection:
    credentials = resolve_credentials(source, url)
    secrets = tuple(sorted({*url.secrets, credentials.password or ""} - {""}, key=len, reverse=True))
    driver = mysql_driver()
    arguments = driver_arguments(driver, credentials, statement_timeout)
    user = credentials.user or ""
    described = scrub(f"mysql://{user}@{credentials.host}:{credentials.port}/{credentials.database or ''}", secrets)
    try:
        connection = MySQLConnection(
            source.name,
            described,
            lambda: driver.connect(**arguments),
            statement_timeout,
            secret=secrets,
            driver=driver,
            read_only=read_only,
        )
    except driver.Error as error:  # both drivers' errors carry (code, message)
        message = f"source {source.name!r} ({described}): cannot connect: {server_message(error)}"
        given_by = [where for where in credentials.where if where != "URL"]
        if given_by:
            message += f" [credentials from {', '.join(given_by)}]"
        raise SourceError(scrub(message, secrets)) from None
    connection.credentials = credentials
    return connection


def _choose_reader(connection: MySQLConnection, name: str, *, per_wiki: bool) -> None:
    """Give `connection` a connectorx reader when the policy and the setup allow; log why not."""
    choice = reader_choice()
    credentials = connection.credentials
    reason = None
    if choice == "driver":
        reason = "ALMANAC_MYSQL_READER=driver"
    elif choice == "auto" and per_wiki:
        reason = "per-wiki statements are many and small: the open session reads them"
    elif credentials is None:
        reason = "no credentials to give connectorx"
    elif credentials.unix_socket:
        reason = "connectorx is not given unix sockets"
    else:
        reason = connectorx_missing()
    driver = connection.driver.__name__.replace("MySQLdb", "mysqlclient")
    level = logging.DEBUG if per_wiki else logging.INFO  # one line per source, not one per wiki
    if reason:
        log.log(level, "source %r reads with %s: %s", name, driver, reason)
        return
    connection.fast = FastReader.for_server(
        credentials.host,
        credentials.port,
        credentials.user,
        credentials.password,
        credentials.database,
        pre_execution=tuple(connection.session_statements),
        secrets=connection.secret or (),
    )
    log.log(level, "source %r reads with connectorx (%s as fallback)", name, driver)
