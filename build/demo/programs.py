"""The demo's programs: campaigns, courses (types, sizes, home wikis, dates, private and withdrawn flags, titles
and slugs), and the links between them (campaigns_courses, campaigns_users)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .constants import (
    CAMPAIGN_THEMES,
    COMMONS,
    COURSE_TYPES,
    DATA_END,
    DATA_START,
    DATED_CAMPAIGNS,
    DURATION,
    EMPTY_CAMPAIGN,
    EVENTS,
    HOSTILE_COURSE_TITLES,
    LAST_START,
    LATE_LINKS,
    ONGOING_CAMPAIGN,
    ONGOING_SINCE,
    ORIGINAL_WIKIS,
    PRIVATE_CAMPAIGN,
    SCHOOLS,
    TRAVERSAL_SLUG,
    TYPE_P,
    WIKIDATA,
    WIKIS,
)
from .frames import State, as_seconds, ddl_frame, int_days, pick_words, span_days, unique_slugs

# Courses 1-8 have each type, 9-13 hostile titles, 14-31 go to campaigns 1-6 (three each; 5 is private).
FIRST_SPECIAL = len(COURSE_TYPES) + len(HOSTILE_COURSE_TITLES)
SPECIAL_COURSES = np.arange(FIRST_SPECIAL, FIRST_SPECIAL + 3 * 6)
FUTURE_COURSE = FIRST_SPECIAL + 3 * 6  # at least one course starts after DATA_END
# Courses 33-38: three edit-a-thons in each of the campaigns created after a test date (DATED_CAMPAIGNS), at home
# on the wikis with irregular language codes (nb, be-tarask, dk).
DATED_COURSES = np.arange(FUTURE_COURSE + 1, FUTURE_COURSE + 1 + 3 * len(DATED_CAMPAIGNS))
FIXED_COURSES = np.concatenate([SPECIAL_COURSES, DATED_COURSES])
FIXED_CAMPAIGNS = np.repeat([1, 2, 3, 4, PRIVATE_CAMPAIGN, ONGOING_CAMPAIGN, *DATED_CAMPAIGNS], 3)
SPECIAL_CAMPAIGN_NAMES = [
    ("Café Edit", "café_edit"),
    ("cafe edit", "cafe_edit"),
    ('<script>alert("x")</script>', "script_alert_x"),
    ("Path Traversal Drive", TRAVERSAL_SLUG),
    ("PRIVATE-CAMPAIGN-000005 Closed cohort", "private-campaign-000005_closed_cohort"),
    ("Wiki Loves Everything (ongoing)", "wiki_loves_everything"),
    ("Empty Campaign (no programs)", "empty_campaign"),
]


# --------------------------------------------------------------------------------------------------- campaigns


def campaigns(state: State) -> None:
    rng, n = state.rng, state.n_campaigns
    ids = np.arange(1, n + 1)
    span = int((LAST_START - DATA_START).astype(int))
    start_day = DATA_START + np.floor(span * rng.random(n) ** 0.75).astype(int)
    length = np.select(
        [rng.random(n) < 0.4, rng.random(n) < 0.65],
        [rng.integers(1, 15, n), rng.integers(15, 91, n)],
        rng.integers(91, 366, n),
    )
    dated = rng.random(n) >= 0.3
    dated[[0, 1, 2, 3, 4]] = True
    dated[5] = False  # campaign 6: no start or end (an ongoing campaign)
    # Campaigns 1-5 sit in 2023-2024 so their retention windows are complete on 2026-11-01.
    start_day[:5] = np.datetime64("2023-03-01") + np.array([0, 30, 60, 90, 120])
    length[:5] = [45, 45, 60, 30, 40]
    for campaign, (first, days) in DATED_CAMPAIGNS.items():
        start_day[campaign - 1], length[campaign - 1], dated[campaign - 1] = np.datetime64(first), days, True
    start_day[ONGOING_CAMPAIGN - 1] = ONGOING_SINCE  # undated: this only sets when it was created
    end_day = start_day + length - 1
    titles, slugs = _campaign_names(rng, ids, start_day)
    created = (
        as_seconds(start_day) - span_days(rng.integers(5, 60, n)) + rng.integers(0, 86400, n).astype("timedelta64[s]")
    )
    created = np.maximum(created, as_seconds(DATA_START) + np.timedelta64(3600, "s"))
    start = np.where(dated, as_seconds(start_day), np.datetime64("NaT"))
    end = np.where(dated, as_seconds(end_day) + np.timedelta64(86399, "s"), np.datetime64("NaT"))
    default_type = np.asarray(["Editathon", "BasicCourse", "ArticleScopedProgram"], dtype=object)[rng.integers(0, 3, n)]
    state.campaign = pd.DataFrame(
        {
            "id": ids,
            "start_day": int_days(start_day),
            "end_day": int_days(end_day),
            "dated": dated,
            "created_at": created,
        }
    )
    state.tables["campaigns"] = ddl_frame(
        "dashboard",
        "campaigns",
        {
            "id": ids,
            "title": titles,
            "slug": slugs,
            "url": np.full(n, None, dtype=object),
            "created_at": created,
            "updated_at": created + np.timedelta64(86400, "s"),
            "description": np.array([f"Campaign {i}.\nSecond line of the description." for i in ids]),
            "start": pd.to_datetime(start),
            "end": pd.to_datetime(end),
            "template_description": np.full(n, None, dtype=object),
            "default_course_type": default_type,
            "default_passcode": np.array([f"SECRET-default_passcode-{i}" for i in ids], dtype=object),
            "register_accounts": (rng.random(n) < 0.2).astype(np.int8),
        },
    )


def _campaign_names(rng: np.random.Generator, ids: np.ndarray, start_day: np.ndarray) -> tuple[np.ndarray, ...]:
    """Titles (a theme and the year, unique) and slugs; campaigns 1-7 get the special names."""
    theme = np.asarray(CAMPAIGN_THEMES, dtype=object)[rng.integers(0, len(CAMPAIGN_THEMES), len(ids))]
    year = start_day.astype("datetime64[Y]").astype(int) + 1970
    titles = np.array([f"{t} {y}" for t, y in zip(theme, year, strict=True)], dtype=object)
    titles = pd.Series(titles)
    dup = titles.duplicated().to_numpy()
    titles = titles.to_numpy(dtype=object)
    titles[dup] = [f"{t} #{i}" for t, i in zip(titles[dup], ids[dup], strict=True)]
    slugs = np.array([t.lower().replace(" ", "_") for t in titles], dtype=object)
    for i, (title, slug) in enumerate(SPECIAL_CAMPAIGN_NAMES):
        titles[i], slugs[i] = title, slug
    return titles, slugs


# --------------------------------------------------------------------------------------------------- courses


def courses(state: State) -> None:
    rng, n = state.rng, state.n_courses
    ids = np.arange(1, n + 1)
    ctype, duration, students = _course_sizes(rng, n)
    primary = _primary_campaigns(state, n)
    primary[FIXED_COURSES] = FIXED_CAMPAIGNS
    ctype[FIXED_COURSES] = 0  # short edit-a-thons...
    duration[FIXED_COURSES] = rng.integers(1, 4, len(FIXED_COURSES))
    students[FIXED_COURSES] = rng.integers(8, 21, len(FIXED_COURSES))
    home, second = _home_wikis(rng, n)
    start_day = _course_days(state, ctype, duration, primary)
    start, end, end_day, created = _course_times(rng, ctype, start_day, duration)
    private, withdrawn = _private_and_withdrawn(rng, primary)
    text, hostile_at = _course_text(rng, ids, home, ctype, start_day, primary, private)
    state.course = pd.DataFrame(
        {
            "id": ids,
            "type": ctype,
            "home": home,
            "second": second,
            "start": start,
            "end": end,
            "start_day": int_days(start_day),
            "end_day": int_days(end_day),
            "students": students,
            "primary": primary,
            "private": private,
            "created_at": created,
        }
    )
    state.course_text = text
    state.withdrawn = withdrawn
    state.notes.update(hostile_course_ids=(hostile_at + 1).tolist(), special_course_ids=(SPECIAL_COURSES + 1).tolist())


def _course_sizes(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Type, duration in days and participant count (role 0) per course; every type appears."""
    ctype = rng.choice(len(COURSE_TYPES), n, p=TYPE_P)
    ctype[: len(COURSE_TYPES)] = np.arange(len(COURSE_TYPES))  # every type appears
    lo, hi = DURATION[ctype, 0], DURATION[ctype, 1]
    duration = rng.integers(lo, hi + 1)
    # Participants (role 0): many small edit-a-thons, a few huge classroom courses.
    students = np.select(
        [ctype == 0, ctype == 1, ctype == 2, ctype == 3, ctype == 4, ctype == 5, ctype == 6],
        [
            rng.integers(3, 21, n),
            np.where(rng.random(n) < 0.12, rng.integers(200, 700, n), rng.lognormal(3.5, 0.5, n).astype(int) + 5),
            rng.integers(3, 51, n),
            rng.integers(5, 61, n),
            rng.integers(5, 16, n),
            rng.integers(1, 4, n),
            np.ones(n, dtype=int),
        ],
        rng.integers(10, 41, n),
    )
    return ctype, duration, students


def _primary_campaigns(state: State, n: int) -> np.ndarray:
    """Campaign membership: ~80% of courses have a primary campaign, chosen with skewed (Zipf-like) weights."""
    rng = state.rng
    weights = 1.0 / (rng.permutation(state.n_campaigns) + 1.0) ** 0.9
    weights[[PRIVATE_CAMPAIGN - 1, EMPTY_CAMPAIGN - 1]] = 0
    weights[5] = weights.max() * 2  # the undated campaign is the biggest
    weights /= weights.sum()
    return np.where(rng.random(n) < 0.8, rng.choice(state.n_campaigns, n, p=weights) + 1, 0)


def _home_wikis(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Home wiki, and a second tracked wiki for some courses (Wikidata or Commons); 0 for none."""
    wiki_ids = np.array([w[0] for w in WIKIS])
    home = rng.choice(wiki_ids, n, p=np.array([w[3] for w in WIKIS]) / sum(w[3] for w in WIKIS))
    home[:ORIGINAL_WIKIS] = wiki_ids[:ORIGINAL_WIKIS]  # every wiki is someone's home wiki
    home[DATED_COURSES] = np.tile(wiki_ids[ORIGINAL_WIKIS:], len(DATED_CAMPAIGNS))
    second = np.where(rng.random(n) < 0.12, np.where(rng.random(n) < 0.5, WIKIDATA, COMMONS), 0)
    second[second == home] = 0
    return home, second


def _course_days(state: State, ctype: np.ndarray, duration: np.ndarray, primary: np.ndarray) -> np.ndarray:
    """First days: inside the primary campaign's window when it has one, else anywhere (growing over the years);
    legacy courses in 2015-2016 (and out of later campaigns: `primary` is updated), a few after DATA_END."""
    rng, n = state.rng, len(ctype)
    span = int((LAST_START - DATA_START).astype(int))
    start_day = DATA_START + np.floor(span * rng.random(n) ** 0.7).astype(int)
    camp = state.campaign.set_index("id")
    primary[FUTURE_COURSE] = 0
    has_window = primary > 0
    has_window[has_window] = camp.loc[primary[has_window], "dated"].to_numpy()
    c_start = camp.loc[primary[has_window], "start_day"].to_numpy().astype("datetime64[D]")
    c_len = camp.loc[primary[has_window], "end_day"].to_numpy() - int_days(c_start) + 1
    slack = np.maximum(c_len - duration[has_window], 0)
    start_day[has_window] = c_start + np.floor(rng.random(has_window.sum()) * (slack + 1)).astype(int)
    legacy = ctype == 7
    start_day[legacy] = np.datetime64("2015-01-05") + rng.integers(0, 500, legacy.sum())
    # Legacy courses predate campaigns: a legacy course dated in 2015 stays out of a 2023 campaign.
    outside = legacy & has_window
    outside[SPECIAL_COURSES] = False
    primary[outside] = 0
    future = (rng.random(n) < 0.005) & ~legacy & (primary == 0)
    future[FUTURE_COURSE] = True
    start_day[future] = DATA_END + rng.integers(3, 90, future.sum())
    start_day = np.minimum(start_day, np.where(future, start_day, LAST_START))
    start_day[has_window] = np.minimum(start_day[has_window], LAST_START)
    return start_day


def _course_times(rng: np.random.Generator, ctype: np.ndarray, start_day: np.ndarray, duration: np.ndarray):
    """start, end, end_day and created_at. Most courses run from 00:00:00 of the first day to 23:59:59 of the
    last; some edit-a-thons run from a morning hour to an evening hour."""
    n = len(ctype)
    timed = (ctype == 0) & (rng.random(n) < 0.3)
    start_hour = np.where(timed, rng.integers(9, 15, n), 0)
    start = as_seconds(start_day) + (start_hour * 3600).astype("timedelta64[s]")
    end_day = start_day + duration - 1
    end = np.where(
        timed,
        as_seconds(end_day) + ((start_hour + rng.integers(3, 8, n)) * 3600).astype("timedelta64[s]"),
        as_seconds(end_day) + np.timedelta64(86399, "s"),
    )
    created = np.maximum(
        start - span_days(rng.integers(1, 60, n)) - rng.integers(0, 86400, n).astype("timedelta64[s]"),
        as_seconds(DATA_START) + np.timedelta64(7200, "s"),
    )
    return start, end, end_day, created


def _private_and_withdrawn(rng: np.random.Generator, primary: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(primary)
    private = rng.random(n) < 0.05
    private[FIXED_COURSES] = False
    private[primary == PRIVATE_CAMPAIGN] = True
    private[:FIRST_SPECIAL] = False
    withdrawn = (rng.random(n) < 0.03) & ~private
    withdrawn[: FIRST_SPECIAL + 3 * 6] = False
    withdrawn[DATED_COURSES] = False
    candidates = np.flatnonzero(~private)[30:]
    withdrawn[rng.choice(candidates[~np.isin(candidates, DATED_COURSES)], 2, replace=False)] = True
    return private, withdrawn


def _course_text(rng, ids, home, ctype, start_day, primary, private) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Titles, schools, terms and slugs (private ones marked "PRIVATE-"), and the positions of the hostile
    titles, which go to public campaigns (`primary` is updated) so they show on campaign pages."""
    event = pick_words(rng, EVENTS, home)
    school = pick_words(rng, SCHOOLS, home)
    year = start_day.astype("datetime64[Y]").astype(int) + 1970
    month = start_day.astype("datetime64[M]").astype(int) % 12
    season = np.asarray(["Spring", "Spring", "Spring", "Spring", "Summer", "Summer"] + ["Fall"] * 6)[month]
    term = np.where(np.isin(ctype, [1, 2, 4]), np.char.add(np.char.add(season, " "), year.astype(str)), year)
    title = np.array([f"{e} {y}" for e, y in zip(event, year, strict=True)], dtype=object)
    hostile_at = np.arange(len(COURSE_TYPES), FIRST_SPECIAL)
    title[hostile_at] = HOSTILE_COURSE_TITLES
    primary[hostile_at] = np.array([3, 3, 1, 2, 6])  # in public campaigns, so they show on campaign pages
    title[private] = [f"PRIVATE-{i:06d} {t}" for i, t in zip(ids[private], title[private], strict=True)]
    slug = np.array(
        [f"{s}/{t}_({tm})".replace(" ", "_") for s, t, tm in zip(school, title, term.astype(str), strict=True)],
        dtype=object,
    )
    slug[private] = [f"PRIVATE-{i:06d}/{s.split('/', 1)[1]}" for i, s in zip(ids[private], slug[private], strict=True)]
    slug[hostile_at[0]] = TRAVERSAL_SLUG
    slug = unique_slugs(slug, ids)
    return {"title": title, "school": school, "term": term.astype(str), "slug": slug}, hostile_at


# --------------------------------------------------------------------------------------------------- links


def campaign_links(state: State) -> None:
    """campaigns_courses (each course's primary campaign, a second or third one for some) and campaigns_users."""
    rng, course = state.rng, state.course
    primary = course["primary"].to_numpy()
    extra_courses, extra_campaigns = _extra_campaigns(state)
    has = primary > 0
    pairs = pd.DataFrame(
        {
            "course": np.concatenate([np.flatnonzero(has), *extra_courses]),
            "campaign": np.concatenate([primary[has], *extra_campaigns]),
        }
    ).drop_duplicates()
    pairs = pairs.sort_values(["campaign", "course"], kind="stable", ignore_index=True)
    camp_created = state.campaign.set_index("id")["created_at"].to_numpy()
    linked = np.maximum(course["created_at"].to_numpy()[pairs["course"]], camp_created[pairs["campaign"] - 1])
    linked = linked + rng.integers(60, 86400, len(pairs)).astype("timedelta64[s]")
    for (campaign, position), when in LATE_LINKS.items():
        linked[((pairs["campaign"] == campaign) & (pairs["course"] == position)).to_numpy()] = np.datetime64(when)
    state.tables["campaigns_courses"] = ddl_frame(
        "dashboard",
        "campaigns_courses",
        {
            "id": np.arange(1, len(pairs) + 1),
            "campaign_id": pairs["campaign"].to_numpy(),
            "course_id": pairs["course"].to_numpy() + 1,
            "created_at": linked,
            "updated_at": linked,
        },
    )
    _organizers(state, camp_created)


def _extra_campaigns(state: State) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Second and third campaigns for some courses (never the all-private or the empty campaign): course
    positions and campaign ids, in parallel lists of arrays."""
    rng, course = state.rng, state.course
    n = len(course)
    primary = course["primary"].to_numpy()
    eligible = np.setdiff1d(np.arange(1, state.n_campaigns + 1), [PRIVATE_CAMPAIGN, EMPTY_CAMPAIGN])
    extra_courses, extra_campaigns = [], []
    # A second campaign runs at about the same time: among the eligible campaigns, one of the few
    # whose start is nearest the course's start (so a campaign page does not span unrelated years).
    camp = state.campaign.set_index("id").loc[eligible]
    by_start = np.argsort(camp["start_day"].to_numpy(), kind="stable")
    starts = camp["start_day"].to_numpy()[by_start]
    course_start = course["start_day"].to_numpy()
    for share in (0.15, 0.03):
        chosen = np.flatnonzero((rng.random(n) < share) & (primary > 0) & (primary != PRIVATE_CAMPAIGN))
        nearest = np.searchsorted(starts, course_start[chosen])
        pick = np.clip(nearest + rng.integers(-2, 2, len(chosen)), 0, len(starts) - 1)
        extra_courses.append(chosen)
        extra_campaigns.append(eligible[by_start[pick]])
    special = np.asarray(state.notes["special_course_ids"]) - 1
    extra_courses.append(special[:3])
    extra_campaigns.append(np.full(3, ONGOING_CAMPAIGN))  # campaign 1's courses are also in the undated campaign 6
    return extra_courses, extra_campaigns


def _organizers(state: State, camp_created: np.ndarray) -> None:
    """campaigns_users role 1: one or two instructors per campaign."""
    rng = state.rng
    instructors = np.flatnonzero(state.user_kind.to_numpy() == 1) + 1
    k = rng.choice([1, 2], state.n_campaigns, p=[0.7, 0.3])
    campaign = np.repeat(np.arange(1, state.n_campaigns + 1), k)
    organizer = instructors[rng.integers(0, len(instructors), len(campaign))]
    frame = pd.DataFrame({"campaign": campaign, "user": organizer}).drop_duplicates()
    created = camp_created[frame["campaign"].to_numpy() - 1]
    state.tables["campaigns_users"] = ddl_frame(
        "dashboard",
        "campaigns_users",
        {
            "id": np.arange(1, len(frame) + 1),
            "campaign_id": frame["campaign"].to_numpy(),
            "user_id": frame["user"].to_numpy(),
            "role": np.ones(len(frame), int),
            "created_at": created,
            "updated_at": created,
        },
    )
