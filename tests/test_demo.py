"""The demo database: deterministic, the real DDL column for column, and every realism trap present."""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import sqlglot
from sqlglot import exp

from build import demo
from build.wikis import wiki_dbname

ROOT = Path(__file__).resolve().parents[1]
SCALE = 0.005  # 100 courses: small enough for seconds, big enough for every trap
DATA_END = pd.Timestamp("2026-11-01")


def ddl_tables(name: str) -> dict[str, list[str]]:
    """Table → column names, read from build/demo/ddl/<name>.sql independently of build.demo."""
    tables = {}
    ddl = (ROOT / "build" / "demo" / "ddl" / f"{name}.sql").read_text(encoding="utf-8")
    for statement in sqlglot.parse(ddl, read="mysql"):
        if isinstance(statement, exp.Create) and statement.kind == "TABLE":
            tables[statement.this.this.name] = [
                c.name for c in statement.this.expressions if isinstance(c, exp.ColumnDef)
            ]
    return tables


def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


@pytest.fixture(scope="module")
def generated() -> demo.Demo:
    return demo.generate(SCALE)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    counts = demo.write_demo(
        scale=SCALE,
        dashboard_url="duckdb:///dashboard.duckdb",
        replica_url="duckdb:///replica.duckdb",
        root=folder,
        progress=False,
    )
    return folder, counts


@pytest.fixture(scope="module")
def dash(written):
    connection = duckdb.connect(str(written[0] / "dashboard.duckdb"), read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def replica(written):
    connection = duckdb.connect(str(written[0] / "replica.duckdb"), read_only=True)
    yield connection
    connection.close()


def table(generated: demo.Demo, name: str) -> pd.DataFrame:
    return generated.dashboard[name]


def students(generated: demo.Demo) -> pd.DataFrame:
    cu = table(generated, "courses_users")
    return cu[cu["role"] == 0]


# ------------------------------------------------------------------------------------------ determinism, DDL


def test_generate_is_deterministic(generated):
    again = demo.generate(SCALE)
    assert generated.dashboard.keys() == again.dashboard.keys()
    for name, frame in generated.dashboard.items():
        pd.testing.assert_frame_equal(frame, again.dashboard[name], obj=name)
    assert generated.replica.keys() == again.replica.keys()
    for dbname, tables in generated.replica.items():
        for name, frame in tables.items():
            pd.testing.assert_frame_equal(frame, again.replica[dbname][name], obj=f"{dbname}.{name}")


def test_another_seed_gives_other_data(generated):
    other = demo.generate(SCALE, seed=8)
    assert not other.dashboard["courses_users"].equals(generated.dashboard["courses_users"])


def test_two_writes_give_identical_duckdb_contents(written, tmp_path):
    folder, counts = written
    again = demo.write_demo(
        scale=SCALE,
        dashboard_url=f"duckdb:///{tmp_path}/d.duckdb",
        replica_url=f"duckdb:///{tmp_path}/r.duckdb",
        root=Path("/nonexistent"),
        progress=False,
    )
    assert again == counts
    for first, second in (("dashboard.duckdb", "d.duckdb"), ("replica.duckdb", "r.duckdb")):
        connection = duckdb.connect()
        connection.execute(f"ATTACH '{folder / first}' AS a (READ_ONLY)")
        connection.execute(f"ATTACH '{tmp_path / second}' AS b (READ_ONLY)")
        tables = connection.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_catalog = 'a' "
            "AND table_type = 'BASE TABLE' ORDER BY ALL"
        ).fetchall()
        assert tables
        for schema, name in tables:
            for left, right in (("a", "b"), ("b", "a")):
                difference = connection.execute(
                    f'SELECT count(*) FROM (SELECT * FROM {left}."{schema}"."{name}" '
                    f'EXCEPT ALL SELECT * FROM {right}."{schema}"."{name}")'
                ).fetchone()[0]
                assert difference == 0, f"{schema}.{name} differs between two writes"
        connection.close()


def test_every_dashboard_table_has_the_ddl_columns_in_order(dash):
    for name, columns in ddl_tables("dashboard").items():
        found = [
            row[0]
            for row in dash.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ? "
                "ORDER BY ordinal_position",
                [name],
            ).fetchall()
        ]
        assert found == columns, name


def test_every_replica_schema_has_the_ddl_columns_and_the_view(replica, generated):
    expected = ddl_tables("replica")
    schemas = {row[0] for row in replica.execute("SELECT schema_name FROM information_schema.schemata").fetchall()}
    for dbname in generated.replica:
        assert f"{dbname}_p" in schemas
        for name, columns in expected.items():
            found = [
                row[0]
                for row in replica.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
                    "ORDER BY ordinal_position",
                    [f"{dbname}_p", name],
                ).fetchall()
            ]
            assert found == columns, f"{dbname}_p.{name}"


def test_revision_userindex_works_qualified_and_with_the_schema_set(replica, generated):
    for dbname, tables in generated.replica.items():
        count = replica.execute(f"SELECT count(*) FROM {dbname}_p.revision_userindex").fetchone()[0]
        assert count == len(tables["revision"]) > 0
    replica.execute('SET schema = "dewiki_p"')
    name = generated.replica["dewiki"]["actor"]["actor_name"].iloc[0]
    edits = replica.execute(
        "SELECT count(*) FROM revision_userindex JOIN actor ON rev_actor = actor_id WHERE actor_name = ?", [name]
    ).fetchone()[0]
    replica.execute('SET schema = "main"')
    assert edits >= 0


def test_write_demo_returns_row_counts_equal_to_the_database(written, dash, replica):
    _, counts = written
    for name in ddl_tables("dashboard"):
        assert dash.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] == counts[name], name
    assert replica.execute("SELECT count(*) FROM enwiki_p.revision").fetchone()[0] == counts["enwiki_p.revision"]
    assert counts["courses"] >= 60 and counts["course_user_wiki_timeslices"] > 1000


def test_the_dashboard_file_is_replaced_whole(written, tmp_path):
    target = tmp_path / "demo" / "dashboard.duckdb"  # the project's own demo file (tests/test_demo_targets.py)
    target.parent.mkdir()
    target.write_bytes(b"not a database")
    demo.write_demo(scale=0.001, root=tmp_path, progress=False)
    with duckdb.connect(str(target), read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM courses").fetchone()[0] >= 60
    assert not list(target.parent.glob("*.tmp*"))


def test_private_markers_are_in_the_database(generated, dash):
    markers = demo.private_markers(generated)
    assert markers and all("PRIVATE-" in m or "private-" in m for m in markers)
    texts = {row[0] for row in dash.execute("SELECT title FROM courses UNION ALL SELECT slug FROM courses").fetchall()}
    texts |= {
        row[0] for row in dash.execute("SELECT title FROM campaigns UNION ALL SELECT slug FROM campaigns").fetchall()
    }
    assert set(markers) <= texts


# ------------------------------------------------------------------------------------------ realism traps


def test_sizes_are_skewed_and_every_course_type_appears(generated):
    courses = table(generated, "courses")
    days = (courses["end"].dt.normalize() - courses["start"].dt.normalize()).dt.days + 1
    small = (courses["type"] == "Editathon") & days.between(1, 3) & courses["user_count"].between(3, 20)
    assert small.mean() > 0.3
    huge = (courses["type"] == "ClassroomProgramCourse") & (days >= 60) & (courses["user_count"] >= 200)
    assert huge.any()
    assert set(courses["type"]) == {
        "ArticleScopedProgram",
        "BasicCourse",
        "ClassroomProgramCourse",
        "Editathon",
        "FellowsCohort",
        "LegacyCourse",
        "SingleUser",
        "VisitingScholarship",
    }


def test_courses_in_several_campaigns(generated):
    links = table(generated, "campaigns_courses")
    assert links.groupby("course_id").size().max() >= 2
    assert not links.duplicated(["course_id", "campaign_id"]).any()


def test_campaigns_with_and_without_dates(generated):
    campaigns = table(generated, "campaigns")
    undated = campaigns["start"].isna() & campaigns["end"].isna()
    assert undated.any() and (~undated).any()
    dated = campaigns[~undated]
    assert (dated["start"] == dated["start"].dt.normalize()).all()
    assert (dated["end"].dt.strftime("%H:%M:%S") == "23:59:59").all()
    links = table(generated, "campaigns_courses")
    assert links["campaign_id"].isin(campaigns.loc[undated, "id"]).any()


def test_a_campaign_whose_courses_are_all_private(generated):
    courses = table(generated, "courses").set_index("id")
    links = table(generated, "campaigns_courses")
    links = links.assign(private=courses.loc[links["course_id"], "private"].to_numpy())
    all_private = links.groupby("campaign_id")["private"].min() == 1
    assert all_private.any()


def test_one_person_in_three_courses_of_one_campaign(generated):
    links = table(generated, "campaigns_courses")
    merged = students(generated).merge(links, on="course_id")
    assert merged.groupby(["campaign_id", "user_id"])["course_id"].nunique().max() >= 3


def test_one_person_with_two_roles_in_one_course(generated):
    cu = table(generated, "courses_users")
    roles = cu.groupby(["course_id", "user_id"])["role"].agg(set)
    assert roles.map(lambda r: {0, 1} <= r).any()
    assert not cu.duplicated(["course_id", "user_id", "role"]).any()


def test_every_role_appears_and_courses_have_instructors(generated):
    cu = table(generated, "courses_users")
    assert set(cu["role"]) == {-1, 0, 1, 2, 3, 4}
    assert cu.loc[cu["role"] == 1, "course_id"].nunique() == len(table(generated, "courses"))


def test_private_and_withdrawn_courses(generated):
    courses = table(generated, "courses")
    private = courses["private"] == 1
    assert 0.03 <= private.mean() <= 0.15
    assert (courses["withdrawn"] == 1).any()
    assert courses.loc[private, "title"].str.contains(r"PRIVATE-\d{6}").all()
    assert courses.loc[private, "slug"].str.contains(r"PRIVATE-\d{6}").all()
    assert not courses.loc[~private, "title"].str.contains("PRIVATE", case=False).any()
    assert not courses.loc[~private, "slug"].str.contains("PRIVATE", case=False).any()


def test_registration_before_during_after_and_one_day_before_start(generated):
    users = table(generated, "users").set_index("id")
    courses = table(generated, "courses").set_index("id")
    st = students(generated)
    registered = users.loc[st["user_id"], "registered_at"].to_numpy()
    start = courses.loc[st["course_id"], "start"].to_numpy()
    end = courses.loc[st["course_id"], "end"].to_numpy()
    assert (registered < start).any()
    assert ((registered >= start) & (registered <= end)).any()
    assert (registered > end).any()
    assert (registered == start - np.timedelta64(1, "D")).any()
    assert users["registered_at"].isna().any()


def test_usernames_unique_even_ignoring_case_and_accents_and_some_not_ascii(generated):
    names = table(generated, "users")["username"]
    assert names.is_unique
    assert names.map(fold).is_unique  # MariaDB's utf8mb4_unicode_ci unique index would refuse otherwise
    assert (~names.map(str.isascii)).sum() > 10


def test_secret_columns_are_recognisable_fake_secrets(generated):
    users = table(generated, "users")
    for column in ("email", "real_name", "wiki_token", "wiki_secret", "remember_token", "chat_password"):
        assert users[column].notna().all() and users[column].str.startswith("SECRET-").all(), column
    assert users["email"].str.endswith("@example.invalid").all()
    assert table(generated, "courses")["passcode"].str.startswith("SECRET-").all()
    assert table(generated, "campaigns")["default_passcode"].str.startswith("SECRET-").all()
    real_names = table(generated, "courses_users")["real_name"].dropna()
    assert len(real_names) and real_names.str.startswith("SECRET-").all()


@pytest.mark.parametrize(
    "script, pattern",
    [
        ("Latin with accents", r"[À-ÿ]"),
        ("Cyrillic", r"[\u0400-\u04FF]"),
        ("Arabic", r"[\u0600-\u06FF]"),
        ("CJK", r"[\u4E00-\u9FFF]"),
        ("Devanagari", r"[\u0900-\u097F]"),
    ],
)
def test_titles_in_several_scripts(generated, script, pattern):
    titles = pd.concat([table(generated, "courses")["title"], table(generated, "campaigns")["title"]])
    assert titles.str.contains(pattern).any(), script


def test_two_campaigns_differ_only_by_case_or_accents(generated):
    campaigns = table(generated, "campaigns")
    for column in ("title", "slug"):
        folded = campaigns[column].map(fold)
        clashes = campaigns[folded.duplicated(keep=False)].groupby(folded)[column].nunique()
        assert (clashes >= 2).any(), column


def test_hostile_titles_and_slugs(generated):
    courses = table(generated, "courses")
    campaigns = table(generated, "campaigns")
    public = courses[courses["private"] == 0]
    script = '<script>alert("x")</script>'
    assert (public["title"] == script).any() and (campaigns["title"] == script).any()
    assert public["title"].str.startswith("=HYPERLINK(").any()
    for first in "+-@":
        assert public["title"].str.startswith(first).any(), first
    assert public["slug"].str.contains("../", regex=False).any()
    assert campaigns["slug"].str.contains("../", regex=False).any()
    # The hostile campaigns have public courses, so they reach the published pages.
    links = table(generated, "campaigns_courses")
    for column, value in (("title", script), ("slug", "../../etc/passwd")):
        campaign_id = campaigns.loc[campaigns[column] == value, "id"].iloc[0]
        assert links.loc[links["campaign_id"] == campaign_id, "course_id"].isin(public["id"]).any()


def test_dates_are_fixed_from_2015_to_october_2026(generated):
    courses = table(generated, "courses")
    assert courses["start"].min() >= pd.Timestamp("2015-01-01")
    cuwt = table(generated, "course_user_wiki_timeslices")
    assert cuwt["start"].min() >= pd.Timestamp("2015-01-01")
    assert pd.Timestamp("2026-10-01") <= cuwt["start"].max() < DATA_END
    assert table(generated, "users")["registered_at"].max() < DATA_END
    assert table(generated, "commons_uploads")["uploaded_at"].max() < DATA_END
    assert (courses["end"] >= DATA_END).any()  # ongoing courses


def test_nothing_is_recorded_after_the_data_end_but_schedules(generated):
    schedules = {"start", "end", "timeline_start", "timeline_end"}
    for name, frame in generated.dashboard.items():
        for column in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[column]) and column not in schedules:
                assert not (frame[column] >= DATA_END).any(), f"{name}.{column}"
    assert (table(generated, "courses")["start"] >= DATA_END).any()  # a future course, signed up in advance
    future = table(generated, "courses").query("start >= @DATA_END")["id"]
    assert students(generated)["course_id"].isin(future).any()


def test_course_wiki_timeslices_are_daily_and_cover_each_course(generated):
    cwt = table(generated, "course_wiki_timeslices")
    assert (cwt["start"] == cwt["start"].dt.normalize()).all()
    assert (cwt["end"] - cwt["start"] == pd.Timedelta(days=1)).all()
    courses = table(generated, "courses").set_index("id")
    start = courses.loc[cwt["course_id"], "start"].dt.normalize().to_numpy()
    end = courses.loc[cwt["course_id"], "end"].to_numpy()
    assert ((cwt["start"].to_numpy() >= start) & (cwt["start"].to_numpy() <= end)).all()
    wikis = table(generated, "courses_wikis").groupby("course_id").size()
    last = np.minimum(courses["end"].dt.normalize(), DATA_END - pd.Timedelta(days=1))
    days = ((last - courses["start"].dt.normalize()).dt.days + 1).clip(lower=0)
    expected = (days * wikis.reindex(courses.index, fill_value=0)).sum()
    assert len(cwt) == expected
    assert (cwt["revision_count"] == 0).any() and (cwt["revision_count"] > 0).any()


def test_activity_rows_with_zero_revisions_and_for_a_role_1_only_user(generated):
    cuwt = table(generated, "course_user_wiki_timeslices")
    assert (cuwt["revision_count"] == 0).any()
    per_person = cuwt.groupby(["course_id", "user_id"])["revision_count"].max()
    assert (per_person == 0).any()  # someone whose only rows have revision_count = 0
    cu = table(generated, "courses_users")
    roles = cu.groupby(["course_id", "user_id"])["role"].agg(set)
    instructors_only = roles[roles.map(lambda r: r == {1})].index
    pairs = pd.MultiIndex.from_frame(cuwt[["course_id", "user_id"]])
    assert pairs.isin(instructors_only).any()
    assert pairs.isin(roles.index).all()  # every row belongs to an enrolment


def test_course_caches_match_timeslices_and_articles(generated):
    courses = table(generated, "courses").set_index("id")
    cwt = table(generated, "course_wiki_timeslices").groupby("course_id")
    for column in ("character_sum", "revision_count", "references_count"):
        expected = cwt[column].sum().reindex(courses.index, fill_value=0)
        assert (courses[column] == expected).all(), column
    # course_wiki_timeslices sum the students' rows only (role 0), never an instructor-only person's.
    cuwt = table(generated, "course_user_wiki_timeslices")
    st = students(generated)[["course_id", "user_id"]].drop_duplicates()
    student_rows = cuwt.merge(st, on=["course_id", "user_id"])
    assert student_rows["revision_count"].sum() == courses["revision_count"].sum() < cuwt["revision_count"].sum()
    assert (courses["user_count"] == st.groupby("course_id").size().reindex(courses.index, fill_value=0)).all()
    ac = table(generated, "articles_courses").merge(
        table(generated, "articles")[["id", "deleted"]], left_on="article_id", right_on="id"
    )
    live = ac[(ac["tracked"] == 1) & (ac["deleted"] == 0)]
    assert (courses["article_count"] == live.groupby("course_id").size().reindex(courses.index, fill_value=0)).all()
    new = live[live["new_article"] == 1].groupby("course_id").size().reindex(courses.index, fill_value=0)
    assert (courses["new_article_count"] == new).all()
    views = np.floor((DATA_END.normalize() - live["first_revision"].dt.normalize()).dt.days * live["average_views"])
    views = views.fillna(0).groupby(live["course_id"]).sum().reindex(courses.index, fill_value=0)
    assert (courses["view_sum"] == views).all()
    assert (ac["tracked"] == 0).any() and (ac["deleted"] == 1).any()
    assert courses["upload_count"].sum() > 0 and (courses["uploads_in_use_count"] <= courses["upload_count"]).all()


def test_upload_caches_count_students_uploads_inside_the_course(generated):
    courses = table(generated, "courses").set_index("id")
    uploads = table(generated, "commons_uploads")
    joined = students(generated)[["course_id", "user_id"]].merge(uploads, on="user_id")
    inside = joined[
        (joined["uploaded_at"] >= courses.loc[joined["course_id"], "start"].to_numpy())
        & (joined["uploaded_at"] <= courses.loc[joined["course_id"], "end"].to_numpy())
    ]
    count = inside.groupby("course_id").size().reindex(courses.index, fill_value=0)
    assert (courses["upload_count"] == count).all()
    in_use = inside[inside["usage_count"] > 0]
    assert (
        courses["uploads_in_use_count"] == in_use.groupby("course_id").size().reindex(courses.index, fill_value=0)
    ).all()
    usages = in_use.groupby("course_id")["usage_count"].sum().reindex(courses.index, fill_value=0)
    assert (courses["upload_usages_count"] == usages).all()
    assert len(inside) < len(joined)  # some uploads fall outside their course


def test_instructor_tags(generated):
    tags = table(generated, "tags")
    assert set(tags["tag"]) == {"first_time_instructor", "returning_instructor"}
    assert not tags.duplicated(["course_id", "key"]).any()


def test_wikis_and_replica_databases(generated):
    wikis = table(generated, "wikis")
    pairs = set(zip(wikis["language"].fillna("NULL"), wikis["project"], strict=True))
    for language in ("en", "de", "fr", "ar", "ru", "zh", "hi"):
        assert (language, "wikipedia") in pairs
    assert ("commons", "wikimedia") in pairs and ("NULL", "wikidata") in pairs
    assert any(project == "wiktionary" for _, project in pairs)
    homes = table(generated, "courses")["home_wiki_id"].unique()
    by_id = wikis.set_index("id")
    for home in homes:
        language = by_id.loc[home, "language"]
        dbname = wiki_dbname(None if pd.isna(language) else language, by_id.loc[home, "project"])
        assert dbname in generated.replica, dbname


def test_wikis_with_irregular_language_codes_have_public_programs_and_replicas(generated):
    """nb (nowiki), be-tarask (be_x_oldwiki) and the redirect dk (dawiki): named by build.wikis.wiki_dbname."""
    wikis = table(generated, "wikis").set_index("id")
    irregular = wikis[wikis["language"].isin(["nb", "be-tarask", "dk", "zh-min-nan"])]
    assert sorted(irregular["language"]) == ["be-tarask", "dk", "nb", "zh-min-nan"]
    courses = table(generated, "courses")
    links = table(generated, "campaigns_courses")
    for wiki_id, wiki in irregular.iterrows():
        public = courses[(courses["home_wiki_id"] == wiki_id) & (courses["private"] == 0)]
        assert links["course_id"].isin(public["id"]).any(), wiki["language"]
        tables = generated.replica[wiki_dbname(wiki["language"], wiki["project"])]
        assert len(tables["revision"]) > 0 and tables["actor"]["actor_name"].str.startswith("Passer-by").any()
    assert len(set(generated.replica)) == len(wikis)  # one replica database per wiki, none shared


def test_actors_are_dashboard_usernames_and_timestamps_are_mediawiki_strings(generated):
    usernames = set(table(generated, "users")["username"])
    namespaces = set()
    for tables in generated.replica.values():
        names = tables["actor"]["actor_name"]
        assert names.is_unique and names.isin(usernames).any()
        stamps = tables["revision"]["rev_timestamp"]
        assert stamps.str.fullmatch(r"\d{14}").all()
        assert stamps.max() < "20261101000000"
        assert tables["revision"]["rev_actor"].isin(tables["actor"]["actor_id"]).all()
        assert tables["revision"]["rev_page"].isin(tables["page"]["page_id"]).all()
        namespaces |= set(tables["page"]["page_namespace"])
    assert {0, 1, 2, 3, 4, 118} <= namespaces


def new_editor_windows(generated: demo.Demo) -> pd.DataFrame:
    """Campaign x new editor (P = 0) x window number (0 = no edit in windows 1..6), from the demo frames."""
    courses = table(generated, "courses")
    courses = courses[courses["private"] == 0].set_index("id")
    campaigns = table(generated, "campaigns").set_index("id")
    links = table(generated, "campaigns_courses")
    links = links[links["course_id"].isin(courses.index)]
    end = campaigns["end"].fillna(courses.loc[links["course_id"], "end"].groupby(links["campaign_id"].to_numpy()).max())
    users = table(generated, "users").set_index("id")
    st = students(generated).merge(links[["campaign_id", "course_id"]], on="course_id")
    st = st[st["course_id"].isin(courses.index)]
    registered = users.loc[st["user_id"], "registered_at"].to_numpy()
    new = st[
        (registered >= courses.loc[st["course_id"], "start"].dt.normalize().to_numpy())
        & (registered <= courses.loc[st["course_id"], "end"].to_numpy())
    ]
    new = new.assign(
        username=users.loc[new["user_id"], "username"].to_numpy(),
        home=courses.loc[new["course_id"], "home_wiki_id"].to_numpy(),
        end=end.loc[new["campaign_id"]].dt.normalize().to_numpy(),
    )
    wikis = table(generated, "wikis").set_index("id")
    edits = []
    for home, group in new.groupby("home"):
        language = wikis.loc[home, "language"]
        tables = generated.replica[wiki_dbname(None if pd.isna(language) else language, wikis.loc[home, "project"])]
        revisions = tables["revision"].merge(tables["actor"], left_on="rev_actor", right_on="actor_id")
        revisions = revisions.assign(day=pd.to_datetime(revisions["rev_timestamp"].str[:8]))
        edits.append(group.merge(revisions[["actor_name", "day"]], left_on="username", right_on="actor_name"))
    edits = pd.concat(edits)
    offset = (edits["day"] - edits["end"]).dt.days
    edits = edits.assign(window=np.where((offset >= 1) & (offset <= 180), (offset + 29) // 30, 0))
    return new, edits


def test_new_editors_retained_in_every_window_and_some_in_none(generated):
    new, edits = new_editor_windows(generated)
    assert len(new) > 20
    assert set(edits["window"]) >= {1, 2, 3, 4, 5, 6}
    retained = edits[edits["window"] > 0][["campaign_id", "user_id"]].drop_duplicates()
    people = new[["campaign_id", "user_id"]].drop_duplicates()
    assert 0 < len(retained) < len(people)


def test_campaign_ends_give_complete_and_censored_retention(generated):
    new, _ = new_editor_windows(generated)
    ends = new.groupby("campaign_id")["end"].first()
    assert (ends + pd.Timedelta(days=180) < DATA_END).any()  # every window closed on 2026-11-01
    assert ((ends + pd.Timedelta(days=30) >= DATA_END - pd.Timedelta(days=120)) & (ends < DATA_END)).any()


def test_edits_before_during_and_after_courses(generated):
    """A new editor's edits: none before registration; some people edit before their course too."""
    users = table(generated, "users").set_index("username")
    tables = generated.replica["enwiki"]
    revisions = tables["revision"].merge(tables["actor"], left_on="rev_actor", right_on="actor_id")
    revisions = revisions[revisions["actor_name"].isin(users.index)]
    when = pd.to_datetime(revisions["rev_timestamp"], format="%Y%m%d%H%M%S")
    registered = users.loc[revisions["actor_name"], "registered_at"].to_numpy()
    known = ~pd.isna(registered)
    assert (when.to_numpy()[known] >= registered[known]).all()
    assert re.fullmatch(r"\d{14}", revisions["rev_timestamp"].iloc[0])


# ------------------------------------------------------------------------------------------ as-of test dates

AS_OF_TEST_DATES = [pd.Timestamp("2025-07-15"), pd.Timestamp("2026-03-01")]
DATED_COLUMNS = [
    ("courses", "created_at"),
    ("courses_users", "created_at"),
    ("campaigns_courses", "created_at"),
    ("campaigns", "created_at"),
    ("users", "created_at"),
    ("users", "registered_at"),
    ("articles", "created_at"),
    ("articles_courses", "first_revision"),
    ("commons_uploads", "uploaded_at"),
    ("course_user_wiki_timeslices", "start"),
    ("course_wiki_timeslices", "start"),
]


@pytest.mark.parametrize("date", AS_OF_TEST_DATES, ids=str)
def test_every_dated_table_has_rows_before_and_on_or_after_each_test_date(generated, date):
    for name, column in DATED_COLUMNS:
        values = table(generated, name)[column].dropna()
        assert (values < date).any() and (values >= date).any(), f"{name}.{column} around {date:%Y-%m-%d}"
    stamps = pd.concat([tables["revision"]["rev_timestamp"] for tables in generated.replica.values()])
    assert (stamps < f"{date:%Y%m%d%H%M%S}").any() and (stamps >= f"{date:%Y%m%d%H%M%S}").any()


@pytest.mark.parametrize("date", AS_OF_TEST_DATES, ids=str)
def test_a_cut_at_each_test_date_removes_rows_of_things_that_existed_before(generated, date):
    """An enrolment in an older program, a link between an older program and an older campaign, a campaign
    with public programs: each created on or after the date, so a build as of it must not see them."""
    courses = table(generated, "courses").set_index("id")
    campaigns = table(generated, "campaigns").set_index("id")
    enrolments = table(generated, "courses_users")
    older_course = courses.loc[enrolments["course_id"], "created_at"].to_numpy() < date
    assert ((enrolments["created_at"] >= date).to_numpy() & older_course).any()
    links = table(generated, "campaigns_courses")
    link_course = courses.loc[links["course_id"], "created_at"].to_numpy() < date
    link_campaign = campaigns.loc[links["campaign_id"], "created_at"].to_numpy() < date
    assert ((links["created_at"] >= date).to_numpy() & link_course & link_campaign).any()
    new_campaigns = campaigns.index[campaigns["created_at"] >= date]
    public = courses.index[courses["private"] == 0]
    assert (links["campaign_id"].isin(new_campaigns) & links["course_id"].isin(public)).any()


def test_dated_rows_come_in_a_realistic_order(generated):
    courses = table(generated, "courses").set_index("id")
    campaigns = table(generated, "campaigns").set_index("id")
    enrolments = table(generated, "courses_users")
    assert (enrolments["created_at"].to_numpy() >= courses.loc[enrolments["course_id"], "created_at"].to_numpy()).all()
    links = table(generated, "campaigns_courses")
    assert (links["created_at"].to_numpy() > courses.loc[links["course_id"], "created_at"].to_numpy()).all()
    assert (links["created_at"].to_numpy() > campaigns.loc[links["campaign_id"], "created_at"].to_numpy()).all()
    users = table(generated, "users")
    known = users["registered_at"].notna()
    assert (users.loc[known, "created_at"] > users.loc[known, "registered_at"]).all()
    articles = table(generated, "articles").set_index("id")
    edited = table(generated, "articles_courses")
    assert (edited["first_revision"].to_numpy() >= articles.loc[edited["article_id"], "created_at"].to_numpy()).all()
    uploads = table(generated, "commons_uploads")
    assert (uploads["created_at"] > uploads["uploaded_at"]).all()


def test_scale_sets_the_sizes():
    small = demo.generate(0.001).row_counts()
    bigger = demo.generate(0.02).row_counts()
    assert small["courses"] == 60 and bigger["courses"] == 400
    assert bigger["course_user_wiki_timeslices"] > 4 * small["course_user_wiki_timeslices"]


# ------------------------------------------------------------------------------------------ MariaDB


@pytest.mark.mariadb
def test_loading_into_mariadb_gives_the_duckdb_row_counts(mariadb_server, tmp_path):
    import pymysql

    base = f"mysql://{mariadb_server['user']}@{mariadb_server['host']}:{mariadb_server['port']}"
    scale = 0.001
    expected = demo.write_demo(
        scale=scale,
        dashboard_url="duckdb:///d.duckdb",
        replica_url="duckdb:///r.duckdb",
        root=tmp_path,
        progress=False,
    )
    tiny = demo.generate(scale)
    prefix = f"almanac_t_{os.getpid()}"  # concurrent test runs must not share databases
    databases = [f"{prefix}_dashboard"] + [f"{prefix}_{dbname}_p" for dbname in tiny.replica]
    connection = pymysql.connect(**mariadb_server, charset="utf8mb4", autocommit=True)
    try:
        counts = demo.write_demo(
            scale=scale,
            dashboard_url=f"{base}/{prefix}_dashboard",
            replica_url=f"{base}/{prefix}_{{dbname}}_p",
            root=tmp_path,
            progress=False,
        )
        assert counts == expected
        cursor = connection.cursor()
        for name in ddl_tables("dashboard"):
            cursor.execute(f"SELECT count(*) FROM {prefix}_dashboard.`{name}`")
            assert cursor.fetchone()[0] == expected[name], name
        for dbname in tiny.replica:
            for name in ("actor", "page", "revision"):
                cursor.execute(f"SELECT count(*) FROM {prefix}_{dbname}_p.`{name}`")
                assert cursor.fetchone()[0] == expected[f"{dbname}_p.{name}"], f"{dbname}.{name}"
            cursor.execute(f"SELECT count(*) FROM {prefix}_{dbname}_p.revision_userindex")
            assert cursor.fetchone()[0] == expected[f"{dbname}_p.revision"]
        # On MariaDB the replica's binary columns stay binary: the driver returns bytes.
        cursor.execute(
            f"SELECT actor_name, rev_timestamp FROM {prefix}_enwiki_p.revision_userindex "
            f"JOIN {prefix}_enwiki_p.actor ON rev_actor = actor_id LIMIT 1"
        )
        name, stamp = cursor.fetchone()
        assert isinstance(name, bytes) and re.fullmatch(rb"\d{14}", stamp)
        # Values arrive intact: hostile and non-Latin text, newlines, NULLs, datetimes.
        for name, columns in (
            ("courses", ["title", "slug", "description", "start", "end", "private"]),
            ("campaigns", ["title", "slug", "description", "start", "end"]),
            ("users", ["username", "registered_at", "email"]),
            ("articles_courses", ["user_ids", "first_revision", "course_id"]),
        ):
            cursor.execute(f"SELECT {', '.join(f'`{c}`' for c in columns)} FROM {prefix}_dashboard.{name} ORDER BY id")
            loaded = pd.DataFrame(list(cursor.fetchall()), columns=columns)
            frame = tiny.dashboard[name][columns].reset_index(drop=True)
            for column in columns:
                left = loaded[column].astype(object).where(loaded[column].notna(), None).tolist()
                right = frame[column].astype(object).where(frame[column].notna(), None).tolist()
                assert left == right, f"{name}.{column}"
        # Re-running is clean (tables dropped and recreated).
        again = demo.write_demo(
            scale=scale,
            dashboard_url=f"{base}/{prefix}_dashboard",
            replica_url=f"{base}/{prefix}_{{dbname}}_p",
            root=tmp_path,
            progress=False,
        )
        assert again == expected
        cursor.execute(f"SELECT count(*) FROM {prefix}_dashboard.courses")
        assert cursor.fetchone()[0] == expected["courses"]
    finally:
        cursor = connection.cursor()
        for database in databases:
            cursor.execute(f"DROP DATABASE IF EXISTS `{database}`")
        connection.close()
