"""Apache Spark: the Spark source, its dialect fixes, parity with DuckDB, and all-wiki retention from the history.

One Spark session (local[2], UI off, few shuffle partitions) serves the whole module; builds run in this
process so they share it. Without Java or pyspark the Spark tests skip with the reason, except under CI=true,
where they fail (tests/conftest.py `require`). The demo is the session's small one (conftest `demo_sources`),
exported to Parquet by build/demo_parquet.py.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import sqlglot

from build import config, demo, pipeline, queries, spark
from build.config import SourceSettings
from build.dashboard import history_edits
from build.datasets import Column, Dataset
from build.sources import SourceError, open_source
from build.wikis import wiki_dbname
from tests.conftest import AS_OF, ROOT, require

DEMO_WIKIS = sorted(wiki_dbname(language, project) for _, language, project, _ in demo.WIKIS)


@pytest.fixture(scope="module")
def spark_session():
    """The module's one Spark session."""
    if shutil.which("java") is None:
        require("no Java: Spark needs Debian's openjdk-17-jre-headless")
    try:
        import pyspark  # noqa: F401
    except ImportError:
        require("pyspark is not installed (pip install -r requirements-dev.txt)")
    spark.configure({"spark.sql.shuffle.partitions": 2, "spark.default.parallelism": 2})
    session = spark.session("local[2]")
    yield session
    spark.stop()


@pytest.fixture(scope="module")
def parquet_demo(demo_sources, tmp_path_factory) -> Path:
    """The session's demo written as Parquet: dashboard/, replica/<dbname>/, history/mediawiki_history/."""
    dashboard, replica, _ = demo_sources
    out = tmp_path_factory.mktemp("parquet")
    demo_parquet_export(Path(dashboard.removeprefix("duckdb:///")), Path(replica.removeprefix("duckdb:///")), out)
    return out


def demo_parquet_export(dashboard: Path, replica: Path, out: Path) -> dict[str, int]:
    from build import demo_parquet

    return demo_parquet.export(dashboard, replica, out)


def build(tmp: Path, sources: dict[str, str], retention: dict[str, str] | None = None) -> Path:
    """Build the site in this process (sharing the Spark session) with the repository's site.toml, its
    [retention] keys set to the TOML values in `retention`; return the site folder."""
    tmp.mkdir(parents=True, exist_ok=True)
    text = (ROOT / "site.toml").read_text(encoding="utf-8")
    text = text.replace('queries = "queries"', f'queries = "{ROOT / "queries"}"')
    text = text.replace('state_dir = ".almanac"', f'state_dir = "{tmp / "state"}"')
    for key, value in (retention or {}).items():
        text, found = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", text)
        assert found == 1, f"site.toml has no line {key} = …"
    (tmp / "site.toml").write_text(text, encoding="utf-8")
    settings = config.load_settings(
        tmp / "site.toml", as_of=dt.date.fromisoformat(AS_OF), out=str(tmp / "site"), sources=sources
    )
    assert pipeline.build_site(settings) == 0
    return tmp / "site"


def data_files(site: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted((site / "data").rglob("*")) if p.is_file()}


# --- URLs (no session needed) ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, master, parquet, database",
    [
        ("spark+local://2", "local[2]", None, None),
        ("spark+local://*?parquet=demo/parquet/dashboard", "local[*]", "demo/parquet/dashboard", None),
        ("spark://head.example:7077", "spark://head.example:7077", None, None),
        ("spark+yarn://?database=wmf", "yarn", None, "wmf"),
        ("spark+yarn://?parquet=/srv/p&database=wmf", "yarn", "/srv/p", "wmf"),
    ],
)
def test_spark_urls(url, master, parquet, database, tmp_path):
    parsed = spark.parse_spark_url(url, tmp_path)
    assert spark.is_spark_url(url)
    assert parsed.master == master
    assert parsed.parquet == (None if parquet is None else tmp_path / parquet)
    assert parsed.database == database


@pytest.mark.parametrize(
    "url, message",
    [
        ("spark+local://0", "spark+local://N"),
        ("spark+local://two", "spark+local://N"),
        ("spark://", "spark://host:7077"),
        ("spark+local://2?table=x", "unknown URL parameter(s) table"),
    ],
)
def test_bad_spark_urls_are_explained(url, message, tmp_path):
    with pytest.raises(SourceError, match=message.replace("+", r"\+").replace("(", r"\(").replace(")", r"\)")):
        spark.parse_spark_url(url, tmp_path)


def test_duckdb_and_mysql_urls_are_not_spark():
    assert not spark.is_spark_url("duckdb:///demo/dashboard.duckdb")
    assert not spark.is_spark_url("mysql://u@h:3306/db")


def test_a_build_without_spark_sources_never_imports_pyspark(tmp_path):
    code = (
        "import sys; from build import pipeline, sources; from build.dashboard import history_edits; "
        "from build.config import SourceSettings; from pathlib import Path; "
        f"source = SourceSettings('d', 'duckdb:///{tmp_path}/x.duckdb'); "
        "sources.open_source(source, Path('.'), read_only=False).close(); "
        "print('pyspark' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "False", result.stderr


def test_edits_source_and_snapshot_settings_are_checked(tmp_path):
    path = tmp_path / "site.toml"
    path.write_text('[retention]\nedits_source = "lake"\nhistory_snapshot = "2026-13"\n[spark]\nconf = 3\n')
    with pytest.raises(config.SettingsError) as raised:
        config.load_settings(path)
    problems = "\n".join(raised.value.problems)
    assert "site.toml:2: [retention] edits_source: expected replica or history, got 'lake'" in problems
    assert "site.toml:3: [retention] history_snapshot: expected a snapshot month YYYY-MM" in problems
    assert "[spark] conf: expected a table of Spark settings" in problems


# --- the dialect fixes -----------------------------------------------------------------------------

# (MySQL expression, the value MySQL gives, the fix it needs or None when sqlglot is right by itself)
DIALECT_CASES = [
    ("TIMESTAMPDIFF(MONTH, '2024-01-31', '2024-02-29')", 0, None),  # whole months, not boundaries
    ("TIMESTAMPDIFF(MONTH, '2024-01-31', '2024-03-31')", 2, None),
    ("TIMESTAMPDIFF(DAY, '2024-01-01 23:00:00', '2024-01-02 01:00:00')", 0, None),
    ("DATEDIFF('2024-03-01', '2024-02-28 23:59:59')", 2, None),
    ("DATE_FORMAT('2024-03-05 07:08:09', '%Y-%m')", "2024-03", None),
    ("DATE_FORMAT('2024-03-05 07:08:09', '%Y-%m-%d %H:%i:%s')", "2024-03-05 07:08:09", None),
    ("DATE('2024-03-05 07:08:09')", dt.date(2024, 3, 5), None),
    ("YEAR('2024-03-05')", 2024, None),
    ("-7 DIV 2", -3, None),  # toward zero
    ("LEFT('20240102030405', 8)", "20240102", None),
    ("IFNULL(NULL, 3)", 3, None),
    ("CONCAT('a', NULL)", None, None),
    ("1 / 0", None, sqlglot.exp.Div),  # MySQL: NULL; Spark's ANSI mode: an error
    ("CAST('42' AS UNSIGNED)", 42, sqlglot.exp.DataType),  # Spark has no UNSIGNED
    ("CAST(200 AS UNSIGNED) * 100000000000", 20000000000000, sqlglot.exp.DataType),
    ("TRUNCATE(-1.2389, 2)", -1.23, sqlglot.exp.Trunc),  # toward zero; Spark has no TRUNCATE(x, d)
    ("TRUNCATE(1.2389, 2)", 1.23, sqlglot.exp.Trunc),
]


def spark_value(session, sql: str):
    return session.sql(sql).collect()[0][0]


@pytest.mark.parametrize("expression, expected, fix", DIALECT_CASES, ids=[case[0] for case in DIALECT_CASES])
def test_mysql_expressions_give_mysql_answers_on_spark(spark_session, expression, expected, fix):
    tree = sqlglot.parse_one(f"SELECT {expression} AS v", read="mysql")
    value = spark_value(spark_session, spark.transpile(tree))
    if isinstance(expected, float):
        assert float(value) == pytest.approx(expected)
    else:
        assert value == expected


@pytest.mark.parametrize(
    "expression, expected, fix", [case for case in DIALECT_CASES if case[2]], ids=lambda value: str(value)[:40]
)
def test_each_fix_is_needed(spark_session, expression, expected, fix):
    """Without our fix, sqlglot's own Spark SQL fails on Spark or gives another answer than MySQL."""
    tree = sqlglot.parse_one(f"SELECT {expression} AS v", read="mysql")
    try:
        plain = spark_value(spark_session, tree.sql(dialect="spark"))
    except Exception:  # Spark refuses it: the fix is needed
        return
    assert plain != expected and str(plain) != str(expected)


def test_every_fix_is_tested():
    assert set(spark.SPARK_FIXES) == {fix for _, _, fix in DIALECT_CASES if fix}


def test_every_query_transpiles_to_the_spark_dialect():
    for query in queries.discover(ROOT / "queries"):
        assert query.tree.sql(dialect=spark.DIALECT) == spark.transpile(query.tree)
        assert "UBIGINT" not in spark.transpile(query.tree)


# --- the Spark source ------------------------------------------------------------------------------


def test_spark_source_reads_parquet_tables_and_refuses_writes(spark_session, parquet_demo):
    source = SourceSettings("dashboard", f"spark+local://2?parquet={parquet_demo / 'dashboard'}")
    with open_source(source, ROOT) as connection:
        assert connection.dialect == spark.DIALECT
        columns, rows = connection.execute("SELECT COUNT(*) AS n FROM courses WHERE private = 0")
        assert columns == ["n"] and rows[0][0] > 0
        with pytest.raises(spark.SparkQueryError, match="only SELECT"):
            list(connection.stream("DROP TABLE courses"))
        with pytest.raises(spark.SparkQueryError, match="TABLE_OR_VIEW_NOT_FOUND"):
            connection.execute("SELECT * FROM no_such_table")


def test_missing_parquet_folder_and_other_master_are_errors(spark_session, tmp_path):
    with pytest.raises(SourceError, match="no folder"):
        open_source(SourceSettings("dashboard", f"spark+local://2?parquet={tmp_path / 'absent'}"), ROOT)
    with pytest.raises(SourceError, match="one session per process"):
        open_source(SourceSettings("dashboard", "spark+local://1"), ROOT)


def test_spark_build_publishes_the_same_data_files_as_duckdb(spark_session, parquet_demo, demo_site, tmp_path):
    """Every query in queries/ on Spark SQL (the replica's per wiki), against the session's DuckDB build."""
    sources = {
        "dashboard": f"spark+local://2?parquet={parquet_demo / 'dashboard'}",
        "replica": f"spark+local://2?parquet={parquet_demo / 'replica'}/{{dbname}}",
    }
    site = build(tmp_path, sources)
    duckdb_files, spark_files = data_files(demo_site), data_files(site)
    assert sorted(spark_files) == sorted(duckdb_files)
    assert len([name for name in spark_files if name.endswith(".csv")]) >= 10
    differing = [name for name in duckdb_files if duckdb_files[name] != spark_files[name]]
    assert not differing, f"files differ between DuckDB and Spark: {differing}"


# --- all-wiki retention from the history -------------------------------------------------------------


def test_history_path_publishes_the_replica_paths_campaign_retention(
    spark_session, parquet_demo, demo_sources, tmp_path
):
    """With retention_wikis = every demo wiki, one Spark query on mediawiki_history (which also holds
    page-deleted, user-hidden and IP edits and an older snapshot) equals the per-wiki replica lookups."""
    dashboard, replica, _ = demo_sources
    every_wiki = {"retention_wikis": "[" + ", ".join(f'"{w}"' for w in DEMO_WIKIS) + "]"}
    replica_site = build(tmp_path / "replica", {"dashboard": dashboard, "replica": replica}, every_wiki)
    history_site = build(
        tmp_path / "history",
        {"dashboard": dashboard, "replica": replica, "history": f"spark+local://2?parquet={parquet_demo / 'history'}"},
        {**every_wiki, "edits_source": '"history"'},
    )
    for name in ("campaign_retention.csv", "campaign_retention.json"):
        expected = (replica_site / "data" / "v1" / name).read_bytes()
        assert (history_site / "data" / "v1" / name).read_bytes() == expected
    frame = pd.read_csv(history_site / "data" / "v1" / "campaign_retention.csv")
    assert frame["retained"].fillna(0).sum() > 100  # something was counted, not only zeros
    assert frame["retained"].isna().any()  # and censored or suppressed cells stay empty
    methodology = (history_site / "methodology" / "index.html").read_text(encoding="utf-8")
    assert "mediawiki_history" in methodology and "global account id" in methodology


def write_history(folder: Path, rows: list[tuple]) -> None:
    """A small mediawiki_history table: rows (snapshot, wiki_db, entity, type, timestamp, central id, name,
    deleted parts, page deleted)."""
    frame = pd.DataFrame(
        rows,
        columns=[
            "snapshot",
            "wiki_db",
            "event_entity",
            "event_type",
            "event_timestamp",
            "event_user_central_id",
            "event_user_text",
            "revision_deleted_parts",
            "revision_is_deleted_by_page_deletion",
        ],
    )
    table = folder / "mediawiki_history"
    for snapshot, part in frame.groupby("snapshot"):
        (table / f"snapshot={snapshot}").mkdir(parents=True)
        connection = duckdb.connect()
        connection.register("part", part.drop(columns="snapshot"))
        target = table / f"snapshot={snapshot}" / "part-0.parquet"
        connection.execute(
            "COPY (SELECT * REPLACE (CAST(event_timestamp AS TIMESTAMP) AS event_timestamp, "
            "CAST(event_user_central_id AS BIGINT) AS event_user_central_id, "
            "CAST(revision_deleted_parts AS VARCHAR[]) AS revision_deleted_parts) FROM part) "
            f"TO '{target}' (FORMAT parquet)"
        )
        connection.close()


TRAPS = [  # campaign 1 ends 2025-01-31: window 1 is 2025-02-01 … 2025-03-02, window 2 2025-03-03 … 2025-04-01
    ("2025-04", "enwiki", "revision", "create", "2025-02-10 10:00:00", 101, "Ann", [], False),  # counted
    ("2025-04", "enwiki", "revision", "create", "2025-02-10 10:00:00", 102, "Bo", [], True),  # page deleted
    ("2025-04", "enwiki", "revision", "create", "2025-02-10 10:00:00", 103, "Cy", ["user"], False),  # user hidden
    ("2025-04", "dewiki", "revision", "create", "2025-03-02 23:59:59", 104, "Di", ["text"], False),  # text hidden
    ("2025-04", "frwiki", "revision", "create", "2025-03-20 00:00:00", 105, "Eve (renamed)", [], False),
    ("2025-04", "enwiki", "page", "move", "2025-02-11 00:00:00", 107, "Gus", [], False),  # not an edit
    ("2025-04", "enwiki", "revision", "create", "2025-02-12 00:00:00", None, "192.0.2.1", [], False),  # an IP
    ("2025-04", "enwiki", "revision", "create", "2025-01-31 23:59:59", 107, "Gus", [], False),  # before window 1
    ("2025-03", "enwiki", "revision", "create", "2025-02-10 10:00:00", 101, "Ann", [], False),
    ("2025-03", "enwiki", "revision", "create", "2025-02-15 00:00:00", 106, "Fay", [], False),  # gone by 2025-04
]


def history_retention(tmp_path: Path, rows, retention: str) -> dict[int, object]:
    """campaign_retention's `retained` per window for one campaign of 7 new editors (global ids 101 … 107)."""
    write_history(tmp_path / "lake", rows)
    (tmp_path / "site.toml").write_text(
        f'[build]\nqueries = "{ROOT / "queries"}"\n[privacy]\nk_min = 1\n'
        f'[retention]\nretention_windows = [1, 2]\nedits_source = "history"\n{retention}\n'
    )
    settings = config.load_settings(
        tmp_path / "site.toml",
        as_of=dt.date(2025, 6, 1),
        sources={"history": f"spark+local://2?parquet={tmp_path / 'lake'}"},
    )
    campaigns = pd.DataFrame({"campaign": ["c1"], "campaign_id": [1], "end_date": ["2025-01-31"]})
    editors = pd.DataFrame(
        {
            "campaign_id": [1] * 7,
            "user_id": range(1, 8),
            "username": ["Ann", "Bo", "Cy", "Di", "Eve", "Fay", "Gus"],
            "global_id": range(101, 108),
        }
    )
    datasets = {"campaigns": frame_dataset("campaigns", campaigns), "campaign_new_editors": frame_dataset("n", editors)}
    edits = history_edits.extract_history_edits(datasets, settings)
    assert not edits.extraction.failures, edits.extraction.failures
    counts = edits.extraction.datasets["campaign_edit_windows"]
    retention = history_edits.campaign_retention(campaigns, editors, counts.frame, windows=[1, 2], k_min=1)
    assert list(retention.frame["new_editors"]) == [7, 7]
    retained = zip(retention.frame["months_after"], retention.frame["retained"], strict=True)
    return {"snapshot": edits.snapshot, **dict(retained)}


def frame_dataset(name: str, frame: pd.DataFrame) -> Dataset:
    columns = tuple(
        Column(c, "integer" if pd.api.types.is_integer_dtype(frame[c]) else "string", c) for c in frame.columns
    )
    return Dataset(name, name, name, columns, (frame.columns[0],), "tests").with_frame(frame)


def test_history_drops_what_the_replicas_hide_and_matches_accounts_by_global_id(spark_session, tmp_path):
    # Window 1: Ann, and Di (a text-hidden edit still counts). Window 2: Eve, found by her global id although
    # the history knows her by another name. Not Bo (page deleted), Cy (user hidden), Gus (a page move; an edit
    # before the window), the IP, nor Fay (only in the older snapshot). The latest snapshot before June is read.
    assert history_retention(tmp_path, TRAPS, "") == {"snapshot": "2025-04", 1: 2, 2: 1}


def test_history_reads_one_snapshot_and_censors_windows_past_it(spark_session, tmp_path):
    # Snapshot 2025-03 ends 2025-03-31: window 2 (to 2025-04-01) is not over in it, so it is empty, not 0.
    result = history_retention(tmp_path, TRAPS, 'history_snapshot = "2025-03"')
    assert result["snapshot"] == "2025-03" and result[1] == 2 and pd.isna(result[2])


def test_history_counts_only_the_retention_wikis_when_named(spark_session, tmp_path):
    assert history_retention(tmp_path, TRAPS, 'retention_wikis = ["dewiki", "frwiki"]') == {
        "snapshot": "2025-04",
        1: 1,
        2: 1,
    }


def test_history_without_a_history_source_fails_only_campaign_retention(tmp_path):
    settings = config.load_settings(None, as_of=dt.date(2025, 6, 1))
    campaigns = pd.DataFrame({"campaign": ["c1"], "campaign_id": [1], "end_date": ["2025-01-31"]})
    editors = pd.DataFrame({"campaign_id": [1], "user_id": [1], "username": ["Ann"], "global_id": [101]})
    datasets = {"campaigns": frame_dataset("campaigns", campaigns), "campaign_new_editors": frame_dataset("n", editors)}
    result = history_edits.extract_history_edits(datasets, settings)
    assert "no source named 'history'" in result.extraction.failures["campaign_edit_windows"].detail
    assert not result.extraction.datasets


def test_history_without_global_ids_says_which_query_to_fix(spark_session, tmp_path):
    write_history(tmp_path / "lake", TRAPS)
    settings = config.load_settings(
        None, as_of=dt.date(2025, 6, 1), sources={"history": f"spark+local://2?parquet={tmp_path / 'lake'}"}
    )
    campaigns = pd.DataFrame({"campaign": ["c1"], "campaign_id": [1], "end_date": ["2025-01-31"]})
    editors = pd.DataFrame({"campaign_id": [1], "user_id": [1], "username": ["Ann"]})
    datasets = {"campaigns": frame_dataset("campaigns", campaigns), "campaign_new_editors": frame_dataset("n", editors)}
    result = history_edits.extract_history_edits(datasets, settings)
    assert "campaign_new_editors.sql: the history path matches people by global account id" in (
        result.extraction.failures["campaign_edit_windows"].detail
    )
    assert result.extraction.sources["history"]["status"] == "ok"


def test_measured_windows_end_before_the_cut():
    campaigns = pd.DataFrame({"campaign_id": [1, 2], "end_date": ["2025-01-31", None]})
    windows = history_edits.measured_windows(campaigns, [1, 3], dt.date(2025, 3, 3))
    assert windows.to_dict("records") == [
        {"campaign_id": 1, "months_after": 1, "first_day": dt.date(2025, 2, 1), "last_day": dt.date(2025, 3, 2)}
    ]
    assert history_edits.snapshot_end("2026-12") == dt.date(2027, 1, 1)
