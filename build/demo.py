"""The embedded demo database: a deterministic, Dashboard-shaped dataset and small wiki replica (vectorised numpy),
with the real DDL of schema/*.sql, written to DuckDB or MySQL/MariaDB (`python build.py demo`)."""

# For query authors -- what the demo contains (all fixed, never relative to today's date):
# - Dates run from 2015-01-01 to 2026-10-31. Nothing (activity, edit, upload, registration, row timestamp) is dated
#   on or after DATA_END = 2026-11-01 except schedules: a few courses end, and one or more start, later.
#   `--as-of 2026-11-01` sees every row, with complete and censored retention cells. Cached course metrics
#   (view_sum, recent_revision_count) are computed as of DATA_END.
# - Wikis (WIKIS): en/de/fr/ar/ru/zh/hi/es/zh-min-nan Wikipedia, English Wiktionary, Commons (language 'commons',
#   project 'wikimedia') and Wikidata (language NULL); each is a replica database <dbname>_p.
# - Private courses have titles and slugs containing "PRIVATE-" and a 6-digit number; the campaign whose courses
#   are all private is "PRIVATE-CAMPAIGN-000005 Closed cohort" (slug "private-campaign-000005_closed_cohort").
#   private_markers(demo) lists them all.
# - Secret columns (users.email, real_name, wiki_token, wiki_secret, remember_token, chat_password,
#   courses.passcode, campaigns.default_passcode, courses_users.real_name) all start with "SECRET-".
# - Fixed campaign ids: 1 "Café Edit" and 2 "cafe edit" (differ by case and accent only), 3 titled
#   <script>alert("x")</script>, 4 with slug ../../etc/passwd, 5 all-private, 6 undated (NULL start and end),
#   7 without any course. Courses 1-8 have each type; 9-13 hostile titles (course 9's slug is ../../etc/passwd).

from __future__ import annotations

import functools
import logging
import os
import sys
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlglot
from sqlglot import exp

from .sources import parse_url, redact
from .wikis import wiki_dbname, wiki_domain

log = logging.getLogger("almanac")

DEFAULT_SCALE = 0.02  # ~400 courses, ~8,000 participants, ~100,000 activity rows: a few seconds
DEFAULT_SEED = 7
SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schema"

DATA_START = np.datetime64("2015-01-01", "D")
LAST_START = np.datetime64("2026-10-20", "D")  # the last start of an ordinary (non-future) course
DATA_END = np.datetime64("2026-11-01", "D")  # exclusive: nothing happens on or after this date
END_DAY = int(DATA_END.astype(np.int64))  # the same, as days since 1970-01-01
WIKIPEDIA_LAUNCH = np.datetime64("2001-01-15", "s")

# (id, language, project, weight as a home wiki)
WIKIS: list[tuple[int, str | None, str, float]] = [
    (1, "en", "wikipedia", 0.40),
    (2, "de", "wikipedia", 0.07),
    (3, "fr", "wikipedia", 0.07),
    (4, "ar", "wikipedia", 0.06),
    (5, "ru", "wikipedia", 0.05),
    (6, "zh", "wikipedia", 0.04),
    (7, "hi", "wikipedia", 0.04),
    (8, "es", "wikipedia", 0.07),
    (9, "en", "wiktionary", 0.03),
    (10, "commons", "wikimedia", 0.07),
    (11, None, "wikidata", 0.08),
    (12, "zh-min-nan", "wikipedia", 0.02),
]
COMMONS, WIKIDATA = 10, 11

COURSE_TYPES = [
    "Editathon",
    "ClassroomProgramCourse",
    "BasicCourse",
    "ArticleScopedProgram",
    "FellowsCohort",
    "VisitingScholarship",
    "SingleUser",
    "LegacyCourse",
]
TYPE_P = np.array([0.46, 0.12, 0.15, 0.08, 0.04, 0.04, 0.06, 0.05])
DURATION = np.array([[1, 3], [60, 140], [7, 90], [14, 180], [90, 180], [90, 365], [30, 365], [60, 120]])
SCHEDULE_COLUMNS = {
    ("courses", "start"),
    ("courses", "end"),
    ("courses", "timeline_start"),
    ("courses", "timeline_end"),
    ("campaigns", "start"),
    ("campaigns", "end"),
    ("course_wiki_timeslices", "end"),
    ("course_user_wiki_timeslices", "end"),
}
PRIVATE_CAMPAIGN = 5
EMPTY_CAMPAIGN = 7
SPECIAL_CAMPAIGNS = 7

HOSTILE_COURSE_TITLES = [
    '<script>alert("x")</script>',
    '=HYPERLINK("http://example.invalid","click")',
    "+1 Edit-a-thon",
    "-20% Gender Gap Workshop",
    "@Wikimedians Meetup",
]
TRAVERSAL_SLUG = "../../etc/passwd"

# Words by home wiki, so titles come in several scripts (Latin with accents, Cyrillic, Arabic, CJK, Devanagari).
EVENTS = {
    1: ["Edit-a-thon", "Women in Red", "Wiki Education course", "Black History Month", "Library workshop"],
    2: ["Schreibwettbewerb", "Wikipedia-Werkstatt", "Edit-a-thon Köln", "Frauen in Rot", "Übungsseminar"],
    3: ["Atelier d'écriture", "Éditathon Québec", "Semaine des sciences", "Wikiconcours"],
    4: ["ماراثون تحرير", "ويكي الجامعة", "مسابقة المقالات"],
    5: ["Вики-марафон", "Семинар по истории", "Неделя науки"],
    6: ["维基百科编辑松", "大学课程", "女性编辑马拉松"],
    7: ["विकिपीडिया कार्यशाला", "संपादन मैराथन", "महिला इतिहास माह"],
    8: ["Editatón", "Curso de Educación", "Mujeres en Rojo", "Semana de la Ciencia"],
    9: ["Wiktionary word drive", "Lexicography class"],
    10: ["Wiki Loves Monuments", "Photo walk", "Wiki Loves Earth"],
    11: ["Wikidata workshop", "Data-a-thon", "Sum of All Paintings"],
    12: ["Bân-lâm-gú Wikipedia workshop", "Tâi-oân edit day"],
}
SCHOOLS = {
    1: ["University of Michigan", "Art+Feminism", "Wikimedia NYC", "Open University"],
    2: ["Wikimedia Deutschland", "Universität Wien", "Technische Universität München"],
    3: ["Université Laval", "Wikimédia France", "Sciences Po"],
    4: ["جامعة القاهرة", "ويكيميديا الشام"],
    5: ["МГУ", "Викимедиа РУ"],
    6: ["北京大学", "维基媒体台湾"],
    7: ["दिल्ली विश्वविद्यालय", "विकिमीडिया भारत"],
    8: ["Universidad de Chile", "Wikimedia España"],
    9: ["Lexicon Club"],
    10: ["Wiki Loves Monuments team", "Photo Society"],
    11: ["Wikidata Community", "Open Data Lab"],
    12: ["Tâi-oân Tāi-ha̍k"],
}
CAMPAIGN_THEMES = [
    "Wiki Loves Monuments",
    "Art+Feminism",
    "WikiGap",
    "1Lib1Ref",
    "Women in Red",
    "Wikipedia Asian Month",
    "Éditathon Québec",
    "Educación con Wikipedia",
    "Вики-весна",
    "ويكي تحدي",
    "维基百科亚洲月",
    "विकि लव्स महिला",
    "Wikidata Zürich",
    "Semaine de l'Afrique",
]
USER_STEMS = [
    "Alice",
    "Bob Smith",
    "Chloé",
    "Dmitri",
    "Élodie",
    "José María",
    "Zoë",
    "Søren",
    "Jürgen",
    "Анна",
    "Иван Петров",
    "محمد",
    "فاطمة",
    "李华",
    "王芳",
    "राहुल",
    "प्रिया",
    "Ngozi",
    "Kwame",
    "Łukasz",
    "Wiki-Fan",
    "Librarian",
    "Student",
    "Editor",
]


# --------------------------------------------------------------------------------------------------- DDL


@functools.cache
def _ddl_statements(schema: str) -> tuple[exp.Expression, ...]:
    if schema not in ("dashboard", "replica"):
        raise ValueError(f"unknown demo schema {schema!r}: expected 'dashboard' or 'replica'")
    text = (SCHEMA_DIR / f"{schema}.sql").read_text(encoding="utf-8")
    return tuple(sqlglot.parse(text, read="mysql"))


@functools.cache
def ddl_columns(schema: str) -> dict[str, list[str]]:
    """Tables of schema/<schema>.sql → their column names in DDL order (views excluded)."""
    tables: dict[str, list[str]] = {}
    for statement in _ddl_statements(schema):
        if isinstance(statement, exp.Create) and statement.kind == "TABLE":
            tables[statement.this.this.name] = [
                column.name for column in statement.this.expressions if isinstance(column, exp.ColumnDef)
            ]
    return tables


@functools.cache
def _ddl_defaults(schema: str) -> dict[str, dict[str, tuple[bool, Any]]]:
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


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@functools.cache
def duckdb_ddl(schema: str, namespace: str | None = None) -> tuple[str, ...]:
    """The DuckDB statements for schema/<schema>.sql, parsed with sqlglot (read="mysql") and repaired:
    AUTO_INCREMENT becomes a sequence default, named UNIQUE KEYs become UNIQUE constraints, plain INDEXes and
    charset/collation clauses are dropped, types as in `_DUCKDB_TYPES`. Column names and order are the DDL's."""
    prefix = f"{_quote(namespace)}." if namespace else ""
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
            statements.append(f"CREATE VIEW {prefix}{_quote(name)} AS {select.sql('duckdb')}")
            continue
        parts: list[str] = []
        for item in statement.this.expressions:
            if isinstance(item, exp.ColumnDef):
                text = f"{_quote(item.name)} {_duckdb_type(item.args['kind'])}"
                for constraint in item.args.get("constraints") or []:
                    kind = constraint.args["kind"]
                    if isinstance(kind, exp.NotNullColumnConstraint):
                        text += " NULL" if kind.args.get("allow_null") else " NOT NULL"
                    elif isinstance(kind, exp.DefaultColumnConstraint):
                        text += f" DEFAULT {kind.this.sql('duckdb')}"
                    elif isinstance(kind, exp.AutoIncrementColumnConstraint):
                        sequence = f"{name}_{item.name}_seq"
                        statements.append(f"CREATE SEQUENCE {prefix}{_quote(sequence)}")
                        qualified = f"{namespace}.{sequence}" if namespace else sequence
                        text += f" DEFAULT nextval('{qualified}')"
                parts.append(text)
            elif isinstance(item, exp.PrimaryKey):
                parts.append(f"PRIMARY KEY ({', '.join(_quote(c.name) for c in item.expressions)})")
            elif isinstance(item, exp.UniqueColumnConstraint):
                columns = item.this.expressions if isinstance(item.this, exp.Schema) else []
                parts.append(f"UNIQUE ({', '.join(_quote(c.name) for c in columns)})")
            # IndexColumnConstraint (a plain INDEX): dropped, DuckDB scans do not need it.
        statements.append(f"CREATE TABLE {prefix}{_quote(name)} (\n  " + ",\n  ".join(parts) + "\n)")
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
            connection.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(namespace)}")
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


# --------------------------------------------------------------------------------------------------- the data


@dataclass
class Demo:
    """The generated demo: one DataFrame per Dashboard table (DDL columns, DDL order; empty tables included),
    and per replica database name (without `_p`) its actor, page and revision frames."""

    scale: float
    seed: int
    dashboard: dict[str, pd.DataFrame]
    replica: dict[str, dict[str, pd.DataFrame]]
    seconds: float = 0.0
    notes: dict[str, Any] = field(default_factory=dict)

    def row_counts(self) -> dict[str, int]:
        counts = {name: len(frame) for name, frame in self.dashboard.items()}
        for dbname, tables in self.replica.items():
            counts.update({f"{dbname}_p.{name}": len(frame) for name, frame in tables.items()})
        return counts


def _frame(schema: str, table: str, data: dict[str, Any], n: int | None = None) -> pd.DataFrame:
    """A DataFrame with exactly the DDL's columns in order: missing ones get the DDL default (or NULL)."""
    spec = _ddl_defaults(schema)[table]
    unknown = set(data) - set(spec)
    if unknown:
        raise KeyError(f"{table}: no columns {sorted(unknown)} in schema/{schema}.sql")
    if n is None:
        n = len(next(iter(data.values())))
    columns = {}
    for name, (not_null, default) in spec.items():
        if name in data:
            value = data[name]
            columns[name] = value if not np.isscalar(value) and value is not None else np.full(n, value, dtype=object)
        elif default is not None:
            columns[name] = np.full(n, default)
        elif not_null:
            raise KeyError(f"{table}.{name} is NOT NULL without default: the generator must fill it")
        else:
            columns[name] = np.full(n, None, dtype=object)
    return pd.DataFrame(columns)


def _seconds(values) -> np.ndarray:
    return np.asarray(values).astype("datetime64[s]")


def _int_days(days) -> np.ndarray:
    """datetime64 dates → int64 days since 1970-01-01 (pandas turns datetime64[D] columns into seconds)."""
    return np.asarray(days).astype("datetime64[D]").astype(np.int64)


def _day_seconds(days) -> np.ndarray:
    """int64 days since 1970-01-01 → datetime64[s] at 00:00:00."""
    return np.asarray(days).astype("datetime64[D]").astype("datetime64[s]")


def _days(n) -> np.ndarray:
    return np.asarray(n).astype("timedelta64[D]").astype("timedelta64[s]")


def _pick(rng: np.random.Generator, options_by_key: dict[int, list[str]], keys: np.ndarray) -> np.ndarray:
    """For each key, a random string among options_by_key[key] (vectorised per key)."""
    out = np.empty(len(keys), dtype=object)
    for key, options in options_by_key.items():
        where = np.flatnonzero(keys == key)
        out[where] = np.asarray(options, dtype=object)[rng.integers(0, len(options), len(where))]
    return out


def _fold(text: str) -> str:
    """Case- and accent-insensitive key (what utf8mb4_unicode_ci compares)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _unique_slugs(slugs: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Append `_<id>` to slugs that collide case- and accent-insensitively (MariaDB's unique index would refuse)."""
    folded = pd.Series([_fold(s) for s in slugs])
    duplicated = folded.duplicated(keep="first").to_numpy()
    out = slugs.astype(object).copy()
    out[duplicated] = [f"{s}_{i}" for s, i in zip(slugs[duplicated], ids[duplicated], strict=True)]
    return out


def _segment_pick(rng, starts: np.ndarray, sizes: np.ndarray, which: np.ndarray) -> np.ndarray:
    """For each row r: a random index in [starts[which[r]], starts[which[r]] + sizes[which[r]])."""
    return starts[which] + np.floor(rng.random(len(which)) * sizes[which]).astype(np.int64)


def generate(scale: float = DEFAULT_SCALE, seed: int = DEFAULT_SEED) -> Demo:
    """Generate the demo. Deterministic: the same scale and seed give identical frames.

    scale 1 is the benchmark scale (about 20,000 courses, 1,500 campaigns, 400,000 participants,
    5,000,000 course_user_wiki_timeslices rows); small scales keep every trap the tests look for."""
    if not scale > 0:
        raise ValueError(f"scale must be positive, not {scale!r}")
    started = time.perf_counter()
    generator = _Generator(scale, seed)
    demo = generator.run()
    demo.seconds = time.perf_counter() - started
    return demo


class _Generator:
    def __init__(self, scale: float, seed: int):
        self.scale, self.seed = scale, seed
        self.rng = np.random.default_rng(seed)
        self.n_courses = max(60, round(20_000 * scale))
        self.n_campaigns = max(14, round(1_500 * scale))
        self.tables: dict[str, pd.DataFrame] = {}
        self.notes: dict[str, Any] = {}

    def run(self) -> Demo:
        self.campaigns()
        self.courses()
        self.enrolments()
        self.users()
        self.timeslices()
        self.articles()
        self.uploads()
        self.course_caches()
        self.campaign_links()
        self.finish_dashboard()
        replica = self.replica()
        return Demo(self.scale, self.seed, self.tables, replica, notes=self.notes)

    # ----------------------------------------------------------------------------------------- campaigns
    def campaigns(self) -> None:
        rng, n = self.rng, self.n_campaigns
        ids = np.arange(1, n + 1)
        span = int((LAST_START - DATA_START).astype(int))
        start_day = DATA_START + np.floor(span * rng.random(n) ** 0.75).astype(int)
        length = np.select(
            [rng.random(n) < 0.4, rng.random(n) < 0.65],
            [rng.integers(1, 15, n), rng.integers(15, 91, n)],
            rng.integers(91, 366, n),
        )
        dated = rng.random(n) >= 0.3
        dated[[0, 1, 2, 3, 4]] = True
        dated[5] = False  # campaign 6: no start or end (an ongoing campaign)
        # Campaigns 1-5 sit in 2023-2024 so their retention windows are complete on 2026-11-01.
        start_day[:5] = np.datetime64("2023-03-01") + np.array([0, 30, 60, 90, 120])
        length[:5] = [45, 45, 60, 30, 40]
        end_day = start_day + length - 1
        theme = np.asarray(CAMPAIGN_THEMES, dtype=object)[rng.integers(0, len(CAMPAIGN_THEMES), n)]
        year = start_day.astype("datetime64[Y]").astype(int) + 1970
        titles = np.array([f"{t} {y}" for t, y in zip(theme, year, strict=True)], dtype=object)
        titles = pd.Series(titles)
        dup = titles.duplicated().to_numpy()
        titles = titles.to_numpy(dtype=object)
        titles[dup] = [f"{t} #{i}" for t, i in zip(titles[dup], ids[dup], strict=True)]
        special = [
            ("Café Edit", "café_edit"),
            ("cafe edit", "cafe_edit"),
            ('<script>alert("x")</script>', "script_alert_x"),
            ("Path Traversal Drive", TRAVERSAL_SLUG),
            ("PRIVATE-CAMPAIGN-000005 Closed cohort", "private-campaign-000005_closed_cohort"),
            ("Wiki Loves Everything (ongoing)", "wiki_loves_everything"),
            ("Empty Campaign (no programs)", "empty_campaign"),
        ]
        slugs = np.array([t.lower().replace(" ", "_") for t in titles], dtype=object)
        for i, (title, slug) in enumerate(special):
            titles[i], slugs[i] = title, slug
        created = (
            _seconds(start_day) - _days(rng.integers(5, 60, n)) + rng.integers(0, 86400, n).astype("timedelta64[s]")
        )
        created = np.maximum(created, _seconds(DATA_START) + np.timedelta64(3600, "s"))
        start = np.where(dated, _seconds(start_day), np.datetime64("NaT"))
        end = np.where(dated, _seconds(end_day) + np.timedelta64(86399, "s"), np.datetime64("NaT"))
        default_type = np.asarray(["Editathon", "BasicCourse", "ArticleScopedProgram"], dtype=object)[
            rng.integers(0, 3, n)
        ]
        self.campaign = pd.DataFrame(
            {
                "id": ids,
                "start_day": _int_days(start_day),
                "end_day": _int_days(end_day),
                "dated": dated,
                "created_at": created,
            }
        )
        self.tables["campaigns"] = _frame(
            "dashboard",
            "campaigns",
            {
                "id": ids,
                "title": titles,
                "slug": slugs,
                "url": np.full(n, None, dtype=object),
                "created_at": created,
                "updated_at": created + np.timedelta64(86400, "s"),
                "description": np.array([f"Campaign {i}.\nSecond line of the description." for i in ids]),
                "start": pd.to_datetime(start),
                "end": pd.to_datetime(end),
                "template_description": np.full(n, None, dtype=object),
                "default_course_type": default_type,
                "default_passcode": np.array([f"SECRET-default_passcode-{i}" for i in ids], dtype=object),
                "register_accounts": (rng.random(n) < 0.2).astype(np.int8),
            },
        )

    # ----------------------------------------------------------------------------------------- courses
    def courses(self) -> None:
        rng, n = self.rng, self.n_courses
        ids = np.arange(1, n + 1)
        ctype = rng.choice(len(COURSE_TYPES), n, p=TYPE_P)
        ctype[: len(COURSE_TYPES)] = np.arange(len(COURSE_TYPES))  # every type appears
        lo, hi = DURATION[ctype, 0], DURATION[ctype, 1]
        duration = rng.integers(lo, hi + 1)
        # Participants (role 0): many small edit-a-thons, a few huge classroom courses.
        students = np.select(
            [ctype == 0, ctype == 1, ctype == 2, ctype == 3, ctype == 4, ctype == 5, ctype == 6],
            [
                rng.integers(3, 21, n),
                np.where(rng.random(n) < 0.12, rng.integers(200, 700, n), rng.lognormal(3.5, 0.5, n).astype(int) + 5),
                rng.integers(3, 51, n),
                rng.integers(5, 61, n),
                rng.integers(5, 16, n),
                rng.integers(1, 4, n),
                np.ones(n, dtype=int),
            ],
            rng.integers(10, 41, n),
        )
        # Campaign membership: ~80% of courses have a primary campaign, chosen with skewed (Zipf-like) weights.
        weights = 1.0 / (rng.permutation(self.n_campaigns) + 1.0) ** 0.9
        weights[[PRIVATE_CAMPAIGN - 1, EMPTY_CAMPAIGN - 1]] = 0
        weights[5] = weights.max() * 2  # the undated campaign is the biggest
        weights /= weights.sum()
        primary = np.where(rng.random(n) < 0.8, rng.choice(self.n_campaigns, n, p=weights) + 1, 0)
        # Courses 1-8 have each type, 9-13 hostile titles, 14-31 go to campaigns 1-6 (three each; 5 is private).
        first_special = len(COURSE_TYPES) + len(HOSTILE_COURSE_TITLES)
        special_courses = np.arange(first_special, first_special + 3 * 6)
        primary[special_courses] = np.repeat([1, 2, 3, 4, PRIVATE_CAMPAIGN, 6], 3)
        ctype[special_courses] = 0  # short edit-a-thons...
        duration[special_courses] = rng.integers(1, 4, len(special_courses))
        students[special_courses] = rng.integers(8, 21, len(special_courses))
        # Home wiki, and a second tracked wiki for some courses (Wikidata or Commons).
        wiki_ids = np.array([w[0] for w in WIKIS])
        home = rng.choice(wiki_ids, n, p=np.array([w[3] for w in WIKIS]) / sum(w[3] for w in WIKIS))
        home[: len(WIKIS)] = wiki_ids  # every wiki is someone's home wiki
        second = np.where(rng.random(n) < 0.12, np.where(rng.random(n) < 0.5, WIKIDATA, COMMONS), 0)
        second[second == home] = 0
        # Dates: inside the primary campaign's window when it has one, else anywhere (growing over the years).
        span = int((LAST_START - DATA_START).astype(int))
        start_day = DATA_START + np.floor(span * rng.random(n) ** 0.7).astype(int)
        camp = self.campaign.set_index("id")
        future_course = first_special + 3 * 6  # at least one course starts after DATA_END
        primary[future_course] = 0
        has_window = primary > 0
        has_window[has_window] = camp.loc[primary[has_window], "dated"].to_numpy()
        c_start = camp.loc[primary[has_window], "start_day"].to_numpy().astype("datetime64[D]")
        c_len = camp.loc[primary[has_window], "end_day"].to_numpy() - _int_days(c_start) + 1
        slack = np.maximum(c_len - duration[has_window], 0)
        start_day[has_window] = c_start + np.floor(rng.random(has_window.sum()) * (slack + 1)).astype(int)
        legacy = ctype == 7
        start_day[legacy] = np.datetime64("2015-01-05") + rng.integers(0, 500, legacy.sum())
        # Legacy courses predate campaigns: a legacy course dated in 2015 stays out of a 2023 campaign.
        outside = legacy & has_window
        outside[special_courses] = False
        primary[outside] = 0
        future = (rng.random(n) < 0.005) & ~legacy & (primary == 0)
        future[future_course] = True
        start_day[future] = DATA_END + rng.integers(3, 90, future.sum())
        start_day = np.minimum(start_day, np.where(future, start_day, LAST_START))
        start_day[has_window] = np.minimum(start_day[has_window], LAST_START)
        # Times: most courses run from 00:00:00 of the first day to 23:59:59 of the last; some edit-a-thons
        # run from a morning hour to an evening hour.
        timed = (ctype == 0) & (rng.random(n) < 0.3)
        start_hour = np.where(timed, rng.integers(9, 15, n), 0)
        start = _seconds(start_day) + (start_hour * 3600).astype("timedelta64[s]")
        end_day = start_day + duration - 1
        end = np.where(
            timed,
            _seconds(end_day) + ((start_hour + rng.integers(3, 8, n)) * 3600).astype("timedelta64[s]"),
            _seconds(end_day) + np.timedelta64(86399, "s"),
        )
        created = np.maximum(
            start - _days(rng.integers(1, 60, n)) - rng.integers(0, 86400, n).astype("timedelta64[s]"),
            _seconds(DATA_START) + np.timedelta64(7200, "s"),
        )
        # Private and withdrawn.
        private = rng.random(n) < 0.05
        private[special_courses] = False
        private[primary == PRIVATE_CAMPAIGN] = True
        private[: len(COURSE_TYPES) + len(HOSTILE_COURSE_TITLES)] = False
        withdrawn = (rng.random(n) < 0.03) & ~private
        withdrawn[: len(COURSE_TYPES) + len(HOSTILE_COURSE_TITLES) + 3 * 6] = False
        withdrawn[rng.choice(np.flatnonzero(~private)[30:], 2, replace=False)] = True
        # Titles, schools, terms, slugs.
        event = _pick(rng, EVENTS, home)
        school = _pick(rng, SCHOOLS, home)
        year = start_day.astype("datetime64[Y]").astype(int) + 1970
        month = start_day.astype("datetime64[M]").astype(int) % 12
        season = np.asarray(["Spring", "Spring", "Spring", "Spring", "Summer", "Summer"] + ["Fall"] * 6)[month]
        term = np.where(np.isin(ctype, [1, 2, 4]), np.char.add(np.char.add(season, " "), year.astype(str)), year)
        title = np.array([f"{e} {y}" for e, y in zip(event, year, strict=True)], dtype=object)
        hostile_at = np.arange(len(COURSE_TYPES), len(COURSE_TYPES) + len(HOSTILE_COURSE_TITLES))
        title[hostile_at] = HOSTILE_COURSE_TITLES
        primary[hostile_at] = np.array([3, 3, 1, 2, 6])  # in public campaigns, so they show on campaign pages
        title[private] = [f"PRIVATE-{i:06d} {t}" for i, t in zip(ids[private], title[private], strict=True)]
        slug = np.array(
            [f"{s}/{t}_({tm})".replace(" ", "_") for s, t, tm in zip(school, title, term.astype(str), strict=True)],
            dtype=object,
        )
        slug[private] = [
            f"PRIVATE-{i:06d}/{s.split('/', 1)[1]}" for i, s in zip(ids[private], slug[private], strict=True)
        ]
        slug[hostile_at[0]] = TRAVERSAL_SLUG
        slug = _unique_slugs(slug, ids)
        self.course = pd.DataFrame(
            {
                "id": ids,
                "type": ctype,
                "home": home,
                "second": second,
                "start": start,
                "end": end,
                "start_day": _int_days(start_day),
                "end_day": _int_days(end_day),
                "students": students,
                "primary": primary,
                "private": private,
                "created_at": created,
            }
        )
        self.course_text = {"title": title, "school": school, "term": term.astype(str), "slug": slug}
        self.course_flags = {"withdrawn": withdrawn}
        self.notes.update(
            hostile_course_ids=(hostile_at + 1).tolist(), special_course_ids=(special_courses + 1).tolist()
        )

    # ----------------------------------------------------------------------------------------- enrolments
    def enrolments(self) -> None:
        rng, course = self.rng, self.course
        n = len(course)
        order = np.argsort(course["start"].to_numpy(), kind="stable")
        students = course["students"].to_numpy()
        # Students: slots in course-start order; a slot is a new person or a returning one (a recent earlier one).
        slot_course = np.repeat(order, students[order])
        m = len(slot_course)
        is_new = rng.random(m) < 0.85
        is_new[0] = True
        new_before = np.cumsum(is_new)
        back = np.floor(rng.random(m) * np.maximum(1, 0.3 * new_before)).astype(np.int64)
        student = np.where(is_new, new_before - 1, np.maximum(new_before - 1 - back, 0))
        n_students = int(new_before[-1])
        # Instructors (role 1): 1-3 per course, often returning.
        n_inst = rng.choice([1, 2, 3], n, p=[0.7, 0.25, 0.05])
        inst_course = np.repeat(order, n_inst[order])
        k = len(inst_course)
        inst_new = rng.random(k) < 0.55
        inst_new[0] = True
        inst_before = np.cumsum(inst_new)
        inst = np.where(inst_new, inst_before - 1, np.floor(rng.random(k) * inst_before).astype(np.int64))
        n_instructors = int(inst_before[-1])
        n_staff = max(6, round(40 * self.scale))
        base_inst, base_staff = n_students, n_students + n_instructors
        # Volunteers and staff (roles 2, 3, 4) from a small staff pool; visitors (-1) from the students.
        extra_course, extra_user, extra_role = [], [], []
        for role, share in ((2, 0.03), (3, 0.04), (4, 0.06), (-1, 0.02)):
            chosen = np.flatnonzero(rng.random(n) < share)
            chosen = np.union1d(chosen, [len(COURSE_TYPES) + role + 1])  # each role at least once
            pool = (base_staff, n_staff) if role > 0 else (0, n_students)
            extra_course.append(chosen)
            extra_user.append(pool[0] + rng.integers(0, pool[1], len(chosen)))
            extra_role.append(np.full(len(chosen), role))
        # Instructors who are also students in their own course (same course, roles 0 and 1).
        both = np.flatnonzero(rng.random(k) < 0.06)
        first_special = len(COURSE_TYPES) + len(HOSTILE_COURSE_TITLES)
        both = np.union1d(both, np.flatnonzero(inst_course == first_special)[:1])  # one in campaign 1
        rows = pd.DataFrame(
            {
                "course": np.concatenate([slot_course, inst_course, inst_course[both], *extra_course]),
                "user": np.concatenate([student, base_inst + inst, base_inst + inst[both], *extra_user]),
                "role": np.concatenate([np.zeros(m, int), np.ones(k, int), np.zeros(len(both), int), *extra_role]),
            }
        )
        # One person in three courses of campaign 1 (a new editor there).
        trio = np.flatnonzero(course["primary"].to_numpy() == 1)[:3]
        rows = pd.concat(
            [rows, pd.DataFrame({"course": trio, "user": n_students - 1, "role": 0})], ignore_index=True
        ).drop_duplicates(["course", "user", "role"])
        self.notes["three_course_user_index"] = n_students - 1
        # Final user ids follow first appearance (as the Dashboard's auto-increment would).
        starts = course["start"].to_numpy()[rows["course"].to_numpy()]
        first = pd.Series(starts).groupby(rows["user"].to_numpy()).min()
        total = base_staff + n_staff
        first_seen = np.full(total, _seconds(DATA_START), dtype="datetime64[s]")
        first_seen[first.index.to_numpy()] = first.to_numpy().astype("datetime64[s]")
        kind = np.concatenate([np.zeros(n_students, int), np.ones(n_instructors, int), np.full(n_staff, 2)])
        rank = np.lexsort((np.arange(total), first_seen))
        user_id = np.empty(total, dtype=np.int64)
        user_id[rank] = np.arange(1, total + 1)
        rows["user_id"] = user_id[rows["user"].to_numpy()]
        rows["course_id"] = rows["course"] + 1
        self.enrol = rows.sort_values(["course", "role", "user_id"], kind="stable").reset_index(drop=True)
        self.user_kind = pd.Series(kind[rank], index=np.arange(1, total + 1))  # by user id
        self.user_first_seen = pd.Series(first_seen[rank], index=np.arange(1, total + 1))
        self.notes["three_course_user_id"] = int(user_id[n_students - 1])

    # ----------------------------------------------------------------------------------------- users
    def users(self) -> None:
        rng = self.rng
        ids = self.user_kind.index.to_numpy()
        u = len(ids)
        kind = self.user_kind.to_numpy()
        course = self.course
        # The first course each person joined as a student (for registered_at).
        enrol = self.enrol
        st = enrol[enrol["role"] == 0]
        c_start = course["start"].to_numpy()[st["course"].to_numpy()]
        first_idx = (
            pd.DataFrame({"user_id": st["user_id"].to_numpy(), "start": c_start, "course": st["course"].to_numpy()})
            .sort_values(["user_id", "start", "course"], kind="stable")
            .drop_duplicates("user_id")
            .set_index("user_id")["course"]
        )
        first_course = np.full(u, -1)
        first_course[first_idx.index.to_numpy() - 1] = first_idx.to_numpy()
        is_student = (first_course >= 0) & (kind == 0)
        fs = course["start"].to_numpy()[np.maximum(first_course, 0)]
        fe = course["end"].to_numpy()[np.maximum(first_course, 0)]
        length = (fe - fs).astype("timedelta64[s]").astype(np.int64)
        category = rng.choice(9, u, p=[0.46, 0.38, 0.06, 0.02, 0.01, 0.01, 0.03, 0.03, 0.0])
        during = fs + (rng.random(u) * np.minimum(length, 14 * 86400) * rng.random(u)).astype("timedelta64[s]")
        old = fs - (30 + rng.exponential(700, u)).astype(int).astype("timedelta64[D]").astype("timedelta64[s]")
        old = old - rng.integers(0, 86400, u).astype("timedelta64[s]")
        registered = np.select(
            [category == 0, category == 1, category == 2, category == 3, category == 4, category == 5, category == 6],
            [
                during,
                old,
                fs - rng.integers(86400 + 1, 59 * 86400, u).astype("timedelta64[s]"),  # inside a 60-day window
                fs - np.timedelta64(86400, "s"),  # exactly one day before the course start
                fs,  # exactly at the start
                fe,  # exactly at the end
                fe + rng.integers(86400, 60 * 86400, u).astype("timedelta64[s]"),  # after the event
            ],
            np.datetime64("NaT"),
        ).astype("datetime64[s]")
        # Instructors and staff registered long before they first appear.
        seen = self.user_first_seen.to_numpy()
        veteran = seen - (200 + rng.exponential(1500, u)).astype(int).astype("timedelta64[D]").astype("timedelta64[s]")
        registered = np.where(is_student, registered, veteran)
        # The three-course person is a new editor of campaign 1.
        trio = self.notes["three_course_user_id"] - 1
        registered[trio] = fs[trio] + np.timedelta64(1800, "s")
        registered = np.where(
            np.isnat(registered), registered, np.clip(registered, WIKIPEDIA_LAUNCH, _seconds(DATA_END) - 3600)
        )
        self.registered = registered  # by user id - 1
        created = np.maximum(seen - rng.integers(0, 10 * 86400, u).astype("timedelta64[s]"), _seconds(DATA_START))
        created = np.where(np.isnat(registered), created, np.maximum(created, registered + np.timedelta64(300, "s")))
        self.user_created = created
        stem = np.asarray(USER_STEMS, dtype=object)[rng.integers(0, len(USER_STEMS), u)]
        usernames = np.array([f"{s} {i}" for s, i in zip(stem, ids, strict=True)], dtype=object)
        staff = kind == 2
        usernames[staff] = [f"Staff (WMF) {i}" for i in ids[staff]]
        self.usernames = usernames
        trained = (rng.random(u) < 0.6).astype(np.int8)
        self.trained = trained
        first_login = np.where(
            rng.random(u) < 0.85, created + rng.integers(60, 3600, u).astype("timedelta64[s]"), np.datetime64("NaT")
        )
        locale = np.asarray(["en", "de", "fr", "ar", "ru", "zh", "hi", "es", None], dtype=object)[rng.integers(0, 9, u)]

        def secret(name: str) -> np.ndarray:
            return np.array([f"SECRET-{name}-{i}" for i in ids], dtype=object)

        self.tables["users"] = _frame(
            "dashboard",
            "users",
            {
                "id": ids,
                "username": usernames,
                "created_at": created,
                "updated_at": created + np.timedelta64(86400, "s"),
                "trained": trained,
                "global_id": ids + 40_000_000,
                "remember_created_at": np.where(rng.random(u) < 0.3, created, np.datetime64("NaT")),
                "remember_token": secret("remember_token"),
                "wiki_token": secret("wiki_token"),
                "wiki_secret": secret("wiki_secret"),
                "permissions": np.where(staff, 1, np.where(kind == 1, 2, 0)),
                "real_name": secret("real_name"),
                "email": np.array([f"SECRET-email-{i}@example.invalid" for i in ids], dtype=object),
                "onboarded": (rng.random(u) < 0.7).astype(np.int8),
                "greeted": (rng.random(u) < 0.5).astype(np.int8),
                "greeter": staff.astype(np.int8),
                "locale": locale,
                "chat_password": secret("chat_password"),
                "chat_id": np.full(u, None, dtype=object),
                "registered_at": pd.to_datetime(registered),
                "first_login": pd.to_datetime(first_login),
            },
        )

    # ----------------------------------------------------------------------------------------- timeslices
    def timeslices(self) -> None:
        rng, course, enrol = self.rng, self.course, self.enrol
        first_day = course["start_day"].to_numpy()
        last_day = np.minimum(course["end_day"].to_numpy(), END_DAY - 1)
        n_days = np.maximum(last_day - first_day + 1, 0)
        ctype = course["type"].to_numpy()
        students = enrol[enrol["role"] == 0]
        sc = students["course"].to_numpy()
        m = len(sc)
        nd = n_days[sc]
        active = (nd > 0) & (rng.random(m) > 0.12)
        intensity = np.where(ctype[sc] == 0, 0.7, rng.beta(1.4, 6.0, m))
        k = np.where(active, 1 + rng.binomial(np.maximum(nd - 1, 0), intensity), 0)
        zero_only = (~active) & (nd > 0) & (rng.random(m) < 0.3)  # rows with revision_count = 0 only
        k = k + zero_only
        rep = np.repeat(np.arange(m), k)
        day = first_day[sc[rep]] + np.floor(rng.random(len(rep)) * nd[rep]).astype(int)
        revisions = rng.geometric(0.3, len(rep))
        revisions[rng.random(len(rep)) < 0.05] = 0
        revisions[zero_only[rep]] = 0
        # Role-1-only people who edit: their rows exist but must not count as participant activity.
        inst = enrol[(enrol["role"] == 1)]
        inst = inst[~inst.set_index(["course", "user_id"]).index.isin(students.set_index(["course", "user_id"]).index)]
        chosen = inst[(rng.random(len(inst)) < 0.05) & (n_days[inst["course"].to_numpy()] > 0)]
        if chosen.empty:
            chosen = inst[n_days[inst["course"].to_numpy()] > 0].head(1)
        ic = chosen["course"].to_numpy()
        ik = 1 + rng.integers(0, np.minimum(n_days[ic], 5))
        irep = np.repeat(np.arange(len(chosen)), ik)
        iday = first_day[ic[irep]] + np.floor(rng.random(len(irep)) * n_days[ic[irep]]).astype(int)
        self.notes["role1_editor_ids"] = np.unique(chosen["user_id"].to_numpy()).tolist()
        c_all = np.concatenate([sc[rep], ic[irep]])
        u_all = np.concatenate([students["user_id"].to_numpy()[rep], chosen["user_id"].to_numpy()[irep]])
        d_all = np.concatenate([day, iday])
        r_all = np.concatenate([revisions, rng.geometric(0.3, len(irep))])
        is_student = np.concatenate([np.ones(len(rep), bool), np.zeros(len(irep), bool)])
        second = course["second"].to_numpy()[c_all]
        wiki = np.where((second > 0) & (rng.random(len(c_all)) < 0.15), second, course["home"].to_numpy()[c_all])
        n = len(c_all)
        has = r_all > 0
        ms = np.where(has & (rng.random(n) < 0.8), (r_all * rng.lognormal(5.0, 1.2, n)).astype(np.int64), 0)
        us = np.where(has & (rng.random(n) < 0.25), (r_all * rng.lognormal(4.0, 1.0, n)).astype(np.int64), 0)
        draft = np.where(has & (rng.random(n) < 0.05), (r_all * rng.lognormal(4.5, 1.0, n)).astype(np.int64), 0)
        refs = rng.binomial(r_all, 0.3)
        frame = pd.DataFrame(
            {
                "course_id": c_all + 1,
                "user_id": u_all,
                "wiki_id": wiki,
                "day": d_all,
                "character_sum_ms": ms,
                "character_sum_us": us,
                "character_sum_draft": draft,
                "references_count": refs,
                "revision_count": r_all,
                "student": is_student,
            }
        ).drop_duplicates(["course_id", "user_id", "wiki_id", "day"])
        frame = frame.sort_values(["course_id", "day", "user_id", "wiki_id"], kind="stable").reset_index(drop=True)
        self.cuwt = frame
        n = len(frame)
        start = _day_seconds(frame["day"].to_numpy())
        created = start + np.timedelta64(86400 + 3 * 3600, "s")
        self.tables["course_user_wiki_timeslices"] = _frame(
            "dashboard",
            "course_user_wiki_timeslices",
            {
                "id": np.arange(1, n + 1),
                "course_id": frame["course_id"].to_numpy(np.int32),
                "user_id": frame["user_id"].to_numpy(np.int32),
                "wiki_id": frame["wiki_id"].to_numpy(np.int32),
                "start": start,
                "end": start + np.timedelta64(86400, "s"),
                "character_sum_ms": frame["character_sum_ms"].to_numpy(np.int32),
                "character_sum_us": frame["character_sum_us"].to_numpy(np.int32),
                "character_sum_draft": frame["character_sum_draft"].to_numpy(np.int32),
                "references_count": frame["references_count"].to_numpy(np.int32),
                "revision_count": frame["revision_count"].to_numpy(np.int32),
                "created_at": created,
                "updated_at": created,
            },
        )
        # course_wiki_timeslices: every day of [start, end] (up to DATA_END) per course x tracked wiki,
        # summing the students' rows (instructors' edits are not course edits).
        pair_course = np.concatenate([np.arange(len(course)), np.flatnonzero(second_all := course["second"] > 0)])
        pair_wiki = np.concatenate([course["home"].to_numpy(), course["second"].to_numpy()[second_all.to_numpy()]])
        pair_order = np.lexsort((pair_wiki, pair_course))
        pair_course, pair_wiki = pair_course[pair_order], pair_wiki[pair_order]
        per = n_days[pair_course]
        grid_pair = np.repeat(np.arange(len(pair_course)), per)
        offsets = np.arange(len(grid_pair)) - np.repeat(np.cumsum(per) - per, per)
        grid_course = pair_course[grid_pair]
        grid_day = first_day[grid_course] + offsets
        grid_wiki = pair_wiki[grid_pair]
        grid_key = ((grid_course + 1).astype(np.int64) * 16 + grid_wiki) * 100_000 + grid_day
        st = frame[frame["student"]]
        st_key = (st["course_id"].to_numpy(np.int64) * 16 + st["wiki_id"].to_numpy()) * 100_000 + st["day"].to_numpy()
        sums = st[["character_sum_ms", "references_count", "revision_count"]].groupby(st_key).sum()
        position = np.searchsorted(grid_key, sums.index.to_numpy())
        assert (grid_key[position] == sums.index.to_numpy()).all(), "a student timeslice outside its course grid"
        g = len(grid_key)
        chars, refs, revs = np.zeros(g, np.int64), np.zeros(g, np.int64), np.zeros(g, np.int64)
        chars[position] = sums["character_sum_ms"].to_numpy()
        refs[position] = sums["references_count"].to_numpy()
        revs[position] = sums["revision_count"].to_numpy()
        start = _day_seconds(grid_day)
        created = start + np.timedelta64(86400 + 2 * 3600, "s")
        self.cwt = pd.DataFrame({"course": grid_course, "day": grid_day, "chars": chars, "refs": refs, "revs": revs})
        self.tables["course_wiki_timeslices"] = _frame(
            "dashboard",
            "course_wiki_timeslices",
            {
                "id": np.arange(1, g + 1),
                "course_id": (grid_course + 1).astype(np.int32),
                "wiki_id": grid_wiki.astype(np.int32),
                "start": start,
                "end": start + np.timedelta64(86400, "s"),
                "character_sum": chars,
                "references_count": refs,
                "revision_count": revs,
                "last_mw_rev_datetime": pd.to_datetime(
                    np.where(revs > 0, start + rng.integers(0, 86400, g).astype("timedelta64[s]"), np.datetime64("NaT"))
                ),
                "created_at": created,
                "updated_at": created,
                "mw_rev_count": revs + rng.binomial(1, 0.1, g) * rng.integers(1, 4, g),
            },
        )
        self.tables["courses_wikis"] = _frame(
            "dashboard",
            "courses_wikis",
            {
                "id": np.arange(1, len(pair_course) + 1),
                "course_id": pair_course + 1,
                "wiki_id": pair_wiki,
                "created_at": course["created_at"].to_numpy()[pair_course],
                "updated_at": course["created_at"].to_numpy()[pair_course],
            },
        )
        self.tables["course_wiki_namespaces"] = _frame(
            "dashboard",
            "course_wiki_namespaces",
            {
                "id": np.arange(1, len(pair_course) + 1),
                "namespace": np.where(pair_wiki == COMMONS, 6, np.where(pair_wiki == WIKIDATA, 0, 0)),
                "courses_wikis_id": np.arange(1, len(pair_course) + 1),
                "created_at": course["created_at"].to_numpy()[pair_course],
                "updated_at": course["created_at"].to_numpy()[pair_course],
            },
        )

    # ----------------------------------------------------------------------------------------- articles
    def articles(self) -> None:
        rng, course, cuwt = self.rng, self.course, self.cuwt
        st = cuwt[cuwt["student"] & (cuwt["revision_count"] > 0)]
        active = st.drop_duplicates(["course_id", "user_id"])
        per_course = active.groupby("course_id").size()
        # Articles edited per course: about 1.2 per active student.
        n_art = rng.poisson(per_course.to_numpy() * 1.2) + 1
        ac_course = np.repeat(per_course.index.to_numpy(), n_art)  # course ids
        m = len(ac_course)
        # A random active student of the course wrote each one (user_ids), on the home wiki mostly.
        starts = np.concatenate([[0], np.cumsum(per_course.to_numpy())[:-1]])
        which = np.repeat(np.arange(len(per_course)), n_art)
        pick = _segment_pick(rng, starts, per_course.to_numpy(), which)
        author = active["user_id"].to_numpy()[pick]
        wiki = active["wiki_id"].to_numpy()[pick]
        c = ac_course - 1
        first_day = course["start_day"].to_numpy()[c]
        last_day = np.minimum(course["end_day"].to_numpy()[c], END_DAY - 1)
        span = np.maximum(last_day - first_day + 1, 1)
        first_revision = _day_seconds(first_day + np.floor(rng.random(m) * span).astype(int)) + rng.integers(
            0, 86400, m
        ).astype("timedelta64[s]")
        article_id = np.arange(1, m + 1)
        # Some articles are edited by two courses (same wiki): reuse an earlier article id.
        shared = np.flatnonzero(rng.random(m) < 0.04)
        other = rng.integers(0, m, len(shared))
        ok = (wiki[other] == wiki[shared]) & (ac_course[other] != ac_course[shared])
        article_id[shared[ok]] = article_id[other[ok]]
        ac = pd.DataFrame(
            {"course_id": ac_course, "article_id": article_id, "author": author, "wiki": wiki, "first": first_revision}
        ).drop_duplicates(["course_id", "article_id"])
        m = len(ac)
        used = np.unique(ac["article_id"].to_numpy())
        n_articles = int(used.max()) if len(used) else 0
        a_wiki = np.zeros(n_articles + 1, dtype=np.int64)
        a_wiki[ac["article_id"].to_numpy()[::-1]] = ac["wiki"].to_numpy()[::-1]
        a_wiki = a_wiki[1:]
        a_ids = np.arange(1, n_articles + 1)
        namespace = np.select(
            [a_wiki == COMMONS, a_wiki == WIKIDATA],
            [np.full(n_articles, 6), rng.choice([0, 120, 146], n_articles, p=[0.9, 0.05, 0.05])],
            rng.choice([0, 2, 118, 1, 4], n_articles, p=[0.85, 0.08, 0.04, 0.02, 0.01]),
        )
        deleted = rng.random(n_articles) < 0.03
        mw_page_id = a_ids + 100_000
        language = np.asarray([w[1] for w in WIKIS], dtype=object)[a_wiki - 1]
        words = {1: "Article", 2: "Artikel", 3: "Article_é", 4: "مقالة", 5: "Статья", 6: "条目", 7: "लेख"}
        base = np.asarray([words.get(w, "Page") for w in range(1, 13)], dtype=object)[a_wiki - 1]
        a_title = np.array([f"{b}_{i}" for b, i in zip(base, a_ids, strict=True)], dtype=object)
        wikidata_items = a_wiki == WIKIDATA
        a_title[wikidata_items] = [f"Q{i}" for i in mw_page_id[wikidata_items]]
        average_views = np.where(rng.random(n_articles) < 0.9, rng.lognormal(1.0, 1.5, n_articles), np.nan)
        index_hash = np.array([f"{p}-{w}" for p, w in zip(mw_page_id, a_wiki, strict=True)], dtype=object)
        index_hash[deleted] = None
        first_by_article = ac.groupby("article_id")["first"].min()
        a_created = np.full(n_articles, _seconds(DATA_START), dtype="datetime64[s]")
        a_created[first_by_article.index.to_numpy() - 1] = first_by_article.to_numpy().astype("datetime64[s]")
        self.tables["articles"] = _frame(
            "dashboard",
            "articles",
            {
                "id": a_ids,
                "title": a_title,
                "created_at": a_created,
                "updated_at": a_created + np.timedelta64(86400, "s"),
                "namespace": namespace,
                "rating": np.where(
                    a_wiki == 1,
                    np.asarray(["stub", "start", "c", "b", "ga", None], dtype=object)[rng.integers(0, 6, n_articles)],
                    None,
                ),
                "deleted": deleted.astype(np.int8),
                "language": language,
                "average_views": average_views,
                "wiki_id": a_wiki,
                "mw_page_id": mw_page_id,
                "index_hash": index_hash,
            },
        )
        ac_article = ac["article_id"].to_numpy()
        new_article = rng.random(m) < 0.25
        tracked = rng.random(m) >= 0.05
        ac_views = average_views[ac_article - 1]
        first = ac["first"].to_numpy().astype("datetime64[s]")
        self.tables["articles_courses"] = _frame(
            "dashboard",
            "articles_courses",
            {
                "id": np.arange(1, m + 1),
                "created_at": first + np.timedelta64(86400, "s"),
                "updated_at": first + np.timedelta64(2 * 86400, "s"),
                "article_id": ac_article,
                "course_id": ac["course_id"].to_numpy(),
                "view_count": np.zeros(m, np.int64),
                "character_sum": rng.lognormal(6.0, 1.3, m).astype(np.int64),
                "new_article": new_article.astype(np.int8),
                "references_count": rng.poisson(2.0, m),
                "tracked": tracked.astype(np.int8),
                "user_ids": np.array([f"---\n- {a}\n" for a in ac["author"].to_numpy()], dtype=object),
                "first_revision": first,
                "average_views": ac_views,
            },
        )
        live = tracked & ~deleted[ac_article - 1]
        days = (DATA_END - first.astype("datetime64[D]")).astype(int)  # MySQL DATEDIFF counts dates
        views = np.floor(days * ac_views)
        self.ac_stats = (
            pd.DataFrame(
                {
                    "course_id": ac["course_id"].to_numpy(),
                    "article_count": live.astype(int),
                    "new_article_count": (live & new_article).astype(int),
                    "view_sum": np.where(live & ~np.isnan(views), views, 0).astype(np.int64),
                }
            )
            .groupby("course_id")
            .sum()
        )

    # ----------------------------------------------------------------------------------------- uploads
    def uploads(self) -> None:
        rng, course, cuwt = self.rng, self.course, self.cuwt
        active = cuwt[cuwt["student"] & (cuwt["revision_count"] > 0)].drop_duplicates(["course_id", "user_id"])
        c = active["course_id"].to_numpy() - 1
        share = np.where(course["home"].to_numpy()[c] == COMMONS, 0.4, 0.1)
        count = np.where(rng.random(len(c)) < share, rng.geometric(0.45, len(c)), 0)
        rep = np.repeat(np.arange(len(c)), count)
        n = len(rep)
        s = course["start"].to_numpy()[c[rep]]
        e = np.minimum(course["end"].to_numpy()[c[rep]], _seconds(DATA_END) - 1)
        at = s + (rng.random(n) * (e - s).astype(np.int64)).astype("timedelta64[s]")
        before = rng.random(n) < 0.1  # some uploads predate the course: they do not count for it
        at[before] = s[before] - rng.integers(86400, 30 * 86400, before.sum()).astype("timedelta64[s]")
        usage = np.where(rng.random(n) < 0.4, rng.integers(1, 20, n), 0)
        ids = np.arange(1, n + 1)
        names = np.asarray(["Demo upload", "Fotografía", "Фото", "写真", "صورة"], dtype=object)[rng.integers(0, 5, n)]
        file_name = np.array([f"{b} {i}.jpg" for b, i in zip(names, ids, strict=True)], dtype=object)
        self.tables["commons_uploads"] = _frame(
            "dashboard",
            "commons_uploads",
            {
                "id": ids,
                "user_id": active["user_id"].to_numpy()[rep],
                "file_name": file_name,
                "uploaded_at": at,
                "usage_count": usage,
                "created_at": at + np.timedelta64(3600, "s"),
                "updated_at": at + np.timedelta64(7200, "s"),
                "thumburl": np.array([f"https://upload.wikimedia.org/demo/thumb/{i}.jpg" for i in ids], dtype=object),
                "thumbwidth": np.full(n, "640", dtype=object),
                "thumbheight": np.full(n, "480", dtype=object),
                "deleted": (rng.random(n) < 0.03).astype(np.int8),
            },
        )

    # ----------------------------------------------------------------------------------------- caches
    def course_caches(self) -> None:
        """Courses and courses_users, with the cached columns computed as the Dashboard does (dashboard.md §1)."""
        rng, course, enrol = self.rng, self.course, self.enrol
        n = len(course)
        ids = course["id"].to_numpy()
        cwt = self.cwt
        sums = cwt.groupby("course")[["chars", "refs", "revs"]].sum().reindex(np.arange(n), fill_value=0)
        recent = cwt[cwt["day"] >= END_DAY - 30].groupby("course")["revs"].sum().reindex(np.arange(n), fill_value=0)
        students = enrol[enrol["role"] == 0]
        user_count = students.groupby("course").size().reindex(np.arange(n), fill_value=0).to_numpy()
        trained = self.trained[students["user_id"].to_numpy() - 1]
        trained_count = (
            (
                pd.Series(trained.astype(int))
                .groupby(students["course"].to_numpy())
                .sum()
                .reindex(np.arange(n), fill_value=0)
            )
            .to_numpy()
            .copy()
        )
        trained_count[course["start"].to_numpy() < np.datetime64("2016-01-01T00:00:00")] = 0
        ac = self.ac_stats.reindex(ids, fill_value=0)
        # Uploads by students with uploaded_at in [start, end].
        up = self.tables["commons_uploads"][["user_id", "uploaded_at", "usage_count"]]
        joined = students[["course", "user_id"]].merge(up, on="user_id")
        inside = (joined["uploaded_at"].to_numpy() >= course["start"].to_numpy()[joined["course"].to_numpy()]) & (
            joined["uploaded_at"].to_numpy() <= course["end"].to_numpy()[joined["course"].to_numpy()]
        )
        joined = joined[inside]
        in_use = joined["usage_count"] > 0
        upload_count = joined.groupby("course").size().reindex(np.arange(n), fill_value=0).to_numpy()
        in_use_count = joined[in_use].groupby("course").size().reindex(np.arange(n), fill_value=0).to_numpy()
        usages = joined[in_use].groupby("course")["usage_count"].sum().reindex(np.arange(n), fill_value=0).to_numpy()
        per_user_uploads = joined.groupby(["course", "user_id"]).size()
        text = self.course_text
        ctype = np.asarray(COURSE_TYPES, dtype=object)[course["type"].to_numpy()]
        flags = np.where(
            ctype == "Editathon",
            "---\n:timeslice_duration:\n  :default: 86400\n",
            "--- {}\n",
        ).astype(object)
        self.tables["courses"] = _frame(
            "dashboard",
            "courses",
            {
                "id": ids,
                "title": text["title"],
                "created_at": course["created_at"].to_numpy(),
                "updated_at": np.maximum(course["created_at"].to_numpy(), _seconds(DATA_END) - 3600),
                "start": course["start"].to_numpy(),
                "end": course["end"].to_numpy(),
                "school": text["school"],
                "term": text["term"],
                "character_sum": sums["chars"].to_numpy(),
                "view_sum": ac["view_sum"].to_numpy(),
                "user_count": user_count,
                "article_count": ac["article_count"].to_numpy(),
                "revision_count": sums["revs"].to_numpy(),
                "slug": text["slug"],
                "subject": np.asarray(["History", "Biology", "Gender studies", "Art", None], dtype=object)[
                    rng.integers(0, 5, n)
                ],
                "expected_students": course["students"].to_numpy(),
                "description": np.array([f"Course {i}.\nSecond line, with a comma." for i in ids], dtype=object),
                "submitted": np.ones(n, np.int8),
                "passcode": np.array([f"SECRET-passcode-{i}" for i in ids], dtype=object),
                "timeline_start": course["start"].to_numpy(),
                "timeline_end": course["end"].to_numpy(),
                "new_article_count": ac["new_article_count"].to_numpy(),
                "trained_count": trained_count,
                "type": ctype,
                "upload_count": upload_count,
                "uploads_in_use_count": in_use_count,
                "upload_usages_count": usages,
                "home_wiki_id": course["home"].to_numpy(),
                "recent_revision_count": recent.to_numpy(),
                "flags": flags,
                "level": np.asarray(["Introductory", "Advanced", None], dtype=object)[rng.integers(0, 3, n)],
                "private": course["private"].to_numpy().astype(np.int8),
                "withdrawn": self.course_flags["withdrawn"].astype(np.int8),
                "references_count": sums["refs"].to_numpy(),
            },
        )
        # courses_users, ids in enrolment order; per-user caches from that user's timeslices in the course.
        m = len(enrol)
        c = enrol["course"].to_numpy()
        s = course["start"].to_numpy()[c]
        joined_at = s - rng.integers(0, 10 * 86400, m).astype("timedelta64[s]")
        joined_at = np.maximum(joined_at, course["created_at"].to_numpy()[c])
        registered = self.registered[enrol["user_id"].to_numpy() - 1]
        joined_at = np.where(
            np.isnat(registered), joined_at, np.maximum(joined_at, registered + np.timedelta64(600, "s"))
        )
        per_user = self.cuwt.groupby(["course_id", "user_id"])[
            ["character_sum_ms", "character_sum_us", "character_sum_draft", "references_count", "revision_count"]
        ].sum()
        key = pd.MultiIndex.from_arrays([enrol["course_id"].to_numpy(), enrol["user_id"].to_numpy()])
        mine = per_user.reindex(key, fill_value=0)
        uploads = per_user_uploads.reindex(
            pd.MultiIndex.from_arrays([c, enrol["user_id"].to_numpy()]), fill_value=0
        ).to_numpy()
        order = np.lexsort((np.arange(m), joined_at))
        cu_ids = np.empty(m, dtype=np.int64)
        cu_ids[order] = np.arange(1, m + 1)
        role = enrol["role"].to_numpy()
        self.tables["courses_users"] = _frame(
            "dashboard",
            "courses_users",
            {
                "id": cu_ids,
                "created_at": joined_at,
                "updated_at": joined_at + np.timedelta64(3600, "s"),
                "course_id": enrol["course_id"].to_numpy(),
                "user_id": enrol["user_id"].to_numpy(),
                "character_sum_ms": mine["character_sum_ms"].to_numpy(),
                "character_sum_us": mine["character_sum_us"].to_numpy(),
                "revision_count": mine["revision_count"].to_numpy(),
                "role": role,
                "character_sum_draft": mine["character_sum_draft"].to_numpy(),
                "real_name": np.where(
                    rng.random(m) < 0.3, np.char.add("SECRET-cu-real_name-", cu_ids.astype(str)).astype(object), None
                ),
                "role_description": np.where(role == 1, "Facilitator", None),
                "total_uploads": np.where(role == 0, uploads, None),
                "references_count": mine["references_count"].to_numpy(),
            },
        ).sort_values("id", ignore_index=True)
        # Tags: course_creator = first_time_instructor / returning_instructor, from the first instructor's history.
        inst = enrol[enrol["role"] == 1].drop_duplicates("course")
        creator_start = course["start"].to_numpy()[inst["course"].to_numpy()]
        earlier = (
            pd.DataFrame({"user": inst["user_id"].to_numpy(), "start": creator_start})
            .groupby("user")["start"]
            .rank(method="first")
            .to_numpy()
        )
        tag = np.where(earlier > 1, "returning_instructor", "first_time_instructor").astype(object)
        t = len(inst)
        self.tables["tags"] = _frame(
            "dashboard",
            "tags",
            {
                "id": np.arange(1, t + 1),
                "course_id": inst["course_id"].to_numpy(),
                "tag": tag,
                "key": np.full(t, "course_creator", dtype=object),
                "created_at": course["created_at"].to_numpy()[inst["course"].to_numpy()],
                "updated_at": course["created_at"].to_numpy()[inst["course"].to_numpy()],
            },
        )

    # ----------------------------------------------------------------------------------------- campaigns x
    def campaign_links(self) -> None:
        rng, course = self.rng, self.course
        n = len(course)
        primary = course["primary"].to_numpy()
        # Second and third campaigns for some courses (never the all-private or the empty campaign).
        eligible = np.setdiff1d(np.arange(1, self.n_campaigns + 1), [PRIVATE_CAMPAIGN, EMPTY_CAMPAIGN])
        extra_courses, extra_campaigns = [], []
        # A second campaign runs at about the same time: among the eligible campaigns, one of the few
        # whose start is nearest the course's start (so a campaign page does not span unrelated years).
        camp = self.campaign.set_index("id").loc[eligible]
        by_start = np.argsort(camp["start_day"].to_numpy(), kind="stable")
        starts = camp["start_day"].to_numpy()[by_start]
        course_start = course["start_day"].to_numpy()
        for share in (0.15, 0.03):
            chosen = np.flatnonzero((rng.random(n) < share) & (primary > 0) & (primary != PRIVATE_CAMPAIGN))
            nearest = np.searchsorted(starts, course_start[chosen])
            pick = np.clip(nearest + rng.integers(-2, 2, len(chosen)), 0, len(starts) - 1)
            extra_courses.append(chosen)
            extra_campaigns.append(eligible[by_start[pick]])
        special = np.asarray(self.notes["special_course_ids"]) - 1
        extra_courses.append(special[:3])
        extra_campaigns.append(np.full(3, 6))  # campaign 1's courses are also in the undated campaign 6
        has = primary > 0
        pairs = pd.DataFrame(
            {
                "course": np.concatenate([np.flatnonzero(has), *extra_courses]),
                "campaign": np.concatenate([primary[has], *extra_campaigns]),
            }
        ).drop_duplicates()
        pairs = pairs.sort_values(["campaign", "course"], kind="stable", ignore_index=True)
        camp_created = self.campaign.set_index("id")["created_at"].to_numpy()
        linked = np.maximum(course["created_at"].to_numpy()[pairs["course"]], camp_created[pairs["campaign"] - 1])
        linked = linked + rng.integers(60, 86400, len(pairs)).astype("timedelta64[s]")
        self.tables["campaigns_courses"] = _frame(
            "dashboard",
            "campaigns_courses",
            {
                "id": np.arange(1, len(pairs) + 1),
                "campaign_id": pairs["campaign"].to_numpy(),
                "course_id": pairs["course"].to_numpy() + 1,
                "created_at": linked,
                "updated_at": linked,
            },
        )
        # Organizers (campaigns_users role 1): one or two instructors per campaign.
        instructors = np.flatnonzero(self.user_kind.to_numpy() == 1) + 1
        k = rng.choice([1, 2], self.n_campaigns, p=[0.7, 0.3])
        campaign = np.repeat(np.arange(1, self.n_campaigns + 1), k)
        organizer = instructors[rng.integers(0, len(instructors), len(campaign))]
        frame = pd.DataFrame({"campaign": campaign, "user": organizer}).drop_duplicates()
        created = camp_created[frame["campaign"].to_numpy() - 1]
        self.tables["campaigns_users"] = _frame(
            "dashboard",
            "campaigns_users",
            {
                "id": np.arange(1, len(frame) + 1),
                "campaign_id": frame["campaign"].to_numpy(),
                "user_id": frame["user"].to_numpy(),
                "role": np.ones(len(frame), int),
                "created_at": created,
                "updated_at": created,
            },
        )

    def finish_dashboard(self) -> None:
        self.tables["wikis"] = _frame(
            "dashboard",
            "wikis",
            {
                "id": np.array([w[0] for w in WIKIS]),
                "language": np.array([w[1] for w in WIKIS], dtype=object),
                "project": np.array([w[2] for w in WIKIS], dtype=object),
            },
        )
        ordered: dict[str, pd.DataFrame] = {}
        last = pd.Timestamp(_seconds(DATA_END) - np.timedelta64(1, "s"))
        for table, columns in ddl_columns("dashboard").items():
            frame = self.tables.get(table)
            if frame is None:
                frame = _frame("dashboard", table, {column: np.array([], dtype=object) for column in columns}, 0)
            # Nothing is recorded on or after DATA_END (future courses' sign-ups included); only schedules
            # (course and campaign start/end, a timeslice's end) may lie beyond it.
            for column in columns:
                if pd.api.types.is_datetime64_any_dtype(frame[column]) and (table, column) not in SCHEDULE_COLUMNS:
                    frame[column] = frame[column].clip(upper=last)
            ordered[table] = frame.reset_index(drop=True)
        self.tables = ordered

    # ----------------------------------------------------------------------------------------- replica
    def replica(self) -> dict[str, dict[str, pd.DataFrame]]:
        """Per wiki: an actor per Dashboard user who edits there, pages, and revisions before, during and after
        their courses (post-course activity follows a few profiles, so retention windows 1..6 vary)."""
        rng, course, enrol, cuwt = self.rng, self.course, self.enrol, self.cuwt
        # (user, wiki, course window) sources: home wikis of courses where they are role 0 or 1, plus the
        # other wikis they edited in timeslices.
        e = enrol[enrol["role"].isin([0, 1])]
        home = pd.DataFrame(
            {
                "user_id": e["user_id"].to_numpy(),
                "wiki": course["home"].to_numpy()[e["course"].to_numpy()],
                "course": e["course"].to_numpy(),
                "role": e["role"].to_numpy(),
            }
        )
        other = cuwt.drop_duplicates(["course_id", "user_id", "wiki_id"])
        other = other[other["wiki_id"].to_numpy() != course["home"].to_numpy()[other["course_id"].to_numpy() - 1]]
        other = pd.DataFrame(
            {
                "user_id": other["user_id"].to_numpy(),
                "wiki": other["wiki_id"].to_numpy(),
                "course": other["course_id"].to_numpy() - 1,
                "role": np.zeros(len(other), int),
            }
        )
        src = pd.concat([home, other], ignore_index=True).drop_duplicates(["user_id", "wiki", "course"])
        src_start = course["start"].to_numpy()[src["course"].to_numpy()]
        src_end = course["end"].to_numpy()[src["course"].to_numpy()]
        registered = self.registered[src["user_id"].to_numpy() - 1]
        reg_known = np.where(np.isnat(registered), WIKIPEDIA_LAUNCH, registered)
        cutoff = _seconds(DATA_END)
        active_pairs = cuwt[cuwt["revision_count"] > 0].drop_duplicates(["course_id", "user_id"])
        was_active = pd.MultiIndex.from_arrays([src["course"].to_numpy() + 1, src["user_id"].to_numpy()]).isin(
            pd.MultiIndex.from_arrays([active_pairs["course_id"].to_numpy(), active_pairs["user_id"].to_numpy()])
        )
        # During the course.
        n_during = np.where(was_active, 1 + rng.poisson(1.5, len(src)), rng.poisson(0.2, len(src)))
        rep = np.repeat(np.arange(len(src)), n_during)
        lo = np.maximum(src_start, reg_known)[rep]
        hi = np.minimum(src_end, cutoff - 1)[rep]
        t_during = lo + (rng.random(len(rep)) * np.maximum((hi - lo).astype(np.int64), 0)).astype("timedelta64[s]")
        keep = hi > lo
        during = (src["user_id"].to_numpy()[rep][keep], src["wiki"].to_numpy()[rep][keep], t_during[keep])
        # Per actor (user, wiki): before the first course and after the last one.
        actors = (
            pd.DataFrame(
                {
                    "user_id": src["user_id"].to_numpy(),
                    "wiki": src["wiki"].to_numpy(),
                    "s": src_start,
                    "e": src_end,
                    "r": reg_known,
                }
            )
            .groupby(["user_id", "wiki"], sort=True)
            .agg(s=("s", "min"), e=("e", "max"), r=("r", "first"))
            .reset_index()
        )
        a = len(actors)
        first_s, last_e, reg = (actors[c].to_numpy().astype("datetime64[s]") for c in ("s", "e", "r"))
        old = reg < first_s - np.timedelta64(7 * 86400, "s")
        n_before = np.where(old, rng.poisson(1.5, a), 0)
        rep = np.repeat(np.arange(a), n_before)
        span = (first_s - reg)[rep].astype(np.int64)
        t_before = reg[rep] + (rng.random(len(rep)) * span).astype("timedelta64[s]")
        before = (actors["user_id"].to_numpy()[rep], actors["wiki"].to_numpy()[rep], t_before)
        # After: none 40%, burst in the first month 15%, sporadic for ~8 months 25%, long-term 15%, late return 5%.
        profile = rng.choice(5, a, p=[0.40, 0.15, 0.25, 0.15, 0.05])
        n_after = np.select(
            [profile == 1, profile == 2, profile == 3, profile == 4],
            [rng.integers(1, 4, a), 1 + rng.poisson(4, a), 5 + rng.poisson(15, a), rng.integers(1, 3, a)],
            0,
        )
        rep = np.repeat(np.arange(a), n_after)
        p = profile[rep]
        k = len(rep)
        offset_days = np.select(
            [p == 1, p == 2, p == 3],
            [rng.random(k) * 30, 1 + rng.random(k) * 240, 1 + rng.random(k) * 540],
            200 + rng.random(k) * 300,
        )
        t_after = last_e[rep] + (offset_days * 86400).astype(np.int64).astype("timedelta64[s]")
        keep = t_after < cutoff
        after = (actors["user_id"].to_numpy()[rep][keep], actors["wiki"].to_numpy()[rep][keep], t_after[keep])
        users = np.concatenate([during[0], before[0], after[0]])
        wikis = np.concatenate([during[1], before[1], after[1]])
        times = np.concatenate([during[2], before[2], after[2]]).astype("datetime64[s]")
        # Nobody edits before registering (some registered after their course: their "after" edits move).
        registered_at = self.registered[users - 1]
        known = ~np.isnat(registered_at)
        times[known] = np.maximum(times[known], registered_at[known] + np.timedelta64(60, "s"))
        kept = times < cutoff
        users, wikis, times = users[kept], wikis[kept], times[kept]
        usernames = self.usernames
        result: dict[str, dict[str, pd.DataFrame]] = {}
        for wiki_id, language, project, _ in WIKIS:
            dbname = wiki_dbname(language, project)
            mine = actors[actors["wiki"] == wiki_id]
            n_people = len(mine)
            n_strangers = max(5, n_people // 30)
            names = np.concatenate(
                [usernames[mine["user_id"].to_numpy() - 1], [f"Passer-by {wiki_id}-{i}" for i in range(n_strangers)]]
            ).astype(object)
            n_act = len(names)
            actor_id = np.arange(1, n_act + 1) + 1000
            actor_of_user = pd.Series(actor_id[:n_people], index=mine["user_id"].to_numpy())
            where = wikis == wiki_id
            rev_actor = actor_of_user.reindex(users[where]).to_numpy()
            rev_time = times[where]
            # Strangers edit at random times.
            s_count = rng.integers(1, 6, n_strangers)
            s_actor = np.repeat(actor_id[n_people:], s_count)
            span = int((DATA_END - DATA_START).astype(int)) * 86400
            s_time = _seconds(DATA_START) + rng.integers(0, span, len(s_actor)).astype("timedelta64[s]")
            rev_actor = np.concatenate([rev_actor, s_actor]).astype(np.int64)
            rev_time = np.concatenate([rev_time, s_time])
            order = np.lexsort((rev_actor, rev_time))
            rev_actor, rev_time = rev_actor[order], rev_time[order]
            r = len(rev_actor)
            n_pages = max(20, r // 6)
            namespace = np.select(
                [np.full(n_pages, wiki_id == COMMONS), np.full(n_pages, wiki_id == WIKIDATA)],
                [
                    rng.choice([6, 0, 2, 14], n_pages, p=[0.8, 0.05, 0.1, 0.05]),
                    rng.choice([0, 120, 146, 2], n_pages, p=[0.85, 0.05, 0.05, 0.05]),
                ],
                rng.choice([0, 1, 2, 3, 4, 118], n_pages, p=[0.6, 0.08, 0.15, 0.08, 0.04, 0.05]),
            )
            page_id = np.arange(1, n_pages + 1)
            rev_page = rng.integers(1, n_pages + 1, r)
            rev_id = np.arange(1, r + 1) + 5_000_000
            parent = pd.Series(rev_id).groupby(rev_page).shift(1).fillna(0).astype(np.int64).to_numpy()
            stamp = _stamps(rev_time)
            last = pd.DataFrame({"page": rev_page, "rev": rev_id, "stamp": stamp}).groupby("page").last()
            latest = pd.Series(last["rev"]).reindex(page_id, fill_value=0).to_numpy()
            touched = last["stamp"].reindex(page_id, fill_value="20150101000000").to_numpy()
            rev_count = np.bincount(rev_page, minlength=n_pages + 1)[1:]
            titles = np.array([f"Demo_page_{i}" for i in page_id], dtype=object)
            if wiki_id == WIKIDATA:
                titles[namespace == 0] = [f"Q{i}" for i in page_id[namespace == 0]]
            result[dbname] = {
                "actor": _frame(
                    "replica",
                    "actor",
                    {
                        "actor_id": actor_id,
                        "actor_user": np.arange(1, n_act + 1) + 300_000,
                        "actor_name": names,
                    },
                ),
                "page": _frame(
                    "replica",
                    "page",
                    {
                        "page_id": page_id,
                        "page_namespace": namespace,
                        "page_title": titles,
                        "page_is_redirect": (rng.random(n_pages) < 0.03).astype(np.int8),
                        "page_is_new": (rev_count <= 1).astype(np.int8),
                        "page_random": rng.random(n_pages),
                        "page_touched": touched,
                        "page_links_updated": touched,
                        "page_latest": latest,
                        "page_len": rng.integers(100, 50_000, n_pages),
                        "page_content_model": np.full(
                            n_pages, "wikibase-item" if wiki_id == WIKIDATA else "wikitext", dtype=object
                        ),
                    },
                ),
                "revision": _frame(
                    "replica",
                    "revision",
                    {
                        "rev_id": rev_id,
                        "rev_page": rev_page,
                        "rev_comment_id": rng.integers(1, 1_000_000, r),
                        "rev_actor": rev_actor,
                        "rev_timestamp": stamp,
                        "rev_minor_edit": (rng.random(r) < 0.1).astype(np.int8),
                        "rev_deleted": (rng.random(r) < 0.005).astype(np.int8),
                        "rev_len": rng.integers(100, 50_000, r),
                        "rev_parent_id": parent,
                        "rev_sha1": pd.Series(rng.integers(1 << 40, 1 << 62, r)).astype(str).to_numpy(dtype=object),
                    },
                ),
            }
        return result


def _stamps(times: np.ndarray) -> np.ndarray:
    """datetime64[s] → MediaWiki 'YYYYMMDDHHMMSS' strings (vectorised)."""
    text = np.datetime_as_string(times.astype("datetime64[s]"), unit="s")  # 'YYYY-MM-DDTHH:MM:SS'
    for char in "-T:":
        text = np.strings.replace(text, char, "")
    return text.astype(object)


def private_markers(demo: Demo) -> list[str]:
    """Titles and slugs of private courses, and of the campaign whose courses are all private: strings that must
    never appear in the published site."""
    courses = demo.dashboard["courses"]
    private = courses[courses["private"] == 1]
    markers = list(private["title"]) + list(private["slug"])
    campaigns = demo.dashboard["campaigns"]
    links = demo.dashboard["campaigns_courses"]
    public_ids = set(courses.loc[courses["private"] == 0, "id"])
    has_public = set(links.loc[links["course_id"].isin(public_ids), "campaign_id"])
    linked = set(links["campaign_id"])
    hidden = campaigns[campaigns["id"].isin(linked - has_public)]
    markers += list(hidden["title"]) + list(hidden["slug"])
    return sorted(set(markers))


# --------------------------------------------------------------------------------------------------- writing


class _Progress:
    """tqdm on a terminal; log lines otherwise; nothing when disabled."""

    def __init__(self, enabled: bool, total: int):
        self.enabled = enabled
        self.bar = None
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="table", desc="demo", file=sys.stderr)

    def step(self, name: str, rows: int, seconds: float) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(f"{name} ({rows:,} rows)")
            self.bar.update(1)
        elif self.enabled:
            log.info("demo: %-36s %10s rows  %6.2fs", name, f"{rows:,}", seconds)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def write_demo(
    *,
    scale: float = DEFAULT_SCALE,
    seed: int = DEFAULT_SEED,
    dashboard_url: str,
    replica_url: str,
    root: Path,
    progress: bool = True,
) -> dict[str, int]:
    """Generate the demo and write it to the two sources; return row counts per table (replica tables as
    '<dbname>_p.<table>').

    DuckDB: the dashboard file is replaced whole (written to a temporary file, then os.replace); the replica is
    one file with a schema `<dbname>_p` per wiki, or one file per wiki when the path contains `{dbname}`.
    MySQL/MariaDB: the dashboard database is created if missing and its tables dropped and recreated; the replica
    URL must contain `{dbname}` (e.g. mysql://root@127.0.0.1:3306/{dbname}_p), one database per wiki, dropped and
    recreated."""
    started = time.perf_counter()
    demo = generate(scale, seed)
    if progress:
        log.info("demo: generated scale %s seed %s in %.1fs", scale, seed, demo.seconds)
    root = Path(root)
    total = len(demo.dashboard) + 3 * len(demo.replica)
    bar = _Progress(progress, total)
    try:
        dashboard = parse_url(dashboard_url, root)
        if dashboard.scheme == "duckdb":
            _write_duckdb_file(dashboard.path, [(None, "dashboard", demo.dashboard)], bar)
        else:
            _write_mysql(dashboard, [("dashboard", demo.dashboard)], bar, drop_database=False)
        if replica_url.startswith("duckdb:"):
            if "{dbname}" in replica_url:
                for dbname, tables in demo.replica.items():
                    path = parse_url(replica_url.replace("{dbname}", dbname), root).path
                    _write_duckdb_file(path, [(None, "replica", tables)], bar)
            else:
                path = parse_url(replica_url, root).path
                _write_duckdb_file(
                    path, [(f"{dbname}_p", "replica", tables) for dbname, tables in demo.replica.items()], bar
                )
        else:
            if "{dbname}" not in replica_url:
                raise ValueError(
                    f"{redact(replica_url)}: a MySQL replica URL needs {{dbname}} (one database per wiki), "
                    "e.g. mysql://root@127.0.0.1:3306/{dbname}_p"
                )
            for dbname, tables in demo.replica.items():
                url = parse_url(replica_url.replace("{dbname}", dbname), root)
                _write_mysql(url, [("replica", tables)], bar, drop_database=True)
    finally:
        bar.close()
    if progress:
        log.info("demo: written in %.1fs", time.perf_counter() - started)
    return demo.row_counts()


def _write_duckdb_file(path: Path, parts: Iterable[tuple[str | None, str, dict[str, pd.DataFrame]]], bar) -> None:
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
        leftover.unlink(missing_ok=True)
    connection = duckdb.connect(str(temporary))
    try:
        for namespace, schema, tables in parts:
            connection.execute("BEGIN TRANSACTION")
            create_schema(connection, schema, "duckdb", namespace=namespace)
            connection.execute("COMMIT")  # the DDL in one transaction; each table's rows in their own
            prefix = f"{_quote(namespace)}." if namespace else ""
            for table, frame in tables.items():
                began = time.perf_counter()
                if len(frame):
                    connection.register("_demo_frame", frame)
                    connection.execute(f"INSERT INTO {prefix}{_quote(table)} SELECT * FROM _demo_frame")
                    connection.unregister("_demo_frame")
                bar.step(f"{namespace or schema}.{table}", len(frame), time.perf_counter() - began)
        connection.execute("CHECKPOINT")
    finally:
        connection.close()
    path.with_name(path.name + ".wal").unlink(missing_ok=True)
    os.replace(temporary, path)


def _mysql_connect(url, database: str | None = None):
    import pymysql

    arguments: dict[str, Any] = {"host": url.host, "port": url.port, "charset": "utf8mb4", "local_infile": True}
    user = url.user or os.environ.get("ALMANAC_MYSQL_USER")
    password = url.password or os.environ.get("ALMANAC_MYSQL_PASSWORD")
    if user:
        arguments["user"] = user
    if password:
        arguments["password"] = password
    if database:
        arguments["database"] = database
    option_file = url.options.get("option_file")
    if option_file:
        arguments["read_default_file"] = os.path.expanduser(option_file)
    return pymysql.connect(**arguments)


def _write_mysql(url, parts: Iterable[tuple[str, dict[str, pd.DataFrame]]], bar, *, drop_database: bool) -> None:
    if not url.database:
        raise ValueError(f"mysql://{url.host}:{url.port}: the URL names no database")
    name = url.database.replace("`", "``")
    connection = _mysql_connect(url)
    try:
        cursor = connection.cursor()
        cursor.execute("SET time_zone = '+00:00'")
        cursor.execute("SET SESSION lock_wait_timeout = 120")  # a table held by another session: fail, not hang
        if drop_database:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        cursor.execute(f"USE `{name}`")
        for schema, tables in parts:
            cursor.execute("SET FOREIGN_KEY_CHECKS = 0")
            cursor.execute("DROP VIEW IF EXISTS `revision_userindex`")
            for table in ddl_columns(schema):
                cursor.execute(f"DROP TABLE IF EXISTS `{table}`")
            create_schema(connection, schema, "mysql")
            for table, frame in tables.items():
                began = time.perf_counter()
                _load_mysql(connection, table, frame)
                bar.step(f"{url.database}.{table}", len(frame), time.perf_counter() - began)
        connection.commit()
    finally:
        connection.close()


def _python_columns(frame: pd.DataFrame) -> list[list]:
    """Columns as lists of plain Python values (None for missing; datetimes as 'YYYY-MM-DD HH:MM:SS')."""
    columns = []
    for name in frame.columns:
        series = frame[name]
        if pd.api.types.is_datetime64_any_dtype(series):
            values = np.datetime_as_string(series.to_numpy().astype("datetime64[s]"), unit="s")
            values = np.strings.replace(values, "T", " ").astype(object)
            values[series.isna().to_numpy()] = None
        else:
            values = np.array(series.astype(object).to_numpy(), dtype=object)
            values[series.isna().to_numpy()] = None
        columns.append(values.tolist())
    return columns


# Server or client refusals of LOAD DATA LOCAL INFILE (local_infile off): fall back to INSERTs.
_LOCAL_INFILE_REFUSED = {1148, 1229, 2068, 3948, 3950}


def _load_mysql(connection, table: str, frame: pd.DataFrame, chunk: int = 500_000) -> None:
    """Load `frame` into `table` with LOAD DATA LOCAL INFILE (tab-separated chunks, several times faster than
    INSERTs), or with batched INSERTs when the server refuses local files. Any warning (a truncated or converted
    value) is an error: the demo must arrive exactly as generated."""
    import tempfile

    import pymysql

    if frame.empty:
        return
    names = ", ".join(f"`{c}`" for c in frame.columns)
    cursor = connection.cursor()
    try:
        with tempfile.TemporaryDirectory(prefix="almanac-demo-") as folder:
            path = Path(folder) / f"{table}.tsv"
            for offset in range(0, len(frame), chunk):
                path.write_bytes(_tsv(frame.iloc[offset : offset + chunk]))
                try:
                    cursor.execute(
                        f"LOAD DATA LOCAL INFILE %s INTO TABLE `{table}` CHARACTER SET utf8mb4 "
                        f"FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ({names})",
                        (str(path),),
                    )
                except (pymysql.err.OperationalError, pymysql.err.InternalError) as error:
                    if offset == 0 and error.args and error.args[0] in _LOCAL_INFILE_REFUSED:
                        log.info("demo: LOAD DATA LOCAL INFILE refused (%s); inserting %s in batches", error, table)
                        _insert_mysql(connection, table, frame)
                        return
                    raise
                if cursor.execute("SHOW WARNINGS LIMIT 3"):
                    raise ValueError(f"loading demo table {table}: the server changed values: {cursor.fetchall()}")
    finally:
        cursor.close()
    connection.commit()


def _tsv(frame: pd.DataFrame) -> bytes:
    """Rows for LOAD DATA: tab-separated, backslash escapes (\\, \\t, \\n, \\r), NULL as \\N, UTF-8."""
    columns = []
    for name in frame.columns:
        series = frame[name]
        missing = series.isna().to_numpy()
        if pd.api.types.is_datetime64_any_dtype(series):
            text = np.datetime_as_string(series.to_numpy().astype("datetime64[s]"), unit="s")
            text = pd.Series(np.strings.replace(text, "T", " "), dtype=object)
        elif pd.api.types.is_float_dtype(series):
            text = pd.Series([repr(float(v)) for v in series.to_numpy()], dtype=object)
        elif pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            text = pd.Series(np.asarray(series.fillna(0).to_numpy(), dtype=np.int64).astype(str), dtype=object)
        else:
            text = series.astype(object).where(~missing, "").astype(str)
            for raw, escaped in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
                text = text.str.replace(raw, escaped, regex=False)
            text = pd.Series(text.to_numpy(dtype=object), dtype=object)
        text[missing] = "\\N"
        columns.append(text)
    lines = columns[0].str.cat(columns[1:], sep="\t") if len(columns) > 1 else columns[0]
    return ("\n".join(lines.tolist()) + "\n").encode("utf-8")


def _insert_mysql(connection, table: str, frame: pd.DataFrame, batch: int = 5_000) -> None:
    if frame.empty:
        return
    names = ", ".join(f"`{c}`" for c in frame.columns)
    marks = ", ".join(["%s"] * len(frame.columns))
    sql = f"INSERT INTO `{table}` ({names}) VALUES ({marks})"
    rows = list(zip(*_python_columns(frame), strict=True))
    cursor = connection.cursor()
    try:
        for offset in range(0, len(rows), batch):
            cursor.executemany(sql, rows[offset : offset + batch])
    finally:
        cursor.close()
    connection.commit()


# Convenience for the command line and the wikis dataset: the demo's wiki domains.
DEMO_DOMAINS = {w[0]: wiki_domain(w[1], w[2]) for w in WIKIS}
