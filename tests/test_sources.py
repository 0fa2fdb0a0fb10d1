"""Source URLs, redaction, option files, credentials and error classification (no server needed)."""

from __future__ import annotations

import types
from pathlib import Path

import pymysql
import pytest

from build.config import SourceSettings
from build.sources import (
    SourceError,
    classify_error,
    driver_arguments,
    fill_dbname,
    open_source,
    parse_url,
    read_option_file,
    redact,
    resolve_credentials,
    scrub,
    server_message,
)

ROOT = Path("/site")

URLS = [
    # url, scheme, host, port, user, password, database, options
    ("mysql://root@127.0.0.1:3306/test", "mysql", "127.0.0.1", 3306, "root", None, "test", {}),
    ("mysql://u:secret@db.example.org/dash", "mysql", "db.example.org", None, "u", "secret", "dash", {}),
    ("mysql://u:p%40ss%3Aw%2Fd@h:3307/d", "mysql", "h", 3307, "u", "p@ss:w/d", "d", {}),
    ("mysql://u:p@ss@h/d", "mysql", "h", None, "u", "p@ss", "d", {}),  # an unencoded '@' in a password
    ("mysql://h/d", "mysql", "h", None, None, None, "d", {}),
    (
        "mysql:///d?option_file=~/replica.my.cnf",
        "mysql",
        None,
        None,
        None,
        None,
        "d",
        {"option_file": "~/replica.my.cnf"},
    ),
    ("mariadb://u@h", "mysql", "h", None, "u", None, None, {}),
    ("mysql+pymysql://u@[::1]:3306/d", "mysql", "::1", 3306, "u", None, "d", {}),
    (
        "mysql://{dbname}.analytics.db.svc.wikimedia.cloud/{dbname}_p?option_group=client",
        "mysql",
        "{dbname}.analytics.db.svc.wikimedia.cloud",
        None,
        None,
        None,
        "{dbname}_p",
        {"option_group": "client"},
    ),
]


@pytest.mark.parametrize("url, scheme, host, port, user, password, database, options", URLS)
def test_parse_mysql_urls(url, scheme, host, port, user, password, database, options):
    parsed = parse_url(url, ROOT)
    assert (parsed.scheme, parsed.host, parsed.port, parsed.user, parsed.password, parsed.database) == (
        scheme,
        host,
        port,
        user,
        password,
        database,
    )
    assert parsed.options == options
    assert "secret" not in repr(parsed)


@pytest.mark.parametrize(
    "url, path",
    [
        ("duckdb:///demo/dashboard.duckdb", ROOT / "demo/dashboard.duckdb"),
        ("duckdb:////var/data/x.duckdb", Path("/var/data/x.duckdb")),
    ],
)
def test_parse_duckdb_urls(url, path):
    assert parse_url(url, ROOT).path == path


@pytest.mark.parametrize(
    "url, words",
    [
        ("duckdb://relative.duckdb", "duckdb:///relative/path"),
        ("postgres://u@h/d", "unknown scheme 'postgres'"),
        ("mysql://u:hunter22@h:port/d", "port must be a number"),
        ("mysql://h/d?pasword=x", "unknown URL parameter(s) pasword"),
        ("just-a-path", "not a URL"),
    ],
)
def test_bad_urls_say_what_is_expected_without_the_password(url, words):
    with pytest.raises(SourceError) as caught:
        parse_url(url, ROOT)
    assert words in str(caught.value)
    assert "hunter22" not in str(caught.value)


@pytest.mark.parametrize(
    "url, shown",
    [
        ("mysql://u:secret@h:3306/db", "mysql://u:***@h:3306/db"),
        ("mysql://u:s3cr@t@h/db", "mysql://u:***@h/db"),
        ("mysql://u:a:b@h/db", "mysql://u:***@h/db"),
        ("mysql://u@h/db?password=x&option_group=g", "mysql://u@h/db?password=***&option_group=g"),
        ("mysql://u@h/db", "mysql://u@h/db"),
        ("duckdb:///demo/x.duckdb", "duckdb:///demo/x.duckdb"),
    ],
)
def test_redact(url, shown):
    assert redact(url) == shown


def test_fill_dbname():
    url = "mysql://{dbname}.analytics.db.svc.wikimedia.cloud/{dbname}_p"
    assert fill_dbname(url, "enwiki", "replica") == "mysql://enwiki.analytics.db.svc.wikimedia.cloud/enwiki_p"
    with pytest.raises(SourceError, match="per_wiki = true"):
        fill_dbname(url, None, "replica")
    with pytest.raises(SourceError, match="not a wiki database name"):
        fill_dbname(url, "en.wiki/../x", "replica")


def test_read_option_file(tmp_path):
    (tmp_path / "extra.cnf").write_text("[client]\nport = 3307\n")
    path = tmp_path / "my.cnf"
    path.write_text(
        "# comment\n"
        "[client]\n"
        "user = s51234\n"
        "password = 'It''s #not a comment'\n"
        "default_character_set = utf8mb4  # trailing comment\n"
        "skip-ssl\n"
        "!include " + str(tmp_path / "extra.cnf") + "\n"
        "[almanac]\n"
        'password = "other"\n'
    )
    assert read_option_file(path) == {
        "user": "s51234",
        "password": "It''s #not a comment",
        "default-character-set": "utf8mb4",
        "skip-ssl": "",
        "port": "3307",
    }
    assert read_option_file(path, ("client", "almanac"))["password"] == "other"


@pytest.fixture
def home(tmp_path, monkeypatch):
    for variable in ("ALMANAC_MYSQL_USER", "ALMANAC_MYSQL_PASSWORD"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def credentials(url: str, environ=None, **source):
    settings = SourceSettings(source.pop("name", "dashboard"), url, **source)
    return resolve_credentials(settings, parse_url(url, ROOT), environ or {})


def test_credentials_precedence(home):
    (home / ".my.cnf").write_text("[client]\nuser = home_user\npassword = home_pw\nhost = db.home\n")
    (home / "replica.my.cnf").write_text("[client]\nuser = s5\npassword = 'replica pw'\n")
    (home / "site.cnf").write_text("[client]\nuser = file_user\npassword = file_pw\n")

    # Default files: ~/.my.cnf for the dashboard, ~/replica.my.cnf first for a replica source.
    got = credentials("mysql:///dash")
    assert (got.user, got.password, got.host, got.port) == ("home_user", "home_pw", "db.home", 3306)
    got = credentials("mysql://{dbname}.web.db.svc.wikimedia.cloud/{dbname}_p", name="wikis")
    assert (got.user, got.password) == ("s5", "replica pw")
    # The environment comes before the default files; per-source variables before the general ones.
    env = {"ALMANAC_MYSQL_USER": "env_user", "ALMANAC_MYSQL_PASSWORD": "env_pw", "ALMANAC_MYSQL_DASHBOARD_USER": "dash"}
    got = credentials("mysql://h/d", env)
    assert (got.user, got.password, got.host) == ("dash", "env_pw", "h")
    # A configured option file comes before the environment; the URL before everything.
    got = credentials("mysql://h/d", env, option_file=str(home / "site.cnf"))
    assert (got.user, got.password) == ("file_user", "file_pw")
    got = credentials("mysql://url_user:url_pw@h/d", env, option_file=str(home / "site.cnf"))
    assert (got.user, got.password) == ("url_user", "url_pw")
    got = credentials("mysql://url_user@h/d?option_file=~/site.cnf")
    assert (got.user, got.password) == ("url_user", "file_pw")
    assert "file_pw" not in repr(got)


def test_missing_option_file_is_an_error(home):
    with pytest.raises(SourceError, match=r"source 'dashboard': option file .*nope.cnf does not exist"):
        credentials("mysql://h/d", option_file="~/nope.cnf")


def test_driver_arguments_use_each_drivers_names(home):
    got = credentials("mysql://u:pw@h:3307/d")
    mysqldb = types.SimpleNamespace(__name__="MySQLdb")
    assert driver_arguments(pymysql, got, 60) | {} == {
        "host": "h",
        "port": 3307,
        "charset": "utf8mb4",
        "connect_timeout": 20,
        "read_timeout": 180,
        "write_timeout": 120,
        "autocommit": True,
        "user": "u",
        "password": b"pw",  # UTF-8 bytes: pymysql would send a str as latin-1
        "database": "d",
    }
    arguments = driver_arguments(mysqldb, got, 60)
    assert arguments["passwd"] == "pw" and arguments["db"] == "d"
    assert "password" not in arguments and "database" not in arguments


@pytest.mark.parametrize(
    "error, kind",
    [
        (
            pymysql.err.OperationalError(1969, "Query execution was interrupted (max_statement_time exceeded)"),
            "timeout",
        ),
        (pymysql.err.OperationalError(3024, "maximum statement execution time exceeded"), "timeout"),
        (pymysql.err.OperationalError(2013, "Lost connection to MySQL server during query"), "transient"),
        (pymysql.err.OperationalError(2006, "MySQL server has gone away"), "transient"),
        (pymysql.err.OperationalError(1205, "Lock wait timeout exceeded"), "transient"),
        (pymysql.err.OperationalError(1213, "Deadlock found"), "transient"),
        (pymysql.err.OperationalError(1927, "Connection was killed"), "transient"),
        (pymysql.err.InterfaceError(0, ""), "transient"),
        (pymysql.err.ProgrammingError(1146, "Table 'x.y' doesn't exist"), "permanent"),
        (pymysql.err.OperationalError(1045, "Access denied"), "permanent"),
        (ValueError("bad"), "permanent"),
    ],
)
def test_classify_error(error, kind):
    assert classify_error(error) == kind


def test_server_message_and_scrub():
    assert server_message(pymysql.err.OperationalError(1045, "Access denied")) == "(1045) Access denied"
    assert server_message(ValueError("bad")) == "ValueError: bad"
    assert scrub("login with hunter22 failed", "hunter22") == "login with *** failed"


def test_duckdb_sources(tmp_path):
    import duckdb

    with pytest.raises(SourceError, match="build.py demo"):
        open_source(SourceSettings("dashboard", "duckdb:///missing.duckdb"), tmp_path)
    raw = duckdb.connect(str(tmp_path / "replica.duckdb"))
    raw.execute("CREATE SCHEMA enwiki_p; CREATE TABLE enwiki_p.actor (actor_name VARCHAR)")
    raw.execute("INSERT INTO enwiki_p.actor VALUES ('A')")
    raw.close()
    source = SourceSettings("replica", "duckdb:///replica.duckdb")
    with open_source(source, tmp_path, dbname="enwiki") as connection:
        assert connection.execute("SELECT actor_name FROM actor") == (["actor_name"], [("A",)])
        assert connection.replica_lag() is None
        assert connection.execute("SELECT current_setting('TimeZone')")[1] == [("UTC",)]
    with pytest.raises(SourceError, match="no schema dewiki_p"):
        open_source(source, tmp_path, dbname="dewiki")


# --- connectorx reader (no server needed) ----------------------------------------------------------


def test_fast_reader_url_encodes_the_password_and_hides_it():
    from build.fastread import FastReader

    reader = FastReader.for_server("db.example", 3307, "me", "p@ss/w:rd#", "wiki_p", pre_execution=("SET x = 1",))
    assert reader.url == "mysql://me:p%40ss%2Fw%3Ard%23@db.example:3307/wiki_p"
    assert "p@ss" not in repr(reader) and "p%40ss" not in repr(reader)
    assert reader.pre_execution == ("SET x = 1",)


@pytest.mark.parametrize(
    ("raised", "kind", "code"),
    [
        (RuntimeError("MySqlError { ERROR 1969 (70100): Query execution was interrupted }"), "FastReadError", 1969),
        (RuntimeError("IoError { server disconnected }"), "FastConnectionError", 2013),
        (RuntimeError("timed out waiting for connection: Connection refused"), "FastConnectionError", 2003),
        (RuntimeError("Only support single query with SELECT statement"), "FastReadUnsupported", None),
    ],
)
def test_fast_reader_errors_become_driver_like_errors(raised, kind, code):
    from build.fastread import FastReader
    from build.sources import classify_error

    reader = FastReader.for_server("h", 3306, "u", "s3cret-pw", "db", pre_execution=())
    error = reader.translate(raised)
    assert type(error).__name__ == kind
    if code is not None:
        assert error.args[0] == code
        assert classify_error(error) == {1969: "timeout", 2013: "transient", 2003: "transient"}[code]
    leaked = reader.translate(RuntimeError(f"bad {reader.url} (s3cret-pw)"))
    assert "s3cret-pw" not in str(leaked) and "mysql://" not in str(leaked)


def test_reader_choice_is_checked():
    from build.fastread import reader_choice

    assert reader_choice({}) == "auto"
    assert reader_choice({"ALMANAC_MYSQL_READER": "Driver"}) == "driver"
    with pytest.raises(ValueError, match="expected one of auto, connectorx, driver"):
        reader_choice({"ALMANAC_MYSQL_READER": "odbc"})


# --- content stamps: a source that can prove it has not changed -----------------------------------


def _settled(path: Path) -> None:
    """Wait until what was last written at `path` (a file, or any file in a folder) is SETTLED_SECONDS old, as
    content_stamp asks (a change time cannot be set back, so only time settles it)."""
    import time

    import build.stamps as stamps

    files = [path] if path.is_file() else [p for p in path.iterdir() if p.is_file()]
    written = max(max(f.stat().st_mtime, f.stat().st_ctime) for f in files)
    time.sleep(max(0.0, written + stamps.SETTLED_SECONDS + 0.05 - time.time()))


def test_a_duckdb_file_is_stamped_and_the_stamp_changes_with_any_write(tmp_path):
    import duckdb

    from build.stamps import content_stamp

    path = tmp_path / "source.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE TABLE t AS SELECT 1 AS x")
    source = SourceSettings("dashboard", "duckdb:///source.duckdb")
    assert content_stamp(source, tmp_path) is None  # just written: it may be written again within the tick
    _settled(path)
    stamp = content_stamp(source, tmp_path)
    assert stamp and str(path) in stamp
    with open_source(source, tmp_path) as connection:  # reading leaves it as it was
        connection.execute("SELECT * FROM t")
    assert content_stamp(source, tmp_path) == stamp
    with duckdb.connect(str(path)) as connection:
        connection.execute("UPDATE t SET x = 2")
    _settled(path)
    assert content_stamp(source, tmp_path) not in (None, stamp)


def test_a_server_a_missing_file_and_a_wiki_file_per_dbname(tmp_path):
    from build.stamps import content_stamp

    assert content_stamp(SourceSettings("dashboard", "mysql://root@127.0.0.1:3306/test"), tmp_path) is None
    assert content_stamp(SourceSettings("dashboard", "duckdb:///absent.duckdb"), tmp_path) is None
    for wiki in ("enwiki", "dewiki"):
        (tmp_path / f"{wiki}.duckdb").write_bytes(wiki.encode())
    _settled(tmp_path)
    replica = SourceSettings("replica", "duckdb:///{dbname}.duckdb")
    stamps = {wiki: content_stamp(replica, tmp_path, wiki) for wiki in ("enwiki", "dewiki")}
    assert all(stamps.values()) and stamps["enwiki"] != stamps["dewiki"]
    (tmp_path / "enwiki.duckdb.wal").write_bytes(b"pending")  # a write-ahead log holds rows the file lacks
    _settled(tmp_path)
    assert content_stamp(replica, tmp_path, "enwiki") not in (None, stamps["enwiki"])
    assert content_stamp(replica, tmp_path, "dewiki") == stamps["dewiki"]
