"""Against a real MariaDB server (127.0.0.1:3306, root, empty password): sources, chunking, retries,
time limits, per-wiki runs and every query on the real DDL.

Without a server these tests skip with the reason; with CI=true a missing server fails them.
Each test works in throwaway databases `almanac_t_<random>`, dropped afterwards.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import logging
import random
import re
import secrets
import threading
import time
import urllib.parse
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pymysql
import pytest

from build import fastread
from build.config import SourceSettings, load_settings
from build.extract import ExtractError, Progress, RetryPolicy, run, run_per_wiki, run_query, summarize_wikis
from build.fastread import FastReadError
from build.normalize import normalize
from build.queries import bind, discover, parse_query, parse_sql, to_sql
from build.sources import MySQLConnection, SourceError, mysql_driver, open_source
from tests.conftest import require, run_build

pytestmark = pytest.mark.mariadb

ROOT = Path(__file__).resolve().parent.parent
SERVER = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}  # as tests/conftest.py
FAST = RetryPolicy(attempts=3, base_delay=0.05, max_delay=0.2, min_chunk=1)
AS_OF = dt.date(2026, 11, 1)


# --- server fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def mariadb(mariadb_server) -> dict:
    """The server's connection arguments (tests/conftest.py: skips without a server, fails under CI=true)."""
    return mariadb_server


def admin(database: str | None = None) -> pymysql.Connection:
    return pymysql.connect(autocommit=True, charset="utf8mb4", database=database, **SERVER)


def execute(database: str | None, *statements: str, args=None) -> None:
    connection = admin(database)
    try:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement, args)
    finally:
        connection.close()


def load_ddl(database: str, path: Path) -> None:
    """Load a DDL file statement by statement through the DB-API (comments dropped)."""
    text = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("--"))
    statements = [s.strip() for s in text.split(";") if s.strip()]
    execute(database, *statements)


@pytest.fixture
def make_database(mariadb):
    """A factory of throwaway databases; every one is dropped after the test."""
    created = []

    def make(suffix: str = "") -> str:
        name = f"almanac_t_{secrets.token_hex(4)}{suffix}"
        execute(None, f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        created.append(name)
        return name

    yield make
    for name in created:
        execute(None, f"DROP DATABASE IF EXISTS `{name}`")


@pytest.fixture
def database(make_database) -> str:
    return make_database()


def has_mysqlclient() -> bool:
    try:
        import MySQLdb  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(params=["pymysql", "mysqlclient", "connectorx"])
def driver(request, monkeypatch) -> str:
    """Run a test through each reader: pymysql and mysqlclient (when installed) reading everything
    themselves, and connectorx reading every statement (pymysql opening the session)."""
    if request.param == "mysqlclient" and not has_mysqlclient():
        require("mysqlclient is not installed (pip install mysqlclient; needs libmariadb-dev, pkg-config)")
    session_driver = "pymysql" if request.param == "connectorx" else request.param
    monkeypatch.setenv("ALMANAC_MYSQL_DRIVER", session_driver)
    monkeypatch.setenv("ALMANAC_MYSQL_READER", "connectorx" if request.param == "connectorx" else "driver")
    assert mysql_driver().__name__ == ("pymysql" if session_driver == "pymysql" else "MySQLdb")
    return request.param


def write_query(folder: Path, name: str, header: str, sql: str):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.sql"
    path.write_text(f"/*\n{header.strip()}\n*/\n{sql.strip()}\n", encoding="utf-8")
    return parse_query(path)


def settings_for(tmp_path: Path, sources: dict[str, str], toml: str = ""):
    site = tmp_path / "site.toml"
    site.write_text(toml, encoding="utf-8")
    return load_settings(site, as_of=AS_OF, sources=sources)


def url(database: str, user: str = "root") -> str:
    return f"mysql://{user}@127.0.0.1:3306/{database}"


ROWS_HEADER = """
title = "Rows"
description = "Test rows."
sort = ["id"]
{extra}
[columns]
id = {{ type = "integer", description = "Id." }}
name = {{ type = "string", description = "Name (binary)." }}
amount = {{ type = "number", description = "Amount (decimal)." }}
day = {{ type = "date", description = "Day." }}
"""


def rows_query(folder: Path, name: str, extra: str = "", where: str = "") -> object:
    return write_query(
        folder,
        name,
        ROWS_HEADER.format(extra=extra),
        f"SELECT id, name, amount, day FROM items {where}",
    )


def fill_items(database: str, count: int) -> None:
    execute(
        database,
        "CREATE TABLE items (id INT PRIMARY KEY, name VARBINARY(64) NOT NULL, amount DECIMAL(12,3), day DATETIME)",
    )
    values = [
        (i, f"Zoë-{i}".encode(), f"{i * 1.5:.3f}" if i % 7 else None, dt.datetime(2025, 1, 1) + dt.timedelta(hours=i))
        for i in range(1, count + 1)
    ]
    connection = admin(database)
    try:
        with connection.cursor() as cursor:
            cursor.executemany("INSERT INTO items VALUES (%s, %s, %s, %s)", values)
    finally:
        connection.close()


def open_test_source(database: str, *, timeout: float = 600) -> MySQLConnection:
    return open_source(SourceSettings("dashboard", url(database)), ROOT, statement_timeout=timeout)


# --- credentials ---------------------------------------------------------------------------------


@pytest.fixture
def mysql_user(mariadb, database):
    """A user with a password (quotes and a '#' in it), allowed to read `database`."""
    user = f"almanac_u_{secrets.token_hex(3)}"
    password = f"p #w'{secrets.token_hex(6)}"
    execute(None, f"CREATE USER '{user}'@'%%' IDENTIFIED BY %s", args=(password,))
    execute(None, f"GRANT SELECT ON `{database}`.* TO '{user}'@'%'")
    yield user, password
    execute(None, f"DROP USER IF EXISTS '{user}'@'%'")


def write_option_file(path: Path, user: str, password: str, group: str = "client") -> Path:
    path.write_text(f'# test credentials\n[{group}]\nuser = {user}\npassword = "{password}"\n', encoding="utf-8")
    path.chmod(0o600)
    return path


def current_user(connection) -> str:
    columns, rows = connection.execute("SELECT CURRENT_USER()")
    return rows[0][0].split("@")[0]


def test_option_file_credentials(driver, database, mysql_user, tmp_path, monkeypatch):
    user, password = mysql_user
    monkeypatch.delenv("ALMANAC_MYSQL_USER", raising=False)
    monkeypatch.delenv("ALMANAC_MYSQL_PASSWORD", raising=False)
    option_file = write_option_file(tmp_path / "almanac.my.cnf", user, password)

    # A path from site.toml ([sources.NAME] option_file), no user in the URL.
    source = SourceSettings("dashboard", f"mysql://127.0.0.1:3306/{database}", option_file=str(option_file))
    with open_source(source, ROOT) as connection:
        assert current_user(connection) == user

    # ?option_file= in the URL, with a group of its own.
    write_option_file(tmp_path / "grouped.cnf", user, password, group="almanac")
    source = SourceSettings(
        "dashboard", f"mysql://127.0.0.1/{database}?option_file={tmp_path}/grouped.cnf&option_group=almanac"
    )
    with open_source(source, ROOT) as connection:
        assert current_user(connection) == user

    # A wrong password from an option file: the message says which file, never the password.
    wrong_file = write_option_file(tmp_path / "wrong.cnf", user, "not-" + password)
    with pytest.raises(SourceError) as caught:
        open_source(SourceSettings("dashboard", f"mysql://127.0.0.1/{database}", option_file=str(wrong_file)), ROOT)
    assert str(caught.value).endswith(f"(using password: YES) [credentials from {wrong_file}]")
    assert password not in str(caught.value)

    # Toolforge's ~/replica.my.cnf, found by itself for a replica source.
    monkeypatch.setenv("HOME", str(tmp_path))
    write_option_file(tmp_path / "replica.my.cnf", user, password)
    source = SourceSettings("replica", f"mysql://127.0.0.1:3306/{database}")
    with open_source(source, ROOT) as connection:
        assert current_user(connection) == user


def test_environment_credentials(driver, database, mysql_user, monkeypatch):
    user, password = mysql_user
    monkeypatch.setenv("ALMANAC_MYSQL_DASHBOARD_USER", user)
    monkeypatch.setenv("ALMANAC_MYSQL_DASHBOARD_PASSWORD", password)
    with open_source(SourceSettings("dashboard", f"mysql://127.0.0.1/{database}"), ROOT) as connection:
        assert current_user(connection) == user


def test_wrong_password_is_one_clear_line_without_the_password(driver, database, mysql_user, tmp_path, caplog):
    user, _ = mysql_user
    wrong = f"Wr0ng-{secrets.token_hex(8)}"
    source = SourceSettings("dashboard", f"mysql://{user}:{wrong}@127.0.0.1:3306/{database}")
    with pytest.raises(SourceError) as caught:
        open_source(source, ROOT)
    message = str(caught.value)
    print(message)
    assert "\n" not in message
    assert wrong not in message
    assert "'dashboard'" in message and "127.0.0.1" in message and "(1045)" in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__

    # Through the extraction: the failure and every log line name the source, never the password.
    query = rows_query(tmp_path / "queries", "rows")
    settings = settings_for(tmp_path, {"dashboard": source.url})
    with caplog.at_level(logging.INFO, logger="almanac"):
        result = run([query], settings)
    assert "rows" in result.failures and wrong not in result.failures["rows"].detail
    assert result.sources["dashboard"]["status"] == "down"
    assert wrong not in str(result.sources) and ":***@" in result.sources["dashboard"]["url"]
    assert all(wrong not in record.getMessage() for record in caplog.records)


def test_wrong_password_on_the_command_line(mariadb, database, tmp_path):
    wrong = f"Wr0ng-{secrets.token_hex(8)}"
    result = run_build(
        "--as-of",
        AS_OF.isoformat(),
        "--out",
        str(tmp_path / "site"),
        "--source",
        f"dashboard=mysql://root:{wrong}@127.0.0.1:3306/{database}",
        "--source",
        f"replica=mysql://root:{wrong}@127.0.0.1:3306/{database}",
        cwd=tmp_path,
    )
    output = result.stdout + result.stderr
    print(output)
    assert result.returncode == 2
    assert wrong not in output and "Traceback" not in output
    # The console names the source and where the full error is; the server's words (host, user,
    # database) are only in that file (tests/test_hostile_failures.py).
    assert "(1045)" not in output and database not in output
    error_file = Path(re.search(r'Source "dashboard": source unreachable \(see (\S+), id', output).group(1))
    text = error_file.read_text(encoding="utf-8")
    assert wrong not in text
    assert (
        f"source 'dashboard' (mysql://root@127.0.0.1:3306/{database}): cannot connect: "
        "(1045) Access denied for user 'root'@'127.0.0.1' (using password: YES)"
    ) in text


# --- session --------------------------------------------------------------------------------------


def test_session_options(driver, database):
    with open_test_source(database, timeout=7) as connection:
        columns, rows = connection.execute(
            "SELECT @@session.time_zone, @@character_set_connection, @@max_statement_time, @@tmp_table_size"
        )
    assert rows[0][0] == "+00:00"
    assert rows[0][1] == "utf8mb4"
    assert float(rows[0][2]) == 7.0
    assert int(rows[0][3]) == 1 << 30


# --- chunked extraction, retries, time limits --------------------------------------------------------


def test_chunked_extraction_equals_one_query(driver, database, tmp_path):
    fill_items(database, 2_500)
    plain = rows_query(tmp_path / "q", "plain")
    chunked = rows_query(tmp_path / "q", "chunked", extra='chunk_key = "id"\nchunk_size = 300')
    with open_test_source(database) as connection:
        expected = plain.empty_dataset().with_frame(run_query(plain, connection, {}))
        progress = Progress("chunked")
        frame = run_query(chunked, connection, {}, progress=progress)
    got = chunked.empty_dataset().with_frame(frame)
    assert len(frame) == 2_500
    assert progress.chunks == 9 and progress.total == 2_500  # 8 full chunks of 300 and one of 100
    assert got.records() == expected.records()
    assert got.records()[0] == {"id": 1, "name": "Zoë-1", "amount": 1.5, "day": "2025-01-01"}
    assert got.records()[6]["amount"] is None


def test_chunked_extraction_of_an_exact_multiple_and_of_nothing(driver, database, tmp_path):
    fill_items(database, 600)
    chunked = rows_query(tmp_path / "q", "chunked", extra='chunk_key = "id"\nchunk_size = 300')
    nothing = rows_query(tmp_path / "q", "nothing", extra='chunk_key = "id"\nchunk_size = 300', where="WHERE id < 0")
    with open_test_source(database) as connection:
        progress = Progress("chunked")
        assert len(run_query(chunked, connection, {}, progress=progress)) == 600
        # keyset pages: 300, 300, then an empty page ends it; key ranges (connectorx) know the count: 2
        assert progress.chunks == (2 if driver == "connectorx" else 3)
        empty = run_query(nothing, connection, {})
    assert len(empty) == 0 and list(empty.columns) == ["id", "name", "amount", "day"]


def kill_later(connection_id: int | None, after: float, running: str = "") -> threading.Thread:
    """KILL `connection_id`, or (None) every connection whose statement contains `running`
    (connectorx reads on connections of its own), `after` seconds from now."""

    def kill():
        time.sleep(after)
        if connection_id is not None:
            execute(None, f"KILL {connection_id}")
            return
        connection = admin()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE %s", (f"%{running}%",))
                for (found,) in cursor.fetchall():
                    if found != connection.thread_id():
                        cursor.execute(f"KILL {int(found)}")
        finally:
            connection.close()

    thread = threading.Thread(target=kill, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "plain"])
def test_killed_connection_is_retried(driver, database, tmp_path, caplog, chunked):
    fill_items(database, 400)
    extra = 'chunk_key = "id"\nchunk_size = 50' if chunked else ""
    # SLEEP per row makes the extract last about 1.6 s, so the KILL lands mid-extract.
    query = rows_query(tmp_path / "q", "slow", extra=extra, where="WHERE SLEEP(0.004) = 0")
    with open_test_source(database) as connection:
        first_id = connection.connection_id()
        fast = driver == "connectorx"
        killer = kill_later(None if fast else first_id, 0.5, running="SLEEP(0.004)")
        with caplog.at_level(logging.WARNING, logger="almanac"):
            frame = run_query(query, connection, {}, retry=FAST)
        killer.join()
        assert connection.connection_id() != first_id  # it reconnected (connectorx: its session too)
    assert sorted(frame["id"].tolist()) == list(range(1, 401))
    warnings = [r.getMessage() for r in caplog.records if "retry 1 of 3" in r.getMessage()]
    assert warnings, [r.getMessage() for r in caplog.records]
    assert "queries/slow.sql" in warnings[0] and ("2013" in warnings[0] or "1927" in warnings[0])


def test_statement_time_limit_is_met_with_smaller_chunks(driver, database, tmp_path, caplog):
    fill_items(database, 40)
    # 0.04 s of SLEEP per row: a chunk of 32 rows needs 1.28 s and passes the 1 s limit; 16 rows need 0.64 s.
    query = rows_query(
        tmp_path / "q", "sleepy", extra='chunk_key = "id"\nchunk_size = 32', where="WHERE SLEEP(0.04) = 0"
    )
    with open_test_source(database, timeout=1) as connection:
        progress = Progress("sleepy")
        with caplog.at_level(logging.WARNING, logger="almanac"):
            frame = run_query(query, connection, {}, retry=FAST, progress=progress)
    assert frame["id"].tolist() == list(range(1, 41))
    assert progress.chunks == 3  # 16 + 16 + 8, after the chunk of 32 was refused
    messages = [r.getMessage() for r in caplog.records]
    assert any("max_statement_time" in m and "chunks of 16 rows" in m for m in messages), messages


def test_statement_time_limit_without_chunks_fails_with_a_clear_message(driver, database, tmp_path):
    fill_items(database, 40)
    plain = rows_query(tmp_path / "q", "sleepy", where="WHERE SLEEP(0.04) = 0")
    tiny = RetryPolicy(attempts=1, base_delay=0.01, min_chunk=32)
    chunked = rows_query(tmp_path / "q", "big", extra='chunk_key = "id"\nchunk_size = 32', where="WHERE SLEEP(0.04)=0")
    with open_test_source(database, timeout=1) as connection:
        with pytest.raises(ExtractError) as caught:
            run_query(plain, connection, {}, retry=FAST)
        message = str(caught.value)
        assert message.startswith("queries/sleepy.sql on source 'dashboard': server error (1969)")
        assert "chunk_key" in message and "\n" not in message
        with pytest.raises(ExtractError, match=r"queries/big.sql .*\(1969\).*chunks of 32 rows"):
            run_query(chunked, connection, {}, retry=tiny)


def test_permanent_error_names_query_source_and_server_error(driver, database, tmp_path):
    query = write_query(
        tmp_path / "q",
        "broken",
        'title = "B"\ndescription = "B."\nsort = ["x"]\n[columns]\nx = { type = "integer", description = "X." }',
        "SELECT x FROM no_such_table",
    )
    settings = settings_for(tmp_path, {"dashboard": url(database)})
    result = run([query], settings, retry=FAST)
    assert result.failures["broken"].detail.startswith("queries/broken.sql on source 'dashboard': server error (1146)")
    assert "no_such_table" in result.failures["broken"].detail
    assert result.sources["dashboard"] == {
        "status": "ok",
        "lag_seconds": None,
        "error": None,
        "url": url(database),
    }


# --- replica lag and per-wiki runs -------------------------------------------------------------------


PER_WIKI_HEADER = """
title = "Edits per user"
description = "Edits of the given users per wiki."
source = "replica"
per_wiki = true
sort = ["wiki", "username"]

[columns]
wiki = { type = "string", description = "Wiki database name." }
username = { type = "string", description = "User name." }
edits = { type = "integer", description = "Edits." }
first_edit = { type = "string", description = "First edit, YYYYMMDDHHMMSS." }
"""

PER_WIKI_SQL = """
SELECT :dbname AS wiki, a.actor_name AS username, COUNT(*) AS edits, MIN(r.rev_timestamp) AS first_edit
FROM revision_userindex AS r
JOIN actor AS a ON a.actor_id = r.rev_actor
WHERE a.actor_name IN :usernames
  AND r.rev_timestamp < :as_of_timestamp
GROUP BY a.actor_name
"""


@pytest.fixture
def wikis(mariadb):
    """Two wiki databases <prefix>enwiki_p and <prefix>dewiki_p with binary actor names."""
    prefix = f"almanac_t_{secrets.token_hex(3)}_"
    made = []

    def build(dbname: str, edits: dict[str, list[str]]) -> None:
        database = f"{prefix}{dbname}_p"
        execute(None, f"CREATE DATABASE `{database}`")
        made.append(database)
        load_ddl(database, ROOT / "build" / "demo" / "ddl" / "replica.sql")
        connection = admin(database)
        try:
            with connection.cursor() as cursor:
                for actor_id, (name, timestamps) in enumerate(sorted(edits.items()), start=1):
                    cursor.execute("INSERT INTO actor VALUES (%s, %s, %s)", (actor_id, actor_id, name.encode()))
                    for timestamp in timestamps:
                        cursor.execute(
                            "INSERT INTO revision (rev_page, rev_comment_id, rev_actor, rev_timestamp) "
                            "VALUES (1, 1, %s, %s)",
                            (actor_id, timestamp.encode()),
                        )
        finally:
            connection.close()

    build("enwiki", {"Zoë": ["20250102030405", "20250101000000"], "zoe": ["20250105000000"], "Ålice": []})
    build("dewiki", {"Zoë": ["20250301000000"], "Bob": ["20261231000000"]})
    yield prefix
    for database in made:
        execute(None, f"DROP DATABASE IF EXISTS `{database}`")


def test_per_wiki_runs_with_byte_string_names(driver, wikis, tmp_path):
    query = write_query(tmp_path / "q", "wiki_edits", PER_WIKI_HEADER, PER_WIKI_SQL)
    settings = settings_for(tmp_path, {"replica": f"mysql://root@127.0.0.1:3306/{wikis}{{dbname}}_p"})
    targets = {"enwiki": ["Zoë", "zoe", "Ålice", "Nobody"], "dewiki": ["Zoë", "Bob"]}
    dataset, error, lags = run_per_wiki(
        query, settings, targets, batch_size=1, extra_parameters={"as_of_timestamp": "20261101000000"}
    )
    assert error is None
    assert dataset.records() == [
        {"wiki": "dewiki", "username": "Zoë", "edits": 1, "first_edit": "20250301000000"},
        {"wiki": "enwiki", "username": "Zoë", "edits": 2, "first_edit": "20250101000000"},
        {"wiki": "enwiki", "username": "zoe", "edits": 1, "first_edit": "20250105000000"},
    ]
    assert sorted(lags) == ["dewiki", "enwiki"]
    assert lags["enwiki"]["status"] == "ok" and lags["enwiki"]["url"].endswith(f"/{wikis}enwiki_p")
    summary = summarize_wikis(settings.sources["replica"], lags)
    assert summary["status"] == "ok" and set(summary["wikis"]) == {"dewiki", "enwiki"}


def test_per_wiki_missing_wiki_fails_only_itself(driver, wikis, tmp_path):
    query = write_query(tmp_path / "q", "wiki_edits", PER_WIKI_HEADER, PER_WIKI_SQL)
    settings = settings_for(tmp_path, {"replica": f"mysql://root@127.0.0.1:3306/{wikis}{{dbname}}_p"})
    dataset, error, lags = run_per_wiki(
        query, settings, {"enwiki": ["Zoë"], "frwiki": ["Zoë"]}, extra_parameters={"as_of_timestamp": "20261101"}
    )
    assert dataset.records() == [{"wiki": "enwiki", "username": "Zoë", "edits": 2, "first_edit": "20250101000000"}]
    assert "frwiki" in error and "source unreachable [error " in error and "\n" not in error
    assert "(1049)" not in error, "the server's words stay private"
    assert "(1049)" in lags["frwiki"]["error"].detail
    assert lags["frwiki"]["status"] == "down" and lags["enwiki"]["status"] == "ok"


def test_replica_lag_from_heartbeat(driver, database, tmp_path):
    """The one test that changes the server for everyone (heartbeat_p, for a few seconds): a MariaDB replica build
    of another test file running beside it (make test's workers) reads a lag of 8 s, which no other test checks."""
    connection = admin()
    with connection.cursor() as cursor:
        existed = cursor.execute("SHOW DATABASES LIKE 'heartbeat_p'")
    connection.close()
    if existed:
        pytest.skip("this server already has a heartbeat_p database; not touching it")
    execute(
        None,
        "CREATE DATABASE heartbeat_p",
        "CREATE TABLE heartbeat_p.heartbeat (shard VARCHAR(8), last_updated VARCHAR(26), lag DECIMAL(16,4))",
        "INSERT INTO heartbeat_p.heartbeat VALUES ('s1', '2026-11-01T00:00:00', 2.4), ('s2', '2026-11-01', 7.6)",
    )
    try:
        query = rows_query(tmp_path / "q", "rows")
        fill_items(database, 3)
        settings = settings_for(tmp_path, {"dashboard": url(database), "replica": url(database)})
        replica_query = dataclasses.replace(rows_query(tmp_path / "r", "replica_rows"), source="replica")
        result = run([query, replica_query], settings, retry=FAST)
        assert not result.failures
        assert result.sources["replica"]["lag_seconds"] == 8
        assert result.sources["dashboard"]["lag_seconds"] is None  # not a replica: not asked
    finally:
        execute(None, "DROP DATABASE IF EXISTS heartbeat_p")
    with open_source(SourceSettings("replica", url(database)), ROOT) as connection:
        assert connection.replica_lag() is None  # no heartbeat database: no lag, no error


# --- every query on the real DDL ----------------------------------------------------------------------


def test_every_query_runs_on_the_empty_real_schema(driver, make_database, mariadb, tmp_path):
    queries = discover(ROOT / "queries")
    if not queries:
        pytest.skip("queries/ holds no query yet")
    dashboard = make_database()
    load_ddl(dashboard, ROOT / "build" / "demo" / "ddl" / "dashboard.sql")
    prefix = f"almanac_t_{secrets.token_hex(3)}_"
    replica = f"{prefix}enwiki_p"
    execute(None, f"CREATE DATABASE `{replica}`")
    try:
        load_ddl(replica, ROOT / "build" / "demo" / "ddl" / "replica.sql")
        settings = settings_for(
            tmp_path,
            {"dashboard": url(dashboard), "replica": f"mysql://root@127.0.0.1:3306/{prefix}{{dbname}}_p"},
        )
        ran = []
        for query in queries:
            if query.per_wiki:
                period = {"edits_from": "20240101000000", "edits_until": "20260101000000"}
                names = {"enwiki": ["Nobody", "Zoë"]}
                dataset, error, _ = run_per_wiki(query, settings, names, extra_parameters=period, retry=FAST)
                assert error is None, error
                assert len(dataset.frame) == 0
            else:
                result = run([query], settings, retry=FAST)
                assert not result.failures, result.failures
                assert query.name in result.datasets
            ran.append(query.name)
        print("ran on the empty real schema:", ", ".join(ran))
    finally:
        execute(None, f"DROP DATABASE IF EXISTS `{replica}`")


# --- connectorx: its own connections keep the session's rules --------------------------------------


def fast_source(database: str, timeout: float = 600, url_text: str | None = None) -> MySQLConnection:
    return open_source(SourceSettings("dashboard", url_text or url(database)), ROOT, statement_timeout=timeout)


def test_connectorx_connections_are_read_only_limited_and_utc(database, monkeypatch):
    monkeypatch.setenv("ALMANAC_MYSQL_READER", "connectorx")
    execute(
        database,
        "CREATE TABLE written (x INT)",
        "CREATE FUNCTION sneaky_write() RETURNS INT MODIFIES SQL DATA BEGIN INSERT INTO written VALUES (1); "
        "RETURN 1; END",
    )
    with fast_source(database, timeout=7) as connection:
        assert connection.fast is not None
        session = "SELECT @@session.tx_read_only AS ro, @@max_statement_time AS limit_s, @@time_zone AS tz"
        frame = connection.fast.read([session, session])  # two connections, as a ranged read opens
        assert frame["ro"].tolist() == [1, 1] and frame["limit_s"].tolist() == [7.0, 7.0]
        assert frame["tz"].tolist() == ["+00:00", "+00:00"]
        # A write hidden in a stored function, through a connectorx connection: refused by the server.
        with pytest.raises(FastReadError) as caught:
            connection.fast.read("SELECT sneaky_write() AS x")
        assert caught.value.args[0] == 1792
    connection = admin(database)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM written")
            assert cursor.fetchone()[0] == 0
    finally:
        connection.close()


def test_connectorx_never_shows_the_password(database, mysql_user, monkeypatch, caplog, capfd):
    monkeypatch.setenv("ALMANAC_MYSQL_READER", "connectorx")
    user, password = mysql_user
    encoded = urllib.parse.quote(password, safe="")
    with caplog.at_level(logging.DEBUG, logger="almanac"):
        with fast_source(database, url_text=f"mysql://{user}:{encoded}@127.0.0.1:3306/{database}") as connection:
            assert connection.fast is not None and password not in repr(connection.fast)
            assert connection.fast.read("SELECT CURRENT_USER() AS u")["u"][0].startswith(user)
            with pytest.raises(FastReadError) as caught:
                connection.fast.read("SELECT x FROM no_such_table")
            # an error that echoes connectorx's URL (a bad URL does) is scrubbed as well
            echoed = connection.fast.translate(RuntimeError(f"cannot parse {connection.fast.url}"))
    assert caught.value.args[0] == 1146 and password not in str(caught.value)
    assert password not in str(echoed) and encoded not in str(echoed) and "***" in str(echoed)
    out, err = capfd.readouterr()
    for text in (out, err, *(record.getMessage() for record in caplog.records)):
        assert password not in text and encoded not in text


def test_connectorx_falls_back_to_the_driver_for_what_it_cannot_read(database, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("ALMANAC_MYSQL_READER", "connectorx")
    execute(database, "CREATE TABLE shapes (id INT PRIMARY KEY, shape GEOMETRY)")
    execute(database, "INSERT INTO shapes VALUES (1, ST_GeomFromText('POINT(1 2)'))")
    header = 'title = "Shapes"\ndescription = "Shapes."\nsort = ["id"]\n[columns]\n'
    header += 'id = { type = "integer", description = "Id." }'
    query = write_query(tmp_path / "q", "shapes", header, "SELECT id, shape FROM shapes")
    with fast_source(database) as connection, caplog.at_level(logging.WARNING, logger="almanac"):
        frame = run_query(query, connection, {})
    assert frame["id"].tolist() == [1] and isinstance(frame["shape"][0], bytes)  # the driver's WKB bytes
    assert any("connectorx cannot read it; reading with the driver" in r.getMessage() for r in caplog.records)


def test_connectorx_gives_a_server_error_in_the_drivers_words(database, monkeypatch):
    monkeypatch.setenv("ALMANAC_MYSQL_READER", "connectorx")
    statement = "SELECT nope FROM dual"
    with admin(database) as connection, connection.cursor() as cursor, pytest.raises(pymysql.MySQLError) as driver:
        cursor.execute(statement)
    with fast_source(database) as connection, pytest.raises(FastReadError) as fast:
        connection.fast.read(statement)
    assert fast.value.args == driver.value.args and fast.value.args[1].endswith("'")  # its closing quote kept


def test_an_arrow_result_that_cannot_be_converted_is_read_by_the_driver(database, tmp_path, monkeypatch, caplog):
    """A failure while making the frame (an Arrow limit, say) is not the query's failure: the driver reads it."""
    monkeypatch.setenv("ALMANAC_MYSQL_READER", "connectorx")

    def overflowing(table):
        raise pa.ArrowInvalid("offset overflow while concatenating arrays")

    monkeypatch.setattr(fastread, "arrow_to_frame", overflowing)
    query = write_query(tmp_path / "q", "one", 'title = "One"\ndescription = "One."\nsort = ["x"]\n[columns]\n'
                        'x = { type = "integer", description = "X." }', "SELECT 1 AS x")  # fmt: skip
    with fast_source(database) as connection, caplog.at_level(logging.WARNING, logger="almanac"):
        assert run_query(query, connection, {})["x"].tolist() == [1]
    assert any("connectorx cannot read it; reading with the driver" in r.getMessage() for r in caplog.records)


def test_text_of_many_batches_is_combined_with_64_bit_offsets():
    """connectorx's text has 32-bit offsets, which hold 2 GiB in one array: batches are widened before joining."""
    batch = pa.array(["Zoë", None, "x" * 10])
    frame = fastread.arrow_to_frame(pa.table({"t": pa.chunked_array([batch, batch]), "b": pa.chunked_array(
        [pa.array([b"a", b"\xff", None])] * 2)}))  # fmt: skip
    assert frame["t"].tolist() == ["Zoë", pd.NA, "x" * 10] * 2 and frame["t"].dtype == pd.StringDtype("pyarrow")
    assert frame["b"].tolist() == [b"a", b"\xff", None] * 2
    assert fastread._combined(pa.chunked_array([batch, batch])).type == pa.large_string()


def test_connectorx_leaves_a_decimal_beyond_its_range_to_the_driver(database, tmp_path, monkeypatch, caplog):
    """connectorx holds a DECIMAL in 96 bits at 10 places, so nothing above about 7.9 × 10^18: the driver reads
    that statement, and the whole count is published."""
    monkeypatch.setenv("ALMANAC_MYSQL_READER", "connectorx")
    header = 'title = "Big"\ndescription = "Big."\nsort = ["id"]\n[columns]\n'
    header += 'id = { type = "integer", description = "Id." }\nbig = { type = "integer", description = "Big." }'
    sql = "SELECT 1 AS id, CAST('8000000000000000001' AS DECIMAL(30,0)) AS big"
    query = write_query(tmp_path / "q", "big", header, sql)
    with fast_source(database) as connection, caplog.at_level(logging.WARNING, logger="almanac"):
        frame = run_query(query, connection, {})
    assert any("connectorx cannot read it; reading with the driver" in r.getMessage() for r in caplog.records)
    assert normalize(frame, query.empty_dataset())["big"].tolist() == [8000000000000000001]


# column → (MariaDB type, declared type, a value, an edge value, how the aggregate reads it). Not FLOAT: the text
# protocol rounds it to 6 significant digits, the binary one does not (README "Pointing it at a real database").
# A SUM is a DECIMAL: whole, it is read as an exact integer (BIGINT UNSIGNED's 2^53 + 1 beside a NULL too); with a
# fraction, as float(Decimal) (build/fastread.py), including values whose digits do not fit a double.
TYPED_COLUMNS = {
    "i": ("INT", "integer", "1", "-2147483648", "SUM"),
    "u": ("BIGINT UNSIGNED", "integer", "9007199254740993", "0", "SUM"),
    "flag": ("TINYINT(1)", "boolean", "1", "0", None),
    "amount": ("DECIMAL(20,6)", "number", "12345678.123456", "-0.000001", "SUM"),
    "wide": ("DECIMAL(30,10)", "number", "123456789012.3456789012", "-0.0000000001", "SUM"),
    "ratio": ("DOUBLE", "number", "0.1", "1e300", "SUM"),
    "stamp": ("DATETIME(6)", "date", "'2024-01-31 23:59:59.999999'", "'1000-01-01 00:00:00'", "MAX"),
    "day": ("DATE", "date", "'2024-02-29'", "'9999-12-31'", "MAX"),
    "name": ("VARCHAR(20)", "string", "'Zoë 日本'", "''", "MAX"),
    "raw": ("VARBINARY(20)", "string", "'Ålice'", "''", "MAX"),
    "body": ("TEXT", "string", "'long text'", "' '", "MAX"),
    "kind": ("ENUM('a','b')", "string", "'b'", "'a'", "MAX"),
}


def typed_query(folder: Path, columns: dict[str, str], sql: str):
    """A query of `typed` declaring id and `columns` (name → select expression) with their declared types."""
    header = 'title = "Typed"\ndescription = "Typed."\nsort = ["id"]\n[columns]\n'
    header += 'id = { type = "integer", description = "Id." }\n'
    header += "".join(
        f'{name} = {{ type = "{TYPED_COLUMNS[name][1]}", description = "A {TYPED_COLUMNS[name][0]}." }}\n'
        for name in columns
    )
    selected = ", ".join(f"{expression} AS {name}" for name, expression in columns.items())
    return write_query(folder, "typed", header, sql.format(columns=selected))


def test_connectorx_reads_every_column_type_as_the_driver_does(database, tmp_path, monkeypatch):
    """Every common column type, with a value, an edge value and NULL, in a plain read and in an aggregate:
    connectorx (binary protocol) and the driver give the same published records."""
    columns = ", ".join(f"{name} {spec[0]}" for name, spec in TYPED_COLUMNS.items())
    execute(database, f"CREATE TABLE typed (id INT PRIMARY KEY, {columns})")
    for row, position in ((1, 2), (2, 3)):
        values = ", ".join(spec[position] for spec in TYPED_COLUMNS.values())
        execute(database, f"INSERT INTO typed VALUES ({row}, {values})")
    execute(database, "INSERT INTO typed (id) VALUES (3)")
    plain = typed_query(tmp_path / "plain", {name: name for name in TYPED_COLUMNS}, "SELECT id, {columns} FROM typed")
    aggregated = {name: f"{spec[4]}({name})" for name, spec in TYPED_COLUMNS.items() if spec[4]}
    aggregate = typed_query(tmp_path / "aggregate", aggregated, "SELECT id, {columns} FROM typed GROUP BY id")
    for query in (plain, aggregate):
        records = {}
        for reader in ("driver", "connectorx"):
            monkeypatch.setenv("ALMANAC_MYSQL_READER", reader)
            with fast_source(database) as connection:
                assert (connection.fast is not None) == (reader == "connectorx")
                frame = run_query(query, connection, {})
            records[reader] = normalize(frame, query.empty_dataset()).to_dict("records")
        assert len(records["driver"]) == 3
        assert records["driver"][0]["u"] == 9007199254740993  # exact beside row 3's NULL, in both readers
        assert records["connectorx"] == records["driver"], query.origin


def test_connectorx_reads_decimals_of_every_scale_and_size_as_the_driver_does(database, tmp_path, monkeypatch):
    """DECIMAL(p, s) for s = 0 … 10, seeded random values of every size beside the edges of how fastread converts
    them (whole or not; unscaled value within 2^53 or not; near 7.9 × 10^18, its limit), NULLs and MariaDB's
    -0E-9: the readers publish the same records, and each value is round(float(Decimal), 6)."""
    generator = random.Random(11)
    scales = range(11)
    execute(
        database,
        "CREATE TABLE decimals (id INT PRIMARY KEY, " + ", ".join(f"d{s} DECIMAL(29,{s})" for s in scales) + ")",
    )
    rows = []
    for row in range(400):
        values = []
        for scale in scales:
            digits = generator.choice([1, 4, 9, 12, 15, 16, 17, 19]) if row > 3 else [17, 19, 1, 16][row]
            unscaled = generator.randrange(10**digits) * generator.choice([1, -1])
            whole = row % 5 == 0 and scale
            value = decimal.Decimal(unscaled // 10**scale if whole else unscaled).scaleb(0 if whole else -scale)
            values.append(None if row % 7 == 3 else str(min(abs(value), decimal.Decimal("7.9e18")).copy_sign(value)))
        rows.append((row, *values))
    with admin(database) as connection, connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO decimals VALUES ({', '.join(['%s'] * (len(scales) + 1))})", rows)
    header = 'title = "Decimals"\ndescription = "Decimals."\nsort = ["id"]\n[columns]\n'
    header += 'id = { type = "integer", description = "Id." }\n'
    header += "".join(f'd{s} = {{ type = "number", description = "A DECIMAL." }}\n' for s in scales)
    header += 'zero = { type = "number", description = "-0E-9." }\n'
    select = "SELECT id, " + ", ".join(f"d{s}" for s in scales) + ", -0.00001 / 1000000 AS zero FROM decimals"
    query = write_query(tmp_path / "q", "decimals", header, select)
    records = {}
    for reader in ("driver", "connectorx"):
        monkeypatch.setenv("ALMANAC_MYSQL_READER", reader)
        with fast_source(database) as connection:
            frame = run_query(query, connection, {})
        records[reader] = normalize(frame, query.empty_dataset()).to_dict("records")
    assert records["connectorx"] == records["driver"]
    expected = [round(float(decimal.Decimal(value)), 6) + 0.0 if value else None for value in rows[1][1:]]
    assert [records["driver"][1][f"d{s}"] for s in scales] == expected
    assert {str(record["zero"]) for record in records["connectorx"]} == {"0.0"}


def test_connectorx_reads_the_replicas_binary_columns_like_the_driver(wikis, tmp_path, monkeypatch):
    query = write_query(tmp_path / "q", "wiki_edits", PER_WIKI_HEADER, PER_WIKI_SQL)
    settings = settings_for(tmp_path, {"replica": f"mysql://root@127.0.0.1:3306/{wikis}{{dbname}}_p"})
    targets = {"enwiki": ["Zoë", "zoe", "Ålice"], "dewiki": ["Zoë", "Bob"]}
    parameters = {"as_of_timestamp": "20261101000000"}
    records = {}
    for reader in ("driver", "connectorx"):
        monkeypatch.setenv("ALMANAC_MYSQL_READER", reader)
        dataset, error, _ = run_per_wiki(query, settings, targets, extra_parameters=parameters)
        assert error is None
        records[reader] = dataset.records()
    assert records["connectorx"] == records["driver"]
    assert {"wiki": "enwiki", "username": "Zoë", "edits": 2, "first_edit": "20250101000000"} in records["driver"]
    # what connectorx itself returns for actor_name and rev_timestamp (VARBINARY): text kept in Arrow when it is
    # UTF-8, bytes when not, which normalize then reports as a value that cannot be published, as it does the driver's
    monkeypatch.setenv("ALMANAC_MYSQL_READER", "connectorx")
    source = settings.sources["replica"]
    with open_source(source, ROOT, dbname="enwiki") as connection:
        raw = connection.fast.read("SELECT a.actor_name, r.rev_timestamp FROM revision AS r JOIN actor AS a "
                                   "ON a.actor_id = r.rev_actor ORDER BY r.rev_id")  # fmt: skip
        broken = connection.fast.read("SELECT a.actor_name FROM actor AS a UNION ALL SELECT X'78FF'")
    assert raw["actor_name"].dtype == pd.StringDtype("pyarrow") == raw["rev_timestamp"].dtype
    assert raw["rev_timestamp"].str.fullmatch(r"\d{14}").all()
    assert raw["actor_name"].tolist()[:1] == ["Zoë"]
    assert broken["actor_name"].tolist()[-1] == b"x\xff"


def test_auto_reads_with_connectorx_except_per_wiki(make_database, monkeypatch, caplog):
    monkeypatch.delenv("ALMANAC_MYSQL_READER", raising=False)
    wiki_database = make_database("_p")
    with caplog.at_level(logging.DEBUG, logger="almanac"):
        with fast_source(wiki_database) as connection:
            assert connection.fast is not None
        replica = SourceSettings("replica", "mysql://root@127.0.0.1:3306/{dbname}_p")
        with open_source(replica, ROOT, dbname=wiki_database.removesuffix("_p")) as wiki:
            assert wiki.fast is None
    messages = [r.getMessage() for r in caplog.records]
    assert any("reads with connectorx" in m for m in messages)
    assert any("per-wiki statements are many and small" in m for m in messages)


HOSTILE_NAMES = ["O'Brien", "back\\slash", "C:\\new\\table", "trailing\\", "''", "100%_sure", 'say "hi"', "Zoë 日本"]


def test_a_list_parameter_reaches_mariadb_as_the_same_strings(database):
    """A list parameter's values are written into the SQL as text (build/sql.py `_value_sql`): every
    hostile name, and only those, is found by IN on the real server."""
    execute(database, "CREATE TABLE names (name VARCHAR(64) COLLATE utf8mb4_bin)")
    for name in [*HOSTILE_NAMES, "OBrien", "backslash", "C:\\\\new"]:
        execute(database, "INSERT INTO names VALUES (%s)", args=(name,))
    bound = bind(parse_sql("SELECT name FROM names WHERE name IN :names", "x.sql", 1), {"names": HOSTILE_NAMES}, "x")
    connection = admin(database)
    try:
        with connection.cursor() as cursor:
            cursor.execute(to_sql(bound, "mysql"))
            found = sorted(row[0] for row in cursor.fetchall())
    finally:
        connection.close()
    assert found == sorted(HOSTILE_NAMES)
