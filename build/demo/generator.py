"""Generating the demo: the stages in their fixed order (each draws from one random generator, so the order is
part of the data), the final DDL-ordered Dashboard tables, and the strings that must never be published."""

from __future__ import annotations

import time
from collections.abc import Iterator

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
    started = time.perf_counter()
    _check_scale(scale)
    state = State.start(scale, seed)
    made = dict(dashboard_tables(state))
    dashboard = {table: made[table] for table in ddl_columns("dashboard")}  # in DDL order
    wikis = replica.replica(state)
    demo = Demo(scale, seed, dashboard, wikis, notes=state.notes)
    demo.seconds = time.perf_counter() - started
    return demo


def _check_scale(scale) -> None:
    if not scale > 0:
        raise ValueError(f"scale must be positive, not {scale!r}")


# The stages in their fixed order, and the tables a later stage still reads (handed out after the last stage).
STAGES = (
    programs.campaigns,
    programs.courses,
    people.enrolments,
    people.users,
    activity.user_timeslices,
    activity.course_timeslices,
    articles.articles,
    articles.uploads,
    caches.course_caches,
    programs.campaign_links,
)
READ_LATER = frozenset({"commons_uploads"})  # caches.course_caches reads it


def dashboard_tables(state: State) -> Iterator[tuple[str, pd.DataFrame]]:
    """Run the stages on `state` and hand out each Dashboard table, finished, as soon as its stage made it
    (then `state.tables` no longer holds it): a writer writes and drops it while later stages run, so the
    whole Dashboard is never in memory at once. Afterwards `state` holds what the replica is drawn from
    (`replica.replica_tables`). Tables come in the order they are made, then the empty ones."""
    _check_scale(state.scale)
    handed_out: set[str] = set()
    for stage in STAGES:
        stage(state)
        for table in [name for name in state.tables if name not in READ_LATER]:
            handed_out.add(table)
            yield table, finish_table(table, state.tables.pop(table))
    state.tables["wikis"] = ddl_frame(
        "dashboard",
        "wikis",
        {
            "id": np.array([w[0] for w in WIKIS]),
            "language": np.array([w[1] for w in WIKIS], dtype=object),
            "project": np.array([w[2] for w in WIKIS], dtype=object),
        },
    )
    for table, columns in ddl_columns("dashboard").items():
        if table in handed_out:
            continue
        frame = state.tables.pop(table, None)
        if frame is None:
            frame = ddl_frame("dashboard", table, {column: np.array([], dtype=object) for column in columns}, 0)
        yield table, finish_table(table, frame)


def finish_table(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Nothing is recorded on or after DATA_END (future courses' sign-ups included); only schedules (course and
    campaign start/end, a timeslice's end) may lie beyond it."""
    last = pd.Timestamp(as_seconds(DATA_END) - np.timedelta64(1, "s"))
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]) and (table, column) not in SCHEDULE_COLUMNS:
            frame[column] = frame[column].clip(upper=last)
    return frame.reset_index(drop=True)


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
