"""The allowed range of every setting value: small checkers that return the value or raise ValueError.

Each checker pairs with the sentence in config.SCHEMA that says what is allowed; a ValueError's own
message (when it has one) adds why this value is outside it, e.g. "3 is listed twice".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

EARLIEST_AS_OF = dt.date(2001, 1, 1)  # before Wikipedia there is nothing to measure
MAX_PATH = 1024
DBNAME = re.compile(r"[a-z][a-z0-9_]{1,62}")  # a wiki's database name: enwiki, commonswiki, zh_yuewiki
SPDX_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+-]{0,63}")  # CC0-1.0, CC-BY-SA-4.0, ODbL-1.0, LicenseRef-x
BRANCH = re.compile(r"(?!-)(?!.*\.\.)(?!.*//)(?!.*@\{)[A-Za-z0-9._/-]{1,100}(?<![./])")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError
    return value


def text(max_length: int, *, required: bool = False) -> Callable[[Any], str]:
    """A one-line text of at most `max_length` characters, no control characters."""

    def check(value):
        value = string(value)
        if required and not value.strip():
            raise ValueError("it is empty")
        if len(value) > max_length:
            raise ValueError(f"it has {len(value)} characters")
        if CONTROL.search(value):
            raise ValueError("it holds a control character")
        return value

    return check


def cron_schedule(value: Any) -> str:
    """A five-field cron expression (minute hour day month weekday, UTC), as the scheduled jobs use."""
    from cronsim import CronSim, CronSimError

    value = string(value).strip()
    if len(value.split()) != 5:
        raise ValueError("it does not have five fields")
    try:
        CronSim(value, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    except CronSimError as error:
        raise ValueError(str(error).lower()) from None
    return value


def one_of(*choices: str) -> Callable[[Any], str]:
    """One of a few words, e.g. one_of("replica", "history")."""

    def check(value):
        if value not in choices:
            raise ValueError
        return value

    return check


def month_or_empty(value: Any) -> str:
    """A month YYYY-MM, or empty."""
    if not isinstance(value, str) or (value and not re.fullmatch(r"(19|20)\d\d-(0[1-9]|1[0-2])", value)):
        raise ValueError
    return value


def spark_conf(value: Any) -> dict:
    """A table of Spark session settings: names to strings, numbers or booleans."""
    if not isinstance(value, dict) or not all(isinstance(v, str | int | float | bool) for v in value.values()):
        raise ValueError
    if not all(isinstance(k, str) and k.startswith("spark.") for k in value):
        raise ValueError("every key is a Spark setting such as spark.executor.memory")
    return dict(value)


def whole(minimum: int, maximum: int) -> Callable[[Any], int]:
    """A whole number from `minimum` to `maximum` (booleans are not numbers here)."""

    def check(value):
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise ValueError
        return value

    return check


def increasing_whole_list(minimum: int, maximum: int, max_items: int) -> Callable[[Any], list[int]]:
    """A non-empty, strictly increasing list of whole numbers in range: duplicates would duplicate rows."""

    def check(value):
        if not isinstance(value, list) or not value or len(value) > max_items:
            raise ValueError
        items = [whole(minimum, maximum)(item) for item in value]
        repeated = sorted({item for item in items if items.count(item) > 1})
        if repeated:
            raise ValueError(f"{', '.join(map(str, repeated))} listed more than once")
        if items != sorted(items):
            raise ValueError("not in increasing order")
        return items

    return check


def dbname_list(max_items: int) -> Callable[[Any], list[str]]:
    """A list of distinct wiki database names (lower case letters, digits, underscores)."""

    def check(value):
        if not isinstance(value, list) or len(value) > max_items:
            raise ValueError
        items = [string(item) for item in value]
        bad = [item for item in items if not DBNAME.fullmatch(item)]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a database name")
        if len(set(items)) != len(items):
            raise ValueError("a wiki is listed more than once")
        return items

    return check


def http_url_or_empty(value: Any) -> str:
    """An absolute http(s) URL with a host, or empty: anything else would be copied into datapackage.json."""
    value = text(MAX_PATH)(value).strip()
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or " " in value:
        raise ValueError
    if parts.username or parts.password:
        raise ValueError("it holds a user name or password")
    return value


def license_id(value: Any) -> str:
    if not SPDX_ID.fullmatch(string(value)):
        raise ValueError
    return value


def branch_name(value: Any) -> str:
    """A plausible git branch name; git itself checks it again (check-ref-format) before archiving."""
    value = string(value)
    if not BRANCH.fullmatch(value) or value.endswith(".lock") or value in ("HEAD", "@"):
        raise ValueError
    return value


def folder(value: Any) -> str:
    """A folder path: not empty, no NUL or control characters, not absurdly long. Where it points is
    checked later (places.py), once the root is known."""
    value = string(value)
    if not value.strip():
        raise ValueError("it is empty")
    return text(MAX_PATH)(value)


def folder_or_empty(value: Any) -> str:
    """A folder path as `folder` checks it, or empty (the default place)."""
    return "" if isinstance(value, str) and not value.strip() else folder(value)


def parse_date(text_value: str) -> dt.date:
    """Parse YYYY-MM-DD strictly: `parse_date("2025-01-31")` → date(2025, 1, 31)."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text_value):
        raise ValueError(text_value)
    return dt.date.fromisoformat(text_value)


def date_or_empty(value: Any) -> dt.date | None:
    """A date (TOML date or YYYY-MM-DD text), or empty; its range is checked by `as_of_problem`."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if value == "":
        return None
    if isinstance(value, str):
        return parse_date(value)
    raise ValueError


def as_of_problem(as_of: dt.date, today: dt.date) -> str | None:
    """Why `as_of` cannot be built (None if it can): not before 2001, not after tomorrow (UTC)."""
    latest = today + dt.timedelta(days=1)
    if as_of < EARLIEST_AS_OF or as_of > latest:
        return (
            f"the as-of date {as_of.isoformat()} is out of range; "
            f"expected a date from {EARLIEST_AS_OF.isoformat()} to {latest.isoformat()} (tomorrow, UTC)"
        )
    return None
