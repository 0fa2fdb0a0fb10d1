"""Benchmark: milliseconds per campaign page for 3,000 campaigns (no timed asserts in the tests).

Run: `.venv/bin/python benchmarks/render.py [--campaigns 3000] [--out DIR]`. It publishes the hand-made
datasets of tests/test_render.py, then times a cold render of the campaign pages (files written)
and a warm one (every file unchanged, so nothing is rewritten).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from test_render import AS_OF, SCHEMAS, empty_dataset, make_frames, make_status  # noqa: E402

from build.config import load_settings  # noqa: E402
from build.datasets import publish_dataset  # noqa: E402
from build.render import TEMPLATES, SiteRenderer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, default=3000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="almanac-bench-"))
    frames = make_frames(args.campaigns, hostile=False)
    datasets = {name: empty_dataset(name).with_frame(frames[name]) for name in SCHEMAS}
    published = {name: publish_dataset(ds, out) for name, ds in datasets.items()}
    settings = load_settings(None, as_of=AS_OF)
    status = make_status(list(SCHEMAS))
    for label in ("cold", "warm"):
        started = time.perf_counter()
        renderer = SiteRenderer(datasets, published, status, settings, out, TEMPLATES)
        setup = time.perf_counter() - started
        started = time.perf_counter()
        renderer.render_campaigns()
        seconds = time.perf_counter() - started
        print(
            f"{label}: {args.campaigns} campaign pages in {seconds:.2f} s = "
            f"{1000 * seconds / args.campaigns:.2f} ms per campaign page (setup {setup:.2f} s)"
        )
    started = time.perf_counter()
    SiteRenderer(datasets, published, status, settings, out, TEMPLATES).render()
    print(f"whole site (warm, {args.campaigns} campaigns): {time.perf_counter() - started:.2f} s  → {out}")


if __name__ == "__main__":
    main()
