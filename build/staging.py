"""Publish a build with no gap: the output folder is a symbolic link, switched in one rename to a complete build.

Everything lives in the state folder, one subfolder per output folder (`sites/<name>-<hash>/`):

    staging/        the build being written; a crash leaves it behind, the next build removes it
    builds/000042/  complete builds, newest last; `out` links to one of them; `keep_builds` are kept
    target          the output folder this subfolder serves (to find and drop subfolders of deleted outputs)

`prepare` recovers from an earlier crash and fills staging with hard links to the published site's files (a
failed dataset keeps its last files; unchanged files keep their mtimes; at scale 1 a copy of 13,000 files cost
tens of seconds, links cost a directory entry each). A build never writes a file in place: `write_if_changed`
writes a temporary file and renames it over the link, so the published build keeps its own file. Where links
cannot be made (another file system), files are copied; `swap` moves staging to builds/ and points `out` at it with
`os.replace` of a new link, so a reader sees the old build or the new one, never neither or a mix; `rollback`
points `out` back one build; `discard` drops a failed build. A plain output folder (an earlier Almanac site, or
a restored data archive) is converted on the first swap: its files were copied by `prepare`, and it is kept as a
build when it is a whole site.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from build.places import SITE_MARKER, SITE_MARKER_TEXT, is_earlier_site

log = logging.getLogger("almanac")


class StagingError(Exception):
    """A folder operation of the publish failed; the message names the folders and what to do."""


@dataclass(frozen=True)
class Layout:
    """The folders of one output folder in the state folder."""

    out: Path
    home: Path

    @classmethod
    def of(cls, out: Path, state_dir: Path) -> Layout:
        out = Path(out)
        digest = hashlib.sha256(str(out).encode()).hexdigest()[:10]
        return cls(out, Path(state_dir) / "sites" / f"{out.name}-{digest}")

    @property
    def builds(self) -> Path:
        return self.home / "builds"

    @property
    def staging(self) -> Path:
        return self.home / "staging"

    @property
    def retired(self) -> Path:
        return self.home / "retired"

    def kept(self) -> list[Path]:
        """The complete builds, oldest first."""
        if not self.builds.is_dir():
            return []
        return sorted(p for p in self.builds.iterdir() if p.name.isdigit() and p.is_dir())

    def next_build(self) -> Path:
        numbers = [int(p.name) for p in self.kept()]
        return self.builds / f"{max(numbers, default=0) + 1:06d}"

    def current(self) -> Path | None:
        """The build `out` links to, or None when `out` is not one of our links."""
        if not self.out.is_symlink():
            return None
        target = self.out.resolve()
        return target if target.parent == self.builds.resolve() else None


def prepare(out: Path, state_dir: Path) -> Path:
    """Recover, then create the staging folder as hard links to the published site's files (or copies)."""
    return Preparation(out, state_dir).folder()


class Preparation:
    """`prepare` with the links made in a thread, so they are made while the queries run: a site of 3,000
    folders spends a second in mkdir, which the kernel does without the interpreter. Recovering from a crash
    and creating the folders is done at once, so a folder that cannot be written stops the build before any
    query runs. `folder()` waits for the staging folder; `discard()` waits, then removes it."""

    def __init__(self, out: Path, state_dir: Path):
        self.layout = Layout.of(out, state_dir)
        recover(self.layout)
        try:
            make_state_dir(Path(state_dir))
            self.layout.builds.mkdir(parents=True, exist_ok=True)
            (self.layout.home / "target").write_text(str(self.layout.out) + "\n", encoding="utf-8")
        except OSError as error:
            raise self._error(error) from error
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="almanac-staging")
        self._filled = pool.submit(self._fill)
        pool.shutdown(wait=False)  # the thread ends with its one task

    def folder(self) -> Path:
        return self._filled.result()

    def discard(self) -> None:
        wait([self._filled])
        discard(self.layout.staging)

    def _fill(self) -> Path:
        staging = self.layout.staging
        try:
            if self.layout.out.is_dir():
                shutil.copytree(self.layout.out, staging, symlinks=True, copy_function=_link_or_copy)
            else:
                staging.mkdir()
            marker = staging / SITE_MARKER
            marker.unlink(missing_ok=True)  # a link: writing through it would touch the published build's file
            marker.write_text(SITE_MARKER_TEXT, encoding="utf-8")
        except OSError as error:
            _remove(staging)
            raise self._error(error) from error
        return staging

    def _error(self, error: OSError) -> StagingError:
        return StagingError(
            f"Could not prepare the staging folder {self.layout.staging} from {self.layout.out}: {error}. "
            "Check the disk space and the permissions of the folder, then build again."
        )


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or one without hard links
        shutil.copy2(source, target)


def recover(layout: Layout) -> None:
    """Undo what a crash left behind: a staging folder, a half-made link, a missing link to the last build."""
    for leftover in (layout.staging, layout.retired):
        if leftover.exists():
            log.warning("Removing %s, left over from an earlier build that did not finish.", leftover)
            _remove(leftover)
    for stray in layout.out.parent.glob(f".{layout.out.name}.almanac-link-*") if layout.out.parent.is_dir() else ():
        stray.unlink(missing_ok=True)
    kept = layout.kept()
    if not os.path.lexists(layout.out) and kept:
        log.warning("Pointing %s at %s again: an earlier build stopped while switching it.", layout.out, kept[-1])
        _point(layout.out, kept[-1])


def swap(staging: Path, out: Path, keep: int = 3) -> Path:
    """Publish `staging`: move it to builds/, switch `out` to it in one rename, drop builds beyond `keep`."""
    layout = Layout(Path(out), Path(staging).parent)
    if Path(staging) != layout.staging or _target_of(layout) != str(layout.out):
        raise StagingError(f"swap({staging}, {out}): the staging folder must be the one prepare() made for {out}.")
    converted = layout.out.is_dir() and not layout.out.is_symlink()
    number = int(layout.next_build().name)
    kept_as = None
    if converted and is_earlier_site(layout.out):
        kept_as, number = layout.builds / f"{number:06d}", number + 1  # kept: `rollback` can go back to it
    build = layout.builds / f"{number:06d}"
    _rename(layout.staging, build)
    layout.out.parent.mkdir(parents=True, exist_ok=True)
    if converted:  # the one gap ever: a plain folder cannot be replaced by a link in one rename
        _rename(layout.out, kept_as or layout.retired)
        log.info("Converted the folder %s into a link to the build folders in %s.", layout.out, layout.builds)
    _point(layout.out, build)
    _remove(layout.retired)
    prune(layout, keep)
    _drop_orphans(layout)
    return build


def rollback(out: Path, state_dir: Path) -> tuple[Path, Path]:
    """Point `out` at the build before the one it shows; return (from, to). Later builds are kept."""
    layout = Layout.of(out, state_dir)
    current = layout.current()
    if current is None:
        raise StagingError(
            f"{out} is not a link to a build kept in {layout.builds}; there is nothing to roll back. Build first."
        )
    older = [build for build in layout.kept() if build.name < current.name]
    if not older:
        raise StagingError(
            f"{out} shows build {current.name}, the oldest kept in {layout.builds}; there is no earlier build. "
            "Keep more with [build] keep_builds."
        )
    _point(layout.out, older[-1])
    return current, older[-1]


def discard(staging: Path) -> None:
    """Remove the staging folder of a build that failed; the published site is untouched."""
    _remove(Path(staging))


def prune(layout: Layout, keep: int) -> list[Path]:
    """Remove all but the newest `keep` builds, never the one `out` shows; return the removed ones."""
    current = layout.current()
    kept = layout.kept()
    removed = [build for build in kept[: max(len(kept) - keep, 0)] if build != current]
    for build in removed:
        _remove(build)
    return removed


def _point(out: Path, build: Path) -> None:
    """Make `out` a link to `build` in one rename: a reader finds the old target or the new, never nothing."""
    temporary = out.with_name(f".{out.name}.almanac-link-{os.getpid()}")
    temporary.unlink(missing_ok=True)
    try:
        os.symlink(os.path.relpath(build, out.parent), temporary, target_is_directory=True)
        os.replace(temporary, out)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise StagingError(
            f"Could not point {out} at {build}: {error}. Check that {out.parent} is writable and that {out} "
            "is not a folder, then build again."
        ) from error


def make_state_dir(state_dir: Path) -> None:
    """Create the state folder with a .gitignore of its own, so git ignores it wherever it is."""
    state_dir.mkdir(parents=True, exist_ok=True)
    ignore = state_dir / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Almanac's state folder: never commit or deploy it.\n*\n", encoding="utf-8")


def _target_of(layout: Layout) -> str | None:
    try:
        return (layout.home / "target").read_text(encoding="utf-8").strip()
    except OSError:
        return None


def _drop_orphans(layout: Layout) -> None:
    """Remove the kept builds of output folders that no longer exist (a deleted or temporary output)."""
    for home in layout.home.parent.iterdir() if layout.home.parent.is_dir() else ():
        target = _target_of(Layout(layout.out, home))
        if home != layout.home and target and not os.path.lexists(target):
            log.info("Removing %s: its output folder %s no longer exists.", home, target)
            _remove(home)


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
