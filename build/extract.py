"""Extract: run each query against its source and return filled Datasets, or the reason it failed.

One failing query costs one dataset, never the run (like reportupdater's reports): its
error is recorded in an `Extraction`, and the caller keeps its last published files.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
import pandas as pd

from .config import Settings
from .datasets import Dataset, SchemaError
from .queries import Query, QueryError, bind, standard_parameters, to_sql
from .sources import Connection, SourceError, open_source

log = logging.getLogger("almanac")


@dataclass
class Extraction:
    """What extraction produced: datasets by name, and an error message per failed query."""

    datasets: dict[str, Dataset] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def query_parameters(settings: Settings) -> dict[str, object]:
    return standard_parameters(
        settings.as_of,
        {
            "k_min": settings.k_min,
            "preregistration_days": settings.get("retention", "preregistration_days"),
            "update_length_days": settings.get("build", "update_length_days"),
            "retention_months": settings.get("retention", "retention_months"),
        },
    )


def run(queries: list[Query], settings: Settings, extra_parameters: dict | None = None) -> Extraction:
    """Run `queries` (all on non-per-wiki sources), one connection per source."""
    result = Extraction()
    parameters = {**query_parameters(settings), **(extra_parameters or {})}
    connections: dict[str, Connection | Exception] = {}
    try:
        for query in queries:
            started = time.monotonic()
            try:
                connection = _connection(connections, query.source, settings)
                frame = run_query(query, connection, parameters)
                result.datasets[query.name] = query.empty_dataset().with_frame(frame)
                log.info("%-28s %8d rows  %6.2fs", query.name, len(frame), time.monotonic() - started)
            except (SourceError, QueryError, SchemaError) as error:
                result.failures[query.name] = str(error)
                log.error('Dataset "%s" could not be built because of error: %s', query.name, error)
            except Exception as error:  # a driver's error: keep the server's words, name the query
                message = f"{query.origin} on source {query.source!r}: {_describe(error)}"
                result.failures[query.name] = message
                log.error('Dataset "%s" could not be built because of error: %s', query.name, message)
            result.seconds[query.name] = time.monotonic() - started
    finally:
        for connection in connections.values():
            if isinstance(connection, Connection):
                connection.close()
    return result


def _connection(cache: dict, name: str, settings: Settings) -> Connection:
    if name not in cache:
        if name not in settings.sources:
            cache[name] = SourceError(
                f"no source named {name!r}; add [sources.{name}] to site.toml or pass --source {name}=URL."
            )
        else:
            try:
                cache[name] = open_source(
                    settings.sources[name],
                    settings.root,
                    statement_timeout=settings.get("build", "query_timeout"),
                )
            except SourceError as error:
                cache[name] = error
    connection = cache[name]
    if isinstance(connection, Exception):
        raise connection
    return connection


def run_query(query: Query, connection: Connection, parameters: dict) -> pd.DataFrame:
    """Run one query on one connection and return its rows as a DataFrame."""
    tree = bind(query.tree, parameters, query.origin)
    sql = to_sql(tree, connection.dialect)
    columns, rows = connection.execute(sql)
    return pd.DataFrame.from_records(rows, columns=columns)


def _describe(error: Exception) -> str:
    args = getattr(error, "args", ())
    if len(args) >= 2 and isinstance(args[0], int):
        return f"server error {args[0]}: {args[1]}"
    return f"{type(error).__name__}: {error}"
