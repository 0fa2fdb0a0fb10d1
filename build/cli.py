"""The command line: build, demo, serve, history, archive, rollback, backfill, alert, contract.

Each command loads and checks the settings first and turns every user mistake into one line and exit
code 2. Heavy modules (pandas, Altair, DuckDB) are imported inside the commands, so `--help` is instant.
`python build.py` and the installed `almanac` command both run `cli`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import http.server
import json
import logging
import os
import sys
import tempfile
from pathlib import Path

import click

from build import archive, config, lock, places, staging
from build.config import SettingsError
from build.exit_codes import EXIT_FRESH, EXIT_LOCKED, EXIT_NOTHING_PUBLISHED, EXIT_STALE

log = logging.getLogger("almanac")


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
            default="site.toml",
            show_default=True,
            envvar="ALMANAC_CONFIG",
            help="The settings file (default: site.toml in the current folder; env ALMANAC_CONFIG).",
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


def load(config_path: Path, *, writes: bool = False, **overrides) -> config.Settings:
    """The settings, or a Failure (exit 2) listing every problem; `writes` also checks where the build writes."""
    if not Path(config_path).is_file():
        raise Failure(
            f"no settings file {config_path}: run Almanac in a folder holding a site.toml (as `mkdocs` needs "
            "its mkdocs.yml), or pass --config FILE."
        )
    try:
        settings = config.load_settings(config_path, **overrides)
    except SettingsError as error:
        raise Failure("\n".join(error.problems)) from None
    unsafe = places.problems(settings) if writes else []
    if unsafe:
        raise Failure("\n".join(f"{config_path.name}: {problem}." for problem in unsafe))
    return settings


def build_lock(settings: config.Settings) -> lock.Lock:
    """Take the project's build lock in the state folder, or exit 3 naming the build that holds it."""
    try:
        staging.make_state_dir(settings.state_dir)
        return lock.acquire(settings.state_dir / "build.lock", settings.get("build", "lock_max_age"))
    except lock.LockHeld as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_LOCKED)
    except (OSError, lock.LockError) as error:
        raise Failure(str(error)) from None


class Failure(click.ClickException):
    """A user-facing error: printed as one clear message, exit code 2, no traceback."""

    exit_code = EXIT_NOTHING_PUBLISHED


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@site_options
@click.option(
    "--as-of",
    callback=parse_as_of,
    metavar="YYYY-MM-DD",
    help="Compute every number as of this date (default: [build] as_of, else today in UTC).",
)
@click.option("--strict", is_flag=True, help="Publish nothing (exit 2) if any dataset would be stale.")
@click.option(
    "--no-cache",
    "no_cache",
    is_flag=True,
    help="Ignore the build cache ([build] cache_dir) and rebuild everything; the output is byte for byte the same.",
)
@click.option("-q", "--quiet", is_flag=True, help="Only print warnings and errors.")
@click.pass_context
def cli(ctx, config_path, out, sources, as_of, strict, no_cache, quiet):
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
    from build import charts, render
    from build.pipeline import NothingPublished, build_site
    from build.queries import QueryError

    settings = load(config_path, writes=True, as_of=as_of, out=out, sources=sources, strict=strict)
    if no_cache:
        settings = dataclasses.replace(settings, cache=False)
    try:
        with build_lock(settings):
            code = build_site(settings)
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
@click.option(
    "--column",
    help="Show only this column: its value per commit, per row for a many-row dataset, each row keyed by "
    "the dataset's primaryKey (else its leading columns that tell rows apart).",
)
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


@cli.command()
@click.option("--from", "first", required=True, callback=parse_as_of, metavar="YYYY-MM-DD", help="First as-of date.")
@click.option("--to", "last", callback=parse_as_of, metavar="YYYY-MM-DD", help="The last as-of date (default: today).")
@click.option("--every", type=click.Choice(["month", "week"]), default="month", show_default=True)
@click.option("--branch", help="The archive branch to write (default: [build] archive_branch); a new one is created.")
@click.pass_obj
def backfill(obj, first, last, every, branch):
    """Give the archive a past: build the data as of each past date and commit each to the archive branch.

    Builds in a temporary folder of its own, never the published site. Each fresh build's data
    files are committed with the as-of date as the commit date and a message saying they were
    reconstructed (the Dashboard's undated cached totals carry today's values); a stale build is reported
    and not committed. Refuses a branch that already has commits on or after --from. Exit 1 when some
    dates were not committed.

    Example: python build.py backfill --from 2024-01-01 --every month --branch data-backfill
    """
    from build import backfill as backfill_module
    from build import pipeline

    settings = load(obj["config_path"], sources=obj["sources"])
    branch = branch or settings.get("build", "archive_branch")
    today = config.utc_today()
    work = Path(tempfile.mkdtemp(prefix="almanac-backfill-")) / "site"  # never the published site

    def build_as_of(as_of: dt.date) -> tuple[int, Path]:
        dated = load(obj["config_path"], writes=True, as_of=as_of, out=str(work), sources=obj["sources"])
        dated = dataclasses.replace(dated, history=False)  # a reconstruction, not a build readers saw
        try:
            return pipeline.build_site(dated), dated.out_dir
        except pipeline.NothingPublished as error:
            log.error("as of %s: nothing published: %s", as_of, error)
            return EXIT_NOTHING_PUBLISHED, dated.out_dir

    with build_lock(settings):
        try:
            dates = backfill_module.dates(first, last or today, every)
            outcomes = backfill_module.run(settings.root, branch, dates, build_as_of, today)
        except (backfill_module.BackfillError, archive.ArchiveError) as error:
            raise Failure(str(error)) from None
        finally:
            backfill_module.remove_work_folder(work.parent)
    missed = [o for o in outcomes if o.commit is None and o.exit_code != 0]
    committed = sum(o.commit is not None for o in outcomes)
    click.echo(f"Backfilled {branch}: {committed} of {len(outcomes)} dates committed.")
    for outcome in missed:
        click.echo(f"  {outcome.as_of}: exit {outcome.exit_code}, {outcome.note}")
    sys.exit(EXIT_STALE if missed else EXIT_FRESH)


@cli.command()
@click.pass_obj
def rollback(obj):
    """Point the output folder back at the build before the one it shows (kept in [build] state_dir).

    Later builds stay kept, so rolling back twice goes back two builds; the next build publishes anew.
    Example: python build.py rollback
    """
    settings = load(obj["config_path"], writes=True, out=obj["out"])
    with build_lock(settings):
        try:
            shown, restored = staging.rollback(settings.out_dir, settings.state_dir)
        except staging.StagingError as error:
            raise Failure(str(error)) from None
    click.echo(f"{settings.out_dir} now shows build {restored.name} (was {shown.name}).")


@cli.command()
@click.option(
    "--status",
    "status_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The build's status.json (default: OUT/status.json).",
)
@click.option("--failed", is_flag=True, help="The build published nothing (exit code 2): alert for that.")
@click.option("--issue-open", is_flag=True, help="An alert issue is open now.")
@click.option(
    "--issue-body",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A file holding the open issue's body, to update it only when the problems change.",
)
@click.pass_obj
def alert(obj, status_path, failed, issue_open, issue_body):
    """Decide whether to open, update or close the maintainers' alert issue; print it as JSON.

    Prints {"action": "open"|"update"|"close"|"none", "title": ..., "body": ...}. The scheduled
    workflow passes it to `gh issue`. Threshold: [alerts] stale_after_days.

    Example: python build.py alert --issue-open --issue-body body.txt
    """
    from build import alerts

    settings = load(obj["config_path"], out=obj["out"])
    path = status_path or settings.out_dir / "status.json"
    document = None
    if not failed:
        if not path.exists():
            raise Failure(f"{path} does not exist: build the site first, or pass --failed.")
        document = json.loads(path.read_text(encoding="utf-8"))
    decision = alerts.decide(
        document,
        issue_open=issue_open,
        issue_body=issue_body.read_text(encoding="utf-8") if issue_body and issue_body.exists() else "",
        stale_after_days=settings.get("alerts", "stale_after_days"),
        now=config.utc_now(),
    )
    click.echo(json.dumps(dataclasses.asdict(decision), ensure_ascii=False))


@cli.command()
@click.option("--update", is_flag=True, help="Record the current schemas and add a changelog entry.")
@click.option("--note", default="", help="With --update: what changed and why (the changelog entry's text).")
@click.pass_obj
def contract(obj, update, note):
    """Check the published datasets' columns and types against docs/data-contract.json.

    Adding a dataset or a column is recorded with --update and a note (docs/data-changelog.md);
    removing, renaming or retyping a column needs a new schema version instead. Exit 0 when the
    schemas agree with the contract (or were recorded), 2 otherwise.

    Example: python build.py contract --update --note "campaigns: a column for the campaign's home wiki"
    """
    from build import contract as data_contract
    from build.pipeline import published_schemas
    from build.queries import QueryError

    settings = load(obj["config_path"])
    try:
        current = data_contract.declared(published_schemas(settings))
        if update:
            changes = data_contract.update(settings.root, current, note, config.utc_today())
            click.echo("\n".join(map(str, changes)) or "The contract already matches; nothing recorded.")
            return
    except (QueryError, data_contract.ContractError) as error:
        raise Failure(str(error)) from None
    changes = data_contract.check(settings.root, current)
    if changes:
        raise Failure(
            "the published schemas differ from docs/data-contract.json:\n  "
            + "\n  ".join(map(str, changes))
            + "\nRecord additions with: python build.py contract --update --note 'what changed and why'"
        )
    click.echo("The published schemas match docs/data-contract.json.")


def main() -> None:
    """The `almanac` command (pip install .): the site is the site.toml of the current folder."""
    cli(prog_name="almanac")
