"""The replica cache (build/dashboard/replica_cache.py, with replica_entries.py and lookup_plan.py) never
changes a number: over a run of as-of dates, and after the replica gains an edit inside the lag margin, each
lookup through the cache gives exactly the edit days a lookup without the cache gives, while asking the
replica only for the days after what it keeps."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import pickle
import re
import shutil
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from build import config, extract, queries
from build import stamps as source_stamps
from build.cache import Cache, frame_digest
from build.dashboard import cohorts, replica_cache, replica_entries, replicas
from build.derivations import Stage

AS_OFS = ["2026-03-01", "2026-07-15", "2026-10-31", "2026-11-01"]


@pytest.fixture
def replica(tmp_path, demo_sources) -> Path:
    """A private copy of the demo replica (the test adds an edit to it)."""
    source = Path(demo_sources[1].removeprefix("duckdb:///"))
    return Path(shutil.copy(source, tmp_path / "replica.duckdb"))


def looked_up(as_of: str, dashboard: str, replica: Path, cache: Cache, tmp_path: Path, more: str = "") -> Stage:
    """A stage after the extraction and the replica lookups at `as_of` (`more`: settings added to site.toml)."""
    (tmp_path / "site.toml").write_text(
        f'[build]\nqueries = "{ROOT / "queries"}"\nstate_dir = "{tmp_path / "state"}"\n' + more
    )
    sources = {"dashboard": dashboard, "replica": f"duckdb:///{replica}"}
    settings = config.load_settings(tmp_path / "site.toml", as_of=dt.date.fromisoformat(as_of), sources=sources)
    site_queries = queries.discover(settings.queries_dir)
    extraction = extract.run([q for q in site_queries if not q.per_wiki], settings)
    stage = Stage(dict(extraction.datasets), {}, {}, settings, tmp_path / "staging", site_queries, cache)
    replicas.look_up_edits(stage)
    return stage


def edit_days(stage: Stage):
    return stage.datasets["edit_days"].frame


def retention(stage: Stage):
    """campaign_retention from the stage's edit days: what the lookups are for."""
    settings, frames = stage.settings, {name: dataset.frame for name, dataset in stage.datasets.items()}
    return cohorts.campaign_retention(
        frames["campaigns"],
        frames["campaign_new_editors"],
        frames["campaign_wikis"],
        frames["edit_days"],
        as_of=settings.as_of,
        windows=settings.get("retention", "retention_windows"),
        k_min=settings.k_min,
        retention_wikis=settings.get("retention", "retention_wikis"),
    ).frame


def same_lookups(through_cache: Stage, without: Stage) -> None:
    """The cache's rows are true rows (it leaves out only days after a person's last window), and they
    give the same retention to the last digit."""
    cached, plain = edit_days(through_cache), edit_days(without)
    assert len(plain) > 0
    rows = plain.merge(cached, how="right", indicator=True)
    assert (rows["_merge"] == "both").all()
    assert frame_digest(retention(through_cache)) == frame_digest(retention(without))


def test_lookups_through_the_cache_equal_lookups_without_it(demo_sources, replica, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="almanac")
    cache = Cache(tmp_path / "cache")
    for as_of in AS_OFS:
        caplog.clear()
        through_cache = looked_up(as_of, demo_sources[0], replica, cache, tmp_path)
        if as_of == AS_OFS[0]:  # the first lookup through the cache: everyone it asks is asked from the start
            first_log, first_stage = caplog.text, through_cache
        same_lookups(through_cache, looked_up(as_of, demo_sources[0], replica, Cache.off(), tmp_path))
    assert "where the cache ends" in caplog.text  # the last lookups asked only for the days after the cache
    assert len(list((tmp_path / "cache" / "lookup-plan").rglob("*.pickle"))) == 1  # one plan kept, the last

    # Someone whose campaigns all end after the as-of date has no window day yet: not asked (still the same
    # retention, above). The demo has such campaigns at the first as-of date.
    asked = int(re.search(r"edit_days: (\d+) people asked", first_log).group(1))
    frames = {name: first_stage.datasets[name].frame for name in ("campaign_new_editors", "campaign_wikis")}
    wikis = first_stage.settings.get("retention", "retention_wikis")
    targets = cohorts.edit_targets(frames["campaign_new_editors"], frames["campaign_wikis"], wikis)
    campaigns = first_stage.datasets["campaigns"].frame
    assert (campaigns["end_date"] >= AS_OFS[0]).any()
    assert 0 < asked < sum(len(names) for names in targets.values())
    assert cache.hits.get("replica")

    # An edit on a day inside the replica-lag margin (not final yet): the next lookup through the cache sees it.
    late = (dt.date.fromisoformat(AS_OFS[-1]) - dt.timedelta(days=1)).strftime("%Y%m%d")
    known = edit_days(looked_up(AS_OFS[-1], demo_sources[0], replica, cache, tmp_path))
    last_days = known.groupby(["wiki", "username"])["edit_day"].max()
    wiki, username = last_days[last_days < late].sort_values().index[-1]  # recent: a window still open
    with duckdb.connect(str(replica)) as connection:
        table = f"{wiki}_p.revision"
        offset = connection.execute(f"SELECT max(rev_id) FROM {table}").fetchone()[0]
        connection.execute(
            f"INSERT INTO {table} SELECT * REPLACE (rev_id + {offset} AS rev_id, '{late}120000' AS rev_timestamp) "
            f"FROM {table} WHERE rev_actor = (SELECT actor_id FROM {wiki}_p.actor WHERE actor_name = ?) LIMIT 1",
            [username],
        )
    time.sleep(source_stamps.SETTLED_SECONDS + 0.1)  # settled: the replica's stamp is a new one, not none
    plans, entries_read = (
        cache.hits.get("lookup-plan", 0),
        cache.hits.get("replica", 0) + cache.misses.get("replica", 0),
    )
    through_cache = looked_up(AS_OFS[-1], demo_sources[0], replica, cache, tmp_path)
    # The same new editors, period and entries as the lookup before: its plan is followed, no entry is read.
    assert cache.hits.get("lookup-plan", 0) == plans + 1
    assert cache.hits.get("replica", 0) + cache.misses.get("replica", 0) == entries_read
    same_lookups(through_cache, looked_up(AS_OFS[-1], demo_sources[0], replica, Cache.off(), tmp_path))
    days = edit_days(through_cache)
    mine = days[(days["wiki"] == wiki) & (days["username"] == username)]
    assert late in set(mine["edit_day"])

    # The replica unchanged since (the same stamp): the same lookup is that build's result, asking nothing.
    reused = cache.hits.get("lookup", 0)
    again = looked_up(AS_OFS[-1], demo_sources[0], replica, cache, tmp_path)
    assert cache.hits.get("lookup", 0) == reused + 1
    assert frame_digest(edit_days(again)) == frame_digest(days)


@pytest.mark.parametrize("setting", ["retention_windows = [1, 3, 6, 9]", "retention_wikis = EVERY_WIKI"])
def test_a_retention_setting_changed_the_same_day_is_not_answered_by_the_kept_plan(
    demo_sources, replica, tmp_path, setting
):
    """The kept plan says whom to ask where and where each person's days stop counting: the retention wikis and
    windows decide both, so a rebuild at the same as-of date after either changed makes a new plan."""
    cache, as_of = Cache(tmp_path / "cache"), AS_OFS[-1]
    first = looked_up(as_of, demo_sources[0], replica, cache, tmp_path)
    wikis = sorted(set(edit_days(first)["wiki"].astype(str)))
    more = "[retention]\n" + setting.replace("EVERY_WIKI", "[" + ", ".join(f'"{w}"' for w in wikis) + "]") + "\n"
    looked_up(as_of, demo_sources[0], replica, cache, tmp_path)  # the plan the first build left is followed
    plans = cache.hits.get("lookup-plan", 0)
    assert plans >= 1
    changed = looked_up(as_of, demo_sources[0], replica, cache, tmp_path, more)
    assert cache.hits.get("lookup-plan", 0) == plans  # not the plan of the old settings
    same_lookups(changed, looked_up(as_of, demo_sources[0], replica, Cache.off(), tmp_path, more))


def test_what_the_cache_keeps_per_wiki():
    """A person asked anew is known from the first window's start; one asked later keeps the days known
    before and gains the ones found; the others are left as they were; days stay sorted by person."""
    before = replica_entries.Known(
        names=np.array(["Ann", "Bo", "Cy"], dtype=object),
        first=np.array(["20260101000000"] * 3, dtype=object),
        until=np.array(["20260301000000"] * 3, dtype=object),
        who=np.array([0, 1, 1, 2]),
        days=np.array(["20260105", "20260102", "20260110", "20260220"], dtype=object),
    )
    anew, later = np.array(["Bo", "Dee"], dtype=object), np.array(["Cy"], dtype=object)
    names = np.array(["Bo", "Cy", "Cy", "Dee"], dtype=object)
    days = np.array(["20251220", "20260220", "20260305", "20260110"], dtype=object)
    after = replica_entries.updated(before, anew, later, names, days, "20251201000000", "20260401000000")
    assert after.names.tolist() == ["Ann", "Bo", "Cy", "Dee"]
    assert after.first.tolist() == ["20260101000000", "20251201000000", "20260101000000", "20251201000000"]
    assert after.until.tolist() == ["20260301000000", "20260401000000", "20260401000000", "20260401000000"]
    rows = list(zip(after.names[after.who].tolist(), after.days.tolist(), strict=True))
    assert rows == [
        ("Ann", "20260105"),
        ("Bo", "20251220"),
        ("Cy", "20260220"),
        ("Cy", "20260305"),
        ("Dee", "20260110"),
    ]
    positions = after.positions(np.array(["Cy", "Eve"], dtype=object))
    assert positions.tolist() == [2, -1]
    assert [a.tolist() for a in after.periods(positions)] == [["20260101000000", ""], ["20260401000000", ""]]
    begins = np.array(["20260301000000", "20251201000000"], dtype=object)
    found = after.days_before(positions, begins, "20260101000000")
    assert [a.tolist() for a in found] == [["Cy"], ["20260220"]]
    stored = pickle.loads(pickle.dumps(after))  # as the cache keeps it: the fields, not the lookup index
    assert "_index" in after.__dict__ and "_index" not in stored.__dict__
    assert stored.positions(np.array(["Cy", "Eve"], dtype=object)).tolist() == [2, -1]


def test_earlier_is_the_comparison_of_the_day_at_midnight_with_the_stamp():
    days = np.array(["20260101", "20260102", "20260102", "20251231", "20260103"], dtype=object)
    stamps = np.array(["20260102000000", "20260102000000", "20260102000001", "", "20260102235959"], dtype=object)
    naive = [day + "000000" < stamp for day, stamp in zip(days, stamps, strict=True)]
    assert replica_entries.earlier(days, stamps).tolist() == naive == [True, False, True, False, False]
    for stamp in ("20260102000000", "20260102120000", "", "20251231000000"):
        assert replica_entries.earlier(days, stamp).tolist() == [day + "000000" < stamp for day in days]
    assert replica_entries.earlier(days[:0], stamps[:0]).tolist() == []


@pytest.mark.parametrize("seed", range(3))
def test_answers_placed_among_the_cached_days_are_the_rows_sorted(seed):
    """_merge places each asked row among the cached ones (both sorted) instead of sorting them all again: the
    same rows, in the order a sort gives, for people with cached days, people without, several wikis and
    runs, and a wiki that failed (its rows left out)."""
    (query,) = [q for q in queries.discover(ROOT / "queries") if q.per_wiki]
    generator = np.random.default_rng(seed)
    people = np.array(sorted({f"User {generator.integers(0, 400)}" for _ in range(300)}), dtype=object)
    day_pool = np.array([f"202603{day:02d}" for day in range(1, 29)], dtype=object)
    rows = {
        (wiki, name, day)
        for wiki in ("dewiki", "enwiki", "frwiki")
        for name in generator.choice(people, 150, replace=False)
        for day in generator.choice(day_pool, generator.integers(1, 6), replace=False)
    }
    rows = sorted(rows)
    asked_rows = {row for row in rows if generator.random() < 0.1}  # some a person's later days, some all
    cached_rows = [row for row in rows if row not in asked_rows]
    cached = []
    for wiki in ("dewiki", "enwiki", "frwiki"):
        mine = [row for row in cached_rows if row[0] == wiki]
        cached.append(
            (wiki, np.array([r[1] for r in mine], dtype=object), np.array([r[2] for r in mine], dtype=object))
        )
    asked = sorted(asked_rows)
    runs = [asked[::2], asked[1::2]]  # two runs (two `edits_from`), each sorted, interleaving
    answers = [
        dataclasses.replace(
            query.empty_dataset(), frame=pd.DataFrame(run, columns=["wiki", "username", "edit_day"]).astype("string")
        )
        for run in runs
    ]
    wikis = {"dewiki": {"status": "ok"}, "enwiki": {"status": "ok"}, "frwiki": {"status": "failed"}}
    merged = replica_cache._merge(query, answers, cached, wikis).frame
    expected = [row for row in rows if row[0] != "frwiki"]
    assert list(merged.itertuples(index=False, name=None)) == expected
    assert [str(t) for t in merged.dtypes] == ["string"] * 3
