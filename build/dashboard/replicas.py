"""The campaigns' new editors' edits, asked of each wiki replica (retention.md §2), one wiki failing alone.

`look_up_edits` runs the site's per-wiki queries for the wikis each campaign needs; `contain_failed_wikis`
then gives each campaign that needs a wiki that could not be read its last published retention rows.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field

from build import extract, failures
from build.dashboard import cohorts, replica_cache
from build.derivations import Stage
from build.failures import Failure

log = logging.getLogger("almanac")
INPUTS = replica_cache.INPUTS


@dataclass
class ReplicaEdits:
    """The wikis that could not be read ({wiki: failure}: a replica that failed, or a `wikis` row no rule
    maps to a database), and the wikis each campaign's retention needs ({campaign slug: wikis})."""

    failed_wikis: dict[str, Failure] = field(default_factory=dict)
    needs: dict[str, set[str]] = field(default_factory=dict)


def look_up_edits(stage: Stage) -> ReplicaEdits:
    """Run each per-wiki query of the site for the campaigns' new editors; add its dataset to the stage."""
    result = ReplicaEdits()
    settings, datasets = stage.settings, stage.datasets
    retention_wikis = settings.get("retention", "retention_wikis")
    for query in (q for q in stage.queries if q.per_wiki):
        failed = [name for name in INPUTS if name not in datasets or datasets[name].stale]
        if failed:
            detail = f"{query.origin}: not run, because {' and '.join(failed)} failed."
            stage.fail(Failure(failures.NOT_RUN, query.name, detail=detail, note=f"input {', '.join(failed)} failed"))
            continue
        editors, homes, campaigns = (datasets[name].frame for name in INPUTS)
        targets = stage.cached(  # a million names sorted: kept while the new editors and their wikis stay
            "derive",
            "edit_targets",
            [datasets[n] for n in INPUTS[:2]],
            functools.partial(cohorts.edit_targets, editors, homes, retention_wikis),
        )
        period = cohorts.edit_period(campaigns, settings.get("retention", "retention_windows"), settings.as_of)
        dataset, error, wikis = replica_cache.look_up(stage, query, targets, period)  # final days: cached
        for wiki, why in cohorts.unmapped_wikis(homes, retention_wikis).items():
            unnamed = Failure(failures.NOT_RUN, f"wiki {wiki}", detail=why, note="no replica database named")
            wikis[wiki] = {"status": "failed", "lag_seconds": None, "error": unnamed, "url": None}
        slugs = campaigns[["campaign_id", "campaign"]]  # all it reads of them: their totals change every day
        result.needs = stage.cached(  # kept while the campaigns' slugs, their new editors and wikis stay
            "derive",
            "campaign_needs",
            [datasets[name] for name in INPUTS[:2]] + [slugs],
            functools.partial(cohorts.campaign_needs, slugs, editors, homes, retention_wikis),
        )
        for wiki, entry in wikis.items():
            if entry["status"] != "ok":
                entry["needed_by"] = sorted(slug for slug, needed in result.needs.items() if wiki in needed)
        if query.source in settings.sources:
            stage.sources[query.source] = extract.summarize_wikis(settings.sources[query.source], wikis)
            save_wiki_failures(wikis, stage)
        if dataset is None:
            stage.fail(failures.as_failure(error, query.name))
        else:
            datasets[query.name] = dataset
            result.failed_wikis.update({w: e["error"] for w, e in wikis.items() if e["status"] != "ok"})
    return result


def save_wiki_failures(wikis: dict[str, dict], stage: Stage) -> None:
    """Write the error file of each wiki that failed without one (a replica that could not be opened)."""
    for entry in wikis.values():
        failure = entry.get("error")
        state_dir = stage.settings.state_dir
        if isinstance(failure, Failure) and not failures.error_file(state_dir, failure).exists():
            failures.save(failure, state_dir)


def contain_failed_wikis(stage: Stage, replica: ReplicaEdits) -> None:
    """Campaign retention after some wikis could not be read: each campaign that needs one keeps its
    last published rows (marked stale) or is left out when it has none; every other campaign stays
    fresh. The dataset is then stale (exit code 1) and its report entry names the wikis and campaigns."""
    name = cohorts.CAMPAIGN_RETENTION.name
    if not replica.failed_wikis or name not in stage.datasets or name in stage.failures:
        return
    previous = stage.last_published(cohorts.CAMPAIGN_RETENTION)
    stage.datasets[name], stale = cohorts.keep_last_published_campaigns(
        stage.datasets[name], previous, replica.needs, replica.failed_wikis
    )
    if stale:
        note = stale.describe(replica.failed_wikis)  # wiki and campaign names, and each wiki's public failure
        stage.fail(Failure(failures.QUERY_FAILED, name, detail=note, note=note))
