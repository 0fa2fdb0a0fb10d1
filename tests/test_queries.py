"""Query files: header parsing, errors with file and line, parameters, and the DuckDB dialect fixes."""

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from build.queries import QueryError, bind, discover, parse_query, parse_sql, to_sql
from build.sources import DuckDBConnection

ROOT = Path(__file__).parents[1]
GOOD_HEADER = """/*
title = "T"
description = "D"
sort = ["n"]
[columns]
n = { type = "integer", description = "A number." }
*/
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_shipped_query_parses_and_declares_its_columns():
    queries = discover(ROOT / "queries")
    names = {q.name for q in queries}
    assert {"system_totals", "campaigns", "courses", "yearly_usage", "wikis", "campaign_activity"} <= names
    for query in queries:
        assert query.sort_key and all(key in [c.name for c in query.columns] for key in query.sort_key)
        assert all(column.description for column in query.columns)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SELECT 1 AS n", "t.sql:1: no metadata header"),
        (GOOD_HEADER.replace('sort = ["n"]', 'sort = ["m"]'), "t.sql:4: sort names m"),
        (GOOD_HEADER.replace('"integer"', '"int"'), "t.sql:6: column 'n': type = \"int\" is not allowed"),
        (GOOD_HEADER.replace('title = "T"', "title = T"), "t.sql:2: header is not valid TOML"),
        (GOOD_HEADER.replace('title = "T"', 'colour = "red"'), "t.sql:2: unknown header key 'colour'"),
        (GOOD_HEADER + "SELECT 1 AS n\nFROM t\nWHERE (", "t.sql:10: SQL does not parse"),
        (GOOD_HEADER + "SELECT 1 AS n; SELECT 2 AS n", "t.sql:8: expected exactly one SELECT"),
    ],
)
def test_malformed_queries_name_file_and_line(tmp_path, text, message):
    with pytest.raises(QueryError) as raised:
        parse_query(write(tmp_path, "t.sql", text))
    assert message in str(raised.value)


def test_discover_reports_every_bad_file(tmp_path):
    write(tmp_path, "a.sql", "SELECT 1")
    write(tmp_path, "b.sql", "SELECT 2")
    with pytest.raises(QueryError) as raised:
        discover(tmp_path)
    assert "a.sql:1" in str(raised.value) and "b.sql:1" in str(raised.value)


def test_bind_quotes_hostile_values_for_each_dialect():
    tree = parse_sql("SELECT name FROM t WHERE name IN :names AND d < :as_of", "x.sql", 1)
    bound = bind(tree, {"names": ["o'k", "back\\slash"], "as_of": "2025-01-01"}, "x.sql")
    assert to_sql(bound, "mysql").endswith("IN ('o''k', 'back\\\\slash') AND d < '2025-01-01'")
    connection = duckdb.connect()
    connection.execute("CREATE TABLE t (name VARCHAR, d DATE)")
    connection.execute("INSERT INTO t VALUES ('o''k', '2024-01-01'), ('back\\slash', '2024-01-01')")
    connection.execute("INSERT INTO t VALUES ('x', '2024-01-01')")
    assert sorted(run_duckdb(connection, to_sql(bound, "duckdb"))) == [("back\\slash",), ("o'k",)]


def run_duckdb(connection, sql: str) -> list[tuple]:
    """Run `sql` through the build's own DuckDB connection (build/sources.py), which binds a BoundSQL's lists."""
    return DuckDBConnection("test", connection, "in-memory DuckDB").execute(sql)[1]


def test_a_long_list_is_written_as_text_with_each_dialects_quoting():
    names = [f"user {i}'s \\ name" for i in range(20_000)]
    bound = bind(parse_sql("SELECT name FROM t WHERE name IN :names", "x.sql", 1), {"names": names}, "x.sql")
    connection = duckdb.connect()
    connection.execute("CREATE TABLE t (name VARCHAR)")
    connection.executemany("INSERT INTO t VALUES (?)", [[name] for name in names[::1000]] + [["user 1's name"]])
    duckdb_sql = to_sql(bound, "duckdb")
    assert "IN (SELECT UNNEST(?))" in duckdb_sql and duckdb_sql.parameters == (names,)  # bound, not 20,000 literals
    assert sorted(run_duckdb(connection, duckdb_sql)) == sorted((n,) for n in names[::1000])
    assert to_sql(bound, "mysql").count("\\\\") == len(names)  # MySQL reads a backslash escape
    assert not hasattr(to_sql(bound, "mysql"), "parameters")


def test_a_list_of_mixed_types_is_written_as_literals_on_duckdb():
    tree = parse_sql("SELECT n FROM t WHERE n IN :mixed AND n IN :names", "x.sql", 1)
    bound = bind(tree, {"mixed": [1, "2"], "names": ["1", "3"]}, "x.sql")
    sql = to_sql(bound, "duckdb")
    assert "n IN (1, '2')" in sql and sql.parameters == (["1", "3"],)
    connection = duckdb.connect()
    connection.execute("CREATE TABLE t (n VARCHAR)")
    connection.execute("INSERT INTO t VALUES ('1'), ('2'), ('3')")
    assert run_duckdb(connection, sql) == [("1",)]


def test_a_query_holding_a_list_marker_text_is_refused_not_guessed():
    tree = parse_sql("SELECT 'almanac-list-names-1' AS m FROM t WHERE name IN :names", "x.sql", 1)
    with pytest.raises(QueryError, match="marker is not unique"):
        to_sql(bind(tree, {"names": ["a"]}, "x.sql"), "duckdb")


def test_unknown_parameter_is_named():
    tree = parse_sql("SELECT :nope AS n", "x.sql", 1)
    with pytest.raises(QueryError, match="unknown parameter :nope"):
        bind(tree, {"as_of": "2025-01-01"}, "x.sql")


@pytest.mark.parametrize(
    ("a", "b", "months"),
    [
        # MySQL counts whole months elapsed; sqlglot's DATE_DIFF would count boundaries crossed.
        ("2024-01-31 10:00:00", "2024-02-29 09:00:00", 0),
        ("2024-01-31 00:00:00", "2024-03-31 00:00:00", 2),
        ("2024-01-15 00:00:00", "2024-02-14 23:59:59", 0),
        ("2024-01-15 00:00:00", "2024-02-15 00:00:00", 1),
        ("2024-03-01 00:00:00", "2024-01-31 00:00:00", -1),
    ],
)
def test_timestampdiff_month_counts_whole_months_on_duckdb(a, b, months):
    tree = parse_sql(f"SELECT TIMESTAMPDIFF(MONTH, TIMESTAMP '{a}', TIMESTAMP '{b}') AS n", "x.sql", 1)
    assert duckdb.connect().execute(to_sql(tree, "duckdb")).fetchone()[0] == months


def test_timestampdiff_day_counts_whole_days_on_duckdb():
    sql = "SELECT TIMESTAMPDIFF(DAY, TIMESTAMP '2024-01-01 12:00', TIMESTAMP '2024-01-02 11:00') AS n"
    tree = parse_sql(sql, "x", 1)
    assert duckdb.connect().execute(to_sql(tree, "duckdb")).fetchone()[0] == 0


def test_standard_parameters_are_dates(tmp_path):
    from build.queries import standard_parameters

    assert standard_parameters(dt.date(2025, 7, 9), {}) == {"as_of": "2025-07-09", "as_of_month": "2025-07-01"}
