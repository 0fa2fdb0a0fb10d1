"""monthly_activity: months completed without gaps, programs running per month, by hand."""

import datetime as dt

import pandas as pd
import pytest

from build.metrics import month_key, month_text, monthly_activity

ACTIVITY = pd.DataFrame(
    [("2025-02", "edits", 10), ("2025-02", "characters_added", 500), ("2025-04", "new_editors", 2)],
    columns=["month", "measure", "value"],
)
PARTICIPATION = pd.DataFrame(
    [("2025-02", "2025-02", 3), ("2025-02", "2025-04", 1), ("2025-04", "2025-04", 2)],
    columns=["cohort", "month", "active"],
)
COURSES = pd.DataFrame(
    {
        "start_date": ["2025-01-15", "2025-02-01", "2025-06-01", None],
        "end_date": ["2025-03-01", "2025-02-02", "2025-07-01", "2025-02-01"],
    }
)


def test_monthly_activity_by_hand():
    rows = monthly_activity(ACTIVITY, PARTICIPATION, COURSES, dt.date(2025, 5, 20), k_min=2).records()
    assert [tuple(r.values()) for r in rows] == [
        # month, started, running, active, new, edits, characters, new editors
        ("2025-01", 1, 1, 0, 0, 0, 0, 0),
        ("2025-02", 1, 2, 3, 3, 10, 500, 0),
        ("2025-03", 0, 1, 0, 0, 0, 0, 0),
        ("2025-04", 0, 0, 3, 2, 0, 0, 2),
    ]


def test_monthly_activity_suppresses_new_participants_of_a_small_cohort():
    rows = monthly_activity(ACTIVITY, PARTICIPATION, COURSES, dt.date(2025, 5, 20), k_min=3).records()
    # 2025-02's cohort has 3 people (published), 2025-04's has 2 (< 3: suppressed); 0 is no cohort at all.
    assert [row["new_participants"] for row in rows] == [0, 3, 0, None]
    assert rows[3]["active_participants"] == 3


def test_monthly_activity_empty_database_gives_no_rows():
    empty_activity = ACTIVITY.iloc[0:0]
    empty_participation = PARTICIPATION.iloc[0:0]
    dataset = monthly_activity(empty_activity, empty_participation, COURSES.iloc[0:0], dt.date(2025, 5, 1), k_min=5)
    assert dataset.frame.empty
    assert list(dataset.frame.columns) == dataset.column_names


@pytest.mark.parametrize(("month", "key"), [("2024-01", 24288), ("2024-12", 24299), ("0001-01", 12)])
def test_month_key_round_trips(month, key):
    assert month_key(month) == key
    assert month_text(key) == month
