"""The Programs & Events Dashboard's derivations, apart from the engine: monthly activity, program
retention and campaign retention (retention.md), the wiki replica lookups campaign retention needs, and
the secondary suppression of their small groups.

Chosen by the content (queries/derivations.toml: module = "build.dashboard"); the pipeline only calls
`derive(stage)` and reads `DERIVED`.
"""

from __future__ import annotations

import logging

from build.dashboard import cohorts, history_edits, metrics, replicas, suppression
from build.derivations import Recipe, Stage, derive_each

log = logging.getLogger("almanac")

# The datasets this module publishes, in the order it makes them; their schemas live in their modules.
DERIVED = (metrics.MONTHLY_ACTIVITY, cohorts.PROGRAM_RETENTION, cohorts.CAMPAIGN_RETENTION)


def derive(stage: Stage) -> None:
    """Look up the new editors' edits, derive the three datasets, contain failed wikis, then suppress."""
    if history_edits.uses_history(stage.settings):  # [retention] edits_source = "history": one Spark query
        log.info("Counting edits on every wiki in the edit history")
        history_edits.look_up_edits(stage)
        replica = replicas.ReplicaEdits()  # no wiki fails alone on this path
    else:
        log.info("Looking up edits on the wiki replicas")
        replica = replicas.look_up_edits(stage)
    log.info("Deriving metrics and cohorts")
    derive_each(stage, recipes(stage))
    replicas.contain_failed_wikis(stage, replica)
    log.info("Secondary suppression")  # no published total may give a suppressed group back
    rules = {
        "k_min": stage.settings.k_min,
        "preregistration_days": stage.settings.get("retention", "preregistration_days"),
    }
    campaigns = suppression.campaign_inputs(stage.datasets, **rules)
    # The campaigns' choice (most of the time) is kept while the columns it reads stay the same, so a day of
    # activity that adds no new editor does not make it again; the whole is keyed by every dataset's content.
    withheld = campaigns and stage.cached(
        "suppress",
        "campaigns",
        [campaigns.campaigns, campaigns.links, campaigns.courses],
        campaigns.withheld,
        campaigns.registrations,
        campaigns.k_min,
        campaigns.union_bound,
    )
    inputs = [stage.datasets[name] for name in sorted(stage.datasets)]
    protected = stage.cached(
        "suppress", "protect", inputs, lambda: suppression.protect(stage.datasets, **rules, campaigns_withheld=withheld)
    )
    stage.datasets.update(protected)


def recipes(stage: Stage) -> list[Recipe]:
    settings = stage.settings
    as_of, k_min = settings.as_of, settings.k_min
    retention = {key: settings.get("retention", key) for key in ("retention_months", "retention_windows")}
    campaign_retention = (
        history_edits.recipe(settings)
        if history_edits.uses_history(settings)
        else Recipe(
            cohorts.CAMPAIGN_RETENTION,
            ("campaigns", "campaign_new_editors", "campaign_wikis", "edit_days"),
            lambda c, n, w, e: cohorts.campaign_retention(
                c.frame,
                n.frame,
                w.frame,
                e.frame,
                as_of=as_of,
                windows=retention["retention_windows"],
                k_min=k_min,
                retention_wikis=settings.get("retention", "retention_wikis"),
            ),
        )
    )
    return [
        Recipe(
            metrics.MONTHLY_ACTIVITY,
            ("activity_by_month", "participant_activity", "courses", "timeslice_updates"),
            lambda a, p, c, u: metrics.monthly_activity(a.frame, p.frame, c.frame, u.frame, as_of, k_min),
        ),
        Recipe(
            cohorts.PROGRAM_RETENTION,
            ("participant_activity",),
            lambda p: cohorts.program_retention(p.frame, as_of, retention["retention_months"], k_min),
        ),
        campaign_retention,
    ]
