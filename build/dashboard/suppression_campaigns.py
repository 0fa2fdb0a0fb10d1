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

At the Dashboard's scale the whole ledger has some 76,000 unknowns, so each campaign's search runs
on a relaxation around it (the campaigns sharing its programs, their programs and months, with
everything else in a month as one unknown): a campaign narrowed there is narrowed on the whole
ledger too. One pass on the whole ledger then confirms every campaign free, and only a campaign it
finds narrowed is searched again on every relation.

Pure: frames in, a `Withheld` out; the same input gives the same output.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pandas as pd

from .metrics import month_key
from .suppression_audit import Ledger, narrowed

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
        self.campaigns_of: dict[str, list[str]] = {}
        for campaign, slugs in self.members.items():
            for slug in slugs:
                self.campaigns_of.setdefault(slug, []).append(campaign)
        self.ceilings: dict[str, int] = {}  # month → Σ new editors' ceilings of the programs that ran in it
        for slug, months in self.months.items():
            for month in months:
                self.ceilings[month] = self.ceilings.get(month, 0) + self._ceiling(slug, Withheld())

    def box(self, campaign: str) -> tuple[int, int]:
        """What suppression itself reveals: 0 … k_min − 1, never more than the campaign's participants."""
        return 0, min(self.k_min - 1, self.participants.get(campaign, 0))

    def ledger(self, withheld: Withheld, near: str | None = None) -> Ledger:
        """Every relation a reader has; with `near`, a relaxation around that campaign (`_near`)."""
        ledger = Ledger()
        campaigns, programs = (self.campaign_values, self.program_values) if near is None else self._near(near)
        for slug in programs:
            value = self.program_values[slug]
            hidden = pd.isna(value) or slug in withheld.programs
            low, high = (0, self.editors.get(slug, 0)) if hidden else (int(value), int(value))
            ledger.unknown(("program", slug), low, high)
        for campaign in campaigns:
            value = self.campaign_values[campaign]
            hidden = pd.isna(value) or campaign in withheld.campaigns
            low, high = (0, self.participants.get(campaign, 0)) if hidden else (int(value), int(value))
            ledger.unknown(("campaign", campaign), low, high)
        for campaign in campaigns:
            slugs = [s for s in self.members.get(campaign, []) if s in self.program_values]
            for slug in slugs:  # each program's new editors are some of the campaign's
                ledger.relate({("campaign", campaign): 1, ("program", slug): -1}, low=0)
            if self.union_bound and slugs:  # … and all of them
                ledger.relate({("campaign", campaign): -1, **{("program", s): 1 for s in slugs}}, low=0)
        if self.registrations is not None:
            self._relate_months(ledger, withheld, programs)
        return ledger

    def _near(self, campaign: str) -> tuple[list[str], list[str]]:
        """The campaign and those sharing a program with it, and all their programs."""
        programs = [s for s in self.members.get(campaign, []) if s in self.program_values]
        campaigns = sorted({campaign} | {c for s in programs for c in self.campaigns_of.get(s, [])})
        slugs = sorted({s for c in campaigns for s in self.members.get(c, []) if s in self.program_values})
        return [c for c in campaigns if c in self.campaign_values], slugs

    def _ceiling(self, slug: str, withheld: Withheld) -> int:
        value = self.program_values[slug]
        return self.editors.get(slug, 0) if pd.isna(value) or slug in withheld.programs else int(value)

    def _left_out(self, included: set[str], withheld: Withheld) -> dict[str, int]:
        """Month → Σ new editors' ceilings of the programs that ran in it and are not `included`."""
        ceilings, published = dict(self.ceilings), Withheld()
        for slug in included:
            for month in self.months.get(slug, []):
                ceilings[month] -= self._ceiling(slug, published)
        for slug in withheld.programs - included:  # a withheld value's ceiling is its editors again
            for month in self.months.get(slug, []):
                ceilings[month] += self._ceiling(slug, withheld) - self._ceiling(slug, published)
        return ceilings

    def _relate_months(self, ledger: Ledger, withheld: Withheld, programs) -> None:
        """Each program's new editors split over the months it ran; each month's count is their union.

        For the programs left out of a local ledger, a month holds one unknown for all their shares
        (0 … their new editors' ceilings), and the months left out one for all their counts: any
        reader's solution gives values to those, so the local ranges can only be wider.
        """
        included = set(programs)
        shares: dict[str, list] = {}
        for slug in programs:
            months = self.months.get(slug, [])
            keys = [ledger.unknown(("share", slug, m), 0, self.editors.get(slug, 0)) for m in months]
            ledger.relate({**{k: 1 for k in keys}, ("program", slug): -1}, 0, 0)
            for key in keys:
                shares.setdefault(key[2], []).append(key)
        registrations, local = self.registrations, len(included) < len(self.program_values)
        ceilings = self._left_out(included, withheld) if local else {}
        everyone = sum(self.editors.values())
        bounds, totals = {}, {}
        for month in sorted(set(registrations.monthly) | {registrations.as_of_month}):
            value = registrations.monthly.get(month)
            hidden = value is None or month in withheld.months or month == registrations.as_of_month
            bounds[month] = (0, everyone) if hidden else (value, value)
        for month, (low, high) in bounds.items():
            if local and month not in shares:
                continue
            totals[month] = ledger.unknown(("month", month), low, high)
            terms = {key: 1 for key in shares.get(month, [])}
            for key in terms:
                ledger.relate({key: 1, totals[month]: -1}, high=0)
            if local:
                terms[ledger.unknown(("others", month), 0, ceilings[month])] = 1
            ledger.relate({**terms, totals[month]: -1}, low=0)
        if registrations.system is not None and not withheld.system:
            terms = {key: 1 for key in totals.values()}
            if local:
                rest = [bounds[m] for m in bounds if m not in totals]
                terms[ledger.unknown(("months", "others"), sum(b[0] for b in rest), sum(b[1] for b in rest))] = 1
            ledger.relate(terms, registrations.system, registrations.system)

    def shortfall(self, withheld: Withheld, campaigns=None, near: str | None = None) -> dict[str, int]:
        """For each protected campaign whose reachable range is narrower than its box: by how much.

        With `near`, on the relaxation around that campaign: a campaign short there is short on the
        whole ledger too (it only has more relations), not the other way round.
        """
        ledger = self.ledger(withheld, near)
        boxes = {("campaign", c): self.box(c) for c in (self.protected if campaigns is None else campaigns)}
        gaps = {}
        for (_, campaign), (reach, (low, high)) in narrowed(ledger, boxes).items():
            reach = reach or (high + 1, low - 1)
            gaps[campaign] = max(0, reach[0] - low) + max(0, high - reach[1])
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
    for campaign in audit.protected:  # near each campaign first (fast), …
        withheld = _protect_campaign(audit, withheld, campaign, near=campaign)
    for campaign in sorted(audit.shortfall(withheld)):  # … then on every relation (sure)
        withheld = _protect_campaign(audit, withheld, campaign, near=None)
    return withheld


def _protect_campaign(audit: CampaignAudit, withheld: Withheld, campaign: str, near: str | None) -> Withheld:
    """`withheld` and what else keeps `campaign` free: while its range is narrow, the first value in
    `_options` order that is enough on its own, else the one of the first TRIALS that widens it most."""
    short = audit.shortfall(withheld, [campaign], near).get(campaign, 0)
    while short:
        options = _options(audit, campaign, withheld)
        if not options:
            log.warning("  secondary suppression: nothing left to withhold for campaign %s", campaign)
            break
        trials = []
        for number, option in enumerate(options[:TRIALS]):
            trial = withheld.plus(*option)
            gap = audit.shortfall(trial, [campaign], near).get(campaign, 0)
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
