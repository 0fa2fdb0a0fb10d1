#!/usr/bin/env python3
"""Almanac: build a static metrics site from SQL queries, on a schedule.

    python build.py                  build site/ (from the demo database unless sources are set)
    python build.py demo             write the demo databases
    python build.py serve            preview site/ on http://127.0.0.1:8000
    python build.py history DATASET  a dataset's published history, from the data branch
    python build.py archive          commit site/data/ to the data branch

The build reads top to bottom in `build_site`: queries → extract → derive → publish →
render → report, written to a staging folder and swapped in whole.
"""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import json
import logging
import os
import sys
import time
from pathlib import Path

import click

from build import archive, charts, cohorts, config, extract, lock, metrics, queries, render, report, staging
from build.config import SettingsError
from build.datasets import Dataset, PublishedDataset, datapackage, publish_dataset, read_published, write_datapackage
from build.queries import QueryError

log = logging.getLogger("almanac")
ROOT = Path(__file__).resolve().parent


# --- the pipeline ---------------------------------------------------------------------


def build_site(settings: config.Settings) -> int:
    """Build the whole site into settings.out_dir; return the exit code."""
    started = time.monotonic()
    all_queries = queries.discover(settings.queries_dir)  # a malformed query stops the build here
    if not all_queries:
        raise NothingPublished(f"no queries: {settings.queries_dir} has no .sql file (see [build] queries).")
    log.info("Read %d queries from %s; as-of date %s", len(all_queries), settings.queries_dir, settings.as_of)
    staging_dir = staging.prepare(settings.out_dir)
    try:
        log.info("Extracting")
        database_queries = [q for q in all_queries if not q.per_wiki]
        extraction = extract.run(database_queries, settings)
        datasets = keep_last_published(extraction, database_queries, staging_dir)
        if all(dataset.stale for dataset in datasets.values()):
            reasons = sorted(set(extraction.failures.values()))
            raise NothingPublished("every query failed: " + "; ".join(reasons))

        log.info("Looking up edits on the wiki replicas")
        replica = extract_replica_edits(all_queries, datasets, settings)
        extraction.failures.update(replica.failures)
        extraction.sources.update(replica.sources)
        datasets.update(replica.datasets)

        log.info("Deriving metrics and cohorts")
        derived, derive_failures = derive(datasets, extraction.failures, settings, staging_dir)
        datasets.update(derived)
        extraction.failures.update(derive_failures)

        log.info("Publishing data files")
        published = publish(datasets, settings, staging_dir)
        build_report = make_report(settings, all_queries, datasets, extraction)
        document = report.status(build_report, report.previous_successes(staging_dir))
        if settings.strict and build_report.stale:
            raise NothingPublished("--strict: " + report.summary(document))

        log.info("Rendering pages")
        render.render_site(datasets, published, document, settings, staging_dir)
        report.write_status(document, staging_dir)
        staging.swap(staging_dir, settings.out_dir)
    except BaseException:
        staging.discard(staging_dir)
        raise
    log.info("%s\nWrote %s in %.1fs", report.summary(document), settings.out_dir, time.monotonic() - started)
    return build_report.exit_code


# The datasets `derive` computes (in this order) rather than a query; their schemas live in their modules.
DERIVED = (metrics.MONTHLY_ACTIVITY, cohorts.PROGRAM_RETENTION, cohorts.CAMPAIGN_RETENTION)


class NothingPublished(Exception):
    """The build stopped before publishing anything (exit code 2)."""


def keep_last_published(
    extraction: extract.Extraction, database_queries: list[queries.Query], staging_dir: Path
) -> dict[str, Dataset]:
    """Fresh datasets, plus the last published rows (marked stale) of each query that failed."""
    datasets = dict(extraction.datasets)
    for query in database_queries:
        if query.name in extraction.failures and query.publish:
            previous = read_published(query.empty_dataset(), staging_dir)
            if previous is not None:
                datasets[query.name] = previous
    return datasets


def extract_replica_edits(all_queries, datasets: dict[str, Dataset], settings: config.Settings):
    """Run the per-wiki replica queries for the campaigns' new editors (retention.md §2)."""
    result = extract.Extraction()
    inputs = ("campaign_new_editors", "campaign_wikis", "campaigns")
    for query in (q for q in all_queries if q.per_wiki):
        if any(name not in datasets or datasets[name].stale for name in inputs):
            result.failures[query.name] = f"{query.origin}: not run, because {' or '.join(inputs)} failed."
            continue
        targets = cohorts.edit_targets(
            datasets["campaign_new_editors"].frame,
            datasets["campaign_wikis"].frame,
            settings.get("retention", "retention_wikis"),
        )
        period = cohorts.edit_period(
            datasets["campaigns"].frame, settings.get("retention", "retention_windows"), settings.as_of
        )
        dataset, error, wikis = extract.run_per_wiki(query, settings, targets, extra_parameters=period)
        result.sources[query.source] = extract.summarize_wikis(settings.sources[query.source], wikis)
        if dataset is None:
            result.failures[query.name] = error
        else:
            result.datasets[query.name] = dataset
    return result


def derive(datasets: dict[str, Dataset], failures: dict[str, str], settings: config.Settings, staging_dir: Path):
    """Compute the derived datasets; one whose inputs failed keeps its last published rows."""
    as_of, k_min = settings.as_of, settings.k_min
    recipes = {  # each derived dataset: its inputs and how to make it
        metrics.MONTHLY_ACTIVITY.name: (
            ("activity_by_month", "participant_activity", "courses"),
            lambda a, p, c: metrics.monthly_activity(a.frame, p.frame, c.frame, as_of, k_min),
        ),
        cohorts.PROGRAM_RETENTION.name: (
            ("participant_activity",),
            lambda p: cohorts.program_retention(p.frame, as_of, settings.get("retention", "retention_months"), k_min),
        ),
        cohorts.CAMPAIGN_RETENTION.name: (
            ("campaigns", "campaign_new_editors", "campaign_wikis", "edit_days"),
            lambda c, n, w, e: cohorts.campaign_retention(
                c.frame,
                n.frame,
                w.frame,
                e.frame,
                as_of=as_of,
                windows=settings.get("retention", "retention_windows"),
                k_min=k_min,
                retention_wikis=settings.get("retention", "retention_wikis"),
            ),
        ),
    }
    derived, derive_failures = {}, {}
    for schema in DERIVED:
        inputs, make = recipes[schema.name]
        unusable = [name for name in inputs if name not in datasets or datasets[name].stale]
        if unusable:
            reasons = "; ".join(failures.get(name, f"{name} is missing") for name in unusable)
            derive_failures[schema.name] = f"not derived, because {', '.join(unusable)} failed: {reasons}"
            previous = read_published(schema, staging_dir)
            if previous is not None:
                derived[schema.name] = previous
            continue
        try:
            derived[schema.name] = make(*(datasets[name] for name in inputs))
        except Exception as error:  # one failed derivation costs its dataset, not the build
            derive_failures[schema.name] = f"{schema.origin}: {type(error).__name__}: {error}"
            log.error('Dataset "%s" could not be derived because of error: %s', schema.name, error)
            previous = read_published(schema, staging_dir)
            if previous is not None:
                derived[schema.name] = previous
    return derived, derive_failures


def publish(datasets: dict[str, Dataset], settings: config.Settings, out_dir: Path) -> dict[str, PublishedDataset]:
    """Write each published dataset's CSV and JSON, then datapackage.json, per version folder."""
    published = {
        name: publish_dataset(dataset, out_dir) for name, dataset in sorted(datasets.items()) if dataset.publish
    }
    for version in sorted({p.dataset.version for p in published.values()}):
        items = [p for p in published.values() if p.dataset.version == version]
        package = datapackage(
            items,
            title=settings.get("site", "title"),
            license_id=settings.get("site", "license"),
            base_url=settings.get("site", "base_url"),
        )
        write_datapackage(package, out_dir / "data" / f"v{version}")
    changed = [p.dataset.name for p in published.values() if p.csv.changed or p.json.changed]
    log.info("  %d datasets published, %d changed: %s", len(published), len(changed), ", ".join(changed) or "none")
    return published


def make_report(settings, all_queries, datasets: dict[str, Dataset], extraction) -> report.BuildReport:
    source_states = [{"name": name, **state} for name, state in sorted(extraction.sources.items())]
    result = report.BuildReport(as_of=settings.as_of, built_at=config.utc_now(), sources=source_states)
    sources = {q.name: q.source for q in all_queries}
    titles = {q.name: q.title for q in all_queries}
    titles.update({d.name: d.title for d in DERIVED})
    names = [q.name for q in all_queries if q.publish] + [d.name for d in DERIVED]
    for name in sorted(names):
        result.add(
            datasets.get(name),
            name=name,
            title=titles[name],
            source=sources.get(name, "derived"),
            error=extraction.failures.get(name),
            seconds=extraction.seconds.get(name),
        )
    return result


# --- the command line -------------------------------------------------------------------


def parse_sources(_ctx, _param, values: tuple[str, ...]) -> dict[str, str]:
    sources = {}
    for value in values:
        name, sep, url = value.partition("=")
        if not sep or not name or not url:
            raise click.BadParameter(f"{value!r}: expected NAME=URL, e.g. dashboard=mysql://user@host:3306/db")
        sources[name] = url
    return sources


def parse_as_of(_ctx, _param, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return config.parse_date(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: expected a date YYYY-MM-DD, e.g. 2026-11-01") from None


def site_options(command):
    """The options every command that reads settings shares (defined once, like sqlite-utils)."""
    options = [
        click.option(
            "--config",
            "config_path",
            type=click.Path(dir_okay=False, path_type=Path),
            default=ROOT / "site.toml",
            show_default="site.toml",
            help="The settings file.",
        ),
        click.option("--out", help="Output folder (default: [build] out, 'site')."),
        click.option(
            "--source",
            "sources",
            multiple=True,
            callback=parse_sources,
            metavar="NAME=URL",
            help="Point a source at a database: duckdb:///path or mysql://user@host:port/db. Repeatable.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def load(config_path: Path, **overrides) -> config.Settings:
    try:
        return config.load_settings(config_path, **overrides)
    except SettingsError as error:
        raise Failure("\n".join(error.problems)) from None


class Failure(click.ClickException):
    """A user-facing error: printed as one clear message, exit code 2, no traceback."""

    exit_code = report.EXIT_NOTHING_PUBLISHED


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@site_options
@click.option(
    "--as-of",
    callback=parse_as_of,
    metavar="YYYY-MM-DD",
    help="Compute every number as of this date (default: [build] as_of, else today in UTC).",
)
@click.option("--strict", is_flag=True, help="Publish nothing (exit 2) if any dataset would be stale.")
@click.option("-q", "--quiet", is_flag=True, help="Only print warnings and errors.")
@click.pass_context
def cli(ctx, config_path, out, sources, as_of, strict, quiet):
    """Build the site: run queries/*.sql, derive metrics and cohorts, write data files and pages.

    Exit codes: 0 all datasets fresh; 1 published, some datasets stale (their last published
    files kept); 2 nothing published (bad settings, every source down, an error); 3 another
    build holds the lock.

    Example: python build.py --as-of 2026-11-01 --source dashboard=mysql://me@db:3306/dashboard
    """
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(message)s", stream=sys.stderr)
    ctx.obj = {"config_path": config_path, "out": out, "sources": sources}
    if ctx.invoked_subcommand is not None:
        return
    settings = load(config_path, as_of=as_of, out=out, sources=sources, strict=strict)
    lock_path = settings.out_dir.with_name(settings.out_dir.name + ".lock")
    try:
        with lock.acquire(lock_path, settings.get("build", "lock_max_age")):
            code = build_site(settings)
    except lock.LockHeld as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(report.EXIT_LOCKED)
    except (
        QueryError,
        NothingPublished,
        lock.LockError,
        staging.StagingError,
        render.RenderError,
        charts.ChartError,
    ) as error:
        raise Failure(str(error)) from None
    except KeyboardInterrupt:
        raise Failure("interrupted: nothing was published; the last site is unchanged.") from None
    except Exception as error:
        if os.environ.get("ALMANAC_DEBUG"):
            raise
        raise Failure(
            f"unexpected {type(error).__name__}: {error}. Nothing was published; "
            "run again with ALMANAC_DEBUG=1 for the traceback."
        ) from None
    sys.exit(code)


@cli.command()
@click.option("--scale", type=float, default=None, help="Size: 1 is Dashboard-like (20,000 courses); default small.")
@click.option("--seed", type=int, default=None, help="Random seed; the same seed gives the same databases.")
@click.option("--dashboard", help="Where to write the Dashboard demo (default: the dashboard source's URL).")
@click.option("--replica", help="Where to write the replica demo; a MySQL URL needs {dbname} in its database name.")
@click.pass_obj
def demo(obj, scale, seed, dashboard, replica):
    """Write the deterministic demo databases (DuckDB files by default, or MySQL/MariaDB).

    Example: python build.py demo --dashboard mysql://root@127.0.0.1:3306/dashboard
    --replica mysql://root@127.0.0.1:3306/{dbname}_p
    """
    from build import demo as demo_module

    settings = load(obj["config_path"], sources=obj["sources"])
    counts = demo_module.write_demo(
        scale=demo_module.DEFAULT_SCALE if scale is None else scale,
        seed=demo_module.DEFAULT_SEED if seed is None else seed,
        dashboard_url=dashboard or settings.sources["dashboard"].url,
        replica_url=replica or settings.sources["replica"].url,
        root=settings.root,
    )
    click.echo(", ".join(f"{table} {rows:,}" for table, rows in sorted(counts.items()) if rows))


@cli.command()
@click.option("--port", type=int, default=8000, show_default=True)
@click.pass_obj
def serve(obj, port):
    """Preview the built site on http://127.0.0.1:PORT (build it first with `make site`).

    Example: python build.py serve --port 8001
    """
    settings = load(obj["config_path"], out=obj["out"])
    if not (settings.out_dir / "index.html").exists():
        raise Failure(f"{settings.out_dir} has no index.html yet: run `make site` (or python build.py) first.")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(settings.out_dir))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        click.echo(f"Serving {settings.out_dir} on http://127.0.0.1:{port}/ (Ctrl-C to stop)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


@cli.command()
@click.argument("dataset")
@click.option("--column", help="Show only this column (for a one-row dataset, its value per commit).")
@click.option("--since", callback=parse_as_of, metavar="YYYY-MM-DD", help="Only commits on or after this date.")
@click.option("--ref", help="The archive branch (default: [build] archive_branch, 'data').")
@click.pass_obj
def history(obj, dataset, column, since, ref):
    """Show how a published dataset changed, from the git history of the archive branch.

    Example: python build.py history system_totals --column participants --since 2026-01-01
    """
    settings = load(obj["config_path"])
    try:
        rows = archive.history(
            settings.root, dataset, column=column, since=since, ref=ref or settings.get("build", "archive_branch")
        )
    except archive.ArchiveError as error:
        raise Failure(str(error)) from None
    click.echo(archive.format_history(rows))


@cli.command(name="archive")
@click.pass_obj
def archive_command(obj):
    """Commit the published data files (site/data/) to the archive branch, if any changed.

    Example: python build.py archive && git push origin data
    """
    settings = load(obj["config_path"], out=obj["out"])
    data_dir = settings.out_dir / "data"
    if not data_dir.exists():
        raise Failure(f"{data_dir} does not exist: build the site first.")
    status_path = settings.out_dir / "status.json"
    as_of = settings.as_of.isoformat()
    if status_path.exists():
        as_of = json.loads(status_path.read_text(encoding="utf-8")).get("as_of", as_of)
    branch = settings.get("build", "archive_branch")
    try:
        commit = archive.commit_data(settings.root, data_dir, branch, as_of=as_of)
    except archive.ArchiveError as error:
        raise Failure(str(error)) from None
    click.echo(f"Committed {commit[:12]} to {branch}." if commit else f"No data file changed; {branch} unchanged.")


if __name__ == "__main__":
    cli()
