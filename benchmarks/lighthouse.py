"""Benchmark: Lighthouse's four category scores for the home page and a campaign page of the demo site.

    python benchmarks/lighthouse.py [SITE] [--json]   # default: build the demo (default scale) into a temporary folder

Serves the site on 127.0.0.1 and runs Lighthouse 12.2.3 (npm, pinned: 13 needs Node 22) with Debian's
Chromium (CHROME_PATH=/usr/bin/chromium), installed once under benchmarks/node_modules. Prints
performance, accessibility, best practices and SEO per page, plus each page's own bytes (its HTML and
every data JSON file it names, the charts' data and the JSON downloads, gzip), and the median and largest
own bytes of all campaign pages. Nothing is asserted: compare figures between commits.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "benchmarks"
LIGHTHOUSE = TOOLS / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
CHROME_FLAGS = "--headless --no-sandbox --disable-gpu --disable-background-networking --no-first-run"


def install() -> None:
    if not LIGHTHOUSE.exists():
        subprocess.run(
            ["npm", "install", "--prefix", str(TOOLS), "--no-save", "--no-audit", "--no-fund", "lighthouse@12.2.3"],
            check=True,
        )


def build_demo(folder: Path) -> Path:
    dashboard, replica = f"duckdb:///{folder}/dashboard.duckdb", f"duckdb:///{folder}/replica.duckdb"
    build = [sys.executable, str(ROOT / "build.py")]
    subprocess.run([*build, "demo", "--dashboard", dashboard, "--replica", replica], check=True)
    sources = ["--source", f"dashboard={dashboard}", "--source", f"replica={replica}"]
    result = subprocess.run([*build, "-q", "--as-of", "2026-11-01", "--out", f"{folder}/site", *sources])
    if result.returncode not in (0, 1):
        sys.exit(f"the demo build failed ({result.returncode})")
    return folder / "site"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # the benchmark prints a table, not a request log
        pass


def serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def scores(url: str) -> dict[str, int]:
    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        subprocess.run(
            [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={report.name}",
             f"--chrome-flags={CHROME_FLAGS}", "--only-categories=" + ",".join(CATEGORIES)],
            check=True,
            env={**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")},
        )  # fmt: skip
        categories = json.loads(Path(report.name).read_text())["categories"]
    return {name: round(categories[name]["score"] * 100) for name in CATEGORIES}


DATA_FILE = re.compile(r"""data/[^"'\s<>]+?\.json""")  # a data file a page names, relative to the site


def own_bytes(site: Path, page: Path) -> int:
    """The page's HTML plus the data files it names (not shared assets), gzip-compressed."""
    html = page.read_text(encoding="utf-8")
    total = len(gzip.compress(html.encode("utf-8")))
    for name in sorted(set(DATA_FILE.findall(html.replace("../", "")))):
        data = site / name
        if data.name != "datapackage.json" and data.is_file():
            total += len(gzip.compress(data.read_bytes()))
    return total


def a_campaign_page(site: Path) -> Path:
    pages = sorted(p for p in (site / "campaigns").glob("*/index.html"))
    return pages[len(pages) // 2]


def figures(site: Path) -> dict:
    """Lighthouse's scores and the own bytes (KB, gzip) of the home page and a campaign page, and the
    median and largest own bytes of every campaign page."""
    server, base = serve(site)
    try:
        pages = {}
        for name, page in {"home": site / "index.html", "campaign": a_campaign_page(site)}.items():
            url = base + page.relative_to(site).parent.as_posix().removeprefix(".") + "/"
            found = scores(url.replace("//", "/").replace("http:/", "http://"))
            pages[name] = {**found, "own_kb": round(own_bytes(site, page) / 1024, 1)}
    finally:
        server.shutdown()
    sizes = sorted(own_bytes(site, page) for page in (site / "campaigns").glob("*/index.html"))
    spread = {"count": len(sizes), "median_kb": round(sizes[len(sizes) // 2] / 1024, 1)} if sizes else {}
    if sizes:
        spread["largest_kb"] = round(sizes[-1] / 1024, 1)
    return {"pages": pages, "campaign_pages": spread}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, nargs="?", default=None, help="a built site (default: build the demo)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()
    install()
    with tempfile.TemporaryDirectory() as folder:
        found = figures(args.site.resolve() if args.site else build_demo(Path(folder)))
    if args.json:
        print(json.dumps(found))
        return
    print(f"{'page':10} {'perf':>5} {'a11y':>5} {'best':>5} {'seo':>5} {'own KB (gzip)':>14}")
    for name, page in found["pages"].items():
        row = " ".join(f"{page[c]:>5}" for c in CATEGORIES)
        print(f"{name:10} {row} {page['own_kb']:>14.1f}")
    if spread := found["campaign_pages"]:
        print(f"{spread['count']} campaign pages' own bytes (gzip): median {spread['median_kb']} KB, "
              f"largest {spread['largest_kb']} KB")  # fmt: skip


if __name__ == "__main__":
    main()
