"""Entities: a page per row of a dataset, with its own data files.

An entity page is one template, `templates/pages/<folder>/[<key>].md` (or .html), whose front matter
names the dataset and its columns:

    entity:
      dataset: campaigns      # one page per row of this dataset
      key: campaign           # the column that names a row; other datasets with this column are split by it
      id: campaign_id         # optional: a stable id, used only to make an unsafe or clashing slug unique
                              # (without one, the suffix is a short hash of the key's value)
      title: title            # the column shown as the page's title (default: key)

Folders: the key's value, NFC-normalised UTF-8, kept as it is when it is safe (letters of any
script, digits, "_", "-" and "." inside; at most 80 characters; not reserved; unique ignoring case), so a
non-Latin name keeps its own URL (links percent-encode it). Otherwise runs of other characters
become "-" and "-<id>" is appended; the id, never the order of processing, makes it unique, so a
page keeps its URL from one run to the next.

Data files: every published dataset that has the key column is also written per entity, at
`data/v<version>/<folder>/<slug>/<dataset>.csv|json` (the rows of that entity, in the published
order, byte-for-byte the same writers), and listed in datapackage.json. Folders of entities that
are gone are removed, pages and data alike.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from build.cache import Cache, frame_digest
from build.datasets import Dataset, csv_bytes, data_folder, holds, json_bytes, write_if_changed

SLUG_MAX = 80
# Names a folder may never take: the index, site folders, and names Windows cannot hold.
RESERVED = frozenset(
    {"index", "assets", "data", "current", "con", "prn", "aux", "nul"}
    | {f"com{i}" for i in range(10)}
    | {f"lpt{i}" for i in range(10)}
)
_EDGE = "-_"


def _allowed(ch: str) -> bool:
    """Letters and digits of any script, their combining marks (Devanagari vowel signs…), '_', '-', '.'."""
    return ch.isalnum() or ch in "-_." or unicodedata.category(ch).startswith("M")


class EntityError(Exception):
    """An entity template's front matter is wrong (named with its file)."""


@dataclass(frozen=True)
class EntityKind:
    """One entity template: which dataset makes its pages, and where they go."""

    folder: str  # the pages' folder, e.g. "campaigns" (pages at <folder>/<slug>/)
    dataset: str
    key: str
    id: str
    title: str
    source: str  # the template file, for errors


def is_safe(text: str) -> bool:
    """A folder name kept as it is: letters and digits of any script, '_' and '-' inside, ≤ 80 chars."""
    return (
        0 < len(text) <= SLUG_MAX
        and all(_allowed(ch) for ch in text)
        and text[0] not in _EDGE + "."
        and text[-1] not in _EDGE + "."
        and ".." not in text
        and text.casefold() not in RESERVED
        and unicodedata.is_normalized("NFC", text)
    )


def entity_slug(value, id, taken: set[str]) -> str:
    """The folder of an entity whose key is `value`; unique against `taken` (casefolded names). Pure.

    >>> entity_slug("вики-весна_2021", 14, set())
    'вики-весна_2021'
    >>> entity_slug("../../etc/passwd", 9, set())
    'etc-passwd-9'
    >>> entity_slug("WLM", 7, {"wlm"})
    'WLM-7'
    """
    text = unicodedata.normalize("NFC", str(value if value is not None else ""))
    if is_safe(text) and text.casefold() not in taken:
        return text
    cleaned = re.sub("-+", "-", "".join(ch if _allowed(ch) else "-" for ch in text))
    cleaned = re.sub(r"\.{2,}", "-", cleaned).strip(_EDGE + ".")[:SLUG_MAX].rstrip(_EDGE + ".")
    base = f"{cleaned}-{id}" if cleaned else str(id)
    candidate, suffix = base, 2
    while candidate.casefold() in taken or candidate.casefold() in RESERVED:
        candidate, suffix = f"{base}-{suffix}", suffix + 1
    return candidate


def entity_slugs(rows: list[dict], kind: EntityKind) -> dict:
    """Key value → folder name, stable across runs: safe names first (by id), then the others by id."""
    taken: set[str] = set()
    result = {}

    def order(row):
        value = unicodedata.normalize("NFC", str(row.get(kind.key) or ""))
        return (not is_safe(value), str(stable_id(row, kind)).zfill(20), value)

    for row in sorted(rows, key=order):
        name = entity_slug(row.get(kind.key), stable_id(row, kind), taken)
        taken.add(name.casefold())
        result[row.get(kind.key)] = name
    return result


def stable_id(row: dict, kind: EntityKind):
    """The row's id column, or (without one) 6 hex digits of a hash of its key: stable across runs."""
    if kind.id and row.get(kind.id) is not None:
        return row[kind.id]
    return hashlib.sha256(str(row.get(kind.key)).encode("utf-8")).hexdigest()[:6]


def href(folder: str, slug: str) -> str:
    """The page's URL below the site root, percent-encoded: 'campaigns/%D0%B2%D0%B8/'."""
    return f"{folder}/{quote(slug, safe='')}/"


def data_path(kind: EntityKind, slug: str, dataset: Dataset, extension: str) -> str:
    """An entity's data file below data/v<version>/ (not encoded; a file path)."""
    return f"{kind.folder}/{slug}/{dataset.name}.{extension}"


def data_href(kind: EntityKind, slug: str, dataset: Dataset, extension: str) -> str:
    """The same file as a URL below the site root."""
    return f"data/v{dataset.version}/{kind.folder}/{quote(slug, safe='')}/{dataset.name}.{extension}"


@dataclass(frozen=True)
class EntityFile:
    """One written per-entity file, for datapackage.json."""

    kind: EntityKind
    entity_id: int | str
    dataset: Dataset
    path: str  # below data/v<version>/
    extension: str
    bytes: int
    sha256: str
    rows: int


def publish_entity_data(
    datasets: dict[str, Dataset], kinds: list[EntityKind], out_dir: Path, cache: Cache | None = None
) -> list[EntityFile]:
    """Write every entity's own rows of each published dataset with its key column; remove vanished ones.

    A dataset whose rows are the ones the cache's manifest was made from, with every file the manifest
    names still in the output folder (the same size and sha256), is kept as it is. Otherwise its rows are
    grouped by entity once and each entity's files made from them (a file already holding them is left)."""
    cache = cache or Cache.off()
    written: list[EntityFile] = []
    for kind in kinds:
        source = datasets.get(kind.dataset)
        rows = source.records() if source is not None else []
        slugs = entity_slugs(rows, kind)
        ids = {row.get(kind.key): stable_id(row, kind) for row in rows}
        split_datasets = [d for d in datasets.values() if d.publish and kind.key in d.column_names]
        for dataset in sorted(split_datasets, key=lambda d: d.name):
            key = cache.key("entity-files", kind, dataset.name, dataset.version, repr(dataset.columns))
            rows_before, before = cache.get("entity-files", key) or (None, {})
            digest = frame_digest(dataset.frame) if cache.enabled else None
            same_rows = digest is not None and digest == rows_before
            files = _kept(kind, dataset, slugs, ids, out_dir, before) if same_rows else None
            if files is None:
                files = _write_entities(kind, dataset, slugs, ids, out_dir)
                manifest = {file.path: (file.bytes, file.sha256) for file in files}
                cache.put("entity-files", key, (digest, manifest), {"kind": kind.folder, "dataset": dataset.name})
            written += files
        for version in sorted({d.version for d in datasets.values()}):
            remove_vanished(data_folder(out_dir, version) / kind.folder, set(slugs.values()), {".csv", ".json"})
    return written


def _kept(kind: EntityKind, dataset: Dataset, slugs: dict, ids: dict, out_dir: Path, before: dict):
    """The entity files of `dataset` as the manifest `before` names them (made from these same rows), when
    the output folder holds every one; None when one is missing or differs."""
    counts = dataset.frame[kind.key].value_counts(sort=False, dropna=True)
    folder, files = data_folder(out_dir, dataset.version), []
    for value, count in counts.items():
        if value not in slugs:
            continue
        for extension in ("csv", "json"):
            path = data_path(kind, slugs[value], dataset, extension)
            if path not in before or not holds(folder / path, *before[path]):
                return None
            files.append(EntityFile(kind, ids[value], dataset, path, extension, *before[path], int(count)))
    return files if len(files) == len(before) else None


def _write_entities(kind: EntityKind, dataset: Dataset, slugs: dict, ids: dict, out_dir: Path) -> list[EntityFile]:
    """Each entity's rows of `dataset` (in the published order) as its own CSV and JSON."""
    parts: dict = {}
    for row in dataset.records():  # once for the whole dataset: 5,886 small frames cost seconds
        if row.get(kind.key) is not None and row.get(kind.key) in slugs:
            parts.setdefault(row[kind.key], []).append(row)
    folder, files = data_folder(out_dir, dataset.version), []
    for value, rows in parts.items():
        for extension, content in (("csv", csv_bytes(dataset.columns, rows)), ("json", json_bytes(rows))):
            path = data_path(kind, slugs[value], dataset, extension)
            result = write_if_changed(folder / path, content, staged=True)
            files.append(EntityFile(kind, ids[value], dataset, path, extension, result.bytes, result.sha256, len(rows)))
    return files


def remove_vanished(folder: Path, keep: set[str], suffixes: set[str]) -> None:
    """Delete sub-folders of `folder` not in `keep` that hold only files with these suffixes (what the
    build writes there), so someone else's files are never touched."""
    for child in sorted(folder.iterdir()) if folder.is_dir() else []:
        if not child.is_dir() or child.name in keep:
            continue
        files = list(child.iterdir())
        if files and all(f.is_file() and f.suffix in suffixes for f in files):
            for file in files:
                file.unlink()
            child.rmdir()


def resources(files: list[EntityFile]) -> list[dict]:
    """datapackage.json resources of the per-entity files (names from the id: slugs may be any script)."""
    result, schemas = [], {}
    for item in sorted(files, key=lambda f: (f.kind.folder, str(f.entity_id).zfill(20), f.dataset.name, f.extension)):
        dataset = item.dataset
        if dataset.name not in schemas:  # one schema object per dataset, shared by its 6,000 files' entries
            schemas[dataset.name] = {"fields": [column.frictionless() for column in dataset.columns]}
        entry = {
            "name": f"{item.kind.folder}-{item.entity_id}-{dataset.name}-{item.extension}".lower(),
            "path": item.path,
            "format": item.extension,
            "mediatype": "text/csv" if item.extension == "csv" else "application/json",
            "profile": "tabular-data-resource",
            "title": f"{dataset.title}: {item.path.rsplit('/', 2)[-2]}",
            "encoding": "utf-8",
            "rows": item.rows,
            "schema": schemas[dataset.name],
        }
        if item.extension == "csv":
            entry["bytes"] = item.bytes
            entry["dialect"] = {"delimiter": ",", "lineTerminator": "\n", "header": True}
        else:
            entry["bytes_on_disk"] = item.bytes
        entry["hash"] = f"sha256:{item.sha256}"
        result.append(entry)
    return result
