"""Benchmark: milliseconds per campaign page for 3,000 campaigns (no timed asserts in the tests).

Run: `.venv/bin/python benchmarks/render.py [--campaigns 3000] [--out DIR]`. It publishes the hand-made
datasets of tests/test_render.py (each campaign's own files included), then times a cold render of the
whole site (files written) and a warm one (every file unchanged, so nothing is rewritten).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from test_render import AS_OF, SCHEMAS, checked_content, empty_dataset, make_frames, make_status, publish_all  # noqa: E402

from build.config import load_settings  # noqa: E402
from build.render import render_site  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, default=3000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="almanac-bench-"))
    frames = make_frames(args.campaigns, hostile=False)
    datasets = {name: empty_dataset(name).with_frame(frames[name]) for name in SCHEMAS}
    content = checked_content()
    started = time.perf_counter()
    published = publish_all(datasets, out, content)
    print(f"data files ({args.campaigns} campaigns' own files included): {time.perf_counter() - started:.2f} s")
    settings = load_settings(None, as_of=AS_OF)
    status = make_status(list(SCHEMAS))
    for label in ("cold", "warm"):
        started = time.perf_counter()
        render_site(datasets, published, status, settings, out, content)
        seconds = time.perf_counter() - started
        print(
            f"{label}: whole site with {args.campaigns} campaign pages in {seconds:.2f} s = "
            f"{1000 * seconds / args.campaigns:.2f} ms per campaign page  → {out}"
        )


if __name__ == "__main__":
    main()
