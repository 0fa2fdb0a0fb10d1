"""Benchmark: generate the demo at a scale, then time a cold build and an unchanged rebuild, with peak memory.

    python benchmarks/build.py [SCALE] [--keep DIR] [--json]     # default 0.1; 1 is the benchmark scale

Prints the demo's seconds and peak memory, the cold build's seconds, peak memory and pages per second,
and the unchanged rebuild's seconds (each build.py run in a fresh process, peak = its maximum RSS), all
at the fixed as-of 2026-11-01. The rebuild after one more day of activity is "n/a" until the
content-keyed cache lands. --keep leaves the site (and demo files) in DIR, e.g. for
benchmarks/lighthouse.py. Nothing is asserted: compare figures between commits.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from demo import measured  # noqa: E402  (benchmarks/demo.py: a command in a fresh process, with its peak)

AS_OF = "2026-11-01"


def run_builds(scale: float, folder: Path) -> dict:
    build = [sys.executable, str(ROOT / "build.py")]
    dashboard, replica = f"duckdb:///{folder}/dashboard.duckdb", f"duckdb:///{folder}/replica.duckdb"
    demo_seconds, demo_peak, _ = measured([*build, "demo", "--scale", str(scale), "--dashboard", dashboard,
                                           "--replica", replica])  # fmt: skip
    sources = ["--source", f"dashboard={dashboard}", "--source", f"replica={replica}"]
    arguments = [*build, "-q", "--as-of", AS_OF, "--out", str(folder / "site"), *sources]
    cold_seconds, cold_peak, _ = measured(arguments)
    pages = len(list((folder / "site").resolve().rglob("*.html")))
    again_seconds, again_peak, _ = measured(arguments)
    return {
        "scale": scale,
        "demo": {"seconds": round(demo_seconds, 1), "peak_mib": demo_peak},
        "cold": {"seconds": round(cold_seconds, 1), "peak_mib": cold_peak},
        "no_change": {"seconds": round(again_seconds, 1), "peak_mib": again_peak},
        "one_day": None,  # n/a until the content-keyed cache lands (issue 11, item 2)
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
    print(f"unchanged rebuild {figures['no_change']['seconds']} s; one more day: n/a until the cache lands")


if __name__ == "__main__":
    main()
