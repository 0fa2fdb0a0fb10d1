"""Failures: what went wrong, told twice — a fixed public description and a private detail.

A database's error message can quote a data value (a user's email in a conversion or
duplicate-key error) and names internal hosts, users and databases. So a `Failure` keeps
two texts apart:

- `public`: one of a fixed set of kinds ("query failed", "source unreachable", "timed out",
  "data problem", …), an optional note the code wrote from names it chose (a column, an
  input dataset, never an error message), and a short random error id. Only this reaches
  the site, status.json and the console (which can end up in public CI logs).
- `detail`: the full error. It is written only into the state folder, one file per failure
  (`<state_dir>/errors/<id>.txt`, mode 0600 in a 0700 folder), the newest `KEEP` kept.

    >>> failure = Failure(QUERY_FAILED, "wikis", detail="(1146) Table 'db.x' doesn't exist", id="3f2a9c1b")
    >>> failure.public
    'query failed [error 3f2a9c1b]'
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

log = logging.getLogger("almanac")

QUERY_FAILED = "query failed"
SOURCE_UNREACHABLE = "source unreachable"
TIMED_OUT = "timed out"
DATA_PROBLEM = "data problem"
NOT_RUN = "not run"
NOT_DERIVED = "not derived"
DERIVATION_FAILED = "derivation failed"
KINDS = (QUERY_FAILED, SOURCE_UNREACHABLE, TIMED_OUT, DATA_PROBLEM, NOT_RUN, NOT_DERIVED, DERIVATION_FAILED)

KEEP = 200  # error files kept in the state folder; older ones are removed
ERRORS_FOLDER = "errors"


def new_id() -> str:
    """A short random error id, unique per failure per build (8 hex digits)."""
    return secrets.token_hex(4)


@dataclass(frozen=True)
class Failure:
    """One failure: its kind (one of KINDS), the dataset it cost (or "source NAME"), the full
    error (private: never printed, never published), a public note and an error id.

    `note` must be written by the code from names it chose (a column, an input dataset, a
    fixed hint), never copied from an error message. `str(failure)` is the public text.
    """

    kind: str
    dataset: str
    detail: str = field(repr=False)
    note: str = ""
    id: str = field(default_factory=new_id)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown failure kind {self.kind!r}; expected one of {', '.join(KINDS)}")

    @property
    def description(self) -> str:
        """The fixed description: the kind, and the note in parentheses."""
        return f"{self.kind} ({self.note})" if self.note else self.kind

    @property
    def public(self) -> str:
        """What the site, status.json and the console may show."""
        return f"{self.description} [error {self.id}]"

    def __str__(self) -> str:
        return self.public

    def of(self, dataset: str) -> Failure:
        """The same failure (same id, same error file) as it costs another dataset."""
        return replace(self, dataset=dataset)


def as_failure(value: Failure | str, dataset: str) -> Failure:
    """A Failure as is; a plain message (from code that still returns strings) as "query failed"."""
    if isinstance(value, Failure):
        return value
    return Failure(QUERY_FAILED, dataset, detail=str(value))


def error_file(state_dir: Path, failure: Failure) -> Path:
    return Path(state_dir) / ERRORS_FOLDER / f"{failure.id}.txt"


def record(failure: Failure, state_dir: Path, *, label: str | None = None) -> Failure:
    """Write `failure`'s full error into the state folder (owner-only), then log its public line:
    `Dataset "wikis": query failed (see .almanac/errors/3f2a9c1b.txt, id 3f2a9c1b)` (`label`
    replaces `Dataset "wikis"`, e.g. for a source).

    Raises OSError when the state folder cannot be written (the pipeline turns it into one line).
    """
    path = save(failure, state_dir)
    label = label or f'Dataset "{failure.dataset}"'
    log.error("%s: %s (see %s, id %s)", label, failure.description, shown(path), failure.id)
    return failure


def save(failure: Failure, state_dir: Path, now: dt.datetime | None = None) -> Path:
    """Write one error file, mode 0600 in a folder of mode 0700, and keep only the newest KEEP."""
    folder = Path(state_dir) / ERRORS_FOLDER
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    path = error_file(state_dir, failure)
    when = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    text = (
        f"error id: {failure.id}\ntime: {when}\ndataset: {failure.dataset}\n"
        f"public: {failure.description}\n\n{failure.detail}\n"
    ).replace("\x00", "\\x00")  # no raw NUL reaches any file, even a private one
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8", errors="backslashreplace") as file:
        os.fchmod(file.fileno(), 0o600)  # an older file of the same name keeps no wider mode
        file.write(text)
    prune(folder)
    return path


def prune(folder: Path, keep: int = KEEP) -> None:
    """Remove all but the `keep` newest error files."""
    files = sorted(folder.glob("*.txt"), key=lambda p: (p.stat().st_mtime, p.name), reverse=True)
    for old in files[keep:]:
        old.unlink(missing_ok=True)


def shown(path: Path) -> str:
    """`path` relative to the working folder when it is under it, else absolute."""
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative
