"""The pipeline: queries → extract → derive (the content's derivation module) → publish → report → render → swap.

`build_site(settings)` is the whole build, top to bottom; build.py is only its command line.
"""

from __future__ import annotations

import errno
import functools
import logging
import time
from pathlib import Path

from build import alerts, config, entities, extract, failures, queries, render, report, spark, staging
from build import derivations as derivations_module
from build.cache import Cache, folder_digest, settings_digest
from build.datasets import Dataset, PublishedDataset, datapackage, publish_dataset, read_published, write_datapackage
from build.derivations import Stage

log = logging.getLogger("almanac")


def build_site(settings: config.Settings) -> int:
    """Build the whole site into settings.out_dir; return the exit code.

    A folder that cannot be written (a read-only or full disk) stops the build with one line
    naming the folder (NothingPublished, exit 2); the published site is left as it was.
    """
    started, built_at = time.monotonic(), config.utc_now()
    try:
        return _build_site(settings)
    except Exception as error:
        if settings.history:
            _record_failed_build(settings, built_at, time.monotonic() - started)
        problem = disk_problem(error, settings) if isinstance(error, OSError) else None
        if problem is None:
            raise
        raise NothingPublished(problem) from None


def _record_failed_build(settings: config.Settings, built_at, seconds: float) -> None:
    try:
        report.record_failed_build(settings.state_dir, settings.as_of, built_at, seconds)
    except OSError as error:  # the build's own failure matters more than its history
        log.warning("Could not record the failed build in the status history: %s", error.strerror)


FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
NOT_WRITABLE = (errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOENT)


def disk_problem(error: OSError, settings: config.Settings) -> str | None:
    """One line for a folder the build cannot write (full, read-only, not ours), naming the
    folder and what to do; None for any other OSError (an unexpected error)."""
    folder = _folder_written(error.filename, settings)
    unchanged = "nothing was published and the last site is unchanged."
    if error.errno in FULL:
        where = folder or f"the output folder {settings.out_dir} or the state folder {settings.state_dir}"
        return f"the disk is full: cannot write {where}. Free disk space, then build again; {unchanged}"
    if error.errno in NOT_WRITABLE and folder:
        return (
            f"cannot write {folder} ({error.strerror}: {error.filename}). Make it writable, or choose "
            f"another folder (--out, [build] out or [build] state_dir), then build again; {unchanged}"
        )
    return None


def _folder_written(filename, settings: config.Settings) -> str | None:
    """'the output folder X' or 'the state folder Y' when `filename` is inside one, else None."""
    if not filename:
        return None
    path = Path(filename).absolute()
    state, out = settings.state_dir, settings.out_dir.absolute()
    if path == state or state in path.parents:
        return f"the state folder {state}"
    # the output folder, and the siblings a build writes beside it (site.staging, site.lock, …)
    if path in out.parents or any(
        p.parent == out.parent and p.name.startswith(out.name) for p in (path, *path.parents)
    ):
        return f"the output folder {out}"
    return None


def _build_site(settings: config.Settings) -> int:
    started = time.monotonic()
    all_queries = queries.discover(settings.queries_dir)  # a malformed query stops the build here
    if not all_queries:
        raise NothingPublished(f"no queries: {settings.queries_dir} has no .sql file (see [build] queries).")
    queries.check_sources(all_queries, settings.sources)  # so does a source name that is not configured
    log.info("Read %d queries from %s; as-of date %s", len(all_queries), settings.queries_dir, settings.as_of)
    derivations = load_derivations(settings)  # the site's derived datasets, chosen by its queries folder
    cache = Cache.of(settings)  # derivations, replica lookups, files and pages keyed by their inputs
    content = check_content(all_queries, derived_schemas(derivations), settings, cache)  # before any query runs
    spark.configure(settings.get("spark", "conf"))  # for a Spark source's session, if one is used
    # Linked while the queries run; made right before the try, whose discard() joins the thread before the lock goes.
    preparing = staging.Preparation(settings.out_dir, settings.state_dir)
    try:
        log.info("Extracting")
        database_queries = [q for q in all_queries if not q.per_wiki]
        extraction = extract.run(database_queries, settings, cache=cache)
        staging_dir = preparing.folder()
        datasets = keep_last_published(extraction, database_queries, staging_dir)
        if all(dataset.stale for dataset in datasets.values()):
            reasons = sorted({failure.public for failure in extraction.failures.values()})
            where = failures.shown(settings.state_dir / failures.ERRORS_FOLDER)
            raise NothingPublished(f"every query failed: {'; '.join(reasons)}. The full errors are in {where}/.")

        if derivations is not None:
            stage = Stage(datasets, extraction.failures, extraction.sources, settings, staging_dir, all_queries, cache)
            derivations.derive(stage)

        log.info("Publishing data files")
        published = publish(datasets, settings, staging_dir, content.entity_kinds, cache)
        build_report = make_report(settings, all_queries, derived_schemas(derivations), datasets, extraction)
        document = report.status(build_report, report.previous_successes(staging_dir))
        if settings.strict and build_report.stale:
            raise NothingPublished(report.summary(document, published=False))

        log.info("Rendering pages")

        @functools.cache
        def history() -> list[dict]:  # timed when the status page asks for it, near the end of the build
            entry = alerts.history_entry(document, time.monotonic() - started)
            return alerts.append(report.read_history(settings.state_dir), entry)

        render.render_site(
            datasets, published, document, settings, staging_dir, content, history if settings.history else None, cache
        )
        report.write_status(document, staging_dir)
        if settings.history:
            site = settings.get("site", "title"), settings.get("site", "base_url")
            report.write_history(history(), settings.state_dir, staging_dir, title=site[0], base_url=site[1])
        staging.swap(staging_dir, settings.out_dir, keep=settings.keep_builds)
    except BaseException:
        preparing.discard()
        raise
    log.info("Build %s", cache.summary())
    cache.prune()
    log.info("%s\nWrote %s in %.1fs", report.summary(document), settings.out_dir, time.monotonic() - started)
    if build_report.stale:
        log.warning(
            "The full errors are in %s/, by error id.", failures.shown(settings.state_dir / failures.ERRORS_FOLDER)
        )
    return build_report.exit_code


def load_derivations(settings: config.Settings):
    """The derivation module queries/derivations.toml names (None: the site derives nothing)."""
    try:
        return derivations_module.load(settings.queries_dir)
    except derivations_module.DerivationsError as error:
        raise NothingPublished(str(error)) from None


def derived_schemas(module) -> tuple[Dataset, ...]:
    return derivations_module.schemas(module)


def published_schemas(settings: config.Settings) -> list[Dataset]:
    """Every dataset a build publishes, without rows: the queries' and the derivations' (for the contract)."""
    declared = [query.empty_dataset() for query in queries.discover(settings.queries_dir)]
    derived = derived_schemas(load_derivations(settings))
    return [dataset for dataset in [*declared, *derived] if dataset.publish]


class NothingPublished(Exception):
    """The build stopped before publishing anything (exit code 2)."""


def check_content(
    all_queries: list[queries.Query],
    derived: tuple[Dataset, ...],
    settings: config.Settings,
    cache: Cache | None = None,
) -> render.Content:
    """The site's content, checked against every declared dataset; RenderError lists all problems.

    The content is templates/ beside site.toml when it has a pages/ folder, else the package's. Content
    that passed with the same templates, schemas and settings is not checked again."""
    schemas = {q.name: q.empty_dataset() for q in all_queries if q.publish and not q.per_wiki}
    schemas.update({schema.name: schema for schema in derived})
    own = settings.root / "templates"
    content = render.load_content(own if (own / "pages").is_dir() else render.TEMPLATES)
    cache = cache or Cache.off()
    declared = sorted((s.name, s.title, s.description, repr(s.columns), s.version, s.origin) for s in schemas.values())
    folders = [folder_digest(folder) for folder in dict.fromkeys([content.templates, render.TEMPLATES])]
    key = cache.key("checked", folders, declared, settings_digest(settings))
    if cache.get("checked", key):
        content.schemas = dict(schemas)
        return content
    render.check_content(content, schemas, settings)
    cache.put("checked", key, True)
    return content


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


def publish(
    datasets: dict[str, Dataset], settings: config.Settings, out_dir: Path, entity_kinds=(), cache: Cache | None = None
) -> dict[str, PublishedDataset]:
    """Write each published dataset's CSV and JSON, each entity's own files, then datapackage.json."""
    cache = cache or Cache.off()
    published = {
        name: publish_dataset(dataset, out_dir, cache) for name, dataset in sorted(datasets.items()) if dataset.publish
    }
    entity_files = entities.publish_entity_data(datasets, list(entity_kinds), out_dir, cache)
    for version in sorted({p.dataset.version for p in published.values()}):
        items = [p for p in published.values() if p.dataset.version == version]
        package = datapackage(
            items,
            title=settings.get("site", "title"),
            license_id=settings.get("site", "license"),
            base_url=settings.get("site", "base_url"),
        )
        package["resources"] += entities.resources([f for f in entity_files if f.dataset.version == version])
        write_datapackage(package, out_dir / "data" / f"v{version}")
    changed = [p.dataset.name for p in published.values() if p.csv.changed or p.json.changed]
    log.info("  %d datasets published, %d changed: %s", len(published), len(changed), ", ".join(changed) or "none")
    return published


def make_report(
    settings, all_queries, derived_datasets, datasets: dict[str, Dataset], extraction
) -> report.BuildReport:
    source_states = [report.public_source(name, state) for name, state in sorted(extraction.sources.items())]
    built_at = config.utc_now()
    next_update = config.next_update(settings.get("build", "schedule"), built_at)
    result = report.BuildReport(as_of=settings.as_of, built_at=built_at, sources=source_states, next_update=next_update)
    sources = {q.name: q.source for q in all_queries}
    titles = {q.name: q.title for q in all_queries}
    titles.update({d.name: d.title for d in derived_datasets})
    derived = [d.name for d in derived_datasets]
    names = [q.name for q in all_queries if q.publish] + derived
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
