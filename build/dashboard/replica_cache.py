"""Replica lookups that are final are kept: a new editor's edit days before the as-of date minus
`[retention] replica_lag_days` (the margin for replica lag) cannot change, so they are asked once and
read from the build cache afterwards; each build asks the replicas only for the days after what it has.

`look_up` gives a lookup's whole result back when no replica changed; otherwise it follows the lookup's plan
(lookup_plan.py: which cached days count, whom to ask from when), asks the replicas, places their answer
among the cached days and grows each wiki's entry (replica_entries.py). The rows are the same as one query
over the whole period would give (tests/test_replica_cache.py builds both ways over several as-of dates
and compares).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

import numpy as np
import pandas as pd

from build import extract
from build.cache import settings_digest
from build.dashboard.lookup_plan import INPUTS, Plan, inputs_read, keep_plan, kept_plan, made_plan
from build.dashboard.replica_entries import NOTHING, Entries, earlier, entry_key, updated
from build.derivations import Stage
from build.normalize import combine
from build.stamps import content_stamp

__all__ = ["INPUTS", "look_up"]

log = logging.getLogger("almanac")


def look_up(stage: Stage, query, targets: dict[str, list[str]], period: dict[str, str]):
    """extract.run_per_wiki for `targets` over `period`: when no replica has changed since a build made the
    same lookup (`stamps.content_stamp`, an embedded file) that build's result, else `_asked`."""
    stamps = _stamps(stage.settings, query, targets)
    key = stamps and stage.cache.key(
        "lookup", query.name, query.sql, stamps, period, settings_digest(stage.settings), inputs_read(stage)
    )
    if key and (reused := stage.cache.get("lookup", key)) is not None:
        columns, wikis = reused
        frame = pd.DataFrame({name: values.astype("string") for name, values in columns.items()})
        log.info("  %s: no replica changed since an earlier build's same lookup; its %d rows", query.name, len(frame))
        return dataclasses.replace(query.empty_dataset(), frame=frame), None, wikis
    dataset, error, wikis = _asked(stage, query, targets, period)
    if key and dataset is not None and error is None and _stamps(stage.settings, query, targets) == stamps:
        # Kept as categories (a million rows of few wikis and days: a quarter of the time to store and load).
        columns = {name: dataset.frame[name].astype("category") for name in dataset.frame.columns}
        stage.cache.put("lookup", key, (columns, wikis), {"query": query.name, "rows": len(dataset.frame)})
    return dataset, error, wikis


def _stamps(settings, query, targets) -> list[str] | None:
    """Each target wiki's replica stamp, or None when one cannot prove it has not changed."""
    if query.source not in settings.sources:
        return None
    source = settings.sources[query.source]
    stamps = [content_stamp(source, settings.root, wiki) for wiki in sorted(targets)]
    return stamps if stamps and all(stamps) else None


def _asked(stage: Stage, query, targets: dict[str, list[str]], period: dict[str, str]):
    """extract.run_per_wiki for `targets` over `period`, asking the replicas only what the cache lacks."""
    settings, cache = stage.settings, stage.cache
    start, end = period["edits_from"], period["edits_until"]
    lag = dt.timedelta(days=settings.get("retention", "replica_lag_days"))
    final = min((settings.as_of - lag).strftime("%Y%m%d") + "000000", end)  # days before this are kept
    if not cache.enabled or final <= start:
        return extract.run_per_wiki(query, settings, targets, extra_parameters=period)
    keys = {wiki: entry_key(query, settings, wiki) for wiki in targets}
    known, bounds = Entries(cache, keys), (start, end, final)
    kept = kept_plan(stage, query, known, bounds)
    if kept is not None:
        known.touch()  # used, though not read: kept by the cache's pruning as long as the plan is
    plan = kept if kept is not None else made_plan(stage, targets, known, bounds)
    for begin, asked_by_wiki in sorted(plan.asks.items()):
        if people := sum(len(names) for names in asked_by_wiki.values()):
            whence = "the first window's start" if begin == start else "where the cache ends"
            log.info("  %s: %d people asked for their edits from %s (%s)", query.name, people, begin, whence)
    results = [
        extract.run_per_wiki(query, settings, asked, extra_parameters={**period, "edits_from": begin})
        for begin, asked in sorted(plan.asks.items())
    ]
    wikis, error = _statuses(results)
    if any(dataset is None for dataset, _, _ in results):
        return None, error, wikis
    if _remember(stage, keys, known, plan, wikis, [dataset.frame for dataset, _, _ in results], final, query):
        # The entries grew: a rebuild with the same inputs and period (the data changed the same day) follows the
        # plan they give now.
        keep_plan(stage, query, known, bounds, made_plan(stage, targets, known, bounds))
    elif kept is None:
        keep_plan(stage, query, known, bounds, plan)
    counted = [
        _counted_only(dataset, plan.counted_until.get(begin, {}), end)
        for (begin, _), (dataset, _, _) in zip(sorted(plan.asks.items()), results, strict=True)
    ]
    del results  # the rows past each person's last window are not held twice
    return _merge(query, counted, plan.cached, wikis), error, wikis


def _counted_only(dataset, until_by_wiki: dict[str, tuple[np.ndarray, np.ndarray]], end: str):
    """A replica answer's rows before each asked person's `until` (the end of their last window): the days the
    cache gives are cut the same way, so a day counts alike whether it came from the cache or the replica,
    and an unchanged rebuild's edit_days, and the derivations keyed by it, are the same too."""
    frame = dataset.frame
    wikis, names = (frame[c].to_numpy(dtype=object) for c in ("wiki", "username"))
    limit = np.full(len(frame), end, dtype=object)
    for wiki, rows in pd.Series(np.arange(len(frame))).groupby(wikis).indices.items():
        if wiki in until_by_wiki:
            asked, until = until_by_wiki[wiki]
            where = pd.Index(asked).get_indexer(names[rows])
            limit[rows] = np.where(where >= 0, until[where], end)  # a name not asked (never): the whole period
    keep = earlier(frame["edit_day"].to_numpy(dtype=object), limit)
    # Leaving rows out keeps a normalized, sorted frame so: no second normalize.
    return dataclasses.replace(dataset, frame=frame[keep].reset_index(drop=True))


def _statuses(results) -> tuple[dict[str, dict], str | None]:
    """Each wiki's status over every run (a wiki failed in any run failed) and the runs' errors, joined."""
    wikis: dict[str, dict] = {}
    for _, _, run_wikis in results:
        for wiki, entry in run_wikis.items():
            if wiki not in wikis or entry["status"] != "ok":
                wikis[wiki] = entry
    errors = [error for _, error, _ in results if error]
    return wikis, "; ".join(dict.fromkeys(errors)) or None


def _merge(query, answers, cached, wikis: dict[str, dict]):
    """One dataset as run_per_wiki gives it: every run's rows and the cached ones, none of a wiki that failed."""
    failed = {wiki for wiki, entry in wikis.items() if entry["status"] != "ok"}
    kept = [(wiki, names, days) for wiki, names, days in cached if wiki not in failed]
    columns = {
        "wiki": np.concatenate([np.full(len(names), wiki, dtype=object) for wiki, names, _ in kept] or [NOTHING]),
        "username": np.concatenate([names for _, names, _ in kept] or [NOTHING]),
        "edit_day": np.concatenate([days for _, _, days in kept] or [NOTHING]),
    }
    frames = [dataset.frame for dataset in answers]
    if failed:  # a failed wiki gives no rows at all
        frames = [frame[~frame["wiki"].isin(failed)] for frame in frames]
    dataset = query.empty_dataset()
    asked = combine(frames, dataset)  # the answers: few rows beside the cached ones
    # The cached days were published rows of an earlier build: normalized then, so only typed and placed now.
    if tuple(dataset.sort_key) == tuple(columns) and not asked[list(columns)].isna().any().any():
        at = _places(columns, asked)
        columns = {name: np.insert(values, at, asked[name].to_numpy(dtype=object)) for name, values in columns.items()}
        frame = pd.DataFrame({name: pd.array(values, dtype="string") for name, values in columns.items()})
        return dataclasses.replace(dataset, frame=frame)
    from_cache = pd.DataFrame({name: pd.array(values, dtype="string") for name, values in columns.items()})
    return dataclasses.replace(dataset, frame=combine([asked, from_cache], dataset))


def _places(cached: dict[str, np.ndarray], asked: pd.DataFrame) -> np.ndarray:
    """Where each asked row goes among the cached rows, both sorted by (wiki, username, edit_day): searched,
    not sorted again (a million cached rows take half a second to sort, a few thousand asked ones milliseconds
    to place). A row goes before a cached one with the same key, as a stable sort of (asked, cached) puts it."""
    wikis, names, days = cached["wiki"], cached["username"], cached["edit_day"]
    asked_wikis, asked_names, asked_days = (asked[c].to_numpy(dtype=object) for c in ("wiki", "username", "edit_day"))
    places = np.zeros(len(asked), dtype=np.int64)
    for wiki, rows in pd.Series(np.arange(len(asked))).groupby(asked_wikis).indices.items():
        low, high = np.searchsorted(wikis, wiki, "left"), np.searchsorted(wikis, wiki, "right")
        first = np.searchsorted(names[low:high], asked_names[rows], "left")
        last = np.searchsorted(names[low:high], asked_names[rows], "right")
        for i in np.flatnonzero(last > first):  # a person with cached days: among them, by day
            days_known = days[low + first[i] : low + last[i]]
            first[i] += np.searchsorted(days_known, asked_days[rows[i]], "left")
        places[rows] = low + first
    return places


def _remember(
    stage: Stage, keys, known: Entries, plan: Plan, wikis, answers: list[pd.DataFrame], final: str, query
) -> bool:
    """Store, per wiki that answered, each asked person's days up to `final` (with what was known before): all
    the days the replica gave, not only those counted now (a campaign's end date may move later). An entry
    written gets a new version (a plan made from the old one is not used again); an entry without a version
    gets one as it is. Whether any entry was written."""
    start = min(plan.asks)
    wikis_of, found_names, found_days = (
        np.concatenate([frame[c].to_numpy(dtype=object) for frame in answers] or [NOTHING])
        for c in ("wiki", "username", "edit_day")
    )
    final_days = earlier(found_days, final)
    wikis_of, found_names, found_days = wikis_of[final_days], found_names[final_days], found_days[final_days]
    rows_by_wiki = pd.Series(np.arange(len(wikis_of))).groupby(wikis_of).indices
    versions, any_written = dict(known.versions()), False  # as they were before this build wrote any
    for wiki, key in keys.items():
        rows = rows_by_wiki.get(wiki, np.array([], dtype=np.int64))
        found = found_names[rows], found_days[rows]
        answered = wikis.get(wiki, {}).get("status") == "ok"
        written = answered and _write_entry(stage, key, known, plan, wiki, found, start, final, query)
        any_written |= written
        if written or not versions.get(wiki):
            known.new_version(wiki, query.name)
    return any_written


def _write_entry(stage: Stage, key: str, known: Entries, plan: Plan, wiki: str, found, start, final, query) -> bool:
    """Write one wiki's entry with the days found; False when it would not change (not written again)."""
    anew = np.asarray(plan.asks[start].get(wiki, []), dtype=object)  # asked from the first window's start
    later = plan.later.get(wiki, NOTHING)  # asked from where the cache ended, before `final`
    if not len(anew) and not len(later):
        return False  # an unchanged entry is not written again (400,000 people: seconds)
    before = known[wiki]
    if len(later):  # as the entry holds them now (a plan is kept while the entry's version is the same)
        positions = before.positions(later)
        later = later[(positions >= 0) & (final > before.periods(positions)[1]).astype(bool)]
    if not len(anew) and not len(later):
        return False
    known[wiki] = updated(before, anew, later, *found, start, final)
    stage.cache.put("replica", key, known[wiki], {"query": query.name, "wiki": wiki, "people": len(known[wiki].names)})
    return True
