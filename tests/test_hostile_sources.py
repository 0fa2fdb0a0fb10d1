"""Hostile sources: a password never reaches any output, whatever characters it holds, and no
connection to a source can write (issue 7 items 1 and 4).

The builds run `python build.py` as a user would, with the password on the command line, and
then read every byte the build produced: stdout, stderr, the output folder and the state folder.
The write attempts run on a real DuckDB file and on the real MariaDB server (tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import urllib.parse
from pathlib import Path

import pymysql
import pytest

from build.config import SourceSettings
from build.sources import SourceError, held_open, open_source, parse_url, redact, strip_credentials
from tests.conftest import AS_OF, MARIADB, cache_setting, run_build

ROOT = Path(__file__).resolve().parents[1]
FRAGMENTS = ("Sekr1t", "Qz7Wd9")  # both halves of every test password: a half-leak is a leak
SERVER = "127.0.0.1:3306"


def password_with(middle: str) -> str:
    return f"{FRAGMENTS[0]}{middle}{FRAGMENTS[1]}"


# (case id, URL, the password the URL means, or None when the URL is refused before it is used)
CASES = [
    *[
        (f"raw {char!r}", f"mysql://almanac_nobody:{password_with(char)}@{SERVER}/almanac_nodb", password_with(char))
        for char in "/?#@:%[] +&=;"
    ],
    ("unicode", f"mysql://almanac_nobody:{password_with('зä🙂')}@{SERVER}/almanac_nodb", password_with("зä🙂")),
    ("many @ and /", f"mysql://almanac_nobody:{password_with('@x/y@')}@{SERVER}/almanac_nodb", password_with("@x/y@")),
    ("%2F", f"mysql://almanac_nobody:{password_with('%2F')}@{SERVER}/almanac_nodb", password_with("/")),
    ("%40", f"mysql://almanac_nobody:{password_with('%40')}@{SERVER}/almanac_nodb", password_with("@")),
    ("%25 and %3A", f"mysql://almanac_nobody:{password_with('%25%3A')}@{SERVER}/almanac_nodb", password_with("%:")),
    ("password = user", f"mysql://almanac_{FRAGMENTS[1]}:almanac_{FRAGMENTS[1]}@{SERVER}/d", f"almanac_{FRAGMENTS[1]}"),
    ("in the query string", f"mysql://almanac_nobody@{SERVER}/d?password={password_with('/')}", None),
    (
        "in an option-file path's query",
        f"mysql://almanac_nobody@{SERVER}/d?option_file=/nonexistent/my.cnf?password={password_with('&')}",
        None,
    ),
    ("{dbname} URL", f"mysql://almanac_nobody:{password_with('/')}@{SERVER}/{{dbname}}_p", password_with("/")),
    ("no host after '@'", f"mysql://almanac_nobody:{password_with('/')}@bad host/d", None),
    ("'@' forgotten", f"mysql://almanac_nobody:{password_with('/')}/almanac_nodb", None),
    ("unknown scheme", f"mysq://almanac_nobody:{password_with('/')}@{SERVER}/d", None),
    ("no scheme", f"almanac_nobody:{password_with('/')}@{SERVER}/d", None),
]
IDS = [case[0] for case in CASES]


def assert_no_secret(text: str, where: str) -> None:
    for fragment in FRAGMENTS:
        assert fragment not in text, f"{fragment!r} leaked into {where}:\n{text[:2000]}"


def assert_no_secret_in_folder(folder: Path) -> int:
    """Every file under `folder`, read as bytes; returns how many files were read."""
    count = 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for fragment in FRAGMENTS:
            assert fragment.encode() not in data, f"{fragment!r} leaked into {path}"
        count += 1
    return count


# --- the URL on its own -----------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "url", "password"), CASES, ids=IDS)
def test_the_password_is_stripped_before_anything_reads_the_url(case, url, password):
    assert_no_secret(redact(url), "redact")
    assert_no_secret(repr(strip_credentials(url)), "repr")
    try:
        parsed = parse_url(url, ROOT)
    except SourceError as error:
        assert password is None, f"{case}: a good URL was refused: {error}"
        assert_no_secret(str(error), "the error")
        return
    assert password is not None, f"{case}: a URL that cannot be used was accepted"
    assert parsed.password == password
    assert parsed.host == "127.0.0.1" and parsed.port == 3306
    assert_no_secret(repr(parsed), "repr")


def test_an_empty_password_is_a_password():
    parsed = parse_url(f"mysql://root:@{SERVER}/d", ROOT)
    assert (parsed.user, parsed.password, parsed.host) == ("root", "", "127.0.0.1")
    assert redact(f"mysql://root:@{SERVER}/d") == f"mysql://root:***@{SERVER}/d"


def test_an_at_sign_in_an_option_file_path_is_not_taken_for_credentials():
    parsed = parse_url("mysql://u:pw@h/db?option_file=/home/me@work/my.cnf", ROOT)
    assert (parsed.host, parsed.database, parsed.password) == ("h", "db", "pw")
    assert parsed.options == {"option_file": "/home/me@work/my.cnf"}


# --- end to end: the build prints and writes no password ------------------------------------------------


def isolated_site(tmp_path: Path, queries: Path, cache: Path | None = None) -> Path:
    """A site.toml whose output, state folder and lock all live under `tmp_path`; its cache too, unless `cache`
    names another (the session's, tests/conftest.py `build_cache`, where the content check is done once, not
    in every case; the tests then read it for the password as they read `tmp_path`)."""
    config = tmp_path / "site.toml"
    text = f'[build]\nqueries = "{queries}"\nstate_dir = "state"\nout = "site"\n'
    text += cache_setting(cache) if cache else ""
    config.write_text(text, encoding="utf-8")
    return config


@pytest.mark.parametrize(("case", "url", "password"), CASES, ids=IDS)
def test_a_build_with_a_password_in_the_source_url_never_shows_it(tmp_path, build_cache, case, url, password):
    config = isolated_site(tmp_path, ROOT / "queries", build_cache)
    result = run_build("--config", str(config), "--as-of", AS_OF, "--source", f"dashboard={url}", cwd=tmp_path)
    assert result.returncode == 2, result.stderr  # every query reads the dashboard: nothing published
    assert "Traceback" not in result.stderr
    assert "dashboard" in result.stderr  # the failure is explained ...
    assert_no_secret(result.stdout, "stdout")
    assert_no_secret(result.stderr, "stderr")  # ... without the password
    assert_no_secret_in_folder(tmp_path)  # the site (if any), the state folder, the lock
    assert_no_secret_in_folder(build_cache)  # and the cache it used


def test_a_published_site_and_its_status_hold_no_password(tmp_path, demo_sources):
    """The demo published with three sources down: their status entries, the status page and every
    page and data file are read for the password, and so is the state folder."""
    dashboard, _, _ = demo_sources
    queries = tmp_path / "queries"
    shutil.copytree(ROOT / "queries", queries)
    probe = '/*\ntitle = "Probe"\ndescription = "One row."\nsource = "{source}"\nsort = ["n"]\n[columns]\n'
    probe += 'n = {{ type = "integer", description = "A number." }}\n*/\nSELECT 1 AS n\n'
    leaky = {
        "leak_slash": f"mysql://almanac_nobody:{password_with('/')}@{SERVER}/almanac_nodb",
        "leak_encoded": f"mysql://almanac_nobody:{password_with('%2F%40')}@{SERVER}/almanac_nodb",
        "leak_same": f"mysql://almanac_{FRAGMENTS[1]}:almanac_{FRAGMENTS[1]}@{SERVER}/almanac_nodb",
    }
    for name in leaky:
        (queries / f"probe_{name}.sql").write_text(probe.format(source=name), encoding="utf-8")
    replica = f"mysql://almanac_nobody:{password_with('@/?')}@{SERVER}/{{dbname}}_p"  # one URL per wiki
    arguments = ["--source", f"dashboard={dashboard}", "--source", f"replica={replica}"]
    for name, url in leaky.items():
        arguments += ["--source", f"{name}={url}"]
    result = run_build("--config", str(isolated_site(tmp_path, queries)), "--as-of", AS_OF, *arguments, cwd=tmp_path)
    assert result.returncode == 1, result.stderr  # published, with the probes and retention stale
    assert_no_secret(result.stdout + result.stderr, "the console")
    assert assert_no_secret_in_folder(tmp_path) > 30  # pages, data files, status, state
    status = json.loads((tmp_path / "site" / "status.json").read_text(encoding="utf-8"))
    entries = {source["name"]: source for source in status["sources"]}
    assert all("url" not in entry for entry in entries.values()), "status.json names no source address"
    assert {entries[name]["status"] for name in leaky} == {"down"}
    assert entries["leak_slash"]["error"].startswith("source unreachable [error ")
    wikis = entries["replica"]["wikis"]
    assert wikis and all(wiki["status"] == "down" and "url" not in wiki for wiki in wikis.values())


# --- no connection can write ----------------------------------------------------------------------------


WRITES = [
    "INSERT INTO items VALUES (99, 'new')",
    "UPDATE items SET name = 'changed'",
    "DELETE FROM items",
    "DROP TABLE items",
    "CREATE TABLE copy_of_items AS SELECT * FROM items",
    "ALTER TABLE items ADD COLUMN extra INTEGER",
]


@pytest.fixture
def duckdb_file(tmp_path):
    import duckdb

    with duckdb.connect(str(tmp_path / "source.duckdb")) as raw:
        raw.execute("CREATE TABLE items (id INTEGER, name VARCHAR); INSERT INTO items VALUES (1, 'one'), (2, 'two')")
    (tmp_path / "secret.csv").write_text("token\nhunter22\n", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    "statement",
    [
        *WRITES,
        "CREATE SCHEMA other",
        "SELECT * FROM read_csv('secret.csv')",
        "SELECT * FROM 'secret.csv'",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM glob('/*')",
        "COPY items TO 'stolen.csv'",
        "ATTACH 'other.duckdb' AS other",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET enable_external_access = true",
        "SET TimeZone = 'Europe/Paris'",
    ],
)
@pytest.mark.parametrize("held", [False, True], ids=["alone", "joining-a-held-file"])
def test_a_duckdb_source_cannot_write_or_reach_files(duckdb_file, monkeypatch, statement, held):
    """Also a connection that joins the database another one holds open (`held_open`, a wiki of a per-wiki
    source): it inherits the locked configuration and UTC, it does not set them."""
    monkeypatch.chdir(duckdb_file)  # relative file names resolve next to the database
    before = sorted(p.name for p in duckdb_file.iterdir())
    source = SourceSettings("dashboard", "duckdb:///source.duckdb")
    with contextlib.ExitStack() as holding:
        if held:
            holding.enter_context(held_open(source, duckdb_file, statement_timeout=600))
        connection = holding.enter_context(open_source(source, duckdb_file))
        with pytest.raises(Exception) as raised:
            connection.execute(statement)
        assert "hunter22" not in str(raised.value)
        assert connection.execute("SELECT id, name FROM items ORDER BY id")[1] == [(1, "one"), (2, "two")]
        assert connection.execute("SELECT current_setting('TimeZone')")[1] == [("UTC",)]
    assert sorted(p.name for p in duckdb_file.iterdir()) == before  # no file written, none attached


@pytest.fixture
def mariadb_items(mariadb_server):
    database = f"almanac_t_{secrets.token_hex(4)}"
    admin = pymysql.connect(autocommit=True, **MARIADB)
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{database}`")
            cursor.execute(f"CREATE TABLE `{database}`.items (id INT PRIMARY KEY, name VARCHAR(20))")
            cursor.execute(f"INSERT INTO `{database}`.items VALUES (1, 'one'), (2, 'two')")
        yield database
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{database}`")
            cursor.execute("DROP DATABASE IF EXISTS almanac_t_written")
        admin.close()


@pytest.fixture(params=["mysqlclient", "pymysql"])
def driver(request, monkeypatch):
    if request.param == "mysqlclient":
        pytest.importorskip("MySQLdb", reason="mysqlclient is not installed")
        monkeypatch.delenv("ALMANAC_MYSQL_DRIVER", raising=False)
    else:
        monkeypatch.setenv("ALMANAC_MYSQL_DRIVER", "pymysql")
    return request.param


@pytest.mark.mariadb
@pytest.mark.parametrize(
    "statement",
    [*WRITES, "CREATE TEMPORARY TABLE scratch (id INT)", "CREATE DATABASE almanac_t_written", "TRUNCATE items"],
)
def test_a_mariadb_source_cannot_write(mariadb_items, driver, statement):
    source = SourceSettings("dashboard", f"mysql://root@{SERVER}/{mariadb_items}")
    with open_source(source, ROOT) as connection:
        assert connection.driver.__name__ == ("pymysql" if driver == "pymysql" else "MySQLdb")
        with pytest.raises(connection.driver.Error) as raised:
            connection.execute(statement)
        assert raised.value.args[0] == 1792  # "Cannot execute statement in a READ ONLY transaction"
        # (A session could turn itself back with SET SESSION TRANSACTION READ WRITE: no query file
        # can say it, see tests/test_hostile_queries.py, and the build runs nothing else.)
        connection.reconnect()  # a new session after a lost connection is read only too
        assert connection.execute("SELECT @@session.tx_read_only")[1] == [(1,)]
        with pytest.raises(connection.driver.Error):
            connection.execute(statement)
        assert connection.execute("SELECT id, name FROM items ORDER BY id")[1] == [(1, "one"), (2, "two")]


@pytest.mark.mariadb
def test_only_an_explicit_flag_opens_a_writable_session(mariadb_items, driver):
    source = SourceSettings("dashboard", f"mysql://root@{SERVER}/{mariadb_items}")
    with open_source(source, ROOT, read_only=False) as connection:  # tests and benchmarks set data up
        connection.execute("INSERT INTO items VALUES (3, 'three')")
    with open_source(source, ROOT) as connection:
        assert connection.execute("SELECT COUNT(*) FROM items")[1] == [(3,)]


@pytest.mark.mariadb
@pytest.mark.parametrize("middle", ["/", "@", "#?", " ", "%2F", "'\""])
def test_a_wrong_password_from_the_server_is_named_without_it(mariadb_server, driver, middle):
    url = f"mysql://root:{password_with(middle)}@{SERVER}/mysql"
    with pytest.raises(SourceError) as raised:
        open_source(SourceSettings("dashboard", url), ROOT)
    message = str(raised.value)
    assert "(1045) Access denied for user 'root'" in message and "\n" not in message
    assert_no_secret(message, "the error")


@pytest.mark.mariadb
def test_an_empty_password_connects(mariadb_server, driver):
    with open_source(SourceSettings("dashboard", f"mysql://root:@{SERVER}/mysql"), ROOT) as connection:
        assert connection.execute("SELECT 1 AS one")[1] == [(1,)]


def test_a_password_beyond_latin_1_connects_as_the_mariadb_client_does(mariadb_server):
    """pymysql would send a str password as latin-1 and fail before connecting; the build sends UTF-8."""
    secret = password_with("зä🙂")
    admin = pymysql.connect(autocommit=True, **MARIADB)
    try:
        with admin.cursor() as cursor:
            cursor.execute("CREATE USER 'almanac_utf8'@'%%' IDENTIFIED BY %s", (secret,))
            cursor.execute("GRANT SELECT ON test.* TO 'almanac_utf8'@'%'")
        url = f"mysql://almanac_utf8:{urllib.parse.quote(secret, safe='')}@{SERVER}/test"
        connection = open_source(SourceSettings("dashboard", url), ROOT)
        assert connection.execute("SELECT CURRENT_USER() AS who")[1] == [("almanac_utf8@%",)]
    finally:
        with admin.cursor() as cursor:
            cursor.execute("DROP USER IF EXISTS 'almanac_utf8'@'%'")
        admin.close()
