"""Rows per second of a plain and a chunked extract through pymysql and mysqlclient (when installed).

    python benchmarks/extract.py [ROWS] [--url mysql://root@127.0.0.1:3306/] [--chunk-size N]

Creates a throwaway database `almanac_bench_<random>` holding one table of ROWS rows × 4 columns
(int key, binary name, decimal, datetime: the types a replica or the Dashboard returns), runs
`build.extract.run_query` over it with each driver, prints a table and drops the database.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from build.config import SourceSettings  # noqa: E402
from build.extract import Progress, run_query  # noqa: E402
from build.queries import parse_query  # noqa: E402
from build.sources import open_source  # noqa: E402

HEADER = """/*
title = "Bench"
description = "Benchmark rows."
sort = ["id"]
{extra}
[columns]
id = {{ type = "integer", description = "Id." }}
name = {{ type = "string", description = "Name." }}
amount = {{ type = "number", description = "Amount." }}
day = {{ type = "date", description = "Day." }}
*/
SELECT id, name, amount, day FROM bench
"""


def drivers() -> list[str]:
    found = ["pymysql"]
    try:
        import MySQLdb  # noqa: F401

        found.append("mysqlclient")
    except ImportError:
        pass
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rows", nargs="?", type=int, default=500_000, help="rows in the table (default 500000)")
    parser.add_argument("--url", default="mysql://root@127.0.0.1:3306/", help="server URL, without a database")
    parser.add_argument("--chunk-size", type=int, default=50_000, help="rows per chunk of the chunked extract")
    arguments = parser.parse_args()

    database = f"almanac_bench_{secrets.token_hex(4)}"
    root = Path(tempfile.mkdtemp(prefix="almanac-bench-"))
    server = SourceSettings("bench", arguments.url.rstrip("/") + "/")
    with open_source(server, root, read_only=False) as admin:
        admin.execute(f"CREATE DATABASE `{database}`")
    source = SourceSettings("bench", arguments.url.rstrip("/") + "/" + database)
    try:
        started = time.monotonic()
        with open_source(source, root, read_only=False) as connection:
            connection.execute(
                "CREATE TABLE bench (id INT PRIMARY KEY, name VARBINARY(64) NOT NULL, amount DECIMAL(12,3), "
                "day DATETIME NOT NULL)"
            )
            connection.execute(
                "INSERT INTO bench SELECT seq, CONCAT('User ', seq), seq / 7, "
                f"'2025-01-01' + INTERVAL (seq MOD 700) DAY FROM seq_1_to_{arguments.rows}"
            )
        print(f"table of {arguments.rows:,} rows written in {time.monotonic() - started:.1f}s", file=sys.stderr)
        queries = {}
        for name, extra in (("plain", ""), ("chunked", f'chunk_key = "id"\nchunk_size = {arguments.chunk_size}')):
            path = root / f"{name}.sql"
            path.write_text(HEADER.format(extra=extra), encoding="utf-8")
            queries[name] = parse_query(path)

        print(f"| driver | extract | rows | seconds | rows/s |  ({arguments.rows:,} rows × 4 columns)")
        print("|---|---|---|---|---|")
        for driver in drivers():
            os.environ["ALMANAC_MYSQL_DRIVER"] = driver
            for name, query in queries.items():
                with open_source(source, root) as connection:
                    started = time.monotonic()
                    progress = Progress(f"{driver} {name}")
                    frame = run_query(query, connection, {}, progress=progress)
                    seconds = time.monotonic() - started
                    progress.close()
                assert len(frame) == arguments.rows, (len(frame), arguments.rows)
                rows_per_second = len(frame) / seconds
                print(f"| {driver} | {name} | {len(frame):,} | {seconds:.2f} | {rows_per_second:,.0f} |", flush=True)
    finally:
        os.environ.pop("ALMANAC_MYSQL_DRIVER", None)
        with open_source(server, root, read_only=False) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS `{database}`")


if __name__ == "__main__":
    main()
