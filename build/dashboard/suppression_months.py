"""Secondary suppression of months: no month's totals may narrow a suppressed cohort.

A month's `monthly_activity.active_participants` is the sum over every cohort of its people
active that month. A reader who subtracts the published cohorts' cells learns what the
suppressed cohorts hold, and a reader who knows what bounds a withheld total (its edits, the
campaigns' counts that month, the participants and edits of the programs running then) learns
nearly as much. This module writes what the reader knows as a `Ledger` (suppression_audit.py)
and, where a suppressed value can no longer be anything in its box, withholds the fewest extra
numbers it can: first other cohorts' cells in that month (published as suppressed), and only when
no cells are enough the month's total, which takes every number that bounds it along (its edits
and characters added, and the campaigns' rows that month).

The box of a suppressed cohort (what suppression itself reveals): its size 1 … k_min − 1, each
of its published-range cells 0 … k_min − 1, never more than the month's capacity (the
people who can have been active that month: none in a month in which no program ran, which the
programs' published dates tell anyone).

Pure: frames in, frames out; the same input gives the same output.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pandas as pd

from .metrics import month_key, month_text
from .suppression_audit import INFINITE, Ledger, narrowed

log = logging.getLogger("almanac")


@dataclass
class MonthView:
    """What the published rows say, month by month (months and cohorts as month keys)."""

    k_min: int
    horizon: int
    sizes: dict[int, int | None]  # cohort → published size (None: suppressed)
    cells: dict[tuple[int, int], int]  # (cohort, month) → published active, for 1 ≤ months_since ≤ horizon
    totals: dict[int, int | None]  # month → published active participants (None: already withheld)
    capacity: dict[int, int]  # month → most people who can have been active (absent: no bound known)
    floors: dict[int, int]  # month → least active participants other rows say (a campaign row: ≥ 1)

    @property
    def suppressed(self) -> list[int]:
        return sorted(c for c, size in self.sizes.items() if size is None)

    def box(self, key) -> tuple[int, int]:
        top = self.k_min - 1
        if key[0] == "size":
            return 1, max(1, min(top, self.capacity.get(key[1], top)))
        cohort, month = key[1], key[2]
        return 0, min(top, self.capacity.get(month, top), self.capacity.get(cohort, top))


@dataclass
class MonthWithheld:
    """What this stage withholds: cells of published cohorts, and months' totals."""

    cells: set[tuple[int, int]] = field(default_factory=set)  # (cohort, month)
    totals: set[int] = field(default_factory=set)

    def plus(self, cells=(), totals=()) -> MonthWithheld:
        return MonthWithheld(self.cells | set(cells), self.totals | set(totals))


def month_view(retention: pd.DataFrame, monthly: pd.DataFrame, k_min: int, capacity=None, floors=None) -> MonthView:
    first = retention[retention["months_since"] == 0]
    pairs = zip(first["cohort"], first["cohort_size"], strict=True)
    sizes = {month_key(c): (None if pd.isna(s) else int(s)) for c, s in pairs}
    cells = {}
    for row in retention[(retention["months_since"] >= 1) & retention["active"].notna()].itertuples(index=False):
        cells[(month_key(row.cohort), month_key(row.cohort) + int(row.months_since))] = int(row.active)
    totals = {
        month_key(m): (None if pd.isna(v) else int(v))
        for m, v in zip(monthly["month"], monthly["active_participants"], strict=True)
    }
    horizon = int(retention["months_since"].max()) if len(retention) else 0
    return MonthView(k_min, horizon, sizes, cells, totals, dict(capacity or {}), dict(floors or {}))


def month_ledger(
    view: MonthView, withheld: MonthWithheld, window: tuple[int, int] | None = None
) -> tuple[Ledger, dict]:
    """The reader's unknowns and relations from the first suppressed cohort on, and the boxes to keep.

    Hidden cells of published cohorts (withheld, or past retention_months) are independent of one
    another, so each month adds them up into one unknown between 0 and the sum of their sizes.
    With a `window` (first, last month) only those months' relations are written: fewer relations
    can only widen a range, so a value narrowed in a window is narrowed, and `choose` confirms
    every value free on the whole ledger at the end.
    """
    ledger, boxes = Ledger(), {}
    suppressed = view.suppressed
    first, last = window or (suppressed[0] if suppressed else 0, max(view.totals, default=0))
    suppressed = [c for c in suppressed if c <= last]
    if not suppressed:
        return ledger, boxes
    for cohort in suppressed:
        boxes[ledger.unknown(("size", cohort), 1, view.k_min - 1)] = view.box(("size", cohort))
    for month, total in sorted(view.totals.items()):
        if month < max(first, suppressed[0]) or month > last:
            continue
        published, room, terms = 0, 0, {}
        for cohort, size in view.sizes.items():
            if cohort > month:
                continue
            if size is None:
                key = (
                    ("size", cohort) if cohort == month else ledger.unknown(("cell", cohort, month), 0, view.k_min - 1)
                )
                if key[0] == "cell":
                    ledger.relate({key: 1, ("size", cohort): -1}, high=0)  # a cell is at most its cohort
                    if month - cohort <= view.horizon:
                        boxes[key] = view.box(key)
                terms[key] = 1
            elif cohort == month:
                published += size
            elif (cohort, month) in view.cells and (cohort, month) not in withheld.cells:
                published += view.cells[(cohort, month)]
            else:
                room += size
        if not _bears(view, withheld, month, total, published, room, terms):
            continue
        if room:
            terms[ledger.unknown(("hidden", month), 0, room)] = 1
        if total is None or month in withheld.totals:
            top = view.capacity.get(month, INFINITE)
            terms[ledger.unknown(("total", month), view.floors.get(month, 0), top)] = -1
            ledger.relate(terms, -published, -published)
        else:
            ledger.relate(terms, total - published, total - published)
    return ledger, boxes


def _bears(view: MonthView, withheld: MonthWithheld, month: int, total, published: int, room: int, terms) -> bool:
    """Whether the month's equation can say anything about a value to keep free: it holds one
    (a size, or a cell in the published range), or its never-published cells of suppressed cohorts
    cannot all be 0 (it would then force one of those cohorts' sizes up)."""
    if any(key[0] == "size" or key[2] - key[1] <= view.horizon for key in terms):
        return True
    if total is None or month in withheld.totals:
        return view.floors.get(month, 0) > published + room or view.capacity.get(month, INFINITE) < published
    return not published <= total <= published + room


def _month_of(key) -> int:
    return key[1] if key[0] == "size" else key[2]


def choose(view: MonthView) -> MonthWithheld:
    """The cells and totals to withhold so every suppressed value keeps its whole box.

    Withholding only ever widens ranges, so a value found free stays free; each narrowed value is
    fixed in turn, in the month whose numbers narrow it (its own month first).
    """
    withheld = MonthWithheld()
    for window in (True, False):  # near each value first (fast), then on every relation (sure)
        ledger, boxes = month_ledger(view, withheld)
        for key in sorted(narrowed(ledger, boxes), key=lambda k: (_month_of(k), k)):
            withheld = _protect_value(view, withheld, key, _window(view, key) if window else None)
    return withheld


def _window(view: MonthView, key) -> tuple[int, int]:
    """The months around `key`'s cohort: from it to a retention horizon past its published range."""
    return key[1], key[1] + 2 * view.horizon + 1


def _protect_value(view: MonthView, withheld: MonthWithheld, key, window) -> MonthWithheld:
    """The least one month can give so `key` is free; when no month is enough alone (on the whole
    ledger), everything in the nearest months, one at a time, until one more month is enough."""
    suspects = _suspects(view, key, window)
    while not _free(view, withheld, key, window):
        for month in suspects:
            everything = withheld.plus(_candidates(view, withheld, month), [month])
            if _free(view, everything, key, window):
                return _fix_in_month(view, withheld, key, month, window)
        if window is not None or not suspects:
            if window is None:
                log.warning("  secondary suppression: cohort %s stays narrowed in months", month_text(key[1]))
            return withheld
        month = suspects.pop(0)
        withheld = withheld.plus(_candidates(view, withheld, month), [month])
        log.info("  secondary suppression: active participants of %s withheld", month_text(month))
    return withheld


def _free(view: MonthView, withheld: MonthWithheld, key, window=None) -> bool:
    ledger, boxes = month_ledger(view, withheld, window)
    return not narrowed(ledger, {key: boxes[key]})


def _suspects(view: MonthView, key, window=None) -> list[int]:
    """The months whose equation can hold `key`'s cohort: the key's own month first, then by distance."""
    own, (first, last) = _month_of(key), window or (key[1], max(view.totals))
    months = [m for m in view.totals if max(first, key[1]) <= m <= last]
    return sorted(months, key=lambda m: (abs(m - own), m))


def _candidates(view: MonthView, withheld: MonthWithheld, month: int) -> list[tuple[int, int]]:
    """Published cells of other cohorts in `month` that could be withheld, smallest cohort first."""
    cells = [
        (cohort, month)
        for cohort, size in view.sizes.items()
        if size is not None and (cohort, month) in view.cells and (cohort, month) not in withheld.cells
    ]
    return sorted(cells, key=lambda cell: (view.sizes[cell[0]], cell[0]))


def _fix_in_month(view: MonthView, withheld: MonthWithheld, key, month: int, window) -> MonthWithheld:
    """The least this month must give: the smallest cell that is enough, else the largest and again;
    the total only when the cells alone cannot do it (then cells only while still needed)."""
    if not _free(view, withheld.plus(_candidates(view, withheld, month)), key, window):
        withheld = withheld.plus(totals=[month])
        log.info("  secondary suppression: active participants of %s withheld", month_text(month))
    while not _free(view, withheld, key, window):
        cells = _candidates(view, withheld, month)
        enough = next((cell for cell in cells if _free(view, withheld.plus([cell]), key, window)), cells[-1])
        withheld = withheld.plus([enough])
    return withheld


def idle_months(monthly: pd.DataFrame, courses: pd.DataFrame) -> dict[int, int]:
    """Capacity 0 for each month of monthly_activity in which no program ran (from the programs' dates:
    no one can have been active then); other months have no known bound."""
    running = set()
    for start, end in zip(courses["start_date"], courses["end_date"], strict=True):
        if isinstance(start, str) and isinstance(end, str):
            running.update(range(month_key(start[:7]), month_key(end[:7]) + 1))
    return {month_key(m): 0 for m in monthly["month"] if month_key(m) not in running}
