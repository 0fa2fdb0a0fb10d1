"""The pipeline: queries → extract → replica lookups → derive → publish → report → render → swap.

`build_site(settings)` is the whole build, top to bottom; build.py is only its command line.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from build import cohorts, config, extract, history_edits, metrics, queries, render, report, spark, staging
from build.datasets import Dataset, PublishedDataset, datapackage, publish_dataset, read_published, write_datapackage

log = logging.getLogger("almanac")


def build_site(settings: config.Settings) -> int:
    """Build the whole site into settings.out_dir; return the exit code."""
    started = time.monotonic()
    all_queries = queries.discover(settings.queries_dir)  # a malformed query stops the build here
    if not all_queries:
        raise NothingPublished(f"no queries: {settings.queries_dir} has no .sql file (see [build] queries).")
    log.info("Read %d queries from %s; as-of date %s", len(all_queries), settings.queries_dir, settings.as_of)
    staging_dir = staging.prepare(settings.out_dir)
    spark.configure(settings.get("spark", "conf"))  # for a Spark source's session, if one is used
    try:
        log.info("Extracting")
        database_queries = [q for q in all_queries if not q.per_wiki]
        extraction = extract.run(database_queries, settings)
        datasets = keep_last_published(extraction, database_queries, staging_dir)
        if all(dataset.stale for dataset in datasets.values()):
            reasons = sorted(set(extraction.failures.values()))
            raise NothingPublished("every query failed: " + "; ".join(reasons))

        if history_edits.uses_history(settings):  # [retention] edits_source = "history": one Spark query
            log.info("Counting edits on every wiki in the edit history")
            replica = history_edits.extract_history_edits(datasets, settings)
        else:
            log.info("Looking up edits on the wiki replicas")
            replica = extract_replica_edits(all_queries, datasets, settings)
        extraction.failures.update(replica.extraction.failures)
        extraction.sources.update(replica.extraction.sources)
        datasets.update(replica.extraction.datasets)

        log.info("Deriving metrics and cohorts")
        derived, derive_failures = derive(datasets, extraction.failures, settings, staging_dir)
        contain_failed_wikis(derived, derive_failures, replica, staging_dir)
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


def published_schemas(settings: config.Settings) -> list[Dataset]:
    """Every dataset a build publishes, without rows: the queries' and the derivations' (for the contract)."""
    declared = [query.empty_dataset() for query in queries.discover(settings.queries_dir)]
    return [dataset for dataset in [*declared, *DERIVED] if dataset.publish]


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
        if any(name not in datasets or datasets[name].stale for name in inputs):
            result.extraction.failures[query.name] = f"{query.origin}: not run, because {' or '.join(inputs)} failed."
            continue
        editors, homes, campaigns = (datasets[name].frame for name in inputs)
        targets = cohorts.edit_targets(editors, homes, retention_wikis)
        period = cohorts.edit_period(campaigns, settings.get("retention", "retention_windows"), settings.as_of)
        dataset, error, wikis = extract.run_per_wiki(query, settings, targets, extra_parameters=period)
        unmapped = cohorts.unmapped_wikis(homes, retention_wikis)
        for wiki, why in unmapped.items():
            log.error("Campaign retention: %s names no replica database: %s", wiki, why)
            wikis[wiki] = {"status": "failed", "lag_seconds": None, "error": why, "url": None}
        result.needs = cohorts.campaign_needs(campaigns, editors, homes, retention_wikis)
        for wiki, entry in wikis.items():
            if entry["status"] != "ok":
                entry["campaigns"] = sorted(slug for slug, needed in result.needs.items() if wiki in needed)
        if query.source in settings.sources:
            source = settings.sources[query.source]
            result.extraction.sources[query.source] = extract.summarize_wikis(source, wikis)
        if dataset is None:
            result.extraction.failures[query.name] = error
        else:
            result.extraction.datasets[query.name] = dataset
            result.failed_wikis.update({w: e["error"] for w, e in wikis.items() if e["status"] != "ok"})
    return result


def contain_failed_wikis(derived: dict[str, Dataset], failures: dict[str, str], replica: ReplicaEdits, staging_dir):
    """Campaign retention after some wikis could not be read: each campaign that needs one keeps its
    last published rows (marked stale) or is left out when it has none; every other campaign stays
    fresh. The dataset is then stale (exit code 1) and its report entry names the wikis and campaigns."""
    name = cohorts.CAMPAIGN_RETENTION.name
    if not replica.failed_wikis or name not in derived or name in failures:
        return
    previous = read_published(cohorts.CAMPAIGN_RETENTION, staging_dir)
    derived[name], stale = cohorts.keep_last_published_campaigns(
        derived[name], previous, replica.needs, replica.failed_wikis
    )
    if stale:
        failures[name] = stale.describe(replica.failed_wikis)
        log.error('Dataset "%s": %s', name, failures[name])


def derive(datasets: dict[str, Dataset], failures: dict[str, str], settings: config.Settings, staging_dir: Path):
    """Compute the derived datasets; one whose inputs failed keeps its last published rows."""
    as_of, k_min = settings.as_of, settings.k_min
    recipes = {  # each derived dataset: its inputs and how to make it
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
    if history_edits.uses_history(settings):
        recipes[cohorts.CAMPAIGN_RETENTION.name] = history_edits.recipe(settings)
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
