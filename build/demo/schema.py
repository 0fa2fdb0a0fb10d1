"""The demo's DDL: ddl/dashboard.sql and ddl/replica.sql parsed with sqlglot, as column lists, DDL
defaults, DuckDB statements (transpiled) or MySQL statements (as written), and `create_schema` to run them."""

from __future__ import annotations

import functools
from typing import Any

import sqlglot
from sqlglot import exp

from .constants import SCHEMA_DIR


@functools.cache
def _ddl_statements(schema: str) -> tuple[exp.Expression, ...]:
    if schema not in ("dashboard", "replica"):
        raise ValueError(f"unknown demo schema {schema!r}: expected 'dashboard' or 'replica'")
    text = (SCHEMA_DIR / f"{schema}.sql").read_text(encoding="utf-8")
    return tuple(sqlglot.parse(text, read="mysql"))


@functools.cache
def ddl_columns(schema: str) -> dict[str, list[str]]:
    """Tables of ddl/<schema>.sql → their column names in DDL order (views excluded)."""
    tables: dict[str, list[str]] = {}
    for statement in _ddl_statements(schema):
        if isinstance(statement, exp.Create) and statement.kind == "TABLE":
            tables[statement.this.this.name] = [
                column.name for column in statement.this.expressions if isinstance(column, exp.ColumnDef)
            ]
    return tables


@functools.cache
def ddl_views(schema: str) -> tuple[str, ...]:
    """Views of schema/<schema>.sql (the replica's revision_userindex)."""
    return tuple(
        statement.this.name
        for statement in _ddl_statements(schema)
        if isinstance(statement, exp.Create) and statement.kind == "VIEW"
    )


@functools.cache
def ddl_defaults(schema: str) -> dict[str, dict[str, tuple[bool, Any]]]:
    """table → column → (not_null, default value or None)."""
    result: dict[str, dict[str, tuple[bool, Any]]] = {}
    for statement in _ddl_statements(schema):
        if not (isinstance(statement, exp.Create) and statement.kind == "TABLE"):
            continue
        columns = {}
        for column in statement.this.expressions:
            if not isinstance(column, exp.ColumnDef):
                continue
            not_null, default = False, None
            for constraint in column.args.get("constraints") or []:
                kind = constraint.args["kind"]
                if isinstance(kind, exp.NotNullColumnConstraint) and not kind.args.get("allow_null"):
                    not_null = True
                elif isinstance(kind, exp.DefaultColumnConstraint) and isinstance(kind.this, exp.Literal):
                    default = kind.this.to_py()
            columns[column.name] = (not_null, default)
        result[statement.this.this.name] = columns
    return result


# DuckDB column types. BINARY/VARBINARY become VARCHAR: the demo stands in for the replica, whose queries compare
# rev_timestamp and actor_name with text; DuckDB would compare a BLOB with a string only after a cast. On MariaDB
# they stay binary (the DDL runs as is) and the driver returns bytes, exactly as the real replicas do.
# Unsigned integers become signed ones of the next size (no mixed signed/unsigned arithmetic surprises).
_DUCKDB_TYPES = {
    exp.DataType.Type.TINYINT: "TINYINT",
    exp.DataType.Type.UTINYINT: "SMALLINT",
    exp.DataType.Type.INT: "INTEGER",
    exp.DataType.Type.UINT: "BIGINT",
    exp.DataType.Type.BIGINT: "BIGINT",
    exp.DataType.Type.UBIGINT: "BIGINT",
    exp.DataType.Type.FLOAT: "FLOAT",
    exp.DataType.Type.DOUBLE: "DOUBLE",
    exp.DataType.Type.UDOUBLE: "DOUBLE",
    exp.DataType.Type.DATETIME: "TIMESTAMP",
    exp.DataType.Type.DATE: "DATE",
    exp.DataType.Type.VARCHAR: "VARCHAR",
    exp.DataType.Type.CHAR: "VARCHAR",
    exp.DataType.Type.TEXT: "VARCHAR",
    exp.DataType.Type.BINARY: "VARCHAR",
    exp.DataType.Type.VARBINARY: "VARCHAR",
    exp.DataType.Type.BLOB: "VARCHAR",
}


def _duckdb_type(kind: exp.DataType) -> str:
    if kind.this == exp.DataType.Type.DECIMAL:
        return kind.sql("duckdb")
    if kind.this not in _DUCKDB_TYPES:
        raise ValueError(f"no DuckDB type for {kind.sql('mysql')}")
    return _DUCKDB_TYPES[kind.this]


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@functools.cache
def duckdb_ddl(schema: str, namespace: str | None = None) -> tuple[str, ...]:
    """The DuckDB statements for schema/<schema>.sql, parsed with sqlglot (read="mysql") and repaired:
    AUTO_INCREMENT becomes a sequence default, named UNIQUE KEYs become UNIQUE constraints, plain INDEXes and
    charset/collation clauses are dropped, types as in `_DUCKDB_TYPES`. Column names and order are the DDL's."""
    prefix = f"{quote(namespace)}." if namespace else ""
    statements: list[str] = []
    for statement in _ddl_statements(schema):
        if not isinstance(statement, exp.Create):
            continue
        name = statement.this.this.name if statement.kind == "TABLE" else statement.this.name
        if statement.kind == "VIEW":
            select = statement.expression.copy()
            for table in select.find_all(exp.Table):
                if namespace:
                    table.set("db", exp.to_identifier(namespace, quoted=True))
            statements.append(f"CREATE VIEW {prefix}{quote(name)} AS {select.sql('duckdb')}")
            continue
        parts: list[str] = []
        for item in statement.this.expressions:
            if isinstance(item, exp.ColumnDef):
                text = f"{quote(item.name)} {_duckdb_type(item.args['kind'])}"
                for constraint in item.args.get("constraints") or []:
                    kind = constraint.args["kind"]
                    if isinstance(kind, exp.NotNullColumnConstraint):
                        text += " NULL" if kind.args.get("allow_null") else " NOT NULL"
                    elif isinstance(kind, exp.DefaultColumnConstraint):
                        text += f" DEFAULT {kind.this.sql('duckdb')}"
                    elif isinstance(kind, exp.AutoIncrementColumnConstraint):
                        sequence = f"{name}_{item.name}_seq"
                        statements.append(f"CREATE SEQUENCE {prefix}{quote(sequence)}")
                        qualified = f"{namespace}.{sequence}" if namespace else sequence
                        text += f" DEFAULT nextval('{qualified}')"
                parts.append(text)
            elif isinstance(item, exp.PrimaryKey):
                parts.append(f"PRIMARY KEY ({', '.join(quote(c.name) for c in item.expressions)})")
            elif isinstance(item, exp.UniqueColumnConstraint):
                columns = item.this.expressions if isinstance(item.this, exp.Schema) else []
                parts.append(f"UNIQUE ({', '.join(quote(c.name) for c in columns)})")
            # IndexColumnConstraint (a plain INDEX): dropped, DuckDB scans do not need it.
        statements.append(f"CREATE TABLE {prefix}{quote(name)} (\n  " + ",\n  ".join(parts) + "\n)")
    return tuple(statements)


def _mysql_ddl(schema: str) -> list[str]:
    text = (SCHEMA_DIR / f"{schema}.sql").read_text(encoding="utf-8")
    # Comments go first (they may contain ";"); the DDL has no ";" inside strings.
    code = "\n".join(line for line in text.splitlines() if not line.strip().startswith("--"))
    return [statement.strip() for statement in code.split(";") if statement.strip()]


def create_schema(connection, schema: str, dialect: str, *, namespace: str | None = None) -> None:
    """Create the tables (and views) of schema/<schema>.sql ("dashboard" or "replica") on `connection`.

    dialect "mysql": the DDL runs as is on the connection's current database. dialect "duckdb": the DDL is
    transpiled (see `duckdb_ddl`), inside the DuckDB schema `namespace` when given (created if missing)."""
    if dialect == "duckdb":
        if namespace:
            connection.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(namespace)}")
        connection.execute(";\n".join(duckdb_ddl(schema, namespace)))  # one call: DDL statements are slow alone
    elif dialect == "mysql":
        cursor = connection.cursor()
        try:
            for statement in _mysql_ddl(schema):
                cursor.execute(statement)
        finally:
            cursor.close()
        connection.commit()
    else:
        raise ValueError(f"unknown dialect {dialect!r}: expected 'duckdb' or 'mysql'")
