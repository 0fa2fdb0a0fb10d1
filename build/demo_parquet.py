"""The demo as Parquet, for Spark: copy the demo's DuckDB files into Parquet tables, and write a table shaped
like Wikimedia's `mediawiki_history` from the demo replica (for the all-wiki retention path, build/history_edits.py).

It only READS the demo's DuckDB files (`python build.py demo` writes them) with DuckDB's
`COPY … TO 'x.parquet' (FORMAT parquet)`; the demo generator is not involved. Layout under OUT:

    dashboard/<table>.parquet                        every Dashboard table
    replica/<dbname>/<table>.parquet                 each wiki's actor, page, revision and revision_userindex
    history/mediawiki_history/snapshot=YYYY-MM/part-0.parquet  every wiki's edits, a Hive partition per snapshot

Spark reads them with `[sources.NAME] url = "spark+local://2?parquet=OUT/dashboard"` (see build/spark.py);
`{dbname}` in the path makes a per-wiki replica source: `?parquet=OUT/replica/{dbname}`; the history source
is `?parquet=OUT/history`.

The history table has the real table's names and types for the columns Almanac reads (mediawiki-history facts
in README "Running on Wikimedia's analytics cluster"). Each edit of the replica becomes one
`revision`/`create` event; its author's `event_user_central_id` is the Dashboard's `users.global_id` of the
user with that name, or for people the Dashboard does not know a made-up id of their own (CENTRAL_ID_OTHERS +
a rank of their name). Like the real table it also holds what the replicas do not show, so that a query which
forgets to drop it gives a different answer than the replica path:

- revisions of pages deleted later (`revision_is_deleted_by_page_deletion`; on the wikis they sit in
  `archive`): a copy of every 13th edit, PAGE_DELETED_SHIFT days later;
- revisions whose user was hidden (`'user'` in `revision_deleted_parts`; not in `revision_userindex`): a copy
  of every 17th edit, USER_HIDDEN_SHIFT days later (the replica's text-hidden edits stay, marked `'text'`);
- edits by IP addresses (`event_user_central_id` NULL);
- an older snapshot (SNAPSHOTS[0]) holding only what had happened by its month's end: a query without
  `snapshot = …` counts every edit twice, and one on the older snapshot must censor the later windows.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

log = logging.getLogger("almanac")

# The demo's data ends on 2026-10-31 (build/demo.py DATA_END): the last snapshot is that month's.
SNAPSHOTS = ("2026-09", "2026-10")
CENTRAL_ID_OTHERS = 900_000_000
PAGE_DELETED_EVERY, PAGE_DELETED_SHIFT = 13, 9
USER_HIDDEN_EVERY, USER_HIDDEN_SHIFT = 17, 21
REPLICA_TABLES = ("actor", "page", "revision", "revision_userindex")
# The columns written, in the real table's order (a subset: what a query of Almanac may read).
HISTORY_COLUMNS = (
    "wiki_db",
    "event_entity",
    "event_type",
    "event_timestamp",
    "event_user_id",
    "event_user_central_id",
    "event_user_text_historical",
    "event_user_text",
    "event_user_is_anonymous",
    "event_user_is_temporary",
    "page_id",
    "page_namespace",
    "revision_id",
    "revision_deleted_parts",
    "revision_is_deleted_by_page_deletion",
)


def export(dashboard: Path, replica: Path, out: Path) -> dict[str, int]:
    """Write the Parquet layout of the module docstring under `out` from the demo's two DuckDB files (the replica
    file with one schema `<dbname>_p` per wiki); return the row count of each table written."""
    import duckdb

    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    connection = duckdb.connect()
    try:
        connection.execute("SET TimeZone = 'UTC'")
        connection.execute(f"ATTACH {_literal(str(dashboard))} AS dash (READ_ONLY)")
        connection.execute(f"ATTACH {_literal(str(replica))} AS rep (READ_ONLY)")
        for table in _tables(connection, "dash", "main"):
            counts[f"dashboard/{table}"] = _copy(connection, f"dash.main.{_name(table)}", out / "dashboard" / table)
        wikis = sorted(s.removesuffix("_p") for s in _schemas(connection, "rep") if s.endswith("_p"))
        for dbname in wikis:
            for table in REPLICA_TABLES:
                source = f"rep.{_name(dbname + '_p')}.{_name(table)}"
                counts[f"replica/{dbname}/{table}"] = _copy(connection, source, out / "replica" / dbname / table)
        counts.update(_write_history(connection, wikis, out / "history" / "mediawiki_history"))
    finally:
        connection.close()
    return counts


def _write_history(connection, wikis: list[str], folder: Path) -> dict[str, int]:
    """Every wiki's edits as `mediawiki_history` rows, one partition folder per snapshot."""
    edits = " UNION ALL ".join(_wiki_edits(dbname) for dbname in wikis)
    connection.execute(f"CREATE TEMP TABLE edits AS {edits}")
    connection.execute(
        f"""CREATE TEMP TABLE history AS
        WITH named AS (
          SELECT e.*, u.global_id AS dashboard_id,
                 DENSE_RANK() OVER (ORDER BY e.event_user_text) AS name_rank
          FROM edits AS e LEFT JOIN dash.main.users AS u ON u.username = e.event_user_text
        ),
        events AS (
          SELECT * EXCLUDE (dashboard_id, name_rank),
                 CAST(COALESCE(dashboard_id, {CENTRAL_ID_OTHERS} + name_rank) AS BIGINT) AS event_user_central_id
          FROM named
        )
        SELECT * FROM events
        UNION ALL  -- revisions of pages deleted later: in `archive`, not in the replicas' revision table
        SELECT * REPLACE (revision_id + 100000000 AS revision_id,
                          event_timestamp + INTERVAL {PAGE_DELETED_SHIFT} DAY AS event_timestamp,
                          TRUE AS revision_is_deleted_by_page_deletion)
        FROM events WHERE revision_id % {PAGE_DELETED_EVERY} = 0
        UNION ALL  -- revisions whose user is hidden: not in revision_userindex
        SELECT * REPLACE (revision_id + 200000000 AS revision_id,
                          event_timestamp + INTERVAL {USER_HIDDEN_SHIFT} DAY AS event_timestamp,
                          ['user'] AS revision_deleted_parts)
        FROM events WHERE revision_id % {USER_HIDDEN_EVERY} = 0
        UNION ALL  -- edits by IP addresses: no account, no central id
        SELECT * REPLACE (revision_id + 300000000 AS revision_id, NULL AS event_user_id,
                          '192.0.2.' || CAST(revision_id % 200 AS VARCHAR) AS event_user_text_historical,
                          '192.0.2.' || CAST(revision_id % 200 AS VARCHAR) AS event_user_text,
                          TRUE AS event_user_is_anonymous, CAST(NULL AS BIGINT) AS event_user_central_id)
        FROM events WHERE revision_id % 11 = 0"""
    )
    counts = {}
    for snapshot in SNAPSHOTS:
        year, month = (int(part) for part in snapshot.split("-"))
        end = f"{year + month // 12:04d}-{month % 12 + 1:02d}-01"  # the first day after the snapshot's month
        columns = ", ".join(HISTORY_COLUMNS)
        select = f"SELECT {columns} FROM history WHERE event_timestamp < TIMESTAMP '{end}'"
        select += " ORDER BY wiki_db, revision_id"
        target = folder / f"snapshot={snapshot}" / "part-0"
        counts[f"mediawiki_history/snapshot={snapshot}"] = _copy(connection, f"({select})", target)
    return counts


def _wiki_edits(dbname: str) -> str:
    """One wiki's revisions (all of them: the page-deleted and user-hidden ones are added by the caller)."""
    schema = f"rep.{_name(dbname + '_p')}"
    return f"""
        SELECT CAST({_literal(dbname)} AS VARCHAR) AS wiki_db,
               'revision' AS event_entity,
               'create' AS event_type,
               strptime(r.rev_timestamp, '%Y%m%d%H%M%S') AS event_timestamp,
               CAST(a.actor_user AS BIGINT) AS event_user_id,
               a.actor_name AS event_user_text_historical,
               a.actor_name AS event_user_text,
               FALSE AS event_user_is_anonymous,
               FALSE AS event_user_is_temporary,
               CAST(r.rev_page AS BIGINT) AS page_id,
               CAST(p.page_namespace AS INTEGER) AS page_namespace,
               CAST(r.rev_id AS BIGINT) AS revision_id,
               list_filter(['text', 'comment', 'user'],
                           lambda part, i: (r.rev_deleted >> (i - 1)) & 1 = 1) AS revision_deleted_parts,
               FALSE AS revision_is_deleted_by_page_deletion
        FROM {schema}.revision AS r
        JOIN {schema}.actor AS a ON a.actor_id = r.rev_actor
        LEFT JOIN {schema}.page AS p ON p.page_id = r.rev_page"""


def _copy(connection, source: str, target: Path) -> int:
    """COPY a table or a parenthesised SELECT to `target`.parquet; return its row count."""
    target.parent.mkdir(parents=True, exist_ok=True)
    path = target.with_suffix(".parquet")
    connection.execute(f"COPY {source} TO {_literal(str(path))} (FORMAT parquet)")
    relation = source if source.startswith("(") else f"(SELECT * FROM {source})"
    return int(connection.execute(f"SELECT COUNT(*) FROM {relation}").fetchone()[0])


def _tables(connection, catalog: str, schema: str) -> list[str]:
    rows = connection.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = ? AND table_schema = ? "
        "ORDER BY table_name",
        [catalog, schema],
    ).fetchall()
    return [row[0] for row in rows]


def _schemas(connection, catalog: str) -> list[str]:
    rows = connection.execute(
        "SELECT DISTINCT table_schema FROM information_schema.tables WHERE table_catalog = ?", [catalog]
    ).fetchall()
    return [row[0] for row in rows]


def _name(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m build.demo_parquet",
        description="Copy the demo's DuckDB files to Parquet for Spark, with a mediawiki_history-shaped table.",
    )
    parser.add_argument("--dashboard", type=Path, default=Path("demo/dashboard.duckdb"), help="the demo dashboard")
    parser.add_argument("--replica", type=Path, default=Path("demo/replica.duckdb"), help="the demo replica file")
    parser.add_argument("--out", type=Path, default=Path("demo/parquet"), help="the folder to write")
    arguments = parser.parse_args(argv)
    for path in (arguments.dashboard, arguments.replica):
        if not path.is_file():
            parser.error(f"{path}: no such DuckDB file; run `python build.py demo` first.")
    counts = export(arguments.dashboard, arguments.replica, arguments.out)
    print(f"Wrote {len(counts)} Parquet tables under {arguments.out} ({sum(counts.values()):,} rows).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
