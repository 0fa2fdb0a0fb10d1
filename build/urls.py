"""URLs: take the credentials out of a source URL before anything reads it, print it redacted, parse it.

`strip_credentials` runs first, always: a password may hold any character ('@', '/', '?', '#'
included, raw or percent-encoded), so the credentials end at the last '@' that a host follows;
what cannot be split safely is hidden whole and refused. `redact` is what messages, logs and
status files print; `scrub` removes every form of a password from a message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote

DBNAME = re.compile(r"[a-z0-9_]+")
MYSQL_SCHEMES = ("mysql", "mariadb", "mysql+pymysql", "mysql+mysqldb")


class SourceError(Exception):
    """A source cannot be opened or used; the message names the source and never a password."""


# --- URLs --------------------------------------------------------------------------------

# What may follow the "@" that ends the credentials: host (a name, `{dbname}`, or [IPv6]),
# port, database (MySQL names hold no '.', '/', '@') and a query string. A password may hold
# any character, '@' and '/' included, so the credentials end at the LAST '@' followed by this.
_AFTER_CREDENTIALS = re.compile(
    r"(?:\[[0-9A-Fa-f:.%]*\]|[A-Za-z0-9_.{}%-]*)(?::[^/?#@\s]*)?(?:/[^/?#@\\.\s]*)?(?P<query>\?.*)?", re.DOTALL
)
URL_PARAMETERS = ("option_file", "option_group", "unix_socket", "charset")  # shown as given; others hidden
_KNOWN_QUERY = re.compile(rf"\?(?:{'|'.join(URL_PARAMETERS)})=")


@dataclass(frozen=True)
class Stripped:
    """A URL split into its credentials and the rest: `bare` has no user or password in it, and
    `shown` is the URL to print (*** for the password, and for the user when the password is in it).

    `problem`: the URL cannot be split safely (an '@' that no host follows, or a "port" that is
    not a number: maybe a password whose '@' was forgotten). Then everything that might be a
    password is hidden, and parsing refuses the URL with these words.
    """

    scheme: str
    bare: str
    shown: str
    user: str | None = field(default=None, repr=False)  # may equal the password
    password: str | None = field(default=None, repr=False)
    secrets: tuple[str, ...] = field(default=(), repr=False)
    problem: str | None = None


def strip_credentials(url: str) -> Stripped:
    """Take user and password out of `url` before anything else reads it (parsing, messages).

    The credentials end at the last '@' that a host[:port][/database][?…] follows (a password
    may hold any character, '@', '/', '?' and '#' included). Query parameters other than
    URL_PARAMETERS (a `password=`, say) are hidden too. DuckDB URLs hold no credentials.

    >>> strip_credentials("mysql://u:pa/ss@h:3306/db").bare
    'mysql://h:3306/db'
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    if scheme.lower() == "duckdb":
        return Stripped("duckdb", url, url)
    head = f"{scheme}{sep}"
    ats = [index for index, char in enumerate(rest) if char == "@"]
    fitting = _credential_ends(rest, ats)
    if not ats and not re.fullmatch(r"[^/?:]*(:\d*)?([/?].*)?", rest.split("]")[-1], re.DOTALL):
        problem = "the port must be a number (it follows the host and ':'); credentials go before the host and '@'"
        return Stripped(scheme.lower(), head + "***", head + "***", secrets=_ordered([rest]), problem=problem)
    end = fitting[-1] if fitting else (ats[-1] if ats else None)
    hostpart, secrets = _hide_parameters(rest[end + 1 :] if end is not None else rest)
    bare = head + hostpart
    if end is None:
        return Stripped(scheme.lower(), bare, scrub(bare, _ordered(secrets)), secrets=_ordered(secrets))
    userinfo = rest[:end]
    if not fitting:
        secrets = _ordered([*secrets, userinfo, unquote(userinfo)])
        problem = "no host follows the last '@' (percent-encode an '@' elsewhere as %40)"
        return Stripped(scheme.lower(), bare, scrub(f"{head}***@{hostpart}", secrets), secrets=secrets, problem=problem)
    raw_user, colon, raw_password = userinfo.partition(":")
    user, password = unquote(raw_user) or None, unquote(raw_password) if colon else None
    secrets = _ordered([*secrets, raw_password, password or ""])
    shown_user = "***" if password and any(secret in (user or "") for secret in secrets) else (user or "")
    shown = f"{head}{shown_user}{':***' if colon else ''}@{hostpart}"
    return Stripped(scheme.lower(), bare, scrub(shown, secrets), user, password, secrets)


def _ordered(secrets) -> tuple[str, ...]:
    """Distinct, non-empty, longest first (so scrub replaces a whole password before a part of it)."""
    return tuple(sorted({secret for secret in secrets if secret}, key=len, reverse=True))


def _credential_ends(rest: str, ats: list[int]) -> list[int]:
    """The '@'s after which a host follows, leaving out those inside an earlier candidate's
    ?option_file=… (a path may hold an '@': `?option_file=/home/me@work.cnf`)."""
    fitting: list[int] = []
    query_start = len(rest)
    for index in ats:
        match = _AFTER_CREDENTIALS.fullmatch(rest, index + 1)
        if not match or index >= query_start:
            continue
        fitting.append(index)
        if match.group("query") and _KNOWN_QUERY.match(match.group("query")):
            query_start = match.start("query")
    return fitting


def _hide_parameters(hostpart: str) -> tuple[str, list[str]]:
    """`hostpart` with every query parameter not in URL_PARAMETERS hidden, and all that follows
    it up to the next known one (a password may hold '&', '=' or '?')."""
    before, question, query = hostpart.partition("?")
    if not question:
        return hostpart, []
    hidden: list[str] = []
    kept: list[str] = []
    hiding: list[str] | None = None
    for item in filter(None, re.split(r"(?=[&;?])", "?" + query)):
        text = item[1:]
        key, equals, value = text.partition("=")
        if equals and key.lower() in URL_PARAMETERS:
            hiding = None
            kept.append(text)
        elif hiding is None:
            hiding = [value if equals else text]
            hidden += hiding
            kept.append(f"{key}=***" if equals and re.fullmatch(r"[A-Za-z_]{1,30}", key) else "***")
        else:
            hiding.append(item)
            hidden += [text, "".join(hiding)]
    return f"{before}?{'&'.join(kept)}", [*hidden, *(unquote(secret) for secret in hidden)]


def redact(url: str) -> str:
    """A URL safe to print: the password (in the user part or a query parameter) becomes ***.

    >>> redact("mysql://u:s3cr@t/x@h:3306/db?password=x")
    'mysql://u:***@h:3306/db?password=***'
    """
    return strip_credentials(url).shown


@dataclass(frozen=True)
class SourceURL:
    scheme: str
    path: Path | None = None
    host: str | None = None
    port: int | None = None
    user: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    database: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = field(default=(), repr=False)


def parse_url(url: str, root: Path) -> SourceURL:
    """Split a source URL; relative DuckDB paths are relative to `root` (the site.toml folder).

    Credentials are stripped first (`strip_credentials`): no message here can hold them.
    Host, port and user stay None when the URL does not give them (an option file may).
    """
    stripped = strip_credentials(url)
    scheme, shown = stripped.scheme, stripped.shown
    if "://" not in stripped.bare:
        raise SourceError("not a URL (no scheme://); expected duckdb:///path or mysql://user@host:port/db.")
    rest = stripped.bare.partition("://")[2]
    if scheme == "duckdb":
        if not rest.startswith("/") or rest == "/":
            raise SourceError(f"{shown}: a DuckDB URL is duckdb:///relative/path or duckdb:////absolute/path.")
        path = Path(rest[1:])
        return SourceURL("duckdb", path=path if path.is_absolute() else root / path)
    if scheme not in MYSQL_SCHEMES:
        raise SourceError(f"{shown}: unknown scheme {scheme!r}; expected duckdb:///path or mysql://user@host:port/db.")
    if stripped.problem:
        raise SourceError(f"{shown}: {stripped.problem}; expected mysql://user:password@host:port/db.")
    # urlsplit rejects `{dbname}` in a port position and would print the URL: split by hand.
    netloc, _, after = rest.partition("/")
    database, _, query = after.partition("?")
    if "?" in netloc:
        netloc, _, query = netloc.partition("?")
    options = {key: values[-1] for key, values in parse_qs(query, keep_blank_values=True).items()}
    host, port = netloc, ""
    if netloc.startswith("["):  # [IPv6]:port
        host, _, port = netloc[1:].partition("]")
        port = port.lstrip(":")
    elif ":" in netloc:
        host, _, port = netloc.rpartition(":")
    if port and not port.isdigit():
        raise SourceError(f"{shown}: the port must be a number; expected mysql://user:password@host:port/db.")
    unknown = set(options) - set(URL_PARAMETERS)
    if unknown:
        raise SourceError(
            f"{shown}: unknown URL parameter(s) {', '.join(sorted(unknown))}; expected option_file, "
            "option_group or unix_socket (a password goes in the user part, an option file or the environment)."
        )
    return SourceURL(
        "mysql",
        host=unquote(host) or None,
        port=int(port) if port else None,
        user=stripped.user,
        password=stripped.password,
        database=unquote(database) or None,
        options=options,
        secrets=stripped.secrets,
    )


def fill_dbname(url: str, dbname: str | None, source_name: str) -> str:
    """Put a wiki's database name into a per-wiki URL: `{dbname}` → 'enwiki'."""
    if dbname is None:
        if "{dbname}" in url:
            raise SourceError(
                f"source {source_name!r} ({redact(url)}) is per wiki (its URL has {{dbname}}): "
                "only queries with per_wiki = true can read it."
            )
        return url
    if not DBNAME.fullmatch(dbname):
        raise SourceError(f"source {source_name!r}: {dbname!r} is not a wiki database name such as enwiki.")
    return url.replace("{dbname}", dbname)


def scrub(message: str, secret: str | tuple[str, ...] | None) -> str:
    """`message` with `secret` (one, or several: longest first) replaced by ***, in case a driver
    ever echoes it. Secrets under 3 characters are left: replacing them would garble every word."""
    for each in (secret,) if isinstance(secret, str) or secret is None else secret:
        if each and len(each) >= 3:
            message = message.replace(each, "***")
    return message
