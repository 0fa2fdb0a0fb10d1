"""The demo's activity: daily course_user_wiki_timeslices per participant (and a few instructors, whose edits
must not count), course_wiki_timeslices summing the participants' rows over every day of a course, and the
courses' tracked wikis (courses_wikis, course_wiki_namespaces)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .constants import COMMONS, END_DAY, WIKIDATA
from .frames import State, day_seconds, ddl_frame


def course_days(course: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per course position: its first day (days since 1970-01-01) and how many of its days fall before DATA_END."""
    first_day = course["start_day"].to_numpy()
    last_day = np.minimum(course["end_day"].to_numpy(), END_DAY - 1)
    return first_day, np.maximum(last_day - first_day + 1, 0)


def timeslices(state: State) -> None:
    """Both stages below, one after the other (the random draws are the same either way)."""
    user_timeslices(state)
    course_timeslices(state)


def user_timeslices(state: State) -> None:
    """course_user_wiki_timeslices, and `state.cuwt` (its rows as days) for the later stages. A stage of its
    own so a writer can write and drop the table before the course grid is built (peak memory)."""
    course, enrol = state.course, state.enrol
    first_day, n_days = course_days(course)
    students = enrol[enrol["role"] == 0]
    # no names kept here for the day arrays: _user_rows frees them as it goes (in this order: the random draws)
    frame = _user_rows(
        state,
        students,
        *_student_days(state, students, first_day, n_days),
        *_instructor_days(state, students, first_day, n_days),
    )
    state.cuwt = frame
    _user_timeslices_table(state, frame)


def course_timeslices(state: State) -> None:
    """course_wiki_timeslices, courses_wikis and course_wiki_namespaces, from `state.cuwt`."""
    course = state.course
    first_day, n_days = course_days(course)
    pair_course, pair_wiki = _tracked_wikis(course)
    _course_timeslices(state, state.cuwt, pair_course, pair_wiki, first_day, n_days)
    _course_wikis(state, pair_course, pair_wiki)


def _student_days(state: State, students: pd.DataFrame, first_day: np.ndarray, n_days: np.ndarray):
    """Days each participant edits in their course (some only with revision_count = 0): the participant row
    repeated per day, the day, and the revision count."""
    rng, ctype = state.rng, state.course["type"].to_numpy()
    sc = students["course"].to_numpy()
    m = len(sc)
    nd = n_days[sc]
    active = (nd > 0) & (rng.random(m) > 0.12)
    intensity = np.where(ctype[sc] == 0, 0.7, rng.beta(1.4, 6.0, m))
    k = np.where(active, 1 + rng.binomial(np.maximum(nd - 1, 0), intensity), 0)
    zero_only = (~active) & (nd > 0) & (rng.random(m) < 0.3)  # rows with revision_count = 0 only
    k = k + zero_only
    rep = np.repeat(np.arange(m), k)
    day = first_day[sc[rep]] + np.floor(rng.random(len(rep)) * nd[rep]).astype(int)
    revisions = rng.geometric(0.3, len(rep))
    revisions[rng.random(len(rep)) < 0.05] = 0
    revisions[zero_only[rep]] = 0
    return rep, day, revisions


def _instructor_days(state: State, students: pd.DataFrame, first_day: np.ndarray, n_days: np.ndarray):
    """Role-1-only people who edit: their rows exist but must not count as participant activity."""
    rng, enrol = state.rng, state.enrol
    inst = enrol[(enrol["role"] == 1)]
    inst = inst[~inst.set_index(["course", "user_id"]).index.isin(students.set_index(["course", "user_id"]).index)]
    chosen = inst[(rng.random(len(inst)) < 0.05) & (n_days[inst["course"].to_numpy()] > 0)]
    if chosen.empty:
        chosen = inst[n_days[inst["course"].to_numpy()] > 0].head(1)
    ic = chosen["course"].to_numpy()
    ik = 1 + rng.integers(0, np.minimum(n_days[ic], 5))
    irep = np.repeat(np.arange(len(chosen)), ik)
    iday = first_day[ic[irep]] + np.floor(rng.random(len(irep)) * n_days[ic[irep]]).astype(int)
    state.notes["role1_editor_ids"] = np.unique(chosen["user_id"].to_numpy()).tolist()
    return chosen, irep, iday


def _user_rows(state: State, students, rep, day, revisions, chosen, irep, iday) -> pd.DataFrame:
    """One row per course x user x wiki x day with the character, reference and revision counts.

    The largest working arrays of the demo: each is dropped as soon as it is used (`del`), and the rows are
    deduplicated and sorted on positions, so they are copied once (peak memory at scale 1)."""
    rng, course = state.rng, state.course
    sc = students["course"].to_numpy()
    ic = chosen["course"].to_numpy()
    c_all = np.concatenate([sc[rep], ic[irep]])
    u_all = np.concatenate([students["user_id"].to_numpy()[rep], chosen["user_id"].to_numpy()[irep]])
    d_all = np.concatenate([day, iday])
    r_all = np.concatenate([revisions, rng.geometric(0.3, len(irep))])
    is_student = np.concatenate([np.ones(len(rep), bool), np.zeros(len(irep), bool)])
    del rep, day, revisions, irep, iday
    second = course["second"].to_numpy()[c_all]
    wiki = np.where((second > 0) & (rng.random(len(c_all)) < 0.15), second, course["home"].to_numpy()[c_all])
    del second
    n = len(c_all)
    has = r_all > 0
    ms = np.where(has & (rng.random(n) < 0.8), (r_all * rng.lognormal(5.0, 1.2, n)).astype(np.int64), 0)
    us = np.where(has & (rng.random(n) < 0.25), (r_all * rng.lognormal(4.0, 1.0, n)).astype(np.int64), 0)
    draft = np.where(has & (rng.random(n) < 0.05), (r_all * rng.lognormal(4.5, 1.0, n)).astype(np.int64), 0)
    del has
    refs = rng.binomial(r_all, 0.3)
    columns = {
        "course_id": c_all + 1,
        "user_id": u_all,
        "wiki_id": wiki,
        "day": d_all,
        "character_sum_ms": ms,
        "character_sum_us": us,
        "character_sum_draft": draft,
        "references_count": refs,
        "revision_count": r_all,
        "student": is_student,
    }
    del c_all, u_all, wiki, d_all, ms, us, draft, refs, r_all, is_student
    # drop_duplicates (first kept), then a stable sort by course, day, user, wiki
    keys = pd.DataFrame({name: columns[name] for name in ("course_id", "user_id", "wiki_id", "day")})
    kept = np.flatnonzero(~keys.duplicated().to_numpy())
    del keys
    order = kept[np.lexsort([columns[name][kept] for name in ("wiki_id", "user_id", "day", "course_id")])]
    del kept
    rows = {}
    for name in list(columns):
        rows[name] = columns.pop(name)[order]  # the unsorted column is freed here
    return pd.DataFrame(rows, copy=False)


def _user_timeslices_table(state: State, frame: pd.DataFrame) -> None:
    n = len(frame)
    start = day_seconds(frame["day"].to_numpy())
    created = start + np.timedelta64(86400 + 3 * 3600, "s")
    state.tables["course_user_wiki_timeslices"] = ddl_frame(
        "dashboard",
        "course_user_wiki_timeslices",
        {
            "id": np.arange(1, n + 1),
            "course_id": frame["course_id"].to_numpy(np.int32),
            "user_id": frame["user_id"].to_numpy(np.int32),
            "wiki_id": frame["wiki_id"].to_numpy(np.int32),
            "start": start,
            "end": start + np.timedelta64(86400, "s"),
            "character_sum_ms": frame["character_sum_ms"].to_numpy(np.int32),
            "character_sum_us": frame["character_sum_us"].to_numpy(np.int32),
            "character_sum_draft": frame["character_sum_draft"].to_numpy(np.int32),
            "references_count": frame["references_count"].to_numpy(np.int32),
            "revision_count": frame["revision_count"].to_numpy(np.int32),
            "created_at": created,
            "updated_at": created,
        },
    )


def _tracked_wikis(course: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(course position, wiki id) pairs: every course's home wiki and second tracked wiki, by course then wiki."""
    pair_course = np.concatenate([np.arange(len(course)), np.flatnonzero(second_all := course["second"] > 0)])
    pair_wiki = np.concatenate([course["home"].to_numpy(), course["second"].to_numpy()[second_all.to_numpy()]])
    pair_order = np.lexsort((pair_wiki, pair_course))
    pair_course, pair_wiki = pair_course[pair_order], pair_wiki[pair_order]
    return pair_course, pair_wiki


def _course_timeslices(state: State, frame, pair_course, pair_wiki, first_day, n_days) -> None:
    """course_wiki_timeslices: every day of [start, end] (up to DATA_END) per course x tracked wiki,
    summing the students' rows (instructors' edits are not course edits)."""
    rng = state.rng
    per = n_days[pair_course]
    grid_pair = np.repeat(np.arange(len(pair_course)), per)
    offsets = np.arange(len(grid_pair)) - np.repeat(np.cumsum(per) - per, per)
    grid_course = pair_course[grid_pair]
    grid_day = first_day[grid_course] + offsets
    grid_wiki = pair_wiki[grid_pair]
    grid_key = ((grid_course + 1).astype(np.int64) * 16 + grid_wiki) * 100_000 + grid_day
    summed = ["character_sum_ms", "references_count", "revision_count"]
    student = frame["student"].to_numpy()  # the students' rows, without copying every column of them
    st_key = (frame["course_id"].to_numpy(np.int64)[student] * 16 + frame["wiki_id"].to_numpy()[student]) * 100_000
    st_key += frame["day"].to_numpy()[student]
    sums = frame.loc[student, summed].groupby(st_key).sum()
    del st_key
    position = np.searchsorted(grid_key, sums.index.to_numpy())
    assert (grid_key[position] == sums.index.to_numpy()).all(), "a student timeslice outside its course grid"
    g = len(grid_key)
    chars, refs, revs = np.zeros(g, np.int64), np.zeros(g, np.int64), np.zeros(g, np.int64)
    chars[position] = sums["character_sum_ms"].to_numpy()
    refs[position] = sums["references_count"].to_numpy()
    revs[position] = sums["revision_count"].to_numpy()
    start = day_seconds(grid_day)
    created = start + np.timedelta64(86400 + 2 * 3600, "s")
    state.cwt = pd.DataFrame({"course": grid_course, "day": grid_day, "chars": chars, "refs": refs, "revs": revs})
    state.tables["course_wiki_timeslices"] = ddl_frame(
        "dashboard",
        "course_wiki_timeslices",
        {
            "id": np.arange(1, g + 1),
            "course_id": (grid_course + 1).astype(np.int32),
            "wiki_id": grid_wiki.astype(np.int32),
            "start": start,
            "end": start + np.timedelta64(86400, "s"),
            "character_sum": chars,
            "references_count": refs,
            "revision_count": revs,
            "last_mw_rev_datetime": pd.to_datetime(
                np.where(revs > 0, start + rng.integers(0, 86400, g).astype("timedelta64[s]"), np.datetime64("NaT"))
            ),
            "created_at": created,
            "updated_at": created,
            "mw_rev_count": revs + rng.binomial(1, 0.1, g) * rng.integers(1, 4, g),
        },
    )


def _course_wikis(state: State, pair_course: np.ndarray, pair_wiki: np.ndarray) -> None:
    course = state.course
    state.tables["courses_wikis"] = ddl_frame(
        "dashboard",
        "courses_wikis",
        {
            "id": np.arange(1, len(pair_course) + 1),
            "course_id": pair_course + 1,
            "wiki_id": pair_wiki,
            "created_at": course["created_at"].to_numpy()[pair_course],
            "updated_at": course["created_at"].to_numpy()[pair_course],
        },
    )
    state.tables["course_wiki_namespaces"] = ddl_frame(
        "dashboard",
        "course_wiki_namespaces",
        {
            "id": np.arange(1, len(pair_course) + 1),
            "namespace": np.where(pair_wiki == COMMONS, 6, np.where(pair_wiki == WIKIDATA, 0, 0)),
            "courses_wikis_id": np.arange(1, len(pair_course) + 1),
            "created_at": course["created_at"].to_numpy()[pair_course],
            "updated_at": course["created_at"].to_numpy()[pair_course],
        },
    )
