"""Where the demo may write, checked before anything is written.

The demo replaces whole tables, so it must never land on someone's data. Without a target it writes only the
project's own files, demo/dashboard.duckdb and demo/replica.duckdb (whatever sources site.toml configures).
Given a target (a DuckDB file, a MySQL/MariaDB database, or one per wiki through `{dbname}`), it writes only
where there is nothing yet (no such file or database, an empty one), or where an earlier demo run left its
marker table `almanac_demo` beside nothing but the demo's own tables. Every target is checked before the
first write; anything else is refused with one line naming the target (credentials stripped)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..sources import SourceURL, parse_url, redact, server_message
from .schema import ddl_columns, ddl_views

MARKER_TABLE = "almanac_demo"
MARKER_GENERATOR = "almanac demo"
MARKER_VERSION = 1
# The same DDL on DuckDB and MySQL: who wrote the database, and with which seed and scale.
MARKER_DDL = (
    f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} "
    "(generator VARCHAR(64) NOT NULL, version INTEGER NOT NULL, seed BIGINT NOT NULL, scale DOUBLE NOT NULL)"
)
DEMO_FOLDER = "demo"
DEFAULT_DASHBOARD_URL = f"duckdb:///{DEMO_FOLDER}/dashboard.duckdb"
DEFAULT_REPLICA_URL = f"duckdb:///{DEMO_FOLDER}/replica.duckdb"
ADVICE = (
    "Nothing was written or dropped. Name a new or empty database (or leave out --dashboard/--replica "
    "to write the project's demo/ files)."
)


class DemoTargetError(ValueError):
    """A place the demo must not write to: one line naming it (without credentials) and what to do."""


@dataclass(frozen=True)
class Target:
    """One database the demo writes: a DuckDB file, or a MySQL database (one per wiki for a replica)."""

    schema: str  # "dashboard" or "replica": which DDL it receives
    url: SourceURL
    label: str  # the URL with {dbname} filled in and credentials stripped
    dbname: str | None = None  # the wiki of a per-wiki replica target
    owned: bool = False  # a file under the project's demo/ folder: the demo's own, replaced without question

    @property
    def key(self) -> tuple:
        """What makes two targets the same database."""
        if self.url.scheme == "duckdb":
            return ("duckdb", str(self.url.path.resolve()))
        return ("mysql", self.url.host or "localhost", self.url.port or 3306, self.url.database)


def demo_objects() -> set[str]:
    """Every table and view name the demo creates (either schema), and its marker."""
    names = set(ddl_columns("dashboard")) | set(ddl_columns("replica")) | set(ddl_views("replica"))
    return names | {MARKER_TABLE}


# --------------------------------------------------------------------------------------------------- planning


def plan_targets(dashboard_url: str | None, replica_url: str | None, root: Path, dbnames: list[str]) -> list[Target]:
    """The targets for the two URLs (None: the project's demo/ files), `{dbname}` filled per wiki."""
    root = Path(root)
    dashboard_url = dashboard_url or DEFAULT_DASHBOARD_URL
    replica_url = replica_url or DEFAULT_REPLICA_URL
    if "{dbname}" in dashboard_url:
        raise DemoTargetError(f"{redact(dashboard_url)}: the dashboard target is one database; remove {{dbname}}.")
    targets = [_target("dashboard", dashboard_url, root)]
    if "{dbname}" in replica_url:
        targets += [_target("replica", replica_url.replace("{dbname}", dbname), root, dbname) for dbname in dbnames]
    elif replica_url.lower().startswith("duckdb:"):
        targets.append(_target("replica", replica_url, root))
    else:
        raise DemoTargetError(
            f"{redact(replica_url)}: a MySQL replica URL needs {{dbname}} (one database per wiki), "
            "e.g. mysql://root@127.0.0.1:3306/{dbname}_p"
        )
    seen: dict[tuple, Target] = {}
    for target in targets:
        if target.key in seen:
            raise DemoTargetError(
                f"{target.label} is named twice ({seen[target.key].schema} and {target.schema}): "
                "the dashboard and the replica need databases of their own."
            )
        seen[target.key] = target
    return targets


def _target(schema: str, url: str, root: Path, dbname: str | None = None) -> Target:
    parsed = parse_url(url, root)
    if parsed.scheme == "mysql" and not parsed.database:
        raise DemoTargetError(f"{redact(url)}: the URL names no database, e.g. mysql://root@127.0.0.1:3306/demo")
    owned = False
    if parsed.scheme == "duckdb":
        owned = parsed.path.resolve().is_relative_to((root / DEMO_FOLDER).resolve())
    return Target(schema, parsed, redact(url), dbname, owned)


# --------------------------------------------------------------------------------------------------- checking


def check_targets(targets: list[Target]) -> None:
    """Raise DemoTargetError naming the first target the demo must not write to (and how many more)."""
    refused = [(target, problem) for target in targets if (problem := target_problem(target))]
    if refused:
        target, problem = refused[0]
        more = f" ({len(refused) - 1} more target(s) refused too)" if len(refused) > 1 else ""
        raise DemoTargetError(f"refusing to write the demo into {target.label}: {problem}{more}. {ADVICE}")


def target_problem(target: Target) -> str | None:
    """Why the demo must not write to `target`, or None when it may."""
    if target.url.scheme == "duckdb":
        return _duckdb_problem(target)
    connection = mysql_connect(target.url, target.label)
    try:
        cursor = connection.cursor()
        try:
            return mysql_problem(cursor, target.url.database)
        finally:
            cursor.close()
    finally:
        connection.close()


def foreign_tables(names: set[str]) -> str | None:
    """The verdict on a database holding the tables (and views) `names`: None when it is empty, or marked by an
    earlier demo run and holding nothing else than the demo's tables. A real Dashboard database has the demo's
    table names but no marker: refused."""
    if not names:
        return None
    lowered = {name.lower() for name in names}
    own = {name.lower() for name in demo_objects()}
    if MARKER_TABLE in lowered:
        foreign = sorted(name for name in names if name.lower() not in own)
        if not foreign:
            return None
        return f"beside the {MARKER_TABLE} marker it holds {_some(foreign)} the demo did not create"
    return f"it holds {_some(sorted(names))} and no {MARKER_TABLE} marker of an earlier demo run"


def _some(names: list[str]) -> str:
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return f"{len(names)} table(s) ({shown})"


def _duckdb_problem(target: Target) -> str | None:
    import duckdb

    path = target.url.path
    if target.owned or not path.exists():
        return None
    if path.is_dir():
        return "it is a folder"
    if path.stat().st_size == 0:
        return None
    try:
        connection = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return "it is not a DuckDB database (or another process has it open)"
    try:
        rows = connection.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT internal AND database_name = current_database() "
            "UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal AND database_name = current_database()"
        ).fetchall()
    finally:
        connection.close()
    return foreign_tables({row[0] for row in rows})


def mysql_problem(cursor, database: str) -> str | None:
    """The verdict on a MySQL database (None if it does not exist), read on an open cursor."""
    cursor.execute("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (database,))
    if not cursor.fetchall():
        return None
    cursor.execute("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s", (database,))
    names = {row[0].decode() if isinstance(row[0], bytes) else row[0] for row in cursor.fetchall()}
    return foreign_tables(names)


def mysql_connect(url: SourceURL, label: str):
    """A pymysql connection to the URL's server (no database selected); credentials from the URL, else
    ALMANAC_MYSQL_USER / ALMANAC_MYSQL_PASSWORD, else the URL's option_file."""
    import pymysql

    arguments: dict[str, Any] = {"host": url.host, "port": url.port, "charset": "utf8mb4", "local_infile": True}
    user = url.user or os.environ.get("ALMANAC_MYSQL_USER")
    password = url.password or os.environ.get("ALMANAC_MYSQL_PASSWORD")
    if user:
        arguments["user"] = user
    if password:
        arguments["password"] = password
    option_file = url.options.get("option_file")
    if option_file:
        arguments["read_default_file"] = os.path.expanduser(option_file)
    try:
        return pymysql.connect(connect_timeout=10, **arguments)
    except pymysql.MySQLError as error:
        message = server_message(error)
        if password:
            message = message.replace(password, "***")
        raise DemoTargetError(f"cannot reach {label} to check it: {message}. {ADVICE}") from None
