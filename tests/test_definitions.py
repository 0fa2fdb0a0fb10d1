"""Every published dataset, checked against numbers worked out BY HAND from the written definitions.

The data is tests/fixtures/traps.py (read its docstring first: the cast of people, courses and campaigns). The
expected rows below are literals; the comment beside each number shows the working (which people, which months).
Nothing here mirrors the implementation: if a test fails, compare the failing cell with its comment and with the
definition text (domain/retention.md, the issue's dataset list, docs/datasets.md) to decide which side is wrong.

As-of date 2025-07-15 (mid-month on purpose). Derived dates used below:
  as-of month                  2025-07: months before it are complete; cohorts and monthly rows stop at 2025-06
  archived cut-off             2025-07-15 - update_length_days 30 = 2025-06-15 (course end on or before it)
  strictly current             start <= 2025-07-15 <= end: only c8 (2025-06-16 .. 2025-08-31)

Readings chosen where the text leaves room (each is also listed in the report that came with this file):
  R1  Course-level totals (edits, characters, articles, views, uploads, references) are the courses' cached
      columns summed over nonprivate courses, as the Dashboard's SystemStat / COURSE_SUMS_SQL do. Caches are
      undated, so the as-of date cannot filter them: c8's cache includes its July slices (2 + 8 edits).
      Only monthly_activity / campaign_activity use the dated course_wiki_timeslices.
  R2  system_totals.new_editors is the Dashboard's original definition [course.start, course.end] (P = 0, not the
      preregistration_days setting), new_editors_preregistration the fixed 60-day "WMF definition". Both ignore
      registrations dated on or after the as-of date. courses.new_editors: [start, end] per course.
      campaigns.new_editors: retention.md section 2 with the default P = 0 (per course, not the campaign's span).
  R3  system_totals.facilitators: distinct role-1 users of all nonprivate courses (not only strictly current).
  R4  k_min suppression applies to the two groups retention.md names, in every output built from them
      ("suppression applies to every output built from the group"; issue 3: the common rules "apply to every
      dataset"): a cohort (program_retention, and monthly_activity.new_participants, which is the size of that
      month's cohort) and a campaign's new editors (campaign_retention, and campaigns.new_editors). Other counts
      of people (courses.new_editors 1, monthly new_editors) are not such groups and are published as they are.
  R5  Dates are published as YYYY-MM-DD (courses.created_at included: docs/datasets.md has no datetime type);
      yearly_usage.year is an integer; training_completion_rate is trained_count / user_count (a fraction).
  R6  monthly_activity starts at the first month with any nonzero value (2024-11: c1 starts, first activity),
      not at the first course creation month (2024-10).
  R7  campaign_activity: per campaign and month before the as-of month, activity inside the campaign's own
      nonprivate courses only; a month is listed when it has an active participant or an edit.
"""

from __future__ import annotations

import contextlib
import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import checkout_settings, isolated_config, run_builds
from tests.fixtures.traps import AS_OF, SECRET_MARKERS, load_fixture

ROOT = Path(__file__).resolve().parents[1]
T, F, N = True, False, None  # short names for the tables below


def _build(tmp: Path, config_text: str | None = None, as_of: str = AS_OF) -> tuple[Path, subprocess.CompletedProcess]:
    tmp.mkdir(parents=True, exist_ok=True)
    dashboard, replica = tmp / "dashboard.duckdb", tmp / "replica.duckdb"
    if not dashboard.exists():
        load_fixture(dashboard, replica)
    out = tmp / "site"
    command = [
        sys.executable,
        "build.py",
        "--as-of",
        as_of,
        "--out",
        str(out),
        "--source",
        f"dashboard=duckdb:///{dashboard}",
        "--source",
        f"replica=duckdb:///{replica}",
    ]
    if config_text is not None:
        config = tmp / "site.toml"
        config.write_text(config_text, encoding="utf-8")
        command[2:2] = ["--config", str(config)]
    with contextlib.nullcontext() if config_text is not None else checkout_settings():
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    return out, result


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return _build(tmp_path_factory.mktemp("definitions"))


@pytest.fixture(scope="module")
def site(built):
    return built[0]


def rows(site: Path, name: str) -> list[dict]:
    path = site / "data" / "v1" / f"{name}.json"
    assert path.exists(), f"{name}.json was not published"
    return json.loads(path.read_text(encoding="utf-8"))


def csv_rows(site: Path, name: str) -> list[dict]:
    with (site / "data" / "v1" / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def table(columns: str, *values: tuple) -> list[dict]:
    """Expected rows written as tuples under one header line."""
    names = columns.split()
    for row in values:
        assert len(row) == len(names), row
    return [dict(zip(names, row, strict=True)) for row in values]


def compare(name: str, actual: list[dict], expected: list[dict], key: tuple[str, ...], ordered: bool = False):
    """Fail with every differing cell: dataset, row key, column, expected vs got."""
    columns = list(expected[0])
    problems = []
    if actual:
        missing = [c for c in columns if c not in actual[0]]
        if missing:
            problems.append(f"{name}: columns missing from the published rows: {missing}")
    by_key = {tuple(r.get(k) for k in key): r for r in actual}
    wanted = {tuple(r[k] for k in key): r for r in expected}
    for k, row in wanted.items():
        if k not in by_key:
            problems.append(f"{name} {dict(zip(key, k, strict=True))}: row missing")
            continue
        for column in columns:
            got = by_key[k].get(column, "<absent>")
            if not _same(got, row[column]):
                problems.append(
                    f"{name} {dict(zip(key, k, strict=True))} {column}: expected {row[column]!r}, got {got!r}"
                )
    for k in by_key:
        if k not in wanted:
            problems.append(f"{name} {dict(zip(key, k, strict=True))}: unexpected row {by_key[k]}")
    if ordered and not problems:
        got_order = [tuple(r.get(k) for k in key) for r in actual]
        want_order = [tuple(r[k] for k in key) for r in expected]
        if got_order != want_order:
            problems.append(f"{name}: rows not in the declared order {key}: {got_order}")
    assert not problems, "\n".join(problems)


def _same(got, want) -> bool:
    if want is None or got is None:
        return got is want
    if isinstance(want, bool) or isinstance(got, bool):
        return got is want
    if isinstance(want, float):
        return isinstance(got, int | float) and round(got, 6) == want and abs(got - want) < 1e-9
    return type(got) is type(want) and got == want


def _csv_text(value) -> str:
    """How docs/datasets.md and retention.md say a value is written in CSV."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6f}"
    return str(value)


def compare_csv(name: str, site: Path, expected: list[dict], key: tuple[str, ...]):
    actual = {tuple(r[k] for k in key): r for r in csv_rows(site, name)}
    problems = []
    for row in expected:
        k = tuple(_csv_text(row[c]) for c in key)
        if k not in actual:
            problems.append(f"{name}.csv {k}: row missing")
            continue
        for column, value in row.items():
            if actual[k].get(column) != _csv_text(value):
                problems.append(
                    f"{name}.csv {k} {column}: expected {_csv_text(value)!r}, got {actual[k].get(column)!r}"
                )
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------------------------- build


def test_the_fixture_builds_with_every_dataset_fresh(built):
    out, result = built
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}"


def test_nothing_private_or_secret_is_published(site):
    """Private courses, their campaign, passcodes, emails, real names and tokens appear in no built file."""
    found = []
    for path in site.rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", errors="replace")
            found += [f"{path.relative_to(site)}: {marker}" for marker in SECRET_MARKERS if marker in text]
    assert not found, "\n".join(found)


# ------------------------------------------------------------------------------------------------- system_totals


def test_system_totals(site):
    expected = [
        {
            "programs": 6,  # nonprivate c1 c2 c3 c4 c6 c8 (c2 withdrawn counts); c5 c7 private
            "active_programs": 1,  # strictly current on 2025-07-15: c8 only
            "archived_programs": 5,  # end <= 2025-06-15: c1 11-30, c2 12-31, c3 01-10, c6 02-01, c4 05-31 (not c8)
            # role 0 in c1 c2 c3 c4 c6 c8, once each: c1 Ana Ben Cai Dee Eve Fay Gus (7) + c2 Hal (8)
            # + c3 Ida Jon Kim Lea Max Ned (14) + c4 Ole Pia Quy Rex Sol Tia (20) + c6 Uma Vic (22)
            # + c8 Yan Zoe Abe Bea (26). Not Wes, Xia (private only), Fred Gil Hub (role 1), Ivy (role 4).
            # (The Dashboard's SUM(user_count) would say 7+3+8+7+3+5 = 33.)
            "participants": 26,
            "facilitators": 3,  # role 1 in nonprivate courses: Ben (c1), Fred (c1 c2 c6), Gil (c3 c4 c8); not Hub
            # registered in [start, end] of a nonprivate course they took part in, before 2025-07-15:
            # c1 Ana 11-05, Dee 11-20, Eve 11-01 00:00 | c2 Hal | c3 Ida Jon Kim Lea Max | c4 Ole Pia Sol
            # | c6 Uma Vic | c8 Yan 06-20, Zoe 07-10 = 16. Not Cai (10-31), Ned (12-15 < c3 12-20), Rex (03-31),
            # Abe (on the as-of date), Bea (after it), Xia/Wes (private).
            # True value 16, withheld by secondary suppression (build/suppression_campaigns.py): c6 runs alone in
            # 2025-02, so February's new editors (2) would be tiny-meetup's suppressed count; February's count is
            # withheld, and the months add up to this total, which would give February back.
            "new_editors": None,
            # [start - 60 days, end]: the 16 + Cai (c1 from 2024-09-02) + Gus (2024-09-02 15:00, exactly 60 days)
            # + Ned (c3 from 2024-10-21) + Rex (c4 from 2025-01-31) = 20
            "new_editors_preregistration": 20,
            "edits": 65,  # R1: revision_count caches c1 15 + c2 4 + c3 12 + c4 15 + c6 6 + c8 13
            "articles_edited": 13,  # article_count 3 + 1 + 4 + 2 + 1 + 2
            "articles_created": 5,  # new_article_count 1 + 0 + 2 + 1 + 1 + 0
            "characters_added": 6300,  # character_sum 1500 + 300 + 1050 + 2100 + 400 + 950
            "words_added": 1217,  # floor(6300 / 5.175) = floor(1217.39)
            "references_added": 17,  # 8 + 1 + 5 + 2 + 0 + 1
            "article_views": 2560,  # view_sum 1200 + 100 + 900 + 300 + 50 + 10
            "uploads": 6,  # upload_count 2 + 0 + 1 + 0 + 3 + 0
        }
    ]
    actual = rows(site, "system_totals")
    assert len(actual) == 1, actual
    compare("system_totals", actual, expected, key=())


# ---------------------------------------------------------------------------------------------- monthly_activity


def test_monthly_activity(site):
    # Active = a course_user_wiki_timeslices row with revision_count > 0, in a nonprivate course where the person
    # is role 0. Per person, active months before 2025-07:
    #   Ana 2024-11 (c1), 2024-12 (c2), 2025-01 (c3), 2025-06 (c8) | Ben 2024-11, 2024-12 (c3 12-22), 2025-01
    #   Cai Dee Eve 2024-11 (Eve's c2 December slice has 0 revisions) | Fay 2024-11, 2025-02 (c6)
    #   Ida 2025-01, 2025-04 | Jon Kim Lea Max 2025-01 | Uma Vic 2025-02 | Ole Quy 2025-04, 2025-05
    #   Pia Rex Sol Tia 2025-04 (Tia's May slice has 0) | Yan 2025-06 (July ignored)
    #   Never: Gus Ned (0-revision slices), Hal, Zoe Abe Bea (July only), Fred Gil (role 1), Wes Xia (private),
    #   Quy's June slice is in the private c5.
    # Edits / characters: nonprivate course_wiki_timeslices by start month (c5 c7 private; July not published).
    # New editors: registered in the month and inside [start, end] of a nonprivate course they took part in.
    expected = table(
        "month programs_started active_programs active_participants new_participants "
        "edits characters_added new_editors",
        # c1 starts; c1 active; Ana Ben Cai Dee Eve Fay; all 6 first; c1 10+5, 1000+500; Ana Dee Eve
        ("2024-11", 1, 1, 6, 6, 15, 1500, 3),
        # c2, c3 start; c2 c3 overlap; Ana Ben; none new; c2 4 + c3 1, 300+50; Hal (Ned 12-15 is before c3)
        ("2024-12", 2, 2, 2, 0, 5, 350, 1),
        # none start; c3; Ana Ben Ida Jon Kim Lea Max; Ida..Max new; c3 9 + 2 (dewiki), 900+100; Ida..Max
        ("2025-01", 0, 1, 7, 5, 11, 1000, 5),
        # c6 starts; c6; Fay Uma Vic; Uma Vic (a cohort of 2 < k_min 5: suppressed, R4); c6 6, 400; Uma Vic
        # Secondary suppression (build/dashboard/suppression_months.py) withholds active_participants of
        # 2025-02, 04, 05, 06:
        # each month's total minus the published cohorts would narrow a suppressed cohort (Uma Vic's 2 people,
        # then their active counts, then Yan), and the other cohorts' cells that month hold too few people to
        # hide it, so the totals go, and with them what bounds them: edits and characters added (each active
        # person made an edit). True values: 3 (6, 400), 7 (12, 2000), 2 (3, 100), 2 (3, 200).
        # February's new editors (2) are withheld too: c6 runs alone then, so they would be tiny-meetup's
        # suppressed count (see test_system_totals).
        ("2025-02", 1, 1, None, None, None, None, None),
        # only the private c7 (Wes) this month: an all-zero month, present because there are no gaps. No
        # nonprivate program ran, so the programs' dates alone say no one was active: its 0 is published.
        ("2025-03", 0, 0, 0, 0, 0, 0, 0),
        # c4 starts (c5 private); c4; Ida Ole Pia Quy Rex Sol Tia; all but Ida; withheld; Ole Pia Sol (Xia private)
        ("2025-04", 1, 1, None, 6, None, None, 3),
        # none; c4; Ole Quy; none; withheld; none
        ("2025-05", 0, 1, None, 0, None, None, 0),
        # c8 starts; c8 (c5 private); Ana Yan; Yan (cohort of 1: suppressed, R4); withheld; Yan
        ("2025-06", 1, 1, None, None, None, None, 1),
        # no 2025-07: the as-of month is never published (Zoe's registration, July slices)
    )
    compare("monthly_activity", rows(site, "monthly_activity"), expected, key=("month",), ordered=True)


# ----------------------------------------------------------------------------------------------------- campaigns


def test_campaigns(site):
    # secret-campaign (only private c7) and empty-campaign (no course) are absent.
    expected = table(
        "campaign campaign_id title start_date end_date programs participants new_editors "
        "articles_edited articles_created words_added references_added article_views uploads",
        (
            "spring-edit",
            2,
            "Spring Edit-a-thon",
            "2024-12-20",  # NULL start: earliest start of nonprivate c3 (12-20), c4 (04-01)
            "2025-05-31",  # NULL end: latest end of nonprivate c3, c4 (the private c5 ends 06-30: ignored)
            2,  # c3 c4 (c5 private)
            14,  # c3 Ana Ben Ida Jon Kim Lea Max Ned (8) + c4 Ole Pia Quy Rex Sol Tia (Ida again) = 14
            8,  # c3 Ida Jon Kim Lea Max + c4 Ole Pia Sol (Rex 03-31 is a day early; Xia private)
            6,  # 4 + 2
            3,  # 2 + 1
            608,  # floor((1050 + 2100) / 5.175) = floor(608.70)
            7,  # 5 + 2
            1200,  # 900 + 300
            1,  # 1 + 0
        ),
        (
            "tiny-meetup",
            3,
            "Tiny Meetup",
            "2025-02-01",  # explicit
            "2025-02-28",  # explicit (its course ends 02-01)
            1,  # c6
            3,  # Uma Vic Fay
            None,  # Uma Vic: 2 < k_min 5, suppressed as in campaign_retention (R4)
            1,
            1,
            77,  # floor(400 / 5.175) = floor(77.29)
            0,
            50,
            3,
        ),
        (
            "winter-drive",
            1,
            "Winter Drive",
            "2024-11-01",  # explicit
            "2025-01-10",  # explicit
            3,  # c1 c2 (withdrawn) c3
            14,  # c1 7 + c2 Hal + c3 Ida Jon Kim Lea Max Ned; Ana (3 courses) once, Ben (2 roles) once
            9,  # c1 Ana Dee Eve + c2 Hal + c3 Ida Jon Kim Lea Max (not Cai, a day early; not Ned, before c3)
            8,  # 3 + 1 + 4
            3,  # 1 + 0 + 2
            550,  # floor((1500 + 300 + 1050) / 5.175) = floor(550.72)
            14,  # 8 + 1 + 5
            2200,  # 1200 + 100 + 900
            3,  # 2 + 0 + 1
        ),
    )
    compare("campaigns", rows(site, "campaigns"), expected, key=("campaign",))


def test_campaign_courses(site):
    expected = table(
        "campaign course_slug",
        ("spring-edit", "Bergstadt/Fruehling"),
        ("spring-edit", "Lakeside/Winter_C"),  # c3 in two campaigns
        ("tiny-meetup", "Commons_Club/Meetup"),
        ("winter-drive", "Lakeside/Winter_A"),
        ("winter-drive", "Lakeside/Winter_B"),
        ("winter-drive", "Lakeside/Winter_C"),
        # not spring-edit / Zz_Private/Hidden_Spring, not secret-campaign: private courses
    )
    compare("campaign_courses", rows(site, "campaign_courses"), expected, key=("campaign", "course_slug"))


def test_campaign_activity(site):
    # R7: the campaign's own nonprivate courses; people and edits as in test_monthly_activity.
    expected = table(
        "campaign month active_participants edits characters_added",
        ("spring-edit", "2024-12", 1, 1, 50),  # c3: Ben (12-22); c3 slice 1, 50
        ("spring-edit", "2025-01", 7, 11, 1000),  # c3: Ana Ben Ida Jon Kim Lea Max; 9 + 2, 900 + 100
        # Months whose total is withheld (see test_monthly_activity) take their campaign rows along: a campaign's
        # active people bound the month's from below, its edits with the month's from above.
        ("spring-edit", "2025-04", None, None, None),  # c4: Ida Ole Pia Quy Rex Sol Tia (7; 12, 2000)
        ("spring-edit", "2025-05", None, None, None),  # c4: Ole Quy (2; 3, 100; no June row: only private c5)
        ("tiny-meetup", "2025-02", None, None, None),  # c6: Uma Vic Fay (3; 6, 400)
        ("winter-drive", "2024-11", 6, 15, 1500),  # c1: Ana Ben Cai Dee Eve Fay (Fred role 1, Gus 0)
        ("winter-drive", "2024-12", 2, 5, 350),  # c2 Ana + c3 Ben (Eve 0); c2 4 + c3 1, 300 + 50
        ("winter-drive", "2025-01", 7, 11, 1000),  # c3 as for spring-edit
    )
    compare("campaign_activity", rows(site, "campaign_activity"), expected, key=("campaign", "month"))


# ------------------------------------------------------------------------------------------------------- courses


def test_courses(site):
    expected = table(
        "course_slug course_id title institution term type home_wiki created_at start_date end_date withdrawn "
        "editors new_editors articles_edited articles_created bytes_added references_added total_edits "
        "article_views upload_count uploads_used_in_articles upload_usage_count_across_all_wikis "
        "training_completion_rate",
        # editors = role-0 rows; new_editors = registered in [start, end] before the as-of date;
        # training_completion_rate = trained_count / user_count (R5)
        (
            "Lakeside/Winter_A", 1, "Winter A", "Lakeside College", "Autumn 2024", "Editathon", "en.wikipedia.org",
            "2024-10-15", "2024-11-01", "2024-11-30", F,
            7,  # Ana Ben Cai Dee Eve Fay Gus (Ben once although he holds two roles; Fred, Ivy are not role 0)
            3,  # Ana Dee Eve
            3, 1, 1500, 8, 15, 1200, 2, 1, 3,
            0.714286,  # 5 / 7
        ),
        (
            "Lakeside/Winter_B", 2, "Winter B", "Lakeside College", "Winter 2024", "Editathon", "en.wikipedia.org",
            "2024-11-15", "2024-12-01", "2024-12-31", T,  # withdrawn, still listed
            3,  # Ana Eve Hal
            1,  # Hal
            1, 0, 300, 1, 4, 100, 0, 0, 0,
            1.0,  # 3 / 3
        ),
        (
            "Lakeside/Winter_C", 3, "Winter C", "Lakeside College", "Winter 2025", "BasicCourse", "en.wikipedia.org",
            "2024-12-31", "2024-12-20", "2025-01-10", F,
            8,  # Ana Ben Ida Jon Kim Lea Max Ned
            5,  # Ida Jon Kim Lea Max
            4, 2, 1050, 5, 12, 900, 1, 1, 1,
            0.5,  # 4 / 8
        ),
        (
            "Bergstadt/Fruehling", 4, "Frühling", "Bergstadt Verein", "2025", "ArticleScopedProgram",
            "de.wikipedia.org", "2025-03-01", "2025-04-01", "2025-05-31", F,
            7,  # Ida Ole Pia Quy Rex Sol Tia
            3,  # Ole Pia Sol
            2, 1, 2100, 2, 15, 300, 0, 0, 0,
            0.857143,  # 6 / 7
        ),
        (
            "Commons_Club/Meetup", 6, "Meetup", "Commons Club", "February 2025", "Editathon", "commons.wikimedia.org",
            "2025-01-20", "2025-02-01", "2025-02-01", F,
            3,  # Uma Vic Fay
            # Uma Vic (2), withheld by secondary suppression (build/dashboard/suppression.py): tiny-meetup's
            # only program, so its new editors would be the campaign's suppressed count.
            None,
            1, 1, 400, 0, 6, 50, 3, 2, 5,
            0.0,  # 0 / 3
        ),
        (
            "Lakeside/Summer", 8, "Summer", "Lakeside College", "Summer 2025", "BasicCourse", "en.wikipedia.org",
            "2025-06-01", "2025-06-16", "2025-08-31", F,
            5,  # Ana Yan Zoe Abe Bea
            2,  # Yan, Zoe (Abe on the as-of date and Bea after it are ignored)
            2, 0, 950, 1, 13, 10, 0, 0, 0,  # R1: caches include the July slices
            0.2,  # 1 / 5
        ),
    )  # fmt: skip
    compare("courses", rows(site, "courses"), expected, key=("course_slug",))


# --------------------------------------------------------------------------------------------------------- wikis


def test_wikis(site):
    # Grouped by the nonprivate courses' home wiki; frwiki (only the private c5) and wikidata (no course) absent.
    expected = table(
        "wiki language project programs participants edits articles_created",
        # c6; Uma Vic Fay; 6; 1
        ("commons.wikimedia.org", "commons", "wikimedia", 1, 3, 6, 1),
        # c4; Ida Ole Pia Quy Rex Sol Tia; 15; 1
        ("de.wikipedia.org", "de", "wikipedia", 1, 7, 15, 1),
        # c1 c2 c3 c8; c1 7 + Hal + Ida Jon Kim Lea Max Ned + Yan Zoe Abe Bea = 18 (Ana, Ben once);
        # 15 + 4 + 12 + 13 = 44; 1 + 0 + 2 + 0 = 3
        ("en.wikipedia.org", "en", "wikipedia", 4, 18, 44, 3),
    )
    compare("wikis", rows(site, "wikis"), expected, key=("wiki",))


# -------------------------------------------------------------------------------------------------- yearly_usage


def test_yearly_usage(site):
    # By course created_at year (UTC), nonprivate only (c5 and c7, created in 2025, are private).
    expected = table(
        "year events participants leaders pages_created pages_edited revisions",
        # c1 (2024-10-15), c2 (2024-11-15), c3 (2024-12-31 23:30); c1 7 + Hal + Ida Jon Kim Lea Max Ned = 14;
        # role 1: Ben Fred Gil; new 1+0+2; articles 3+1+4; revisions 15+4+12
        (2024, 3, 14, 3, 3, 8, 31),
        # c4, c6, c8; Ida Ole Pia Quy Rex Sol Tia + Uma Vic Fay + Ana Yan Zoe Abe Bea = 15; role 1: Gil Fred;
        # new 1+1+0; articles 2+1+2; revisions 15+6+13
        (2025, 3, 15, 2, 2, 5, 34),
    )
    compare("yearly_usage", rows(site, "yearly_usage"), expected, key=("year",), ordered=True)


# --------------------------------------------------------------------------------------------- program_retention

# Cohorts (first active month; people as in test_monthly_activity):
#   2024-11: Ana Ben Cai Dee Eve Fay        (6)
#   2025-01: Ida Jon Kim Lea Max            (5 = k_min: published)
#   2025-02: Uma Vic                        (2 < 5: suppressed)
#   2025-04: Ole Pia Quy Rex Sol Tia        (6)
#   2025-06: Yan                            (1: suppressed)
# Censored: cohort + months_since >= 2025-07 (the as-of month): active and retention null, size still shown.

PROGRAM_RETENTION = table(
    "cohort months_since cohort_size active retention suppressed",
    ("2024-11", 0, 6, 6, 1.0, F),
    ("2024-11", 1, 6, 2, 0.333333, F),  # 2024-12: Ana (c2), Ben (c3 12-22); not Eve (0 revisions)
    ("2024-11", 2, 6, 2, 0.333333, F),  # 2025-01: Ana, Ben (c3)
    ("2024-11", 3, 6, 1, 0.166667, F),  # 2025-02: Fay (c6)
    ("2024-11", 4, 6, 0, 0.0, F),  # 2025-03: nobody (measured zero, not missing)
    ("2024-11", 5, 6, 0, 0.0, F),  # 2025-04
    ("2024-11", 6, 6, 0, 0.0, F),  # 2025-05
    ("2024-11", 7, 6, 1, 0.166667, F),  # 2025-06: Ana (c8)
    ("2024-11", 8, 6, N, N, F),  # 2025-07 = as-of month: censored
    ("2024-11", 9, 6, N, N, F),
    ("2024-11", 10, 6, N, N, F),
    ("2024-11", 11, 6, N, N, F),
    ("2024-11", 12, 6, N, N, F),  # 2025-11
    ("2025-01", 0, 5, 5, 1.0, F),
    ("2025-01", 1, 5, 0, 0.0, F),  # 2025-02
    ("2025-01", 2, 5, 0, 0.0, F),  # 2025-03
    ("2025-01", 3, 5, 1, 0.2, F),  # 2025-04: Ida (c4)
    ("2025-01", 4, 5, 0, 0.0, F),  # 2025-05
    ("2025-01", 5, 5, 0, 0.0, F),  # 2025-06
    ("2025-01", 6, 5, N, N, F),  # 2025-07: censored
    ("2025-01", 7, 5, N, N, F),
    ("2025-01", 8, 5, N, N, F),
    ("2025-01", 9, 5, N, N, F),
    ("2025-01", 10, 5, N, N, F),
    ("2025-01", 11, 5, N, N, F),
    ("2025-01", 12, 5, N, N, F),
    ("2025-02", 0, N, N, N, T),  # 2 people < k_min 5: everything null, censored or not
    ("2025-02", 1, N, N, N, T),
    ("2025-02", 2, N, N, N, T),
    ("2025-02", 3, N, N, N, T),
    ("2025-02", 4, N, N, N, T),
    ("2025-02", 5, N, N, N, T),
    ("2025-02", 6, N, N, N, T),
    ("2025-02", 7, N, N, N, T),
    ("2025-02", 8, N, N, N, T),
    ("2025-02", 9, N, N, N, T),
    ("2025-02", 10, N, N, N, T),
    ("2025-02", 11, N, N, N, T),
    ("2025-02", 12, N, N, N, T),
    ("2025-04", 0, 6, 6, 1.0, F),
    ("2025-04", 1, 6, 2, 0.333333, F),  # 2025-05: Ole, Quy (Tia's slice has 0 revisions)
    ("2025-04", 2, 6, 0, 0.0, F),  # 2025-06: nobody (Quy's June slice is in the PRIVATE c5)
    ("2025-04", 3, 6, N, N, F),  # 2025-07: censored
    ("2025-04", 4, 6, N, N, F),
    ("2025-04", 5, 6, N, N, F),
    ("2025-04", 6, 6, N, N, F),
    ("2025-04", 7, 6, N, N, F),
    ("2025-04", 8, 6, N, N, F),
    ("2025-04", 9, 6, N, N, F),
    ("2025-04", 10, 6, N, N, F),
    ("2025-04", 11, 6, N, N, F),
    ("2025-04", 12, 6, N, N, F),
    ("2025-06", 0, N, N, N, T),  # Yan alone: suppressed
    ("2025-06", 1, N, N, N, T),
    ("2025-06", 2, N, N, N, T),
    ("2025-06", 3, N, N, N, T),
    ("2025-06", 4, N, N, N, T),
    ("2025-06", 5, N, N, N, T),
    ("2025-06", 6, N, N, N, T),
    ("2025-06", 7, N, N, N, T),
    ("2025-06", 8, N, N, N, T),
    ("2025-06", 9, N, N, N, T),
    ("2025-06", 10, N, N, N, T),
    ("2025-06", 11, N, N, N, T),
    ("2025-06", 12, N, N, N, T),
    # no 2025-07 cohort (Zoe, Abe, Bea, and Yan's July slice): the as-of month is never a cohort
)


def test_program_retention(site):
    compare(
        "program_retention",
        rows(site, "program_retention"),
        PROGRAM_RETENTION,
        key=("cohort", "months_since"),
        ordered=True,
    )


def test_program_retention_csv(site):
    compare_csv("program_retention", site, PROGRAM_RETENTION, key=("cohort", "months_since"))


# -------------------------------------------------------------------------------------------- campaign_retention

# New editors (section 2, P = 0) and their edits, on the campaign's nonprivate courses' home wikis only:
#   winter-drive (E 2025-01-10; enwiki): Ana Dee Eve Hal Ida Jon Kim Lea Max (9)
#     k1 01-11..02-09: Ana 02-09 23:59:59, Hal 01-11 00:00 (User ns), Max 01-25 = 3
#                      (not Dee 02-10 = E+31 or 01-10 = E; not Eve's dewiki edit; Ben and Cai are not new)
#     k3 03-12..04-10: Ana 03-20, Ida 04-10 23:00, Jon 03-30, Max 03-12 00:00 = 4 (not Ida 04-11, Eve 05-01)
#     k6 06-10..07-09: Ana 06-10 00:00, Jon 07-01 = 2 (not Max 06-05, Kim 07-10 = E+181)
#   spring-edit (E 2025-05-31 derived; enwiki + dewiki, not the private c5's frwiki):
#     Ida Jon Kim Lea Max (c3) + Ole Pia Sol (c4) = 8 (Rex is a day early, Xia private)
#     k1 06-01..06-30: Max 06-05 (enwiki), Ole 06-15 (dewiki), Pia 06-30 23:59:59 = 3
#                      (not Sol's frwiki edit, not Jon 07-01 = E+31)
#     k3 07-31..08-29, k6 10-29..11-27: not over on 2025-07-15: censored (Kim's 08-05 edit is after the as-of date)
#   tiny-meetup (E 2025-02-28; commonswiki): Uma Vic = 2 < k_min 5: suppressed in every window
# Sorted by campaign slug, then months_after.

CAMPAIGN_RETENTION = table(
    "campaign campaign_end months_after new_editors retained retention suppressed",
    ("spring-edit", "2025-05-31", 1, 8, 3, 0.375, F),  # 3 / 8
    ("spring-edit", "2025-05-31", 3, 8, N, N, F),  # censored: window ends 2025-08-29
    ("spring-edit", "2025-05-31", 6, 8, N, N, F),  # censored: window ends 2025-11-27
    ("tiny-meetup", "2025-02-28", 1, N, N, N, T),
    ("tiny-meetup", "2025-02-28", 3, N, N, N, T),
    ("tiny-meetup", "2025-02-28", 6, N, N, N, T),
    ("winter-drive", "2025-01-10", 1, 9, 3, 0.333333, F),  # 3 / 9
    ("winter-drive", "2025-01-10", 3, 9, 4, 0.444444, F),  # 4 / 9
    ("winter-drive", "2025-01-10", 6, 9, 2, 0.222222, F),  # 2 / 9; window ended 07-09 < 07-15: measured
)


def test_campaign_retention(site):
    compare(
        "campaign_retention",
        rows(site, "campaign_retention"),
        CAMPAIGN_RETENTION,
        key=("campaign", "months_after"),
        ordered=True,
    )


def test_campaign_retention_csv(site):
    compare_csv("campaign_retention", site, CAMPAIGN_RETENTION, key=("campaign", "months_after"))


# --------------------------------------------------------------- a second build: other k_min, P, retention_months

SECOND_CONFIG = """
[build]
queries = "{queries}"

[privacy]
k_min = 2

[retention]
retention_months = 3
preregistration_days = 1
"""


@pytest.fixture(scope="module")
def second_site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("definitions_second")
    out, result = _build(tmp, SECOND_CONFIG.format(queries=(ROOT / "queries").as_posix()))
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
    return out


def test_program_retention_with_k_min_2_and_3_months(second_site):
    expected = table(
        "cohort months_since cohort_size active retention suppressed",
        ("2024-11", 0, 6, 6, 1.0, F),
        ("2024-11", 1, 6, 2, 0.333333, F),  # Ana Ben
        ("2024-11", 2, 6, 2, 0.333333, F),  # Ana Ben
        ("2024-11", 3, 6, 1, 0.166667, F),  # Fay
        ("2025-01", 0, 5, 5, 1.0, F),
        ("2025-01", 1, 5, 0, 0.0, F),
        ("2025-01", 2, 5, 0, 0.0, F),
        ("2025-01", 3, 5, 1, 0.2, F),  # Ida
        ("2025-02", 0, 2, 2, 1.0, F),  # Uma Vic: 2 >= k_min 2, now published
        ("2025-02", 1, 2, 0, 0.0, F),  # 2025-03
        ("2025-02", 2, 2, 0, 0.0, F),  # 2025-04
        ("2025-02", 3, 2, 0, 0.0, F),  # 2025-05
        ("2025-04", 0, 6, 6, 1.0, F),
        ("2025-04", 1, 6, 2, 0.333333, F),  # Ole Quy
        ("2025-04", 2, 6, 0, 0.0, F),
        ("2025-04", 3, 6, N, N, F),  # 2025-07: censored
        ("2025-06", 0, N, N, N, T),  # Yan alone: 1 < 2
        ("2025-06", 1, N, N, N, T),
        ("2025-06", 2, N, N, N, T),
        ("2025-06", 3, N, N, N, T),
    )
    compare(
        "program_retention",
        rows(second_site, "program_retention"),
        expected,
        key=("cohort", "months_since"),
        ordered=True,
    )


def test_campaign_retention_with_k_min_2_and_one_preregistration_day(second_site):
    # P = 1 adds the people registered the day before a course: Cai (c1, winter-drive), Rex (c4, spring-edit).
    # Not Ned (12-15, five days before c3). tiny-meetup: window [01-31, 02-01] still gives Uma Vic = 2 >= 2.
    expected = table(
        "campaign campaign_end months_after new_editors retained retention suppressed",
        ("spring-edit", "2025-05-31", 1, 9, 4, 0.444444, F),  # + Rex; Max Ole Pia + Rex (dewiki 06-20) = 4 / 9
        ("spring-edit", "2025-05-31", 3, 9, N, N, F),
        ("spring-edit", "2025-05-31", 6, 9, N, N, F),
        ("tiny-meetup", "2025-02-28", 1, 2, 1, 0.5, F),  # Uma (commonswiki 03-15); not Vic's enwiki 03-10
        ("tiny-meetup", "2025-02-28", 3, 2, 0, 0.0, F),  # 04-30..05-29: Vic's commons edit is 05-30: zero, not null
        ("tiny-meetup", "2025-02-28", 6, 2, N, N, F),  # 07-29..08-27: censored
        ("winter-drive", "2025-01-10", 1, 10, 4, 0.4, F),  # + Cai; Ana Hal Max + Cai (02-01) = 4 / 10
        ("winter-drive", "2025-01-10", 3, 10, 4, 0.4, F),  # Ana Ida Jon Max
        ("winter-drive", "2025-01-10", 6, 10, 2, 0.2, F),  # Ana Jon
    )
    compare(
        "campaign_retention",
        rows(second_site, "campaign_retention"),
        expected,
        key=("campaign", "months_after"),
        ordered=True,
    )


# ------------------------------------------------------------------ censoring exactly at a window's last day

# "Censoring: missing (null) until the as-of date is after the window's last day." Two windows, four as-of dates:
#   spring-edit k1 ends 2025-06-30: censored on as-of 06-30, measured from 07-01 (Max 06-05, Ole 06-15, and Pia
#     06-30 23:59:59, which is before an as-of date of 07-01) = 3 / 8
#   winter-drive k6 ends 2025-07-09: censored on as-of 07-01 and 07-09, measured from 07-10 (Ana 06-10, Jon 07-01)
#     = 2 / 9
# New-editor counts do not move between these dates (every new editor registered before 2025-06-30).


CENSORING = {
    "2025-06-30": ((8, N, N), (9, N, N)),
    "2025-07-01": ((8, 3, 0.375), (9, N, N)),
    "2025-07-09": ((8, 3, 0.375), (9, N, N)),
    "2025-07-10": ((8, 3, 0.375), (9, 2, 0.222222)),
}


@pytest.fixture(scope="module")
def censoring_builds(tmp_path_factory, build_cache) -> dict[str, tuple[Path, subprocess.CompletedProcess]]:
    """The fixture built as of each date of CENSORING, each on a state folder of its own, two builds at a time."""
    outs, arguments = {}, []
    for as_of in CENSORING:
        tmp = tmp_path_factory.mktemp(f"censoring-{as_of}")
        dashboard, replica = tmp / "dashboard.duckdb", tmp / "replica.duckdb"
        load_fixture(dashboard, replica)
        outs[as_of] = tmp / "site"
        sources = ("--source", f"dashboard=duckdb:///{dashboard}", "--source", f"replica=duckdb:///{replica}")
        config = isolated_config(tmp / "settings", build_cache)
        arguments.append(("--config", str(config), "--as-of", as_of, "--out", str(outs[as_of]), *sources))
    results = run_builds(*arguments)
    return {as_of: (outs[as_of], result) for as_of, result in zip(outs, results, strict=True)}


@pytest.mark.parametrize("as_of, spring_k1, winter_k6", [(as_of, *expected) for as_of, expected in CENSORING.items()])
def test_campaign_retention_censoring_boundary(censoring_builds, as_of, spring_k1, winter_k6):
    out, result = censoring_builds[as_of]
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stderr[-6000:]}"
    actual = [r for r in rows(out, "campaign_retention") if (r["campaign"], r["months_after"]) in KEYS]
    expected = table(
        "campaign campaign_end months_after new_editors retained retention suppressed",
        ("spring-edit", "2025-05-31", 1, *spring_k1, F),
        ("winter-drive", "2025-01-10", 6, *winter_k6, F),
    )
    compare(f"campaign_retention as of {as_of}", actual, expected, key=("campaign", "months_after"), ordered=True)


KEYS = {("spring-edit", 1), ("winter-drive", 6)}
