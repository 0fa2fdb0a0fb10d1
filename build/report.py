"""Report: what the build did, as status.json, a console summary and the exit code.

Exit codes: 0 every dataset fresh; 1 published with stale datasets; 2 nothing published
(bad settings or queries, every source down, an unexpected error); 3 another build holds
the lock. The build time lives here and only here, never inside data files.

What is published holds no database error: a failed dataset's `error` is its Failure's fixed
public text with an error id (build/failures.py), and a source's entry has no address (host,
user and database names stay private) and only the public text of its error.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from .datasets import Dataset, write_if_changed
from .exit_codes import EXIT_FRESH, EXIT_LOCKED, EXIT_NOTHING_PUBLISHED, EXIT_STALE  # noqa: F401 (re-exported)
from .failures import Failure

FRESH, STALE, MISSING = "fresh", "stale", "missing"


@dataclass
class Outcome:
    """How one published dataset fared in this build."""

    name: str
    title: str
    source: str
    status: str
    rows: int | None = None
    error: Failure | None = None
    seconds: float | None = None


@dataclass
class BuildReport:
    as_of: dt.date
    built_at: dt.datetime
    outcomes: list[Outcome] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)

    @property
    def stale(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status != FRESH]

    @property
    def exit_code(self) -> int:
        return EXIT_STALE if self.stale else EXIT_FRESH

    def add(
        self, dataset: Dataset | None, *, name: str, title: str, source: str, error: Failure | None = None, seconds=None
    ):
        if dataset is None:
            status = MISSING
        else:
            status = STALE if dataset.stale else FRESH
        rows = None if dataset is None else len(dataset.frame)
        self.outcomes.append(Outcome(name, title, source, status, rows, error, seconds))


def previous_successes(out_dir: Path) -> dict[str, str]:
    """Each dataset's last successful build time, from the status.json of the site being replaced."""
    path = out_dir / "status.json"
    if not path.exists():
        return {}
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return {}
    return {d["name"]: d.get("last_success") for d in previous.get("datasets", []) if d.get("last_success")}


def status(report: BuildReport, last_successes: dict[str, str]) -> dict:
    """The status.json document (also what the status page and home page show)."""
    built_at = report.built_at.isoformat(timespec="seconds").replace("+00:00", "Z")
    datasets = []
    for outcome in sorted(report.outcomes, key=lambda o: o.name):
        datasets.append(
            {
                "name": outcome.name,
                "title": outcome.title,
                "status": outcome.status,
                "rows": outcome.rows,
                "error": None if outcome.error is None else outcome.error.public,
                "source": outcome.source,
                "seconds": None if outcome.seconds is None else round(outcome.seconds, 2),
                "last_success": built_at if outcome.status == FRESH else last_successes.get(outcome.name),
            }
        )
    return {
        "as_of": report.as_of.isoformat(),
        "built_at": built_at,
        "state": STALE if report.stale else FRESH,
        "exit_code": report.exit_code,
        "datasets": datasets,
        "sources": report.sources,
    }


def public_source(name: str, state: dict) -> dict:
    """A source's entry as published: status, lag and the public text of its error; no URL."""
    entry = {
        "name": name,
        "status": state["status"],
        "lag_seconds": state.get("lag_seconds"),
        "error": None if state.get("error") is None else str(state["error"]),
    }
    if "wikis" in state:
        entry["wikis"] = {wiki: public_source(wiki, wiki_state) for wiki, wiki_state in state["wikis"].items()}
    return entry


def write_status(document: dict, out_dir: Path) -> None:
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    write_if_changed(out_dir / "status.json", text.encode("utf-8"))


def summary(document: dict, *, published: bool = True) -> str:
    """The console summary: one line per dataset that is not fresh (its public error), then the
    verdict: what was published, or (`published=False`, for --strict) that nothing was."""
    lines = []
    for dataset in document["datasets"]:
        if dataset["status"] != FRESH:
            lines.append(f"  {dataset['status'].upper():8} {dataset['name']}: {dataset['error'] or 'no data'}")
    fresh = sum(d["status"] == FRESH for d in document["datasets"])
    total = len(document["datasets"])
    if not published:
        verdict = (
            f"--strict: nothing was published, because {len(lines)} of {total} datasets would be stale; "
            "the last site is unchanged."
        )
    else:
        verdict = f"Published {fresh} of {total} datasets as of {document['as_of']}" + (
            f"; {len(lines)} stale (last published files kept)." if lines else ", all fresh."
        )
    return "\n".join([*lines, verdict])
