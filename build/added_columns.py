"""Added columns: values a table or tiles show beside a dataset's own, computed from other datasets.

A page names them with `add=` (column name → what it is), e.g. on a campaign list:

    add={"edits": {"sum": "courses.total_edits", "via": "campaign_courses", "by": "campaign",
                   "on": "course_slug"},
         "home_wikis": {"distinct": "courses.home_wiki", "via": "campaign_courses", "by": "campaign",
                        "on": "course_slug"},
         "status": {"ongoing_until": "end_date"}}

- `sum` / `distinct` = "dataset.column": over the rows of that dataset linked to this row: the rows
  of `via` whose `by` equals this row's `by`, then the rows of the dataset whose `on` equals theirs.
  A sum of nothing but empty values is empty; `distinct` lists the values sorted, ", "-separated.
- `ongoing_until` = a date column: "ongoing" while that date is on or after the as-of date (or
  empty), else "ended" (`words` = [ongoing, ended] changes the words).

Optional keys: `label` (the header) and `description` (the definition; by default said from the
source column's). Nothing here names a dataset: the page does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from build.datasets import Column, Dataset

KINDS = ("sum", "distinct", "ongoing_until")
OPTIONS = {"via", "by", "on", "label", "description", "words"}


class AddedColumnError(ValueError):
    """An added column is declared wrong: what is wrong and what exists."""


def labels(add: dict | None) -> dict:
    """The header labels the page gave its added columns."""
    return {name: spec["label"] for name, spec in (add or {}).items() if spec.get("label")}


def declare(schema: Dataset, add: dict, schema_of: Callable[[str], Dataset]) -> Dataset:
    """The dataset's schema with the added columns appended (checked against the datasets they read)."""
    columns = list(schema.columns)
    for name, spec in add.items():
        columns.append(_column(name, spec, schema, schema_of))
    return replace(schema, columns=tuple(columns))


def _column(name: str, spec: dict, schema: Dataset, schema_of) -> Column:
    if name in schema.column_names:
        raise AddedColumnError(f"added column {name!r} is already a column of {schema.name!r}")
    kinds = [k for k in KINDS if k in spec]
    unknown = sorted(set(spec) - set(KINDS) - OPTIONS)
    if len(kinds) != 1 or unknown:
        raise AddedColumnError(
            f"added column {name!r} needs exactly one of {', '.join(KINDS)}"
            + (f"; unknown key(s) {', '.join(unknown)}" if unknown else "")
        )
    kind = kinds[0]
    if kind == "ongoing_until":
        _need(schema, [spec[kind]])
        words = spec.get("words", ["ongoing", "ended"])
        text = f"“{words[0]}” while {spec[kind]} is on or after the as-of date, else “{words[1]}”."
        return Column(name, "string", spec.get("description", text))
    source, _, column = str(spec[kind]).partition(".")
    for key in ("via", "by", "on"):
        if not spec.get(key):
            raise AddedColumnError(f"added column {name!r} needs {key}= (how rows of {source!r} are linked)")
    _need(schema, [spec["by"]])
    _need(schema_of(spec["via"]), [spec["by"], spec["on"]])
    target = schema_of(source)
    _need(target, [column, spec["on"]])
    found = target.column(column)
    if kind == "sum":
        text = spec.get("description", f"Sum over the linked {target.title.lower()} of: {found.description}")
        return Column(name, found.type, text, found.unit)
    text = spec.get(
        "description", f"Every distinct value, over the linked {target.title.lower()}, of: {found.description}"
    )
    return Column(name, "string", text)


def _need(dataset: Dataset, columns: list[str]) -> None:
    missing = [c for c in columns if c not in dataset.column_names]
    if missing:
        raise AddedColumnError(
            f"dataset {dataset.name!r} has no column {', '.join(map(repr, missing))} "
            f"(it has: {', '.join(dataset.column_names)})"
        )


def compute(rows: list[dict], add: dict, linked: Callable[[str, str, object], list[dict]], as_of: str) -> list[dict]:
    """`rows` with the added columns' values; `linked(dataset, column, value)` gives a dataset's rows
    whose column equals the value (the whole dataset's, never one entity's)."""
    result = []
    for row in rows:
        extra = {}
        for name, spec in add.items():
            if "ongoing_until" in spec:
                words = spec.get("words", ["ongoing", "ended"])
                until = row.get(spec["ongoing_until"])
                extra[name] = words[0] if until is None or str(until) >= as_of else words[1]
                continue
            kind = "sum" if "sum" in spec else "distinct"
            source, _, column = str(spec[kind]).partition(".")
            keys = dict.fromkeys(r.get(spec["on"]) for r in linked(spec["via"], spec["by"], row.get(spec["by"])))
            values = [r.get(column) for key in keys for r in linked(source, spec["on"], key)]
            present = [v for v in values if v is not None]
            if kind == "sum":
                extra[name] = sum(present) if present else None
            else:
                extra[name] = ", ".join(sorted({str(v) for v in present})) or None
        result.append({**row, **extra})
    return result
