"""`make benchmark`: every benchmark in one table (issue 11's figures), at a small scale by default.

    python benchmarks/report.py [--scale 0.1] [--extract-rows N] [--no-lighthouse]

Runs benchmarks/build.py (demo, cold build, unchanged rebuild, pages per second, peak memory),
benchmarks/extract.py (rows per second per MySQL reader beside `mariadb --quick`; needs the MariaDB
server of the tests) and benchmarks/lighthouse.py on the site just built (Lighthouse scores and page
weights; needs npm and Chromium), each in its own process, then prints one Markdown table. A part that
cannot run says why in its row instead of stopping the others. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run_json(script: str, *arguments: str) -> tuple[dict | None, str]:
    """Run benchmarks/SCRIPT with --json; (figures, '') or (None, why it failed)."""
    result = subprocess.run([sys.executable, str(HERE / script), *arguments, "--json"], capture_output=True, text=True)
    if result.returncode != 0 or not result.stdout.strip():
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"n/a ({script} failed: {last[:120]})"
    return json.loads(result.stdout.strip().splitlines()[-1]), ""


RUNS = ("cold", "no_change", "one_day")  # the builds benchmarks/build.py times, each peak in MiB


def _share(seconds: float, cold: float) -> str:
    return f"{seconds} s ({seconds / cold:.0%} of cold)"


def build_rows(build: dict | None, why: str) -> list[tuple[str, str]]:
    if build is None:
        return [("builds", why)]
    return [
        (f"cold build (as-of {build['as_of']})", f"{build['cold']['seconds']} s"),
        ("rebuild, no change", _share(build["no_change"]["seconds"], build["cold"]["seconds"])),
        (
            f"rebuild, one more day ({build['one_day']['rows_added']:,} rows)",
            _share(build["one_day"]["seconds"], build["cold"]["seconds"]),
        ),
        ("pages; pages per second (cold)", f"{build['pages']:,}; {build['pages_per_second']}"),
        ("peak memory, MiB: build (cold / no change / one day)", " / ".join(f"{build[k]['peak_mib']:,}" for k in RUNS)),
        ("peak memory: demo generation", f"{build['demo']['peak_mib']:,} MiB ({build['demo']['seconds']} s)"),
    ]


def extract_rows(extract: dict | None, why: str) -> list[tuple[str, str]]:
    if extract is None:
        return [("extract rows/s", why)]
    quick = extract["mariadb_quick_seconds"]
    size = f"{extract['rows']:,} rows × 7 columns"
    rows = [(f"extract rows/s ({size}): mariadb --quick", f"{extract['rows'] / quick:,.0f}" if quick else "n/a")]
    for reader, seconds in extract["seconds"].items():
        ratio = f" ({seconds / quick:.2f}× its time)" if quick else ""
        rows.append((f"extract rows/s: {reader}", f"{extract['rows'] / seconds:,.0f}{ratio}"))
    return rows


def lighthouse_rows(lighthouse: dict | None, why: str) -> list[tuple[str, str]]:
    if lighthouse is None:
        return [("Lighthouse scores, page weights", why)]
    rows = []
    for name, page in lighthouse["pages"].items():
        scores = "/".join(str(page[category]) for category in ("performance", "accessibility", "best-practices", "seo"))
        rows.append((f"Lighthouse {name} (performance/accessibility/best practices/SEO)", scores))
        rows.append((f"page weight {name} (own HTML and data, gzip)", f"{page['own_kb']} KB"))
    if spread := lighthouse["campaign_pages"]:
        weights = f"median {spread['median_kb']} KB, largest {spread['largest_kb']} KB ({spread['count']:,} pages)"
        rows.append(("page weight, every campaign page (own HTML and data, gzip)", weights))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1, help="demo scale (1 is the Dashboard-like scale)")
    parser.add_argument(
        "--extract-rows", type=int, default=None, help="rows of the extract benchmark (1,000,000 at scale 1 or more)"
    )
    parser.add_argument("--no-lighthouse", action="store_true", help="skip Lighthouse (it needs npm and Chromium)")
    args = parser.parse_args()
    if args.extract_rows is None:  # the extract target is set on a million rows
        args.extract_rows = 1_000_000 if args.scale >= 1 else 200_000
    with tempfile.TemporaryDirectory(prefix="almanac-benchmark-") as folder:
        build, build_why = run_json("build.py", str(args.scale), "--keep", folder)
        extract, extract_why = run_json("extract.py", str(args.extract_rows))
        pages, pages_why = (None, "skipped (--no-lighthouse)") if args.no_lighthouse else (None, "n/a (no site built)")
        if build is not None and not args.no_lighthouse:
            pages, pages_why = run_json("lighthouse.py", build["site"])
    machine = f"{os.cpu_count()} cores, {platform.system()} {platform.machine()}, Python {platform.python_version()}"
    rows = [("scale", str(args.scale)), ("date, machine", f"{dt.date.today().isoformat()}, {machine}")]
    rows += build_rows(build, build_why) + extract_rows(extract, extract_why) + lighthouse_rows(pages, pages_why)
    print("| measure | value |\n|---|---|")
    for measure, value in rows:
        print(f"| {measure} | {value} |")


if __name__ == "__main__":
    main()
