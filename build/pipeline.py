"""The pipeline: queries → extract → replica lookups → derive → publish → report → render → swap.

`build_site(settings)` is the whole build, top to bottom; build.py is only its command line.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from build import cohorts, config, entities, extract, metrics, queries, render, report, staging
from build.datasets import Dataset, PublishedDataset, datapackage, publish_dataset, read_published, write_datapackage

log = logging.getLogger("almanac")


def build_site(settings: config.Settings) -> int:
    """Build the whole site into settings.out_dir; return the exit code."""
    started = time.monotonic()
    all_queries = queries.discover(settings.queries_dir)  # a malformed query stops the build here
    if not all_queries:
        raise NothingPublished(f"no queries: {settings.queries_dir} has no .sql file (see [build] queries).")
    log.info("Read %d queries from %s; as-of date %s", len(all_queries), settings.queries_dir, settings.as_of)
    content = check_content(all_queries, settings)  # pages, charts and templates, before any query runs
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
        published = publish(datasets, settings, staging_dir, content.entity_kinds)
        build_report = make_report(settings, all_queries, datasets, extraction)
        document = report.status(build_report, report.previous_successes(staging_dir))
        if settings.strict and build_report.stale:
            raise NothingPublished("--strict: " + report.summary(document))

        log.info("Rendering pages")
        render.render_site(datasets, published, document, settings, staging_dir, content)
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
        if unusable and not any(name in datasets or name in failures for name in inputs):
            continue  # no query of this site declares its inputs: not part of this site
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
    source_states = [{"name": name, **state} for name, state in sorted(extraction.sources.items())]
    result = report.BuildReport(as_of=settings.as_of, built_at=config.utc_now(), sources=source_states)
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
