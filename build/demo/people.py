"""The demo's people: who joins which course in which role (participants, instructors, staff, visitors), their
user ids in order of first appearance, and the users table (registration dates, names, secrets)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .constants import COURSE_TYPES, DATA_END, DATA_START, USER_STEMS, WIKIPEDIA_LAUNCH
from .frames import State, as_seconds, ddl_frame
from .programs import FIRST_SPECIAL

# --------------------------------------------------------------------------------------------------- enrolments


def enrolments(state: State) -> None:
    """state.enrol: one row per (course, person, role); people are numbered students first, then instructors,
    then staff, and get their final user ids in order of first appearance."""
    rng, course = state.rng, state.course
    n = len(course)
    order = np.argsort(course["start"].to_numpy(), kind="stable")
    slot_course, student, n_students = _student_slots(rng, order, course["students"].to_numpy())
    inst_course, inst, n_instructors = _instructor_slots(rng, order)
    m, k = len(slot_course), len(inst_course)
    n_staff = max(6, round(40 * state.scale))
    base_inst, base_staff = n_students, n_students + n_instructors
    extra_course, extra_user, extra_role = _extra_roles(rng, n, n_students, base_staff, n_staff)
    # Instructors who are also students in their own course (same course, roles 0 and 1).
    both = np.flatnonzero(rng.random(k) < 0.06)
    both = np.union1d(both, np.flatnonzero(inst_course == FIRST_SPECIAL)[:1])  # one in campaign 1
    rows = pd.DataFrame(
        {
            "course": np.concatenate([slot_course, inst_course, inst_course[both], *extra_course]),
            "user": np.concatenate([student, base_inst + inst, base_inst + inst[both], *extra_user]),
            "role": np.concatenate([np.zeros(m, int), np.ones(k, int), np.zeros(len(both), int), *extra_role]),
        }
    )
    # One person in three courses of campaign 1 (a new editor there).
    trio = np.flatnonzero(course["primary"].to_numpy() == 1)[:3]
    rows = pd.concat(
        [rows, pd.DataFrame({"course": trio, "user": n_students - 1, "role": 0})], ignore_index=True
    ).drop_duplicates(["course", "user", "role"])
    state.notes["three_course_user_index"] = n_students - 1
    kind = np.concatenate([np.zeros(n_students, int), np.ones(n_instructors, int), np.full(n_staff, 2)])
    user_id = _number_users(state, rows, kind)
    state.notes["three_course_user_id"] = int(user_id[n_students - 1])


def _student_slots(rng: np.random.Generator, order: np.ndarray, students: np.ndarray):
    """Students: slots in course-start order; a slot is a new person or a returning one (a recent earlier one).
    Returns each slot's course, each slot's person, and the number of people."""
    slot_course = np.repeat(order, students[order])
    m = len(slot_course)
    is_new = rng.random(m) < 0.85
    is_new[0] = True
    new_before = np.cumsum(is_new)
    back = np.floor(rng.random(m) * np.maximum(1, 0.3 * new_before)).astype(np.int64)
    student = np.where(is_new, new_before - 1, np.maximum(new_before - 1 - back, 0))
    return slot_course, student, int(new_before[-1])


def _instructor_slots(rng: np.random.Generator, order: np.ndarray):
    """Instructors (role 1): 1-3 per course, often returning."""
    n_inst = rng.choice([1, 2, 3], len(order), p=[0.7, 0.25, 0.05])
    inst_course = np.repeat(order, n_inst[order])
    k = len(inst_course)
    inst_new = rng.random(k) < 0.55
    inst_new[0] = True
    inst_before = np.cumsum(inst_new)
    inst = np.where(inst_new, inst_before - 1, np.floor(rng.random(k) * inst_before).astype(np.int64))
    return inst_course, inst, int(inst_before[-1])


def _extra_roles(rng: np.random.Generator, n: int, n_students: int, base_staff: int, n_staff: int):
    """Volunteers and staff (roles 2, 3, 4) from a small staff pool; visitors (-1) from the students."""
    extra_course, extra_user, extra_role = [], [], []
    for role, share in ((2, 0.03), (3, 0.04), (4, 0.06), (-1, 0.02)):
        chosen = np.flatnonzero(rng.random(n) < share)
        chosen = np.union1d(chosen, [len(COURSE_TYPES) + role + 1])  # each role at least once
        pool = (base_staff, n_staff) if role > 0 else (0, n_students)
        extra_course.append(chosen)
        extra_user.append(pool[0] + rng.integers(0, pool[1], len(chosen)))
        extra_role.append(np.full(len(chosen), role))
    return extra_course, extra_user, extra_role


def _number_users(state: State, rows: pd.DataFrame, kind: np.ndarray) -> np.ndarray:
    """Final user ids follow first appearance (as the Dashboard's auto-increment would): sets state.enrol,
    user_kind and user_first_seen, and returns the user id of each person."""
    course = state.course
    starts = course["start"].to_numpy()[rows["course"].to_numpy()]
    first = pd.Series(starts).groupby(rows["user"].to_numpy()).min()
    total = len(kind)
    first_seen = np.full(total, as_seconds(DATA_START), dtype="datetime64[s]")
    first_seen[first.index.to_numpy()] = first.to_numpy().astype("datetime64[s]")
    rank = np.lexsort((np.arange(total), first_seen))
    user_id = np.empty(total, dtype=np.int64)
    user_id[rank] = np.arange(1, total + 1)
    rows["user_id"] = user_id[rows["user"].to_numpy()]
    rows["course_id"] = rows["course"] + 1
    state.enrol = rows.sort_values(["course", "role", "user_id"], kind="stable").reset_index(drop=True)
    state.user_kind = pd.Series(kind[rank], index=np.arange(1, total + 1))  # by user id
    state.user_first_seen = pd.Series(first_seen[rank], index=np.arange(1, total + 1))
    return user_id


# --------------------------------------------------------------------------------------------------- users


def users(state: State) -> None:
    rng = state.rng
    ids = state.user_kind.index.to_numpy()
    u = len(ids)
    kind = state.user_kind.to_numpy()
    registered = _registrations(state)
    state.registered = registered  # by user id - 1
    seen = state.user_first_seen.to_numpy()
    created = np.maximum(seen - rng.integers(0, 10 * 86400, u).astype("timedelta64[s]"), as_seconds(DATA_START))
    created = np.where(np.isnat(registered), created, np.maximum(created, registered + np.timedelta64(300, "s")))
    stem = np.asarray(USER_STEMS, dtype=object)[rng.integers(0, len(USER_STEMS), u)]
    usernames = np.array([f"{s} {i}" for s, i in zip(stem, ids, strict=True)], dtype=object)
    staff = kind == 2
    usernames[staff] = [f"Staff (WMF) {i}" for i in ids[staff]]
    state.usernames = usernames
    trained = (rng.random(u) < 0.6).astype(np.int8)
    state.trained = trained
    first_login = np.where(
        rng.random(u) < 0.85, created + rng.integers(60, 3600, u).astype("timedelta64[s]"), np.datetime64("NaT")
    )
    locale = np.asarray(["en", "de", "fr", "ar", "ru", "zh", "hi", "es", None], dtype=object)[rng.integers(0, 9, u)]

    def secret(name: str) -> np.ndarray:
        return np.array([f"SECRET-{name}-{i}" for i in ids], dtype=object)

    state.tables["users"] = ddl_frame(
        "dashboard",
        "users",
        {
            "id": ids,
            "username": usernames,
            "created_at": created,
            "updated_at": created + np.timedelta64(86400, "s"),
            "trained": trained,
            "global_id": ids + 40_000_000,
            "remember_created_at": np.where(rng.random(u) < 0.3, created, np.datetime64("NaT")),
            "remember_token": secret("remember_token"),
            "wiki_token": secret("wiki_token"),
            "wiki_secret": secret("wiki_secret"),
            "permissions": np.where(staff, 1, np.where(kind == 1, 2, 0)),
            "real_name": secret("real_name"),
            "email": np.array([f"SECRET-email-{i}@example.invalid" for i in ids], dtype=object),
            "onboarded": (rng.random(u) < 0.7).astype(np.int8),
            "greeted": (rng.random(u) < 0.5).astype(np.int8),
            "greeter": staff.astype(np.int8),
            "locale": locale,
            "chat_password": secret("chat_password"),
            "chat_id": np.full(u, None, dtype=object),
            "registered_at": pd.to_datetime(registered),
            "first_login": pd.to_datetime(first_login),
        },
    )


def _first_courses(state: State) -> tuple[np.ndarray, np.ndarray]:
    """Per user id - 1: the first course each person joined as a student (-1: none), and whether they are one."""
    course, enrol = state.course, state.enrol
    kind = state.user_kind.to_numpy()
    st = enrol[enrol["role"] == 0]
    c_start = course["start"].to_numpy()[st["course"].to_numpy()]
    first_idx = (
        pd.DataFrame({"user_id": st["user_id"].to_numpy(), "start": c_start, "course": st["course"].to_numpy()})
        .sort_values(["user_id", "start", "course"], kind="stable")
        .drop_duplicates("user_id")
        .set_index("user_id")["course"]
    )
    first_course = np.full(len(kind), -1)
    first_course[first_idx.index.to_numpy() - 1] = first_idx.to_numpy()
    return first_course, (first_course >= 0) & (kind == 0)


def _registrations(state: State) -> np.ndarray:
    """Wiki registration per user id - 1, relative to a student's first course (during, long before, inside a
    60-day window, exactly a day before, at the start, at the end, after, unknown); instructors and staff long
    before they first appear."""
    rng, course = state.rng, state.course
    first_course, is_student = _first_courses(state)
    u = len(first_course)
    fs = course["start"].to_numpy()[np.maximum(first_course, 0)]
    fe = course["end"].to_numpy()[np.maximum(first_course, 0)]
    length = (fe - fs).astype("timedelta64[s]").astype(np.int64)
    category = rng.choice(9, u, p=[0.46, 0.38, 0.06, 0.02, 0.01, 0.01, 0.03, 0.03, 0.0])
    during = fs + (rng.random(u) * np.minimum(length, 14 * 86400) * rng.random(u)).astype("timedelta64[s]")
    old = fs - (30 + rng.exponential(700, u)).astype(int).astype("timedelta64[D]").astype("timedelta64[s]")
    old = old - rng.integers(0, 86400, u).astype("timedelta64[s]")
    registered = np.select(
        [category == 0, category == 1, category == 2, category == 3, category == 4, category == 5, category == 6],
        [
            during,
            old,
            fs - rng.integers(86400 + 1, 59 * 86400, u).astype("timedelta64[s]"),  # inside a 60-day window
            fs - np.timedelta64(86400, "s"),  # exactly one day before the course start
            fs,  # exactly at the start
            fe,  # exactly at the end
            fe + rng.integers(86400, 60 * 86400, u).astype("timedelta64[s]"),  # after the event
        ],
        np.datetime64("NaT"),
    ).astype("datetime64[s]")
    # Instructors and staff registered long before they first appear.
    seen = state.user_first_seen.to_numpy()
    veteran = seen - (200 + rng.exponential(1500, u)).astype(int).astype("timedelta64[D]").astype("timedelta64[s]")
    registered = np.where(is_student, registered, veteran)
    # The three-course person is a new editor of campaign 1.
    trio = state.notes["three_course_user_id"] - 1
    registered[trio] = fs[trio] + np.timedelta64(1800, "s")
    return np.where(
        np.isnat(registered), registered, np.clip(registered, WIKIPEDIA_LAUNCH, as_seconds(DATA_END) - 3600)
    )
