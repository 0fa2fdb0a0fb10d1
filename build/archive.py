"""The archive of published data: commit site/data/ to its own git branch, and read a dataset's history back.

`commit_data` writes a commit on the archive branch (default `data`) through a temporary index, never touching
the working tree or the checked-out branch; `history` walks that branch's log of one dataset's CSV.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

AS_OF_TRAILER = "As-of"
SUBJECT_NAMES = 5
DataValue = str | dict[tuple[str, ...], str] | None


class ArchiveError(Exception):
    """A git operation on the archive failed; the message names the repository, the ref and what to do."""


@dataclass(frozen=True)
class Change:
    """One file of the data folder that differs from the branch tip: status A, M or D and its path."""

    status: str
    path: str

    @property
    def dataset(self) -> str | None:
        """`v1/courses.csv` → `v1/courses`; None for datapackage.json and other non-data files."""
        stem, _, extension = self.path.rpartition(".")
        if extension not in ("csv", "json") or stem.endswith("datapackage"):
            return None
        return stem


@dataclass(frozen=True)
class HistoryRow:
    """One archived version of a dataset: the commit, its date, the build's as-of date, the file and the value.

    `value` is set when a column was asked for: the column's value for a one-row dataset, otherwise
    {(key values…): the column's value} for every row, keyed by `key_columns` (None when that version lacks
    the column). The key is the dataset's primaryKey in that commit's datapackage.json, else the shortest run
    of leading columns whose values tell the rows apart, so several rows per entity are never merged.
    """

    commit: str
    committed_at: dt.datetime
    as_of: dt.date | None
    csv_text: str
    column: str | None = None
    key_columns: tuple[str, ...] | None = None
    value: DataValue = None
    package_text: str | None = None

    @property
    def rows(self) -> int:
        return max(len(_parse_csv(self.csv_text)) - 1, 0)


# Writing the archive


def commit_data(
    repo: Path,
    data_dir: Path,
    branch: str = "data",
    message: str = "",
    *,
    as_of: dt.date | str | None = None,
    date: dt.date | None = None,
) -> str | None:
    """Commit the contents of `data_dir` as the whole tree of `branch`; return the new commit, or None if unchanged.

    The branch is created (with no parent) on first use. The subject names the as-of date and the changed
    datasets, and an `As-of: YYYY-MM-DD` trailer lets `history` read it; `message` is an extra paragraph. Without
    `as_of`, the date is read from `message` ("Data as of 2025-03-01"). `date` sets the commit's author and
    committer date (midnight UTC of that day; backfill uses the as-of date), else git's now.
    Example: `commit_data(Path("."), Path("site/data"), "data", as_of=date(2025, 3, 1))` → "3f2a…" or None.
    """
    repo, data_dir = Path(repo).resolve(), Path(data_dir).resolve()
    as_of = _as_of_date(as_of, message)
    if not data_dir.is_dir():
        raise ArchiveError(f"{data_dir} is not a folder: build the site first, then archive its data.")
    git_dir = _git(repo, "rev-parse", "--absolute-git-dir").strip()
    ref = _branch_ref(repo, branch)
    _refuse_checked_out(repo, ref)
    tip = _resolve(repo, ref)
    if tip:
        _refuse_code(repo, ref, tip)
    tree = _write_tree(Path(git_dir), data_dir)
    _refuse_foreign_files(repo, tree, data_dir)
    changes = _changes(repo, tip, tree)
    if not changes:
        return None
    text = commit_message(as_of, changes, message)
    parents = ["-p", tip] if tip else []
    when = {} if date is None else dict.fromkeys(("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"), f"{date}T00:00:00Z")
    commit = _git(repo, "commit-tree", tree, *parents, input=text, env=when).strip()
    _git(repo, "update-ref", "-m", f"almanac: archive data as of {as_of}", ref, commit, tip or "0" * 40)
    return commit


def latest_commit_date(repo: Path, branch: str) -> dt.date | None:
    """The committer date (UTC) of `branch`'s newest commit, or None when the branch does not exist."""
    tip = _resolve(Path(repo).resolve(), _branch_ref(repo, branch))
    if tip is None:
        return None
    stamp = _git(repo, "log", "-1", "--format=%ct", tip).strip()
    return dt.datetime.fromtimestamp(int(stamp), dt.UTC).date()


def _as_of_date(as_of: dt.date | str | None, message: str) -> dt.date:
    if isinstance(as_of, dt.date):
        return as_of
    found = parse_as_of(f"as of {as_of}" if as_of else message)
    if found is None:
        raise ArchiveError(f"No as-of date for the archive commit (got {as_of!r}, message {message!r}); pass as_of=.")
    return found


def commit_message(as_of: dt.date, changes: list[Change], extra: str = "") -> str:
    """The archive commit's message: a subject naming the changed datasets, the changed files, the trailer."""
    names = sorted({change.dataset for change in changes if change.dataset})
    shown = ", ".join(name.split("/", 1)[-1] for name in names[:SUBJECT_NAMES])
    if len(names) > SUBJECT_NAMES:
        shown += f" and {len(names) - SUBJECT_NAMES} more"
    subject = f"Data as of {as_of.isoformat()}: {shown or 'datapackage only'}"
    files = "\n".join(f"{change.status} {change.path}" for change in changes)
    extra = "" if subject.startswith(extra.strip()) else extra.strip()  # "Data as of …" says nothing new
    parts = [subject, f"Changed files:\n{files}", extra, f"{AS_OF_TRAILER}: {as_of.isoformat()}"]
    return "\n\n".join(part for part in parts if part) + "\n"


def _branch_ref(repo: Path, branch: str) -> str:
    try:
        _git(repo, "check-ref-format", "--branch", branch)
    except ArchiveError as error:
        raise ArchiveError(
            f"{branch!r} is not a valid branch name; fix [build] archive_branch in site.toml."
        ) from error
    return f"refs/heads/{branch}"


def _refuse_checked_out(repo: Path, ref: str) -> None:
    """Refuse the current branch and a branch checked out in any worktree: its files would go out of date."""
    head = subprocess.run(["git", "-C", str(repo), "symbolic-ref", "-q", "HEAD"], capture_output=True, text=True)
    if head.stdout.strip() == ref:
        raise ArchiveError(
            f"{ref} is checked out in {repo}; committing to it would leave the working tree out of date. "
            "Switch to another branch (git switch main) and archive again."
        )
    listed = _git(repo, "worktree", "list", "--porcelain")
    worktree = None
    for line in listed.splitlines():
        if line.startswith("worktree "):
            worktree = line.removeprefix("worktree ")
        elif line == f"branch {ref}":
            raise ArchiveError(
                f"{ref} is checked out in the worktree {worktree}; the archive never commits onto a branch "
                "someone works on. Set [build] archive_branch to a branch of its own (e.g. data)."
            )


ARCHIVE_PATH = re.compile(r"v\d+/(?:[^/]+/)*[^/]+\.(?:csv|json)")


def _foreign(repo: Path, tree: str) -> list[str]:
    listed = _git(repo, "ls-tree", "-r", "-z", "--name-only", tree)
    return [path for path in listed.split("\0") if path and not ARCHIVE_PATH.fullmatch(path)]


def _refuse_foreign_files(repo: Path, tree: str, data_dir: Path) -> None:
    """Archive only data: a data folder holding anything else (a script, a note) was not written by a build."""
    foreign = _foreign(repo, tree)
    if foreign:
        raise ArchiveError(
            f"{data_dir}/{foreign[0]} is not a data file (the archive holds only v<N>/ .csv and .json files); "
            "remove it, or build the site again, then archive."
        )


def _refuse_code(repo: Path, ref: str, tip: str) -> None:
    """Refuse a branch holding anything but archived data (v<N>/ folders of .csv and .json files)."""
    foreign = _foreign(repo, tip)
    if foreign:
        raise ArchiveError(
            f"{ref} holds files that are not archived data (e.g. {foreign[0]}); committing the data as its whole "
            "tree would delete them. Set [build] archive_branch to a branch that holds only v<N>/ data folders, "
            "or a new one (e.g. data)."
        )


def _resolve(repo: Path, ref: str) -> str | None:
    found = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
        capture_output=True,
        text=True,
    )
    return found.stdout.strip() if found.returncode == 0 else None


def _write_tree(git_dir: Path, data_dir: Path) -> str:
    """The tree object holding exactly the files of `data_dir`, built in a temporary index."""
    with tempfile.TemporaryDirectory(prefix="almanac-index-") as scratch:
        env = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
        where = ("--git-dir", str(git_dir), "--work-tree", str(data_dir))
        _git(data_dir, *where, "add", "--all", "--force", "--", ".", env=env)
        return _git(data_dir, *where, "write-tree", env=env).strip()


def _changes(repo: Path, tip: str | None, tree: str) -> list[Change]:
    if tip is None:
        listed = _git(repo, "ls-tree", "-r", "--name-only", tree)
        return [Change("A", path) for path in listed.splitlines()]
    diff = _git(repo, "diff-tree", "-r", "--no-renames", "--name-status", f"{tip}^{{tree}}", tree)
    return [Change(*line.split("\t", 1)) for line in diff.splitlines()]


# Reading the archive


def history(
    repo: Path,
    dataset: str,
    *,
    column: str | None = None,
    since: dt.date | None = None,
    ref: str = "data",
    version: int = 1,
) -> list[HistoryRow]:
    """Every archived version of `dataset` on `ref`, oldest first; `since` keeps versions as of that date or later.

    Example: `history(Path("."), "totals", column="participants")` → [HistoryRow(as_of=date(2025, 3, 1),
    value="1234", …), …].
    """
    repo = Path(repo)
    path = f"v{version}/{dataset}.csv"
    if _resolve(repo, ref) is None:
        raise ArchiveError(
            f"No branch or ref {ref!r} in {repo}. The scheduled build creates it (python build.py archive); "
            f"fetch it with: git fetch origin {ref}:{ref}"
        )
    commits = _log(repo, ref, path)
    if not commits:
        raise ArchiveError(f"{path} is not in the history of {ref!r} in {repo}. {_known_datasets(repo, ref, version)}")
    blobs = _read_blobs(repo, [f"{sha}:{path}" for sha, _, _ in commits])
    packages = _read_blobs(repo, [f"{sha}:v{version}/datapackage.json" for sha, _, _ in commits], missing_ok=True)
    rows = [
        HistoryRow(sha, committed, as_of, text, package_text=package)
        for (sha, committed, as_of), text, package in zip(commits, blobs, packages, strict=True)
    ]
    rows = [row for row in reversed(rows) if since is None or _date_of(row) >= since]
    if column is None:
        return rows
    keyed = [_with_column(row, dataset, column) for row in rows]
    widest = max((row.key_columns or () for row in keyed), key=len, default=())
    rows = [_with_column(row, dataset, column, widest) if len(row.key_columns or ()) > 0 else row for row in keyed]
    if rows and all(row.key_columns is None for row in rows):
        raise ArchiveError(f"No archived version of {path} has a column {column!r}. Columns: {_columns(rows[-1])}.")
    return rows


def _log(repo: Path, ref: str, path: str) -> list[tuple[str, dt.datetime, dt.date | None]]:
    """(commit, commit date, as-of) of every commit on `ref` that added or changed `path`, newest first."""
    out = _git(repo, "log", "--diff-filter=AM", "--format=%H%x1f%cI%x1f%B%x1e", ref, "--", path)
    commits = []
    for record in out.split("\x1e"):
        if record.strip():
            sha, committed, body = record.strip("\n").split("\x1f", 2)
            commits.append((sha, dt.datetime.fromisoformat(committed), parse_as_of(body)))
    return commits


def parse_as_of(message: str) -> dt.date | None:
    """The as-of date of an archive commit: `"…\\n\\nAs-of: 2025-03-01\\n"` → date(2025, 3, 1); None if absent."""
    found = re.search(rf"^{AS_OF_TRAILER}: (\d{{4}}-\d{{2}}-\d{{2}})\s*$", message, re.MULTILINE) or re.search(
        r"as of (\d{4}-\d{2}-\d{2})", message
    )
    return dt.date.fromisoformat(found.group(1)) if found else None


def _read_blobs(repo: Path, specs: list[str], *, missing_ok: bool = False) -> list[str | None]:
    """The contents of `commit:path` objects, read in one `git cat-file --batch` call (None if missing_ok)."""
    if not specs:
        return []
    out = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "--batch"], input=("\n".join(specs) + "\n").encode(), capture_output=True
    ).stdout
    texts, position = [], 0
    for spec in specs:
        end = out.index(b"\n", position)
        header = out[position:end].decode()
        if header.endswith("missing") and missing_ok:
            texts.append(None)
            position = end + 1
            continue
        if header.endswith("missing"):
            raise ArchiveError(
                f"{spec} cannot be read from {repo}; the repository may be shallow: git fetch --unshallow"
            )
        size = int(header.rsplit(" ", 1)[1])
        texts.append(out[end + 1 : end + 1 + size].decode("utf-8"))
        position = end + 1 + size + 1
    return texts


def _known_datasets(repo: Path, ref: str, version: int) -> str:
    listed = _git(repo, "ls-tree", "--name-only", ref, f"v{version}/")
    names = sorted(Path(line).stem for line in listed.splitlines() if line.endswith(".csv"))
    if not names:
        return f"{ref!r} has no v{version}/*.csv files; check --ref and the schema version."
    return f"Datasets there: {', '.join(names)}."


def _with_column(row: HistoryRow, dataset: str, column: str, keys: tuple[str, ...] = ()) -> HistoryRow:
    table = _parse_csv(row.csv_text)
    header, records = (table[0], table[1:]) if table else ([], [])
    if column not in header:
        return replace(row, column=column)
    index = header.index(column)
    if len(records) == 1:
        return replace(row, column=column, key_columns=(), value=records[0][index])
    if not keys or not set(keys) <= set(header):  # one key for every version, so rows line up across them
        keys = _declared_key(row.package_text, dataset, header) or _unique_prefix(header, records, column)
    positions = [header.index(key) for key in keys]
    value = {tuple(record[i] for i in positions): record[index] for record in records}
    return replace(row, column=column, key_columns=keys, value=value)


def _declared_key(package_text: str | None, dataset: str, header: list[str]) -> tuple[str, ...] | None:
    """The dataset's primaryKey in a datapackage.json text, when declared and present in the CSV header."""
    try:
        package = json.loads(package_text or "")
        resources = [r for r in package.get("resources", []) if r.get("path") == f"{dataset}.csv"]
        key = resources[0]["schema"]["primaryKey"]
    except (ValueError, AttributeError, LookupError, TypeError):
        return None
    key = (key,) if isinstance(key, str) else tuple(key)
    return key if key and all(name in header for name in key) else None


def _unique_prefix(header: list[str], records: list[list[str]], column: str) -> tuple[str, ...]:
    """The shortest run of leading columns (the asked one left out) whose values differ on every row."""
    candidates = [name for name in header if name != column]
    for length in range(1, len(candidates) + 1):
        positions = [header.index(name) for name in candidates[:length]]
        if len({tuple(record[i] for i in positions) for record in records}) == len(records):
            return tuple(candidates[:length])
    return tuple(candidates)


def _date_of(row: HistoryRow) -> dt.date:
    return row.as_of or row.committed_at.date()


def _parse_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


# Printing the history


def format_history(rows: list[HistoryRow]) -> str:
    """A plain, aligned table: one line per version (or per row and version for a many-row column)."""
    if not rows:
        return "No archived versions."
    column = rows[0].column
    if column is None:
        header = ["as_of", "committed", "commit", "rows"]
        body = [[*_prefix(row), str(row.rows)] for row in rows]
    elif any(isinstance(row.value, dict) for row in rows):
        keys = max((row.key_columns for row in rows if row.key_columns), key=len)
        header = ["as_of", "committed", "commit", *keys, column]
        body = [[*_prefix(row), *_padded(k, len(keys)), v] for row in rows for k, v in _items(row.value)]
    else:
        header = ["as_of", "committed", "commit", column]
        body = [[*_prefix(row), "" if row.value is None else str(row.value)] for row in rows]
    return _table(header, body)


def _prefix(row: HistoryRow) -> list[str]:
    as_of = row.as_of.isoformat() if row.as_of else ""
    return [as_of, row.committed_at.strftime("%Y-%m-%d %H:%M"), row.commit[:10]]


def _items(value: DataValue) -> list[tuple[tuple[str, ...], str]]:
    if isinstance(value, dict):
        return list(value.items())
    return [((), "" if value is None else value)]


def _padded(key: tuple[str, ...], width: int) -> list[str]:
    return [*key, *[""] * (width - len(key))][:width]


def _columns(row: HistoryRow) -> str:
    table = _parse_csv(row.csv_text)
    return ", ".join(table[0]) if table else "none"


def _table(header: list[str], body: list[list[str]]) -> str:
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    numeric = [all(_is_number(line[i]) for line in body) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        padded = [c.rjust(w) if n else c.ljust(w) for c, w, n in zip(cells, widths, numeric, strict=True)]
        return "  ".join(padded).rstrip()

    rule = ["-" * width for width in widths]
    return "\n".join(line(cells) for cells in [header, rule, *body])


def _is_number(text: str) -> bool:
    return bool(re.fullmatch(r"-?\d+(\.\d+)?|", text))


# Running git


def _git(cwd: Path, *args: str, env: dict[str, str] | None = None, input: str | None = None) -> str:
    """Run `git -C cwd args…`; raise ArchiveError naming the command and git's message if it fails."""
    command = ["git", "-C", str(cwd), *args]
    try:
        done = subprocess.run(command, capture_output=True, text=True, input=input, env={**os.environ, **(env or {})})
    except FileNotFoundError as error:
        raise ArchiveError("git is not installed or not on PATH; install git to archive data.") from error
    if done.returncode != 0:
        raise ArchiveError(
            f"git {' '.join(args)} failed in {cwd}: {done.stderr.strip() or done.stdout.strip()}. {_hint(done.stderr)}"
        )
    return done.stdout


def _hint(stderr: str) -> str:
    if "not a git repository" in stderr:
        return "Run this in a clone of the site's repository."
    if "Please tell me who you are" in stderr or "user.email" in stderr:
        return "Set git config user.name and user.email (the scheduled job sets them) and archive again."
    return "Fix the cause and archive again."
