"""Secondary suppression (build/dashboard/suppression*.py): no published number gives a suppressed group back.

The attacker here reads only the published CSV files, as a reader would, writes every relation
between them it knows as an integer linear program (scipy's milp, independently of the engine's
ledger) and asks for the least and greatest value of each suppressed number:
- months: active_participants(m) = Σ cohorts' cells in m; a cell is at most its cohort's size;
  active ≤ edits; a campaign's active participants ≤ the month's, and the month's ≤ a set of
  disjoint campaigns' active participants + the month's edits outside them; a campaign row means
  someone was active; no program running means no one was active;
- campaigns: each program's new editors ≤ its campaign's ≤ their sum (preregistration_days = 0);
  a program's new editors split over the months it ran; a month's new editors are at least each
  running program's share and at most their sum; the months add up to system_totals.new_editors.
Each suppressed value must stay free over its whole box: a cohort's size 1 … k_min − 1, its
active counts 0 … k_min − 1 (0 in a month no program ran), a campaign's new editors
0 … min(k_min − 1, participants).
"""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pandas as pd
import pytest
from conftest import AS_OF, ROOT, run_build
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from build.dashboard import cohorts, suppression
from build.dashboard.metrics import month_key, month_text
from build.dashboard.suppression_campaigns import CampaignAudit, Withheld

K_MIN = 5


def read(site, name: str) -> pd.DataFrame:
    return pd.read_csv(site / "data" / "v1" / f"{name}.csv", dtype={"cohort": str, "month": str})


# --- the attacker: an integer program over what the published files say ------------------------


class Program:
    """Unknowns with bounds and rows `low ≤ Σ coef·x ≤ high`; `reaches(keys)` is the attacker's answer."""

    def __init__(self):
        self.index, self.lows, self.highs, self.rows = {}, [], [], []

    def var(self, key, low=0, high=np.inf):
        if key not in self.index:
            self.index[key] = len(self.lows)
            self.lows.append(low)
            self.highs.append(high)
        return key

    def row(self, terms, low=-np.inf, high=np.inf):
        if terms:
            self.rows.append((dict(terms), low, high))

    def reaches(self, keys) -> dict:
        """{key: (least, most)} over every integer solution, exactly: a key whose bound some solution
        attains needs no program of its own (two joint programs first, then each solve's solution settles
        every key it shows at a bound), the rest get one integer program per open end."""
        entries = [
            (number, self.index[name], coefficient)
            for number, (terms, _, _) in enumerate(self.rows)
            for name, coefficient in terms.items()
        ]
        rows, columns, values = zip(*entries, strict=True) if entries else ((), (), ())
        matrix = sparse.csr_array((values, (rows, columns)), shape=(len(self.rows), len(self.lows)))
        constraints = [LinearConstraint(matrix, [r[1] for r in self.rows], [r[2] for r in self.rows])]
        lows, highs = np.array(self.lows, dtype=float), np.array(self.highs, dtype=float)
        columns_of = {key: self.index[key] for key in keys}
        reach = {key: [None, None] for key in keys}

        def solve(objective):
            result = milp(
                objective, constraints=constraints, bounds=Bounds(lows, highs), integrality=np.ones(len(lows))
            )
            assert result.status == 0, f"the published numbers contradict each other ({result.message})"
            solution = np.round(result.x)
            for key, column in columns_of.items():  # a bound some solution attains is that end's reach
                if solution[column] == lows[column]:
                    reach[key][0] = int(lows[column])
                if solution[column] == highs[column]:
                    reach[key][1] = int(highs[column])
            return result

        for sign in (1, -1):
            objective = np.zeros(len(lows))
            objective[list(columns_of.values())] = sign
            solve(objective)
        for key, column in columns_of.items():
            for end, sign in ((0, 1), (1, -1)):
                if reach[key][end] is None:
                    objective = np.zeros(len(lows))
                    objective[column] = sign
                    reach[key][end] = round(sign * solve(objective).fun)
        return {key: tuple(ends) for key, ends in reach.items()}


def _number(value):
    return None if pd.isna(value) else int(value)


def month_attack(site, k_min: int) -> list[dict]:
    """For each suppressed cohort's size and published-range cell: its reach beside its box."""
    retention, monthly = read(site, "program_retention"), read(site, "monthly_activity")
    activity, courses = read(site, "campaign_activity"), read(site, "courses")
    links = read(site, "campaign_courses").groupby("campaign")["course_slug"].apply(set).to_dict()
    horizon = int(retention["months_since"].max())
    first = retention[retention["months_since"] == 0]
    sizes = {month_key(c): _number(s) for c, s in zip(first["cohort"], first["cohort_size"], strict=True)}
    cells = {
        (month_key(r.cohort), month_key(r.cohort) + int(r.months_since)): _number(r.active)
        for r in retention.itertuples(index=False)
    }
    running = set()
    for start, end in zip(courses["start_date"], courses["end_date"], strict=True):
        running.update(range(month_key(start[:7]), month_key(end[:7]) + 1))
    program, boxes = Program(), {}
    suppressed = sorted(c for c, size in sizes.items() if size is None)
    for cohort in suppressed:
        boxes[program.var(("size", cohort), 1, k_min - 1)] = (1, k_min - 1)
    for row in monthly.itertuples(index=False):
        month = month_key(row.month)
        total = program.var(("total", month), 0)
        terms = {total: -1}
        for cohort, size in sizes.items():
            if cohort > month:
                continue
            value = size if cohort == month else cells.get((cohort, month))
            if value is not None and size is not None:
                terms[program.var(("known", cohort, month), value, value)] = 1
            elif size is None:
                key = ("size", cohort) if cohort == month else program.var(("cell", cohort, month), 0, k_min - 1)
                if cohort != month:
                    program.row({key: 1, ("size", cohort): -1}, high=0)
                    if month - cohort <= horizon:
                        boxes[key] = (0, k_min - 1 if month in running else 0)
                terms[key] = 1
            else:
                terms[program.var(("hidden", cohort, month), 0, size)] = 1
        program.row(terms, 0, 0)
        published = _number(row.active_participants)
        if published is not None:
            program.row({total: 1}, published, published)
        if month not in running:
            program.row({total: 1}, high=0)
        edits = _number(row.edits)
        if edits is not None:
            program.row({total: 1}, high=edits)
        rows = activity[activity["month"] == row.month]
        if len(rows):
            program.row({total: 1}, low=1)
        known = [
            (r.campaign, int(r.active_participants), int(r.edits))
            for r in rows.itertuples(index=False)
            if not pd.isna(r.active_participants) and not pd.isna(r.edits)
        ]
        for _campaign, active, _ in known:
            program.row({total: 1}, low=active)
        if edits is not None:
            for size in (1, 2, 3):
                for chosen in itertools.combinations(known, size):
                    groups = [links.get(c, set()) for c, _, _ in chosen]
                    if any(a & b for a, b in itertools.combinations(groups, 2)):
                        continue
                    bound = sum(a for _, a, _ in chosen) + edits - sum(e for _, _, e in chosen)
                    program.row({total: 1}, high=bound)
    reaches = program.reaches(list(boxes))
    return [
        {"key": (key[0], *map(month_text, key[1:])), "reach": reaches[key], "box": box} for key, box in boxes.items()
    ]


def campaign_attack(site, k_min: int, as_of: str) -> list[dict]:
    """For each campaign with empty new_editors (suppressed or withheld): its reach beside its box."""
    campaigns, links, courses = read(site, "campaigns"), read(site, "campaign_courses"), read(site, "courses")
    monthly, system = read(site, "monthly_activity"), read(site, "system_totals")
    last = month_key(as_of[:7])
    program, shares = Program(), {}
    for row in courses.itertuples(index=False):
        value = _number(row.new_editors)
        own = program.var(("program", row.course_slug), *((0, row.editors) if value is None else (value, value)))
        months = range(month_key(row.start_date[:7]), min(month_key(row.end_date[:7]), last) + 1)
        keys = [program.var(("share", row.course_slug, m), 0, row.editors) for m in months]
        program.row({**{k: 1 for k in keys}, own: -1}, 0, 0)
        for key in keys:
            shares.setdefault(key[2], []).append(key)
    totals = []
    for month in sorted({month_key(m) for m in monthly["month"]} | {last}):
        values = monthly.loc[monthly["month"] == month_text(month), "new_editors"]
        value = _number(values.iloc[0]) if len(values) and month != last else None
        total = program.var(("month", month), *((0, np.inf) if value is None else (value, value)))
        totals.append(total)
        for key in shares.get(month, []):
            program.row({key: 1, total: -1}, high=0)
        program.row({**{k: 1 for k in shares.get(month, [])}, total: -1}, low=0)
    if not pd.isna(system["new_editors"].iloc[0]):
        program.row({t: 1 for t in totals}, int(system["new_editors"].iloc[0]), int(system["new_editors"].iloc[0]))
    boxes = {}
    for row in campaigns.itertuples(index=False):
        value = _number(row.new_editors)
        own = program.var(("campaign", row.campaign), *((0, row.participants) if value is None else (value, value)))
        members = links.loc[links["campaign"] == row.campaign, "course_slug"]
        for slug in members:
            program.row({own: 1, ("program", slug): -1}, low=0)
        program.row({own: -1, **{("program", s): 1 for s in members}}, low=0)
        if value is None:
            boxes[own] = (0, min(k_min - 1, int(row.participants)))
    reaches = program.reaches(list(boxes))
    return [{"key": key, "reach": reaches[key], "box": box} for key, box in boxes.items()]


def narrowed(results: list[dict], keys=None) -> list[dict]:
    return [r for r in results if r["reach"][0] > r["box"][0] or r["reach"][1] < r["box"][1]]


# --- the demo, built through the whole pipeline ---------------------------------------------------


@pytest.fixture(scope="module")
def strict_site(tmp_path_factory, demo_sources):
    """The demo built with k_min = 13, so that three campaigns are suppressed too."""

    folder = tmp_path_factory.mktemp("k13")
    (folder / "site.toml").write_text(f'[build]\nqueries = "{ROOT / "queries"}"\n[privacy]\nk_min = 13\n')
    dashboard, replica, _ = demo_sources
    arguments = ("--config", str(folder / "site.toml"), "--as-of", AS_OF, "--out", str(folder / "site"))
    result = run_build(*arguments, "--source", f"dashboard={dashboard}", "--source", f"replica={replica}")
    assert result.returncode == 0, result.stderr
    return folder / "site"


def test_the_month_attack_no_longer_gives_a_cohort_size(demo_site):
    """The demo's first suppressed cohort (2016-01): its month's total minus the published cohorts
    used to be its size; now the complementary cells leave anything from 1 to k_min − 1."""
    retention = read(demo_site, "program_retention")
    first = retention[(retention["months_since"] == 0) & retention["suppressed"]]["cohort"].min()
    assert first == "2016-01"
    results = month_attack(demo_site, K_MIN)
    assert [r for r in results if r["key"] == ("size", first)] == [
        {"key": ("size", first), "reach": (1, K_MIN - 1), "box": (1, K_MIN - 1)}
    ]
    withheld_cells = retention[retention["suppressed"] & retention["cohort_size"].notna()]
    assert len(withheld_cells) > 0  # the room comes from complementary cells


def test_no_published_number_narrows_a_suppressed_cohort(demo_site, strict_site):
    """The general audit: the attacker's integer program over every published file finds no
    suppressed size or cell narrower than its box, at k_min = 5 and at k_min = 13."""
    for site, k_min in ((demo_site, K_MIN), (strict_site, 13)):
        results = month_attack(site, k_min)
        assert len(results) > 10  # the attacker saw suppressed values
        assert narrowed(results) == []


def test_no_published_number_narrows_a_suppressed_campaign(demo_site, strict_site):
    """With k_min = 13 some demo campaigns are suppressed; neither their programs' new editors nor
    the monthly new editors and the system total narrow them."""
    campaigns = read(strict_site, "campaigns")
    suppressed = set(campaigns.loc[campaigns["new_editors"].isna(), "campaign"])
    assert len(suppressed) >= 2
    for site, k_min in ((demo_site, K_MIN), (strict_site, 13)):
        assert narrowed(campaign_attack(site, k_min, AS_OF)) == []
    retention = read(strict_site, "campaign_retention")
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


# --- small hand-made cases, one per leak the review found: the extra suppression written out -----

AS_OF_DATE = dt.date(2024, 4, 1)  # 2024-01 … 2024-03 are complete months
MONTHS = ["2024-01", "2024-02", "2024-03"]


def hand_frames(active: dict, edits: list[int], program_end="2024-03-31", campaign_rows=()) -> dict:
    """The published frames (primary suppression only) of a three-month site with one program p."""
    participation = pd.DataFrame(
        [(c, m, n) for (c, m), n in sorted(active.items())], columns=["cohort", "month", "active"]
    )
    retention = cohorts.program_retention(participation, AS_OF_DATE, 3, K_MIN).frame
    totals = participation.groupby("month")["active"].sum()
    monthly = pd.DataFrame({"month": MONTHS})
    monthly["active_participants"] = pd.array([int(totals.get(m, 0)) for m in MONTHS], dtype="Int64")
    monthly["edits"] = pd.array(edits, dtype="Int64")
    monthly["characters_added"] = pd.array([e * 100 for e in edits], dtype="Int64")
    courses = pd.DataFrame(
        {"course_slug": ["p", "q"], "start_date": ["2024-01-01", "2024-03-01"], "end_date": [program_end, "2024-03-31"]}
    ).assign(editors=[40, 20], new_editors=[0, 0])
    if program_end < "2024-03":
        courses = courses.iloc[:1]
    activity = pd.DataFrame(list(campaign_rows), columns=["campaign", "month", "active_participants", "edits"])
    activity = activity.assign(characters_added=activity["edits"] * 100)
    for column in ("active_participants", "edits", "characters_added"):
        activity[column] = activity[column].astype("Int64")
    links = pd.DataFrame(
        {"campaign": [r[0] for r in campaign_rows], "course_slug": [f"{r[0]}-p" for r in campaign_rows]}
    )
    return {
        "program_retention": retention,
        "monthly_activity": monthly,
        "courses": courses,
        "campaign_activity": activity,
        "campaign_courses": links,
    }


def published(frames: dict, folder):
    """Write the frames as a reader gets them: CSV files in data/v1."""
    (folder / "data" / "v1").mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.to_csv(folder / "data" / "v1" / f"{name}.csv", index=False)
    return folder


def protected(frames: dict) -> tuple[suppression.MonthWithheld, dict]:
    withheld = suppression.protect_months(frames, K_MIN)
    return withheld, {**frames, **suppression.apply_months(frames, withheld)}


def cells_and_totals(withheld) -> tuple[list, list]:
    cells = sorted((month_text(c), m - c) for c, m in withheld.cells)
    return cells, sorted(month_text(m) for m in withheld.totals)


# A cohort of 20 (2024-01) and a suppressed cohort of 3 (2024-02). In 2024-03 no one edits.
QUIET_MARCH = {
    ("2024-01", "2024-01"): 20,
    ("2024-01", "2024-02"): 12,
    ("2024-02", "2024-02"): 3,
}


def test_L1_a_month_without_edits_is_withheld_with_its_edits(tmp_path):
    """L1: 2024-03's total is 0 and its edits are 0, so the small cohort's cell would be exactly 0.
    Its total is withheld (no cell can help: everything that month is 0), and its edits and
    characters with it; 2024-02 needs the 20-cohort's cell."""
    frames = hand_frames(QUIET_MARCH, [100, 60, 0])
    assert narrowed(month_attack(published(frames, tmp_path / "before"), K_MIN))  # the leak, before
    withheld, after = protected(frames)
    assert cells_and_totals(withheld) == ([("2024-01", 1)], ["2024-03"])
    march = after["monthly_activity"].set_index("month").loc["2024-03"]
    assert march[["active_participants", "edits", "characters_added"]].isna().all()
    assert narrowed(month_attack(published(after, tmp_path / "after"), K_MIN)) == []


def test_L1_a_month_no_program_ran_in_is_zero_for_everyone(tmp_path):
    """With no program running in 2024-03, its programs' dates alone say no one was active: the
    small cohort's cell is 0 for a reason that is no count of people, its box is 0 … 0, and
    nothing more is withheld in that month."""
    frames = hand_frames(QUIET_MARCH, [100, 60, 0], program_end="2024-02-29")
    withheld, after = protected(frames)
    assert cells_and_totals(withheld) == ([("2024-01", 1)], [])
    results = month_attack(published(after, tmp_path), K_MIN)
    assert narrowed(results) == []
    assert [r["box"] for r in results if r["key"] == ("cell", "2024-02", "2024-03")] == [(0, 0)]


# 2024-03: a published cohort of 12 arrives; the small cohort's cell is 0; the 20-cohort's is 0.
CAMPAIGN_MARCH = {**QUIET_MARCH, ("2024-03", "2024-03"): 12}
LEAK_ROWS = {
    # L2: one campaign holds all of 2024-03's edits: the month's active ≤ its 12 active people.
    "L2 one campaign holds the month": [("g", "2024-01", 20, 100), ("g", "2024-03", 12, 40)],
    # L3: two campaigns without a common program hold the month's edits: ≤ 7 + 5.
    "L3 two campaigns hold the month": [("g", "2024-03", 7, 25), ("h", "2024-03", 5, 15)],
}


@pytest.mark.parametrize("case", LEAK_ROWS, ids=list(LEAK_ROWS))
def test_L2_L3_a_withheld_month_takes_the_campaign_rows_that_bound_it(case, tmp_path):
    frames = hand_frames(CAMPAIGN_MARCH, [100, 60, 40], campaign_rows=LEAK_ROWS[case])
    withheld, after = protected(frames)
    assert cells_and_totals(withheld) == ([("2024-01", 1)], ["2024-03"])
    rows = after["campaign_activity"]
    march = rows["month"] == "2024-03"
    assert rows.loc[march, ["active_participants", "edits", "characters_added"]].isna().all().all()
    assert rows.loc[~march, ["active_participants", "edits"]].notna().all().all()  # other months stay
    before = dict(
        frames,
        monthly_activity=frames["monthly_activity"].assign(
            active_participants=after["monthly_activity"]["active_participants"]
        ),
    )  # total withheld alone
    assert narrowed(month_attack(published(before, tmp_path / "before"), K_MIN))  # not enough on its own
    assert narrowed(month_attack(published(after, tmp_path / "after"), K_MIN)) == []


def l4_frames() -> dict:
    """Program a (campaign small, 4 new editors) runs alone in 2024-02; big's b and c run in
    2024-01 and 2024-03. The monthly new editors give a's 4, hence small's 4, back."""
    courses = pd.DataFrame(
        {
            "course_slug": ["a", "b", "c"],
            "start_date": ["2024-02-01", "2024-01-01", "2024-03-01"],
            "end_date": ["2024-02-28", "2024-01-31", "2024-03-31"],
            "editors": [6, 30, 20],
            "new_editors": pd.array([4, 10, 8], dtype="Int64"),
        }
    )
    campaigns = pd.DataFrame(
        {"campaign": ["big", "small"], "participants": [50, 6], "new_editors": pd.array([18, None], dtype="Int64")}
    )
    links = pd.DataFrame({"campaign": ["big", "big", "small"], "course_slug": ["b", "c", "a"]})
    monthly = pd.DataFrame({"month": MONTHS, "new_editors": pd.array([10, 4, 8], dtype="Int64")})
    system = pd.DataFrame({"new_editors": pd.array([22], dtype="Int64")})
    return {
        "courses": courses,
        "campaigns": campaigns,
        "campaign_courses": links,
        "monthly_activity": monthly,
        "system_totals": system,
    }


def test_L4_the_monthly_new_editors_no_longer_give_a_campaign_back(tmp_path):
    frames = l4_frames()
    before = dict(frames, courses=frames["courses"].assign(new_editors=pd.array([None, 10, 8], dtype="Int64")))
    assert campaign_attack(published(before, tmp_path / "before"), K_MIN, "2024-04-01")[0]["reach"] == (4, 4)
    withheld = suppression.protect_campaigns(
        frames["campaigns"],
        frames["campaign_courses"],
        frames["courses"],
        k_min=K_MIN,
        union_bound=True,
        registrations=suppression.registrations_of(frames),
    )
    # a's own count; February's count; and the system total, from which February alone comes back.
    assert withheld == Withheld(programs={"a"}, campaigns=set(), months={"2024-02"}, system={"new_editors"})
    after = {**frames, **suppression.apply_campaigns(frames, withheld)}
    assert after["monthly_activity"]["new_editors"].isna().tolist() == [False, True, False]
    assert after["system_totals"]["new_editors"].isna().all()
    assert narrowed(campaign_attack(published(after, tmp_path / "after"), K_MIN, "2024-04-01")) == []


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
    audit = CampaignAudit(campaigns, links, courses, K_MIN, union_bound)
    assert audit.shortfall(withheld) == {}
    if audit.protected:  # before: the published values did narrow the small campaign
        assert audit.shortfall(Withheld()) != {}


def test_known_values_are_constants_of_the_ledger():
    """A published value (bounds that meet) is moved into the relations' bounds before solving: the ranges,
    the solution and an inconsistency are what the whole ledger gives."""
    from build.dashboard.suppression_audit import Ledger

    ledger = Ledger()
    ledger.unknown("a", 0, 10)
    ledger.unknown("b", 3, 3)
    ledger.unknown("c", 4, 4)
    ledger.relate({"a": 1, "b": 1, "c": 1}, 9, 12)  # a + 7 within 9 … 12
    ledger.relate({"b": 1, "c": -1}, high=0)  # known values only: holds
    assert ledger.range_of("a") == (2, 5)
    value, solution = ledger.optimum({"a": 1})
    assert value == 2 and list(solution) == [2, 3, 4]
    ledger.unknown("c", 4, 4)
    ledger.relate({"b": 1, "c": 1}, 8, 8)  # 3 + 4 is not 8: no reader's solution exists
    assert ledger.range_of("a") is None
    known_only = Ledger()
    known_only.unknown("b", 3, 3)
    known_only.relate({"b": 1}, 0, 5)
    assert known_only.range_of("b") == (3, 3)
