"""Spark: a source that runs the same MySQL-dialect queries on Apache Spark SQL, and the Spark dialect fixes.

URLs (each may end with `?parquet=PATH` and/or `?database=NAME`, joined by `&`):

| URL | Spark master |
|---|---|
| `spark+local://4` (`spark+local://*`: every core) | `local[4]`: in this process, no cluster |
| `spark://host:7077` | a standalone cluster |
| `spark+yarn://` | YARN (Wikimedia's analytics cluster; `spark.*` settings from `[spark] conf` and spark-defaults) |

Tables: `parquet=PATH` (relative to site.toml) is a folder whose entries `<table>.parquet` (a file) or
`<table>/` (a folder of Parquet files, Hive partition folders such as `snapshot=2026-10/` included) become
the query's tables; `{dbname}` in it makes a per-wiki replica source (`parquet=demo/parquet/replica/{dbname}`).
`database=NAME` makes the session catalog's (Hive metastore's) database NAME the current one, so
`mediawiki_history` means `NAME.mediawiki_history`. Tables named by `parquet` win over the catalog's.

Spark keeps one session per process: it is started at the first Spark source opened, with the master of that
source's URL, the settings of `[spark] conf` (`configure`) over `SESSION_DEFAULTS`; a second Spark source with a
different master is an error. pyspark (and Java 17) are needed only when a Spark source is used: the import
is lazy, so `make site` never needs them.

Queries stay MySQL dialect. sqlglot's Spark generator is right for most of it; what it gets wrong for Spark is
fixed by the table `SPARK_FIXES` (expression type → rewrite) in the dialect `AlmanacSpark`, the name a
`SparkConnection` gives extract.py as its dialect, so queries.to_sql needs no change.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote

import pandas as pd
from sqlglot import exp
from sqlglot.dialects.spark import Spark

from .sources import Connection, SourceError, redact

log = logging.getLogger("almanac")

SCHEMES = ("spark", "spark+local", "spark+yarn")
URL_OPTIONS = {"parquet", "database"}
SESSION_DEFAULTS = {
    "spark.app.name": "almanac",
    "spark.sql.session.timeZone": "UTC",  # as the MySQL sessions: all times are UTC
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "8",  # the queries' results are small; raise it on a cluster
    "spark.driver.extraJavaOptions": "-Duser.timezone=UTC",
    "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
}
STATEMENT = re.compile(r"\A\s*(SELECT|WITH|SHOW)\b", re.IGNORECASE)  # read only: nothing else is run


# --- the dialect ---------------------------------------------------------------------------------


def _safe_division(generator, node: exp.Div) -> str:
    # MySQL gives NULL for x / 0; Spark's ANSI mode (on by default in Spark 4) raises DIVIDE_BY_ZERO.
    if not node.args.get("safe"):
        return generator.binary(node, "/")
    return generator.func("TRY_DIVIDE", node.this, node.expression)


def _signed_type(generator, node: exp.DataType) -> str:
    # MySQL's CAST(x AS UNSIGNED) and unsigned column types: Spark has no unsigned integers; the next
    # larger signed type holds every value (BIGINT UNSIGNED as DECIMAL(20, 0)).
    wider = UNSIGNED_TYPES.get(node.this)
    if wider is not None:
        return wider
    return Spark.Generator.datatype_sql(generator, node)


def _truncate(generator, node: exp.Trunc) -> str:
    # MySQL's TRUNCATE(x, d) cuts x to d decimals toward zero; Spark has no such function. Built as a tree,
    # never pasted: "-" before a negative literal pasted as text would start a "--" comment.
    x = exp.paren(node.this.copy(), copy=False)
    scale = exp.func("POWER", exp.Literal.number(10), (node.args.get("decimals") or exp.Literal.number(0)).copy())
    toward_zero = exp.case().when(
        exp.LT(this=x.copy(), expression=exp.Literal.number(0)),
        exp.Neg(this=exp.Floor(this=exp.Mul(this=exp.Neg(this=x.copy()), expression=scale.copy()))),
    )
    toward_zero = toward_zero.else_(exp.Floor(this=exp.Mul(this=x.copy(), expression=scale.copy())))
    return generator.sql(exp.paren(exp.Div(this=toward_zero, expression=scale), copy=False))


UNSIGNED_TYPES = {
    exp.DataType.Type.UTINYINT: "SMALLINT",
    exp.DataType.Type.USMALLINT: "INT",
    exp.DataType.Type.UMEDIUMINT: "INT",
    exp.DataType.Type.UINT: "BIGINT",
    exp.DataType.Type.UBIGINT: "DECIMAL(20, 0)",
}

# What sqlglot's Spark generator writes wrongly for MySQL-dialect input, and the rewrite (tests/test_spark.py
# runs each one on Spark against the answer MySQL gives). Checked and right without a fix: TIMESTAMPDIFF
# (Spark counts whole units, as MySQL), DATEDIFF, DATE_FORMAT, DATE(), DIV, IFNULL, LEFT, YEAR, CONCAT.
SPARK_FIXES: dict[type[exp.Expression], Callable] = {
    exp.Div: _safe_division,
    exp.DataType: _signed_type,
    exp.Trunc: _truncate,
}


class AlmanacSpark(Spark):
    """Spark SQL as Almanac writes it from MySQL-dialect queries (sqlglot registers it as 'almanacspark')."""

    class Generator(Spark.Generator):
        TRANSFORMS = {**Spark.Generator.TRANSFORMS, **SPARK_FIXES}


DIALECT = "almanacspark"


def transpile(tree: exp.Expression) -> str:
    """Spark SQL for a parsed (MySQL-dialect) query, with the fixes of SPARK_FIXES."""
    return tree.sql(dialect=DIALECT)


# --- URLs and the session -------------------------------------------------------------------------


def is_spark_url(url: str) -> bool:
    return url.partition("://")[0].lower() in SCHEMES


@dataclass(frozen=True)
class SparkURL:
    master: str
    parquet: Path | None = None
    database: str | None = None
    options: dict[str, str] = field(default_factory=dict)


def parse_spark_url(url: str, root: Path) -> SparkURL:
    """`spark+local://2?parquet=demo/parquet/dashboard` → master local[2], tables under ROOT/demo/parquet/dashboard."""
    scheme, _, rest = url.partition("://")
    scheme = scheme.lower()
    where, _, query = rest.partition("?")
    options = {key: values[-1] for key, values in parse_qs(query, keep_blank_values=True).items()}
    unknown = set(options) - URL_OPTIONS
    if unknown:
        raise SourceError(
            f"{redact(url)}: unknown URL parameter(s) {', '.join(sorted(unknown))}; expected parquet or database."
        )
    where = where.rstrip("/")
    if scheme == "spark+local":
        if not re.fullmatch(r"\d+|\*", where) or where == "0":
            raise SourceError(f"{redact(url)}: a local Spark URL is spark+local://N (N cores, or * for all).")
        master = f"local[{where}]"
    elif scheme == "spark+yarn":
        master = "yarn"
    else:
        if not re.fullmatch(r"[A-Za-z0-9.\-]+(:\d+)?(,[A-Za-z0-9.\-]+(:\d+)?)*", where):
            raise SourceError(f"{redact(url)}: a standalone Spark URL is spark://host:7077.")
        master = f"spark://{where}"
    parquet = None
    if options.get("parquet"):
        path = Path(unquote(options["parquet"])).expanduser()
        parquet = path if path.is_absolute() else root / path
    return SparkURL(master, parquet, options.get("database") or None, options)


_session_settings: dict[str, str] = {}


def configure(conf: dict[str, object]) -> None:
    """The `[spark] conf` settings for the session this process will start (a started session keeps its own)."""
    _session_settings.clear()
    _session_settings.update({str(key): _conf_text(value) for key, value in conf.items()})


def _conf_text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def session(master: str):
    """The process's SparkSession, started with `master` on first use."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SourceError(
            "a Spark source needs pyspark (pip install pyspark==4.3.0) and Java 17 "
            "(Debian: apt-get install openjdk-17-jre-headless)."
        ) from None
    active = SparkSession.getActiveSession()
    if active is not None:
        running = active.sparkContext.master
        if running != master:
            raise SourceError(
                f"Spark runs one session per process, already started with master {running}; "
                f"a source asks for {master}: give every Spark source the same master."
            )
        return active
    builder = SparkSession.builder.master(master)
    local = {  # in-process Spark needs no network, and must not leave a spark-warehouse/ in the working folder
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.sql.warehouse.dir": str(Path(tempfile.gettempdir()) / "almanac-spark-warehouse"),
    }
    if not master.startswith("local"):
        local = {}  # a cluster's own settings (its Hive warehouse above all) stay as they are
    for key, value in {**SESSION_DEFAULTS, **local, **_session_settings}.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as error:  # no Java, a cluster that does not answer: Py4J and Spark raise many kinds
        raise SourceError(f"cannot start Spark (master {master}): {_first_line(error)}") from None
    spark.sparkContext.setLogLevel("ERROR")
    log.info("Spark %s session started, master %s", spark.version, master)
    return spark


def stop() -> None:
    """Stop the process's Spark session, if one was started (tests, benchmarks)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        return
    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:500]


# --- the connection -----------------------------------------------------------------------------


class SparkQueryError(Exception):
    """A statement Spark refused or failed; the message is Spark's first line (no JVM stack trace)."""


class SparkConnection(Connection):
    """The process's Spark session seen as a source. Its tables are temporary views over Parquet paths, read
    when a statement first names them and registered again when another Spark source registered its own
    views in between, or the catalog's tables (`database`)."""

    dialect = DIALECT
    _views: dict[str, object] = {}  # the temporary views the session holds now: name -> whose (connection)

    def __init__(self, name: str, spark, description: str, paths: dict[str, Path], database: str | None):
        super().__init__(name, spark, description)
        self.paths = paths
        self.frames: dict[str, object] = {}
        self.database = database

    def _use_my_tables(self, sql: str) -> None:
        if self.database and self.raw.catalog.currentDatabase() != self.database:
            self.raw.catalog.setCurrentDatabase(self.database)
        for table in [*self.paths, *self.frames]:
            if SparkConnection._views.get(table) is self or not re.search(rf"\b{re.escape(table)}\b", sql, re.I):
                continue
            if table not in self.frames:
                try:
                    self.frames[table] = self.raw.read.parquet(str(self.paths[table]))
                except Exception as error:
                    raise SourceError(
                        f"source {self.name!r}: cannot read {self.paths[table]}: {_first_line(error)}"
                    ) from None
            self.frames[table].createOrReplaceTempView(table)
            SparkConnection._views[table] = self

    def stream(self, sql: str, batch: int = 10_000) -> Iterator[tuple[list[str], list[tuple]]]:
        if not STATEMENT.match(sql):
            raise SparkQueryError(f"source {self.name!r}: only SELECT (and SHOW) statements are run on Spark.")
        try:
            self._use_my_tables(sql)
            frame = self.raw.sql(sql)
            columns = list(frame.columns)
            rows: list[tuple] = []
            yielded = False
            for row in frame.toLocalIterator():
                rows.append(tuple(row))
                if len(rows) >= batch:
                    yield columns, rows
                    yielded, rows = True, []
        except (SparkQueryError, SourceError):
            raise
        except Exception as error:  # AnalysisException, ParseException, Py4JJavaError …
            raise SparkQueryError(f"Spark: {_first_line(error)}") from None
        if rows or not yielded:
            yield columns, rows

    def register(self, name: str, frame, schema: str) -> None:
        """Make a pandas frame a table of this connection (e.g. the campaigns' new editors), with a Spark
        DDL schema such as 'campaign_id BIGINT, end_date DATE'."""
        records = [tuple(_plain(v) for v in row) for row in frame.itertuples(index=False)]
        try:
            self.frames[name] = self.raw.createDataFrame(records, schema=schema)
        except Exception as error:  # a value that does not fit the schema, a session that stopped
            raise SourceError(f"source {self.name!r}: cannot make table {name}: {_first_line(error)}") from None
        SparkConnection._views.pop(name, None)

    def run(self, sql: str) -> list[tuple]:
        """All rows of a statement (for small metadata questions such as the snapshots of a table)."""
        return self.execute(sql)[1]

    def close(self) -> None:
        # The session outlives its sources (Spark allows one per process); only our views go, so that a
        # later source reading the catalog's table of the same name is not served ours.
        for table in [table for table, owner in SparkConnection._views.items() if owner is self]:
            del SparkConnection._views[table]
            try:
                self.raw.catalog.dropTempView(table)
            except Exception:  # a stopped session has no views left to drop
                pass


def _plain(value):
    """A pandas or numpy value as the Python value Spark accepts (missing ones as None)."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    return value.item() if hasattr(value, "item") else value


def open_spark(name: str, url_text: str, root: Path) -> SparkConnection:
    """Open the Spark source `name` at `url_text` (its `{dbname}` already filled for a per-wiki source)."""
    url = parse_spark_url(url_text, root)
    if "{dbname}" in url_text:
        raise SourceError(f"source {name!r} ({redact(url_text)}): only per-wiki queries can read a {{dbname}} URL.")
    spark = session(url.master)
    paths = {}
    if url.parquet is not None:
        if not url.parquet.is_dir():
            raise SourceError(
                f"source {name!r}: no folder {url.parquet} (the URL's parquet=); write the demo's with "
                "`python -m build.demo_parquet`, or point it at a folder of <table>.parquet files."
            )
        for entry in sorted(url.parquet.iterdir()):
            if entry.is_dir() or entry.suffix == ".parquet":
                paths[entry.name.removesuffix(".parquet")] = entry
    if url.database:
        try:
            spark.catalog.setCurrentDatabase(url.database)
        except Exception as error:
            raise SourceError(f"source {name!r}: no database {url.database!r}: {_first_line(error)}") from None
    return SparkConnection(name, spark, f"{url.master} {redact(url_text)}", paths, url.database)
