#!/usr/bin/env python3
"""Almanac: build a static metrics site from SQL queries, on a schedule.

    python build.py                  build site/ (from the demo database unless sources are set)
    python build.py demo             write the demo databases
    python build.py serve            preview site/ on http://127.0.0.1:8000
    python build.py history DATASET  a dataset's published history, from the data branch
    python build.py archive          commit site/data/ to the data branch

The build reads top to bottom in `build.pipeline.build_site`: queries → extract → derive → publish →
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
from pathlib import Path

import click

from build import archive, charts, config, lock, render, report, staging
from build.config import SettingsError
from build.pipeline import NothingPublished, build_site
from build.queries import QueryError

log = logging.getLogger("almanac")
ROOT = Path(__file__).resolve().parent


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
@click.option(
    "--scale",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Size: 1 is Dashboard-like (20,000 courses); default small.",
)
@click.option("--seed", type=int, default=None, help="Random seed; the same seed gives the same databases.")
@click.option(
    "--dashboard",
    metavar="URL",
    help="Write the Dashboard demo here instead of demo/dashboard.duckdb: a new or empty database, or an "
    "earlier demo's.",
)
@click.option(
    "--replica",
    metavar="URL",
    help="Write the replica demo here instead of demo/replica.duckdb; a MySQL URL needs {dbname} in its database name.",
)
@click.pass_obj
def demo(obj, scale, seed, dashboard, replica):
    """Write the deterministic demo databases: demo/dashboard.duckdb and demo/replica.duckdb of the project
    (whatever sources site.toml or --source configure), or the databases --dashboard/--replica name.

    A named target must be new, empty or an earlier demo's (it carries the almanac_demo marker table);
    anything else is refused before anything is written.

    Example: python build.py demo --dashboard mysql://root@127.0.0.1:3306/dashboard
    --replica mysql://root@127.0.0.1:3306/{dbname}_p
    """
    from build import demo as demo_module
    from build.sources import SourceError

    root = Path(obj["config_path"]).resolve().parent
    try:
        counts = demo_module.write_demo(
            scale=demo_module.DEFAULT_SCALE if scale is None else scale,
            seed=demo_module.DEFAULT_SEED if seed is None else seed,
            dashboard_url=dashboard,
            replica_url=replica,
            root=root,
        )
    except (demo_module.DemoTargetError, SourceError) as error:
        raise Failure(str(error)) from None
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
