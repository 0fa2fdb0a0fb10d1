"""The demo's articles and uploads: articles edited by a course's active participants (articles,
articles_courses, with the per-course article and view caches they feed) and Commons uploads."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .constants import COMMONS, DATA_END, DATA_START, END_DAY, WIKIDATA, WIKIS
from .frames import State, as_seconds, day_seconds, ddl_frame, segment_pick

# A title word per home wiki id ("Page" for the others).
ARTICLE_WORDS = {1: "Article", 2: "Artikel", 3: "Article_é", 4: "مقالة", 5: "Статья", 6: "条目", 7: "लेख"}


def articles(state: State) -> None:
    ac = _article_course_rows(state)
    deleted, average_views = _articles_table(state, ac)
    _articles_courses_table(state, ac, deleted, average_views)


def _article_course_rows(state: State) -> pd.DataFrame:
    """Articles edited per course, about 1.2 per active student, each by a random active student of the course
    (on the wiki of their timeslice); some articles are edited by two courses. Columns course_id, article_id,
    author, wiki, first (the first revision's time)."""
    rng, course, cuwt = state.rng, state.course, state.cuwt
    st = cuwt[cuwt["student"] & (cuwt["revision_count"] > 0)]
    active = st.drop_duplicates(["course_id", "user_id"])
    per_course = active.groupby("course_id").size()
    n_art = rng.poisson(per_course.to_numpy() * 1.2) + 1
    ac_course = np.repeat(per_course.index.to_numpy(), n_art)  # course ids
    m = len(ac_course)
    starts = np.concatenate([[0], np.cumsum(per_course.to_numpy())[:-1]])
    which = np.repeat(np.arange(len(per_course)), n_art)
    pick = segment_pick(rng, starts, per_course.to_numpy(), which)
    author = active["user_id"].to_numpy()[pick]
    wiki = active["wiki_id"].to_numpy()[pick]
    c = ac_course - 1
    first_day = course["start_day"].to_numpy()[c]
    last_day = np.minimum(course["end_day"].to_numpy()[c], END_DAY - 1)
    span = np.maximum(last_day - first_day + 1, 1)
    first_revision = day_seconds(first_day + np.floor(rng.random(m) * span).astype(int)) + rng.integers(
        0, 86400, m
    ).astype("timedelta64[s]")
    article_id = np.arange(1, m + 1)
    # Some articles are edited by two courses (same wiki): reuse an earlier article id.
    shared = np.flatnonzero(rng.random(m) < 0.04)
    other = rng.integers(0, m, len(shared))
    ok = (wiki[other] == wiki[shared]) & (ac_course[other] != ac_course[shared])
    article_id[shared[ok]] = article_id[other[ok]]
    return pd.DataFrame(
        {"course_id": ac_course, "article_id": article_id, "author": author, "wiki": wiki, "first": first_revision}
    ).drop_duplicates(["course_id", "article_id"])


def _articles_table(state: State, ac: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The articles table; returns each article's deleted flag and average views (by article id - 1)."""
    rng = state.rng
    used = np.unique(ac["article_id"].to_numpy())
    n_articles = int(used.max()) if len(used) else 0
    a_wiki = np.zeros(n_articles + 1, dtype=np.int64)
    a_wiki[ac["article_id"].to_numpy()[::-1]] = ac["wiki"].to_numpy()[::-1]
    a_wiki = a_wiki[1:]
    a_ids = np.arange(1, n_articles + 1)
    namespace = np.select(
        [a_wiki == COMMONS, a_wiki == WIKIDATA],
        [np.full(n_articles, 6), rng.choice([0, 120, 146], n_articles, p=[0.9, 0.05, 0.05])],
        rng.choice([0, 2, 118, 1, 4], n_articles, p=[0.85, 0.08, 0.04, 0.02, 0.01]),
    )
    deleted = rng.random(n_articles) < 0.03
    mw_page_id = a_ids + 100_000
    language = np.asarray([w[1] for w in WIKIS], dtype=object)[a_wiki - 1]
    base = np.asarray([ARTICLE_WORDS.get(w, "Page") for w in range(1, len(WIKIS) + 1)], dtype=object)[a_wiki - 1]
    a_title = np.array([f"{b}_{i}" for b, i in zip(base, a_ids, strict=True)], dtype=object)
    wikidata_items = a_wiki == WIKIDATA
    a_title[wikidata_items] = [f"Q{i}" for i in mw_page_id[wikidata_items]]
    average_views = np.where(rng.random(n_articles) < 0.9, rng.lognormal(1.0, 1.5, n_articles), np.nan)
    index_hash = np.array([f"{p}-{w}" for p, w in zip(mw_page_id, a_wiki, strict=True)], dtype=object)
    index_hash[deleted] = None
    first_by_article = ac.groupby("article_id")["first"].min()
    a_created = np.full(n_articles, as_seconds(DATA_START), dtype="datetime64[s]")
    a_created[first_by_article.index.to_numpy() - 1] = first_by_article.to_numpy().astype("datetime64[s]")
    state.tables["articles"] = ddl_frame(
        "dashboard",
        "articles",
        {
            "id": a_ids,
            "title": a_title,
            "created_at": a_created,
            "updated_at": a_created + np.timedelta64(86400, "s"),
            "namespace": namespace,
            "rating": np.where(
                a_wiki == 1,
                np.asarray(["stub", "start", "c", "b", "ga", None], dtype=object)[rng.integers(0, 6, n_articles)],
                None,
            ),
            "deleted": deleted.astype(np.int8),
            "language": language,
            "average_views": average_views,
            "wiki_id": a_wiki,
            "mw_page_id": mw_page_id,
            "index_hash": index_hash,
        },
    )
    return deleted, average_views


def _articles_courses_table(state: State, ac: pd.DataFrame, deleted: np.ndarray, average_views: np.ndarray) -> None:
    """articles_courses, and the per-course caches it feeds (state.ac_stats): live articles, new ones, views."""
    rng = state.rng
    m = len(ac)
    ac_article = ac["article_id"].to_numpy()
    new_article = rng.random(m) < 0.25
    tracked = rng.random(m) >= 0.05
    ac_views = average_views[ac_article - 1]
    first = ac["first"].to_numpy().astype("datetime64[s]")
    state.tables["articles_courses"] = ddl_frame(
        "dashboard",
        "articles_courses",
        {
            "id": np.arange(1, m + 1),
            "created_at": first + np.timedelta64(86400, "s"),
            "updated_at": first + np.timedelta64(2 * 86400, "s"),
            "article_id": ac_article,
            "course_id": ac["course_id"].to_numpy(),
            "view_count": np.zeros(m, np.int64),
            "character_sum": rng.lognormal(6.0, 1.3, m).astype(np.int64),
            "new_article": new_article.astype(np.int8),
            "references_count": rng.poisson(2.0, m),
            "tracked": tracked.astype(np.int8),
            "user_ids": np.array([f"---\n- {a}\n" for a in ac["author"].to_numpy()], dtype=object),
            "first_revision": first,
            "average_views": ac_views,
        },
    )
    live = tracked & ~deleted[ac_article - 1]
    days = (DATA_END - first.astype("datetime64[D]")).astype(int)  # MySQL DATEDIFF counts dates
    views = np.floor(days * ac_views)
    state.ac_stats = (
        pd.DataFrame(
            {
                "course_id": ac["course_id"].to_numpy(),
                "article_count": live.astype(int),
                "new_article_count": (live & new_article).astype(int),
                "view_sum": np.where(live & ~np.isnan(views), views, 0).astype(np.int64),
            }
        )
        .groupby("course_id")
        .sum()
    )


def uploads(state: State) -> None:
    rng, course, cuwt = state.rng, state.course, state.cuwt
    active = cuwt[cuwt["student"] & (cuwt["revision_count"] > 0)].drop_duplicates(["course_id", "user_id"])
    c = active["course_id"].to_numpy() - 1
    share = np.where(course["home"].to_numpy()[c] == COMMONS, 0.4, 0.1)
    count = np.where(rng.random(len(c)) < share, rng.geometric(0.45, len(c)), 0)
    rep = np.repeat(np.arange(len(c)), count)
    n = len(rep)
    s = course["start"].to_numpy()[c[rep]]
    e = np.minimum(course["end"].to_numpy()[c[rep]], as_seconds(DATA_END) - 1)
    at = s + (rng.random(n) * (e - s).astype(np.int64)).astype("timedelta64[s]")
    before = rng.random(n) < 0.1  # some uploads predate the course: they do not count for it
    at[before] = s[before] - rng.integers(86400, 30 * 86400, before.sum()).astype("timedelta64[s]")
    usage = np.where(rng.random(n) < 0.4, rng.integers(1, 20, n), 0)
    ids = np.arange(1, n + 1)
    names = np.asarray(["Demo upload", "Fotografía", "Фото", "写真", "صورة"], dtype=object)[rng.integers(0, 5, n)]
    file_name = np.array([f"{b} {i}.jpg" for b, i in zip(names, ids, strict=True)], dtype=object)
    state.tables["commons_uploads"] = ddl_frame(
        "dashboard",
        "commons_uploads",
        {
            "id": ids,
            "user_id": active["user_id"].to_numpy()[rep],
            "file_name": file_name,
            "uploaded_at": at,
            "usage_count": usage,
            "created_at": at + np.timedelta64(3600, "s"),
            "updated_at": at + np.timedelta64(7200, "s"),
            "thumburl": np.array([f"https://upload.wikimedia.org/demo/thumb/{i}.jpg" for i in ids], dtype=object),
            "thumbwidth": np.full(n, "640", dtype=object),
            "thumbheight": np.full(n, "480", dtype=object),
            "deleted": (rng.random(n) < 0.03).astype(np.int8),
        },
    )
