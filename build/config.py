"""Settings: read site.toml, apply environment and command-line overrides, check every key.

Every setting is declared once in SCHEMA (build/keys.py) with its check, default and meaning, the
way MkDocs declares its config. `load_settings` reports all problems at once, each naming
the file, the line and what is expected, then raises one `SettingsError`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from build import ranges
from build.keys import SCHEMA, Setting  # noqa: F401 (re-exported: every key, declared once)


class SettingsError(Exception):
    """One or more problems in the settings; `problems` lists each as a full sentence."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


# Re-exported: build.py parses --as-of with the same rule as site.toml.
parse_date = ranges.parse_date


SOURCE_KEYS = {
    "url": "a source URL such as duckdb:///demo/dashboard.duckdb or mysql://user@host:3306/db",
    "option_file": "a path to a MySQL option file such as ~/.my.cnf",
    "option_group": "a section name of the option file, such as client",
}

DEFAULT_SOURCES = {
    "dashboard": {"url": "duckdb:///demo/dashboard.duckdb"},
    "replica": {"url": "duckdb:///demo/replica.duckdb"},
}


@dataclass(frozen=True)
class SourceSettings:
    name: str
    url: str
    option_file: str | None = None
    option_group: str = "client"


@dataclass(frozen=True)
class Settings:
    """Every setting, resolved. `root` is the folder of site.toml; paths are under it."""

    root: Path
    values: dict[tuple[str, str], Any]
    sources: dict[str, SourceSettings]
    as_of: dt.date
    strict: bool = False
    history: bool = True  # record the build in the status history and feed (backfill's builds do not)
    cache: bool = True  # reuse the build cache (--no-cache: rebuild everything, byte for byte the same)

    def get(self, section: str, key: str) -> Any:
        return self.values[(section, key)]

    @property
    def out_dir(self) -> Path:
        """The output folder's absolute path, its own name kept: it is a symbolic link that must not be followed."""
        return _absolute(self.root / self.get("build", "out"))

    @property
    def state_dir(self) -> Path:
        return _absolute(self.root / self.get("build", "state_dir"))

    @property
    def keep_builds(self) -> int:
        return self.get("build", "keep_builds")

    @property
    def queries_dir(self) -> Path:
        return (self.root / self.get("build", "queries")).resolve()

    @property
    def k_min(self) -> int:
        return self.get("privacy", "k_min")


def _expected(section: str, key: str) -> str:
    return next(s.expected for s in SCHEMA if (s.section, s.key) == (section, key))


def _shown(value: Any, limit: int = 80) -> str:
    """A value as it appears in an error, cut short: a 10,000-character title must not flood the console."""
    shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 5] + "…" + shown[-4:]


def _absolute(path: Path) -> Path:
    """`path` made absolute with `..` removed and its parent's links resolved, the last part kept as named."""
    plain = Path(os.path.abspath(path))
    if plain.parent == plain:
        return plain  # the root folder "/"
    return plain.parent.resolve() / plain.name


def _line_of(text: str, section: str, key: str | None) -> int | None:
    """The line where `key` is set in `[section]` of a TOML text, for error messages."""
    in_section = section == ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.fullmatch(r"\[\s*([^\]]+?)\s*\]", stripped)
        if header:
            in_section = header.group(1) == section
            if in_section and key is None:
                return number
            continue
        if in_section and key and re.match(rf"{re.escape(key)}\s*=", stripped):
            return number
    return None


def _where(path: Path, text: str, section: str, key: str | None = None) -> str:
    line = _line_of(text, section, key)
    return f"{path.name}:{line}" if line else path.name


def load_settings(
    path: Path | None,
    *,
    as_of: dt.date | None = None,
    out: str | None = None,
    sources: dict[str, str] | None = None,
    today: Callable[[], dt.date] | None = None,
    strict: bool = False,
) -> Settings:
    """Read `path` (site.toml; may be missing), then overrides. Raises SettingsError listing all problems.

    Environment: ALMANAC_AS_OF and ALMANAC_SOURCE_<NAME> (a URL) override the file;
    command-line values override both.
    """
    text = path.read_text(encoding="utf-8") if path and path.exists() else ""
    label = path if path else Path("site.toml")
    root = path.parent.resolve() if path else Path.cwd()
    problems: list[str] = []
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SettingsError([f"{label}: not valid TOML: {error}. Fix the syntax and build again."]) from None

    known_sections = {s.section for s in SCHEMA} | {"sources"}
    for section in raw:
        if section not in known_sections:
            problems.append(
                f"{_where(label, text, section)}: unknown section [{section}]; "
                f"expected one of {', '.join(sorted(known_sections))}."
            )

    values: dict[tuple[str, str], Any] = {}
    for setting in SCHEMA:
        section = raw.get(setting.section, {})
        if not isinstance(section, dict):
            continue
        if setting.key not in section:
            values[(setting.section, setting.key)] = setting.default
            continue
        try:
            values[(setting.section, setting.key)] = setting.check(section[setting.key])
        except ValueError as error:
            why = f" ({error})" if str(error) and str(error) != str(section[setting.key]) else ""
            problems.append(
                f"{_where(label, text, setting.section, setting.key)}: [{setting.section}] "
                f"{setting.key}: expected {setting.expected}, got {_shown(section[setting.key])}{why}."
            )
    for section_name in {s.section for s in SCHEMA}:
        section = raw.get(section_name, {})
        if not isinstance(section, dict):
            problems.append(f"{_where(label, text, '', section_name)}: {section_name} must be a table.")
            continue
        known = {s.key for s in SCHEMA if s.section == section_name}
        for key in section:
            if key not in known:
                problems.append(
                    f"{_where(label, text, section_name, key)}: [{section_name}] unknown key "
                    f"{key!r}; expected one of {', '.join(sorted(known))}."
                )

    source_tables = {name: dict(table) for name, table in DEFAULT_SOURCES.items()}
    for name, table in raw.get("sources", {}).items():
        if not isinstance(table, dict):
            problems.append(f"{_where(label, text, 'sources', name)}: [sources.{name}] must be a table.")
            continue
        for key, value in table.items():
            if key not in SOURCE_KEYS:
                problems.append(
                    f"{_where(label, text, f'sources.{name}', key)}: [sources.{name}] unknown key "
                    f"{key!r}; expected one of {', '.join(SOURCE_KEYS)}."
                )
            elif not isinstance(value, str):
                problems.append(
                    f"{_where(label, text, f'sources.{name}', key)}: [sources.{name}] {key}: "
                    f"expected {SOURCE_KEYS[key]}, got {value!r}."
                )
        source_tables.setdefault(name, {}).update(table)

    for variable, url in sorted(os.environ.items()):
        if variable.startswith("ALMANAC_SOURCE_") and url:
            source_tables.setdefault(variable.removeprefix("ALMANAC_SOURCE_").lower(), {})["url"] = url
    for name, url in (sources or {}).items():
        source_tables.setdefault(name, {})["url"] = url

    resolved_sources = {}
    for name, table in source_tables.items():
        if "url" not in table:
            problems.append(f"{label}: [sources.{name}] has no url; expected {SOURCE_KEYS['url']}.")
            continue
        resolved_sources[name] = SourceSettings(
            name=name,
            url=str(table["url"]),
            option_file=table.get("option_file"),
            option_group=table.get("option_group", "client"),
        )

    if out is not None:
        try:
            values[("build", "out")] = ranges.folder(out)
        except ValueError:
            problems.append(f"--out: expected {_expected('build', 'out')}, got {_shown(out)}.")
    env_as_of = os.environ.get("ALMANAC_AS_OF")
    if as_of is None and env_as_of:
        try:
            as_of = parse_date(env_as_of)
        except ValueError:
            problems.append(f"ALMANAC_AS_OF: expected a date YYYY-MM-DD, got {_shown(env_as_of)}.")

    current = (today or utc_today)()
    chosen_as_of = as_of or values.get(("build", "as_of")) or current
    out_of_range = ranges.as_of_problem(chosen_as_of, current)
    if out_of_range:
        where = "--as-of or ALMANAC_AS_OF" if as_of else f"{_where(label, text, 'build', 'as_of')}: [build] as_of"
        problems.append(f"{where}: {out_of_range}.")
    if problems:
        raise SettingsError(problems)
    values[("build", "as_of")] = chosen_as_of
    return Settings(
        root=root,
        values=values,
        sources=resolved_sources,
        as_of=chosen_as_of,
        strict=strict,
    )


def next_update(schedule: str, after: dt.datetime) -> dt.datetime:
    """The next time the scheduled build runs after `after` (UTC).

    >>> next_update("17 5 * * *", dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)).isoformat()
    '2026-12-03T05:17:00+00:00'
    """
    from cronsim import CronSim

    return next(CronSim(schedule, after.astimezone(dt.UTC)))


def utc_now() -> dt.datetime:
    """The build's one clock, in UTC to the second; SOURCE_DATE_EPOCH fixes it for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def utc_today() -> dt.date:
    """The build's UTC date (the default as-of date)."""
    return utc_now().date()
