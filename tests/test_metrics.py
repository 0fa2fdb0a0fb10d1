"""monthly_activity: months completed without gaps, programs running per month, complete months, by hand."""

import datetime as dt

import pandas as pd
import pytest

from build.dashboard.metrics import month_key, month_text, monthly_activity

ACTIVITY = pd.DataFrame(
    [("2025-02", "edits", 10), ("2025-02", "characters_added", 500), ("2025-04", "new_editors", 2)],
    columns=["month", "measure", "value"],
)
PARTICIPATION = pd.DataFrame(
    [("2025-02", "2025-02", 3), ("2025-02", "2025-04", 1), ("2025-04", "2025-04", 2)],
    columns=["cohort", "month", "active"],
)
# The timeslices were last updated (before the as-of date) in 2025-04: months before it are complete.
UPDATES = pd.DataFrame({"first_incomplete_month": ["2025-04"]})
COURSES = pd.DataFrame(
    {
        "start_date": ["2025-01-15", "2025-02-01", "2025-06-01", None],
        "end_date": ["2025-03-01", "2025-02-02", "2025-07-01", "2025-02-01"],
    }
)


def test_monthly_activity_by_hand():
    rows = monthly_activity(ACTIVITY, PARTICIPATION, COURSES, UPDATES, dt.date(2025, 5, 20), k_min=2).records()
    assert [tuple(r.values()) for r in rows] == [
        # month, started, running, active, new, edits, characters, new editors, complete
        ("2025-01", 1, 1, 0, 0, 0, 0, 0, True),
        ("2025-02", 1, 2, 3, 3, 10, 500, 0, True),
        ("2025-03", 0, 1, 0, 0, 0, 0, 0, True),
        ("2025-04", 0, 0, 3, 2, 0, 0, 2, False),  # updated during 2025-04, not after it ended
    ]


def test_monthly_activity_suppresses_new_participants_of_a_small_cohort():
    rows = monthly_activity(ACTIVITY, PARTICIPATION, COURSES, UPDATES, dt.date(2025, 5, 20), k_min=3).records()
    # 2025-02's cohort has 3 people (published), 2025-04's has 2 (< 3: suppressed); 0 is no cohort at all.
    assert [row["new_participants"] for row in rows] == [0, 3, 0, None]
    assert rows[3]["active_participants"] == 3


def test_monthly_activity_empty_database_gives_no_rows():
    empty_activity = ACTIVITY.iloc[0:0]
    empty_participation = PARTICIPATION.iloc[0:0]
    dataset = monthly_activity(
        empty_activity, empty_participation, COURSES.iloc[0:0], UPDATES.iloc[0:0], dt.date(2025, 5, 1), k_min=5
    )
    assert dataset.frame.empty
    assert list(dataset.frame.columns) == dataset.column_names


@pytest.mark.parametrize(
    ("first_incomplete", "complete"),
    [
        ("2025-05", [True, True, True, True]),  # updated in the as-of month: every published month is complete
        ("2025-02", [True, False, False, False]),  # a lag of three months
        (None, [False, False, False, False]),  # no update recorded before the as-of date: none is known complete
    ],
)
def test_monthly_activity_flags_the_months_the_updates_have_not_reached(first_incomplete, complete):
    updates = pd.DataFrame({"first_incomplete_month": pd.Series([first_incomplete], dtype="string")})
    dataset = monthly_activity(ACTIVITY, PARTICIPATION, COURSES, updates, dt.date(2025, 5, 20), k_min=2)
    assert [row["complete"] for row in dataset.records()] == complete
    # Only a flag: every number is the same as with every month complete.
    everything = monthly_activity(
        ACTIVITY, PARTICIPATION, COURSES, UPDATES.assign(first_incomplete_month="2025-05"), dt.date(2025, 5, 20), 2
    )
    numbers = [c for c in dataset.column_names if c != "complete"]
    assert dataset.frame[numbers].equals(everything.frame[numbers])


@pytest.mark.parametrize(("month", "key"), [("2024-01", 24288), ("2024-12", 24299), ("0001-01", 12)])
def test_month_key_round_trips(month, key):
    assert month_key(month) == key
    assert month_text(key) == month
