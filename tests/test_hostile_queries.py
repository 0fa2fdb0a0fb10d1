"""Hostile query files: a query that tries to write, read files or hold locks is refused, and a
header with wrong types, bad values or unknown names is reported, every problem at once, before
any query runs (issue 7 items 4 and 11, issue 8 item 5)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from build.config import SourceSettings
from build.queries import QueryError, check_sources, discover, parse_query, to_sql
from tests.conftest import run_build

ROOT = Path(__file__).resolve().parents[1]
HEADER = """/*
title = "Probe"
description = "One row."
sort = ["n"]
{extra}
[columns]
n = {{ type = "integer", description = "A number." }}
*/
"""
LINE = re.compile(r"^queries/[^:/]+\.sql:\d+: .+; .+$")  # file:line: what is wrong; what is allowed


def write_query(folder: Path, name: str, sql: str, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.sql"
    path.write_text(HEADER.format(extra=extra) + sql, encoding="utf-8")
    return path


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(QueryError) as raised:
        discover(folder)
    for problem in raised.value.problems:
        assert LINE.match(problem), problem
    return raised.value.problems


# --- SQL that is not a plain read --------------------------------------------------------------

ATTACKS = [
    # (sql after the header, words the error must hold); the header has 8 lines, the SQL starts on line 9.
    ("SELECT 1 AS n INTO audit_copy", "INTO"),
    ("SELECT 1 AS n\nINTO @stolen", "INTO"),
    ("SELECT 1 AS n INTO OUTFILE '/tmp/almanac-pwned.csv'", "does not parse"),
    ("SELECT 1 AS n INTO DUMPFILE '/tmp/almanac-pwned'", "does not parse"),
    ("SELECT id AS n FROM courses FOR UPDATE", "locking clause"),
    ("SELECT id AS n FROM courses LOCK IN SHARE MODE", "locking clause"),
    ("SELECT id AS n FROM courses FOR SHARE", "locking clause"),
    ("SELECT n FROM (SELECT id AS n FROM courses FOR UPDATE) AS t", "locking clause"),
    ("SELECT LENGTH(LOAD_FILE('/etc/passwd')) AS n", "LOAD_FILE"),
    ("SELECT COUNT(*) AS n FROM read_csv('/etc/passwd')", "table function or a file"),
    ("SELECT COUNT(*) AS n FROM read_text('/etc/passwd')", "table function or a file"),
    ("SELECT COUNT(*) AS n FROM read_parquet('s3://bucket/x.parquet')", "table function or a file"),
    ("SELECT COUNT(*) AS n FROM read_json('/etc/x.json')", "table function or a file"),
    ("SELECT COUNT(*) AS n FROM glob('/home/*')", "does not parse"),
    ("SELECT COUNT(*) AS n FROM range(10)", "table function or a file"),
    ("SELECT COUNT(*) AS n FROM 'secrets.csv'", "table function or a file"),
    ("SELECT COUNT(*) AS n FROM `/etc/passwd`", "table function or a file"),
    ("ATTACH '/tmp/other.duckdb' AS other", "does not parse"),
    ("COPY courses TO '/tmp/almanac-pwned.csv'", "found COPY"),
    ("INSTALL httpfs", "expected exactly one SELECT"),
    ("LOAD httpfs", "expected exactly one SELECT"),
    ("PRAGMA database_list", "found PRAGMA"),
    ("SET GLOBAL read_only = 0", "found SET"),
    ("SET SESSION TRANSACTION READ WRITE", "found SET"),
    ("SELECT 1 AS n;\nDROP TABLE courses", "found SELECT, DROP"),
    ("DELETE FROM courses", "found DELETE"),
    ("UPDATE courses SET private = 0", "found UPDATE"),
    ("INSERT INTO courses (id) VALUES (1)", "found INSERT"),
    ("CREATE TABLE t AS SELECT 1 AS n", "found CREATE"),
    ("WITH gone AS (DELETE FROM courses RETURNING id) SELECT id AS n FROM gone", "DELETE"),
    ("SELECT BENCHMARK(100000000, MD5('x')) AS n", "BENCHMARK"),
    ("SELECT @@hostname AS n", "system variable"),
    ("SELECT @x := 1 AS n", "assignment"),
    ("SELECT /*+ MAX_EXECUTION_TIME(100000000) */ 1 AS n", "optimizer hint"),
    ("SELECT NOW() AS n", "NOW"),
    ("SELECT 1 AS n\nUNION ALL\nSELECT LOAD_FILE('/root/.my.cnf')", "LOAD_FILE"),
]


@pytest.mark.parametrize(("sql", "words"), ATTACKS, ids=[sql.split("\n")[0][:40] for sql, _ in ATTACKS])
def test_a_query_that_does_more_than_read_is_refused_with_file_and_line(tmp_path, sql, words):
    write_query(tmp_path / "queries", "probe", sql)
    (problem,) = [p for p in problems_of(tmp_path / "queries") if "probe.sql" in p]
    assert words in problem
    line = int(problem.split(":")[1])
    assert 9 <= line <= 9 + sql.count("\n"), problem
    assert "plain SELECT" in problem  # says what is allowed


def test_the_refused_node_is_found_on_its_own_line(tmp_path):
    sql = "SELECT\n  c.id AS n,\n  (SELECT LOAD_FILE('/etc/shadow')) AS leak\nFROM courses AS c"
    write_query(tmp_path / "q", "probe", sql)
    (problem,) = problems_of(tmp_path / "q")
    assert problem.startswith("queries/probe.sql:11: function LOAD_FILE()")


def test_an_executable_mysql_comment_never_reaches_the_server(tmp_path):
    # MySQL runs the inside of /*! … */; sqlglot keeps comments: they must not be sent.
    query = parse_query(write_query(tmp_path, "probe", "SELECT 1 AS n /*! INTO OUTFILE '/tmp/pwned' */"))
    for dialect in ("mysql", "duckdb"):
        sent = to_sql(query.tree, dialect)
        assert "OUTFILE" not in sent and "/*" not in sent, sent


def test_plain_reads_pass(tmp_path):
    sql = (
        "WITH t AS (SELECT id, DATE_FORMAT(created_at, '%Y-%m') AS m FROM courses WHERE private = 0)\n"
        "SELECT COUNT(DISTINCT t.id) AS n FROM t LEFT JOIN campaigns_courses AS cc ON cc.course_id = t.id\n"
        "WHERE t.m < :as_of_month AND t.id IN (SELECT course_id FROM courses_users)\n"
        "GROUP BY t.m HAVING COUNT(*) > 1 UNION ALL SELECT ROW_NUMBER() OVER (ORDER BY id) FROM heartbeat_p.heartbeat"
    )
    assert parse_query(write_query(tmp_path, "probe", sql)).name == "probe"
    assert len(discover(ROOT / "queries")) >= 10  # every shipped query is a plain read


# --- headers checked like site.toml ------------------------------------------------------------

BAD_HEADERS = [
    # (extra header lines, on line 5, and words of the error)
    ('publish = "false"', 'publish = "false" is not allowed; expected true or false, without quotes'),
    ("publish = 0", "publish = 0 is not allowed"),
    ('per_wiki = "yes"', 'per_wiki = "yes" is not allowed'),
    ("version = -7", "version = -7 is not allowed; expected a whole number from 1 to 999"),
    ("version = 0", "version = 0 is not allowed"),
    ("version = 1.5", "version = 1.5 is not allowed"),
    ('version = "2"', 'version = "2" is not allowed'),
    ("version = true", "version = true is not allowed"),
    ("version = 100000", "version = 100000 is not allowed"),
    ("chunk_size = 0", "chunk_size = 0 is not allowed"),
    ("chunk_size = -50000", "chunk_size = -50000 is not allowed"),
    ('chunk_key = "missing"', "chunk_key names missing, which [columns] does not declare"),
    ('chunk_key = "cu.id; DROP"', 'chunk_key = "cu.id; DROP" is not allowed'),
    ('source = "Dash board"', 'source = "Dash board" is not allowed'),
    ("source = 7", "source = 7 is not allowed"),
    ("publsh = false", "unknown header key 'publsh'; allowed: title, description"),
    ('title2 = "x"', "unknown header key 'title2'"),
]


@pytest.mark.parametrize(("extra", "words"), BAD_HEADERS, ids=[extra for extra, _ in BAD_HEADERS])
def test_a_bad_header_value_is_one_line_with_file_line_and_what_is_allowed(tmp_path, extra, words):
    write_query(tmp_path / "queries", "probe", "SELECT 1 AS n", extra=extra)
    problems = problems_of(tmp_path / "queries")
    assert len(problems) == 1, problems
    assert problems[0].startswith("queries/probe.sql:5: "), problems[0]
    assert words in problems[0]


@pytest.mark.parametrize(
    ("header", "line", "words"),
    [
        ('title = 3\ndescription = "D"\nsort = ["n"]', 2, "title = 3 is not allowed; expected a non-empty string"),
        ('title = ""\ndescription = "D"\nsort = ["n"]', 2, 'title = "" is not allowed'),
        ('title = "T"\nsort = ["n"]', 1, "header has no 'description'"),
        ('title = "T"\ndescription = "D"\nsort = "n"', 4, 'sort = "n" is not allowed; expected a non-empty list'),
        ('title = "T"\ndescription = "D"\nsort = []', 4, "sort = [] is not allowed"),
        ('title = "T"\ndescription = "D"\nsort = ["n", "n"]', 4, "sort = ['n', 'n'] is not allowed"),
        ('title = "T"\ndescription = "D"\nsort = ["m"]', 4, "sort names m, which [columns] does not declare"),
        ('title = "T"\ndescription = "D"', 1, "header has no 'sort'"),
    ],
)
def test_required_keys_and_sort(tmp_path, header, line, words):
    text = f'/*\n{header}\n[columns]\nn = {{ type = "integer", description = "A number." }}\n*/\nSELECT 1 AS n\n'
    (tmp_path / "q").mkdir()
    (tmp_path / "q" / "probe.sql").write_text(text, encoding="utf-8")
    (problem,) = problems_of(tmp_path / "q")
    assert problem.startswith(f"queries/probe.sql:{line}: ") and words in problem, problem


@pytest.mark.parametrize(
    ("columns", "line", "words"),
    [
        ('n = { type = "integer", description = "A." }\nn = { type = "string", description = "B." }', 8, "set twice"),
        ('n = { type = "integer", description = "A." }\nN = { type = "string", description = "B." }', 8, "lower_case"),
        ('n = { type = "int", description = "A." }', 7, 'type = "int" is not allowed; type must be one of integer'),
        ('n = { type = "integer" }', 7, "no description"),
        ('n = { type = "integer", description = "A.", unit = 5 }', 7, "unit = 5 is not allowed"),
        ('n = { type = "integer", description = "A.", colour = "red" }', 7, "unknown key(s) colour"),
        ('n = "integer"', 7, "not a table; expected {"),
        ('"Bad-Name" = { type = "integer", description = "A." }', 7, "lower_case_with_underscores"),
    ],
)
def test_bad_columns(tmp_path, columns, line, words):
    text = f'/*\ntitle = "T"\ndescription = "D"\nsort = ["n"]\n\n[columns]\n{columns}\n*/\nSELECT 1 AS n\n'
    (tmp_path / "q").mkdir()
    (tmp_path / "q" / "probe.sql").write_text(text, encoding="utf-8")
    problems = problems_of(tmp_path / "q")
    assert any(p.startswith(f"queries/probe.sql:{line}: ") and words in p for p in problems), problems


def test_a_select_list_naming_a_column_twice_is_named(tmp_path):
    sql = "SELECT c.id AS n,\n       u.id AS n\nFROM courses AS c JOIN users AS u ON u.id = c.id"
    write_query(tmp_path / "q", "probe", sql)
    (problem,) = problems_of(tmp_path / "q")
    assert problem.startswith("queries/probe.sql:10: the SELECT list names column 'n' twice")


def test_a_file_that_is_not_utf8_is_named_with_its_line(tmp_path):
    folder = tmp_path / "q"
    path = write_query(folder, "probe", "SELECT 'caf")
    path.write_bytes(path.read_bytes() + "é' AS n\n".encode("latin-1"))
    (problem,) = problems_of(folder)
    assert problem.startswith("queries/probe.sql:9: not UTF-8 (byte 0xe9 at column 12); save the file as UTF-8")


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = write_query(tmp_path, "probe", "SELECT 1 AS n")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert parse_query(path).title == "Probe"


def test_every_problem_of_every_file_is_reported_at_once(tmp_path):
    folder = tmp_path / "queries"
    write_query(folder, "first", "SELECT 1 AS n INTO t", extra='publish = "false"\nversion = -7')
    write_query(folder, "second", "SELECT LOAD_FILE('/etc/passwd') AS n", extra="chunk_size = 0")
    write_query(folder, "third", "SELECT 1 AS n")
    (folder / "Fourth.sql").write_text("SELECT 1", encoding="utf-8")
    problems = problems_of(folder)
    assert [p.split(": ")[0] for p in problems] == [
        "queries/Fourth.sql:1",
        "queries/Fourth.sql:1",
        "queries/first.sql:5",
        "queries/first.sql:6",
        "queries/first.sql:10",
        "queries/second.sql:5",
        "queries/second.sql:9",
    ]


# --- source names, checked once the settings are known ---------------------------------------------


def test_a_source_that_is_not_configured_is_an_error_before_any_query_runs(tmp_path):
    write_query(tmp_path / "q", "typo", "SELECT 1 AS n", extra='source = "dashbaord"')
    write_query(tmp_path / "q", "wiki", "SELECT 1 AS n", extra='source = "wikis"')
    sources = {
        "dashboard": SourceSettings("dashboard", "duckdb:///d.duckdb"),
        "wikis": SourceSettings("wikis", "mysql://{dbname}.analytics.db.svc.wikimedia.cloud/{dbname}_p"),
    }
    with pytest.raises(QueryError) as raised:
        check_sources(discover(tmp_path / "q"), sources)
    typo, wiki = raised.value.problems
    assert typo.startswith("queries/typo.sql:5: source = 'dashbaord' names no configured source; ")
    assert "configured: dashboard, wikis" in typo
    assert wiki.startswith("queries/wiki.sql:5: source 'wikis' is per wiki") and "per_wiki = true" in wiki
    check_sources(discover(ROOT / "queries"), {name: sources["dashboard"] for name in ("dashboard", "replica")})


def test_the_build_stops_with_exit_2_and_every_line_before_any_query_runs(tmp_path):
    folder = tmp_path / "queries"
    write_query(folder, "typo", "SELECT 1 AS n", extra='source = "dashbaord"')
    write_query(folder, "usernames", "SELECT 1 AS n", extra='publish = "false"')
    write_query(folder, "negative", "SELECT 1 AS n", extra="version = -7")
    (tmp_path / "site.toml").write_text('[build]\nqueries = "queries"\nstate_dir = "state"\n', encoding="utf-8")
    result = run_build("--config", str(tmp_path / "site.toml"), "--out", str(tmp_path / "site"), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    for expected in (
        'queries/usernames.sql:5: publish = "false" is not allowed',
        "queries/negative.sql:5: version = -7 is not allowed",
    ):
        assert expected in result.stderr
    assert not (tmp_path / "site").exists()  # nothing published, not even a data/v-7 folder
    # With the header fixed, the source name is the one problem left, still before any query runs.
    write_query(folder, "usernames", "SELECT 1 AS n", extra="publish = false")
    write_query(folder, "negative", "SELECT 1 AS n", extra="version = 7")
    result = run_build("--config", str(tmp_path / "site.toml"), "--out", str(tmp_path / "site"), cwd=tmp_path)
    assert result.returncode == 2
    assert "queries/typo.sql:5: source = 'dashbaord' names no configured source" in result.stderr
    assert "Extracting" not in result.stderr and not (tmp_path / "site").exists()
