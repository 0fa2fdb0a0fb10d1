"""The archive and history commands end to end: build, commit site/data to the data branch, read it back."""

from __future__ import annotations

import subprocess

from conftest import run_build

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Almanac test",
    "GIT_AUTHOR_EMAIL": "almanac@example.invalid",
    "GIT_COMMITTER_NAME": "Almanac test",
    "GIT_COMMITTER_EMAIL": "almanac@example.invalid",
}


def git(folder, *arguments) -> str:
    return subprocess.run(["git", *arguments], cwd=folder, check=True, capture_output=True, text=True).stdout


def test_archive_commits_only_changes_and_history_reads_them_back(tmp_path, demo_sources):
    from conftest import ROOT

    dashboard, replica, _ = demo_sources
    git(tmp_path, "init", "-q", "-b", "main")
    config = tmp_path / "site.toml"
    config.write_text(f'[build]\nqueries = "{ROOT / "queries"}"\n', encoding="utf-8")
    common = ("--config", str(config))
    sources = ("--source", f"dashboard={dashboard}", "--source", f"replica={replica}")

    def build_and_archive(as_of: str) -> str:
        built = run_build(*common, "--as-of", as_of, *sources)
        assert built.returncode == 0, built.stderr
        archived = run_build(*common, "archive", env=GIT_IDENTITY)
        assert archived.returncode == 0, archived.stderr
        return archived.stdout

    assert "Committed" in build_and_archive("2024-01-01")
    assert "Committed" in build_and_archive("2026-11-01")
    assert "unchanged" in build_and_archive("2026-11-01")
    assert len(git(tmp_path, "log", "--oneline", "data").splitlines()) == 2
    assert git(tmp_path, "branch", "--show-current").strip() == "main"  # the work tree was not touched
    assert "data/v1/system_totals.csv" not in git(tmp_path, "status", "--porcelain")

    history = run_build(*common, "history", "system_totals", "--column", "new_editors")
    assert history.returncode == 0, history.stderr
    lines = [line for line in history.stdout.splitlines() if "2024-01-01" in line or "2026-11-01" in line]
    assert len(lines) == 2
    first, last = (int(line.split()[-1].replace(",", "")) for line in lines)
    assert first < last  # more people had registered by the later as-of date

    since = run_build(*common, "history", "system_totals", "--since", "2025-01-01")
    assert since.returncode == 0 and "2024-01-01" not in since.stdout and "2026-11-01" in since.stdout

    missing = run_build(*common, "history", "no_such_dataset")
    assert missing.returncode == 2 and "no_such_dataset" in missing.stderr and "Traceback" not in missing.stderr


def test_serve_previews_the_built_site_on_localhost(demo_site):
    import os
    import socket
    import sys
    import time
    import urllib.request

    from conftest import ROOT

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "build.py"), "--out", str(demo_site), "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    assert response.status == 200 and b"<html" in response.read()
                    break
            except OSError:
                assert time.monotonic() < deadline, "serve did not answer within 20 s"
                time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/data/v1/datapackage.json", timeout=2) as response:
            assert response.status == 200
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_serve_without_a_built_site_says_what_to_do(tmp_path):
    result = run_build("--out", str(tmp_path / "nothing"), "serve")
    assert result.returncode == 2 and "make site" in result.stderr
