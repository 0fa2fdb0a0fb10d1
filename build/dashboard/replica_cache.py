"""Replica lookups that are final are kept: a new editor's edit days before the as-of date minus
`[retention] replica_lag_days` (the margin for replica lag) cannot change, so they are asked once and
read from the build cache afterwards; each build asks the replicas only for the days after what it has.

Per wiki the cache holds {username: (first, until, days)}: every edit day of that person on that wiki
in [first, until), stamps as 'YYYYMMDDHHMMSS' (plain tuples: 400,000 people pickle and load in a fraction
of the time dataclasses take). A lookup for the period [edits_from, edits_until) gives a
person's days from the cache up to `until` and asks the replica for the rest; the rows are the same as
one query over the whole period would give (tests/test_cache.py builds both ways and compares).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

import numpy as np
import pandas as pd

from build import extract
from build.cache import digest
from build.dashboard import cohorts
from build.derivations import Stage

log = logging.getLogger("almanac")

FORMAT = 2  # of the stored entries; a change starts a fresh replica cache


def look_up(stage: Stage, query, targets: dict[str, list[str]], period: dict[str, str]):
    """extract.run_per_wiki for `targets` over `period`, asking the replicas only what the cache lacks."""
    settings, cache = stage.settings, stage.cache
    start, end = period["edits_from"], period["edits_until"]
    lag = dt.timedelta(days=settings.get("retention", "replica_lag_days"))
    final = min((settings.as_of - lag).strftime("%Y%m%d") + "000000", end)  # days before this are kept
    if not cache.enabled or final <= start:
        return extract.run_per_wiki(query, settings, targets, extra_parameters=period)
    needed = _needed_until(stage, end)
    needed_by_person = dict(zip(needed.index, needed.to_numpy(), strict=True))
    keys = {wiki: _key(query, settings, wiki) for wiki in targets}
    known = {wiki: cache.get("replica", keys[wiki]) or {} for wiki in targets}
    asks: dict[str, dict[str, list[str]]] = {start: {}}  # edits_from → {wiki: usernames}
    cached_rows = []
    for wiki, names in sorted(targets.items()):
        asks[start].setdefault(wiki, [])  # every wiki is opened, as without the cache (its status, its lag)
        for name in sorted(set(names)):
            first, until, days = known[wiki].get(name) or ("", "", ())
            begin = min(until, end) if first <= start < until else start
            cached_rows += [(wiki, name, day) for day in days if start <= day + "000000" < begin]
            if begin < needed_by_person.get((wiki, name), end):
                asks.setdefault(begin, {}).setdefault(wiki, []).append(name)
    for begin, asked in sorted(asks.items()):
        if people := sum(len(names) for names in asked.values()):
            whence = "the first window's start" if begin == start else "where the cache ends"
            log.info("  %s: %d people asked for their edits from %s (%s)", query.name, people, begin, whence)
    results = [
        extract.run_per_wiki(query, settings, asked, extra_parameters={**period, "edits_from": begin})
        for begin, asked in sorted(asks.items())
    ]
    dataset, error, wikis = _merge(query, results, cached_rows)
    if dataset is None:
        return dataset, error, wikis
    _remember(stage, keys, known, asks, wikis, dataset.frame, final, query)
    return _counted_only(dataset, needed, end), error, wikis


def _counted_only(dataset, needed: pd.Series, end: str):
    """The rows before each person's `needed` end: the same whether a day came from the cache or the replica,
    so an unchanged rebuild's edit_days, and the derivations keyed by it, are the same too."""
    frame = dataset.frame
    pairs = pd.MultiIndex.from_arrays([frame["wiki"], frame["username"]])
    limit = needed.reindex(pairs).fillna(end).to_numpy() if len(needed) else np.full(len(frame), end, dtype=object)
    keep = ((frame["edit_day"] + "000000").to_numpy(dtype=object) < limit).astype(bool)
    # Leaving rows out keeps a normalized, sorted frame so: no second normalize of a million rows.
    return dataclasses.replace(dataset, frame=frame[keep].reset_index(drop=True))


def _needed_until(stage: Stage, end: str) -> pd.Series:
    """The end of each person's last retention window, a stamp by (wiki, username): edits after it count in
    no window (cohorts.campaign_retention counts only days inside windows), so a person known up to it is
    not asked."""
    settings = stage.settings
    pairs = cohorts.lookups(
        stage.datasets["campaign_new_editors"].frame,
        stage.datasets["campaign_wikis"].frame,
        settings.get("retention", "retention_wikis"),
    )
    if not len(pairs):
        return pd.Series([], dtype=object, index=pd.MultiIndex.from_tuples([], names=["wiki", "username"]))
    campaigns = stage.datasets["campaigns"].frame
    span = dt.timedelta(days=30 * max(settings.get("retention", "retention_windows")) + 1)
    days = {  # per campaign: the day its last window ends, as YYYYMMDD; 0 when it has no end date
        campaign_id: int((dt.date.fromisoformat(last) + span).strftime("%Y%m%d")) if isinstance(last, str) else 0
        for campaign_id, last in zip(campaigns["campaign_id"], campaigns["end_date"], strict=True)
    }
    rows = pd.DataFrame(
        {
            "wiki": pairs["wiki"].to_numpy(dtype=object),
            "username": pairs["username"].to_numpy(dtype=object),
            "day": np.fromiter((days.get(c, 0) for c in pairs["campaign_id"]), dtype=np.int64, count=len(pairs)),
        }
    )
    latest = rows.groupby(["wiki", "username"], sort=False)["day"].max()  # integers: a vectorised max
    stamps = np.where(latest.to_numpy() > 0, latest.to_numpy().astype(str).astype(object) + "000000", "")
    return pd.Series(np.where(stamps < end, stamps, end), index=latest.index, dtype=object)


def _key(query, settings, wiki: str) -> str:
    """The SQL and the source it reads, not Almanac's code: a release does not forget final lookups."""
    return digest("replica", FORMAT, query.name, query.sql, settings.sources[query.source].url, wiki)


def _merge(query, results, cached_rows):
    """One result as run_per_wiki gives it: every run's rows and the cached ones; a wiki failed in any run failed."""
    wikis: dict[str, dict] = {}
    for _, _, run_wikis in results:
        for wiki, entry in run_wikis.items():
            if wiki not in wikis or entry["status"] != "ok":
                wikis[wiki] = entry
    errors = [error for _, error, _ in results if error]
    error = "; ".join(dict.fromkeys(errors)) or None
    if any(dataset is None for dataset, _, _ in results):
        return None, error, wikis
    failed = {wiki for wiki, entry in wikis.items() if entry["status"] != "ok"}
    cached = pd.DataFrame(cached_rows, columns=["wiki", "username", "edit_day"], dtype=object)
    frames = [dataset.frame[["wiki", "username", "edit_day"]] for dataset, _, _ in results]
    frame = pd.concat([*frames, cached], ignore_index=True)
    frame = frame[~frame["wiki"].isin(failed)]  # a failed wiki gives no rows at all, never part of them
    return query.empty_dataset().with_frame(frame.reset_index(drop=True)), error, wikis


def _remember(stage: Stage, keys, known, asks, wikis, frame: pd.DataFrame, final: str, query) -> None:
    """Store, per wiki that answered, each asked person's days up to `final` (with what was known before)."""
    start = min(asks)
    final_days = frame[((frame["edit_day"] + "000000").to_numpy(dtype=object) < final).astype(bool)]
    found: dict[tuple[str, str], set[str]] = {}
    columns = (final_days[c].to_numpy(dtype=object) for c in ("wiki", "username", "edit_day"))
    for wiki, name, day in zip(*columns, strict=True):  # plain arrays: iterating pandas' strings is slow
        found.setdefault((wiki, name), set()).add(day)
    for wiki, key in keys.items():
        if wikis.get(wiki, {}).get("status") != "ok":
            continue
        entries, changed = dict(known[wiki]), False
        for begin, asked in asks.items():
            for name in asked.get(wiki, []):
                before = entries.get(name) if begin != start else None  # asked from where the cache ended
                first, until, days = before or (start, "", ())
                if before is None or final > until:
                    days = found.get((wiki, name), set()) | set(days)
                    entries[name] = (first, final, tuple(sorted(d for d in days if first <= d + "000000")))
                    changed = True
        if changed:  # an unchanged entry is not written again (400,000 people: seconds)
            stage.cache.put("replica", key, entries, {"query": query.name, "wiki": wiki, "people": len(entries)})
