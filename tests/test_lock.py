"""The build lock: a live holder blocks, a dead or old one is taken over, release removes the file."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from build.lock import LockError, LockHeld, LockInfo, acquire

ROOT = Path(__file__).resolve().parents[1]
HOUR = 3600
NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)

HOLDER = """
import sys, time
from pathlib import Path
from build.lock import acquire
lock = acquire(Path(sys.argv[1]), 3600, command="holder")
print("ready", flush=True)
time.sleep(60)
"""


def write_lock(path: Path, *, pid: int, host: str, started: dt.datetime, command: str = "build") -> None:
    path.write_text(LockInfo(pid, host, started.isoformat(), command).to_text(), encoding="utf-8")


def exited_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.fixture
def holder(tmp_path):
    """A real process that holds the lock until the test kills it."""
    path = tmp_path / "build.lock"
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "ready"
    yield path, process
    process.kill()
    process.wait()


def test_acquire_writes_the_holder_and_release_removes_it(tmp_path):
    path = tmp_path / "build.lock"
    with acquire(path, HOUR, command="python build.py", now=NOW) as lock:
        data = json.loads(path.read_text())
        assert data == {
            "pid": os.getpid(),
            "host": lock.info.host,
            "started_at": "2025-03-01T12:00:00.000000+00:00",
            "command": "python build.py",
            "process_start": lock.info.process_start,
        }
        assert lock.info.process_start and lock.info.process_start.split("@")[0].isdigit()
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_release_in_finally_after_an_error(tmp_path):
    path = tmp_path / "build.lock"
    with pytest.raises(RuntimeError), acquire(path, HOUR):
        raise RuntimeError("stage failed")
    assert not path.exists()


def test_a_live_process_holds_the_lock(holder):
    path, process = holder
    with pytest.raises(LockHeld) as caught:
        acquire(path, HOUR)
    message = str(caught.value)
    assert f"pid {process.pid}" in message
    assert f"host {caught.value.holder.host}" in message
    assert caught.value.holder.started_at in message
    assert str(path) in message


def test_a_killed_holder_is_taken_over_with_a_warning(holder, caplog):
    path, process = holder
    process.kill()
    process.wait()
    with caplog.at_level(logging.WARNING, logger="almanac"), acquire(path, HOUR) as lock:
        assert json.loads(path.read_text())["pid"] == os.getpid() == lock.info.pid
    assert f"its process {process.pid}" in caplog.text


def test_a_stale_pid_on_this_host_is_taken_over(tmp_path, caplog):
    path = tmp_path / "build.lock"
    pid = exited_pid()
    with acquire(tmp_path / "probe.lock", HOUR) as probe:
        host = probe.info.host
    write_lock(path, pid=pid, host=host, started=NOW)
    with caplog.at_level(logging.WARNING, logger="almanac"), acquire(path, HOUR):
        assert json.loads(path.read_text())["pid"] == os.getpid()
    assert "no longer running" in caplog.text


@pytest.mark.parametrize(
    ("age", "taken_over"),
    [
        (dt.timedelta(minutes=5), False),
        (dt.timedelta(hours=1), False),
        (dt.timedelta(hours=1, seconds=1), True),
        (dt.timedelta(days=2), True),
    ],
)
def test_a_lock_from_another_host_is_taken_over_only_when_old(tmp_path, caplog, age, taken_over):
    path = tmp_path / "build.lock"
    write_lock(path, pid=os.getpid(), host="elsewhere.example", started=NOW - age)
    if not taken_over:
        with pytest.raises(LockHeld, match="on host elsewhere.example"):
            acquire(path, HOUR, now=NOW)
        assert json.loads(path.read_text())["host"] == "elsewhere.example"
        return
    with caplog.at_level(logging.WARNING, logger="almanac"), acquire(path, HOUR, now=NOW):
        assert json.loads(path.read_text())["pid"] == os.getpid()
    assert "taken on host elsewhere.example" in caplog.text


@pytest.mark.parametrize("text", ["", "{not json", '{"pid": 1}', '{"pid": "one", "host": "h", "started_at": "x"}'])
def test_a_corrupt_recent_lock_gives_a_clear_error(tmp_path, text):
    path = tmp_path / "build.lock"
    path.write_text(text)
    with pytest.raises(LockError) as caught:
        acquire(path, HOUR)
    assert not isinstance(caught.value, LockHeld)
    message = str(caught.value)
    assert str(path) in message and "not a valid lock file" in message and "delete it" in message
    assert path.read_text() == text


def test_a_corrupt_old_lock_is_taken_over(tmp_path, caplog):
    path = tmp_path / "build.lock"
    path.write_text("{not json")
    old = (NOW - dt.timedelta(hours=2)).timestamp()
    os.utime(path, (old, old))
    with caplog.at_level(logging.WARNING, logger="almanac"), acquire(path, HOUR, now=NOW):
        assert json.loads(path.read_text())["pid"] == os.getpid()
    assert "not a valid lock file" in caplog.text


def test_release_leaves_a_lock_that_another_build_took_over(tmp_path):
    path = tmp_path / "build.lock"
    lock = acquire(path, HOUR)
    write_lock(path, pid=12345, host="elsewhere.example", started=NOW)
    lock.release()
    assert json.loads(path.read_text())["pid"] == 12345


def test_an_unwritable_folder_names_the_lock(tmp_path):
    path = tmp_path / "missing" / "build.lock"
    with pytest.raises(LockError, match="missing/build.lock.*writable"):
        acquire(path, HOUR)
