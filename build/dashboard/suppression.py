"""Secondary suppression: no published total may give a suppressed group back.

Primary suppression (cohorts.py, queries/campaigns.sql) leaves a group of fewer than k_min
people empty. Two published totals could still recover it by subtraction:

1. a month's `monthly_activity.active_participants` is the sum over every cohort of its
   people active that month, so the total minus the published cohorts' `active` gives
   what the suppressed cohorts hold;
2. a campaign's new editors are the union of its programs' new editors, so each program's
   published `courses.new_editors` is a lower bound of the campaign's count (and with
   preregistration_days = 0 their sum is an upper bound).

This stage audits both the way statistical offices do (interval audit, then complementary
suppression) and hides the fewest extra numbers it can so that every suppressed value can
still be anything in its box: a cohort's size 1 … k_min − 1, its active counts
0 … k_min − 1, a campaign's new editors 0 … k_min − 1 (at most its published participants).

- Months: a month whose equation leaves too little room gets complementary cells: published
  cells (months_since ≥ 1) of other cohorts that month, published as `suppressed = true`
  with `active` and `retention` empty. Only when no such cell is enough is the month's
  `active_participants` itself left empty.
- Campaigns: programs' `new_editors` are left empty where they would narrow a suppressed
  campaign's count (a program in several campaigns is empty everywhere); only when that is
  not enough is another campaign's new-editor count withheld too.

Datasets in, Datasets out, no I/O; the same input gives the same output.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import pandas as pd

from build.datasets import Dataset

from .metrics import month_key, month_text

log = logging.getLogger("almanac")

# The datasets this stage reads and may change (names from the queries and derivations).
MONTHLY, RETENTION, PARTICIPATION = "monthly_activity", "program_retention", "participant_activity"
CAMPAIGNS, CAMPAIGN_COURSES, COURSES = "campaigns", "campaign_courses", "courses"
CAMPAIGN_RETENTION, CAMPAIGN_ACTIVITY = "campaign_retention", "campaign_activity"

# Sentences added to the published column descriptions, so the downloads say what an empty value means.
NOTES = {
    (RETENTION, "suppressed"): "Also true for a cell withheld by secondary suppression (see the methodology page).",
    (MONTHLY, "active_participants"): (
        "Empty when withheld by secondary suppression: it would give back a suppressed cohort."
    ),
    (COURSES, "new_editors"): (
        "Empty when withheld by secondary suppression: it would narrow down a campaign's suppressed new editors."
    ),
    (CAMPAIGNS, "new_editors"): "Also empty when withheld by secondary suppression.",
    (CAMPAIGN_RETENTION, "suppressed"): "Also true when withheld by secondary suppression.",
    (CAMPAIGN_ACTIVITY, "active_participants"): (
        "Empty when withheld by secondary suppression: the month's total is withheld, and this count "
        "would bound it from below."
    ),
}


def protect(datasets: dict[str, Dataset], *, k_min: int, preregistration_days: int) -> dict[str, Dataset]:
    """The datasets secondary suppression changes, keyed by name (the others need nothing).

    Each part runs when its datasets are present; the month audit also needs the fresh
    participant_activity input, whose unpublished cells it counts on.
    """
    changed: dict[str, Dataset] = {}
    if all(name in datasets for name in (MONTHLY, RETENTION)):
        participation = datasets.get(PARTICIPATION)
        if participation is None or participation.stale:
            log.warning("Secondary suppression of months skipped: %s is missing or stale.", PARTICIPATION)
        else:
            retention, monthly = protect_months(
                datasets[RETENTION].frame, datasets[MONTHLY].frame, participation.frame, k_min
            )
            changed[RETENTION] = _annotated(datasets[RETENTION], retention)
            changed[MONTHLY] = _annotated(datasets[MONTHLY], monthly)
            if CAMPAIGN_ACTIVITY in datasets:
                floors = total_floors(retention, monthly, k_min)
                rows = withhold_campaign_activity(datasets[CAMPAIGN_ACTIVITY].frame, floors)
                changed[CAMPAIGN_ACTIVITY] = _annotated(datasets[CAMPAIGN_ACTIVITY], rows)
    if all(name in datasets for name in (CAMPAIGNS, CAMPAIGN_COURSES, COURSES)):
        withheld = protect_campaigns(
            datasets[CAMPAIGNS].frame,
            datasets[CAMPAIGN_COURSES].frame,
            datasets[COURSES].frame,
            k_min=k_min,
            union_bound=preregistration_days == 0,
        )
        changed[COURSES] = _annotated(datasets[COURSES], withhold_programs(datasets[COURSES].frame, withheld.programs))
        campaigns = withhold_campaign_totals(datasets[CAMPAIGNS].frame, withheld.campaigns)
        changed[CAMPAIGNS] = _annotated(datasets[CAMPAIGNS], campaigns)
        if CAMPAIGN_RETENTION in datasets:
            rows = withhold_campaign_retention(datasets[CAMPAIGN_RETENTION].frame, withheld.campaigns)
            changed[CAMPAIGN_RETENTION] = _annotated(datasets[CAMPAIGN_RETENTION], rows)
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


# --- months: active_participants(m) = Σ over cohorts c ≤ m of active(c, m) ----------------------


@dataclass
class MonthAudit:
    """One month's equation: how far the hidden cells can move up and down, and how far they must."""

    month: str
    room_up: int = 0  # Σ (box top − true value) over hidden cells of published cohorts
    room_down: int = 0  # Σ (true value − box bottom) over the same cells
    need_up: int = 0
    need_down: int = 0

    def short(self) -> tuple[int, int]:
        return max(0, self.need_up - self.room_up), max(0, self.need_down - self.room_down)


def protect_months(
    retention: pd.DataFrame, monthly: pd.DataFrame, participation: pd.DataFrame, k_min: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """program_retention and monthly_activity rows with complementary cells or totals withheld.

    A suppressed cohort's value can be anything in its box when, in every month's equation,
    the hidden cells of published cohorts (cells past retention_months, which are never
    published, and complementary cells, each between 0 and its cohort's published size) can
    absorb the change: moving the cohort's size from its true value to 1 or to k_min − 1,
    and each of its published-range cells to 0 or to k_min − 1. Cells of different months are
    different unknowns, so month by month is enough.
    """
    true = {(row.cohort, row.month): int(row.active) for row in participation.itertuples(index=False)}
    first_rows = retention[retention["months_since"] == 0]
    suppressed = set(first_rows.loc[first_rows["suppressed"].astype(bool), "cohort"])
    sizes = {c: true.get((c, c), 0) for c in first_rows["cohort"]}
    horizon = int(retention["months_since"].max()) if len(retention) else 0
    published = retention[retention["active"].notna() & ~retention["suppressed"].astype(bool)]
    candidates_by_month = _candidates(published)
    retention, monthly = retention.copy(), monthly.copy()
    for index, row in monthly.iterrows():
        if pd.isna(row["active_participants"]):
            continue
        audit = audit_month(row["month"], sizes, suppressed, true, horizon, k_min)
        chosen = choose_complements(audit, candidates_by_month.get(row["month"], []))
        if chosen is None:
            monthly.loc[index, "active_participants"] = pd.NA
            log.info("  secondary suppression: active participants of %s withheld", row["month"])
            continue
        for cohort, months_since in chosen:
            hit = (retention["cohort"] == cohort) & (retention["months_since"] == months_since)
            retention.loc[hit, ["active", "retention"]] = pd.NA
            retention.loc[hit, "suppressed"] = True
    return retention, monthly


def total_floors(retention: pd.DataFrame, monthly: pd.DataFrame, k_min: int) -> dict[str, int]:
    """For each month whose total is withheld: the largest lower bound on that total (a campaign's
    active participants that month is one) that still narrows no suppressed cell, from the
    published rows alone. A bound B on Σ cells leaves cell i at least B − published − Σ others' tops.
    """
    first = retention[retention["months_since"] == 0]
    sizes = dict(zip(first["cohort"], first["cohort_size"], strict=True))
    cells = {(r.cohort, int(r.months_since)): r.active for r in retention.itertuples(index=False)}
    horizon = int(retention["months_since"].max()) if len(retention) else 0
    floors = {}
    for month in monthly.loc[monthly["active_participants"].isna(), "month"]:
        published, tops, lows = 0, [], []  # lows: box bottoms of the protected cells
        for cohort, size in sizes.items():
            since = month_key(month) - month_key(cohort)
            if since < 0:
                continue
            value = cells.get((cohort, since)) if since <= horizon else None
            if value is not None and not pd.isna(value):
                published += int(value)
            elif pd.isna(size):  # a suppressed cohort's cell; its box bottom matters in published range
                tops.append(k_min - 1)
                if since <= horizon:
                    lows.append(1 if since == 0 else 0)
            else:
                tops.append(int(size))
        # Cell i's bound: floor − published − (Σ tops − top_i) ≤ low_i; every protected top is k_min − 1.
        limits = [low + published + sum(tops) - (k_min - 1) for low in lows]
        floors[month] = min(limits) if limits else published + sum(tops)
    return floors


def withhold_campaign_activity(rows: pd.DataFrame, floors: dict[str, int]) -> pd.DataFrame:
    """Campaign active participants above their month's floor are withheld (they would bound the total)."""
    frame = rows.copy()
    limit = frame["month"].map(floors)
    frame.loc[limit.notna() & (frame["active_participants"] > limit), "active_participants"] = pd.NA
    return frame


def audit_month(
    month: str, sizes: dict[str, int], suppressed: set[str], true: dict, horizon: int, k_min: int
) -> MonthAudit:
    """The room the month's never-published cells give, and the room its suppressed cohorts need."""
    audit = MonthAudit(month)
    key = month_key(month)
    for cohort, size in sizes.items():
        since = key - month_key(cohort)
        if since < 0:
            continue
        value = true.get((cohort, month), 0)
        if cohort not in suppressed:
            if since > horizon:  # never published: anything from 0 to the cohort's size
                audit.room_up += size - value
                audit.room_down += value
            continue
        if since == 0:  # the cohort's size: 1 … k_min − 1
            up, down = value - 1, k_min - 1 - value
        elif since <= horizon:  # a suppressed cell: 0 … k_min − 1
            up, down = value, k_min - 1 - value
        else:  # never published, but must allow the size to be 1
            up, down = value - 1, 0
        audit.need_up, audit.need_down = max(audit.need_up, up), max(audit.need_down, down)
    return audit


@dataclass(frozen=True)
class Candidate:
    """A published cell that could be withheld: it adds (size − active) room up and active room down."""

    cohort: str
    months_since: int
    size: int
    active: int


def _candidates(published: pd.DataFrame) -> dict[str, list[Candidate]]:
    """Published cells with months_since ≥ 1 by calendar month (months_since 0 is the published size)."""
    result: dict[str, list[Candidate]] = {}
    for row in published[published["months_since"] >= 1].itertuples(index=False):
        month = month_text(month_key(row.cohort) + int(row.months_since))
        cell = Candidate(row.cohort, int(row.months_since), int(row.cohort_size), int(row.active))
        result.setdefault(month, []).append(cell)
    return result


def choose_complements(audit: MonthAudit, candidates: list[Candidate]) -> list[tuple[str, int]] | None:
    """The cells to withhold so the month has the room it needs; None when no cells would do.

    Greedy and deterministic: the smallest cell that covers what is still short on its own,
    else the cell that covers most of it (the wider box on a tie), until nothing is short.
    """
    short_up, short_down = audit.short()
    if not short_up and not short_down:
        return []
    left = sorted(candidates, key=lambda c: (c.size, c.cohort))
    if sum(c.size - c.active for c in left) < short_up or sum(c.active for c in left) < short_down:
        return None
    chosen = []
    while short_up > 0 or short_down > 0:
        covering = [c for c in left if c.size - c.active >= short_up and c.active >= short_down]
        pick = covering[0] if covering else max(left, key=lambda c: (_covers(c, short_up, short_down), c.size))
        left.remove(pick)
        chosen.append((pick.cohort, pick.months_since))
        short_up, short_down = max(0, short_up - (pick.size - pick.active)), max(0, short_down - pick.active)
    return sorted(chosen)


def _covers(cell: Candidate, short_up: int, short_down: int) -> int:
    return min(cell.size - cell.active, short_up) + min(cell.active, short_down)


# --- campaigns: max(programs' new editors) ≤ campaign's ≤ Σ programs' new editors ------------------


@dataclass
class Withheld:
    """What the campaign audit hides: programs' new_editors and (rarely) other campaigns' counts."""

    programs: set[str] = field(default_factory=set)
    campaigns: set[str] = field(default_factory=set)


@dataclass
class CampaignBounds:
    """What a reader can tell from the published numbers: a [low, high] range for each count."""

    campaigns: dict[str, list[int]]
    programs: dict[str, list[int]]


class CampaignAudit:
    """The campaign ↔ program relations and the values published in them.

    A campaign's new editors include each of its programs' new editors, so each published
    program value is a lower bound of the campaign's count; with `union_bound` (the campaign
    counts no one a program does not: preregistration_days = 0) their sum is an upper bound.
    """

    def __init__(self, campaigns: pd.DataFrame, links: pd.DataFrame, courses: pd.DataFrame, k_min: int, union_bound):
        self.union_bound = union_bound
        self.members = {c: sorted(set(group["course_slug"])) for c, group in links.groupby("campaign", sort=True)}
        self.editors = dict(zip(courses["course_slug"], courses["editors"].fillna(0).astype(int), strict=True))
        self.program_values = dict(zip(courses["course_slug"], courses["new_editors"], strict=True))
        self.campaign_values = dict(zip(campaigns["campaign"], campaigns["new_editors"], strict=True))
        participants = dict(zip(campaigns["campaign"], campaigns["participants"].fillna(0).astype(int), strict=True))
        self.protected = sorted(c for c, v in self.campaign_values.items() if pd.isna(v) and c in self.members)
        # What suppression itself reveals: 0 … k_min − 1, and never more than the campaign's participants.
        self.box_top = {c: min(k_min - 1, participants.get(c, 0)) for c in self.campaign_values}
        self.participants = participants

    def bounds(self, withheld: Withheld) -> CampaignBounds:
        """Propagate the relations until no range narrows (each step only narrows, so it stops)."""
        programs = {}
        for slug, value in self.program_values.items():
            hidden = pd.isna(value) or slug in withheld.programs
            programs[slug] = [0, self.editors.get(slug, 0)] if hidden else [int(value), int(value)]
        campaigns = {}
        for campaign, value in self.campaign_values.items():
            if campaign in withheld.campaigns:
                campaigns[campaign] = [0, self.participants.get(campaign, 0)]
            elif pd.isna(value):
                campaigns[campaign] = [0, self.box_top[campaign]]
            else:
                campaigns[campaign] = [int(value), int(value)]
        changed = True
        while changed:
            changed = False
            for campaign, slugs in self.members.items():
                changed |= self._narrow(campaigns[campaign], [programs[s] for s in slugs if s in programs])
        return CampaignBounds(campaigns, programs)

    def _narrow(self, total: list[int], parts: list[list[int]]) -> bool:
        before = [total[:], *(p[:] for p in parts)]
        total[0] = max([total[0], *(p[0] for p in parts)])
        for part in parts:
            part[1] = min(part[1], total[1])
        if self.union_bound and parts:
            tops = sum(p[1] for p in parts)
            total[1] = min(total[1], tops)
            for part in parts:
                part[0] = max(part[0], total[0] - (tops - part[1]))
        return before != [total, *parts]

    def shortfall(self, withheld: Withheld) -> dict[str, int]:
        """For each protected campaign whose range is narrower than its box: by how much."""
        ranges = self.bounds(withheld).campaigns
        gaps = {c: ranges[c][0] + max(0, self.box_top[c] - ranges[c][1]) for c in self.protected}
        return {c: gap for c, gap in gaps.items() if gap > 0}


def protect_campaigns(
    campaigns: pd.DataFrame, links: pd.DataFrame, courses: pd.DataFrame, *, k_min: int, union_bound: bool
) -> Withheld:
    """The programs' new_editors (and campaigns' counts) to withhold so every suppressed campaign's
    new editors can still be anything from 0 to k_min − 1 (or its participants, if fewer).

    First every program of a suppressed campaign with a published value ≥ 1 (each would raise the
    lower bound on its own); then, while a campaign's range is still narrow, one more value at a
    time, the one that widens it most: the campaign's other programs (a published 0 can pin the
    upper bound), then programs and counts of the campaigns sharing its programs.
    """
    audit = CampaignAudit(campaigns, links, courses, k_min, union_bound)
    withheld = Withheld()
    for campaign in audit.protected:
        for slug in audit.members[campaign]:
            value = audit.program_values.get(slug)
            if value is not None and not pd.isna(value) and value >= 1:
                withheld.programs.add(slug)
    short = audit.shortfall(withheld)
    while short:
        campaign = min(short)
        options = _options(audit, campaign, withheld)
        if not options:
            log.warning("  secondary suppression: nothing left to withhold for campaign %s", campaign)
            break
        trials = [(_with(withheld, option), option) for option in options]
        best, option = min(trials, key=lambda t: (audit.shortfall(t[0]).get(campaign, 0), options.index(t[1])))
        withheld = best
        log.info("  secondary suppression for campaign %s: %s %s withheld", campaign, *option)
        short = audit.shortfall(withheld)
    return withheld


def _options(audit: CampaignAudit, campaign: str, withheld: Withheld) -> list[tuple[str, str]]:
    """Published values that bear on `campaign`, nearest first: ("program", slug) or ("campaign", slug)."""

    def published(slug):
        value = audit.program_values.get(slug)
        return slug not in withheld.programs and value is not None and not pd.isna(value)

    own = sorted((s for s in audit.members[campaign] if published(s)), key=lambda s: (-audit.editors.get(s, 0), s))
    slugs = set(audit.members[campaign])
    neighbours = sorted(c for c, m in audit.members.items() if c != campaign and slugs & set(m))
    further = sorted({s for c in neighbours for s in audit.members[c] if published(s)} - set(own))
    totals = [c for c in neighbours if c not in withheld.campaigns and not pd.isna(audit.campaign_values.get(c))]
    return [("program", s) for s in own + further] + [("campaign", c) for c in totals]


def _with(withheld: Withheld, option: tuple[str, str]) -> Withheld:
    kind, name = option
    if kind == "program":
        return Withheld(withheld.programs | {name}, set(withheld.campaigns))
    return Withheld(set(withheld.programs), withheld.campaigns | {name})


def withhold_programs(courses: pd.DataFrame, slugs: set[str]) -> pd.DataFrame:
    frame = courses.copy()
    frame.loc[frame["course_slug"].isin(sorted(slugs)), "new_editors"] = pd.NA
    return frame


def withhold_campaign_totals(campaigns: pd.DataFrame, names: set[str]) -> pd.DataFrame:
    frame = campaigns.copy()
    frame.loc[frame["campaign"].isin(sorted(names)), "new_editors"] = pd.NA
    return frame


def withhold_campaign_retention(rows: pd.DataFrame, names: set[str]) -> pd.DataFrame:
    """A withheld campaign count takes its retained counts and rates along (they would give it back)."""
    frame = rows.copy()
    hit = frame["campaign"].isin(sorted(names))
    frame.loc[hit, ["new_editors", "retained", "retention"]] = pd.NA
    frame.loc[hit, "suppressed"] = True
    return frame
