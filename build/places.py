"""Where the build may write: check the output folder and the state folder before anything is written.

The build replaces its output folder whole and deletes old builds in its state folder, so a wrong path
would destroy what is there. `problems(settings)` refuses, with one sentence each: `/`, a home folder,
the project root or a folder above it, `.git` or anything inside it, a folder holding files git tracks,
a state folder inside the output folder (it would be deployed) and an output folder holding anything
Almanac did not write. Accepted outputs: missing, empty, Almanac's own link, an earlier Almanac site
(marker file or status.json), or a folder holding only a restored `data/` archive.
"""

from __future__ import annotations

import json
import os
import pwd
import subprocess
from pathlib import Path

from build.config import Settings

SITE_MARKER = ".almanac-site"  # written into every build; names an output folder as Almanac's own
SITE_MARKER_TEXT = "This folder was written by Almanac; each build replaces it whole. Do not edit it.\n"


def problems(settings: Settings) -> list[str]:
    """Every reason the output or the state folder of `settings` is unsafe to write; empty if both are fine."""
    out, state, root = settings.out_dir, settings.state_dir, settings.root
    found = [f"[build] out {out}: {why}" for why in _dangerous(out, root)]
    found += [f"[build] state_dir {state}: {why}" for why in _dangerous(state, root)]
    if found:
        return found
    if _within(state, out) or _within(state, _resolved(out)):
        found.append(
            f"[build] state_dir {state} is inside the output folder {out}: it would be deployed. "
            'Keep it beside the site, e.g. state_dir = ".almanac".'
        )
    if _within(out, state):
        found.append(f"[build] out {out} is inside the state folder {state}; choose a folder outside it.")
    cache = settings.root / settings.get("build", "cache_dir") if settings.get("build", "cache_dir") else None
    if cache is not None and (_within(cache.absolute(), out) or _within(cache.absolute(), _resolved(out))):
        found.append(
            f"[build] cache_dir {cache} is inside the output folder {out}: it holds numbers before suppression "
            "and would be deployed. Leave cache_dir empty (cache/ in state_dir) or choose a folder outside."
        )
    why = _output_contents_problem(out, state)
    if why:
        found.append(f"[build] out {out}: {why}")
    return found


def _dangerous(path: Path, root: Path) -> list[str]:
    """Why writing or replacing `path` could destroy something that is not Almanac's."""
    real = _resolved(path)
    for candidate in dict.fromkeys([real, path]):  # where a link leads first: that is what would be replaced
        why = _danger_of(candidate, root)
        if why:
            return [why if candidate == path else f"links to {candidate}, which {why}"]
    return []


def _danger_of(candidate: Path, root: Path) -> str | None:
    if candidate.parent == candidate:
        return "is the root folder /; choose a folder inside the project, e.g. site"
    if candidate in _homes():
        return "is a home folder; choose a folder inside the project, e.g. site"
    if _within(root, candidate):
        return f"is the project folder {root} or a folder above it; choose a folder inside it, e.g. site"
    if ".git" in candidate.parts or _within(candidate, _git_dir(root)):
        return "is git's own folder or inside it; choose a folder outside .git, e.g. site"
    if candidate.is_file():
        return "is a file; choose a folder"
    tracked = _tracked_file(candidate)
    if tracked:
        return f"holds files that git tracks (e.g. {tracked}); choose a folder git ignores, e.g. site"
    return None


def _output_contents_problem(out: Path, state: Path) -> str | None:
    """Why the existing `out` is not a folder Almanac may replace; None for Almanac's own, empty or missing."""
    if out.is_symlink():
        target = _resolved(out)
        if _within(target, state):
            return None
        return (
            f"is a symbolic link to {target}, which Almanac did not make; remove the link (rm {out}) "
            "or choose another output folder"
        )
    if not out.exists():
        return None
    if is_earlier_site(out):
        return None
    foreign = sorted(e.name for e in out.iterdir() if not (e.name == "data" and _only_archive(out / "data")))
    if not foreign:
        return None  # empty, or a restored data archive only
    return (
        f"holds files Almanac did not write (e.g. {foreign[0]}); it must be empty, an earlier Almanac site "
        f"(with {SITE_MARKER} or status.json) or a restored data/ archive only. Choose another folder, "
        "or move those files away"
    )


def is_earlier_site(folder: Path) -> bool:
    """Whether `folder` is a site Almanac wrote: its marker file, or a status.json Almanac's report wrote."""
    if (folder / SITE_MARKER).is_file():
        return True
    try:
        status = json.loads((folder / "status.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(status, dict) and {"as_of", "built_at", "datasets"} <= status.keys()


def _only_archive(data: Path) -> bool:
    """Whether `data` holds only what the archive branch holds: v<N>/ folders (a scheduled run restores it)."""
    if not data.is_dir() or data.is_symlink():
        return False
    return all(entry.is_dir() and entry.name[:1] == "v" and entry.name[1:].isdigit() for entry in data.iterdir())


def _homes() -> set[Path]:
    homes = {Path.home()}
    try:
        homes.update(Path(entry.pw_dir) for entry in pwd.getpwall() if entry.pw_dir not in ("", "/"))
    except OSError:
        pass
    return {Path(os.path.abspath(home)) for home in homes} | {_resolved(home) for home in homes}


def _git_dir(root: Path) -> Path | None:
    """The project's git folder (a worktree's lives elsewhere), or None outside git."""
    found = _git(root, "rev-parse", "--absolute-git-dir")
    return Path(found.strip()).resolve() if found else None


def _tracked_file(folder: Path) -> str | None:
    """One file under `folder` that git tracks, when `folder` lies in a git work tree; else None."""
    existing = folder
    while not existing.is_dir():
        if existing.parent == existing:
            return None
        existing = existing.parent
    if existing != folder:
        return None  # a missing folder holds nothing
    listed = _git(folder, "ls-files", "-z", "--", ".")
    return listed.split("\0", 1)[0] if listed else None


def _git(folder: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path


def _within(path: Path, folder: Path | None) -> bool:
    """Whether `path` is `folder` or inside it."""
    return folder is not None and (path == folder or folder in path.parents)
