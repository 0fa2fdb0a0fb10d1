"""Writing the demo: to DuckDB files (replaced whole) or MySQL/MariaDB databases, with LOAD DATA LOCAL INFILE
(or batched INSERTs where the server refuses it), and a progress bar or log lines."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from .constants import DEFAULT_SCALE, DEFAULT_SEED
from .frames import State
from .generator import dashboard_tables
from .replica import replica_dbnames, replica_tables
from .schema import create_schema, ddl_columns, ddl_views, quote
from .targets import (
    ADVICE,
    MARKER_DDL,
    MARKER_GENERATOR,
    MARKER_TABLE,
    MARKER_VERSION,
    DemoTargetError,
    Target,
    check_targets,
    mysql_connect,
    mysql_problem,
    plan_targets,
)

log = logging.getLogger("almanac")

DUCKDB_MEMORY_LIMIT = "128MB"
CHECKPOINT_ROWS = 250_000


class _Progress:
    """tqdm on a terminal; log lines otherwise; nothing when disabled."""

    def __init__(self, enabled: bool, total: int):
        self.enabled = enabled
        self.bar = None
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="table", desc="demo", file=sys.stderr)

    def step(self, name: str, rows: int, seconds: float) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(f"{name} ({rows:,} rows)")
            self.bar.update(1)
        elif self.enabled:
            log.info("demo: %-36s %10s rows  %6.2fs", name, f"{rows:,}", seconds)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def write_demo(
    *,
    scale: float = DEFAULT_SCALE,
    seed: int = DEFAULT_SEED,
    dashboard_url: str | None = None,
    replica_url: str | None = None,
    root: Path,
    progress: bool = True,
) -> dict[str, int]:
    """Generate the demo and write it; return row counts per table (replica tables as '<dbname>_p.<table>').

    Without URLs it writes the project's own files, `root`/demo/dashboard.duckdb and demo/replica.duckdb.
    Every target is checked first (build.demo.targets): a database that holds anything but an earlier demo is
    refused (DemoTargetError) before anything is written, and every database written gets the marker table.

    DuckDB: a file is replaced whole (written to a temporary file, then os.replace); the replica is one file
    with a schema `<dbname>_p` per wiki, or one file per wiki when the path contains `{dbname}`.
    MySQL/MariaDB: the database is created if missing and the demo's tables dropped and recreated (never a
    database, never another table); the replica URL must contain `{dbname}` (e.g.
    mysql://root@127.0.0.1:3306/{dbname}_p), one database per wiki."""
    started = time.perf_counter()
    targets = plan_targets(dashboard_url, replica_url, Path(root), replica_dbnames())
    check_targets(targets)
    # Memory: each Dashboard table is written and dropped as soon as its stage made it, and the replica is
    # drawn and written one wiki at a time (at scale 1 the whole demo held at once needs over 3 GB).
    state = State.start(scale, seed)
    if progress:
        log.info("demo: generating and writing scale %s seed %s", scale, seed)
    marker = {"generator": MARKER_GENERATOR, "version": MARKER_VERSION, "seed": int(seed), "scale": float(scale)}
    bar = _Progress(progress, len(ddl_columns("dashboard")) + 3 * len(replica_dbnames()))
    counts: dict[str, int] = {}
    dashboard = dashboard_tables(state)
    wikis = replica_tables(state)  # drawn only once the Dashboard's tables are all handed out
    try:
        for target in targets:
            parts = _parts(target, dashboard, wikis, counts)
            if target.url.scheme == "duckdb":
                _write_duckdb_file(target.url.path, parts, marker, bar)
            else:
                _write_mysql(target, parts, marker, bar)
    finally:
        bar.close()
    if progress:
        log.info("demo: written in %.1fs", time.perf_counter() - started)
    dashboard_order = {table: counts.pop(table) for table in ddl_columns("dashboard")}
    return dashboard_order | counts  # the Dashboard's tables in DDL order (they are made in another), then the wikis


def _parts(target: Target, dashboard: Iterator, wikis: Iterator, counts: dict[str, int]) -> Iterator:
    """What goes into `target`, made as it is written: (DuckDB schema or None, DDL name, (table, frame) pairs).
    Targets come in `plan_targets` order (dashboard, then the wikis in `replica_dbnames` order), the order the
    replica's wikis are drawn in."""
    if target.schema == "dashboard":
        yield None, "dashboard", _counted(dashboard, counts, "")
        return
    for dbname, tables in wikis:
        if target.dbname and dbname != target.dbname:
            raise RuntimeError(f"demo: wiki {dbname} drawn where {target.dbname} was expected")
        yield (None if target.dbname else f"{dbname}_p"), "replica", _counted(_drain(tables), counts, f"{dbname}_p.")
        if target.dbname:
            return


def _drain(tables: dict[str, pd.DataFrame]) -> Iterator:
    """(table, frame) pairs, each removed from `tables` as it is handed out (so it is freed once written)."""
    while tables:
        name = next(iter(tables))
        yield name, tables.pop(name)


def _counted(pairs: Iterator, counts: dict[str, int], prefix: str) -> Iterator:
    """`pairs` passed on, each table's row count noted in `counts`."""
    for name, frame in pairs:
        counts[prefix + name] = len(frame)
        yield name, frame


def _write_duckdb_file(path: Path, parts: Iterable[tuple[str | None, str, dict]], marker: dict, bar) -> None:
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
        leftover.unlink(missing_ok=True)
    # A small memory limit, and large tables inserted in slices with a checkpoint after each: DuckDB then
    # writes rows out instead of holding a whole table in memory (the demo's peak memory at scale 1).
    connection = duckdb.connect(str(temporary), config={"memory_limit": DUCKDB_MEMORY_LIMIT})
    try:
        connection.execute(MARKER_DDL)
        connection.execute(f"INSERT INTO {MARKER_TABLE} VALUES (?, ?, ?, ?)", list(marker.values()))
        for namespace, schema, tables in parts:
            connection.execute("BEGIN TRANSACTION")
            create_schema(connection, schema, "duckdb", namespace=namespace)
            connection.execute("COMMIT")  # the DDL in one transaction; each table's rows in their own
            prefix = f"{quote(namespace)}." if namespace else ""
            for table, frame in tables:
                began = time.perf_counter()
                for offset in range(0, len(frame), CHECKPOINT_ROWS):  # in slices, in order
                    connection.register("_demo_frame", frame.iloc[offset : offset + CHECKPOINT_ROWS])
                    connection.execute(f"INSERT INTO {prefix}{quote(table)} SELECT * FROM _demo_frame")
                    connection.unregister("_demo_frame")
                    if len(frame) > CHECKPOINT_ROWS:
                        connection.execute("CHECKPOINT")
                bar.step(f"{namespace or schema}.{table}", len(frame), time.perf_counter() - began)
        connection.execute("CHECKPOINT")
    finally:
        connection.close()
    path.with_name(path.name + ".wal").unlink(missing_ok=True)
    os.replace(temporary, path)


def _write_mysql(target: Target, parts: Iterable[tuple[str | None, str, dict]], marker: dict, bar) -> None:
    """Into one MySQL database: the marker first (a run cut short leaves a database the next run may finish),
    then the demo's own tables dropped and recreated. The database is checked again on this connection."""
    database = target.url.database
    name = database.replace("`", "``")
    connection = mysql_connect(target.url, target.label)
    try:
        cursor = connection.cursor()
        cursor.execute("SET time_zone = '+00:00'")
        cursor.execute("SET SESSION lock_wait_timeout = 120")  # a table held by another session: fail, not hang
        problem = mysql_problem(cursor, database)
        if problem:
            raise DemoTargetError(f"refusing to write the demo into {target.label}: {problem}. {ADVICE}")
        cursor.execute(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        cursor.execute(f"USE `{name}`")
        cursor.execute(MARKER_DDL)
        cursor.execute(f"DELETE FROM {MARKER_TABLE}")
        cursor.execute(f"INSERT INTO {MARKER_TABLE} VALUES (%s, %s, %s, %s)", list(marker.values()))
        connection.commit()
        for _, schema, tables in parts:
            cursor.execute("SET FOREIGN_KEY_CHECKS = 0")
            for view in ddl_views(schema):
                cursor.execute(f"DROP VIEW IF EXISTS `{view}`")
            for table in ddl_columns(schema):
                cursor.execute(f"DROP TABLE IF EXISTS `{table}`")
            create_schema(connection, schema, "mysql")
            for table, frame in tables:
                began = time.perf_counter()
                _load_mysql(connection, table, frame)
                bar.step(f"{database}.{table}", len(frame), time.perf_counter() - began)
        connection.commit()
    finally:
        connection.close()


def _python_columns(frame: pd.DataFrame) -> list[list]:
    """Columns as lists of plain Python values (None for missing; datetimes as 'YYYY-MM-DD HH:MM:SS')."""
    columns = []
    for name in frame.columns:
        series = frame[name]
        if pd.api.types.is_datetime64_any_dtype(series):
            values = np.datetime_as_string(series.to_numpy().astype("datetime64[s]"), unit="s")
            values = np.strings.replace(values, "T", " ").astype(object)
            values[series.isna().to_numpy()] = None
        else:
            values = np.array(series.astype(object).to_numpy(), dtype=object)
            values[series.isna().to_numpy()] = None
        columns.append(values.tolist())
    return columns


# Server or client refusals of LOAD DATA LOCAL INFILE (local_infile off): fall back to INSERTs.
_LOCAL_INFILE_REFUSED = {1148, 1229, 2068, 3948, 3950}


def _load_mysql(connection, table: str, frame: pd.DataFrame, chunk: int = 500_000) -> None:
    """Load `frame` into `table` with LOAD DATA LOCAL INFILE (tab-separated chunks, several times faster than
    INSERTs), or with batched INSERTs when the server refuses local files. Any warning (a truncated or converted
    value) is an error: the demo must arrive exactly as generated."""
    import tempfile

    import pymysql

    if frame.empty:
        return
    names = ", ".join(f"`{c}`" for c in frame.columns)
    cursor = connection.cursor()
    try:
        with tempfile.TemporaryDirectory(prefix="almanac-demo-") as folder:
            path = Path(folder) / f"{table}.tsv"
            for offset in range(0, len(frame), chunk):
                path.write_bytes(_tsv(frame.iloc[offset : offset + chunk]))
                try:
                    cursor.execute(
                        f"LOAD DATA LOCAL INFILE %s INTO TABLE `{table}` CHARACTER SET utf8mb4 "
                        f"FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ({names})",
                        (str(path),),
                    )
                except (pymysql.err.OperationalError, pymysql.err.InternalError) as error:
                    if offset == 0 and error.args and error.args[0] in _LOCAL_INFILE_REFUSED:
                        log.info("demo: LOAD DATA LOCAL INFILE refused (%s); inserting %s in batches", error, table)
                        _insert_mysql(connection, table, frame)
                        return
                    raise
                if cursor.execute("SHOW WARNINGS LIMIT 3"):
                    raise ValueError(f"loading demo table {table}: the server changed values: {cursor.fetchall()}")
    finally:
        cursor.close()
    connection.commit()


def _tsv(frame: pd.DataFrame) -> bytes:
    """Rows for LOAD DATA: tab-separated, backslash escapes (\\, \\t, \\n, \\r), NULL as \\N, UTF-8."""
    columns = []
    for name in frame.columns:
        series = frame[name]
        missing = series.isna().to_numpy()
        if pd.api.types.is_datetime64_any_dtype(series):
            text = np.datetime_as_string(series.to_numpy().astype("datetime64[s]"), unit="s")
            text = pd.Series(np.strings.replace(text, "T", " "), dtype=object)
        elif pd.api.types.is_float_dtype(series):
            text = pd.Series([repr(float(v)) for v in series.to_numpy()], dtype=object)
        elif pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            text = pd.Series(np.asarray(series.fillna(0).to_numpy(), dtype=np.int64).astype(str), dtype=object)
        else:
            text = series.astype(object).where(~missing, "").astype(str)
            for raw, escaped in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
                text = text.str.replace(raw, escaped, regex=False)
            text = pd.Series(text.to_numpy(dtype=object), dtype=object)
        text[missing] = "\\N"
        columns.append(text)
    lines = columns[0].str.cat(columns[1:], sep="\t") if len(columns) > 1 else columns[0]
    return ("\n".join(lines.tolist()) + "\n").encode("utf-8")


def _insert_mysql(connection, table: str, frame: pd.DataFrame, batch: int = 5_000) -> None:
    if frame.empty:
        return
    names = ", ".join(f"`{c}`" for c in frame.columns)
    marks = ", ".join(["%s"] * len(frame.columns))
    sql = f"INSERT INTO `{table}` ({names}) VALUES ({marks})"
    rows = list(zip(*_python_columns(frame), strict=True))
    cursor = connection.cursor()
    try:
        for offset in range(0, len(rows), batch):
            cursor.executemany(sql, rows[offset : offset + batch])
    finally:
        cursor.close()
    connection.commit()
