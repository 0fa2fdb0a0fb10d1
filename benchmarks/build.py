"""Benchmark: generate the demo at a scale, then time a whole build and measure its peak memory.

    python benchmarks/build.py [SCALE]      # default 0.1; 1 is the Dashboard-like benchmark scale

Prints the demo's size, the build's seconds per stage (from its log) and its peak memory (RSS of the
build process). Nothing is asserted: compare figures between commits.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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


def main() -> None:
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 0.1
    with tempfile.TemporaryDirectory() as folder:
        dashboard, replica = f"duckdb:///{folder}/dashboard.duckdb", f"duckdb:///{folder}/replica.duckdb"
        seconds, peak, log = run(["demo", "--scale", str(scale), "--dashboard", dashboard, "--replica", replica])
        print(f"demo at scale {scale}: {seconds:.1f} s, peak {peak} MB")
        print("  " + log.strip().splitlines()[-1][:400])
        sources = ["--source", f"dashboard={dashboard}", "--source", f"replica={replica}"]
        out = ["--as-of", "2026-11-01", "--out", f"{folder}/site"]
        seconds, peak, log = run([*out, *sources])
        print(f"cold build: {seconds:.1f} s, peak {peak} MB")
        for line in log.splitlines():
            if line.strip() and ("rows" in line or "Wrote" in line or "published" in line):
                print("  " + line.strip())
        seconds, _, _ = run([*out, *sources])
        pages = len(list(Path(folder, "site").rglob("*.html")))
        size = sum(p.stat().st_size for p in Path(folder, "site").rglob("*") if p.is_file()) / 1e6
        print(f"unchanged rebuild: {seconds:.1f} s; {pages} pages, {size:.1f} MB in site/")


if __name__ == "__main__":
    main()
