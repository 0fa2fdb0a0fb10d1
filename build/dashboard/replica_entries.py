"""The replica cache's entries: per wiki, the people asked and their final edit days (`Known`), read when
first used (`Entries`) and versioned, and how an entry grows with what a lookup found (`updated`).

A `Known` holds the people asked, each with the period [first, until) their days are known for (stamps
'YYYYMMDDHHMMSS'), and every edit day of theirs in it, as plain arrays (400,000 people load in a fraction of
a second, and a lookup is a few vectorised passes, not a loop over people). Each written entry gets a new
version token, so a lookup plan made from it (lookup_plan.py) is followed only while it is unchanged.
"""

from __future__ import annotations

import dataclasses
import functools
import secrets

import numpy as np
import pandas as pd

from build.cache import digest

FORMAT = 3  # of the stored entries; a change starts a fresh replica cache

NOTHING = np.array([], dtype=object)


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


class Entries(dict):
    """Each wiki's `Known`, read from the cache when first used (a lookup whose plan is kept reads none)."""

    def __init__(self, cache, keys: dict[str, str]):
        super().__init__()
        self.cache, self.keys = cache, keys
        self._versions: dict[str, str | None] | None = None

    def __missing__(self, wiki: str) -> Known:
        self[wiki] = _stored(self.cache.get("replica", self.keys[wiki]))
        return self[wiki]

    def versions(self) -> dict[str, str | None]:
        """Each wiki's entry version (a token written with the entry), None for one not known."""
        if self._versions is None:
            self._versions = {wiki: self.cache.get("replica-version", key) for wiki, key in sorted(self.keys.items())}
        return self._versions

    def touch(self) -> None:
        """Mark every entry used (a plan that holds their days keeps them all the same)."""
        for key in self.keys.values():
            self.cache.touch("replica", key)

    def new_version(self, wiki: str, query_name: str) -> None:
        """Give the wiki's entry, as it is now, a new version."""
        self.versions()[wiki] = secrets.token_hex(16)
        self.cache.put("replica-version", self.keys[wiki], self._versions[wiki], {"query": query_name, "wiki": wiki})


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


def entry_key(query, settings, wiki: str) -> str:
    """The SQL and the source it reads, not Almanac's code: a release does not forget final lookups."""
    return digest("replica", FORMAT, query.name, query.sql, settings.sources[query.source].url, wiki)


def updated(before: Known, anew, later, names, days, start: str, final: str) -> Known:
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
