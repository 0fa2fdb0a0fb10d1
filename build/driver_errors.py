"""Driver errors: MariaDB/MySQL error codes and what a failure means for the build (retry, shrink, fail),
whichever driver (pymysql, mysqlclient, connectorx mapped to the same codes) raised it.
"""

from __future__ import annotations

# Server and client error codes, MariaDB and MySQL (mysqld_error.h, errmsg.h).
TIMEOUT_ERRORS = {
    1969: "statement time limit (MariaDB max_statement_time)",
    3024: "statement time limit (MySQL max_execution_time)",
    1317: "query interrupted (KILL QUERY, e.g. a replica's query killer)",
}
TRANSIENT_ERRORS = {
    2006: "server gone away",
    2013: "lost connection during query",
    2055: "lost connection",
    2003: "cannot connect (server restarting?)",
    1927: "connection was killed",
    1053: "server shutdown in progress",
    1205: "lock wait timeout",
    1213: "deadlock",
    1040: "too many connections",
    1203: "user has too many connections",
}


def server_message(error: BaseException) -> str:
    """The driver's error as '(code) message', e.g. "(1045) Access denied for user …"."""
    args = getattr(error, "args", ())
    if len(args) >= 2 and isinstance(args[0], int):
        return f"({args[0]}) {args[1]}"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def error_code(error: BaseException) -> int | None:
    args = getattr(error, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def classify_error(error: BaseException) -> str:
    """'timeout' (a statement time limit: make the statement smaller), 'transient' (retry after a
    pause, reconnecting) or 'permanent' (fail the dataset)."""
    code = error_code(error)
    if code in TIMEOUT_ERRORS:
        return "timeout"
    if code in TRANSIENT_ERRORS:
        return "transient"
    if type(error).__name__ == "InterfaceError":  # pymysql, on a connection that was closed under it
        return "transient"
    if isinstance(error, ConnectionError | TimeoutError):
        return "transient"
    return "permanent"
