"""Replica lookups that are final are kept: a new editor's edit days before the as-of date minus
`[retention] replica_lag_days` (the margin for replica lag) cannot change, so they are asked once and
read from the build cache afterwards; each build asks the replicas only for the days after what it has.

Per wiki the cache holds a `Known`: the people asked, each with the period [first, until) their days are
known for (stamps 'YYYYMMDDHHMMSS'), and every edit day of theirs in it, as plain arrays (400,000 people
load in a fraction of a second, and a lookup is a few vectorised passes, not a loop over people). A lookup
for the period [edits_from, edits_until) gives a person's days from the cache up to `until` and asks the
replica for the rest; the rows are the same as one query over the whole period would give
(tests/test_replica_cache.py builds both ways over several as-of dates and compares).

What a lookup takes from the cache and whom it asks from when is its `Plan`, kept by the new editors, the
period and each wiki entry's version: a rebuild of the same day after the data changed reads no entry.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import secrets

import numpy as np
import pandas as pd

from build import extract
from build.cache import digest, frame_digest, settings_digest
from build.dashboard import cohorts
from build.derivations import Stage
from build.normalize import combine
from build.stamps import content_stamp

log = logging.getLogger("almanac")

FORMAT = 3  # of the stored entries; a change starts a fresh replica cache
NOTHING = np.array([], dtype=object)
# The datasets the people asked and their retention windows come from.
INPUTS = ("campaign_new_editors", "campaign_wikis", "campaigns")


@dataclasses.dataclass(frozen=True)
class Known:
    """What the cache holds for one wiki: `names` (sorted, unique), each known for [first[i], until[i]),
    and their edit days: names[who[j]] edited on days[j] ('YYYYMMDD'), sorted by name, then day."""

    names: np.ndarray = dataclasses.field(default_factory=lambda: NOTHING)
    first: np.ndarray = dataclasses.field(default_factory=lambda: NOTHING)
    until: np.ndarray = dataclasses.field(default_factory=lambda: NOTHING)
    who: np.ndarray = dataclasses.field(default_factory=lambda: np.array([], dtype=np.int64))
    days: np.ndarray = dataclasses.field(default_factory=lambda: NOTHING)

    def positions(self, names: np.ndarray) -> np.ndarray:
        """Each name's index in `self.names`, -1 for a person not known."""
        return self._index.get_indexer(names) if len(self.names) else np.full(len(names), -1)

    @functools.cached_property
    def _index(self) -> pd.Index:  # built once per lookup: hashing 700,000 names takes a tenth of a second
        return pd.Index(self.names)

    def __getstate__(self) -> dict:  # the fields: the index is made again when needed, not stored
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}

    def __setstate__(self, state: dict) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)

    def periods(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """first and until of the people at `positions` ("" and "" for -1, a person not known)."""
        found = positions >= 0
        first, until = np.full(len(positions), "", dtype=object), np.full(len(positions), "", dtype=object)
        first[found], until[found] = self.first[positions[found]], self.until[positions[found]]
        return first, until

    def days_before(self, positions: np.ndarray, begins: np.ndarray, start: str) -> tuple[np.ndarray, np.ndarray]:
        """(names, days): the known days in [start, begins[i]) of the people at `positions`."""
        limit = np.full(len(self.names), start, dtype=object)  # people not asked: nothing
        limit[positions[positions >= 0]] = begins[positions >= 0]
        keep = ~earlier(self.days, start) & earlier(self.days, limit[self.who])
        return self.names[self.who[keep]], self.days[keep]


def look_up(stage: Stage, query, targets: dict[str, list[str]], period: dict[str, str]):
    """extract.run_per_wiki for `targets` over `period`: when no replica has changed since a build made the
    same lookup (`stamps.content_stamp`, an embedded file) that build's result, else `_asked`."""
    stamps = _stamps(stage.settings, query, targets)
    key = stamps and stage.cache.key(
        "lookup", query.name, query.sql, stamps, period, settings_digest(stage.settings), _inputs_read(stage)
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


def _inputs_read(stage: Stage) -> list[str]:
    """The digests of what a lookup depends on: the new editors, their wikis and when each campaign ends (its
    windows; the campaigns' totals, which change every day, do not change whom to ask)."""
    return [*(stage.digests.of(stage.datasets[name]) for name in INPUTS[:2]), frame_digest(_campaign_ends(stage))]


def _campaign_ends(stage: Stage) -> pd.DataFrame:
    return stage.datasets["campaigns"].frame[["campaign_id", "end_date"]]


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
    keys = {wiki: _key(query, settings, wiki) for wiki in targets}
    known, bounds = _Entries(cache, keys), (start, end, final)
    kept = _kept_plan(stage, query, known, bounds)
    if kept is not None:
        known.touch()  # used, though not read: kept by the cache's pruning as long as the plan is
    plan = kept if kept is not None else _made_plan(stage, targets, known, bounds)
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
        _keep_plan(stage, query, known, bounds, _made_plan(stage, targets, known, bounds))
    elif kept is None:
        _keep_plan(stage, query, known, bounds, plan)
    counted = [
        _counted_only(dataset, plan.counted_until.get(begin, {}), end)
        for (begin, _), (dataset, _, _) in zip(sorted(plan.asks.items()), results, strict=True)
    ]
    del results  # the rows past each person's last window are not held twice
    return _merge(query, counted, plan.cached, wikis), error, wikis


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


class _Entries(dict):
    """Each wiki's `Known`, read from the cache when first used (a lookup whose plan is kept reads none)."""

    def __init__(self, cache, keys: dict[str, str]):
        super().__init__()
        self.cache, self.keys = cache, keys
        self._versions: dict[str, str | None] | None = None

    def __missing__(self, wiki: str) -> Known:
        self[wiki] = _stored(self.cache.get("replica", self.keys[wiki]))
        return self[wiki]

    def versions(self, every: bool = False) -> dict[str, str | None] | None:
        """Each wiki's entry version (a token written with the entry); None when one is not known, unless
        `every` (then that wiki's is None)."""
        if self._versions is None:
            self._versions = {wiki: self.cache.get("replica-version", key) for wiki, key in sorted(self.keys.items())}
        return self._versions if every or all(self._versions.values()) else None

    def touch(self) -> None:
        """Mark every entry used (a plan that holds their days keeps them all the same)."""
        for key in self.keys.values():
            self.cache.touch("replica", key)

    def new_version(self, wiki: str, query_name: str) -> None:
        """Give the wiki's entry, as it is now, a new version."""
        self.versions(every=True)[wiki] = secrets.token_hex(16)
        self.cache.put("replica-version", self.keys[wiki], self._versions[wiki], {"query": query_name, "wiki": wiki})


def _kept_plan(stage: Stage, query, known: _Entries, bounds: tuple[str, str, str]) -> Plan | None:
    """The plan a build made from the same new editors, windows, period and cache entries, or None: the same
    inputs make the same plan, and making it again would read every entry and hash every name. One plan is
    kept per query (12 MB at scale 1), with what it was made from."""
    if made_from := _plan_inputs(stage, query, known, bounds):
        kept = stage.cache.get("lookup-plan", _plan_slot(stage, query), accept=lambda kept: kept[0] == made_from)
        return kept[1] if kept is not None else None
    return None


def _keep_plan(stage: Stage, query, known: _Entries, bounds: tuple[str, str, str], plan: Plan) -> None:
    if made_from := _plan_inputs(stage, query, known, bounds):
        stage.cache.put("lookup-plan", _plan_slot(stage, query), (made_from, plan), {"query": query.name})


def _plan_slot(stage: Stage, query) -> str:
    return stage.cache.key("lookup-plan", query.name, query.sql)


def _plan_inputs(stage: Stage, query, known: _Entries, bounds: tuple[str, str, str]) -> str | None:
    """A digest of what a plan is made from: the settings too (the retention wikis choose whom to ask where, the
    windows where each person's days stop counting); None while an entry's version is not known."""
    versions = known.versions()
    inputs = _inputs_read(stage)
    return versions and digest(query.name, query.sql, bounds, versions, inputs, settings_digest(stage.settings))


def _made_plan(stage: Stage, targets: dict[str, list[str]], known: _Entries, bounds: tuple[str, str, str]) -> Plan:
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


def earlier(days: np.ndarray, stamps) -> np.ndarray:
    """Whether each day 'YYYYMMDD' + '000000' < its stamp 'YYYYMMDDHHMMSS' (one stamp, or one per day), without
    making a million strings: a day before the stamp's day, or the stamp's own day when its time is past
    midnight. A stamp "" is after no day."""
    if isinstance(stamps, str):
        return ((days < stamps[:8]) | ((days == stamps[:8]) & ("000000" < stamps[8:]))).astype(bool)
    parts = {stamp: (stamp[:8], "000000" < stamp[8:]) for stamp in pd.unique(stamps)}  # few distinct stamps
    cut = np.array([parts[stamp][0] for stamp in parts], dtype=object)
    past_midnight = np.array([parts[stamp][1] for stamp in parts], dtype=bool)
    which = pd.Index(list(parts), dtype=object).get_indexer(stamps)
    return ((days < cut[which]) | ((days == cut[which]) & past_midnight[which])).astype(bool)


def _stored(value) -> Known:
    return value if isinstance(value, Known) else Known()


def _no_windows(people: int, start: str, end: str) -> tuple[np.ndarray, np.ndarray]:
    """`from` and `until` for people the windows do not name: the whole period."""
    return np.full(people, start, dtype=object), np.full(people, end, dtype=object)


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


def _number(day: dt.date) -> int:
    return int(day.strftime("%Y%m%d"))


def _key(query, settings, wiki: str) -> str:
    """The SQL and the source it reads, not Almanac's code: a release does not forget final lookups."""
    return digest("replica", FORMAT, query.name, query.sql, settings.sources[query.source].url, wiki)


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
    stage: Stage, keys, known: _Entries, plan: Plan, wikis, answers: list[pd.DataFrame], final: str, query
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
    versions, any_written = known.versions(every=True), False
    for wiki, key in keys.items():
        rows = rows_by_wiki.get(wiki, np.array([], dtype=np.int64))
        found = found_names[rows], found_days[rows]
        answered = wikis.get(wiki, {}).get("status") == "ok"
        written = answered and _write_entry(stage, key, known, plan, wiki, found, start, final, query)
        any_written |= written
        if written or not versions.get(wiki):
            known.new_version(wiki, query.name)
    return any_written


def _write_entry(stage: Stage, key: str, known: _Entries, plan: Plan, wiki: str, found, start, final, query) -> bool:
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
    known[wiki] = _updated(before, anew, later, *found, start, final)
    stage.cache.put("replica", key, known[wiki], {"query": query.name, "wiki": wiki, "people": len(known[wiki].names)})
    return True


def _updated(before: Known, anew, later, names, days, start: str, final: str) -> Known:
    """`before` with the people asked anew known from `start` and those asked later from their own first
    day, all up to `final`: their days are the ones found (the later ones' also those known before)."""
    until = before.until.copy()
    until[before.positions(later)] = final
    kept = ~pd.Index(before.names).isin(anew)  # asked anew: what was known of them is replaced
    people = pd.concat(
        [
            pd.DataFrame({"first": before.first[kept], "until": until[kept]}, index=before.names[kept]),
            pd.DataFrame({"first": start, "until": final}, index=anew, dtype=object),
        ]
    ).sort_index()
    found = pd.Index(names).isin(np.concatenate([anew, later]))
    old = kept[before.who]
    day_rows = pd.DataFrame(
        {
            "name": np.concatenate([before.names[before.who[old]], names[found]]),
            "day": np.concatenate([before.days[old], days[found]]),
        }
    ).drop_duplicates()  # a later person's days found again in the cache
    who = people.index.get_indexer(day_rows["name"].to_numpy(dtype=object))
    first = people["first"].to_numpy(dtype=object)[who]
    inside = ~earlier(day_rows["day"].to_numpy(dtype=object), first)
    day_rows = pd.DataFrame({"who": who[inside], "day": day_rows["day"].to_numpy(dtype=object)[inside]})
    day_rows = day_rows.sort_values(["who", "day"], kind="mergesort")
    return Known(
        names=people.index.to_numpy(dtype=object),
        first=people["first"].to_numpy(dtype=object),
        until=people["until"].to_numpy(dtype=object),
        who=day_rows["who"].to_numpy(dtype=np.int64),
        days=day_rows["day"].to_numpy(dtype=object),
    )
