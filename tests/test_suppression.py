"""Secondary suppression (build/suppression.py): no published total gives a suppressed group back.

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

from build import cohorts, suppression
from build.datasets import Column, Dataset
from build.metrics import month_key, month_text

from conftest import AS_OF, ROOT, run_build

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
    retention["month"] = [
        month_text(month_key(c) + int(s)) for c, s in zip(retention["cohort"], retention["months_since"], strict=True)
    ]
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
    fields = {
        (r["name"].rsplit("-", 1)[0], f["name"]): f["description"]
        for r in package["resources"]
        for f in r["schema"]["fields"]
    }
    for (dataset, column), note in suppression.NOTES.items():
        assert fields[(dataset, column)].endswith(note)
