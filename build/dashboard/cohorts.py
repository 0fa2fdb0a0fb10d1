"""Cohorts: program retention (retention.md §1) and campaign retention of new editors (§2).

DataFrames in, Datasets out, no I/O. Censored cells (the period has not ended by the
as-of date) are missing, never 0; groups smaller than k_min are published with their
size, counts and rates all missing and `suppressed = true`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from build.datasets import Column, Dataset
from build.wikis import WikiNameError, describe_wiki, wiki_dbname

from .metrics import as_of_month_key, month_key, month_text

PROGRAM_RETENTION = Dataset(
    name="program_retention",
    title="Program retention by cohort",
    description=(
        "Participants grouped by their first active month (cohort), and the share of each cohort active "
        "again months_since months later. Censored cells (not yet complete) are empty."
    ),
    columns=(
        Column("cohort", "string", "First active month of the cohort's participants, YYYY-MM."),
        Column("months_since", "integer", "Months after the cohort month (0 = the cohort month).", "months"),
        Column("cohort_size", "integer", "Participants in the cohort; empty when suppressed.", "people"),
        Column(
            "active",
            "integer",
            "Cohort members active in month cohort + months_since; empty when censored or suppressed.",
            "people",
        ),
        Column("retention", "number", "active / cohort_size; empty when censored or suppressed.", "fraction"),
        Column("suppressed", "boolean", "True when the cohort has fewer than k_min participants."),
    ),
    sort_key=("cohort", "months_since"),
    origin="build/dashboard/cohorts.py from queries/participant_activity.sql",
)

CAMPAIGN_RETENTION = Dataset(
    name="campaign_retention",
    title="Campaign retention of new editors",
    description=(
        "Per campaign and window k: of the campaign's new editors, how many edited again in the k-th 30-day "
        "window after the campaign's end. Censored windows (not yet over) are empty."
    ),
    columns=(
        Column("campaign", "string", "The campaign's slug."),
        Column("campaign_end", "date", "The campaign's end date E (derived from its programs when unset)."),
        Column(
            "months_after",
            "integer",
            "k: the window runs from E + 30(k-1) + 1 to E + 30k days, inclusive.",
            "months",
        ),
        Column("new_editors", "integer", "The campaign's new editors; empty when suppressed.", "people"),
        Column(
            "retained",
            "integer",
            "New editors with at least one edit in the window; empty when censored or suppressed.",
            "people",
        ),
        Column("retention", "number", "retained / new_editors; empty when censored or suppressed.", "fraction"),
        Column("suppressed", "boolean", "True when the campaign has fewer than k_min new editors."),
        Column(
            "stale",
            "boolean",
            "True when a wiki this campaign's edits are counted on could not be read in this build: "
            "the row keeps the values last published.",
        ),
        Column(
            "stale_wikis",
            "string",
            "When stale, the wikis that could not be read (replica database names, separated by '; '); "
            "empty otherwise.",
        ),
    ),
    sort_key=("campaign", "months_after"),
    origin=(
        "build/dashboard/cohorts.py from queries/campaigns.sql, campaign_new_editors.sql, campaign_wikis.sql, "
        "edit_days.sql"
    ),
)


def program_retention(participation: pd.DataFrame, as_of: dt.date, retention_months: int, k_min: int) -> Dataset:
    """The cohort triangle from (cohort, month, active) counts.

    A cohort of 10 seen in 2024-01 with 4 active in 2024-02 gives, for months_since 1,
    active 4 and retention 0.4; with as-of 2024-02-15 that cell is censored instead.
    """
    counts = {(row.cohort, row.month): int(row.active) for row in participation.itertuples(index=False)}
    first_censored = as_of_month_key(as_of)
    rows = []
    for cohort in sorted(set(participation["cohort"])):
        size = counts.get((cohort, cohort), 0)
        suppressed = size < k_min
        for months_since in range(retention_months + 1):
            month = month_key(cohort) + months_since
            censored = month >= first_censored
            active = None if censored else counts.get((cohort, month_text(month)), 0)
            rows.append(
                {
                    "cohort": cohort,
                    "months_since": months_since,
                    "cohort_size": None if suppressed else size,
                    "active": None if suppressed else active,
                    "retention": None if suppressed or active is None else active / size,
                    "suppressed": suppressed,
                }
            )
    return PROGRAM_RETENTION.with_frame(pd.DataFrame(rows, columns=PROGRAM_RETENTION.column_names))


def campaign_dbnames(campaign_wikis: pd.DataFrame, retention_wikis: list[str]) -> pd.DataFrame:
    """(campaign_id, wiki, problem) rows: the campaign's home wikis as replica names, or the configured ones.

    A `wikis` row that no rule maps (wikis.WikiNameError) keeps its row, with `wiki` the row's
    description (never a database name) and `problem` why; `problem` is missing for the others.
    """
    if retention_wikis:
        campaigns = campaign_wikis["campaign_id"].drop_duplicates()
        pairs = [(c, w, None) for c in campaigns for w in retention_wikis]
        frame = pd.DataFrame(pairs, columns=["campaign_id", "wiki", "problem"])
        return frame.astype({"wiki": "string", "problem": "string"})
    wikis, problems = [], []
    for language, project in zip(campaign_wikis["language"], campaign_wikis["project"], strict=True):
        language = None if pd.isna(language) else language
        project = None if pd.isna(project) else project
        try:
            wikis.append(wiki_dbname(language, project))
            problems.append(None)
        except WikiNameError as error:
            label = describe_wiki(language, project)
            wikis.append(label)
            problems.append(str(error).removeprefix(f"{label}: "))
    frame = pd.DataFrame(
        {
            "campaign_id": campaign_wikis["campaign_id"],
            "wiki": pd.Series(wikis, dtype="string", index=campaign_wikis.index),
            "problem": pd.Series(problems, dtype="string", index=campaign_wikis.index),
        }
    )
    return frame.drop_duplicates()


def unmapped_wikis(campaign_wikis: pd.DataFrame, retention_wikis: list[str]) -> dict[str, str]:
    """{description of a `wikis` row: why no replica database can be named for it}, e.g.
    {"wikis row (language 'xx!', project 'wikipedia')": "language 'xx!' is not a language code …"}."""
    pairs = campaign_dbnames(campaign_wikis, retention_wikis)
    unmapped = pairs[pairs["problem"].notna()]
    return dict(sorted(zip(unmapped["wiki"], unmapped["problem"], strict=True)))


def lookups(new_editors: pd.DataFrame, campaign_wikis: pd.DataFrame, retention_wikis: list[str]) -> pd.DataFrame:
    """(campaign_id, wiki, problem, user_id, username): each new editor to look up on each wiki."""
    return campaign_dbnames(campaign_wikis, retention_wikis).merge(
        new_editors[new_editors["username"].notna()], on="campaign_id"
    )


def edit_targets(
    new_editors: pd.DataFrame, campaign_wikis: pd.DataFrame, retention_wikis: list[str]
) -> dict[str, list[str]]:
    """Which usernames to look up on which replica: {dbname: sorted usernames} (unmapped rows left out)."""
    pairs = lookups(new_editors, campaign_wikis, retention_wikis)
    pairs = pairs[pairs["problem"].isna()]
    # Plain arrays: iterating pandas' strings one by one costs seconds for a million people.
    wikis, names = pairs["wiki"].to_numpy(dtype=object), pairs["username"].to_numpy(dtype=object)
    rows_by_wiki = pd.Series(np.arange(len(pairs))).groupby(wikis).indices
    return {wiki: sorted(set(names[rows].tolist())) for wiki, rows in sorted(rows_by_wiki.items())}


def campaign_needs(
    campaigns: pd.DataFrame, new_editors: pd.DataFrame, campaign_wikis: pd.DataFrame, retention_wikis: list[str]
) -> dict[str, set[str]]:
    """{campaign slug: the wikis its retention is counted on}, for campaigns with new editors to look
    up (a campaign without any does not need a replica: its numbers are 0 or suppressed)."""
    pairs = lookups(new_editors, campaign_wikis, retention_wikis)[["campaign_id", "wiki"]].drop_duplicates()
    slugs = dict(zip(campaigns["campaign_id"], campaigns["campaign"], strict=True))
    needs: dict[str, set[str]] = {}
    for campaign_id, wiki in zip(pairs["campaign_id"], pairs["wiki"], strict=True):
        if campaign_id in slugs:
            needs.setdefault(slugs[campaign_id], set()).add(wiki)
    return needs


def edit_period(campaigns: pd.DataFrame, windows: list[int], as_of: dt.date) -> dict[str, str]:
    """The replica timestamps bounding every retention window: `:edits_from` (inclusive) and
    `:edits_until` (exclusive), as 'YYYYMMDDHHMMSS'. Edits outside them cannot change any number,
    so the replicas need not send them. With end dates 2025-01-31 and 2025-03-31, windows [1, 3]
    and as-of 2026-01-01: from 20250201000000 until 20250630000000.
    """
    ends = [dt.date.fromisoformat(end) for end in campaigns["end_date"] if isinstance(end, str)]
    if not ends:
        return {"edits_from": _stamp(as_of), "edits_until": _stamp(as_of)}
    first = min(ends) + dt.timedelta(days=1)
    last = min(max(ends) + dt.timedelta(days=30 * max(windows) + 1), as_of)
    return {"edits_from": _stamp(first), "edits_until": _stamp(max(first, last))}


def _stamp(day: dt.date) -> str:
    return day.strftime("%Y%m%d") + "000000"


def campaign_retention(
    campaigns: pd.DataFrame,
    new_editors: pd.DataFrame,
    campaign_wikis: pd.DataFrame,
    edit_days: pd.DataFrame,
    *,
    as_of: dt.date,
    windows: list[int],
    k_min: int,
    retention_wikis: list[str],
) -> Dataset:
    """Retention of each campaign's new editors in 30-day windows after its end date.

    `campaigns`: campaign, campaign_id, end_date. `new_editors`: campaign_id, user_id, username.
    `campaign_wikis`: campaign_id, language, project. `edit_days`: wiki, username, edit_day (YYYYMMDD).
    """
    editors = new_editors.drop_duplicates(["campaign_id", "user_id"])
    sizes = editors.groupby("campaign_id")["user_id"].nunique()
    retained_in = _retained_counts(campaigns, editors, campaign_wikis, edit_days, retention_wikis)
    rows = []
    for campaign in campaigns.itertuples(index=False):
        size = int(sizes.get(campaign.campaign_id, 0))
        end = dt.date.fromisoformat(campaign.end_date) if isinstance(campaign.end_date, str) else None
        for k in windows:
            retained = None
            if end is not None and as_of > end + dt.timedelta(days=30 * k):  # the window has closed
                retained = retained_in.get((campaign.campaign_id, campaign.end_date, k), 0)
            rows.append(retention_row(campaign, k, size, retained, k_min))
    return CAMPAIGN_RETENTION.with_frame(pd.DataFrame(rows, columns=CAMPAIGN_RETENTION.column_names))


def _retained_counts(campaigns, editors, campaign_wikis, edit_days, retention_wikis) -> dict[tuple, int]:
    """{(campaign_id, end_date, k): how many of the campaign's new editors edited in window k}, where window k
    is days end + 30(k − 1) + 1 … end + 30k: a day `delta` days after the end is in window (delta − 1) // 30 + 1.
    One pass over every (campaign, editor, edit day), counted in whole days as the definition does."""
    ends = campaigns[["campaign_id", "end_date"]].drop_duplicates()
    dated = np.fromiter((isinstance(value, str) for value in ends["end_date"]), dtype=bool, count=len(ends))
    ends = ends[dated]  # a boolean array: an empty frame's mapped Series would select columns instead
    days = edit_days[["wiki", "username"]].assign(day=pd.to_datetime(edit_days["edit_day"], format="%Y%m%d"))
    edits = (
        campaign_dbnames(campaign_wikis, retention_wikis)
        .merge(editors[["campaign_id", "user_id", "username"]], on="campaign_id")
        .merge(days, on=["wiki", "username"])
        .merge(ends, on="campaign_id")
    )
    delta = (edits["day"] - pd.to_datetime(edits["end_date"], format="%Y-%m-%d")).dt.days.to_numpy()
    after = delta >= 1
    counted = pd.DataFrame(
        {
            "campaign_id": edits["campaign_id"].to_numpy()[after],
            "end_date": edits["end_date"].to_numpy(dtype=object)[after],
            "k": (delta[after] - 1) // 30 + 1,
            "user_id": edits["user_id"].to_numpy()[after],
        }
    )
    counts = counted.groupby(["campaign_id", "end_date", "k"])["user_id"].nunique()
    return {key: int(count) for key, count in counts.items()}


def retention_row(campaign, months_after: int, size: int, retained: int | None, k_min: int) -> dict:
    """One campaign_retention row (§2): a group under k_min publishes no number; `retained` None is censored."""
    suppressed = size < k_min
    return {
        "campaign": campaign.campaign,
        "campaign_end": campaign.end_date,
        "months_after": months_after,
        "new_editors": None if suppressed else size,
        "retained": None if suppressed else retained,
        "retention": None if suppressed or retained is None else retained / size,
        "suppressed": suppressed,
        "stale": False,
        "stale_wikis": None,
    }


@dataclass(frozen=True)
class StaleCampaigns:
    """Campaigns whose retention needs a wiki that could not be read, each with those wikis:
    `kept` keep their last published rows (marked stale), `left_out` were never published."""

    kept: dict[str, list[str]]
    left_out: dict[str, list[str]]

    def __bool__(self) -> bool:
        return bool(self.kept or self.left_out)

    def describe(self, failed_wikis: dict[str, str]) -> str:
        """One line for the build report: the failed wikis and why, then the campaigns they cost."""
        needed = sorted({wiki for wikis in (*self.kept.values(), *self.left_out.values()) for wiki in wikis})
        reasons = "; ".join(f"{wiki}: {failed_wikis[wiki]}" for wiki in needed)
        parts = [f"{len(needed)} wiki(s) could not be read ({reasons})"]
        if self.kept:
            parts.append("campaigns keeping their last published rows, marked stale: " + ", ".join(self.kept))
        if self.left_out:
            parts.append("campaigns left out, never published before: " + ", ".join(self.left_out))
        return "; ".join(parts) + ". Every other campaign is fresh."


def keep_last_published_campaigns(
    fresh: Dataset, previous: Dataset | None, needs: dict[str, set[str]], failed_wikis: dict[str, str]
) -> tuple[Dataset, StaleCampaigns]:
    """`fresh` campaign retention with each campaign that needs a failed wiki replaced by its last
    published rows (`previous`), marked stale and naming the wikis; one never published is left out.
    The Dataset is marked stale when any campaign is. Other campaigns keep their fresh rows."""
    failed = set(failed_wikis)
    failing = {slug: sorted(wikis & failed) for slug, wikis in sorted(needs.items()) if wikis & failed}
    if not failing:
        return fresh, StaleCampaigns({}, {})
    old = previous.frame if previous is not None else fresh.frame.iloc[0:0]
    old = old[old["campaign"].isin(list(failing))].copy()
    old["stale"] = True
    old["stale_wikis"] = pd.Series(["; ".join(failing[slug]) for slug in old["campaign"]], index=old.index)
    parts = [part for part in (fresh.frame[~fresh.frame["campaign"].isin(list(failing))], old) if len(part)]
    frame = pd.concat(parts, ignore_index=True) if parts else fresh.frame.iloc[0:0]
    kept = set(old["campaign"])
    stale = StaleCampaigns(
        kept={slug: wikis for slug, wikis in failing.items() if slug in kept},
        left_out={slug: wikis for slug, wikis in failing.items() if slug not in kept},
    )
    return replace(fresh.with_frame(frame), stale=True), stale
