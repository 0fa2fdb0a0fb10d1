"""The staging swap: the site is built beside the published one and swapped in whole; crashes are recovered."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from build import staging
from build.staging import Folders, StagingError

OLD_MTIME = 1_600_000_000


def make_site(out: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        os.utime(path, (OLD_MTIME, OLD_MTIME))


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}


def siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir())


@pytest.fixture
def out(tmp_path):
    out = tmp_path / "site"
    make_site(out, {"index.html": "old page", "data/v1/a.csv": "x\n1\n", "data/v1/b.csv": "y\n2\n"})
    return out


def test_prepare_copies_content_and_mtimes(out):
    stage = staging.prepare(out)
    assert stage == out.parent / "site.staging"
    assert snapshot(stage) == snapshot(out)
    for path in stage.rglob("*.csv"):
        assert path.stat().st_mtime == OLD_MTIME
        assert not path.samefile(out / path.relative_to(stage))


def test_prepare_without_a_published_site_makes_an_empty_folder(tmp_path):
    stage = staging.prepare(tmp_path / "new" / "site")
    assert stage.is_dir() and list(stage.iterdir()) == []


def test_swap_puts_the_new_site_in_place_and_leaves_nothing_behind(out):
    stage = staging.prepare(out)
    (stage / "index.html").write_text("new page")
    (stage / "data/v1/b.csv").unlink()
    assert snapshot(out)["index.html"] == "old page"
    staging.swap(stage, out)
    assert snapshot(out) == {"index.html": "new page", "data/v1/a.csv": "x\n1\n"}
    assert (out / "data/v1/a.csv").stat().st_mtime == OLD_MTIME
    assert siblings(out) == ["site"]


def test_swap_into_a_first_site(tmp_path):
    out = tmp_path / "site"
    stage = staging.prepare(out)
    (stage / "index.html").write_text("first")
    staging.swap(stage, out)
    assert snapshot(out) == {"index.html": "first"}
    assert siblings(out) == ["site"]


def test_a_failed_build_is_discarded_and_the_site_is_untouched(out):
    before = snapshot(out)
    stage = staging.prepare(out)
    (stage / "index.html").write_text("half written")
    staging.discard(stage)
    assert snapshot(out) == before
    assert siblings(out) == ["site"]


def crash_after_first_rename(out: Path) -> None:
    folders = Folders.of(out)
    os.rename(folders.out, folders.previous)


def crash_after_second_rename(out: Path) -> None:
    folders = Folders.of(out)
    os.rename(folders.out, folders.previous)
    os.rename(folders.staging, folders.out)


def crash_during_delete(out: Path) -> None:
    crash_after_second_rename(out)
    (Folders.of(out).previous / "index.html").unlink()


def crash_while_building(out: Path) -> None:
    pass


@pytest.mark.parametrize(
    ("crash", "expected_page"),
    [
        (crash_while_building, "old page"),
        (crash_after_first_rename, "old page"),
        (crash_after_second_rename, "new page"),
        (crash_during_delete, "new page"),
    ],
)
def test_the_next_prepare_recovers_from_a_crash(out, crash, expected_page):
    stage = staging.prepare(out)
    (stage / "index.html").write_text("new page")
    crash(out)
    stage = staging.prepare(out)
    assert siblings(out) == ["site", "site.staging"]
    assert snapshot(out)["index.html"] == expected_page
    assert snapshot(stage) == snapshot(out)
    staging.swap(stage, out)
    assert siblings(out) == ["site"]


def test_recover_alone_restores_the_published_site(out):
    stage = staging.prepare(out)
    (stage / "index.html").write_text("new page")
    crash_after_first_rename(out)
    assert not out.exists()
    staging.recover(out)
    assert snapshot(out)["index.html"] == "old page"
    assert siblings(out) == ["site"]


def test_swap_refuses_a_folder_that_prepare_did_not_make(out, tmp_path):
    other = tmp_path / "elsewhere"
    other.mkdir()
    with pytest.raises(StagingError, match="must be .*site.staging"):
        staging.swap(other, out)
    assert snapshot(out)["index.html"] == "old page"


def test_a_failed_copy_gives_an_error_naming_the_folders_and_leaves_no_staging(out):
    os.mkfifo(out / "pipe")  # copy2 refuses special files, as it would a disk-full error
    with pytest.raises(StagingError, match="site.staging from .*site: .*disk space"):
        staging.prepare(out)
    assert siblings(out) == ["site"]
