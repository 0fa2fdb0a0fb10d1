"""The build cache: what a rebuild can reuse, keyed by the content it was made from.

Queries run on every build, unless their source proves it has not changed since the same statement ran
(`stamps.content_stamp`: an embedded DuckDB file; a server is always asked). Everything after them is
looked up here by a key that hashes (sha256) every input that can change the result: the query results it
reads (their content, `frame_digest`), the settings, the content (templates) and Almanac's own code
(`code_digest`, with the versions of the libraries that shape the output), so a new release, an
upgraded library or an edited template never meets an old entry. A key that matches
gives back exactly what the same inputs made before; the cache can be deleted at any time, and
`--no-cache` ignores it and gives byte-identical output.

    cache = Cache.of(settings)                    # [build] cache_dir, default <state_dir>/cache
    key = cache.key("derive", name, digests…)     # a hex digest of everything the item depends on
    value = cache.get("derive", key)              # None when absent, unreadable or the cache is off
    cache.put("derive", key, value, about={…})    # the value (pickle) and a small manifest (JSON)

Items live in `<cache_dir>/<kind>/<key[:2]>/<key>.pickle` with `<key>.json` beside it saying what the
item is and what it was made from. The folder holds numbers before suppression and private input
(usernames), so it lives in the state folder: never deployed, never committed, never shared between
builds of different sites (see README "The build cache"). Items no build has used for `KEEP_DAYS` days
are removed after a successful build.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import importlib.metadata
import json
import logging
import os
import pickle
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

log = logging.getLogger("almanac")
FOLDER = "cache"
KEEP_DAYS = 14  # an item no build used for this long is removed (replica lookups are re-used every day)
CODE = Path(__file__).resolve().parent  # build/: any change to Almanac's code starts a fresh cache


@dataclass
class Cache:
    """One build's view of the cache folder; `enabled` False (--no-cache) makes every lookup miss and
    stores nothing."""

    folder: Path
    enabled: bool = True
    hits: dict[str, int] = field(default_factory=dict)
    misses: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, settings) -> Cache:
        return cls(cache_folder(settings), enabled=settings.cache)

    @classmethod
    def off(cls) -> Cache:
        return cls(Path(os.devnull), enabled=False)

    def key(self, *parts) -> str:
        """A digest of the parts and of Almanac's code (what the item is made by)."""
        return digest(code_digest(), *parts)

    def _path(self, kind: str, key: str, suffix: str) -> Path:
        return self.folder / kind / key[:2] / f"{key}{suffix}"

    def get(self, kind: str, key: str, accept: Callable[[Any], bool] | None = None):
        """The stored value, or None (absent, unreadable, not what `accept` takes, or the cache is off); counts
        hits and misses."""
        value = None
        if self.enabled:
            path = self._path(kind, key, ".pickle")
            try:
                value = pickle.loads(path.read_bytes())  # our own file, in the private state folder
                os.utime(path)  # used: kept by `prune`
            except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError):
                value = None
            if value is not None and accept is not None and not accept(value):
                value = None
        counter = self.misses if value is None else self.hits
        counter[kind] = counter.get(kind, 0) + 1
        return value

    def touch(self, kind: str, key: str) -> None:
        """Mark an item used without reading it (kept by `prune`); nothing when absent."""
        if self.enabled:
            try:
                os.utime(self._path(kind, key, ".pickle"))
            except OSError:
                pass

    def put(self, kind: str, key: str, value, about: dict | None = None) -> None:
        """Store `value` (and its manifest) atomically; a cache that cannot be written is only slower."""
        if not self.enabled:
            return
        path = self._path(kind, key, ".pickle")
        manifest = {"kind": kind, "key": key, "stored": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _write(path.with_suffix(".json"), (json.dumps({**manifest, **(about or {})}, default=str) + "\n").encode())
            _write(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError as error:
            log.warning("Could not write the build cache in %s (%s); the build goes on without it.", self.folder, error)
            self.enabled = False

    def summary(self) -> str:
        kinds = sorted(set(self.hits) | set(self.misses))
        counts = {kind: (self.hits.get(kind, 0), self.misses.get(kind, 0)) for kind in kinds}
        parts = [f"{kind} {hit}/{hit + miss}" for kind, (hit, miss) in counts.items()]
        return "cache hits: " + (", ".join(parts) if parts else "none") if self.enabled else "cache off (--no-cache)"

    def prune(self, keep_days: int = KEEP_DAYS) -> int:
        """Remove items no build has used for `keep_days` days; return how many."""
        if not self.enabled or not self.folder.is_dir():
            return 0
        cutoff, removed = time.time() - keep_days * 86400, 0
        for item in self.folder.glob("*/*/*.pickle"):
            try:
                if item.stat().st_mtime < cutoff:
                    item.unlink()
                    item.with_suffix(".json").unlink(missing_ok=True)
                    removed += 1
            except OSError:
                continue
        return removed


def cache_folder(settings) -> Path:
    """[build] cache_dir (relative to site.toml), or `cache/` in the state folder when it is empty."""
    chosen = settings.get("build", "cache_dir")
    return (settings.root / chosen).absolute() if chosen else settings.state_dir / FOLDER


def _write(path: Path, content: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)


# --- digests ------------------------------------------------------------------------------------


def digest(*parts) -> str:
    """sha256 of the parts, each framed by its length so ("ab", "c") and ("a", "bc") differ."""
    hasher = hashlib.sha256()
    for part in parts:
        data = part if isinstance(part, bytes) else _text(part).encode("utf-8")
        hasher.update(len(data).to_bytes(8, "little"))
        hasher.update(data)
    return hasher.hexdigest()


def _text(value) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=repr, ensure_ascii=False)


def frame_digest(frame: pd.DataFrame) -> str:
    """The exact content of a frame: its column names, dtypes and every value (numbers by their bytes,
    everything else by its repr), so two frames share a digest only when every cell is the same."""
    hasher = hashlib.sha256(repr((list(frame.columns), [str(t) for t in frame.dtypes], len(frame))).encode())
    for position in range(frame.shape[1]):  # by position: two columns may share a name
        column = frame.iloc[:, position]
        values = column.to_numpy()
        if values.dtype.kind in "biufcmM":
            hasher.update(np.ascontiguousarray(values).tobytes())
        elif (text := _texts(column)) is not None:
            # Which cells are present, each text's length and all of them joined: exact, and a tenth of the
            # time of a repr per value (a million usernames).
            present, strings = text
            hasher.update(np.packbits(present).tobytes())
            hasher.update(np.fromiter(map(len, strings), dtype=np.int64, count=len(strings)).tobytes())
            hasher.update("".join(strings).encode("utf-8", "surrogatepass"))
        else:
            hasher.update("\x1f".join(map(repr, values.tolist())).encode("utf-8", "surrogatepass"))
        hasher.update(b"\x1e")
    return hasher.hexdigest()


def _texts(column: pd.Series) -> tuple[np.ndarray, list[str]] | None:
    """(present, the present values) of a column of text: a string dtype (its only missing value is NA), or
    object values that are all str; None for anything else (digested value by value)."""
    if isinstance(column.dtype, pd.StringDtype):
        present = column.notna().to_numpy(dtype=bool)
        return present, column[present].tolist()
    if column.dtype == object and pd.api.types.infer_dtype(column, skipna=False) == "string":
        return np.ones(len(column), dtype=bool), column.tolist()
    return None


def settings_digest(settings) -> str:
    """Every setting that can change an output (sources and folders are not outputs' inputs)."""
    values = {f"{section}.{key}": value for (section, key), value in sorted(settings.values.items())}
    for key in ("build.out", "build.state_dir", "build.cache_dir", "build.keep_builds", "build.lock_max_age"):
        values.pop(key, None)
    return digest(values, str(settings.as_of))


# The libraries whose release can change what a build writes from the same rows: numbers and their text
# (pandas, NumPy, SciPy's solver), charts (Altair, vl-convert), pages (Jinja, Markdown).
OUTPUT_LIBRARIES = ("pandas", "numpy", "scipy", "altair", "vl-convert-python", "jinja2", "markdown")


@functools.cache
def code_digest() -> str:
    """Almanac's own code (every build/**/*.py), Python's version and those of OUTPUT_LIBRARIES: a change to
    any of them starts from an empty cache."""
    return digest(folder_digest(CODE, "*.py"), sys.version, [_installed(name) for name in OUTPUT_LIBRARIES])


def _installed(name: str) -> str:
    try:
        return f"{name} {importlib.metadata.version(name)}"
    except importlib.metadata.PackageNotFoundError:
        return f"{name} absent"


def folder_digest(folder: Path, pattern: str = "*") -> str:
    """The names and bytes of every file under `folder` matching `pattern`."""
    hasher = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob(pattern) if p.is_file() and "__pycache__" not in p.parts):
        hasher.update(path.relative_to(folder).as_posix().encode() + b"\0")
        hasher.update(hashlib.sha256(path.read_bytes()).digest())
    return hasher.hexdigest()


class Digests:
    """Each dataset's content digest, computed once per frame (a frame replaced gets a new one)."""

    def __init__(self):
        self._seen: dict[str, tuple[pd.DataFrame, str]] = {}

    def of(self, dataset) -> str:
        seen = self._seen.get(dataset.name)
        if seen is None or seen[0] is not dataset.frame:
            seen = (dataset.frame, digest(dataset.name, dataset.version, dataset.stale, frame_digest(dataset.frame)))
            self._seen[dataset.name] = seen
        return seen[1]
