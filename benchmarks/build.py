"""Benchmark: generate the demo at a scale, then time a cold build, a rebuild with no change and a rebuild
after one more day of activity, all at the fixed as-of AS_OF, and measure their peak memory.

    python benchmarks/build.py [SCALE]      # default 0.1; 1 is the Dashboard-like benchmark scale

"One more day" copies the demo's last day of activity (2026-10-31: timeslices and replica revisions) to
the day after, inside the as-of date, as a day of the Dashboard's updates would add it. Prints a table;
nothing is asserted: compare figures between commits.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2026-11-02"  # the demo's data end (2026-11-01) and the extra day
LAST_DAY, NEXT_DAY = "2026-10-31", "2026-11-01"
TIMESLICES = ("course_wiki_timeslices", "course_user_wiki_timeslices")


# Runs one command in a fresh process and reports that command's own peak RSS (KB) on stderr's last line.
MEASURE = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)"
)


def run(arguments: list[str]) -> tuple[float, int, str]:
    """Run build.py with `arguments`; return seconds, its peak RSS in MB, and its log."""
    command = [sys.executable, "-c", MEASURE, sys.executable, str(ROOT / "build.py"), *arguments]
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True)
    seconds = time.monotonic() - started
    if result.returncode not in (0, 1):
        sys.exit(f"build.py {' '.join(arguments)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    *log, peak = result.stderr.strip().splitlines()
    return seconds, int(peak) // 1024, "\n".join(log) + result.stdout


def add_one_day(dashboard: Path, replica: Path) -> int:
    """Copy the last day's timeslices and replica revisions to the next day; return the rows added."""
    added = 0
    with duckdb.connect(str(dashboard)) as connection:
        for table in TIMESLICES:
            offset = connection.execute(f"SELECT max(id) FROM {table}").fetchone()[0]
            shifted = ", ".join(
                f'"{c}" + INTERVAL 1 DAY AS "{c}"' for c in ("start", "end", "created_at", "updated_at")
            )
            connection.execute(
                f"INSERT INTO {table} SELECT * REPLACE (id + {offset} AS id, {shifted}) FROM {table} "
                f"WHERE start >= TIMESTAMP '{LAST_DAY}'"
            )
            added += connection.execute(f"SELECT count(*) FROM {table} WHERE start >= '{NEXT_DAY}'").fetchone()[0]
    with duckdb.connect(str(replica)) as connection:
        schemas = [
            row[0]
            for row in connection.execute(
                "SELECT DISTINCT schema FROM (SHOW ALL TABLES) WHERE name = 'revision'"
            ).fetchall()
        ]
        for schema in schemas:
            table = f"{schema}.revision"
            offset = connection.execute(f"SELECT max(rev_id) FROM {table}").fetchone()[0]
            day, next_day = LAST_DAY.replace("-", ""), NEXT_DAY.replace("-", "")
            connection.execute(
                f"INSERT INTO {table} SELECT * REPLACE (rev_id + {offset} AS rev_id, "
                f"'{next_day}' || substr(rev_timestamp, 9) AS rev_timestamp) FROM {table} "
                f"WHERE rev_timestamp LIKE '{day}%'"
            )
            added += connection.execute(f"SELECT count(*) FROM {table} WHERE rev_timestamp >= '{next_day}'").fetchone()[
                0
            ]
    return added


def main() -> None:
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 0.1
    with tempfile.TemporaryDirectory() as folder:
        dashboard, replica = f"duckdb:///{folder}/dashboard.duckdb", f"duckdb:///{folder}/replica.duckdb"
        seconds, peak, log = run(["demo", "--scale", str(scale), "--dashboard", dashboard, "--replica", replica])
        print(f"demo at scale {scale}: {seconds:.1f} s, peak {peak} MB")
        print("  " + log.strip().splitlines()[-1][:400])
        config = Path(folder, "site.toml")  # a state folder (and build cache) of its own, cold
        config.write_text(f'[build]\nstate_dir = "{folder}/state"\nqueries = "{ROOT / "queries"}"\n')
        sources = ["--source", f"dashboard={dashboard}", "--source", f"replica={replica}"]
        out = ["--config", str(config), "--as-of", AS_OF, "--out", f"{folder}/site", *sources]
        rows = []
        cold, peak, log = run(out)
        rows.append(("cold build", cold, peak))
        for line in log.splitlines():
            if line.strip() and ("rows" in line or "Wrote" in line or "published" in line or "cache" in line):
                print("  " + line.strip())
        seconds, peak, log = run(out)
        rows.append(("rebuild, no change", seconds, peak))
        print("  " + next((line for line in log.splitlines() if "cache hits" in line), "").strip())
        added = add_one_day(Path(folder, "dashboard.duckdb"), Path(folder, "replica.duckdb"))
        seconds, peak, log = run(out)
        rows.append((f"rebuild, one more day ({added:,} rows)", seconds, peak))
        print("  " + next((line for line in log.splitlines() if "cache hits" in line), "").strip())
        pages = len(list(Path(folder, "site").rglob("*.html")))
        size = sum(p.stat().st_size for p in Path(folder, "site").rglob("*") if p.is_file()) / 1e6
        print(f"\n{'build at scale ' + str(scale):<40} {'seconds':>8} {'of cold':>8} {'peak MB':>8}")
        for name, seconds, peak in rows:
            print(f"{name:<40} {seconds:>8.1f} {seconds / cold:>8.0%} {peak:>8}")
        print(f"{pages} pages, {size:.1f} MB in site/; as-of {AS_OF}")


if __name__ == "__main__":
    main()
