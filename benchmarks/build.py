"""Benchmark: generate the demo at a scale, then time a cold build, a rebuild with no change and a rebuild
after one more day of activity, all at the fixed as-of AS_OF, with peak memory.

    python benchmarks/build.py [SCALE] [--keep DIR] [--json]     # default 0.1; 1 is the benchmark scale

Each build.py run is a fresh process (peak = its maximum RSS) with a state folder (and build cache) of
its own, cold at first. "One more day" copies the demo's last day of activity (timeslices and replica
revisions of LAST_DAY) to the day after, inside the as-of date, as a day of the Dashboard's updates
would add it. --keep leaves the site (and demo files) in DIR, e.g. for benchmarks/lighthouse.py.
Nothing is asserted: compare figures between commits.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from demo import measured  # noqa: E402  (benchmarks/demo.py: a command in a fresh process, with its peak)

AS_OF = "2026-11-02"  # the demo's data end (2026-11-01) and the extra day
LAST_DAY, NEXT_DAY = "2026-10-31", "2026-11-01"
TIMESLICES = ("course_wiki_timeslices", "course_user_wiki_timeslices")


def add_one_day(dashboard: Path, replica: Path) -> int:
    """Copy the last day's timeslices and replica revisions to the next day; return the rows added."""
    added = 0
    shifted = ", ".join(f'"{c}" + INTERVAL 1 DAY AS "{c}"' for c in ("start", "end", "created_at", "updated_at"))
    with duckdb.connect(str(dashboard)) as connection:
        for table in TIMESLICES:
            offset = connection.execute(f"SELECT max(id) FROM {table}").fetchone()[0]
            connection.execute(
                f"INSERT INTO {table} SELECT * REPLACE (id + {offset} AS id, {shifted}) FROM {table} "
                f"WHERE start >= TIMESTAMP '{LAST_DAY}' AND start < TIMESTAMP '{NEXT_DAY}'"
            )
            added += connection.execute(f"SELECT count(*) FROM {table} WHERE start >= '{NEXT_DAY}'").fetchone()[0]
    day, next_day = LAST_DAY.replace("-", ""), NEXT_DAY.replace("-", "")
    with duckdb.connect(str(replica)) as connection:
        schemas = connection.execute("SELECT DISTINCT schema FROM (SHOW ALL TABLES) WHERE name = 'revision'").fetchall()
        for (schema,) in schemas:
            table = f"{schema}.revision"
            offset = connection.execute(f"SELECT max(rev_id) FROM {table}").fetchone()[0]
            connection.execute(
                f"INSERT INTO {table} SELECT * REPLACE (rev_id + {offset} AS rev_id, "
                f"'{next_day}' || substr(rev_timestamp, 9) AS rev_timestamp) FROM {table} "
                f"WHERE rev_timestamp LIKE '{day}%'"
            )
            counted = f"SELECT count(*) FROM {table} WHERE rev_timestamp LIKE '{next_day}%'"
            added += connection.execute(counted).fetchone()[0]
    return added


def run_builds(scale: float, folder: Path) -> dict:
    build = [sys.executable, str(ROOT / "build.py")]
    dashboard, replica = folder / "dashboard.duckdb", folder / "replica.duckdb"
    demo_seconds, demo_peak, _ = measured([*build, "demo", "--scale", str(scale), "--dashboard",
                                           f"duckdb:///{dashboard}", "--replica", f"duckdb:///{replica}"])  # fmt: skip
    config = folder / "site.toml"  # a state folder (and build cache) of its own, cold at first
    config.write_text(f'[build]\nstate_dir = "{folder / "state"}"\nqueries = "{ROOT / "queries"}"\n')
    sources = ["--source", f"dashboard=duckdb:///{dashboard}", "--source", f"replica=duckdb:///{replica}"]
    arguments = [*build, "-q", "--config", str(config), "--as-of", AS_OF, "--out", str(folder / "site"), *sources]
    cold_seconds, cold_peak, _ = measured(arguments)
    pages = len(list((folder / "site").resolve().rglob("*.html")))
    again_seconds, again_peak, _ = measured(arguments)
    added = add_one_day(dashboard, replica)
    day_seconds, day_peak, _ = measured(arguments)
    return {
        "scale": scale,
        "as_of": AS_OF,
        "demo": {"seconds": round(demo_seconds, 1), "peak_mib": demo_peak},
        "cold": {"seconds": round(cold_seconds, 1), "peak_mib": cold_peak},
        "no_change": {"seconds": round(again_seconds, 1), "peak_mib": again_peak},
        "one_day": {"seconds": round(day_seconds, 1), "peak_mib": day_peak, "rows_added": added},
        "pages": pages,
        "pages_per_second": round(pages / cold_seconds, 1),
        "site": str(folder / "site"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scale", type=float, nargs="?", default=0.1)
    parser.add_argument("--keep", type=Path, default=None, help="write the demo and the site here and keep them")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()
    folder = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="almanac-build-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        figures = run_builds(args.scale, folder)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        print(json.dumps(figures))
        return
    print(f"scale {figures['scale']}: demo {figures['demo']['seconds']} s (peak {figures['demo']['peak_mib']} MiB)")
    print(f"cold build {figures['cold']['seconds']} s (peak {figures['cold']['peak_mib']} MiB), "
          f"{figures['pages']} pages, {figures['pages_per_second']} pages/s")  # fmt: skip
    cold = figures["cold"]["seconds"]
    for name, run in (("no change", figures["no_change"]), ("one more day", figures["one_day"])):
        print(f"rebuild, {name}: {run['seconds']} s ({run['seconds'] / cold:.0%} of cold, peak {run['peak_mib']} MiB)")


if __name__ == "__main__":
    main()
