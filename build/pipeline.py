"""The pipeline: queries → extract → replica lookups → derive → suppress → publish → report → render → swap.

`build_site(settings)` is the whole build, top to bottom; build.py is only its command line.
"""

from __future__ import annotations

import errno
import functools
import logging
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from build import (
    alerts,
    cohorts,
    config,
    entities,
    extract,
    failures,
    metrics,
    queries,
    render,
    report,
    staging,
    suppression,
)
from build.datasets import (
    DataProblem,
    Dataset,
    PublishedDataset,
    datapackage,
    publish_dataset,
    read_published,
    write_datapackage,
)

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
    content = check_content(all_queries, settings)  # pages, charts and templates, before any query runs
    staging_dir = staging.prepare(settings.out_dir, settings.state_dir)
    try:
        log.info("Extracting")
        database_queries = [q for q in all_queries if not q.per_wiki]
        extraction = extract.run(database_queries, settings)
        datasets = keep_last_published(extraction, database_queries, staging_dir)
        if all(dataset.stale for dataset in datasets.values()):
            reasons = sorted({failure.public for failure in extraction.failures.values()})
            where = failures.shown(settings.state_dir / failures.ERRORS_FOLDER)
            raise NothingPublished(f"every query failed: {'; '.join(reasons)}. The full errors are in {where}/.")

        log.info("Looking up edits on the wiki replicas")
        replica = extract_replica_edits(all_queries, datasets, settings)
        extraction.failures.update(replica.extraction.failures)
        extraction.sources.update(replica.extraction.sources)
        save_wiki_failures(replica.extraction.sources, settings.state_dir)
        datasets.update(replica.extraction.datasets)

        log.info("Deriving metrics and cohorts")
        derived, derive_failures = derive(datasets, extraction.failures, settings, staging_dir)
        contain_failed_wikis(derived, derive_failures, replica, staging_dir, settings.state_dir)
        datasets.update(derived)
        extraction.failures.update(derive_failures)

        log.info("Secondary suppression")  # no published total may give a suppressed group back
        preregistration_days = settings.get("retention", "preregistration_days")
        datasets.update(suppression.protect(datasets, k_min=settings.k_min, preregistration_days=preregistration_days))

        log.info("Publishing data files")
        published = publish(datasets, settings, staging_dir, content.entity_kinds)
        build_report = make_report(settings, all_queries, datasets, extraction)
        document = report.status(build_report, report.previous_successes(staging_dir))
        if settings.strict and build_report.stale:
            raise NothingPublished(report.summary(document, published=False))

        log.info("Rendering pages")

        @functools.cache
        def history() -> list[dict]:  # timed when the status page asks for it, near the end of the build
            entry = alerts.history_entry(document, time.monotonic() - started)
            return alerts.append(report.read_history(settings.state_dir), entry)

        render.render_site(
            datasets, published, document, settings, staging_dir, content, history if settings.history else None
        )
        report.write_status(document, staging_dir)
        if settings.history:
            site = settings.get("site", "title"), settings.get("site", "base_url")
            report.write_history(history(), settings.state_dir, staging_dir, title=site[0], base_url=site[1])
        staging.swap(staging_dir, settings.out_dir, keep=settings.keep_builds)
    except BaseException:
        staging.discard(staging_dir)
        raise
    log.info("%s\nWrote %s in %.1fs", report.summary(document), settings.out_dir, time.monotonic() - started)
    if build_report.stale:
        log.warning(
            "The full errors are in %s/, by error id.", failures.shown(settings.state_dir / failures.ERRORS_FOLDER)
        )
    return build_report.exit_code


# The datasets `derive` computes (in this order) rather than a query; their schemas live in their modules.
DERIVED = (metrics.MONTHLY_ACTIVITY, cohorts.PROGRAM_RETENTION, cohorts.CAMPAIGN_RETENTION)


def published_schemas(settings: config.Settings) -> list[Dataset]:
    """Every dataset a build publishes, without rows: the queries' and the derivations' (for the contract)."""
    declared = [query.empty_dataset() for query in queries.discover(settings.queries_dir)]
    return [dataset for dataset in [*declared, *DERIVED] if dataset.publish]


class NothingPublished(Exception):
    """The build stopped before publishing anything (exit code 2)."""


def save_wiki_failures(sources: dict[str, dict], state_dir: Path) -> None:
    """Write the error file of each wiki that could not be opened: run_per_wiki reports them as
    Failures in its per-wiki status, with an id the status page shows, but writes no file."""
    for state in sources.values():
        for entry in state.get("wikis", {}).values():
            failure = entry.get("error")
            if isinstance(failure, failures.Failure) and not failures.error_file(state_dir, failure).exists():
                failures.save(failure, state_dir)


def check_content(all_queries: list[queries.Query], settings: config.Settings) -> render.Content:
    """The site's content, checked against every declared dataset; RenderError lists all problems.

    The content is templates/ beside site.toml when it has a pages/ folder, else the package's."""
    schemas = {q.name: q.empty_dataset() for q in all_queries if q.publish and not q.per_wiki}
    schemas.update({schema.name: schema for schema in DERIVED})
    own = settings.root / "templates"
    content = render.load_content(own if (own / "pages").is_dir() else render.TEMPLATES)
    render.check_content(content, schemas, settings)
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


@dataclass
class ReplicaEdits:
    """What the per-wiki replica queries gave: their Extraction, the wikis that could not be read
    ({wiki: why}: a replica that failed, or a `wikis` row no rule maps to a database), and the wikis
    each campaign's retention needs ({campaign slug: wikis})."""

    extraction: extract.Extraction = field(default_factory=extract.Extraction)
    failed_wikis: dict[str, str] = field(default_factory=dict)
    needs: dict[str, set[str]] = field(default_factory=dict)


def extract_replica_edits(all_queries, datasets: dict[str, Dataset], settings: config.Settings) -> ReplicaEdits:
    """Run the per-wiki replica queries for the campaigns' new editors (retention.md §2).

    A wiki that fails fails only itself: the others' rows are kept, and `contain_failed_wikis`
    later makes stale only the campaigns that need it."""
    result = ReplicaEdits()
    inputs = ("campaign_new_editors", "campaign_wikis", "campaigns")
    retention_wikis = settings.get("retention", "retention_wikis")
    for query in (q for q in all_queries if q.per_wiki):
        failed = [name for name in inputs if name not in datasets or datasets[name].stale]
        if failed:
            detail = f"{query.origin}: not run, because {' and '.join(failed)} failed."
            failure = failures.Failure(
                failures.NOT_RUN, query.name, detail=detail, note=f"input {', '.join(failed)} failed"
            )
            result.extraction.failures[query.name] = failures.record(failure, settings.state_dir)
            continue
        editors, homes, campaigns = (datasets[name].frame for name in inputs)
        targets = cohorts.edit_targets(editors, homes, retention_wikis)
        period = cohorts.edit_period(campaigns, settings.get("retention", "retention_windows"), settings.as_of)
        dataset, error, wikis = extract.run_per_wiki(query, settings, targets, extra_parameters=period)
        unmapped = cohorts.unmapped_wikis(homes, retention_wikis)
        for wiki, why in unmapped.items():
            unnamed = failures.Failure(failures.NOT_RUN, f"wiki {wiki}", detail=why, note="no replica database named")
            wikis[wiki] = {"status": "failed", "lag_seconds": None, "error": unnamed, "url": None}
        result.needs = cohorts.campaign_needs(campaigns, editors, homes, retention_wikis)
        for wiki, entry in wikis.items():
            if entry["status"] != "ok":
                entry["campaigns"] = sorted(slug for slug, needed in result.needs.items() if wiki in needed)
        if query.source in settings.sources:
            source = settings.sources[query.source]
            result.extraction.sources[query.source] = extract.summarize_wikis(source, wikis)
        if dataset is None:
            failure = failures.as_failure(error, query.name)
            result.extraction.failures[query.name] = failures.record(failure, settings.state_dir)
        else:
            result.extraction.datasets[query.name] = dataset
            result.failed_wikis.update({w: e["error"] for w, e in wikis.items() if e["status"] != "ok"})
    return result


def contain_failed_wikis(
    derived: dict[str, Dataset],
    failed: dict[str, failures.Failure],
    replica: ReplicaEdits,
    staging_dir: Path,
    state_dir: Path,
) -> None:
    """Campaign retention after some wikis could not be read: each campaign that needs one keeps its
    last published rows (marked stale) or is left out when it has none; every other campaign stays
    fresh. The dataset is then stale (exit code 1) and its report entry names the wikis and campaigns."""
    name = cohorts.CAMPAIGN_RETENTION.name
    if not replica.failed_wikis or name not in derived or name in failed:
        return
    previous = read_published(cohorts.CAMPAIGN_RETENTION, staging_dir)
    derived[name], stale = cohorts.keep_last_published_campaigns(
        derived[name], previous, replica.needs, replica.failed_wikis
    )
    if stale:
        note = stale.describe(replica.failed_wikis)  # wiki and campaign names, and each wiki's public failure
        failure = failures.Failure(failures.QUERY_FAILED, name, detail=note, note=note)
        failed[name] = failures.record(failure, state_dir)


def derive(
    datasets: dict[str, Dataset],
    failed: dict[str, failures.Failure],
    settings: config.Settings,
    staging_dir: Path,
):
    """Compute the derived datasets; one whose inputs failed keeps its last published rows."""
    derived, derive_failures = {}, {}
    recipes = _recipes(settings)
    for schema in DERIVED:
        inputs, make = recipes[schema.name]
        unusable = [name for name in inputs if name not in datasets or datasets[name].stale]
        if unusable and not any(name in datasets or name in failed for name in inputs):
            continue  # no query of this site declares its inputs: not part of this site
        if unusable:
            failure = _not_derived(schema, unusable, failed)
        else:
            try:
                derived[schema.name] = make(*(datasets[name] for name in inputs))
                continue
            except Exception as error:  # one failed derivation costs its dataset, not the build
                failure = _derivation_failure(schema, error)
        derive_failures[schema.name] = failures.record(failure, settings.state_dir)
        previous = read_published(schema, staging_dir)
        if previous is not None:
            derived[schema.name] = previous
    return derived, derive_failures


def _recipes(settings: config.Settings) -> dict:
    """Each derived dataset's name: its inputs and how to make it."""
    as_of, k_min = settings.as_of, settings.k_min
    return {
        metrics.MONTHLY_ACTIVITY.name: (
            ("activity_by_month", "participant_activity", "courses", "timeslice_updates"),
            lambda a, p, c, u: metrics.monthly_activity(a.frame, p.frame, c.frame, u.frame, as_of, k_min),
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


def _not_derived(schema: Dataset, unusable: list[str], failed: dict[str, failures.Failure]) -> failures.Failure:
    reasons = [
        f"{name}: {failed[name].detail} (error {failed[name].id})" if name in failed else f"{name} is missing"
        for name in unusable
    ]
    detail = f"{schema.origin}: not derived, because {', '.join(unusable)} failed:\n" + "\n".join(reasons)
    return failures.Failure(
        failures.NOT_DERIVED, schema.name, detail=detail, note=f"input {', '.join(unusable)} failed"
    )


def _derivation_failure(schema: Dataset, error: Exception) -> failures.Failure:
    detail = f"{schema.origin}: {type(error).__name__}: {error}\n{traceback.format_exc()}"
    if isinstance(error, DataProblem):
        return failures.Failure(failures.DATA_PROBLEM, schema.name, detail=detail, note=error.public_note)
    return failures.Failure(failures.DERIVATION_FAILED, schema.name, detail=detail)


def publish(
    datasets: dict[str, Dataset], settings: config.Settings, out_dir: Path, entity_kinds=()
) -> dict[str, PublishedDataset]:
    """Write each published dataset's CSV and JSON, each entity's own files, then datapackage.json."""
    published = {
        name: publish_dataset(dataset, out_dir) for name, dataset in sorted(datasets.items()) if dataset.publish
    }
    entity_files = entities.publish_entity_data(datasets, list(entity_kinds), out_dir)
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


def make_report(settings, all_queries, datasets: dict[str, Dataset], extraction) -> report.BuildReport:
    source_states = [report.public_source(name, state) for name, state in sorted(extraction.sources.items())]
    built_at = config.utc_now()
    next_update = config.next_update(settings.get("build", "schedule"), built_at)
    result = report.BuildReport(as_of=settings.as_of, built_at=built_at, sources=source_states, next_update=next_update)
    sources = {q.name: q.source for q in all_queries}
    titles = {q.name: q.title for q in all_queries}
    titles.update({d.name: d.title for d in DERIVED})
    derived = [d.name for d in DERIVED if d.name in datasets or d.name in extraction.failures]
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
