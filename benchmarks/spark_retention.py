"""Benchmark: campaign retention on every demo wiki, from the replicas (per wiki) and from the history (Spark).

    python benchmarks/spark_retention.py [--scale S] [--cores N]   # default scale 0.02; 1 is Dashboard-like

Writes the demo at the scale (DuckDB), exports it as Parquet with its mediawiki_history table
(build/demo_parquet.py), reads the Dashboard inputs once, then times the two ways of counting the new editors'
edits with `retention_wikis` set to every demo wiki: the replica path (one query per wiki and batch of names,
on the embedded DuckDB replica) and the history path (one Spark query, local[N]); the Spark session's start is
timed apart. Both must give the same campaign_retention, or the script fails. Nothing else is asserted:
compare figures between commits and machines. The machine running it should be otherwise idle at scale 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from build import config, demo, demo_parquet, extract, queries, spark  # noqa: E402
from build.dashboard import cohorts, history_edits, replicas  # noqa: E402
from build.derivations import Stage  # noqa: E402
from build.wikis import wiki_dbname  # noqa: E402

AS_OF = dt.date(2026, 11, 1)
INPUTS = ("campaigns", "campaign_new_editors", "campaign_wikis")


def settings_for(folder: Path, cores: int) -> config.Settings:
    wikis = ", ".join(f'"{wiki_dbname(language, project)}"' for _, language, project, _ in demo.WIKIS)
    (folder / "site.toml").write_text(
        f'[build]\nqueries = "{ROOT / "queries"}"\n[retention]\nretention_wikis = [{wikis}]\n', encoding="utf-8"
    )
    return config.load_settings(
        folder / "site.toml",
        as_of=AS_OF,
        sources={
            "dashboard": f"duckdb:///{folder}/dashboard.duckdb",
            "replica": f"duckdb:///{folder}/replica.duckdb",
            "history": f"spark+local://{cores}?parquet={folder}/parquet/history",
        },
    )


def timed(what: str, action):
    started = time.monotonic()
    result = action()
    print(f"{what:<58} {time.monotonic() - started:8.1f} s")
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=demo.DEFAULT_SCALE, help="demo scale (default: small)")
    parser.add_argument("--cores", type=int, default=2, help="Spark local cores (default 2)")
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        counts = timed(
            f"demo at scale {arguments.scale} (DuckDB)",
            lambda: demo.write_demo(
                scale=arguments.scale,
                dashboard_url=f"duckdb:///{folder}/dashboard.duckdb",
                replica_url=f"duckdb:///{folder}/replica.duckdb",
                root=folder,
                progress=False,
            ),
        )
        revisions = sum(n for table, n in counts.items() if table.endswith(".revision"))
        exported = timed(
            "Parquet export with mediawiki_history",
            lambda: demo_parquet.export(folder / "dashboard.duckdb", folder / "replica.duckdb", folder / "parquet"),
        )
        history_rows = sum(n for table, n in exported.items() if table.startswith("mediawiki_history"))
        print(f"  {revisions:,} replica revisions on {len(demo.WIKIS)} wikis; {history_rows:,} history rows")
        settings = settings_for(folder, arguments.cores)
        inputs = [q for q in queries.discover(settings.queries_dir) if q.name in INPUTS]
        datasets = timed("Dashboard inputs (DuckDB)", lambda: extract.run(inputs, settings).datasets)
        editors = len(datasets["campaign_new_editors"].frame)
        print(f"  {editors:,} (campaign, new editor) pairs in {len(datasets['campaigns'].frame)} campaigns")
        replica_path = timed("replica path: edit_days per wiki and batch + derive", lambda: replica(settings, datasets))
        timed(f"Spark session start (local[{arguments.cores}])", lambda: spark.session(f"local[{arguments.cores}]"))
        history_path = timed("history path: one Spark query + derive", lambda: history(settings, datasets))
        spark.stop()
    if not replica_path.frame.equals(history_path.frame):
        sys.exit("the two paths gave different campaign_retention")
    print(f"same campaign_retention from both paths ({len(history_path.frame)} rows)")


def replica(settings: config.Settings, datasets: dict) -> object:
    stage = Stage(dict(datasets), {}, {}, settings, settings.root, queries.discover(settings.queries_dir))
    replicas.look_up_edits(stage)
    days = stage.datasets["edit_days"].frame
    return cohorts.campaign_retention(
        datasets["campaigns"].frame,
        datasets["campaign_new_editors"].frame,
        datasets["campaign_wikis"].frame,
        days,
        as_of=settings.as_of,
        windows=settings.get("retention", "retention_windows"),
        k_min=settings.k_min,
        retention_wikis=settings.get("retention", "retention_wikis"),
    )


def history(settings: config.Settings, datasets: dict) -> object:
    edits = history_edits.extract_history_edits(datasets, settings)
    if edits.extraction.failures:
        sys.exit(f"history path failed: {edits.extraction.failures}")
    return history_edits.campaign_retention(
        datasets["campaigns"].frame,
        datasets["campaign_new_editors"].frame,
        edits.extraction.datasets["campaign_edit_windows"].frame,
        windows=settings.get("retention", "retention_windows"),
        k_min=settings.k_min,
    )


if __name__ == "__main__":
    main()
