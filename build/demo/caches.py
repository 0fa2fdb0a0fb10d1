"""The demo's courses, courses_users and tags tables: the cached per-course and per-user columns computed from
the generated timeslices, articles and uploads as the Dashboard does (dashboard.md §1)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .constants import COURSE_TYPES, DATA_END, END_DAY
from .frames import State, as_seconds, ddl_frame


def course_caches(state: State) -> None:
    """Courses and courses_users, with the cached columns computed as the Dashboard does (dashboard.md §1)."""
    counts = _course_counts(state)
    uploads, per_user_uploads = _upload_counts(state)
    _courses_table(state, {**counts, **uploads})
    _courses_users_table(state, per_user_uploads)
    _tags(state)


def _course_counts(state: State) -> dict[str, np.ndarray]:
    """Per course position: characters, references and revisions (from course_wiki_timeslices), revisions in
    the last 30 days, participants, trained participants (none before 2016), articles and views."""
    course, enrol = state.course, state.enrol
    n = len(course)
    ids = course["id"].to_numpy()
    cwt = state.cwt
    sums = cwt.groupby("course")[["chars", "refs", "revs"]].sum().reindex(np.arange(n), fill_value=0)
    recent = cwt[cwt["day"] >= END_DAY - 30].groupby("course")["revs"].sum().reindex(np.arange(n), fill_value=0)
    students = enrol[enrol["role"] == 0]
    user_count = students.groupby("course").size().reindex(np.arange(n), fill_value=0).to_numpy()
    trained = state.trained[students["user_id"].to_numpy() - 1]
    trained_count = (
        (
            pd.Series(trained.astype(int))
            .groupby(students["course"].to_numpy())
            .sum()
            .reindex(np.arange(n), fill_value=0)
        )
        .to_numpy()
        .copy()
    )
    trained_count[course["start"].to_numpy() < np.datetime64("2016-01-01T00:00:00")] = 0
    ac = state.ac_stats.reindex(ids, fill_value=0)
    return {
        "character_sum": sums["chars"].to_numpy(),
        "view_sum": ac["view_sum"].to_numpy(),
        "user_count": user_count,
        "article_count": ac["article_count"].to_numpy(),
        "revision_count": sums["revs"].to_numpy(),
        "new_article_count": ac["new_article_count"].to_numpy(),
        "trained_count": trained_count,
        "recent_revision_count": recent.to_numpy(),
        "references_count": sums["refs"].to_numpy(),
    }


def _upload_counts(state: State) -> tuple[dict[str, np.ndarray], pd.Series]:
    """Uploads by students with uploaded_at in [start, end]: per course position the three upload columns, and
    the count per (course position, user id)."""
    course, enrol = state.course, state.enrol
    n = len(course)
    students = enrol[enrol["role"] == 0]
    up = state.tables["commons_uploads"][["user_id", "uploaded_at", "usage_count"]]
    joined = students[["course", "user_id"]].merge(up, on="user_id")
    inside = (joined["uploaded_at"].to_numpy() >= course["start"].to_numpy()[joined["course"].to_numpy()]) & (
        joined["uploaded_at"].to_numpy() <= course["end"].to_numpy()[joined["course"].to_numpy()]
    )
    joined = joined[inside]
    in_use = joined["usage_count"] > 0
    upload_count = joined.groupby("course").size().reindex(np.arange(n), fill_value=0).to_numpy()
    in_use_count = joined[in_use].groupby("course").size().reindex(np.arange(n), fill_value=0).to_numpy()
    usages = joined[in_use].groupby("course")["usage_count"].sum().reindex(np.arange(n), fill_value=0).to_numpy()
    per_user_uploads = joined.groupby(["course", "user_id"]).size()
    counts = {"upload_count": upload_count, "uploads_in_use_count": in_use_count, "upload_usages_count": usages}
    return counts, per_user_uploads


def _courses_table(state: State, counts: dict[str, np.ndarray]) -> None:
    rng, course = state.rng, state.course
    n = len(course)
    ids = course["id"].to_numpy()
    text = state.course_text
    ctype = np.asarray(COURSE_TYPES, dtype=object)[course["type"].to_numpy()]
    flags = np.where(
        ctype == "Editathon",
        "---\n:timeslice_duration:\n  :default: 86400\n",
        "--- {}\n",
    ).astype(object)
    state.tables["courses"] = ddl_frame(
        "dashboard",
        "courses",
        {
            "id": ids,
            "title": text["title"],
            "created_at": course["created_at"].to_numpy(),
            "updated_at": np.maximum(course["created_at"].to_numpy(), as_seconds(DATA_END) - 3600),
            "start": course["start"].to_numpy(),
            "end": course["end"].to_numpy(),
            "school": text["school"],
            "term": text["term"],
            "slug": text["slug"],
            "subject": np.asarray(["History", "Biology", "Gender studies", "Art", None], dtype=object)[
                rng.integers(0, 5, n)
            ],
            "expected_students": course["students"].to_numpy(),
            "description": np.array([f"Course {i}.\nSecond line, with a comma." for i in ids], dtype=object),
            "submitted": np.ones(n, np.int8),
            "passcode": np.array([f"SECRET-passcode-{i}" for i in ids], dtype=object),
            "timeline_start": course["start"].to_numpy(),
            "timeline_end": course["end"].to_numpy(),
            "type": ctype,
            "home_wiki_id": course["home"].to_numpy(),
            "flags": flags,
            "level": np.asarray(["Introductory", "Advanced", None], dtype=object)[rng.integers(0, 3, n)],
            "private": course["private"].to_numpy().astype(np.int8),
            "withdrawn": state.withdrawn.astype(np.int8),
            **counts,
        },
    )


def _courses_users_table(state: State, per_user_uploads: pd.Series) -> None:
    """courses_users, ids in enrolment order; per-user caches from that user's timeslices in the course."""
    rng, course, enrol = state.rng, state.course, state.enrol
    m = len(enrol)
    c = enrol["course"].to_numpy()
    s = course["start"].to_numpy()[c]
    joined_at = s - rng.integers(0, 10 * 86400, m).astype("timedelta64[s]")
    joined_at = np.maximum(joined_at, course["created_at"].to_numpy()[c])
    registered = state.registered[enrol["user_id"].to_numpy() - 1]
    joined_at = np.where(np.isnat(registered), joined_at, np.maximum(joined_at, registered + np.timedelta64(600, "s")))
    per_user = state.cuwt.groupby(["course_id", "user_id"])[
        ["character_sum_ms", "character_sum_us", "character_sum_draft", "references_count", "revision_count"]
    ].sum()
    key = pd.MultiIndex.from_arrays([enrol["course_id"].to_numpy(), enrol["user_id"].to_numpy()])
    mine = per_user.reindex(key, fill_value=0)
    uploads = per_user_uploads.reindex(
        pd.MultiIndex.from_arrays([c, enrol["user_id"].to_numpy()]), fill_value=0
    ).to_numpy()
    order = np.lexsort((np.arange(m), joined_at))
    cu_ids = np.empty(m, dtype=np.int64)
    cu_ids[order] = np.arange(1, m + 1)
    role = enrol["role"].to_numpy()
    state.tables["courses_users"] = ddl_frame(
        "dashboard",
        "courses_users",
        {
            "id": cu_ids,
            "created_at": joined_at,
            "updated_at": joined_at + np.timedelta64(3600, "s"),
            "course_id": enrol["course_id"].to_numpy(),
            "user_id": enrol["user_id"].to_numpy(),
            "character_sum_ms": mine["character_sum_ms"].to_numpy(),
            "character_sum_us": mine["character_sum_us"].to_numpy(),
            "revision_count": mine["revision_count"].to_numpy(),
            "role": role,
            "character_sum_draft": mine["character_sum_draft"].to_numpy(),
            "real_name": np.where(
                rng.random(m) < 0.3, np.char.add("SECRET-cu-real_name-", cu_ids.astype(str)).astype(object), None
            ),
            "role_description": np.where(role == 1, "Facilitator", None),
            "total_uploads": np.where(role == 0, uploads, None),
            "references_count": mine["references_count"].to_numpy(),
        },
    ).sort_values("id", ignore_index=True)


def _tags(state: State) -> None:
    """Tags: course_creator = first_time_instructor / returning_instructor, from the first instructor's history."""
    course, enrol = state.course, state.enrol
    inst = enrol[enrol["role"] == 1].drop_duplicates("course")
    creator_start = course["start"].to_numpy()[inst["course"].to_numpy()]
    earlier = (
        pd.DataFrame({"user": inst["user_id"].to_numpy(), "start": creator_start})
        .groupby("user")["start"]
        .rank(method="first")
        .to_numpy()
    )
    tag = np.where(earlier > 1, "returning_instructor", "first_time_instructor").astype(object)
    t = len(inst)
    state.tables["tags"] = ddl_frame(
        "dashboard",
        "tags",
        {
            "id": np.arange(1, t + 1),
            "course_id": inst["course_id"].to_numpy(),
            "tag": tag,
            "key": np.full(t, "course_creator", dtype=object),
            "created_at": course["created_at"].to_numpy()[inst["course"].to_numpy()],
            "updated_at": course["created_at"].to_numpy()[inst["course"].to_numpy()],
        },
    )
