"""SQL: parse a query's one statement, allow only a plain read, bind parameters, transpile.

A query must be exactly one plain SELECT (WITH, JOIN, UNION, subqueries, window functions),
checked node by node against an ALLOW-list of sqlglot node types over the whole tree: what
is not listed is refused, so a construct sqlglot learns later is refused until someone
reads it and lists it. That leaves out INTO of every kind (a table, OUTFILE, DUMPFILE,
@variable), locking clauses (FOR UPDATE, LOCK IN SHARE MODE), hints, user and system
variables, functions that are not listed (LOAD_FILE, BENCHMARK, DuckDB's read_csv, read_text,
glob …), table functions and file names in FROM, and every other statement (INSERT, ATTACH,
COPY, INSTALL, LOAD, PRAGMA, SET …). Comments are never sent to a server (MySQL runs
`/*! … */`). The sessions of build/sources.py are read only as well: two locks, not one.

Queries are written once, in MySQL dialect, and transpiled by sqlglot for DuckDB; the few
constructs sqlglot translates wrongly are fixed here, in `_fix_for_duckdb`, once.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError


class QueryError(Exception):
    """Malformed query files: `problems` lists one line per problem, each naming the file and line."""

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


# --- what a plain query may hold ---------------------------------------------------------------

STATEMENTS = (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Subquery)
STRUCTURE = (
    *STATEMENTS,
    *(exp.With, exp.CTE, exp.From, exp.Join, exp.Where, exp.Group, exp.Rollup, exp.Having, exp.Order),
    *(exp.Ordered, exp.Limit, exp.Offset, exp.Distinct, exp.Alias, exp.TableAlias, exp.Table, exp.Column),
    *(exp.Identifier, exp.Star, exp.Literal, exp.Null, exp.Boolean, exp.Placeholder, exp.Paren, exp.Tuple),
    *(exp.DataType, exp.DataTypeParam, exp.Interval, exp.Var, exp.Window, exp.WindowSpec),
)
OPERATORS = (
    *(exp.And, exp.Or, exp.Not, exp.Xor, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ),
    *(exp.Is, exp.In, exp.Between, exp.Like, exp.RegexpLike, exp.Add, exp.Sub, exp.Mul, exp.Div),
    *(exp.IntDiv, exp.Mod, exp.Neg, exp.Exists, exp.Case, exp.If, exp.Cast, exp.TryCast),
)
FUNCTIONS = (  # no NOW()/CURRENT_DATE: a query reads the build's :as_of, so a rebuild gives the same rows
    *(exp.Count, exp.Sum, exp.Avg, exp.Min, exp.Max, exp.GroupConcat, exp.Stddev, exp.Variance),
    *(exp.Coalesce, exp.Nullif, exp.Greatest, exp.Least, exp.Abs, exp.Round, exp.Floor, exp.Ceil),
    *(exp.Sign, exp.Sqrt, exp.Pow, exp.Concat, exp.ConcatWs, exp.Lower, exp.Upper, exp.Length),
    *(exp.Substring, exp.Trim, exp.Left, exp.Right, exp.Replace, exp.Pad),
    *(exp.TimeToStr, exp.TsOrDsToDate, exp.TsOrDsToTimestamp, exp.Date, exp.DateAdd, exp.DateSub),
    *(exp.DateDiff, exp.TimestampDiff, exp.Year, exp.Quarter, exp.Month, exp.Week, exp.Day),
    *(exp.DayOfWeek, exp.DayOfMonth, exp.DayOfYear, exp.LastDay, exp.StrToDate),
    *(exp.RowNumber, exp.Rank, exp.DenseRank, exp.Ntile, exp.Lag, exp.Lead, exp.FirstValue, exp.LastValue),
    exp.ArrayContains,  # the edit history's array columns (mediawiki_history.revision_deleted_parts)
)
ALLOWED = frozenset((*STRUCTURE, *OPERATORS, *FUNCTIONS))  # exact types: a subclass is not its parent
# Functions sqlglot does not know (exp.Anonymous), by name. SLEEP only waits, and the statement
# time limit ends it; tests use it to stand for a slow query.
ANONYMOUS_FUNCTIONS = frozenset({"SLEEP"})
TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")  # no path: DuckDB reads FROM 'x.csv' as a file
REFUSED = {  # words for what people try; anything else unlisted is named by its SQL
    exp.Into: "SELECT … INTO (a table, a file or a variable)",
    exp.Lock: "a locking clause (FOR UPDATE, FOR SHARE, LOCK IN SHARE MODE)",
    exp.Hint: "an optimizer hint /*+ … */",
    exp.SessionParameter: "a system variable (@@…)",
    exp.Parameter: "a user variable (@…)",
    exp.PropertyEQ: "an assignment (:=)",
}
WHAT_IS_ALLOWED = (
    "a query is one plain SELECT (WITH, JOIN, UNION, subqueries, window functions) over named tables, "
    "using the functions listed in build/sql.py FUNCTIONS and ANONYMOUS_FUNCTIONS"
)


def parse_sql(sql: str, where: str, first_line: int) -> exp.Expression:
    """Parse one MySQL statement and check it only reads; errors name the file line."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="mysql") if s is not None]
    except ParseError as error:
        detail = error.errors[0] if error.errors else {}
        line = first_line + int(detail.get("line", 1)) - 1
        message = detail.get("description", str(error))
        raise QueryError(
            f"{where}:{line}: SQL does not parse (column {detail.get('col', '?')}): {message}; "
            f"queries are MySQL dialect, and {WHAT_IS_ALLOWED} (INTO OUTFILE and the like do not parse)."
        ) from error
    statement_line = first_line + sql[: len(sql) - len(sql.lstrip())].count("\n")
    if len(statements) != 1 or not isinstance(statements[0], STATEMENTS):
        found = ", ".join(type(s).__name__.upper() for s in statements) or "nothing"
        raise QueryError(
            f"{where}:{statement_line}: expected exactly one SELECT statement after the header, found {found}; "
            f"{WHAT_IS_ALLOWED}."
        )
    problem = refused_node(statements[0])
    if problem:
        node, what = problem
        line = first_line + _node_line(node, statement_line - first_line + 1) - 1
        raise QueryError(f"{where}:{line}: {what} is not allowed; {WHAT_IS_ALLOWED}.")
    return statements[0]


def refused_node(tree: exp.Expression) -> tuple[exp.Expression, str] | None:
    """The first node of `tree` that a plain read may not hold, with words for it; None if all pass."""
    for node in tree.walk():
        kind = type(node)
        if kind is exp.Anonymous and node.name.upper() in ANONYMOUS_FUNCTIONS:
            continue
        if kind not in ALLOWED:
            return node, _describe(node)
        if kind is exp.Table:
            parts = [node.args.get(part) for part in ("this", "db", "catalog")]
            if not isinstance(parts[0], exp.Identifier) or any(
                part is not None and not (isinstance(part, exp.Identifier) and TABLE_NAME.fullmatch(part.name))
                for part in parts
            ):
                return node, f"FROM {node.sql(dialect='mysql')[:60]} (a table function or a file, not a table name)"
    return None


def _describe(node: exp.Expression) -> str:
    if type(node) in REFUSED:
        return REFUSED[type(node)]
    if isinstance(node, exp.Anonymous):
        return f"function {node.name.upper()}()"
    if isinstance(node, exp.Func):
        return f"function {node.sql_name()}()"
    return f"{type(node).__name__.upper()} ({node.sql(dialect='mysql')[:60]})"


def _node_line(node: exp.Expression, default: int) -> int:
    """The line (1-based, within the SQL) where `node` starts, from the tokens it or its nearest
    relative carries; `default` when none does (a hint's tokens count lines from the hint)."""
    if isinstance(node, exp.Hint):
        return default
    for candidate in (node, *node.walk(), *node.iter_expressions()):
        line = (getattr(candidate, "meta", None) or {}).get("line")
        if line:
            return int(line)
    parent = node.parent
    while parent is not None:
        line = (parent.meta or {}).get("line")
        if line:
            return int(line)
        parent = parent.parent
    return default


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
    lists = 0

    def substitute(node: exp.Expression) -> exp.Expression:
        nonlocal lists
        if isinstance(node, exp.Placeholder) and node.name:
            if node.name not in values:
                raise QueryError(f"{where}: unknown parameter :{node.name}; available: {', '.join(sorted(values))}.")
            value = values[node.name]
            if isinstance(value, list | tuple):
                lists += 1
                return _list_marker(node.name, lists, value)
            return _literal(value)
        return node

    return tree.copy().transform(substitute)


def _literal(value) -> exp.Expression:
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


@dataclass(frozen=True)
class _ListValues:
    """A bound list's values on its marker node; copies of the tree share them (they never change)."""

    values: tuple

    def __deepcopy__(self, memo) -> _ListValues:
        return self


LIST_VALUES = "almanac_list_values"


def _list_marker(name: str, number: int, values: list | tuple) -> exp.Expression:
    """A list parameter as a tuple of one marker literal, whose values `to_sql` writes in as text.

    sqlglot spends about 5 µs on each literal it builds and writes, seconds per statement for the
    replica lookups' batches of 50,000 user names; the text of a string literal is simple to write."""
    if not values:
        return exp.Tuple(expressions=[exp.Null()])
    marker = exp.Literal.string(f"almanac-list-{name}-{number}")
    marker.meta[LIST_VALUES] = _ListValues(tuple(values))
    return exp.Tuple(expressions=[marker])


class BoundSQL(str):
    """SQL text with the values of its `?` placeholders, in order, for a driver that binds them."""

    parameters: tuple = ()


def to_sql(tree: exp.Expression, dialect: str) -> str:
    """Generate SQL for `dialect` ('mysql' or 'duckdb'), with our fixes for sqlglot's gaps.

    A list parameter is written in as literals; on DuckDB, `x IN :list` becomes `x IN (SELECT UNNEST(?))`
    with the list bound as one value (a BoundSQL): DuckDB binds 50,000 literals one by one, about 20 µs
    each, and a bound list in a fraction of that."""
    if dialect == "duckdb" and tree.find(exp.TimestampDiff):
        tree = tree.copy().transform(_fix_for_duckdb)
    text = tree.sql(dialect=dialect, comments=False)  # MySQL would run a /*! … */ comment
    markers = [node for node in tree.find_all(exp.Literal) if node.is_string and LIST_VALUES in (node._meta or {})]
    parameters = []
    for marker in sorted(markers, key=lambda node: text.find(node.sql(dialect=dialect))):  # the ?s' order
        values, written = marker.meta[LIST_VALUES].values, marker.sql(dialect=dialect)
        if text.count(written) != 1:  # the query holds the marker's text itself: never guess
            raise QueryError(f"cannot write the list parameter {marker.name!r}: its marker is not unique")
        in_list = isinstance(marker.parent, exp.Tuple) and isinstance(marker.parent.parent, exp.In)
        if dialect == "duckdb" and in_list and _uniform(values):
            text = text.replace(written, "SELECT UNNEST(?)")
            parameters.append(list(values))
        else:
            text = text.replace(written, ", ".join(_value_sql(value, dialect) for value in values))
    if not parameters:
        return text
    bound = BoundSQL(text)
    bound.parameters = tuple(parameters)
    return bound


def _uniform(values: tuple) -> bool:
    """All strings or all integers: a list DuckDB binds as one typed value."""
    kinds = {int if isinstance(v, int) and not isinstance(v, bool) else type(v) for v in values}
    return kinds == {str} or kinds == {int}


def _value_sql(value, dialect: str) -> str:
    """One list value as a literal of `dialect` that reads back as the value (sqlglot's quoting rules;
    MySQL's with backslash escapes, as sqlglot assumes, so not for a server in NO_BACKSLASH_ESCAPES)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        return _literal(value).sql(dialect=dialect)
    if dialect == "mysql":  # backslash escapes, as sqlglot writes them (and NUL, which a query cannot hold raw)
        return "'" + value.replace("\\", "\\\\").replace("'", "''").replace("\0", "\\0") + "'"
    if dialect == "duckdb":  # standard SQL: only the quote is doubled
        return "'" + value.replace("'", "''") + "'"
    return exp.Literal.string(value).sql(dialect=dialect)


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
