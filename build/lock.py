"""The build lock: a pid file (JSON: pid, host, started_at, command, process_start) that stops a second build.

A lock whose process is gone is taken over with a logged warning, the way reportupdater treats a dead pid as
stale. On the same host "gone" includes a pid that now belongs to another process: the lock records the
process's start (Linux: /proc/<pid>/stat field 22, clock ticks since boot, with the boot id), and a live pid
that started otherwise, or after the lock was taken, is not the holder. A lock from another host is taken over
once older than `lock_max_age`. Impossible lock times (in the future, or unreadable) are stale too: a clock
error must not block every build forever.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

log = logging.getLogger("almanac")

ATTEMPTS = 5


class LockError(Exception):
    """The lock file cannot be used (unreadable, corrupt, or the folder is not writable)."""


class LockHeld(LockError):
    """Another build holds the lock; `holder` says which one. build.py exits with code 3."""

    def __init__(self, path: Path, holder: LockInfo):
        self.path = path
        self.holder = holder
        super().__init__(
            f"Another build holds the lock {path}: pid {holder.pid} on host {holder.host}, "
            f"started {holder.started_at} ({holder.command!r}). Wait for it to finish; if that build "
            f"is known to be dead, delete {path} and build again."
        )


@dataclass(frozen=True)
class LockInfo:
    """What a lock file holds: who took the lock, where and when."""

    pid: int
    host: str
    started_at: str
    command: str
    process_start: str | None = None  # "<ticks since boot>@<boot id>"; None where /proc is missing

    def to_text(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @property
    def started(self) -> dt.datetime | None:
        """When the lock was taken, or None when `started_at` is not a time with a zone."""
        try:
            started = dt.datetime.fromisoformat(self.started_at)
        except ValueError:
            return None
        return started if started.tzinfo is not None else None


@dataclass
class Lock:
    """A held lock; release it with `release()` or by using it as a context manager."""

    path: Path
    info: LockInfo
    released: bool = False

    def release(self) -> None:
        """Remove the lock file if it is still ours (a takeover may have replaced it)."""
        if self.released:
            return
        self.released = True
        try:
            if self.path.read_text(encoding="utf-8") == self.info.to_text():
                self.path.unlink()
            else:
                log.warning("Lock %s was taken over by another build; leaving it in place.", self.path)
        except FileNotFoundError:
            log.warning("Lock %s was already removed.", self.path)

    def __enter__(self) -> Lock:
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()


def acquire(
    path: Path,
    max_age_seconds: int,
    *,
    command: str | None = None,
    now: dt.datetime | None = None,
    host: str | None = None,
) -> Lock:
    """Take the lock at `path` or raise LockHeld (a live holder) or LockError (a corrupt, recent lock file).

    Example: `with acquire(Path("site.lock"), 6 * 3600): build()`.
    """
    path = Path(path)
    info = LockInfo(
        pid=os.getpid(),
        host=host or socket.gethostname(),
        started_at=(now or utc_now()).isoformat(timespec="microseconds"),
        command=command if command is not None else " ".join(sys.argv),
        process_start=process_start(os.getpid()),
    )
    for _ in range(ATTEMPTS):
        if _create(path, info.to_text()):
            return Lock(path, info)
        text = _read(path)
        if text is None:
            continue  # released between our attempt and our read: try again
        reason = stale_reason(path, text, max_age_seconds, now=now or utc_now(), host=info.host)
        log.warning("Taking over the build lock %s: %s", path, reason)
        _remove_if_unchanged(path, text)
    raise LockError(f"Could not take the lock {path} after {ATTEMPTS} attempts: other builds keep taking it.")


def utc_now() -> dt.datetime:
    """The current time in UTC; tests pass `now=` instead of patching this."""
    return dt.datetime.now(dt.UTC)


def parse_lock(path: Path, text: str) -> LockInfo:
    """The LockInfo in `text`, or a LockError naming the file and what to do."""
    try:
        data = json.loads(text)
        recorded = data.get("process_start")
        return LockInfo(
            pid=int(data["pid"]),
            host=str(data["host"]),
            started_at=str(data["started_at"]),
            command=str(data["command"]),
            process_start=None if recorded is None else str(recorded),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise LockError(
            f"The build lock {path} is not a valid lock file ({type(error).__name__}: {error}); it should be JSON "
            "with pid, host, started_at and command. If no build is running, delete it and build again; "
            "otherwise it is taken over once it is older than [build] lock_max_age."
        ) from error


def stale_reason(path: Path, text: str, max_age_seconds: int, *, now: dt.datetime, host: str) -> str:
    """Why the lock in `text` may be taken over; raises LockHeld if its holder may still be running."""
    try:
        holder = parse_lock(path, text)
    except LockError:
        age = _file_age(path, now)
        if age is not None and age > max_age_seconds:
            return f"it is not a valid lock file and is {age:.0f}s old (more than lock_max_age {max_age_seconds}s)"
        raise
    started = holder.started
    if started is None:
        return f"its time {holder.started_at!r} cannot be read; an impossible lock time is treated as stale"
    if started > now + CLOCK_SKEW:
        return f"it is dated {holder.started_at}, in the future; an impossible lock time is treated as stale"
    if holder.host == host:
        return _same_host_reason(path, holder, started)
    age = (now - started).total_seconds()
    if age <= max_age_seconds:
        raise LockHeld(path, holder)
    return (
        f"it was taken on host {holder.host} by pid {holder.pid} at {holder.started_at}, "
        f"{age:.0f}s ago (more than lock_max_age {max_age_seconds}s)"
    )


def _same_host_reason(path: Path, holder: LockInfo, started: dt.datetime) -> str:
    """Why a lock of this host is stale: its pid is gone, or now belongs to a process that is not the holder."""
    if not pid_alive(holder.pid):
        return f"its process {holder.pid} (started {holder.started_at}) is no longer running"
    now_start = process_start(holder.pid)
    if holder.process_start and now_start and now_start != holder.process_start:
        return f"pid {holder.pid} is alive but is another process (its start {now_start}, not {holder.process_start})"
    began = process_started_at(holder.pid)
    if began is not None and began > started + CLOCK_SKEW:
        return f"pid {holder.pid} is alive but started at {began.isoformat()}, after the lock was taken"
    raise LockHeld(path, holder)


CLOCK_SKEW = dt.timedelta(minutes=5)  # a lock this far in the future, or a process this much younger, is impossible


def process_start(pid: int) -> str | None:
    """The start of process `pid` as "<clock ticks since boot>@<boot id>" (Linux), or None if unknown."""
    ticks = _start_ticks(pid)
    boot_id = _read_proc("sys/kernel/random/boot_id")
    return f"{ticks}@{boot_id.strip()}" if ticks is not None and boot_id else None


def process_started_at(pid: int) -> dt.datetime | None:
    """When process `pid` started (UTC, to about a second), from /proc; None where that cannot be read."""
    ticks = _start_ticks(pid)
    stat = _read_proc("stat") or ""
    boot = next((line.split()[1] for line in stat.splitlines() if line.startswith("btime ")), None)
    if ticks is None or boot is None:
        return None
    return dt.datetime.fromtimestamp(int(boot) + ticks / os.sysconf("SC_CLK_TCK"), tz=dt.UTC)


def _start_ticks(pid: int) -> int | None:
    text = _read_proc(f"{pid}/stat")
    if not text or ")" not in text:
        return None
    fields = text.rsplit(")", 1)[1].split()  # after "pid (comm)": field 3 is fields[0], field 22 is fields[19]
    return int(fields[19]) if len(fields) > 19 and fields[19].isdigit() else None


def _read_proc(name: str) -> str | None:
    try:
        return Path("/proc", name).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host (owned by anyone)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _create(path: Path, text: str) -> bool:
    """Atomically create `path` holding `text` (write a temp file, then hard-link it); False if it exists."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.link(temporary, path)
        return True
    except FileExistsError:
        return False
    except OSError as error:
        raise LockError(f"Cannot create the build lock {path}: {error}. Check that its folder is writable.") from error
    finally:
        temporary.unlink(missing_ok=True)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise LockError(f"Cannot read the build lock {path}: {error}. Delete it if no build is running.") from error


def _remove_if_unchanged(path: Path, text: str) -> None:
    """Remove a stale lock, unless another build replaced it meanwhile (then put that one back)."""
    aside = path.with_name(f".{path.name}.{os.getpid()}.stale")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return
    try:
        if aside.read_text(encoding="utf-8") != text:
            try:
                os.link(aside, path)
            except FileExistsError:
                pass
    finally:
        aside.unlink(missing_ok=True)


def _file_age(path: Path, now: dt.datetime) -> float | None:
    try:
        return now.timestamp() - path.stat().st_mtime
    except FileNotFoundError:
        return None
