"""Hostile failures (issue 7, items 2, 7 and 11): what a failure may show, and where it stops.

- A database error quoting a person's email, and the internal host, user and database, reach
  no file of the site, not stdout, not stderr: only the state folder's error file (mode 0600).
- inf, a NUL byte or invalid UTF-8 in one dataset make that dataset stale, named with its
  column and first row; every other dataset is published fresh (exit 1); no NUL reaches a file.
- A folder the build cannot write (read-only, full) is one line naming it, exit 2.

Each build adds its own queries to the demo's, on a source of their own, as a user with bad
luck (or a hostile value in the data) would.
"""

from __future__ import annotations

import dataclasses
import decimal
import errno
import json
import math
import os
import pathlib
import re
import secrets
import shutil
import stat
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import AS_OF, ROOT, run_build

from build import failures
from build.datasets import Column, DataProblem, Dataset
from build.normalize import SchemaError

SECRET_EMAIL = "secret.person@example.org"
HEADER = """/*
title = "{title}"
description = "A hostile test dataset."
source = "{source}"
sort = ["id"]

[columns]
id = {{ type = "integer", description = "Row id." }}
{columns}
*/
"""


def add_query(queries: Path, name: str, source: str, columns: str, sql: str) -> None:
    text = HEADER.format(title=name.replace("_", " ").title(), source=source, columns=columns) + sql + "\n"
    (queries / f"{name}.sql").write_text(text, encoding="utf-8")


def project(tmp_path: Path, toml: str = "") -> tuple[Path, Path]:
    """A site.toml reading a copy of the demo's queries; returns (site.toml, queries folder)."""
    queries = tmp_path / "queries"
    shutil.copytree(ROOT / "queries", queries)
    (tmp_path / "site.toml").write_text(f'[build]\nqueries = "{queries}"\n{toml}', encoding="utf-8")
    return tmp_path / "site.toml", queries


def build(demo_sources, config: Path, out: Path, *sources: str, extra: tuple[str, ...] = ()):
    dashboard, replica, _ = demo_sources
    arguments = ["--config", str(config), "--as-of", AS_OF, "--out", str(out), *extra]
    for source in (f"dashboard={dashboard}", f"replica={replica}", *sources):
        arguments += ["--source", source]
    return run_build(*arguments)


def everything_written(out: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def status_of(out: Path) -> dict[str, dict]:
    document = json.loads((out / "status.json").read_text(encoding="utf-8"))
    return {d["name"]: d for d in document["datasets"]}


def error_file(config: Path, public_error: str) -> Path:
    error_id = re.search(r"\[error ([0-9a-f]{8})\]", public_error).group(1)
    return config.parent / ".almanac" / "errors" / f"{error_id}.txt"


# --- item 2: database errors are never published verbatim --------------------------------------


@pytest.fixture
def leaky_duckdb(tmp_path):
    """A DuckDB source whose query fails with a conversion error quoting an email."""
    path = tmp_path / f"people_{secrets.token_hex(4)}.duckdb"
    connection = duckdb.connect(str(path))
    connection.execute("CREATE TABLE people (id INTEGER, email VARCHAR)")
    connection.execute("INSERT INTO people VALUES (1, ?)", [SECRET_EMAIL])
    connection.close()
    sql = "SELECT id, CAST(email AS SIGNED) AS score FROM people"
    return f"people=duckdb:///{path}", sql, {"database": path.name}


@pytest.fixture
def leaky_mariadb(mariadb_server):
    """A MariaDB database and user of their own, whose query fails quoting an email. (The XPATH errors that
    quote a value read from a table are refused by the query allow-list, so the server's own words
    quote the email from the query text: an unknown column named like it.)"""
    import pymysql

    database, user = f"almanac_t_{secrets.token_hex(4)}", f"almanac_u_{secrets.token_hex(3)}"
    password = secrets.token_hex(8)
    admin = pymysql.connect(autocommit=True, **mariadb_server)
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4")
        cursor.execute(f"CREATE TABLE `{database}`.people (id INT PRIMARY KEY, email VARCHAR(100))")
        cursor.execute(f"INSERT INTO `{database}`.people VALUES (1, %s)", (SECRET_EMAIL,))
        cursor.execute(f"CREATE USER '{user}'@'%%' IDENTIFIED BY %s", (password,))
        cursor.execute(f"GRANT SELECT ON `{database}`.* TO '{user}'@'%'")
    sql = f"SELECT id, `{SECRET_EMAIL}` AS score FROM people"
    url = f"people=mysql://{user}:{password}@127.0.0.1:3306/{database}"
    yield url, sql, {"database": database, "user": user, "host": "127.0.0.1", "password": password}
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{database}`")
        cursor.execute(f"DROP USER IF EXISTS '{user}'@'%'")
    admin.close()


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def test_a_database_error_quoting_an_email_reaches_only_the_state_folder(engine, demo_sources, tmp_path, request):
    source, sql, private = request.getfixturevalue(f"leaky_{engine}")
    config, queries = project(tmp_path)
    add_query(queries, "leaky", "people", 'score = { type = "integer", description = "A score." }', sql)
    out = tmp_path / "site"
    result = build(demo_sources, config, out, source)
    assert result.returncode == 1, result.stderr

    secrets_ = {"email": SECRET_EMAIL, **private}
    for name, value in secrets_.items():
        assert value not in result.stdout and value not in result.stderr, f"the {name} is on the console"
        for path, content in everything_written(out).items():
            assert value.encode() not in content, f"the {name} is in {path}"

    leaky = status_of(out)["leaky"]
    assert leaky["status"] == "missing" and leaky["error"].startswith("query failed [error ")
    # The console says what failed, where the full error is and its id.
    error_id = leaky["error"][-9:-1]
    assert f'"leaky": query failed (see {tmp_path}/.almanac/errors/{error_id}.txt, id {error_id})' in result.stderr
    assert status_of(out)["campaigns"]["status"] == "fresh"

    path = error_file(config, leaky["error"])
    text = path.read_text(encoding="utf-8")
    for name, value in secrets_.items():
        if name != "password":
            assert value in text, f"the {name} is missing from the private error file"
    assert private.get("password", "no password") not in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


@pytest.mark.mariadb
def test_an_unreachable_server_names_no_host_user_or_database(mariadb_server, demo_sources, tmp_path):
    user, database = f"almanac_u_{secrets.token_hex(3)}", f"almanac_t_{secrets.token_hex(4)}"
    config, queries = project(tmp_path)
    add_query(queries, "leaky", "people", 'score = { type = "integer", description = "A score." }', "SELECT 1 AS id")
    # No such user: the server's refusal names the user, the host and the database.
    result = build(demo_sources, config, tmp_path / "site", f"people=mysql://{user}:pw@127.0.0.1:3306/{database}")
    assert result.returncode == 1, result.stderr
    written = b"".join(everything_written(tmp_path / "site").values()).decode("utf-8")
    for value in (user, database):
        assert value not in result.stdout + result.stderr + written
    assert "127.0.0.1" not in result.stderr + written
    assert status_of(tmp_path / "site")["leaky"]["error"].startswith("source unreachable [error ")
    people = next(
        s for s in json.loads((tmp_path / "site" / "status.json").read_text())["sources"] if s["name"] == "people"
    )
    assert people["status"] == "down" and "url" not in people
    text = error_file(config, people["error"]).read_text(encoding="utf-8")
    # 1045 through pymysql, 1698 through mysqlclient (libmariadb): both an access denied, in the file only
    assert user in text and database in text and ("(1045)" in text or "(1698)" in text)


def test_a_failure_prints_only_its_public_text_and_its_file_is_owner_only(tmp_path):
    detail = f"(1062) Duplicate entry '{SECRET_EMAIL}' for key 'email' [mysql://almanac@db.internal:3306/dashboard]"
    failure = failures.Failure(failures.QUERY_FAILED, "wikis", detail=detail)
    for shown in (str(failure), repr(failure), failure.public, f"{failure}", failures.as_failure(failure, "x").public):
        assert SECRET_EMAIL not in shown and "db.internal" not in shown
    assert re.fullmatch(r"query failed \[error [0-9a-f]{8}\]", failure.public)
    assert failures.as_failure(detail, "wikis").kind == failures.QUERY_FAILED  # a plain message from old code
    with pytest.raises(ValueError, match="unknown failure kind"):
        failures.Failure("oops", "wikis", detail="")

    path = failures.save(failure, tmp_path / "state")
    assert SECRET_EMAIL in path.read_text(encoding="utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    path.chmod(0o644)  # an older file of the same id is narrowed again when rewritten
    failures.save(failure, tmp_path / "state")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_only_the_newest_error_files_are_kept(tmp_path):
    folder = tmp_path / "errors"
    folder.mkdir()
    for age in range(6):
        path = folder / f"{age:08x}.txt"
        path.write_text("x")
        os.utime(path, (1_000_000 - age, 1_000_000 - age))  # 00000000 is the newest
    failures.prune(folder, keep=3)
    assert sorted(p.name for p in folder.iterdir()) == ["00000000.txt", "00000001.txt", "00000002.txt"]


# --- item 7: one bad value stops only its dataset ----------------------------------------------


ODD = Dataset(
    "odd",
    "Odd",
    "Hostile values.",
    (Column("key", "string", "Key."), Column("share", "number", "A share."), Column("count", "integer", "A count.")),
    ("key",),
    "queries/odd.sql",
)


@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        ("share", float("inf"), "a number that is not finite (inf or NaN)"),
        ("share", float("-inf"), "a number that is not finite (inf or NaN)"),
        ("share", "NaN", "a number that is not finite (inf or NaN)"),
        ("share", "-Infinity", "a number that is not finite (inf or NaN)"),
        ("share", decimal.Decimal("NaN"), "a number that is not finite (inf or NaN)"),
        ("share", decimal.Decimal("1e400"), "a number out of range"),
        ("share", SECRET_EMAIL, "a value that is not a number"),
        ("count", float("inf"), "a number that is not finite (inf or NaN)"),
        ("count", 10**30, "a number out of range"),
        ("count", decimal.Decimal("-1e19"), "a number out of range"),
        ("key", "a\x00b", "a NUL byte"),
        ("key", b"\xff\xfe", "text that is not valid UTF-8"),
        ("key", "\udc80", "text that is not valid UTF-8"),
    ],
)
def test_a_value_that_cannot_be_published_is_a_data_problem_naming_column_and_row(column, value, problem):
    rows = [{"key": "first", "share": 1.5, "count": 1}, {"key": "second", "share": 2.5, "count": 2}]
    rows[1][column] = value
    with pytest.raises(DataProblem) as caught:
        ODD.with_frame(pd.DataFrame(rows))
    key = "second" if column != "key" else value
    assert caught.value.public_note == f"column {column!r} holds {problem}, first in row key={key!r}"
    assert SECRET_EMAIL not in caught.value.public_note and "\x00" not in caught.value.public_note
    assert "queries/odd.sql" in str(caught.value) and "'odd'" in str(caught.value)
    # An unpublished dataset's keys are not public: its note points to the error file instead.
    with pytest.raises(DataProblem) as unpublished:
        dataclasses.replace(ODD, publish=False).with_frame(pd.DataFrame(rows))
    assert unpublished.value.public_note.endswith("its row key is in the error file")


@pytest.mark.parametrize("nullable", [False, True])
def test_a_bigint_unsigned_beyond_int64_is_out_of_range_not_wrapped(nullable):
    """A driver gives BIGINT UNSIGNED 2^63 as a uint64 column (UInt64 beside a NULL): refused, never
    published as -2^63."""
    values = [1, 2**63] + ([None] if nullable else [])
    frame = pd.DataFrame({"key": ["a", "b", "c"][: len(values)], "share": 0.5, "count": pd.array(values)})
    assert frame["count"].dtype.kind == "u"
    with pytest.raises(DataProblem) as caught:
        ODD.with_frame(frame)
    assert caught.value.public_note == "column 'count' holds a number out of range, first in row key='b'"


def test_a_negative_number_that_rounds_to_zero_is_published_as_zero():
    frame = pd.DataFrame({"key": ["a", "b", "c"], "share": [-1e-7, decimal.Decimal("-0E-9"), -0.0], "count": 1})
    shares = ODD.with_frame(frame).frame["share"].tolist()
    assert shares == [0.0, 0.0, 0.0] and all(math.copysign(1, share) == 1 for share in shares)


def test_a_declared_column_that_the_result_names_twice_is_a_schema_error():
    frame = pd.DataFrame([["a", 0.5, 1, 2]], columns=["key", "share", "count", "count"])
    with pytest.raises(SchemaError, match="more than one column named 'count'.*with AS"):
        ODD.with_frame(frame)
    extra = pd.DataFrame([["a", 0.5, 1, 2, 3]], columns=["key", "share", "count", "spare", "spare"])
    assert ODD.with_frame(extra).records() == [{"key": "a", "share": 0.5, "count": 1}]  # undeclared: dropped


def test_missing_values_are_not_data_problems():
    frame = pd.DataFrame([{"key": "a", "share": float("nan"), "count": None}, {"key": None, "share": None, "count": 3}])
    assert ODD.with_frame(frame).records() == [
        {"key": None, "share": None, "count": 3},
        {"key": "a", "share": None, "count": None},
    ]


def write_odd(path: Path, bad: bool) -> None:
    """Four tables: three that hold a hostile value when `bad` (inf, NUL, invalid UTF-8), one fine."""
    path.unlink(missing_ok=True)
    connection = duckdb.connect(str(path))
    number = "'inf'::DOUBLE" if bad else "1.5"
    text = "'a' || chr(0) || 'b'" if bad else "'ab'"
    blob = "'\\xFF\\xFE'::BLOB" if bad else "'ok'::BLOB"
    connection.execute(f"CREATE TABLE numbers AS SELECT 7 AS id, {number} AS share UNION ALL SELECT 8, 2.5")
    connection.execute(f"CREATE TABLE texts AS SELECT 7 AS id, {text} AS label")
    connection.execute(f"CREATE TABLE blobs AS SELECT 7 AS id, {blob} AS label")
    connection.execute("CREATE TABLE fine AS SELECT 7 AS id, 'fine' AS label")
    connection.close()


def test_inf_nul_and_invalid_utf8_make_only_their_datasets_stale(demo_sources, tmp_path):
    config, queries = project(tmp_path)
    share = 'share = { type = "number", description = "A share." }'
    label = 'label = { type = "string", description = "A label." }'
    add_query(queries, "odd_numbers", "odd", share, "SELECT id, share FROM numbers")
    add_query(queries, "odd_texts", "odd", label, "SELECT id, label FROM texts")
    add_query(queries, "odd_bytes", "odd", label, "SELECT id, label FROM blobs")
    add_query(queries, "odd_fine", "odd", label, "SELECT id, label FROM fine")
    database, out = tmp_path / "odd.duckdb", tmp_path / "site"
    write_odd(database, bad=False)
    assert build(demo_sources, config, out, f"odd=duckdb:///{database}").returncode == 0
    before = everything_written(out / "data")

    write_odd(database, bad=True)
    result = build(demo_sources, config, out, f"odd=duckdb:///{database}")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    status = status_of(out)
    expected = {
        "odd_numbers": "column 'share' holds a number that is not finite (inf or NaN), first in row id=7",
        "odd_texts": "column 'label' holds a NUL byte, first in row id=7",
        "odd_bytes": "column 'label' holds text that is not valid UTF-8, first in row id=7",
    }
    for name, note in expected.items():
        assert status[name]["status"] == "stale", name
        assert status[name]["error"].startswith(f"data problem ({note})"), status[name]["error"]
        assert f'"{name}": data problem ({note})' in result.stderr
        for kind in ("csv", "json"):  # its last published files are kept
            path = out / "data" / "v1" / f"{name}.{kind}"
            assert path.read_bytes() == before[str(path)]
    assert status["odd_fine"]["status"] == "fresh"
    assert all(status[name]["status"] == "fresh" for name in ("campaigns", "courses", "wikis", "system_totals"))
    for path, content in everything_written(out).items():
        assert b"\x00" not in content, f"a NUL byte reached {path}"
    for path in (tmp_path / ".almanac" / "errors").iterdir():
        assert b"\x00" not in path.read_bytes()


# --- item 11: a folder that cannot be written ---------------------------------------------------


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def test_an_unwritable_output_folder_is_one_line_and_exit_2(demo_sources, tmp_path):
    config, _ = project(tmp_path)
    out = Path("/sys/almanac-test-out") / "site"  # sysfs: not writable even by root
    result = build(demo_sources, config, out, extra=("-q",))
    assert result.returncode == 2
    assert "/sys/almanac-test-out" in one_line(result.stderr)


def test_an_unwritable_state_folder_is_one_line_and_exit_2(demo_sources, tmp_path):
    config, queries = project(tmp_path, toml='state_dir = "/sys/almanac-test-state"\n')
    add_query(queries, "broken", "dashboard", "", "SELECT id FROM no_such_table")
    result = build(demo_sources, config, tmp_path / "site", extra=("-q",))
    assert result.returncode == 2
    assert "/sys/almanac-test-state" in one_line(result.stderr)
    assert "no_such_table" not in result.stderr


def test_a_full_disk_while_publishing_is_one_line_exit_2_and_the_site_unchanged(demo_sources, tmp_path, monkeypatch):
    from importlib import util

    config, _ = project(tmp_path)
    out = tmp_path / "site"
    assert build(demo_sources, config, out).returncode == 0
    before = everything_written(out)

    spec = util.spec_from_file_location("almanac_cli", ROOT / "build.py")
    cli_module = util.module_from_spec(spec)
    spec.loader.exec_module(cli_module)
    real_write_bytes = pathlib.Path.write_bytes

    def full_disk(self, data):  # every file the build writes (status.json always changes)
        if Path(self).is_relative_to(tmp_path):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return real_write_bytes(self, data)

    monkeypatch.setattr(pathlib.Path, "write_bytes", full_disk)
    dashboard, replica, _ = demo_sources
    arguments = ["--config", str(config), "--as-of", AS_OF, "--out", str(out), "-q"]
    arguments += ["--source", f"dashboard={dashboard}", "--source", f"replica={replica}"]
    result = CliRunner().invoke(cli_module.cli, arguments)
    assert result.exit_code == 2, result.output
    line = one_line(result.output)
    assert "the disk is full" in line and "Free disk space" in line
    assert f"the output folder {out}" in line or f"the state folder {tmp_path / '.almanac'}" in line
    assert everything_written(out) == before
