"""The Dataset type that flows through every stage, and its writers (CSV, JSON, datapackage.json).

A Dataset is a name, a pandas DataFrame, a declared schema and where it came from. SQL
results and derived tables are both Datasets; `with_frame` normalises their values (build/normalize.py)
so a query gives byte-identical files on DuckDB and MariaDB.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from build.cache import Cache, frame_digest
from build.normalize import NUMBER_DECIMALS, DataProblem, SchemaError, missing, normalize  # noqa: F401 (re-exported)

TYPES = ("integer", "number", "string", "date", "boolean")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """A published column: name, Frictionless type, meaning and unit."""

    name: str
    type: str
    description: str
    unit: str | None = None

    def frictionless(self) -> dict:
        spec = {"name": self.name, "type": self.type, "description": self.description}
        if self.unit:
            spec["unit"] = self.unit
        return spec


@dataclass
class Dataset:
    """A named table with its schema. `origin` names the query file or the derivation."""

    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    sort_key: tuple[str, ...]
    origin: str
    frame: pd.DataFrame = field(default_factory=pd.DataFrame)
    version: int = 1
    publish: bool = True
    stale: bool = False

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"dataset {self.name!r} has no column {name!r}")

    def with_frame(self, frame: pd.DataFrame) -> Dataset:
        """A copy holding `frame`, normalized to the declared schema and sorted by the sort key."""
        return replace(self, frame=normalize(frame, self))

    def records(self) -> list[dict]:
        """Rows as plain Python values (None for missing), in the published order."""
        names = self.column_names
        columns = [_plain_values(self.frame[name]) for name in names]  # a column at a time: 10× a cell at a time
        return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def _plain_values(values: pd.Series) -> list:
    """A column as plain Python values: None for missing (NA, None, NaN), numbers and text as Python's own."""
    plain = values.to_numpy(dtype=object, na_value=None).tolist()
    if values.dtype == object:
        plain = [value.item() if hasattr(value, "item") else value for value in plain]
    if values.dtype.kind == "f" or values.dtype == object:
        plain = [None if missing(value) else value for value in plain]
    return plain


# --- writers -------------------------------------------------------------------------


def csv_cell(value, column_type: str) -> str:
    """One CSV cell: empty when missing, true/false, fixed decimals, formulas neutralised.

    >>> csv_cell("=HYPERLINK(1)", "string")
    "'=HYPERLINK(1)"
    """
    if value is None:
        return ""
    if column_type == "boolean":
        return "true" if value else "false"
    if column_type == "number":
        return f"{value:.{NUMBER_DECIMALS}f}"
    if column_type == "integer":
        return str(int(value))
    text = str(value)
    if column_type == "string" and text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def to_csv_bytes(dataset: Dataset) -> bytes:
    """RFC 4180 CSV, UTF-8, header row, \\n line ends, in the published order."""
    return csv_bytes(dataset.columns, dataset.records())


def csv_bytes(columns: tuple[Column, ...], records: list[dict]) -> bytes:
    """`records` (Dataset.records) as to_csv_bytes writes them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([column.name for column in columns])
    for record in records:
        writer.writerow(csv_cell(record[column.name], column.type) for column in columns)
    return buffer.getvalue().encode("utf-8")


def to_json_bytes(dataset: Dataset) -> bytes:
    """A JSON array of row objects in the published order; missing values are null."""
    return json_bytes(dataset.records())


def json_bytes(rows: list[dict]) -> bytes:
    """`rows` (Dataset.records) as to_json_bytes writes them."""
    lines = [json.dumps(row, ensure_ascii=False, allow_nan=False) for row in rows]
    text = "[\n" + ",\n".join(lines) + "\n]\n" if lines else "[]\n"
    return text.encode("utf-8")


@dataclass(frozen=True)
class WrittenFile:
    path: Path
    bytes: int
    sha256: str
    changed: bool


def write_if_changed(path: Path, content: bytes, *, staged: bool = False) -> WrittenFile:
    """Write `content` to `path` through a temporary file, unless the file already holds it.

    `staged`: `path` is in a build's staging folder, which no reader sees before the whole build is swapped in
    (staging.py), so a file that does not exist yet is written directly (a temporary file and a rename cost
    ten times as much on ext4: seconds for a cold build's 13,000 files). An existing one is still replaced
    through a temporary file: it may be a hard link to the published build's file, never written in place."""
    digest = hashlib.sha256(content).hexdigest()
    size = _size(path)
    if size == len(content) and path.read_bytes() == content:  # a file of another size is not read
        return WrittenFile(path, len(content), digest, changed=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    if staged and size is None:
        try:
            with open(path, "xb") as new:  # exclusive: never into a file that appeared meanwhile
                new.write(content)
            return WrittenFile(path, len(content), digest, changed=True)
        except FileExistsError:
            pass
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)
    return WrittenFile(path, len(content), digest, changed=True)


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def data_folder(out_dir: Path, version: int) -> Path:
    return out_dir / "data" / f"v{version}"


def data_url(name: str, version: int = 1, extension: str = "json") -> str:
    """The site-relative URL of a published file: `data_url("campaigns")` → 'data/v1/campaigns.json'."""
    return f"data/v{version}/{name}.{extension}"


@dataclass(frozen=True)
class PublishedDataset:
    """What was written for one dataset, for datapackage.json, the downloads page and the report."""

    dataset: Dataset
    csv: WrittenFile
    json: WrittenFile

    @property
    def rows(self) -> int:
        return len(self.dataset.frame)


def publish_dataset(dataset: Dataset, out_dir: Path, cache: Cache | None = None) -> PublishedDataset:
    """Write the dataset's CSV and JSON. Files the cache knows were made from the same rows, and that the
    output folder still holds (the same size and sha256), are not serialised again."""
    folder, cache = data_folder(out_dir, dataset.version), cache or Cache.off()
    paths = {"csv": folder / f"{dataset.name}.csv", "json": folder / f"{dataset.name}.json"}
    key = cache.enabled and cache.key(
        "files", dataset.name, dataset.version, repr(dataset.columns), frame_digest(dataset.frame)
    )
    known = cache.get("files", key) if key else None
    if known and all(holds(paths[kind], *known[kind]) for kind in paths):
        kept = {kind: WrittenFile(paths[kind], *known[kind], changed=False) for kind in paths}
        return PublishedDataset(dataset=dataset, csv=kept["csv"], json=kept["json"])
    records = dataset.records()  # once for both files
    published = PublishedDataset(
        dataset=dataset,
        csv=write_if_changed(paths["csv"], csv_bytes(dataset.columns, records), staged=True),
        json=write_if_changed(paths["json"], json_bytes(records), staged=True),
    )
    files = {
        kind: (written.bytes, written.sha256) for kind, written in (("csv", published.csv), ("json", published.json))
    }
    cache.put("files", key, files, {"dataset": dataset.name})
    return published


def holds(path: Path, size: int, sha256: str) -> bool:
    """Whether `path` is the file of that size and sha256 (the output folder starts as the last build,
    which may have been rolled back or edited: the cache's word alone is not enough)."""
    try:
        return path.stat().st_size == size and hashlib.sha256(path.read_bytes()).hexdigest() == sha256
    except OSError:
        return False


def datapackage(published: list[PublishedDataset], *, title: str, license_id: str, base_url: str) -> dict:
    """A Frictionless Data Package describing one version folder's files.

    frictionless 5 cannot count the bytes of a JSON resource (it reports None and fails a
    declared `bytes`), so JSON resources carry their size as `bytes_on_disk`; their sha256
    `hash` and `rows` are standard and validated.
    """
    resources = []
    for item in sorted(published, key=lambda p: p.dataset.name):
        dataset = item.dataset
        schema = {"fields": [column.frictionless() for column in dataset.columns]}
        common = {
            "profile": "tabular-data-resource",
            "title": dataset.title,
            "description": dataset.description,
            "encoding": "utf-8",
            "rows": item.rows,
            "schema": schema,
            "sources": [{"title": dataset.origin}],
        }
        resources.append(
            {
                "name": f"{dataset.name}-csv",
                "path": f"{dataset.name}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                **common,
                "bytes": item.csv.bytes,
                "hash": f"sha256:{item.csv.sha256}",
                "dialect": {"delimiter": ",", "lineTerminator": "\n", "header": True},
            }
        )
        resources.append(
            {
                "name": f"{dataset.name}-json",
                "path": f"{dataset.name}.json",
                "format": "json",
                "mediatype": "application/json",
                **common,
                "bytes_on_disk": item.json.bytes,
                "hash": f"sha256:{item.json.sha256}",
            }
        )
    package = {
        "profile": "tabular-data-package",
        "name": "almanac-data",
        "title": title,
        "licenses": [{"name": license_id, "path": _license_path(license_id)}],
        "resources": resources,
    }
    if base_url:
        package["homepage"] = base_url
    return package


def _license_path(license_id: str) -> str:
    return f"https://spdx.org/licenses/{license_id}.html"


def write_datapackage(package: dict, folder: Path) -> WrittenFile:
    """datapackage.json, one resource a line: with 12,000 entity files it stays readable and the archive
    diffs it resource by resource (an indented dump also goes through json's pure-Python encoder: 4 s)."""
    lines = []
    for key, value in package.items():
        if key == "resources" and value:
            resources = ",\n".join(f"    {_compact(resource)}" for resource in value)
            lines.append(f'  "resources": [\n{resources}\n  ]')
            del resources  # 28 MB at scale 1: not held twice
        else:
            lines.append(f"  {_compact(key)}: {_compact(value)}")
    content = ("{\n" + ",\n".join(lines) + "\n}\n").encode("utf-8")
    del lines
    return write_if_changed(folder / "datapackage.json", content, staged=True)


def _compact(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def read_published(dataset: Dataset, out_dir: Path) -> Dataset | None:
    """The last published rows of `dataset` (from its JSON file), or None if never published."""
    path = data_folder(out_dir, dataset.version) / f"{dataset.name}.json"
    if not path.exists():
        return None
    rows = json.loads(path.read_text(encoding="utf-8"))
    frame = pd.DataFrame(rows, columns=dataset.column_names)
    return replace(dataset.with_frame(frame), stale=True)
