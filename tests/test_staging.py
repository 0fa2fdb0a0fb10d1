"""Publishing: the site is built in the state folder and published by switching a link; crashes are recovered."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from build import staging
from build.datasets import write_if_changed
from build.places import SITE_MARKER
from build.staging import Layout, StagingError

OLD_MTIME = 1_600_000_000


def make_site(out: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = out / name
        write(path, text)
        os.utime(path, (OLD_MTIME, OLD_MTIME))


def write(path: Path, text: str) -> None:
    """As a build writes a file: never in place (staging holds links to the published build's files)."""
    write_if_changed(path, text.encode())


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): p.read_text()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != SITE_MARKER
    }


def publish(out: Path, state: Path, files: dict[str, str], keep: int = 3) -> Path:
    stage = staging.prepare(out, state)
    for name, text in files.items():
        write(stage / name, text)
    return staging.swap(stage, out, keep=keep)


@pytest.fixture
def places(tmp_path):
    """A published site: `site` links to a first build holding a page and two data files."""
    out, state = tmp_path / "site", tmp_path / ".almanac"
    stage = staging.prepare(out, state)
    make_site(stage, {"index.html": "old page", "data/v1/a.csv": "x\n1\n", "data/v1/b.csv": "y\n2\n"})
    staging.swap(stage, out)
    return out, state


def test_the_output_is_a_relative_link_to_a_build_in_the_state_folder(places):
    out, state = places
    assert out.is_symlink() and not os.readlink(out).startswith("/")
    assert out.resolve().parent == Layout.of(out, state).builds.resolve()
    assert snapshot(out) == {"index.html": "old page", "data/v1/a.csv": "x\n1\n", "data/v1/b.csv": "y\n2\n"}
    assert (out / SITE_MARKER).is_file()
    assert sorted(p.name for p in out.parent.iterdir()) == [".almanac", "site"]
    assert (state / ".gitignore").read_text().splitlines()[-1] == "*"


def test_prepare_links_the_published_files_and_a_build_writes_beside_them(places):
    out, state = places
    stage = staging.prepare(out, state)
    assert snapshot(stage) == snapshot(out)
    for path in stage.rglob("*.csv"):
        assert path.stat().st_mtime == OLD_MTIME
        assert path.samefile(out / path.relative_to(stage))  # a link, not a copy
    write(stage / "data/v1/a.csv", "x\n2\n")
    assert (out / "data/v1/a.csv").read_text() == "x\n1\n"  # the published build keeps its own file
    assert not (stage / SITE_MARKER).samefile(out / SITE_MARKER)


def test_prepare_copies_where_links_cannot_be_made(places, monkeypatch):
    out, state = places

    def other_file_system(source, target):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(staging.os, "link", other_file_system)
    stage = staging.prepare(out, state)
    assert snapshot(stage) == snapshot(out)
    for path in stage.rglob("*.csv"):
        assert path.stat().st_mtime == OLD_MTIME
        assert not path.samefile(out / path.relative_to(stage))


def test_a_new_build_replaces_the_site_and_the_old_build_is_not_touched(places):
    out, state = places
    first = out.resolve()
    stage = staging.prepare(out, state)
    write(stage / "index.html", "new page")
    (stage / "data/v1/b.csv").unlink()
    assert snapshot(out)["index.html"] == "old page"
    staging.swap(stage, out)
    assert snapshot(out) == {"index.html": "new page", "data/v1/a.csv": "x\n1\n"}
    assert (out / "data/v1/a.csv").stat().st_mtime == OLD_MTIME
    assert snapshot(first)["index.html"] == "old page"


def test_only_keep_builds_are_kept_and_rollback_goes_back_one_at_a_time(places):
    out, state = places
    for number in range(2, 6):
        publish(out, state, {"index.html": f"page {number}"}, keep=3)
    layout = Layout.of(out, state)
    assert [build.name for build in layout.kept()] == ["000003", "000004", "000005"]
    assert staging.rollback(out, state)[1].name == "000004"
    assert snapshot(out)["index.html"] == "page 4"
    assert staging.rollback(out, state)[1].name == "000003"
    with pytest.raises(StagingError, match="oldest kept.*keep_builds"):
        staging.rollback(out, state)
    publish(out, state, {"index.html": "page 6"}, keep=3)
    assert snapshot(out)["index.html"] == "page 6"
    assert [build.name for build in layout.kept()] == ["000004", "000005", "000006"]


def test_rollback_refuses_a_site_that_is_not_a_link(tmp_path):
    make_site(tmp_path / "site", {"index.html": "x"})
    with pytest.raises(StagingError, match="not a link to a build"):
        staging.rollback(tmp_path / "site", tmp_path / ".almanac")


def test_a_failed_build_is_discarded_and_the_site_is_untouched(places):
    out, state = places
    before, target = snapshot(out), out.resolve()
    stage = staging.prepare(out, state)
    write(stage / "index.html", "half written")
    staging.discard(stage)
    assert snapshot(out) == before and out.resolve() == target
    assert not stage.exists()


def test_a_plain_earlier_site_is_converted_and_kept_as_a_build(tmp_path):
    out, state = tmp_path / "site", tmp_path / ".almanac"
    make_site(out, {"index.html": "plain", "status.json": '{"as_of": "x", "built_at": "y", "datasets": []}'})
    publish(out, state, {"index.html": "linked"})
    assert out.is_symlink() and snapshot(out)["index.html"] == "linked"
    assert staging.rollback(out, state)[1].name == "000001"
    assert snapshot(out)["index.html"] == "plain"


def test_a_restored_data_archive_is_migrated_into_the_first_build(tmp_path):
    out, state = tmp_path / "site", tmp_path / ".almanac"
    make_site(out, {"data/v1/a.csv": "x\n1\n"})
    publish(out, state, {"index.html": "first"})
    assert snapshot(out) == {"index.html": "first", "data/v1/a.csv": "x\n1\n"}
    assert [build.name for build in Layout.of(out, state).kept()] == ["000001"]
    assert not (Layout.of(out, state).home / "retired").exists()


def test_a_crash_before_the_switch_leaves_the_site_and_is_cleaned_up(places):
    out, state = places
    stage = staging.prepare(out, state)
    write(stage / "index.html", "never published")
    stray = out.with_name(".site.almanac-link-999999")
    os.symlink("nowhere", stray)
    stage = staging.prepare(out, state)  # the next build
    assert snapshot(stage)["index.html"] == "old page"
    assert not os.path.lexists(stray)


def test_a_missing_link_is_pointed_at_the_last_build_again(places):
    out, state = places
    out.unlink()  # as if a crash came between removing and placing the link
    staging.prepare(out, state)
    assert snapshot(out)["index.html"] == "old page"


def test_kept_builds_of_a_deleted_output_are_dropped(tmp_path):
    state = tmp_path / ".almanac"
    gone = tmp_path / "temporary"
    publish(gone, state, {"index.html": "x"})
    gone.unlink()
    publish(tmp_path / "site", state, {"index.html": "y"})
    assert [home.name.split("-")[0] for home in (state / "sites").iterdir()] == ["site"]


def test_swap_refuses_a_folder_that_prepare_did_not_make(places, tmp_path):
    out, _ = places
    other = tmp_path / "elsewhere" / "staging"
    other.mkdir(parents=True)
    with pytest.raises(StagingError, match="must be the one prepare"):
        staging.swap(other, out)
    assert snapshot(out)["index.html"] == "old page"


@pytest.fixture
def full_disk(monkeypatch):
    """Every link and copy fails as on a full disk."""

    def disk_full(source, target, **options):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(staging.os, "link", disk_full)
    monkeypatch.setattr(staging.shutil, "copy2", disk_full)


def test_a_failed_copy_gives_an_error_naming_the_folders_and_leaves_no_staging(places, full_disk):
    out, state = places
    with pytest.raises(StagingError, match="staging from .*site: .*disk space"):
        staging.prepare(out, state)
    assert not Layout.of(out, state).staging.exists()


def test_a_preparation_links_in_the_background_until_its_folder_is_asked_for(places, monkeypatch):
    """The links are made in a thread while the build runs its queries; folder() waits for them."""
    out, state = places
    linking, linked = threading.Event(), []
    real_link = staging.os.link

    def slow_link(source, target):
        linking.wait(timeout=10)  # held until the test has seen the constructor return
        linked.append(target)
        real_link(source, target)

    monkeypatch.setattr(staging.os, "link", slow_link)
    preparing = staging.Preparation(out, state)
    assert linked == []  # returned before a single link was made
    linking.set()
    stage = preparing.folder()
    assert snapshot(stage) == snapshot(out)
    assert {Path(target).name for target in linked} >= {"index.html", "a.csv", "b.csv"}


def test_a_discarded_preparation_waits_for_its_links_then_removes_them(places):
    out, state = places
    preparing = staging.Preparation(out, state)
    preparing.discard()
    assert not Layout.of(out, state).staging.exists()
    assert snapshot(out)["index.html"] == "old page"


def test_a_preparation_that_fails_in_its_thread_raises_when_its_folder_is_asked_for(places, full_disk):
    out, state = places
    preparing = staging.Preparation(out, state)  # the constructor does not raise: the copy is not done yet
    with pytest.raises(StagingError, match="staging from .*site: .*disk space"):
        preparing.folder()
    preparing.discard()  # a failed preparation is discarded like any other
    assert not Layout.of(out, state).staging.exists()
