"""Benchmark: the campaign index with 1,500 campaigns (issue 10: "it stays fast"), figures printed, not asserted.

Run: `.venv/bin/python benchmarks/campaign_index.py [--campaigns 1500] [--runs 5]`. It renders the index
alone from tests/test_render.py's hand-made rows (render_campaign_index: no campaign page, no chart), serves
it on 127.0.0.1 and opens it in headless Chromium (/usr/bin/chromium). Printed: the page's HTML bytes, raw
and gzip; first paint, first contentful paint and DOMContentLoaded (medians of the runs, cold cache each);
the time site.js's setup takes (its performance.measure "almanac:site.js": tables made sortable and
searchable); and per search
keystroke, the filter's own time (performance.now around the input event's handler) and the filter plus
the style and layout it causes (a forced layout after it), as medians and maxima over typing
"campaign 14" one character at a time and deleting it again.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "benchmarks")]

from lighthouse import serve  # noqa: E402  (benchmarks/lighthouse.py: the site over HTTP, quietly)
from test_render import render_campaign_index  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
QUERY = "campaign 14"

TIMINGS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const paint = Object.fromEntries(performance.getEntriesByType('paint').map(e => [e.name, e.startTime]));
  const setup = performance.getEntriesByName('almanac:site.js')[0];
  return {dcl: nav.domContentLoadedEventEnd, setup: setup ? setup.duration : null,
          fp: paint['first-paint'] ?? null, fcp: paint['first-contentful-paint'] ?? null};
}"""

# Each keystroke as the input event a reader's typing fires: the filter runs in its handler.
KEYSTROKES = """(query) => {
  const input = document.querySelector('.table-search input');
  const steps = [];
  for (let i = 1; i <= query.length; i++) steps.push(query.slice(0, i));
  for (let i = query.length - 1; i >= 0; i--) steps.push(query.slice(0, i));
  return steps.map(value => {
    const start = performance.now();
    input.value = value;
    input.dispatchEvent(new Event('input', {bubbles: true}));
    const filtered = performance.now();
    document.body.getBoundingClientRect();  // the style and layout the change causes, forced now
    const laidOut = performance.now();
    return {filter: filtered - start, total: laidOut - start};
  });
}"""


def measure(url: str, runs: int, rows: int) -> tuple[list[dict], list[dict]]:
    from playwright.sync_api import sync_playwright

    loads, keys = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            for _ in range(runs):
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                page.goto(url, wait_until="load")
                page.wait_for_timeout(200)  # paint entries are recorded after the first frames
                loads.append(page.evaluate(TIMINGS))
                shown = page.evaluate("() => document.querySelectorAll('#campaigns-table tbody tr').length")
                if shown != rows:
                    raise SystemExit(f"{url}: {shown} rows in the table, expected {rows}")
                keys += page.evaluate(KEYSTROKES, QUERY)
                context.close()
        finally:
            browser.close()
    return loads, keys


def ms(values: list[float]) -> str:
    values = [v for v in values if v is not None]
    return f"median {statistics.median(values):7.1f} ms   max {max(values):7.1f} ms" if values else "not recorded"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, default=1500)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="almanac-index-") as folder:
        out = Path(folder) / "project"
        render_campaign_index(out, args.campaigns)
        html = (out / "campaigns" / "index.html").read_bytes()
        print(f"campaign index, {args.campaigns:,} campaigns")
        print(f"  HTML: {len(html):,} bytes raw, {len(gzip.compress(html, compresslevel=6)):,} bytes gzip (-6)")
        httpd, root = serve(Path(folder))
        url = root + "project/campaigns/"
        try:
            loads, keys = measure(url, args.runs, args.campaigns)
        finally:
            httpd.shutdown()
            httpd.server_close()
    print(f"  first paint:              {ms([load['fp'] for load in loads])}  ({args.runs} loads)")
    print(f"  first contentful paint:   {ms([load['fcp'] for load in loads])}")
    print(f"  DOMContentLoaded:         {ms([load['dcl'] for load in loads])}")
    print(f"  site.js setup:            {ms([load['setup'] for load in loads])}")
    print(f"  keystroke, filter:        {ms([key['filter'] for key in keys])}  ({len(keys)} keystrokes)")
    print(f"  keystroke, with layout:   {ms([key['total'] for key in keys])}")


if __name__ == "__main__":
    main()
