"""Secondary suppression of campaigns: no published count may narrow a campaign's suppressed new editors.

What a reader can put together (each a relation in the `Ledger`, suppression_audit.py):

- a campaign's new editors include each of its programs' new editors (a floor), and with
  preregistration_days = 0 they are the union of them (their sum is a ceiling);
- a program's new editors registered in the months it ran (its dates are published), and
  `monthly_activity.new_editors` counts, per month, the union of every running program's new
  editors registered then: each program's share of a month is at most the month's count, and
  the shares add up to at least it;
- `system_totals.new_editors` is every month's count added up, the as-of month's included.

A program alone in its months is thus given back by the monthly counts, and through it the
campaign. Where a suppressed campaign's count can no longer be anything from 0 to k_min − 1 (or
its participants, if fewer), the fewest extra numbers are withheld: its programs' new editors,
then those of campaigns sharing its programs, those campaigns' own counts, the monthly new
editors of the months its programs ran, and as a last resort the system total of new editors.

Pure: frames in, a `Withheld` out; the same input gives the same output.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pandas as pd

from .metrics import month_key
from .suppression_audit import Ledger

log = logging.getLogger("almanac")

TRIALS = 6  # options tried per step when none is enough on its own: the nearest ones, to bound the time


@dataclass
class Withheld:
    """What the campaign audit hides: programs' new_editors, campaigns' counts, months' new_editors."""

    programs: set[str] = field(default_factory=set)
    campaigns: set[str] = field(default_factory=set)
    months: set[str] = field(default_factory=set)
    system: set[str] = field(default_factory=set)  # {"new_editors"} when system_totals' count is withheld

    def plus(self, kind: str, name: str) -> Withheld:
        grown = Withheld(set(self.programs), set(self.campaigns), set(self.months), set(self.system))
        getattr(grown, kind).add(name)
        return grown


@dataclass
class Registrations:
    """The monthly side: monthly_activity.new_editors, the system total and the as-of month (optional)."""

    monthly: dict[str, int]  # month → published new editors
    system: int | None  # system_totals.new_editors
    as_of_month: str  # the first month not in monthly_activity


class CampaignAudit:
    """The campaign ↔ program ↔ month relations and the values published in them."""

    def __init__(self, campaigns, links, courses, k_min: int, union_bound: bool, registrations=None):
        self.union_bound, self.k_min, self.registrations = union_bound, k_min, registrations
        self.members = {c: sorted(set(group["course_slug"])) for c, group in links.groupby("campaign", sort=True)}
        self.editors = dict(zip(courses["course_slug"], courses["editors"].fillna(0).astype(int), strict=True))
        self.program_values = dict(zip(courses["course_slug"], courses["new_editors"], strict=True))
        self.campaign_values = dict(zip(campaigns["campaign"], campaigns["new_editors"], strict=True))
        self.participants = dict(
            zip(campaigns["campaign"], campaigns["participants"].fillna(0).astype(int), strict=True)
        )
        self.protected = sorted(c for c, v in self.campaign_values.items() if pd.isna(v) and c in self.members)
        self.months = _program_months(courses, registrations.as_of_month) if registrations else {}

    def box(self, campaign: str) -> tuple[int, int]:
        """What suppression itself reveals: 0 … k_min − 1, never more than the campaign's participants."""
        return 0, min(self.k_min - 1, self.participants.get(campaign, 0))

    def ledger(self, withheld: Withheld) -> Ledger:
        ledger = Ledger()
        for slug, value in self.program_values.items():
            hidden = pd.isna(value) or slug in withheld.programs
            low, high = (0, self.editors.get(slug, 0)) if hidden else (int(value), int(value))
            ledger.unknown(("program", slug), low, high)
        for campaign, value in self.campaign_values.items():
            hidden = pd.isna(value) or campaign in withheld.campaigns
            low, high = (0, self.participants.get(campaign, 0)) if hidden else (int(value), int(value))
            ledger.unknown(("campaign", campaign), low, high)
        for campaign, slugs in self.members.items():
            slugs = [s for s in slugs if s in self.program_values]
            for slug in slugs:  # each program's new editors are some of the campaign's
                ledger.relate({("campaign", campaign): 1, ("program", slug): -1}, low=0)
            if self.union_bound and slugs and campaign in self.campaign_values:  # … and all of them
                ledger.relate({("campaign", campaign): -1, **{("program", s): 1 for s in slugs}}, low=0)
        if self.registrations is not None:
            self._relate_months(ledger, withheld)
        return ledger

    def _relate_months(self, ledger: Ledger, withheld: Withheld) -> None:
        """Each program's new editors split over the months it ran; each month's count is their union."""
        shares: dict[str, list] = {}
        for slug, months in self.months.items():
            keys = [ledger.unknown(("share", slug, m), 0, self.editors.get(slug, 0)) for m in months]
            ledger.relate({**{k: 1 for k in keys}, ("program", slug): -1}, 0, 0)
            for key in keys:
                shares.setdefault(key[2], []).append(key)
        registrations, totals = self.registrations, {}
        for month in sorted(set(registrations.monthly) | {registrations.as_of_month}):
            value = registrations.monthly.get(month)
            hidden = value is None or month in withheld.months or month == registrations.as_of_month
            low, high = (0, sum(self.editors.values())) if hidden else (value, value)
            totals[month] = ledger.unknown(("month", month), low, high)
            for key in shares.get(month, []):
                ledger.relate({key: 1, totals[month]: -1}, high=0)
            ledger.relate({**{k: 1 for k in shares.get(month, [])}, totals[month]: -1}, low=0)
        if registrations.system is not None and not withheld.system:
            ledger.relate({key: 1 for key in totals.values()}, registrations.system, registrations.system)

    def reach(self, withheld: Withheld, campaign: str) -> tuple[int, int] | None:
        return self.ledger(withheld).range_of(("campaign", campaign))

    def shortfall(self, withheld: Withheld, campaigns=None) -> dict[str, int]:
        """For each protected campaign whose reachable range is narrower than its box: by how much."""
        ledger, gaps = self.ledger(withheld), {}
        for campaign in self.protected if campaigns is None else campaigns:
            low, high = self.box(campaign)
            reach = ledger.range_of(("campaign", campaign)) or (high + 1, low - 1)
            gap = max(0, reach[0] - low) + max(0, high - reach[1])
            if gap:
                gaps[campaign] = gap
        return gaps


def _program_months(courses: pd.DataFrame, as_of_month: str) -> dict[str, list[str]]:
    """Each dated program's months from its start to its end, at most to the as-of month."""
    last, result = month_key(as_of_month), {}
    for slug, start, end in zip(courses["course_slug"], courses["start_date"], courses["end_date"], strict=True):
        if isinstance(start, str) and isinstance(end, str):
            keys = range(month_key(start[:7]), min(month_key(end[:7]), last) + 1)
            result[slug] = [f"{k // 12:04d}-{k % 12 + 1:02d}" for k in keys]
    return result


def protect_campaigns(campaigns, links, courses, *, k_min: int, union_bound: bool, registrations=None) -> Withheld:
    """The programs' new_editors, campaigns' counts and months' new_editors to withhold so every
    suppressed campaign's new editors can still be anything from 0 to k_min − 1 (or its participants).

    First every program of a suppressed campaign with a published value ≥ 1 (each would raise the
    floor on its own); then, while a campaign's range is still narrow, the first value in `_options`
    order that is enough on its own, else the one of the first TRIALS that widens the range most.
    """
    audit = CampaignAudit(campaigns, links, courses, k_min, union_bound, registrations)
    withheld = Withheld()
    for campaign in audit.protected:
        for slug in audit.members[campaign]:
            value = audit.program_values.get(slug)
            if value is not None and not pd.isna(value) and value >= 1:
                withheld.programs.add(slug)
    for campaign in sorted(audit.shortfall(withheld)):
        short = audit.shortfall(withheld, [campaign]).get(campaign, 0)
        while short:
            options = _options(audit, campaign, withheld)
            if not options:
                log.warning("  secondary suppression: nothing left to withhold for campaign %s", campaign)
                break
            trials = []
            for number, option in enumerate(options[:TRIALS]):
                trial = withheld.plus(*option)
                gap = audit.shortfall(trial, [campaign]).get(campaign, 0)
                trials.append((gap, number, trial))
                if not gap:
                    break
            short, chosen, withheld = min(trials, key=lambda t: t[:2])
            log.info("  secondary suppression for campaign %s: %s %s withheld", campaign, *options[chosen])
    return withheld


def _options(audit: CampaignAudit, campaign: str, withheld: Withheld) -> list[tuple[str, str]]:
    """Published values that bear on `campaign`, nearest first: its programs, programs and counts of
    campaigns sharing its programs, then the monthly new editors of the months its programs ran."""

    def published(slug):
        value = audit.program_values.get(slug)
        return slug not in withheld.programs and value is not None and not pd.isna(value)

    own = sorted((s for s in audit.members[campaign] if published(s)), key=lambda s: (-audit.editors.get(s, 0), s))
    slugs = set(audit.members[campaign])
    neighbours = sorted(c for c, m in audit.members.items() if c != campaign and slugs & set(m))
    further = sorted({s for c in neighbours for s in audit.members[c] if published(s)} - set(own))
    totals = [c for c in neighbours if c not in withheld.campaigns and not pd.isna(audit.campaign_values.get(c))]
    months, system = [], []
    if audit.registrations is not None:
        ran = sorted({m for s in audit.members[campaign] for m in audit.months.get(s, [])})
        months = [("months", m) for m in ran if m in audit.registrations.monthly and m not in withheld.months]
        if audit.registrations.system is not None and not withheld.system:
            system = [("system", "new_editors")]  # the months add up to it: one withheld month alone comes back
    return [("programs", s) for s in own + further] + [("campaigns", c) for c in totals] + months + system
