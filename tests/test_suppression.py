"""Secondary suppression (build/dashboard/suppression.py): no published total gives a suppressed group back.

The attacks and the general check read only the published CSV files, as a reader would:
- a month: active_participants(m) − Σ published cohorts' active in m = Σ hidden cells of m;
- a campaign: max(programs' new_editors) ≤ campaign's new editors ≤ Σ programs' new_editors.
Each suppressed value must stay free over its whole box: a cohort's size 1 … k_min − 1, its
active counts 0 … k_min − 1, a campaign's new editors 0 … min(k_min − 1, participants).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from conftest import AS_OF, ROOT, run_build

from build.dashboard import cohorts, suppression
from build.dashboard.metrics import month_key, month_text
from build.datasets import Column, Dataset

K_MIN = 5


def read(site, name: str) -> pd.DataFrame:
    return pd.read_csv(site / "data" / "v1" / f"{name}.csv", dtype={"cohort": str, "month": str})


# --- what a reader can compute from the published files ----------------------------------------


def month_ranges(site, k_min: int) -> list[dict]:
    """For each suppressed cohort cell in a month with published active participants: the range the
    month's equation leaves it, beside the box that suppression itself reveals."""
    retention, monthly = read(site, "program_retention"), read(site, "monthly_activity")
    horizon = int(retention["months_since"].max())
    first = retention[retention["months_since"] == 0]
    sizes = dict(zip(first["cohort"], first["cohort_size"], strict=True))  # NaN when suppressed
    pairs = zip(retention["cohort"], retention["months_since"], strict=True)
    retention["month"] = [month_text(month_key(cohort) + int(since)) for cohort, since in pairs]
    cells = {(r.cohort, r.month): r for r in retention.itertuples(index=False)}
    result = []
    for row in monthly.dropna(subset=["active_participants"]).itertuples(index=False):
        residual, unknown = int(row.active_participants), {}
        for cohort, size in sizes.items():
            since = month_key(row.month) - month_key(cohort)
            if since < 0:
                continue
            cell = cells.get((cohort, row.month))
            if cell is not None and not pd.isna(cell.active):
                residual -= int(cell.active)
            elif pd.isna(size):  # a suppressed cohort: its size 1 … k-1, any of its cells 0 … k-1
                unknown[cohort] = (1 if since == 0 else 0, k_min - 1, since <= horizon)
            else:  # a withheld or never-published cell of a published cohort: 0 … size
                unknown[cohort] = (0, int(size), False)
        for cohort, (low, high, protected) in unknown.items():
            if not protected:
                continue
            others_low = sum(v[0] for c, v in unknown.items() if c != cohort)
            others_high = sum(v[1] for c, v in unknown.items() if c != cohort)
            implied = (max(low, residual - others_high), min(high, residual - others_low))
            result.append({"cohort": cohort, "month": row.month, "implied": implied, "box": (low, high)})
    return result


def campaign_ranges(site, k_min: int) -> list[dict]:
    """For each campaign with empty new_editors: the range its programs' published values leave it
    (each program ≤ the campaign; with preregistration_days = 0 the campaign ≤ their sum)."""
    campaigns, links, courses = read(site, "campaigns"), read(site, "campaign_courses"), read(site, "courses")
    programs = courses.set_index("course_slug")
    result = []
    for row in campaigns[campaigns["new_editors"].isna()].itertuples(index=False):
        members = programs.loc[links.loc[links["campaign"] == row.campaign, "course_slug"]]
        published = members["new_editors"].dropna()
        low = int(published.max()) if len(published) else 0
        high = int(published.sum() + members.loc[members["new_editors"].isna(), "editors"].sum())
        box = (0, min(k_min - 1, int(row.participants)))
        result.append({"campaign": row.campaign, "implied": (low, min(high, box[1])), "box": box})
    return result


def assert_free(ranges: list[dict]) -> None:
    narrowed = [r for r in ranges if r["implied"][0] > r["box"][0] or r["implied"][1] < r["box"][1]]
    assert not narrowed, f"published totals narrow suppressed values: {narrowed[:5]}"


# --- the demo, built through the whole pipeline ---------------------------------------------------


@pytest.fixture(scope="module")
def k20_site(tmp_path_factory, demo_sources):
    """The demo built with k_min = 20, so that some campaigns are suppressed too."""

    folder = tmp_path_factory.mktemp("k20")
    (folder / "site.toml").write_text(f'[build]\nqueries = "{ROOT / "queries"}"\n[privacy]\nk_min = 20\n')
    dashboard, replica, _ = demo_sources
    arguments = ("--config", str(folder / "site.toml"), "--as-of", AS_OF, "--out", str(folder / "site"))
    result = run_build(*arguments, "--source", f"dashboard={dashboard}", "--source", f"replica={replica}")
    assert result.returncode == 0, result.stderr
    return folder / "site"


def test_the_month_attack_no_longer_gives_a_cohort_size(demo_site):
    """2015-06 is a suppressed cohort of the demo: its month's total minus the published cohorts
    used to be its size; now the complementary cells leave anything from 1 to k_min − 1."""
    retention = read(demo_site, "program_retention")
    assert retention.loc[(retention["cohort"] == "2015-06") & (retention["months_since"] == 0), "suppressed"].item()
    ranges = [r for r in month_ranges(demo_site, K_MIN) if r["cohort"] == "2015-06" and r["month"] == "2015-06"]
    assert ranges == [{"cohort": "2015-06", "month": "2015-06", "implied": (1, K_MIN - 1), "box": (1, K_MIN - 1)}]
    withheld_cells = retention[retention["suppressed"] & retention["cohort_size"].notna()]
    assert len(withheld_cells) > 0  # the room comes from complementary cells, not from hiding the month
    assert read(demo_site, "monthly_activity")["active_participants"].notna().all()


def test_every_suppressed_cohort_stays_free_in_every_month(demo_site, k20_site):
    for site, k_min in ((demo_site, K_MIN), (k20_site, 20)):
        ranges = month_ranges(site, k_min)
        assert len(ranges) > 10  # the check saw suppressed cells in months with a published total
        assert_free(ranges)


def test_the_campaign_attack_no_longer_gives_a_campaign_count(k20_site):
    """With k_min = 20 some demo campaigns are suppressed; their programs' published new editors used
    to bound them from below (a program's new editors are some of the campaign's)."""
    campaigns = read(k20_site, "campaigns")
    suppressed = set(campaigns.loc[campaigns["new_editors"].isna(), "campaign"])
    assert len(suppressed) >= 2
    links, courses = read(k20_site, "campaign_courses"), read(k20_site, "courses")
    members = set(links.loc[links["campaign"].isin(suppressed), "course_slug"])
    values = courses.loc[courses["course_slug"].isin(members), "new_editors"]
    assert values.dropna().le(0).all()  # no program of a suppressed campaign shows a new editor
    assert_free(campaign_ranges(k20_site, 20))
    retention = read(k20_site, "campaign_retention")
    assert retention.loc[retention["campaign"].isin(suppressed), "suppressed"].all()


def test_the_descriptions_say_what_secondary_suppression_empties(demo_site):
    import json

    package = json.loads((demo_site / "data" / "v1" / "datapackage.json").read_text(encoding="utf-8"))
    resources = [r for r in package["resources"] if r["format"] == "csv"]
    fields = {
        (r["name"].rsplit("-", 1)[0], f["name"]): f["description"] for r in resources for f in r["schema"]["fields"]
    }
    for (dataset, column), note in suppression.NOTES.items():
        assert fields[(dataset, column)].endswith(note)


# --- small hand-made cases: the extra suppression written out ------------------------------------

AS_OF_DATE = dt.date(2024, 4, 1)  # 2024-01 … 2024-03 are complete months


def hand_months(active: dict[tuple[str, str], int], retention_months: int = 2):
    """program_retention (primary suppression only) and monthly_activity totals from true cells."""
    participation = pd.DataFrame(
        [(c, m, n) for (c, m), n in sorted(active.items())], columns=["cohort", "month", "active"]
    )
    retention = cohorts.program_retention(participation, AS_OF_DATE, retention_months, K_MIN).frame
    totals = participation.groupby("month")["active"].sum()
    monthly = pd.DataFrame({"month": ["2024-01", "2024-02", "2024-03"]})
    monthly["active_participants"] = pd.array([int(totals.get(m, 0)) for m in monthly["month"]], dtype="Int64")
    return retention, monthly, participation


def withheld_cells(before: pd.DataFrame, after: pd.DataFrame) -> list[tuple[str, int]]:
    changed = after["suppressed"] & ~before["suppressed"]
    return sorted(zip(after.loc[changed, "cohort"], after.loc[changed, "months_since"], strict=True))


MONTH_CASES = {
    # A cohort of 3 joins a cohort of 10: 2024-02's total minus 10's 6 would give 3, 2024-03's 2.
    # The 10-cohort's cells in those months (box 0 … 10) give the room back.
    "complement the suppressed cohort's months": (
        {
            ("2024-01", "2024-01"): 10,
            ("2024-01", "2024-02"): 6,
            ("2024-01", "2024-03"): 4,
            ("2024-02", "2024-02"): 3,
            ("2024-02", "2024-03"): 2,
        },
        [("2024-01", 1), ("2024-01", 2)],
        [],
    ),
    # Two published cohorts could hide 2024-03's cell: the smaller one that is enough on its own.
    "the smallest cell that is enough": (
        {
            ("2024-01", "2024-01"): 30,
            ("2024-01", "2024-03"): 12,
            ("2024-02", "2024-02"): 8,
            ("2024-02", "2024-03"): 4,
            ("2024-03", "2024-03"): 2,
        },
        [("2024-02", 1)],
        [],
    ),
    # 2024-01 holds only the small cohort, and 2024-02 besides it only the 9-cohort's own month (its
    # published size): no cell can help, so both totals are withheld. In 2024-03 the 9-cohort's cell can.
    "months with nothing to complement": (
        {("2024-01", "2024-01"): 2, ("2024-01", "2024-02"): 1, ("2024-02", "2024-02"): 9, ("2024-02", "2024-03"): 5},
        [("2024-02", 1)],
        ["2024-01", "2024-02"],
    ),
    "no small group, nothing withheld": (
        {
            ("2024-01", "2024-01"): 10,
            ("2024-01", "2024-02"): 6,
            ("2024-02", "2024-02"): 5,
            ("2024-02", "2024-03"): 1,
            ("2024-03", "2024-03"): 7,
        },
        [],
        [],
    ),
}


@pytest.mark.parametrize("case", MONTH_CASES, ids=list(MONTH_CASES))
def test_months_get_exactly_the_complementary_suppression_written_here(case):
    active, expected_cells, expected_months = MONTH_CASES[case]
    retention, monthly, participation = hand_months(active)
    new_retention, new_monthly = suppression.protect_months(retention, monthly, participation, K_MIN)
    assert withheld_cells(retention, new_retention) == expected_cells
    assert sorted(new_monthly.loc[new_monthly["active_participants"].isna(), "month"]) == expected_months
    hidden = new_retention[new_retention["suppressed"]]
    assert hidden["active"].isna().all() and hidden["retention"].isna().all()
    kept = new_retention[~new_retention["suppressed"]]
    pd.testing.assert_frame_equal(kept, retention[~new_retention["suppressed"]])


def hand_campaigns(rows, links, programs):
    campaigns = pd.DataFrame(rows, columns=["campaign", "new_editors", "participants"])
    campaigns["new_editors"] = campaigns["new_editors"].astype("Int64")
    courses = pd.DataFrame(programs, columns=["course_slug", "new_editors", "editors"])
    courses["new_editors"] = courses["new_editors"].astype("Int64")
    return campaigns, pd.DataFrame(links, columns=["campaign", "course_slug"]), courses


CAMPAIGN_CASES = {
    # a's 2 new editors are 2 of the small campaign's; with b's published 0 the sum would cap it at
    # 2 + 0 < 4, so b goes too (its 3 participants give the room).
    "a program value and a revealing zero": (
        [("small", None, 6)],
        [("small", "a"), ("small", "b")],
        [("a", 2, 3), ("b", 0, 3)],
        True,
        ({"a", "b"}, set()),
    ),
    # With preregistration_days > 0 the campaign can count people no program does: no upper bound.
    "a program value, preregistration allowed": (
        [("small", None, 6)],
        [("small", "a"), ("small", "b")],
        [("a", 2, 3), ("b", 0, 3)],
        False,
        ({"a"}, set()),
    ),
    # p is in the small campaign and in big (10 new editors, whose other program q has 8): 10 - 8 would
    # still give p, hence small, at least 2, even with q hidden 1; hiding big's count is the one fix.
    "a chain through a shared program": (
        [("big", 10, 30), ("small", None, 3)],
        [("big", "p"), ("big", "q"), ("small", "p")],
        [("p", 2, 3), ("q", 8, 9)],
        True,
        ({"p"}, {"big"}),
    ),
    "no small campaign, nothing withheld": (
        [("big", 10, 30)],
        [("big", "p"), ("big", "q")],
        [("p", 2, 3), ("q", 8, 9)],
        True,
        (set(), set()),
    ),
}


@pytest.mark.parametrize("case", CAMPAIGN_CASES, ids=list(CAMPAIGN_CASES))
def test_campaigns_get_exactly_the_withholding_written_here(case):
    rows, links, programs, union_bound, (expected_programs, expected_campaigns) = CAMPAIGN_CASES[case]
    campaigns, links, courses = hand_campaigns(rows, links, programs)
    withheld = suppression.protect_campaigns(campaigns, links, courses, k_min=K_MIN, union_bound=union_bound)
    assert (withheld.programs, withheld.campaigns) == (expected_programs, expected_campaigns)
    audit = suppression.CampaignAudit(campaigns, links, courses, K_MIN, union_bound)
    assert audit.shortfall(withheld) == {}
    if audit.protected:  # before: the published values did narrow the small campaign
        assert audit.shortfall(suppression.Withheld()) != {}


def test_protect_is_pure_and_deterministic():
    retention, monthly, participation = hand_months(MONTH_CASES["complement the suppressed cohort's months"][0])
    campaigns, links, courses = hand_campaigns(*CAMPAIGN_CASES["a chain through a shared program"][:3])

    def dataset(name, frame):
        columns = tuple(Column(c, _type(frame[c]), f"{c}.") for c in frame.columns)
        return Dataset(name, name, name, columns, (frame.columns[0],), "test").with_frame(frame)

    datasets = {
        "program_retention": dataset("program_retention", retention),
        "monthly_activity": dataset("monthly_activity", monthly),
        "participant_activity": replace_publish(dataset("participant_activity", participation)),
        "campaigns": dataset("campaigns", campaigns),
        "campaign_courses": dataset("campaign_courses", links),
        "courses": dataset("courses", courses),
    }
    copies = {name: d.frame.copy() for name, d in datasets.items()}
    first = suppression.protect(datasets, k_min=K_MIN, preregistration_days=0)
    second = suppression.protect(datasets, k_min=K_MIN, preregistration_days=0)
    for name, frame in copies.items():
        pd.testing.assert_frame_equal(datasets[name].frame, frame)  # inputs untouched
    assert sorted(first) == ["campaigns", "courses", "monthly_activity", "program_retention"]
    for name in first:
        pd.testing.assert_frame_equal(first[name].frame, second[name].frame)
    assert first["courses"].frame["new_editors"].isna().tolist() == [True, False]
    assert first["campaigns"].frame["new_editors"].isna().all()


def replace_publish(dataset: Dataset) -> Dataset:
    from dataclasses import replace

    return replace(dataset, publish=False)


def _type(values: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(values):
        return "boolean"
    if pd.api.types.is_integer_dtype(values):
        return "integer"
    if pd.api.types.is_float_dtype(values):
        return "number"
    return "string"


def test_a_withheld_total_takes_the_campaign_counts_that_would_bound_it():
    """2024-01 and 2024-02 are withheld ("months with nothing to complement"); a campaign's active
    participants in a withheld month is a floor under the total, so one above the month's limit goes."""
    retention, monthly, participation = hand_months(MONTH_CASES["months with nothing to complement"][0])
    retention, monthly = suppression.protect_months(retention, monthly, participation, K_MIN)
    floors = suppression.total_floors(retention, monthly, K_MIN)
    # 2024-01: the small cohort alone, size 1 … 4: a floor of 1 says nothing. 2024-02: the 9-cohort's
    # published 9 plus the small cohort's cell 0 … 4: a floor of 9 says nothing, 10 would.
    assert floors == {"2024-01": 1, "2024-02": 9}
    activity = pd.DataFrame(
        {"campaign": ["a", "a", "b", "b"], "month": ["2024-01", "2024-02", "2024-02", "2024-03"]}
    ).assign(active_participants=pd.array([2, 10, 9, 14], dtype="Int64"))
    withheld = suppression.withhold_campaign_activity(activity, floors)
    assert withheld["active_participants"].isna().tolist() == [True, True, False, False]


def test_no_campaign_count_bounds_a_withheld_month(demo_site, k20_site):
    for site, k_min in ((demo_site, K_MIN), (k20_site, 20)):
        retention, monthly = read(site, "program_retention"), read(site, "monthly_activity")
        floors = suppression.total_floors(retention, monthly, k_min)
        activity = read(site, "campaign_activity").dropna(subset=["active_participants"])
        above = activity[activity["active_participants"] > activity["month"].map(floors)]
        assert above.empty, above
