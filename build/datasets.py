"""The Dataset type that flows through every stage, and its writers (CSV, JSON, datapackage.json).

A Dataset is a name, a pandas DataFrame, a declared schema and where it came from. SQL
results and derived tables are both Datasets. `normalize` is the one place where number
and text types from different engines (DECIMAL, HUGEINT, bytes) become the same values,
so a query gives byte-identical files on DuckDB and MariaDB.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import hashlib
import io
import json
import math
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

TYPES = ("integer", "number", "string", "date", "boolean")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NUMBER_DECIMALS = 6


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
        return [
            {name: _plain(value) for name, value in zip(self.column_names, row, strict=True)}
            for row in self.frame[self.column_names].itertuples(index=False, name=None)
        ]


class SchemaError(Exception):
    """A frame does not match its declared columns."""


class DataProblem(SchemaError):
    """One value cannot be published: a number that is not finite or out of range, a NUL byte,
    text that is not UTF-8, or a value of the wrong type. A problem of its dataset alone.

    `public_note` names the column, the kind of value and (for a published dataset, whose keys
    are public anyway) the first offending row's key; it never quotes the value. str() is the
    full message, with the value, for the private error file.
    """

    def __init__(self, dataset: Dataset, column: str, problem: str, key: str, value):
        where = f"first in row {key}" if dataset.publish else "its row key is in the error file"
        self.column, self.problem, self.key = column, problem, key
        self.public_note = f"column {column!r} holds {problem}, {where}"
        super().__init__(
            f"{dataset.origin}: dataset {dataset.name!r}, column {column!r} holds {problem}, "
            f"first in row {key}: {_shown(value)}"
        )


class BadValue(ValueError):
    """One value that cannot be published; its message is the problem in words (no value)."""


NOT_FINITE = "a number that is not finite (inf or NaN)"
OUT_OF_RANGE = "a number out of range"
NUL_BYTE = "a NUL byte"
NOT_UTF8 = "text that is not valid UTF-8"
BAD_TEXT = re.compile("[\x00\ud800-\udfff]")  # NUL, or a lone surrogate (undecodable bytes)
INT64 = (-(2**63), 2**63 - 1)


def normalize(frame: pd.DataFrame, dataset: Dataset) -> pd.DataFrame:
    """Coerce every declared column to its type, keep only declared columns, sort by the key.

    A MariaDB DECIMAL 2, a DuckDB HUGEINT 2 and a float 2.0 all become the integer 2;
    bytes from a binary column become text; NaN and None become missing. A value that cannot
    be published (inf, a NUL byte, invalid UTF-8, …) raises DataProblem naming the dataset,
    the column and the first offending row's key.
    """
    frame = frame.rename(columns=str.lower) if _needs_lowercase(frame, dataset) else frame
    missing = [name for name in dataset.column_names if name not in frame.columns]
    if missing:
        raise SchemaError(
            f"{dataset.origin}: dataset {dataset.name!r} declares column(s) {', '.join(missing)} "
            f"that the result does not have (it has: {', '.join(map(str, frame.columns)) or 'none'}). "
            "Fix the header's [columns] or the SELECT list."
        )
    frame = frame.reset_index(drop=True)
    result = pd.DataFrame(index=range(len(frame)))
    for column in dataset.columns:
        try:
            result[column.name] = _coerce(frame[column.name], column, dataset)
        except _BadRow as bad:
            value = frame[column.name].iloc[bad.position]
            raise DataProblem(
                dataset, column.name, bad.problem, _row_key(frame, dataset, bad.position), value
            ) from None
    if dataset.sort_key and len(result):
        result = result.sort_values(list(dataset.sort_key), kind="mergesort", na_position="first")
    return result.reset_index(drop=True)


class _BadRow(Exception):
    def __init__(self, position: int, problem: str):
        self.position, self.problem = position, problem


def _needs_lowercase(frame: pd.DataFrame, dataset: Dataset) -> bool:
    names = set(dataset.column_names)
    return not names <= set(frame.columns) and names <= {str(c).lower() for c in frame.columns}


def _coerce(values: pd.Series, column: Column, dataset: Dataset) -> pd.Series:
    if column.type not in CONVERTERS:
        raise SchemaError(f"{dataset.origin}: column {column.name!r} has unknown type {column.type!r}")
    fast = _coerce_uniform(values, column.type)
    if fast is not None:
        return fast
    convert, dtype = CONVERTERS[column.type]
    try:
        return pd.Series([convert(v) for v in values], dtype=dtype)
    except (TypeError, ValueError, ArithmeticError):
        pass  # find the first bad value once, only on this rare path
    for position, value in enumerate(values):
        try:
            convert(value)
        except BadValue as error:
            raise _BadRow(position, str(error)) from None
        except UnicodeDecodeError:
            raise _BadRow(position, NOT_UTF8) from None
        except (TypeError, ValueError, ArithmeticError):
            raise _BadRow(position, f"a value that is not {ARTICLES[column.type]}") from None
    raise SchemaError(f"{dataset.origin}: column {column.name!r} of dataset {dataset.name!r} cannot be converted.")


def _coerce_uniform(values: pd.Series, column_type: str) -> pd.Series | None:
    """The vectorised path for a column whose values already have the declared kind (most
    columns of a large result); None sends the column value by value through the checks."""
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if column_type == "string" and kind in ("string", "empty"):
        text = values.astype("string")
        bad = text.str.contains(BAD_TEXT, na=False)
        if bad.any():
            position = int(bad.to_numpy().argmax())
            raise _BadRow(position, NUL_BYTE if "\x00" in text.iloc[position] else NOT_UTF8)
        return text
    if column_type == "integer" and kind in ("integer", "empty") and values.dtype != object:
        return values.astype("Int64")
    return None


def _missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _to_int(value):
    if _missing(value):
        return None
    if isinstance(value, float | decimal.Decimal) and not math.isfinite(value):
        raise BadValue(NOT_FINITE)
    if isinstance(value, float | decimal.Decimal) and value != int(value):
        raise ValueError(f"{value!r} has a fraction")
    number = int(value)
    if not INT64[0] <= number <= INT64[1]:
        raise BadValue(OUT_OF_RANGE)
    return number


def _to_float(value):
    if _missing(value):
        return None
    number = float(value)
    if not math.isfinite(number):
        finite_before = isinstance(value, int | decimal.Decimal) and decimal.Decimal(value).is_finite()
        raise BadValue(OUT_OF_RANGE if finite_before else NOT_FINITE)
    return round(number, NUMBER_DECIMALS)


def _to_bool(value):
    return None if _missing(value) else bool(value)


def _to_text(value):
    if _missing(value):
        return None
    text = bytes(value).decode("utf-8") if isinstance(value, bytes | bytearray) else str(value)
    bad = BAD_TEXT.search(text)
    if bad:
        raise BadValue(NUL_BYTE if bad.group() == "\x00" else NOT_UTF8)
    return text


def _to_date_text(value):
    if _missing(value):
        return None
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("ascii")
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10]).isoformat()
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    raise ValueError(f"{value!r} is not a date")


CONVERTERS = {
    "integer": (_to_int, "Int64"),
    "number": (_to_float, "Float64"),
    "boolean": (_to_bool, "boolean"),
    "date": (_to_date_text, "string"),
    "string": (_to_text, "string"),
}
ARTICLES = {"integer": "an integer", "number": "a number", "boolean": "a boolean", "date": "a date", "string": "text"}


def _row_key(frame: pd.DataFrame, dataset: Dataset, position: int) -> str:
    """The offending row, by its sort key (`campaign='x', month='2024-01'`), else by position."""
    keys = [name for name in dataset.sort_key if name in frame.columns]
    if not keys:
        return f"{position + 1} of the result"
    return ", ".join(f"{name}={_shown(frame[name].iloc[position])}" for name in keys)


def _shown(value, limit: int = 60) -> str:
    """A value for a message: quoted, control characters and undecodable bytes escaped, cut short."""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(value):
    if _missing(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


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
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(dataset.column_names)
    types = [column.type for column in dataset.columns]
    for record in dataset.records():
        writer.writerow(csv_cell(record[c.name], t) for c, t in zip(dataset.columns, types, strict=True))
    return buffer.getvalue().encode("utf-8")


def to_json_bytes(dataset: Dataset) -> bytes:
    """A JSON array of row objects in the published order; missing values are null."""
    rows = dataset.records()
    lines = [json.dumps(row, ensure_ascii=False, allow_nan=False) for row in rows]
    text = "[\n" + ",\n".join(lines) + "\n]\n" if lines else "[]\n"
    return text.encode("utf-8")


@dataclass(frozen=True)
class WrittenFile:
    path: Path
    bytes: int
    sha256: str
    changed: bool


def write_if_changed(path: Path, content: bytes) -> WrittenFile:
    """Write `content` to `path` through a temporary file, unless the file already holds it."""
    digest = hashlib.sha256(content).hexdigest()
    if path.exists() and path.read_bytes() == content:
        return WrittenFile(path, len(content), digest, changed=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)
    return WrittenFile(path, len(content), digest, changed=True)


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


def publish_dataset(dataset: Dataset, out_dir: Path) -> PublishedDataset:
    folder = data_folder(out_dir, dataset.version)
    return PublishedDataset(
        dataset=dataset,
        csv=write_if_changed(folder / f"{dataset.name}.csv", to_csv_bytes(dataset)),
        json=write_if_changed(folder / f"{dataset.name}.json", to_json_bytes(dataset)),
    )


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
    text = json.dumps(package, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    return write_if_changed(folder / "datapackage.json", text.encode("utf-8"))


def read_published(dataset: Dataset, out_dir: Path) -> Dataset | None:
    """The last published rows of `dataset` (from its JSON file), or None if never published."""
    path = data_folder(out_dir, dataset.version) / f"{dataset.name}.json"
    if not path.exists():
        return None
    rows = json.loads(path.read_text(encoding="utf-8"))
    frame = pd.DataFrame(rows, columns=dataset.column_names)
    return replace(dataset.with_frame(frame), stale=True)
