"""Credentials: where to connect to a MySQL/MariaDB source and as whom, from its URL, option files and
the environment, in the order build/sources.py's docstring gives (URL, the source's option file, the
environment, then ~/.my.cnf and ~/replica.my.cnf). Option files are read by MySQL's own rules.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .config import SourceSettings
from .urls import SourceError, SourceURL

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 3306


def is_replica(source: SourceSettings) -> bool:
    return source.name == "replica" or "{dbname}" in source.url


# --- option files ------------------------------------------------------------------------


def read_option_file(path: Path, groups: tuple[str, ...] = ("client",)) -> dict[str, str]:
    """The options of `groups` (later groups win) in a MySQL option file, e.g. ~/.my.cnf.

    Follows MySQL's rules: `#`/`;` comments, quoted values ('…' or "…"), `-` and `_` alike
    in names, options without a value, `!include FILE` and `!includedir DIR`.
    """
    sections: dict[str, dict[str, str]] = {}
    _read_options(path, sections, depth=0)
    merged: dict[str, str] = {}
    for group in groups:
        merged.update(sections.get(group.lower(), {}))
    return merged


def _read_options(path: Path, sections: dict[str, dict[str, str]], depth: int) -> None:
    if depth > 10:
        return
    group = None
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("!include "):
            included = Path(os.path.expanduser(line.split(None, 1)[1].strip()))
            if included.is_file():
                _read_options(included, sections, depth + 1)
            continue
        if line.startswith("!includedir "):
            folder = Path(os.path.expanduser(line.split(None, 1)[1].strip()))
            for included in sorted(folder.glob("*.cnf")) if folder.is_dir() else []:
                _read_options(included, sections, depth + 1)
            continue
        header = re.fullmatch(r"\[\s*([^\]]+?)\s*\]", line)
        if header:
            group = header.group(1).lower()
            sections.setdefault(group, {})
            continue
        if group is None:
            continue
        key, sep, value = line.partition("=")
        key = key.strip().lower().replace("_", "-")
        value = value.strip() if sep else ""
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        else:
            value = re.split(r"\s+#", value, maxsplit=1)[0].strip()
        sections[group][key] = value


@dataclass(frozen=True)
class Credentials:
    """Where to connect and as whom; `where` tells which option file or variable gave what."""

    host: str
    port: int
    user: str | None
    password: str | None = field(repr=False)
    database: str | None
    unix_socket: str | None = None
    where: tuple[str, ...] = ()


def resolve_credentials(source: SourceSettings, url: SourceURL, environ: dict | None = None) -> Credentials:
    """Combine URL, option files and environment in the documented order (module docstring)."""
    environ = os.environ if environ is None else environ
    where: list[str] = []
    user, password = url.user, url.password
    if user or password:
        where.append("URL")
    file_options: dict[str, str] = {}

    explicit = url.options.get("option_file") or source.option_file
    group = url.options.get("option_group") or source.option_group or "client"
    groups = ("client",) if group == "client" else ("client", group)
    if explicit:
        path = Path(os.path.expanduser(explicit))  # a relative path is relative to the working folder
        if not path.is_file():
            raise SourceError(f"source {source.name!r}: option file {path} does not exist.")
        file_options = read_option_file(path, groups)
        where.append(str(path))
        user = user or file_options.get("user")
        password = password if password is not None else file_options.get("password")

    prefix = f"ALMANAC_MYSQL_{source.name.upper()}_"
    for variable_user, variable_password in (
        (prefix + "USER", prefix + "PASSWORD"),
        ("ALMANAC_MYSQL_USER", "ALMANAC_MYSQL_PASSWORD"),
    ):
        if not user and environ.get(variable_user):
            user = environ[variable_user]
            where.append(variable_user)
        if password is None and variable_password in environ:
            password = environ[variable_password]
            where.append(variable_password)

    if not explicit and (user is None or password is None):
        home = Path(os.path.expanduser("~"))
        defaults = [home / ".my.cnf", home / "replica.my.cnf"]
        if is_replica(source):
            defaults.reverse()
        for path in defaults:
            if path.is_file():
                options = read_option_file(path, groups)
                if user is None and options.get("user"):
                    user = options["user"]
                if password is None and "password" in options:
                    password = options["password"]
                file_options = {**options, **file_options}
                where.append(str(path))
                break

    port = url.port or file_options.get("port")
    return Credentials(
        host=url.host or file_options.get("host") or DEFAULT_HOST,
        port=int(port) if port else DEFAULT_PORT,
        user=user,
        password=password,
        database=url.database or file_options.get("database"),
        unix_socket=url.options.get("unix_socket") or (file_options.get("socket") if not url.host else None),
        where=tuple(where),
    )
