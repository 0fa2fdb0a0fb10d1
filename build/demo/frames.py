"""The demo's data holders and small vectorised helpers: `Demo` (the result), `State` (what one generation run
passes from stage to stage), DDL-shaped frames, date conversions, word picks and slugs."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .schema import ddl_defaults


@dataclass
class Demo:
    """The generated demo: one DataFrame per Dashboard table (DDL columns, DDL order; empty tables included),
    and per replica database name (without `_p`) its actor, page and revision frames."""

    scale: float
    seed: int
    dashboard: dict[str, pd.DataFrame]
    replica: dict[str, dict[str, pd.DataFrame]]
    seconds: float = 0.0
    notes: dict[str, Any] = field(default_factory=dict)

    def row_counts(self) -> dict[str, int]:
        counts = {name: len(frame) for name, frame in self.dashboard.items()}
        for dbname, tables in self.replica.items():
            counts.update({f"{dbname}_p.{name}": len(frame) for name, frame in tables.items()})
        return counts


@dataclass
class State:
    """One generation run: the random generator (every stage draws from it in a fixed order, so the order of the
    stages is part of the data), the Dashboard tables made so far, notes for the tests, and the working frames
    a later stage reads. Positions ("course", "user") are 0-based; "_id" columns are the tables' 1-based ids."""

    scale: float
    seed: int
    rng: np.random.Generator
    n_courses: int
    n_campaigns: int
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)
    campaign: pd.DataFrame | None = None  # id, start_day, end_day, dated, created_at
    course: pd.DataFrame | None = None  # id, type, home, second, start, end, *_day, students, primary, private, ...
    course_text: dict[str, np.ndarray] = field(default_factory=dict)  # title, school, term, slug per course
    withdrawn: np.ndarray | None = None  # per course
    enrol: pd.DataFrame | None = None  # course, user, role, user_id, course_id
    user_kind: pd.Series | None = None  # by user id: 0 student, 1 instructor, 2 staff
    user_first_seen: pd.Series | None = None  # by user id: start of the first course they joined
    registered: np.ndarray | None = None  # by user id - 1: wiki registration time (NaT: unknown)
    usernames: np.ndarray | None = None  # by user id - 1
    trained: np.ndarray | None = None  # by user id - 1
    cuwt: pd.DataFrame | None = None  # course_user_wiki_timeslices as days, with a `student` flag
    cwt: pd.DataFrame | None = None  # course_wiki_timeslices as course position x day
    ac_stats: pd.DataFrame | None = None  # per course id: article_count, new_article_count, view_sum

    @classmethod
    def start(cls, scale: float, seed: int) -> State:
        return cls(
            scale=scale,
            seed=seed,
            rng=np.random.default_rng(seed),
            n_courses=max(60, round(20_000 * scale)),
            n_campaigns=max(14, round(1_500 * scale)),
        )


def ddl_frame(schema: str, table: str, data: dict[str, Any], n: int | None = None) -> pd.DataFrame:
    """A DataFrame with exactly the DDL's columns in order: missing ones get the DDL default (or NULL)."""
    spec = ddl_defaults(schema)[table]
    unknown = set(data) - set(spec)
    if unknown:
        raise KeyError(f"{table}: no columns {sorted(unknown)} in build/demo/ddl/{schema}.sql")
    if n is None:
        n = len(next(iter(data.values())))
    columns = {}
    for name, (not_null, default) in spec.items():
        if name in data:
            value = data[name]
            columns[name] = value if not np.isscalar(value) and value is not None else np.full(n, value, dtype=object)
        elif default is not None:
            columns[name] = np.full(n, default)
        elif not_null:
            raise KeyError(f"{table}.{name} is NOT NULL without default: the generator must fill it")
        else:
            columns[name] = np.full(n, None, dtype=object)
    return pd.DataFrame(columns)


def as_seconds(values) -> np.ndarray:
    return np.asarray(values).astype("datetime64[s]")


def int_days(days) -> np.ndarray:
    """datetime64 dates → int64 days since 1970-01-01 (pandas turns datetime64[D] columns into seconds)."""
    return np.asarray(days).astype("datetime64[D]").astype(np.int64)


def day_seconds(days) -> np.ndarray:
    """int64 days since 1970-01-01 → datetime64[s] at 00:00:00."""
    return np.asarray(days).astype("datetime64[D]").astype("datetime64[s]")


def span_days(n) -> np.ndarray:
    return np.asarray(n).astype("timedelta64[D]").astype("timedelta64[s]")


def pick_words(rng: np.random.Generator, options_by_key: dict[int, list[str]], keys: np.ndarray) -> np.ndarray:
    """For each key, a random string among options_by_key[key] (vectorised per key)."""
    out = np.empty(len(keys), dtype=object)
    for key, options in options_by_key.items():
        where = np.flatnonzero(keys == key)
        out[where] = np.asarray(options, dtype=object)[rng.integers(0, len(options), len(where))]
    return out


def fold(text: str) -> str:
    """Case- and accent-insensitive key (what utf8mb4_unicode_ci compares)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def unique_slugs(slugs: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Append `_<id>` to slugs that collide case- and accent-insensitively (MariaDB's unique index would refuse)."""
    folded = pd.Series([fold(s) for s in slugs])
    duplicated = folded.duplicated(keep="first").to_numpy()
    out = slugs.astype(object).copy()
    out[duplicated] = [f"{s}_{i}" for s, i in zip(slugs[duplicated], ids[duplicated], strict=True)]
    return out


def segment_pick(rng, starts: np.ndarray, sizes: np.ndarray, which: np.ndarray) -> np.ndarray:
    """For each row r: a random index in [starts[which[r]], starts[which[r]] + sizes[which[r]])."""
    return starts[which] + np.floor(rng.random(len(which)) * sizes[which]).astype(np.int64)


def mw_stamps(times: np.ndarray) -> np.ndarray:
    """datetime64[s] → MediaWiki 'YYYYMMDDHHMMSS' strings (vectorised)."""
    text = np.datetime_as_string(times.astype("datetime64[s]"), unit="s")  # 'YYYY-MM-DDTHH:MM:SS'
    for char in "-T:":
        text = np.strings.replace(text, char, "")
    return text.astype(object)
