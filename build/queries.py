"""Queries: find queries/*.sql and check each file's metadata header like site.toml.

A query file is MySQL-dialect SQL behind a header: a leading /* … */ comment whose body
is TOML (title, description, source, sort, [columns] …; see README "Adding a query").
Every header key is declared once in HEADER_SCHEMA with its type, range and meaning, the way
config.SCHEMA declares settings; `discover` reports every problem of every file at once, each
as one line `queries/x.sql:LINE: what is wrong; what is allowed`, before any query runs, and
`check_sources` does the same for source names once the settings are known. The statement
itself is parsed, checked to be a plain read and transpiled by build/sql.py.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlglot import exp

from .datasets import TYPES, Column, Dataset
from .sql import QueryError, _node_line, bind, parse_sql, standard_parameters, to_sql

__all__ = ["Query", "QueryError", "bind", "check_sources", "discover", "parse_query", "standard_parameters", "to_sql"]

HEADER = re.compile(r"\A\s*/\*(?P<body>.*?)\*/", re.DOTALL)
NAME = re.compile(r"[a-z][a-z0-9_]*")
COLUMN_NAME = re.compile(r"[a-z_][a-z0-9_]*")
REQUIRED = object()


# --- the header schema (declared like config.SCHEMA: type, default and meaning of each key) ---


@dataclass(frozen=True)
class HeaderKey:
    key: str
    check: Callable[[Any], Any]  # returns the value, or raises ValueError
    expected: str
    default: Any
    doc: str


def _text(value):
    if not isinstance(value, str) or not value.strip():
        raise ValueError
    return value


def _flag(value):
    if not isinstance(value, bool):  # `publish = "false"` is a string, and a string is truthy
        raise ValueError
    return value


def _whole(low: int, high: int) -> Callable[[Any], int]:
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError
        return value

    return check


def _name(value):
    if not isinstance(value, str) or not NAME.fullmatch(value):
        raise ValueError
    return value


def _names(value):
    if not isinstance(value, list) or not value or len(set(map(str, value))) != len(value):
        raise ValueError
    return tuple(_column_name(item) for item in value)


def _column_name(value):
    if not isinstance(value, str) or not COLUMN_NAME.fullmatch(value):
        raise ValueError
    return value


def _table(value):
    if not isinstance(value, dict) or not value:
        raise ValueError
    return value


HEADER_SCHEMA: tuple[HeaderKey, ...] = (
    HeaderKey("title", _text, "a non-empty string", REQUIRED, "a short title"),
    HeaderKey("description", _text, "a non-empty string", REQUIRED, "one or two sentences: what a row is"),
    HeaderKey(
        "source",
        _name,
        'the name of a configured source (lower_case), e.g. "dashboard" or "replica"',
        "dashboard",
        "the source the query reads",
    ),
    HeaderKey(
        "sort",
        _names,
        'a non-empty list of column names from [columns], each once, e.g. ["month", "wiki"]',
        REQUIRED,
        "the published row order",
    ),
    HeaderKey("publish", _flag, "true or false, without quotes", True, "false for an input of a derivation"),
    HeaderKey("version", _whole(1, 999), "a whole number from 1 to 999", 1, "the schema version (data/v<version>/)"),
    HeaderKey(
        "chunk_key",
        _column_name,
        "the name of a column from [columns] (unique, indexed)",
        None,
        "page through a large result by this column (keyset pagination)",
    ),
    HeaderKey(
        "chunk_size",
        _whole(1, 10_000_000),
        "a whole number of rows from 1 to 10000000",
        50_000,
        "rows per chunk when chunk_key is set",
    ),
    HeaderKey("per_wiki", _flag, "true or false, without quotes", False, "run once per wiki of a replica source"),
    HeaderKey(
        "columns",
        _table,
        'a table with one entry per column: name = { type = "…", description = "…" }',
        REQUIRED,
        "each column's type, description and unit",
    ),
)
HEADER_KEYS = {key.key: key.doc for key in HEADER_SCHEMA}
COLUMN_KEYS = {"type", "description", "unit"}


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
    lines: dict[str, int] = field(default_factory=dict, repr=False, compare=False)  # header key → file line

    @property
    def origin(self) -> str:
        return f"queries/{self.path.name}"

    def where(self, key: str) -> str:
        """'queries/x.sql:LINE' for a header key, for error messages."""
        return f"{self.origin}:{self.lines.get(key, 1)}"

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
    """Parse every queries/*.sql in name order; raise one QueryError listing every problem of every file."""
    queries, problems = [], []
    for path in sorted(folder.glob("*.sql")):
        try:
            queries.append(parse_query(path))
        except QueryError as error:
            problems.extend(error.problems)
    if problems:
        raise QueryError(problems)
    return queries


def check_sources(queries: list[Query], sources: dict) -> None:
    """Every query's `source` names a configured source, and only per_wiki queries read a per-wiki
    one (`{dbname}` in its URL). Raises one QueryError listing every problem, before any query runs."""
    problems = []
    configured = ", ".join(sorted(sources)) or "none"
    for query in queries:
        source = sources.get(query.source)
        if source is None:
            problems.append(
                f"{query.where('source')}: source = {query.source!r} names no configured source; "
                f"configured: {configured} (add [sources.{query.source}] to site.toml, pass "
                f"--source {query.source}=URL, or fix the name)."
            )
        elif "{dbname}" in source.url and not query.per_wiki:
            problems.append(
                f"{query.where('source')}: source {query.source!r} is per wiki ({{dbname}} in its URL); "
                "only a query with per_wiki = true can read it."
            )
    if problems:
        raise QueryError(problems)


def parse_query(path: Path) -> Query:
    """Parse one query file; raise one QueryError listing every problem found in it."""
    where = f"queries/{path.name}"
    text = _read_text(path, where)
    problems: list[str] = []
    if not NAME.fullmatch(path.stem):
        problems.append(f"{where}:1: the file name names the dataset; it must be lower_case_with_underscores.sql.")
    match = HEADER.match(text)
    if not match:
        raise QueryError(
            problems
            + [
                f"{where}:1: no metadata header; start the file with a /* … */ comment holding "
                'TOML: title = "…", description = "…", sort = […] and a [columns] table.'
            ]
        )
    header_line = text[: match.start("body")].count("\n") + 1
    body = match.group("body")
    lines = {key.key: _key_line(body, key.key, header_line) for key in HEADER_SCHEMA}
    values = _header_values(body, header_line, where, problems)
    sql = text[match.end() :]
    sql_line = text[: match.end()].count("\n") + 1
    tree = None
    try:
        tree = parse_sql(sql, where, sql_line)
    except QueryError as error:
        problems.extend(error.problems)
    if values is not None and tree is not None:
        _check_output_names(tree, values, where, sql_line, problems)
    if problems or values is None or tree is None:
        raise QueryError(problems)
    return Query(
        path=path,
        name=path.stem,
        title=values["title"],
        description=values["description"],
        source=values["source"],
        columns=values["columns"],
        sort_key=values["sort"],
        sql=sql,
        sql_line=sql_line,
        tree=tree,
        publish=values["publish"],
        version=values["version"],
        chunk_key=values["chunk_key"],
        chunk_size=values["chunk_size"],
        per_wiki=values["per_wiki"],
        lines=lines,
    )


def _read_text(path: Path, where: str) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise QueryError(
            f"{where}:{line}: not UTF-8 (byte 0x{data[error.start]:02x} at column {column}); save the file as UTF-8."
        ) from None


def _header_values(body: str, header_line: int, where: str, problems: list[str]) -> dict | None:
    """The header's values checked against HEADER_SCHEMA; each problem appended, None if unusable."""
    try:
        header = tomllib.loads(body)
    except tomllib.TOMLDecodeError as error:
        problems.append(_toml_problem(error, body, header_line, where))
        return None
    count = len(problems)

    def problem(key: str, message: str, section: str = "") -> None:
        problems.append(f"{where}:{_key_line(body, key, header_line, section)}: {message}")

    for key in header:
        if key not in HEADER_KEYS:
            problem(key, f"unknown header key {key!r}; allowed: {', '.join(HEADER_KEYS)}.")
    values: dict[str, Any] = {}
    for spec in HEADER_SCHEMA:
        if spec.key not in header:
            if spec.default is REQUIRED:
                problems.append(f"{where}:{header_line}: header has no {spec.key!r}; expected {spec.expected}.")
            values[spec.key] = None if spec.default is REQUIRED else spec.default
            continue
        try:
            values[spec.key] = spec.check(header[spec.key])
        except ValueError:
            problem(spec.key, f"{spec.key} = {_shown(header[spec.key])} is not allowed; expected {spec.expected}.")
            values[spec.key] = None
    columns = _columns(values["columns"], body, header_line, where, problems) if values["columns"] else ()
    names = [column.name for column in columns]
    for key in ("sort", "chunk_key"):
        given = values[key] if isinstance(values[key], tuple) else (values[key],) if values[key] else ()
        unknown = [name for name in given if name not in names]
        if columns and unknown:
            declared = ", ".join(names)
            problem(key, f"{key} names {', '.join(unknown)}, which [columns] does not declare; declared: {declared}.")
    values["columns"] = columns
    return values if len(problems) == count else None


def _columns(table: dict, body: str, header_line: int, where: str, problems: list[str]) -> tuple[Column, ...]:
    columns = []
    for name, spec in table.items():  # TOML itself refuses a name declared twice
        here = f"{where}:{_key_line(body, name, header_line, 'columns')}: column {name!r}"
        if not COLUMN_NAME.fullmatch(name):
            problems.append(f"{here}: not a column name; a column name is lower_case_with_underscores.")
        if not isinstance(spec, dict):
            problems.append(f'{here}: not a table; expected {{ type = "…", description = "…" }}.')
            continue
        extra = sorted(set(spec) - COLUMN_KEYS)
        if extra:
            problems.append(f"{here}: unknown key(s) {', '.join(extra)}; allowed: type, description, unit.")
        if spec.get("type") not in TYPES:
            shown, allowed = _shown(spec.get("type")), ", ".join(TYPES)
            problems.append(f"{here}: type = {shown} is not allowed; type must be one of {allowed}.")
        if not isinstance(spec.get("description"), str) or not spec["description"].strip():
            problems.append(f"{here}: no description; give one, a non-empty string (the downloads page shows it).")
        if "unit" in spec and not isinstance(spec["unit"], str):
            problems.append(f'{here}: unit = {_shown(spec["unit"])} is not allowed; a unit is a string, e.g. "people".')
        columns.append(Column(name, spec.get("type"), spec.get("description"), spec.get("unit")))
    return tuple(columns)


def _check_output_names(tree: exp.Expression, values: dict, where: str, sql_line: int, problems: list[str]) -> None:
    """The SELECT list names each output column once (when it names them: no `*`)."""
    select = tree
    while isinstance(select, exp.SetOperation):
        select = select.this
    if not isinstance(select, exp.Select) or any(isinstance(p, exp.Star) or p.is_star for p in select.expressions):
        return
    seen: set[str] = set()
    for projection in select.expressions:
        name = projection.alias_or_name.lower()
        if name in seen:
            line = sql_line + _node_line(projection, sql_line) - 1
            problems.append(
                f"{where}:{line}: the SELECT list names column {name!r} twice; give each output column "
                "its own name (`AS other_name`)."
            )
        seen.add(name)


def _shown(value) -> str:
    """A header value as TOML would spell it, so a string shows its quotes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def _toml_problem(error: tomllib.TOMLDecodeError, body: str, header_line: int, where: str) -> str:
    line = _toml_line(error, header_line)
    if "overwrite" in str(error).lower() or "cannot declare" in str(error).lower():
        return f"{where}:{line}: a key or column is set twice (header is not valid TOML: {error}); set each once."
    return f"{where}:{line}: header is not valid TOML: {error}; fix the syntax (strings need quotes)."


def _toml_line(error: tomllib.TOMLDecodeError, header_line: int) -> int:
    found = re.search(r"line (\d+)", str(error))
    return header_line + int(found.group(1)) - 1 if found else header_line


def _key_line(body: str, key: str, header_line: int, section: str = "") -> int:
    """The file line where `key` is set in `[section]` of the header (the header's line if not found)."""
    current = ""
    for offset, line in enumerate(body.splitlines()):
        table = re.fullmatch(r"\s*\[\s*([^\]]+?)\s*\]\s*(#.*)?", line)
        if table:
            current = table.group(1)
            if not section and current == key:
                return header_line + offset
            continue
        if current == section and re.match(rf"\s*([\"']?){re.escape(key)}\1\s*=", line):
            return header_line + offset
    return header_line
