"""Dialect parity: the same demo data on DuckDB and on MariaDB publishes byte-identical data files.

The DuckDB side is the session's demo build (tests/conftest.py `demo_site`); the MariaDB side
loads the same demo (same scale and seed) into throwaway databases `almanac_t_<random>_…` with
`build.demo.write_demo`, builds with `--source dashboard=mysql://… --source replica=mysql://…/{dbname}_p`,
and every file under data/ must match byte for byte.
"""

from __future__ import annotations

import difflib
import json
import secrets
from pathlib import Path

import pymysql
import pytest

from tests.conftest import AS_OF, require, run_build

pytestmark = pytest.mark.mariadb


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def first_difference(name: str, left: bytes, right: bytes, context: int = 3) -> str:
    diff = difflib.unified_diff(
        left.decode("utf-8", "replace").splitlines(),
        right.decode("utf-8", "replace").splitlines(),
        f"duckdb/{name}",
        f"mariadb/{name}",
        n=0,
        lineterm="",
    )
    return "\n".join(list(diff)[: 2 + 2 * context])


@pytest.fixture(scope="module")
def mariadb_demo(mariadb_server, demo_sources, tmp_path_factory):
    """The session's demo written into MariaDB: (dashboard URL, replica URL)."""
    from build.demo import write_demo

    _, _, demo = demo_sources
    prefix = f"almanac_t_{secrets.token_hex(3)}_"
    dashboard = f"mysql://root@127.0.0.1:3306/{prefix}dashboard"
    replica = f"mysql://root@127.0.0.1:3306/{prefix}{{dbname}}_p"
    databases = [f"{prefix}dashboard"] + [f"{prefix}{dbname}_p" for dbname in demo.replica]
    try:
        write_demo(dashboard_url=dashboard, replica_url=replica, root=tmp_path_factory.mktemp("demo"), progress=False)
        yield dashboard, replica
    finally:
        connection = pymysql.connect(autocommit=True, **mariadb_server)
        try:
            with connection.cursor() as cursor:
                for database in databases:
                    cursor.execute(f"DROP DATABASE IF EXISTS `{database}`")
        finally:
            connection.close()


def has_mysqlclient() -> bool:
    try:
        import MySQLdb  # noqa: F401
    except ImportError:
        return False
    return True


READERS = {  # reader → (session driver, ALMANAC_MYSQL_READER)
    "pymysql": ("pymysql", "driver"),
    "mysqlclient": ("mysqlclient", "driver"),
    "connectorx": ("pymysql", "connectorx"),  # every statement, the replica's binary columns too
}


@pytest.mark.parametrize("driver", sorted(READERS))
def test_duckdb_and_mariadb_publish_identical_data_files(demo_site, mariadb_demo, tmp_path, driver):
    if driver == "mysqlclient" and not has_mysqlclient():
        require("mysqlclient is not installed (pip install mysqlclient; needs libmariadb-dev, pkg-config)")
    dashboard, replica = mariadb_demo
    out = tmp_path / "site-mariadb"
    result = run_build(
        "--as-of",
        AS_OF,
        "--out",
        str(out),
        "--source",
        f"dashboard={dashboard}",
        "--source",
        f"replica={replica}",
        env={"ALMANAC_MYSQL_DRIVER": READERS[driver][0], "ALMANAC_MYSQL_READER": READERS[driver][1]},
    )
    assert result.returncode == 0, result.stdout + result.stderr

    duckdb_files = files_under(demo_site / "data")
    mariadb_files = files_under(out / "data")
    assert sorted(duckdb_files) == sorted(mariadb_files)
    assert any(name.endswith(".csv") for name in duckdb_files)
    differing = [name for name in duckdb_files if duckdb_files[name] != mariadb_files[name]]
    report = "\n\n".join(first_difference(name, duckdb_files[name], mariadb_files[name]) for name in differing)
    assert not differing, f"{len(differing)} file(s) differ between DuckDB and MariaDB: {differing}\n{report}"

    # Every published dataset had rows from MariaDB, and the build report lists the sources as up.
    status = json.loads((out / "status.json").read_text(encoding="utf-8"))
    assert all(dataset["status"] == "fresh" for dataset in status["datasets"]), status["datasets"]
    assert all(source.get("status") == "ok" for source in status.get("sources", [])), status.get("sources")
    # and it read with the reader asked for, never falling back
    assert "connectorx cannot read" not in result.stderr
    if driver == "connectorx":
        assert "reads with connectorx" in result.stderr, result.stderr[-2000:]
