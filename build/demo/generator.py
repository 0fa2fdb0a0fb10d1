"""Generating the demo: the stages in their fixed order (each draws from one random generator, so the order is
part of the data), the final DDL-ordered Dashboard tables, and the strings that must never be published."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from . import activity, articles, caches, people, programs, replica
from .constants import DATA_END, DEFAULT_SCALE, DEFAULT_SEED, SCHEDULE_COLUMNS, WIKIS
from .frames import Demo, State, as_seconds, ddl_frame
from .schema import ddl_columns


def generate(scale: float = DEFAULT_SCALE, seed: int = DEFAULT_SEED) -> Demo:
    """Generate the demo. Deterministic: the same scale and seed give identical frames.

    scale 1 is the benchmark scale (about 20,000 courses, 1,500 campaigns, 400,000 participants,
    5,000,000 course_user_wiki_timeslices rows); small scales keep every trap the tests look for."""
    if not scale > 0:
        raise ValueError(f"scale must be positive, not {scale!r}")
    started = time.perf_counter()
    state = State.start(scale, seed)
    programs.campaigns(state)
    programs.courses(state)
    people.enrolments(state)
    people.users(state)
    activity.timeslices(state)
    articles.articles(state)
    articles.uploads(state)
    caches.course_caches(state)
    programs.campaign_links(state)
    finish_dashboard(state)
    wikis = replica.replica(state)
    demo = Demo(scale, seed, state.tables, wikis, notes=state.notes)
    demo.seconds = time.perf_counter() - started
    return demo


def finish_dashboard(state: State) -> None:
    state.tables["wikis"] = ddl_frame(
        "dashboard",
        "wikis",
        {
            "id": np.array([w[0] for w in WIKIS]),
            "language": np.array([w[1] for w in WIKIS], dtype=object),
            "project": np.array([w[2] for w in WIKIS], dtype=object),
        },
    )
    ordered: dict[str, pd.DataFrame] = {}
    last = pd.Timestamp(as_seconds(DATA_END) - np.timedelta64(1, "s"))
    for table, columns in ddl_columns("dashboard").items():
        frame = state.tables.get(table)
        if frame is None:
            frame = ddl_frame("dashboard", table, {column: np.array([], dtype=object) for column in columns}, 0)
        # Nothing is recorded on or after DATA_END (future courses' sign-ups included); only schedules
        # (course and campaign start/end, a timeslice's end) may lie beyond it.
        for column in columns:
            if pd.api.types.is_datetime64_any_dtype(frame[column]) and (table, column) not in SCHEDULE_COLUMNS:
                frame[column] = frame[column].clip(upper=last)
        ordered[table] = frame.reset_index(drop=True)
    state.tables = ordered


def private_markers(demo: Demo) -> list[str]:
    """Titles and slugs of private courses, and of the campaign whose courses are all private: strings that must
    never appear in the published site."""
    courses = demo.dashboard["courses"]
    private = courses[courses["private"] == 1]
    markers = list(private["title"]) + list(private["slug"])
    campaigns = demo.dashboard["campaigns"]
    links = demo.dashboard["campaigns_courses"]
    public_ids = set(courses.loc[courses["private"] == 0, "id"])
    has_public = set(links.loc[links["course_id"].isin(public_ids), "campaign_id"])
    linked = set(links["campaign_id"])
    hidden = campaigns[campaigns["id"].isin(linked - has_public)]
    markers += list(hidden["title"]) + list(hidden["slug"])
    return sorted(set(markers))
