"""Extraction without a server: keyset SQL, literals, retries, progress, DuckDB chunking and per-wiki runs."""

from __future__ import annotations

import datetime as dt
import decimal
import io
import logging
from pathlib import Path

import duckdb
import pymysql
import pytest
import sqlglot

from build.config import load_settings
from build.extract import (
    ExtractError,
    Progress,
    RetryPolicy,
    chunk_key_expression,
    keyset_page,
    run,
    run_per_wiki,
    run_query,
    sql_literal,
)
from build.queries import QueryError, parse_query
from build.sources import Connection

NO_WAIT = RetryPolicy(attempts=3, base_delay=0.0, max_delay=0.0, min_chunk=2)


def page_sql(sql: str, key: str, last, size: int = 1000, dialect: str = "mysql") -> str:
    tree = sqlglot.parse_one(sql, read="mysql")
    return keyset_page(tree, chunk_key_expression(tree, key, "q.sql"), last, size).sql(dialect=dialect)


def test_keyset_sql_first_and_next_chunks():
    sql = "SELECT r.rev_id, r.rev_actor AS actor FROM revision_userindex AS r WHERE r.rev_actor IN (1, 2)"
    assert page_sql(sql, "rev_id", None) == (
        "SELECT r.rev_id, r.rev_actor AS actor FROM revision_userindex AS r WHERE r.rev_actor IN (1, 2) "
        "ORDER BY r.rev_id ASC LIMIT 1000"
    )
    assert page_sql(sql, "rev_id", 41_337, 500) == (
        "SELECT r.rev_id, r.rev_actor AS actor FROM revision_userindex AS r WHERE r.rev_actor IN (1, 2) "
        "AND r.rev_id > 41337 ORDER BY r.rev_id ASC LIMIT 500"
    )


def test_keyset_sql_uses_the_expression_behind_an_alias_and_keeps_or_grouped():
    sql = "SELECT u.id AS user_id, u.username FROM users AS u WHERE u.a = 1 OR u.b = 2 ORDER BY u.username DESC"
    assert page_sql(sql, "user_id", 7) == (
        "SELECT u.id AS user_id, u.username FROM users AS u WHERE (u.a = 1 OR u.b = 2) AND u.id > 7 "
        "ORDER BY u.id ASC LIMIT 1000"
    )
    assert page_sql(sql, "user_id", 7, dialect="duckdb").endswith("ORDER BY u.id ASC NULLS FIRST LIMIT 1000")


def test_keyset_sql_with_cte_group_by_and_star():
    sql = "WITH x AS (SELECT * FROM t) SELECT k, COUNT(*) AS n FROM x GROUP BY k"
    assert page_sql(sql, "k", "abc") == (
        "WITH x AS (SELECT * FROM t) SELECT k, COUNT(*) AS n FROM x WHERE k > 'abc' GROUP BY k "
        "ORDER BY k ASC LIMIT 1000"
    )
    assert page_sql("SELECT * FROM t", "id", 3) == "SELECT * FROM t WHERE id > 3 ORDER BY id ASC LIMIT 1000"


@pytest.mark.parametrize(
    "sql, key, words",
    [
        ("SELECT a FROM t UNION ALL SELECT a FROM u", "a", "single SELECT"),
        ("SELECT a FROM t LIMIT 5", "a", "own LIMIT"),
        ("SELECT k, COUNT(*) AS n FROM t GROUP BY k", "n", "aggregate"),
        ("SELECT a FROM t", "b", "not a column of the SELECT list"),
    ],
)
def test_keyset_refuses_what_it_cannot_page(sql, key, words):
    with pytest.raises(QueryError, match=words):
        chunk_key_expression(sqlglot.parse_one(sql, read="mysql"), key, "queries/q.sql")


@pytest.mark.parametrize(
    "value, sql",
    [
        (5, "5"),
        (decimal.Decimal("12"), "12"),
        (b"20250101000000", "'20250101000000'"),
        (b"\xff\x00", "x'ff00'"),
        ("O'Brien", "'O''Brien'"),
        (dt.date(2025, 1, 2), "'2025-01-02'"),
        (dt.datetime(2025, 1, 2, 3, 4, 5), "'2025-01-02 03:04:05.000000'"),
    ],
)
def test_sql_literal(value, sql):
    assert sql_literal(value).sql(dialect="mysql") == sql


# --- on DuckDB (the embedded default) -------------------------------------------------------------


def write_query(folder: Path, name: str, header: str, sql: str):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.sql"
    path.write_text(f"/*\n{header.strip()}\n*/\n{sql.strip()}\n", encoding="utf-8")
    return parse_query(path)


HEADER = """
title = "Items"
description = "Items."
sort = ["id"]
{extra}
[columns]
id = {{ type = "integer", description = "Id." }}
name = {{ type = "string", description = "Name." }}
"""


@pytest.fixture
def duck(tmp_path):
    path = tmp_path / "dashboard.duckdb"
    raw = duckdb.connect(str(path))
    raw.execute("CREATE TABLE items AS SELECT range AS id, 'n' || range AS name FROM range(1, 1001)")
    raw.close()
    (tmp_path / "site.toml").write_text("")
    settings = load_settings(
        tmp_path / "site.toml", as_of=dt.date(2026, 11, 1), sources={"dashboard": f"duckdb:///{path}"}
    )
    return settings


def test_chunked_equals_plain_on_duckdb(duck, tmp_path):
    plain = write_query(tmp_path / "q", "plain", HEADER.format(extra=""), "SELECT id, name FROM items")
    chunked = write_query(
        tmp_path / "q",
        "chunked",
        HEADER.format(extra='chunk_key = "id"\nchunk_size = 128'),
        "SELECT id, name FROM items",
    )
    result = run([plain, chunked], duck)
    assert not result.failures
    assert result.datasets["chunked"].records() == result.datasets["plain"].records()
    assert len(result.datasets["chunked"].frame) == 1000
    assert result.sources["dashboard"]["status"] == "ok" and result.sources["dashboard"]["lag_seconds"] is None


def test_non_unique_chunk_key_is_refused(duck, tmp_path):
    query = write_query(
        tmp_path / "q",
        "dupes",
        HEADER.format(extra='chunk_key = "id"\nchunk_size = 10'),
        "SELECT id % 3 AS id, name FROM items",
    )
    result = run([query], duck)
    assert "must be unique and never null" in result.failures["dupes"].detail


def test_missing_source_is_down(tmp_path):
    (tmp_path / "site.toml").write_text("")
    settings = load_settings(tmp_path / "site.toml", as_of=dt.date(2026, 11, 1))
    query = write_query(tmp_path / "q", "plain", HEADER.format(extra=""), "SELECT id, name FROM items")
    result = run([query], settings)
    assert result.sources["dashboard"]["status"] == "down"
    assert "build.py demo" in str(result.sources["dashboard"]["error"])
    assert result.failures["plain"].id == result.sources["dashboard"]["error"].id


def test_per_wiki_on_one_duckdb_file(tmp_path):
    path = tmp_path / "replica.duckdb"
    raw = duckdb.connect(str(path))
    for dbname, names in {"enwiki": ["Zoë", "Bob"], "dewiki": ["Zoë"]}.items():
        raw.execute(f"CREATE SCHEMA {dbname}_p")
        raw.execute(f"CREATE TABLE {dbname}_p.actor (actor_name VARCHAR)")
        raw.executemany(f"INSERT INTO {dbname}_p.actor VALUES (?)", [[n] for n in names])
    raw.close()
    (tmp_path / "site.toml").write_text("")
    settings = load_settings(
        tmp_path / "site.toml", as_of=dt.date(2026, 11, 1), sources={"replica": f"duckdb:///{path}"}
    )
    query = write_query(
        tmp_path / "q",
        "names",
        'title = "N"\ndescription = "N."\nsource = "replica"\nper_wiki = true\nsort = ["wiki", "username"]\n'
        '[columns]\nwiki = { type = "string", description = "W." }\n'
        'username = { type = "string", description = "U." }',
        "SELECT :dbname AS wiki, actor_name AS username FROM actor WHERE actor_name IN :usernames",
    )
    dataset, error, wikis = run_per_wiki(query, settings, {"enwiki": ["Zoë", "Bob", "Eve"], "dewiki": ["Bob"]}, 1)
    assert error is None
    assert dataset.records() == [{"wiki": "enwiki", "username": "Bob"}, {"wiki": "enwiki", "username": "Zoë"}]
    assert wikis["enwiki"] == {"status": "ok", "lag_seconds": None, "error": None, "url": f"duckdb:///{path}"}
    dataset, error, wikis = run_per_wiki(query, settings, {}, 1)
    assert error is None and dataset.records() == []


# --- retries, with a scripted connection (the server tests do it for real) ----------------------------


class Scripted(Connection):
    """A connection whose statements fail with the scripted errors first, then return `rows` once
    (and nothing after, like the chunk after the last)."""

    dialect = "mysql"

    def __init__(self, errors: list[Exception], rows: list[tuple]):
        super().__init__("dashboard", None, "scripted")
        self.errors = list(errors)
        self.rows = rows
        self.statements: list[str] = []
        self.reconnects = 0

    def stream(self, sql, batch=10_000):
        self.statements.append(sql)
        yield ["id", "name"], self.rows[:1]
        if self.errors:
            raise self.errors.pop(0)
        yield ["id", "name"], self.rows[1:]
        self.rows = []

    def reconnect(self):
        self.reconnects += 1

    def close(self):
        pass


def lost():
    return pymysql.err.OperationalError(2013, "Lost connection to MySQL server during query")


def test_transient_errors_are_retried_a_bounded_number_of_times(tmp_path, caplog):
    query = write_query(tmp_path / "q", "plain", HEADER.format(extra=""), "SELECT id, name FROM items")
    connection = Scripted([lost(), lost()], [(1, "a"), (2, "b")])
    with caplog.at_level(logging.WARNING, logger="almanac"):
        frame = run_query(query, connection, {}, retry=NO_WAIT)
    assert frame.to_dict("records") == [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]  # no duplicate rows
    assert connection.reconnects == 2
    assert [r.getMessage() for r in caplog.records] == [
        "queries/plain.sql on source 'dashboard': error 2013 (lost connection during query); retry 1 of 3 in 0.0s",
        "queries/plain.sql on source 'dashboard': error 2013 (lost connection during query); retry 2 of 3 in 0.0s",
    ]
    connection = Scripted([lost()] * 4, [(1, "a")])
    with pytest.raises(ExtractError) as caught:
        run_query(query, connection, {}, retry=NO_WAIT)
    assert str(caught.value) == (
        "queries/plain.sql on source 'dashboard': server error (2013) Lost connection to MySQL server during query "
        "(after 3 retries) [scripted]"  # the private detail names the connection (for the operator)
    )
    assert caught.value.kind == "source unreachable"  # the public description


def test_permanent_error_is_not_retried(tmp_path):
    query = write_query(tmp_path / "q", "plain", HEADER.format(extra=""), "SELECT id, name FROM items")
    connection = Scripted([pymysql.err.ProgrammingError(1054, "Unknown column 'nme'")], [(1, "a"), (2, "b")])
    with pytest.raises(ExtractError, match=r"^queries/plain.sql on source 'dashboard': server error \(1054\)"):
        run_query(query, connection, {}, retry=NO_WAIT)
    assert len(connection.statements) == 1 and connection.reconnects == 0


def test_timeouts_halve_the_chunk(tmp_path):
    timeout = pymysql.err.OperationalError(1969, "Query execution was interrupted (max_statement_time exceeded)")
    query = write_query(
        tmp_path / "q", "chunked", HEADER.format(extra='chunk_key = "id"\nchunk_size = 8'), "SELECT id, name FROM t"
    )
    connection = Scripted([timeout, timeout], [(1, "a"), (2, "b")])
    run_query(query, connection, {}, retry=NO_WAIT)
    # 8 and 4 rows time out; 2 rows come back, a full chunk, so the next chunk (empty) is asked.
    assert [s.rsplit("LIMIT", 1)[1] for s in connection.statements] == [" 8", " 4", " 2", " 2"]
    assert "id > 2 ORDER BY id ASC LIMIT 2" in connection.statements[-1]
    assert connection.reconnects == 0  # the session survives a statement time limit
    connection = Scripted([timeout] * 3, [(1, "a"), (2, "b")])
    with pytest.raises(ExtractError, match=r"\(1969\).*even in chunks of 2 rows"):
        run_query(query, connection, {}, retry=NO_WAIT)


# --- progress -------------------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_is_a_bar_on_a_terminal():
    stream = Terminal()
    progress = Progress("big_query", stream=stream)
    progress.rows(1500)
    progress.chunk()
    progress.close()
    assert "big_query" in stream.getvalue() and "rows" in stream.getvalue()


def test_progress_is_log_lines_otherwise(caplog, monkeypatch):
    stream = io.StringIO()
    progress = Progress("big_query", stream=stream)
    progress.interval = 0.0
    with caplog.at_level(logging.INFO, logger="almanac"):
        progress.rows(1500)
        progress.chunk()
    progress.close()
    assert stream.getvalue() == ""
    assert caplog.records[-1].getMessage().startswith("big_query: 1500 rows, 1 chunks, ")


def test_key_ranges_split_without_gaps_or_overlaps():
    from build.chunks import range_page, split_range

    assert split_range(1, 10, 2) == [(1, 5), (6, 10)]
    assert split_range(5, 5, 2) == [(5, 5)]
    assert split_range(1, 3, 4) == [(1, 1), (2, 2), (3, 3)]
    tree = sqlglot.parse_one("SELECT r.rev_id AS id FROM revision AS r WHERE r.rev_actor = 1", read="mysql")
    page = range_page(tree, chunk_key_expression(tree, "id", "q.sql"), 6, 10).sql(dialect="mysql")
    assert page.endswith("WHERE r.rev_actor = 1 AND r.rev_id BETWEEN 6 AND 10")


def test_bounds_sql_counts_the_querys_own_rows():
    from build.chunks import bounds_sql

    tree = sqlglot.parse_one("SELECT id, COUNT(*) AS n FROM t GROUP BY id", read="mysql")
    assert bounds_sql(tree, "id").sql(dialect="mysql") == (
        "SELECT MIN(bounds.id) AS low, MAX(bounds.id) AS high, COUNT(*) AS row_count "
        "FROM (SELECT id, COUNT(*) AS n FROM t GROUP BY id) AS bounds"
    )
