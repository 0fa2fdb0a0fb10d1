"""Shared fixtures: a real MariaDB server (skipped outside CI when absent), and a demo site built once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2026-11-01"
MARIADB = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}


def require(reason: str) -> None:
    """Skip with `reason` on a developer's machine; under CI=true a missing service is a failure."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: required, not skipped)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def mariadb_server():
    """Connection arguments for the MariaDB server on 127.0.0.1:3306, after checking it answers."""
    import pymysql

    try:
        pymysql.connect(**MARIADB, connect_timeout=3).close()
    except pymysql.MySQLError as error:
        require(f"no MariaDB server on 127.0.0.1:3306 ({error})")
    return dict(MARIADB)


def run_build(*arguments: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `python build.py ARGUMENTS` as a user would, capturing its output."""
    return subprocess.run(
        [sys.executable, str(ROOT / "build.py"), *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=600,
    )


@pytest.fixture(scope="session")
def demo_sources(tmp_path_factory):
    """A small demo database pair (DuckDB), written once per test session: (dashboard URL, replica URL, demo)."""
    from build import demo

    folder = tmp_path_factory.mktemp("demo")
    dashboard, replica = f"duckdb:///{folder}/dashboard.duckdb", f"duckdb:///{folder}/replica.duckdb"
    demo.write_demo(dashboard_url=dashboard, replica_url=replica, root=folder, progress=False)
    return dashboard, replica, demo.generate()


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory, demo_sources):
    """The demo built end to end with --as-of 2026-11-01: the site folder."""
    dashboard, replica, _ = demo_sources
    out = tmp_path_factory.mktemp("built") / "site"
    result = run_build(
        "--as-of", AS_OF, "--out", str(out), "--source", f"dashboard={dashboard}", "--source", f"replica={replica}"
    )
    assert result.returncode == 0, result.stderr
    return out
