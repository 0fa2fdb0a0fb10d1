"""Sources: open a named source URL (DuckDB file or MySQL/MariaDB server) as a Connection.

URLs follow SQLAlchemy's convention: `duckdb:///relative/path`, `duckdb:////absolute/path`,
`mysql://user[:password]@host[:port]/database`. A `{dbname}` in a URL (host or database)
is filled per wiki for replica sources, e.g.
`mysql://{dbname}.analytics.db.svc.wikimedia.cloud/{dbname}_p`. For a DuckDB replica file
without `{dbname}`, each wiki is a schema named `<dbname>_p` inside the one file.
Passwords never appear in messages: `redact` replaces them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qs, unquote, urlsplit

from .config import SourceSettings


class SourceError(Exception):
    """A source cannot be opened or used; the message names the source and never a password."""


def redact(url: str) -> str:
    """`redact("mysql://u:secret@h/db")` → 'mysql://u:***@h/db'."""
    return re.sub(r"(//[^:/@]+):[^@]*@", r"\1:***@", url)


@dataclass(frozen=True)
class SourceURL:
    scheme: str
    path: Path | None = None
    host: str = "127.0.0.1"
    port: int = 3306
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    database: str | None = None
    options: dict[str, str] = field(default_factory=dict)


def parse_url(url: str, root: Path) -> SourceURL:
    """Split a source URL; relative DuckDB paths are relative to `root` (the site.toml folder)."""
    parts = urlsplit(url)
    if parts.scheme == "duckdb":
        raw = url.split("://", 1)[1]
        if not raw.startswith("/"):
            raise SourceError(f"{redact(url)}: a DuckDB URL is duckdb:///relative/path or duckdb:////absolute/path.")
        path = Path(raw[1:])
        return SourceURL("duckdb", path=path if path.is_absolute() else root / path)
    if parts.scheme in ("mysql", "mariadb", "mysql+pymysql", "mysql+mysqldb"):
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        # urlsplit lower-cases nothing in netloc but rejects braces in ports; parse by hand.
        userinfo, _, hostport = parts.netloc.rpartition("@")
        user, _, password = userinfo.partition(":")
        host, _, port = hostport.partition(":")
        return SourceURL(
            "mysql",
            host=host or "127.0.0.1",
            port=int(port) if port else 3306,
            user=unquote(user) or None,
            password=unquote(password) if password else None,
            database=unquote(parts.path.lstrip("/")) or None,
            options=options,
        )
    raise SourceError(
        f"{redact(url)}: unknown scheme {parts.scheme!r}; expected duckdb:///path or mysql://user@host:port/db."
    )


class Connection:
    """A DB-API connection that knows its dialect and returns (column names, rows)."""

    dialect: str = ""

    def __init__(self, name: str, raw: Any, description: str):
        self.name = name
        self.raw = raw
        self.description = description

    def execute(self, sql: str) -> tuple[list[str], list[tuple]]:
        cursor = self.raw.cursor()
        try:
            cursor.execute(sql)
            columns = [d[0] for d in cursor.description] if cursor.description else []
            return columns, list(cursor.fetchall())
        finally:
            cursor.close()

    def stream(self, sql: str, batch: int = 10_000) -> Iterator[tuple[list[str], list[tuple]]]:
        cursor = self.raw.cursor()
        try:
            cursor.execute(sql)
            columns = [d[0] for d in cursor.description] if cursor.description else []
            while rows := cursor.fetchmany(batch):
                yield columns, list(rows)
        finally:
            cursor.close()

    def close(self) -> None:
        self.raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class DuckDBConnection(Connection):
    dialect = "duckdb"


class MySQLConnection(Connection):
    dialect = "mysql"


def open_source(
    source: SourceSettings,
    root: Path,
    *,
    dbname: str | None = None,
    statement_timeout: int = 600,
    read_only: bool = True,
) -> Connection:
    """Open `source` (for one wiki when `dbname` is given) ready to run queries."""
    url_text = source.url.replace("{dbname}", dbname) if dbname else source.url
    url = parse_url(url_text, root)
    if url.scheme == "duckdb":
        return _open_duckdb(source.name, url, dbname, read_only)
    return _open_mysql(source, url, statement_timeout)


def _open_duckdb(name: str, url: SourceURL, dbname: str | None, read_only: bool) -> Connection:
    import duckdb

    if read_only and not url.path.exists():
        raise SourceError(
            f"source {name!r}: no DuckDB file at {url.path}. Run `python build.py demo` to create "
            "the demo databases, or point the source at a real database."
        )
    raw = duckdb.connect(str(url.path), read_only=read_only)
    raw.execute("SET TimeZone = 'UTC'")
    if dbname and "{dbname}" not in str(url.path):
        raw.execute(f'SET schema = "{dbname}_p"')
    return DuckDBConnection(name, raw, f"duckdb:///{url.path}")


def mysql_driver():
    """mysqlclient (MySQLdb) when installed, else pymysql: same DB-API, 3–4× faster reads."""
    try:
        import MySQLdb

        return MySQLdb
    except ImportError:
        import pymysql

        return pymysql


def _open_mysql(source: SourceSettings, url: SourceURL, statement_timeout: int) -> Connection:
    driver = mysql_driver()
    arguments: dict[str, Any] = {"host": url.host, "port": url.port, "charset": "utf8mb4"}
    option_file = url.options.get("option_file") or source.option_file
    if option_file:
        path = Path(os.path.expanduser(option_file))
        if not path.exists():
            raise SourceError(f"source {source.name!r}: option file {path} does not exist.")
        arguments["read_default_file"] = str(path)
        arguments["read_default_group"] = url.options.get("option_group", source.option_group)
    user = url.user or os.environ.get("ALMANAC_MYSQL_USER")
    password = url.password or os.environ.get("ALMANAC_MYSQL_PASSWORD")
    if user:
        arguments["user"] = user
    if password:
        arguments["password"] = password
    if url.database:
        arguments["database" if driver.__name__ == "pymysql" else "db"] = url.database
    described = f"mysql://{url.user or '…'}@{url.host}:{url.port}/{url.database or ''}"
    try:
        raw = driver.connect(**arguments)
    except Exception as error:  # the driver's own error classes differ; both carry (code, message)
        raise SourceError(f"source {source.name!r} ({described}): cannot connect: {_server_message(error)}") from None
    connection = MySQLConnection(source.name, raw, described)
    _prepare_session(connection, statement_timeout)
    return connection


def _server_message(error: Exception) -> str:
    args = getattr(error, "args", ())
    if len(args) >= 2:
        return f"({args[0]}) {args[1]}"
    return str(error)


def _prepare_session(connection: MySQLConnection, statement_timeout: int) -> None:
    cursor = connection.raw.cursor()
    try:
        cursor.execute("SET time_zone = '+00:00'")
        cursor.execute("SET NAMES utf8mb4")
        cursor.execute("SELECT VERSION()")
        version = str(cursor.fetchone()[0])
        if "mariadb" in version.lower():
            cursor.execute(f"SET SESSION max_statement_time = {float(statement_timeout)}")
        else:
            cursor.execute(f"SET SESSION max_execution_time = {int(statement_timeout * 1000)}")
        for setting in ("tmp_table_size", "max_heap_table_size"):
            try:
                cursor.execute(f"SET SESSION {setting} = 1073741824")
            except Exception:  # read-only replicas may refuse; the default is slower, not wrong
                pass
    finally:
        cursor.close()
