"""Backfill: give the archive a past by building the data at past as-of dates and committing each.

`dates` lists the as-of dates (every month or week from a first date); `check_branch` refuses an archive
branch that already has commits on or after the first date; `run` builds each date in its own folder
(never the published site), commits the data files of each fresh build with that date as the commit date,
and reports a stale build instead of committing it. It relies on as-of builds reproducing what was true
then; the Dashboard's undated cached totals cannot be, which every commit message says.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from build import archive

log = logging.getLogger("almanac")
STEPS = ("month", "week")
RECONSTRUCTED = (
    "Reconstructed by `build.py backfill` on {today}: built as of {as_of} on the database as it stood on "
    "{today}. Dated rows on or after the as-of date were ignored; the Dashboard's undated cached totals "
    "(edits, articles, characters, references, views, uploads, training) carry {today}'s values."
)


class BackfillError(Exception):
    """The backfill cannot start; the message says why and what to do."""


@dataclass(frozen=True)
class Outcome:
    as_of: dt.date
    exit_code: int
    commit: str | None = None
    note: str = ""


def dates(first: dt.date, last: dt.date, every: str) -> list[dt.date]:
    """Every as-of date from `first` to `last` (inclusive), a month or a week apart.

    >>> dates(dt.date(2025, 1, 31), dt.date(2025, 4, 30), "month")
    [datetime.date(2025, 1, 31), datetime.date(2025, 2, 28), datetime.date(2025, 3, 31), datetime.date(2025, 4, 30)]
    """
    if every not in STEPS:
        raise BackfillError(f"--every {every!r}: expected one of {', '.join(STEPS)}.")
    if last < first:
        raise BackfillError(f"--to {last} is before --from {first}: nothing to build.")
    found, n = [], 0
    while (day := _step(first, every, n)) <= last:
        found.append(day)
        n += 1
    return found


def _step(first: dt.date, every: str, n: int) -> dt.date:
    if every == "week":
        return first + dt.timedelta(weeks=n)
    month_index = first.month - 1 + n
    year, month = first.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(first.day, calendar.monthrange(year, month)[1]))


def check_branch(repo: Path, branch: str, first: dt.date) -> None:
    """Refuse a branch that already has commits on or after `first`: backfill writes history in date order."""
    latest = archive.latest_commit_date(repo, branch)
    if latest is not None and latest >= first:
        raise BackfillError(
            f"the archive branch {branch!r} already has commits up to {latest}, on or after --from {first}: "
            "backfill writes history in date order. Write to a new branch with --branch NAME, or start after it."
        )


def run(
    repo: Path,
    branch: str,
    as_of_dates: list[dt.date],
    build: Callable[[dt.date], tuple[int, Path]],
    today: dt.date,
) -> list[Outcome]:
    """Build each date with `build(as_of) → (exit code, site folder)`; commit each fresh build's data."""
    check_branch(repo, branch, as_of_dates[0])
    outcomes = []
    for number, as_of in enumerate(as_of_dates, start=1):
        code, site = build(as_of)
        if code != 0:
            note = "stale or failed: not committed (a gap in the archive rather than a wrong number)"
            outcomes.append(Outcome(as_of, code, note=note))
            log.warning("[%d/%d] as of %s: exit %d, %s", number, len(as_of_dates), as_of, code, note)
            continue
        message = RECONSTRUCTED.format(today=today.isoformat(), as_of=as_of.isoformat())
        commit = archive.commit_data(repo, site / "data", branch, message, as_of=as_of, date=as_of)
        note = "committed" if commit else "no data file changed: nothing committed"
        outcomes.append(Outcome(as_of, code, commit, note))
        log.info("[%d/%d] as of %s: %s", number, len(as_of_dates), as_of, note)
    return outcomes


def remove_work_folder(folder: Path) -> None:
    """The backfill's own build folder, once its data are committed (they live in git from then on)."""
    shutil.rmtree(folder, ignore_errors=True)
