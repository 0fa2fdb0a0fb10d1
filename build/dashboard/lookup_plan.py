"""A replica lookup's plan: which cached edit days count and whom to ask from when, made from the new
editors' retention windows and the cache entries, and kept (one a query) with a digest of what it was made
from, so a rebuild of the same day after the data changed reads no entry.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd

from build import extract
from build.cache import digest, frame_digest, settings_digest
from build.dashboard import cohorts
from build.dashboard.replica_entries import Entries
from build.derivations import Stage

# The datasets the people asked and their retention windows come from.
INPUTS = ("campaign_new_editors", "campaign_wikis", "campaigns")


@dataclasses.dataclass
class Plan:
    """What one lookup takes from the cache and what it asks the replicas. `cached`: per wiki, (wiki, names,
    days) counted from the cache; `asks`: edits_from → {wiki: usernames}; `counted_until`: edits_from → {wiki:
    (usernames, each one's `until`)}; `later`: per wiki, the people asked from where the cache ends whose days
    the answer extends up to `final` (their entry is written again)."""

    cached: list[tuple[str, np.ndarray, np.ndarray]]
    asks: dict[str, dict[str, list[str]]]
    counted_until: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]
    later: dict[str, np.ndarray]


def kept_plan(stage: Stage, query, known: Entries, bounds: tuple[str, str, str]) -> Plan | None:
    """The plan a build made from the same new editors, windows, period and cache entries, or None: the same
    inputs make the same plan, and making it again would read every entry and hash every name. One plan is
    kept per query (12 MB at scale 1), with what it was made from."""
    if made_from := _plan_inputs(stage, query, known, bounds):
        kept = stage.cache.get("lookup-plan", _plan_slot(stage, query), accept=lambda kept: kept[0] == made_from)
        return kept[1] if kept is not None else None
    return None


def keep_plan(stage: Stage, query, known: Entries, bounds: tuple[str, str, str], plan: Plan) -> None:
    if made_from := _plan_inputs(stage, query, known, bounds):
        stage.cache.put("lookup-plan", _plan_slot(stage, query), (made_from, plan), {"query": query.name})


def _plan_slot(stage: Stage, query) -> str:
    return stage.cache.key("lookup-plan", query.name, query.sql)


def _plan_inputs(stage: Stage, query, known: Entries, bounds: tuple[str, str, str]) -> str | None:
    """A digest of what a plan is made from: the settings too (the retention wikis choose whom to ask where, the
    windows where each person's days stop counting); None while an entry's version is not known."""
    versions = known.versions()
    if not all(versions.values()):
        return None
    return digest(query.name, query.sql, bounds, versions, inputs_read(stage), settings_digest(stage.settings))


def inputs_read(stage: Stage) -> list[str]:
    """The digests of what a lookup depends on: the new editors, their wikis and when each campaign ends (its
    windows; the campaigns' totals, which change every day, do not change whom to ask)."""
    return [*(stage.digests.of(stage.datasets[name]) for name in INPUTS[:2]), frame_digest(_campaign_ends(stage))]


def _campaign_ends(stage: Stage) -> pd.DataFrame:
    return stage.datasets["campaigns"].frame[["campaign_id", "end_date"]]


def made_plan(stage: Stage, targets: dict[str, list[str]], known: Entries, bounds: tuple[str, str, str]) -> Plan:
    """Whom to ask from when, and which cached days count, from the cache entries as they are."""
    start, end, final = bounds
    inputs = [stage.datasets[name] for name in INPUTS[:2]] + [_campaign_ends(stage)]
    needed = stage.cached(
        "derive", "needed_period", inputs, lambda: _needed_period(stage, targets, start, end), start, end
    )
    plan = Plan(cached=[], asks={start: {}}, counted_until={}, later={})
    for wiki, listed in sorted(targets.items()):
        names = np.asarray(extract.sorted_names(listed), dtype=object)
        positions = known[wiki].positions(names)
        first, until = known[wiki].periods(positions)
        begins = np.where((first <= start) & (start < until), np.where(until < end, until, end), start)
        froms, ends = needed[wiki] if wiki in needed else _no_windows(len(names), start, end)
        # From the cache: the days before where it ends and before the person's last window ends (no later day counts).
        plan.cached.append((wiki, *known[wiki].days_before(positions, np.where(ends < begins, ends, begins), start)))
        # Asked: people with days still to know before their last window ends, once a window of theirs has begun
        # (a campaign that ends after the as-of date has no window day before it: nothing to ask yet).
        asked = ((begins < ends) & (froms < end)).astype(bool)
        for begin in sorted(pd.unique(begins[asked])):
            chosen = asked & (begins == begin)
            plan.asks.setdefault(begin, {})[wiki] = names[chosen].tolist()
            plan.counted_until.setdefault(begin, {})[wiki] = (names[chosen], ends[chosen])
        # Asked from where the cache ends (their `until`) before `final`: their entry gains the days found.
        later = asked & (begins != start) & (begins < final).astype(bool)  # stamps of one width: as text
        if later.any():
            plan.later[wiki] = names[later]
        if not any(wiki in by_wiki for by_wiki in plan.asks.values()):
            plan.asks[start][wiki] = []  # every wiki is opened, as without the cache (its status, its lag)
    return plan


def _needed_period(stage: Stage, targets: dict[str, list[str]], start: str, end: str) -> dict[str, tuple]:
    """Per wiki, (from, until) for each of its `targets` in order: `from`, the first day of the person's first
    retention window, and `until`, the end of their last (stamps). Edits outside [from, until) count in no
    window (cohorts.campaign_retention counts only days inside windows), so a person known up to `until`, or
    whose first window begins only after the as-of date, is not asked. Both are "" for someone whose campaigns
    have no end date (no window at all); a person the windows do not name has the whole period. Kept in the
    targets' order, so a lookup reads them without hashing 700,000 names again."""
    settings = stage.settings
    pairs = cohorts.lookups(
        stage.datasets["campaign_new_editors"].frame,
        stage.datasets["campaign_wikis"].frame,
        settings.get("retention", "retention_wikis"),
    )
    campaigns = stage.datasets["campaigns"].frame
    span = dt.timedelta(days=30 * max(settings.get("retention", "retention_windows")) + 1)
    ended = {  # per campaign: its end date; None without one
        campaign_id: dt.date.fromisoformat(last) if isinstance(last, str) else None
        for campaign_id, last in zip(campaigns["campaign_id"], campaigns["end_date"], strict=True)
    }
    never = 99_999_999  # after every YYYYMMDD: a campaign without an end date has no window, no first day
    first_day = {key: _number(day + dt.timedelta(days=1)) if day else never for key, day in ended.items()}
    last_day = {key: _number(day + span) if day else 0 for key, day in ended.items()}
    rows = pd.DataFrame(
        {
            "wiki": pairs["wiki"].to_numpy(dtype=object),
            "username": pairs["username"].to_numpy(dtype=object),
            "from": pairs["campaign_id"].map(first_day).fillna(never).to_numpy(dtype=np.int64),
            "until": pairs["campaign_id"].map(last_day).fillna(0).to_numpy(dtype=np.int64),
        }
    )
    needed = {}
    for wiki, group in rows[rows["wiki"].notna()].groupby("wiki", sort=True):
        people = group.groupby("username", sort=False).agg({"from": "min", "until": "max"})  # vectorised
        # One string per distinct day, shared by everyone whose windows begin or end then (a million copies: 100 MB).
        days = pd.unique(np.concatenate([people["from"].to_numpy(), people["until"].to_numpy()]))
        stamps = {day: min(f"{day}000000", end) if 0 < day < never else "" for day in days}
        if wiki in targets:
            named = people.reindex(extract.sorted_names(targets[wiki]))
            needed[wiki] = (
                named["from"].map(stamps).fillna(start).to_numpy(dtype=object),
                named["until"].map(stamps).fillna(end).to_numpy(dtype=object),
            )
    return needed


def _no_windows(people: int, start: str, end: str) -> tuple[np.ndarray, np.ndarray]:
    """`from` and `until` for people the windows do not name: the whole period."""
    return np.full(people, start, dtype=object), np.full(people, end, dtype=object)


def _number(day: dt.date) -> int:
    return int(day.strftime("%Y%m%d"))
