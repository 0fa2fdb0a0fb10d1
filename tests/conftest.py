"""Shared fixtures: a real MariaDB server (skipped outside CI when absent), a demo site built once, and a build
cache for the session's builds on state folders of their own."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
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
    own_settings = "--config" in arguments or "ALMANAC_CONFIG" in (env or {})
    with contextlib.nullcontext() if own_settings else checkout_settings():
        return subprocess.run(
            [sys.executable, str(ROOT / "build.py"), *arguments],
            cwd=cwd,
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
            timeout=600,
        )


@contextlib.contextmanager
def checkout_settings():
    """Held by a build that reads the checkout's own site.toml, and so uses its state folder and build lock
    (.almanac/): the test workers (pytest-xdist) take turns, where two such builds at once would stop one
    with "Another build holds the lock". Builds on a state folder of their own (isolated_config) need not."""
    name = f"almanac-tests-{hashlib.sha256(str(ROOT).encode()).hexdigest()[:10]}.lock"
    with open(Path(tempfile.gettempdir()) / name, "w") as turn:
        fcntl.flock(turn, fcntl.LOCK_EX)  # released when the file is closed
        yield


def isolated_config(folder: Path, cache: Path | None = None) -> Path:
    """folder/site.toml: the project's settings and queries, with a state folder (lock, kept builds, errors) of
    its own in folder/state, so that builds on it can run beside each other; its cache is `cache` if given."""
    folder.mkdir(parents=True, exist_ok=True)
    text = f'[build]\nqueries = "{(ROOT / "queries").as_posix()}"\nstate_dir = "{(folder / "state").as_posix()}"\n'
    (folder / "site.toml").write_text(text + (cache_setting(cache) if cache else ""), encoding="utf-8")
    return folder / "site.toml"


def run_builds(*argument_lists: tuple[str, ...], at_once: int = 2) -> list[subprocess.CompletedProcess]:
    """Run independent builds (each `run_build` arguments, each with a state folder of its own) `at_once` at a
    time: a build keeps one core busy, and the test process waits, so two builds use a 2-core runner fully."""
    with ThreadPoolExecutor(max_workers=at_once) as pool:
        return list(pool.map(lambda arguments: run_build(*arguments), argument_lists))


@pytest.fixture(scope="session")
def build_cache(tmp_path_factory) -> Path:
    """One build cache ([build] cache_dir) shared by the session's builds whose state folder is their own.

    Its keys hash every input, setting and Almanac's own code (build/cache.py), so a build meeting another's
    entry does exactly what it would have computed; tests/test_cache.py proves that on a cache of its own.
    What it saves: the content check (every page rendered against the declared datasets, seconds of CPU),
    which a build on a fresh state folder otherwise repeats before its first query. Fresh each session."""
    return tmp_path_factory.mktemp("build-cache")


def cache_setting(folder: Path) -> str:
    """The site.toml line, under [build], pointing a build at `folder` as its cache."""
    return f'cache_dir = "{folder.as_posix()}"\n'


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
