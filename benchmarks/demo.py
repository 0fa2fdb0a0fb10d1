"""Benchmark: seconds and peak memory of `build.py demo` (generate the demo and write it to DuckDB) at a scale.

Run: `.venv/bin/python benchmarks/demo.py [SCALE] [--seed N] [--out DIR] [--json]`, SCALE default 0.1.
Scale 1 is the benchmark scale (about 20,000 courses, 1,500 campaigns, 400,000 participants and
5,000,000 course_user_wiki_timeslices rows). The demo runs in a fresh process, as a user runs it; its
peak memory is that process's maximum resident set size (Python, numpy, pandas and DuckDB together).
The files go to a temporary folder unless --out is given. Nothing is asserted: compare between commits.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Runs one command in a fresh process and prints that command's own peak RSS (KiB) as stderr's last line.
MEASURE = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)"
)


def measured(command: list[str]) -> tuple[float, int, str]:
    """Run `command` in a fresh process: seconds, its peak RSS in MiB, its stderr without the figure."""
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", MEASURE, *command], capture_output=True, text=True)
    seconds = time.monotonic() - started
    *log, peak = result.stderr.strip().splitlines() or ["0"]
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({result.returncode}):\n" + "\n".join(log)[-3000:])
    return seconds, int(peak) // 1024, "\n".join(log)


def run_demo(scale: float, seed: int, out: Path) -> dict:
    """Write the demo at `scale` into `out`; its figures as a dict."""
    dashboard, replica = f"duckdb:///{out}/dashboard.duckdb", f"duckdb:///{out}/replica.duckdb"
    command = [sys.executable, str(ROOT / "build.py"), "demo", "--scale", str(scale), "--seed", str(seed)]
    seconds, peak, _ = measured([*command, "--dashboard", dashboard, "--replica", replica])
    sizes = {name: (out / name).stat().st_size / 2**20 for name in ("dashboard.duckdb", "replica.duckdb")}
    return {"scale": scale, "seed": seed, "seconds": round(seconds, 1), "peak_mib": peak, "files_mib": sizes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scale", type=float, nargs="?", default=0.1)
    parser.add_argument("--seed", type=int, default=None, help="default: the demo's own seed")
    parser.add_argument("--out", type=Path, default=None, help="keep the DuckDB files in this folder")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from build.demo import DEFAULT_SEED

    seed = DEFAULT_SEED if args.seed is None else args.seed
    out = args.out or Path(tempfile.mkdtemp(prefix="almanac-demo-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    try:
        figures = run_demo(args.scale, seed, out.resolve())
    finally:
        if args.out is None:
            shutil.rmtree(out, ignore_errors=True)
    if args.json:
        print(json.dumps(figures))
        return
    files = figures["files_mib"]
    print(f"demo at scale {figures['scale']} seed {figures['seed']}: {figures['seconds']:.1f} s, "
          f"peak {figures['peak_mib']} MiB; files: dashboard {files['dashboard.duckdb']:.0f} MiB, "
          f"replica {files['replica.duckdb']:.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
