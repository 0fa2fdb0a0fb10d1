"""Rows per second of one extract through each MySQL reader, side by side with `mariadb --quick`.

    python benchmarks/extract.py [ROWS] [--url mysql://root@127.0.0.1:3306/] [--chunk-size N] [--repeat 3] [--json]

Creates a throwaway database `almanac_bench_<random>` holding one table of ROWS rows × 7 columns (int
key, binary name, varchar, datetime, decimal, int, tinyint: the types a replica or the Dashboard returns),
reads it with `build.extract.run_query` through pymysql, mysqlclient (when installed) and connectorx
(plain, and chunked on the key: key ranges read over two connections), and with the `mariadb` client
(`--quick --batch`, output to /dev/null: the wire's speed). Each is timed `--repeat` times (default 3),
taking turns, and its best time counts, as `timeit` does (the floor too): a shared machine only ever adds
time. Prints a table (or JSON) and drops the database. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from build.config import SourceSettings  # noqa: E402
from build.extract import Progress, run_query  # noqa: E402
from build.queries import parse_query  # noqa: E402
from build.sources import open_source, parse_url, resolve_credentials  # noqa: E402

COLUMNS = "id, user_name, wiki, created, amount, n, flag"
HEADER = """/*
title = "Bench"
description = "Benchmark rows."
sort = ["id"]
{extra}
[columns]
id = {{ type = "integer", description = "Id." }}
user_name = {{ type = "string", description = "Name (binary)." }}
wiki = {{ type = "string", description = "Wiki." }}
created = {{ type = "date", description = "Created." }}
amount = {{ type = "number", description = "Amount." }}
n = {{ type = "integer", description = "A number." }}
flag = {{ type = "integer", description = "A flag." }}
*/
SELECT {columns} FROM bench
"""
# (label, session driver, ALMANAC_MYSQL_READER, chunked)
READERS = [
    ("pymysql", "pymysql", "driver", False),
    ("mysqlclient", "mysqlclient", "driver", False),
    ("connectorx", "pymysql", "connectorx", False),
    ("connectorx, 2 key ranges", "pymysql", "connectorx", True),
]


def has_mysqlclient() -> bool:
    try:
        import MySQLdb  # noqa: F401
    except ImportError:
        return False
    return True


def make_table(source: SourceSettings, root: Path, rows: int) -> None:
    with open_source(source, root, read_only=False) as connection:
        connection.execute(
            "CREATE TABLE bench (id INT PRIMARY KEY, user_name VARBINARY(255) NOT NULL, wiki VARCHAR(32), "
            "created DATETIME NOT NULL, amount DECIMAL(12,3), n INT, flag TINYINT)"
        )
        connection.execute(
            "INSERT INTO bench SELECT seq, CONCAT('User ', seq), CONCAT('wiki', seq MOD 50), "
            "'2025-01-01' + INTERVAL (seq MOD 700) DAY + INTERVAL (seq MOD 86400) SECOND, seq / 7, seq MOD 1000, "
            f"seq MOD 2 FROM seq_1_to_{rows}"
        )


def client_seconds(source: SourceSettings, root: Path) -> float | None:
    """Seconds for `mariadb --quick --batch` (or `mysql`) to read the table to /dev/null; None without a client."""
    client = shutil.which("mariadb") or shutil.which("mysql")
    if client is None:
        return None
    credentials = resolve_credentials(source, parse_url(source.url, root))
    command = [client, "--quick", "--batch", f"--host={credentials.host}", f"--port={credentials.port}"]
    if credentials.user:
        command.append(f"--user={credentials.user}")
    command += ["-e", f"SELECT {COLUMNS} FROM bench", credentials.database or ""]
    environment = {**os.environ, "MYSQL_PWD": credentials.password or ""}  # not on the command line
    started = time.monotonic()
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True, env=environment)
    return time.monotonic() - started


def reader_seconds(source: SourceSettings, root: Path, query, driver: str, reader: str, rows: int) -> float:
    os.environ["ALMANAC_MYSQL_DRIVER"], os.environ["ALMANAC_MYSQL_READER"] = driver, reader
    with open_source(source, root) as connection:
        started = time.monotonic()
        frame = run_query(query, connection, {}, progress=Progress("bench", quiet=True))
        seconds = time.monotonic() - started
    if len(frame) != rows:
        raise SystemExit(f"{driver}/{reader} read {len(frame)} rows, expected {rows}")
    return seconds


def measure(url: str, rows: int, chunk_size: int, repeat: int = 3) -> dict:
    database = f"almanac_bench_{secrets.token_hex(4)}"
    root = Path(tempfile.mkdtemp(prefix="almanac-bench-"))
    server = SourceSettings("bench", url.rstrip("/") + "/")
    source = SourceSettings("bench", url.rstrip("/") + "/" + database)
    with open_source(server, root, read_only=False) as admin:
        admin.execute(f"CREATE DATABASE `{database}`")
    try:
        make_table(source, root, rows)
        queries = {}
        for chunked, extra in ((False, ""), (True, f'chunk_key = "id"\nchunk_size = {chunk_size}')):
            path = root / f"{'chunked' if chunked else 'plain'}.sql"
            path.write_text(HEADER.format(extra=extra, columns=COLUMNS), encoding="utf-8")
            queries[chunked] = parse_query(path)
        floor, times = [], {}
        for _ in range(repeat):  # in turns, so a busy moment does not fall on one reader only
            floor.append(client_seconds(source, root))
            for label, driver, reader, chunked in READERS:
                if driver == "mysqlclient" and not has_mysqlclient():
                    continue
                times.setdefault(label, []).append(reader_seconds(source, root, queries[chunked], driver, reader, rows))
        seconds = {label: min(measured) for label, measured in times.items()}
    finally:
        for name in ("ALMANAC_MYSQL_DRIVER", "ALMANAC_MYSQL_READER"):
            os.environ.pop(name, None)
        with open_source(server, root, read_only=False) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS `{database}`")
    quick = min((s for s in floor if s is not None), default=None)
    return {
        "rows": rows,
        "columns": 7,
        "chunk_size": chunk_size,
        "repeat": repeat,
        "mariadb_quick_seconds": quick,
        "seconds": seconds,
    }


def table(figures: dict) -> str:
    quick = figures["mariadb_quick_seconds"]
    lines = [
        f"| reader | seconds | rows/s | × mariadb --quick |  ({figures['rows']:,} rows × 7 columns)",
        "|---|---|---|---|",
    ]
    if quick:
        lines.append(f"| mariadb --quick (the floor) | {quick:.2f} | {figures['rows'] / quick:,.0f} | 1.00 |")
    for label, seconds in figures["seconds"].items():
        ratio = f"{seconds / quick:.2f}" if quick else "n/a"
        lines.append(f"| {label} | {seconds:.2f} | {figures['rows'] / seconds:,.0f} | {ratio} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rows", nargs="?", type=int, default=200_000, help="rows in the table (default 200000)")
    parser.add_argument("--url", default="mysql://root@127.0.0.1:3306/", help="server URL, without a database")
    parser.add_argument("--chunk-size", type=int, default=1_000_000, help="rows per page of the chunked extract")
    parser.add_argument("--repeat", type=int, default=3, help="times each reader is timed; the best counts")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    arguments = parser.parse_args()
    figures = measure(arguments.url, arguments.rows, arguments.chunk_size, max(1, arguments.repeat))
    print(json.dumps(figures) if arguments.json else table(figures))


if __name__ == "__main__":
    main()
