"""Tables: rows of a Dataset → formatted cells for the table partial (plain, pivoted or summarised).

How a value is shown comes from its column, never its name: a number whose unit is "fraction" is a
percentage, a number with another unit gets thousands separators, a number without a unit (a year,
an id) is shown plain, a boolean is yes/no. Empty values are explained in words from the content's
`templates/formats.toml` (`Words`): a boolean flag column in the same row, or a list of columns
whose empty value always means one thing. Nothing here names a dataset.
"""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from build.datasets import Column, Dataset
from build.formatting import FORMATS, human


@dataclass(frozen=True)
class Words:
    """What an empty cell says (templates/formats.toml, [empty]) and where datasets are described ([links])."""

    flag: str = ""  # a boolean column that explains empty numbers in its row
    flagged: str = "—"  # … when the flag is true
    unflagged: str = "—"  # … when it is false
    always: dict = field(default_factory=dict)  # "dataset.column" → the words for its empty values
    about: str = "#{dataset}"  # where a dataset is described, below the site root ([links] about)

    @classmethod
    def load(cls, path: Path) -> Words:
        if not path.is_file():
            return cls()
        document = tomllib.loads(path.read_text(encoding="utf-8"))
        empty = document.get("empty", {})
        text = empty.get("always_text", "—")
        return cls(
            flag=empty.get("flag", ""),
            flagged=empty.get("flagged", "—"),
            unflagged=empty.get("unflagged", "—"),
            always={name: text for name in empty.get("always", [])},
            about=document.get("links", {}).get("about", "#{dataset}"),
        )


@dataclass
class Cell:
    """A cell as the partial writes it: its text, sort key, class (from what it holds and its column's type)
    and link. The class is set here, not in the partial: a table of 1,000 rows has 10,000 cells."""

    text: str
    sort: Any = None
    numeric: bool = False
    note: bool = False
    date: bool = False  # in a date column: kept on one line
    href: str | None = None
    css: str = field(init=False)

    def __post_init__(self):
        self.css = "num" if self.numeric else "note" if self.note else "nowrap" if self.date else ""


@dataclass
class Table:
    """A table for the partial: header (name, label, description, numeric) and formatted rows."""

    columns: list[dict]
    rows: list[list[Cell]]
    caption: str = ""
    sortable: bool = False
    search: bool = False
    search_text: list[str] | None = None  # per row: the search key a search matches (else the row's own text)
    filters: list[dict] = field(default_factory=list)  # {column index, label, kind, options} per filter


def search_key(text: str) -> str:
    """`text` as site.js searches it: accents dropped, lower case (its fold(), done once here, not per reader)."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not 0x300 <= ord(c) <= 0x36F).lower()


def column_format(column: Column) -> str:
    """The FORMATS key a column's values are shown with (see the module docstring)."""
    if column.unit == "fraction":
        return "percent"
    if column.type in ("integer", "number"):
        return "number" if column.unit else "plain"
    return "text"


def cell(column: Column, value, row: dict, words: Words, dataset: str = "", fmt: str | None = None) -> Cell:
    """One table cell: numbers formatted and right-aligned; an empty value explained in words."""
    numeric, date = column.type in ("integer", "number"), column.type == "date"
    if value is None:
        if f"{dataset}.{column.name}" in words.always:
            return Cell(words.always[f"{dataset}.{column.name}"], None, False, True, date)
        if numeric and words.flag and words.flag in row:
            return Cell(words.flagged if row.get(words.flag) else words.unflagged, None, False, True, date)
        return Cell("—", None, False, True, date)
    if column.type == "boolean":
        return Cell("yes" if value else "no", int(bool(value)))
    fmt = fmt or column_format(column)
    if fmt in FORMATS:
        return Cell(FORMATS[fmt](value), value if numeric else None, numeric, date=date)
    return Cell(str(value), None, date=date)


def link_cells(table: Table, links: dict[str, list[str | None]]) -> None:
    """Column name → an href (or None) per row: each of those cells links to its row's."""
    for index, column in enumerate(table.columns):
        for row, href in zip(table.rows, links.get(column["name"], ()), strict=False):
            row[index] = replace(row[index], href=href)  # a copy: a cell may be shared ('—' in a pivot)


def header(column: Column, label: str | None = None) -> dict:
    description = column.description + (f" ({column.unit})" if column.unit else "")
    numeric = column.type in ("integer", "number")
    return {
        "name": column.name,
        "label": label or human(column.name),
        "description": description,
        "numeric": numeric,
        "date": column.type == "date",
    }


def make_table(
    dataset: Dataset,
    rows: list[dict],
    columns: list[str],
    words: Words,
    labels: dict | None = None,
    formats: dict | None = None,
    caption: str = "",
) -> Table:
    """A table of `columns` of `rows`, in the given order."""
    labels, formats = labels or {}, formats or {}
    described = [dataset.column(name) for name in columns]
    head = [header(column, labels.get(column.name)) for column in described]
    body = [
        [cell(c, row.get(c.name), row, words, dataset.name, formats.get(c.name)) for c in described] for row in rows
    ]
    return Table(head, body, caption)


def pivot_table(dataset: Dataset, rows: list[dict], words: Words, pivot: dict, caption: str = "") -> Table:
    """One row per `index` value, one column per value of `columns`, cells from `values`.

    `pivot` = {"index": [columns kept from each group's first row], "columns": name, "values": name,
    "label": "Retention at {} months"}; a missing combination is '—'.
    """
    index, across, values = list(pivot["index"]), pivot["columns"], pivot["values"]
    label = pivot.get("label", "{}")
    keys = sorted({row[across] for row in rows if row.get(across) is not None})
    groups: dict[tuple, dict] = {}
    for row in rows:
        group = groups.setdefault(tuple(row.get(c) for c in index), {"first": row, "by": {}})
        group["by"][row.get(across)] = row
    value_column = dataset.column(values)
    head = [header(dataset.column(name), (pivot.get("labels") or {}).get(name)) for name in index]
    head += [{**header(value_column), "name": f"{values}-{key}", "label": label.format(key)} for key in keys]
    body = []
    for group in groups.values():
        first = group["first"]
        cells = [cell(dataset.column(c), first.get(c), first, words, dataset.name) for c in index]
        for key in keys:
            row = group["by"].get(key)
            missing = Cell("—", None, False, True)
            cells.append(cell(value_column, row.get(values), row, words, dataset.name) if row else missing)
        body.append(cells)
    return Table(head, body, caption)


def summary_table(dataset: Dataset, rows: list[dict], words: Words, summary: dict, caption: str = "") -> Table:
    """Per value of `by`: rows, rows with a `value`, its median, and empty values by the flag's words."""
    by, value = summary["by"], summary["value"]
    labels = {"rows": "Rows", "measured": "Measured", "median": "Median", **summary.get("labels", {})}
    groups: dict[Any, list[dict]] = {}
    for row in rows:
        groups.setdefault(row.get(by), []).append(row)
    value_column = dataset.column(value)
    head = [header(dataset.column(by), labels.get(by))]
    head += [{"name": n, "label": labels[n], "description": "", "numeric": True} for n in ("rows", "measured")]
    head.append({**header(value_column), "name": "median", "label": labels["median"]})
    flagged = words.flag and words.flag in dataset.column_names
    if flagged:
        head += [
            {"name": n, "label": t, "description": "", "numeric": True}
            for n, t in (("u", _capital(words.unflagged)), ("f", _capital(words.flagged)))
        ]
    body = []
    for key in sorted(groups, key=lambda k: (k is None, k)):
        group = groups[key]
        measured = sorted(r[value] for r in group if r.get(value) is not None)
        cells = [cell(dataset.column(by), key, {}, words), _count(len(group)), _count(len(measured))]
        cells.append(cell(value_column, median(measured), {}, words, dataset.name))
        if flagged:
            empty = [r for r in group if r.get(value) is None]
            cells += [
                _count(sum(1 for r in empty if not r.get(words.flag))),
                _count(sum(1 for r in empty if r.get(words.flag))),
            ]
        body.append(cells)
    return Table(head, body, caption)


FILTER_KINDS = ("year", "values")


def filter_spec(table: Table, filters: dict) -> list[dict]:
    """Select boxes above a table: column → "year" (the year of a date) or "values" (the ", "-separated
    values of a cell). Options are taken from the cells, sorted (years newest first)."""
    specs = []
    names = [c["name"] for c in table.columns]
    for column, kind in filters.items():
        if kind not in FILTER_KINDS:
            raise ValueError(f"filter {column!r}: kind {kind!r} is not one of {', '.join(FILTER_KINDS)}")
        if column not in names:
            raise ValueError(f"filter {column!r}: the table does not show that column (it shows: {', '.join(names)})")
        index = names.index(column)
        texts = [row[index].text for row in table.rows if not row[index].note]
        if kind == "year":
            options = sorted({t[:4] for t in texts if t[:4].isdigit()}, reverse=True)
        else:
            options = sorted({v for t in texts for v in t.split(", ") if v})
        label = table.columns[index]["label"] + (" (year)" if kind == "year" else "")
        specs.append({"index": index, "label": label, "kind": kind, "options": options})
    return specs


def disambiguate(table: Table, rows: list[dict], columns: dict) -> None:
    """Column → another column: where two rows show the same text, add the other column's value, so
    programs with the same title are told apart ("Edit-a-thon (uni-x/Edit-a-thon)")."""
    names = [c["name"] for c in table.columns]
    for column, by in columns.items():
        index = names.index(column)
        seen: dict[str, int] = {}
        for row in table.rows:
            seen[row[index].text] = seen.get(row[index].text, 0) + 1
        for row, source in zip(table.rows, rows, strict=True):
            if seen[row[index].text] > 1 and source.get(by) is not None:
                row[index] = replace(row[index], text=f"{row[index].text} ({source[by]})", note=False)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _count(n: int) -> Cell:
    return Cell(f"{n:,}", n, True)


def median(values: list[float]) -> float | None:
    """The median of sorted `values`, None when there are none."""
    if not values:
        return None
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2
