"""Benchmark: seconds and peak memory to generate the demo and write it to DuckDB, at a given scale.

Run: `.venv/bin/python benchmarks/demo.py [SCALE] [--seed N] [--out DIR]`, SCALE default 0.1.
Scale 1 is the benchmark scale (about 20,000 courses, 1,500 campaigns, 400,000 participants and
5,000,000 course_user_wiki_timeslices rows). Peak memory is the process's maximum resident set size
(Python, numpy, pandas and DuckDB together). The files go to a temporary folder unless --out is given.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from build import demo  # noqa: E402


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scale", type=float, nargs="?", default=0.1)
    parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=None, help="keep the DuckDB files in this folder")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="almanac-demo-bench-"))
    try:
        started = time.perf_counter()
        generated = demo.generate(args.scale, args.seed)
        generate_seconds = time.perf_counter() - started
        generate_peak = peak_mib()
        del generated
        started = time.perf_counter()
        counts = demo.write_demo(
            scale=args.scale,
            seed=args.seed,
            dashboard_url="duckdb:///dashboard.duckdb",
            replica_url="duckdb:///replica.duckdb",
            root=out,
            progress=False,
        )
        total_seconds = time.perf_counter() - started
        sizes = {name: (out / name).stat().st_size / 2**20 for name in ("dashboard.duckdb", "replica.duckdb")}
    finally:
        if args.out is None:
            shutil.rmtree(out, ignore_errors=True)
    revisions = sum(v for k, v in counts.items() if k.endswith(".revision"))
    print(f"scale {args.scale} seed {args.seed}")
    for name in ("courses", "campaigns", "users", "courses_users", "course_user_wiki_timeslices"):
        print(f"  {name:30} {counts[name]:>12,}")
    print(f"  {'course_wiki_timeslices':30} {counts['course_wiki_timeslices']:>12,}")
    print(f"  {'replica revisions (all wikis)':30} {revisions:>12,}")
    print(f"generate only:        {generate_seconds:8.1f} s   peak {generate_peak:8.0f} MiB")
    print(f"generate + write:     {total_seconds:8.1f} s   peak {peak_mib():8.0f} MiB")
    print(f"files: dashboard {sizes['dashboard.duckdb']:.0f} MiB, replica {sizes['replica.duckdb']:.0f} MiB")


if __name__ == "__main__":
    main()
