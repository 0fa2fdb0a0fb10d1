"""Normalize: the one place where number and text values from different engines (DECIMAL, HUGEINT, bytes,
numpy types) become the declared column types, so a query gives byte-identical files on DuckDB, MariaDB
and every driver; and where a value that cannot be published (not finite, out of range, a NUL byte, text
that is not UTF-8) becomes a DataProblem of its dataset.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from build.datasets import Column, Dataset

NUMBER_DECIMALS = 6  # rates and other numbers are published with this many decimals


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
    repeated = sorted({name for name in frame.columns[frame.columns.duplicated()] if name in dataset.column_names})
    if repeated:
        raise SchemaError(
            f"{dataset.origin}: dataset {dataset.name!r}: the result has more than one column named "
            f"{', '.join(map(repr, repeated))} (a SELECT of a.* and b.*, say). Give each its own name with AS."
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


def combine(frames: list[pd.DataFrame], dataset: Dataset) -> pd.DataFrame:
    """Frames each already normalized to `dataset` (same columns and types) as one normalized frame: their
    rows together, sorted by the key, without checking every value again."""
    frame = pd.concat([frame[dataset.column_names] for frame in frames], ignore_index=True)
    if dataset.sort_key and len(frame):
        frame = frame.sort_values(list(dataset.sort_key), kind="mergesort", na_position="first")
    return frame.reset_index(drop=True)


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
        present = text.dropna().to_numpy(dtype=object)
        # One search over all the text (the usual answer: nothing bad) instead of one per value.
        if len(present) and BAD_TEXT.search("\n".join(present)):
            bad = text.str.contains(BAD_TEXT, na=False)
            position = int(bad.to_numpy().argmax())
            raise _BadRow(position, NUL_BYTE if "\x00" in text.iloc[position] else NOT_UTF8)
        return text
    if column_type == "integer" and kind in ("integer", "empty") and values.dtype != object:
        if values.dtype.kind == "u" and len(values) and values.max() > INT64[1]:
            return None  # a BIGINT UNSIGNED above 2^63 - 1: astype would wrap it round to a negative number
        return values.astype("Int64")
    return None


def missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _to_int(value):
    if missing(value):
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
    if missing(value):
        return None
    number = float(value)
    if not math.isfinite(number):
        finite_before = isinstance(value, int | decimal.Decimal) and decimal.Decimal(value).is_finite()
        raise BadValue(OUT_OF_RANGE if finite_before else NOT_FINITE)
    return round(number, NUMBER_DECIMALS) + 0.0  # + 0.0: -0.0000001 (or MariaDB's -0E-9) is published as 0.0


def _to_bool(value):
    return None if missing(value) else bool(value)


def _to_text(value):
    if missing(value):
        return None
    text = bytes(value).decode("utf-8") if isinstance(value, bytes | bytearray) else str(value)
    bad = BAD_TEXT.search(text)
    if bad:
        raise BadValue(NUL_BYTE if bad.group() == "\x00" else NOT_UTF8)
    return text


def _to_date_text(value):
    if missing(value):
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
