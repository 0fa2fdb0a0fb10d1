"""Queries: find queries/*.sql, parse each metadata header, bind parameters, transpile MySQL SQL.

A query file is MySQL-dialect SQL behind a header: a leading /* … */ comment whose body
is TOML (title, description, source, sort, [columns] …; see README "Add a query").
Queries are written once, in MySQL dialect, and transpiled by sqlglot for DuckDB; the
few constructs sqlglot translates wrongly are fixed here, in `_fix_for_duckdb`, once.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from .datasets import TYPES, Column, Dataset

HEADER = re.compile(r"\A\s*/\*(?P<body>.*?)\*/", re.DOTALL)
NAME = re.compile(r"[a-z][a-z0-9_]*")
HEADER_KEYS = {
    "title": "a short title",
    "description": "one or two sentences: what a row is",
    "source": "the source name, e.g. dashboard or replica",
    "sort": "a list of column names: the published row order",
    "publish": "true to publish the result as a dataset, false for an input of a derivation",
    "version": "the schema version (a whole number), bumped by a breaking change",
    "chunk_key": "a unique, indexed column to page through large results (keyset pagination)",
    "chunk_size": "rows per chunk when chunk_key is set",
    "per_wiki": "true to run once per wiki database of a replica source",
    "columns": "a table: each column's type and description",
}
COLUMN_KEYS = {"type", "description", "unit"}


class QueryError(Exception):
    """A query file is malformed; the message names the file, the line and the fix."""


@dataclass(frozen=True)
class Query:
    """One parsed query file."""

    path: Path
    name: str
    title: str
    description: str
    source: str
    columns: tuple[Column, ...]
    sort_key: tuple[str, ...]
    sql: str
    sql_line: int
    tree: exp.Expression = field(repr=False, compare=False)
    publish: bool = True
    version: int = 1
    chunk_key: str | None = None
    chunk_size: int = 50_000
    per_wiki: bool = False

    @property
    def origin(self) -> str:
        return f"queries/{self.path.name}"

    def empty_dataset(self) -> Dataset:
        """The Dataset this query fills, with no rows yet."""
        return Dataset(
            name=self.name,
            title=self.title,
            description=self.description,
            columns=self.columns,
            sort_key=self.sort_key,
            origin=self.origin,
            version=self.version,
            publish=self.publish,
        )

    @property
    def parameters(self) -> set[str]:
        return {node.name for node in self.tree.find_all(exp.Placeholder)}


def discover(folder: Path) -> list[Query]:
    """Parse every queries/*.sql in name order; raise one QueryError listing every bad file."""
    queries, problems = [], []
    for path in sorted(folder.glob("*.sql")):
        try:
            queries.append(parse_query(path))
        except QueryError as error:
            problems.append(str(error))
    if problems:
        raise QueryError("\n".join(problems))
    return queries


def parse_query(path: Path) -> Query:
    text = path.read_text(encoding="utf-8")
    name = path.stem
    where = f"queries/{path.name}"
    if not NAME.fullmatch(name):
        raise QueryError(f"{where}:1: the file name must be lower_case_with_underscores.sql (it names the dataset).")
    match = HEADER.match(text)
    if not match:
        raise QueryError(
            f"{where}:1: no metadata header. Start the file with a /* … */ comment holding "
            'TOML: title = "…", description = "…", sort = […] and a [columns] table.'
        )
    header_line = text[: match.start("body")].count("\n") + 1
    try:
        header = tomllib.loads(match.group("body"))
    except tomllib.TOMLDecodeError as error:
        raise QueryError(f"{where}:{_toml_line(error, header_line)}: header is not valid TOML: {error}.") from error

    def fail(message: str, key: str | None = None) -> QueryError:
        line = _key_line(match.group("body"), key, header_line) if key else header_line
        return QueryError(f"{where}:{line}: {message}")

    for key in header:
        if key not in HEADER_KEYS:
            raise fail(f"unknown header key {key!r}; expected one of {', '.join(HEADER_KEYS)}.", key)
    for key in ("title", "description", "columns"):
        if key not in header:
            raise fail(f"header has no {key!r} ({HEADER_KEYS[key]}).")
    columns = _columns(header["columns"], fail)
    names = [column.name for column in columns]
    sort_key = tuple(header.get("sort", []))
    unknown = [key for key in sort_key if key not in names]
    if unknown:
        raise fail(f"sort names {', '.join(unknown)}, which [columns] does not declare.", "sort")
    if not sort_key:
        raise fail("header has no 'sort': published rows need a declared order.")

    sql = text[match.end() :]
    sql_line = text[: match.end()].count("\n") + 1
    tree = parse_sql(sql, where, sql_line)
    return Query(
        path=path,
        name=name,
        title=str(header["title"]),
        description=str(header["description"]),
        source=str(header.get("source", "dashboard")),
        columns=columns,
        sort_key=sort_key,
        sql=sql,
        sql_line=sql_line,
        tree=tree,
        publish=bool(header.get("publish", True)),
        version=int(header.get("version", 1)),
        chunk_key=header.get("chunk_key"),
        chunk_size=int(header.get("chunk_size", 50_000)),
        per_wiki=bool(header.get("per_wiki", False)),
    )


def _columns(table, fail) -> tuple[Column, ...]:
    if not isinstance(table, dict) or not table:
        raise fail("[columns] must be a table with one entry per column.", "columns")
    columns = []
    for name, spec in table.items():
        if not isinstance(spec, dict):
            raise fail(f'column {name!r}: expected {{ type = "…", description = "…" }}.', name)
        extra = set(spec) - COLUMN_KEYS
        if extra:
            raise fail(f"column {name!r}: unknown key(s) {', '.join(sorted(extra))}.", name)
        if spec.get("type") not in TYPES:
            raise fail(f"column {name!r}: type must be one of {', '.join(TYPES)}, got {spec.get('type')!r}.", name)
        if not spec.get("description"):
            raise fail(f"column {name!r}: needs a description (it is shown on the downloads page).", name)
        columns.append(Column(name, spec["type"], spec["description"], spec.get("unit")))
    return tuple(columns)


def _toml_line(error: tomllib.TOMLDecodeError, header_line: int) -> int:
    found = re.search(r"line (\d+)", str(error))
    return header_line + int(found.group(1)) - 1 if found else header_line


def _key_line(body: str, key: str | None, header_line: int) -> int:
    for offset, line in enumerate(body.splitlines()):
        if key and re.match(rf"\s*\[?{re.escape(key)}\]?\s*(=|$)", line):
            return header_line + offset
    return header_line


def parse_sql(sql: str, where: str, first_line: int) -> exp.Expression:
    """Parse one MySQL statement; a syntax error names the file line and column."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="mysql") if s is not None]
    except ParseError as error:
        detail = error.errors[0] if error.errors else {}
        line = first_line + int(detail.get("line", 1)) - 1
        message = detail.get("description", str(error))
        raise QueryError(
            f"{where}:{line}: SQL does not parse (column {detail.get('col', '?')}): {message}. "
            "Queries are MySQL dialect; check the statement near that line."
        ) from error
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        statement_line = first_line + sql[: len(sql) - len(sql.lstrip())].count("\n")
        raise QueryError(f"{where}:{statement_line}: expected exactly one SELECT statement after the header.")
    return statements[0]


# --- parameters and dialects ---------------------------------------------------------


def standard_parameters(as_of: dt.date, settings_values: dict[str, object]) -> dict[str, object]:
    """The named parameters every query may use, e.g. `:as_of` and `:as_of_month`."""
    return {
        "as_of": as_of.isoformat(),
        "as_of_month": as_of.replace(day=1).isoformat(),
        **settings_values,
    }


def bind(tree: exp.Expression, values: dict[str, object], where: str) -> exp.Expression:
    """Replace `:name` placeholders with SQL literals (lists become a parenthesised tuple)."""

    def literal(value) -> exp.Expression:
        if isinstance(value, bool):
            return exp.Boolean(this=value)
        if isinstance(value, int | float):
            return exp.Literal.number(value)
        return exp.Literal.string(str(value))

    def substitute(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and node.name:
            if node.name not in values:
                raise QueryError(f"{where}: unknown parameter :{node.name}; available: {', '.join(sorted(values))}.")
            value = values[node.name]
            if isinstance(value, list | tuple):
                return exp.Tuple(expressions=[literal(item) for item in value] or [exp.Null()])
            return literal(value)
        return node

    return tree.copy().transform(substitute)


def to_sql(tree: exp.Expression, dialect: str) -> str:
    """Generate SQL for `dialect` ('mysql' or 'duckdb'), with our fixes for sqlglot's gaps."""
    # Copy only when there is something to fix: a bound tree can hold a very long IN list.
    if dialect == "duckdb" and tree.find(exp.TimestampDiff):
        tree = tree.copy().transform(_fix_for_duckdb)
    return tree.sql(dialect=dialect)


def _fix_for_duckdb(node: exp.Expression) -> exp.Expression:
    # sqlglot turns MySQL's TIMESTAMPDIFF(unit, a, b) into DATE_DIFF, which counts unit
    # boundaries crossed; MySQL counts whole units elapsed. DuckDB's DATE_SUB(part, a, b)
    # counts whole units, like MySQL.
    if isinstance(node, exp.TimestampDiff):
        unit = (node.unit.name if node.unit else "DAY").lower()
        return exp.Anonymous(
            this="DATE_SUB",
            expressions=[exp.Literal.string(unit), node.expression.copy(), node.this.copy()],
        )
    return node
