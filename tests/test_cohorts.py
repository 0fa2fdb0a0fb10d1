"""Program and campaign retention on tiny inputs worked out by hand (retention.md §1, §2)."""

import datetime as dt

import pandas as pd
import pytest

from build.dashboard.cohorts import campaign_retention, edit_period, edit_targets, program_retention

# Participation counts by hand. Cohort 2025-01: 6 people, 3 of them active in 2025-02,
# none in 2025-03, 2 in 2025-04. Cohort 2025-03: 2 people (below k_min = 5), 1 active in 2025-04.
# As-of 2025-05-10: 2025-05 and later are censored.
PARTICIPATION = pd.DataFrame(
    [
        ("2025-01", "2025-01", 6),
        ("2025-01", "2025-02", 3),
        ("2025-01", "2025-04", 2),
        ("2025-03", "2025-03", 2),
        ("2025-03", "2025-04", 1),
    ],
    columns=["cohort", "month", "active"],
)


def triangle(**overrides):
    arguments = {"as_of": dt.date(2025, 5, 10), "retention_months": 4, "k_min": 5} | overrides
    dataset = program_retention(PARTICIPATION, **arguments)
    return [tuple(row.values())[:7] for row in dataset.records()]  # the stale columns: tests/test_wikis.py


def test_program_retention_triangle_by_hand():
    assert triangle() == [
        ("2025-01", 0, 6, 6, 1.0, False),
        ("2025-01", 1, 6, 3, 0.5, False),
        ("2025-01", 2, 6, 0, 0.0, False),  # a month with nobody active is 0, not missing
        ("2025-01", 3, 6, 2, 0.333333, False),
        ("2025-01", 4, 6, None, None, False),  # 2025-05 is the as-of month: censored
        ("2025-03", 0, None, None, None, True),  # 2 people < k_min: everything suppressed
        ("2025-03", 1, None, None, None, True),
        ("2025-03", 2, None, None, None, True),
        ("2025-03", 3, None, None, None, True),
        ("2025-03", 4, None, None, None, True),
    ]


def test_program_retention_small_cohort_published_when_k_min_allows():
    rows = triangle(k_min=2)
    assert rows[5] == ("2025-03", 0, 2, 2, 1.0, False)
    assert rows[6] == ("2025-03", 1, 2, 1, 0.5, False)
    assert rows[7] == ("2025-03", 2, 2, None, None, False)  # 2025-05: censored


def test_program_retention_as_of_on_first_of_month_censors_that_month():
    rows = triangle(as_of=dt.date(2025, 4, 1))
    assert rows[3] == ("2025-01", 3, 6, None, None, False)
    assert rows[2] == ("2025-01", 2, 6, 0, 0.0, False)


CAMPAIGNS = pd.DataFrame(
    {"campaign": ["big", "small", "open"], "campaign_id": [1, 2, 3], "end_date": ["2025-01-31", "2025-01-31", None]}
)
NEW_EDITORS = pd.DataFrame(
    [(1, uid, f"U{uid}") for uid in range(1, 7)] + [(2, 1, "U1"), (2, 7, "U7")],
    columns=["campaign_id", "user_id", "username"],
)
CAMPAIGN_WIKIS = pd.DataFrame({"campaign_id": [1, 2], "language": ["en", "en"], "project": ["wikipedia", "wikipedia"]})
# E = 2025-01-31. Window 1: 2025-02-01..2025-03-02; window 2: 2025-03-03..2025-04-01;
# window 3: 2025-04-02..2025-05-01.
EDIT_DAYS = pd.DataFrame(
    [
        ("enwiki", "U1", "20250131"),  # the end date itself: in no window
        ("enwiki", "U1", "20250201"),  # first day of window 1
        ("enwiki", "U2", "20250302"),  # last day of window 1
        ("enwiki", "U3", "20250303"),  # first day of window 2
        ("dewiki", "U4", "20250210"),  # another wiki: not the campaign's
        ("enwiki", "U5", "20250401"),  # last day of window 2
        ("enwiki", "U5", "20250402"),  # first day of window 3
    ],
    columns=["wiki", "username", "edit_day"],
)


def retention_rows(as_of, k_min=5, retention_wikis=()):
    dataset = campaign_retention(
        CAMPAIGNS,
        NEW_EDITORS,
        CAMPAIGN_WIKIS,
        EDIT_DAYS,
        as_of=as_of,
        windows=[1, 2, 3],
        k_min=k_min,
        retention_wikis=list(retention_wikis),
    )
    return [tuple(row.values())[:7] for row in dataset.records()]  # the stale columns: tests/test_wikis.py


def test_campaign_retention_windows_by_hand():
    rows = retention_rows(dt.date(2025, 5, 1))
    assert rows[:3] == [
        ("big", "2025-01-31", 1, 6, 2, 0.333333, False),  # U1, U2
        ("big", "2025-01-31", 2, 6, 2, 0.333333, False),  # U3, U5
        ("big", "2025-01-31", 3, 6, None, None, False),  # last day 2025-05-01 is not before as-of
    ]
    assert rows[3:6] == [("open", None, k, None, None, None, True) for k in (1, 2, 3)]  # no new editors
    assert rows[6:] == [("small", "2025-01-31", k, None, None, None, True) for k in (1, 2, 3)]


def test_campaign_retention_window_closes_the_day_after_its_last_day():
    rows = retention_rows(dt.date(2025, 5, 2))
    assert rows[2] == ("big", "2025-01-31", 3, 6, 1, 0.166667, False)  # U5


def test_campaign_retention_counts_configured_wikis_instead():
    rows = retention_rows(dt.date(2025, 5, 2), retention_wikis=["dewiki"])
    assert [row[4] for row in rows[:3]] == [1, 0, 0]  # only U4's dewiki edit counts


@pytest.mark.parametrize(
    ("retention_wikis", "expected"),
    [
        ((), {"enwiki": ["U1", "U2", "U3", "U4", "U5", "U6", "U7"]}),
        (("dewiki", "frwiki"), {"dewiki": [f"U{i}" for i in range(1, 8)], "frwiki": [f"U{i}" for i in range(1, 8)]}),
    ],
)
def test_edit_targets_group_names_by_replica(retention_wikis, expected):
    assert edit_targets(NEW_EDITORS, CAMPAIGN_WIKIS, list(retention_wikis)) == expected


def test_edit_period_covers_every_window_and_stops_at_the_as_of_date():
    ends = pd.DataFrame({"end_date": ["2025-03-31", None, "2025-01-31"]})
    assert edit_period(ends, [1, 3], dt.date(2026, 1, 1)) == {
        "edits_from": "20250201000000",  # the day after the earliest end
        "edits_until": "20250630000000",  # 2025-03-31 + 90 days is 06-29, the last day of window 3
    }
    assert edit_period(ends, [1, 3], dt.date(2025, 5, 1))["edits_until"] == "20250501000000"
    nothing = edit_period(ends.iloc[1:2], [1], dt.date(2025, 5, 1))
    assert nothing["edits_from"] == nothing["edits_until"]


def test_campaign_retention_with_nothing_to_count():
    """No campaigns at all (an empty database), and campaigns whose new editors made no edit."""
    empty = campaign_retention(
        CAMPAIGNS.iloc[0:0],
        NEW_EDITORS.iloc[0:0],
        CAMPAIGN_WIKIS.iloc[0:0],
        EDIT_DAYS.iloc[0:0],
        as_of=dt.date(2025, 5, 2),
        windows=[1, 2, 3],
        k_min=5,
        retention_wikis=[],
    )
    assert empty.records() == []
    quiet = campaign_retention(
        CAMPAIGNS,
        NEW_EDITORS,
        CAMPAIGN_WIKIS,
        EDIT_DAYS.iloc[0:0],
        as_of=dt.date(2025, 5, 2),
        windows=[1, 2, 3],
        k_min=5,
        retention_wikis=[],
    )
    assert [(row["campaign"], row["retained"]) for row in quiet.records()][:3] == [("big", 0)] * 3
