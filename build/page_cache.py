"""Pages that need not be rendered again: a page is kept when nothing it was made from has changed.

A page's key hashes what every page sees (Almanac's code, the templates, the settings, the declared schemas,
which datasets are available, the entities' folders, the compiled charts, the build report's dataset
states) and the page's own entity row. Its manifest in the build cache lists what the page read while it
was rendered (a whole dataset, or one entity's rows of it) with the digest of each, and the files it
wrote with their sha256. The next build with the same key compares each read's digest now (one entity's rows
of a dataset whose whole digest is unchanged are unchanged, without a digest of their own): all equal, and
the staging folder (a copy of the last build) still holds those files, the page is kept as it is;
anything else renders it. A page that reads the build report itself, the build history or the catalog of
files (status, home, downloads) is rendered every time.
"""

from __future__ import annotations

from pathlib import Path

from build.cache import Cache, Digests, digest, folder_digest, settings_digest
from build.datasets import holds

KIND = "page"
VOLATILE = "volatile"  # a read that makes a page render every build


class PageCache:
    """The page cache of one render (`site` is render.Site)."""

    def __init__(self, site, cache: Cache):
        self.site, self.cache = site, cache
        self.digests = Digests()
        self._rows: dict[tuple, str] = {}
        self.base = self._base() if cache.enabled else ""

    def _base(self) -> str:
        site = self.site
        schemas = [
            (d.name, d.title, d.description, repr(d.columns), d.version, d.publish, d.origin)
            for d in sorted(site.schemas.values(), key=lambda d: d.name)
        ]
        charts = {chart_id: (chart.vega_text, repr(chart.spec)) for chart_id, chart in sorted(site.charts.items())}
        states = [_state(entry) for entry in site.status.get("datasets", []) or []]
        folders = {folder: sorted(map(repr, slugs.items())) for folder, slugs in site.entity_folders.items()}
        return digest(
            [folder_digest(folder) for folder in site.template_dirs()],
            settings_digest(site.settings),
            site.page_settings(),
            schemas,
            sorted(site.available),
            folders,
            charts,
            states,
        )

    def key(self, page, entity) -> str:
        row = sorted(map(repr, entity.row.items())) if entity is not None else None
        return self.cache.key(KIND, self.base, page.where, entity.slug if entity is not None else "", row)

    def read_digest(self, read: tuple) -> str:
        """The current digest of one read: ("all", name) or ("rows", name, key, value)."""
        if read[0] == "height":
            return repr(self.site.entity_chart_height(*read[1:]))
        if read[0] == "all":
            return self.dataset_digest(read[1])
        if read not in self._rows:
            _, name, column, value = read
            self._rows[read] = digest(repr(self.site.entity_rows(name, column, value, track=False)))
        return self._rows[read]

    def dataset_digest(self, name: str) -> str:
        dataset = self.site.available.get(name)
        return self.digests.of(dataset) if dataset is not None else "absent"

    def kept(self, key: str, out_dir: Path) -> list[Path] | None:
        """The page's files when it can be kept as the staging folder holds it, else None. An entity's rows of a
        dataset whose whole content is unchanged are unchanged too: only the others are digested again."""
        manifest = self.cache.get(KIND, key)
        if not manifest or VOLATILE in manifest["reads"]:
            return None
        same = {name for name, known in manifest["datasets"].items() if self.dataset_digest(name) == known}
        reads = manifest["reads"].items()
        if any(self.read_digest(read) != known for read, known in reads if read[0] != "rows" or read[1] not in same):
            return None
        paths = [out_dir / relative for relative in manifest["files"]]
        if not all(holds(path, *manifest["files"][path.relative_to(out_dir).as_posix()]) for path in paths):
            return None
        return paths

    def remember(self, key: str, reads: set, files: dict[Path, tuple[int, str]], out_dir: Path) -> None:
        """Store what the page read and the files it wrote ({path: (size, sha256)}, as they were written)."""
        if not self.cache.enabled or VOLATILE in reads:
            return
        written = {path.relative_to(out_dir).as_posix(): (size, sha) for path, (size, sha) in files.items()}
        manifest = {
            "reads": {read: self.read_digest(read) for read in sorted(reads, key=repr)},
            "datasets": {name: self.dataset_digest(name) for name in sorted({r[1] for r in reads if r[0] == "rows"})},
            "files": written,
        }
        self.cache.put(KIND, key, manifest, {"files": sorted(written)})


def _state(entry: dict) -> dict:
    """A dataset's report entry without what differs in every build (its time, a fresh one's success time)."""
    varying = {"seconds", "last_success"} if entry.get("status") == "fresh" else {"seconds"}
    return {key: value for key, value in entry.items() if key not in varying}
