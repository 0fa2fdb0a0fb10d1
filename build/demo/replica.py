"""The demo's wiki replica: per wiki, an actor per Dashboard user who edits there (and a few passers-by), pages,
and revisions before, during and after their courses (post-course activity follows a few profiles, so
retention windows 1..6 vary). Database names come from build.wikis.wiki_dbname."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from ..wikis import wiki_dbname
from .constants import COMMONS, DATA_END, DATA_START, WIKIDATA, WIKIPEDIA_LAUNCH, WIKIS
from .frames import State, as_seconds, ddl_frame, mw_stamps

Edits = tuple[np.ndarray, np.ndarray, np.ndarray]  # user ids, wiki ids, times (datetime64[s])


def replica_dbnames() -> list[str]:
    """The demo's replica database names (without `_p`), in WIKIS order."""
    return [wiki_dbname(language, project) for _, language, project, _ in WIKIS]


def replica(state: State) -> dict[str, dict[str, pd.DataFrame]]:
    """Per replica database name (without `_p`): its actor, page and revision frames."""
    return dict(replica_tables(state))


def replica_tables(state: State) -> Iterator[tuple[str, dict[str, pd.DataFrame]]]:
    """The replica one wiki at a time, in `replica_dbnames()` order: (dbname, its frames). Each wiki is made
    when asked for, so a writer holds one wiki's frames at a time; the random draws (and so the data) are
    the same as `replica`'s."""
    src = _edit_sources(state)
    during = _edits_during(state, src)
    actors = _actors(src)
    before = _edits_before(state.rng, actors)
    after = _edits_after(state.rng, actors)
    edits = _registered_edits(state, during, before, after)
    dbnames = replica_dbnames()
    if len(set(dbnames)) < len(dbnames):
        raise ValueError(f"two demo wikis share a replica database name: {sorted(dbnames)}")
    del src, during, before, after  # only `actors` and `edits` are needed from here on
    for dbname, wiki in zip(dbnames, WIKIS, strict=True):
        yield dbname, _wiki_tables(state, wiki[0], actors, edits)


def _edit_sources(state: State) -> pd.DataFrame:
    """(user, wiki, course window) sources: home wikis of courses where they are role 0 or 1, plus the other
    wikis they edited in timeslices; with the course's start and end and the user's registration (known)."""
    course, enrol, cuwt = state.course, state.enrol, state.cuwt
    e = enrol[enrol["role"].isin([0, 1])]
    home = pd.DataFrame(
        {
            "user_id": e["user_id"].to_numpy(),
            "wiki": course["home"].to_numpy()[e["course"].to_numpy()],
            "course": e["course"].to_numpy(),
            "role": e["role"].to_numpy(),
        }
    )
    other = cuwt.drop_duplicates(["course_id", "user_id", "wiki_id"])
    other = other[other["wiki_id"].to_numpy() != course["home"].to_numpy()[other["course_id"].to_numpy() - 1]]
    other = pd.DataFrame(
        {
            "user_id": other["user_id"].to_numpy(),
            "wiki": other["wiki_id"].to_numpy(),
            "course": other["course_id"].to_numpy() - 1,
            "role": np.zeros(len(other), int),
        }
    )
    src = pd.concat([home, other], ignore_index=True).drop_duplicates(["user_id", "wiki", "course"])
    src["start"] = course["start"].to_numpy()[src["course"].to_numpy()]
    src["end"] = course["end"].to_numpy()[src["course"].to_numpy()]
    registered = state.registered[src["user_id"].to_numpy() - 1]
    src["reg"] = np.where(np.isnat(registered), WIKIPEDIA_LAUNCH, registered)
    return src


def _edits_during(state: State, src: pd.DataFrame) -> Edits:
    """Edits during the course: more for people active in its timeslices."""
    rng, cuwt = state.rng, state.cuwt
    cutoff = as_seconds(DATA_END)
    active_pairs = cuwt[cuwt["revision_count"] > 0].drop_duplicates(["course_id", "user_id"])
    was_active = pd.MultiIndex.from_arrays([src["course"].to_numpy() + 1, src["user_id"].to_numpy()]).isin(
        pd.MultiIndex.from_arrays([active_pairs["course_id"].to_numpy(), active_pairs["user_id"].to_numpy()])
    )
    n_during = np.where(was_active, 1 + rng.poisson(1.5, len(src)), rng.poisson(0.2, len(src)))
    rep = np.repeat(np.arange(len(src)), n_during)
    lo = np.maximum(src["start"].to_numpy(), src["reg"].to_numpy())[rep]
    hi = np.minimum(src["end"].to_numpy(), cutoff - 1)[rep]
    t_during = lo + (rng.random(len(rep)) * np.maximum((hi - lo).astype(np.int64), 0)).astype("timedelta64[s]")
    keep = hi > lo
    return src["user_id"].to_numpy()[rep][keep], src["wiki"].to_numpy()[rep][keep], t_during[keep]


def _actors(src: pd.DataFrame) -> pd.DataFrame:
    """Per actor (user, wiki): the first course start, the last course end and the registration."""
    return (
        pd.DataFrame(
            {
                "user_id": src["user_id"].to_numpy(),
                "wiki": src["wiki"].to_numpy(),
                "s": src["start"].to_numpy(),
                "e": src["end"].to_numpy(),
                "r": src["reg"].to_numpy(),
            }
        )
        .groupby(["user_id", "wiki"], sort=True)
        .agg(s=("s", "min"), e=("e", "max"), r=("r", "first"))
        .reset_index()
    )


def _edits_before(rng: np.random.Generator, actors: pd.DataFrame) -> Edits:
    """Edits between registration and the first course, for people registered over a week before it."""
    a = len(actors)
    first_s, reg = (actors[c].to_numpy().astype("datetime64[s]") for c in ("s", "r"))
    old = reg < first_s - np.timedelta64(7 * 86400, "s")
    n_before = np.where(old, rng.poisson(1.5, a), 0)
    rep = np.repeat(np.arange(a), n_before)
    span = (first_s - reg)[rep].astype(np.int64)
    t_before = reg[rep] + (rng.random(len(rep)) * span).astype("timedelta64[s]")
    return actors["user_id"].to_numpy()[rep], actors["wiki"].to_numpy()[rep], t_before


def _edits_after(rng: np.random.Generator, actors: pd.DataFrame) -> Edits:
    """After: none 40%, burst in the first month 15%, sporadic for ~8 months 25%, long-term 15%, late return 5%."""
    a = len(actors)
    last_e = actors["e"].to_numpy().astype("datetime64[s]")
    profile = rng.choice(5, a, p=[0.40, 0.15, 0.25, 0.15, 0.05])
    n_after = np.select(
        [profile == 1, profile == 2, profile == 3, profile == 4],
        [rng.integers(1, 4, a), 1 + rng.poisson(4, a), 5 + rng.poisson(15, a), rng.integers(1, 3, a)],
        0,
    )
    rep = np.repeat(np.arange(a), n_after)
    p = profile[rep]
    k = len(rep)
    offset_days = np.select(
        [p == 1, p == 2, p == 3],
        [rng.random(k) * 30, 1 + rng.random(k) * 240, 1 + rng.random(k) * 540],
        200 + rng.random(k) * 300,
    )
    t_after = last_e[rep] + (offset_days * 86400).astype(np.int64).astype("timedelta64[s]")
    keep = t_after < as_seconds(DATA_END)
    return actors["user_id"].to_numpy()[rep][keep], actors["wiki"].to_numpy()[rep][keep], t_after[keep]


def _registered_edits(state: State, *parts: Edits) -> Edits:
    """All edits; nobody edits before registering (some registered after their course: their edits move)."""
    users = np.concatenate([part[0] for part in parts])
    wikis = np.concatenate([part[1] for part in parts])
    times = np.concatenate([part[2] for part in parts]).astype("datetime64[s]")
    registered_at = state.registered[users - 1]
    known = ~np.isnat(registered_at)
    times[known] = np.maximum(times[known], registered_at[known] + np.timedelta64(60, "s"))
    kept = times < as_seconds(DATA_END)
    return users[kept], wikis[kept], times[kept]


def _wiki_edits(state: State, wiki_id: int, actors: pd.DataFrame, edits: Edits):
    """One wiki's actor names and ids (Dashboard users, then passers-by who edit at random times), and its
    revisions' actors and times in time order."""
    rng = state.rng
    users, wikis, times = edits
    mine = actors[actors["wiki"] == wiki_id]
    n_people = len(mine)
    n_strangers = max(5, n_people // 30)
    names = np.concatenate(
        [state.usernames[mine["user_id"].to_numpy() - 1], [f"Passer-by {wiki_id}-{i}" for i in range(n_strangers)]]
    ).astype(object)
    actor_id = np.arange(1, len(names) + 1) + 1000
    actor_of_user = pd.Series(actor_id[:n_people], index=mine["user_id"].to_numpy())
    where = wikis == wiki_id
    rev_actor = actor_of_user.reindex(users[where]).to_numpy()
    rev_time = times[where]
    s_count = rng.integers(1, 6, n_strangers)
    s_actor = np.repeat(actor_id[n_people:], s_count)
    span = int((DATA_END - DATA_START).astype(int)) * 86400
    s_time = as_seconds(DATA_START) + rng.integers(0, span, len(s_actor)).astype("timedelta64[s]")
    rev_actor = np.concatenate([rev_actor, s_actor]).astype(np.int64)
    rev_time = np.concatenate([rev_time, s_time])
    order = np.lexsort((rev_actor, rev_time))
    return names, actor_id, rev_actor[order], rev_time[order]


def _wiki_tables(state: State, wiki_id: int, actors: pd.DataFrame, edits: Edits) -> dict[str, pd.DataFrame]:
    rng = state.rng
    names, actor_id, rev_actor, rev_time = _wiki_edits(state, wiki_id, actors, edits)
    r = len(rev_actor)
    n_pages = max(20, r // 6)
    namespace = np.select(
        [np.full(n_pages, wiki_id == COMMONS), np.full(n_pages, wiki_id == WIKIDATA)],
        [
            rng.choice([6, 0, 2, 14], n_pages, p=[0.8, 0.05, 0.1, 0.05]),
            rng.choice([0, 120, 146, 2], n_pages, p=[0.85, 0.05, 0.05, 0.05]),
        ],
        rng.choice([0, 1, 2, 3, 4, 118], n_pages, p=[0.6, 0.08, 0.15, 0.08, 0.04, 0.05]),
    )
    rev_page = rng.integers(1, n_pages + 1, r)
    rev_id = np.arange(1, r + 1) + 5_000_000
    stamp = mw_stamps(rev_time)
    actor = ddl_frame(
        "replica",
        "actor",
        {"actor_id": actor_id, "actor_user": np.arange(1, len(names) + 1) + 300_000, "actor_name": names},
    )
    page = _page_frame(rng, wiki_id, namespace, rev_page, rev_id, stamp)
    parent = pd.Series(rev_id).groupby(rev_page).shift(1).fillna(0).astype(np.int64).to_numpy()
    revision = ddl_frame(
        "replica",
        "revision",
        {
            "rev_id": rev_id,
            "rev_page": rev_page,
            "rev_comment_id": rng.integers(1, 1_000_000, r),
            "rev_actor": rev_actor,
            "rev_timestamp": stamp,
            "rev_minor_edit": (rng.random(r) < 0.1).astype(np.int8),
            "rev_deleted": (rng.random(r) < 0.005).astype(np.int8),
            "rev_len": rng.integers(100, 50_000, r),
            "rev_parent_id": parent,
            "rev_sha1": pd.Series(rng.integers(1 << 40, 1 << 62, r)).astype(str).to_numpy(dtype=object),
        },
    )
    return {"actor": actor, "page": page, "revision": revision}


def _page_frame(rng, wiki_id: int, namespace: np.ndarray, rev_page, rev_id, stamp) -> pd.DataFrame:
    """The page table: titles (Q-ids on Wikidata), the latest revision and touch time of each page."""
    n_pages = len(namespace)
    page_id = np.arange(1, n_pages + 1)
    last = pd.DataFrame({"page": rev_page, "rev": rev_id, "stamp": stamp}).groupby("page").last()
    latest = pd.Series(last["rev"]).reindex(page_id, fill_value=0).to_numpy()
    touched = last["stamp"].reindex(page_id, fill_value="20150101000000").to_numpy()
    rev_count = np.bincount(rev_page, minlength=n_pages + 1)[1:]
    titles = np.array([f"Demo_page_{i}" for i in page_id], dtype=object)
    if wiki_id == WIKIDATA:
        titles[namespace == 0] = [f"Q{i}" for i in page_id[namespace == 0]]
    return ddl_frame(
        "replica",
        "page",
        {
            "page_id": page_id,
            "page_namespace": namespace,
            "page_title": titles,
            "page_is_redirect": (rng.random(n_pages) < 0.03).astype(np.int8),
            "page_is_new": (rev_count <= 1).astype(np.int8),
            "page_random": rng.random(n_pages),
            "page_touched": touched,
            "page_links_updated": touched,
            "page_latest": latest,
            "page_len": rng.integers(100, 50_000, n_pages),
            "page_content_model": np.full(
                n_pages, "wikibase-item" if wiki_id == WIKIDATA else "wikitext", dtype=object
            ),
        },
    )
