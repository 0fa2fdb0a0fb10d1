"""The demo never overwrites a real database (issue 7 item 3): attacks as a user with bad luck would make them.

Without a target the demo writes only the project's demo/ files, whatever sources are configured. A named
target (DuckDB file, MySQL database, or one per wiki via {dbname}) must be new, empty, or carry the marker of
an earlier demo run; anything else is refused with one line, exit 2, before anything is written or dropped.
The MariaDB cases use throwaway databases almanac_t_<random>_… on 127.0.0.1:3306.
"""

from __future__ import annotations

import hashlib
import secrets
import textwrap
from pathlib import Path

import duckdb
import pymysql
import pytest

from build import demo
from build.demo.replica import replica_dbnames
from tests.conftest import run_build

SCALE = 0.001  # 60 courses: every write here takes a second or two


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def marker_rows(path: Path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(f"SELECT generator, seed, scale FROM {demo.MARKER_TABLE}").fetchall()


def write(root: Path, dashboard: str | None = None, replica: str | None = None, seed: int = 7) -> dict[str, int]:
    return demo.write_demo(
        scale=SCALE, seed=seed, dashboard_url=dashboard, replica_url=replica, root=root, progress=False
    )


# ------------------------------------------------------------------------------------------ DuckDB files


def test_without_a_target_the_demo_writes_the_projects_demo_files_and_marks_them(tmp_path):
    counts = write(tmp_path)
    assert counts["courses"] == 60
    assert sorted(p.name for p in (tmp_path / "demo").iterdir()) == ["dashboard.duckdb", "replica.duckdb"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]
    assert marker_rows(tmp_path / "demo" / "dashboard.duckdb") == [("almanac demo", 7, SCALE)]
    assert marker_rows(tmp_path / "demo" / "replica.duckdb") == [("almanac demo", 7, SCALE)]


def test_a_file_in_the_projects_demo_folder_is_the_demos_own_and_replaced(tmp_path):
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "dashboard.duckdb").write_bytes(b"a half-written file from a killed run")
    write(tmp_path)
    with duckdb.connect(str(tmp_path / "demo" / "dashboard.duckdb"), read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM courses").fetchone()[0] == 60


def someones_database(path: Path, table: str = "orders") -> None:
    with duckdb.connect(str(path)) as connection:
        connection.execute(f"CREATE TABLE {table} (id INTEGER, title VARCHAR)")
        connection.execute(f"INSERT INTO {table} VALUES (1, 'my own data'), (2, 'more of it')")


@pytest.mark.parametrize("table", ["orders", "courses"])  # an unrelated table; a Dashboard-like one
def test_a_duckdb_file_that_is_someones_own_database_is_refused_untouched(tmp_path, table):
    own = tmp_path / "elsewhere" / "mine.duckdb"
    own.parent.mkdir()
    someones_database(own, table)
    before = digest(own)
    with pytest.raises(demo.DemoTargetError) as refused:
        write(tmp_path, dashboard=f"duckdb:///{own}", replica="duckdb:///new-replica.duckdb")
    message = str(refused.value)
    assert str(own) in message and table in message and "Nothing was written" in message
    assert "\n" not in message
    assert digest(own) == before
    assert not (tmp_path / "new-replica.duckdb").exists()  # checked first: not even the other target
    assert sorted(p.name for p in own.parent.iterdir()) == ["mine.duckdb"]  # no temporary file left


def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path):
    settings = tmp_path / "site.toml"
    settings.write_text('[site]\ntitle = "mine"\n', encoding="utf-8")
    with pytest.raises(demo.DemoTargetError, match="not a DuckDB database"):
        write(tmp_path, dashboard="duckdb:///site.toml")  # a typo: the settings file, relative to the project
    assert settings.read_text(encoding="utf-8") == '[site]\ntitle = "mine"\n'
    assert not (tmp_path / "demo").exists()


def test_a_folder_is_refused(tmp_path):
    (tmp_path / "data").mkdir()
    with pytest.raises(demo.DemoTargetError, match="a folder"):
        write(tmp_path, dashboard="duckdb:///data")


def test_an_empty_database_is_accepted_and_marked_and_a_second_run_accepted(tmp_path):
    target = tmp_path / "shared" / "demo-dashboard.duckdb"
    target.parent.mkdir()
    duckdb.connect(str(target)).close()  # an empty DuckDB database
    write(tmp_path, dashboard=f"duckdb:///{target}", replica=f"duckdb:///{tmp_path / 'shared' / 'r.duckdb'}")
    assert marker_rows(target) == [("almanac demo", 7, SCALE)]
    write(tmp_path, dashboard=f"duckdb:///{target}", replica=f"duckdb:///{tmp_path / 'shared' / 'r.duckdb'}", seed=8)
    assert marker_rows(target) == [("almanac demo", 8, SCALE)]


def test_a_marked_database_where_someone_added_a_table_is_refused(tmp_path):
    target = tmp_path / "old-demo.duckdb"
    write(tmp_path, dashboard=f"duckdb:///{target}", replica="duckdb:///r.duckdb")
    with duckdb.connect(str(target)) as connection:
        connection.execute("CREATE TABLE my_notes (note VARCHAR)")
        connection.execute("INSERT INTO my_notes VALUES ('keep me')")
    before = digest(target)
    with pytest.raises(demo.DemoTargetError, match="beside the almanac_demo marker it holds 1 table.*my_notes"):
        write(tmp_path, dashboard=f"duckdb:///{target}", replica="duckdb:///r.duckdb")
    assert digest(target) == before


def test_a_per_wiki_replica_file_holding_foreign_data_stops_every_write(tmp_path):
    wikis = tmp_path / "wikis"
    wikis.mkdir()
    someones_database(wikis / "dewiki.duckdb", "revision")  # a real-looking replica table, no marker
    with pytest.raises(demo.DemoTargetError, match="dewiki.duckdb"):
        write(tmp_path, dashboard="duckdb:///d.duckdb", replica=f"duckdb:///{wikis}/{{dbname}}.duckdb")
    assert sorted(p.name for p in wikis.iterdir()) == ["dewiki.duckdb"]
    assert not (tmp_path / "d.duckdb").exists()


def test_the_same_database_for_both_is_refused(tmp_path):
    with pytest.raises(demo.DemoTargetError, match="named twice"):
        write(tmp_path, dashboard="duckdb:///both.duckdb", replica=f"duckdb:///{tmp_path}/both.duckdb")
    assert not (tmp_path / "both.duckdb").exists()


def test_the_command_refuses_with_one_line_and_exit_2(tmp_path):
    own = tmp_path / "mine.duckdb"
    someones_database(own)
    before = digest(own)
    result = run_build("demo", "--scale", str(SCALE), "--dashboard", f"duckdb:///{own}")
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "refusing to write the demo into" in lines[0] and str(own) in lines[0]
    assert "Traceback" not in result.stderr
    assert digest(own) == before


# ------------------------------------------------------------------------------------------ MariaDB


def admin(server: dict) -> pymysql.Connection:
    return pymysql.connect(autocommit=True, charset="utf8mb4", **server)


def databases_like(server: dict, prefix: str) -> list[str]:
    with admin(server) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE %s ORDER BY 1",
            (prefix.replace("_", "\\_") + "%",),
        )
        return [row[0] for row in cursor.fetchall()]


def snapshot(server: dict, database: str) -> dict[str, tuple]:
    """Every table's definition and rows: what 'left byte-for-byte untouched' compares."""
    with admin(server) as connection, connection.cursor() as cursor:
        cursor.execute(f"SHOW FULL TABLES FROM `{database}`")
        result = {}
        for name, _kind in cursor.fetchall():
            cursor.execute(f"SHOW CREATE TABLE `{database}`.`{name}`")
            definition = cursor.fetchone()[1]
            cursor.execute(f"SELECT * FROM `{database}`.`{name}` ORDER BY 1")
            result[name] = (definition, cursor.fetchall())
        return result


@pytest.fixture
def server_prefix(mariadb_server):
    """A throwaway database prefix almanac_t_<random>_; every database under it is dropped afterwards."""
    prefix = f"almanac_t_{secrets.token_hex(3)}_"
    yield mariadb_server, prefix
    with admin(mariadb_server) as connection, connection.cursor() as cursor:
        for database in databases_like(mariadb_server, prefix):
            cursor.execute(f"DROP DATABASE `{database}`")


def production(server: dict, database: str) -> None:
    """A database as someone's real Dashboard has it: a courses table with rows (and a users table)."""
    with admin(server) as connection, connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{database}`")
        cursor.execute(f"CREATE TABLE `{database}`.courses (id INT PRIMARY KEY, title VARCHAR(255), slug VARCHAR(255))")
        cursor.execute(f"INSERT INTO `{database}`.courses VALUES (1, 'Real course', 'School/Real_course')")
        cursor.execute(f"CREATE TABLE `{database}`.users (id INT PRIMARY KEY, username VARCHAR(255))")
        cursor.execute(f"INSERT INTO `{database}`.users VALUES (1, 'A real person')")


def url(server: dict, database: str, password: str | None = None) -> str:
    user = server["user"] + (f":{password}" if password else "")
    return f"mysql://{user}@{server['host']}:{server['port']}/{database}"


@pytest.mark.mariadb
def test_a_typo_pointing_at_production_is_refused_and_left_untouched(server_prefix, tmp_path):
    server, prefix = server_prefix
    production(server, f"{prefix}dashboard")
    before = snapshot(server, f"{prefix}dashboard")
    with pytest.raises(demo.DemoTargetError) as refused:
        write(
            tmp_path,
            dashboard=url(server, f"{prefix}dashboard"),
            replica=url(server, f"{prefix}{{dbname}}_p"),
        )
    assert f"{prefix}dashboard" in str(refused.value) and "courses" in str(refused.value)
    assert snapshot(server, f"{prefix}dashboard") == before
    assert databases_like(server, prefix) == [f"{prefix}dashboard"]  # no wiki database created either


@pytest.mark.mariadb
def test_a_database_with_one_unrelated_table_is_refused(server_prefix, tmp_path):
    server, prefix = server_prefix
    with admin(server) as connection, connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{prefix}crm`")
        cursor.execute(f"CREATE TABLE `{prefix}crm`.invoices (id INT PRIMARY KEY, total DECIMAL(10, 2))")
        cursor.execute(f"INSERT INTO `{prefix}crm`.invoices VALUES (1, 99.50)")
    before = snapshot(server, f"{prefix}crm")
    with pytest.raises(demo.DemoTargetError, match="invoices"):
        write(tmp_path, dashboard=url(server, f"{prefix}crm"), replica="duckdb:///r.duckdb")
    assert snapshot(server, f"{prefix}crm") == before
    assert not (tmp_path / "r.duckdb").exists()


@pytest.mark.mariadb
def test_an_empty_database_is_accepted_and_marked_and_a_second_run_succeeds(server_prefix, tmp_path):
    server, prefix = server_prefix
    with admin(server) as connection, connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{prefix}empty`")
    write(tmp_path, dashboard=url(server, f"{prefix}empty"), replica="duckdb:///r.duckdb")
    tables = snapshot(server, f"{prefix}empty")
    assert tables[demo.MARKER_TABLE][1] == (("almanac demo", 1, 7, SCALE),)
    assert len(tables["courses"][1]) == 60
    counts = write(tmp_path, dashboard=url(server, f"{prefix}empty"), replica="duckdb:///r.duckdb", seed=9)
    again = snapshot(server, f"{prefix}empty")
    assert again[demo.MARKER_TABLE][1] == (("almanac demo", 1, 9, SCALE),)
    assert len(again["courses"][1]) == counts["courses"] == 60


@pytest.mark.mariadb
def test_a_new_database_is_created_with_the_marker(server_prefix, tmp_path):
    server, prefix = server_prefix
    write(tmp_path, dashboard=url(server, f"{prefix}new"), replica="duckdb:///r.duckdb")
    assert snapshot(server, f"{prefix}new")[demo.MARKER_TABLE][1] == (("almanac demo", 1, 7, SCALE),)


@pytest.mark.mariadb
def test_a_replica_wiki_database_holding_foreign_tables_stops_before_any_wiki_is_written(server_prefix, tmp_path):
    server, prefix = server_prefix
    with admin(server) as connection, connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{prefix}dewiki_p`")  # a copy of a real replica, say
        cursor.execute(f"CREATE TABLE `{prefix}dewiki_p`.revision (rev_id INT PRIMARY KEY, rev_page INT)")
        cursor.execute(f"CREATE TABLE `{prefix}dewiki_p`.watchlist (wl_id INT PRIMARY KEY)")
        cursor.execute(f"INSERT INTO `{prefix}dewiki_p`.revision VALUES (1, 1)")
    before = snapshot(server, f"{prefix}dewiki_p")
    assert "dewiki" in replica_dbnames()
    with pytest.raises(demo.DemoTargetError, match=f"{prefix}dewiki_p"):
        write(tmp_path, dashboard=url(server, f"{prefix}dashboard"), replica=url(server, f"{prefix}{{dbname}}_p"))
    assert databases_like(server, prefix) == [f"{prefix}dewiki_p"]  # not the dashboard, not enwiki (first)
    assert snapshot(server, f"{prefix}dewiki_p") == before


@pytest.mark.mariadb
def test_a_wrong_password_is_never_printed(server_prefix, tmp_path):
    server, prefix = server_prefix
    with pytest.raises(demo.DemoTargetError) as refused:
        write(tmp_path, dashboard=url(server, f"{prefix}x", password="Sup3r-Secret"), replica="duckdb:///r.duckdb")
    assert "Sup3r-Secret" not in str(refused.value) and "***" in str(refused.value)
    assert databases_like(server, prefix) == []


@pytest.mark.mariadb
def test_the_command_with_mysql_sources_configured_writes_only_demo_files(server_prefix, tmp_path):
    server, prefix = server_prefix
    production(server, f"{prefix}dashboard")
    before = snapshot(server, f"{prefix}dashboard")
    settings = tmp_path / "site.toml"
    settings.write_text(
        textwrap.dedent(
            f"""\
            [sources.dashboard]
            url = "{url(server, f"{prefix}dashboard")}"

            [sources.replica]
            url = "{url(server, f"{prefix}{{dbname}}_p")}"
            """
        ),
        encoding="utf-8",
    )
    result = run_build(
        "--config",
        str(settings),
        "--source",
        f"dashboard={url(server, f'{prefix}dashboard')}",
        "demo",
        "--scale",
        str(SCALE),
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "demo").iterdir()) == ["dashboard.duckdb", "replica.duckdb"]
    assert snapshot(server, f"{prefix}dashboard") == before
    assert databases_like(server, prefix) == [f"{prefix}dashboard"]
