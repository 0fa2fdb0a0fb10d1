"""Metrics: derive monthly_activity from the monthly query results and the program list.

DataFrames in, a Dataset out, no I/O. Months are calendar months before the as-of month,
from the first month with any data, with no gaps; each says whether its data is complete
(the Dashboard fills its timeslices with a lag, so the latest months can be partly missing).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from build.datasets import Column, Dataset

MONTHLY_ACTIVITY = Dataset(
    name="monthly_activity",
    title="Activity by month",
    description=(
        "Per calendar month before the as-of month, from the first month with data: programs started and "
        "running, participants active and new, edits, characters added and new editors."
    ),
    columns=(
        Column("month", "string", "Calendar month, YYYY-MM."),
        Column("programs_started", "integer", "Nonprivate programs whose start date is in the month.", "programs"),
        Column(
            "active_programs",
            "integer",
            "Nonprivate programs whose [start date, end date] overlaps the month.",
            "programs",
        ),
        Column(
            "active_participants",
            "integer",
            "Distinct participants with an edit in a timeslice starting in the month, in a nonprivate program "
            "where they are a participant.",
            "people",
        ),
        Column(
            "new_participants",
            "integer",
            "Active participants for whom it is their first active month: the program_retention cohort of "
            "that month. Empty when the cohort has fewer than k_min people (suppressed there too).",
            "people",
        ),
        Column("edits", "integer", "Edits in nonprivate programs' timeslices starting in the month.", "edits"),
        Column("characters_added", "integer", "Characters added in those timeslices.", "bytes"),
        Column(
            "new_editors",
            "integer",
            "Participants whose account was registered in the month, within a program they took part in.",
            "people",
        ),
        Column(
            "complete",
            "boolean",
            "Whether the month's data is complete: the Dashboard recorded an update of both kinds of timeslices "
            "of public programs (per program and per participant) after the month ended and before the as-of "
            "date. False: the Dashboard's updates lag, so the month may be partly or wholly missing; its numbers "
            "are not a drop.",
        ),
    ),
    sort_key=("month",),
    origin=(
        "build/dashboard/metrics.py from queries/activity_by_month.sql, participant_activity.sql, courses.sql "
        "and timeslice_updates.sql"
    ),
)


def month_key(month: str) -> int:
    """A month as a count of months: `month_key("2024-03")` → 24291."""
    year, number = month.split("-")
    return int(year) * 12 + int(number) - 1


def month_text(key: int) -> str:
    """The inverse of month_key: `month_text(24291)` → '2024-03'."""
    return f"{key // 12:04d}-{key % 12 + 1:02d}"


def as_of_month_key(as_of: dt.date) -> int:
    return as_of.year * 12 + as_of.month - 1


def monthly_activity(
    activity: pd.DataFrame,
    participation: pd.DataFrame,
    courses: pd.DataFrame,
    updates: pd.DataFrame,
    as_of: dt.date,
    k_min: int,
) -> Dataset:
    """Complete the monthly measures into one row per month.

    `activity`: month, measure, value (edits, characters_added, new_editors).
    `participation`: cohort, month, active (participant_activity).
    `courses`: start_date, end_date of each nonprivate program (YYYY-MM-DD text).
    `updates`: first_incomplete_month (timeslice_updates, one row): months before it are complete.
    A month's new participants are that month's retention cohort, so a cohort smaller than
    `k_min` is suppressed here as in program_retention.
    """
    last = as_of_month_key(as_of) - 1
    measures = activity.pivot_table(index="month", columns="measure", values="value", aggfunc="sum")
    active = participation.groupby("month")["active"].sum()
    new = participation[participation["cohort"] == participation["month"]].groupby("month")["active"].sum()
    starts = _month_keys(courses["start_date"])
    ends = _month_keys(courses["end_date"])
    dated = starts.notna() & ends.notna()
    starts, ends = starts[dated].astype(int), ends[dated].astype(int)
    ordered = ends >= starts
    running_starts, running_ends = starts[ordered], ends[ordered]

    seen = [month_key(m) for m in [*measures.index, *active.index]] + [k for k in starts if k <= last]
    if not seen:
        return MONTHLY_ACTIVITY.with_frame(pd.DataFrame(columns=MONTHLY_ACTIVITY.column_names))
    keys = np.arange(min(seen), last + 1)
    months = [month_text(k) for k in keys]
    frame = pd.DataFrame({"month": months})
    frame["programs_started"] = _count_in(keys, starts)
    frame["active_programs"] = _count_overlapping(keys, running_starts.to_numpy(), running_ends.to_numpy())
    frame["active_participants"] = active.reindex(months, fill_value=0).to_numpy()
    new_participants = new.reindex(months, fill_value=0)
    frame["new_participants"] = new_participants.where(~new_participants.between(1, k_min - 1)).to_numpy()
    for measure in ("edits", "characters_added", "new_editors"):
        column = measures[measure] if measure in measures else pd.Series(dtype="Int64")
        frame[measure] = column.reindex(months).fillna(0).to_numpy()
    frame["complete"] = keys < _first_incomplete_key(updates)
    return MONTHLY_ACTIVITY.with_frame(frame)


def _first_incomplete_key(updates: pd.DataFrame) -> int:
    """The first month (as a key) not known to be complete; without any recorded update, none is complete."""
    months = [m for m in updates.get("first_incomplete_month", []) if isinstance(m, str)]
    return min((month_key(m) for m in months), default=0)


def _month_keys(dates: pd.Series) -> pd.Series:
    return pd.Series([month_key(d[:7]) if isinstance(d, str) else None for d in dates], dtype="Int64")


def _count_in(keys: np.ndarray, values: pd.Series) -> np.ndarray:
    counts = values.value_counts()
    return np.array([int(counts.get(k, 0)) for k in keys])


def _count_overlapping(keys: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """How many [start, end] month ranges contain each key: (#start <= key) - (#end < key)."""
    started = np.searchsorted(np.sort(starts), keys, side="right")
    ended = np.searchsorted(np.sort(ends), keys, side="left")
    return started - ended
