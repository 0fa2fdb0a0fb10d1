"""Stamps: whether a source can prove it has not changed since a build read it (an embedded file can; a
server cannot), so a rebuild may reuse what the same statements returned (extract.run, the replica lookups).
"""

from __future__ import annotations

import time
from pathlib import Path

from .config import SourceSettings
from .urls import SourceError, fill_dbname, parse_url

SETTLED_SECONDS = 2.0  # a file written this recently may be written again within the same clock tick


def content_stamp(source: SourceSettings, root: Path, dbname: str | None = None) -> str | None:
    """A stamp that changes whenever the source's data can have changed, or None when the source cannot
    prove that (a server, a Spark source, a file that is missing or was written in the last SETTLED_SECONDS).

    A DuckDB file is stamped by its device, inode, size and modification and status-change times, and its
    write-ahead log's when it has one: the kernel moves the change time on every write and nothing sets it
    back (the proof make and git's index rely on). The same stamp means the same rows, so a rebuild can reuse
    what the same statements returned before (extract.run, the replica lookups)."""
    try:
        url = parse_url(fill_dbname(source.url, dbname, source.name), root)
    except SourceError:
        return None
    if url.scheme != "duckdb":
        return None
    parts = [str(url.path)]
    for path in (url.path, url.path.with_name(url.path.name + ".wal")):
        try:
            status = path.stat()
        except FileNotFoundError:
            if path == url.path:
                return None
            continue
        except OSError:
            return None
        if time.time() - max(status.st_mtime, status.st_ctime) < SETTLED_SECONDS:
            return None
        parts.append(f"{status.st_dev}:{status.st_ino}:{status.st_size}:{status.st_mtime_ns}:{status.st_ctime_ns}")
    return "duckdb " + " ".join(parts)
