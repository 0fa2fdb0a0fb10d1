"""Secondary suppression: no combination of published numbers may give a suppressed group back.

Primary suppression (cohorts.py, queries/campaigns.sql) leaves a group of fewer than k_min
people empty. Other published numbers could still recover it, or narrow it below the range
suppression itself reveals, by subtraction and by bounds: a month's active participants minus
the published cohorts, a withheld month's edits and campaigns' counts, a campaign's programs'
new editors, the monthly new editors of the months those programs ran. The audit writes every
such relation as a linear program (suppression_audit.py) and asks, the way statistical offices
audit their tables, for the range each suppressed value can still take; complementary
suppression then hides the fewest extra numbers it can until every range is the whole box:

- months (suppression_months.py): other cohorts' cells in the month, else the month's active
  participants together with what bounds it (its edits and characters added, the campaigns'
  rows that month);
- campaigns (suppression_campaigns.py): programs' new editors, then neighbouring campaigns'
  counts, then the monthly new editors of the months its programs ran.

This module applies the choice to the datasets and says so in their column descriptions.
Datasets in, Datasets out, no I/O; the same input gives the same output.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import pandas as pd

from build.datasets import Dataset

from .metrics import month_key, month_text
from .suppression_campaigns import Registrations, Withheld, protect_campaigns
from .suppression_months import MonthWithheld, choose, idle_months, month_view

log = logging.getLogger("almanac")

# The datasets this stage reads and may change (names from the queries and derivations).
MONTHLY, RETENTION, SYSTEM = "monthly_activity", "program_retention", "system_totals"
CAMPAIGNS, CAMPAIGN_COURSES, COURSES = "campaigns", "campaign_courses", "courses"
CAMPAIGN_RETENTION, CAMPAIGN_ACTIVITY = "campaign_retention", "campaign_activity"

WITHHELD_MONTH = (
    "Empty when the month's active participants are withheld by secondary suppression: it would bound them."
)
# Sentences added to the published column descriptions, so the downloads say what an empty value means.
NOTES = {
    (RETENTION, "suppressed"): "Also true for a cell withheld by secondary suppression (see the methodology page).",
    (MONTHLY, "active_participants"): (
        "Empty when withheld by secondary suppression: it would give back a suppressed cohort."
    ),
    (MONTHLY, "edits"): WITHHELD_MONTH,
    (MONTHLY, "characters_added"): WITHHELD_MONTH,
    (MONTHLY, "new_editors"): (
        "Empty when withheld by secondary suppression: it would narrow down a campaign's suppressed new editors."
    ),
    (SYSTEM, "new_editors"): (
        "Empty when withheld by secondary suppression: with the monthly new editors it would narrow down a "
        "campaign's suppressed new editors."
    ),
    (COURSES, "new_editors"): (
        "Empty when withheld by secondary suppression: it would narrow down a campaign's suppressed new editors."
    ),
    (CAMPAIGNS, "new_editors"): "Also empty when withheld by secondary suppression.",
    (CAMPAIGN_RETENTION, "suppressed"): "Also true when withheld by secondary suppression.",
    (CAMPAIGN_ACTIVITY, "active_participants"): WITHHELD_MONTH,
    (CAMPAIGN_ACTIVITY, "edits"): WITHHELD_MONTH,
    (CAMPAIGN_ACTIVITY, "characters_added"): WITHHELD_MONTH,
}


# The columns campaign suppression reads (the others cannot change its choice).
CAMPAIGN_COLUMNS = {
    CAMPAIGNS: ("campaign", "new_editors", "participants"),
    CAMPAIGN_COURSES: ("campaign", "course_slug"),
    COURSES: ("course_slug", "editors", "new_editors", "start_date", "end_date"),
}


@dataclass(frozen=True)
class CampaignInputs:
    """Exactly what campaign suppression reads, so its choice can be kept while these stay the same: the
    CAMPAIGN_COLUMNS of its three datasets, the monthly side (`registrations_of`) and the rules."""

    campaigns: pd.DataFrame
    links: pd.DataFrame
    courses: pd.DataFrame
    registrations: Registrations | None
    k_min: int
    union_bound: bool

    def withheld(self) -> Withheld:
        return protect_campaigns(
            self.campaigns,
            self.links,
            self.courses,
            k_min=self.k_min,
            union_bound=self.union_bound,
            registrations=self.registrations,
        )


def campaign_inputs(datasets: dict[str, Dataset], *, k_min: int, preregistration_days: int) -> CampaignInputs | None:
    """What campaign suppression reads from `datasets`; None when one of its datasets is missing or stale."""
    frames = {name: dataset.frame for name, dataset in datasets.items() if not dataset.stale}
    if not all(name in frames for name in CAMPAIGN_COLUMNS):
        return None
    read = {name: frames[name][[c for c in columns if c in frames[name]]] for name, columns in CAMPAIGN_COLUMNS.items()}
    return CampaignInputs(
        read[CAMPAIGNS],
        read[CAMPAIGN_COURSES],
        read[COURSES],
        registrations_of(frames),
        k_min,
        union_bound=preregistration_days == 0,
    )


def protect(
    datasets: dict[str, Dataset],
    *,
    k_min: int,
    preregistration_days: int,
    campaigns_withheld: Withheld | None = None,
) -> dict[str, Dataset]:
    """The datasets secondary suppression changes, keyed by name (the others need nothing).

    Each part runs when its datasets are present; courses, campaign_activity and system_totals
    add what a reader could bound the totals with, when they are there. `campaigns_withheld` is the
    campaign part's choice when the caller already has it (`CampaignInputs.withheld` of these datasets).
    """
    frames = {name: dataset.frame for name, dataset in datasets.items() if not dataset.stale}
    changed: dict[str, pd.DataFrame] = {}
    if MONTHLY in frames and RETENTION in frames:
        withheld = protect_months(frames, k_min)
        changed.update(apply_months(frames, withheld))
    inputs = campaign_inputs(datasets, k_min=k_min, preregistration_days=preregistration_days)
    if inputs is not None:
        withheld = campaigns_withheld if campaigns_withheld is not None else inputs.withheld()
        changed.update(apply_campaigns({**frames, **changed}, withheld))
    return {name: _annotated(datasets[name], frame) for name, frame in changed.items()}


def protect_months(frames: dict[str, pd.DataFrame], k_min: int) -> MonthWithheld:
    """The cells and months' totals to withhold (suppression_months.choose) from the frames given."""
    monthly = frames[MONTHLY]
    floors = {}
    if CAMPAIGN_ACTIVITY in frames:  # a campaign's row says someone was active that month
        floors = {month_key(m): 1 for m in frames[CAMPAIGN_ACTIVITY]["month"]}
    capacity = idle_months(monthly, frames[COURSES]) if _dated(frames.get(COURSES)) else {}
    return choose(month_view(frames[RETENTION], monthly, k_min, capacity, floors))


def _dated(courses: pd.DataFrame | None) -> bool:
    return courses is not None and {"start_date", "end_date", "editors"} <= set(courses.columns)


def apply_months(frames: dict[str, pd.DataFrame], withheld: MonthWithheld) -> dict[str, pd.DataFrame]:
    """program_retention with the withheld cells suppressed; monthly_activity and campaign_activity
    with the withheld months' totals and what bounds them empty."""
    retention, monthly = frames[RETENTION].copy(), frames[MONTHLY].copy()
    for cohort, month in sorted(withheld.cells):
        hit = (retention["cohort"] == month_text(cohort)) & (retention["months_since"] == month - cohort)
        retention.loc[hit, ["active", "retention"]] = pd.NA
        retention.loc[hit, "suppressed"] = True
    months = sorted(month_text(m) for m in withheld.totals)
    columns = [c for c in ("active_participants", "edits", "characters_added") if c in monthly.columns]
    monthly.loc[monthly["month"].isin(months), columns] = pd.NA
    changed = {RETENTION: retention, MONTHLY: monthly}
    if CAMPAIGN_ACTIVITY in frames:
        activity = frames[CAMPAIGN_ACTIVITY].copy()
        columns = [c for c in ("active_participants", "edits", "characters_added") if c in activity.columns]
        activity.loc[activity["month"].isin(months), columns] = pd.NA
        changed[CAMPAIGN_ACTIVITY] = activity
    return changed


def registrations_of(frames: dict[str, pd.DataFrame]) -> Registrations | None:
    """The monthly new editors and the system total, when published and the programs are dated."""
    monthly = frames.get(MONTHLY)
    if monthly is None or "new_editors" not in monthly.columns or not len(monthly) or not _dated(frames[COURSES]):
        return None
    values = {m: int(v) for m, v in zip(monthly["month"], monthly["new_editors"], strict=True) if not pd.isna(v)}
    system = None
    if SYSTEM in frames and "new_editors" in frames[SYSTEM].columns and len(frames[SYSTEM]) == 1:
        total = frames[SYSTEM]["new_editors"].iloc[0]
        system = None if pd.isna(total) else int(total)
    return Registrations(values, system, month_text(max(month_key(m) for m in monthly["month"]) + 1))


def apply_campaigns(frames: dict[str, pd.DataFrame], withheld: Withheld) -> dict[str, pd.DataFrame]:
    """courses, campaigns, campaign_retention, monthly_activity and system_totals with the withheld counts empty."""
    courses, campaigns = frames[COURSES].copy(), frames[CAMPAIGNS].copy()
    courses.loc[courses["course_slug"].isin(sorted(withheld.programs)), "new_editors"] = pd.NA
    campaigns.loc[campaigns["campaign"].isin(sorted(withheld.campaigns)), "new_editors"] = pd.NA
    changed = {COURSES: courses, CAMPAIGNS: campaigns}
    if CAMPAIGN_RETENTION in frames:  # a withheld count takes its retained counts and rates along
        rows = frames[CAMPAIGN_RETENTION].copy()
        hit = rows["campaign"].isin(sorted(withheld.campaigns))
        rows.loc[hit, ["new_editors", "retained", "retention"]] = pd.NA
        rows.loc[hit, "suppressed"] = True
        changed[CAMPAIGN_RETENTION] = rows
    if withheld.months and MONTHLY in frames:
        monthly = frames[MONTHLY].copy()
        monthly.loc[monthly["month"].isin(sorted(withheld.months)), "new_editors"] = pd.NA
        changed[MONTHLY] = monthly
    if SYSTEM in frames and "new_editors" in frames[SYSTEM].columns:  # always, so its description is stable
        system = frames[SYSTEM].copy()
        if withheld.system:
            system["new_editors"] = pd.NA
        changed[SYSTEM] = system
    return changed


def _annotated(dataset: Dataset, frame: pd.DataFrame) -> Dataset:
    """`dataset` holding `frame`, its column descriptions saying what secondary suppression empties."""
    columns = tuple(
        replace(column, description=f"{column.description} {NOTES[(dataset.name, column.name)]}")
        if (dataset.name, column.name) in NOTES and NOTES[(dataset.name, column.name)] not in column.description
        else column
        for column in dataset.columns
    )
    return replace(dataset, columns=columns).with_frame(frame)
