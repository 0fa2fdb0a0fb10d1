"""Write the site into `<out>.staging` and swap it in whole, so a crash never leaves a half-written site.

`prepare` recovers from an earlier crash and copies the published site into staging (a failed dataset keeps
its last files; unchanged files keep their mtimes); `swap` renames it into place; `discard` drops a failed build.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("almanac")


class StagingError(Exception):
    """A folder operation of the staging swap failed; the message names the folders and what to do."""


@dataclass(frozen=True)
class Folders:
    """The three sibling folders of one site: the published one, the one being built, the one being retired."""

    out: Path
    staging: Path
    previous: Path

    @classmethod
    def of(cls, out: Path) -> Folders:
        out = Path(out)
        return cls(out, out.with_name(out.name + ".staging"), out.with_name(out.name + ".previous"))


def recover(out: Path) -> None:
    """Undo what a crash between two renames left behind: restore `<out>.previous`, drop leftovers."""
    folders = Folders.of(out)
    if not folders.out.exists() and folders.previous.exists():
        log.warning("Restoring %s from %s: an earlier build stopped in the middle of its swap.", out, folders.previous)
        _rename(folders.previous, folders.out)
    if folders.previous.exists():
        log.warning("Removing %s, left over from an earlier build's swap.", folders.previous)
        _remove(folders.previous)
    if folders.staging.exists():
        log.warning("Removing %s, left over from an earlier build that did not finish.", folders.staging)
        _remove(folders.staging)


def prepare(out: Path) -> Path:
    """Recover, then create `<out>.staging` as a copy of `out` (content and mtimes); return the staging folder."""
    recover(out)
    folders = Folders.of(out)
    try:
        if folders.out.exists():
            shutil.copytree(folders.out, folders.staging, symlinks=True, copy_function=shutil.copy2)
        else:
            folders.staging.mkdir(parents=True)
    except OSError as error:
        _remove(folders.staging)
        raise StagingError(
            f"Could not prepare the staging folder {folders.staging} from {folders.out}: {error}. "
            "Check the disk space and the permissions of the folder, then build again."
        ) from error
    return folders.staging


def swap(staging: Path, out: Path) -> None:
    """Put `staging` in place of `out`: rename out → out.previous, staging → out, then delete out.previous."""
    folders = Folders.of(out)
    if Path(staging) != folders.staging:
        raise StagingError(f"swap({staging}, {out}): the staging folder must be {folders.staging}, made by prepare().")
    if folders.previous.exists():
        _remove(folders.previous)  # a leftover of an earlier swap; staging replaces it anyway
    if folders.out.exists():
        _rename(folders.out, folders.previous)
    _rename(folders.staging, folders.out)
    _remove(folders.previous)


def discard(staging: Path) -> None:
    """Remove the staging folder of a build that failed; the published site is untouched."""
    _remove(Path(staging))


def _rename(source: Path, target: Path) -> None:
    try:
        os.rename(source, target)
    except OSError as error:
        raise StagingError(
            f"Could not rename {source} to {target}: {error}. Fix the cause, then build again: "
            "the next build restores a consistent site first."
        ) from error


def _remove(folder: Path) -> None:
    try:
        shutil.rmtree(folder)
    except FileNotFoundError:
        pass
    except OSError as error:
        raise StagingError(f"Could not remove {folder}: {error}. Remove it by hand, then build again.") from error
